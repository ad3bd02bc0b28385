// An internal NLB (cross-zone, so every zone's NLB node reaches every proxy) in front of the
// proxies, or of the member in standalone mode. Targets are the nodes' own addresses (target
// type ip), so a replaced instance needs no re-registration. The NLB carries the deployment's
// security group, whose self rule lets it reach the targets.
import * as pulumi from "@pulumi/pulumi";
import { loadBalancedPorts } from "../../components/plan";
import type { ProviderContext } from "../types";
import { requireComputed } from "../vm/computed";
import type { LoadBalancerFront } from "../vm/provider";
import { AWS_TYPES } from "./computed";
import type { AwsFoundation, AwsScope } from "./foundation";
import type { AwsMachine, AwsNetwork } from "./host";

export function createNlb(s: AwsScope, ctx: ProviderContext, f: AwsFoundation, front: LoadBalancerFront<AwsNetwork, AwsMachine>): pulumi.Output<string> {
    const { args } = ctx.plan;
    const aws = f.aws;
    const parent = ctx.parent;
    const name = s.name;
    const arnOf = (type: string, resource: string, arn: pulumi.Output<string>) => arn.apply((a) => requireComputed(name, type, resource, "arn", a));

    const nlb = new aws.lb.LoadBalancer(`${name}-nlb`, {
        namePrefix: "rd-",
        loadBalancerType: "network",
        internal: true,
        // One subnet per zone of the deployment (an NLB takes at most one per zone).
        subnets: f.subnets.apply((ss) => args.zones.map((z) => ss.find((x) => x.zone === z)?.id).filter((id): id is string => id !== undefined)),
        securityGroups: [f.securityGroup.id],
        enableCrossZoneLoadBalancing: true,
        tags: s.tags(`${name}-nlb`),
    }, { parent });
    const nlbArn = arnOf(AWS_TYPES.loadBalancer, `${name}-nlb`, nlb.arn);

    const arns = [nlbArn];
    const listeners = loadBalancedPorts(ctx.plan).map((port) => ({ purpose: port === args.port ? "write" : "read", port }));
    for (const { purpose, port } of listeners) {
        const resource = `${name}-nlb-${purpose}`;
        const targetGroup = new aws.lb.TargetGroup(resource, {
            namePrefix: purpose === "write" ? "rdw-" : "rdr-",
            port,
            protocol: "TCP",
            targetType: "ip",
            vpcId: f.vpcId,
            deregistrationDelay: 30,
            connectionTermination: true,
            healthCheck: { protocol: "TCP", port: "traffic-port", interval: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
            tags: s.tags(resource),
        }, { parent });
        const targetGroupArn = arnOf(AWS_TYPES.targetGroup, resource, targetGroup.arn);
        arns.push(targetGroupArn);
        front.targetNames.forEach((target) => new aws.lb.TargetGroupAttachment(`${resource}-${target}`, {
            targetGroupArn,
            targetId: front.targets.apply((ts) => ts.find((t) => t.name === target)!.address),
            port,
        }, { parent }));
        new aws.lb.Listener(resource, {
            loadBalancerArn: nlbArn,
            port,
            protocol: "TCP",
            defaultActions: [{ type: "forward", targetGroupArn }],
            tags: s.tags(resource),
        }, { parent });
    }
    // The endpoint also waits for the ARNs the listeners and targets were given.
    return pulumi.all([nlb.dnsName, ...arns]).apply(([dns]) => `${requireComputed(name, AWS_TYPES.loadBalancer, `${name}-nlb`, "dnsName", dns)}:${args.port}`);
}

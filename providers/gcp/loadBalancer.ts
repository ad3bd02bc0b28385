// An internal passthrough TCP load balancer in front of the proxies (or of the member in
// standalone mode): a regional TCP health check, a regional backend service (scheme INTERNAL)
// over one unmanaged instance group per zone, and a forwarding rule on the reserved address for
// the Redis port (and the proxies' read port). Packets keep the load balancer's address as
// destination, so its backends listen on it too (alsoListenOn).
import * as pulumi from "@pulumi/pulumi";
import { loadBalancedPorts } from "../../components/plan";
import type { ProviderContext } from "../types";
import { requireComputed } from "../vm/computed";
import type { LoadBalancerFront } from "../vm/provider";
import { GCP_TYPES } from "./computed";
import type { GcpFoundation, GcpScope } from "./foundation";
import type { GcpMachine, GcpNetwork } from "./host";
import { projectOfNetwork, regionOfZone } from "./naming";

/** Where Google's health check probes come from (they must reach the load balancer's backends). */
export const HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"];

export function createInternalLoadBalancer(s: GcpScope, ctx: ProviderContext, f: GcpFoundation, front: LoadBalancerFront<GcpNetwork, GcpMachine>): pulumi.Output<string> {
    const { args } = ctx.plan;
    const { compute } = f.gcp;
    const parent = ctx.parent;
    const name = s.name;
    const lb = f.lb!;
    const region = regionOfZone(args.zones[0])!;
    const ports = loadBalancedPorts(ctx.plan);
    const backends = front.backends.map((b) => ({
        zone: b.network.host.zone,
        selfLink: b.machine.instance.selfLink.apply((l) => requireComputed(name, GCP_TYPES.instance, b.network.host.name, "selfLink", l)),
    }));

    const groups = args.zones.filter((z) => backends.some((b) => b.zone === z)).map((zone) => {
        const group = new compute.InstanceGroup(`${name}-lb-${zone}`, {
            zone,
            network: f.network,
            description: `redis-deployment ${name}: load balancer backends in ${zone}`,
            instances: backends.filter((b) => b.zone === zone).map((b) => b.selfLink),
        }, { parent });
        return group.selfLink.apply((l) => requireComputed(name, GCP_TYPES.instanceGroup, `${name}-lb-${zone}`, "selfLink", l));
    });
    const healthCheck = new compute.RegionHealthCheck(`${name}-lb`, {
        region,
        description: `redis-deployment ${name}: the Redis port answers`,
        tcpHealthCheck: { port: args.port },
        checkIntervalSec: 5,
        timeoutSec: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
    }, { parent });
    const backendService = new compute.RegionBackendService(`${name}-lb`, {
        region,
        loadBalancingScheme: "INTERNAL",
        protocol: "TCP",
        network: f.network,
        healthChecks: healthCheck.id,
        connectionDrainingTimeoutSec: 30,
        backends: groups.map((group) => ({ group, balancingMode: "CONNECTION" })),
    }, { parent });
    new compute.ForwardingRule(`${name}-lb`, {
        region,
        loadBalancingScheme: "INTERNAL",
        ipProtocol: "TCP",
        ports: ports.map(String),
        ipAddress: lb.address,
        network: f.network,
        subnetwork: lb.subnetwork.selfLink,
        backendService: backendService.id,
        labels: s.labels(),
    }, { parent });
    // Google's health checkers must reach the backends (client traffic keeps its source
    // address through a passthrough load balancer: the allowed networks' rules cover it).
    new compute.Firewall(`${name}-lb-health-checks`, {
        network: f.network,
        project: f.network.apply((n) => projectOfNetwork(n)),
        direction: "INGRESS",
        description: `redis-deployment ${name}: Google's load balancer health checks`,
        allows: [{ protocol: "tcp", ports: [String(args.port)] }],
        sourceRanges: HEALTH_CHECK_RANGES,
        targetTags: [f.tag],
    }, { parent });
    // The endpoint also waits for the self links the instance groups and the backend service were given.
    return pulumi.all([lb.address, ...backends.map((b) => b.selfLink), ...groups]).apply(([address]) => `${address}:${args.port}`);
}

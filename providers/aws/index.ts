// The AWS provider: Redis members, sentinels and HAProxy on EC2 in existing subnets.
//
// The FireCamp idea: a member's identity outlives its VM. Every VM gets its network interface
// (ENI) as a resource of its own, carrying the VM's address and one secondary private IP per
// node it runs; every member gets its own EBS volume in its zone, attached by a separate
// VolumeAttachment. Neither the ENI nor the volume depends on the instance, so a replaced
// instance (new AMI, ...) gets the same ENI and volumes back and the member returns with the
// same address and data. Instances are replaced delete-first (an ENI can be the primary
// interface of one instance only); a changed instance type or user data is applied in place
// by AWS (stop, modify, start).
//
// Addresses are assigned by AWS and read back: each ENI asks for one secondary private IP per
// node (`privateIpsCount`) in the subnet its host was given (rendezvous hashing per zone, see
// providers/vm/layout.ts); the ENI's secondary IPs, lowest first, go to its nodes in order. An
// ENI never changes its addresses, so a member keeps its address on every run, when its
// instance is replaced, and when shards or replicas are added; and AWS never hands out an
// address another workload in a shared subnet already holds.
//
// @pulumi/aws is loaded only when this provider is used (an optional peer dependency).
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import type * as awsSdk from "@pulumi/aws";
import type { RedisDeploymentArgs } from "../../components/args";
import type { AddressedMember, AddressedNode, TopologyPlan } from "../../components/types";
import type { InfraProvider, NodeHandles, ProviderContext, ProxyNode } from "../types";
import { VmProvider } from "../vm/provider";
import { renderBootScript } from "../vm/bootScript";
import { firewallPlan } from "../vm/firewall";
import {
    LayoutError, assignSubnets, mastersFollowedBy, nodeNames, placeHost, withAddresses, type HostKind, type HostPlan, type PlacedHost, type SubnetInfo,
} from "../vm/layout";
import { SECRET_KEYS, SECRET_NAMES, type SecretKey } from "../vm/secrets";
import { awsBootHooks, awsDeviceName, awsDiskDevices } from "./boot";
import { architectureOf } from "./instanceTypes";
import { validateAwsArgs, type ResolvedAwsArgs } from "./validate";

export type { AwsProviderArgs } from "./args";
export { validateAwsArgs, type ResolvedAwsArgs } from "./validate";
export { AWS_INSTANCE_CATALOG, architectureOf, pickInstanceType } from "./instanceTypes";

type Aws = typeof awsSdk;

/** The official Debian account that publishes Debian's AMIs. */
export const DEBIAN_AMI_OWNER = "136693071363";
/** AWS accepts at most 16 KiB of raw user data; larger scripts are sent gzip-compressed (cloud-init unpacks them). */
export const USER_DATA_LIMIT = 16384;
export const ROOT_VOLUME_GIB = 16;
/** VMs boot, install packages and read secrets before Redis answers: the bootstrap waits this long. */
export const AWS_BOOTSTRAP_TIMEOUT_MS = 20 * 60 * 1000;

/** SSM parameter name suffix of each secret. */
export const PARAMETER_NAMES: Record<SecretKey, string> = SECRET_NAMES;

function loadAws(): Aws {
    try {
        return require("@pulumi/aws") as Aws;
    } catch (err) {
        throw new pulumi.RunError(`provider "aws" needs the @pulumi/aws package (an optional peer dependency of redis-deployment): npm install @pulumi/aws@7 (${(err as Error).message.split("\n")[0]})`);
    }
}

/** User data as AWS takes it: plain text when it fits, else gzip in userDataBase64. */
export function encodeUserData(script: string): { userData?: string; userDataBase64?: string } {
    if (Buffer.byteLength(script) <= USER_DATA_LIMIT) return { userData: script };
    const packed = zlib.gzipSync(Buffer.from(script), { level: 9 });
    if (packed.length > USER_DATA_LIMIT) throw new Error(`the boot script is ${packed.length} bytes even compressed, more than AWS' ${USER_DATA_LIMIT}; lower aws.membersPerInstance`);
    return { userDataBase64: packed.toString("base64") };
}

/** The boot script of an instance's user data, whichever way it was encoded. */
export function decodeUserData(inputs: { userData?: string; userDataBase64?: string }): string {
    if (inputs.userData) return inputs.userData;
    if (inputs.userDataBase64) return zlib.gunzipSync(Buffer.from(inputs.userDataBase64, "base64")).toString();
    return "";
}

interface SubnetLookup extends SubnetInfo {
    vpcId: string;
    region: string;
}

/** What every VM of the deployment shares; created once, on the first call. */
interface Foundation {
    aws: Aws;
    parent: pulumi.Resource;
    subnets: pulumi.Output<SubnetLookup[]>;
    /** Host name -> its subnet. */
    subnetOf: pulumi.Output<Record<string, SubnetInfo>>;
    vpcId: pulumi.Output<string>;
    region: pulumi.Output<string>;
    securityGroup: awsSdk.ec2.SecurityGroup;
    securityGroupRules: pulumi.Resource[];
    instanceProfile: awsSdk.iam.InstanceProfile;
    rolePolicy: awsSdk.iam.RolePolicy;
    parameters: Partial<Record<SecretKey, awsSdk.ssm.Parameter>>;
    amis: Map<string, pulumi.Output<string>>;
}

interface HostResources {
    host: HostPlan;
    networkInterface: awsSdk.ec2.NetworkInterface;
    instance: awsSdk.ec2.Instance;
    volumes: awsSdk.ebs.Volume[];
    attachments: awsSdk.ec2.VolumeAttachment[];
}

/** EC2 instances in existing subnets, one ENI per instance and one EBS volume per member. */
export class AwsProvider extends VmProvider<ResolvedAwsArgs> implements InfraProvider {
    readonly kind = "aws" as const;
    readonly bootstrapTimeoutMs = AWS_BOOTSTRAP_TIMEOUT_MS;
    private foundationCache?: Foundation;
    /** The members' addresses, once members() ran (sentinel hosts render with them). */
    private memberAddresses?: pulumi.Output<AddressedMember[]>;

    constructor(name: string, args: RedisDeploymentArgs, plan: TopologyPlan) {
        super(name, plan, (env) => validateAwsArgs(name, args.aws, plan, env), (o) => o.membersPerInstance);
    }

    private tags(resource: string, extra: Record<string, string> = {}): Record<string, string> {
        return { ...this.options.tags, "redis-deployment": this.name, Name: resource, ...extra };
    }

    private foundation(ctx: ProviderContext): Foundation {
        if (this.foundationCache) return this.foundationCache;
        const aws = loadAws();
        const parent = ctx.parent;
        const name = this.name;
        const o = this.options;

        const subnets: pulumi.Output<SubnetLookup[]> = pulumi.output(o.subnetIds).apply((ids) => {
            if (ids.length === 0) this.fail("aws.subnetIds: must list at least one subnet");
            return pulumi.all(ids.map((id) => aws.ec2.getSubnetOutput({ id }, { parent })));
        }).apply((found) => {
            const lookups = found.map((s) => ({
                id: s.id, zone: s.availabilityZone, cidr: s.cidrBlock, vpcId: s.vpcId,
                region: s.region || s.availabilityZone.replace(/[a-z]$/, ""),
            }));
            const vpcs = [...new Set(lookups.map((s) => s.vpcId))];
            if (vpcs.length > 1) {
                this.fail(`aws.subnetIds: the subnets are in ${vpcs.length} VPCs (${lookups.map((s) => `${s.id}: ${s.vpcId}`).join(", ")}); one deployment lives in one VPC`);
            }
            const duplicate = lookups.find((s, i) => lookups.findIndex((t) => t.id === s.id) !== i);
            if (duplicate) this.fail(`aws.subnetIds: ${duplicate.id} is listed twice`);
            return lookups;
        });
        const subnetOf = subnets.apply((ss) => {
            try {
                return assignSubnets(this.hosts, ss, "aws.subnetIds");
            } catch (err) {
                if (err instanceof LayoutError) this.fail(err.message);
                throw err;
            }
        });
        const vpcId = subnets.apply((ss) => ss[0].vpcId);
        const region = subnets.apply((ss) => ss[0].region);

        // Security group: the deployment's ports from the group itself, client ports also from
        // aws.allowedCidrs / aws.allowedSecurityGroupIds. Nothing else comes in.
        const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId,
            description: `redis-deployment ${name}: Redis, cluster bus, Sentinel and HAProxy ports`,
            revokeRulesOnDelete: true,
            tags: this.tags(`${name}-sg`),
        }, { parent });
        const securityGroupRules: pulumi.Resource[] = [];
        const cidrSlug = (cidr: string) => cidr.replace(/[./]/g, "-");
        for (const rule of firewallPlan(this.plan)) {
            const common = { securityGroupId: securityGroup.id, ipProtocol: "tcp", fromPort: rule.port, toPort: rule.port };
            securityGroupRules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-${rule.purpose}-from-self`, {
                ...common, referencedSecurityGroupId: securityGroup.id, description: `${rule.description}, between the deployment's hosts`,
                tags: this.tags(`${name}-${rule.purpose}-from-self`),
            }, { parent }));
            if (!rule.clients) continue;
            for (const cidr of o.allowedCidrs) {
                securityGroupRules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-${rule.purpose}-from-${cidrSlug(cidr)}`, {
                    ...common, cidrIpv4: cidr, description: `${rule.description}, from allowed network ${cidr}`,
                    tags: this.tags(`${name}-${rule.purpose}-from-${cidrSlug(cidr)}`),
                }, { parent }));
            }
            o.allowedSecurityGroupIds.forEach((sg, i) => {
                securityGroupRules.push(new aws.vpc.SecurityGroupIngressRule(`${name}-${rule.purpose}-from-sg${i}`, {
                    ...common, referencedSecurityGroupId: sg, description: `${rule.description}, from an allowed security group`,
                    tags: this.tags(`${name}-${rule.purpose}-from-sg${i}`),
                }, { parent }));
            });
        }
        // Out: the distribution's mirrors, SSM, and the peers.
        securityGroupRules.push(new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, {
            securityGroupId: securityGroup.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0",
            description: "packages, SSM Parameter Store, peers", tags: this.tags(`${name}-egress`),
        }, { parent }));

        // The passwords, as SecureString parameters the instances read at boot.
        const keys: SecretKey[] = SECRET_KEYS.filter((k) => k !== "password" || this.plan.args.authEnabled);
        const parameters: Partial<Record<SecretKey, awsSdk.ssm.Parameter>> = {};
        for (const key of keys) {
            const resource = `${name}-ssm-${PARAMETER_NAMES[key]}`;
            parameters[key] = new aws.ssm.Parameter(resource, {
                name: `${o.parameterPrefix}/${PARAMETER_NAMES[key]}`,
                type: "SecureString",
                value: pulumi.secret(ctx.credentials.apply((c) => c[key])),
                keyId: o.kmsKeyId,
                description: `redis-deployment ${name}: ${key}`,
                tags: this.tags(resource),
            }, { parent, deleteBeforeReplace: true });
        }

        // The instances' role: read those parameters, nothing else.
        const role = new aws.iam.Role(`${name}-role`, {
            description: `redis-deployment ${name}: instances read their passwords from SSM`,
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags: this.tags(`${name}-role`),
        }, { parent });
        const rolePolicy = new aws.iam.RolePolicy(`${name}-read-secrets`, {
            role: role.id,
            policy: pulumi.all([pulumi.all(keys.map((k) => parameters[k]!.arn)), region]).apply(([arns, r]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: arns },
                    ...(o.kmsKeyId ? [{
                        Effect: "Allow", Action: ["kms:Decrypt"], Resource: "*",
                        Condition: { StringEquals: { "kms:ViaService": `ssm.${r}.amazonaws.com` } },
                    }] : []),
                ],
            })),
        }, { parent });
        const instanceProfile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags: this.tags(`${name}-profile`) }, { parent });

        this.foundationCache = {
            aws, parent, subnets, subnetOf, vpcId, region, securityGroup, securityGroupRules, instanceProfile, rolePolicy, parameters, amis: new Map(),
        };
        return this.foundationCache;
    }

    /** The Debian 12 AMI for an instance type's architecture (looked up once per architecture), or aws.ami. */
    private ami(f: Foundation, instanceType: string): pulumi.Output<string> {
        if (this.options.ami) return pulumi.output(this.options.ami);
        const arch = architectureOf(instanceType);
        let ami = f.amis.get(arch);
        if (!ami) {
            ami = f.aws.ec2.getAmiOutput({
                owners: [DEBIAN_AMI_OWNER],
                mostRecent: true,
                filters: [
                    { name: "name", values: [`debian-12-${arch === "arm64" ? "arm64" : "amd64"}-*`] },
                    { name: "architecture", values: [arch] },
                    { name: "virtualization-type", values: ["hvm"] },
                    { name: "root-device-type", values: ["ebs"] },
                ],
            }, { parent: f.parent }).id;
            f.amis.set(arch, ami);
        }
        return ami;
    }

    private secretRefs(f: Foundation): Record<SecretKey, string> {
        return Object.fromEntries(SECRET_KEYS.filter((k) => f.parameters[k]).map((k) => [k, `${this.options.parameterPrefix}/${PARAMETER_NAMES[k]}`])) as Record<SecretKey, string>;
    }

    /**
     * A host's network interface, a resource of its own: AWS picks its primary address (the
     * VM's) and one secondary address per node in the host's subnet.
     */
    private createInterface(ctx: ProviderContext, f: Foundation, host: HostPlan): { host: HostPlan; networkInterface: awsSdk.ec2.NetworkInterface; placed: pulumi.Output<PlacedHost> } {
        const nodes = nodeNames(host);
        const subnet = f.subnetOf.apply((m) => m[host.name]);
        const networkInterface = new f.aws.ec2.NetworkInterface(`${host.name}-eni`, {
            subnetId: subnet.apply((s) => s.id),
            privateIpsCount: nodes.length,
            securityGroups: [f.securityGroup.id, ...this.options.securityGroupIds],
            description: `redis-deployment ${this.name}: ${host.kind} host ${host.name} (${nodes.join(", ")})`,
            tags: this.tags(`${host.name}-eni`),
        }, { parent: ctx.parent });
        const placed = pulumi.all([subnet, networkInterface.privateIp, networkInterface.privateIps]).apply(([s, primary, all]) => placeHost(host, s, primary, all ?? []));
        return { host, networkInterface, placed };
    }

    /**
     * One VM on its interface: its members' volumes, the instance (user data = the boot
     * script), and the volume attachments.
     */
    private createHost(ctx: ProviderContext, f: Foundation, nic: ReturnType<AwsProvider["createInterface"]>, instanceType: string, allMembers: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[] = []): HostResources {
        const aws = f.aws;
        const parent = ctx.parent;
        const o = this.options;
        const { host, networkInterface, placed } = nic;

        const volumes = host.members.map((m) => new aws.ebs.Volume(`${m.name}-data`, {
            availabilityZone: m.zone,
            size: o.volumeSizeGiB,
            type: o.volumeType,
            iops: o.volumeIops,
            encrypted: true,
            kmsKeyId: o.kmsKeyId,
            tags: this.tags(`${m.name}-data`, { "redis-deployment:member": m.name }),
        }, { parent }));
        const deviceNames = host.members.map((_, i) => awsDeviceName(i));

        const script = pulumi.all([placed, allMembers, f.region, pulumi.all(volumes.map((v) => v.id))]).apply(([p, members, region, volumeIds]) =>
            renderBootScript({
                plan: this.plan,
                placed: p,
                allMembers: members,
                disks: Object.fromEntries(host.members.map((m, i) => [m.name, awsDiskDevices(volumeIds[i], deviceNames[i])])),
                secretRefs: this.secretRefs(f),
                hooks: awsBootHooks(region),
            }));
        const userData = script.apply(encodeUserData);

        const instance = new aws.ec2.Instance(host.name, {
            ami: this.ami(f, instanceType),
            instanceType,
            iamInstanceProfile: f.instanceProfile.name,
            keyName: o.keyName,
            primaryNetworkInterface: { networkInterfaceId: networkInterface.id, deleteOnTermination: false },
            userData: userData.apply((u) => u.userData),
            userDataBase64: userData.apply((u) => u.userDataBase64),
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { volumeType: "gp3", volumeSize: ROOT_VOLUME_GIB, encrypted: true, deleteOnTermination: true },
            tags: this.tags(host.name, { "redis-deployment:role": host.kind }),
        }, {
            parent,
            // The ENI can be the primary interface of one instance at a time: the old instance
            // goes first. Its volume attachments are replaced with it (also delete-first).
            deleteBeforeReplace: true,
            // A newer Debian AMI must not replace running members; aws.ami set explicitly does.
            ignoreChanges: o.ami ? [] : ["ami"],
            dependsOn: [f.rolePolicy, ...f.securityGroupRules, ...dependsOn],
        });

        const attachments = host.members.map((m, i) => new aws.ec2.VolumeAttachment(`${m.name}-data-attachment`, {
            instanceId: instance.id,
            volumeId: volumes[i].id,
            deviceName: deviceNames[i],
            // Stop the instance before detaching, so Redis has flushed and the filesystem is clean.
            stopInstanceBeforeDetaching: true,
        }, { parent, deleteBeforeReplace: true }));

        return { host, networkInterface, instance, volumes, attachments };
    }

    private handles<T extends AddressedNode>(_f: Foundation, nodes: pulumi.Output<T[]>, created: HostResources[]): NodeHandles<T> {
        const resources: pulumi.Resource[] = created.flatMap((h) => [h.networkInterface, h.instance, ...h.attachments]);
        return {
            nodes,
            resources,
            // A replaced instance or re-made attachment changes these ids: the bootstrap runs again.
            generation: pulumi.all(created.map((h) => pulumi.all([h.instance.id, ...h.attachments.map((a) => a.id)]).apply((ids) => ids.join("+"))))
                .apply((ids) => ids.join(",")),
        };
    }

    private hostsOf(kind: HostKind): HostPlan[] {
        return this.hosts.filter((h) => h.kind === kind);
    }

    /** The nodes of `kind` with the addresses their hosts' interfaces got. */
    private addressed<T extends { name: string }>(nics: ReturnType<AwsProvider["createInterface"]>[], nodes: T[]): pulumi.Output<(T & { address: string })[]> {
        return pulumi.all(nics.map((n) => n.placed)).apply((placed) => withAddresses(placed, nodes));
    }

    members(ctx: ProviderContext): NodeHandles<AddressedMember> {
        const f = this.foundation(ctx);
        const nics = this.hostsOf("member").map((h) => this.createInterface(ctx, f, h));
        const all = this.addressed(nics, ctx.plan.members) as pulumi.Output<AddressedMember[]>;
        this.memberAddresses = all;
        const nicOf = new Map(nics.flatMap((nic) => nic.host.members.map((m) => [m.name, nic] as const)));
        const created = nics.map((nic) => {
            const masters = mastersFollowedBy(ctx.plan, nic.host);
            const peers = this.addressed(masters.map((m) => nicOf.get(m.name)!), masters) as pulumi.Output<AddressedMember[]>;
            return this.createHost(ctx, f, nic, this.options.instanceType, peers);
        });
        return this.handles(f, all, created);
    }

    sentinels(ctx: ProviderContext): NodeHandles {
        const f = this.foundation(ctx);
        const nics = this.hostsOf("sentinel").map((h) => this.createInterface(ctx, f, h));
        const all = this.addressed(nics, ctx.plan.sentinels) as pulumi.Output<AddressedNode[]>;
        // sentinel.conf names no member (the bootstrap tells the sentinels the master).
        const created = nics.map((nic) => this.createHost(ctx, f, nic, this.options.sentinelInstanceType, pulumi.output([] as AddressedMember[])));
        return this.handles(f, all, created);
    }

    proxies(ctx: ProviderContext, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode> {
        const f = this.foundation(ctx);
        const nics = this.hostsOf("proxy").map((h) => this.createInterface(ctx, f, h));
        const all = this.addressed(nics, ctx.plan.proxies) as pulumi.Output<ProxyNode[]>;
        const created = nics.map((nic) => this.createHost(ctx, f, nic, this.options.proxyInstanceType, members, dependsOn));
        return this.handles(f, all, created);
    }

    /**
     * An internal NLB (cross-zone, so every zone's NLB node reaches every proxy) in front of
     * the proxies, or of the member in standalone mode. Targets are the nodes' own addresses
     * (target type ip), so a replaced instance needs no re-registration. The NLB carries the
     * deployment's security group, whose self rule lets it reach the targets.
     */
    loadBalancer(ctx: ProviderContext, proxies: NodeHandles<ProxyNode>): pulumi.Output<string> | undefined {
        const { args } = ctx.plan;
        if (!args.loadBalancer) return undefined;
        const f = this.foundation(ctx);
        const aws = f.aws;
        const parent = ctx.parent;
        const name = this.name;
        const viaProxies = ctx.plan.proxies.length > 0;
        const targets: pulumi.Output<{ name: string; address: string }[]> = viaProxies
            ? proxies.nodes
            : (this.memberAddresses ?? pulumi.output([]));
        const targetNames = viaProxies ? ctx.plan.proxies.map((p) => p.name) : ctx.plan.members.filter((m) => m.role === "master").map((m) => m.name);

        const nlb = new aws.lb.LoadBalancer(`${name}-nlb`, {
            namePrefix: "rd-",
            loadBalancerType: "network",
            internal: true,
            // One subnet per zone of the deployment (an NLB takes at most one per zone).
            subnets: f.subnets.apply((ss) => args.zones.map((z) => ss.find((s) => s.zone === z)?.id).filter((id): id is string => id !== undefined)),
            securityGroups: [f.securityGroup.id],
            enableCrossZoneLoadBalancing: true,
            tags: this.tags(`${name}-nlb`),
        }, { parent });

        const listeners = [{ purpose: "write", port: args.port }];
        if (viaProxies) listeners.push({ purpose: "read", port: ctx.plan.proxies[0].readPort });
        for (const { purpose, port } of listeners) {
            const targetGroup = new aws.lb.TargetGroup(`${name}-nlb-${purpose}`, {
                namePrefix: purpose === "write" ? "rdw-" : "rdr-",
                port,
                protocol: "TCP",
                targetType: "ip",
                vpcId: f.vpcId,
                deregistrationDelay: 30,
                connectionTermination: true,
                healthCheck: { protocol: "TCP", port: "traffic-port", interval: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
                tags: this.tags(`${name}-nlb-${purpose}`),
            }, { parent });
            targetNames.forEach((target) => new aws.lb.TargetGroupAttachment(`${name}-nlb-${purpose}-${target}`, {
                targetGroupArn: targetGroup.arn,
                targetId: targets.apply((ts) => ts.find((t) => t.name === target)!.address),
                port,
            }, { parent }));
            new aws.lb.Listener(`${name}-nlb-${purpose}`, {
                loadBalancerArn: nlb.arn,
                port,
                protocol: "TCP",
                defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
                tags: this.tags(`${name}-nlb-${purpose}`),
            }, { parent });
        }
        return pulumi.interpolate`${nlb.dnsName}:${args.port}`;
    }
}

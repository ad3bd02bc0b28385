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
// The skeleton (hosts, boot scripts, handles) is the VM base's (providers/vm/provider.ts); this
// folder has AWS's parts: foundation.ts (subnets, security group, SSM, IAM, AMIs), host.ts (ENI,
// volumes, instance, attachments), loadBalancer.ts (NLB), computed.ts (what AWS computes).
//
// @pulumi/aws is loaded only when this provider is used (an optional peer dependency).
import type { RedisDeploymentArgs } from "../../components/args";
import type { TopologyPlan } from "../../components/types";
import type { InfraProvider } from "../types";
import { storeAwsSecretFile } from "./secretFiles";
import { VmProvider, type VmCloud } from "../vm/provider";
import { awsLogGroupName, createAwsFoundation, type AwsFoundation, type AwsScope } from "./foundation";
import { grantAwsStorage } from "./storageGrant";
import { awsBootParts, createInstance, createInterface, createVolumes, type AwsDisks, type AwsMachine, type AwsNetwork } from "./host";
import { createNlb } from "./loadBalancer";
import { validateAwsArgs, type ResolvedAwsArgs } from "./validate";

export type { AwsProviderArgs } from "./args";
export { validateAwsArgs, type ResolvedAwsArgs } from "./validate";
export { AWS_INSTANCE_CATALOG, architectureOf, pickInstanceType } from "./instanceTypes";
export { DEBIAN_AMI_OWNER, PARAMETER_NAMES } from "./foundation";
export { ROOT_VOLUME_GIB, USER_DATA_LIMIT, decodeUserData, encodeUserData } from "./host";
export { AWS_TYPES, COMPUTED_OUTPUTS, DERIVED_OUTPUTS } from "./computed";

/** VMs boot, install packages and read secrets before Redis answers: the bootstrap waits this long. */
export const AWS_BOOTSTRAP_TIMEOUT_MS = 20 * 60 * 1000;

/** AWS's parts of a VM deployment (the skeleton is providers/vm/provider.ts). */
export const AWS_CLOUD: VmCloud<ResolvedAwsArgs, AwsScope, AwsFoundation, AwsNetwork, AwsMachine, AwsDisks> = {
    kind: "aws",
    bootstrapTimeoutMs: AWS_BOOTSTRAP_TIMEOUT_MS,
    validate: (name, args, plan, env) => validateAwsArgs(name, args.aws, plan, env),
    membersPerHost: (o) => o.membersPerInstance,
    sizes: (o) => ({ member: o.instanceType, sentinel: o.sentinelInstanceType, proxy: o.proxyInstanceType }),
    scope: (base) => ({
        ...base,
        sizes: [...new Set(base.hosts.map((h) => h.kind))].map((kind) => AWS_CLOUD.sizes(base.options)[kind]),
        tags: (resource, extra = {}) => ({ ...base.options.tags, "redis-deployment": base.name, Name: resource, ...extra }),
    }),
    foundation: createAwsFoundation,
    grantStorage: grantAwsStorage,
    network: createInterface,
    disks: createVolumes,
    bootParts: awsBootParts,
    logDestination: (s) => ({ destination: `CloudWatch Logs group ${awsLogGroupName(s)} (a stream per node, <host>/boot for the boot script)`, files: true }),
    machine: createInstance,
    loadBalancer: createNlb,
    storeSecretFile: storeAwsSecretFile,
};

/** EC2 instances in existing subnets, one ENI per instance and one EBS volume per member. */
export class AwsProvider extends VmProvider<ResolvedAwsArgs, AwsScope, AwsFoundation, AwsNetwork, AwsMachine, AwsDisks> implements InfraProvider {
    constructor(name: string, args: RedisDeploymentArgs, plan: TopologyPlan) {
        super(name, args, plan, AWS_CLOUD);
    }
}

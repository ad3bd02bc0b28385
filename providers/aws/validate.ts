// Checks the `aws` arguments when the AWS provider is constructed, before any resource exists,
// and fills in the defaults. Every problem is reported at once, each naming its field
// (`aws.subnetIds: ...`), like the deployment's own validation.
import * as pulumi from "@pulumi/pulumi";
import type { TopologyPlan } from "../../components/types";
import { SectionChecks, requireSection } from "../vm/argChecks";
import { hostMemoryBytes } from "../vm/sizing";
import { AWS_VOLUME_TYPES, type AwsProviderArgs, type AwsVolumeType } from "./args";
import {
    AWS_INSTANCE_CATALOG, DEFAULT_SMALL_INSTANCE_TYPE, INSTANCE_TYPE_PATTERN, architectureOf,
} from "./instanceTypes";

export interface ResolvedAwsArgs {
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    allowedCidrs: string[];
    allowedSecurityGroupIds: pulumi.Input<string>[];
    /** Chosen by the sizing rule unless given. */
    instanceType: string;
    instanceTypeGiven: boolean;
    sentinelInstanceType: string;
    proxyInstanceType: string;
    membersPerInstance: number;
    ami?: string;
    volumeType: AwsVolumeType;
    volumeSizeGiB: number;
    volumeIops?: number;
    kmsKeyId?: string;
    parameterPrefix: string;
    securityGroupIds: pulumi.Input<string>[];
    keyName?: string;
    tags: Record<string, string>;
}

const KNOWN: (keyof AwsProviderArgs)[] = [
    "subnetIds", "allowedCidrs", "allowedSecurityGroupIds", "instanceType", "sentinelInstanceType",
    "proxyInstanceType", "membersPerInstance", "ami", "volumeType", "volumeSizeGiB", "volumeIops", "kmsKeyId",
    "parameterPrefix", "securityGroupIds", "keyName", "tags",
];

const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
const PARAMETER_PREFIX = /^(\/[A-Za-z0-9_.-]+)+$/;

/** The default SSM path of a deployment's passwords. */
export function defaultParameterPrefix(project: string, stack: string, name: string): string {
    const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "-");
    return `/redis-deployment/${clean(project)}/${clean(stack)}/${name}`;
}

/**
 * Validates `args.aws` against the plan. Throws RedisDeploymentArgumentError listing every
 * problem (the caller turns it into a pulumi.RunError).
 */
export function validateAwsArgs(name: string, raw: unknown, plan: TopologyPlan, env: { project: string; stack: string }): ResolvedAwsArgs {
    const { args } = plan;
    const a = requireSection(name, "aws", raw, "at least aws.subnetIds (existing subnets, one or more per zone) and aws.allowedCidrs (who may connect)") as Partial<AwsProviderArgs> & Record<string, unknown>;
    const checks = new SectionChecks("aws");
    const problem = (field: string, message: string) => checks.problem(field, message);
    checks.unknownFields(a, KNOWN);
    const text = checks.text.bind(checks);
    const integer = checks.integer.bind(checks);
    const idList = checks.idList.bind(checks);

    // Network.
    let subnetIds: pulumi.Input<pulumi.Input<string>[]> = [];
    if (a.subnetIds === undefined) {
        problem("subnetIds", `is required: existing subnets of one VPC, at least one in each zone (${args.zones.join(", ")})`);
    } else if (pulumi.Output.isInstance(a.subnetIds) || a.subnetIds instanceof Promise) {
        subnetIds = a.subnetIds; // known later; the zone check runs once the subnets are looked up
    } else if (!Array.isArray(a.subnetIds) || a.subnetIds.length === 0) {
        problem("subnetIds", `must list at least one subnet id like "subnet-0123456789abcdef0", one or more per zone (${args.zones.join(", ")})`);
    } else {
        subnetIds = idList("subnetIds", a.subnetIds, SUBNET_ID, "subnet-0123456789abcdef0");
    }

    const allowedCidrs = checks.cidrs("allowedCidrs", a.allowedCidrs);
    const allowedSecurityGroupIds = idList("allowedSecurityGroupIds", a.allowedSecurityGroupIds, SECURITY_GROUP_ID, "sg-0123456789abcdef0");
    const cidrProblem = checks.has("allowedCidrs");
    if (allowedCidrs.length === 0 && allowedSecurityGroupIds.length === 0 && !cidrProblem) {
        problem("allowedCidrs", "is required (or aws.allowedSecurityGroupIds): the networks that may connect to Redis, including the machine running `pulumi up` (the bootstrap connects to every member directly)");
    }
    const securityGroupIds = idList("securityGroupIds", a.securityGroupIds, SECURITY_GROUP_ID, "sg-0123456789abcdef0");

    // Machines.
    const membersPerInstance = integer("membersPerInstance", a.membersPerInstance, 1, 16) ?? 1;
    const needed = hostMemoryBytes(args.maxmemoryBytes, membersPerInstance);
    const typePattern = INSTANCE_TYPE_PATTERN;
    const typeHint = ' (an EC2 instance type like "r6i.large")';
    const { name: instanceType, given: instanceTypeGiven } = checks.machineType("instanceType", a.instanceType, {
        catalog: AWS_INSTANCE_CATALOG, needed, membersPerHost: membersPerInstance, pattern: typePattern, hint: typeHint, kind: "instance type", fallback: DEFAULT_SMALL_INSTANCE_TYPE,
    });
    const sentinelInstanceType = text("sentinelInstanceType", a.sentinelInstanceType, typePattern, `is not valid${typeHint}`) ?? DEFAULT_SMALL_INSTANCE_TYPE;
    const proxyInstanceType = text("proxyInstanceType", a.proxyInstanceType, typePattern, `is not valid${typeHint}`) ?? DEFAULT_SMALL_INSTANCE_TYPE;
    const ami = text("ami", a.ami, AMI_ID, 'is not valid (an AMI id like "ami-0123456789abcdef0")');
    if (ami) {
        const used = [instanceType, ...(plan.sentinels.length ? [sentinelInstanceType] : []), ...(plan.proxies.length ? [proxyInstanceType] : [])];
        const archs = new Set(used.map(architectureOf));
        if (archs.size > 1) problem("ami", `one AMI can not boot both x86_64 and arm64 instance types (${used.join(", ")}); use one architecture, or leave ami out to look up one per architecture`);
    }

    // Disks.
    const volumeType: AwsVolumeType = checks.oneOf("volumeType", a.volumeType, AWS_VOLUME_TYPES, "gp3");
    const volumeSizeGiB = checks.diskSize("volumeSizeGiB", a.volumeSizeGiB, plan);
    const volumeIops = integer("volumeIops", a.volumeIops, 100, 256000);
    if (volumeIops !== undefined && volumeType === "gp2") problem("volumeIops", "gp2 volumes have no provisioned IOPS; use volumeType gp3, io1 or io2");
    if (volumeIops === undefined && a.volumeIops === undefined && (volumeType === "io1" || volumeType === "io2")) {
        problem("volumeIops", `is required with volumeType ${volumeType}`);
    }
    const kmsKeyId = text("kmsKeyId", a.kmsKeyId);

    // Secrets, the rest.
    const parameterPrefix = text("parameterPrefix", a.parameterPrefix, PARAMETER_PREFIX, 'is not valid (an SSM path like "/redis/prod/cache": "/"-separated letters, digits, "_", "." and "-", no trailing "/")')
        ?? defaultParameterPrefix(env.project, env.stack, name);
    const keyName = text("keyName", a.keyName);
    const tags = checks.stringMap("tags", a.tags, (k) => (k.toLowerCase().startsWith("aws:") ? 'the "aws:" prefix is reserved by AWS' : undefined));

    // Arguments of the deployment that AWS can not honour.
    checks.loadBalancerNeedsProxies(plan, "an NLB");

    checks.throwIfAny(name);
    return {
        subnetIds, allowedCidrs, allowedSecurityGroupIds, instanceType, instanceTypeGiven,
        sentinelInstanceType, proxyInstanceType, membersPerInstance, ami, volumeType, volumeSizeGiB, volumeIops,
        kmsKeyId, parameterPrefix, securityGroupIds, keyName, tags,
    };
}

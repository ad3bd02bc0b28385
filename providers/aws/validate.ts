// Checks the `aws` arguments when the AWS provider is constructed, before any resource exists,
// and fills in the defaults. Every problem is reported at once, each naming its field
// (`aws.subnetIds: ...`), like the deployment's own validation.
import * as pulumi from "@pulumi/pulumi";
import type { TopologyPlan } from "../../components/types";
import { RedisDeploymentArgumentError } from "../../components/validate";
import { SectionChecks, isPlainObject, loadBalancerProblems } from "../vm/argumentChecks";
import { dataDiskGiB, hostMemoryBytes } from "../vm/sizing";
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
    const check = new SectionChecks("aws", KNOWN);
    const problem = (field: string, message: string) => check.problem(field, message);
    const { args } = plan;

    if (raw === undefined) {
        throw new RedisDeploymentArgumentError(name, [{ field: "aws", message: 'is required with provider "aws": at least aws.subnetIds (existing subnets, one or more per zone) and aws.allowedCidrs (who may connect)' }]);
    }
    if (!isPlainObject(raw)) throw new RedisDeploymentArgumentError(name, [{ field: "aws", message: "must be an object" }]);
    const a = raw as Partial<AwsProviderArgs> & Record<string, unknown>;
    check.unknownFields(a);

    /** A list whose plain-string entries must match `pattern`; Outputs are checked by AWS later. */
    const idList = (field: keyof AwsProviderArgs, value: unknown, pattern: RegExp, example: string): pulumi.Input<string>[] => {
        if (value === undefined) return [];
        if (!Array.isArray(value)) {
            problem(field, `must be a list of ids like "${example}"`);
            return [];
        }
        value.forEach((v, i) => {
            if (typeof v === "string") {
                if (!pattern.test(v)) problem(`${field}[${i}]`, `${JSON.stringify(v)} is not an id like "${example}"`);
            } else if (!pulumi.Output.isInstance(v) && !(v instanceof Promise)) {
                problem(`${field}[${i}]`, `must be a string or an Output, got ${JSON.stringify(v)}`);
            }
        });
        const plain = value.filter((v): v is string => typeof v === "string");
        const duplicate = plain.find((v, i) => plain.indexOf(v) !== i);
        if (duplicate) problem(field, `"${duplicate}" is listed twice`);
        return value as pulumi.Input<string>[];
    };

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

    const allowedCidrs = check.cidrs("allowedCidrs", a.allowedCidrs);
    const allowedSecurityGroupIds = idList("allowedSecurityGroupIds", a.allowedSecurityGroupIds, SECURITY_GROUP_ID, "sg-0123456789abcdef0");
    const cidrProblem = check.problems.some((p) => p.field.startsWith("aws.allowedCidrs"));
    if (allowedCidrs.length === 0 && allowedSecurityGroupIds.length === 0 && !cidrProblem) {
        problem("allowedCidrs", "is required (or aws.allowedSecurityGroupIds): the networks that may connect to Redis, including the machine running `pulumi up` (the bootstrap connects to every member directly)");
    }
    const securityGroupIds = idList("securityGroupIds", a.securityGroupIds, SECURITY_GROUP_ID, "sg-0123456789abcdef0");

    // Machines.
    const membersPerInstance = check.integer("membersPerInstance", a.membersPerInstance, 1, 16) ?? 1;
    const typePattern = INSTANCE_TYPE_PATTERN;
    const typeHint = ' (an EC2 instance type like "r6i.large")';
    const member = check.memberMachine("instanceType", a.instanceType, {
        catalog: AWS_INSTANCE_CATALOG, needed: hostMemoryBytes(args.maxmemoryBytes, membersPerInstance), perHost: membersPerInstance,
        hostWord: "instance", pattern: typePattern, hint: typeHint, fallback: DEFAULT_SMALL_INSTANCE_TYPE,
    });
    const instanceType = member.machine;
    const sentinelInstanceType = check.text("sentinelInstanceType", a.sentinelInstanceType, typePattern, typeHint) ?? DEFAULT_SMALL_INSTANCE_TYPE;
    const proxyInstanceType = check.text("proxyInstanceType", a.proxyInstanceType, typePattern, typeHint) ?? DEFAULT_SMALL_INSTANCE_TYPE;
    const ami = check.text("ami", a.ami, AMI_ID, ' (an AMI id like "ami-0123456789abcdef0")');
    if (ami) {
        const used = [instanceType, ...(plan.sentinels.length ? [sentinelInstanceType] : []), ...(plan.proxies.length ? [proxyInstanceType] : [])];
        const archs = new Set(used.map(architectureOf));
        if (archs.size > 1) problem("ami", `one AMI can not boot both x86_64 and arm64 instance types (${used.join(", ")}); use one architecture, or leave ami out to look up one per architecture`);
    }

    // Disks.
    const volumeType: AwsVolumeType = check.oneOf("volumeType", a.volumeType, AWS_VOLUME_TYPES, "gp3");
    const volumeSizeGiB = check.diskSize("volumeSizeGiB", a.volumeSizeGiB, plan, dataDiskGiB(args));
    const volumeIops = check.integer("volumeIops", a.volumeIops, 100, 256000);
    if (volumeIops !== undefined && volumeType === "gp2") problem("volumeIops", "gp2 volumes have no provisioned IOPS; use volumeType gp3, io1 or io2");
    if (volumeIops === undefined && a.volumeIops === undefined && (volumeType === "io1" || volumeType === "io2")) {
        problem("volumeIops", `is required with volumeType ${volumeType}`);
    }
    const kmsKeyId = check.text("kmsKeyId", a.kmsKeyId);

    // Secrets, the rest.
    const parameterPrefix = check.text("parameterPrefix", a.parameterPrefix, PARAMETER_PREFIX, ' (an SSM path like "/redis/prod/cache": "/"-separated letters, digits, "_", "." and "-", no trailing "/")')
        ?? defaultParameterPrefix(env.project, env.stack, name);
    const keyName = check.text("keyName", a.keyName);
    const tags = check.tags("tags", a.tags, (k) => (k.toLowerCase().startsWith("aws:") ? 'the "aws:" prefix is reserved by AWS' : undefined));

    const problems = [...check.problems, ...loadBalancerProblems(plan, "NLB")];
    if (problems.length > 0) throw new RedisDeploymentArgumentError(name, problems);
    return {
        subnetIds, allowedCidrs, allowedSecurityGroupIds, instanceType, instanceTypeGiven: member.given,
        sentinelInstanceType, proxyInstanceType, membersPerInstance, ami, volumeType, volumeSizeGiB, volumeIops,
        kmsKeyId, parameterPrefix, securityGroupIds, keyName, tags,
    };
}

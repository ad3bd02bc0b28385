// Checks the `aws` arguments when the AWS provider is constructed, before any resource exists,
// and fills in the defaults. Every problem is reported at once, each naming its field
// (`aws.subnetIds: ...`), like the deployment's own validation.
import * as pulumi from "@pulumi/pulumi";
import type { TopologyPlan } from "../../components/types";
import { RedisDeploymentArgumentError, type ArgumentProblem } from "../../components/validate";
import { parseCidr } from "../vm/ipv4";
import { dataDiskGiB, hostMemoryBytes } from "../vm/sizing";
import { AWS_VOLUME_TYPES, type AwsProviderArgs, type AwsVolumeType } from "./args";
import {
    AWS_INSTANCE_CATALOG, DEFAULT_SMALL_INSTANCE_TYPE, INSTANCE_TYPE_PATTERN, architectureOf, pickInstanceType,
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
const GIB = 1024 ** 3;

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value) && !pulumi.Output.isInstance(value);
}

function suggestion(key: string): string {
    const lower = key.toLowerCase();
    const guess = KNOWN.find((k) => k.toLowerCase() === lower)
        ?? KNOWN.find((k) => lower.length >= 4 && k.toLowerCase().startsWith(lower.slice(0, 4)));
    return guess ? `; did you mean "${guess}"?` : `; known fields: ${KNOWN.join(", ")}`;
}

function formatGiB(bytes: number): string {
    return `${Math.round((bytes / GIB) * 100) / 100} GiB`;
}

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
    const problems: ArgumentProblem[] = [];
    const problem = (field: string, message: string) => problems.push({ field: `aws.${field}`, message });
    const { args } = plan;

    if (raw === undefined) {
        throw new RedisDeploymentArgumentError(name, [{ field: "aws", message: 'is required with provider "aws": at least aws.subnetIds (existing subnets, one or more per zone) and aws.allowedCidrs (who may connect)' }]);
    }
    if (!isPlainObject(raw)) throw new RedisDeploymentArgumentError(name, [{ field: "aws", message: "must be an object" }]);
    const a = raw as Partial<AwsProviderArgs> & Record<string, unknown>;

    for (const key of Object.keys(a)) {
        if (a[key] !== undefined && !(KNOWN as string[]).includes(key)) problem(key, `unknown field${suggestion(key)}`);
    }

    const text = (field: keyof AwsProviderArgs, value: unknown, pattern?: RegExp, hint = ""): string | undefined => {
        if (value === undefined) return undefined;
        if (typeof value !== "string" || value === "") {
            problem(field, `must be a non-empty string, got ${JSON.stringify(value)}`);
            return undefined;
        }
        if (pattern && !pattern.test(value)) {
            problem(field, `${JSON.stringify(value)} is not valid${hint}`);
            return undefined;
        }
        return value;
    };
    const integer = (field: keyof AwsProviderArgs, value: unknown, min: number, max: number, hint = ""): number | undefined => {
        if (value === undefined) return undefined;
        if (typeof value !== "number" || !Number.isInteger(value)) {
            problem(field, `must be a whole number, got ${JSON.stringify(value)}`);
            return undefined;
        }
        if (value < min || value > max) {
            problem(field, `must be between ${min} and ${max}, got ${value}${hint}`);
            return undefined;
        }
        return value;
    };
    /** A list whose plain-string entries must match `pattern`; Outputs are checked by AWS later. */
    const idList = (field: keyof AwsProviderArgs, value: unknown, pattern: RegExp, example: string): pulumi.Input<string>[] => {
        if (value === undefined) return [];
        if (!Array.isArray(value)) {
            problem(field, `must be a list of ids like "${example}"`);
            return [];
        }
        value.forEach((v, i) => {
            if (typeof v === "string") {
                if (!pattern.test(v)) problem(`${field}[${i}]` as keyof AwsProviderArgs, `${JSON.stringify(v)} is not an id like "${example}"`);
            } else if (!pulumi.Output.isInstance(v) && !(v instanceof Promise)) {
                problem(`${field}[${i}]` as keyof AwsProviderArgs, `must be a string or an Output, got ${JSON.stringify(v)}`);
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

    const allowedCidrs: string[] = [];
    if (a.allowedCidrs !== undefined) {
        if (!Array.isArray(a.allowedCidrs)) problem("allowedCidrs", 'must be a list of IPv4 CIDR blocks like "10.0.0.0/16"');
        else {
            a.allowedCidrs.forEach((c, i) => {
                const cidr = typeof c === "string" ? parseCidr(c) : undefined;
                if (typeof c !== "string" || !/^[\d.]+\/\d{1,2}$/.test(c)) {
                    problem(`allowedCidrs[${i}]` as keyof AwsProviderArgs, `${JSON.stringify(c)} is not an IPv4 CIDR block like "10.0.0.0/16"`);
                } else if (!cidr) {
                    problem(`allowedCidrs[${i}]` as keyof AwsProviderArgs, `"${c}" is not a network address with its prefix (host bits set, or an invalid address)`);
                } else if (cidr.prefixLength === 0) {
                    problem(`allowedCidrs[${i}]` as keyof AwsProviderArgs, `"${c}" would open Redis to every address; name the networks of your applications and of the machine running pulumi`);
                } else if (allowedCidrs.includes(cidr.text)) {
                    problem("allowedCidrs", `"${c}" is listed twice`);
                } else {
                    allowedCidrs.push(cidr.text);
                }
            });
        }
    }
    const allowedSecurityGroupIds = idList("allowedSecurityGroupIds", a.allowedSecurityGroupIds, SECURITY_GROUP_ID, "sg-0123456789abcdef0");
    const cidrProblem = problems.some((p) => p.field.startsWith("aws.allowedCidrs"));
    if (allowedCidrs.length === 0 && allowedSecurityGroupIds.length === 0 && !cidrProblem) {
        problem("allowedCidrs", "is required (or aws.allowedSecurityGroupIds): the networks that may connect to Redis, including the machine running `pulumi up` (the bootstrap connects to every member directly)");
    }
    const securityGroupIds = idList("securityGroupIds", a.securityGroupIds, SECURITY_GROUP_ID, "sg-0123456789abcdef0");

    // Machines.
    const membersPerInstance = integer("membersPerInstance", a.membersPerInstance, 1, 16) ?? 1;
    const needed = hostMemoryBytes(args.maxmemoryBytes, membersPerInstance);
    const typePattern = INSTANCE_TYPE_PATTERN;
    const typeHint = ' (an EC2 instance type like "r6i.large")';
    const givenType = text("instanceType", a.instanceType, typePattern, typeHint);
    let instanceType = givenType ?? pickInstanceType(needed) ?? "";
    if (givenType) {
        const known = AWS_INSTANCE_CATALOG.find((t) => t.name === givenType);
        if (known && known.memoryGiB * GIB < needed) {
            problem("instanceType", `${givenType} has ${known.memoryGiB} GiB; members need ${formatGiB(needed)} (2.5 x maxmemory x ${membersPerInstance} member${membersPerInstance > 1 ? "s" : ""} per instance); use ${pickInstanceType(needed) ?? "a larger type"} or lower maxmemory`);
        }
    } else if (a.instanceType === undefined && !instanceType) {
        problem("instanceType", `no instance type in the built-in list has ${formatGiB(needed)} (2.5 x maxmemory x ${membersPerInstance}); name one or lower maxmemory / membersPerInstance`);
    }
    if (!instanceType) instanceType = DEFAULT_SMALL_INSTANCE_TYPE;
    const sentinelInstanceType = text("sentinelInstanceType", a.sentinelInstanceType, typePattern, typeHint) ?? DEFAULT_SMALL_INSTANCE_TYPE;
    const proxyInstanceType = text("proxyInstanceType", a.proxyInstanceType, typePattern, typeHint) ?? DEFAULT_SMALL_INSTANCE_TYPE;
    const ami = text("ami", a.ami, AMI_ID, ' (an AMI id like "ami-0123456789abcdef0")');
    if (ami) {
        const used = [instanceType, ...(plan.sentinels.length ? [sentinelInstanceType] : []), ...(plan.proxies.length ? [proxyInstanceType] : [])];
        const archs = new Set(used.map(architectureOf));
        if (archs.size > 1) problem("ami", `one AMI can not boot both x86_64 and arm64 instance types (${used.join(", ")}); use one architecture, or leave ami out to look up one per architecture`);
    }

    // Disks.
    let volumeType: AwsVolumeType = "gp3";
    if (a.volumeType !== undefined) {
        if ((AWS_VOLUME_TYPES as readonly unknown[]).includes(a.volumeType)) volumeType = a.volumeType as AwsVolumeType;
        else problem("volumeType", `${JSON.stringify(a.volumeType)} is not one of: ${AWS_VOLUME_TYPES.join(", ")}`);
    }
    const minDisk = dataDiskGiB(args);
    const volumeSizeGiB = integer("volumeSizeGiB", a.volumeSizeGiB, minDisk, 65536,
        ` (members need ${args.persistence.aof ? "6" : "2"} x maxmemory for ${args.persistence.aof ? "AOF rewrites" : "RDB snapshots"}, at least 10 GiB)`) ?? minDisk;
    const volumeIops = integer("volumeIops", a.volumeIops, 100, 256000);
    if (volumeIops !== undefined && volumeType === "gp2") problem("volumeIops", "gp2 volumes have no provisioned IOPS; use volumeType gp3, io1 or io2");
    if (volumeIops === undefined && a.volumeIops === undefined && (volumeType === "io1" || volumeType === "io2")) {
        problem("volumeIops", `is required with volumeType ${volumeType}`);
    }
    const kmsKeyId = text("kmsKeyId", a.kmsKeyId);

    // Secrets, the rest.
    const parameterPrefix = text("parameterPrefix", a.parameterPrefix, PARAMETER_PREFIX, ' (an SSM path like "/redis/prod/cache": "/"-separated letters, digits, "_", "." and "-", no trailing "/")')
        ?? defaultParameterPrefix(env.project, env.stack, name);
    const keyName = text("keyName", a.keyName);
    const tags: Record<string, string> = {};
    if (a.tags !== undefined) {
        if (!isPlainObject(a.tags)) problem("tags", "must be an object of string values");
        else {
            for (const [k, v] of Object.entries(a.tags)) {
                if (typeof v !== "string") problem(`tags.${k}` as keyof AwsProviderArgs, `must be a string, got ${JSON.stringify(v)}`);
                else if (k.toLowerCase().startsWith("aws:")) problem(`tags.${k}` as keyof AwsProviderArgs, 'the "aws:" prefix is reserved by AWS');
                else tags[k] = v;
            }
        }
    }

    // Arguments of the deployment that AWS can not honour.
    if (args.loadBalancer && (args.mode === "replication" || args.mode === "sentinel") && plan.proxies.length === 0) {
        problems.push({ field: "loadBalancer", message: `an NLB in front of ${args.mode} members without HAProxy would send writes to replicas; keep proxy.haproxy on (the NLB then balances over the proxies) or remove loadBalancer` });
    }

    if (problems.length > 0) throw new RedisDeploymentArgumentError(name, problems);
    return {
        subnetIds, allowedCidrs, allowedSecurityGroupIds, instanceType, instanceTypeGiven: givenType !== undefined,
        sentinelInstanceType, proxyInstanceType, membersPerInstance, ami, volumeType, volumeSizeGiB, volumeIops,
        kmsKeyId, parameterPrefix, securityGroupIds, keyName, tags,
    };
}

// What every EC2 instance of a deployment shares, created once before any host: the subnets
// (looked up) and each host's subnet, the security group and its rules, the passwords as SSM
// SecureString parameters, the instance role that may read them, and the Debian AMI of each
// architecture in use.
import * as pulumi from "@pulumi/pulumi";
import type * as awsSdk from "@pulumi/aws";
import { storedSecretValue } from "../../components/config/users";
import type { StoredSecret } from "../../components/types";
import { loadPeerPackage } from "../peerPackage";
import type { ProviderContext } from "../types";
import { requireComputed } from "../vm/computed";
import { LayoutError, assignSubnets, type SubnetInfo } from "../vm/layout";
import { SECRET_NAMES, secretRefs } from "../vm/secrets";
import { AWS_TYPES } from "./computed";
import { architectureOf } from "./instanceTypes";
import type { CloudScope, VmFoundation } from "../vm/provider";
import type { ResolvedAwsArgs } from "./validate";

export type Aws = typeof awsSdk;

/** The official Debian account that publishes Debian's AMIs. */
export const DEBIAN_AMI_OWNER = "136693071363";
/** SSM parameter name suffix of each secret. */
export const PARAMETER_NAMES: Record<StoredSecret, string> = SECRET_NAMES;

/** What the foundation needs of the provider. */
export interface AwsScope extends CloudScope<ResolvedAwsArgs> {
    /** Instance types in use (their architectures pick the AMIs). */
    sizes: string[];
    tags(resource: string, extra?: Record<string, string>): Record<string, string>;
}

export function loadAws(): Aws {
    return loadPeerPackage("aws", "@pulumi/aws", 7, () => require("@pulumi/aws") as Aws);
}

export interface SubnetLookup extends SubnetInfo {
    vpcId: string;
    region: string;
}

export interface AwsFoundation extends VmFoundation {
    aws: Aws;
    parent: pulumi.Resource;
    subnets: pulumi.Output<SubnetLookup[]>;
    /** Host name -> its subnet. */
    subnetOf: pulumi.Output<Record<string, SubnetInfo>>;
    vpcId: pulumi.Output<string>;
    region: pulumi.Output<string>;
    securityGroup: awsSdk.ec2.SecurityGroup;
    securityGroupRules: pulumi.Resource[];
    /** The instance profile's name (AWS names it). */
    instanceProfileName: pulumi.Output<string>;
    rolePolicy: awsSdk.iam.RolePolicy;
    /** Secret key -> its SSM parameter name (only the secrets the deployment stores). */
    secretRefs: Record<StoredSecret, string>;
    /** Architecture -> the AMI every instance of that architecture boots. */
    amis: Record<string, pulumi.Output<string>>;
}

function subnets(s: AwsScope, aws: Aws, parent: pulumi.Resource): pulumi.Output<SubnetLookup[]> {
    return pulumi.output(s.options.subnetIds).apply((ids) => {
        if (ids.length === 0) s.fail("aws.subnetIds: must list at least one subnet");
        return pulumi.all(ids.map((id) => aws.ec2.getSubnetOutput({ id }, { parent })));
    }).apply((found) => {
        const lookups = found.map((x) => ({
            id: x.id, zone: x.availabilityZone, cidr: x.cidrBlock, vpcId: x.vpcId,
            region: x.region || x.availabilityZone.replace(/[a-z]$/, ""),
        }));
        const vpcs = [...new Set(lookups.map((x) => x.vpcId))];
        if (vpcs.length > 1) {
            s.fail(`aws.subnetIds: the subnets are in ${vpcs.length} VPCs (${lookups.map((x) => `${x.id}: ${x.vpcId}`).join(", ")}); one deployment lives in one VPC`);
        }
        const duplicate = lookups.find((x, i) => lookups.findIndex((t) => t.id === x.id) !== i);
        if (duplicate) s.fail(`aws.subnetIds: ${duplicate.id} is listed twice`);
        return lookups;
    });
}

/**
 * Security group: the deployment's ports from the group itself, client ports also from
 * aws.allowedCidrs / aws.allowedSecurityGroupIds. Nothing else comes in.
 */
function securityGroup(s: AwsScope, aws: Aws, parent: pulumi.Resource, vpcId: pulumi.Output<string>): { group: awsSdk.ec2.SecurityGroup; rules: pulumi.Resource[] } {
    const { name, options: o } = s;
    const group = new aws.ec2.SecurityGroup(`${name}-sg`, {
        vpcId,
        description: `redis-deployment ${name}: Redis, cluster bus, Sentinel and HAProxy ports`,
        revokeRulesOnDelete: true,
        tags: s.tags(`${name}-sg`),
    }, { parent });
    const rules: pulumi.Resource[] = [];
    const cidrSlug = (cidr: string) => cidr.replace(/[./]/g, "-");
    const ingress = (resource: string, args: Omit<awsSdk.vpc.SecurityGroupIngressRuleArgs, "tags">) =>
        rules.push(new aws.vpc.SecurityGroupIngressRule(resource, { ...args, tags: s.tags(resource) }, { parent }));
    for (const rule of s.plan.ports) {
        const common = { securityGroupId: group.id, ipProtocol: "tcp", fromPort: rule.port, toPort: rule.port };
        ingress(`${name}-${rule.purpose}-from-self`, { ...common, referencedSecurityGroupId: group.id, description: `${rule.description}, between the deployment's hosts` });
        if (!rule.clients) continue;
        for (const cidr of o.allowedCidrs) {
            ingress(`${name}-${rule.purpose}-from-${cidrSlug(cidr)}`, { ...common, cidrIpv4: cidr, description: `${rule.description}, from allowed network ${cidr}` });
        }
        o.allowedSecurityGroupIds.forEach((sg, i) => {
            ingress(`${name}-${rule.purpose}-from-sg${i}`, { ...common, referencedSecurityGroupId: sg, description: `${rule.description}, from an allowed security group` });
        });
    }
    // Out: the distribution's mirrors, SSM, and the peers.
    rules.push(new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, {
        securityGroupId: group.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0",
        description: "packages, SSM Parameter Store, peers", tags: s.tags(`${name}-egress`),
    }, { parent }));
    return { group, rules };
}

/** The Debian 12 AMI of `arch` (looked up), or aws.ami. */
function ami(s: AwsScope, aws: Aws, parent: pulumi.Resource, arch: string): pulumi.Output<string> {
    if (s.options.ami) return pulumi.output(s.options.ami);
    return aws.ec2.getAmiOutput({
        owners: [DEBIAN_AMI_OWNER],
        mostRecent: true,
        filters: [
            { name: "name", values: [`debian-12-${arch === "arm64" ? "arm64" : "amd64"}-*`] },
            { name: "architecture", values: [arch] },
            { name: "virtualization-type", values: ["hvm"] },
            { name: "root-device-type", values: ["ebs"] },
        ],
    }, { parent }).id;
}

export function createAwsFoundation(s: AwsScope, ctx: ProviderContext): AwsFoundation {
    const aws = loadAws();
    const parent = ctx.parent;
    const { name, options: o } = s;

    const found = subnets(s, aws, parent);
    const subnetOf = found.apply((ss) => {
        try {
            return assignSubnets(s.hosts, ss, "aws.subnetIds");
        } catch (err) {
            if (err instanceof LayoutError) s.fail(err.message);
            throw err;
        }
    });
    const vpcId = found.apply((ss) => ss[0].vpcId);
    const region = found.apply((ss) => ss[0].region);
    const { group, rules } = securityGroup(s, aws, parent, vpcId);

    // The passwords, as SecureString parameters the instances read at boot.
    const keys = s.plan.secrets;
    const parameterArns = keys.map((key) => {
        const resource = `${name}-ssm-${PARAMETER_NAMES[key]}`;
        const parameter = new aws.ssm.Parameter(resource, {
            name: `${o.parameterPrefix}/${PARAMETER_NAMES[key]}`,
            type: "SecureString",
            value: pulumi.secret(ctx.credentials.apply((c) => storedSecretValue(c, key))),
            keyId: o.kmsKeyId,
            description: `redis-deployment ${name}: ${key}`,
            tags: s.tags(resource),
        }, { parent, deleteBeforeReplace: true });
        return parameter.arn.apply((arn) => requireComputed(name, AWS_TYPES.parameter, resource, "arn", arn));
    });
    const refs = secretRefs(keys, (secretName) => `${o.parameterPrefix}/${secretName}`);

    // The instances' role: read those parameters, nothing else.
    const role = new aws.iam.Role(`${name}-role`, {
        description: `redis-deployment ${name}: instances read their passwords from SSM`,
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: s.tags(`${name}-role`),
    }, { parent });
    const rolePolicy = new aws.iam.RolePolicy(`${name}-read-secrets`, {
        role: role.id,
        policy: pulumi.all([pulumi.all(parameterArns), region]).apply(([arns, r]) => JSON.stringify({
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
    const roleName = role.name.apply((n) => requireComputed(name, AWS_TYPES.role, `${name}-role`, "name", n));
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: roleName, tags: s.tags(`${name}-profile`) }, { parent });
    const instanceProfileName = profile.name.apply((n) => requireComputed(name, AWS_TYPES.instanceProfile, `${name}-profile`, "name", n));

    const architectures = [...new Set(s.sizes.map(architectureOf))];
    return {
        aws, parent, subnets: found, subnetOf, vpcId, region, securityGroup: group, securityGroupRules: rules,
        instanceProfileName, rolePolicy, secretRefs: refs,
        amis: Object.fromEntries(architectures.map((arch) => [arch, ami(s, aws, parent, arch)])),
        checks: [...parameterArns, roleName, instanceProfileName],
    };
}

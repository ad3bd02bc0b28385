// RedisDeployment on the AWS provider under Pulumi mocks: the resource graph (ENIs, EBS volumes,
// attachments, instances, security group rules, IAM, SSM, NLB), where members land and which
// addresses they get, what the user data holds (no password), and the resource options that keep
// ENIs and volumes when an instance changes. AWS lookups (getSubnet, getAmi) are answered by the
// mock `call`; the mock plays AWS for what AWS decides (ENI addresses, ids, the NLB's DNS name).
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { passwordHash } from "../../components/config/users";
import { RedisDeployment } from "../../components/redisDeployment";
import { AWS_BOOTSTRAP_TIMEOUT_MS, DEBIAN_AMI_OWNER, decodeUserData } from "../../providers/aws";
import type { AwsProviderArgs } from "../../providers/aws/args";
import { contains, parseCidr, parseIpv4 } from "../../providers/vm/ipv4";
import { assignSubnets } from "../../providers/vm/layout";
import { dataDiskGiB } from "../../providers/vm/sizing";
import { CloudMocks, COMPONENT_TYPE, FreeAddresses, PROJECT, STACK, assertTlsKeysOnlyInSecretStore, deploy, deployBefore, expectRefused, membersFailure, hex, passwordsWith, urnOf, type CloudBehaviour, type Seen } from "../helpers/cloudMocks";
import { MOCK_GENERATED, isWrappedSecret, programResult, unwrap } from "../helpers/mocks";
import { assertBashScriptLints } from "../helpers/shellLint";
const GIVEN_PASSWORD = "given-aws-password-0123456789";
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const VPC = "vpc-0123456789abcdef0";

interface MockSubnet { id: string; zone: string; cidr: string; vpc: string }
/** Two subnets in zone a, one in b and c; one more in another VPC and one in zone d. */
const SUBNETS: MockSubnet[] = [
    { id: "subnet-0aaa000000000000a", zone: "us-east-1a", cidr: "10.20.0.0/24", vpc: VPC },
    { id: "subnet-0aaa000000000000b", zone: "us-east-1a", cidr: "10.20.10.0/25", vpc: VPC },
    { id: "subnet-0bbb000000000000a", zone: "us-east-1b", cidr: "10.20.1.0/24", vpc: VPC },
    { id: "subnet-0ccc000000000000a", zone: "us-east-1c", cidr: "10.20.2.0/24", vpc: VPC },
    { id: "subnet-0ddd000000000000a", zone: "us-east-1d", cidr: "10.20.3.0/24", vpc: VPC },
    { id: "subnet-0eee000000000000a", zone: "us-east-1c", cidr: "10.99.2.0/24", vpc: "vpc-0fedcba9876543210" },
];
const SUBNET_IDS = SUBNETS.slice(0, 4).map((s) => s.id);
const ALLOWED_CIDRS = ["10.20.0.0/16", "192.168.8.0/22"];
const ALLOWED_SG = "sg-0aaaabbbbccccdddd";
const AMI = { x86_64: "ami-0deb12amd64000001", arm64: "ami-0deb12arm64000001" };

const T = {
    eni: "aws:ec2/networkInterface:NetworkInterface",
    instance: "aws:ec2/instance:Instance",
    volume: "aws:ebs/volume:Volume",
    attachment: "aws:ec2/volumeAttachment:VolumeAttachment",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    parameter: "aws:ssm/parameter:Parameter",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    profile: "aws:iam/instanceProfile:InstanceProfile",
    nlb: "aws:lb/loadBalancer:LoadBalancer",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    targetAttachment: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    listener: "aws:lb/listener:Listener",
} as const;

/** AWS's part of the mocks: ENIs get free addresses in their subnet (deterministic per ENI name, like a refresh would read them). */
class AwsBehaviour implements CloudBehaviour {
    /** AWS picks free addresses anywhere in the subnet (not 0-3, not the last). */
    private readonly addresses = new FreeAddresses(4, 1);

    reset(): void {
        this.addresses.clear();
    }

    id(type: string, name: string): string {
        return type === T.volume ? `vol-0${hex(name, 16)}` : type === T.instance ? `i-0${hex(name, 16)}` : `${name}_id`;
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        if (args.token === "aws:ec2/getSubnet:getSubnet") {
            const s = SUBNETS.find((x) => x.id === args.inputs.id);
            if (!s) throw new Error(`InvalidSubnetID.NotFound: ${args.inputs.id}`);
            return { id: s.id, availabilityZone: s.zone, cidrBlock: s.cidr, vpcId: s.vpc, region: "us-east-1", arn: `arn:aws:ec2:us-east-1:123456789012:subnet/${s.id}` };
        }
        if (args.token === "aws:ec2/getAmi:getAmi") {
            const arch = (args.inputs.filters as { name: string; values: string[] }[]).find((f) => f.name === "architecture")!.values[0] as "x86_64" | "arm64";
            return { id: AMI[arch], architecture: arch, name: `debian-12-${arch === "arm64" ? "arm64" : "amd64"}-20260101-1` };
        }
        throw new Error(`unexpected call ${args.token}`);
    }

    computed(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
        const arn = `arn:aws:mock:us-east-1:123456789012:${type.split(":").pop()}/${name}`;
        if (type === T.eni) {
            const subnet = SUBNETS.find((s) => s.id === inputs.subnetId);
            if (!subnet) throw new Error(`ENI ${name}: unknown subnet ${inputs.subnetId}`);
            const pick = (salt: string) => this.addresses.pick(subnet.cidr, `${name}/${salt}`);
            const primary = pick("primary");
            const secondary = Array.from({ length: inputs.privateIpsCount ?? 0 }, (_, i) => pick(`s${i}`));
            // AWS returns the set unordered; the provider must not rely on the order.
            return { privateIp: primary, privateIps: [...secondary].reverse().concat(primary), arn };
        }
        if (type === T.nlb) return { arn, dnsName: `internal-${name}-123456.us-east-1.elb.amazonaws.com` };
        // Auto-naming, as the AWS provider does it.
        if (type === T.role || type === T.profile || type === T.sg) return { arn, name: inputs.name ?? `${name}-${hex(name, 7)}` };
        return { arn };
    }
}

function awsArgs(extra: Partial<AwsProviderArgs> = {}): AwsProviderArgs {
    return { subnetIds: SUBNET_IDS, allowedCidrs: ALLOWED_CIDRS, allowedSecurityGroupIds: [ALLOWED_SG], ...extra };
}

function base(args: RedisDeploymentArgs, aws: Partial<AwsProviderArgs> = {}): RedisDeploymentArgs {
    return { provider: "aws", zones: ZONES, maxmemory: "1gb", auth: { password: GIVEN_PASSWORD }, ...args, aws: awsArgs(aws) };
}

const SECRETS = passwordsWith(GIVEN_PASSWORD);

/** The boot script of an instance (plain or gzip user data). */
function userDataOf(instance: Seen): string {
    const text = decodeUserData({ userData: unwrap(instance.inputs.userData), userDataBase64: unwrap(instance.inputs.userDataBase64) });
    assert.ok(text.startsWith("#!/bin/bash\n"), `${instance.name}: user data is the boot script`);
    return text;
}

/** Which subnet an ENI was put in, and the addresses AWS gave it. */
function eniOf(rec: CloudMocks, host: string) {
    const eni = rec.byName(T.eni, `${host}-eni`);
    const subnet = SUBNETS.find((s) => s.id === eni.inputs.subnetId)!;
    const secondary = (eni.state.privateIps as string[]).filter((a) => a !== eni.state.privateIp).sort((a, b) => parseIpv4(a)! - parseIpv4(b)!);
    return { eni, subnet, primary: eni.state.privateIp as string, secondary };
}

/** Ingress rules as "port from source" strings. */
function ingressRules(rec: CloudMocks, sgUrnOrId: string): string[] {
    return rec.ofType(T.ingress).map((r) => {
        const from = r.inputs.cidrIpv4 ?? (r.inputs.referencedSecurityGroupId === sgUrnOrId ? "self" : r.inputs.referencedSecurityGroupId);
        assert.equal(r.inputs.ipProtocol, "tcp", `${r.name}: tcp only`);
        assert.equal(r.inputs.fromPort, r.inputs.toPort, `${r.name}: one port per rule`);
        assert.equal(r.inputs.securityGroupId, sgUrnOrId, `${r.name}: a rule of the deployment's group`);
        return `${r.inputs.fromPort} from ${from}`;
    }).sort();
}

const hostOf = (hostPort: string) => hostPort.slice(0, hostPort.lastIndexOf(":"));

function expectedRules(ports: { port: number; clients: boolean }[]): string[] {
    return ports.flatMap(({ port, clients }) => [
        `${port} from self`,
        ...(clients ? [...ALLOWED_CIDRS.map((c) => `${port} from ${c}`), `${port} from ${ALLOWED_SG}`] : []),
    ]).sort();
}

describe("AWS provider: component graph under Pulumi mocks", function () {
    this.timeout(120000);
    const rec = new CloudMocks(new AwsBehaviour());

    describe("cluster 3 shards x 2 replicas over 3 zones (spread)", () => {
        const name = "cache";
        const d = deployBefore(rec, name, base({ mode: "cluster", shards: 3, replicasPerShard: 2 }));

        it("has 9 members, one instance, ENI, EBS volume and attachment each, all children of the component", () => {
            assert.equal(d.members.length, 9);
            const names = d.members.map((m) => m.name).sort();
            for (const type of [T.instance, T.eni, T.volume, T.attachment]) assert.equal(rec.ofType(type).length, 9, type);
            assert.deepEqual(rec.ofType(T.instance).map((r) => r.name).sort(), names);
            assert.deepEqual(rec.ofType(T.eni).map((r) => r.name).sort(), names.map((n) => `${n}-eni`).sort());
            assert.deepEqual(rec.ofType(T.volume).map((r) => r.name).sort(), names.map((n) => `${n}-data`).sort());
            assert.equal(rec.ofType(T.nlb).length, 0, "no load balancer unless asked");
            const componentUrn = `urn:pulumi:${STACK}::${PROJECT}::${COMPONENT_TYPE}::${name}`;
            for (const r of rec.registrations.filter((x) => x.type.startsWith("aws:"))) {
                assert.equal(r.parent, componentUrn, `${r.type} ${r.name} must be a child of the component`);
            }
        });

        it("places members per the spread policy: shard s member i in zone (s + i) mod 3, a shard never twice in a zone", () => {
            for (const m of d.members) {
                const index = Number(/-m(\d+)$/.exec(m.name)![1]);
                assert.equal(m.zone, ZONES[(m.shard + index) % 3], `${m.name} zone`);
            }
            for (let s = 0; s < 3; s++) {
                const zones = d.members.filter((m) => m.shard === s).map((m) => m.zone);
                assert.equal(new Set(zones).size, 3, `shard ${s} spans all three zones`);
            }
        });

        it("gives every member a distinct private IP, the ENI's secondary address, inside a subnet of its zone", () => {
            const addresses = d.members.map((m) => m.address);
            assert.equal(new Set(addresses).size, 9, `distinct addresses: ${addresses.join(", ")}`);
            for (const m of d.members) {
                const { subnet, primary, secondary } = eniOf(rec, m.name);
                assert.equal(subnet.zone, m.zone, `${m.name}: ENI in a subnet of its zone`);
                assert.ok(contains(parseCidr(subnet.cidr)!, m.address), `${m.name}: ${m.address} inside ${subnet.cidr}`);
                assert.deepEqual(secondary, [m.address], `${m.name}: the member's address is the ENI's one secondary IP`);
                assert.notEqual(primary, m.address, "the VM's own address is not the member's");
                assert.equal(rec.byName(T.eni, `${m.name}-eni`).inputs.privateIpsCount, 1, "one secondary IP per member on the VM");
            }
            assert.deepEqual(d.clusterNodes, d.members.map((m) => `${m.address}:6379`));
            // Zone us-east-1a has two subnets: each host takes the one rendezvous hashing picks.
            const hosts = d.members.map((m) => ({ name: m.name, kind: "member" as const, zone: m.zone, members: [], sentinels: [], proxies: [] }));
            const chosen = assignSubnets(hosts, SUBNETS.slice(0, 4).map((s) => ({ id: s.id, zone: s.zone, cidr: s.cidr })), "aws.subnetIds");
            for (const m of d.members) assert.equal(eniOf(rec, m.name).subnet.id, chosen[m.name].id, `${m.name}: subnet`);
        });

        it("gives every member its own encrypted EBS volume in its zone, sized 6 x maxmemory, attached to its instance", () => {
            const size = dataDiskGiB({ maxmemoryBytes: 1024 ** 3, persistence: { aof: true, rdb: true } });
            assert.equal(size, 10 > 6 ? 10 : 6, "1gb with AOF: 6 GiB, raised to the 10 GiB minimum");
            for (const m of d.members) {
                const volume = rec.byName(T.volume, `${m.name}-data`);
                assert.equal(volume.inputs.availabilityZone, m.zone, `${m.name}: volume in the member's zone`);
                assert.equal(volume.inputs.size, size);
                assert.equal(volume.inputs.encrypted, true);
                assert.equal(volume.inputs.type, "gp3");
                const attachment = rec.byName(T.attachment, `${m.name}-data-attachment`);
                assert.equal(attachment.inputs.volumeId, `vol-0${hex(`${m.name}-data`, 16)}`, `${m.name}: attaches its own volume`);
                assert.equal(attachment.inputs.instanceId, `i-0${hex(m.name, 16)}`, `${m.name}: to its own instance`);
                assert.equal(attachment.inputs.deviceName, "/dev/sdf");
                assert.equal(attachment.inputs.stopInstanceBeforeDetaching, true);
            }
        });

        it("sizes instances by memory >= 2.5 x maxmemory (1gb -> t3.medium) and boots them from the looked-up Debian 12 AMI with IMDSv2", () => {
            for (const i of rec.ofType(T.instance)) {
                assert.equal(i.inputs.instanceType, "t3.medium", i.name);
                assert.equal(i.inputs.ami, AMI.x86_64, i.name);
                assert.deepEqual(i.inputs.primaryNetworkInterface, { networkInterfaceId: `${i.name}-eni_id`, deleteOnTermination: false });
                assert.equal(i.inputs.metadataOptions.httpTokens, "required");
                assert.equal(i.inputs.subnetId, undefined, "the subnet comes with the ENI");
                assert.equal(i.inputs.vpcSecurityGroupIds, undefined, "security groups come with the ENI");
            }
            const amiCalls = rec.calls.filter((c) => c.token === "aws:ec2/getAmi:getAmi");
            assert.equal(amiCalls.length, 1, "one AMI lookup per architecture");
            assert.deepEqual(amiCalls[0].inputs.owners, [DEBIAN_AMI_OWNER]);
            assert.equal(amiCalls[0].inputs.mostRecent, true);
            assert.deepEqual(amiCalls[0].inputs.filters.find((f: { name: string }) => f.name === "name").values, ["debian-12-amd64-*"]);
            assert.deepEqual(rec.calls.filter((c) => c.token === "aws:ec2/getSubnet:getSubnet").map((c) => c.inputs.id).sort(), [...SUBNET_IDS].sort());
        });

        it("opens Redis from the group and allowed networks, the cluster bus from the group only, nothing else", () => {
            const sg = rec.ofType(T.sg);
            assert.equal(sg.length, 1);
            assert.equal(sg[0].inputs.vpcId, VPC);
            assert.deepEqual(ingressRules(rec, `${name}-sg_id`), expectedRules([{ port: 6379, clients: true }, { port: 16379, clients: false }]));
            const egress = rec.ofType(T.egress);
            assert.equal(egress.length, 1);
            assert.equal(egress[0].inputs.ipProtocol, "-1");
            for (const eni of rec.ofType(T.eni)) assert.deepEqual(eni.inputs.securityGroups, [`${name}-sg_id`], `${eni.name}: the deployment's group`);
        });

        it("stores the passwords as SecureString parameters (secret inputs) that only the instance role may read", () => {
            const params = rec.ofType(T.parameter);
            assert.deepEqual(params.map((p) => p.inputs.name).sort(), ["admin-password", "monitor-password", "password", "retiring-admin-password", "retiring-monitor-password", "retiring-password"].map((k) => `/redis-deployment/${PROJECT}/${STACK}/${name}/${k}`).sort());
            for (const p of params) {
                assert.equal(p.inputs.type, "SecureString");
                assert.ok(isWrappedSecret(p.inputs.value), `${p.name}: value must be a secret input`);
            }
            assert.equal(unwrap(params.find((p) => p.inputs.name.endsWith("/password"))!.inputs.value), GIVEN_PASSWORD);
            assert.equal(unwrap(params.find((p) => p.inputs.name.endsWith("/admin-password"))!.inputs.value), MOCK_GENERATED.adminPassword);
            const policy = JSON.parse(rec.ofType(T.rolePolicy)[0].inputs.policy);
            assert.deepEqual(policy.Statement, [{ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: params.map((p) => p.state.arn) }]);
            const trust = JSON.parse(rec.ofType(T.role)[0].inputs.assumeRolePolicy);
            assert.deepEqual(trust.Statement[0].Principal, { Service: "ec2.amazonaws.com" });
            const role = rec.ofType(T.role)[0];
            assert.equal(rec.ofType(T.rolePolicy)[0].inputs.role, `${role.name}_id`);
            const profile = rec.ofType(T.profile)[0];
            assert.equal(profile.inputs.role, role.state.name);
            for (const i of rec.ofType(T.instance)) assert.equal(i.inputs.iamInstanceProfile, profile.state.name, `${i.name}: the instance profile`);
        });

        it("puts no password (nor a password's hash) in any user data, and keeps password outputs secret", () => {
            assert.equal(d.secret.password, true);
            assert.equal(d.secret.connectionUrl, true);
            assert.equal(d.password, GIVEN_PASSWORD);
            for (const i of rec.ofType(T.instance)) {
                const script = userDataOf(i);
                for (const s of SECRETS) {
                    assert.ok(!script.includes(s), `${i.name}: user data contains a password`);
                    assert.ok(!script.includes(passwordHash(s)), `${i.name}: user data contains a password hash`);
                }
                assert.ok(!isWrappedSecret(i.inputs.userData), `${i.name}: user data needs no secrecy (it holds no secret)`);
            }
            rec.assertNoPasswordInPlainInputs(SECRETS);
        });

        it("writes each member's boot script: its address, its volume by id, its SSM parameters, its config", () => {
            for (const m of d.members) {
                const script = userDataOf(rec.byName(T.instance, m.name));
                assert.ok(script.includes(`readonly RD_HOST=${m.name}\n`));
                assert.ok(script.includes(`rd_addresses ${m.address}\n`), `${m.name}: ip addr add of its address`);
                assert.ok(script.includes(`rd_disk ${m.name} /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0${hex(`${m.name}-data`, 16)} /dev/xvdf /dev/sdf\n`), `${m.name}: its volume by id`);
                assert.ok(script.includes(`[password]=/redis-deployment/${PROJECT}/${STACK}/${name}/password`));
                assert.ok(script.includes("aws ssm get-parameter --region us-east-1"));
                assert.ok(script.includes(`bind ${m.address}\n`) && script.includes(`cluster-announce-ip ${m.address}\n`), `${m.name}: its redis.conf`);
                assert.ok(script.includes(`rd_redis ${m.name} '' <<'RD_TEMPLATE_END'`), `${m.name}: no initial replicaof in cluster mode`);
            }
        });

        it("hands the cluster bootstrap the members at their AWS addresses, with the cloud timeout, after every instance and attachment", () => {
            const bootstrap = rec.seen.find((r) => r.type.endsWith(":ClusterBootstrap"))!;
            assert.deepEqual(bootstrap.inputs.members.map((m: { name: string; address: string }) => `${m.name}@${m.address}`),
                d.members.map((m) => `${m.name}@${m.address}`));
            assert.equal(bootstrap.inputs.timeoutMs, AWS_BOOTSTRAP_TIMEOUT_MS);
            assert.deepEqual(bootstrap.inputs.access, { kind: "direct" });
            const deps = rec.registration(bootstrap.type, bootstrap.name).dependencies;
            for (const m of d.members) {
                assert.ok(deps.includes(urnOf(T.instance, m.name)), `bootstrap waits for instance ${m.name}`);
                assert.ok(deps.includes(urnOf(T.attachment, `${m.name}-data-attachment`)), `bootstrap waits for ${m.name}'s volume attachment`);
            }
            // generation: instance and attachment ids, so a replaced instance re-runs the bootstrap.
            assert.ok(String(bootstrap.inputs.generation).includes(`i-0${hex("cache-s0-m0", 16)}`));
        });
    });

    describe("dependencies stay linear in the number of members", () => {
        it("a member's instance depends on its own ENI and, outside cluster mode, its shard master's: never on every member", async () => {
            await rec.install();
            await deploy("fan", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }));
            for (const i of rec.ofType(T.instance)) {
                const enis = rec.dependencies(T.instance, i.name).filter((u) => u.includes(T.eni));
                assert.deepEqual(enis, [urnOf(T.eni, `${i.name}-eni`)], `${i.name}: only its own ENI`);
            }
            await rec.install();
            await deploy("fan", base({ mode: "sentinel", replicasPerShard: 2 }));
            for (const i of rec.ofType(T.instance).filter((x) => /-s0-m\d$/.test(x.name))) {
                const enis = rec.dependencies(T.instance, i.name).filter((u) => u.includes(T.eni)).sort();
                const expected = [...new Set([`${i.name}-eni`, "fan-s0-m0-eni"])].map((n) => urnOf(T.eni, n)).sort();
                assert.deepEqual(enis, expected, `${i.name}: its ENI and the master's`);
            }
            const proxyEnis = rec.dependencies(T.instance, "fan-proxy0").filter((u) => u.includes(T.eni));
            assert.equal(proxyEnis.length, 4, "a proxy lists every member (3) plus its own ENI");
        });
    });

    describe("an instance change keeps ENIs and volumes", () => {
        it("instances are replaced delete-first and ignore newer AMIs; ENIs and volumes never depend on an instance; attachments do", async () => {
            await rec.install();
            await deploy("keep", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }));
            for (const i of rec.ofType(T.instance)) {
                const reg = rec.registration(T.instance, i.name);
                assert.equal(reg.deleteBeforeReplace, true, `${i.name}: the ENI can be primary on one instance only, so the old one goes first`);
                assert.deepEqual(reg.ignoreChanges, ["ami"], `${i.name}: a newer Debian AMI does not replace a running member`);
                assert.ok(rec.dependencies(T.instance, i.name).includes(urnOf(T.eni, `${i.name}-eni`)), "the instance uses its ENI");
                assert.ok(rec.dependencies(T.instance, i.name).includes(urnOf(T.volume, `${i.name}-data`)), "the instance's boot script names its volume");
            }
            const instanceUrns = rec.ofType(T.instance).map((i) => urnOf(T.instance, i.name));
            for (const type of [T.eni, T.volume]) {
                for (const r of rec.ofType(type)) {
                    const deps = rec.dependencies(type, r.name);
                    assert.deepEqual(deps.filter((u) => instanceUrns.includes(u)), [], `${r.name} must not depend on an instance`);
                    assert.deepEqual(deps.filter((u) => u.includes(T.attachment)), [], `${r.name} must not depend on an attachment`);
                    assert.equal(rec.registration(type, r.name).replaceOnChanges.length, 0);
                }
            }
            for (const a of rec.ofType(T.attachment)) {
                const member = a.name.replace(/-data-attachment$/, "");
                const deps = rec.dependencies(T.attachment, a.name);
                assert.ok(deps.includes(urnOf(T.instance, member)) && deps.includes(urnOf(T.volume, `${member}-data`)), `${a.name} references instance and volume`);
                assert.equal(rec.registration(T.attachment, a.name).deleteBeforeReplace, true, "a volume can be attached once: detach before re-attaching");
            }
        });

        it("a changed instance type changes only the instances' instanceType: ENI, volume and attachment inputs stay identical", async () => {
            const snapshot = () => rec.snapshot("aws:", unwrap);
            await rec.install();
            await deploy("resize", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }, { instanceType: "r6i.large" }));
            const before = snapshot();
            await rec.install();
            await deploy("resize", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }, { instanceType: "r6i.xlarge" }));
            const after = snapshot();
            assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort(), "the same resources");
            const changed = Object.keys(after).filter((k) => after[k] !== before[k]).sort();
            assert.deepEqual(changed, rec.ofType(T.instance).map((i) => `${T.instance}::${i.name}`).sort(), "only instances change");
            for (const k of changed) {
                const a = JSON.parse(before[k]);
                const b = JSON.parse(after[k]);
                assert.equal(a.instanceType, "r6i.large");
                assert.equal(b.instanceType, "r6i.xlarge");
                assert.deepEqual({ ...a, instanceType: undefined }, { ...b, instanceType: undefined }, `${k}: nothing else changes (not even the user data)`);
            }
        });
    });

    describe("an AMI given explicitly", () => {
        it("is used without a lookup, and changing it changes only the instances (replaced delete-first), not ENIs or volumes", async () => {
            const snapshot = () => rec.snapshot("aws:", unwrap);
            await rec.install();
            await deploy("pinned", base({ mode: "replication" }, { ami: "ami-0aaaaaaaaaaaaaaa1" }));
            assert.deepEqual(rec.calls.filter((c) => c.token === "aws:ec2/getAmi:getAmi"), [], "no lookup");
            for (const i of rec.ofType(T.instance)) {
                assert.equal(i.inputs.ami, "ami-0aaaaaaaaaaaaaaa1");
                assert.deepEqual(rec.registration(T.instance, i.name).ignoreChanges, [], `${i.name}: a changed aws.ami is applied`);
                assert.equal(rec.registration(T.instance, i.name).deleteBeforeReplace, true);
            }
            const before = snapshot();
            await rec.install();
            await deploy("pinned", base({ mode: "replication" }, { ami: "ami-0aaaaaaaaaaaaaaa2" }));
            const after = snapshot();
            const changed = Object.keys(after).filter((k) => after[k] !== before[k]).sort();
            assert.deepEqual(changed, rec.ofType(T.instance).map((i) => `${T.instance}::${i.name}`).sort());
            for (const k of changed) assert.deepEqual({ ...JSON.parse(before[k]), ami: 0 }, { ...JSON.parse(after[k]), ami: 0 }, `${k}: only the AMI`);
        });
    });

    describe("colocate-masters", () => {
        it("puts every master in the first zone and the replicas in the others", async () => {
            await rec.install();
            const d = await deploy("colo", base({ mode: "cluster", shards: 3, replicasPerShard: 2, placement: "colocate-masters" }));
            for (const m of d.members) {
                if (m.role === "master") assert.equal(m.zone, "us-east-1a", m.name);
                else assert.notEqual(m.zone, "us-east-1a", m.name);
                assert.equal(eniOf(rec, m.name).subnet.zone, m.zone);
                assert.equal(rec.byName(T.volume, `${m.name}-data`).inputs.availabilityZone, m.zone);
            }
            for (let s = 0; s < 3; s++) {
                const replicaZones = d.members.filter((m) => m.shard === s && m.role === "replica").map((m) => m.zone).sort();
                assert.deepEqual(replicaZones, ["us-east-1b", "us-east-1c"], `shard ${s}: replicas in b and c`);
            }
        });
    });

    describe("sentinel 1 + 2 with 3 sentinels, 2 proxies and an NLB", () => {
        const name = "sent";
        const d = deployBefore(rec, name, base({ mode: "sentinel", replicasPerShard: 2, sentinels: 3, loadBalancer: true }));

        it("has VMs for 3 members (with volumes), 3 sentinels and 2 proxies (without)", () => {
            assert.deepEqual(rec.ofType(T.instance).map((i) => i.name).sort(),
                ["sent-proxy0", "sent-proxy1", "sent-s0-m0", "sent-s0-m1", "sent-s0-m2", "sent-sentinel0", "sent-sentinel1", "sent-sentinel2"]);
            assert.deepEqual(rec.ofType(T.volume).map((v) => v.name).sort(), ["sent-s0-m0-data", "sent-s0-m1-data", "sent-s0-m2-data"]);
            for (const n of ["sent-sentinel0", "sent-proxy0"]) {
                assert.equal(rec.byName(T.instance, n).inputs.instanceType, "t3.small");
                assert.ok(!/\n {4}rd_disk /.test(userDataOf(rec.byName(T.instance, n))), `${n}: no data disk`);
            }
            const all = [...d.members.map((m) => m.address), ...d.sentinelAddresses.map((a) => a.split(":")[0]), ...d.proxyAddresses.map((a) => a.split(":")[0])];
            assert.equal(new Set(all).size, 8, "every node its own address");
            for (const [i, a] of d.sentinelAddresses.entries()) {
                const { subnet, secondary } = eniOf(rec, `sent-sentinel${i}`);
                assert.equal(a, `${secondary[0]}:26379`);
                assert.equal(subnet.zone, ZONES[i], "sentinels rotate over the zones");
            }
        });

        it("opens Redis, Sentinel and the proxy read port (group + allowed), no cluster bus", () => {
            assert.deepEqual(ingressRules(rec, `${name}-sg_id`), expectedRules([{ port: 6379, clients: true }, { port: 26379, clients: true }, { port: 6380, clients: true }]));
        });

        it("fronts the proxies with an internal cross-zone NLB: listeners 6379 and 6380 to ip targets at the proxies", () => {
            const nlb = rec.ofType(T.nlb);
            assert.equal(nlb.length, 1);
            assert.equal(nlb[0].inputs.internal, true);
            assert.equal(nlb[0].inputs.loadBalancerType, "network");
            assert.equal(nlb[0].inputs.enableCrossZoneLoadBalancing, true);
            assert.deepEqual(nlb[0].inputs.securityGroups, [`${name}-sg_id`], "the group's self rule lets the NLB reach the proxies");
            const subnets = (nlb[0].inputs.subnets as string[]).map((id) => SUBNETS.find((s) => s.id === id)!);
            assert.deepEqual(subnets.map((s) => s.zone), ZONES, "one subnet per zone");
            const listeners = rec.ofType(T.listener).map((l) => ({ port: l.inputs.port, protocol: l.inputs.protocol, tg: l.inputs.defaultActions[0].targetGroupArn }));
            assert.deepEqual(listeners.map((l) => `${l.protocol}:${l.port}`).sort(), ["TCP:6379", "TCP:6380"]);
            for (const l of listeners) {
                const tg = rec.ofType(T.targetGroup).find((t) => t.state.arn === l.tg)!;
                assert.equal(tg.inputs.port, l.port);
                assert.equal(tg.inputs.targetType, "ip");
                assert.equal(tg.inputs.vpcId, VPC);
                const targets = rec.ofType(T.targetAttachment).filter((a) => a.inputs.targetGroupArn === tg.state.arn).map((a) => `${a.inputs.targetId}:${a.inputs.port}`).sort();
                assert.deepEqual(targets, d.proxyAddresses.map((p) => `${p.split(":")[0]}:${l.port}`).sort());
            }
            assert.equal(d.endpoint, `internal-${name}-nlb-123456.us-east-1.elb.amazonaws.com:6379`);
        });

        it("renders each kind's boot script with only the secrets it needs, none inline", () => {
            const secretsOf = (n: string) => /\n {4}rd_secrets ([^\n]*)\n/.exec(userDataOf(rec.byName(T.instance, n)))![1];
            assert.equal(secretsOf("sent-s0-m0"), "password adminPassword monitorPassword retiringPassword retiringAdminPassword retiringMonitorPassword");
            assert.equal(secretsOf("sent-sentinel0"), "password adminPassword retiringPassword retiringAdminPassword", "sentinels: the clients' user and rd-admin (bootstrap, peers)");
            assert.equal(secretsOf("sent-proxy0"), "monitorPassword");
            const proxy = userDataOf(rec.byName(T.instance, "sent-proxy1"));
            for (const m of d.members) assert.ok(proxy.includes(`server ${m.name} ${m.address}:6379`), `proxy config lists ${m.name}`);
            assert.ok(proxy.includes("@@RD_SECRET_monitorPassword@@"), "the monitor password is a placeholder");
            assert.ok(/rd_packages haproxy awscli curl\n/.test(proxy));
            assert.ok(/rd_packages redis-sentinel awscli curl\n/.test(userDataOf(rec.byName(T.instance, "sent-sentinel0"))));
            for (const i of rec.ofType(T.instance)) for (const s of SECRETS) assert.ok(!userDataOf(i).includes(s), `${i.name} leaks a password`);
        });

        it("starts new replicas following the planned master, and proxies only after the bootstrap", () => {
            const master = d.members.find((m) => m.role === "master")!;
            for (const m of d.members.filter((x) => x.role === "replica")) {
                assert.ok(userDataOf(rec.byName(T.instance, m.name)).includes(`rd_redis ${m.name} '${master.address} 6379' <<'RD_TEMPLATE_END'`), m.name);
            }
            const bootstrapUrn = urnOf("pulumi-nodejs:dynamic/redis-deployment:SentinelBootstrap", `${name}-sentinel`);
            for (const p of ["sent-proxy0", "sent-proxy1"]) assert.ok(rec.registration(T.instance, p).dependencies.includes(bootstrapUrn), `${p} waits for the bootstrap`);
            for (const s of ["sent-sentinel0", "sent-s0-m0"]) assert.ok(!rec.registration(T.instance, s).dependencies.includes(bootstrapUrn));
        });
    });

    describe("replication 1 + 1 without load balancer", () => {
        it("has 2 member VMs and 2 proxies, no NLB, Redis and the proxy read port open", async () => {
            await rec.install();
            const d = await deploy("repl", base({ mode: "replication" }));
            assert.equal(d.members.length, 2);
            assert.equal(rec.ofType(T.volume).length, 2);
            assert.equal(rec.ofType(T.nlb).length + rec.ofType(T.listener).length + rec.ofType(T.targetGroup).length, 0);
            assert.equal(d.proxyAddresses.length, 2);
            assert.equal(d.endpoint, d.proxyAddresses[0], "the first proxy is the endpoint");
            assert.deepEqual(ingressRules(rec, "repl-sg_id"), expectedRules([{ port: 6379, clients: true }, { port: 6380, clients: true }]));
        });
    });

    describe("replication 1 + 1 with metrics", () => {
        it("opens the exporter and HAProxy stats ports to the deployment and metrics.allowedCidrs only; every member runs an exporter", async () => {
            await rec.install();
            const d = await deploy("mon", base({ mode: "replication", metrics: { allowedCidrs: ["10.50.0.0/24"] } }));
            assert.deepEqual(ingressRules(rec, "mon-sg_id"), [
                ...expectedRules([{ port: 6379, clients: true }, { port: 6380, clients: true }]),
                "9121 from self", "9121 from 10.50.0.0/24", "1936 from self", "1936 from 10.50.0.0/24",
            ].sort(), "the metrics ports: never from the clients' networks, never from 0.0.0.0/0");
            const targets = await new Promise<string[]>((r) => d.deployment.metricsTargets.apply(r));
            assert.deepEqual(targets, [...d.members.map((m) => `${m.address}:9121`), ...d.proxyAddresses.map((p) => p.replace(/:\d+$/, ":1936"))]);
            for (const m of d.members) {
                const script = userDataOf(rec.byName(T.instance, m.name));
                assert.ok(script.includes(`rd_exporter ${m.name} redis://${m.address}:6379 ${m.address}:9121 <<'RD_TEMPLATE_END'`), `${m.name} runs its exporter`);
                assert.match(script, /\n {4}rd_packages [^\n]*prometheus-redis-exporter/);
            }
            const proxy = userDataOf(rec.byName(T.instance, "mon-proxy0"));
            assert.ok(proxy.includes(`bind ${hostOf(d.proxyAddresses[0])}:1936\n`), "HAProxy's stats on the proxy's own address");
            assert.ok(!proxy.includes("rd_exporter "), "no exporter on a proxy VM");
        });
    });

    describe("replication 1 + 1 with logs", () => {
        it("a log group with the retention asked for; the role may only create and write streams in it; each VM's CloudWatch agent ships every unit", async () => {
            await rec.install();
            const d = await deploy("lg", base({ mode: "replication", logs: { retentionDays: 14 } }));
            const [group] = rec.ofType("aws:cloudwatch/logGroup:LogGroup");
            assert.equal(group.inputs.name, "/redis-deployment/proj/dev/lg");
            assert.equal(group.inputs.retentionInDays, 14);
            const policy = JSON.parse(unwrap(rec.byName("aws:iam/rolePolicy:RolePolicy", "lg-write-logs").inputs.policy));
            assert.deepEqual(policy.Statement, [{
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [`arn:aws:mock:us-east-1:123456789012:LogGroup/lg-logs:*`],
            }], "no CreateLogGroup, no other group, no retention change");
            const logsUrn = urnOf("aws:iam/rolePolicy:RolePolicy", "lg-write-logs");
            for (const i of rec.ofType(T.instance)) {
                assert.ok(rec.registration(T.instance, i.name).dependencies.includes(logsUrn), `${i.name} boots once it may write`);
                const script = userDataOf(i);
                const config = JSON.parse(/\n {4}rd_log_agent <<'RD_TEMPLATE_END'\n([\s\S]*?)\nRD_TEMPLATE_END/.exec(script)![1]);
                const streams = config.logs.logs_collected.files.collect_list.map((f: any) => [f.log_stream_name, f.file_path, f.log_group_name]);
                // One member, sentinel or proxy per instance here: its unit, and the boot log.
                assert.deepEqual(streams, [...[i.name].map((u) => [u, `/var/log/redis-deployment/${u}.log`, "/redis-deployment/proj/dev/lg"]), [`${i.name}/boot`, "/var/log/cloud-init-output.log", "/redis-deployment/proj/dev/lg"]]);
                assert.equal(config.agent.region, "us-east-1");
            }
            const logs = await new Promise<any>((r) => d.deployment.logs.apply(r));
            assert.ok(logs.destination.startsWith("CloudWatch Logs group /redis-deployment/proj/dev/lg "), logs.destination);
            assert.deepEqual(Object.keys(logs.files).sort(), ["lg-proxy0", "lg-proxy1", "lg-s0-m0", "lg-s0-m1"]);
            assert.equal(logs.files["lg-s0-m0"], "lg-s0-m0:/var/log/redis-deployment/lg-s0-m0.log");
        });
    });

    describe("standalone with a load balancer", () => {
        it("puts the NLB's one listener in front of the member", async () => {
            await rec.install();
            const d = await deploy("solo", base({ mode: "standalone", loadBalancer: true }));
            assert.equal(rec.ofType(T.listener).length, 1);
            const target = rec.ofType(T.targetAttachment);
            assert.deepEqual(target.map((t) => `${t.inputs.targetId}:${t.inputs.port}`), [`${d.members[0].address}:6379`]);
            assert.match(d.endpoint, /^internal-solo-nlb-.*:6379$/);
        });
    });

    describe("more members per instance", () => {
        it("packs 3 members of different shards per VM of a zone, sizes the VM for them, compresses the larger user data", async () => {
            await rec.install();
            const d = await deploy("pack", base({ mode: "cluster", shards: 3, replicasPerShard: 2 }, { membersPerInstance: 3 }));
            const instances = rec.ofType(T.instance);
            assert.equal(instances.length, 3);
            assert.equal(rec.ofType(T.volume).length, 9);
            for (const i of instances) {
                assert.equal(i.inputs.instanceType, "m6i.large", "3 x 2.5 x 1gb = 7.5 GiB");
                assert.equal(i.inputs.userData, undefined, "too large for plain user data");
                const script = userDataOf(i);
                const members = [...script.matchAll(/\n {4}rd_disk (\S+) /g)].map((m) => m[1]);
                assert.equal(members.length, 3);
                const ms = members.map((n) => d.members.find((m) => m.name === n)!);
                assert.equal(new Set(ms.map((m) => m.shard)).size, 3, `${i.name}: no two members of one shard`);
                assert.equal(new Set(ms.map((m) => m.zone)).size, 1, `${i.name}: one zone`);
                const { secondary } = eniOf(rec, i.name);
                assert.deepEqual(secondary, ms.map((m) => m.address), `${i.name}: ENI secondary IPs, lowest first, in member order`);
                assert.equal(rec.byName(T.eni, `${i.name}-eni`).inputs.privateIpsCount, 3);
                const devices = rec.ofType(T.attachment).filter((a) => a.inputs.instanceId === `i-0${hex(i.name, 16)}`).map((a) => a.inputs.deviceName).sort();
                assert.deepEqual(devices, ["/dev/sdf", "/dev/sdg", "/dev/sdh"]);
                const checked = spawnSync("bash", ["-n"], { input: script });
                assert.equal(checked.status, 0, String(checked.stderr));
            }
        });
    });

    describe("auth disabled", () => {
        it("stores and fetches no application password", async () => {
            await rec.install();
            await deploy("open", { provider: "aws", zones: ZONES, maxmemory: "1gb", mode: "replication", auth: { enabled: false }, aws: awsArgs() });
            assert.deepEqual(rec.ofType(T.parameter).map((p) => p.inputs.name.split("/").pop()).sort(), ["admin-password", "monitor-password", "retiring-admin-password", "retiring-monitor-password"]);
            for (const i of rec.ofType(T.instance)) {
                const script = userDataOf(i);
                assert.ok(!/\n {4}rd_secrets [^\n]*\bpassword\b/.test(script), `${i.name}: no application password fetched`);
                assert.ok(!/RD_SECRET_REF=\([^\n]*\[password\]/.test(script), `${i.name}: no reference to it`);
                assert.ok(/RD_SECRET_REF=\([^\n]*\[adminPassword\]/.test(script), `${i.name}: (the check can see a reference)`);
            }
        });
    });

    describe("arguments checked when the provider is constructed", () => {
        const bad: { title: string; args: RedisDeploymentArgs; mentions: string[] }[] = [
            { title: "no aws section", args: { provider: "aws", zones: ZONES, maxmemory: "1gb" }, mentions: ["aws:", "subnetIds"] },
            { title: "no subnets", args: { ...base({}), aws: { allowedCidrs: ALLOWED_CIDRS } as AwsProviderArgs }, mentions: ["aws.subnetIds: is required"] },
            { title: "a malformed subnet id", args: base({}, { subnetIds: ["subnet-xyz"] }), mentions: ["aws.subnetIds[0]", "subnet-xyz"] },
            { title: "nobody allowed in", args: base({}, { allowedCidrs: [], allowedSecurityGroupIds: [] }), mentions: ["aws.allowedCidrs: is required"] },
            { title: "a CIDR with host bits", args: base({}, { allowedCidrs: ["10.0.0.1/16"] }), mentions: ["aws.allowedCidrs[0]", "host bits"] },
            { title: "the whole internet", args: base({}, { allowedCidrs: ["0.0.0.0/0"] }), mentions: ["aws.allowedCidrs[0]", "every address"] },
            { title: "a too small instance type", args: base({ maxmemory: "4gb" }, { instanceType: "t3.medium" }), mentions: ["aws.instanceType", "t3.medium", "10 GiB", "r6i.large"] },
            { title: "a misspelt field", args: base({}, { subnetId: ["subnet-0aaa000000000000a"] } as unknown as AwsProviderArgs), mentions: ["aws.subnetId: unknown field", 'did you mean "subnetIds"'] },
            { title: "a disk below the sizing rule", args: base({}, { volumeSizeGiB: 5 }), mentions: ["aws.volumeSizeGiB", "between 10"] },
            { title: "io2 without IOPS", args: base({}, { volumeType: "io2" }), mentions: ["aws.volumeIops: is required"] },
            { title: "one AMI for two architectures", args: base({ mode: "sentinel" }, { ami: "ami-0123456789abcdef0", instanceType: "r7g.large" }), mentions: ["aws.ami", "x86_64 and arm64"] },
            { title: "an NLB before replication members without HAProxy", args: base({ mode: "replication", loadBalancer: true, proxy: { haproxy: false } }), mentions: ["loadBalancer:", "HAProxy"] },
        ];
        for (const c of bad) {
            it(`rejects ${c.title} before registering any resource`, () => expectRefused(rec, c.args, c.mentions));
        }

        it("lists several problems in one error", async () => {
            await rec.install();
            assert.throws(() => new RedisDeployment("bad", base({}, { subnetIds: ["nope"], allowedCidrs: ["x"], membersPerInstance: 0 })),
                (err: Error) => ["aws.subnetIds[0]", "aws.allowedCidrs[0]", "aws.membersPerInstance"].every((f) => err.message.includes(f)));
        });
    });

    describe("subnets that do not fit (found when they are looked up)", () => {
        function failure(aws: Partial<AwsProviderArgs>): string {
            return membersFailure(`{
                newResource: (a) => ({ id: a.name + "_id", state: { ...a.inputs, privateIp: "10.20.0.9", privateIps: ["10.20.0.9", "10.20.0.10"] } }),
                call: (a) => {
                    if (a.token !== "aws:ec2/getSubnet:getSubnet") return { id: "ami-0deb12amd64000001" };
                    const s = ${JSON.stringify(SUBNETS)}.find((x) => x.id === a.inputs.id);
                    return { id: s.id, availabilityZone: s.zone, cidrBlock: s.cidr, vpcId: s.vpc, region: "us-east-1" };
                },
            }`, base({ mode: "cluster" }, aws));
        }

        it("a zone without a subnet names aws.subnetIds and the zone", () => {
            const message = failure({ subnetIds: SUBNET_IDS.filter((id) => !id.startsWith("subnet-0ccc")) });
            assert.match(message, /RedisDeployment "look": aws\.subnetIds: no subnet in zone us-east-1c/);
        });

        it("subnets of two VPCs are refused", () => {
            const message = failure({ subnetIds: [...SUBNET_IDS, "subnet-0eee000000000000a"] });
            assert.match(message, /aws\.subnetIds: the subnets are in 2 VPCs/);
        });
    });
});

describe("AWS provider: loading", function () {
    this.timeout(60000);
    it("a local deployment never loads @pulumi/aws; an AWS one does (providers are required lazily)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-aws-lazy-"));
        try {
            const program = `
                const pulumi = require("@pulumi/pulumi");
                pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "p", "s", false).then(() => {
                    const { RedisDeployment } = require("./components/redisDeployment");
                    new RedisDeployment("lazy", { mode: "standalone", local: { dataDir: ${JSON.stringify(dir)}, addressPrefix: "127.61" } });
                    const loaded = (m) => Object.keys(require.cache).some((k) => k.includes("node_modules/@pulumi/" + m + "/"));
                    const before = loaded("aws");
                    new RedisDeployment("lazy2", { provider: "aws", mode: "standalone", zones: ["us-east-1a"], maxmemory: "1gb", aws: { subnetIds: ["subnet-0aaa000000000000a"], allowedCidrs: ["10.0.0.0/8"] } });
                    console.log("RESULT " + JSON.stringify({ before, after: loaded("aws"), gcp: loaded("gcp"), azure: loaded("azure-native"), k8s: loaded("kubernetes") }));
                    process.exit(0);
                });`;
            const result = programResult(program);
            assert.deepEqual(result, { before: false, after: true, gcp: false, azure: false, k8s: false });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

/** The backup job's environment file as the boot script writes it. */
function jobEnvironmentOf(script: string): string {
    return /printf '%s\\n' '([^']*)' >"\$env"/.exec(script)?.[1] ?? "";
}

describe("AWS provider: backups under Pulumi mocks", function () {
    this.timeout(120000);
    const rec = new CloudMocks(new AwsBehaviour());
    const d = deployBefore(rec, "bk", base({ mode: "cluster", shards: 3, replicasPerShard: 1, backup: { target: "s3://team-backups/redis/bk", schedule: "0 3 * * *", retention: { count: 5 } } }));

    it("grants the instance role the backup bucket's prefix and nothing more", () => {
        assert.equal(d.members.length, 6);
        const policies = rec.ofType(T.rolePolicy).filter((p) => p.name === "bk-backup-bucket");
        assert.equal(policies.length, 1);
        const doc = JSON.parse(unwrap(policies[0].inputs.policy)) as { Statement: { Action: string[]; Resource: string; Condition?: unknown }[] };
        assert.deepEqual(doc.Statement.map((s) => s.Resource), ["arn:aws:s3:::team-backups", "arn:aws:s3:::team-backups/redis/bk/*"]);
        assert.deepEqual(doc.Statement.flatMap((s) => s.Action).sort(), ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
        assert.deepEqual(doc.Statement[0].Condition, { StringLike: { "s3:prefix": ["redis/bk/*"] } });
        assert.equal(unwrap(policies[0].inputs.role), unwrap(rec.ofType(T.rolePolicy).find((p) => p.name === "bk-read-secrets")!.inputs.role), "the existing instance role");
    });

    it("runs the backup timer on one member VM per shard (the first member's), never on all", () => {
        const withTimer = rec.ofType(T.instance).filter((i) => userDataOf(i).includes("rd-backup.timer")).map((i) => i.name).sort();
        assert.deepEqual(withTimer, ["bk-s0-m0", "bk-s1-m0", "bk-s2-m0"]);
        const script = userDataOf(rec.byName(T.instance, "bk-s1-m0"));
        assert.match(script, /OnCalendar=\*-\*-\* 03:00:00 UTC/);
        assert.match(script, /RD_ONLY_SHARDS=1\b/);
        assert.match(script, /RD_SLOTS=1=\d+-\d+\n/, "its own shard's slots only");
        assert.match(script, /RCLONE_S3_ENV_AUTH=true/);
        assert.ok(jobEnvironmentOf(script).includes("RD_ONLY_SHARDS=1"));
        assert.doesNotMatch(jobEnvironmentOf(script), /RD_TLS_/, "without TLS the job connects in plaintext");
        // The boot script with its job section passes bash -n and shellcheck like every boot script.
        assertBashScriptLints(script, "bk-s1-m0");
    });

    it("puts no credential in any non-secret input", () => {
        rec.assertNoPasswordInPlainInputs(SECRETS);
    });
});

describe("AWS provider: backups of a TLS deployment under Pulumi mocks", function () {
    this.timeout(120000);
    const rec = new CloudMocks(new AwsBehaviour());
    deployBefore(rec, "bt", base({ mode: "replication", replicasPerShard: 1, tls: { enabled: true, clientAuth: "required" }, backup: { target: "s3://team-backups/redis/bt" } }));

    it("the job on the first member's VM speaks TLS with that member's own files, which the same boot script writes", () => {
        const withTimer = rec.ofType(T.instance).filter((i) => userDataOf(i).includes("rd-backup.timer"));
        assert.deepEqual(withTimer.map((i) => i.name), ["bt-s0-m0"]);
        const script = userDataOf(withTimer[0]);
        const dir = "/etc/redis-deployment/tls/bt-s0-m0";
        assert.deepEqual(jobEnvironmentOf(script).split("\n").filter((l) => l.startsWith("RD_TLS_")), [`RD_TLS_CA=${dir}/ca.crt`, `RD_TLS_CERT=${dir}/node.crt`, `RD_TLS_KEY=${dir}/node.key`]);
        assert.match(script, /\n\s+rd_tls_files bt-s0-m0 redis:redis /, "the member's TLS directory is written on this VM");
        assert.ok(script.indexOf("rd_tls_files bt-s0-m0") < script.lastIndexOf("rd_job_backup"), "before the job's timer is enabled");
        assertBashScriptLints(script, "bt-s0-m0");
    });
});

describe("AWS provider: TLS keys in SSM, never in user data", function () {
    this.timeout(60000);
    const rec = new CloudMocks(new AwsBehaviour());
    deployBefore(rec, "tls", base({ mode: "sentinel", tls: { enabled: true } }));
    const nodes = ["tls-s0-m0", "tls-s0-m1", "tls-sentinel0", "tls-sentinel1", "tls-sentinel2", "tls-proxy0", "tls-proxy1"];

    it("one SecureString parameter per node's key, readable by the instances' role; user data fetches it by name", () => {
        const params = rec.ofType(T.parameter).filter((p) => /\/tls\/[^/]+\/node\.key$/.test(unwrap(p.inputs.name)));
        assert.deepEqual(params.map((p) => /\/tls\/([^/]+)\/node\.key$/.exec(unwrap(p.inputs.name))?.[1]).sort(), [...nodes].sort(), "one parameter <prefix>/tls/<node>/node.key per node");
        for (const p of params) assert.equal(p.inputs.type, "SecureString");
        const role = rec.ofType(T.role)[0];
        const grants = rec.ofType(T.rolePolicy).filter((r) => /-ssm-tls-/.test(r.name));
        assert.equal(grants.length, nodes.length);
        for (const g of grants) assert.equal(g.inputs.role, `${role.name}_id`);
        assertTlsKeysOnlyInSecretStore(rec, { nodes, stored: params, valueOf: (r) => r.inputs.value, scripts: rec.ofType(T.instance).map(userDataOf) });
        for (const p of params) assert.ok(rec.ofType(T.instance).map(userDataOf).join("\n").includes(` ${unwrap(p.inputs.name)} `), `${p.name}: fetched by a boot script`);
    });
});

// RedisDeployment on the GCP provider under Pulumi mocks: the resource graph (static internal
// addresses used as alias IPs, persistent disks and their attachments, instances, firewall rules,
// service account, Secret Manager, internal TCP load balancer), where members land and which
// addresses they get, what the startup scripts hold (no password), and the resource options that
// keep addresses and disks when an instance changes. GCP lookups (getSubnetwork, getImage) are
// answered by the mock `call`; the mock plays GCP for what GCP decides (addresses, ids, emails).
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { passwordHash } from "../../components/config/users";
import { DEBIAN_IMAGE, GCP_BOOTSTRAP_TIMEOUT_MS, HEALTH_CHECK_RANGES, SECRET_ACCESSOR_ROLE } from "../../providers/gcp";
import type { GcpProviderArgs } from "../../providers/gcp/args";
import { networkTag } from "../../providers/gcp/naming";
import { contains, parseCidr } from "../../providers/vm/ipv4";
import { dataDiskGiB } from "../../providers/vm/sizing";
import { CloudMocks, FreeAddresses, PROJECT, STACK, assertTlsKeysOnlyInSecretStore, componentUrn, deploy, deployBefore, expectRefused, hex, passwordsWith, urnOf, type CloudBehaviour, type Seen } from "../helpers/cloudMocks";
import { isWrappedSecret, programResult, unwrap } from "../helpers/mocks";

const GCP_PROJECT = "svc-project";
const GIVEN_PASSWORD = "given-gcp-password-0123456789";
const ZONES = ["europe-west1-b", "europe-west1-c", "europe-west1-d"];
const NETWORK = "https://www.googleapis.com/compute/v1/projects/net-host/global/networks/shared";
const IMAGE = "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/debian-12-bookworm-v20260101";

interface MockSubnetwork { ref: string; project: string; region: string; name: string; cidr: string; network: string }
const SUBNETWORKS: MockSubnetwork[] = [
    { ref: "projects/net-host/regions/europe-west1/subnetworks/redis-a", project: "net-host", region: "europe-west1", name: "redis-a", cidr: "10.30.0.0/24", network: NETWORK },
    { ref: "projects/net-host/regions/europe-west1/subnetworks/redis-b", project: "net-host", region: "europe-west1", name: "redis-b", cidr: "10.30.8.0/25", network: NETWORK },
    { ref: "regions/europe-west4/subnetworks/apps", project: GCP_PROJECT, region: "europe-west4", name: "apps", cidr: "10.40.0.0/24", network: NETWORK },
    { ref: "projects/other/regions/europe-west1/subnetworks/elsewhere", project: "other", region: "europe-west1", name: "elsewhere", cidr: "10.50.0.0/24", network: "https://www.googleapis.com/compute/v1/projects/other/global/networks/other" },
];
const selfLinkOf = (s: MockSubnetwork) => `https://www.googleapis.com/compute/v1/projects/${s.project}/regions/${s.region}/subnetworks/${s.name}`;
const SUBNETWORK_REFS = SUBNETWORKS.slice(0, 2).map((s) => s.ref);
const ALLOWED_CIDRS = ["10.30.0.0/16", "192.168.8.0/22"];
const ALLOWED_TAG = "my-app";

const T = {
    address: "gcp:compute/address:Address",
    instance: "gcp:compute/instance:Instance",
    disk: "gcp:compute/disk:Disk",
    attachment: "gcp:compute/attachedDisk:AttachedDisk",
    firewall: "gcp:compute/firewall:Firewall",
    account: "gcp:serviceaccount/account:Account",
    secret: "gcp:secretmanager/secret:Secret",
    version: "gcp:secretmanager/secretVersion:SecretVersion",
    secretIam: "gcp:secretmanager/secretIamMember:SecretIamMember",
    group: "gcp:compute/instanceGroup:InstanceGroup",
    healthCheck: "gcp:compute/regionHealthCheck:RegionHealthCheck",
    backendService: "gcp:compute/regionBackendService:RegionBackendService",
    forwardingRule: "gcp:compute/forwardingRule:ForwardingRule",
} as const;
const LB_TYPES = [T.group, T.healthCheck, T.backendService, T.forwardingRule];


/** GCP's part of the mocks: internal addresses are free addresses of their subnetwork (deterministic per name). */
class GcpBehaviour implements CloudBehaviour {
    /** GCP picks a free address (not the first two, not the last two). */
    private readonly addresses = new FreeAddresses(2, 2);

    reset(): void {
        this.addresses.clear();
    }

    id(type: string, name: string, inputs: Record<string, any>): string {
        return type === T.instance ? `projects/${GCP_PROJECT}/zones/${inputs.zone}/instances/${name}-${hex(name, 7)}`
            : type === T.disk ? `projects/${GCP_PROJECT}/zones/${inputs.zone}/disks/${name}-${hex(name, 7)}`
                : type === T.secret ? `projects/${GCP_PROJECT}/secrets/${inputs.secretId}` : `${name}_id`;
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        if (args.token === "gcp:compute/getSubnetwork:getSubnetwork") {
            const s = SUBNETWORKS.find((x) => x.name === args.inputs.name && x.region === args.inputs.region && x.project === (args.inputs.project ?? GCP_PROJECT));
            if (!s) throw new Error(`subnetwork not found: ${JSON.stringify(args.inputs)}`);
            return { selfLink: selfLinkOf(s), region: s.region, ipCidrRange: s.cidr, network: s.network, project: s.project, name: s.name };
        }
        if (args.token === "gcp:compute/getImage:getImage") return { selfLink: IMAGE, family: args.inputs.family, name: "debian-12-bookworm-v20260101" };
        throw new Error(`unexpected call ${args.token}`);
    }

    computed(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
        const selfLink = `https://www.googleapis.com/compute/v1/projects/${GCP_PROJECT}/${type.split(":").pop()}/${name}`;
        if (type === T.address) {
            const subnet = SUBNETWORKS.find((s) => selfLinkOf(s) === inputs.subnetwork);
            if (!subnet) throw new Error(`address ${name}: unknown subnetwork ${inputs.subnetwork}`);
            return { address: this.addresses.pick(subnet.cidr, name), selfLink };
        }
        if (type === T.secret) return { name: `projects/${GCP_PROJECT}/secrets/${inputs.secretId}` };
        if (type === T.account) return { email: `${inputs.accountId}@${GCP_PROJECT}.iam.gserviceaccount.com` };
        if (type === T.instance) return { instanceId: String(parseInt(hex(name, 12), 16)), selfLink };
        return { selfLink };
    }
}


function gcpArgs(extra: Partial<GcpProviderArgs> = {}): GcpProviderArgs {
    return { subnetworks: SUBNETWORK_REFS, allowedCidrs: ALLOWED_CIDRS, allowedSourceTags: [ALLOWED_TAG], ...extra };
}

function base(args: RedisDeploymentArgs, gcp: Partial<GcpProviderArgs> = {}): RedisDeploymentArgs {
    return { provider: "gcp", zones: ZONES, maxmemory: "1gb", auth: { password: GIVEN_PASSWORD }, ...args, gcp: gcpArgs(gcp) };
}

const SECRETS = passwordsWith(GIVEN_PASSWORD);

/** The startup script of an instance. */
function scriptOf(instance: Seen): string {
    const text = unwrap(instance.inputs.metadata)["startup-script"] as string;
    assert.ok(text.startsWith("#!/bin/bash\n"), `${instance.name}: the startup script is the boot script`);
    return text;
}

const aliasesOf = (instance: Seen): string[] => (instance.inputs.networkInterfaces[0].aliasIpRanges as { ipCidrRange: string }[]).map((r) => r.ipCidrRange);
const subnetworkOf = (selfLink: string) => SUBNETWORKS.find((s) => selfLinkOf(s) === selfLink)!;

describe("GCP provider: component graph under Pulumi mocks", function () {
    this.timeout(120000);
    const rec = new CloudMocks(new GcpBehaviour());
    const tag = networkTag(PROJECT, STACK, "cache");

    describe("cluster 3 shards x 2 replicas over 3 zones", () => {
        const d = deployBefore(rec, "cache", base({ mode: "cluster", shards: 3, replicasPerShard: 2 }));

        it("has 9 members with one instance, static internal address, persistent disk and attachment each, all children of the component", () => {
            assert.equal(d.members.length, 9);
            for (const type of [T.instance, T.address, T.disk, T.attachment]) assert.equal(rec.ofType(type).length, 9, type);
            const names = d.members.map((m) => m.name).sort();
            assert.deepEqual(rec.ofType(T.address).map((a) => a.name).sort(), names.map((n) => `${n}-address`).sort());
            for (const type of LB_TYPES) assert.equal(rec.ofType(type).length, 0, `no ${type} unless asked`);
            for (const r of rec.registrations.filter((x) => x.type.startsWith("gcp:"))) assert.equal(r.parent, componentUrn("cache"), `${r.type} ${r.name}`);
        });

        it("gives every member a distinct reserved internal address inside its subnetwork, used as the /32 alias IP of its VM", () => {
            assert.equal(new Set(d.members.map((m) => m.address)).size, 9);
            for (const m of d.members) {
                const address = rec.byName(T.address, `${m.name}-address`);
                assert.equal(address.inputs.addressType, "INTERNAL");
                assert.equal(address.inputs.purpose, "GCE_ENDPOINT");
                assert.equal(address.inputs.region, "europe-west1");
                assert.equal(address.state.address, m.address);
                const subnet = subnetworkOf(address.inputs.subnetwork);
                assert.ok(SUBNETWORK_REFS.includes(subnet.ref), `${m.name}: one of the given subnetworks`);
                assert.ok(contains(parseCidr(subnet.cidr)!, m.address), `${m.name}: ${m.address} inside ${subnet.cidr}`);
                const instance = rec.byName(T.instance, m.name);
                assert.equal(instance.inputs.zone, m.zone);
                assert.equal(instance.inputs.networkInterfaces.length, 1);
                assert.equal(instance.inputs.networkInterfaces[0].subnetwork, address.inputs.subnetwork, "the VM is in its address's subnetwork");
                assert.deepEqual(aliasesOf(instance), [`${m.address}/32`]);
                assert.equal(instance.inputs.networkInterfaces[0].accessConfigs, undefined, "no public address");
            }
            const used = new Set(rec.ofType(T.address).map((a) => subnetworkOf(a.inputs.subnetwork).name));
            assert.deepEqual([...used].sort(), ["redis-a", "redis-b"], "hosts are spread over the region's subnetworks");
        });

        it("gives every member its own persistent disk in its zone, sized 6 x maxmemory, attached to its VM under the member's name", () => {
            const size = dataDiskGiB({ maxmemoryBytes: 1024 ** 3, persistence: { aof: true, rdb: true } });
            for (const m of d.members) {
                const disk = rec.byName(T.disk, `${m.name}-data`);
                assert.equal(disk.inputs.zone, m.zone);
                assert.equal(disk.inputs.size, size);
                assert.equal(disk.inputs.type, "pd-balanced");
                const attachment = rec.byName(T.attachment, `${m.name}-data-attachment`);
                assert.equal(attachment.inputs.disk, `projects/${GCP_PROJECT}/zones/${m.zone}/disks/${m.name}-data-${hex(`${m.name}-data`, 7)}`);
                assert.equal(attachment.inputs.instance, `projects/${GCP_PROJECT}/zones/${m.zone}/instances/${m.name}-${hex(m.name, 7)}`);
                assert.equal(attachment.inputs.deviceName, m.name);
                assert.equal(attachment.inputs.zone, m.zone);
                assert.ok(scriptOf(rec.byName(T.instance, m.name)).includes(`rd_disk ${m.name} /dev/disk/by-id/google-${m.name} `), `${m.name}: finds its disk by device name`);
            }
        });

        it("sizes VMs by memory >= 2.5 x maxmemory (1gb -> e2-medium), boots the looked-up Debian 12 image, runs as the deployment's service account", () => {
            const account = rec.ofType(T.account);
            assert.equal(account.length, 1);
            for (const i of rec.ofType(T.instance)) {
                assert.equal(i.inputs.machineType, "e2-medium");
                assert.equal(i.inputs.bootDisk.initializeParams.image, IMAGE);
                assert.equal(i.inputs.serviceAccount.email, account[0].state.email);
                assert.deepEqual(i.inputs.tags, [tag]);
                assert.equal(i.inputs.allowStoppingForUpdate, true);
            }
            const imageCalls = rec.calls.filter((c) => c.token === "gcp:compute/getImage:getImage");
            assert.equal(imageCalls.length, 1);
            assert.deepEqual({ project: imageCalls[0].inputs.project, family: imageCalls[0].inputs.family }, DEBIAN_IMAGE);
        });

        it("opens Redis to the nodes, allowed networks and tags, the cluster bus to the nodes only, never to 0.0.0.0/0, only on the deployment's tag", () => {
            const rules = rec.ofType(T.firewall);
            assert.deepEqual(rules.map((r) => r.name).sort(), ["cache-cluster-bus", "cache-redis"]);
            const nodes = d.members.map((m) => `${m.address}/32`).sort();
            for (const r of rules) {
                assert.ok(!r.inputs.sourceRanges.includes("0.0.0.0/0"), r.name);
                assert.deepEqual(r.inputs.targetTags, [tag], `${r.name}: the deployment's VMs only`);
                assert.equal(r.inputs.network, NETWORK);
                assert.equal(r.inputs.project, "net-host", "firewall rules live in the network's (host) project");
                assert.equal(r.inputs.direction, "INGRESS");
            }
            const redis = rec.byName(T.firewall, "cache-redis");
            assert.deepEqual(redis.inputs.allows, [{ protocol: "tcp", ports: ["6379"] }]);
            assert.deepEqual([...redis.inputs.sourceRanges].sort(), [...nodes, ...ALLOWED_CIDRS].sort());
            assert.deepEqual(redis.inputs.sourceTags, [tag, ALLOWED_TAG]);
            const bus = rec.byName(T.firewall, "cache-cluster-bus");
            assert.deepEqual(bus.inputs.allows, [{ protocol: "tcp", ports: ["16379"] }]);
            assert.deepEqual([...bus.inputs.sourceRanges].sort(), nodes, "the bus: the members' own addresses");
            assert.deepEqual(bus.inputs.sourceTags, [tag]);
        });

        it("stores the passwords in Secret Manager (secret inputs) that only the VMs' service account may access", () => {
            const secrets = rec.ofType(T.secret);
            assert.deepEqual(secrets.map((s) => s.inputs.secretId).sort(), ["admin-password", "monitor-password", "password", "retiring-admin-password", "retiring-monitor-password", "retiring-password"].map((k) => `redis-deployment-${PROJECT}-${STACK}-cache-${k}`).sort());
            const email = rec.ofType(T.account)[0].state.email;
            for (const s of secrets) {
                const version = rec.ofType(T.version).find((v) => v.inputs.secret === `projects/${GCP_PROJECT}/secrets/${s.inputs.secretId}`)!;
                assert.ok(isWrappedSecret(version.inputs.secretData), `${s.name}: the value is a secret input`);
                const grants = rec.ofType(T.secretIam).filter((g) => g.inputs.secretId === `projects/${GCP_PROJECT}/secrets/${s.inputs.secretId}`);
                assert.deepEqual(grants.map((g) => [g.inputs.role, g.inputs.member]), [[SECRET_ACCESSOR_ROLE, `serviceAccount:${email}`]]);
            }
            assert.equal(rec.ofType(T.secretIam).length, secrets.length, "no other grant");
            const password = rec.ofType(T.version).find((v) => v.inputs.secret.endsWith("-cache-password"))!;
            assert.equal(unwrap(password.inputs.secretData), GIVEN_PASSWORD);
            for (const i of rec.ofType(T.instance)) {
                const deps = rec.dependencies(T.instance, i.name);
                for (const v of [...rec.ofType(T.version), ...rec.ofType(T.secretIam)]) assert.ok(deps.includes(urnOf(v.type, v.name)), `${i.name} boots after ${v.name}`);
            }
        });

        it("puts no password (nor a password's hash) in any metadata or startup script, and keeps password outputs secret", () => {
            assert.equal(d.secret.password, true);
            assert.equal(d.secret.connectionUrl, true);
            assert.equal(d.password, GIVEN_PASSWORD);
            for (const i of rec.ofType(T.instance)) {
                const metadata = JSON.stringify(unwrap(i.inputs.metadata));
                for (const s of SECRETS) {
                    assert.ok(!metadata.includes(s), `${i.name}: metadata contains a password`);
                    assert.ok(!metadata.includes(passwordHash(s)), `${i.name}: metadata contains a password hash`);
                }
            }
            rec.assertNoPasswordInPlainInputs(SECRETS);
        });

        it("writes each member's startup script: waits for its alias IP, reads Secret Manager, binds its address", () => {
            for (const m of d.members) {
                const script = scriptOf(rec.byName(T.instance, m.name));
                assert.ok(script.includes(`\n    rd_await_addresses ${m.address}\n`), `${m.name}: waits for the guest agent's route`);
                assert.ok(!script.includes("\n    rd_addresses "), "no ip addr add: the guest agent routes alias IPs");
                assert.ok(!script.includes("\n    rd_install_self\n"), "the guest agent runs the startup script at every boot");
                assert.ok(script.includes(`[password]=projects/${GCP_PROJECT}/secrets/redis-deployment-${PROJECT}-${STACK}-cache-password`));
                assert.ok(script.includes("https://secretmanager.googleapis.com/v1/$1/versions/latest:access"));
                assert.ok(script.includes(`bind ${m.address}\n`) && script.includes(`cluster-announce-ip ${m.address}\n`));
                assert.equal(spawnSync("bash", ["-n"], { input: script }).status, 0, `${m.name}: bash -n`);
            }
        });

        it("hands the cluster bootstrap the members at their GCP addresses, after every instance, attachment and firewall rule", () => {
            const bootstrap = rec.seen.find((r) => r.type.endsWith(":ClusterBootstrap"))!;
            assert.deepEqual(bootstrap.inputs.members.map((m: { name: string; address: string }) => `${m.name}@${m.address}`), d.members.map((m) => `${m.name}@${m.address}`));
            assert.equal(bootstrap.inputs.timeoutMs, GCP_BOOTSTRAP_TIMEOUT_MS);
            const deps = rec.registration(bootstrap.type, bootstrap.name).dependencies;
            for (const m of d.members) {
                assert.ok(deps.includes(urnOf(T.instance, m.name)));
                assert.ok(deps.includes(urnOf(T.attachment, `${m.name}-data-attachment`)));
            }
            assert.ok(deps.includes(urnOf(T.firewall, "cache-redis")));
        });
    });

    describe("a changed machine type keeps addresses and disks", () => {
        it("instances are replaced delete-first and ignore attachedDisks and newer images; addresses and disks never depend on an instance", async () => {
            await rec.install();
            await deploy("keep", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }));
            const instanceUrns = rec.ofType(T.instance).map((i) => urnOf(T.instance, i.name));
            for (const i of rec.ofType(T.instance)) {
                const reg = rec.registration(T.instance, i.name);
                assert.equal(reg.deleteBeforeReplace, true, `${i.name}: an alias IP and a disk belong to one VM at a time`);
                assert.deepEqual(reg.ignoreChanges, ["attachedDisks", "bootDisk.initializeParams.image"]);
                assert.ok(rec.dependencies(T.instance, i.name).includes(urnOf(T.address, `${i.name}-address`)));
            }
            for (const type of [T.address, T.disk]) {
                for (const r of rec.ofType(type)) {
                    const deps = rec.dependencies(type, r.name);
                    assert.deepEqual(deps.filter((u) => instanceUrns.includes(u) || u.includes(T.attachment)), [], `${r.name} must not depend on an instance`);
                    assert.equal(rec.registration(type, r.name).deleteBeforeReplace, false);
                }
            }
            for (const a of rec.ofType(T.attachment)) assert.equal(rec.registration(T.attachment, a.name).deleteBeforeReplace, true);
        });

        it("only the instances' machineType changes: address, disk and attachment inputs stay identical", async () => {
            const snapshot = () => Object.fromEntries(rec.seen.filter((r) => r.type.startsWith("gcp:")).map((r) => [`${r.type}::${r.name}`, JSON.stringify(unwrap(r.inputs))]));
            await rec.install();
            await deploy("resize", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }, { machineType: "e2-highmem-2" }));
            const before = snapshot();
            await rec.install();
            await deploy("resize", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }, { machineType: "n2-highmem-4" }));
            const after = snapshot();
            assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
            const changed = Object.keys(after).filter((k) => after[k] !== before[k]).sort();
            assert.deepEqual(changed, rec.ofType(T.instance).map((i) => `${T.instance}::${i.name}`).sort(), "only instances change");
            for (const k of changed) {
                const [a, b] = [JSON.parse(before[k]), JSON.parse(after[k])];
                assert.deepEqual([a.machineType, b.machineType], ["e2-highmem-2", "n2-highmem-4"]);
                assert.deepEqual({ ...a, machineType: 0 }, { ...b, machineType: 0 }, `${k}: nothing else changes`);
            }
        });
    });

    describe("sentinel 1 + 2, 3 sentinels, 2 proxies and an internal load balancer", () => {
        const d = deployBefore(rec, "sent", base({ mode: "sentinel", replicasPerShard: 2, sentinels: 3, loadBalancer: true }));

        it("has VMs for 3 members (with disks), 3 sentinels and 2 proxies (without), each node its own address", () => {
            assert.deepEqual(rec.ofType(T.instance).map((i) => i.name).sort(),
                ["sent-proxy0", "sent-proxy1", "sent-s0-m0", "sent-s0-m1", "sent-s0-m2", "sent-sentinel0", "sent-sentinel1", "sent-sentinel2"]);
            assert.equal(rec.ofType(T.disk).length, 3);
            assert.equal(rec.byName(T.instance, "sent-sentinel0").inputs.machineType, "e2-small");
            const all = [...d.members.map((m) => m.address), ...d.sentinelAddresses.map((a) => a.split(":")[0]), ...d.proxyAddresses.map((a) => a.split(":")[0])];
            assert.equal(new Set(all).size, 8);
            for (const [i, a] of d.sentinelAddresses.entries()) assert.deepEqual(aliasesOf(rec.byName(T.instance, `sent-sentinel${i}`)), [`${a.split(":")[0]}/32`]);
        });

        it("opens Redis, Sentinel and the proxy read port; Google's health checkers reach the Redis port; nothing from 0.0.0.0/0", () => {
            const rules = Object.fromEntries(rec.ofType(T.firewall).map((r) => [r.name, r.inputs]));
            assert.deepEqual(Object.keys(rules).sort(), ["sent-lb-health-checks", "sent-proxy-read", "sent-redis", "sent-sentinel"]);
            assert.deepEqual(rules["sent-sentinel"].allows, [{ protocol: "tcp", ports: ["26379"] }]);
            assert.deepEqual(rules["sent-lb-health-checks"].sourceRanges, HEALTH_CHECK_RANGES);
            for (const r of Object.values(rules)) assert.ok(!r.sourceRanges.includes("0.0.0.0/0"));
        });

        it("builds the internal passthrough TCP load balancer in front of the proxies on a reserved address", () => {
            const lbAddress = rec.byName(T.address, "sent-lb");
            assert.equal(lbAddress.inputs.addressType, "INTERNAL");
            const groups = rec.ofType(T.group);
            const proxies = ["sent-proxy0", "sent-proxy1"].map((n) => rec.byName(T.instance, n));
            assert.deepEqual(groups.flatMap((g) => g.inputs.instances).sort(), proxies.map((p) => p.state.selfLink).sort());
            for (const g of groups) assert.ok(g.inputs.instances.every((link: string) => proxies.find((p) => p.state.selfLink === link)!.inputs.zone === g.inputs.zone), `${g.name}: its zone's proxies`);
            const hc = rec.ofType(T.healthCheck);
            assert.equal(hc.length, 1);
            assert.equal(hc[0].inputs.tcpHealthCheck.port, 6379);
            const bs = rec.ofType(T.backendService);
            assert.equal(bs.length, 1);
            assert.equal(bs[0].inputs.loadBalancingScheme, "INTERNAL");
            assert.equal(bs[0].inputs.protocol, "TCP");
            assert.equal(bs[0].inputs.healthChecks, "sent-lb_id");
            assert.deepEqual(bs[0].inputs.backends.map((b: { group: string }) => b.group).sort(), groups.map((g) => g.state.selfLink).sort());
            const fr = rec.ofType(T.forwardingRule);
            assert.equal(fr.length, 1);
            assert.equal(fr[0].inputs.loadBalancingScheme, "INTERNAL");
            assert.deepEqual(fr[0].inputs.ports, ["6379", "6380"]);
            assert.equal(fr[0].inputs.ipAddress, lbAddress.state.address);
            assert.equal(fr[0].inputs.backendService, "sent-lb_id");
            assert.equal(d.endpoint, `${lbAddress.state.address}:6379`);
            for (const p of proxies) {
                const script = scriptOf(p);
                assert.ok(script.includes(`    bind ${lbAddress.state.address}:6379\n`) && script.includes(`    bind ${lbAddress.state.address}:6380\n`), `${p.name}: HAProxy also listens on the load balancer's address`);
                assert.match(script, new RegExp(`rd_await_addresses \\S+ ${lbAddress.state.address.replace(/\./g, "\\.")}\\n`));
            }
            assert.ok(!scriptOf(rec.byName(T.instance, "sent-s0-m0")).includes(lbAddress.state.address), "members are not behind the load balancer");
        });

        it("reads only the secrets each kind needs and leaks none", () => {
            const secretsOf = (n: string) => /\n {4}rd_secrets ([^\n]*)\n/.exec(scriptOf(rec.byName(T.instance, n)))![1];
            assert.equal(secretsOf("sent-s0-m0"), "password adminPassword monitorPassword retiringPassword retiringAdminPassword retiringMonitorPassword");
            assert.equal(secretsOf("sent-sentinel0"), "password adminPassword retiringPassword retiringAdminPassword", "sentinels: the clients' user and rd-admin (bootstrap, peers)");
            assert.equal(secretsOf("sent-proxy0"), "monitorPassword");
            for (const i of rec.ofType(T.instance)) for (const s of SECRETS) assert.ok(!scriptOf(i).includes(s), `${i.name} leaks a password`);
            const master = d.members.find((m) => m.role === "master")!;
            for (const m of d.members.filter((x) => x.role === "replica")) {
                assert.ok(scriptOf(rec.byName(T.instance, m.name)).includes(`rd_redis ${m.name} '${master.address} 6379' <<'RD_TEMPLATE_END'`), m.name);
            }
        });
    });

    describe("replication 1 + 1 without load balancer", () => {
        it("has 2 member VMs and 2 proxies, no load balancer, Redis and the proxy read port open", async () => {
            await rec.install();
            const d = await deploy("repl", base({ mode: "replication" }));
            assert.equal(d.members.length, 2);
            assert.equal(rec.ofType(T.disk).length, 2);
            assert.equal(d.proxyAddresses.length, 2);
            assert.equal(d.endpoint, d.proxyAddresses[0]);
            for (const type of LB_TYPES) assert.equal(rec.ofType(type).length, 0);
            assert.equal(rec.ofType(T.address).length, 4, "one per node, none for a load balancer");
            assert.deepEqual(rec.ofType(T.firewall).map((r) => r.name).sort(), ["repl-proxy-read", "repl-redis"]);
        });
    });

    describe("replication 1 + 1 with logs", () => {
        it("the VMs' account may write log entries (logging.logWriter, nothing else); each VM's Ops Agent ships its units with Redis' parser", async () => {
            await rec.install();
            await deploy("lg", base({ mode: "replication", logs: {} }));
            const [account] = rec.ofType("gcp:serviceaccount/account:Account");
            const [grant] = rec.ofType("gcp:projects/iAMMember:IAMMember");
            assert.equal(grant.inputs.role, "roles/logging.logWriter");
            assert.equal(grant.inputs.member, `serviceAccount:${account.state.email}`);
            assert.equal(grant.inputs.project, account.state.email.split("@")[1].split(".")[0]);
            for (const i of rec.ofType(T.instance)) {
                const script = scriptOf(i);
                const config = JSON.parse(/\n {4}rd_log_agent <<'RD_TEMPLATE_END'\n([\s\S]*?)\nRD_TEMPLATE_END/.exec(script)![1]);
                const receivers = config.logging.receivers;
                const own = `/var/log/redis-deployment/${i.name}.log`;
                assert.deepEqual(i.name.includes("proxy") ? receivers.redis_deployment_other : receivers.redis_deployment_redis,
                    { type: i.name.includes("proxy") ? "files" : "redis", include_paths: [own] });
                assert.deepEqual(config.logging.service.pipelines.redis_deployment.receivers, Object.keys(receivers));
                assert.deepEqual(config.metrics.service.pipelines.default_pipeline.receivers, [], "no metrics: they would need monitoring.metricWriter");
            }
        });
    });

    describe("standalone with a load balancer", () => {
        it("puts the member behind it, listening on the load balancer's address too", async () => {
            await rec.install();
            const d = await deploy("solo", base({ mode: "standalone", loadBalancer: true }));
            const lb = rec.byName(T.address, "solo-lb").state.address;
            assert.deepEqual(rec.ofType(T.group).flatMap((g) => g.inputs.instances), [rec.byName(T.instance, "solo-s0-m0").state.selfLink]);
            assert.deepEqual(rec.ofType(T.forwardingRule)[0].inputs.ports, ["6379"]);
            assert.ok(scriptOf(rec.byName(T.instance, "solo-s0-m0")).includes(`bind ${d.members[0].address} ${lb}\n`));
            assert.equal(d.endpoint, `${lb}:6379`);
        });
    });

    describe("arguments checked when the provider is constructed", () => {
        const bad: { title: string; args: RedisDeploymentArgs; mentions: string[] }[] = [
            { title: "no gcp section", args: { provider: "gcp", zones: ZONES, maxmemory: "1gb" }, mentions: ["gcp:", "subnetworks"] },
            { title: "no subnetworks", args: { ...base({}), gcp: { allowedCidrs: ALLOWED_CIDRS } as GcpProviderArgs }, mentions: ["gcp.subnetworks: is required"] },
            { title: "a malformed subnetwork", args: base({}, { subnetworks: ["redis-a"] }), mentions: ["gcp.subnetworks[0]", "redis-a"] },
            { title: "a region without a subnetwork", args: base({ zones: ["europe-west1-b", "europe-west4-a"] }, { subnetworks: [SUBNETWORK_REFS[0]] }), mentions: ["gcp.subnetworks: no subnetwork in region europe-west4", "europe-west4-a"] },
            { title: "nobody allowed in", args: base({}, { allowedCidrs: [], allowedSourceTags: [] }), mentions: ["gcp.allowedCidrs: is required"] },
            { title: "the whole internet", args: base({}, { allowedCidrs: ["0.0.0.0/0"] }), mentions: ["gcp.allowedCidrs[0]", "every address"] },
            { title: "a too small machine type", args: base({ maxmemory: "4gb" }, { machineType: "e2-medium" }), mentions: ["gcp.machineType", "e2-medium", "10 GiB", "e2-highmem-2"] },
            { title: "a misspelt field", args: base({}, { subnetwork: ["x"] } as unknown as GcpProviderArgs), mentions: ["gcp.subnetwork: unknown field", 'did you mean "subnetworks"'] },
            { title: "a zone that is not a GCP zone", args: base({ zones: ["us-east-1a"] }), mentions: ["zones:", "us-east-1a"] },
            { title: "a load balancer over two regions", args: base({ zones: ["europe-west1-b", "europe-west4-a"], loadBalancer: true }, { subnetworks: [SUBNETWORK_REFS[0], SUBNETWORKS[2].ref] }), mentions: ["loadBalancer:", "regional"] },
            { title: "a disk below the sizing rule", args: base({}, { diskSizeGb: 5 }), mentions: ["gcp.diskSizeGb", "between 10"] },
            { title: "a bad label", args: base({}, { labels: { Team: "x" } }), mentions: ["gcp.labels.Team"] },
        ];
        for (const c of bad) {
            it(`rejects ${c.title} before registering any resource`, async () => {
                await expectRefused(rec, c.args, c.mentions);
            });
        }
    });
});

describe("GCP provider: loading", function () {
    this.timeout(60000);
    it("a local deployment never loads @pulumi/gcp; a GCP one loads only the submodules it uses", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-gcp-lazy-"));
        try {
            const program = `
                const pulumi = require("@pulumi/pulumi");
                pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "p", "s", false).then(() => {
                    const { RedisDeployment } = require("./components/redisDeployment");
                    new RedisDeployment("lazy", { mode: "standalone", local: { dataDir: ${JSON.stringify(dir)}, addressPrefix: "127.62" } });
                    const loaded = (m) => Object.keys(require.cache).filter((k) => k.includes("node_modules/@pulumi/" + m + "/"));
                    const before = loaded("gcp").length;
                    new RedisDeployment("lazy2", { provider: "gcp", mode: "standalone", zones: ["europe-west1-b"], maxmemory: "1gb", gcp: { subnetworks: ["projects/my-project/regions/europe-west1/subnetworks/s"], allowedCidrs: ["10.0.0.0/8"] } });
                    const modules = [...new Set(loaded("gcp").map((k) => k.split("node_modules/@pulumi/gcp/")[1].split("/")[0]))].sort();
                    console.log("RESULT " + JSON.stringify({ before, modules, aws: loaded("aws").length, azure: loaded("azure-native").length }));
                    process.exit(0);
                });`;
            const result = programResult(program);
            assert.equal(result.before, 0, "nothing of @pulumi/gcp for a local deployment");
            assert.ok(result.modules.includes("compute") && result.modules.includes("secretmanager"), JSON.stringify(result.modules));
            assert.ok(!result.modules.includes("index.js") && !result.modules.includes("container") && !result.modules.includes("bigquery"), `not the whole SDK: ${JSON.stringify(result.modules)}`);
            assert.deepEqual([result.aws, result.azure], [0, 0]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("GCP provider: backups under Pulumi mocks", function () {
    this.timeout(120000);
    const rec = new CloudMocks(new GcpBehaviour());
    const d = deployBefore(rec, "bk", base({ mode: "replication", replicasPerShard: 2, backup: { target: "gs://team-backups/redis" } }));

    it("grants the VMs' service account the backup bucket only, and runs the timer on one member VM", () => {
        assert.equal(d.members.length, 3);
        const grants = rec.ofType("gcp:storage/bucketIAMMember:BucketIAMMember");
        assert.equal(grants.length, 1);
        assert.equal(grants[0].inputs.bucket, "team-backups");
        assert.equal(grants[0].inputs.role, "roles/storage.objectAdmin");
        const account = rec.ofType("gcp:serviceaccount/account:Account");
        assert.equal(unwrap(grants[0].inputs.member), `serviceAccount:${account[0].state.email}`, "the VMs' existing service account");
        const withTimer = rec.ofType(T.instance).filter((i) => scriptOf(i).includes("rd-backup.timer")).map((i) => i.name);
        assert.deepEqual(withTimer, ["bk-s0-m0"]);
        assert.match(scriptOf(rec.byName(T.instance, "bk-s0-m0")), /RD_GCS_METADATA_TOKEN=1/);
    });

    it("puts no credential in any non-secret input", () => {
        rec.assertNoPasswordInPlainInputs(SECRETS);
    });
});

describe("GCP provider: TLS keys in Secret Manager, never in the startup script", function () {
    this.timeout(60000);
    const rec = new CloudMocks(new GcpBehaviour());
    deployBefore(rec, "tls", base({ mode: "sentinel", tls: { enabled: true } }));
    const nodes = ["tls-s0-m0", "tls-s0-m1", "tls-sentinel0", "tls-sentinel1", "tls-sentinel2", "tls-proxy0", "tls-proxy1"];

    it("one secret per node's key with a version, readable by the VMs' service account only; the script fetches it by name", () => {
        const secrets = rec.ofType(T.secret).filter((s) => /-tls-.*-node-key$/.test(s.name));
        assert.equal(secrets.length, nodes.length);
        const versions = rec.ofType(T.version).filter((v) => /-tls-.*-node-key-value$/.test(v.name));
        const readers = rec.ofType(T.secretIam).filter((r) => /-tls-.*-node-key-reader$/.test(r.name));
        assert.equal(readers.length, nodes.length);
        for (const r of readers) assert.equal(r.inputs.role, "roles/secretmanager.secretAccessor");
        assertTlsKeysOnlyInSecretStore(rec, { nodes, stored: versions, valueOf: (r) => r.inputs.secretData, scripts: rec.ofType(T.instance).map(scriptOf) });
    });
});

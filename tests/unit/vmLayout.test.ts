// The cloud-neutral VM layer's pure parts: which VMs a plan needs, which subnet each gets,
// which interface address belongs to which node, sizing, the port plan, and the secret
// placeholders.
import { strict as assert } from "node:assert";
import type { RedisDeploymentArgs } from "../../components/args";
import { passwordHash } from "../../components/config/users";
import { plan } from "../../components/plan";
import { STORED_SECRETS, type TopologyPlan } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { addressAt, contains, formatIpv4, parseCidr, parseIpv4 } from "../../providers/vm/ipv4";
import { LayoutError, assignSubnets, nodeNames, placeHost, planHosts, type HostPlan, type SubnetInfo } from "../../providers/vm/layout";
import { PLACEHOLDERS, PLACEHOLDER_CREDENTIALS, ROOT_TOKEN, placeholderHashes, secretsUsed, substituteSecrets } from "../../providers/vm/secrets";
import { dataDiskGiB, hostMemoryBytes, pickMachine } from "../../providers/vm/sizing";

const ZONES = ["z-a", "z-b", "z-c"];
const GIB = 1024 ** 3;

function planOf(args: RedisDeploymentArgs, name = "vm"): TopologyPlan {
    return plan(validateArgs(name, { provider: "aws", zones: ZONES, maxmemory: "1gb", ...args }));
}

describe("VM layer: IPv4 helpers", () => {
    it("parses and formats addresses and CIDR blocks", () => {
        assert.equal(parseIpv4("10.0.1.17"), (10 << 24) + (1 << 8) + 17);
        assert.equal(formatIpv4(parseIpv4("192.168.255.254")!), "192.168.255.254");
        for (const bad of ["10.0.1", "10.0.1.256", "a.b.c.d", "10.0.0.1.2", ""]) assert.equal(parseIpv4(bad), undefined, bad);
        const c = parseCidr("10.20.8.0/22")!;
        assert.deepEqual({ prefix: c.prefixLength, size: c.size }, { prefix: 22, size: 1024 });
        assert.equal(addressAt(c, 1023), "10.20.11.255");
        assert.throws(() => addressAt(c, 1024), RangeError);
        assert.equal(parseCidr("10.20.8.1/22"), undefined, "host bits set");
        assert.equal(parseCidr("10.20.8.0/33"), undefined);
        assert.ok(contains(c, "10.20.9.4") && !contains(c, "10.20.12.0") && !contains(c, "10.20.7.255"));
    });
});

describe("VM layer: hosts", () => {
    it("one VM per member by default, then one per sentinel and per proxy, each in its node's zone", () => {
        const p = planOf({ mode: "sentinel", replicasPerShard: 2, sentinels: 3 });
        const hosts = planHosts(p);
        assert.deepEqual(hosts.map((h) => `${h.kind}:${h.name}@${h.zone}`), [
            "member:vm-s0-m0@z-a", "member:vm-s0-m1@z-b", "member:vm-s0-m2@z-c",
            "sentinel:vm-sentinel0@z-a", "sentinel:vm-sentinel1@z-b", "sentinel:vm-sentinel2@z-c",
            "proxy:vm-proxy0@z-a", "proxy:vm-proxy1@z-b",
        ]);
        for (const h of hosts) assert.equal(nodeNames(h).length, 1);
    });

    for (const perHost of [2, 3, 4]) {
        it(`with ${perHost} members per VM: same zone, never two of one shard, at most ${perHost}, every member exactly once`, () => {
            const p = planOf({ mode: "cluster", shards: 7, replicasPerShard: 2 });
            const hosts = planHosts(p, perHost).filter((h) => h.kind === "member");
            const placed = hosts.flatMap((h) => h.members.map((m) => m.name));
            assert.deepEqual([...placed].sort(), p.members.map((m) => m.name).sort());
            for (const h of hosts) {
                assert.ok(h.members.length >= 1 && h.members.length <= perHost, `${h.name}: ${h.members.length} members`);
                assert.ok(h.members.every((m) => m.zone === h.zone), `${h.name}: one zone`);
                assert.equal(new Set(h.members.map((m) => m.shard)).size, h.members.length, `${h.name}: no two members of one shard`);
                assert.match(h.name, /^vm-z\d-vm\d+$/);
            }
            // 21 members, 7 per zone: ceil(7 / perHost) VMs per zone.
            assert.equal(hosts.length, 3 * Math.ceil(7 / perHost));
        });
    }

    it("with fewer zones than members per shard, a shared VM still never holds two members of a shard", () => {
        const p = plan(validateArgs("vm", { provider: "aws", zones: ["only"], maxmemory: "1gb", mode: "cluster", shards: 3, replicasPerShard: 2 }));
        const hosts = planHosts(p, 3).filter((h) => h.kind === "member");
        assert.equal(hosts.length, 3);
        for (const h of hosts) assert.deepEqual(h.members.map((m) => m.shard).sort(), [0, 1, 2]);
    });

    it("rejects a membersPerHost below 1", () => {
        assert.throws(() => planHosts(planOf({}), 0), RangeError);
    });
});

describe("VM layer: subnets", () => {
    const subnets: SubnetInfo[] = [
        { id: "s-a1", zone: "z-a", cidr: "10.0.0.0/24" },
        { id: "s-a2", zone: "z-a", cidr: "10.0.1.0/24" },
        { id: "s-b1", zone: "z-b", cidr: "10.0.2.0/24" },
        { id: "s-c1", zone: "z-c", cidr: "10.0.3.0/24" },
    ];
    const big = planHosts(planOf({ mode: "cluster", shards: 30, replicasPerShard: 1 }));

    it("puts every host in a subnet of its zone and uses every subnet of a zone", () => {
        const chosen = assignSubnets(big, subnets, "x.subnets");
        for (const h of big) assert.equal(chosen[h.name].zone, h.zone, h.name);
        const inA = big.filter((h) => h.zone === "z-a").map((h) => chosen[h.name].id);
        const a1 = inA.filter((id) => id === "s-a1").length;
        assert.ok(a1 > 0 && a1 < inA.length, `both subnets of z-a used: ${a1} of ${inA.length} in s-a1`);
    });

    it("never moves a host when members are added, subnets are reordered, or an unrelated subnet is added", () => {
        const before = assignSubnets(big, subnets, "x");
        const grown = planHosts(planOf({ mode: "cluster", shards: 40, replicasPerShard: 2 }));
        const after = assignSubnets(grown, [...subnets].reverse(), "x");
        for (const h of big) assert.equal(after[h.name].id, before[h.name].id, `${h.name} moved`);
        const withD = assignSubnets(big, [...subnets, { id: "s-d1", zone: "z-d", cidr: "10.0.9.0/24" }], "x");
        for (const h of big) assert.equal(withD[h.name].id, before[h.name].id, `${h.name} moved`);
    });

    it("a new subnet in a zone takes only hosts that now prefer it; the others stay", () => {
        const before = assignSubnets(big, subnets, "x");
        const after = assignSubnets(big, [...subnets, { id: "s-a3", zone: "z-a", cidr: "10.0.4.0/24" }], "x");
        const moved = big.filter((h) => after[h.name].id !== before[h.name].id);
        assert.ok(moved.length > 0, "some hosts move to the new subnet");
        for (const h of moved) assert.equal(after[h.name].id, "s-a3", `${h.name} moved elsewhere than the new subnet`);
        assert.ok(moved.length < big.filter((h) => h.zone === "z-a").length, "not every host of the zone moves");
    });

    it("names the field and the zone when a zone has no subnet", () => {
        assert.throws(() => assignSubnets(big, subnets.filter((s) => s.zone !== "z-c"), "aws.subnetIds"),
            (e: Error) => e instanceof LayoutError && /^aws\.subnetIds: no subnet in zone z-c;/.test(e.message) && e.message.includes("z-a: s-a1, s-a2"));
    });

    it("maps an interface's secondary addresses to the host's nodes, lowest first, whatever order the cloud lists them in", () => {
        const host: HostPlan = planHosts(planOf({ mode: "cluster", shards: 3, replicasPerShard: 2 }), 3)[0];
        const placed = placeHost(host, subnets[0], "10.0.0.50", ["10.0.0.9", "10.0.0.200", "10.0.0.50", "10.0.0.31"]);
        assert.equal(placed.hostAddress, "10.0.0.50");
        assert.deepEqual(Object.values(placed.nodeAddresses), ["10.0.0.9", "10.0.0.31", "10.0.0.200"]);
        assert.deepEqual(Object.keys(placed.nodeAddresses), nodeNames(host));
        assert.throws(() => placeHost(host, subnets[0], "10.0.0.50", ["10.0.0.50", "10.0.0.9"]), /1 secondary addresses .* for 3 node/);
        assert.throws(() => placeHost(host, subnets[0], "10.0.0.50", ["10.0.0.50", "10.0.0.9", "x", "10.0.0.7"]), /not an IPv4 address/);
    });
});

describe("VM layer: sizing", () => {
    it("needs 2.5 x maxmemory per member on a VM, and a disk of 6 x (AOF) or 2 x (no AOF) maxmemory, at least 10 GiB", () => {
        assert.equal(hostMemoryBytes(GIB, 1), 2.5 * GIB);
        assert.equal(hostMemoryBytes(4 * GIB, 3), 30 * GIB);
        assert.equal(dataDiskGiB({ maxmemoryBytes: 4 * GIB, persistence: { aof: true, rdb: true } }), 24);
        assert.equal(dataDiskGiB({ maxmemoryBytes: 8 * GIB, persistence: { aof: false, rdb: true } }), 16);
        assert.equal(dataDiskGiB({ maxmemoryBytes: 256 * 1024 ** 2, persistence: { aof: true, rdb: false } }), 10);
        assert.equal(dataDiskGiB({ maxmemoryBytes: 1.1 * GIB, persistence: { aof: true, rdb: false } }), 10, "6.6 GiB rounds up, then the minimum");
        assert.equal(dataDiskGiB({ maxmemoryBytes: 3.3 * GIB, persistence: { aof: true, rdb: false } }), 20, "19.8 GiB rounds up to 20");
    });

    it("picks the smallest machine with enough memory", () => {
        const catalog = [{ name: "s", memoryGiB: 2 }, { name: "m", memoryGiB: 4 }, { name: "l", memoryGiB: 16 }];
        assert.equal(pickMachine(catalog, 2 * GIB)?.name, "s");
        assert.equal(pickMachine(catalog, 2 * GIB + 1)?.name, "m");
        assert.equal(pickMachine(catalog, 10 * GIB)?.name, "l");
        assert.equal(pickMachine(catalog, 17 * GIB), undefined);
    });
});

describe("VM layer: ports", () => {
    const rules = (args: RedisDeploymentArgs) => planOf(args).ports.map((r) => `${r.port}:${r.purpose}:${r.clients ? "clients" : "hosts"}`);
    it("opens per mode only what the mode uses; the cluster bus only between hosts", () => {
        assert.deepEqual(rules({ mode: "standalone" }), ["6379:redis:clients"]);
        assert.deepEqual(rules({ mode: "replication" }), ["6379:redis:clients", "6380:proxy-read:clients"]);
        assert.deepEqual(rules({ mode: "replication", proxy: { haproxy: false } }), ["6379:redis:clients"]);
        assert.deepEqual(rules({ mode: "sentinel" }), ["6379:redis:clients", "26379:sentinel:clients", "6380:proxy-read:clients"]);
        assert.deepEqual(rules({ mode: "cluster", port: 7000 }), ["7000:redis:clients", "17000:cluster-bus:hosts"]);
        assert.deepEqual(rules({ mode: "sentinel", sentinelPort: 5000, port: 6000 }), ["6000:redis:clients", "5000:sentinel:clients", "6001:proxy-read:clients"]);
    });
});

describe("VM layer: secret placeholders", () => {
    const real = { password: "app-pass-0123456789abcdef", adminPassword: "admin-pass-0123456789abcd", monitorPassword: "mon-pass-0123456789abcdef" };

    it("placeholders all start with @@RD_ and their hashes are the SHA-256 of the placeholder", () => {
        const hashes = placeholderHashes();
        assert.deepEqual(Object.keys(PLACEHOLDERS), [...STORED_SECRETS], "one placeholder per stored secret, the retiring ones included");
        for (const [k, v] of Object.entries(PLACEHOLDERS)) {
            assert.ok(v.startsWith("@@RD_"), k);
            assert.equal(hashes[k as keyof typeof hashes], passwordHash(v));
        }
        assert.equal(PLACEHOLDER_CREDENTIALS.retiring?.password, PLACEHOLDERS.retiringPassword, "the templates accept the retiring password's placeholder");
        assert.ok(ROOT_TOKEN.startsWith("@@RD_"));
    });

    it("a template needs the secrets whose placeholder or hash it holds", () => {
        const hashes = placeholderHashes();
        assert.deepEqual(secretsUsed([`masterauth ${PLACEHOLDER_CREDENTIALS.adminPassword}`]), ["adminPassword"]);
        assert.deepEqual(secretsUsed(["x", `user default on #${hashes.password}`]), ["password"]);
        assert.deepEqual(secretsUsed(["nothing here"]), []);
    });

    it("substitution puts the real secret and its hash in place, and the root before paths", () => {
        const hashes = placeholderHashes();
        const template = `dir ${ROOT_TOKEN}/var/lib/x\nmasterauth ${PLACEHOLDER_CREDENTIALS.adminPassword}\nuser default on #${hashes.password}\n`;
        const text = substituteSecrets(template, real, "/tmp/root");
        assert.equal(text, `dir /tmp/root/var/lib/x\nmasterauth ${real.adminPassword}\nuser default on #${passwordHash(real.password)}\n`);
    });
});

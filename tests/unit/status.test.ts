// The pure side of `status` and `failover`: judging what was read from members, sentinels and
// proxies; choosing the replica to promote; the stack state -> target reader; the printed report;
// the --watch loop; HAProxy's `show stat` parsing.
import assert from "node:assert/strict";
import { parseShowStat } from "../../bootstrap/haproxyStats";
import { revealSecrets, targetFromState } from "../../bin/cli/deploymentTarget";
import { parseCommandLine, statusText, watchStatus } from "../../bin/cli";
import {
    assessStatus, chooseFailover, FailoverRefused, MAX_LAG_SECONDS, replicaLines, uncoveredSlots,
    type ClusterNodeView, type MemberObservation, type Observations, type ProxyObservation, type SentinelObservation,
} from "../../components/status";

const AT = Date.parse("2024-05-01T12:00:00Z");
const M0 = { name: "r-s0-m0", shard: 0, address: "127.9.0.2", port: 6379 };
const M1 = { name: "r-s0-m1", shard: 0, address: "127.9.0.3", port: 6379 };
const M2 = { name: "r-s0-m2", shard: 0, address: "127.9.0.4", port: 6379 };

function masterInfo(replicas: { at: typeof M0; offset: number; lag: number }[], extra: Record<string, string> = {}): Record<string, string> {
    return {
        role: "master", connected_slaves: String(replicas.length), master_repl_offset: "1000",
        used_memory: "1048576", maxmemory: "268435456", connected_clients: "7",
        rdb_last_save_time: String(AT / 1000 - 30), rdb_last_bgsave_status: "ok", rdb_changes_since_last_save: "3",
        aof_enabled: "1", aof_last_write_status: "ok", aof_last_bgrewrite_status: "ok",
        ...Object.fromEntries(replicas.map((r, i) => [`slave${i}`, `ip=${r.at.address},port=${r.at.port},state=online,offset=${r.offset},lag=${r.lag}`])),
        ...extra,
        run_id: "run-" + (extra.run_id ?? "x"),
    };
}
function replicaInfo(master: typeof M0, extra: Record<string, string> = {}): Record<string, string> {
    return {
        role: "slave", master_host: master.address, master_port: String(master.port), master_link_status: "up",
        slave_repl_offset: "900", master_last_io_seconds_ago: "1",
        used_memory: "1048576", maxmemory: "268435456", connected_clients: "2",
        rdb_last_save_time: String(AT / 1000 - 30), rdb_last_bgsave_status: "ok", aof_enabled: "1", aof_last_write_status: "ok", aof_last_bgrewrite_status: "ok",
        ...extra,
        run_id: "run-" + (extra.run_id ?? "r"),
    };
}

/** A healthy replication set: m0 master, m1 and m2 its replicas (100 bytes, 0 s behind). */
function healthyMembers(): MemberObservation[] {
    return [
        { ...M0, info: masterInfo([{ at: M1, offset: 900, lag: 0 }, { at: M2, offset: 900, lag: 0 }], { run_id: "m0" }) },
        { ...M1, info: replicaInfo(M0, { run_id: "m1" }) },
        { ...M2, info: replicaInfo(M0, { run_id: "m2" }) },
    ];
}
const sentinel = (port: number, master = M0, extra: Record<string, string> = {}): SentinelObservation => ({
    address: "127.9.250.2", port,
    master: { ip: master.address, port: String(master.port), flags: "master", quorum: "2", "num-slaves": "2", "num-other-sentinels": "2", "config-epoch": "0", ...extra },
});
const servers = (writeUp: string[], readUp: string[]) => [M0, M1, M2].flatMap((m) => [
    { backend: "redis_master", server: m.name, status: writeUp.includes(m.name) ? "UP" : "DOWN", check: "L7OK" },
    { backend: "redis_replicas", server: m.name, status: readUp.includes(m.name) ? "UP" : "DOWN", check: "L7OK" },
]);
const proxy = (name: string, over: Partial<ProxyObservation> = {}): ProxyObservation => ({
    name, address: "127.9.251.2", port: 6379, servers: servers(["r-s0-m0"], ["r-s0-m1", "r-s0-m2"]), writesReachRunId: "run-m0", ...over,
});

function obs(over: Partial<Observations> = {}): Observations {
    return {
        mode: "sentinel", masterName: "r", writeBackend: "redis_master", readBackend: "redis_replicas", at: AT,
        members: healthyMembers(), sentinels: [sentinel(26379), sentinel(26380), sentinel(26381)], proxies: [proxy("p0"), proxy("p1")],
        ...over,
    };
}

describe("status: judging a deployment from what its nodes report", () => {
    it("a healthy sentinel deployment: no problem, every field filled in", () => {
        const r = assessStatus(obs());
        assert.deepEqual(r.problems, []);
        assert.equal(r.healthy, true);
        assert.equal(r.at, "2024-05-01T12:00:00.000Z");
        assert.deepEqual(r.masters, [{ shard: 0, master: "r-s0-m0" }]);
        assert.deepEqual(r.members[0], {
            name: "r-s0-m0", shard: 0, address: "127.9.0.2:6379", up: true, role: "master", connectedReplicas: 2,
            memory: { usedBytes: 1048576, maxBytes: 268435456, usedRatio: 1048576 / 268435456 },
            persistence: { lastSave: "2024-05-01T11:59:30.000Z", lastSaveStatus: "ok", changesSinceLastSave: 3, aof: true, aofLastWriteStatus: "ok", aofLastRewriteStatus: "ok" },
            clients: 7,
        });
        assert.deepEqual([r.members[1].role, r.members[1].master, r.members[1].linkStatus, r.members[1].lagBytes, r.members[1].lagSeconds], ["replica", "r-s0-m0", "up", 100, 0]);
        assert.deepEqual(r.sentinels[0], { address: "127.9.250.2:26379", up: true, master: "r-s0-m0", masterFlags: "master", quorum: 2, replicas: 2, otherSentinels: 2, failovers: 0 });
        assert.deepEqual(r.proxies[0], { name: "p0", address: "127.9.251.2:6379", up: true, writesReach: "r-s0-m0", writeServersUp: ["r-s0-m0"], readServersUp: ["r-s0-m1", "r-s0-m2"] });
    });

    it("after a failover with the old master killed: the new master is named, the old one is down, one line each", () => {
        const members: MemberObservation[] = [
            { ...M0, error: "connect ECONNREFUSED 127.9.0.2:6379" },
            { ...M1, info: masterInfo([{ at: M2, offset: 1000, lag: 0 }], { run_id: "m1" }) },
            { ...M2, info: replicaInfo(M1, { slave_repl_offset: "1000" }) },
        ];
        const r = assessStatus(obs({
            members,
            sentinels: [sentinel(26379, M1, { "config-epoch": "1" }), sentinel(26380, M1, { "config-epoch": "1" }), sentinel(26381, M1, { "config-epoch": "1" })],
            proxies: [proxy("p0", { servers: servers(["r-s0-m1"], ["r-s0-m2"]), writesReachRunId: "run-m1" })],
        }));
        assert.deepEqual(r.masters, [{ shard: 0, master: "r-s0-m1" }]);
        assert.deepEqual(r.problems, ["r-s0-m0 (127.9.0.2:6379) is down: connect ECONNREFUSED 127.9.0.2:6379"]);
        assert.equal(r.healthy, false);
        assert.equal(r.sentinels[0].failovers, 1);
    });

    it("no master, or two masters, is a problem naming them", () => {
        const none = assessStatus(obs({ mode: "replication", sentinels: [], proxies: [], members: [{ ...M0, error: "down" }, { ...M1, info: replicaInfo(M0, { master_link_status: "down", master_link_down_since_seconds: "12" }) }] }));
        assert.deepEqual(none.masters, [{ shard: 0, master: undefined }]);
        assert.deepEqual(none.problems, [
            "the deployment has no master (down: r-s0-m0)",
            "r-s0-m0 (127.9.0.2:6379) is down: down",
            "r-s0-m1: replication link to r-s0-m0 is down for 12s",
        ]);
        const two = assessStatus(obs({ mode: "replication", sentinels: [], proxies: [], members: [{ ...M0, info: masterInfo([]) }, { ...M1, info: masterInfo([]) }] }));
        assert.deepEqual(two.problems, ["the deployment has 2 masters: r-s0-m0, r-s0-m1 (writes to the wrong one are lost)"]);
    });

    it("a replica of the wrong master, a lagging replica, full memory, failed saves and AOF are problems", () => {
        const members = healthyMembers();
        members[1].info = replicaInfo(M2);
        members[2].info = replicaInfo(M0, { used_memory: String(0.95 * 268435456), rdb_last_bgsave_status: "err", aof_last_write_status: "err", aof_last_bgrewrite_status: "err" });
        members[0].info = masterInfo([{ at: M2, offset: 100, lag: MAX_LAG_SECONDS + 5 }]);
        const r = assessStatus(obs({ mode: "replication", sentinels: [], proxies: [], members }));
        assert.deepEqual(r.problems, [
            "r-s0-m1 replicates from r-s0-m2, not from the master r-s0-m0",
            `r-s0-m2 lags ${MAX_LAG_SECONDS + 5}s behind r-s0-m0 (100 bytes)`,
            "r-s0-m2: memory 95% of maxmemory (255013683.2 of 268435456 bytes)",
            "r-s0-m2: the last RDB save failed (rdb_last_bgsave_status:err)",
            "r-s0-m2: AOF writes fail (aof_last_write_status:err)",
            "r-s0-m2: the last AOF rewrite failed (aof_last_bgrewrite_status:err)",
        ]);
        assert.equal(r.members[2].lagBytes, 100, "lag in bytes: the master's offset minus the replica's own");
    });

    it("AOF off: its statuses are not looked at; maxmemory 0: no ratio and no memory problem", () => {
        const members = healthyMembers();
        members[0].info = { ...masterInfo([{ at: M1, offset: 900, lag: 0 }, { at: M2, offset: 900, lag: 0 }]), aof_enabled: "0", aof_last_write_status: "err", maxmemory: "0" };
        const r = assessStatus(obs({ mode: "replication", sentinels: [], proxies: [], members }));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.members[0].memory, { usedBytes: 1048576, maxBytes: 0 });
        assert.deepEqual(r.members[0].persistence, { lastSave: "2024-05-01T11:59:30.000Z", lastSaveStatus: "ok", changesSinceLastSave: 3, aof: false });
    });

    it("sentinels: down, not monitoring, another master, master seen down, failover in progress, missing peers", () => {
        const r = assessStatus(obs({
            sentinels: [
                { address: "127.9.250.2", port: 26379, error: "connect ECONNREFUSED" },
                { address: "127.9.250.3", port: 26379 },
                sentinel(26381, M1),
                sentinel(26382, M0, { flags: "master,s_down" }),
                sentinel(26383, M0, { flags: "master,failover_in_progress", "num-other-sentinels": "1" }),
            ],
        }));
        assert.deepEqual(r.problems, [
            "sentinel 127.9.250.2:26379: connect ECONNREFUSED",
            "sentinel 127.9.250.3:26379: does not monitor r",
            "sentinel 127.9.250.2:26381 names r-s0-m1 as master, but the master is r-s0-m0",
            "sentinel 127.9.250.2:26381 sees 2 other sentinel(s) of 4",
            "sentinel 127.9.250.2:26382 sees its master r-s0-m0 down (master,s_down)",
            "sentinel 127.9.250.2:26382 sees 2 other sentinel(s) of 4",
            "sentinel 127.9.250.2:26383: a failover is in progress (master,failover_in_progress)",
            "sentinel 127.9.250.2:26383 sees 1 other sentinel(s) of 4",
        ]);
    });

    it("proxies: down, routing writes elsewhere (HAProxy's view and the connection's), a failed write connection", () => {
        const r = assessStatus(obs({
            proxies: [
                proxy("p0", { servers: undefined, statsError: "stats socket /x: ENOENT", writesReachRunId: undefined, writeError: "connect ECONNREFUSED" }),
                proxy("p1", { servers: servers(["r-s0-m0", "r-s0-m1"], []), writesReachRunId: "run-m1" }),
                proxy("p2", { servers: servers([], []), writesReachRunId: "nobody-knows" }),
                proxy("p3", { writesReachRunId: undefined, writeError: "Connection is closed." }),
                // No stats socket from here (a cloud): the connection through the write port is the view.
                proxy("p4", { servers: undefined }),
            ],
        }));
        assert.deepEqual(r.problems, [
            "proxy p0 (127.9.251.2:6379) is down: connect ECONNREFUSED; stats socket /x: ENOENT",
            "proxy p1 marks r-s0-m0, r-s0-m1 UP for writes, but the master is r-s0-m0",
            "proxy p1 sends writes to r-s0-m1, but the master is r-s0-m0",
            "proxy p2 marks no server UP for writes, but the master is r-s0-m0",
            "proxy p2 sends writes to an unknown server (run_id nobody-knows), but the master is r-s0-m0",
            "proxy p3: a connection through its write port failed: Connection is closed.",
        ]);
        assert.deepEqual(r.proxies[4], { name: "p4", address: "127.9.251.2:6379", up: true, writesReach: "r-s0-m0" });
    });

    describe("cluster", () => {
        const node = (id: string, m: typeof M0, flags: string[], slots: [number, number][], masterId?: string): ClusterNodeView =>
            ({ id, endpoint: `${m.address}:${m.port}`, flags, masterId, slots: slots.map(([start, end]) => ({ start, end })) });
        const shardMember = (shard: number, i: number) => ({ name: `c-s${shard}-m${i}`, shard, address: `127.9.${shard}.${i + 2}`, port: 6379 });
        function clusterObs(slotsOfShard2: [number, number][] = [[10923, 16383]], state = "ok"): Observations {
            const ranges: [number, number][][] = [[[0, 5460]], [[5461, 10922]], slotsOfShard2];
            const members: MemberObservation[] = [];
            for (let s = 0; s < 3; s++) {
                const [m, r] = [shardMember(s, 0), shardMember(s, 1)];
                members.push({ ...m, info: masterInfo([{ at: r, offset: 1000, lag: 0 }]), clusterInfo: { cluster_state: state }, clusterNodes: [node(`id${s}`, m, ["myself", "master"], ranges[s])] });
                members.push({ ...r, info: replicaInfo(m, { slave_repl_offset: "1000" }), clusterInfo: { cluster_state: state }, clusterNodes: [node(`id${s}r`, r, ["myself", "slave"], [], `id${s}`)] });
            }
            return { mode: "cluster", at: AT, members, sentinels: [], proxies: [] };
        }

        it("each master's slot ranges and cluster_state; healthy when all 16384 slots are served", () => {
            const r = assessStatus(clusterObs());
            assert.deepEqual(r.problems, []);
            assert.deepEqual(r.masters.map((s) => s.master), ["c-s0-m0", "c-s1-m0", "c-s2-m0"]);
            assert.deepEqual(r.members[0].cluster, { state: "ok", slots: ["0-5460"] });
            assert.deepEqual(r.members[1].cluster, { state: "ok", slots: [] });
        });

        it("unserved slots and cluster_state:fail are problems; a shard without master is named by number", () => {
            const o = clusterObs([[10923, 16000], [16383, 16383]], "fail");
            o.members[4] = { ...o.members[4], info: undefined, error: "connect ECONNREFUSED" };
            o.members[5] = { ...o.members[5], info: replicaInfo(shardMember(2, 0), { master_link_status: "down" }) };
            const r = assessStatus(o);
            assert.deepEqual(r.problems.filter((p) => !p.includes("cluster_state")), [
                "shard 2 has no master (down: c-s2-m0)",
                "c-s2-m0 (127.9.2.2:6379) is down: connect ECONNREFUSED",
                "c-s2-m1: replication link to c-s2-m0 is down",
                "slots not served by a reachable master: 10923-16383",
            ]);
            assert.equal(r.problems.filter((p) => p.endsWith("cluster_state:fail")).length, 5);
        });

        it("uncoveredSlots finds gaps at the start, between ranges and at the end, overlapping ranges included", () => {
            assert.deepEqual(uncoveredSlots([{ start: 0, end: 16383 }]), []);
            assert.deepEqual(uncoveredSlots([]), [{ start: 0, end: 16383 }]);
            assert.deepEqual(uncoveredSlots([{ start: 10, end: 100 }, { start: 50, end: 200 }, { start: 300, end: 16382 }]),
                [{ start: 0, end: 9 }, { start: 201, end: 299 }, { start: 16383, end: 16383 }]);
        });
    });

    it("replicaLines reads a master's slaveN lines", () => {
        assert.deepEqual(replicaLines({ slave0: "ip=10.0.0.5,port=6380,state=online,offset=42,lag=1", slaves: "x", role: "master" }),
            [{ endpoint: "10.0.0.5:6380", state: "online", offset: 42, lag: 1 }]);
    });
});

describe("failover: which replica takes over", () => {
    it("the linked replica least behind; ties by name", () => {
        const members = healthyMembers();
        members[1].info = replicaInfo(M0, { slave_repl_offset: "800" });
        const r = assessStatus(obs({ members }));
        assert.equal(chooseFailover(r).replica.name, "r-s0-m2");
        assert.equal(chooseFailover(assessStatus(obs())).replica.name, "r-s0-m1");
        assert.equal(chooseFailover(assessStatus(obs())).master.name, "r-s0-m0");
    });

    it("refuses: standalone, --shard outside cluster mode, cluster without --shard, an unknown shard, no live master, two masters, no linked replica", () => {
        const refused = (o: Observations, shard: number | undefined, message: RegExp) =>
            assert.throws(() => chooseFailover(assessStatus(o), shard), (err: Error) => err instanceof FailoverRefused && message.test(err.message));
        refused(obs({ mode: "standalone", members: [{ ...M0, info: masterInfo([]) }], sentinels: [], proxies: [] }), undefined, /standalone deployment has no replica/);
        refused(obs(), 1, /^--shard applies to cluster mode; a sentinel deployment has one shard \(0\)$/);
        const cluster = obs({ mode: "cluster", sentinels: [], proxies: [], members: [{ ...M0, info: masterInfo([]) }, { ...M1, shard: 1, info: masterInfo([]) }] });
        refused(cluster, undefined, /^cluster mode: name the shard to fail over with --shard N \(0, 1\)$/);
        refused(cluster, 7, /^there is no shard 7; shards: 0, 1$/);
        refused(obs({ members: [{ ...M0, error: "down" }, { ...M1, info: replicaInfo(M0, { master_link_status: "down" }) }] }), undefined, /no live master to fail over from; the sentinels fail over by themselves/);
        refused(obs({ mode: "replication", members: [{ ...M0, info: masterInfo([]) }, { ...M1, info: masterInfo([]) }] }), undefined, /has 2 masters \(r-s0-m0, r-s0-m1\); fix that first/);
        refused(obs({ members: [{ ...M0, info: masterInfo([]) }, { ...M1, info: replicaInfo(M0, { master_link_status: "down" }) }, { ...M2, error: "down" }] }), undefined, /r-s0-m0 has no replica with a live replication link/);
    });
});

describe("status: the stack state reader", () => {
    const secret = (v: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
    const comp = "urn:pulumi:dev::redis-deployment::redis-deployment:index:RedisDeployment::redis";
    const state = (bootstrap: string | undefined, outputs: Record<string, unknown>) => ({
        resources: [
            { urn: "urn:pulumi:dev::redis-deployment::pulumi:pulumi:Stack::redis-deployment-dev", type: "pulumi:pulumi:Stack" },
            { urn: comp, type: "redis-deployment:index:RedisDeployment", outputs },
            { urn: `${comp}$x::redis-password`, type: "pulumi-nodejs:dynamic/redis-deployment:DeploymentPassword", parent: comp, outputs: { adminPassword: secret("adm1n"), password: secret("app") } },
            ...(bootstrap ? [{ urn: `${comp}$x::b`, type: `pulumi-nodejs:dynamic/redis-deployment:${bootstrap}`, parent: comp, outputs: { access: secret({ kind: "ssh", host: "bastion", port: 22, user: "u", privateKey: "k" }) } }] : []),
            { urn: `${comp}$x::redis-proxy0`, type: "pulumi-nodejs:dynamic/redis-deployment:LocalProcess", parent: comp, outputs: { kind: "haproxy", name: "redis-proxy0", address: "127.9.251.2", port: 6379, readiness: { statsSocket: "/d/redis-proxy0/haproxy.sock" } } },
        ],
    });
    const members = [{ name: "redis-s0-m0", shard: 0, role: "master", zone: "a", address: "127.9.0.2", port: 6379 }, { name: "redis-s0-m1", shard: 0, role: "replica", zone: "b", address: "127.9.0.3", port: 6379 }];

    it("sentinel: members, sentinels, master name, proxies with their stats socket, admin password, the bootstrap's access", () => {
        const t = targetFromState(state("SentinelBootstrap", {
            members, sentinelAddresses: ["127.9.250.2:26379"], masterName: "redis", proxyAddresses: ["127.9.251.2:6379", "10.1.1.1:6379"], password: secret("app"),
        }), "redis");
        assert.deepEqual(t, {
            mode: "sentinel",
            members: members.map(({ name, shard, address, port }) => ({ name, shard, address, port })),
            sentinels: [{ address: "127.9.250.2", port: 26379 }],
            masterName: "redis",
            proxies: [{ name: "redis-proxy0", address: "127.9.251.2", port: 6379, statsSocket: "/d/redis-proxy0/haproxy.sock" }, { name: "proxy1", address: "10.1.1.1", port: 6379 }],
            adminPassword: "adm1n",
            access: { kind: "ssh", host: "bastion", port: 22, user: "u", privateKey: "k" },
        });
    });

    it("the mode follows the bootstrap resource; none is standalone with direct access", () => {
        assert.equal(targetFromState(state("ClusterBootstrap", { members })).mode, "cluster");
        assert.equal(targetFromState(state("ReplicationBootstrap", { members })).mode, "replication");
        const standalone = targetFromState(state(undefined, { members: members.slice(0, 1) }));
        assert.deepEqual([standalone.mode, standalone.access, standalone.masterName], ["standalone", { kind: "direct" }, undefined]);
    });

    it("with TLS and no bootstrap (standalone): the CA and the client certificate come from the TlsCertificates resource; a bootstrap's own TLS access wins", () => {
        const certificates = { urn: `${comp}$x::redis-tls`, type: "pulumi-nodejs:dynamic/redis-deployment:TlsCertificates", parent: comp, outputs: { caCertificate: "CA", client: secret({ certificate: "CERT", key: "KEY" }) } };
        const withCertificates = (bootstrap: string | undefined) => {
            const s = state(bootstrap, { members: members.slice(0, 1) });
            s.resources.push(certificates as never);
            return s;
        };
        assert.deepEqual(targetFromState(withCertificates(undefined)).access, { kind: "direct", tls: { ca: "CA", certificate: "CERT", key: "KEY" } });
        const s = withCertificates("ReplicationBootstrap");
        (s.resources[3] as { outputs: unknown }).outputs = { access: secret({ kind: "direct", tls: { ca: "BOOTSTRAP-CA" } }) };
        assert.deepEqual(targetFromState(s).access, { kind: "direct", tls: { ca: "BOOTSTRAP-CA" } });
    });

    it("clear errors: no deployment, another name, no members yet, secrets still encrypted", () => {
        assert.throws(() => targetFromState({ resources: [] }), /the stack has no RedisDeployment; bring it up first/);
        assert.throws(() => targetFromState(state("ReplicationBootstrap", { members }), "cache"), /no RedisDeployment named "cache"/);
        assert.throws(() => targetFromState(state("ReplicationBootstrap", {})), /has no members in the stack's state; run `up` first/);
        assert.throws(() => revealSecrets({ a: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:..." } }), /secrets are encrypted/);
    });
});

describe("status: what the CLI prints and parses", () => {
    it("the report as text: live roles, lag, memory, save, AOF, sentinels, proxies, then one PROBLEM line each", () => {
        const members: MemberObservation[] = [{ ...M0, error: "connect ECONNREFUSED 127.9.0.2:6379" }, { ...M1, info: masterInfo([{ at: M2, offset: 1000, lag: 0 }], { run_id: "m1" }) }, { ...M2, info: replicaInfo(M1) }];
        const text = statusText("dev", assessStatus(obs({ members, sentinels: [sentinel(26379, M1, { "config-epoch": "1" })], proxies: [proxy("p0", { servers: servers(["r-s0-m1"], ["r-s0-m2"]), writesReachRunId: "run-m1" })] })));
        const lines = text.split("\n");
        assert.equal(lines[0], "Redis deployment (stack dev, sentinel) at 2024-05-01T12:00:00.000Z: 1 problem(s)");
        assert.match(text, /\n {2}r-s0-m0\s+0\s+DOWN\s+127\.9\.0\.2:6379 connect ECONNREFUSED/);
        assert.match(text, /\n {2}r-s0-m1\s+0\s+master\s+1 replica\(s\)\s+-\s+1\.0MB\/256\.0MB 0%\s+7\s+30s ago\s+on\n/);
        assert.match(text, /\n {2}r-s0-m2\s+0\s+replica\s+r-s0-m1\s+100B\/0s\s+1\.0MB\/256\.0MB 0%\s+2\s+30s ago\s+on\n/);
        assert.match(text, /\n {4}127\.9\.250\.2:26379\s+master r-s0-m1 \(master\), quorum 2, 2 replica\(s\), 2 other sentinel\(s\), 1 failover\(s\) seen\n/);
        assert.match(text, /\n {4}p0\s+127\.9\.251\.2:6379\s+writes reach r-s0-m1; UP for writes: r-s0-m1; for reads: r-s0-m2\n/);
        assert.deepEqual(lines.filter((l) => l.startsWith("PROBLEM")), ["PROBLEM r-s0-m0 (127.9.0.2:6379) is down: connect ECONNREFUSED 127.9.0.2:6379"]);
        assert.match(statusText("dev", assessStatus(obs())), /: healthy\n[^]*\n$/);
    });

    it("the text report names the last backup, or why the backup target could not be listed", () => {
        const healthy = assessStatus(obs());
        const set = { uri: "s3://bucket/redis/redis-20261204T080000Z", time: "2026-12-04T08:00:00.000Z", bytes: 2048, keys: 20000, complete: true };
        assert.match(statusText("dev", { ...healthy, lastBackup: set }), /\n {2}last backup: 2026-12-04T08:00:00\.000Z 2\.0KB, 20000 keys s3:\/\/bucket\/redis\/redis-20261204T080000Z\n/);
        assert.match(statusText("dev", { ...healthy, lastBackup: { ...set, complete: false } }), /20000 keys \(incomplete\) s3:/);
        assert.match(statusText("dev", { ...healthy, lastBackup: { error: "connection refused" } }), /\n {2}last backup: the backup target could not be listed: connection refused\n/);
        assert.ok(!statusText("dev", healthy).includes("last backup"), "no line without backups");
    });

    it("status takes --watch and --json; failover takes --shard; neither takes the other's flag", () => {
        assert.deepEqual(parseCommandLine(["status", "--watch", "--json"]).options, { stack: undefined, stateDir: undefined, json: true, showSecrets: false, remove: false, watch: true, shard: undefined, settings: {} });
        assert.equal((parseCommandLine(["failover", "--shard", "2"]).options as { shard?: string }).shard, "2");
        assert.throws(() => parseCommandLine(["failover", "--watch"]), /--watch only applies to status/);
        assert.throws(() => parseCommandLine(["status", "--shard", "1"]), /--shard only applies to failover/);
        assert.throws(() => parseCommandLine(["status", "--mode", "cluster"]), /deployment flags .* only apply to up and preview/);
    });

    it("--watch prints a report per interval until stopped and returns the last one", async () => {
        let reads = 0;
        const printed: boolean[] = [];
        let stop!: () => void;
        const stopped = new Promise<void>((r) => { stop = r; });
        const last = await watchStatus(async () => {
            reads++;
            if (reads === 3) stop();
            return assessStatus(obs(reads === 3 ? { members: [{ ...M0, error: "down" }, ...healthyMembers().slice(1)] } : {}));
        }, (r) => printed.push(r.healthy), stopped, 10);
        assert.deepEqual(printed, [true, true, false]);
        assert.equal(last.healthy, false);
    });
});

describe("HAProxy show stat", () => {
    it("server rows of every backend, without frontends and totals; anything else is an error", () => {
        const text = "# pxname,svname,qcur,status,check_status\nredis_write,FRONTEND,,OPEN,\nredis_master,r-s0-m0,0,UP,L7OK\nredis_master,r-s0-m1,0,DOWN,L7TOUT\nredis_master,BACKEND,0,UP,\n\n";
        assert.deepEqual(parseShowStat(text), [
            { backend: "redis_master", server: "r-s0-m0", status: "UP", check: "L7OK" },
            { backend: "redis_master", server: "r-s0-m1", status: "DOWN", check: "L7TOUT" },
        ]);
        assert.throws(() => parseShowStat("Unknown command\n"), /not a "show stat" answer/);
    });
});

// Least privilege, end to end on real deployments (redis-server, redis-sentinel; no mocks):
// with the application password every administrative command is refused (NOPERM) on members
// and sentinels, while what applications do works: SET/GET, pub/sub, redis-benchmark, an
// ioredis Sentinel client through a failover (which needs the sentinels to log in to each
// other as rd-admin and vote), and an ioredis Cluster client. Fleets stop every process by pid
// in after(), also when a test fails.
import assert from "node:assert/strict";
import { Cluster, Redis } from "ioredis";
import { ADMIN_USER } from "../../components/types";
import { convergeCluster } from "../../bootstrap/cluster";
import { parseInfo, waitFor } from "../../bootstrap/redisClient";
import { convergeSentinel, pairs } from "../../bootstrap/sentinel";
import { Fleet, processesUnder } from "../helpers/fleet";
import { MEMBER_REFUSED, assertRefused, sentinelRefused } from "../helpers/leastPrivilege";
import { ReplyError, run, session, type Reply } from "../helpers/realPrograms";
import { clusterInputs, sentinelInputs } from "../helpers/topologies";

/** AUTH (application password: the default user) then `commands` on one connection; the commands' replies. */
async function asApplication(fleet: Fleet, node: { address: string; port: number }, commands: string[][]): Promise<Reply[]> {
    const [auth, ...replies] = await session(node.address, node.port, [["AUTH", fleet.credentials.password], ...commands]);
    assert.equal(auth, "OK", `AUTH with the application password at ${node.address}:${node.port}`);
    return replies;
}

async function asAdmin(fleet: Fleet, node: { address: string; port: number }, args: string[]): Promise<Reply> {
    const [auth, reply] = await session(node.address, node.port, [["AUTH", ADMIN_USER, fleet.credentials.adminPassword], args]);
    assert.equal(auth, "OK", `AUTH as rd-admin at ${node.address}:${node.port}`);
    return reply;
}

/** ACL LOG entries of a node (up to 128, the newest first) as maps (reason, username, object, ...). */
async function aclLog(fleet: Fleet, node: { address: string; port: number }): Promise<Record<string, string>[]> {
    return (await asAdmin(fleet, node, ["ACL", "LOG", "128"]) as Reply[]).map(pairs);
}

describe("least privilege with the application password, on real deployments", function () {
    this.timeout(120000);

    describe("sentinel: 1 master + 1 replica, 3 sentinels", () => {
        let fleet: Fleet;
        const masterName = () => fleet.plan.masterName;
        before(async () => {
            fleet = new Fleet("lps", { mode: "sentinel", replicasPerShard: 1, sentinels: 3 });
            await Promise.all([fleet.startMembers(), fleet.startSentinels()]);
            await convergeSentinel(sentinelInputs(fleet));
            await fleet.startProxies();
        });
        after(async () => {
            await fleet?.cleanup();
            if (fleet) assert.deepEqual(processesUnder(fleet.root), []);
        });

        it("the bootstrap and the sentinels' peers log in as rd-admin: every sentinel pings its 2 peers, and no login or command was refused anywhere", async () => {
            for (const s of fleet.sentinels) {
                await waitFor(`${s.name} to have fresh PING replies from both peers`, 20000, async () => {
                    const [peers] = await asApplication(fleet, s, [["SENTINEL", "SENTINELS", masterName()]]);
                    const list = (peers as Reply[]).map(pairs);
                    const fresh = list.filter((p) => p.flags === "sentinel" && Number(p["last-ok-ping-reply"]) < 2000);
                    return list.length === 2 && fresh.length === 2 ? true : undefined;
                });
            }
            for (const node of [...fleet.sentinels, ...fleet.members]) {
                assert.deepEqual(await aclLog(fleet, node), [], `${node.address}:${node.port}: ACL LOG is empty (no refused login or command)`);
            }
        });

        it("members refuse every administrative command to the application password (NOPERM) and stay as they were", async () => {
            for (const m of fleet.members) {
                const role = parseInfo(String(await asAdmin(fleet, m, ["INFO", "replication"]))).role;
                assertRefused(await asApplication(fleet, m, MEMBER_REFUSED.map((c) => c.args)), MEMBER_REFUSED, m.name);
                assert.equal(parseInfo(String(await asAdmin(fleet, m, ["INFO", "replication"]))).role, role, `${m.name} kept its role`);
                assert.deepEqual(await asAdmin(fleet, m, ["ACL", "USERS"]), ["default", ADMIN_USER, "rd-monitor"]);
            }
            const log = await aclLog(fleet, fleet.members[0]);
            assert.ok(log.some((e) => e.reason === "command" && e.username === "default" && e.object === "config|set"), "refusals are in ACL LOG, for the operator to see");
        });

        it("sentinels refuse SENTINEL REMOVE, SET, FAILOVER, RESET, MONITOR, CONFIG, votes and hello messages to the application password (NOPERM), and keep monitoring", async () => {
            const refused = sentinelRefused(masterName());
            for (const s of fleet.sentinels) {
                assertRefused(await asApplication(fleet, s, refused.map((c) => c.args)), refused, s.name);
                const [master, masters] = await asApplication(fleet, s, [["SENTINEL", "MASTER", masterName()], ["SENTINEL", "MASTERS"]]);
                const m = pairs(master);
                assert.equal(m.ip, fleet.members[0].address, `${s.name} still monitors the master`);
                assert.equal(m.quorum, String(fleet.plan.quorum), `${s.name}: SENTINEL SET was refused`);
                assert.equal((masters as Reply[]).length, 1, `${s.name}: SENTINEL MONITOR was refused`);
            }
        });

        it("SET/GET and pub/sub work with the application password on the master", async () => {
            const master = fleet.members[0];
            const client = new Redis({ host: master.address, port: master.port, password: fleet.credentials.password });
            const subscriber = new Redis({ host: master.address, port: master.port, password: fleet.credentials.password });
            try {
                assert.equal(await client.set("lp:key", "v1"), "OK");
                assert.equal(await client.get("lp:key"), "v1");
                const received = new Promise<string>((resolve) => subscriber.on("message", (_channel: string, message: string) => resolve(message)));
                await subscriber.subscribe("lp:news");
                assert.equal(await client.publish("lp:news", "hello"), 1);
                assert.equal(await received, "hello");
            } finally {
                client.disconnect();
                subscriber.disconnect();
            }
        });

        it("redis-benchmark -q -n 1000 -t set,get with the application password runs through HAProxy", async () => {
            const proxy = fleet.proxies[0];
            const result = await run("redis-benchmark", ["-h", proxy.address, "-p", String(proxy.port), "-a", fleet.credentials.password, "-q", "-n", "1000", "-t", "set,get"]);
            const output = result.stdout + result.stderr;
            assert.equal(result.code, 0, output);
            assert.match(result.stdout, /SET: [\d.]+ requests per second/, output);
            assert.match(result.stdout, /GET: [\d.]+ requests per second/, output);
            assert.doesNotMatch(output, /NOPERM|NOAUTH|WRONGPASS/, output);
        });

        it("an ioredis Sentinel client (sentinels, name, password, sentinelPassword) writes, reads from a replica, and follows a failover of the killed master", async () => {
            const options = {
                sentinels: fleet.sentinels.map((s) => ({ host: s.address, port: s.port })),
                name: masterName(),
                password: fleet.credentials.password,
                sentinelPassword: fleet.credentials.password,
            };
            const client = new Redis({ ...options, failoverDetector: true });
            const reader = new Redis({ ...options, role: "slave" });
            // While the master is down the clients report failed reconnects; the test looks at what they do after.
            client.on("error", () => { /* reconnecting */ });
            reader.on("error", () => { /* reconnecting */ });
            try {
                assert.equal(await client.set("via-sentinel", "1"), "OK");
                assert.equal(await client.get("via-sentinel"), "1");
                await waitFor("the replica to serve the key", 10000, async () => (await reader.get("via-sentinel")) === "1" ? true : undefined);

                // A crash: the sentinels must agree (SENTINEL IS-MASTER-DOWN-BY-ADDR to their peers,
                // as rd-admin) and elect a leader before the replica is promoted.
                const old = fleet.members[0];
                await fleet.kill(fleet.process(old.name));
                const promoted = await waitFor("the sentinels to promote the replica", 30000, async () => {
                    const [addr] = await asApplication(fleet, fleet.sentinels[0], [["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName()]]);
                    return Array.isArray(addr) && addr[0] !== old.address ? String(addr[0]) : undefined;
                });
                assert.equal(promoted, fleet.members[1].address);
                await waitFor("the client to write to the new master", 30000, async () => (await client.set("after-failover", "2")) === "OK" ? true : undefined, 200);
                assert.equal(await asAdmin(fleet, fleet.members[1], ["GET", "after-failover"]), "2", "the write landed on the promoted replica");
                assert.equal(await client.get("via-sentinel"), "1");
            } finally {
                client.disconnect();
                reader.disconnect();
            }
            for (const s of fleet.sentinels) {
                const denied = (await aclLog(fleet, s)).filter((e) => e.reason === "auth" || e.username === ADMIN_USER);
                assert.deepEqual(denied, [], `${s.name}: no failed login and nothing refused to rd-admin (the peers)`);
            }
        });
    });

    describe("sentinel: a redis-py Sentinel client (Debian's python3-redis)", () => {
        let fleet: Fleet;
        before(async () => {
            fleet = new Fleet("lpy", { mode: "sentinel", replicasPerShard: 1, sentinels: 3 });
            await Promise.all([fleet.startMembers(), fleet.startSentinels()]);
            await convergeSentinel(sentinelInputs(fleet));
        });
        after(async () => {
            await fleet?.cleanup();
            if (fleet) assert.deepEqual(processesUnder(fleet.root), []);
        });

        it("with only the application password, discovers the master and a replica, writes to one and reads the key back from the other", async () => {
            // As docs/security.md shows it: the password for the sentinels and for the members.
            const script = [
                "import json, sys, time",
                "from redis.sentinel import Sentinel",
                "sentinels, name, password = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]",
                "s = Sentinel([tuple(x) for x in sentinels], sentinel_kwargs={'password': password}, password=password, socket_timeout=2)",
                "master, replica = s.master_for(name, socket_timeout=2), s.slave_for(name, socket_timeout=2)",
                "master.set('via-redis-py', 'ok')",
                "deadline = time.time() + 10",
                "while replica.get('via-redis-py') != b'ok' and time.time() < deadline: time.sleep(0.1)",
                "print(json.dumps({'master': list(s.discover_master(name)), 'replicas': [list(r) for r in s.discover_slaves(name)], 'read': replica.get('via-redis-py').decode()}))",
            ].join("\n");
            const sentinels = JSON.stringify(fleet.sentinels.map((s) => [s.address, s.port]));
            const result = await run("/usr/bin/python3", ["-c", script, sentinels, fleet.plan.masterName, fleet.credentials.password]);
            assert.equal(result.code, 0, result.stdout + result.stderr);
            const seen = JSON.parse(result.stdout);
            assert.deepEqual(seen.master, [fleet.members[0].address, fleet.members[0].port]);
            assert.deepEqual(seen.replicas, [[fleet.members[1].address, fleet.members[1].port]]);
            assert.equal(seen.read, "ok");
        });
    });

    describe("cluster: 3 shards, no replicas", () => {
        let fleet: Fleet;
        before(async () => {
            fleet = new Fleet("lpc", { mode: "cluster", shards: 3, replicasPerShard: 0 });
            await fleet.startMembers();
            await convergeCluster(clusterInputs(fleet));
        });
        after(async () => {
            await fleet?.cleanup();
            if (fleet) assert.deepEqual(processesUnder(fleet.root), []);
        });

        it("an ioredis Cluster client with the application password writes and reads across every shard, and pub/sub works", async () => {
            const seeds = fleet.members.map((m) => ({ host: m.address, port: m.port }));
            const cluster = new Cluster(seeds, { redisOptions: { password: fleet.credentials.password } });
            const subscriber = new Cluster(seeds, { redisOptions: { password: fleet.credentials.password } });
            try {
                await Promise.all(Array.from({ length: 300 }, (_, i) => cluster.set(`key:${i}`, `value-${i}`)));
                const values = await Promise.all(Array.from({ length: 300 }, (_, i) => cluster.get(`key:${i}`)));
                assert.deepEqual(values, Array.from({ length: 300 }, (_, i) => `value-${i}`));
                const perMaster = await Promise.all(cluster.nodes("master").map((n) => n.dbsize()));
                assert.equal(perMaster.length, 3);
                assert.ok(perMaster.every((n) => n > 50), `keys on every master: ${perMaster}`);
                const received = new Promise<string>((resolve) => subscriber.on("message", (_channel: string, message: string) => resolve(message)));
                await subscriber.subscribe("lp:cluster-news");
                await cluster.publish("lp:cluster-news", "hello");
                assert.equal(await received, "hello");
            } finally {
                cluster.disconnect();
                subscriber.disconnect();
            }
        });

        it("cluster nodes refuse CLUSTER RESET, FORGET, SETSLOT, MEET, ADDSLOTS, MIGRATE and the rest to the application password (NOPERM); the cluster is unchanged", async () => {
            const before = String(await asAdmin(fleet, fleet.members[0], ["CLUSTER", "NODES"])).split("\n").map((l) => l.split(" ").filter((_, i) => i !== 4 && i !== 5).join(" ")).sort();
            for (const m of fleet.members) {
                assertRefused(await asApplication(fleet, m, MEMBER_REFUSED.map((c) => c.args)), MEMBER_REFUSED, m.name);
            }
            for (const m of fleet.members) {
                // What cluster clients read is allowed to the application password.
                const [info, slots, shards, myid, keyslot] = await asApplication(fleet, m, [["CLUSTER", "INFO"], ["CLUSTER", "SLOTS"], ["CLUSTER", "SHARDS"], ["CLUSTER", "MYID"], ["CLUSTER", "KEYSLOT", "k"]]);
                assert.equal(parseInfo(String(info)).cluster_state, "ok", `${m.name} cluster_state`);
                assert.equal((slots as Reply[]).length, 3);
                assert.equal((shards as Reply[]).length, 3);
                assert.match(String(myid), /^[0-9a-f]{40}$/);
                assert.ok(!(keyslot instanceof ReplyError), String(keyslot));
            }
            const after = String(await asAdmin(fleet, fleet.members[0], ["CLUSTER", "NODES"])).split("\n").map((l) => l.split(" ").filter((_, i) => i !== 4 && i !== 5).join(" ")).sort();
            assert.deepEqual(after, before, "CLUSTER NODES unchanged (apart from ping times)");
        });
    });
});

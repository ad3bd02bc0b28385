// The whole lifecycle of a Redis cluster through the real Pulumi engine (Automation API, file
// backend in a temporary folder), driven through the redis-deployment CLI's own functions:
// up 3 shards x 1 replica, a real cluster client, no-op up, add a replica per shard, destroy.
import assert from "node:assert/strict";
import * as fs from "fs";
import { Cluster, Redis } from "ioredis";
import { parseClusterNodes, type ClusterNodeLine } from "../../bootstrap/cluster";
import { assertOnlyChanges, cleanupAfterSuite, destroyLeavesNothing, E2eDeployment, filesUnder, hostPort, poll, printTimings, rawReplies, secretValue, timed } from "./harness";

const KEYS = 600;

describe("e2e: cluster 3 shards x 1 replica through the engine (redis-deployment CLI functions)", function () {
    this.timeout(240000);
    const d = new E2eDeployment("127.121");
    let nodes: string[] = [];
    let password = "";
    /** Node id of every member after the first up, by member name. */
    let idsBefore = new Map<string, string>();

    /** Set when growing to 3x2 failed: later steps that need a converged cluster are skipped. */
    let growthFailed = false;

    const client = (endpoint: string) => {
        const c = new Redis({ ...hostPort(endpoint), password, maxRetriesPerRequest: 1, retryStrategy: () => null });
        c.on("error", () => { /* the failing command reports it */ });
        return c;
    };
    const clusterClient = () => {
        const c = new Cluster(nodes.map(hostPort), { redisOptions: { password }, clusterRetryStrategy: () => null });
        c.on("error", () => { /* the failing command reports it */ });
        return c;
    };

    /** CLUSTER NODES as seen by every node. */
    async function views(): Promise<ClusterNodeLine[][]> {
        return Promise.all(nodes.map(async (endpoint) => {
            const c = client(endpoint);
            try {
                return parseClusterNodes(String(await c.call("CLUSTER", "NODES")));
            } finally {
                c.disconnect();
            }
        }));
    }

    /** Replica endpoints of every master that serves slots, by what every node reports (ROLE on each master too). */
    async function replicasPerMaster(): Promise<Map<string, string[]>> {
        const view = (await views())[0];
        const masters = view.filter((l) => l.flags.includes("master") && l.slots.length > 0);
        const result = new Map<string, string[]>();
        for (const m of masters) {
            const c = client(m.endpoint);
            try {
                const role = (await c.call("ROLE")) as [string, number, [string, string, string][]];
                assert.equal(role[0], "master", `${m.endpoint} serves slots, so ROLE must say master`);
                result.set(m.endpoint, role[2].map(([host, port]) => `${host}:${port}`).sort());
            } finally {
                c.disconnect();
            }
        }
        return result;
    }

    /** member name -> CLUSTER MYID, from the members output. */
    async function nodeIds(members: { name: string; address: string; port: number }[]): Promise<Map<string, string>> {
        const ids = new Map<string, string>();
        for (const m of members) {
            const c = client(`${m.address}:${m.port}`);
            try {
                ids.set(m.name, String(await c.call("CLUSTER", "MYID")));
            } catch (err) {
                ids.set(m.name, `unreachable at ${m.address}:${m.port}: ${(err as Error).message}`);
            } finally {
                c.disconnect();
            }
        }
        return ids;
    }

    /** Every key's value; `tolerant`: a key that can not be read counts as missing instead of failing. */
    async function readAll(tolerant = false): Promise<(string | null)[]> {
        const cluster = clusterClient();
        try {
            const values: (string | null)[] = [];
            for (let i = 0; i < KEYS; i += 100) {
                values.push(...await Promise.all(Array.from({ length: Math.min(100, KEYS - i) }, (_, j) => {
                    const get = cluster.get(`e2e:key:${i + j}`);
                    return tolerant ? get.catch(() => null) : get;
                })));
            }
            return values;
        } finally {
            cluster.disconnect();
        }
    }
    const expected = Array.from({ length: KEYS }, (_, i) => `value-${i}`);

    afterEach(function () {
        if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${d.logTail()}`);
    });

    cleanupAfterSuite(d, "cluster 3x1");

    it("up creates the cluster; its outputs name 6 seed nodes and a secret password", async () => {
        const { result, outputs } = await timed("cluster 3x1: first up", () =>
            d.up({ mode: "cluster", shards: "3", replicasPerShard: "1" }));
        const changes = result.summary.resourceChanges ?? {};
        assert.deepEqual(Object.keys(changes), ["create"], `first up only creates: ${JSON.stringify(changes)}`);
        nodes = outputs.clusterNodes.value as string[];
        assert.equal(nodes.length, 6);
        assert.ok(nodes.every((n) => n.startsWith("127.121.")), `nodes in the suite's address block: ${nodes}`);
        password = secretValue(outputs, "password");
        assert.match(password, /^[0-9a-f]{48}$/);
        assert.equal(outputs.connectionUrl.secret, true);
        assert.equal(outputs.readEndpoint, undefined, "a cluster has no proxy read endpoint");
        idsBefore = await nodeIds(outputs.members.value);
    });

    it("the stack's state files do not hold the password in plain text", () => {
        const files = filesUnder(d.stateDir);
        assert.ok(files.some((f) => f.includes("/state/.pulumi/stacks/")), `a checkpoint exists: ${files.join(", ")}`);
        const leaking = files.filter((f) => fs.readFileSync(f).includes(password));
        assert.deepEqual(leaking, []);
    });

    it("right after up, every master has its replica with the replication link up", async () => {
        const replicas = await replicasPerMaster();
        assert.equal(replicas.size, 3);
        for (const [master, rs] of replicas) assert.equal(rs.length, 1, `${master} has replicas [${rs}]`);
        for (const replica of [...replicas.values()].flat()) {
            const c = client(replica);
            try {
                const info = String(await c.call("INFO", "replication"));
                assert.match(info, /master_link_status:up/, `${replica}: ${info.replace(/\r?\n/g, " ")}`);
            } finally {
                c.disconnect();
            }
        }
    });

    it("a cluster client writes and reads keys through clusterNodes with the password", async () => {
        const cluster = clusterClient();
        try {
            for (let i = 0; i < KEYS; i += 100) {
                await Promise.all(Array.from({ length: Math.min(100, KEYS - i) }, (_, j) => cluster.set(`e2e:key:${i + j}`, `value-${i + j}`)));
            }
            const perMaster = await Promise.all(cluster.nodes("master").map((n) => n.dbsize()));
            assert.equal(perMaster.length, 3);
            assert.ok(perMaster.every((n) => n > KEYS / 6), `keys spread over the 3 masters: ${perMaster}`);
        } finally {
            cluster.disconnect();
        }
        assert.deepEqual(await readAll(), expected);
        // AUTH is on: without the password, or with a wrong one, the default user is refused.
        const [noAuth, wrongPass, rightPass] = await rawReplies(nodes[0], ["GET e2e:key:0", "AUTH not-the-password-at-all", `AUTH ${password}`]);
        assert.match(noAuth, /^-NOAUTH/);
        assert.match(wrongPass, /^-WRONGPASS/);
        assert.equal(rightPass, "+OK");
    });

    it("a second up reports no changes", async () => {
        const { result } = await timed("cluster 3x1: no-op up", () => d.upAgain());
        assertOnlyChanges(result, "same");
    });

    it("up with --replicas-per-shard 2 (the other settings stored) converges: every shard has 2 replicas", async () => {
        const { result, outputs } = await timed("cluster 3x1 -> 3x2: up", () => d.upAgain({ replicasPerShard: "2" })).catch((err) => {
            growthFailed = true;
            throw err;
        });
        const changes = result.summary.resourceChanges ?? {};
        assert.equal(changes.create, 3, `3 new members: ${JSON.stringify(changes)}`);
        nodes = outputs.clusterNodes.value as string[];
        assert.equal(nodes.length, 9);
        const replicas = await poll("3 masters with 2 replicas each", 30000, async () => {
            const r = await replicasPerMaster();
            return r.size === 3 && [...r.values()].every((rs) => rs.length === 2) ? r : undefined;
        });
        const all = new Set([...replicas.keys(), ...[...replicas.values()].flat()]);
        assert.equal(all.size, 9, "every node is a master or a replica of one");
        for (const view of await views()) {
            assert.equal(view.length, 9, "no node remembers a node that is gone");
            assert.deepEqual(view.filter((l) => l.flags.some((f) => /fail|noaddr|handshake/.test(f))).map((l) => l.endpoint), []);
        }
    });

    it("the 6 members that were there before kept their identity (node id at their address)", async () => {
        const after = await nodeIds((await d.outputs()).members.value);
        const changed = [...idsBefore].filter(([name, id]) => after.get(name) !== id).map(([name, id]) => `${name}: ${id} -> ${after.get(name)}`);
        assert.deepEqual(changed, [], "members replaced by new, empty nodes");
    });

    it("the data written before is intact", async () => {
        const values = await readAll(true);
        const lost = values.filter((v, i) => v !== expected[i]).length;
        assert.equal(lost, 0, `${lost} of ${KEYS} keys lost, changed or unreadable`);
    });

    it("a further up without flags reports no changes", async function () {
        if (growthFailed) this.skip(); // it would only wait for the same bootstrap timeout again
        const { result } = await d.upAgain();
        assertOnlyChanges(result, "same");
    });

    it("destroy leaves no process and no data directory", async () => {
        await destroyLeavesNothing(d, "cluster 3x1: destroy (grown to 3x2)");
        assert.deepEqual(await d.outputs(), {}, "the stack has no outputs left");
    });
});

describe("e2e: destroy of the 3x1 cluster as first built", function () {
    this.timeout(240000);
    const d = new E2eDeployment("127.124");
    after(async function () {
        this.timeout(120000);
        await d.cleanup();
        printTimings("cluster 3x1 (fresh)");
    });

    it("up, then destroy leaves no process and no data directory", async () => {
        const { result: created } = await timed("cluster 3x1 (fresh): first up", () => d.up({ mode: "cluster", shards: "3", replicasPerShard: "1" }));
        const result = await timed("cluster 3x1 (fresh): destroy", () => d.destroy());
        assert.ok(created.summary.resourceChanges?.create);
        assert.equal(result.summary.resourceChanges?.delete, created.summary.resourceChanges.create, JSON.stringify(result.summary.resourceChanges));
        assert.deepEqual(d.processes(), []);
        assert.equal(fs.existsSync(d.dataDir), false);
        const log = d.log.join("");
        assert.doesNotMatch(log, /pulumi stack rm/, "the hint names a command the user has");
        assert.match(log, /redis-deployment destroy --remove --stack /);
    });
});

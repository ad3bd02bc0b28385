// Resharding through the real Pulumi engine (the redis-deployment CLI's functions): up 3 shards x 1
// replica with keys, up --shards 4, up --shards 3, destroy. The shrink only works if the engine
// runs the cluster bootstrap's update before it deletes the removed shard's processes (deletes
// come last in an update): otherwise their slots, and the keys in them, would be gone.
import assert from "node:assert/strict";
import { Cluster, Redis } from "ioredis";
import { slotRanges } from "../../components/plan";
import { parseClusterNodes, slotMap, type ClusterNodeLine } from "../../bootstrap/cluster";
import { assertOnlyChanges, cleanupAfterSuite, destroyLeavesNothing, E2eDeployment, hostPort, secretValue, timed } from "./harness";

const KEYS = 2000;

describe("e2e: cluster resharding 3 -> 4 -> 3 shards through the engine", function () {
    this.timeout(300000);
    const d = new E2eDeployment("127.125");
    let nodes: string[] = [];
    let password = "";
    /** Set when a step failed: later steps that need its result are skipped. */
    let broken = false;

    const clusterClient = () => {
        const c = new Cluster(nodes.map(hostPort), { redisOptions: { password }, clusterRetryStrategy: () => null });
        c.on("error", () => { /* the failing command reports it */ });
        return c;
    };
    async function view(endpoint: string): Promise<ClusterNodeLine[]> {
        const c = new Redis({ ...hostPort(endpoint), password, maxRetriesPerRequest: 1, retryStrategy: () => null });
        c.on("error", () => { /* the failing command reports it */ });
        try {
            return parseClusterNodes(String(await c.call("CLUSTER", "NODES")));
        } finally {
            c.disconnect();
        }
    }
    /** Keys that read back wrong (missing, changed, unreadable). */
    async function badKeys(): Promise<number> {
        const cluster = clusterClient();
        try {
            let bad = 0;
            for (let i = 0; i < KEYS; i += 200) {
                const values = await Promise.all(Array.from({ length: 200 }, (_, j) => cluster.get(`e2e:${i + j}`).catch(() => null)));
                bad += values.filter((v, j) => v !== `value-${i + j}`).length;
            }
            return bad;
        } finally {
            cluster.disconnect();
        }
    }
    /** Every node has one slot map, of `shards` masters each serving one range of slotRanges(shards). */
    async function assertSlotMap(shards: number): Promise<void> {
        const views = await Promise.all(nodes.map(view));
        assert.equal(new Set(views.map(slotMap)).size, 1, "one slot map on every node");
        const served = views[0].filter((l) => l.flags.includes("master") && l.slots.length > 0)
            .map((l) => l.slots.map((s) => `${s.start}-${s.end}`).join(",")).sort((a, b) => parseInt(a) - parseInt(b));
        assert.deepEqual(served, slotRanges(shards).map((r) => `${r.start}-${r.end}`));
        for (const v of views) assert.equal(v.length, nodes.length, "every node knows exactly the deployment's members");
    }

    afterEach(function () {
        if (this.currentTest?.state === "failed") {
            broken = true;
            console.error(`    --- engine log (tail) ---\n${d.logTail()}`);
        }
    });
    beforeEach(function () {
        if (broken) this.skip();
    });
    cleanupAfterSuite(d, "reshard");

    it("up 3 shards x 1 replica, then 2,000 keys through a cluster client", async () => {
        const { outputs } = await timed("reshard: up 3x1", () => d.up({ mode: "cluster", shards: "3", replicasPerShard: "1" }));
        nodes = outputs.clusterNodes.value as string[];
        assert.equal(nodes.length, 6);
        password = secretValue(outputs, "password");
        const cluster = clusterClient();
        try {
            for (let i = 0; i < KEYS; i += 200) await Promise.all(Array.from({ length: 200 }, (_, j) => cluster.set(`e2e:${i + j}`, `value-${i + j}`)));
        } finally {
            cluster.disconnect();
        }
        assert.equal(await badKeys(), 0);
    });

    it("up --shards 4: 2 new members, the slots of slotRanges(4), every key intact", async () => {
        const { result, outputs } = await timed("reshard: up --shards 4", () => d.upAgain({ shards: "4" }));
        const changes = result.summary.resourceChanges ?? {};
        assert.equal(changes.create, 2, JSON.stringify(changes));
        assert.equal(changes.delete, undefined, JSON.stringify(changes));
        nodes = outputs.clusterNodes.value as string[];
        assert.equal(nodes.length, 8);
        await assertSlotMap(4);
        assert.equal(await badKeys(), 0, "keys lost after growing");
    });

    it("up --shards 3: the removed shard's 2 members are deleted after their slots moved; every key intact", async () => {
        const before = nodes;
        const logStart = d.log.length;
        const { result, outputs } = await timed("reshard: up --shards 3", () => d.upAgain({ shards: "3" }));
        const changes = result.summary.resourceChanges ?? {};
        assert.equal(changes.delete, 2, JSON.stringify(changes));
        // The engine's order: the bootstrap's update ends before the removed members' deletes start.
        const log = d.log.slice(logStart).join("");
        const updated = log.search(/ClusterBootstrap \S+ updated/);
        const deleting = log.search(/LocalProcess \S+-s3-m\d deleting/);
        assert.ok(updated >= 0 && deleting > updated, `bootstrap updated at ${updated}, first delete at ${deleting}`);
        nodes = outputs.clusterNodes.value as string[];
        assert.equal(nodes.length, 6);
        const removed = before.filter((n) => !nodes.includes(n));
        assert.equal(removed.length, 2);
        await assertSlotMap(3);
        for (const n of nodes) {
            const listed = (await view(n)).filter((l) => removed.includes(l.endpoint)).map((l) => l.endpoint);
            assert.deepEqual(listed, [], `${n} forgot the removed members`);
        }
        assert.equal(await badKeys(), 0, "keys lost after shrinking");
    });

    it("a further up reports no changes", async () => {
        const { result } = await d.upAgain();
        assertOnlyChanges(result, "same");
    });

    it("destroy leaves no process and no data directory", async () => {
        await destroyLeavesNothing(d, "reshard: destroy");
    });
});

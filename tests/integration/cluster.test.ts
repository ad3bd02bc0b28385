import assert from "node:assert/strict";
import { Cluster, Redis } from "ioredis";
import { clusterProvider, convergeCluster, observeCluster, parseClusterNodes, slotMap, type ClusterInputs } from "../../bootstrap/cluster";
import { parseInfo, waitFor } from "../../bootstrap/redisClient";
import { Fleet, processesUnder } from "../helpers/fleet";

function adminClient(fleet: Fleet, i: number): Redis {
    const m = fleet.members[i];
    return new Redis({ host: m.address, port: m.port, username: fleet.adminLogin.user, password: fleet.adminLogin.password });
}

async function clusterViews(fleet: Fleet): Promise<{ state: string; map: string }[]> {
    return Promise.all(fleet.members.map(async (_m, i) => {
        const c = adminClient(fleet, i);
        try {
            const state = parseInfo(String(await c.call("CLUSTER", "INFO"))).cluster_state;
            return { state, map: slotMap(parseClusterNodes(String(await c.call("CLUSTER", "NODES")))) };
        } finally {
            c.disconnect();
        }
    }));
}

const inputsFor = (fleet: Fleet): ClusterInputs => ({
    members: fleet.bootstrapMembers(),
    shards: fleet.plan.shards.map((s) => ({ index: s.index, slots: s.slots! })),
    adminPassword: fleet.credentials.adminPassword,
    access: { kind: "direct" },
    timeoutMs: 60000,
    generation: "1",
});

describe("cluster bootstrap against real redis-server (3 shards x 1 replica)", function () {
    let fleet: Fleet;
    before(async () => {
        fleet = new Fleet("clu", { mode: "cluster", shards: 3, replicasPerShard: 1 });
        await fleet.startMembers();
    });
    after(async () => {
        await fleet?.cleanup();
        assert.deepEqual(processesUnder(fleet.root), []);
    });

    it("forms the cluster: every node cluster_state:ok with the same slot map covering all slots", async () => {
        const created = await clusterProvider.create(inputsFor(fleet));
        assert.equal(created.outs.result.masters.length, 3);
        const views = await clusterViews(fleet);
        for (const v of views) assert.equal(v.state, "ok");
        assert.equal(new Set(views.map((v) => v.map)).size, 1, "one slot map on every node");
        const ranges = views[0].map.split(" ").map((entry) => entry.split(":")[1]).sort();
        assert.equal(ranges.length, 3, "three masters serve slots");
    });

    it("every shard has its planned replica", async () => {
        for (const shard of fleet.plan.shards) {
            const replicaIndex = fleet.members.indexOf(fleet.members.find((m) => m.shard === shard.index && m.index === 1)!);
            const c = adminClient(fleet, replicaIndex);
            try {
                const role = await c.call("ROLE") as unknown[];
                assert.equal(role[0], "slave");
                assert.equal(role[1], fleet.members.find((m) => m.shard === shard.index && m.index === 0)!.address);
            } finally {
                c.disconnect();
            }
        }
    });

    it("a cluster client writes and reads 1,000 keys through the seed nodes", async () => {
        const cluster = new Cluster(fleet.members.map((m) => ({ host: m.address, port: m.port })), {
            redisOptions: { password: fleet.credentials.password },
        });
        try {
            for (let i = 0; i < 1000; i += 100) {
                await Promise.all(Array.from({ length: 100 }, (_, j) => cluster.set(`key:${i + j}`, `value-${i + j}`)));
            }
            const values = await Promise.all(Array.from({ length: 1000 }, (_, i) => cluster.get(`key:${i}`)));
            assert.deepEqual(values, Array.from({ length: 1000 }, (_, i) => `value-${i}`));
            const perMaster = await Promise.all(cluster.nodes("master").map((n) => n.dbsize()));
            assert.equal(perMaster.reduce((a, b) => a + b, 0), 1000);
            assert.ok(perMaster.every((n) => n > 250), `keys spread over the masters: ${perMaster}`);
        } finally {
            cluster.disconnect();
        }
    });

    it("a second run changes nothing", async () => {
        const again = await convergeCluster(inputsFor(fleet));
        assert.deepEqual(again.actions, []);
    });

    it("after a replica takes over a shard, refresh reports it and a run keeps it as master", async () => {
        const replica = fleet.members.find((m) => m.shard === 1 && m.index === 1)!;
        const c = adminClient(fleet, fleet.members.indexOf(replica));
        try {
            await c.call("CLUSTER", "FAILOVER");
        } finally {
            c.disconnect();
        }
        await waitFor("the replica to take over shard 1", 20000, async () => {
            const r = await observeCluster(inputsFor(fleet));
            return r.masters[1] === `${replica.address}:6379` ? r : undefined;
        });
        const refreshed = await clusterProvider.read!("id", { ...inputsFor(fleet), result: { masters: [], actions: [] } });
        assert.equal(refreshed.props!.result.masters[1], `${replica.address}:6379`);
        const again = await convergeCluster(inputsFor(fleet));
        assert.deepEqual(again.actions, [], "the elected master is not demoted");
        assert.equal(again.masters[1], `${replica.address}:6379`);
    });
});

describe("cluster bootstrap finishes a half-formed cluster", function () {
    let fleet: Fleet;
    before(async () => {
        fleet = new Fleet("half", { mode: "cluster", shards: 3, replicasPerShard: 1 });
        await fleet.startMembers();
    });
    after(async () => {
        await fleet?.cleanup();
        assert.deepEqual(processesUnder(fleet.root), []);
    });

    it("completes MEET-done, half-assigned slots instead of failing", async () => {
        // What a run that crashed half-way leaves: everyone met, the first shard's slots and half
        // of the second's assigned, no replicas.
        const seed = adminClient(fleet, 0);
        try {
            for (const m of fleet.members.slice(1)) await seed.call("CLUSTER", "MEET", m.address, String(m.port));
        } finally {
            seed.disconnect();
        }
        const [s0, s1] = fleet.plan.shards;
        const m0 = adminClient(fleet, fleet.members.findIndex((m) => m.shard === 0 && m.index === 0));
        const m1 = adminClient(fleet, fleet.members.findIndex((m) => m.shard === 1 && m.index === 0));
        try {
            await m0.call("CLUSTER", "ADDSLOTSRANGE", String(s0.slots!.start), String(s0.slots!.end));
            const half = s1.slots!.start + Math.floor((s1.slots!.end - s1.slots!.start) / 2);
            await m1.call("CLUSTER", "ADDSLOTSRANGE", String(s1.slots!.start), String(half));
        } finally {
            m0.disconnect();
            m1.disconnect();
        }
        const views = await clusterViews(fleet);
        assert.ok(views.some((v) => v.state === "fail"), "the cluster starts out incomplete");

        const result = await convergeCluster(inputsFor(fleet));
        assert.ok(result.actions.some((a) => a.includes("slots")), "missing slots were assigned");
        assert.ok(result.actions.some((a) => a.includes("replica of")), "replicas were attached");
        const after = await clusterViews(fleet);
        for (const v of after) assert.equal(v.state, "ok");
        assert.equal(new Set(after.map((v) => v.map)).size, 1);
        assert.deepEqual((await convergeCluster(inputsFor(fleet))).actions, []);
    });
});

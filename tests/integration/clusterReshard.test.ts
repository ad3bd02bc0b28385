// Resharding against real redis-server processes: grow 3 -> 4 shards and shrink back with keys in
// the cluster, finish a migration an interrupted run left open, and keep a writer's acknowledged
// writes while slots move. Fleets are planned with 4 shards; the 3-shard cluster is the first
// three shards' members with slotRanges(3), as the component plans it (a member's address
// depends only on its shard and index). Addresses 127.30-39 (this file only).
import assert from "node:assert/strict";
import { Cluster, Redis } from "ioredis";
import { slotRanges } from "../../components/plan";
import type { AddressedMember } from "../../components/types";
import { convergeCluster, parseClusterNodes, slotMap, type ClusterInputs, type ClusterNodeLine, type ClusterResult } from "../../bootstrap/cluster";
import { parseInfo } from "../../bootstrap/redisClient";
import { Fleet, processesUnder } from "../helpers/fleet";

const KEYS = 2000;

let nextBlock = 30 + Math.floor(Math.random() * 10);
/** A fresh 127.30-39 block per fleet. */
function reshardPrefix(): string {
    nextBlock = nextBlock >= 39 ? 30 : nextBlock + 1;
    return `127.${nextBlock}`;
}

/** The members of the first `shards` shards, and the bootstrap's inputs for that shard count. */
function inputsFor(fleet: Fleet, shards: number): ClusterInputs {
    return {
        members: fleet.bootstrapMembers(membersOf(fleet, shards)),
        shards: slotRanges(shards).map((slots, index) => ({ index, slots })),
        adminPassword: fleet.credentials.adminPassword,
        access: { kind: "direct" },
        timeoutMs: 60000,
        generation: String(shards),
    };
}
const membersOf = (fleet: Fleet, shards: number): AddressedMember[] => fleet.members.filter((m) => m.shard < shards);

function admin(fleet: Fleet, m: AddressedMember): Redis {
    const c = new Redis({ host: m.address, port: m.port, username: fleet.adminLogin.user, password: fleet.adminLogin.password, maxRetriesPerRequest: 1 });
    c.on("error", () => { /* the failing command reports it */ });
    return c;
}

async function onNode<T>(fleet: Fleet, m: AddressedMember, fn: (c: Redis) => Promise<T>): Promise<T> {
    const c = admin(fleet, m);
    try {
        return await fn(c);
    } finally {
        c.disconnect();
    }
}

const nodesOf = async (fleet: Fleet, m: AddressedMember): Promise<ClusterNodeLine[]> =>
    parseClusterNodes(String(await onNode(fleet, m, (c) => c.call("CLUSTER", "NODES"))));

function clusterClient(fleet: Fleet, shards: number): Cluster {
    const c = new Cluster(membersOf(fleet, shards).map((m) => ({ host: m.address, port: m.port })), {
        redisOptions: { password: fleet.credentials.password },
    });
    c.on("error", () => { /* the failing command reports it */ });
    return c;
}

async function writeKeys(fleet: Fleet, shards: number, prefix: string, count: number): Promise<void> {
    const cluster = clusterClient(fleet, shards);
    try {
        for (let i = 0; i < count; i += 200) {
            await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, j) => cluster.set(`${prefix}:${i + j}`, `value-${i + j}`)));
        }
    } finally {
        cluster.disconnect();
    }
}

/** How many of the keys read back wrong (missing, changed or unreadable) through a cluster client. */
async function badKeys(fleet: Fleet, shards: number, prefix: string, count: number): Promise<number> {
    const cluster = clusterClient(fleet, shards);
    try {
        let bad = 0;
        for (let i = 0; i < count; i += 200) {
            const values = await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, j) => cluster.get(`${prefix}:${i + j}`).catch(() => null)));
            bad += values.filter((v, j) => v !== `value-${i + j}`).length;
        }
        return bad;
    } finally {
        cluster.disconnect();
    }
}

/**
 * Every member of the first `shards` shards reports cluster_state:ok and the same slot map, in
 * which each shard's master serves exactly slotRanges(shards)[shard]; no slot is left open.
 */
async function assertPlannedSlotMap(fleet: Fleet, shards: number): Promise<void> {
    const members = membersOf(fleet, shards);
    const views = await Promise.all(members.map((m) => nodesOf(fleet, m)));
    const states = await Promise.all(members.map((m) => onNode(fleet, m, async (c) => parseInfo(String(await c.call("CLUSTER", "INFO"))).cluster_state)));
    assert.deepEqual(states, members.map(() => "ok"));
    assert.equal(new Set(views.map(slotMap)).size, 1, "one slot map on every node");
    const ids = new Map(members.map((m, i) => [m.name, views[i].find((l) => l.flags.includes("myself"))!]));
    const serving = views[0].filter((l) => l.flags.includes("master") && l.slots.length > 0);
    const expected = slotRanges(shards).map((r, shard) => {
        const owner = serving.find((l) => l.slots.some((s) => s.start === r.start));
        const member = members.find((m) => ids.get(m.name)!.id === owner?.id);
        return `${member?.shard}:${owner?.slots.map((s) => `${s.start}-${s.end}`).join(",")}|${shard}:${r.start}-${r.end}`;
    });
    for (const e of expected) {
        const [actual, planned] = e.split("|");
        assert.equal(actual, planned, "each shard's master serves exactly its planned range");
    }
    assert.equal(serving.length, shards, "no other node serves slots");
    const open = [...ids.values()].filter((self) => self.migrating.length + self.importing.length > 0).map((self) => self.id);
    assert.deepEqual(open, [], "no slot left MIGRATING or IMPORTING");
}

/** A fleet planned with 4 shards whose first 3 form a cluster holding KEYS keys ("k:<n>"). */
async function threeOfFourShards(name: string): Promise<Fleet> {
    const fleet = new Fleet(name, { mode: "cluster", shards: 4, replicasPerShard: 1 }, { prefix: reshardPrefix() });
    await fleet.startMembers(membersOf(fleet, 3));
    await convergeCluster(inputsFor(fleet, 3));
    await writeKeys(fleet, 3, "k", KEYS);
    return fleet;
}

/** Stops every process of the fleet by pid (also when a test failed) and checks none is left. */
async function stopFleet(fleet: Fleet | undefined): Promise<void> {
    if (!fleet) return;
    await fleet.cleanup();
    assert.deepEqual(processesUnder(fleet.root), []);
}

describe("cluster resharding against real redis-server: 3x1 -> 4x1 -> 3x1 with 2,000 keys", function () {
    this.timeout(180000);
    let fleet: Fleet;
    let removedIds: string[] = [];
    before(async () => { fleet = await threeOfFourShards("grow"); });
    after(() => stopFleet(fleet));

    it("growing to 4 shards moves the slots of the new plan with their keys: planned map everywhere, every key readable", async () => {
        await fleet.startMembers(fleet.members.filter((m) => m.shard === 3));
        const started = Date.now();
        const result = await convergeCluster(inputsFor(fleet, 4));
        console.log(`      3 -> 4 shards: ${Date.now() - started} ms, ${result.slotsMoved} slots and ${result.keysMoved} keys moved`);
        // slotRanges(3) -> slotRanges(4): 5462-... of shard 0, 8192-... of shard 1, 12288-... of shard 2 change owner.
        assert.equal(result.slotsMoved, (5461 - 4096 + 1) + (10922 - 8192 + 1) + (16383 - 12288 + 1));
        assert.ok(result.keysMoved! > KEYS / 3, `about half the keys moved: ${result.keysMoved}`);
        assert.ok(result.actions.some((a) => /^moved \d+ slot/.test(a)), result.actions.join("\n"));
        await assertPlannedSlotMap(fleet, 4);
        assert.equal(await badKeys(fleet, 4, "k", KEYS), 0, "keys lost or unreadable after growing");
        const perMaster = await Promise.all(fleet.members.filter((m) => m.index === 0).map((m) => onNode(fleet, m, (c) => c.dbsize())));
        assert.equal(perMaster.reduce((a, b) => a + b, 0), KEYS, `each key on exactly one master: ${perMaster}`);
        assert.ok(perMaster[3] > 0, "the new shard holds keys");
    });

    it("the new shard's replica replicates its master", async () => {
        const replica = fleet.members.find((m) => m.shard === 3 && m.index === 1)!;
        const role = await onNode(fleet, replica, (c) => c.call("ROLE")) as unknown[];
        assert.deepEqual(role.slice(0, 2), ["slave", fleet.members.find((m) => m.shard === 3 && m.index === 0)!.address]);
    });

    it("a second run at 4 shards changes nothing", async () => {
        const again = await convergeCluster(inputsFor(fleet, 4));
        assert.deepEqual(again.actions, []);
        assert.equal(again.slotsMoved, 0);
    });

    it("shrinking back to 3 shards (shard 3 still running, as the engine deletes last) moves its slots away and forgets its nodes", async () => {
        const gone = fleet.members.filter((m) => m.shard === 3);
        removedIds = await Promise.all(gone.map((m) => onNode(fleet, m, async (c) => String(await c.call("CLUSTER", "MYID")))));
        const started = Date.now();
        const result = await convergeCluster(inputsFor(fleet, 3));
        console.log(`      4 -> 3 shards: ${Date.now() - started} ms, ${result.slotsMoved} slots and ${result.keysMoved} keys moved`);
        assert.equal(result.slotsMoved, (5461 - 4096 + 1) + (10922 - 8192 + 1) + (16383 - 12288 + 1));
        assert.ok(result.actions.filter((a) => a.startsWith("forgot removed node")).length === 2, result.actions.join("\n"));
        // The removed nodes were reset: they know nobody, hold nothing.
        for (const m of gone) {
            const view = await nodesOf(fleet, m);
            assert.equal(view.length, 1, `${m.name} was reset`);
            assert.equal(await onNode(fleet, m, (c) => c.dbsize()), 0);
        }
        // What the engine does next: delete the removed shard's processes.
        for (const m of gone) await fleet.stop(fleet.process(m.name));
        await assertPlannedSlotMap(fleet, 3);
        for (const m of membersOf(fleet, 3)) {
            const listed = (await nodesOf(fleet, m)).filter((l) => removedIds.includes(l.id) || gone.some((g) => l.endpoint === `${g.address}:${g.port}`));
            assert.deepEqual(listed.map((l) => l.endpoint), [], `${m.name} forgot the removed nodes`);
        }
        assert.equal(await badKeys(fleet, 3, "k", KEYS), 0, "keys lost or unreadable after shrinking");
    });

    it("a second run at 3 shards changes nothing", async () => {
        const again = await convergeCluster(inputsFor(fleet, 3));
        assert.deepEqual(again.actions, []);
    });

    it("a slot an interrupted run left MIGRATING/IMPORTING, some keys moved, is finished by the next run", async () => {
        // Keys of one slot, half of them already moved to the next shard's master.
        const tag = "{interrupted}";
        const keySlot = Number(await onNode(fleet, fleet.members[0], (c) => c.call("CLUSTER", "KEYSLOT", tag)));
        const owner = slotRanges(3).findIndex((r) => r.start <= keySlot && keySlot <= r.end);
        const [source, target] = [owner, (owner + 1) % 3].map((s) => fleet.members.find((m) => m.shard === s && m.index === 0)!);
        const ids = await Promise.all([source, target].map((m) => onNode(fleet, m, async (c) => String(await c.call("CLUSTER", "MYID")))));
        await writeKeys(fleet, 3, `${tag}`, 40);
        await onNode(fleet, target, (c) => c.call("CLUSTER", "SETSLOT", String(keySlot), "IMPORTING", ids[0]));
        await onNode(fleet, source, async (c) => {
            await c.call("CLUSTER", "SETSLOT", String(keySlot), "MIGRATING", ids[1]);
            const keys = (await c.call("CLUSTER", "GETKEYSINSLOT", String(keySlot), "20")) as string[];
            await c.call("MIGRATE", target.address, String(target.port), "", "0", "5000", "AUTH2", fleet.adminLogin.user, fleet.adminLogin.password, "KEYS", ...keys);
        });
        assert.equal(await onNode(fleet, target, (c) => c.call("CLUSTER", "COUNTKEYSINSLOT", String(keySlot))), 20, "the interruption left keys on both sides");

        const result = await convergeCluster(inputsFor(fleet, 3));
        assert.ok(result.actions.some((a) => a.startsWith("finished an interrupted migration: moved 1 slot")), result.actions.join("\n"));
        // Finished toward the target, then moved back to its planned owner.
        assert.equal(result.slotsMoved, 2);
        await assertPlannedSlotMap(fleet, 3);
        assert.equal(await badKeys(fleet, 3, tag, 40), 0, "keys of the interrupted slot lost");
        assert.equal(await badKeys(fleet, 3, "k", KEYS), 0);
        assert.deepEqual((await convergeCluster(inputsFor(fleet, 3))).actions, []);
    });
});

describe("cluster resharding: a client writing all along loses no acknowledged write", function () {
    this.timeout(180000);
    let fleet: Fleet;
    before(async () => { fleet = await threeOfFourShards("live"); });
    after(() => stopFleet(fleet));

    it("growing 3 -> 4 while a cluster client writes new keys and overwrites old ones", async () => {
        await fleet.startMembers(fleet.members.filter((m) => m.shard === 3));
        const cluster = clusterClient(fleet, 3);
        const acknowledged = new Map<string, string>();
        let failed = 0;
        let stop = false;
        // 8 writers: each writes a new key, then overwrites an old one, until the bootstrap is done.
        const writers = Array.from({ length: 8 }, async (_, w) => {
            for (let i = 0; !stop; i++) {
                // Each writer overwrites only its own keys (k:n with n = w mod 8), so acknowledgements are in write order.
                const writes: [string, string][] = [[`w${w}:${i}`, `v${i}`], [`k:${(i * 8 + w) % KEYS}`, `w${w}-${i}`]];
                for (const [key, value] of writes) {
                    try {
                        await cluster.set(key, value);
                        acknowledged.set(key, value);
                    } catch {
                        failed++;
                    }
                }
            }
        });
        let result: ClusterResult | undefined;
        try {
            await new Promise((r) => setTimeout(r, 200));
            result = await convergeCluster(inputsFor(fleet, 4));
        } finally {
            stop = true;
            await Promise.all(writers);
        }
        console.log(`      3 -> 4 under writes: ${acknowledged.size} keys acknowledged, ${failed} writes failed, ${result!.keysMoved} keys moved`);
        assert.ok(result!.slotsMoved! > 8000);
        assert.ok(acknowledged.size > 1000, `the writers kept writing during the migration: ${acknowledged.size}`);
        await assertPlannedSlotMap(fleet, 4);
        const reader = clusterClient(fleet, 4);
        try {
            const entries = [...acknowledged];
            const lost: string[] = [];
            for (let i = 0; i < entries.length; i += 500) {
                const slice = entries.slice(i, i + 500);
                const values = await Promise.all(slice.map(([key]) => reader.get(key)));
                slice.forEach(([key, value], j) => { if (values[j] !== value) lost.push(`${key}=${values[j]} (acknowledged ${value})`); });
            }
            assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${entries.length} acknowledged writes lost`);
        } finally {
            reader.disconnect();
            cluster.disconnect();
        }
    });
});

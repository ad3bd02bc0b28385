// Live slot migration between Redis cluster masters (resharding), the protocol redis-cli uses:
// IMPORTING on the target, MIGRATING on the source, the slot's keys moved in batches with MIGRATE,
// then SETSLOT NODE on the target, the source and the other masters. Every step tolerates having
// been done already, so a slot an interrupted run left open is finished by the next one.
// Serialized by value into the cluster bootstrap (see redisClient.ts): no module-level state.
import type { Redis } from "ioredis";
import { waitUntil } from "./redisClient";

/** A node taking part in a migration; `client` is undefined when it can not be reached. */
export interface SlotNode {
    id: string;
    name: string;
    /** Where the source's MIGRATE connects to (the target's address as the nodes see it). */
    address: string;
    port: number;
    client?: Redis;
    /** Whether it is a master (only masters are told of a slot's new owner besides source and target). */
    master: boolean;
}

/** One slot to move, by node id. */
export interface SlotTransfer {
    slot: number;
    from: string;
    to: string;
}

/** What a node says about itself in CLUSTER NODES: the part resharding needs. */
export interface OwnLine {
    id: string;
    configEpoch: number;
    flags: string[];
    slots: { start: number; end: number }[];
    migrating: { slot: number; to: string }[];
    importing: { slot: number; from: string }[];
}

/** Running totals of a run, reported in the result and in errors. */
export interface MigrationProgress {
    slots: number;
    keys: number;
}

/**
 * Slots an interrupted migration left open (MIGRATING on the source and/or IMPORTING on the
 * target): each is finished toward the node it was going to, since part of its keys may be there.
 */
export function openSlots(selves: OwnLine[]): SlotTransfer[] {
    const bySlot = new Map<number, SlotTransfer>();
    for (const self of selves) {
        for (const m of self.migrating) bySlot.set(m.slot, { slot: m.slot, from: self.id, to: m.to });
    }
    for (const self of selves) {
        // The source's MIGRATING marker wins: it is where the source sent its clients (ASK).
        for (const i of self.importing) if (!bySlot.has(i.slot)) bySlot.set(i.slot, { slot: i.slot, from: i.from, to: self.id });
    }
    return [...bySlot.values()].sort((a, b) => a.slot - b.slot);
}

/**
 * Slots served (by the servers' own lines) by another node than the planned one. Right after a
 * failover two nodes may claim a slot; the higher config epoch is the one the cluster keeps.
 */
export function slotTransfers(selves: OwnLine[], planned: { id: string; start: number; end: number }[]): SlotTransfer[] {
    const owner = new Map<number, OwnLine>();
    for (const self of selves) {
        for (const r of self.slots) {
            for (let slot = r.start; slot <= r.end; slot++) {
                const other = owner.get(slot);
                if (!other || other.configEpoch < self.configEpoch) owner.set(slot, self);
            }
        }
    }
    const transfers: SlotTransfer[] = [];
    for (const p of planned) {
        for (let slot = p.start; slot <= p.end; slot++) {
            const current = owner.get(slot);
            if (current && current.id !== p.id) transfers.push({ slot, from: current.id, to: p.id });
        }
    }
    return transfers;
}

/** Moved slots summed per (source, target) pair, for the run's actions. */
export function summarize(moved: { transfer: SlotTransfer; keys: number }[], name: (id: string) => string): string[] {
    const pairs = new Map<string, { slots: number; keys: number; first: number; last: number }>();
    for (const { transfer, keys } of moved) {
        const key = `${name(transfer.from)} -> ${name(transfer.to)}`;
        const p = pairs.get(key) ?? { slots: 0, keys: 0, first: transfer.slot, last: transfer.slot };
        p.slots++;
        p.keys += keys;
        p.first = Math.min(p.first, transfer.slot);
        p.last = Math.max(p.last, transfer.slot);
        pairs.set(key, p);
    }
    return [...pairs].map(([pair, p]) => `moved ${p.slots} slot(s) within ${p.first}-${p.last} with ${p.keys} key(s): ${pair}`);
}

const KEYS_PER_MIGRATE = 100;
/** MIGRATE's own timeout, below the client's command timeout (redisClient.ts). */
const MIGRATE_TIMEOUT_MS = 5000;

/** Moves one slot with its keys; returns the number of keys moved. */
export async function moveSlot(
    transfer: SlotTransfer,
    nodes: Map<string, SlotNode>,
    login: { user: string; password: string },
): Promise<number> {
    const { slot } = transfer;
    const reach = (id: string): { node: SlotNode; client: Redis } => {
        const node = nodes.get(id);
        if (!node?.client) throw new Error(`node ${node?.name ?? id} is not reachable`);
        return { node, client: node.client };
    };
    const from = reach(transfer.from);
    const to = reach(transfer.to);
    const s = String(slot);
    // Done already by an earlier attempt: the target owns the slot / the source no longer does.
    const unless = (done: RegExp) => (err: Error) => {
        if (!done.test(err.message)) throw err;
    };
    await to.client.call("CLUSTER", "SETSLOT", s, "IMPORTING", from.node.id).catch(unless(/already the owner/i));
    await from.client.call("CLUSTER", "SETSLOT", s, "MIGRATING", to.node.id).catch(unless(/not the owner/i));
    let keys = 0;
    for (;;) {
        const batch = (await from.client.callBuffer("CLUSTER", "GETKEYSINSLOT", s, String(KEYS_PER_MIGRATE))) as Buffer[];
        if (batch.length === 0) break;
        // REPLACE: a key on both sides is one whose MIGRATE was cut between the target's RESTORE
        // and the source's DEL; the source's copy is the one clients were still writing.
        await from.client.callBuffer("MIGRATE", to.node.address, String(to.node.port), "", "0", String(MIGRATE_TIMEOUT_MS),
            "REPLACE", "AUTH2", login.user, login.password, "KEYS", ...batch);
        keys += batch.length;
    }
    // The target first, then the source, as redis-cli does. The other way round the target would
    // hear the source stop claiming the slot while it still names the source as owner, and Redis
    // 7.0 then marks the slot "owner not claiming": a stale claim from the source's replica later
    // takes the slot from the target whatever the epochs (and the target drops its keys).
    await to.client.call("CLUSTER", "SETSLOT", s, "NODE", to.node.id);
    // A source that gave away its last slot (a shrink) may already have heard the target's claim
    // and turned into the target's replica (Redis 7 does that to a master left without slots):
    // it holds nothing any more, so the handover is done.
    await from.client.call("CLUSTER", "SETSLOT", s, "NODE", to.node.id).catch(unless(/only with masters/i));
    // The other masters would learn it from gossip; telling them closes the window of redirects.
    await Promise.all([...nodes.values()].filter((n) => n !== from.node && n !== to.node && n.master && n.client)
        .map((n) => n.client!.call("CLUSTER", "SETSLOT", s, "NODE", to.node.id).catch(() => undefined)));
    return keys;
}

/**
 * Waits until `target` knows the current config epoch of every node in `sources` (MEET from a
 * source hands the target its header at once, instead of at the next ping).
 */
async function waitEpochsKnown(target: SlotNode, sources: SlotNode[], timeoutMs: number): Promise<void> {
    const epochs = async (node: SlotNode) => new Map(String(await node.client!.call("CLUSTER", "NODES")).split("\n")
        .filter((l) => l.trim() !== "").map((l) => l.split(" ")).map((p): [string, number] => [p[0], Number(p[6])]));
    await waitUntil(`${target.name} to know the config epochs of ${sources.map((n) => n.name).join(", ")}`, timeoutMs, async () => {
        const known = await epochs(target);
        const behind: SlotNode[] = [];
        for (const source of sources) {
            if ((known.get(source.id) ?? -1) < (await epochs(source)).get(source.id)!) behind.push(source);
        }
        await Promise.all(behind.map((n) => n.client!.call("CLUSTER", "MEET", target.address, String(target.port)).catch(() => undefined)));
        return behind.length === 0 ? undefined : `it is behind on ${behind.map((n) => n.name).join(", ")}`;
    }, 20);
}

/**
 * Moves `transfers`, adding to `progress`: one target at a time, a few of its slots at once; a
 * failure names the slot, the nodes and what was moved before it, and leaves the slot open for
 * the next run to finish.
 *
 * One target at a time, and only once it knows its sources' config epochs: the target's first
 * SETSLOT NODE then lifts its epoch above theirs, and no other node's epoch moves while it takes
 * slots. Otherwise a source whose epoch rose meanwhile (as another migration's target) and that
 * still claims the slot wins it back by gossip between the target's SETSLOT NODE and its own: a
 * slot nobody serves (seen with 16 slots at once over all pairs).
 */
export async function moveSlots(
    transfers: SlotTransfer[],
    nodes: Map<string, SlotNode>,
    login: { user: string; password: string },
    progress: MigrationProgress,
    timeoutMs: number,
    parallel = 16,
): Promise<{ transfer: SlotTransfer; keys: number }[]> {
    const moved: { transfer: SlotTransfer; keys: number }[] = [];
    for (const target of new Set(transfers.map((t) => t.to))) {
        const group = transfers.filter((t) => t.to === target);
        const reachable = (id: string) => {
            const node = nodes.get(id);
            if (!node?.client) throw new Error(`moving slot ${group[0].slot}: node ${node?.name ?? id} is not reachable`);
            return node;
        };
        await waitEpochsKnown(reachable(target), [...new Set(group.map((t) => t.from))].map(reachable), timeoutMs);
        moved.push(...await moveGroup(group, nodes, login, progress, parallel));
    }
    return moved;
}

async function moveGroup(
    transfers: SlotTransfer[],
    nodes: Map<string, SlotNode>,
    login: { user: string; password: string },
    progress: MigrationProgress,
    parallel: number,
): Promise<{ transfer: SlotTransfer; keys: number }[]> {
    const moved: { transfer: SlotTransfer; keys: number }[] = [];
    const queue = [...transfers];
    const name = (id: string) => nodes.get(id)?.name ?? id;
    const worker = async () => {
        for (let transfer = queue.shift(); transfer; transfer = queue.shift()) {
            try {
                const keys = await moveSlot(transfer, nodes, login);
                progress.slots++;
                progress.keys += keys;
                moved.push({ transfer, keys });
            } catch (err) {
                queue.length = 0;
                throw new Error(`moving slot ${transfer.slot} from ${name(transfer.from)} to ${name(transfer.to)} failed ` +
                    `(${progress.slots} slot(s) and ${progress.keys} key(s) moved so far in this run; ` +
                    `the next run finishes the open slot and goes on): ${(err as Error).message}`);
            }
        }
    };
    // Every worker ends its slot before the first error is reported (the clients close after it).
    const settled = await Promise.allSettled(Array.from({ length: Math.min(parallel, transfers.length) }, worker));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    return moved;
}

import * as pulumi from "@pulumi/pulumi";
import type { Redis } from "ioredis";
import { ADMIN_USER, type BootstrapAccess } from "../components/types";
import { convergingProvider } from "./converging";
import type { BootstrapMember } from "./replication";
import { endpoint, openClient, parseInfo, waitReachable, waitUntil } from "./redisClient";
import { moveSlots, openSlots, slotTransfers, summarize, type MigrationProgress, type SlotNode } from "./slotMigration";

export interface ClusterShardInput {
    index: number;
    slots: { start: number; end: number };
}

export interface ClusterInputs {
    members: BootstrapMember[];
    shards: ClusterShardInput[];
    adminPassword: string;
    access: BootstrapAccess;
    timeoutMs: number;
    generation: string;
}

export interface ClusterResult {
    /** Shard index -> the endpoint of its master right now. */
    masters: string[];
    actions: string[];
    /** Slots this run moved to another master with their keys (resharding, or an interrupted migration finished). */
    slotsMoved?: number;
    keysMoved?: number;
}

/** One line of CLUSTER NODES. */
export interface ClusterNodeLine {
    id: string;
    endpoint: string;
    flags: string[];
    masterId?: string;
    linkState: string;
    /** The config epoch of the node (of its master, for a replica): the higher one wins a slot. */
    configEpoch: number;
    /** Slots this node serves; importing/migrating markers are left out. */
    slots: { start: number; end: number }[];
    /** Open migrations (only on a node's own line): `[slot->-target]` and `[slot-<-source]`. */
    migrating: { slot: number; to: string }[];
    importing: { slot: number; from: string }[];
    /** The announced hostname, when there is one (`ip:port@cport,hostname`). */
    hostname?: string;
}

export function parseClusterNodes(text: string): ClusterNodeLine[] {
    return text.split("\n").filter((l) => l.trim() !== "").map((line) => {
        const parts = line.trim().split(" ");
        const slots = parts.slice(8).filter((s) => !s.startsWith("[")).map((s) => {
            const [a, b] = s.split("-");
            return { start: Number(a), end: Number(b ?? a) };
        });
        const markers = parts.slice(8).filter((s) => s.startsWith("[")).map((s) => /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(s)).filter((m) => m !== null);
        return {
            id: parts[0],
            endpoint: parts[1].split("@")[0].split(",")[0],
            hostname: parts[1].split(",")[1] || undefined,
            migrating: markers.filter((m) => m[2] === ">").map((m) => ({ slot: Number(m[1]), to: m[3] })),
            importing: markers.filter((m) => m[2] === "<").map((m) => ({ slot: Number(m[1]), from: m[3] })),
            flags: parts[2].split(","),
            masterId: parts[3] === "-" ? undefined : parts[3],
            linkState: parts[7],
            configEpoch: Number(parts[6]),
            slots,
        };
    });
}

/** A canonical text of who serves which slots, to compare the views of all nodes. */
export function slotMap(lines: ClusterNodeLine[]): string {
    return lines
        .filter((l) => l.flags.includes("master") && l.slots.length > 0)
        .map((l) => `${l.id}:${l.slots.map((s) => `${s.start}-${s.end}`).join(",")}`)
        .sort()
        .join(" ");
}

/** Slots of `range` not in any of `owned`, as contiguous runs. */
export function missingSlots(range: { start: number; end: number }, owned: Set<number>): { start: number; end: number }[] {
    const runs: { start: number; end: number }[] = [];
    for (let slot = range.start; slot <= range.end; slot++) {
        if (owned.has(slot)) continue;
        const last = runs[runs.length - 1];
        if (last && last.end === slot - 1) last.end = slot;
        else runs.push({ start: slot, end: slot });
    }
    return runs;
}

async function nodesView(client: Redis): Promise<ClusterNodeLine[]> {
    return parseClusterNodes(String(await client.call("CLUSTER", "NODES")));
}

/** What one node says about itself and about the others, read in one round trip. */
interface NodeState {
    self: ClusterNodeLine;
    view: ClusterNodeLine[];
    clusterState: string;
    /** INFO replication's master_link_status (replicas only). */
    linkStatus?: string;
}

async function readState(client: Redis): Promise<NodeState> {
    const [nodes, info, replication] = await Promise.all([
        client.call("CLUSTER", "NODES"), client.call("CLUSTER", "INFO"), client.call("INFO", "replication"),
    ]);
    const view = parseClusterNodes(String(nodes));
    return {
        self: view.find((l) => l.flags.includes("myself"))!,
        view,
        clusterState: parseInfo(String(info)).cluster_state,
        linkStatus: parseInfo(String(replication)).master_link_status,
    };
}

/** Whether `seen` (a peer's line about a node) matches `truth` (the node's own line): role, master and slots. */
function viewMatches(seen: ClusterNodeLine | undefined, truth: ClusterNodeLine): boolean {
    if (!seen || seen.flags.includes("handshake") || seen.flags.includes("noaddr")) return false;
    const role = (l: ClusterNodeLine) => (l.flags.includes("master") ? "master" : l.flags.includes("slave") ? "slave" : "?");
    const ranges = (l: ClusterNodeLine) => l.slots.map((r) => `${r.start}-${r.end}`).join(",");
    return role(seen) === role(truth) && (seen.masterId ?? "") === (truth.masterId ?? "") && ranges(seen) === ranges(truth);
}

/** Why the cluster is not formed yet (undefined when it is), from every node's state. */
function disagreement(
    inputs: ClusterInputs,
    masters: BootstrapMember[],
    masterOf: Map<BootstrapMember, BootstrapMember>,
    states: Map<BootstrapMember, NodeState>,
    /** Ids of removed nodes that no member may still list. */
    gone: Set<string> = new Set(),
): string | undefined {
    const id = (m: BootstrapMember) => states.get(m)!.self.id;
    let reference: string | undefined;
    for (const m of inputs.members) {
        const s = states.get(m)!;
        if (s.clusterState !== "ok") return `${m.name}: cluster_state:${s.clusterState}`;
        const remembered = s.view.find((l) => gone.has(l.id));
        if (remembered) return `${m.name} still lists the removed node ${remembered.endpoint}`;
        const stale = inputs.members.filter((o) => o !== m && !viewMatches(s.view.find((l) => l.id === id(o)), states.get(o)!.self));
        if (stale.length > 0) return `${m.name} does not know ${stale.length} node(s) as they are now (e.g. ${stale[0].name})`;
        const map = slotMap(s.view);
        if (reference === undefined) reference = map;
        else if (map !== reference) return `${m.name} has a different slot map`;
        for (const [i, master] of masters.entries()) {
            const expected = inputs.members.filter((x) => x.shard === inputs.shards[i].index).length - 1;
            const replicas = s.view.filter((l) => l.masterId === id(master) && !l.flags.includes("fail")).length;
            if (replicas < expected) return `${m.name} sees ${replicas}/${expected} replica(s) of ${master.name}`;
        }
        if (masterOf.has(m) && s.linkStatus !== "up") return `${m.name}: master_link_status:${s.linkStatus}`;
    }
    return undefined;
}

/**
 * Forms the cluster, or finishes one a crashed run left half-formed. Each node is the authority
 * on itself (its slots, its role), so the plan is applied from the nodes' own views, then one
 * loop drives the gossip until every node agrees:
 * 1. each shard's master (the member serving its slots now, else the planned one) is given the
 *    slots of its range that nobody serves, with a distinct config epoch on a fresh cluster;
 * 2. loop every 50 ms: every pair of nodes that does not know each other is introduced (MEET,
 *    all pairs rather than one seed: Redis Cluster is a full mesh anyway, and waiting for
 *    gossip to spread it takes seconds; both ways, because the receiver of a MEET only knows
 *    the sender after a handshake of its own, a cron tick later); every replica that knows
 *    its master is told to REPLICATE it; and a node that some peer still sees with an old
 *    role or old slots MEETs
 *    that peer again, which hands the peer its current header at once instead of after the
 *    next periodic ping (up to cluster-node-timeout/2 later; Redis drops the duplicate
 *    handshake itself);
 * 3. done when every node knows every other node, reports cluster_state:ok, the same slot map
 *    and every planned replica, and every replica's link to its master is up (its first sync is
 *    done: a replica that never synced refuses to take over, so before that a master crash
 *    would leave its slots without a master).
 * 4. resharding: every slot served by another node than its shard's master (shards added or
 *    removed, or a migration an interrupted run left open) moves there with its keys, live
 *    (slotMigration.ts), then step 3's wait again;
 * 5. nodes that are no members any more (a shrink: the removed shards, still running, since the
 *    engine deletes their processes only after this update) are forgotten by every member and
 *    reset, so the remaining cluster is clean before they stop.
 * Reality wins: a shard's master is whichever member serves its slots now.
 */
export async function convergeCluster(inputs: ClusterInputs): Promise<ClusterResult> {
    const login = { user: ADMIN_USER, password: inputs.adminPassword };
    const actions: string[] = [];
    await waitReachable(inputs.access, inputs.members, login, inputs.timeoutMs);
    const clients = new Map<BootstrapMember, Redis>();
    const removed: SlotNode[] = [];
    try {
        await Promise.all(inputs.members.map(async (m) => { clients.set(m, await openClient(inputs.access, m, login)); }));
        const client = (m: BootstrapMember) => clients.get(m)!;
        const readAll = async () => {
            const states = await Promise.all(inputs.members.map((m) => readState(client(m))));
            return new Map(inputs.members.map((m, i) => [m, states[i]]));
        };
        let states = await readAll();
        const id = (m: BootstrapMember) => states.get(m)!.self.id;

        // Nodes the members know that are no members (any more): what a shrink leaves.
        removed.push(...await removedNodes(inputs, states, login));
        const removedSelves = async () => (await Promise.all(removed.map(async (n) =>
            n.client ? (await nodesView(n.client)).find((l) => l.flags.includes("myself")) : undefined)))
            .filter((l): l is ClusterNodeLine => l !== undefined);
        const removedLines = [...await removedSelves(),
            ...removed.filter((n) => !n.client).flatMap((n) => [...states.values()].map((s) => s.view.find((l) => l.id === n.id)!).filter(Boolean))];

        // 1. Masters and their slots. Owned slots come from each node's own line (a removed
        // node's slots count: they move, they are never assigned twice).
        const owned = new Set<number>();
        for (const self of [...[...states.values()].map((s) => s.self), ...removedLines]) {
            for (const r of self.slots) for (let s = r.start; s <= r.end; s++) owned.add(s);
        }
        const masters: BootstrapMember[] = [];
        for (const shard of inputs.shards) {
            const shardMembers = inputs.members.filter((m) => m.shard === shard.index);
            // Right after a failover the old master may still claim the slots for a moment; the
            // claim with the higher config epoch is the one the cluster keeps.
            const serving = shardMembers.filter((m) => states.get(m)!.self.slots.length > 0)
                .sort((a, b) => states.get(b)!.self.configEpoch - states.get(a)!.self.configEpoch)[0];
            const planned = shardMembers.find((m) => m.index === 0)!;
            const upstream = shardMembers.find((m) => m !== planned && id(m) === states.get(planned)!.self.masterId);
            masters.push(serving ?? upstream ?? planned);
        }
        // A fresh cluster (nobody knows anybody, every epoch 0): distinct config epochs, as
        // redis-cli does, so masters never have to resolve an epoch collision later.
        const fresh = [...states.values()].every((s) => s.view.length === 1 && s.self.flags.includes("master") && s.self.slots.length === 0);
        if (fresh) {
            await Promise.all(masters.map((m, i) => client(m).call("CLUSTER", "SET-CONFIG-EPOCH", String(i + 1)).catch(() => undefined)));
        }
        await Promise.all(inputs.shards.map(async (shard, i) => {
            for (const run of missingSlots(shard.slots, owned)) {
                await client(masters[i]).call("CLUSTER", "ADDSLOTSRANGE", String(run.start), String(run.end));
                actions.push(`${masters[i].name}: slots ${run.start}-${run.end}`);
            }
        }));
        const masterOf = new Map<BootstrapMember, BootstrapMember>();
        for (const [i, shard] of inputs.shards.entries()) {
            for (const m of inputs.members.filter((x) => x.shard === shard.index && x !== masters[i])) masterOf.set(m, masters[i]);
        }

        // 2 and 3. Drive the gossip until every node agrees.
        const lastNudge = new Map<string, number>();
        const met = new Set<string>();
        const replicated = new Set<BootstrapMember>();
        const settle = (gone?: Set<string>) => waitUntil("cluster_state:ok, one slot map and every replica on every node", inputs.timeoutMs, async () => {
            states = await readAll();
            const commands: Promise<unknown>[] = [];
            const now = Date.now();
            // At most one MEET per pair and 100 ms: a handshake takes one cluster cron tick, and
            // Redis ignores a MEET while one to the same address is in progress.
            const nudge = (from: BootstrapMember, to: BootstrapMember) => {
                const key = `${from.name}>${to.name}`;
                if (now - (lastNudge.get(key) ?? 0) < 100) return;
                lastNudge.set(key, now);
                commands.push(client(from).call("CLUSTER", "MEET", to.address, String(to.port)).catch(() => undefined));
            };
            // Introductions and stale views.
            for (const x of inputs.members) {
                for (const y of inputs.members) {
                    if (x === y) continue;
                    const xKnowsY = states.get(x)!.view.find((l) => l.id === id(y));
                    if (viewMatches(xKnowsY, states.get(y)!.self)) continue;
                    if (!xKnowsY && !met.has(`${y.name}>${x.name}`)) {
                        met.add(`${y.name}>${x.name}`);
                        actions.push(`${y.name}: met ${x.name}`);
                    }
                    nudge(y, x);
                }
            }
            // Replicas: once a replica knows its master (as a master), it follows it.
            for (const [m, master] of masterOf) {
                const self = states.get(m)!.self;
                if (self.flags.includes("slave") && self.masterId === id(master)) continue;
                // A former master still claiming its slots turns into a replica by itself once it
                // hears of the higher epoch (the nudges above make that quick).
                if (replicated.has(m) || self.slots.length > 0) continue;
                const seen = states.get(m)!.view.find((l) => l.id === id(master));
                if (!seen || seen.flags.includes("handshake") || !seen.flags.includes("master")) continue;
                replicated.add(m);
                actions.push(`${m.name}: replica of ${master.name}`);
                commands.push(client(m).call("CLUSTER", "REPLICATE", id(master)).catch((err) => {
                    replicated.delete(m);
                    throw err;
                }));
            }
            await Promise.all(commands);
            return disagreement(inputs, masters, masterOf, states, gone);
        }, 50);
        await settle();

        // 4. Resharding: slots (open ones first) move to their shard's master with their keys.
        const nodes = new Map<string, SlotNode>([
            ...inputs.members.map((m): [string, SlotNode] => [id(m), { id: id(m), name: m.name, address: m.address, port: m.port, client: client(m), master: states.get(m)!.self.flags.includes("master") }]),
            ...removed.map((n): [string, SlotNode] => [n.id, n]),
        ]);
        const selves = async () => [...(await Promise.all(inputs.members.map(async (m) => (await nodesView(client(m))).find((l) => l.flags.includes("myself"))!))), ...await removedSelves()];
        const progress: MigrationProgress = { slots: 0, keys: 0 };
        const name = (nodeId: string) => nodes.get(nodeId)?.name ?? nodeId;
        const open = openSlots(await selves());
        const finished = await moveSlots(open, nodes, login, progress, inputs.timeoutMs);
        actions.push(...summarize(finished, name).map((a) => `finished an interrupted migration: ${a}`));
        const planned = inputs.shards.map((shard, i) => ({ id: id(masters[i]), ...shard.slots }));
        const moved = await moveSlots(slotTransfers(await selves(), planned), nodes, login, progress, inputs.timeoutMs);
        actions.push(...summarize(moved, name));
        if (progress.slots > 0) await settle();

        // 5. Removed nodes: forgotten by every member, then reset.
        if (removed.length > 0) {
            const serving = (await removedSelves()).filter((l) => l.slots.length > 0);
            const unreachable = removed.filter((n) => !n.client && removedLines.some((l) => l.id === n.id && l.slots.length > 0));
            if (serving.length > 0 || unreachable.length > 0) {
                throw new Error(`removed node(s) ${[...serving.map((l) => name(l.id)), ...unreachable.map((n) => n.name)].join(", ")} still serve slots (unreachable ones can not hand them over); bring them back and run again`);
            }
            await Promise.all(inputs.members.map((m) => Promise.all(removed.map((n) =>
                client(m).call("CLUSTER", "FORGET", n.id).catch((err: Error) => {
                    if (!/unknown node/i.test(err.message)) throw new Error(`${m.name}: CLUSTER FORGET ${n.name}: ${err.message}`);
                })))));
            await Promise.all(removed.map((n) => n.client?.call("CLUSTER", "RESET", "HARD").catch(() => undefined)));
            actions.push(...removed.map((n) => `forgot removed node ${n.name}`));
            await settle(new Set(removed.map((n) => n.id)));
        }
        return { masters: masters.map(endpoint), actions, slotsMoved: progress.slots, keysMoved: progress.keys };
    } finally {
        for (const c of clients.values()) c.disconnect();
        for (const n of removed) n.client?.disconnect();
    }
}

/**
 * Nodes in some member's CLUSTER NODES that are no members (their ids are nobody's now, and no
 * member has their address: an old identity at a member's address is left alone), with a client
 * each when reachable.
 */
async function removedNodes(inputs: ClusterInputs, states: Map<BootstrapMember, NodeState>, login: { user: string; password: string }): Promise<SlotNode[]> {
    const memberIds = new Set([...states.values()].map((s) => s.self.id));
    const memberEndpoints = new Set(inputs.members.map(endpoint));
    const found = new Map<string, ClusterNodeLine>();
    for (const s of states.values()) {
        for (const l of s.view) {
            if (memberIds.has(l.id) || memberEndpoints.has(l.endpoint) || l.flags.some((f) => f === "handshake" || f === "noaddr")) continue;
            found.set(l.id, l);
        }
    }
    return Promise.all([...found.values()].map(async (l) => {
        const [address, port] = [l.hostname ?? l.endpoint.slice(0, l.endpoint.lastIndexOf(":")), Number(l.endpoint.slice(l.endpoint.lastIndexOf(":") + 1))];
        const client = await openClient(inputs.access, { address, port }, login).catch(() => undefined);
        // Only a client that answers for this very node id counts.
        const id = client ? String(await client.call("CLUSTER", "MYID").catch(() => "")) : "";
        if (client && id !== l.id) client.disconnect();
        return { id: l.id, name: l.endpoint, address, port, client: id === l.id ? client : undefined, master: l.flags.includes("master") };
    }));
}

/** Each shard's master now (the member serving its slots), changing nothing. */
export async function observeCluster(inputs: ClusterInputs): Promise<ClusterResult> {
    const login = { user: ADMIN_USER, password: inputs.adminPassword };
    const masters: string[] = [];
    for (const shard of inputs.shards) {
        let master: string | undefined;
        let epoch = -1;
        for (const m of inputs.members.filter((x) => x.shard === shard.index)) {
            const client = await openClient(inputs.access, m, login).catch(() => undefined);
            if (!client) continue;
            try {
                const own = (await nodesView(client)).find((l) => l.flags.includes("myself"));
                // Two claims right after a failover: the higher config epoch is the live one.
                if (own && own.slots.length > 0 && own.configEpoch > epoch) {
                    master = endpoint(m);
                    epoch = own.configEpoch;
                }
            } finally {
                client.disconnect();
            }
        }
        masters.push(master ?? "");
    }
    return { masters, actions: [] };
}

// Changing the shard count is a resharding (step 4 and 5 of convergeCluster): no `check` refusal.
export const clusterProvider: pulumi.dynamic.ResourceProvider = convergingProvider<ClusterInputs, ClusterResult>(convergeCluster, observeCluster);

export type ClusterBootstrapArgs = { [K in keyof ClusterInputs]: pulumi.Input<ClusterInputs[K]> };

/** Forms (or finishes) a Redis cluster out of running members. Converges on every update. */
export class ClusterBootstrap extends pulumi.dynamic.Resource {
    declare readonly result: pulumi.Output<ClusterResult>;
    constructor(name: string, args: ClusterBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(clusterProvider, name, { ...args, result: undefined }, { ...opts, additionalSecretOutputs: ["adminPassword", "access"] }, "redis-deployment", "ClusterBootstrap");
    }
}

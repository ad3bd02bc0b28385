import * as pulumi from "@pulumi/pulumi";
import type { Redis } from "ioredis";
import { ADMIN_USER, type BootstrapAccess } from "../../components/types";
import { convergingProvider } from "./converging";
import type { BootstrapMember } from "./replication";
import { endpoint, openClient, parseInfo, waitReachable, waitUntil } from "./redisClient";

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
}

export function parseClusterNodes(text: string): ClusterNodeLine[] {
    return text.split("\n").filter((l) => l.trim() !== "").map((line) => {
        const parts = line.trim().split(" ");
        const slots = parts.slice(8).filter((s) => !s.startsWith("[")).map((s) => {
            const [a, b] = s.split("-");
            return { start: Number(a), end: Number(b ?? a) };
        });
        return {
            id: parts[0],
            endpoint: parts[1].split("@")[0].split(",")[0],
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
): string | undefined {
    const id = (m: BootstrapMember) => states.get(m)!.self.id;
    let reference: string | undefined;
    for (const m of inputs.members) {
        const s = states.get(m)!;
        if (s.clusterState !== "ok") return `${m.name}: cluster_state:${s.clusterState}`;
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
 * Reality wins: a shard's master is whichever member serves its slots now.
 */
export async function convergeCluster(inputs: ClusterInputs): Promise<ClusterResult> {
    const login = { user: ADMIN_USER, password: inputs.adminPassword };
    const actions: string[] = [];
    await waitReachable(inputs.access, inputs.members, login, inputs.timeoutMs);
    const clients = new Map<BootstrapMember, Redis>();
    try {
        await Promise.all(inputs.members.map(async (m) => { clients.set(m, await openClient(inputs.access, m, login)); }));
        const client = (m: BootstrapMember) => clients.get(m)!;
        const readAll = async () => {
            const states = await Promise.all(inputs.members.map((m) => readState(client(m))));
            return new Map(inputs.members.map((m, i) => [m, states[i]]));
        };
        let states = await readAll();
        const id = (m: BootstrapMember) => states.get(m)!.self.id;

        // 1. Masters and their slots. Owned slots come from each node's own line.
        const owned = new Set<number>();
        for (const { self } of states.values()) for (const r of self.slots) for (let s = r.start; s <= r.end; s++) owned.add(s);
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
        await waitUntil("cluster_state:ok, one slot map and every replica on every node", inputs.timeoutMs, async () => {
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
            return disagreement(inputs, masters, masterOf, states);
        }, 50);
        return { masters: masters.map(endpoint), actions };
    } finally {
        for (const c of clients.values()) c.disconnect();
    }
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

export const clusterProvider: pulumi.dynamic.ResourceProvider = {
    ...convergingProvider<ClusterInputs, ClusterResult>(convergeCluster, observeCluster),
    // Moving slots with their keys (resharding) is not implemented: a changed shard count would
    // leave the new shards without slots, or drop the slots of removed ones. Refuse it at preview.
    async check(olds: Partial<ClusterInputs>, news: ClusterInputs) {
        const before = olds.shards?.length;
        if (before !== undefined && before !== news.shards.length) {
            return {
                inputs: news,
                failures: [{
                    property: "shards",
                    reason: `changing a cluster from ${before} to ${news.shards.length} shards needs slot migration, which this version does not do; keep shards: ${before} (replicas per shard can change)`,
                }],
            };
        }
        return { inputs: news };
    },
};

export type ClusterBootstrapArgs = { [K in keyof ClusterInputs]: pulumi.Input<ClusterInputs[K]> };

/** Forms (or finishes) a Redis cluster out of running members. Converges on every update. */
export class ClusterBootstrap extends pulumi.dynamic.Resource {
    declare readonly result: pulumi.Output<ClusterResult>;
    constructor(name: string, args: ClusterBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(clusterProvider, name, { ...args, result: undefined }, { ...opts, additionalSecretOutputs: ["adminPassword"] }, "redis-deployment", "ClusterBootstrap");
    }
}

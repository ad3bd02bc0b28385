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

/**
 * Forms the cluster, or finishes one a crashed run left half-formed: MEET every node, give
 * each shard's master the slots of its range that nobody serves, make the other members of
 * the shard its replicas, then wait for every node to report cluster_state:ok with the same
 * slot map. Reality wins: a shard's master is whichever member serves its slots now.
 */
export async function convergeCluster(inputs: ClusterInputs): Promise<ClusterResult> {
    const login = { user: ADMIN_USER, password: inputs.adminPassword };
    const actions: string[] = [];
    await waitReachable(inputs.access, inputs.members, login, inputs.timeoutMs);
    const clients = new Map<BootstrapMember, Redis>();
    try {
        for (const m of inputs.members) clients.set(m, await openClient(inputs.access, m, login));
        const client = (m: BootstrapMember) => clients.get(m)!;
        const ids = new Map<BootstrapMember, string>();
        for (const m of inputs.members) ids.set(m, String(await client(m).call("CLUSTER", "MYID")));
        const allIds = [...ids.values()];

        // 1. Everyone meets everyone (through the first member; gossip spreads the rest).
        const seed = inputs.members[0];
        const known = new Set((await nodesView(client(seed))).map((l) => l.id));
        for (const m of inputs.members.slice(1)) {
            if (known.has(ids.get(m)!)) continue;
            await client(seed).call("CLUSTER", "MEET", m.address, String(m.port));
            actions.push(`${seed.name}: met ${m.name}`);
        }
        await waitUntil("every node to know every other node", inputs.timeoutMs, async () => {
            for (const m of inputs.members) {
                const view = await nodesView(client(m));
                const missing = allIds.filter((id) => !view.some((l) => l.id === id && !l.flags.includes("handshake") && !l.flags.includes("noaddr")));
                if (missing.length > 0) return `${m.name} does not know ${missing.length} node(s) yet`;
            }
            return undefined;
        });

        // 2. Slots: each node is the authority on the slots it serves itself.
        const own = new Map<BootstrapMember, ClusterNodeLine>();
        for (const m of inputs.members) own.set(m, (await nodesView(client(m))).find((l) => l.flags.includes("myself"))!);
        const owned = new Set<number>();
        for (const line of own.values()) for (const r of line.slots) for (let s = r.start; s <= r.end; s++) owned.add(s);

        const masters: BootstrapMember[] = [];
        for (const shard of inputs.shards) {
            const shardMembers = inputs.members.filter((m) => m.shard === shard.index);
            const serving = shardMembers.find((m) => own.get(m)!.slots.length > 0);
            const planned = shardMembers.find((m) => m.index === 0)!;
            const upstream = shardMembers.find((m) => m !== planned && ids.get(m) === own.get(planned)!.masterId);
            const master = serving ?? upstream ?? planned;
            masters.push(master);
            for (const run of missingSlots(shard.slots, owned)) {
                await client(master).call("CLUSTER", "ADDSLOTSRANGE", String(run.start), String(run.end));
                actions.push(`${master.name}: slots ${run.start}-${run.end}`);
            }
        }

        // 3. The other members of each shard replicate its master.
        for (const [i, shard] of inputs.shards.entries()) {
            const master = masters[i];
            const masterId = ids.get(master)!;
            for (const m of inputs.members.filter((x) => x.shard === shard.index && x !== master)) {
                const line = own.get(m)!;
                if (line.flags.includes("slave") && line.masterId === masterId) continue;
                await waitUntil(`${m.name} to learn ${master.name}'s role`, inputs.timeoutMs, async () => {
                    const view = await nodesView(client(m));
                    return view.some((l) => l.id === masterId && l.flags.includes("master")) ? undefined : "not yet";
                });
                await client(m).call("CLUSTER", "REPLICATE", masterId);
                actions.push(`${m.name}: replica of ${master.name}`);
            }
        }

        // 4. Done when every node agrees.
        await waitUntil("cluster_state:ok and one slot map on every node", inputs.timeoutMs, async () => {
            let reference: string | undefined;
            for (const m of inputs.members) {
                const state = parseInfo(String(await client(m).call("CLUSTER", "INFO"))).cluster_state;
                if (state !== "ok") return `${m.name}: cluster_state:${state}`;
                const view = await nodesView(client(m));
                const map = slotMap(view);
                if (reference === undefined) reference = map;
                else if (map !== reference) return `${m.name} has a different slot map`;
                for (const [i, master] of masters.entries()) {
                    const expected = inputs.members.filter((x) => x.shard === inputs.shards[i].index).length - 1;
                    const replicas = view.filter((l) => l.masterId === ids.get(master) && !l.flags.includes("fail")).length;
                    if (replicas < expected) return `${m.name} sees ${replicas}/${expected} replica(s) of ${master.name}`;
                }
            }
            return undefined;
        });
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
        for (const m of inputs.members.filter((x) => x.shard === shard.index)) {
            const client = await openClient(inputs.access, m, login).catch(() => undefined);
            if (!client) continue;
            try {
                const own = (await nodesView(client)).find((l) => l.flags.includes("myself"));
                if (own && own.slots.length > 0) master = endpoint(m);
            } finally {
                client.disconnect();
            }
        }
        masters.push(master ?? "");
    }
    return { masters, actions: [] };
}

export const clusterProvider = convergingProvider<ClusterInputs, ClusterResult>(convergeCluster, observeCluster);

export type ClusterBootstrapArgs = { [K in keyof ClusterInputs]: pulumi.Input<ClusterInputs[K]> };

/** Forms (or finishes) a Redis cluster out of running members. Converges on every update. */
export class ClusterBootstrap extends pulumi.dynamic.Resource {
    declare readonly result: pulumi.Output<ClusterResult>;
    constructor(name: string, args: ClusterBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(clusterProvider, name, { ...args, result: undefined }, { ...opts, additionalSecretOutputs: ["adminPassword"] }, "redis-deployment", "ClusterBootstrap");
    }
}

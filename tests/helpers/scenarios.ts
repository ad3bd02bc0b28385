// Failure rounds shared by the reliability suite and the bench: kill -9 a master while a writer
// runs, time how long writes fail, bring the deployment back to health for the next round.
import type { AddressedMember } from "../../components/types";
import { parseClusterNodes, type ClusterNodeLine } from "../../bootstrap/cluster";
import type { Fleet } from "./fleet";
import { RespConnection, infoMap, respCall } from "./resp";
import { clusterView, info, logins, median, sentinelMaster, sleep, waitFor, waitSentinelHealthy } from "./topologies";
import { now, type AckWriter, type WriteRecord } from "./writer";

export interface FailoverRound {
    killed: string;
    promoted: string;
    /** ms from the kill to the first ROLE master reply of another member. */
    promotedMs: number;
    /** ms from the kill to the first write (sent after the kill) that the server accepted. */
    writeOkMs: number;
    /** ms from the kill to the first write (sent after the kill) that WAIT confirmed on a replica. */
    writeAckedMs: number;
    /** Writes that failed or were not confirmed between the kill and writeAckedMs. */
    failedWrites: number;
}

/** Polls ROLE on `members` (new connection each time: a promotion kills client connections). */
function watchPromotion(fleet: Fleet, members: AddressedMember[], until: () => boolean): Promise<{ member: AddressedMember; at: number } | undefined> {
    return (async () => {
        while (!until()) {
            for (const m of members) {
                const role = await respCall({ host: m.address, port: m.port }, logins(fleet).admin, ["ROLE"], 500)
                    .then((r) => String((r as unknown[])[0])).catch(() => "");
                if (role === "master") return { member: m, at: now() };
            }
            await sleep(10);
        }
        return undefined;
    })();
}

async function firstWrite(writer: AckWriter, since: number, how: "ok" | "acked", filter: (r: WriteRecord) => boolean, timeoutMs: number): Promise<number> {
    return waitFor(`a write ${how === "ok" ? "to be accepted" : "to be confirmed by WAIT"} after the kill`, timeoutMs, async () => writer.firstAfter(since, how, filter), 10);
}

/**
 * Sentinel round: kill -9 the current master (writes go through HAProxy), time the first
 * accepted and the first WAIT-confirmed write after it, then restart the old master as a replica
 * of the new one (what a careful operator, or `up`, does) and wait until everything is healthy.
 */
export async function sentinelFailoverRound(fleet: Fleet, writer: AckWriter, timeoutMs = 60000): Promise<FailoverRound> {
    const master = await waitSentinelHealthy(fleet);
    await sleep(300); // the writer is flowing again
    const others = fleet.members.filter((m) => m !== master);
    const t0 = now();
    await fleet.kill(fleet.process(master.name));
    // Writes sent before the process was gone may still have been answered by it.
    const gone = now();
    let settled = false;
    const promotion = watchPromotion(fleet, others, () => settled || now() - t0 > timeoutMs);
    try {
        const ok = await firstWrite(writer, gone, "ok", () => true, timeoutMs);
        const acked = await firstWrite(writer, gone, "acked", () => true, timeoutMs);
        settled = true;
        const promoted = await promotion;
        const failedWrites = writer.records.filter((r) => r.sentAt >= t0 && r.sentAt <= acked && !r.acked).length;
        const newMaster = await waitFor("the sentinels to name the new master", timeoutMs, async () => {
            const m = await sentinelMaster(fleet);
            return m !== master ? m : undefined;
        }, 50);
        // Started again the way `up` starts a member whose process is gone: it must come back
        // as a replica of the new master at once, never as a second master behind HAProxy.
        await fleet.restartLikeUp(master.name);
        const back = await info(fleet, master, "replication");
        if (back.role !== "slave" || back.master_host !== newMaster.address) {
            throw new Error(`${master.name} came back as ${back.role}${back.master_host ? ` of ${back.master_host}` : ""}, not as a replica of the new master ${newMaster.name}`);
        }
        await waitSentinelHealthy(fleet);
        return {
            killed: master.name,
            promoted: promoted?.member.name ?? newMaster.name,
            promotedMs: promoted ? Math.round(promoted.at - t0) : NaN,
            writeOkMs: Math.round(ok - t0),
            writeAckedMs: Math.round(acked - t0),
            failedWrites,
        };
    } finally {
        settled = true;
        await promotion;
    }
}

/** Every member's own CLUSTER NODES line (`myself`), by member. */
export async function clusterSelves(fleet: Fleet, members: AddressedMember[] = fleet.members): Promise<Map<AddressedMember, ClusterNodeLine>> {
    const selves = new Map<AddressedMember, ClusterNodeLine>();
    await Promise.all(members.map(async (m) => {
        const view = await clusterView(fleet, m).catch(() => undefined);
        const self = view && parseClusterNodes(view.nodes).find((l) => l.flags.includes("myself"));
        if (self) selves.set(m, self);
    }));
    return selves;
}

/** The member serving `slot` now (of two claims, the higher config epoch), and its slot ranges. */
export async function clusterMasterOf(fleet: Fleet, slot: number): Promise<{ member: AddressedMember; slots: { start: number; end: number }[] }> {
    const selves = await clusterSelves(fleet);
    const owners = [...selves.entries()]
        .filter(([, l]) => l.slots.some((r) => slot >= r.start && slot <= r.end))
        .sort((a, b) => b[1].configEpoch - a[1].configEpoch);
    if (owners.length === 0) throw new Error(`no member serves slot ${slot}`);
    return { member: owners[0][0], slots: owners[0][1].slots };
}

/**
 * A healthy cluster: every member up and cluster_state:ok, one slot map covering every slot,
 * `shards` masters, each with `replicas` replicas whose links are up, and no failure flags.
 */
export async function waitClusterHealthy(fleet: Fleet, timeoutMs = 60000): Promise<void> {
    const shards = fleet.plan.shards.length;
    const replicas = fleet.plan.args.replicasPerShard;
    await waitFor("the cluster to be healthy", timeoutMs, async () => {
        for (const m of fleet.members) {
            const c = await RespConnection.open({ host: m.address, port: m.port }, logins(fleet).admin, 1000);
            try {
                const state = infoMap(await c.call(["CLUSTER", "INFO"], 2000)).cluster_state;
                if (state !== "ok") throw new Error(`${m.name}: cluster_state:${state}`);
                const lines = parseClusterNodes(String(await c.call(["CLUSTER", "NODES"], 2000)));
                const flagged = lines.find((l) => l.flags.some((f) => /fail|handshake|noaddr/.test(f)));
                if (flagged) throw new Error(`${m.name} sees ${flagged.endpoint} as ${flagged.flags.join(",")}`);
                const masters = lines.filter((l) => l.flags.includes("master") && l.slots.length > 0);
                if (masters.length !== shards) throw new Error(`${m.name} sees ${masters.length} masters`);
                for (const master of masters) {
                    const n = lines.filter((l) => l.masterId === master.id).length;
                    if (n !== replicas) throw new Error(`${m.name} sees ${n} replica(s) of ${master.endpoint}`);
                }
                const repl = infoMap(await c.call(["INFO", "replication"], 2000));
                if (repl.role === "slave" && repl.master_link_status !== "up") throw new Error(`${m.name}: link ${repl.master_link_status}`);
            } finally {
                c.close();
            }
        }
        return true;
    }, 100);
}

/**
 * Cluster round: kill -9 the master serving `slot`, time the first accepted and WAIT-confirmed
 * write to that shard's slots, restart the killed member (it rejoins as a replica from its
 * nodes.conf) and wait for a healthy cluster.
 */
export async function clusterFailoverRound(fleet: Fleet, writer: AckWriter, slot = 0, timeoutMs = 60000): Promise<FailoverRound & { otherShardErrors: number }> {
    await waitClusterHealthy(fleet);
    await sleep(300);
    const { member: victim, slots } = await clusterMasterOf(fleet, slot);
    const inShard = (r: WriteRecord) => slots.some((s) => r.slot >= s.start && r.slot <= s.end);
    // Writes answered by the killed member were sent before it died, whatever the clock said.
    const victimEndpoint = `${victim.address}:${victim.port}`;
    const byOthers = (r: WriteRecord) => inShard(r) && r.endpoint !== victimEndpoint;
    const shardMembers = fleet.members.filter((m) => m.shard === victim.shard && m !== victim);
    const t0 = now();
    await fleet.kill(fleet.process(victim.name));
    const gone = now();
    let settled = false;
    const promotion = watchPromotion(fleet, shardMembers, () => settled || now() - t0 > timeoutMs);
    try {
        const ok = await firstWrite(writer, gone, "ok", byOthers, timeoutMs);
        const acked = await firstWrite(writer, gone, "acked", byOthers, timeoutMs);
        settled = true;
        const promoted = await promotion;
        const failedWrites = writer.records.filter((r) => r.sentAt >= t0 && r.sentAt <= acked && !r.acked && inShard(r)).length;
        const otherShardErrors = writer.records.filter((r) => r.sentAt >= t0 && r.sentAt <= acked && !r.ok && !inShard(r)).length;
        await fleet.startMember(victim);
        await waitClusterHealthy(fleet);
        return {
            killed: victim.name,
            promoted: promoted?.member.name ?? "?",
            promotedMs: promoted ? Math.round(promoted.at - t0) : NaN,
            writeOkMs: Math.round(ok - t0),
            writeAckedMs: Math.round(acked - t0),
            failedWrites,
            otherShardErrors,
        };
    } finally {
        settled = true;
        await promotion;
    }
}

/** GET of many keys on a cluster (pipelined per node, following MOVED), for loss checks. */
export async function clusterGet(fleet: Fleet, keys: string[]): Promise<(string | null)[]> {
    const { ClusterRouter } = await import("./writer");
    const router = new ClusterRouter(fleet.members.map((m) => `${m.address}:${m.port}`), logins(fleet).app);
    try {
        await router.refresh();
        return await Promise.all(keys.map((key) => waitFor(`GET ${key}`, 20000, async () => {
            let conn: RespConnection | undefined;
            try {
                conn = await router.connFor(key);
                return { v: await conn.call(["GET", key], 5000) as string | null };
            } catch (err) {
                router.failed(conn, err as Error);
                throw err;
            }
        }, 20).then((r) => r.v)));
    } finally {
        router.close();
    }
}

/** MGET on one member (a master) as the application user. */
export async function mget(fleet: Fleet, member: AddressedMember, keys: string[]): Promise<(string | null)[]> {
    return await respCall({ host: member.address, port: member.port }, logins(fleet).app, ["MGET", ...keys], 10000) as (string | null)[];
}

export { info };

/**
 * Registers the suite's hooks: before, a deployment from `start` with `writerFor`'s writer running
 * against it; after, the writer stopped and the deployment cleaned up, also when a test failed.
 */
export function underLoad(start: () => Promise<Fleet>, writerFor: (fleet: Fleet) => AckWriter): { fleet: () => Fleet; writer: () => AckWriter } {
    let fleet: Fleet | undefined;
    let writer: AckWriter | undefined;
    before(async () => {
        fleet = await start();
        writer = writerFor(fleet).start();
    });
    after(async () => {
        await writer?.stop();
        writer?.close();
        await fleet?.cleanup();
    });
    return { fleet: () => fleet!, writer: () => writer! };
}

/** The numbers every failover scenario reports: writes, losses, and the unavailability window. */
export function failoverNumbers(rounds: FailoverRound[], writer: AckWriter, lost: number): Record<string, number> {
    return {
        "acknowledged writes": writer.acked().length,
        "acknowledged writes lost": lost,
        "window median (ms)": median(rounds.map((r) => r.writeOkMs)),
        "window max (ms)": Math.max(...rounds.map((r) => r.writeOkMs)),
        "writes sent": writer.records.length,
    };
}

/** A round's row in the report. */
export function roundRow(r: FailoverRound, i: number): Record<string, string | number> {
    return { round: i + 1, killed: r.killed, promoted: r.promoted, "promoted (ms)": r.promotedMs, "write ok (ms)": r.writeOkMs, "WAIT-acked write (ms)": r.writeAckedMs };
}

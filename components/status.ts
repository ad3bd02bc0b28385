// Pure: what was read from a running deployment (members' INFO, CLUSTER NODES, the sentinels'
// view, the proxies' server states) -> a status report with one line per problem, and the
// choice of the replica a manual failover promotes. The live reading is bootstrap/observe.ts;
// nothing in here talks to a process, so every rule is unit-tested on plain data.
import type { Mode } from "./types";
import { CLUSTER_SLOTS } from "./types";

/** A replica lagging more than this (seconds since its last acknowledgement) is a problem. */
export const MAX_LAG_SECONDS = 10;
/** used_memory / maxmemory at or above this is a problem: writes fail (noeviction) or keys go. */
export const MEMORY_FULL_RATIO = 0.9;

/** A node as the status knows it: an ACL-free address and, for members, the shard. */
export interface StatusMemberRef {
    name: string;
    shard: number;
    address: string;
    port: number;
}

/** One node of `CLUSTER NODES`, as much as the status needs. */
export interface ClusterNodeView {
    id: string;
    endpoint: string;
    flags: string[];
    masterId?: string;
    slots: { start: number; end: number }[];
}

export interface MemberObservation extends StatusMemberRef {
    /** Why the member could not be read (down, refused login, timeout). */
    error?: string;
    /** `INFO` (default sections). */
    info?: Record<string, string>;
    /** Cluster mode: `CLUSTER INFO` and `CLUSTER NODES`. */
    clusterInfo?: Record<string, string>;
    clusterNodes?: ClusterNodeView[];
}

export interface SentinelObservation {
    address: string;
    port: number;
    error?: string;
    /** `SENTINEL MASTER <name>` as a map. */
    master?: Record<string, string>;
}

/** A server line of HAProxy's `show stat`. */
export interface ProxyServerState {
    backend: string;
    server: string;
    /** "UP", "DOWN", "UP 1/2", "MAINT", "no check", ... */
    status: string;
    /** The last check's result, e.g. "L7OK", "L4CON", "L7TOUT". */
    check: string;
}

export interface ProxyObservation {
    name: string;
    address: string;
    port: number;
    /** HAProxy's own view (stats socket), when one is reachable from here. */
    servers?: ProxyServerState[];
    statsError?: string;
    /** `run_id` of the member that answered through the proxy's write port. */
    writesReachRunId?: string;
    writeError?: string;
}

export interface Observations {
    mode: Mode;
    /** Sentinel mode: the name the sentinels monitor. */
    masterName?: string;
    /** The proxies' write backend (its servers are named after the members). */
    writeBackend?: string;
    readBackend?: string;
    /** When it was read (ms since the epoch). */
    at: number;
    members: MemberObservation[];
    sentinels: SentinelObservation[];
    proxies: ProxyObservation[];
}

export interface MemberStatus {
    name: string;
    shard: number;
    /** host:port */
    address: string;
    up: boolean;
    error?: string;
    role?: "master" | "replica";
    /** A replica's master: a member's name, else the address it replicates from. */
    master?: string;
    linkStatus?: string;
    /** How far behind its master: replication offset difference, and seconds since its last acknowledgement. */
    lagBytes?: number;
    lagSeconds?: number;
    /** A master: replicas connected to it. */
    connectedReplicas?: number;
    memory?: { usedBytes: number; maxBytes: number; usedRatio?: number };
    persistence?: {
        lastSave?: string;
        lastSaveStatus?: string;
        changesSinceLastSave?: number;
        aof: boolean;
        aofLastWriteStatus?: string;
        aofLastRewriteStatus?: string;
    };
    clients?: number;
    cluster?: { state: string; slots: string[] };
}

export interface SentinelStatus {
    address: string;
    up: boolean;
    error?: string;
    /** The member the sentinel names as master (its name, else its address). */
    master?: string;
    masterFlags?: string;
    quorum?: number;
    replicas?: number;
    otherSentinels?: number;
    /** Failovers of this master seen by the sentinel: its config epoch. */
    failovers?: number;
}

export interface ProxyStatus {
    name: string;
    address: string;
    up: boolean;
    error?: string;
    /** Write backend servers that are UP, by member name (undefined: no stats readable from here). */
    writeServersUp?: string[];
    readServersUp?: string[];
    /** The member that answered a connection through the write port. */
    writesReach?: string;
}

export interface StatusReport {
    mode: Mode;
    /** ISO time of the reading. */
    at: string;
    healthy: boolean;
    /** Each shard's master now (replication/sentinel: shard 0), by member name; undefined when there is none. */
    masters: { shard: number; master?: string }[];
    members: MemberStatus[];
    sentinels: SentinelStatus[];
    proxies: ProxyStatus[];
    /** One line per problem; empty when healthy. */
    problems: string[];
    /** The newest backup set under the deployment's backup target (absent when there is none), or why it could not be listed. */
    lastBackup?: { uri: string; time: string; bytes: number; keys: number; complete: boolean } | { error: string };
}

const num = (v: string | undefined): number | undefined => (v === undefined || v === "" || Number.isNaN(Number(v)) ? undefined : Number(v));
const endpointOf = (n: { address: string; port: number }) => `${n.address}:${n.port}`;

/** The `slaveN:ip=..,port=..,state=..,offset=..,lag=..` lines of a master's INFO. */
export function replicaLines(info: Record<string, string>): { endpoint: string; state: string; offset: number; lag: number }[] {
    return Object.entries(info).filter(([k]) => /^slave\d+$/.test(k)).map(([, v]) => {
        const f = Object.fromEntries(v.split(",").map((kv) => kv.split("=") as [string, string]));
        return { endpoint: `${f.ip}:${f.port}`, state: f.state, offset: Number(f.offset), lag: Number(f.lag) };
    });
}

/** "0-5460" for a range, "7" for one slot. */
const rangeText = (r: { start: number; end: number }) => (r.start === r.end ? String(r.start) : `${r.start}-${r.end}`);

/** Slot runs of 0..16383 that no range covers. */
export function uncoveredSlots(ranges: { start: number; end: number }[]): { start: number; end: number }[] {
    const sorted = [...ranges].sort((a, b) => a.start - b.start);
    const gaps: { start: number; end: number }[] = [];
    let next = 0;
    for (const r of sorted) {
        if (r.start > next) gaps.push({ start: next, end: r.start - 1 });
        next = Math.max(next, r.end + 1);
    }
    if (next < CLUSTER_SLOTS) gaps.push({ start: next, end: CLUSTER_SLOTS - 1 });
    return gaps;
}

function memberStatus(m: MemberObservation, byEndpoint: Map<string, MemberObservation>): MemberStatus {
    const status: MemberStatus = { name: m.name, shard: m.shard, address: endpointOf(m), up: !m.error && !!m.info };
    if (!status.up) {
        status.error = m.error ?? "no answer";
        return status;
    }
    const i = m.info!;
    status.role = i.role === "master" ? "master" : "replica";
    if (status.role === "replica") {
        const masterEndpoint = `${i.master_host}:${i.master_port}`;
        const master = byEndpoint.get(masterEndpoint);
        status.master = master?.name ?? masterEndpoint;
        status.linkStatus = i.master_link_status;
        const masterInfo = master && !master.error ? master.info : undefined;
        const own = num(i.slave_repl_offset);
        const masterOffset = num(masterInfo?.master_repl_offset);
        if (own !== undefined && masterOffset !== undefined && masterInfo?.role === "master") status.lagBytes = Math.max(0, masterOffset - own);
        const line = masterInfo ? replicaLines(masterInfo).find((l) => l.endpoint === endpointOf(m)) : undefined;
        if (i.master_link_status !== "up") status.lagSeconds = num(i.master_link_down_since_seconds);
        else if (line) status.lagSeconds = line.lag;
        else status.lagSeconds = num(i.master_last_io_seconds_ago);
    } else {
        status.connectedReplicas = num(i.connected_slaves) ?? 0;
    }
    const used = num(i.used_memory);
    const max = num(i.maxmemory);
    if (used !== undefined) status.memory = { usedBytes: used, maxBytes: max ?? 0, ...(max ? { usedRatio: used / max } : {}) };
    const lastSave = num(i.rdb_last_save_time);
    status.persistence = {
        ...(lastSave !== undefined ? { lastSave: new Date(lastSave * 1000).toISOString() } : {}),
        lastSaveStatus: i.rdb_last_bgsave_status,
        changesSinceLastSave: num(i.rdb_changes_since_last_save),
        aof: i.aof_enabled === "1",
        ...(i.aof_enabled === "1" ? { aofLastWriteStatus: i.aof_last_write_status, aofLastRewriteStatus: i.aof_last_bgrewrite_status } : {}),
    };
    status.clients = num(i.connected_clients);
    if (m.clusterInfo) {
        const myself = m.clusterNodes?.find((n) => n.flags.includes("myself"));
        status.cluster = { state: m.clusterInfo.cluster_state ?? "unknown", slots: (myself?.slots ?? []).map(rangeText) };
    }
    return status;
}

/** The assessment: every member, sentinel and proxy with its state, and one line per problem. */
export function assessStatus(obs: Observations): StatusReport {
    const problems: string[] = [];
    const byEndpoint = new Map(obs.members.map((m) => [endpointOf(m), m]));
    const nameAt = (endpoint: string) => byEndpoint.get(endpoint)?.name ?? endpoint;
    const members = obs.members.map((m) => memberStatus(m, byEndpoint));

    // Masters: exactly one per shard.
    const shardIndexes = [...new Set(obs.members.map((m) => m.shard))].sort((a, b) => a - b);
    const masters = shardIndexes.map((shard) => {
        const inShard = members.filter((m) => m.shard === shard);
        const live = inShard.filter((m) => m.role === "master");
        const where = obs.mode === "cluster" ? `shard ${shard}` : "the deployment";
        if (live.length === 0) problems.push(`${where} has no master${inShard.some((m) => !m.up) ? ` (down: ${inShard.filter((m) => !m.up).map((m) => m.name).join(", ")})` : ""}`);
        if (live.length > 1) problems.push(`${where} has ${live.length} masters: ${live.map((m) => m.name).join(", ")} (writes to the wrong one are lost)`);
        return { shard, master: live.length === 1 ? live[0].name : undefined };
    });
    const masterOf = (shard: number) => masters.find((s) => s.shard === shard)?.master;

    for (const m of members) {
        if (!m.up) {
            problems.push(`${m.name} (${m.address}) is down: ${m.error}`);
            continue;
        }
        if (m.role === "replica") {
            const expected = masterOf(m.shard);
            if (m.linkStatus !== "up") problems.push(`${m.name}: replication link to ${m.master} is ${m.linkStatus ?? "unknown"}${m.lagSeconds !== undefined ? ` for ${m.lagSeconds}s` : ""}`);
            else if (expected && m.master !== expected) problems.push(`${m.name} replicates from ${m.master}, not from the master ${expected}`);
            if (m.linkStatus === "up" && m.lagSeconds !== undefined && m.lagSeconds > MAX_LAG_SECONDS) problems.push(`${m.name} lags ${m.lagSeconds}s behind ${m.master} (${m.lagBytes ?? "?"} bytes)`);
        }
        if (m.memory?.usedRatio !== undefined && m.memory.usedRatio >= MEMORY_FULL_RATIO) {
            problems.push(`${m.name}: memory ${Math.round(m.memory.usedRatio * 100)}% of maxmemory (${m.memory.usedBytes} of ${m.memory.maxBytes} bytes)`);
        }
        const p = m.persistence;
        if (p?.lastSaveStatus && p.lastSaveStatus !== "ok") problems.push(`${m.name}: the last RDB save failed (rdb_last_bgsave_status:${p.lastSaveStatus})`);
        if (p?.aof && p.aofLastWriteStatus && p.aofLastWriteStatus !== "ok") problems.push(`${m.name}: AOF writes fail (aof_last_write_status:${p.aofLastWriteStatus})`);
        if (p?.aof && p.aofLastRewriteStatus && p.aofLastRewriteStatus !== "ok") problems.push(`${m.name}: the last AOF rewrite failed (aof_last_bgrewrite_status:${p.aofLastRewriteStatus})`);
        if (m.cluster && m.cluster.state !== "ok") problems.push(`${m.name}: cluster_state:${m.cluster.state}`);
    }

    if (obs.mode === "cluster") {
        // Slots served, as the live masters see themselves.
        const ranges = obs.members.filter((m) => !m.error && m.info?.role === "master")
            .flatMap((m) => m.clusterNodes?.find((n) => n.flags.includes("myself"))?.slots ?? []);
        const gaps = uncoveredSlots(ranges);
        if (gaps.length > 0 && obs.members.some((m) => !m.error && m.clusterNodes)) {
            problems.push(`slots not served by a reachable master: ${gaps.map(rangeText).join(", ")}`);
        }
    }

    // Sentinels: reachable, agreeing with the live master, seeing it up and each other.
    const liveMaster = masterOf(shardIndexes[0] ?? 0);
    const sentinels: SentinelStatus[] = obs.sentinels.map((s) => {
        const st: SentinelStatus = { address: endpointOf(s), up: !s.error && !!s.master };
        if (!st.up) {
            st.error = s.error ?? `does not monitor ${obs.masterName}`;
            problems.push(`sentinel ${st.address}: ${st.error}`);
            return st;
        }
        const m = s.master!;
        st.master = nameAt(`${m.ip}:${m.port}`);
        st.masterFlags = m.flags;
        st.quorum = num(m.quorum);
        st.replicas = num(m["num-slaves"]);
        st.otherSentinels = num(m["num-other-sentinels"]);
        st.failovers = num(m["config-epoch"]);
        if (/s_down|o_down/.test(m.flags ?? "")) problems.push(`sentinel ${st.address} sees its master ${st.master} down (${m.flags})`);
        else if (/failover/.test(m.flags ?? "")) problems.push(`sentinel ${st.address}: a failover is in progress (${m.flags})`);
        if (liveMaster && st.master !== liveMaster) problems.push(`sentinel ${st.address} names ${st.master} as master, but the master is ${liveMaster}`);
        if (st.otherSentinels !== undefined && st.otherSentinels < obs.sentinels.length - 1) {
            problems.push(`sentinel ${st.address} sees ${st.otherSentinels} other sentinel(s) of ${obs.sentinels.length - 1}`);
        }
        return st;
    });

    // Proxies: writes reach the live master, and HAProxy's own view agrees.
    const byRunId = new Map(obs.members.filter((m) => m.info?.run_id).map((m) => [m.info!.run_id, m.name]));
    const proxies: ProxyStatus[] = obs.proxies.map((p) => {
        const st: ProxyStatus = { name: p.name, address: endpointOf(p), up: !!p.servers || !!p.writesReachRunId };
        if (p.writesReachRunId) st.writesReach = byRunId.get(p.writesReachRunId) ?? `an unknown server (run_id ${p.writesReachRunId})`;
        if (p.servers) {
            const upIn = (backend: string | undefined) => p.servers!.filter((s) => s.backend === backend && s.status.startsWith("UP")).map((s) => s.server);
            st.writeServersUp = upIn(obs.writeBackend);
            st.readServersUp = upIn(obs.readBackend);
        }
        if (!st.up) {
            st.error = [p.writeError, p.statsError].filter(Boolean).join("; ") || "no answer";
            problems.push(`proxy ${p.name} (${st.address}) is down: ${st.error}`);
            return st;
        }
        if (!liveMaster) return st;
        if (st.writeServersUp && (st.writeServersUp.length !== 1 || st.writeServersUp[0] !== liveMaster)) {
            problems.push(`proxy ${p.name} marks ${st.writeServersUp.length === 0 ? "no server" : st.writeServersUp.join(", ")} UP for writes, but the master is ${liveMaster}`);
        }
        if (p.writeError) problems.push(`proxy ${p.name}: a connection through its write port failed: ${p.writeError}`);
        else if (st.writesReach && st.writesReach !== liveMaster) problems.push(`proxy ${p.name} sends writes to ${st.writesReach}, but the master is ${liveMaster}`);
        return st;
    });

    return { mode: obs.mode, at: new Date(obs.at).toISOString(), healthy: problems.length === 0, masters, members, sentinels, proxies, problems };
}

/** Why a manual failover can not go ahead, as one message. */
export class FailoverRefused extends Error {
    constructor(message: string) {
        super(message);
        this.name = "FailoverRefused";
    }
}

/**
 * The shard a manual failover works on and the replica it promotes: the shard's one live master
 * and, among its replicas linked to it, the one least behind (fewest bytes, then name). Throws
 * FailoverRefused when there is nothing safe to do.
 */
export function chooseFailover(report: StatusReport, shard?: number): { shard: number; master: MemberStatus; replica: MemberStatus } {
    const shards = report.masters.map((s) => s.shard);
    if (report.mode === "standalone") throw new FailoverRefused("a standalone deployment has no replica to fail over to");
    if (report.mode !== "cluster" && shard !== undefined && shard !== 0) throw new FailoverRefused(`--shard applies to cluster mode; a ${report.mode} deployment has one shard (0)`);
    if (report.mode === "cluster" && shard === undefined) throw new FailoverRefused(`cluster mode: name the shard to fail over with --shard N (${shards.join(", ")})`);
    const index = shard ?? 0;
    if (!shards.includes(index)) throw new FailoverRefused(`there is no shard ${index}; shards: ${shards.join(", ")}`);
    const masterName = report.masters.find((s) => s.shard === index)!.master;
    const inShard = report.members.filter((m) => m.shard === index);
    if (!masterName) {
        const masters = inShard.filter((m) => m.role === "master").map((m) => m.name);
        throw new FailoverRefused(masters.length > 1
            ? `shard ${index} has ${masters.length} masters (${masters.join(", ")}); fix that first (see \`redis-deployment status\`)`
            : `shard ${index} has no live master to fail over from; ${report.mode === "sentinel" ? "the sentinels fail over by themselves" : report.mode === "cluster" ? "its replicas take over by themselves" : "promote a replica with REPLICAOF NO ONE"}`);
    }
    const master = inShard.find((m) => m.name === masterName)!;
    const candidates = inShard.filter((m) => m.role === "replica" && m.master === masterName && m.linkStatus === "up")
        .sort((a, b) => (a.lagBytes ?? Infinity) - (b.lagBytes ?? Infinity) || a.name.localeCompare(b.name));
    if (candidates.length === 0) throw new FailoverRefused(`${masterName} has no replica with a live replication link to take over`);
    return { shard: index, master, replica: candidates[0] };
}

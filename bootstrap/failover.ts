// A manual failover that loses no acknowledged write, the way each mode offers it:
// - replication: Redis 7's `FAILOVER TO <replica>` on the master (it pauses writes, waits until
//   the replica has every byte, then swaps roles), then the other replicas follow the new master
//   and every member persists its role (CONFIG REWRITE);
// - sentinel: writes on the master paused (`CLIENT PAUSE WRITE`) until a replica has caught up,
//   `SENTINEL FAILOVER`, and the old master made a replica of the promoted one at once (Sentinel
//   itself would leave it a writable master for ~8 s, whose writes would then be lost);
// - cluster: `CLUSTER FAILOVER` on the shard's replica (the coordinated kind: the master pauses
//   clients until the replica has caught up).
// Done when the shard's members, the sentinels and the proxies all follow the new master.
import { assessStatus, chooseFailover, type StatusMemberRef, type StatusReport } from "../components/status";
import { withAccessSession } from "./access";
import { adminLogin, observeDeployment, type DeploymentTarget } from "./observe";
import { endpoint, fatal, info, waitFor, waitUntil, withClient } from "./redisClient";

export interface FailoverOptions {
    /** Cluster mode: the shard whose master hands over (required there). */
    shard?: number;
    /** How long to wait for each step (default 60 s). */
    timeoutMs?: number;
}

export interface FailoverResult {
    shard: number;
    oldMaster: { name: string; address: string };
    newMaster: { name: string; address: string };
    /** Seconds from the first command to a settled deployment. */
    seconds: number;
}

/** How long `FAILOVER` and `CLIENT PAUSE` may hold writes on the old master. */
const PAUSE_MS = 10000;

async function call(t: DeploymentTarget, node: StatusMemberRef | { address: string; port: number }, ...args: string[]): Promise<unknown> {
    return withClient(t.access, node, adminLogin(t), (c) => c.call(args[0], ...args.slice(1)));
}

async function replicationOf(t: DeploymentTarget, m: StatusMemberRef): Promise<Record<string, string>> {
    return withClient(t.access, m, adminLogin(t), (c) => info(c, "replication"));
}

async function replicationFailover(t: DeploymentTarget, shardMembers: StatusMemberRef[], from: StatusMemberRef, to: StatusMemberRef, timeoutMs: number): Promise<StatusMemberRef> {
    await call(t, from, "FAILOVER", "TO", to.address, String(to.port), "TIMEOUT", String(PAUSE_MS));
    await waitUntil(`${to.name} to take over from ${from.name}`, timeoutMs, async () => {
        const old = await replicationOf(t, from);
        if (old.role === "master" && old.master_failover_state === "no-failover") {
            const now = await replicationOf(t, to);
            if (now.role !== "master") throw fatal(`FAILOVER was aborted: ${from.name} is still master (${to.name} did not catch up within ${PAUSE_MS / 1000}s?)`);
        }
        if (old.role !== "slave") return `${from.name}: ${old.role}, ${old.master_failover_state}`;
        return undefined;
    });
    // The other replicas still follow the old master (now a replica): point them at the new one.
    for (const m of shardMembers.filter((x) => x !== from && x !== to)) {
        try {
            await call(t, m, "REPLICAOF", to.address, String(to.port));
        } catch {
            // Down: the next `up` points it at the live master.
        }
    }
    // Persist every role, so a restart brings each member back as what it is now.
    for (const m of shardMembers) await call(t, m, "CONFIG", "REWRITE").catch(() => undefined);
    return to;
}

async function sentinelFailover(t: DeploymentTarget, report: StatusReport, from: StatusMemberRef, to: StatusMemberRef, timeoutMs: number): Promise<StatusMemberRef> {
    const sentinel = t.sentinels.find((s) => report.sentinels.find((x) => x.address === endpoint(s))?.master === from.name);
    if (!sentinel) throw new Error(`no reachable sentinel names ${from.name} as master; see \`redis-deployment status\``);
    const masterName = t.masterName!;
    await call(t, from, "CLIENT", "PAUSE", String(PAUSE_MS), "WRITE");
    let promoted: StatusMemberRef | undefined;
    try {
        await waitUntil(`${to.name} to catch up with ${from.name}`, Math.min(timeoutMs, PAUSE_MS / 2), async () => {
            const [m, r] = await Promise.all([replicationOf(t, from), replicationOf(t, to)]);
            const behind = Number(m.master_repl_offset) - Number(r.slave_repl_offset);
            return behind > 0 ? `${to.name} is ${behind} bytes behind` : undefined;
        }, 50);
        await call(t, sentinel, "SENTINEL", "FAILOVER", masterName);
        promoted = await waitFor(`the sentinel ${endpoint(sentinel)} to promote a replica of ${from.name}`, timeoutMs, async () => {
            const [host, port] = await call(t, sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName) as [string, string];
            const member = t.members.find((m) => m.address === host && m.port === Number(port));
            if (!member || member === from) return undefined;
            return (await replicationOf(t, member)).role === "master" ? member : undefined;
        }, 50);
        // Demote the old master now, before its writes resume.
        await call(t, from, "REPLICAOF", promoted.address, String(promoted.port));
        await call(t, from, "CONFIG", "REWRITE");
    } finally {
        // The old master is a replica by now (or, if the failover did not happen, still the master): writes may go on.
        await call(t, from, "CLIENT", "UNPAUSE").catch(() => undefined);
    }
    return promoted;
}

async function clusterFailover(t: DeploymentTarget, from: StatusMemberRef, to: StatusMemberRef, timeoutMs: number): Promise<StatusMemberRef> {
    await call(t, to, "CLUSTER", "FAILOVER");
    await waitUntil(`${to.name} to take over shard ${to.shard} from ${from.name}`, timeoutMs, async () => {
        const r = await replicationOf(t, to);
        return r.role === "master" ? undefined : `${to.name}: ${r.role}`;
    }, 50);
    return to;
}

/** Settled: the shard's master is `master`, each of its live members follows it, sentinels and proxies agree. */
function unsettled(report: StatusReport, shard: number, master: string): string | undefined {
    const now = report.masters.find((s) => s.shard === shard)?.master;
    if (now !== master) return `the master of shard ${shard} is ${now ?? "nobody"}`;
    const lagging = report.members.find((m) => m.shard === shard && m.up && m.name !== master && (m.master !== master || m.linkStatus !== "up"));
    if (lagging) return `${lagging.name} follows ${lagging.master} (link ${lagging.linkStatus})`;
    const sentinel = report.sentinels.find((s) => s.up && s.master !== master);
    if (sentinel) return `sentinel ${sentinel.address} names ${sentinel.master}`;
    const proxy = report.proxies.find((p) => p.up && (p.writesReach !== master || (p.writeServersUp && p.writeServersUp.join() !== master)));
    if (proxy) return `proxy ${proxy.name} sends writes to ${proxy.writesReach} (UP: ${proxy.writeServersUp?.join(", ") ?? "?"})`;
    return undefined;
}

/**
 * Moves a shard's master role to its most up-to-date replica and waits until the deployment
 * follows. Refuses (FailoverRefused) when there is no live master or no linked replica.
 */
export async function runFailover(target: DeploymentTarget, options: FailoverOptions = {}): Promise<FailoverResult> {
    const timeoutMs = options.timeoutMs ?? 60000;
    return withAccessSession(target.access, async (access) => {
        const t = { ...target, access };
        const report = assessStatus(await observeDeployment(t));
        const choice = chooseFailover(report, options.shard);
        const member = (name: string) => t.members.find((m) => m.name === name)!;
        const from = member(choice.master.name);
        const to = member(choice.replica.name);
        const shardMembers = t.members.filter((m) => m.shard === choice.shard);
        const started = Date.now();
        let promoted: StatusMemberRef;
        if (t.mode === "replication") promoted = await replicationFailover(t, shardMembers, from, to, timeoutMs);
        else if (t.mode === "sentinel") promoted = await sentinelFailover(t, report, from, to, timeoutMs);
        else promoted = await clusterFailover(t, from, to, timeoutMs);
        await waitUntil(`the deployment to follow ${promoted.name}`, timeoutMs, async () =>
            unsettled(assessStatus(await observeDeployment(t)), choice.shard, promoted.name), 100);
        return {
            shard: choice.shard,
            oldMaster: { name: from.name, address: endpoint(from) },
            newMaster: { name: promoted.name, address: endpoint(promoted) },
            seconds: Math.round((Date.now() - started) / 100) / 10,
        };
    });
}

// Deployments for the reliability suite and the bench: a Fleet (real processes from the plan and
// the renderers) plus the bootstrap providers' own converge functions, with the settings the
// component would use (the validated defaults), so tuning a default changes what is measured.
import * as path from "path";
import type { RedisDeploymentArgs } from "../../components/args";
import { HAPROXY_WRITE_BACKEND } from "../../components/config/haproxyCfg";
import type { AddressedMember } from "../../components/types";
import { convergeCluster, type ClusterInputs } from "../../bootstrap/cluster";
import { convergeSentinel, type SentinelInputs } from "../../bootstrap/sentinel";
import { haproxyServers } from "../../providers/local/process";
import { waitFor as pollUntil } from "../../bootstrap/redisClient";
import { Fleet, type FleetOptions } from "./fleet";
import { RespConnection, infoMap, respCall, type RespValue } from "./resp";

/** 127.90-99: the blocks the reliability suite and the bench use (integration tests use 150-199). */
let nextBlock = 90 + Math.floor(Math.random() * 10);
export function reliabilityPrefix(): string {
    nextBlock = nextBlock >= 99 ? 90 : nextBlock + 1;
    return `127.${nextBlock}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function clusterInputs(fleet: Fleet, members: AddressedMember[] = fleet.members): ClusterInputs {
    return {
        members: fleet.bootstrapMembers(members),
        shards: fleet.plan.shards.map((s) => ({ index: s.index, slots: s.slots! })),
        adminPassword: fleet.credentials.adminPassword,
        access: fleet.access,
        timeoutMs: 60000,
        generation: "1",
    };
}

export function sentinelInputs(fleet: Fleet): SentinelInputs {
    const { sentinel } = fleet.plan.args;
    return {
        members: fleet.bootstrapMembers(),
        adminPassword: fleet.credentials.adminPassword,
        access: fleet.access,
        timeoutMs: 60000,
        generation: "1",
        sentinels: fleet.sentinels.map(({ address, port }) => ({ address, port })),
        masterName: fleet.plan.masterName,
        quorum: fleet.plan.quorum,
        downAfterMilliseconds: sentinel.downAfterMilliseconds,
        failoverTimeout: sentinel.failoverTimeout,
        parallelSyncs: sentinel.parallelSyncs,
    };
}

/** Logins of a fleet: the application's (default user) and the bootstrap's admin. */
export function logins(fleet: Fleet) {
    return {
        app: { password: fleet.credentials.password },
        admin: { user: fleet.adminLogin.user, password: fleet.adminLogin.password },
        sentinel: { password: fleet.credentials.password },
    };
}

/** A sentinel deployment (members, sentinels, bootstrap, proxies), ready for traffic. */
export async function startSentinelDeployment(name: string, args: RedisDeploymentArgs, options: FleetOptions = {}): Promise<Fleet> {
    const fleet = new Fleet(name, { mode: "sentinel", replicasPerShard: 2, sentinels: 3, ...args }, { prefix: reliabilityPrefix(), rootPrefix: "rd-rel-", ...options });
    try {
        await Promise.all([fleet.startMembers(), fleet.startSentinels()]);
        await convergeSentinel(sentinelInputs(fleet));
        await fleet.startProxies();
    } catch (err) {
        await fleet.cleanup();
        throw err;
    }
    return fleet;
}

/** A cluster deployment, formed by our bootstrap. */
export async function startClusterDeployment(name: string, args: RedisDeploymentArgs, options: FleetOptions = {}): Promise<Fleet> {
    const fleet = new Fleet(name, { mode: "cluster", shards: 3, replicasPerShard: 2, ...args }, { prefix: reliabilityPrefix(), rootPrefix: "rd-rel-", ...options });
    try {
        await fleet.startMembers();
        await convergeCluster(clusterInputs(fleet));
    } catch (err) {
        await fleet.cleanup();
        throw err;
    }
    return fleet;
}

/** The member the sentinels name as master now. */
export async function sentinelMaster(fleet: Fleet): Promise<AddressedMember> {
    const votes = new Map<string, number>();
    for (const s of fleet.sentinels) {
        try {
            const reply = await respCall({ host: s.address, port: s.port }, logins(fleet).sentinel, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", fleet.plan.masterName], 2000) as string[];
            if (reply) votes.set(reply[0], (votes.get(reply[0]) ?? 0) + 1);
        } catch { /* a sentinel down */ }
    }
    const address = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const member = fleet.members.find((m) => m.address === address);
    if (!member) throw new Error(`the sentinels name no member as master (${JSON.stringify([...votes])})`);
    return member;
}

export async function info(fleet: Fleet, member: AddressedMember, section: string): Promise<Record<string, string>> {
    return infoMap(await respCall({ host: member.address, port: member.port }, logins(fleet).admin, ["INFO", section], 2000));
}

/** Waits until `check` returns a value, polling every `everyMs` (20 ms: the suites time failovers). */
export function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 20): Promise<T> {
    return pollUntil(what, timeoutMs, check, everyMs);
}

/**
 * A healthy sentinel deployment again after a round: every member up, the master with all its
 * replicas linked, every sentinel seeing them, and HAProxy routing to exactly the master.
 */
export async function waitSentinelHealthy(fleet: Fleet, timeoutMs = 60000): Promise<AddressedMember> {
    const replicas = fleet.members.length - 1;
    return waitFor("the sentinel deployment to be healthy", timeoutMs, async () => {
        const master = await sentinelMaster(fleet);
        const m = await info(fleet, master, "replication");
        if (m.role !== "master" || Number(m.connected_slaves) < replicas) throw new Error(`master ${master.name}: ${m.role}, ${m.connected_slaves} replica(s)`);
        for (const r of fleet.members.filter((x) => x !== master)) {
            const ri = await info(fleet, r, "replication");
            if (ri.master_link_status !== "up" || ri.master_host !== master.address) throw new Error(`${r.name}: link ${ri.master_link_status} to ${ri.master_host}`);
        }
        for (const s of fleet.sentinels) {
            const reply = await respCall({ host: s.address, port: s.port }, logins(fleet).sentinel, ["SENTINEL", "REPLICAS", fleet.plan.masterName], 2000) as RespValue[][];
            const healthy = reply.map((r) => pairs(r)).filter((r) => !/s_down|o_down|disconnected/.test(r.flags)).length;
            if (healthy < replicas) throw new Error(`${s.name} sees ${healthy} healthy replica(s)`);
            const m2 = pairs(await respCall({ host: s.address, port: s.port }, logins(fleet).sentinel, ["SENTINEL", "MASTER", fleet.plan.masterName], 2000) as RespValue[]);
            if (/failover|o_down|s_down/.test(m2.flags) || m2.ip !== master.address) throw new Error(`${s.name}: master ${m2.ip} ${m2.flags}`);
        }
        for (const p of fleet.proxies) {
            const up = (await haproxyServers(path.join(fleet.root, p.name, "haproxy.sock"), HAPROXY_WRITE_BACKEND)).filter((s) => s.status.startsWith("UP"));
            if (up.length !== 1 || up[0].name !== master.name) throw new Error(`${p.name} routes writes to ${up.map((s) => s.name).join(",") || "nobody"}`);
        }
        return master;
    }, 100);
}

export function pairs(reply: RespValue): Record<string, string> {
    const list = reply as RespValue[];
    const map: Record<string, string> = {};
    for (let i = 0; i + 1 < list.length; i += 2) map[String(list[i])] = String(list[i + 1]);
    return map;
}

/** CLUSTER INFO / NODES of one member. */
export async function clusterView(fleet: Fleet, member: AddressedMember): Promise<{ state: string; nodes: string }> {
    const c = await RespConnection.open({ host: member.address, port: member.port }, logins(fleet).admin, 1000);
    try {
        const state = infoMap(await c.call(["CLUSTER", "INFO"], 2000)).cluster_state;
        return { state, nodes: String(await c.call(["CLUSTER", "NODES"], 2000)) };
    } finally {
        c.close();
    }
}

/** Statistics over rounds. */
export function median(values: number[]): number {
    const v = [...values].sort((a, b) => a - b);
    if (v.length === 0) return NaN;
    const mid = Math.floor(v.length / 2);
    return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// Reads a running deployment for `status` and `failover`: every member's INFO (and CLUSTER
// INFO / NODES), every sentinel's view of the master, every proxy's server states and which
// member answers through its write port. Thin: it only reads, through the deployment's access
// (direct, SSH bastion, Kubernetes port-forward) as rd-admin; components/status.ts judges.
import { HAPROXY_READ_BACKEND, HAPROXY_WRITE_BACKEND } from "../components/config/haproxyCfg";
import {
    assessStatus, type MemberObservation, type Observations, type ProxyObservation, type SentinelObservation,
    type StatusMemberRef, type StatusReport,
} from "../components/status";
import { ADMIN_USER, type BootstrapAccess, type Mode } from "../components/types";
import { withAccessSession } from "./access";
import { parseClusterNodes } from "./cluster";
import { readShowStat } from "./haproxyStats";
import { info, parseInfo, withClient, type Login, type NodeAddress } from "./redisClient";
import { pairs } from "./sentinel";

/** What `status` and `failover` need to know about a deployment: where its nodes are and how to log in. */
export interface DeploymentTarget {
    mode: Mode;
    members: StatusMemberRef[];
    sentinels: NodeAddress[];
    /** Sentinel mode: the monitored master's name. */
    masterName?: string;
    /** HAProxy instances; `statsSocket` where this machine can read HAProxy's stats (local provider). */
    proxies: (NodeAddress & { name: string; statsSocket?: string })[];
    /** rd-admin's password. */
    adminPassword: string;
    access: BootstrapAccess;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0];

export function adminLogin(target: Pick<DeploymentTarget, "adminPassword">): Login {
    return { user: ADMIN_USER, password: target.adminPassword };
}

async function observeMember(target: DeploymentTarget, member: StatusMemberRef): Promise<MemberObservation> {
    try {
        return await withClient(target.access, member, adminLogin(target), async (c) => {
            const obs: MemberObservation = { ...member, info: parseInfo(String(await c.call("INFO"))) };
            if (target.mode === "cluster") {
                obs.clusterInfo = parseInfo(String(await c.call("CLUSTER", "INFO")));
                obs.clusterNodes = parseClusterNodes(String(await c.call("CLUSTER", "NODES")))
                    .map(({ id, endpoint, flags, masterId, slots }) => ({ id, endpoint, flags, masterId, slots }));
            }
            return obs;
        });
    } catch (err) {
        return { ...member, error: message(err) };
    }
}

async function observeSentinel(target: DeploymentTarget, sentinel: NodeAddress): Promise<SentinelObservation> {
    const { address, port } = sentinel;
    try {
        const master = await withClient(target.access, sentinel, adminLogin(target), async (c) => pairs(await c.call("SENTINEL", "MASTER", target.masterName!)));
        return { address, port, master };
    } catch (err) {
        return { address, port, error: message(err) };
    }
}

async function observeProxy(target: DeploymentTarget, proxy: DeploymentTarget["proxies"][number]): Promise<ProxyObservation> {
    const obs: ProxyObservation = { name: proxy.name, address: proxy.address, port: proxy.port };
    const [stats, reach] = await Promise.allSettled([
        proxy.statsSocket ? readShowStat(proxy.statsSocket) : Promise.resolve(undefined),
        withClient(target.access, proxy, adminLogin(target), async (c) => (await info(c, "server")).run_id),
    ]);
    if (stats.status === "fulfilled") {
        if (stats.value) obs.servers = stats.value;
    } else {
        obs.statsError = `stats socket ${proxy.statsSocket}: ${message(stats.reason)}`;
    }
    if (reach.status === "fulfilled") obs.writesReachRunId = reach.value;
    else obs.writeError = message(reach.reason);
    return obs;
}

/** Reads every node of the deployment (in parallel, one access session). Never throws for a node that is down. */
export async function observeDeployment(target: DeploymentTarget): Promise<Observations> {
    return withAccessSession(target.access, async (access) => {
        const t = { ...target, access };
        const [members, sentinels, proxies] = await Promise.all([
            Promise.all(t.members.map((m) => observeMember(t, m))),
            Promise.all(t.mode === "sentinel" ? t.sentinels.map((s) => observeSentinel(t, s)) : []),
            Promise.all(t.proxies.map((p) => observeProxy(t, p))),
        ]);
        return {
            mode: t.mode, masterName: t.masterName, writeBackend: HAPROXY_WRITE_BACKEND, readBackend: HAPROXY_READ_BACKEND,
            at: Date.now(), members, sentinels, proxies,
        };
    });
}

/** The live status of a deployment: what every node reports, judged, with one line per problem. */
export async function deploymentStatus(target: DeploymentTarget): Promise<StatusReport> {
    return assessStatus(await observeDeployment(target));
}

import * as pulumi from "@pulumi/pulumi";
import { ADMIN_USER } from "../components/types";
import { convergingProvider } from "./converging";
import { convergeReplication, observeReplication, type ReplicationInputs } from "./replication";
import { endpoint, waitReachable, waitUntil, withClient, type NodeAddress } from "./redisClient";

export interface SentinelInputs extends ReplicationInputs {
    sentinels: NodeAddress[];
    masterName: string;
    quorum: number;
    downAfterMilliseconds: number;
    failoverTimeout: number;
    parallelSyncs: number;
}

export interface SentinelResult {
    master: string;
    replicas: string[];
    actions: string[];
}

/** Turns Redis' flat [k1, v1, k2, v2, ...] replies into a map. */
export function pairs(reply: unknown): Record<string, string> {
    const list = reply as string[];
    const map: Record<string, string> = {};
    for (let i = 0; i + 1 < list.length; i += 2) map[String(list[i])] = String(list[i + 1]);
    return map;
}

/**
 * How the bootstrap logs in to a sentinel: as rd-admin. The sentinels' default user is the
 * applications' and may only look things up (components/config/users.ts).
 */
export function sentinelAdminLogin(inputs: Pick<SentinelInputs, "adminPassword">): { user: string; password: string } {
    return { user: ADMIN_USER, password: inputs.adminPassword };
}

/** The master address most sentinels agree on, if any sentinel monitors `masterName`. */
async function sentinelsMaster(inputs: SentinelInputs): Promise<string | undefined> {
    const login = sentinelAdminLogin(inputs);
    const votes = new Map<string, number>();
    for (const sentinel of inputs.sentinels) {
        const reply = await withClient(inputs.access, sentinel, login, (c) => c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", inputs.masterName)) as string[] | null;
        if (reply) votes.set(`${reply[0]}:${reply[1]}`, (votes.get(`${reply[0]}:${reply[1]}`) ?? 0) + 1);
    }
    const members = new Set(inputs.members.map(endpoint));
    return [...votes.entries()].filter(([addr]) => members.has(addr)).sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * Replication first (with the master the sentinels already follow, if any), then every
 * sentinel monitors that master with the planned settings. Done only when every sentinel sees
 * every replica and every other sentinel: before that a failover aborts with no good replica.
 */
export async function convergeSentinel(inputs: SentinelInputs): Promise<SentinelResult> {
    const login = sentinelAdminLogin(inputs);
    await waitReachable(inputs.access, inputs.sentinels, login, inputs.timeoutMs);
    const replication = await convergeReplication(inputs, await sentinelsMaster(inputs));
    const actions = [...replication.actions];
    const [masterHost, masterPort] = replication.master.split(":");
    const wanted: Record<string, string> = {
        quorum: String(inputs.quorum),
        "down-after-milliseconds": String(inputs.downAfterMilliseconds),
        "failover-timeout": String(inputs.failoverTimeout),
        "parallel-syncs": String(inputs.parallelSyncs),
    };

    for (const sentinel of inputs.sentinels) {
        await withClient(inputs.access, sentinel, login, async (c) => {
            let current: Record<string, string> | undefined;
            try {
                current = pairs(await c.call("SENTINEL", "MASTER", inputs.masterName));
            } catch {
                current = undefined; // not monitored yet
            }
            if (current && `${current.ip}:${current.port}` !== replication.master && !current.flags?.includes("failover")) {
                await c.call("SENTINEL", "REMOVE", inputs.masterName);
                actions.push(`${endpoint(sentinel)}: dropped stale master ${current.ip}:${current.port}`);
                current = undefined;
            }
            if (!current) {
                await c.call("SENTINEL", "MONITOR", inputs.masterName, masterHost, masterPort, String(inputs.quorum));
                await c.call("SENTINEL", "SET", inputs.masterName, "auth-user", ADMIN_USER, "auth-pass", inputs.adminPassword);
                actions.push(`${endpoint(sentinel)}: monitors ${inputs.masterName} at ${replication.master}`);
            }
            const changes = Object.entries(wanted).filter(([k, v]) => current?.[k] !== v).flat();
            if (changes.length > 0) {
                await c.call("SENTINEL", "SET", inputs.masterName, ...changes);
                if (current) actions.push(`${endpoint(sentinel)}: set ${changes.join(" ")}`);
            }
        });
    }

    const replicas = inputs.members.length - 1;
    await waitUntil(`every sentinel to see ${replicas} replica(s) and ${inputs.sentinels.length - 1} other sentinel(s)`, inputs.timeoutMs, async () => {
        for (const sentinel of inputs.sentinels) {
            const why = await withClient(inputs.access, sentinel, login, async (c) => {
                const m = pairs(await c.call("SENTINEL", "MASTER", inputs.masterName));
                const seen = (await c.call("SENTINEL", "REPLICAS", inputs.masterName) as unknown[]).map(pairs);
                const healthy = seen.filter((r) => !/s_down|o_down|disconnected/.test(r.flags)).length;
                if (healthy < replicas) return `${endpoint(sentinel)} sees ${healthy} healthy replica(s)`;
                if (Number(m["num-other-sentinels"]) < inputs.sentinels.length - 1) return `${endpoint(sentinel)} sees ${m["num-other-sentinels"]} other sentinel(s)`;
                return undefined;
            });
            if (why) return why;
        }
        return undefined;
    });
    return { master: replication.master, replicas: replication.replicas, actions };
}

export const sentinelProvider = convergingProvider<SentinelInputs, SentinelResult>(
    convergeSentinel,
    async (inputs) => observeReplication(inputs, await sentinelsMaster(inputs)),
);

export type SentinelBootstrapArgs = { [K in keyof SentinelInputs]: pulumi.Input<SentinelInputs[K]> };

/** Replication plus sentinels monitoring it, converged on every update. */
export class SentinelBootstrap extends pulumi.dynamic.Resource {
    declare readonly result: pulumi.Output<SentinelResult>;
    constructor(name: string, args: SentinelBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(sentinelProvider, name, { ...args, result: undefined }, { ...opts, additionalSecretOutputs: ["adminPassword", "access"] }, "redis-deployment", "SentinelBootstrap");
    }
}

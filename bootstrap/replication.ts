import * as pulumi from "@pulumi/pulumi";
import type { BootstrapAccess, Role } from "../components/types";
import { ADMIN_USER } from "../components/types";
import { convergingProvider } from "./converging";
import { endpoint, info, waitReachable, waitUntil, withClient, type NodeAddress } from "./redisClient";

export interface BootstrapMember extends NodeAddress {
    name: string;
    shard: number;
    index: number;
    role: Role;
}

export interface ReplicationInputs {
    members: BootstrapMember[];
    adminPassword: string;
    access: BootstrapAccess;
    timeoutMs: number;
    /** Changes whenever a member process is (re)started, so the bootstrap runs again. */
    generation: string;
}

export interface ReplicationResult {
    master: string;
    replicas: string[];
    actions: string[];
}

interface LiveRole {
    member: BootstrapMember;
    role: string;
    masterHost?: string;
    masterPort?: number;
    connectedReplicas: number;
}

async function liveRoles(inputs: ReplicationInputs): Promise<LiveRole[]> {
    const login = { user: ADMIN_USER, password: inputs.adminPassword };
    return Promise.all(inputs.members.map((member) => withClient(inputs.access, member, login, async (c) => {
        const r = await info(c, "replication");
        return {
            member,
            role: r.role,
            masterHost: r.master_host,
            masterPort: r.master_port ? Number(r.master_port) : undefined,
            connectedReplicas: Number(r.connected_slaves ?? 0),
        };
    })));
}

/**
 * Picks the master. Reality wins over the plan: a member that is master and has replicas
 * (say, after a failover) stays master; the planned master is used only on a fresh set.
 */
export function chooseMaster(roles: LiveRole[], preferred?: string): BootstrapMember {
    const masters = roles.filter((r) => r.role === "master");
    const preferredRole = preferred ? masters.find((r) => endpoint(r.member) === preferred) : undefined;
    if (preferredRole) return preferredRole.member;
    const serving = masters.filter((r) => r.connectedReplicas > 0);
    if (serving.length === 1) return serving[0].member;
    if (masters.length === 1) return masters[0].member;
    const planned = roles.find((r) => r.member.index === 0)!;
    if (planned.role !== "master" && planned.masterHost) {
        const upstream = roles.find((r) => r.member.address === planned.masterHost && r.member.port === planned.masterPort);
        if (upstream) return upstream.member;
    }
    return planned.member;
}

/** Makes one member master and every other one its replica, then waits for the links. */
export async function convergeReplication(inputs: ReplicationInputs, preferredMaster?: string): Promise<ReplicationResult> {
    const login = { user: ADMIN_USER, password: inputs.adminPassword };
    const actions: string[] = [];
    await waitReachable(inputs.access, inputs.members, login, inputs.timeoutMs);
    const roles = await liveRoles(inputs);
    const master = chooseMaster(roles, preferredMaster);

    for (const live of roles) {
        const { member } = live;
        if (member === master) {
            if (live.role !== "master") {
                await withClient(inputs.access, member, login, async (c) => {
                    await c.call("REPLICAOF", "NO", "ONE");
                    await c.call("CONFIG", "REWRITE");
                });
                actions.push(`${member.name}: promoted to master`);
            }
            continue;
        }
        if (live.role === "slave" && live.masterHost === master.address && live.masterPort === master.port) continue;
        await withClient(inputs.access, member, login, async (c) => {
            await c.call("REPLICAOF", master.address, String(master.port));
            // Persist the role so a restart brings the member back as a replica, never as an empty master.
            await c.call("CONFIG", "REWRITE");
        });
        actions.push(`${member.name}: replica of ${master.name}`);
    }

    const replicas = inputs.members.filter((m) => m !== master);
    await waitUntil(`replication of ${master.name} to ${replicas.length} replica(s)`, inputs.timeoutMs, async () => {
        for (const replica of replicas) {
            const r = await withClient(inputs.access, replica, login, (c) => info(c, "replication"));
            if (r.master_link_status !== "up") return `${replica.name}: master_link_status=${r.master_link_status}`;
        }
        const m = await withClient(inputs.access, master, login, (c) => info(c, "replication"));
        if (Number(m.connected_slaves) < replicas.length) return `${master.name}: connected_slaves=${m.connected_slaves}`;
        return undefined;
    });
    return { master: endpoint(master), replicas: replicas.map(endpoint), actions };
}

/** Who is master now, changing nothing. */
export async function observeReplication(inputs: ReplicationInputs, preferredMaster?: string): Promise<ReplicationResult> {
    const master = chooseMaster(await liveRoles(inputs), preferredMaster);
    return { master: endpoint(master), replicas: inputs.members.filter((m) => m !== master).map(endpoint), actions: [] };
}

export const replicationProvider = convergingProvider<ReplicationInputs, ReplicationResult>((inputs) => convergeReplication(inputs), (inputs) => observeReplication(inputs));

export type ReplicationBootstrapArgs = { [K in keyof ReplicationInputs]: pulumi.Input<ReplicationInputs[K]> };

/** Makes a master/replica set out of running members. Converges on every update. */
export class ReplicationBootstrap extends pulumi.dynamic.Resource {
    declare readonly result: pulumi.Output<ReplicationResult>;
    constructor(name: string, args: ReplicationBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(replicationProvider, name, { ...args, result: undefined }, { ...opts, additionalSecretOutputs: ["adminPassword", "access"] }, "redis-deployment", "ReplicationBootstrap");
    }
}

// Which VM hosts a deployment needs, which subnet each goes to, and which of the addresses the
// cloud gave a host's interface belongs to which node. Cloud-neutral and pure.
//
// Addresses are assigned by the cloud (AWS ENI secondary IPs, GCP alias IPs, Azure NIC IP
// configurations: all can pick a free address in the subnet) and read back, rather than
// computed: an interface keeps its addresses for as long as it exists, so a member keeps its
// address across runs, across VM replacements, and when shards or replicas are added; and
// no address can collide with another workload in a shared subnet.
import type { PlannedMember, PlannedProxy, PlannedSentinel, TopologyPlan } from "../../components/types";
import { createHash } from "crypto";
import { parseIpv4 } from "./ipv4";

export type HostKind = "member" | "sentinel" | "proxy";

/** One VM: the Redis members, sentinel or proxy it runs, all in one zone. */
export interface HostPlan {
    /** Resource base name: the node's name when the VM runs one node, else `<deployment>-z<zone>-vm<k>`. */
    name: string;
    kind: HostKind;
    zone: string;
    members: PlannedMember[];
    sentinels: PlannedSentinel[];
    proxies: PlannedProxy[];
}

/** Names of the nodes a host runs, in the order their addresses are assigned. */
export function nodeNames(host: HostPlan): string[] {
    return [...host.members, ...host.sentinels, ...host.proxies].map((n) => n.name);
}

/**
 * The VMs of a deployment, members first, then sentinels, then proxies.
 *
 * Members: one VM per member by default. With `membersPerHost` > 1, members of the same zone
 * share VMs, filled in member order, never two members of one shard on one VM (losing the VM
 * must not take a master and its replica). Sentinels and proxies get a small VM each: a
 * sentinel on a member's VM would fail together with that member.
 */
export function planHosts(plan: TopologyPlan, membersPerHost = 1): HostPlan[] {
    if (!Number.isInteger(membersPerHost) || membersPerHost < 1) throw new RangeError(`membersPerHost must be a whole number >= 1, got ${membersPerHost}`);
    const { args } = plan;
    const hosts: HostPlan[] = [];
    const empty = () => ({ members: [] as PlannedMember[], sentinels: [] as PlannedSentinel[], proxies: [] as PlannedProxy[] });
    if (membersPerHost === 1) {
        for (const m of plan.members) hosts.push({ name: m.name, kind: "member", zone: m.zone, ...empty(), members: [m] });
    } else {
        const byZone = new Map<string, HostPlan[]>();
        for (const m of plan.members) {
            const zoneHosts = byZone.get(m.zone) ?? [];
            byZone.set(m.zone, zoneHosts);
            let host = zoneHosts.find((h) => h.members.length < membersPerHost && !h.members.some((o) => o.shard === m.shard));
            if (!host) {
                host = { name: `${args.name}-z${args.zones.indexOf(m.zone)}-vm${zoneHosts.length}`, kind: "member", zone: m.zone, ...empty() };
                zoneHosts.push(host);
                hosts.push(host);
            }
            host.members.push(m);
        }
    }
    for (const s of plan.sentinels) hosts.push({ name: s.name, kind: "sentinel", zone: s.zone, ...empty(), sentinels: [s] });
    for (const p of plan.proxies) hosts.push({ name: p.name, kind: "proxy", zone: p.zone, ...empty(), proxies: [p] });
    return hosts;
}

export interface SubnetInfo {
    id: string;
    zone: string;
    /** IPv4 CIDR block, e.g. "10.0.1.0/24". */
    cidr: string;
}

/** A host with its subnet and the addresses the cloud gave its interface. */
export interface PlacedHost {
    host: HostPlan;
    subnet: SubnetInfo;
    /** The VM's own (primary) address; absent where it is assigned after the boot script is rendered (GCP). */
    hostAddress?: string;
    /** Node name -> its own address on this VM (a secondary address on the VM's interface). */
    nodeAddresses: Record<string, string>;
}

/** A placement that can not exist with these subnets; the message names the argument. */
export class LayoutError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "LayoutError";
    }
}

/** Rendezvous (highest random weight) score of a host on a subnet. */
function score(host: string, subnet: string): number {
    return createHash("sha256").update(`${host}\n${subnet}`).digest().readUInt32BE(0);
}

/**
 * Gives every host a subnet in its zone, by rendezvous hashing of the host's name: the choice
 * depends only on the host and its zone's subnets, so adding members or reordering the list
 * never moves a host (a moved host means a replaced interface, a new address); adding a subnet
 * moves only the hosts that now prefer it, removing one only the hosts that were in it.
 * Throws a LayoutError naming `field` when a zone has no subnet.
 */
export function assignSubnets(hosts: HostPlan[], subnets: SubnetInfo[], field: string): Record<string, SubnetInfo> {
    const byZone = new Map<string, SubnetInfo[]>();
    for (const s of subnets) byZone.set(s.zone, [...(byZone.get(s.zone) ?? []), s]);
    const missing = [...new Set(hosts.map((h) => h.zone))].filter((z) => !byZone.has(z));
    if (missing.length > 0) {
        const have = [...byZone].map(([z, ss]) => `${z}: ${ss.map((s) => s.id).join(", ")}`).join("; ") || "none";
        throw new LayoutError(`${field}: no subnet in zone${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; every zone in \`zones\` needs at least one subnet (subnets by zone: ${have})`);
    }
    const result: Record<string, SubnetInfo> = {};
    for (const host of hosts) {
        const candidates = byZone.get(host.zone)!;
        result[host.name] = candidates.reduce((best, s) => {
            const a = score(host.name, s.id);
            const b = score(host.name, best.id);
            return a > b || (a === b && s.id < best.id) ? s : best;
        });
    }
    return result;
}

/**
 * Maps the addresses a cloud assigned to a host's interface to the host and its nodes: the
 * primary address is the host's, the secondary addresses go to the nodes in node order, lowest
 * address first. With one node per host (the default) that is unambiguous; the mapping never
 * changes while the interface exists, because the cloud never changes its addresses.
 */
export function placeHost(host: HostPlan, subnet: SubnetInfo, primary: string, all: string[]): PlacedHost {
    const nodes = nodeNames(host);
    const secondary = [...new Set(all)].filter((a) => a !== primary);
    const numeric = secondary.map((a) => ({ a, n: parseIpv4(a) }));
    const bad = numeric.find((x) => x.n === undefined);
    if (bad) throw new Error(`host ${host.name}: ${JSON.stringify(bad.a)} is not an IPv4 address`);
    if (secondary.length !== nodes.length) {
        throw new Error(`host ${host.name}: its interface has ${secondary.length} secondary addresses (${secondary.join(", ") || "none"}) for ${nodes.length} node(s)`);
    }
    numeric.sort((x, y) => x.n! - y.n!);
    const nodeAddresses: Record<string, string> = {};
    nodes.forEach((node, i) => { nodeAddresses[node] = numeric[i].a; });
    return { host, subnet, hostAddress: primary, nodeAddresses };
}

/** The nodes with the addresses their hosts were given. */
export function withAddresses<T extends { name: string }>(placed: PlacedHost[], nodes: T[]): (T & { address: string })[] {
    return nodes.map((node) => {
        const address = placed.find((p) => p.nodeAddresses[node.name] !== undefined)?.nodeAddresses[node.name];
        if (!address) throw new Error(`no host carries node ${node.name}`);
        return { ...node, address };
    });
}

/**
 * The members a member host's configs name: outside cluster mode, the masters of the replicas
 * it runs (a new replica follows its planned master); none otherwise. Only these, so that each
 * VM depends on a few addresses, not on every member's (quadratic state for large clusters).
 */
export function mastersFollowedBy(plan: TopologyPlan, host: HostPlan): PlannedMember[] {
    if (plan.args.mode === "cluster") return [];
    return plan.members.filter((m) => m.role === "master" && host.members.some((r) => r.role === "replica" && r.shard === m.shard));
}

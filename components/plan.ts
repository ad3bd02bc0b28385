import { metricsPorts } from "./metrics";
import {
    CLUSTER_BUS_OFFSET,
    CLUSTER_SLOTS,
    PROXY_READ_PORT_OFFSET,
    STORED_SECRETS,
    type NodeKind,
    type PlannedMember,
    type PlannedPort,
    type PlannedProxy,
    type PlannedSentinel,
    type PlannedShard,
    type PortPurpose,
    type ResolvedArgs,
    type TopologyPlan,
} from "./types";

/**
 * Splits the 16384 cluster slots into `shards` contiguous ranges whose sizes differ by at
 * most one (the first `16384 mod shards` ranges get the extra slot).
 */
export function slotRanges(shards: number): { start: number; end: number }[] {
    const base = Math.floor(CLUSTER_SLOTS / shards);
    const extra = CLUSTER_SLOTS % shards;
    const ranges: { start: number; end: number }[] = [];
    let start = 0;
    for (let s = 0; s < shards; s++) {
        const size = base + (s < extra ? 1 : 0);
        ranges.push({ start, end: start + size - 1 });
        start += size;
    }
    return ranges;
}

/**
 * Zone of member `index` of shard `shard`.
 * spread: (shard + index) mod zones, so a shard's members never share a zone while
 *   zones >= members per shard, and masters rotate over the zones.
 * colocate-masters: masters in the first zone (lowest write latency between them and the
 *   proxies); replicas rotate over the other zones.
 */
export function zoneFor(args: Pick<ResolvedArgs, "zones" | "placement">, shard: number, index: number): string {
    const zones = args.zones;
    if (args.placement === "colocate-masters" && zones.length > 1) {
        if (index === 0) return zones[0];
        const others = zones.length - 1;
        return zones[1 + ((shard + index - 1) % others)];
    }
    return zones[(shard + index) % zones.length];
}

/** The most replicas a shard may have (validation enforces it); it fixes the ordinal stride. */
export const MAX_REPLICAS_PER_SHARD = 10;

/**
 * A member's ordinal depends only on its shard and index, never on how many members come
 * before it: adding replicas or shards must not move an existing member's address (a moved
 * address means a replaced member and lost data).
 */
export function memberOrdinal(shard: number, index: number): number {
    return shard * (MAX_REPLICAS_PER_SHARD + 1) + index;
}

export function memberName(deployment: string, shard: number, index: number): string {
    return `${deployment}-s${shard}-m${index}`;
}

/**
 * The ports of a deployment: Redis on members (and HAProxy's write frontend on the same port),
 * the cluster bus between members only, Sentinel, and HAProxy's read frontend one above.
 * With TLS every one of them speaks TLS only, on the same number (plaintext `port 0`), so
 * firewalls and load balancers stay as they are and a plaintext client is refused.
 */
export function plannedPorts(args: ResolvedArgs): PlannedPort[] {
    const balanced = (purpose: PortPurpose) => args.loadBalancer && (purpose === "redis" || purpose === "proxy-read");
    const port = (purpose: PortPurpose, number: number, listeners: NodeKind[], description: string, clients: boolean): PlannedPort =>
        ({ purpose, port: number, listeners, description: args.tls.enabled ? `${description}, TLS` : description, clients, loadBalanced: balanced(purpose), tls: args.tls.enabled });
    const proxied = args.haproxy && args.proxyCount > 0;
    const ports = [port("redis", args.port, proxied ? ["member", "proxy"] : ["member"], "Redis (members, and the HAProxy write frontend)", true)];
    // Node-to-node only: clients never speak the cluster bus protocol.
    if (args.mode === "cluster") ports.push(port("cluster-bus", args.port + CLUSTER_BUS_OFFSET, ["member"], "Redis cluster bus (nodes only)", false));
    if (args.mode === "sentinel") ports.push(port("sentinel", args.sentinelPort, ["sentinel"], "Redis Sentinel", true));
    if (proxied) ports.push(port("proxy-read", args.port + PROXY_READ_PORT_OFFSET, ["proxy"], "HAProxy read frontend (replicas)", true));
    return [...ports, ...metricsPorts(args, proxied)];
}

/** The port planned for `purpose`, or undefined when the deployment has none. */
export function portFor(plan: Pick<TopologyPlan, "ports">, purpose: PortPurpose): number | undefined {
    return plan.ports.find((p) => p.purpose === purpose)?.port;
}

/** The ports a kind of node listens on. */
export function portsOf(plan: Pick<TopologyPlan, "ports">, kind: NodeKind): PlannedPort[] {
    return plan.ports.filter((p) => p.listeners.includes(kind));
}

/** The ports the load balancer forwards (none without one). */
export function loadBalancedPorts(plan: Pick<TopologyPlan, "ports">): number[] {
    return plan.ports.filter((p) => p.loadBalanced).map((p) => p.port);
}

/** Pure: resolved arguments -> the topology every provider builds. */
export function plan(args: ResolvedArgs): TopologyPlan {
    const ports = plannedPorts(args);
    const shardCount = args.mode === "cluster" ? args.shards : 1;
    const replicas = args.mode === "standalone" ? 0 : args.replicasPerShard;
    const ranges = args.mode === "cluster" ? slotRanges(shardCount) : undefined;

    const shards: PlannedShard[] = [];
    const members: PlannedMember[] = [];
    for (let s = 0; s < shardCount; s++) {
        const shardMembers: PlannedMember[] = [];
        for (let i = 0; i <= replicas; i++) {
            const member: PlannedMember = {
                name: memberName(args.name, s, i),
                shard: s,
                index: i,
                ordinal: memberOrdinal(s, i),
                role: i === 0 ? "master" : "replica",
                zone: zoneFor(args, s, i),
                port: args.port,
            };
            shardMembers.push(member);
            members.push(member);
        }
        shards.push({ index: s, slots: ranges?.[s], members: shardMembers });
    }

    // Sentinels and proxies rotate over the zones so losing one zone keeps a majority / a proxy.
    const sentinels: PlannedSentinel[] = [];
    for (let i = 0; i < args.sentinels; i++) {
        sentinels.push({ name: `${args.name}-sentinel${i}`, ordinal: i, zone: args.zones[i % args.zones.length], port: args.sentinelPort });
    }
    const proxies: PlannedProxy[] = [];
    if (args.haproxy) {
        for (let i = 0; i < args.proxyCount; i++) {
            proxies.push({ name: `${args.name}-proxy${i}`, ordinal: i, zone: args.zones[i % args.zones.length], port: args.port, readPort: portFor({ ports }, "proxy-read")! });
        }
    }

    return {
        args,
        ports,
        secrets: STORED_SECRETS.filter((k) => (k !== "password" && k !== "retiringPassword") || args.authEnabled),
        shards,
        members,
        sentinels,
        proxies,
        masterName: args.name,
        quorum: Math.floor(args.sentinels / 2) + 1,
    };
}

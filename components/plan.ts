import {
    CLUSTER_SLOTS,
    type PlannedMember,
    type PlannedProxy,
    type PlannedSentinel,
    type PlannedShard,
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

/** Pure: resolved arguments -> the topology every provider builds. */
export function plan(args: ResolvedArgs): TopologyPlan {
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
            proxies.push({ name: `${args.name}-proxy${i}`, ordinal: i, zone: args.zones[i % args.zones.length], port: args.port, readPort: args.port + 1 });
        }
    }

    return {
        args,
        shards,
        members,
        sentinels,
        proxies,
        masterName: args.name,
        quorum: Math.floor(args.sentinels / 2) + 1,
    };
}

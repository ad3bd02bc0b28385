// Static private addresses for clouds where the deployment names each node's address itself
// (Azure static NIC IP configurations), rather than the cloud picking one (AWS, see layout.ts).
//
// Every node gets a slot that depends only on its identity — the load balancer's frontend,
// proxy k, sentinel k, member (shard s, index i) via its plan ordinal — never on how many
// nodes exist: adding shards, replicas, sentinels or proxies never moves an address, and a
// re-created interface gets the same address again. Slots count down from the top of the
// usable range, because clouds hand out their own (dynamic) addresses lowest first: the two
// meet last in a shared subnet, and a collision fails loudly at creation (the address is taken).
import { MAX_REPLICAS_PER_SHARD } from "../../components/plan";
import type { TopologyPlan } from "../../components/types";
import { MAX_PROXIES, MAX_SENTINELS } from "../../components/validate";
import { contains, formatIpv4, type Cidr } from "./ipv4";
import { LayoutError } from "./layout";

/** First slot of each kind of node (slot 0 is the load balancer's frontend). */
export const SLOT_BASE = {
    loadBalancer: 0,
    proxy: 1,
    sentinel: 1 + MAX_PROXIES,
    member: 1 + MAX_PROXIES + MAX_SENTINELS,
} as const;

export type SlotKind = keyof typeof SLOT_BASE;

export function staticSlot(kind: SlotKind, ordinal = 0): number {
    return SLOT_BASE[kind] + ordinal;
}

/** The addresses a deployment may use: from `first` to `last` (numeric IPv4), inclusive. */
export interface AddressRange {
    first: number;
    last: number;
    text: string;
}

/**
 * The usable part of `subnet` (less the addresses the cloud reserves at its start and end),
 * narrowed to `within` when given. Throws a LayoutError naming `field` when `within` is not
 * inside the subnet.
 */
export function usableRange(subnet: Cidr, reserved: { low: number; high: number }, within?: Cidr, field = "addressRange"): AddressRange {
    let first = subnet.base + reserved.low;
    let last = subnet.base + subnet.size - 1 - reserved.high;
    if (within) {
        const end = formatIpv4(within.base + within.size - 1);
        if (!contains(subnet, formatIpv4(within.base)) || !contains(subnet, end)) {
            throw new LayoutError(`${field}: ${within.text} is not inside the subnet ${subnet.text}`);
        }
        first = Math.max(first, within.base);
        last = Math.min(last, within.base + within.size - 1);
    }
    return { first, last, text: within?.text ?? subnet.text };
}

export interface StaticLayout {
    /** Node name -> its address. */
    nodes: Record<string, string>;
    /** The load balancer's frontend address. */
    loadBalancer: string;
}

/**
 * Every node's address (and the load balancer's) in `range`. Throws a LayoutError naming
 * `field` when the range is too small for the highest slot the plan uses.
 */
export function staticLayout(plan: TopologyPlan, range: AddressRange, field: string): StaticLayout {
    const slots: [string, number][] = [
        ...plan.members.map((m) => [m.name, staticSlot("member", m.ordinal)] as [string, number]),
        ...plan.sentinels.map((s) => [s.name, staticSlot("sentinel", s.ordinal)] as [string, number]),
        ...plan.proxies.map((p) => [p.name, staticSlot("proxy", p.ordinal)] as [string, number]),
    ];
    const highest = Math.max(0, ...slots.map(([, slot]) => slot));
    const available = range.last - range.first + 1;
    if (highest >= available) {
        throw new LayoutError(`${field}: ${range.text} has ${Math.max(0, available)} usable addresses; this deployment's highest address slot is ${highest} (the top ${highest + 1} addresses are reserved by node identity: 1 load balancer, ${MAX_PROXIES} proxies, ${MAX_SENTINELS} sentinels, then ${MAX_REPLICAS_PER_SHARD + 1} per shard); use a larger subnet or range`);
    }
    const at = (slot: number) => formatIpv4(range.last - slot);
    return { nodes: Object.fromEntries(slots.map(([name, slot]) => [name, at(slot)])), loadBalancer: at(staticSlot("loadBalancer")) };
}

// Where pods may run: pinned to the planned zones when zones are given, a shard's members apart,
// everything spread over zones and nodes.
import type * as k8s from "@pulumi/kubernetes";
import type { TopologyPlan } from "../../components/types";
import type { KubernetesOptions } from "./args";
import type { PodGroup } from "./layout";
import { selector } from "./pods";

export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const HOSTNAME_LABEL = "kubernetes.io/hostname";
/** Set on StatefulSet pods by Kubernetes >= 1.28. */
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

type Placement = Pick<k8s.types.input.core.v1.PodSpec, "affinity" | "topologySpreadConstraints">;

function zoneAffinity(o: KubernetesOptions, zones: string[]): k8s.types.input.core.v1.NodeAffinity | undefined {
    if (!o.zonesGiven) return undefined;
    return {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_LABEL, operator: "In", values: [...new Set(zones)] }] }],
        },
    };
}

/**
 * Placement of one group of members, per the plan:
 * - zones given: the group is pinned to its members' planned zones (node affinity), so a
 *   group of masters sits exactly where the plan put it (colocate-masters: the first zone);
 * - a shard's members never share a zone (required anti-affinity when the plan gives them
 *   distinct zones, preferred otherwise), and prefer distinct nodes;
 * - all members spread over zones and nodes (soft); in cluster mode pods are also spread by
 *   their index (matchLabelKeys pod-index), so the initial masters (index 0) rotate over
 *   the zones like the plan's `spread`.
 */
export function memberPlacement(name: string, o: KubernetesOptions, plan: TopologyPlan, group: PodGroup): Placement {
    const shard = plan.shards[group.shard];
    const shardSelector = { matchLabels: selector(name, "redis", { "redis-deployment/shard": String(group.shard) }) };
    const shardZones = new Set(shard.members.map((m) => m.zone));
    const distinct = o.zonesGiven && shardZones.size === shard.members.length;
    const zoneTerm = { labelSelector: shardSelector, topologyKey: ZONE_LABEL };
    const all = { matchLabels: selector(name, "redis") };
    const soft = o.zonesGiven ? "DoNotSchedule" : "ScheduleAnyway";
    const spread: k8s.types.input.core.v1.TopologySpreadConstraint[] = [
        { maxSkew: 1, topologyKey: HOSTNAME_LABEL, whenUnsatisfiable: "ScheduleAnyway", labelSelector: all },
    ];
    if (plan.args.mode === "cluster") {
        spread.unshift({ maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: soft, labelSelector: all, matchLabelKeys: [POD_INDEX_LABEL] });
    } else {
        spread.unshift({ maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: "ScheduleAnyway", labelSelector: all });
    }
    return {
        affinity: {
            nodeAffinity: zoneAffinity(o, group.members.map((m) => m.zone)),
            podAntiAffinity: {
                ...(distinct ? { requiredDuringSchedulingIgnoredDuringExecution: [zoneTerm] } : {}),
                preferredDuringSchedulingIgnoredDuringExecution: [
                    ...(distinct ? [] : [{ weight: 100, podAffinityTerm: zoneTerm }]),
                    { weight: 90, podAffinityTerm: { labelSelector: shardSelector, topologyKey: HOSTNAME_LABEL } },
                ],
            },
        },
        topologySpreadConstraints: spread,
    };
}

/** Placement of sentinels or proxies: over the given zones (hard) or the cluster's (soft), and over nodes. */
export function spreadPlacement(name: string, o: KubernetesOptions, component: "sentinel" | "haproxy", zones: string[]): Placement {
    const podSelector = { matchLabels: selector(name, component) };
    return {
        affinity: {
            nodeAffinity: zoneAffinity(o, zones),
            podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: podSelector, topologyKey: HOSTNAME_LABEL } }] },
        },
        topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: o.zonesGiven ? "DoNotSchedule" : "ScheduleAnyway", labelSelector: podSelector },
        ],
    };
}

// Names of the Kubernetes objects, the pods' stable DNS names and where things live inside the
// containers. Pure: no Pulumi.
import type { AddressedMember, AddressedNode, TopologyPlan } from "../../components/types";

/** Where things live inside the containers. */
export const PATHS = {
    config: "/etc/redis-deployment/config",
    secret: "/etc/redis-deployment/secret",
    scripts: "/etc/redis-deployment/scripts",
    data: "/data",
    haproxyConfig: "/usr/local/etc/haproxy",
    /** One directory per pod whose certificate files the container sees (TLS): see tls.ts. */
    tls: "/etc/redis-deployment/tls",
} as const;

/** Substituted by the start scripts: the pod's IP (downward API) and the directories. */
export const PLACEHOLDER = { podIp: "@@POD_IP@@", dataDir: "@@DATA_DIR@@", secretDir: "@@SECRET_DIR@@", tlsDir: "@@TLS_DIR@@" } as const;

/** Reported as the zone of pods whose zone the scheduler picks (no `zones` given). */
export const ANY_ZONE = "any";

export interface MemberPod extends AddressedMember {
    /** StatefulSet of the pod. */
    group: string;
    /** Pod name `<group>-<ordinal>`; `address` is its stable DNS name. */
    pod: string;
}

export interface SentinelPod extends AddressedNode {
    pod: string;
}

/** Pods that share one StatefulSet (and so one pod template). */
export interface PodGroup {
    name: string;
    shard: number;
    /** Initial role of the group's pods; undefined when a group holds a whole shard (cluster mode). */
    role?: "master" | "replica";
    members: MemberPod[];
}

export interface KubernetesLayout {
    name: string;
    namespace: string;
    domain: string;
    /** Headless Service that gives every pod its DNS name. */
    headless: string;
    secret: string;
    scripts: string;
    groups: PodGroup[];
    /** In plan order. */
    members: MemberPod[];
    sentinelSet: string;
    sentinels: SentinelPod[];
    /** HAProxy Deployment, its ConfigMap and its Service share this name. */
    haproxy: string;
    loadBalancer: string;
}

export function podHost(pod: string, headless: string, namespace: string, domain: string): string {
    return `${pod}.${headless}.${namespace}.svc.${domain}`;
}

export function serviceHost(service: string, namespace: string, domain: string): string {
    return `${service}.${namespace}.svc.${domain}`;
}

/**
 * Names and DNS names of everything. StatefulSets: one per shard in cluster mode (`<name>-s<k>`);
 * one per initial role otherwise (`<name>-master`, `<name>-replica`), which lets the master be
 * pinned to its planned zone apart from its replicas; `<name>-sentinel` for the sentinels.
 */
export function kubernetesLayout(plan: TopologyPlan, namespace: string, domain: string, zonesGiven: boolean): KubernetesLayout {
    const name = plan.args.name;
    const headless = `${name}-headless`;
    const zone = (planned: string) => (zonesGiven ? planned : ANY_ZONE);
    const groups: PodGroup[] = [];
    const place = (group: PodGroup, ms: typeof plan.members) => {
        ms.forEach((m, ordinal) => {
            const pod = `${group.name}-${ordinal}`;
            group.members.push({ ...m, zone: zone(m.zone), group: group.name, pod, address: podHost(pod, headless, namespace, domain) });
        });
        groups.push(group);
    };
    for (const shard of plan.shards) {
        if (plan.args.mode === "cluster") {
            place({ name: `${name}-s${shard.index}`, shard: shard.index, members: [] }, shard.members);
        } else {
            place({ name: `${name}-master`, shard: shard.index, role: "master", members: [] }, shard.members.filter((m) => m.index === 0));
            const replicas = shard.members.filter((m) => m.index > 0);
            if (replicas.length > 0) place({ name: `${name}-replica`, shard: shard.index, role: "replica", members: [] }, replicas);
        }
    }
    const byOrdinal = groups.flatMap((g) => g.members).sort((a, b) => a.ordinal - b.ordinal);
    const sentinelSet = `${name}-sentinel`;
    const sentinels = plan.sentinels.map((s, i) => {
        const pod = `${sentinelSet}-${i}`;
        return { name: s.name, zone: zone(s.zone), port: s.port, pod, address: podHost(pod, headless, namespace, domain) };
    });
    return {
        name, namespace, domain, headless,
        secret: `${name}-auth`,
        scripts: `${name}-scripts`,
        groups,
        members: byOrdinal,
        sentinelSet,
        sentinels,
        haproxy: `${name}-haproxy`,
        loadBalancer: `${name}-lb`,
    };
}

// The building blocks of the pod-owning objects: labels and selectors, the hardened container
// and pod settings, volumes, the StatefulSet, the ConfigMap of a role's configs and the
// PodDisruptionBudget, shared by members, sentinels and proxies.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { portsOf } from "../../components/plan";
import type { NodeKind, PortPurpose, TopologyPlan } from "../../components/types";
import type { KubernetesOptions } from "./args";
import { PATHS } from "./layout";
import type { Shared } from "./shared";
import { tlsMount, tlsVolume } from "./tls";

/** uid/gid of the redis user in the official redis image. */
const REDIS_UID = 999;

export type Labels = Record<string, string>;
export type PodTemplate = k8s.types.input.core.v1.PodTemplateSpec;
export type Component = "redis" | "sentinel" | "haproxy";

/** Kubernetes names of the plan's ports (at most 15 characters; kept as first published). */
export const PORT_NAMES: Record<PortPurpose, string> = {
    "redis": "redis", "cluster-bus": "cluster-bus", "sentinel": "sentinel", "proxy-read": "redis-read",
    "metrics": "metrics", "haproxy-stats": "stats",
};

/** The container ports of a kind of node, from the plan (the exporter's belongs to its own container, see metrics.ts). */
export function containerPorts(plan: TopologyPlan, kind: NodeKind): k8s.types.input.core.v1.ContainerPort[] {
    return portsOf(plan, kind).filter((p) => p.purpose !== "metrics").map((p) => ({ name: PORT_NAMES[p.purpose], containerPort: p.port }));
}

/**
 * The Service ports of the nodes of these kinds, from the plan, each targeting its container
 * port by name; `loadBalancedOnly` for a load balancer (never the metrics ports).
 */
export function servicePorts(plan: TopologyPlan, kinds: NodeKind[], loadBalancedOnly = false): k8s.types.input.core.v1.ServicePort[] {
    return plan.ports.filter((p) => kinds.some((k) => p.listeners.includes(k)) && (!loadBalancedOnly || p.loadBalanced))
        .map((p) => ({ name: PORT_NAMES[p.purpose], port: p.port, targetPort: PORT_NAMES[p.purpose] }));
}

export function labels(name: string, component: Component, extra: Labels = {}): Labels {
    return {
        "app.kubernetes.io/name": "redis",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "redis-deployment",
        ...extra,
    };
}

/** Selector of one component's pods (a subset of their labels that never changes). */
export function selector(name: string, component: Component, extra: Labels = {}): Labels {
    return { "app.kubernetes.io/instance": name, "app.kubernetes.io/component": component, ...extra };
}

export function podBasics(o: KubernetesOptions): Pick<k8s.types.input.core.v1.PodSpec, "nodeSelector" | "tolerations" | "enableServiceLinks" | "automountServiceAccountToken"> {
    return {
        // Redis never talks to the API server; the bootstrap reaches the pods from outside.
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
        ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    };
}

export function podSecurity(): k8s.types.input.core.v1.PodSecurityContext {
    return { runAsUser: REDIS_UID, runAsGroup: REDIS_UID, runAsNonRoot: true, fsGroup: REDIS_UID, fsGroupChangePolicy: "OnRootMismatch" };
}

/** Every container: no privilege escalation, read-only root filesystem, no capabilities. */
export function containerSecurity(): k8s.types.input.core.v1.SecurityContext {
    return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
}

/** The pod IP from the downward API. */
export function podIpEnv(): k8s.types.input.core.v1.EnvVar {
    return { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } };
}

export function redisContainer(o: KubernetesOptions, plan: TopologyPlan, kind: "redis" | "sentinel", resources: k8s.types.input.core.v1.ResourceRequirements): k8s.types.input.core.v1.Container {
    const probe = (check: "ready" | "alive") => ({ exec: { command: ["sh", `${PATHS.scripts}/probe.sh`, check, kind] } });
    const ports = containerPorts(plan, kind === "redis" ? "member" : "sentinel");
    return {
        name: kind,
        image: o.images.redis,
        command: ["sh", `${PATHS.scripts}/${kind === "redis" ? "start-redis.sh" : "start-sentinel.sh"}`],
        // The pod IP (bind address, cluster-announce-ip); no secret is ever an env literal.
        env: [podIpEnv()],
        ports,
        // Liveness only once the server answered: starting may wait for a failover (persistence
        // off) or load a large dataset; up to an hour before the kubelet gives up.
        startupProbe: { ...probe("alive"), periodSeconds: 5, timeoutSeconds: 6, failureThreshold: 720 },
        readinessProbe: { ...probe("ready"), periodSeconds: 5, timeoutSeconds: 6, failureThreshold: 3 },
        livenessProbe: { ...probe("alive"), periodSeconds: 10, timeoutSeconds: 6, failureThreshold: 6 },
        resources,
        securityContext: containerSecurity(),
        volumeMounts: [
            { name: "data", mountPath: PATHS.data },
            { name: "config", mountPath: PATHS.config, readOnly: true },
            { name: "scripts", mountPath: PATHS.scripts, readOnly: true },
            { name: "secret", mountPath: PATHS.secret, readOnly: true },
            ...(plan.args.tls.enabled ? [tlsMount()] : []),
        ],
    };
}

/**
 * The volumes of a member or sentinel pod: its role's configs, the scripts, the Secret's `keys`
 * and, with TLS, the certificates of the pods the template stands for (`pods`).
 */
export function redisVolumes(s: Shared, configMap: k8s.core.v1.ConfigMap, keys: string[], pods: string[]): k8s.types.input.core.v1.Volume[] {
    return [
        { name: "config", configMap: { name: configMap.metadata.name } },
        { name: "scripts", configMap: { name: s.scripts.metadata.name, defaultMode: 0o555 } },
        { name: "secret", secret: { secretName: s.secret.metadata.name, defaultMode: 0o440, items: keys.map((key) => ({ key, path: key })) } },
        ...(s.tls ? [tlsVolume(s.name, pods)] : []),
    ];
}

/** The ConfigMap `<owner>-config` of one role's config files. */
export function configMap(s: Shared, owner: string, component: Component, data: pulumi.Input<Record<string, pulumi.Input<string>>>): k8s.core.v1.ConfigMap {
    return new k8s.core.v1.ConfigMap(`${owner}-config`, {
        metadata: { name: `${owner}-config`, namespace: s.namespace, labels: labels(s.name, component) },
        data,
    }, s.opts);
}

export function volumeClaim(o: KubernetesOptions, size: string, claimLabels: Labels): k8s.types.input.core.v1.PersistentVolumeClaim {
    return {
        metadata: { name: "data", labels: claimLabels },
        spec: {
            accessModes: ["ReadWriteOnce"],
            ...(o.storageClass ? { storageClassName: o.storageClass } : {}),
            resources: { requests: { storage: size } },
        },
    };
}

export function statefulSet(s: Shared, name: string, replicas: number, setLabels: Labels, podSelector: Labels, template: PodTemplate, claim: k8s.types.input.core.v1.PersistentVolumeClaim, dependsOn: pulumi.Resource[]): k8s.apps.v1.StatefulSet {
    return new k8s.apps.v1.StatefulSet(name, {
        metadata: { name, namespace: s.namespace, labels: setLabels },
        spec: {
            serviceName: s.headless.metadata.name,
            replicas,
            // All pods at once: a member must not wait for its peers' readiness to start.
            podManagementPolicy: "Parallel",
            updateStrategy: { type: "RollingUpdate" },
            selector: { matchLabels: podSelector },
            template,
            volumeClaimTemplates: [claim],
            // Data outlives the objects unless deleteDataOnDestroy: `destroy` leaves the PVCs (and a
            // namespace the deployment created, which would take them along).
            persistentVolumeClaimRetentionPolicy: { whenDeleted: s.deleteData ? "Delete" : "Retain", whenScaled: "Retain" },
        },
    }, { ...s.opts, dependsOn });
}

export function disruptionBudget(s: Shared, name: string, budgetLabels: Labels, podSelector: Labels, dependsOn: pulumi.Resource[]): k8s.policy.v1.PodDisruptionBudget {
    return new k8s.policy.v1.PodDisruptionBudget(name, {
        metadata: { name, namespace: s.namespace, labels: budgetLabels },
        spec: { maxUnavailable: 1, selector: { matchLabels: podSelector } },
    }, { ...s.opts, dependsOn });
}

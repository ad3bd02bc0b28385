// The Kubernetes provider: members, sentinels and HAProxy as Kubernetes objects, every member
// with a stable DNS name announced by Redis itself, so a pod that comes back with a new IP is
// found again by name. See docs/providers/kubernetes.md for what a team needs to know.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { MONITOR_USER, type AddressedMember, type AddressedNode, type BootstrapAccess, type TopologyPlan } from "../../components/types";
import { RedisDeploymentArgumentError, validateArgs } from "../../components/validate";
import type { InfraProvider, NodeHandles, ProviderContext, ProxyNode } from "../types";
import { resolveKubernetesOptions, type KubernetesOptions } from "./args";
import {
    ANY_ZONE, HAPROXY_PASSWORD_ENV, PATHS, SECRET_KEYS, digest, haproxyConfig, kubernetesLayout, memberConfig, probeScript,
    redisAuthConfig, sentinelAuthConfig, sentinelConfig, serviceHost, startRedisScript, startSentinelScript,
    type KubernetesLayout, type PodGroup,
} from "./config";

export { resolveKubernetesOptions, type KubernetesOptions, type KubernetesProviderArgs } from "./args";
export * from "./config";

export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const HOSTNAME_LABEL = "kubernetes.io/hostname";
/** Set on StatefulSet pods by Kubernetes >= 1.28. */
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
/** uid/gid of the redis user in the official redis image. */
const REDIS_UID = 999;
const EXPORTER_PORT = 9121;

type Labels = Record<string, string>;
type PodTemplate = k8s.types.input.core.v1.PodTemplateSpec;

/** The objects every role shares, made once. */
interface Base {
    namespace: pulumi.Input<string>;
    opts: pulumi.CustomResourceOptions;
    secret: k8s.core.v1.Secret;
    scripts: k8s.core.v1.ConfigMap;
    headless: k8s.core.v1.Service;
    resources: pulumi.Resource[];
}

/** Redis on Kubernetes: StatefulSets with a PVC per member, a headless Service for stable names, HAProxy in front. */
export class KubernetesProvider implements InfraProvider {
    readonly kind = "kubernetes" as const;
    readonly options: KubernetesOptions;
    private readonly name: string;
    private base?: Base;
    private layoutCache?: KubernetesLayout;

    /** Checks the `kubernetes` arguments; throws one RunError naming every bad field, before any resource exists. */
    constructor(name: string, args: RedisDeploymentArgs) {
        this.name = name;
        let problems: { field: string; message: string }[];
        let options: KubernetesOptions | undefined;
        try {
            ({ options, problems } = resolveKubernetesOptions(validateArgs(name, args), args.kubernetes, args.zones !== undefined));
        } catch (err) {
            if (err instanceof RedisDeploymentArgumentError) throw new pulumi.RunError(err.message);
            throw err;
        }
        if (!options) {
            throw new pulumi.RunError(`RedisDeployment "${name}" has invalid Kubernetes arguments:\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join("\n")}`);
        }
        this.options = options;
    }

    layout(plan: TopologyPlan): KubernetesLayout {
        this.layoutCache ??= kubernetesLayout(plan, this.options.namespace, this.options.clusterDomain, this.options.zonesGiven);
        return this.layoutCache;
    }

    access(): BootstrapAccess {
        return {
            kind: "kubernetes",
            namespace: this.options.namespace,
            ...(this.options.kubeconfig ? { kubeconfig: this.options.kubeconfig } : {}),
            ...(this.options.context ? { context: this.options.context } : {}),
        };
    }

    private labels(component: "redis" | "sentinel" | "haproxy", extra: Labels = {}): Labels {
        return {
            "app.kubernetes.io/name": "redis",
            "app.kubernetes.io/instance": this.name,
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/managed-by": "redis-deployment",
            ...extra,
        };
    }

    /** Selector of one component's pods (a subset of their labels that never changes). */
    private selector(component: "redis" | "sentinel" | "haproxy", extra: Labels = {}): Labels {
        return { "app.kubernetes.io/instance": this.name, "app.kubernetes.io/component": component, ...extra };
    }

    private shared(ctx: ProviderContext): Base {
        if (this.base) return this.base;
        const { plan } = ctx;
        const o = this.options;
        const layout = this.layout(plan);
        const name = this.name;
        let provider = o.provider;
        if (!provider && (o.kubeconfig || o.context)) {
            provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: o.kubeconfig, context: o.context }, { parent: ctx.parent });
        }
        const opts: pulumi.CustomResourceOptions = { parent: ctx.parent, ...(provider ? { provider } : {}) };
        const resources: pulumi.Resource[] = [];
        let namespace: pulumi.Input<string> = o.namespace;
        if (o.createNamespace) {
            const ns = new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: { name: o.namespace, labels: { "app.kubernetes.io/instance": name, "app.kubernetes.io/managed-by": "redis-deployment" } },
            }, opts);
            namespace = ns.metadata.name; // every namespaced object waits for it
            resources.push(ns);
        }
        const meta = (objectName: string, labels: Labels) => ({ name: objectName, namespace, labels });

        // The one place the passwords live. The component's credentials are a secret Output; the
        // Secret's data is marked secret again here so that holds whatever the caller passes.
        const secret = new k8s.core.v1.Secret(layout.secret, {
            metadata: meta(layout.secret, this.labels("redis")),
            type: "Opaque",
            stringData: pulumi.secret(ctx.credentials.apply((c) => ({
                [SECRET_KEYS.password]: plan.args.authEnabled ? c.password : "",
                [SECRET_KEYS.adminPassword]: c.adminPassword,
                [SECRET_KEYS.monitorPassword]: c.monitorPassword,
                [SECRET_KEYS.redisAuth]: redisAuthConfig(plan, c),
                [SECRET_KEYS.sentinelAuth]: sentinelAuthConfig(plan, c),
            }))),
        }, opts);
        const scripts = new k8s.core.v1.ConfigMap(layout.scripts, {
            metadata: meta(layout.scripts, this.labels("redis")),
            data: { "start-redis.sh": startRedisScript(plan, layout.members), "start-sentinel.sh": startSentinelScript(), "probe.sh": probeScript(plan) },
        }, opts);
        const ports: k8s.types.input.core.v1.ServicePort[] = [{ name: "redis", port: plan.args.port, targetPort: "redis" }];
        if (plan.args.mode === "cluster") ports.push({ name: "cluster-bus", port: plan.args.port + 10000, targetPort: "cluster-bus" });
        if (plan.args.mode === "sentinel") ports.push({ name: "sentinel", port: plan.args.sentinelPort, targetPort: "sentinel" });
        // Stable DNS names <pod>.<name>-headless.<ns>.svc.<domain> for members and sentinels,
        // published before the pods are ready: a member must be reachable by name to join.
        const headless = new k8s.core.v1.Service(layout.headless, {
            metadata: meta(layout.headless, this.labels("redis")),
            spec: {
                clusterIP: "None",
                publishNotReadyAddresses: true,
                selector: { "app.kubernetes.io/instance": name, "redis-deployment/stable-name": "true" },
                ports,
            },
        }, opts);
        resources.push(secret, scripts, headless);
        this.base = { namespace, opts, secret, scripts, headless, resources };
        return this.base;
    }

    private zoneAffinity(zones: string[]): k8s.types.input.core.v1.NodeAffinity | undefined {
        if (!this.options.zonesGiven) return undefined;
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
    private memberPlacement(plan: TopologyPlan, group: PodGroup): Pick<k8s.types.input.core.v1.PodSpec, "affinity" | "topologySpreadConstraints"> {
        const shard = plan.shards[group.shard];
        const shardSelector = { matchLabels: this.selector("redis", { "redis-deployment/shard": String(group.shard) }) };
        const shardZones = new Set(shard.members.map((m) => m.zone));
        const distinct = this.options.zonesGiven && shardZones.size === shard.members.length;
        const zoneTerm = { labelSelector: shardSelector, topologyKey: ZONE_LABEL };
        const all = { matchLabels: this.selector("redis") };
        const soft = this.options.zonesGiven ? "DoNotSchedule" : "ScheduleAnyway";
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
                nodeAffinity: this.zoneAffinity(group.members.map((m) => m.zone)),
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
    private spreadPlacement(component: "sentinel" | "haproxy", zones: string[]): Pick<k8s.types.input.core.v1.PodSpec, "affinity" | "topologySpreadConstraints"> {
        const selector = { matchLabels: this.selector(component) };
        return {
            affinity: {
                nodeAffinity: this.zoneAffinity(zones),
                podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: selector, topologyKey: HOSTNAME_LABEL } }] },
            },
            topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: this.options.zonesGiven ? "DoNotSchedule" : "ScheduleAnyway", labelSelector: selector },
            ],
        };
    }

    private podBasics(): Pick<k8s.types.input.core.v1.PodSpec, "nodeSelector" | "tolerations" | "enableServiceLinks" | "automountServiceAccountToken"> {
        return {
            // Redis never talks to the API server; the bootstrap reaches the pods from outside.
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            ...(this.options.nodeSelector ? { nodeSelector: this.options.nodeSelector } : {}),
            ...(this.options.tolerations ? { tolerations: this.options.tolerations } : {}),
        };
    }

    private redisContainer(kind: "redis" | "sentinel", port: number, resources: k8s.types.input.core.v1.ResourceRequirements, clusterBus = false): k8s.types.input.core.v1.Container {
        const probe = (check: "ready" | "alive") => ({ exec: { command: ["sh", `${PATHS.scripts}/probe.sh`, check, kind] } });
        const ports: k8s.types.input.core.v1.ContainerPort[] = kind === "sentinel"
            ? [{ name: "sentinel", containerPort: port }]
            : [{ name: "redis", containerPort: port }, ...(clusterBus ? [{ name: "cluster-bus", containerPort: port + 10000 }] : [])];
        return {
            name: kind,
            image: this.options.images.redis,
            command: ["sh", `${PATHS.scripts}/${kind === "redis" ? "start-redis.sh" : "start-sentinel.sh"}`],
            // The pod IP (bind address, cluster-announce-ip); no secret is ever an env literal.
            env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
            ports,
            // Liveness only once the server answered: starting may wait for a failover (persistence
            // off) or load a large dataset; up to an hour before the kubelet gives up.
            startupProbe: { ...probe("alive"), periodSeconds: 5, timeoutSeconds: 6, failureThreshold: 720 },
            readinessProbe: { ...probe("ready"), periodSeconds: 5, timeoutSeconds: 6, failureThreshold: 3 },
            livenessProbe: { ...probe("alive"), periodSeconds: 10, timeoutSeconds: 6, failureThreshold: 6 },
            resources,
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [
                { name: "data", mountPath: PATHS.data },
                { name: "config", mountPath: PATHS.config, readOnly: true },
                { name: "scripts", mountPath: PATHS.scripts, readOnly: true },
                { name: "secret", mountPath: PATHS.secret, readOnly: true },
            ],
        };
    }

    private podSecurity(): k8s.types.input.core.v1.PodSecurityContext {
        return { runAsUser: REDIS_UID, runAsGroup: REDIS_UID, runAsNonRoot: true, fsGroup: REDIS_UID, fsGroupChangePolicy: "OnRootMismatch" };
    }

    private secretVolume(base: Base, keys: string[]): k8s.types.input.core.v1.Volume {
        return { name: "secret", secret: { secretName: base.secret.metadata.name, defaultMode: 0o440, items: keys.map((key) => ({ key, path: key })) } };
    }

    private volumeClaim(size: string, labels: Labels): k8s.types.input.core.v1.PersistentVolumeClaim {
        return {
            metadata: { name: "data", labels },
            spec: {
                accessModes: ["ReadWriteOnce"],
                ...(this.options.storageClass ? { storageClassName: this.options.storageClass } : {}),
                resources: { requests: { storage: size } },
            },
        };
    }

    private statefulSet(base: Base, name: string, replicas: number, labels: Labels, selector: Labels, template: PodTemplate, claim: k8s.types.input.core.v1.PersistentVolumeClaim, dependsOn: pulumi.Resource[]): k8s.apps.v1.StatefulSet {
        return new k8s.apps.v1.StatefulSet(name, {
            metadata: { name, namespace: base.namespace, labels },
            spec: {
                serviceName: base.headless.metadata.name,
                replicas,
                // All pods at once: a member must not wait for its peers' readiness to start.
                podManagementPolicy: "Parallel",
                updateStrategy: { type: "RollingUpdate" },
                selector: { matchLabels: selector },
                template,
                volumeClaimTemplates: [claim],
                // Data outlives the objects: `pulumi destroy` leaves the PVCs (a created namespace takes them along).
                persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            },
        }, { ...base.opts, dependsOn });
    }

    private disruptionBudget(base: Base, name: string, labels: Labels, selector: Labels, dependsOn: pulumi.Resource[]): k8s.policy.v1.PodDisruptionBudget {
        return new k8s.policy.v1.PodDisruptionBudget(name, {
            metadata: { name, namespace: base.namespace, labels },
            spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
        }, { ...base.opts, dependsOn });
    }

    members(ctx: ProviderContext): NodeHandles<AddressedMember> {
        const { plan } = ctx;
        const base = this.shared(ctx);
        const layout = this.layout(plan);
        const o = this.options;
        const resources: pulumi.Resource[] = [...base.resources];
        const configs: string[] = [];
        const memory = o.memory;
        for (const group of layout.groups) {
            const texts = Object.fromEntries(group.members.map((m) => [`${m.pod}.conf`, memberConfig(plan, m)]));
            const configMap = new k8s.core.v1.ConfigMap(`${group.name}-config`, {
                metadata: { name: `${group.name}-config`, namespace: base.namespace, labels: this.labels("redis") },
                data: texts,
            }, base.opts);
            const podLabels = this.labels("redis", {
                "redis-deployment/shard": String(group.shard),
                "redis-deployment/group": group.name,
                "redis-deployment/stable-name": "true",
                ...(group.role ? { "redis-deployment/initial-role": group.role } : {}),
            });
            const checksum = digest(...Object.values(texts), startRedisScript(plan, layout.members), probeScript(plan), o.images.redis);
            configs.push(checksum);
            const containers = [this.redisContainer("redis", plan.args.port, { requests: { memory, cpu: o.cpu }, limits: { memory } }, plan.args.mode === "cluster")];
            if (o.metrics) containers.push(this.exporter(base, plan));
            const template: PodTemplate = {
                metadata: {
                    labels: podLabels,
                    annotations: {
                        "redis-deployment/config-checksum": checksum,
                        ...(o.metrics ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(EXPORTER_PORT) } : {}),
                    },
                },
                spec: {
                    ...this.podBasics(),
                    ...this.memberPlacement(plan, group),
                    securityContext: this.podSecurity(),
                    // Time to finish an AOF fsync / RDB save on SIGTERM.
                    terminationGracePeriodSeconds: 60,
                    containers,
                    volumes: [
                        { name: "config", configMap: { name: configMap.metadata.name } },
                        { name: "scripts", configMap: { name: base.scripts.metadata.name, defaultMode: 0o555 } },
                        this.secretVolume(base, [SECRET_KEYS.redisAuth, SECRET_KEYS.monitorPassword]),
                    ],
                },
            };
            const selector = this.selector("redis", { "redis-deployment/group": group.name });
            const set = this.statefulSet(base, group.name, group.members.length, this.labels("redis"), selector, template,
                this.volumeClaim(o.storageSize, this.labels("redis")), [configMap, ...base.resources]);
            resources.push(configMap, set);
        }
        // One budget per shard: a voluntary disruption (drain, upgrade) takes at most one member of a shard.
        for (const shard of plan.shards) {
            const budgetName = plan.args.mode === "cluster" ? `${this.name}-s${shard.index}` : `${this.name}-redis`;
            const selector = this.selector("redis", { "redis-deployment/shard": String(shard.index) });
            resources.push(this.disruptionBudget(base, budgetName, this.labels("redis"), selector, base.resources));
        }
        const members: AddressedMember[] = layout.members.map(({ group: _g, pod: _p, ...m }) => m);
        return { nodes: pulumi.output(members), resources, generation: pulumi.output(configs.join(",")) };
    }

    private exporter(base: Base, plan: TopologyPlan): k8s.types.input.core.v1.Container {
        return {
            name: "metrics",
            image: this.options.images.exporter,
            env: [
                { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                { name: "REDIS_ADDR", value: `redis://$(POD_IP):${plan.args.port}` },
                // rd-monitor may only PING and read INFO: the INFO metrics, nothing else.
                { name: "REDIS_USER", value: MONITOR_USER },
                { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: base.secret.metadata.name, key: SECRET_KEYS.monitorPassword } } },
            ],
            ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
        };
    }

    sentinels(ctx: ProviderContext): NodeHandles {
        const { plan } = ctx;
        const base = this.shared(ctx);
        const layout = this.layout(plan);
        const o = this.options;
        const texts = Object.fromEntries(layout.sentinels.map((s) => [`${s.pod}.conf`, sentinelConfig(plan, s)]));
        const configMap = new k8s.core.v1.ConfigMap(`${layout.sentinelSet}-config`, {
            metadata: { name: `${layout.sentinelSet}-config`, namespace: base.namespace, labels: this.labels("sentinel") },
            data: texts,
        }, base.opts);
        const checksum = digest(...Object.values(texts), startSentinelScript(), probeScript(plan), o.images.redis);
        const template: PodTemplate = {
            metadata: {
                labels: this.labels("sentinel", { "redis-deployment/stable-name": "true" }),
                annotations: { "redis-deployment/config-checksum": checksum },
            },
            spec: {
                ...this.podBasics(),
                ...this.spreadPlacement("sentinel", plan.sentinels.map((s) => s.zone)),
                securityContext: this.podSecurity(),
                containers: [this.redisContainer("sentinel", plan.args.sentinelPort, { requests: { memory: "64Mi", cpu: "50m" }, limits: { memory: "128Mi" } })],
                volumes: [
                    { name: "config", configMap: { name: configMap.metadata.name } },
                    { name: "scripts", configMap: { name: base.scripts.metadata.name, defaultMode: 0o555 } },
                    this.secretVolume(base, [SECRET_KEYS.sentinelAuth, SECRET_KEYS.password]),
                ],
            },
        };
        const set = this.statefulSet(base, layout.sentinelSet, layout.sentinels.length, this.labels("sentinel"), this.selector("sentinel"), template,
            this.volumeClaim(o.sentinelStorageSize, this.labels("sentinel")), [configMap, ...base.resources]);
        // For clients that take one sentinel address; the pods' own names are in sentinelAddresses.
        const service = new k8s.core.v1.Service(layout.sentinelSet, {
            metadata: { name: layout.sentinelSet, namespace: base.namespace, labels: this.labels("sentinel") },
            spec: { selector: this.selector("sentinel"), ports: [{ name: "sentinel", port: plan.args.sentinelPort, targetPort: "sentinel" }] },
        }, base.opts);
        const budget = this.disruptionBudget(base, layout.sentinelSet, this.labels("sentinel"), this.selector("sentinel"), base.resources);
        const nodes: AddressedNode[] = layout.sentinels.map(({ pod: _p, ...s }) => s);
        return { nodes: pulumi.output(nodes), resources: [...base.resources, configMap, set, service, budget], generation: pulumi.output(checksum) };
    }

    proxies(ctx: ProviderContext, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode> {
        const { plan } = ctx;
        if (plan.proxies.length === 0) return { nodes: pulumi.output([] as ProxyNode[]), resources: [], generation: pulumi.output("") };
        const base = this.shared(ctx);
        const layout = this.layout(plan);
        const o = this.options;
        const proxy = plan.proxies[0];
        const cfg = members.apply((ms) => haproxyConfig(plan, ms.map((m) => ({ ...m, group: "", pod: "" }))));
        const configMap = new k8s.core.v1.ConfigMap(`${layout.haproxy}-config`, {
            metadata: { name: `${layout.haproxy}-config`, namespace: base.namespace, labels: this.labels("haproxy") },
            data: { "haproxy.cfg": cfg },
        }, base.opts);
        const deployment = new k8s.apps.v1.Deployment(layout.haproxy, {
            metadata: { name: layout.haproxy, namespace: base.namespace, labels: this.labels("haproxy") },
            spec: {
                replicas: plan.proxies.length,
                selector: { matchLabels: this.selector("haproxy") },
                template: {
                    metadata: { labels: this.labels("haproxy"), annotations: { "redis-deployment/config-checksum": cfg.apply((c) => digest(c, o.images.haproxy)) } },
                    spec: {
                        ...this.podBasics(),
                        ...this.spreadPlacement("haproxy", plan.proxies.map((p) => p.zone)),
                        // The image's user is named (USER haproxy): the kubelet only verifies runAsNonRoot
                        // against a numeric uid, so name it (99 in the official image).
                        securityContext: { runAsUser: 99, runAsGroup: 99, runAsNonRoot: true },
                        containers: [{
                            name: "haproxy",
                            image: o.images.haproxy,
                            command: ["haproxy", "-W", "-db", "-f", `${PATHS.haproxyConfig}/haproxy.cfg`],
                            // The health check's password: a reference to the Secret, expanded by HAProxy.
                            env: [{ name: HAPROXY_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: base.secret.metadata.name, key: SECRET_KEYS.monitorPassword } } }],
                            ports: [{ name: "redis", containerPort: proxy.port }, { name: "redis-read", containerPort: proxy.readPort }],
                            readinessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 5 },
                            livenessProbe: { tcpSocket: { port: "redis" }, initialDelaySeconds: 10, periodSeconds: 10 },
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                            volumeMounts: [{ name: "config", mountPath: PATHS.haproxyConfig, readOnly: true }],
                        }],
                        volumes: [{ name: "config", configMap: { name: configMap.metadata.name } }],
                    },
                },
            },
        }, { ...base.opts, dependsOn: [configMap, ...dependsOn] });
        const service = new k8s.core.v1.Service(layout.haproxy, {
            metadata: { name: layout.haproxy, namespace: base.namespace, labels: this.labels("haproxy") },
            spec: { selector: this.selector("haproxy"), ports: this.proxyPorts(plan) },
        }, base.opts);
        const budget = this.disruptionBudget(base, layout.haproxy, this.labels("haproxy"), this.selector("haproxy"), base.resources);
        // One node: the Service in front of the HAProxy pods (they have no names of their own).
        const node: ProxyNode = {
            name: layout.haproxy,
            zone: ANY_ZONE,
            address: serviceHost(layout.haproxy, layout.namespace, layout.domain),
            port: proxy.port,
            readPort: proxy.readPort,
        };
        return { nodes: pulumi.output([node]), resources: [configMap, deployment, service, budget], generation: cfg.apply((c) => digest(c)) };
    }

    private proxyPorts(plan: TopologyPlan): k8s.types.input.core.v1.ServicePort[] {
        const proxy = plan.proxies[0];
        return [{ name: "redis", port: proxy.port, targetPort: "redis" }, { name: "redis-read", port: proxy.readPort, targetPort: "redis-read" }];
    }

    loadBalancer(ctx: ProviderContext, proxies: NodeHandles<ProxyNode>): pulumi.Output<string> | undefined {
        const { plan } = ctx;
        if (!plan.args.loadBalancer || plan.proxies.length === 0) return undefined;
        const base = this.shared(ctx);
        const layout = this.layout(plan);
        const lb = this.options.loadBalancer;
        const service = new k8s.core.v1.Service(layout.loadBalancer, {
            metadata: { name: layout.loadBalancer, namespace: base.namespace, labels: this.labels("haproxy"), annotations: lb.annotations },
            spec: {
                type: "LoadBalancer",
                selector: this.selector("haproxy"),
                ports: this.proxyPorts(plan),
                ...(lb.sourceRanges ? { loadBalancerSourceRanges: lb.sourceRanges } : {}),
            },
        }, { ...base.opts, dependsOn: proxies.resources });
        const port = plan.proxies[0].port;
        return service.status.apply((status) => {
            const ingress = status?.loadBalancer?.ingress?.[0];
            const host = ingress?.ip || ingress?.hostname;
            if (!host) throw new Error(`RedisDeployment "${this.name}": Service ${layout.loadBalancer} got no load balancer address`);
            return `${host}:${port}`;
        });
    }
}

// Arguments of the Kubernetes provider and their validation. Pure (no Pulumi at run time): the
// provider runs `validateKubernetesArgs` at construction, before any resource exists; its
// argument error becomes one RunError naming every field, like the other providers'.
import type * as pulumi from "@pulumi/pulumi";
import type { ResolvedArgs } from "../../components/types";
import { DNS_SUBDOMAIN, FieldChecks, isPlainObject } from "../../components/fieldChecks";

/** Clouds whose internal load balancer annotations the provider knows. */
export const LOAD_BALANCER_CLOUDS = ["aws", "gcp", "azure"] as const;
export type LoadBalancerCloud = (typeof LOAD_BALANCER_CLOUDS)[number];

/** A pod toleration (the fields of core/v1 Toleration). */
export interface KubernetesToleration {
    key?: string;
    operator?: "Exists" | "Equal";
    value?: string;
    effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    tolerationSeconds?: number;
}

export interface KubernetesProviderArgs {
    /**
     * Namespace of every object. Default: a namespace named after the deployment, created (and
     * deleted) with it. A given namespace is expected to exist unless `createNamespace` is true.
     */
    namespace?: string;
    /** Default: true when `namespace` is absent, false when it is given. */
    createNamespace?: boolean;
    /** StorageClass of the members' and sentinels' volumes. Default: the cluster's default StorageClass. */
    storageClass?: string;
    /** Volume size per Redis member, e.g. "20Gi". Default: 6 x maxmemory with AOF, 2 x without (at least 1Gi). */
    storageSize?: string;
    /** Volume size per sentinel (its state file). Default "1Gi". */
    sentinelStorageSize?: string;
    /** Memory request and limit per Redis member. Default 2.5 x maxmemory (fork + replication buffers). */
    memory?: string;
    /** CPU request per Redis member. Default "100m"; no CPU limit (Redis latency suffers from throttling). */
    cpu?: string;
    /** DNS domain of the cluster. Default "cluster.local". */
    clusterDomain?: string;
    images?: {
        /** Default "redis:7.0.15" (the version the renderers are proven against). */
        redis?: string;
        /** Default "haproxy:2.6". */
        haproxy?: string;
        /** Default "oliver006/redis_exporter:v1.62.0". */
        exporter?: string;
    };
    /** The older switch for metrics: the same as the deployment's `metrics: {}` (an exporter sidecar next to every member and sentinel). Default false. */
    metrics?: boolean;
    /**
     * `net.core.somaxconn` of the members' pods (their own network namespace), through the pod's
     * securityContext.sysctls, e.g. 1024. Default: not set. Kubernetes counts it among the unsafe
     * sysctls: a pod that sets it starts only on nodes whose kubelet allows it
     * (`--allowed-unsafe-sysctls=net.core.somaxconn`); elsewhere it stays Pending with
     * SysctlForbidden. Kernels since 5.4 default to 4096, above Redis' tcp-backlog 511.
     */
    somaxconn?: number;
    /**
     * A privileged init container in every member pod that turns transparent huge pages off and
     * sets vm.overcommit_memory=1 on its node (both node-wide: they change the node for every pod
     * on it). Default false: Redis then logs its warnings and a fork for persistence can fail
     * under memory pressure. Needs a namespace whose Pod Security level allows privileged pods.
     */
    tuneNodes?: boolean;
    /** The LoadBalancer Service made when the deployment's `loadBalancer` is true. */
    loadBalancer?: {
        /** Internal (private) load balancer. Default true. */
        internal?: boolean;
        /** Which cloud's internal annotation to set. Default: all three (each cloud ignores the others'). */
        cloud?: LoadBalancerCloud;
        /** Extra Service annotations, merged over the internal ones. */
        annotations?: Record<string, string>;
        /** loadBalancerSourceRanges: CIDRs allowed to connect. */
        sourceRanges?: string[];
    };
    /** Node selector of every pod. */
    nodeSelector?: Record<string, string>;
    /** Tolerations of every pod. */
    tolerations?: KubernetesToleration[];
    /**
     * Path of a kubeconfig file. Used for the objects (through a provider made from it, unless
     * `provider` is given) and by the bootstrap, which reaches the pods through the API server.
     * Default: $KUBECONFIG or ~/.kube/config, like kubectl. It is read when the bootstrap runs,
     * so cluster credentials never enter the Pulumi state.
     */
    kubeconfig?: string;
    /** kubeconfig context to use. Default: the file's current context. */
    context?: string;
    /** A @pulumi/kubernetes Provider for the objects. The bootstrap still reads `kubeconfig` / $KUBECONFIG. */
    provider?: pulumi.ProviderResource;
}

export const KUBERNETES_FIELDS = [
    "namespace", "createNamespace", "storageClass", "storageSize", "sentinelStorageSize", "memory", "cpu",
    "clusterDomain", "images", "metrics", "somaxconn", "tuneNodes", "loadBalancer", "nodeSelector", "tolerations", "kubeconfig", "context", "provider",
];
const IMAGE_FIELDS = ["redis", "haproxy", "exporter"];
const LOAD_BALANCER_FIELDS = ["internal", "cloud", "annotations", "sourceRanges"];

export const DEFAULT_IMAGES = {
    redis: "redis:7.0.15",
    haproxy: "haproxy:2.6",
    exporter: "oliver006/redis_exporter:v1.62.0",
} as const;

/** Internal load balancer annotations per cloud (in-tree controllers and the current ones). */
export const INTERNAL_LB_ANNOTATIONS: Record<LoadBalancerCloud, Record<string, string>> = {
    aws: {
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    },
    gcp: {
        "networking.gke.io/load-balancer-type": "Internal",
        "cloud.google.com/load-balancer-type": "Internal",
    },
    azure: {
        "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    },
};

/** The Kubernetes options with every default filled in. */
export interface KubernetesOptions {
    namespace: string;
    createNamespace: boolean;
    storageClass?: string;
    storageSize: string;
    sentinelStorageSize: string;
    memory: string;
    cpu: string;
    clusterDomain: string;
    images: { redis: string; haproxy: string; exporter: string };
    metrics: boolean;
    /** Members' net.core.somaxconn (pod sysctl), when given. */
    somaxconn?: number;
    /** Node tuning by a privileged init container (THP off, overcommit 1). */
    tuneNodes: boolean;
    loadBalancer: { annotations: Record<string, string>; sourceRanges?: string[] };
    nodeSelector?: Record<string, string>;
    tolerations?: KubernetesToleration[];
    kubeconfig?: string;
    context?: string;
    provider?: pulumi.ProviderResource;
    /** Whether the user named the zones (they are then pinned with node affinity). */
    zonesGiven: boolean;
}

const QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const QUANTITY_UNITS: Record<string, number> = {
    "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
    k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** Bytes of a Kubernetes quantity ("20Gi", "512Mi", "1G"); undefined when malformed. */
export function parseQuantity(value: string): number | undefined {
    const m = QUANTITY.exec(value);
    return m ? Number(m[1]) * QUANTITY_UNITS[m[2] ?? ""] : undefined;
}

/** A byte count as the smallest whole Mi quantity that holds it ("2560Mi"), or Gi when exact. */
export function toQuantity(bytes: number): string {
    const mi = Math.ceil(bytes / 1024 ** 2);
    return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

/** Disk per member from the design's sizing rule: 6 x maxmemory with AOF, 2 x without, at least 1Gi. */
export function defaultStorageBytes(args: Pick<ResolvedArgs, "maxmemoryBytes" | "persistence">): number {
    return Math.max(1024 ** 3, args.maxmemoryBytes * (args.persistence.aof ? 6 : 2));
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CPU = /^(\d+m|\d+(\.\d+)?)$/;
const CIDR = /^([0-9]{1,3}\.){3}[0-9]{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;
/** Longest StatefulSet name: its pods carry a `controller-revision-hash` label `<name>-<10 chars>` (63 at most). */
export const MAX_STATEFULSET_NAME = 52;


/**
 * Checks the `kubernetes` section against the validated deployment arguments and fills in the
 * defaults; throws one RedisDeploymentArgumentError listing every problem (field + what to do).
 */
export function validateKubernetesArgs(
    args: ResolvedArgs,
    raw: KubernetesProviderArgs | undefined,
    zonesGiven: boolean,
): KubernetesOptions {
    const check = new FieldChecks("kubernetes");
    const problem = (field: string, message: string) => check.problem(field, message);
    if (raw !== undefined && !isPlainObject(raw)) {
        check.deploymentProblem("kubernetes", "must be an object");
        check.throwIfAny(args.name);
    }
    const k: KubernetesProviderArgs = raw ?? {};
    check.unknownFields(k as Record<string, unknown>, KUBERNETES_FIELDS);
    const unknown = (field: string, value: Record<string, unknown>, known: string[]) => check.unknownFields(value, known, field);
    const text = check.text.bind(check);
    const flag = check.flag.bind(check);

    // Namespace.
    const namespace = text("namespace", k.namespace, DNS_LABEL, "is not a valid namespace name (lowercase letters, digits and \"-\", at most 63 characters)");
    if (namespace !== undefined && namespace.length > 63) problem("namespace", `must be at most 63 characters, got ${namespace.length}`);
    const createNamespace = flag("createNamespace", k.createNamespace, k.namespace === undefined);

    // Storage.
    const storageClass = text("storageClass", k.storageClass, DNS_SUBDOMAIN,
        "is not a valid StorageClass name (lowercase letters, digits, \"-\" and \".\"); `kubectl get storageclass` lists the cluster's");
    const quantity = (field: string, value: unknown, unit: string): number | undefined => {
        const v = text(field, value);
        if (v === undefined) return undefined;
        const bytes = parseQuantity(v);
        if (bytes === undefined) problem(field, `${JSON.stringify(v)} is not a Kubernetes quantity; write it like "${unit}"`);
        return bytes;
    };
    let storageSize = toQuantity(defaultStorageBytes(args));
    const storageBytes = quantity("storageSize", k.storageSize, "20Gi");
    if (storageBytes !== undefined) {
        const minimum = args.maxmemoryBytes * 2;
        if (storageBytes < minimum) {
            problem("storageSize", `${k.storageSize} is less than 2 x maxmemory (${toQuantity(minimum)}): an RDB snapshot and its rewrite must fit; the default is ${storageSize}`);
        } else storageSize = k.storageSize!;
    }
    let sentinelStorageSize = "1Gi";
    const sentinelBytes = quantity("sentinelStorageSize", k.sentinelStorageSize, "1Gi");
    if (sentinelBytes !== undefined) {
        if (args.mode !== "sentinel") problem("sentinelStorageSize", `only sentinel mode has sentinels; remove it or set mode: "sentinel"`);
        else sentinelStorageSize = k.sentinelStorageSize!;
    }

    // Compute.
    let memory = toQuantity(Math.ceil(args.maxmemoryBytes * 2.5));
    const memoryBytes = quantity("memory", k.memory, "4Gi");
    if (memoryBytes !== undefined) {
        if (memoryBytes <= args.maxmemoryBytes * 1.2) {
            problem("memory", `${k.memory} leaves no room above maxmemory (${toQuantity(args.maxmemoryBytes)}) for forks and replication buffers: the pod would be OOM-killed; the default is ${memory} (2.5 x maxmemory)`);
        } else memory = k.memory!;
    }
    const cpu = text("cpu", k.cpu, CPU, `is not a CPU quantity; write it like "500m" or "2"`) ?? "100m";

    const clusterDomain = text("clusterDomain", k.clusterDomain, DNS_SUBDOMAIN, "is not a DNS domain") ?? "cluster.local";

    // Images.
    const images = { ...DEFAULT_IMAGES } as { redis: string; haproxy: string; exporter: string };
    if (k.images !== undefined) {
        if (!isPlainObject(k.images)) problem("images", "must be an object with redis, haproxy and/or exporter");
        else {
            unknown("images", k.images as Record<string, unknown>, IMAGE_FIELDS);
            for (const key of ["redis", "haproxy", "exporter"] as const) {
                const image = text(`images.${key}`, k.images[key], /^\S+$/, "must be an image reference without spaces");
                if (image !== undefined) images[key] = image;
            }
        }
    }
    // The older switch; `metrics` (the deployment's) turns the same sidecars on, and the validated plan has both.
    flag("metrics", k.metrics, false);
    const metrics = args.metrics.enabled;

    // Kernel tuning (see the field docs for the trade-offs).
    const somaxconn = check.integer("somaxconn", k.somaxconn, 512, 65535, " (Redis' tcp-backlog is 511; the kernel caps it at somaxconn)");
    const tuneNodes = flag("tuneNodes", k.tuneNodes, false);

    // Load balancer.
    const lb: KubernetesOptions["loadBalancer"] = { annotations: {} };
    let internal = true;
    let cloud: LoadBalancerCloud | undefined;
    if (k.loadBalancer !== undefined) {
        if (!args.loadBalancer) problem("loadBalancer", "is only used with loadBalancer: true; set it, or remove kubernetes.loadBalancer");
        if (!isPlainObject(k.loadBalancer)) problem("loadBalancer", "must be an object");
        else {
            unknown("loadBalancer", k.loadBalancer as Record<string, unknown>, LOAD_BALANCER_FIELDS);
            internal = flag("loadBalancer.internal", k.loadBalancer.internal, true);
            if (k.loadBalancer.cloud !== undefined) {
                const given = check.oneOf("loadBalancer.cloud", k.loadBalancer.cloud, LOAD_BALANCER_CLOUDS, LOAD_BALANCER_CLOUDS[0]);
                if (!check.has("loadBalancer.cloud")) cloud = given;
            }
            lb.annotations = check.stringMap("loadBalancer.annotations", k.loadBalancer.annotations);
            const ranges = k.loadBalancer.sourceRanges;
            if (ranges !== undefined) {
                if (!Array.isArray(ranges)) problem("loadBalancer.sourceRanges", "must be a list of CIDRs");
                else {
                    ranges.forEach((r, i) => {
                        if (typeof r !== "string" || !CIDR.test(r)) problem(`loadBalancer.sourceRanges[${i}]`, `${JSON.stringify(r)} is not a CIDR like "10.0.0.0/8"`);
                    });
                    lb.sourceRanges = ranges;
                }
            }
        }
    }
    if (internal) {
        const clouds = cloud ? [cloud] : LOAD_BALANCER_CLOUDS;
        lb.annotations = Object.assign({}, ...clouds.map((c) => INTERNAL_LB_ANNOTATIONS[c]), lb.annotations);
    }

    // Scheduling.
    const nodeSelector = k.nodeSelector === undefined ? undefined : check.stringMap("nodeSelector", k.nodeSelector);
    let tolerations: KubernetesToleration[] | undefined;
    if (k.tolerations !== undefined) {
        if (!Array.isArray(k.tolerations)) problem("tolerations", "must be a list of tolerations");
        else {
            (k.tolerations as unknown[]).forEach((t, i) => {
                if (!isPlainObject(t)) {
                    problem(`tolerations[${i}]`, "must be an object");
                    return;
                }
                unknown(`tolerations[${i}]`, t, ["key", "operator", "value", "effect", "tolerationSeconds"]);
                if (t.operator !== undefined && t.operator !== "Exists" && t.operator !== "Equal") problem(`tolerations[${i}].operator`, `must be "Exists" or "Equal"`);
                if (t.effect !== undefined && !["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(String(t.effect))) {
                    problem(`tolerations[${i}].effect`, `must be NoSchedule, PreferNoSchedule or NoExecute`);
                }
            });
            tolerations = k.tolerations;
        }
    }

    // API access.
    const kubeconfig = text("kubeconfig", k.kubeconfig, /^[^\n]+$/, "must be the path of a kubeconfig file (its contents would be stored in the Pulumi state; write them to a file)");
    const context = text("context", k.context);
    if (k.provider !== undefined && (typeof k.provider !== "object" || k.provider === null)) problem("provider", "must be a @pulumi/kubernetes Provider");

    // Topology the objects can express.
    if (args.mode === "cluster" && args.placement === "colocate-masters") {
        check.deploymentProblem("placement", `"colocate-masters" can not be expressed on Kubernetes in cluster mode: a shard is one StatefulSet whose pods share one node affinity, so its master can not be pinned apart from its replicas. Use placement: "spread" (a shard's members in distinct zones)`);
    }
    const longest = args.mode === "cluster" ? `${args.name}-s${args.shards - 1}` : args.mode === "sentinel" ? `${args.name}-sentinel` : `${args.name}-replica`;
    if (longest.length > MAX_STATEFULSET_NAME) {
        check.deploymentProblem("name", `"${args.name}" is too long for Kubernetes: StatefulSet "${longest}" would exceed ${MAX_STATEFULSET_NAME} characters`);
    }

    check.throwIfAny(args.name);
    return {
        namespace: namespace ?? args.name,
        createNamespace,
        storageClass,
        storageSize,
        sentinelStorageSize,
        memory,
        cpu,
        clusterDomain,
        images,
        metrics,
        ...(somaxconn !== undefined ? { somaxconn } : {}),
        tuneNodes,
        loadBalancer: lb,
        nodeSelector,
        tolerations,
        kubeconfig,
        context,
        provider: k.provider,
        zonesGiven,
    };
}

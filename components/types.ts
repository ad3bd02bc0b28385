// Plain data types shared by validation, planning and rendering. No Pulumi in here: the
// pure core works on resolved values so it can be tested without an engine.
import type { ResolvedBackup, ResolvedImport } from "./backup";
import type { ResolvedTls } from "./tls";

export const MODES = ["standalone", "replication", "sentinel", "cluster"] as const;
export type Mode = (typeof MODES)[number];

export const PROVIDER_KINDS = ["local", "aws", "gcp", "azure", "kubernetes"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const PLACEMENTS = ["spread", "colocate-masters"] as const;
export type Placement = (typeof PLACEMENTS)[number];

export const MAXMEMORY_POLICIES = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
] as const;
export type MaxmemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];

export type Role = "master" | "replica";

/**
 * Password rotation phases: `rotate` (phase 1, the default) makes a new password valid next to
 * the old one; `set` (phase 2, a later `up`) retires the old one.
 */
export const ROTATION_PHASES = ["rotate", "set"] as const;
export type RotationPhase = (typeof ROTATION_PHASES)[number];

/**
 * How the bootstrap reaches members: directly, through an SSH bastion (one ssh2 connection per
 * bootstrap run, a forwarded channel per Redis connection; `hostKey` is an OpenSSH public key
 * line or a `SHA256:` fingerprint, not checked when absent), or through the
 * Kubernetes API server (a port-forward per connection; members are addressed by their pods'
 * DNS names `<pod>.<service>.<namespace>.svc.<domain>`). The kubeconfig is read from
 * `kubeconfig` (a path) or $KUBECONFIG / ~/.kube/config when the bootstrap runs, so cluster
 * credentials never enter the resource's inputs.
 */
export type BootstrapAccess = (
    | { kind: "direct" }
    | { kind: "ssh"; host: string; port: number; user: string; privateKey: string; hostKey?: string }
    | { kind: "kubernetes"; namespace: string; kubeconfig?: string; context?: string }
) & {
    /** With tls.enabled: every connection speaks TLS, whatever the route (see ClientTls). */
    tls?: ClientTls;
};

/**
 * How a client of the deployment speaks TLS: the CA its nodes' certificates are checked
 * against (each must name the node's planned address or DNS name, also when the connection
 * goes through an SSH channel or a port-forward), and a client certificate for tls.clientAuth.
 */
export interface ClientTls {
    ca: string;
    certificate?: string;
    key?: string;
}

/**
 * Entries are lowercase command names (`get`), subcommands (`client|list`) or ACL categories
 * (`@keyspace`), as Redis 7.0 knows them. `allow` is added to the application user's commands,
 * then `deny` is taken away.
 */
export interface ApplicationCommands {
    allow: string[];
    deny: string[];
}

/** Arguments after validation, with every default filled in. */
export interface ResolvedArgs {
    name: string;
    provider: ProviderKind;
    mode: Mode;
    shards: number;
    replicasPerShard: number;
    sentinels: number;
    zones: string[];
    placement: Placement;
    maxmemoryBytes: number;
    maxmemoryPolicy: MaxmemoryPolicy;
    persistence: { aof: boolean; rdb: boolean };
    authEnabled: boolean;
    /** Widening and narrowing of the application (default) user's commands; see components/config/users.ts. */
    applicationCommands: ApplicationCommands;
    /** Commands taken away from the application user after everything else (they always stay denied). */
    disabledCommands: string[];
    /** Password rotation phase (auth.rotation). */
    rotation: RotationPhase;
    /** Counter of internal-password rotations (auth.rotateInternal): a new value rotates rd-admin and rd-monitor. */
    rotateInternal: number;
    haproxy: boolean;
    proxyCount: number;
    loadBalancer: boolean;
    /** Delete data disks / PVCs on destroy (default: keep them). */
    deleteDataOnDestroy: boolean;
    port: number;
    sentinelPort: number;
    sentinel: { downAfterMilliseconds: number; failoverTimeout: number; parallelSyncs: number };
    cluster: { nodeTimeoutMs: number };
    /** Backups (absent: none). */
    backup?: ResolvedBackup;
    /** RDB files loaded at creation (absent: none). */
    import?: ResolvedImport;
    /** TLS in transit (see components/tls.ts). */
    tls: ResolvedTls;
    /** Prometheus metrics (redis_exporter per member and sentinel, HAProxy's stats); see components/metrics.ts. */
    metrics: ResolvedMetrics;
    /** The nodes' logs to the cloud's log service (VM clouds); see components/logs.ts. */
    logs: ResolvedLogs;
}

export interface ResolvedLogs {
    enabled: boolean;
    /** CloudWatch log group / Log Analytics workspace retention. */
    retentionDays: number;
}

export interface ResolvedMetrics {
    enabled: boolean;
    /** redis_exporter's port on every member's and sentinel's own address. */
    exporterPort: number;
    /** HAProxy's stats page (`/`) and Prometheus endpoint (`/metrics`) on every proxy's address. */
    haproxyStatsPort: number;
    /** Networks allowed to scrape (besides the deployment's own hosts); never 0.0.0.0/0. */
    allowedCidrs: string[];
    /** Kubernetes: a Prometheus Operator ServiceMonitor. */
    serviceMonitor: boolean;
}

export interface PlannedMember {
    /** `<deployment>-s<shard>-m<index>`: stable, also the data directory / disk name. */
    name: string;
    shard: number;
    /** Position inside the shard; 0 is the initial master. */
    index: number;
    /** Global ordinal, used by providers to give the member its static address. */
    ordinal: number;
    /** Initial role. After a failover reality wins; see the bootstrap resources. */
    role: Role;
    zone: string;
    port: number;
}

export interface PlannedShard {
    index: number;
    /** Inclusive slot range; cluster mode only. */
    slots?: { start: number; end: number };
    members: PlannedMember[];
}

export interface PlannedSentinel {
    name: string;
    ordinal: number;
    zone: string;
    port: number;
}

export interface PlannedProxy {
    name: string;
    ordinal: number;
    zone: string;
    port: number;
    readPort: number;
}

/** The kinds of node a deployment runs. */
export type NodeKind = "member" | "sentinel" | "proxy";

export type PortPurpose = "redis" | "cluster-bus" | "sentinel" | "proxy-read" | "metrics" | "haproxy-stats";

/**
 * A port the deployment listens on. Firewalls, load balancers, Kubernetes Services and
 * containers all read these, so a capability that adds a listener adds it here once.
 */
export interface PlannedPort {
    purpose: PortPurpose;
    port: number;
    /** The nodes that listen on it. */
    listeners: NodeKind[];
    description: string;
    /** Reachable by clients (the networks the user allows); else only between the deployment's nodes. */
    clients: boolean;
    /** Forwarded by the load balancer, when there is one. */
    loadBalanced: boolean;
    /** Networks allowed besides the deployment's nodes, for ports that are not the clients' (metrics: metrics.allowedCidrs). */
    allowFrom?: string[];
    /** Spoken over TLS only (with `tls.enabled` every port is; Redis then listens with `tls-port` and `port 0`). */
    tls: boolean;
}

export interface TopologyPlan {
    args: ResolvedArgs;
    /** Every port any node listens on, in a stable order. */
    ports: PlannedPort[];
    /**
     * The credentials the nodes read from the provider's secret store (SSM, Secret Manager, Key
     * Vault, the Kubernetes Secret): the application password only with AUTH on.
     */
    secrets: StoredSecret[];
    shards: PlannedShard[];
    members: PlannedMember[];
    sentinels: PlannedSentinel[];
    proxies: PlannedProxy[];
    /** Sentinel master name. */
    masterName: string;
    quorum: number;
}

/** A planned member with the address its provider gave it. */
export interface AddressedMember extends PlannedMember {
    address: string;
}

export interface AddressedNode {
    name: string;
    zone: string;
    address: string;
    port: number;
}

export const CREDENTIAL_KEYS = ["password", "adminPassword", "monitorPassword"] as const;
export type CredentialKey = (typeof CREDENTIAL_KEYS)[number];

/** Credentials of the deployment. `password` is the application's; the others are internal. */
export interface Credentials {
    password: string;
    adminPassword: string;
    monitorPassword: string;
    /**
     * During phase 1 of a rotation: the passwords being retired, still accepted next to the
     * current ones. Servers accept both; clients inside the deployment (replicas, sentinels,
     * HAProxy's check) present the current one.
     */
    retiring?: RetiringPasswords;
}

export type PasswordKey = "password" | "adminPassword" | "monitorPassword";
export type RetiringPasswords = Partial<Record<PasswordKey, string>>;

/**
 * What a provider's secret store holds: the credentials, and the passwords being retired (equal
 * to the current ones while no rotation runs). Nodes that boot during phase 1 of a rotation
 * read both, so they accept what running nodes accept, and nothing in user data changes.
 */
export const STORED_SECRETS = [...CREDENTIAL_KEYS, "retiringPassword", "retiringAdminPassword", "retiringMonitorPassword"] as const;
export type StoredSecret = (typeof STORED_SECRETS)[number];

export const ADMIN_USER = "rd-admin";
export const MONITOR_USER = "rd-monitor";
export const CLUSTER_SLOTS = 16384;
/** The cluster bus listens at the client port + 10000 (fixed by Redis unless cluster-port is set). */
export const CLUSTER_BUS_OFFSET = 10000;
/** HAProxy's read frontend listens one above the Redis port (its write frontend's). */
export const PROXY_READ_PORT_OFFSET = 1;

import type * as pulumi from "@pulumi/pulumi";
import type { MaxmemoryPolicy, Mode, Placement, ProviderKind, RotationPhase } from "./types";
import type { KubernetesProviderArgs } from "../providers/kubernetes/args";
import type { AwsProviderArgs } from "../providers/aws/args";
import type { GcpProviderArgs } from "../providers/gcp/args";
import type { AzureProviderArgs } from "../providers/azure/args";
import type { BackupArgs, ImportArgs } from "./backup";

/**
 * Arguments of a RedisDeployment.
 *
 * Fields that decide how many resources exist (mode, shards, replicas, sentinels, zones) are
 * plain values: the component must know them while it is being constructed, and bad values
 * are rejected before any resource is registered. Secrets are `pulumi.Input`s.
 */
export interface RedisDeploymentArgs {
    /** Where Redis runs. Default `local`: real processes on this machine. */
    provider?: ProviderKind;
    /** Default `replication`. */
    mode?: Mode;
    /** Cluster mode only; at least 3. Default 3. */
    shards?: number;
    /** Replicas of each master (replication, sentinel, cluster). Default 1 (0 in standalone). */
    replicasPerShard?: number;
    /** Sentinel mode only; odd, at least 3. Default 3. */
    sentinels?: number;
    /** Placement targets (provider-specific names). Local default: `["a", "b", "c"]`. */
    zones?: string[];
    /** Default `spread`. */
    placement?: Placement;
    /** Memory limit per member, e.g. `"256mb"`, `"1gb"`. Local default `256mb`; required on clouds. */
    maxmemory?: string;
    /** Default `noeviction`. */
    maxmemoryPolicy?: MaxmemoryPolicy;
    /** Default: both on (AOF everysec + RDB save points). */
    persistence?: { aof?: boolean; rdb?: boolean };
    auth?: {
        /** Default true. False leaves the application user without a password (internal users keep theirs). */
        enabled?: boolean;
        /** The application password; generated when absent. At least 16 characters. */
        password?: pulumi.Input<string>;
        /**
         * The application user's commands, widened (`allow`) or narrowed (`deny`). By default it
         * may run every data command (`+@all -@admin -@dangerous`, plus INFO and ROLE) and none
         * that administers the server (ACL, CONFIG, REPLICAOF, FAILOVER, CLUSTER RESET/FORGET/
         * SETSLOT, MIGRATE, MODULE, SAVE, KEYS, SORT, ...). Entries are Redis 7.0 command names
         * (`keys`), subcommands (`client|list`) or ACL categories (`@dangerous`); `deny` wins
         * over `allow`. See docs/security.md.
         */
        applicationCommands?: { allow?: string[]; deny?: string[] };
        /**
         * Commands the application user may not run, whatever `applicationCommands` says.
         * Default FLUSHALL, FLUSHDB, SHUTDOWN, DEBUG (already outside the default set; kept so
         * that an `allow` of `@dangerous` or `@admin` still leaves them out).
         */
        disabledCommands?: string[];
        /**
         * Password rotation without downtime. `"rotate"` (default, phase 1): a changed
         * `password` (or `rotateInternal`) becomes valid next to the old one on every member,
         * sentinel and proxy, live; `"set"` (phase 2, a later `up`): the old one is refused from
         * then on. See docs/operations.md.
         */
        rotation?: RotationPhase;
        /**
         * A counter: a new value rotates the internal passwords (rd-admin: the bootstrap,
         * `masteruser`/`masterauth`, Sentinel `auth-pass`; rd-monitor: HAProxy's check) in the
         * same two phases. Default 0.
         */
        rotateInternal?: number;
    };
    /** HAProxy with master detection in front of replication and sentinel modes (default on there). */
    proxy?: { haproxy?: boolean; count?: number };
    /** A cloud load balancer in front of the proxies (clouds and Kubernetes). */
    loadBalancer?: boolean;
    /**
     * What `destroy` does to the members' data. Default false: cloud data disks are kept
     * (retainOnDelete), and on Kubernetes the PVCs and a namespace the deployment created stay;
     * true deletes them with the deployment. The local provider always removes its data directories.
     */
    deleteDataOnDestroy?: boolean;
    /** Redis port of every member (each member has its own address). Default 6379. */
    port?: number;
    /** Sentinel port. Default 26379. */
    sentinelPort?: number;
    /** Sentinel timing. */
    sentinel?: { downAfterMilliseconds?: number; failoverTimeout?: number; parallelSyncs?: number };
    /** Cluster timing: `nodeTimeoutMs` is Redis' cluster-node-timeout. Default 1500. */
    cluster?: { nodeTimeoutMs?: number };
    /**
     * How the bootstrap reaches members; direct when absent. `ssh`: through a bastion (port 22
     * unless given). `privateKey` is an OpenSSH/PEM private key (unencrypted), kept secret in
     * state. `hostKey` (the bastion's public key line or `SHA256:` fingerprint) is verified when
     * given; without it any host key is accepted.
     */
    access?: {
        ssh?: { host: string; port?: number; user: string; privateKey: pulumi.Input<string>; hostKey?: string };
    };
    /**
     * Prometheus metrics (off unless this section is given): a redis_exporter next to every
     * member and sentinel, logging in as rd-monitor, and HAProxy's stats page (`/`) and
     * Prometheus endpoint (`/metrics`), read-only, on every proxy's address. The scrape targets
     * are the `metricsTargets` output. See docs/operations.md.
     */
    metrics?: {
        /** Default true when the section is given. */
        enabled?: boolean;
        /** The exporters' port, on each member's and sentinel's own address. Default 9121. */
        exporterPort?: number;
        /** HAProxy's stats port, on each proxy's address. Default 1936. */
        haproxyStatsPort?: number;
        /**
         * VM clouds: networks (your Prometheus servers') allowed to reach the exporter and stats
         * ports; the deployment's own hosts always may. Default none. 0.0.0.0/0 is refused.
         */
        allowedCidrs?: string[];
        /** Kubernetes: a Prometheus Operator ServiceMonitor for the exporters and HAProxy. Default false. */
        serviceMonitor?: boolean;
    };
    /**
     * VM clouds: the nodes' logs to the cloud's log service (off unless this section is given):
     * AWS CloudWatch Logs (the CloudWatch agent; a log group the instance role may only write
     * to), GCP Cloud Logging (the Ops Agent), Azure Monitor (the Azure Monitor agent, a data
     * collection rule and a Log Analytics workspace). Locally each node's log file is in its
     * directory, on Kubernetes the pods log to stdout; the `logs` output says where.
     */
    logs?: {
        /** Default true when the section is given. */
        enabled?: boolean;
        /** AWS: the log group's retention (a CloudWatch value: 1, 3, 5, 7, 14, 30, ...); Azure: the workspace's (30-730). Default 30. */
        retentionDays?: number;
    };
    /**
     * Backup sets (one RDB per shard, checked and checksummed, with a manifest) to an object
     * store on a schedule, and restore from one at creation; see components/backup.ts and
     * docs/backups.md. On the local provider backups are taken on demand (`redis-deployment backup`).
     */
    backup?: BackupArgs;
    /** RDB files (e.g. exported from ElastiCache) loaded into the new deployment, keys distributed by slot. */
    import?: ImportArgs;
    /**
     * TLS in transit on every link: clients, replication, the cluster bus, Sentinel and HAProxy
     * (`{ enabled: true }`). Certificates are generated (a CA and one per node) unless `ca` +
     * `caKey` (issue from your CA) or `certificates` (one per node name) are given. See docs/tls.md.
     */
    tls?: TlsArgs;
    /** Options of the local provider. */
    local?: LocalProviderArgs;
    /** Options of the Kubernetes provider (`provider: "kubernetes"`); see providers/kubernetes/args.ts. */
    kubernetes?: KubernetesProviderArgs;
    /** Options of the AWS provider (`provider: "aws"`); see providers/aws/args.ts. */
    aws?: AwsProviderArgs;
    /** Options of the GCP provider (`provider: "gcp"`); see providers/gcp/args.ts. */
    gcp?: GcpProviderArgs;
    /** Options of the Azure provider (`provider: "azure"`); see providers/azure/args.ts. */
    azure?: AzureProviderArgs;
}

export interface TlsArgs {
    /** Default false. */
    enabled?: boolean;
    /** Client certificates: not asked for (default), checked when presented, or required of every client. */
    clientAuth?: "none" | "optional" | "required";
    /** A CA certificate (PEM) to issue the nodes' certificates from, with its private key `caKey` (a secret). */
    ca?: pulumi.Input<string>;
    caKey?: pulumi.Input<string>;
    /** Your own certificate per node name (`<name>-s0-m0`, `<name>-sentinel0`, `<name>-proxy0`), issued by `ca`. */
    certificates?: Record<string, { certificate: pulumi.Input<string>; key: pulumi.Input<string> }>;
    /**
     * Kubernetes: have cert-manager issue the pods' certificates: the issuer's name (an Issuer in
     * the deployment's namespace) or `{ name, kind: "ClusterIssuer" }`. Give `ca` too: the
     * issuer's CA certificate, which nodes and clients check against.
     */
    certManagerIssuer?: string | { name: string; kind?: "Issuer" | "ClusterIssuer" };
    /** `up` issues a certificate again once it expires within this many days. Default 30. */
    renewBeforeDays?: number;
    /**
     * More names on the HAProxy certificates (DNS names or IP addresses), for clients that do not
     * dial a proxy's own address: the DNS name you point at the load balancer, say.
     */
    serverNames?: string[];
    /** Lifetime of the certificates the deployment issues. Default 365 days. */
    validityDays?: number;
}

export interface LocalProviderArgs {
    /**
     * First two octets of the loopback block the deployment's addresses come from, e.g.
     * `"127.42"`. Default: derived from the project, stack and deployment name.
     */
    addressPrefix?: string;
    /** Root of the member data directories. Default `~/.redis-deployment/data/<project>-<stack>/<name>`. */
    dataDir?: string;
    /** Paths of the programs; default found on PATH. */
    redisServer?: string;
    haproxy?: string;
    /** redis_exporter, with metrics on; default `prometheus-redis-exporter` (Debian's package) on PATH. */
    redisExporter?: string;
}

import { ADMIN_USER, type AddressedMember, type Credentials, type ResolvedArgs } from "../types";
import { listenerDirectives } from "./tls";
import { aclUsers } from "./users";

export interface RedisConfInput {
    args: ResolvedArgs;
    member: AddressedMember;
    credentials: Credentials;
    /** Where the member keeps its RDB, AOF and (cluster) nodes.conf. */
    dataDir: string;
    /** Hostname to announce instead of the IP (Kubernetes). */
    announceHostname?: string;
    /** More addresses to accept clients on: a load balancer's that delivers packets unchanged (GCP passthrough). */
    alsoListenOn?: string[];
    /** With TLS: the directory holding the member's certificate, key and the CA (components/tls.ts TLS_FILES). */
    tlsDir?: string;
}

/** Replication backlog: large enough that a replica reconnecting after a short partition does a partial resync. */
export function replBacklogBytes(maxmemoryBytes: number): number {
    const mb = 1024 ** 2;
    return Math.min(512 * mb, Math.max(64 * mb, Math.floor(maxmemoryBytes / 8)));
}

/** redis.conf for one member. Directives are in the order an operator reads them. */
export function renderRedisConf(input: RedisConfInput): string {
    const { args, member, credentials, dataDir } = input;
    const lines: string[] = [
        `# redis-deployment: member ${member.name} (shard ${member.shard}, initial role ${member.role}, zone ${member.zone}).`,
        "# Rendered from the deployment's arguments; edits here are overwritten on the next update.",
        "",
        "# Network: the member's own address only, and outgoing connections from it too, so peers",
        "# see the address they were told about.",
        `bind ${[member.address, ...(input.alsoListenOn ?? [])].join(" ")}`,
        `bind-source-addr ${member.address}`,
        ...listenerDirectives(args.tls, member.port, input.tlsDir, { cluster: args.mode === "cluster" }),
        // Protected mode only trusts 127.0.0.1/::1; without a password peers on 127.x.y.z would be refused.
        `protected-mode ${args.authEnabled ? "yes" : "no"}`,
        "tcp-backlog 511",
        "tcp-keepalive 60",
        "timeout 0",
        "daemonize no",
        "loglevel notice",
        'logfile ""',
        "",
        "# Data.",
        `dir ${dataDir}`,
        "dbfilename dump.rdb",
    ];
    lines.push(args.persistence.rdb ? "save 3600 1 300 100 60 10000" : 'save ""');
    lines.push(
        `appendonly ${args.persistence.aof ? "yes" : "no"}`,
        "appendfsync everysec",
        'appenddirname "appendonlydir"',
        "aof-use-rdb-preamble yes",
        "",
        "# Memory.",
        `maxmemory ${args.maxmemoryBytes}`,
        `maxmemory-policy ${args.maxmemoryPolicy}`,
        "",
        "# Replication: replicas authenticate as the admin user and announce their own address.",
        `masteruser ${ADMIN_USER}`,
        `masterauth ${credentials.adminPassword}`,
        `replica-announce-ip ${input.announceHostname ?? member.address}`,
        "replica-read-only yes",
        "replica-serve-stale-data yes",
        "repl-diskless-sync yes",
        // A diskless full sync waits repl-diskless-sync-delay (5 s) for more replicas to join the
        // same transfer; start as soon as every planned replica waits. Measured: without this a
        // fresh shard's replicas were not synced 5 s after the bootstrap, and a replica that never
        // synced refuses to fail over (its data age is unknown), so the shard had no failover.
        // (0, without replicas, is Redis' default: no maximum.) Always rendered, so a change of
        // replicasPerShard is a value change that CONFIG SET applies live.
        `repl-diskless-sync-max-replicas ${args.replicasPerShard}`,
        `repl-backlog-size ${replBacklogBytes(args.maxmemoryBytes)}`,
        "client-output-buffer-limit replica 512mb 512mb 0",
    );
    // Split brain: a master cut off from the sentinels' majority keeps taking writes that are
    // lost when the partition heals and it turns into a replica. It refuses writes once no
    // replica has acknowledged its stream for min-replicas-max-lag seconds (replicas ACK every
    // second): measured with a network-namespace partition, it stops within ~3-4 s, about when
    // the majority has promoted a replica. Only in sentinel mode with 2+ replicas: one replica
    // may then fail without stopping writes; with a single replica it would turn every replica
    // outage into a write outage. (Cluster masters stop by themselves after cluster-node-timeout
    // without a majority.) Always rendered (0 = off), so changing it is a live CONFIG SET.
    const guardSplitBrain = args.mode === "sentinel" && args.replicasPerShard >= 2;
    lines.push(
        `min-replicas-to-write ${guardSplitBrain ? 1 : 0}`,
        "min-replicas-max-lag 2",
    );
    if (args.mode === "cluster") {
        lines.push(
            "",
            "# Cluster.",
            "cluster-enabled yes",
            "cluster-config-file nodes.conf",
            // Default (cluster.nodeTimeoutMs) tuned from the bench and the reliability suite (kill -9 of a master under load,
            // 3 shards x 2 replicas, 2 cores): its slots take writes again after the node timeout
            // (PFAIL; pings go out every timeout/2) + spreading the failure reports + the
            // replica's 0.5-1 s election delay. Measured: 1500 -> 2.6-2.8 s; 2000 -> 3.2-4.4 s
            // (too close to the 5 s goal); the old 5000 -> ~7 s; stock 15000 -> ~17 s. A node must
            // be unreachable for 1.5 s to a majority of masters before it is failed over (a
            // master stalled that long is an outage already). Costs: bus pings between every
            // pair of nodes every 0.75 s (fine for tens of nodes; very large clusters may want
            // more), and it is also Redis' delay before a freshly bootstrapped master turns
            // writable (the rejoin delay, clamped to 0.5-5 s).
            `cluster-node-timeout ${args.cluster.nodeTimeoutMs}`,
            `cluster-announce-ip ${member.address}`,
            "cluster-require-full-coverage yes",
            "cluster-allow-replica-migration yes",
        );
        if (input.announceHostname) {
            lines.push(`cluster-announce-hostname ${input.announceHostname}`, "cluster-preferred-endpoint-type hostname");
        }
    }
    lines.push(
        "",
        "# Observability.",
        "slowlog-log-slower-than 10000",
        "latency-monitor-threshold 100",
        "",
        "# Users (ACL). Passwords are stored as SHA-256 hashes.",
        ...aclUsers(credentials, args.authEnabled, args.applicationCommands, args.disabledCommands),
        "",
    );
    return lines.join("\n");
}

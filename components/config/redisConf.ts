import { ADMIN_USER, type AddressedMember, type Credentials, type ResolvedArgs } from "../types";
import { aclUsers } from "./users";

export interface RedisConfInput {
    args: ResolvedArgs;
    member: AddressedMember;
    credentials: Credentials;
    /** Where the member keeps its RDB, AOF and (cluster) nodes.conf. */
    dataDir: string;
    /** Hostname to announce instead of the IP (Kubernetes). */
    announceHostname?: string;
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
        `bind ${member.address}`,
        `bind-source-addr ${member.address}`,
        `port ${member.port}`,
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
        `repl-backlog-size ${replBacklogBytes(args.maxmemoryBytes)}`,
        "client-output-buffer-limit replica 512mb 512mb 0",
    );
    if (args.mode === "cluster") {
        lines.push(
            "",
            "# Cluster.",
            "cluster-enabled yes",
            "cluster-config-file nodes.conf",
            "cluster-node-timeout 5000",
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
        ...aclUsers(credentials, args.authEnabled, args.disabledCommands),
        "",
    );
    return lines.join("\n");
}

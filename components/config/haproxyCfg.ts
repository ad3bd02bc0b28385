import { MONITOR_USER, type AddressedMember, type AddressedNode, type Credentials } from "../types";

export interface HaproxyCfgInput {
    proxy: AddressedNode & { readPort: number };
    members: AddressedMember[];
    credentials: Credentials;
    /** Where HAProxy's stats socket lives (for operators; tests read server states there). */
    socketPath?: string;
}

export const HAPROXY_WRITE_BACKEND = "redis_master";

function roleCheck(credentials: Credentials, role: "master" | "slave"): string[] {
    return [
        "    option tcp-check",
        "    tcp-check connect",
        `    tcp-check send AUTH\\ ${MONITOR_USER}\\ ${credentials.monitorPassword}\\r\\n`,
        "    tcp-check expect string +OK",
        "    tcp-check send PING\\r\\n",
        "    tcp-check expect string +PONG",
        "    tcp-check send INFO\\ replication\\r\\n",
        `    tcp-check expect string role:${role}`,
        "    tcp-check send QUIT\\r\\n",
        "    tcp-check expect string +OK",
    ];
}

/**
 * haproxy.cfg for one proxy: a write frontend that reaches only the member reporting
 * role:master, and a read frontend over the replicas. Sessions to a server marked down are
 * cut so clients reconnect to the new master after a failover instead of writing to a replica.
 * HAProxy 2.6 has no `init-state down`; a server is taken out on its first failed check,
 * which comes within `inter` of start.
 */
export function renderHaproxyCfg(input: HaproxyCfgInput): string {
    const { proxy, members, credentials } = input;
    const servers = members.map((m) => `    server ${m.name} ${m.address}:${m.port}`);
    const lines = [
        `# redis-deployment: proxy ${proxy.name} (zone ${proxy.zone}).`,
        "global",
        // Each session holds two fds; 4096 stays under common default fd limits (haproxy refuses to start otherwise).
        "    maxconn 4096",
    ];
    if (input.socketPath) lines.push(`    stats socket ${input.socketPath} mode 600 level admin`);
    lines.push(
        "",
        "defaults",
        "    mode tcp",
        "    timeout connect 3s",
        // Redis connections are long-lived and may sit idle (pub/sub, blocking pops).
        "    timeout client 24h",
        "    timeout server 24h",
        "    timeout check 2s",
        "    default-server check inter 1s fastinter 500ms downinter 1s rise 2 fall 2 on-marked-down shutdown-sessions",
        "",
        "frontend redis_write",
        `    bind ${proxy.address}:${proxy.port}`,
        `    default_backend ${HAPROXY_WRITE_BACKEND}`,
        "",
        `backend ${HAPROXY_WRITE_BACKEND}`,
        ...roleCheck(credentials, "master"),
        ...servers,
        "",
        "frontend redis_read",
        `    bind ${proxy.address}:${proxy.readPort}`,
        "    default_backend redis_replicas",
        "",
        "backend redis_replicas",
        "    balance roundrobin",
        ...roleCheck(credentials, "slave"),
        ...servers,
        "",
    );
    return lines.join("\n");
}

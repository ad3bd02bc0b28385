import { TLS_OFF, type ResolvedTls } from "../tls";
import { haproxyBindOptions, haproxyServerOptions } from "./tls";
import { MONITOR_USER, type AddressedMember, type AddressedNode, type Credentials } from "../types";

export interface HaproxyCfgInput {
    proxy: AddressedNode & { readPort: number };
    members: AddressedMember[];
    credentials: Credentials;
    /** Where HAProxy's stats socket lives (for operators; tests read server states there). */
    socketPath?: string;
    /** More addresses the frontends listen on: a load balancer's that delivers packets unchanged (GCP passthrough). */
    alsoListenOn?: string[];
    /** TLS on every link (default off); `tlsDir` holds the proxy's certificate and key (one PEM) and the CA. */
    tls?: ResolvedTls;
    tlsDir?: string;
}

export const HAPROXY_WRITE_BACKEND = "redis_master";
export const HAPROXY_READ_BACKEND = "redis_replicas";

function roleCheck(credentials: Credentials, role: "master" | "slave", tls: boolean): string[] {
    return [
        "    option tcp-check",
        // With TLS the check speaks TLS to the member like the traffic does (the server line's CA and certificate).
        `    tcp-check connect${tls ? " ssl" : ""}`,
        `    tcp-check send AUTH\\ ${MONITOR_USER}\\ ${credentials.monitorPassword}\\r\\n`,
        "    tcp-check expect string +OK",
        "    tcp-check send PING\\r\\n",
        "    tcp-check expect string +PONG",
        // QUIT goes with INFO: Redis then closes the connection after its answer, so a member
        // with the wrong role fails the check at once instead of after `timeout check`.
        "    tcp-check send INFO\\ replication\\r\\nQUIT\\r\\n",
        `    tcp-check expect string role:${role}`,
    ];
}

/**
 * haproxy.cfg for one proxy: a write frontend that reaches only the member reporting
 * role:master, and a read frontend over the replicas. Sessions to a server marked down are
 * cut so clients reconnect to the new master after a failover instead of writing to a replica.
 * HAProxy 2.6 has no `init-state down`; a server is taken out on its first failed check,
 * which comes within `inter` of start. Check timing: see the comment at `default-server`.
 */
export function renderHaproxyCfg(input: HaproxyCfgInput): string {
    const { proxy, members, credentials } = input;
    const tls = input.tls ?? TLS_OFF;
    const servers = members.map((m) => `    server ${m.name} ${m.address}:${m.port}${haproxyServerOptions(tls, input.tlsDir)}`);
    const bind = haproxyBindOptions(tls, input.tlsDir);
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
        // Check timing, tuned from the bench (Sentinel failover, kill -9 of the master, writes
        // through this proxy). A promoted replica is DOWN in the write backend until two checks
        // see role:master: `downinter 250ms rise 2` puts writes on it ~0.5 s after its promotion
        // (the old `downinter 1s` took ~1.5 s). `inter 500ms fall 2` takes a demoted master out
        // within ~0.75 s (it would answer READONLY): its check fails as soon as Redis closes the
        // connection after INFO + QUIT, not when `timeout check` runs out. A crashed master is taken out at once by
        // the first refused connection (`observe layer4 ... on-error mark-down`) instead of
        // after two failed checks, and `redispatch` stops a client from sitting through
        // HAProxy's 1 s retry turn-around against a dead server. A live Redis never refuses a
        // TCP connection (the kernel accepts it), so the passive check does not flap. Checks
        // cost a connection + AUTH + PING + INFO each: about 20 per second per proxy here.
        "    retries 2",
        "    option redispatch 1",
        "    default-server check inter 500ms fastinter 250ms downinter 250ms rise 2 fall 2 observe layer4 error-limit 1 on-error mark-down on-marked-down shutdown-sessions",
        "",
        "frontend redis_write",
        ...[proxy.address, ...(input.alsoListenOn ?? [])].map((a) => `    bind ${a}:${proxy.port}${bind}`),
        `    default_backend ${HAPROXY_WRITE_BACKEND}`,
        "",
        `backend ${HAPROXY_WRITE_BACKEND}`,
        ...roleCheck(credentials, "master", tls.enabled),
        ...servers,
        "",
        "frontend redis_read",
        ...[proxy.address, ...(input.alsoListenOn ?? [])].map((a) => `    bind ${a}:${proxy.readPort}${bind}`),
        `    default_backend ${HAPROXY_READ_BACKEND}`,
        "",
        `backend ${HAPROXY_READ_BACKEND}`,
        "    balance roundrobin",
        ...roleCheck(credentials, "slave", tls.enabled),
        ...servers,
        "",
    );
    return lines.join("\n");
}

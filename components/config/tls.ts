// The TLS parts of redis.conf, sentinel.conf and haproxy.cfg. Every link speaks TLS: clients,
// replication, the cluster bus, Sentinel to members and to other sentinels, HAProxy to its
// clients and to members. A node's certificate serves it both as a server and as a client (its
// outgoing replication, bus, sentinel and HAProxy links), so it carries both key usages.
import { tlsPath, type ClientAuth, type ResolvedTls } from "../tls";

const REDIS_AUTH_CLIENTS: Record<ClientAuth, string> = { none: "no", optional: "optional", required: "yes" };
const HAPROXY_VERIFY: Record<ClientAuth, string> = { none: "none", optional: "optional", required: "required" };

/**
 * redis.conf / sentinel.conf lines for a listener on `port`: with TLS the port is the TLS port
 * and plaintext is off (`port 0`), so a client that does not speak TLS is refused.
 */
export function listenerDirectives(tls: ResolvedTls, port: number, dir: string | undefined, options: { cluster?: boolean } = {}): string[] {
    if (!tls.enabled) return [`port ${port}`];
    if (dir === undefined) throw new Error("TLS is on but the provider gave no directory for the node's certificate files");
    const lines = [
        "# TLS only: no plaintext port. Outgoing links (replication, sentinel, cluster bus) speak TLS",
        "# too and present this node's certificate; peers are checked against the deployment's CA.",
        "port 0",
        `tls-port ${port}`,
        `tls-cert-file ${tlsPath(dir, "cert")}`,
        `tls-key-file ${tlsPath(dir, "key")}`,
        `tls-ca-cert-file ${tlsPath(dir, "ca")}`,
        `tls-auth-clients ${REDIS_AUTH_CLIENTS[tls.clientAuth]}`,
        "tls-replication yes",
        'tls-protocols "TLSv1.2 TLSv1.3"',
    ];
    if (options.cluster) lines.push("tls-cluster yes");
    return lines;
}

/** The `bind` suffix of an HAProxy frontend: it terminates TLS with the proxy's certificate. */
export function haproxyBindOptions(tls: ResolvedTls, dir: string | undefined): string {
    if (!tls.enabled) return "";
    if (dir === undefined) throw new Error("TLS is on but the provider gave no directory for the proxy's certificate files");
    const clientCa = tls.clientAuth === "none" ? "" : ` ca-file ${tlsPath(dir, "ca")}`;
    return ` ssl crt ${tlsPath(dir, "pem")}${clientCa} verify ${HAPROXY_VERIFY[tls.clientAuth]} ssl-min-ver TLSv1.2`;
}

/**
 * The `server` suffix: HAProxy opens a new TLS connection to the member (its health checks
 * too), checks the member's certificate against the CA and presents its own (a member may
 * require client certificates).
 */
export function haproxyServerOptions(tls: ResolvedTls, dir: string | undefined): string {
    if (!tls.enabled) return "";
    if (dir === undefined) throw new Error("TLS is on but the provider gave no directory for the proxy's certificate files");
    return ` ssl verify required ca-file ${tlsPath(dir, "ca")} crt ${tlsPath(dir, "pem")} check-ssl`;
}

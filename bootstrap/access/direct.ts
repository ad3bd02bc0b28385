// Where every access path ends: an ioredis connection to an address and port. Serialized by
// value into the bootstrap's dynamic resources (docs/architecture.md, "Code that Pulumi
// serializes"): ioredis is required inside.
import type { Redis } from "ioredis";
import type { ClientTls } from "../../components/types";
import type { Login, NodeAddress } from "./types";

/**
 * ioredis' TLS options: the deployment's CA, the client certificate if any, and the server's
 * certificate checked against `nodeName` (the node's planned address or DNS name), not the
 * address dialled, which is 127.0.0.1 through an SSH channel or a port-forward.
 */
export function clientTlsOptions(tls: ClientTls, nodeName: string): import("tls").ConnectionOptions {
    const nodeTls = require("tls") as typeof import("tls");
    const net = require("net") as typeof import("net");
    return {
        ca: tls.ca,
        ...(tls.certificate && tls.key ? { cert: tls.certificate, key: tls.key } : {}),
        // SNI takes names only; an IP address is checked against the certificate's IP SANs below.
        ...(net.isIP(nodeName) ? {} : { servername: nodeName }),
        checkServerIdentity: (_host, cert) => nodeTls.checkServerIdentity(nodeName, cert),
    };
}

/**
 * An ioredis connection to node.address:node.port that fails fast (callers retry); over TLS
 * when `tls` is given, with the certificate checked against `nodeName` (default: the address).
 */
export async function connectDirect(node: NodeAddress, login: Login, tls?: ClientTls, nodeName = node.address): Promise<Redis> {
    const { default: RedisClient } = require("ioredis") as typeof import("ioredis");
    const client = new RedisClient({
        ...(tls ? { tls: clientTlsOptions(tls, nodeName) } : {}),
        host: node.address,
        port: node.port,
        username: login.user,
        password: login.password,
        lazyConnect: true,
        connectTimeout: 2000,
        commandTimeout: 10000,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
    });
    // Surfaced through the failing command instead; a failed connect reports the socket's
    // error (ECONNREFUSED, ETIMEDOUT) rather than ioredis' "Connection is closed.".
    let socketError: Error | undefined;
    client.on("error", (err: Error) => { socketError ??= err; });
    try {
        await client.connect();
    } catch (err) {
        client.disconnect();
        throw socketError && /Connection is closed/.test((err as Error).message) ? socketError : err;
    }
    return client;
}

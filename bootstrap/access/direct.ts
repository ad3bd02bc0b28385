// Where every access path ends: an ioredis connection to an address and port. Serialized by
// value into the bootstrap's dynamic resources (docs/architecture.md, "Code that Pulumi
// serializes"): ioredis is required inside.
import type { Redis } from "ioredis";
import type { Login, NodeAddress } from "./types";

/** An ioredis connection to node.address:node.port that fails fast (callers retry). */
export async function connectDirect(node: NodeAddress, login: Login): Promise<Redis> {
    const { default: RedisClient } = require("ioredis") as typeof import("ioredis");
    const client = new RedisClient({
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

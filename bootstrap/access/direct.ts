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
    client.on("error", () => { /* surfaced through the failing command instead */ });
    try {
        await client.connect();
    } catch (err) {
        client.disconnect();
        throw err;
    }
    return client;
}

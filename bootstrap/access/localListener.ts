// A 127.0.0.1 listener that takes exactly one connection: how a tunnel (a Kubernetes
// port-forward, an SSH channel) is handed to ioredis as a plain local port. Serialized by value
// into the bootstrap's dynamic resources (docs/architecture.md, "Code that Pulumi serializes"):
// packages required inside.

/**
 * Listens on an ephemeral 127.0.0.1 port; the first connection goes to `accept` (unless
 * `closed()` already), and the listener stops taking more.
 */
export async function listenOnce(accept: (socket: import("net").Socket) => void, closed: () => boolean): Promise<{ server: import("net").Server; port: number }> {
    const net = require("net") as typeof import("net");
    const server = net.createServer();
    server.on("connection", (s) => {
        server.close(); // one connection per tunnel
        if (closed()) {
            s.destroy();
            return;
        }
        accept(s);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    return { server, port: (server.address() as import("net").AddressInfo).port };
}

// How the bootstrap reaches a node, whatever the access: directly, through an SSH bastion, or
// through the Kubernetes API server. A transport only opens a Route (a local port carrying one
// connection); connecting, reporting and releasing are done here once for all of them.
// Serialized by value into the bootstrap's dynamic resources (docs/architecture.md).
import type { Redis } from "ioredis";
import type { BootstrapAccess } from "../../components/types";
import { connectDirect } from "./direct";
import { kubernetesRoute } from "./kubernetes";
import { sshRoute } from "./ssh";
import type { Login, NodeAddress, Route } from "./types";

export type { Login, NodeAddress, Route } from "./types";
export { withAccessSession } from "./ssh";

/** The route to `node` for an access that needs one; undefined when the node is reached directly. */
async function routeTo(access: BootstrapAccess, node: NodeAddress): Promise<Route | undefined> {
    switch (access.kind) {
        case "ssh": return sshRoute(access, node);
        case "kubernetes": return kubernetesRoute(access, node);
        default: return undefined;
    }
}

/** Opens a connection to one node through the deployment's access. Fails fast: callers retry. */
export async function openClient(access: BootstrapAccess, node: NodeAddress, login: Login): Promise<Redis> {
    const route = await routeTo(access, node);
    if (!route) return connectDirect(node, login, access.tls);
    let client: Redis;
    try {
        client = await connectDirect({ address: "127.0.0.1", port: route.port }, login, access.tls, node.address);
    } catch (err) {
        route.close();
        throw new Error(`${node.address}:${node.port} (${route.via}): ${route.errors() || (err as Error).message}`);
    }
    client.on("end", () => route.close());
    route.adapt?.(client);
    return client;
}

// The bootstrap's way into a Kubernetes cluster: every Redis connection goes through the API
// server as a port-forward to the member's pod (@kubernetes/client-node), so `pulumi up` needs
// nothing but the API access it already has: no route to pod IPs, no image, no in-cluster Job.
//
// These functions are serialized by value into the bootstrap's dynamic resources (see
// docs/architecture.md, "Code that Pulumi serializes"): no module-level state, packages required inside the functions, only types
// imported at the top.
import type { BootstrapAccess } from "../../components/types";
import { listenOnce } from "./localListener";
import type { NodeAddress, Route } from "./types";

export type KubernetesAccess = Extract<BootstrapAccess, { kind: "kubernetes" }>;

/** A local port that carries one connection to pod:port through the API server. */
export interface Tunnel {
    /** 127.0.0.1 port to connect to (once). */
    port: number;
    /** What the API server reported on the port-forward's error channel, if anything. */
    errors(): string;
    close(): void;
}

/** Pod and namespace of a member's stable name `<pod>.<service>.<namespace>.svc.<domain>`. */
export function podOf(access: KubernetesAccess, address: string): { pod: string; namespace: string } {
    const labels = address.split(".");
    if (labels.length >= 4 && labels[3] === "svc") return { pod: labels[0], namespace: labels[2] };
    if (labels.length === 1 && labels[0] !== "") return { pod: labels[0], namespace: access.namespace };
    throw Object.assign(new Error(`access.kubernetes: ${address} is not a pod's DNS name (<pod>.<service>.<namespace>.svc.<domain>)`), { fatal: true });
}

/** The kubeconfig named by the access (a path, else $KUBECONFIG / ~/.kube/config / in-cluster), at its context. */
export function loadKubeConfig(access: KubernetesAccess): import("@kubernetes/client-node").KubeConfig {
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    if (access.kubeconfig) kc.loadFromFile(access.kubeconfig);
    else kc.loadFromDefault();
    if (access.context) kc.setCurrentContext(access.context);
    return kc;
}

/** Where the API server is, for error messages. */
export function describeApi(access: KubernetesAccess): string {
    try {
        const kc = loadKubeConfig(access);
        return `the Kubernetes API at ${kc.getCurrentCluster()?.server ?? "(no cluster)"} (context ${kc.getCurrentContext() || "(none)"})`;
    } catch (err) {
        return `the Kubernetes API (kubeconfig: ${(err as Error).message})`;
    }
}

/** Turns a failed API call into what the user has to do about it. */
export function explainApiError(access: KubernetesAccess, what: string, pod: string, namespace: string, err: unknown): Error {
    // client-node rejects a refused port-forward with the WebSocket's ErrorEvent, not an Error.
    const message = err instanceof Error ? err.message
        : typeof err === "object" && err !== null && "message" in err ? String((err as { message: unknown }).message)
            : String(err);
    const status = Number((/\b(40[134]|50\d)\b/.exec(message) ?? [])[1] ?? (err as { code?: number }).code);
    let hint = "";
    if (status === 401) hint = ": the kubeconfig's credentials were refused (expired token?)";
    else if (status === 403) hint = `: forbidden; the bootstrap needs \`create\` on pods/portforward and \`get\` on pods in namespace ${namespace}`;
    else if (status === 404) hint = `: pod ${pod} does not exist in namespace ${namespace} (yet)`;
    const fatal = status === 401 || status === 403;
    return Object.assign(new Error(`${what} ${pod} in ${namespace} through ${describeApi(access)} failed: ${message}${hint}`), fatal ? { fatal: true } : {});
}

/**
 * Opens a port-forward to `node` (a pod DNS name) through the API server and a local port
 * bridged to it. The WebSocket is opened first, so an API error (403, 404) is reported as
 * such instead of as a closed Redis connection.
 */
export async function openTunnel(access: KubernetesAccess, node: NodeAddress): Promise<Tunnel> {
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const stream = require("stream") as typeof import("stream");
    const { pod, namespace } = podOf(access, node.address);
    const kc = loadKubeConfig(access);

    let socket: import("net").Socket | undefined;
    let closed = false;
    const pending: Buffer[] = [];
    const errorText: string[] = [];
    const toPod = new stream.PassThrough();
    const fromPod = new stream.Writable({
        write(chunk: Buffer, _encoding, done) {
            if (socket) socket.write(chunk, () => done());
            else {
                pending.push(chunk);
                done();
            }
        },
    });
    const errors = new stream.Writable({
        write(chunk: Buffer, _encoding, done) {
            errorText.push(chunk.toString());
            done();
        },
    });

    let ws: { on(event: string, listener: () => void): unknown; close(): void };
    try {
        ws = await new k8s.PortForward(kc, true).portForward(namespace, pod, [node.port], fromPod, errors, toPod) as unknown as typeof ws;
    } catch (err) {
        throw explainApiError(access, `port-forward to port ${node.port} of pod`, pod, namespace, err);
    }

    let server: import("net").Server | undefined;
    const close = () => {
        if (closed) return;
        closed = true;
        server?.close();
        socket?.destroy();
        toPod.end();
        try { ws.close(); } catch { /* already closed */ }
    };
    ws.on("close", () => {
        // The pod side ended: end the local connection once what it sent is written.
        closed = true;
        server?.close();
        if (socket) socket.end();
        else close();
    });
    ws.on("error", () => close());
    const local = await listenOnce((s) => {
        socket = s;
        for (const chunk of pending.splice(0)) s.write(chunk);
        s.on("data", (d: Buffer) => toPod.write(d));
        s.on("close", close);
        s.on("error", close);
    }, () => closed);
    server = local.server;
    if (closed) server.close(); // the far side ended while the listener was starting
    const port = local.port;
    // Nobody connected within the connect timeout: do not leak the WebSocket.
    setTimeout(() => { if (!socket) close(); }, 15000).unref();
    return { port, errors: () => errorText.join(" ").trim(), close };
}

/** The pod's current IP, from the API server. */
export async function podIp(access: KubernetesAccess, address: string): Promise<string> {
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const { pod, namespace } = podOf(access, address);
    let ip: string | undefined;
    try {
        const api = loadKubeConfig(access).makeApiClient(k8s.CoreV1Api);
        ip = (await api.readNamespacedPod({ name: pod, namespace })).status?.podIP;
    } catch (err) {
        throw explainApiError(access, "reading the IP of pod", pod, namespace, err);
    }
    if (!ip) throw new Error(`pod ${pod} in ${namespace} has no IP yet`);
    return ip;
}

/**
 * The route to a member through the API server.
 *
 * One command addresses a node by IP: CLUSTER MEET (Redis 7.0 rejects hostnames there; the
 * cluster bus itself runs on IPs, hostnames are for clients). A MEET naming a member's DNS name
 * is sent with that pod's current IP instead; everything else goes through unchanged.
 */
export async function kubernetesRoute(access: KubernetesAccess, node: NodeAddress): Promise<Route> {
    const tunnel = await openTunnel(access, node);
    const { pod, namespace } = podOf(access, node.address);
    return {
        port: tunnel.port,
        via: `pod ${pod} in ${namespace}, through the API server`,
        errors: tunnel.errors,
        close: tunnel.close,
        adapt(client) {
            const net = require("net") as typeof import("net");
            const send = client.call.bind(client) as (...args: unknown[]) => Promise<unknown>;
            const ips = new Map<string, string>();
            (client as unknown as { call: (...args: unknown[]) => Promise<unknown> }).call = async (...args: unknown[]) => {
                if (args.length >= 4 && String(args[0]).toUpperCase() === "CLUSTER" && String(args[1]).toUpperCase() === "MEET" && net.isIP(String(args[2])) === 0) {
                    const host = String(args[2]);
                    if (!ips.has(host)) ips.set(host, await podIp(access, host));
                    args = [args[0], args[1], ips.get(host), ...args.slice(3)];
                }
                return send(...args);
            };
        },
    };
}

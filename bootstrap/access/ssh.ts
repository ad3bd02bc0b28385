// The bootstrap's way to members through an SSH bastion (`access.ssh`): one SSH connection per
// bootstrap run (ssh2), a `direct-tcpip` channel per Redis connection, bridged to a local
// 127.0.0.1 port so ioredis connects to that port like to any member (the same shape as the
// Kubernetes port-forward, ./kubernetes.ts).
//
// These functions are serialized by value into the bootstrap's dynamic resources (see
// docs/architecture.md, "Code that Pulumi serializes"): no module-level state, packages required inside the functions (ssh2 is only
// loaded when a deployment uses access.ssh), only types imported at the top.
import type { BootstrapAccess } from "../../components/types";
import { listenOnce } from "./localListener";
import type { NodeAddress, Route } from "./types";

export type SshAccess = Extract<BootstrapAccess, { kind: "ssh" }>;

/** One SSH connection to the bastion, shared by every Redis connection of a bootstrap run. */
export interface SshSession {
    /** A local 127.0.0.1 port carrying one connection to node through the bastion. */
    forward(node: NodeAddress): Promise<{ port: number; close(): void }>;
    close(): void;
}

/** An ssh access with the run's open session attached (at run time only; never in inputs or state). */
export type LiveSshAccess = SshAccess & { session?: SshSession };

/** `user@host:port` of the bastion, for messages (never the key). */
export function describeBastion(access: SshAccess): string {
    return `SSH bastion ${access.user}@${access.host}:${access.port}`;
}

/**
 * Whether the bastion's host key matches `expected`: an OpenSSH public key line
 * (`ssh-ed25519 AAAA...`, as in known_hosts or ssh-keyscan) or a SHA256 fingerprint
 * (`SHA256:...`, as printed by `ssh-keygen -lf`).
 */
export function hostKeyMatches(expected: string, key: Buffer): boolean {
    const { createHash } = require("crypto") as typeof import("crypto");
    const text = expected.trim();
    if (/^SHA256:/i.test(text)) {
        const fingerprint = createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
        return text.slice("SHA256:".length).replace(/=+$/, "") === fingerprint;
    }
    // `[host] type base64 [comment]` or a bare base64 blob.
    const parts = text.split(/\s+/);
    const type = parts.findIndex((part) => /^(ssh-|ecdsa-|sk-)/.test(part));
    const blob = type >= 0 ? parts[type + 1] : parts[0];
    if (!blob) return false;
    return Buffer.from(blob, "base64").equals(key);
}

/** SHA256 fingerprint of a host key, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: Buffer): string {
    const { createHash } = require("crypto") as typeof import("crypto");
    return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** Connects to the bastion; fails with what went wrong (unreachable, host key, authentication). */
export async function openSshSession(access: SshAccess): Promise<SshSession> {
    const { Client } = require("ssh2") as typeof import("ssh2");
    const bastion = describeBastion(access);
    const client = new Client();
    let seenKey: Buffer | undefined;
    let closed = false;

    await new Promise<void>((resolve, reject) => {
        const fail = (err: Error & { level?: string }) => {
            client.removeAllListeners("ready");
            client.end();
            let message: string;
            let fatal = false;
            if (err.level === "client-authentication") {
                message = `${bastion}: authentication failed: the server refused access.ssh.privateKey for user ${access.user} (${err.message})`;
                fatal = true;
            } else if (seenKey && access.hostKey && !hostKeyMatches(access.hostKey, seenKey)) {
                message = `${bastion}: host key mismatch: the server presented ${fingerprintOf(seenKey)}, access.ssh.hostKey expects ${access.hostKey.trim().slice(0, 80)}; refusing to connect`;
                fatal = true;
            } else if (err.level === "client-timeout") {
                message = `${bastion} is unreachable: no SSH handshake within 10s (${err.message})`;
            } else {
                message = `${bastion} is unreachable: ${err.message}`;
            }
            reject(Object.assign(new Error(message), fatal ? { fatal: true } : {}));
        };
        client.once("ready", () => {
            client.removeListener("error", fail);
            client.on("error", () => { /* a later failure surfaces through forward() */ });
            resolve();
        });
        client.once("error", fail);
        client.on("close", () => { closed = true; });
        try {
            client.connect({
                host: access.host,
                port: access.port,
                username: access.user,
                privateKey: access.privateKey,
                readyTimeout: 10000,
                keepaliveInterval: 15000,
                hostVerifier: (key: Buffer) => {
                    seenKey = key;
                    return access.hostKey ? hostKeyMatches(access.hostKey, key) : true;
                },
            });
        } catch (err) {
            // A malformed key is reported synchronously by ssh2.
            reject(Object.assign(new Error(`${bastion}: access.ssh.privateKey is not usable: ${(err as Error).message}`), { fatal: true }));
        }
    });

    const tunnels = new Set<{ close(): void }>();
    return {
        async forward(node: NodeAddress) {
            if (closed) throw new Error(`${bastion}: the SSH connection was closed before ${node.address}:${node.port} could be reached`);
            const channel = await new Promise<import("ssh2").ClientChannel>((resolve, reject) => {
                client.forwardOut("127.0.0.1", 0, node.address, node.port, (err, ch) => {
                    if (err) reject(new Error(`${bastion} could not open a connection to member ${node.address}:${node.port}: ${err.message}`));
                    else resolve(ch);
                });
            });
            let socket: import("net").Socket | undefined;
            let done = false;
            let server: import("net").Server | undefined;
            const tunnel = {
                close() {
                    if (done) return;
                    done = true;
                    tunnels.delete(tunnel);
                    server?.close();
                    socket?.destroy();
                    channel.destroy();
                },
            };
            tunnels.add(tunnel);
            channel.on("close", () => {
                // The member side ended: end the local connection once what it sent is written.
                server?.close();
                if (socket) socket.end();
                else tunnel.close();
            });
            channel.on("error", () => tunnel.close());
            const local = await listenOnce((s) => {
                socket = s;
                s.pipe(channel);
                channel.pipe(s);
                s.on("close", () => tunnel.close());
                s.on("error", () => tunnel.close());
            }, () => done);
            server = local.server;
            if (done) server.close(); // the far side ended while the listener was starting
            // Nobody connected within the connect timeout: do not leak the channel.
            setTimeout(() => { if (!socket) tunnel.close(); }, 15000).unref();
            return { port: local.port, close: tunnel.close };
        },
        close() {
            for (const t of [...tunnels]) t.close();
            closed = true;
            client.end();
        },
    };
}

/**
 * Runs `fn` with one SSH session for the whole run when access is ssh (attached to the access
 * it passes on), closing it at the end, also on failure. Other kinds pass through unchanged.
 */
export async function withAccessSession<T>(access: BootstrapAccess, fn: (access: BootstrapAccess) => Promise<T>): Promise<T> {
    if (access.kind !== "ssh" || (access as LiveSshAccess).session) return fn(access);
    const session = await openSshSession(access);
    try {
        return await fn({ ...access, session } as LiveSshAccess);
    } finally {
        session.close();
    }
}

/**
 * The route to a member through the bastion. Uses the run's session when there is one
 * (withAccessSession), else opens a session for this connection alone and closes it with it.
 */
export async function sshRoute(access: SshAccess, node: NodeAddress): Promise<Route> {
    const shared = (access as LiveSshAccess).session;
    const session = shared ?? await openSshSession(access);
    let tunnel: { port: number; close(): void };
    try {
        tunnel = await session.forward(node);
    } catch (err) {
        if (!shared) session.close();
        throw err;
    }
    return {
        port: tunnel.port,
        via: `through ${describeBastion(access)}`,
        errors: () => "",
        close() {
            tunnel.close();
            if (!shared) session.close();
        },
    };
}

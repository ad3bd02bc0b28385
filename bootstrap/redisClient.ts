// Helpers shared by the bootstrap providers. These functions are serialized by value into
// each dynamic resource (see docs/architecture.md, "Code that Pulumi serializes"): no
// module-level state, packages required inside the functions, nothing captured but other
// functions of this kind.
import type { Redis } from "ioredis";
import type { BootstrapAccess } from "../components/types";
import { openClient, type Login, type NodeAddress } from "./access";

export { openClient, type Login, type NodeAddress } from "./access";

/** Runs `fn` with a client for `node`, always closing it. */
export async function withClient<T>(access: BootstrapAccess, node: NodeAddress, login: Login, fn: (client: Redis) => Promise<T>): Promise<T> {
    const client = await openClient(access, node, login);
    try {
        return await fn(client);
    } finally {
        client.disconnect();
    }
}

/** An error that ends a `waitFor` at once (the thing waited for can no longer happen). */
export function fatal(message: string): Error {
    return Object.assign(new Error(message), { fatal: true });
}

/** Polls `probe` (every `intervalMs`) until it returns a value other than undefined, or fails with what it last saw. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (err) {
            if ((err as { fatal?: boolean }).fatal) throw err;
            last = err instanceof Error ? err.message : String(err);
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what} (last: ${last})`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

/** `waitFor` for a condition that explains itself: `check` returns undefined when satisfied, else why not. */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<string | undefined>, intervalMs = 250): Promise<void> {
    let reason = "not checked yet";
    await waitFor(what, timeoutMs, async () => {
        try {
            const r = await check();
            if (r === undefined) return true;
            reason = r;
        } catch (err) {
            reason = err instanceof Error ? err.message : String(err);
        }
        throw new Error(reason);
    }, intervalMs);
}

/** Parses INFO output into a flat map. */
export function parseInfo(text: string): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const line of text.split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0 && !line.startsWith("#")) fields[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return fields;
}

export async function info(client: Redis, section: string): Promise<Record<string, string>> {
    return parseInfo(String(await client.call("INFO", section)));
}

export function endpoint(node: NodeAddress): string {
    return `${node.address}:${node.port}`;
}

/** Waits until every node accepts the login and answers PING. */
export async function waitReachable(access: BootstrapAccess, nodes: NodeAddress[], login: Login, timeoutMs: number): Promise<void> {
    await Promise.all(nodes.map((node) => waitFor(`${endpoint(node)} to answer PING`, timeoutMs, async () => {
        const reply = await withClient(access, node, login, (c) => c.ping());
        return reply === "PONG" ? true : undefined;
    })));
}

// Live credentials: makes every member's and sentinel's users accept exactly the deployment's
// passwords, and makes the deployment's own clients (replicas' masterauth, the sentinels'
// auth-pass and sentinel-pass) present the current one, without a restart. This is how a
// password rotation reaches running nodes on every provider: through the bootstrap's access
// path (direct, SSH bastion, Kubernetes port-forward), like the bootstrap itself.
// Serialized by value into a dynamic resource (docs/architecture.md): no module-level state.
import * as pulumi from "@pulumi/pulumi";
import type { Redis } from "ioredis";
import type { UserPasswords } from "../components/config/users";
import { ADMIN_USER, type BootstrapAccess } from "../components/types";
import { convergingProvider } from "./converging";
import { endpoint, waitFor, withClient, type NodeAddress } from "./redisClient";

export type { UserPasswords } from "../components/config/users";

export interface CredentialsInputs {
    members: (NodeAddress & { name: string })[];
    sentinels: NodeAddress[];
    /** The sentinels' master name (sentinel mode; empty otherwise). */
    masterName: string;
    /** What the users of a member and of a sentinel accept (components/config/users.ts, userPasswords). */
    users: { member: UserPasswords[]; sentinel: UserPasswords[] };
    /** rd-admin's accepted passwords, the current one first: logins try them in turn, clients present the first. */
    adminPasswords: string[];
    access: BootstrapAccess;
    timeoutMs: number;
}

export interface CredentialsResult {
    actions: string[];
}

interface Target {
    node: NodeAddress;
    kind: "member" | "sentinel";
}

/** ACL GETUSER's reply as flags and password hashes (undefined when the user does not exist). */
export function parseAclUser(reply: unknown): { flags: string[]; hashes: string[] } | undefined {
    if (!Array.isArray(reply)) return undefined;
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
    const list = (key: string) => ((fields.get(key) as unknown[] | undefined) ?? []).map(String);
    return { flags: list("flags"), hashes: list("passwords") };
}

/** The ACL SETUSER rules that add what `wanted` lacks (`add`) and take away what it no longer has (`remove`). */
export function passwordRuleChanges(live: { flags: string[]; hashes: string[] }, wanted: UserPasswords): { add: string[]; remove: string[] } {
    if (wanted.nopass) return { add: live.flags.includes("nopass") ? [] : ["nopass"], remove: [] };
    return {
        // Adding a password also clears `nopass`.
        add: wanted.hashes.filter((h) => !live.hashes.includes(h)).map((h) => `#${h}`),
        remove: live.hashes.filter((h) => !wanted.hashes.includes(h)).map((h) => `!${h}`),
    };
}

/**
 * The first of rd-admin's passwords the node accepts. (A refused AUTH during connect may surface
 * as a closed connection rather than WRONGPASS, so every password is tried before retrying.)
 */
async function adminLogin(inputs: CredentialsInputs, node: NodeAddress): Promise<string> {
    return waitFor(`${endpoint(node)} to accept one of ${ADMIN_USER}'s passwords`, inputs.timeoutMs, async () => {
        const refusals: string[] = [];
        for (const password of inputs.adminPasswords) {
            try {
                await withClient(inputs.access, node, { user: ADMIN_USER, password }, (c) => c.ping());
                return password;
            } catch (err) {
                refusals.push((err as Error).message);
            }
        }
        throw new Error(refusals.join("; "));
    });
}

/** Applies `pick` (the additions or the removals) to the users of one node; returns what it did. */
async function changeUsers(c: Redis, target: Target, users: UserPasswords[], pick: "add" | "remove"): Promise<string[]> {
    const done: string[] = [];
    for (const wanted of users) {
        const live = parseAclUser(await c.call("ACL", "GETUSER", wanted.user));
        if (!live) continue;
        const rules = passwordRuleChanges(live, wanted)[pick];
        if (rules.length === 0) continue;
        await c.call("ACL", "SETUSER", wanted.user, ...rules);
        done.push(`${endpoint(target.node)}: ${wanted.user} ${pick === "add" ? "accepts" : "no longer accepts"} ${rules.length} password(s)`);
    }
    return done;
}

/**
 * In this order, so that no client is ever refused: (1) every node accepts every current
 * password (next to the retiring ones); (2) replicas and sentinels present the current admin
 * password; (3) passwords no longer wanted are removed; (4) each node persists its users and
 * settings (CONFIG REWRITE, SENTINEL FLUSHCONFIG), so a restart keeps the current set.
 */
export async function convergeCredentials(inputs: CredentialsInputs): Promise<CredentialsResult> {
    const targets: Target[] = [
        ...inputs.members.map((node) => ({ node, kind: "member" as const })),
        ...inputs.sentinels.map((node) => ({ node, kind: "sentinel" as const })),
    ];
    const current = inputs.adminPasswords[0];
    const actions: string[] = [];
    const logins = await Promise.all(targets.map((t) => adminLogin(inputs, t.node)));
    const onEach = async (fn: (c: Redis, t: Target) => Promise<string[]>, login: (i: number) => string) => {
        for (const [i, t] of targets.entries()) {
            actions.push(...await withClient(inputs.access, t.node, { user: ADMIN_USER, password: login(i) }, (c) => fn(c, t)));
        }
    };
    await onEach((c, t) => changeUsers(c, t, inputs.users[t.kind], "add"), (i) => logins[i]);
    // From here on every node accepts the current admin password.
    await onEach(async (c, t) => {
        if (t.kind === "member") {
            const [, masterauth] = await c.call("CONFIG", "GET", "masterauth") as string[];
            if (masterauth === current) return [];
            await c.call("CONFIG", "SET", "masterauth", current);
            return [`${endpoint(t.node)}: masterauth set`];
        }
        const done: string[] = [];
        const [, sentinelPass] = await c.call("SENTINEL", "CONFIG", "GET", "sentinel-pass") as string[];
        if (sentinelPass !== current) {
            await c.call("SENTINEL", "CONFIG", "SET", "sentinel-pass", current);
            done.push(`${endpoint(t.node)}: sentinel-pass set`);
        }
        const monitored = inputs.masterName !== "" && await c.call("SENTINEL", "MASTER", inputs.masterName).then(() => true, () => false);
        if (monitored) {
            // Sentinel does not show auth-pass; setting it again is harmless.
            await c.call("SENTINEL", "SET", inputs.masterName, "auth-user", ADMIN_USER, "auth-pass", current);
            done.push(`${endpoint(t.node)}: auth-pass of ${inputs.masterName} set`);
        }
        return done;
    }, () => current);
    await onEach(async (c, t) => {
        const done = await changeUsers(c, t, inputs.users[t.kind], "remove");
        if (t.kind === "member") await c.call("CONFIG", "REWRITE");
        else await c.call("SENTINEL", "FLUSHCONFIG");
        return done;
    }, () => current);
    return { actions };
}

export const credentialsProvider = convergingProvider<CredentialsInputs, CredentialsResult>(convergeCredentials);

export type CredentialsSyncArgs = { [K in keyof CredentialsInputs]: pulumi.Input<CredentialsInputs[K]> };

/** The deployment's passwords, applied live to every member and sentinel (a rotation's two phases). */
export class CredentialsSync extends pulumi.dynamic.Resource {
    declare readonly result: pulumi.Output<CredentialsResult>;
    constructor(name: string, args: CredentialsSyncArgs, opts?: pulumi.CustomResourceOptions) {
        super(credentialsProvider, name, { ...args, result: undefined }, { ...opts, additionalSecretOutputs: ["users", "adminPasswords", "access"] }, "redis-deployment", "CredentialsSync");
    }
}

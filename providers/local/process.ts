// A local process (redis-server, redis-sentinel or haproxy) as a Pulumi dynamic resource:
// create writes the config and starts it, delete stops it and removes its data directory, a
// config change is applied live where Redis allows it and by a restart otherwise.
import * as pulumi from "@pulumi/pulumi";
import { ADMIN_USER, type BootstrapAccess, type ClientTls } from "../../components/types";
import { changedInputs } from "../../bootstrap/converging";
import { readShowStat } from "../../bootstrap/haproxyStats";
import { fatal, info, waitFor, withClient, type Login } from "../../bootstrap/redisClient";

export type ProcessKind = "redis" | "sentinel" | "haproxy";

export interface ProcessInputs {
    kind: ProcessKind;
    name: string;
    address: string;
    port: number;
    /** The member's own directory: config, data, log. */
    dataDir: string;
    /** Full text of the config file (secret: it holds passwords). */
    config: string;
    /** argv; `{config}` stands for the config file's path. */
    command: string[];
    /** How to tell the process is ready: a login that must answer PING, and for proxies the role behind it. */
    readiness: Login & {
        expectRole?: string;
        /** HAProxy: its stats socket; ready once every server of `backend` was checked and exactly one is UP. */
        statsSocket?: string;
        backend?: string;
        timeoutMs: number;
    };
    /** For live CONFIG SET on redis members. */
    adminPassword?: string;
    /**
     * Redis members of a master/replica set without automatic failover and with persistence
     * off: the other members. A stopped master must not come back empty as master (its replicas
     * would copy the empty dataset), so it is restarted as a replica of a live master among
     * these, or not at all.
     */
    emptyMasterGuard?: { peers: { address: string; port: number }[] };
    /**
     * Members of a master/replica set (sentinel, replication): the other members. A member whose
     * process is gone and that was not a replica comes back as a replica of whichever of them is
     * master now, not as a second master: after a crash of the master, Sentinel has promoted a
     * replica, and Sentinel itself only demotes a returning old master after ~10 s, during which
     * HAProxy would send writes to both and those on the old one would be lost. With no live
     * master among them it starts as it was.
     */
    rejoinLiveMaster?: { peers: { address: string; port: number }[] };
    /** Directories the package created above `dataDir`, removed on delete once empty. */
    emptyParentsToRemove?: string[];
    /**
     * With TLS: how this program's own connections (readiness, live CONFIG SET) speak TLS, and
     * the node's certificate files (file name -> PEM), written mode 0600 into `tlsDir` before
     * it starts (secret: they hold its private key).
     */
    tls?: ClientTls;
    tlsFiles?: Record<string, string>;
    tlsDir?: string;
}

export interface ProcessOutputs extends ProcessInputs {
    pid: number;
    configFile: string;
    logFile: string;
}

/** Redis settings that CONFIG SET applies without a restart. */
export const LIVE_SETTINGS = [
    "maxmemory", "maxmemory-policy", "save", "appendonly", "appendfsync", "repl-backlog-size",
    "client-output-buffer-limit", "timeout", "tcp-keepalive", "slowlog-log-slower-than",
    "latency-monitor-threshold", "replica-serve-stale-data", "loglevel", "masterauth",
    // Failover tuning: applied live, so changing the defaults does not restart every member of
    // a running deployment at once.
    "cluster-node-timeout", "min-replicas-to-write", "min-replicas-max-lag", "repl-diskless-sync-max-replicas",
];

/** `directive -> value` of a config text (comments and blanks dropped; repeated directives joined). */
export function parseConfig(text: string): Map<string, string> {
    const map = new Map<string, string>();
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        const space = line.indexOf(" ");
        const key = space < 0 ? line : line.slice(0, space);
        const value = space < 0 ? "" : line.slice(space + 1);
        // `user <name> ...` lines are keyed per user so a changed ACL is seen as a user change.
        const fullKey = key === "user" ? `user ${value.split(" ")[0]}` : key;
        map.set(fullKey, map.has(fullKey) ? `${map.get(fullKey)}\n${value}` : value);
    }
    return map;
}

/**
 * A config text with the passwords and password hashes masked: what is left differs only when
 * something other than the credentials changed. Credentials are applied live to running
 * nodes by the live-credentials resource (bootstrap/credentials.ts), never by a restart.
 */
export function withoutSecretValues(text: string): string {
    return text.split("\n").map((line) => line
        .replace(/^(\s*user\s+\S+\s.*?)(#[0-9a-f]{64}(\s+#[0-9a-f]{64})*)/, "$1#<hash>")
        .replace(/^(\s*masterauth\s+)\S+/, "$1<secret>")
        .replace(/^(\s*sentinel\s+sentinel-pass\s+)\S+/, "$1<secret>")).join("\n");
}

/** Directives whose values differ between two config texts. */
export function changedSettings(before: string, after: string): string[] {
    const a = parseConfig(before);
    const b = parseConfig(after);
    return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
}

/** How this program reaches its own processes: directly, over TLS when the deployment has it. */
function localAccess(inputs: Pick<ProcessInputs, "tls">): BootstrapAccess {
    return inputs.tls ? { kind: "direct", tls: inputs.tls } : { kind: "direct" };
}

/** Writes the node's certificate files, each mode 0600 in a directory of mode 0700. */
export function writeTlsFiles(inputs: Pick<ProcessInputs, "tlsFiles" | "tlsDir">): void {
    if (!inputs.tlsFiles || !inputs.tlsDir) return;
    const fs = require("fs") as typeof import("fs");
    const path = require("path") as typeof import("path");
    fs.mkdirSync(inputs.tlsDir, { recursive: true, mode: 0o700 });
    for (const [file, contents] of Object.entries(inputs.tlsFiles)) {
        const target = path.join(inputs.tlsDir, file);
        // Written beside and renamed: a running process never reads half a key.
        fs.writeFileSync(`${target}.new`, contents, { mode: 0o600 });
        fs.chmodSync(`${target}.new`, 0o600);
        fs.renameSync(`${target}.new`, target);
    }
}

function paths(inputs: ProcessInputs) {
    const path = require("path") as typeof import("path");
    const file = inputs.kind === "haproxy" ? "haproxy.cfg" : `${inputs.kind}.conf`;
    return { configFile: path.join(inputs.dataDir, file), logFile: path.join(inputs.dataDir, `${inputs.kind}.log`) };
}

/**
 * True when `pid` is alive and is the process started for `configFile` (pids get reused).
 * Redis rewrites its command line (process title), so its working directory, the member's
 * data directory, identifies it too.
 */
export function isOurProcess(pid: number | undefined, configFile: string): boolean {
    if (!pid) return false;
    const fs = require("fs") as typeof import("fs");
    const path = require("path") as typeof import("path");
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        if (/\) Z /.test(stat)) return false;
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return cmdline.includes(configFile) || fs.readlinkSync(`/proc/${pid}/cwd`) === path.dirname(configFile);
    } catch {
        return false;
    }
}

function logTail(logFile: string): string {
    const fs = require("fs") as typeof import("fs");
    try {
        return fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-8).join("\n");
    } catch {
        return "(no log)";
    }
}

/** Writes the config and starts the process detached; resolves once it is ready. */
export async function startProcess(inputs: ProcessInputs): Promise<ProcessOutputs> {
    const fs = require("fs") as typeof import("fs");
    const { spawn } = require("child_process") as typeof import("child_process");
    const { configFile, logFile } = paths(inputs);
    fs.mkdirSync(inputs.dataDir, { recursive: true, mode: 0o700 });
    writeTlsFiles(inputs);
    fs.writeFileSync(configFile, inputs.config, { mode: 0o600 });
    fs.chmodSync(configFile, 0o600);
    const log = fs.openSync(logFile, "a", 0o600);
    const argv = inputs.command.map((a) => a.replace("{config}", configFile));
    const child = spawn(argv[0], argv.slice(1), { cwd: inputs.dataDir, detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    const pid = child.pid;
    let exited: string | undefined;
    let spawnError: string | undefined;
    child.on("exit", (code, signal) => { exited = `exited with ${signal ?? `code ${code}`}`; });
    child.on("error", (err) => { spawnError = err.message; });
    child.unref();
    await new Promise((resolve) => setImmediate(resolve));
    if (spawnError || !pid) throw new Error(`${inputs.name}: could not start ${argv[0]}: ${spawnError ?? "no pid"}`);

    const outs: ProcessOutputs = { ...inputs, pid, configFile, logFile };
    try {
        await waitFor(`${inputs.name} (${inputs.kind}) to be ready on ${inputs.address}:${inputs.port}`, inputs.readiness.timeoutMs, async () => {
            if (exited) throw fatal(`${inputs.name}: ${argv[0]} ${exited}`);
            return (await isReady(outs)) ? true : undefined;
        });
    } catch (err) {
        await stopProcess(outs);
        const tail = logTail(logFile);
        const hint = /Address already in use/i.test(tail)
            ? `\n${inputs.address}:${inputs.port} is taken by another process, perhaps another deployment in the same address block: set local.addressPrefix to another "127.N".`
            : "";
        throw new Error(`${(err as Error).message}${hint}\n--- ${logFile} ---\n${tail}`);
    }
    return outs;
}

/** HAProxy's `show stat` rows of one backend's servers: name, status, last check. */
export async function haproxyServers(socketPath: string, backend: string): Promise<{ name: string; status: string; check: string }[]> {
    return (await readShowStat(socketPath)).filter((r) => r.backend === backend).map((r) => ({ name: r.server, status: r.status, check: r.check }));
}

async function isReady(p: ProcessOutputs): Promise<boolean> {
    const { statsSocket, backend } = p.readiness;
    if (statsSocket && backend) {
        // HAProxy 2.6 starts servers UP until their first check; wait until every server was
        // checked so no write goes to a replica right after `up`.
        const servers = await haproxyServers(statsSocket, backend);
        if (servers.some((s) => s.check.includes("INI") || s.check === "") || servers.filter((s) => s.status.startsWith("UP")).length !== 1) return false;
    }
    return withClient(localAccess(p), p, p.readiness, async (c) => {
        if ((await c.ping()) !== "PONG") return false;
        // The process answering must be the one just started, not another on the same address.
        if (p.kind !== "haproxy" && (await info(c, "server")).process_id !== String(p.pid)) {
            throw fatal(`${p.name}: ${p.address}:${p.port} is answered by another process; is another deployment using this address block? Set local.addressPrefix.`);
        }
        if (!p.readiness.expectRole) return true;
        return (await info(c, "replication")).role === p.readiness.expectRole;
    });
}

/** SIGTERM (Redis saves and exits), then SIGKILL after 15 s. */
export async function stopProcess(p: Pick<ProcessOutputs, "pid" | "configFile">): Promise<void> {
    if (!isOurProcess(p.pid, p.configFile)) return;
    process.kill(p.pid, "SIGTERM");
    const deadline = Date.now() + 15000;
    while (isOurProcess(p.pid, p.configFile)) {
        if (Date.now() > deadline) {
            process.kill(p.pid, "SIGKILL");
            break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/**
 * Applies a new config to a running process. Redis members take live-settable changes with
 * CONFIG SET; anything else restarts the process. A restarted member keeps its live role: if
 * it replicates someone now, it comes back replicating them, not as an empty master.
 */
/** The `replicaof` line Redis persisted (CONFIG REWRITE) in a member's config file, if any. */
export function persistedReplicaOf(configFile: string): string | undefined {
    const fs = require("fs") as typeof import("fs");
    try {
        return fs.readFileSync(configFile, "utf8").split("\n").filter((l) => /^replicaof\s/.test(l.trim())).pop()?.trim();
    } catch {
        return undefined;
    }
}

/**
 * Starts a member whose process is gone (crash, reboot) with the role it had: a replica comes
 * back replicating the same master. See `emptyMasterGuard` for masters without persistence.
 */
async function restartStopped(olds: ProcessOutputs, news: ProcessInputs): Promise<ProcessOutputs> {
    if (news.kind !== "redis") return startProcess(news);
    let replicaOf = persistedReplicaOf(olds.configFile);
    const peers = news.emptyMasterGuard?.peers ?? news.rejoinLiveMaster?.peers;
    if (!replicaOf && peers) {
        // The live master with the most replicas (two masters only happen in a split brain).
        const admin = { user: ADMIN_USER, password: news.adminPassword };
        let best = -1;
        for (const peer of peers) {
            const role = await withClient(localAccess(news), peer, admin, (c) => info(c, "replication")).catch(() => undefined);
            if (role?.role === "master" && Number(role.connected_slaves ?? 0) > best) {
                best = Number(role.connected_slaves ?? 0);
                replicaOf = `replicaof ${peer.address} ${peer.port}`;
            }
        }
    }
    if (!replicaOf && news.emptyMasterGuard) {
        throw new Error(`${news.name} was the master and has stopped. With persistence off it would come back empty, and its replicas would copy the empty dataset, so it is not restarted. Promote a replica (as ${ADMIN_USER}: REPLICAOF NO ONE on one of ${news.emptyMasterGuard.peers.map((p) => `${p.address}:${p.port}`).join(", ")}) and run up again: ${news.name} then rejoins as its replica.`);
    }
    return startProcess({ ...news, config: replicaOf ? `${news.config}${replicaOf}\n` : news.config });
}

export async function reconfigure(olds: ProcessOutputs, news: ProcessInputs): Promise<ProcessOutputs> {
    const fs = require("fs") as typeof import("fs");
    if (!isOurProcess(olds.pid, olds.configFile)) return restartStopped(olds, news);
    // Password changes are left to the live-credentials resource (and are in the file written below).
    const changed = changedSettings(withoutSecretValues(olds.config), withoutSecretValues(news.config));
    const structural = changedInputs(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, ["__provider", "config", "pid", "configFile", "logFile", "readiness", "adminPassword",
        // Restart policies: they only matter when the process has to be started again.
        "emptyMasterGuard", "rejoinLiveMaster",
        // Renewed certificates: Redis loads new files on CONFIG SET of their paths.
        ...(news.kind === "redis" ? ["tls", "tlsFiles"] : [])]);
    const admin = { user: ADMIN_USER, password: news.adminPassword };
    if (news.kind === "sentinel" && structural.length === 0 && changed.length === 0) {
        // Sentinel owns its file (it rewrites it with what it learns); the live-credentials
        // resource persists the new users there with SENTINEL FLUSHCONFIG.
        return { ...olds, ...news };
    }
    if (news.kind === "redis" && structural.length === 0 && changed.every((k) => LIVE_SETTINGS.includes(k))) {
        const settings = parseConfig(news.config);
        const renewed = JSON.stringify(olds.tlsFiles) !== JSON.stringify(news.tlsFiles);
        if (renewed) writeTlsFiles(news);
        await withClient(localAccess(news), news, admin, async (c) => {
            for (const key of changed) await c.call("CONFIG", "SET", key, settings.get(key) ?? "");
            if (renewed) {
                await c.call("CONFIG", "SET", ...["tls-cert-file", "tls-key-file", "tls-ca-cert-file"].flatMap((k) => [k, settings.get(k) ?? ""]));
            }
        });
        // Keep the role Redis persisted, so a later crash-restart still comes back as a replica.
        const replicaOf = persistedReplicaOf(olds.configFile);
        fs.writeFileSync(olds.configFile, replicaOf ? `${news.config}${replicaOf}\n` : news.config, { mode: 0o600 });
        return { ...olds, ...news };
    }
    let config = news.config;
    if (news.kind === "redis") {
        const replication = await withClient(localAccess(olds), olds, admin, (c) => info(c, "replication")).catch(() => undefined);
        if (replication?.role === "slave") config += `replicaof ${replication.master_host} ${replication.master_port}\n`;
    }
    await stopProcess(olds);
    return startProcess({ ...news, config });
}

export const processProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: ProcessOutputs, news: ProcessInputs) {
        const replaces = ["kind", "name", "address", "port", "dataDir"].filter((k) => (olds as any)[k] !== (news as any)[k]);
        const changed = changedInputs(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, ["__provider", "pid", "configFile", "logFile"]);
        // A process that is gone (crash, reboot) is a change too: update starts it again.
        const gone = !isOurProcess(olds.pid, olds.configFile);
        return { changes: changed.length > 0 || gone, replaces, deleteBeforeReplace: true };
    },
    async create(inputs: ProcessInputs) {
        const outs = await startProcess(inputs);
        return { id: `${inputs.kind}:${inputs.address}:${inputs.port}`, outs };
    },
    async update(_id: string, olds: ProcessOutputs, news: ProcessInputs) {
        return { outs: await reconfigure(olds, news) };
    },
    async delete(_id: string, props: ProcessOutputs) {
        const fs = require("fs") as typeof import("fs");
        await stopProcess(props);
        fs.rmSync(props.dataDir, { recursive: true, force: true });
        // The directories above go with the last member (rmdir refuses while others remain).
        for (const dir of props.emptyParentsToRemove ?? []) {
            try {
                fs.rmdirSync(dir);
            } catch { /* not empty yet, or gone */ }
        }
    },
};

export type LocalProcessArgs = { [K in keyof ProcessInputs]: pulumi.Input<ProcessInputs[K]> };

/** A real redis-server, redis-sentinel or haproxy on this machine. */
export class LocalProcess extends pulumi.dynamic.Resource {
    declare readonly pid: pulumi.Output<number>;
    declare readonly configFile: pulumi.Output<string>;
    constructor(name: string, args: LocalProcessArgs, opts?: pulumi.CustomResourceOptions) {
        super(processProvider, name, { ...args, pid: undefined, configFile: undefined, logFile: undefined },
            { ...opts, additionalSecretOutputs: ["config", "readiness", "adminPassword", "tls", "tlsFiles"] }, "redis-deployment", "LocalProcess");
    }
}

import type { RedisDeploymentArgs } from "./args";
import { ACL_CATEGORIES, REDIS_COMMANDS } from "./config/redisCommands";
import { checkBackupArgs } from "./backup";
import { FieldChecks, RedisDeploymentArgumentError, isPlainObject } from "./fieldChecks";
import { validateLogs } from "./logs";
import { validateMetrics } from "./metrics";
import { MAX_REPLICAS_PER_SHARD } from "./plan";
import { validateTls } from "./tls";
import {
    MAXMEMORY_POLICIES,
    MODES,
    PLACEMENTS,
    PROVIDER_KINDS,
    ROTATION_PHASES,
    type MaxmemoryPolicy,
    type Mode,
    type Placement,
    type ApplicationCommands,
    type ProviderKind,
    type ResolvedArgs,
} from "./types";

export { RedisDeploymentArgumentError, type ArgumentProblem } from "./fieldChecks";

const KNOWN_FIELDS: Record<string, string[]> = {
    "": [
        "provider", "mode", "shards", "replicasPerShard", "sentinels", "zones", "placement",
        "maxmemory", "maxmemoryPolicy", "persistence", "auth", "proxy", "loadBalancer", "deleteDataOnDestroy", "port",
        "sentinelPort", "sentinel", "cluster", "access", "tls", "backup", "import", "metrics", "logs", "local", "aws", "gcp", "azure", "kubernetes",
    ],
    persistence: ["aof", "rdb"],
    auth: ["enabled", "password", "applicationCommands", "disabledCommands", "rotation", "rotateInternal"],
    proxy: ["haproxy", "count"],
    sentinel: ["downAfterMilliseconds", "failoverTimeout", "parallelSyncs"],
    cluster: ["nodeTimeoutMs"],
    access: ["ssh"],
    local: ["addressPrefix", "dataDir", "redisServer", "haproxy", "redisExporter"],
};

const SSH_FIELDS = ["host", "port", "user", "privateKey", "hostKey"];
/** `[host] type base64 [comment]`, a bare base64 key blob, or `SHA256:<base64>`. */
const SSH_HOST_KEY = /^(SHA256:[A-Za-z0-9+/]{43}=?|(\S+\s+)?(ssh-|ecdsa-|sk-)\S+\s+[A-Za-z0-9+/]+={0,2}(\s.*)?|[A-Za-z0-9+/]{40,}={0,2})$/;

const MEMORY_UNITS: Record<string, number> = {
    "": 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3,
};

/** Parses a Redis memory size (`"256mb"`, `"1gb"`, `"1048576"`) into bytes; undefined if malformed. */
export function parseMemory(value: string): number | undefined {
    const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value);
    if (!match) return undefined;
    const unit = MEMORY_UNITS[match[2].toLowerCase()];
    if (unit === undefined) return undefined;
    return Number(match[1]) * unit;
}

const DEFAULT_LOCAL_ZONES = ["a", "b", "c"];
const DEFAULT_LOCAL_MAXMEMORY = "256mb";
const MAX_CLUSTER_NODES = 1000;
/** The most sentinels and HAProxy instances a deployment may have (VM clouds reserve static addresses for them). */
export const MAX_SENTINELS = 9;
export const MAX_PROXIES = 8;
const MIN_PASSWORD_LENGTH = 16;
/** Deployment names become member names, directories, DNS labels and cloud resource names. */
const NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;
const ZONE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Why `entry` is not a command, `command|subcommand` or `@category` of Redis 7.0 (undefined if it
 * is). Checked here because redis-server refuses to start on an ACL rule naming anything else.
 */
export function commandEntryProblem(entry: unknown, categories: boolean): string | undefined {
    if (typeof entry !== "string" || entry === "") return `${JSON.stringify(entry)} is not a command name`;
    const name = entry.toLowerCase();
    if (/^[+-]/.test(name)) return `"${entry}" starts with "${name[0]}"; give the bare name, the list says whether it is allowed or denied`;
    if (name.startsWith("@")) {
        if (!categories) return `"${entry}" is a category; list command names here`;
        return (ACL_CATEGORIES as readonly string[]).includes(name.slice(1)) ? undefined
            : `"${entry}" is not an ACL category of Redis 7.0; known: ${ACL_CATEGORIES.map((c) => `@${c}`).join(", ")}`;
    }
    const [command, sub, ...rest] = name.split("|");
    const subcommands = REDIS_COMMANDS.get(command);
    if (subcommands === undefined) return `"${entry}" is not a Redis 7.0 command`;
    if (rest.length > 0) return `"${entry}" names more than a command and one subcommand`;
    if (sub === undefined) return undefined;
    if (subcommands.length === 0) return `"${entry}": ${command} has no subcommands; give "${command}"`;
    return subcommands.includes(sub) ? undefined : `"${entry}": ${command} has no subcommand "${sub}"; it has ${subcommands.join(", ")}`;
}

/**
 * Checks the arguments and fills in defaults. Throws one RedisDeploymentArgumentError listing
 * every problem, each naming its field and the fix. Pure: Outputs are left alone (a password
 * given as an Output is checked by the password resource when its value is known).
 */
export function validateArgs(name: string, args: RedisDeploymentArgs | undefined): ResolvedArgs {
    const check = new FieldChecks("");
    const problems = check.problems;
    const problem = (field: string, message: string) => check.problem(field, message);
    const a: RedisDeploymentArgs = args ?? {};

    if (!NAME_PATTERN.test(name)) {
        problem("name", `"${name}" must start with a lowercase letter and use only a-z, 0-9 and "-" (at most 40 characters): it names members, directories and cloud resources`);
    }
    if (args !== undefined && !isPlainObject(args)) {
        throw new RedisDeploymentArgumentError(name, [{ field: "args", message: "must be an object" }]);
    }

    for (const [section, known] of Object.entries(KNOWN_FIELDS)) {
        const value = section === "" ? a : (a as Record<string, unknown>)[section];
        if (isPlainObject(value)) check.unknownFields(value, known, section);
    }
    for (const section of ["persistence", "auth", "proxy", "sentinel", "cluster", "access", "local"]) {
        const value = (a as Record<string, unknown>)[section];
        if (value !== undefined && !isPlainObject(value)) problem(section, "must be an object");
    }

    const oneOf = check.oneOf.bind(check);
    const boolean = check.flag.bind(check);
    const integer = (field: string, value: unknown, fallback: number, min: number, max: number, hint = ""): number =>
        check.integer(field, value, min, max, hint) ?? fallback;

    const provider: ProviderKind = oneOf("provider", a.provider, PROVIDER_KINDS, "local");
    const mode: Mode = oneOf("mode", a.mode, MODES, "replication");
    const placement: Placement = oneOf("placement", a.placement, PLACEMENTS, "spread");
    const maxmemoryPolicy: MaxmemoryPolicy = oneOf("maxmemoryPolicy", a.maxmemoryPolicy, MAXMEMORY_POLICIES, "noeviction");

    // Topology sizes.
    let shards = 1;
    if (mode === "cluster") {
        shards = integer("shards", a.shards, 3, 3, MAX_CLUSTER_NODES, " (a Redis cluster needs at least 3 masters to elect replacements)");
    } else if (a.shards !== undefined && a.shards !== 1) {
        problem("shards", `only cluster mode has shards; remove it or set mode: "cluster"`);
    }
    const replicasPerShard = integer(
        "replicasPerShard", a.replicasPerShard, mode === "standalone" ? 0 : 1,
        mode === "standalone" ? 0 : mode === "sentinel" ? 1 : 0, mode === "standalone" ? 0 : MAX_REPLICAS_PER_SHARD,
        mode === "standalone" ? ` (standalone has no replicas; use mode: "replication")`
            : mode === "sentinel" ? " (sentinel mode needs at least one replica to fail over to)" : "",
    );
    let sentinels = 0;
    if (mode === "sentinel") {
        sentinels = integer("sentinels", a.sentinels, 3, 3, MAX_SENTINELS, " (a majority of at least 3 sentinels must agree on a failover)");
        if (sentinels % 2 === 0) problem("sentinels", `must be odd so a majority always exists, got ${sentinels}; use ${sentinels + 1}`);
    } else if (a.sentinels !== undefined) {
        problem("sentinels", `only sentinel mode has sentinels; remove it or set mode: "sentinel"`);
    }
    if (shards * (1 + replicasPerShard) > MAX_CLUSTER_NODES) {
        problem("shards", `${shards} shards x ${1 + replicasPerShard} members exceeds ${MAX_CLUSTER_NODES} nodes, the most a Redis cluster supports`);
    }

    // Zones.
    let zones = DEFAULT_LOCAL_ZONES;
    if (a.zones !== undefined) {
        if (!Array.isArray(a.zones)) {
            problem("zones", "must be a list of zone names");
        } else if (a.zones.length === 0) {
            problem("zones", "must name at least one zone; leave it out for the provider's default");
        } else {
            a.zones.forEach((z, i) => {
                if (typeof z !== "string" || !ZONE_PATTERN.test(z)) problem(`zones[${i}]`, `${JSON.stringify(z)} is not a valid zone name`);
            });
            const duplicate = a.zones.find((z, i) => a.zones!.indexOf(z) !== i);
            if (duplicate !== undefined) problem("zones", `"${duplicate}" is listed twice`);
            zones = a.zones;
        }
    } else if (provider !== "local" && provider !== "kubernetes") {
        problem("zones", `the ${provider} provider needs the zones to place members in, e.g. zones: ["us-east-1a", "us-east-1b", "us-east-1c"]`);
    }
    if (placement === "colocate-masters" && mode !== "standalone" && zones.length < 2) {
        problem("placement", `"colocate-masters" puts replicas outside the masters' zone and needs at least 2 zones`);
    }

    // Memory.
    let maxmemoryBytes = parseMemory(DEFAULT_LOCAL_MAXMEMORY)!;
    if (a.maxmemory !== undefined) {
        const parsed = typeof a.maxmemory === "string" ? parseMemory(a.maxmemory) : undefined;
        if (parsed === undefined) problem("maxmemory", `${JSON.stringify(a.maxmemory)} is not a size; write it like "256mb" or "2gb"`);
        else if (parsed < 1024 ** 2) problem("maxmemory", `${a.maxmemory} is below 1mb; Redis needs room for its own structures`);
        else maxmemoryBytes = parsed;
    } else if (provider !== "local") {
        problem("maxmemory", `is required on ${provider}: it sizes the machines (memory >= 2.5 x maxmemory) and disks; e.g. maxmemory: "2gb"`);
    }

    const persistence = {
        aof: boolean("persistence.aof", a.persistence?.aof, true),
        rdb: boolean("persistence.rdb", a.persistence?.rdb, true),
    };

    // Auth.
    const authEnabled = boolean("auth.enabled", a.auth?.enabled, true);
    const password = a.auth?.password;
    if (password !== undefined) {
        if (!authEnabled) problem("auth.password", "is set while auth.enabled is false; remove one of them");
        if (typeof password === "string" && password.length < MIN_PASSWORD_LENGTH) {
            problem("auth.password", `must be at least ${MIN_PASSWORD_LENGTH} characters, got ${password.length}; leave it out to have one generated`);
        } else if (typeof password === "string" && /[\s"'\\]/.test(password)) {
            problem("auth.password", "must not contain whitespace, quotes or backslashes (they break Redis and HAProxy configuration)");
        } else if (password !== null && typeof password !== "string" && typeof password !== "object") {
            problem("auth.password", "must be a string or a secret Output");
        }
    }
    let disabledCommands = ["flushall", "flushdb", "shutdown", "debug"];
    if (a.auth?.disabledCommands !== undefined) {
        if (!Array.isArray(a.auth.disabledCommands)) problem("auth.disabledCommands", "must be a list of command names");
        else {
            a.auth.disabledCommands.forEach((c, i) => {
                const why = commandEntryProblem(c, false);
                if (why) problem(`auth.disabledCommands[${i}]`, why);
            });
            disabledCommands = a.auth.disabledCommands.map((c) => String(c).toLowerCase());
        }
    }
    const applicationCommands: ApplicationCommands = { allow: [], deny: [] };
    const commandsArg = a.auth?.applicationCommands as unknown;
    if (commandsArg !== undefined) {
        if (!isPlainObject(commandsArg)) problem("auth.applicationCommands", "must be an object: { allow?: [...], deny?: [...] }");
        else {
            for (const key of Object.keys(commandsArg)) {
                if (commandsArg[key] !== undefined && key !== "allow" && key !== "deny") problem(`auth.applicationCommands.${key}`, "unknown field; known fields: allow, deny");
            }
            for (const list of ["allow", "deny"] as const) {
                const value = commandsArg[list];
                if (value === undefined) continue;
                const field = `auth.applicationCommands.${list}`;
                if (!Array.isArray(value)) {
                    problem(field, `must be a list of command names, "command|subcommand" or "@category", e.g. ["keys", "client|list", "@dangerous"]`);
                    continue;
                }
                value.forEach((c: unknown, i) => {
                    const why = commandEntryProblem(c, true);
                    if (why) problem(`${field}[${i}]`, why);
                    else applicationCommands[list].push(String(c).toLowerCase());
                });
            }
            const both = applicationCommands.allow.find((c) => applicationCommands.deny.includes(c));
            if (both !== undefined) problem("auth.applicationCommands", `"${both}" is both allowed and denied; remove it from one list`);
        }
    }

    const { rotation, rotateInternal } = rotationArgs(a.auth, check);

    // Proxies and load balancer.
    const proxyWanted = a.proxy?.haproxy;
    const proxyModes = mode === "replication" || mode === "sentinel";
    const haproxy = boolean("proxy.haproxy", proxyWanted, proxyModes);
    if (haproxy && !proxyModes) {
        problem("proxy.haproxy", mode === "cluster"
            ? "cluster clients connect to the nodes themselves (redis.clusterNodes); remove proxy.haproxy"
            : "a standalone server has no master to detect; remove proxy.haproxy or use mode: \"replication\"");
    }
    const proxyCount = integer("proxy.count", a.proxy?.count, 2, 1, MAX_PROXIES);
    // Local proxies restart with the new check password, Kubernetes rolls the HAProxy pods; a VM's
    // HAProxy reads it only at boot.
    if (rotateInternal > 0 && haproxy && provider !== "local" && provider !== "kubernetes") {
        problem("auth.rotateInternal", `HAProxy on ${provider} VMs reads its check password (rd-monitor) only at boot, so rotating it would take the proxies' servers down in phase 2; set proxy.haproxy: false to rotate the internal passwords, or leave auth.rotateInternal out`);
    }
    const loadBalancer = boolean("loadBalancer", a.loadBalancer, false);
    const deleteDataOnDestroy = boolean("deleteDataOnDestroy", a.deleteDataOnDestroy, false);
    if (loadBalancer && provider === "local") {
        problem("loadBalancer", "the local provider has no load balancer; clients use the HAProxy endpoint. Remove loadBalancer or pick a cloud provider");
    }

    if (loadBalancer && mode === "cluster") {
        problem("loadBalancer", "cluster clients must reach every node themselves (redis.clusterNodes); a load balancer in front would send them to the wrong shard. Remove loadBalancer");
    }

    const port = integer("port", a.port, 6379, 1024, 55535, " (the cluster bus uses port + 10000)");
    const sentinelPort = integer("sentinelPort", a.sentinelPort, 26379, 1024, 65535);
    if (mode === "sentinel" && sentinelPort === port) problem("sentinelPort", `must differ from port (${port})`);
    // Sentinel timing, tuned from `npm run bench` / `npm run test:reliability` (kill -9 of the
    // master, writes through HAProxy, 2 cores): a write succeeds again ~0.35 s after the master
    // is declared down plus HAProxy's ~0.5 s to see the promoted replica (plus up to 1 s until
    // Sentinel re-points the other replica, which min-replicas-to-write waits for). So
    // down-after 1000 -> ~1.9-2.3 s; 1500 -> ~2.8 s; the old 5000 -> ~6.9 s; stock 30000 -> ~32 s.
    // 1000 ms is one unanswered Sentinel PING (they ping every second) and a quorum must agree,
    // so one slow sentinel cannot cause a failover; a master that stalls for a second is an
    // outage for its clients already. failover-timeout bounds how long a stuck or aborted
    // failover blocks the next try (2x) and how long replicas get to re-sync before being forced;
    // the stock 180 s (our old 60 s) meant minutes without a master after one aborted attempt.
    const sentinel = {
        downAfterMilliseconds: integer("sentinel.downAfterMilliseconds", a.sentinel?.downAfterMilliseconds, 1000, 100, 600000),
        failoverTimeout: integer("sentinel.failoverTimeout", a.sentinel?.failoverTimeout, 10000, 1000, 3600000),
        parallelSyncs: integer("sentinel.parallelSyncs", a.sentinel?.parallelSyncs, 1, 1, 10),
    };
    // Why 1500: see the cluster section of components/config/redisConf.ts. Below 500 ms a GC
    // pause or a busy host triggers failovers; above a minute a dead master is an outage.
    const cluster = {
        nodeTimeoutMs: integer("cluster.nodeTimeoutMs", a.cluster?.nodeTimeoutMs, 1500, 500, 60000),
    };

    const ssh = a.access?.ssh;
    if (ssh !== undefined) {
        if (!isPlainObject(ssh)) problem("access.ssh", "must be an object with host, user and privateKey");
        else {
            if (typeof ssh.host !== "string" || ssh.host === "") problem("access.ssh.host", "is required: the bastion's address");
            if (typeof ssh.user !== "string" || ssh.user === "") problem("access.ssh.user", "is required: the user to log in as");
            if (ssh.privateKey === undefined) problem("access.ssh.privateKey", "is required (a secret)");
            integer("access.ssh.port", ssh.port, 22, 1, 65535);
            const hostKey = ssh.hostKey;
            if (hostKey !== undefined && (typeof hostKey !== "string" || !SSH_HOST_KEY.test(hostKey.trim()))) {
                problem("access.ssh.hostKey", "must be the bastion's OpenSSH public key (\"ssh-ed25519 AAAA...\", as ssh-keyscan prints it) or its SHA256 fingerprint (\"SHA256:...\", as ssh-keygen -lf prints it)");
            }
            for (const key of Object.keys(ssh)) {
                if ((ssh as Record<string, unknown>)[key] !== undefined && !SSH_FIELDS.includes(key)) problem(`access.ssh.${key}`, `unknown field; known fields: ${SSH_FIELDS.join(", ")}`);
            }
        }
        if (provider === "kubernetes") problem("access.ssh", "is not used by the kubernetes provider: the bootstrap reaches pods through the API server");
    }

    // A provider's own section under another provider is almost always a mistake in `provider`.
    for (const kind of PROVIDER_KINDS) {
        if (kind !== provider && (a as Record<string, unknown>)[kind] !== undefined) {
            problem(kind, `is only read by the ${kind} provider; this deployment uses "${provider}" (set provider: "${kind}" or remove ${kind})`);
        }
    }
    if (a.local !== undefined && isPlainObject(a.local)) {
        const prefix = a.local.addressPrefix;
        if (prefix !== undefined) {
            const m = typeof prefix === "string" ? /^127\.(\d{1,3})$/.exec(prefix) : null;
            if (!m || Number(m[1]) < 1 || Number(m[1]) > 254) {
                problem("local.addressPrefix", `${JSON.stringify(prefix)} must look like "127.N" with N from 1 to 254 (127.0.x is left to the host)`);
            }
        }
        for (const key of ["dataDir", "redisServer", "haproxy", "redisExporter"] as const) {
            const value = a.local[key];
            if (value !== undefined && (typeof value !== "string" || value === "")) problem(`local.${key}`, "must be a non-empty path");
        }
    }

    const data = checkBackupArgs(check, a.backup, a.import, mode, provider);
    const tls = validateTls(check, a.tls, provider, haproxy);
    const metrics = validateMetrics(check, a, provider, { port, sentinelPort, mode });
    const logs = validateLogs(check, a, provider);

    if (problems.length > 0) throw new RedisDeploymentArgumentError(name, problems);

    return {
        ...data,
        name, provider, mode, shards, replicasPerShard, sentinels, zones, placement, maxmemoryBytes,
        maxmemoryPolicy, persistence, authEnabled, applicationCommands, disabledCommands, rotation, rotateInternal, haproxy, proxyCount, loadBalancer,
        deleteDataOnDestroy, port, sentinelPort, sentinel, cluster, tls, metrics, logs,
    };
}

/**
 * auth.rotation and auth.rotateInternal (defaults "rotate" and 0). Whether a rotation is in
 * progress is known only from the deployment's state: the password resource checks that at
 * preview (bootstrap/password.ts, rotationProblem).
 */
function rotationArgs(auth: RedisDeploymentArgs["auth"], check: FieldChecks): Pick<ResolvedArgs, "rotation" | "rotateInternal"> {
    let rotation: ResolvedArgs["rotation"] = "rotate";
    const phase = auth?.rotation as unknown;
    if (phase !== undefined) {
        if (typeof phase === "string" && (ROTATION_PHASES as readonly string[]).includes(phase)) rotation = phase as ResolvedArgs["rotation"];
        else check.problem("auth.rotation", `${JSON.stringify(phase)} is not one of: ${ROTATION_PHASES.join(", ")} ("rotate" makes a new password valid next to the old one, a later "set" retires the old one)`);
    }
    let rotateInternal = 0;
    const counter = auth?.rotateInternal as unknown;
    if (counter !== undefined) {
        if (typeof counter === "number" && Number.isInteger(counter) && counter >= 0) rotateInternal = counter;
        else check.problem("auth.rotateInternal", `must be a whole number >= 0 (a counter: raise it by one to rotate the internal passwords), got ${JSON.stringify(counter)}`);
    }
    return { rotation, rotateInternal };
}

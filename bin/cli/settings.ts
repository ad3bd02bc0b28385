// Deployment settings: flags <-> stack config <-> RedisDeploymentArgs, and the inline program
// every stack runs (one RedisDeployment shaped by the stack's config).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { RedisDeployment, RedisDeploymentArgumentError, validateArgs, type RedisDeploymentArgs } from "../../components";
import { CLIENT_AUTH_MODES } from "../../components/tls";
import { MAXMEMORY_POLICIES, MODES, PLACEMENTS, PROVIDER_KINDS, ROTATION_PHASES, type RotationPhase } from "../../components/types";
import { CliError } from "./errors";

/** Pulumi project of every stack this CLI manages. */
export const PROJECT = "redis-deployment";
/** Name of the RedisDeployment inside each stack: members are `redis-s<shard>-m<i>`. */
export const DEPLOYMENT_NAME = "redis";

/** Outputs of the inline program (the component's outputs under the same names). */
import { OUTPUT_NAMES } from "../../components/redisDeployment";
export { OUTPUT_NAMES };

/**
 * The component arguments this CLI sets, as they are stored in stack config (all strings).
 * Keys are the component's field names (`local.addressPrefix` and `local.dataDir` flattened).
 */
export interface DeploymentSettings {
    provider?: string;
    mode?: string;
    shards?: string;
    replicasPerShard?: string;
    sentinels?: string;
    maxmemory?: string;
    maxmemoryPolicy?: string;
    placement?: string;
    /** Comma-separated. */
    zones?: string;
    addressPrefix?: string;
    dataDir?: string;
    /** "on" | "off". */
    metrics?: string;
    tls?: string;
    /** `--tls-client-auth`: "none" | "optional" | "required" (tls.clientAuth). */
    tlsClientAuth?: string;
    /** The application password (`--password-file`), stored as secret stack config. */
    password?: string;
    /** `--rotation`: "rotate" (phase 1) or "set" (phase 2). */
    rotation?: string;
    /** `--rotate-internal`: the internal-password rotation counter. */
    rotateInternal?: string;
    /** Where `backup` puts sets (a URI; local default `file://<state-dir>/backups/<stack>/redis`). */
    backupTarget?: string;
    /** An S3-compatible store's endpoint for s3:// URIs. */
    backupEndpoint?: string;
    backupKeepDays?: string;
    backupKeepCount?: string;
    /** A backup set restored when the deployment is created (once). */
    restoreFrom?: string;
    /** Comma-separated RDB URIs imported when the deployment is created (once). */
    importRdb?: string;
}

export type SettingKey = keyof DeploymentSettings;

export interface FlagSpec {
    flag: string;
    key: SettingKey;
    /** `file`: the flag names a file whose contents (without a trailing newline) are the value. */
    kind: "string" | "integer" | "list" | "file";
    help: string;
}

/** The deployment flags (of the commands whose descriptor has `deploymentFlags`). */
export const SETTING_FLAGS: FlagSpec[] = [
    { flag: "provider", key: "provider", kind: "string", help: `where Redis runs: ${PROVIDER_KINDS.join(" | ")} (only local in this version; default local)` },
    { flag: "mode", key: "mode", kind: "string", help: `${MODES.join(" | ")} (default replication)` },
    { flag: "shards", key: "shards", kind: "integer", help: "cluster mode: number of shards, at least 3 (default 3)" },
    { flag: "replicas-per-shard", key: "replicasPerShard", kind: "integer", help: "replicas of each master (default 1; 0 in standalone)" },
    { flag: "sentinels", key: "sentinels", kind: "integer", help: "sentinel mode: odd, at least 3 (default 3)" },
    { flag: "maxmemory", key: "maxmemory", kind: "string", help: "memory limit per member, e.g. 256mb, 1gb (default 256mb locally)" },
    { flag: "maxmemory-policy", key: "maxmemoryPolicy", kind: "string", help: `eviction policy (default noeviction)` },
    { flag: "placement", key: "placement", kind: "string", help: `${PLACEMENTS.join(" | ")} (default spread)` },
    { flag: "zones", key: "zones", kind: "list", help: "placement targets, comma-separated, e.g. a,b,c (default a,b,c locally)" },
    { flag: "metrics", key: "metrics", kind: "string", help: "on | off: a Prometheus exporter per member and sentinel, HAProxy's stats page; targets in the metricsTargets output (default off)" },
    { flag: "tls", key: "tls", kind: "string", help: "on | off: TLS on every link, with generated certificates (default off; not switched on a running deployment)" },
    { flag: "tls-client-auth", key: "tlsClientAuth", kind: "string", help: `with --tls on: ${CLIENT_AUTH_MODES.join(" | ")}, whether clients must present a certificate issued by the deployment's CA (default none)` },
    { flag: "address-prefix", key: "addressPrefix", kind: "string", help: "local: the 127.N block of the addresses, e.g. 127.42 (default derived from the stack)" },
    { flag: "data-dir", key: "dataDir", kind: "string", help: "local: root of the members' data directories (default <state-dir>/data/<project>-<stack>)" },
    { flag: "password-file", key: "password", kind: "file", help: "the application password, read from a file (default generated); a new one starts a rotation: old and new both valid" },
    { flag: "rotation", key: "rotation", kind: "string", help: `password rotation phase: ${ROTATION_PHASES.join(" | ")} ("set" retires the old password; default rotate)` },
    { flag: "rotate-internal", key: "rotateInternal", kind: "integer", help: "rotation counter of the internal passwords (rd-admin, rd-monitor): raise it to rotate them" },
    { flag: "backup-target", key: "backupTarget", kind: "string", help: "where `backup` puts sets: s3://, gs://, azblob://, file:// (default file://<state-dir>/backups/<stack>/redis)" },
    { flag: "backup-endpoint", key: "backupEndpoint", kind: "string", help: "an S3-compatible store's URL for s3:// targets" },
    { flag: "backup-keep-days", key: "backupKeepDays", kind: "integer", help: "retention: delete sets older than this many days (default 7)" },
    { flag: "backup-keep-count", key: "backupKeepCount", kind: "integer", help: "retention: keep at most this many sets" },
    { flag: "restore-from", key: "restoreFrom", kind: "string", help: "a backup set URI to restore when the stack's deployment is created (once; same shard count and slots)" },
    { flag: "import", key: "importRdb", kind: "list", help: "RDB file URIs, comma-separated, loaded when the deployment is created (any mode and size)" },
];

/** Settings stored as secret stack config. */
export const SECRET_SETTINGS: SettingKey[] = ["password"];

/** Keys that only make sense for some modes: dropped from config when `--mode` changes unless given again. */
const MODE_SPECIFIC: SettingKey[] = ["shards", "replicasPerShard", "sentinels"];
/** Keys read only by the local provider. */
const LOCAL_KEYS: SettingKey[] = ["addressPrefix", "dataDir"];

/**
 * The deployment flags given on a command line (parseArgs values), checked for shape: whole
 * numbers, non-empty lists and values. The enumerations are checked by checkSettingFlags.
 */
export function parseSettingFlags(values: Record<string, string | boolean | undefined>): DeploymentSettings {
    const settings: DeploymentSettings = {};
    for (const f of SETTING_FLAGS) {
        const raw = values[f.flag];
        if (raw === undefined) continue;
        if (f.kind === "file") {
            settings[f.key] = readValueFile(f.flag, String(raw));
            continue;
        }
        const value = String(raw).trim();
        if (f.kind === "integer" && !/^\d+$/.test(value)) throw new CliError(`--${f.flag}: expected a whole number, got "${raw}"`);
        if (f.kind === "list" && value.split(",").some((z) => z.trim() === "")) throw new CliError(`--${f.flag}: expected a comma-separated list like a,b,c, got "${raw}"`);
        if (value === "") throw new CliError(`--${f.flag}: needs a value`);
        settings[f.key] = f.kind === "integer" ? String(Number(value)) : value;
    }
    return settings;
}

/** A `file` flag's value: the file's text without its trailing newline. */
function readValueFile(flag: string, file: string): string {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new CliError(`--${flag}: can not read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const value = text.replace(/\r?\n$/, "");
    if (value === "") throw new CliError(`--${flag}: ${file} is empty`);
    return value;
}

/** Resolves `--data-dir` against the working directory and checks the enumerations (in place). */
export function checkSettingFlags(settings: DeploymentSettings): void {
    if (settings.dataDir !== undefined) settings.dataDir = path.resolve(settings.dataDir);
    // Enumerations are checked by the component's validation, with its messages; these are
    // cheap early checks with the flag name in them.
    const enums: [string, string | undefined, readonly string[]][] = [
        ["provider", settings.provider, PROVIDER_KINDS], ["mode", settings.mode, MODES],
        ["placement", settings.placement, PLACEMENTS], ["maxmemory-policy", settings.maxmemoryPolicy, MAXMEMORY_POLICIES],
        ["metrics", settings.metrics, ["on", "off"]],
        ["tls", settings.tls, ["on", "off"]],
        ["tls-client-auth", settings.tlsClientAuth, CLIENT_AUTH_MODES],
        ["rotation", settings.rotation, ROTATION_PHASES],
    ];
    for (const [flag, value, allowed] of enums) {
        if (value !== undefined && !allowed.includes(value)) throw new CliError(`--${flag}: "${value}" is not one of: ${allowed.join(", ")}`);
    }
}

/** The component arguments for stored settings. */
export function toDeploymentArgs(s: DeploymentSettings): RedisDeploymentArgs {
    const args: Record<string, unknown> = {};
    const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const set = (key: string, value: unknown) => {
        if (value !== undefined) args[key] = value;
    };
    set("provider", s.provider);
    set("mode", s.mode);
    set("shards", int(s.shards));
    set("replicasPerShard", int(s.replicasPerShard));
    set("sentinels", int(s.sentinels));
    set("maxmemory", s.maxmemory);
    set("maxmemoryPolicy", s.maxmemoryPolicy);
    set("placement", s.placement);
    set("zones", s.zones === undefined ? undefined : s.zones.split(",").map((z) => z.trim()));
    set("metrics", s.metrics === undefined ? undefined : { enabled: s.metrics === "on" });
    // --tls-client-auth without --tls on reaches the component's check (tls.enabled is not true while tls.clientAuth is set).
    if (s.tls === "on" || s.tlsClientAuth !== undefined) args.tls = { enabled: s.tls === "on", ...(s.tlsClientAuth !== undefined ? { clientAuth: s.tlsClientAuth } : {}) };
    if (s.password !== undefined || s.rotation !== undefined || s.rotateInternal !== undefined) {
        const auth: Record<string, unknown> = {};
        if (s.password !== undefined) auth.password = s.password;
        if (s.rotation !== undefined) auth.rotation = s.rotation as RotationPhase;
        if (s.rotateInternal !== undefined) auth.rotateInternal = Number(s.rotateInternal);
        args.auth = auth;
    }
    if (s.addressPrefix !== undefined || s.dataDir !== undefined) {
        const local: Record<string, string> = {};
        if (s.addressPrefix !== undefined) local.addressPrefix = s.addressPrefix;
        if (s.dataDir !== undefined) local.dataDir = s.dataDir;
        args.local = local;
    }
    const keep = { ...(s.backupKeepDays !== undefined ? { days: Number(s.backupKeepDays) } : {}), ...(s.backupKeepCount !== undefined ? { count: Number(s.backupKeepCount) } : {}) };
    if (s.backupTarget !== undefined || s.backupEndpoint !== undefined || Object.keys(keep).length > 0 || s.restoreFrom !== undefined) {
        args.backup = {
            ...(s.backupTarget !== undefined ? { target: s.backupTarget } : {}),
            ...(s.backupEndpoint !== undefined ? { endpoint: s.backupEndpoint } : {}),
            ...(Object.keys(keep).length > 0 ? { retention: keep } : {}),
            ...(s.restoreFrom !== undefined ? { from: s.restoreFrom } : {}),
        };
    }
    if (s.importRdb !== undefined) {
        args.import = { rdb: s.importRdb.split(",").map((u) => u.trim()), ...(s.backupEndpoint !== undefined ? { endpoint: s.backupEndpoint } : {}) };
    }
    return args as RedisDeploymentArgs;
}

/** Stored settings + the flags of this invocation (flags win; a mode change drops the old mode's sizes). */
export function mergeSettings(stored: DeploymentSettings, flags: DeploymentSettings): DeploymentSettings {
    const merged: DeploymentSettings = { ...stored };
    if (flags.mode !== undefined && flags.mode !== (stored.mode ?? "replication")) {
        for (const key of MODE_SPECIFIC) delete merged[key];
    }
    if (flags.provider !== undefined && flags.provider !== "local") {
        for (const key of LOCAL_KEYS) delete merged[key];
    }
    if (flags.password !== undefined && flags.password === stored.password) {
        throw new CliError("--password-file: the new password equals the current one; write a new password to the file to rotate it");
    }
    // A new password (or internal rotation) starts phase 1 unless --rotation says otherwise.
    const rotating = (flags.password !== undefined && flags.password !== stored.password)
        || (flags.rotateInternal !== undefined && flags.rotateInternal !== (stored.rotateInternal ?? "0"));
    if (rotating && flags.rotation === undefined) delete merged.rotation;
    for (const [key, value] of Object.entries(flags) as [SettingKey, string | undefined][]) {
        if (value !== undefined) merged[key] = value;
    }
    return merged;
}

/** Throws the component's own validation message (one error listing every problem) for bad settings. */
export function validateSettings(settings: DeploymentSettings): void {
    try {
        validateArgs(DEPLOYMENT_NAME, toDeploymentArgs(settings));
    } catch (err) {
        if (err instanceof RedisDeploymentArgumentError) throw new CliError(err.message);
        throw err;
    }
}

/** The settings stored in a stack's config. */
export function settingsFromConfig(config: ConfigMap): DeploymentSettings {
    const settings: DeploymentSettings = {};
    for (const { key } of SETTING_FLAGS) {
        const entry = config[`${PROJECT}:${key}`];
        if (entry !== undefined) settings[key] = entry.value;
    }
    return settings;
}

/** The Pulumi program every stack runs: one RedisDeployment shaped by the stack's config. */
export async function deploymentProgram(): Promise<Record<string, pulumi.Output<unknown>>> {
    const config = new pulumi.Config();
    const settings: DeploymentSettings = {};
    for (const { key } of SETTING_FLAGS) {
        if (SECRET_SETTINGS.includes(key)) continue;
        const value = config.get(key);
        if (value !== undefined) settings[key] = value;
    }
    const args = toDeploymentArgs(settings);
    const password = config.getSecret("password");
    if (password !== undefined) args.auth = { ...args.auth, password };
    const redis = new RedisDeployment(DEPLOYMENT_NAME, args);
    // Outputs a topology does not have (no proxies: no read endpoint; not sentinel: no master
    // name) are left out rather than exported as undefined (which the engine warns about).
    const absent = new Set<string>();
    if (redis.plan.proxies.length === 0) absent.add("readEndpoint");
    if (redis.plan.args.mode !== "sentinel") absent.add("masterName");
    if (!redis.plan.args.metrics.enabled) absent.add("metricsTargets");
    return Object.fromEntries(OUTPUT_NAMES.filter((name) => !absent.has(name)).map((name) => [name, redis[name] as pulumi.Output<unknown>]));
}

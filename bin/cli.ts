// The `redis-deployment` CLI: a Pulumi Automation API program with an inline program that
// constructs one RedisDeployment per stack, and a local file backend in a state directory.
//
//   redis-deployment up|preview|outputs|destroy|list [flags]     (redis-deployment --help)
//
// State directory (default ~/.redis-deployment, --state-dir or REDIS_DEPLOYMENT_HOME to change),
// laid out as follows:
//   state/         Pulumi file backend (checkpoints; secrets in it are encrypted)
//   passphrase     generated passphrase (mode 0600) unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set
//   pulumi-home/   PULUMI_HOME (plugins, credentials, logs)
//   workspace/     Pulumi.yaml and Pulumi.<stack>.yaml: each stack's arguments as stack config
//   data/<project>-<stack>/   the members' data directories (local provider)
//
// The arguments a stack was deployed with are stored as its stack config, so `outputs`,
// `destroy` and a later `up` without flags use them again; flags given to `up` change them.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import {
    CommandError,
    LocalWorkspace,
    PulumiCommand,
    Stack,
    StackNotFoundError,
    type ConfigMap,
    type DestroyResult,
    type OutputMap,
    type PreviewResult,
    type UpResult,
    type Workspace,
} from "@pulumi/pulumi/automation";
import { RedisDeployment, RedisDeploymentArgumentError, validateArgs, type RedisDeploymentArgs } from "../components";
import { MAXMEMORY_POLICIES, MODES, PLACEMENTS, PROVIDER_KINDS } from "../components/types";
import { defaultAddressPrefix } from "../providers/local";

/** Pulumi project of every stack this CLI manages. */
export const PROJECT = "redis-deployment";
/** Name of the RedisDeployment inside each stack: members are `redis-s<shard>-m<i>`. */
export const DEPLOYMENT_NAME = "redis";
export const DEFAULT_STACK = "dev";
export const COMMANDS = ["up", "preview", "outputs", "destroy", "list"] as const;
export type Command = (typeof COMMANDS)[number];

/** Outputs of the inline program (the component's outputs under the same names). */
export const OUTPUT_NAMES = [
    "endpoint", "readEndpoint", "sentinelAddresses", "masterName", "clusterNodes", "members",
    "proxyAddresses", "password", "connectionUrl", "diagram",
] as const;

/** A mistake of the user's (bad flag, bad argument, missing stack): printed alone, exit code 1. */
export class CliError extends Error {
    constructor(message: string, readonly exitCode = 1) {
        super(message);
        this.name = "CliError";
    }
}

// ---------------------------------------------------------------------------------------------
// Deployment settings: flags <-> stack config <-> RedisDeploymentArgs

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
}

type SettingKey = keyof DeploymentSettings;

interface FlagSpec {
    flag: string;
    key: SettingKey;
    kind: "string" | "integer" | "list";
    help: string;
}

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
    { flag: "address-prefix", key: "addressPrefix", kind: "string", help: "local: the 127.N block of the addresses, e.g. 127.42 (default derived from the stack)" },
    { flag: "data-dir", key: "dataDir", kind: "string", help: "local: root of the members' data directories (default <state-dir>/data/<project>-<stack>)" },
];

/** Keys that only make sense for some modes: dropped from config when `--mode` changes unless given again. */
const MODE_SPECIFIC: SettingKey[] = ["shards", "replicasPerShard", "sentinels"];
/** Keys read only by the local provider. */
const LOCAL_KEYS: SettingKey[] = ["addressPrefix", "dataDir"];

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
    if (s.addressPrefix !== undefined || s.dataDir !== undefined) {
        const local: Record<string, string> = {};
        if (s.addressPrefix !== undefined) local.addressPrefix = s.addressPrefix;
        if (s.dataDir !== undefined) local.dataDir = s.dataDir;
        args.local = local;
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

function settingsFromConfig(config: ConfigMap): DeploymentSettings {
    const settings: DeploymentSettings = {};
    for (const { key } of SETTING_FLAGS) {
        const entry = config[`${PROJECT}:${key}`];
        if (entry !== undefined) settings[key] = entry.value;
    }
    return settings;
}

// ---------------------------------------------------------------------------------------------
// The inline program

/** The Pulumi program every stack runs: one RedisDeployment shaped by the stack's config. */
export async function deploymentProgram(): Promise<Record<string, pulumi.Output<unknown>>> {
    const config = new pulumi.Config();
    const settings: DeploymentSettings = {};
    for (const { key } of SETTING_FLAGS) {
        const value = config.get(key);
        if (value !== undefined) settings[key] = value;
    }
    const redis = new RedisDeployment(DEPLOYMENT_NAME, toDeploymentArgs(settings));
    // Outputs a topology does not have (no proxies: no read endpoint; not sentinel: no master
    // name) are left out rather than exported as undefined (which the engine warns about).
    const absent = new Set<string>();
    if (redis.plan.proxies.length === 0) absent.add("readEndpoint");
    if (redis.plan.args.mode !== "sentinel") absent.add("masterName");
    return Object.fromEntries(OUTPUT_NAMES.filter((name) => !absent.has(name)).map((name) => [name, redis[name] as pulumi.Output<unknown>]));
}

// ---------------------------------------------------------------------------------------------
// Environment: state directory, passphrase, Pulumi CLI

export interface Io {
    /** Engine progress and messages. */
    stderr: (text: string) => void;
    /** Results: the endpoint table or JSON. */
    stdout: (text: string) => void;
}

export const processIo: Io = {
    stderr: (text) => process.stderr.write(text),
    stdout: (text) => process.stdout.write(text),
};

export const silentIo: Io = { stderr: () => undefined, stdout: () => undefined };

export function defaultStateDir(): string {
    return process.env.REDIS_DEPLOYMENT_HOME || path.join(os.homedir(), ".redis-deployment");
}

/** The package root: the nearest folder above this file with the package's package.json (works from bin/ and dist/bin/). */
export function packageRoot(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        try {
            const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            if (pkg.name === "redis-deployment") return dir;
        } catch { /* keep looking */ }
        if (path.dirname(dir) === dir) throw new Error(`redis-deployment: package.json not found above ${__dirname}`);
    }
}

/**
 * A directory with `pulumi` and `pulumi-language-nodejs`: bin/setup-pulumi finds a suitable CLI
 * on PATH or builds v3.248.0 into the package's .tools/ (minutes the first time, then instant).
 */
let pulumiDir: string | undefined;
export function ensurePulumi(io: Io = processIo): string {
    if (pulumiDir) return pulumiDir;
    const script = path.join(packageRoot(), "bin", "setup-pulumi");
    if (!fs.existsSync(script)) {
        throw new CliError(`the Pulumi CLI setup script ${script} is missing; reinstall the package`);
    }
    const result = spawnSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (result.stderr) io.stderr(result.stderr);
    const dir = result.stdout?.trim().split("\n").pop();
    if (result.status !== 0 || !dir) {
        throw new CliError(`could not set up the Pulumi CLI (bin/setup-pulumi exited with ${result.status ?? result.signal})`);
    }
    pulumiDir = dir;
    return dir;
}

/** Creates the state directory (0700) and returns the environment every Pulumi command gets. */
export function engineEnv(stateDir: string, pulumiBin: string): Record<string, string> {
    fs.mkdirSync(path.join(stateDir, "state"), { recursive: true });
    fs.mkdirSync(path.join(stateDir, "workspace"), { recursive: true });
    fs.chmodSync(stateDir, 0o700);
    const env: Record<string, string> = {
        PULUMI_BACKEND_URL: `file://${path.join(stateDir, "state")}`,
        PULUMI_HOME: path.join(stateDir, "pulumi-home"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // The engine finds pulumi-language-nodejs and the dynamic provider plugin next to pulumi / on PATH.
        PATH: `${pulumiBin}${path.delimiter}${process.env.PATH ?? ""}`,
    };
    if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        // A generated passphrase, readable only by this user, encrypts the stacks' secrets.
        const file = path.join(stateDir, "passphrase");
        if (!fs.existsSync(file) || fs.statSync(file).size === 0) {
            const { randomBytes } = require("crypto") as typeof import("crypto");
            fs.writeFileSync(file, randomBytes(32).toString("base64") + "\n", { mode: 0o600 });
        }
        fs.chmodSync(file, 0o600);
        env.PULUMI_CONFIG_PASSPHRASE_FILE = file;
    }
    return env;
}

export interface StackOptions {
    stack?: string;
    stateDir?: string;
    io?: Io;
}

/** The Pulumi CLI in `dir` (from bin/setup-pulumi). */
export async function pulumiCommandIn(dir: string): Promise<PulumiCommand> {
    if (path.basename(dir) === "bin" && fs.existsSync(path.join(dir, "pulumi"))) {
        return PulumiCommand.get({ root: path.dirname(dir) });
    }
    process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ""}`;
    return PulumiCommand.get();
}

/** This CLI's workspace in a state directory: the project, and the inline program for every stack. */
export async function openWorkspace(opts: StackOptions): Promise<LocalWorkspace> {
    const io = opts.io ?? processIo;
    const stateDir = path.resolve(opts.stateDir ?? defaultStateDir());
    const pulumiBin = ensurePulumi(io);
    const envVars = engineEnv(stateDir, pulumiBin);
    return LocalWorkspace.create({
        workDir: path.join(stateDir, "workspace"),
        pulumiHome: envVars.PULUMI_HOME,
        pulumiCommand: await pulumiCommandIn(pulumiBin),
        envVars,
        program: deploymentProgram,
        // The inline program's directory: the package root, whose node_modules hold @pulumi/pulumi
        // and ioredis for the dynamic providers (found upwards when installed as a dependency).
        projectSettings: { name: PROJECT, runtime: "nodejs", main: packageRoot(), description: "Redis deployments managed by the redis-deployment CLI" },
    });
}

/**
 * Opens a stack of this CLI's project. A missing stack is created when `create` returns true
 * (it may throw instead: a stack is not created for arguments that fail validation), else it is
 * a CliError.
 */
export async function openStack(opts: StackOptions, create?: (stackName: string, ws: LocalWorkspace) => Promise<boolean>): Promise<Stack> {
    const ws = await openWorkspace(opts);
    const stackName = opts.stack ?? DEFAULT_STACK;
    try {
        return await Stack.select(stackName, ws);
    } catch (err) {
        if (err instanceof StackNotFoundError || /no stack named/i.test(String((err as Error).message))) {
            if (create && await create(stackName, ws)) return Stack.create(stackName, ws);
            throw new CliError(`stack "${stackName}" does not exist in ${path.resolve(opts.stateDir ?? defaultStateDir())}; create it with \`redis-deployment up --stack ${stackName}\` (see \`redis-deployment list\`)`);
        }
        throw err;
    }
}

// ---------------------------------------------------------------------------------------------
// Commands

export interface CommandOptions extends StackOptions {
    /** Flags that set deployment settings (only the ones given). */
    settings?: DeploymentSettings;
    json?: boolean;
    showSecrets?: boolean;
    /** destroy: also remove the stack and its stored settings. */
    remove?: boolean;
}

/** The engine's own hint after a destroy names the pulumi CLI; ours does it with --remove. */
const ENGINE_STACK_RM_HINT = /If you want to remove the stack completely, run `pulumi stack rm ([^`]*)`\.?/g;

function engineOutput(io: Io) {
    const color = process.stderr.isTTY && io === processIo ? ("always" as const) : ("never" as const);
    const onOutput = (text: string) => io.stderr(text.replace(ENGINE_STACK_RM_HINT, (_, stack: string) => `To forget the stack too, run \`redis-deployment destroy --remove --stack ${stack}\`.`));
    return { onOutput, onError: io.stderr, color };
}

/** Stored settings merged with the flags, validated: what `up` stores and deploys. */
function effectiveSettings(stackName: string, stored: DeploymentSettings, opts: CommandOptions): DeploymentSettings {
    const settings = mergeSettings(stored, opts.settings ?? {});
    if ((settings.provider ?? "local") === "local" && settings.dataDir === undefined) {
        // Pinned on first use: the data directory is part of every member's identity.
        settings.dataDir = path.join(path.resolve(opts.stateDir ?? defaultStateDir()), "data", `${PROJECT}-${stackName}`);
    }
    validateSettings(settings);
    return settings;
}

/** Opens (or, for valid settings, creates) the stack for up/preview; returns its stored and new settings. */
async function prepareSettings(opts: CommandOptions): Promise<{ stack: Stack; before: DeploymentSettings; after: DeploymentSettings }> {
    const stack = await openStack(opts, async (stackName, ws) => {
        // A new stack is created only for settings that pass validation and have a free address block.
        await checkAddressBlock(ws, stackName, effectiveSettings(stackName, {}, opts));
        return true;
    });
    const before = settingsFromConfig(await stack.getAllConfig());
    const after = effectiveSettings(stack.name, before, opts);
    await checkAddressBlock(stack.workspace, stack.name, after);
    return { stack, before, after };
}

async function writeSettings(stack: Stack, before: DeploymentSettings, after: DeploymentSettings): Promise<void> {
    const removed = (Object.keys(before) as SettingKey[]).filter((k) => after[k] === undefined);
    if (removed.length > 0) await stack.removeAllConfig(removed);
    const changed = (Object.entries(after) as [SettingKey, string][]).filter(([k, v]) => before[k] !== v);
    if (changed.length > 0) await stack.setAllConfig(Object.fromEntries(changed.map(([k, v]) => [k, { value: v }])));
}

/** Another stack of this state directory already using the address block this one would get. */
async function checkAddressBlock(ws: Workspace, stackName: string, settings: DeploymentSettings): Promise<void> {
    if ((settings.provider ?? "local") !== "local") return;
    const prefixOf = (name: string, s: DeploymentSettings) => s.addressPrefix ?? defaultAddressPrefix(PROJECT, name, DEPLOYMENT_NAME);
    const mine = prefixOf(stackName, settings);
    const taken = new Set<string>();
    let owner: string | undefined;
    for (const other of await ws.listStacks()) {
        if (other.name === stackName || !other.resourceCount) continue;
        const theirs = prefixOf(other.name, settingsFromConfig(await ws.getAllConfig(other.name)));
        taken.add(theirs);
        if (theirs === mine) owner = other.name;
    }
    if (owner !== undefined) {
        const free = Array.from({ length: 230 }, (_, i) => `127.${20 + i}`).find((p) => !taken.has(p));
        throw new CliError(`stack "${stackName}" would use the address block ${mine}.x.y, which stack "${owner}" already uses; give it another one with --address-prefix${free ? ` (e.g. --address-prefix ${free})` : ""}`);
    }
}

export interface UpOutcome {
    result: UpResult;
    outputs: OutputMap;
    settings: DeploymentSettings;
}

/** `up`: store the settings as stack config and converge the deployment to them. */
export async function up(opts: CommandOptions): Promise<UpOutcome> {
    const io = opts.io ?? processIo;
    const { stack, before, after } = await prepareSettings(opts);
    await writeSettings(stack, before, after);
    const result = await stack.up({ ...engineOutput(io) });
    return { result, outputs: result.outputs, settings: after };
}

/** `preview`: what `up` with these flags would change. The stored settings stay as they were. */
export async function preview(opts: CommandOptions): Promise<PreviewResult> {
    const io = opts.io ?? processIo;
    const { stack, before, after } = await prepareSettings(opts);
    await writeSettings(stack, before, after);
    try {
        return await stack.preview({ ...engineOutput(io), diff: false });
    } finally {
        await writeSettings(stack, after, before);
    }
}

export async function outputs(opts: CommandOptions): Promise<OutputMap> {
    const stack = await openStack(opts);
    return stack.outputs();
}

export async function destroy(opts: CommandOptions): Promise<DestroyResult> {
    const io = opts.io ?? processIo;
    const stack = await openStack(opts);
    const result = await stack.destroy({ ...engineOutput(io) });
    if (opts.remove) await stack.workspace.removeStack(stack.name);
    return result;
}

export interface StackListing {
    name: string;
    resources: number;
    lastUpdate?: string;
    updateInProgress: boolean;
    settings: DeploymentSettings;
}

export async function list(opts: CommandOptions): Promise<StackListing[]> {
    const ws = await openWorkspace(opts);
    const stacks = await ws.listStacks();
    return Promise.all(stacks.map(async (s) => ({
        name: s.name,
        resources: s.resourceCount ?? 0,
        lastUpdate: s.lastUpdate,
        updateInProgress: !!s.updateInProgress,
        settings: settingsFromConfig(await ws.getAllConfig(s.name)),
    })));
}

// ---------------------------------------------------------------------------------------------
// Presentation

/** Output values, secrets only when asked for (left out otherwise, so no script mistakes a mask for a password). */
export function outputValues(outs: OutputMap, showSecrets: boolean): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [key, { value, secret }] of Object.entries(outs)) {
        if (secret && !showSecrets) continue;
        if (value === undefined || value === null) continue;
        values[key] = value;
    }
    return values;
}

interface MemberRow { name: string; shard: number; role: string; zone: string; address: string; port: number }

export function endpointTable(stackName: string, outs: OutputMap, showSecrets: boolean, stateDir?: string): string {
    const v = (key: string) => outs[key]?.value;
    const rows: [string, unknown][] = [
        ["write endpoint", v("endpoint")],
        ["read endpoint", v("readEndpoint")],
        ["proxies", (v("proxyAddresses") as string[] | undefined)?.join(" ")],
        ["sentinels", (v("sentinelAddresses") as string[] | undefined)?.join(" ")],
        ["sentinel master name", v("masterName")],
        ["cluster nodes", (v("clusterNodes") as string[] | undefined)?.join(" ")],
    ];
    if (showSecrets) {
        rows.push(["password", v("password")], ["connection URL", v("connectionUrl")]);
    }
    const lines = [`Redis deployment (stack ${stackName}):`];
    for (const [label, value] of rows) {
        if (value !== undefined && value !== null && value !== "") lines.push(`  ${label.padEnd(22)}${value}`);
    }
    const members = (v("members") as MemberRow[] | undefined) ?? [];
    if (members.length > 0) {
        lines.push("  members (initial roles):");
        for (const m of members) {
            lines.push(`    ${m.name.padEnd(18)}shard ${String(m.shard).padEnd(3)}${m.role.padEnd(9)}zone ${m.zone.padEnd(4)}${m.address}:${m.port}`);
        }
    }
    if (!showSecrets && outs.connectionUrl) {
        lines.push(`  connection URL (holds the password): redis-deployment outputs --stack ${stackName}${stateDir ? ` --state-dir ${stateDir}` : ""} --show-secrets`);
    }
    return lines.join("\n") + "\n";
}

function changeSummary(changes: Record<string, number> | undefined): string {
    const entries = Object.entries(changes ?? {}).filter(([, n]) => n > 0);
    return entries.length === 0 ? "no resources" : entries.map(([op, n]) => `${n} ${op}`).join(", ");
}

// ---------------------------------------------------------------------------------------------
// Command line

export const USAGE = `redis-deployment: Redis on this machine (and, later, clouds) through the Pulumi engine.

Usage:
  redis-deployment up       [flags]   create or update the deployment of a stack, then print its endpoints
  redis-deployment preview  [flags]   show what \`up\` with these flags would change (stores nothing)
  redis-deployment outputs  [--json] [--show-secrets]
  redis-deployment destroy  [--remove]   stop and delete everything of a stack (--remove: forget the stack too)
  redis-deployment list               stacks in the state directory

A stack remembers the deployment flags it was last brought \`up\` with; later commands reuse them.

Deployment flags (for up and preview):
${SETTING_FLAGS.map((f) => `  --${(f.flag + (f.kind === "integer" ? " N" : f.kind === "list" ? " A,B,C" : " VALUE")).padEnd(26)}${f.help}`).join("\n")}

Other flags:
  --stack NAME                default ${DEFAULT_STACK}
  --state-dir DIR             file backend, passphrase and Pulumi home (default ~/.redis-deployment,
                              or REDIS_DEPLOYMENT_HOME)
  --json                      print only the outputs as JSON on stdout (secrets left out)
  --show-secrets              include the password and connection URL
  -h, --help

The stacks' secrets are encrypted with PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)
when set, else with a passphrase generated into <state-dir>/passphrase (readable only by you).
Engine progress goes to stderr; endpoints (or JSON) to stdout.
`;

export interface ParsedCommand {
    command: Command | "help";
    options: CommandOptions;
}

export function parseCommandLine(argv: string[]): ParsedCommand {
    const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
        stack: { type: "string" },
        "state-dir": { type: "string" },
        json: { type: "boolean" },
        "show-secrets": { type: "boolean" },
        remove: { type: "boolean" },
        help: { type: "boolean", short: "h" },
    };
    for (const f of SETTING_FLAGS) options[f.flag] = { type: "string" };
    let parsed: ReturnType<typeof parseArgs>;
    try {
        parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (err) {
        throw new CliError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, "")}\nRun \`redis-deployment --help\` for the flags.`, 2);
    }
    const values = parsed.values as Record<string, string | boolean | undefined>;
    if (values.help) return { command: "help", options: {} };
    if (parsed.positionals.length === 0) return { command: "help", options: {} };
    const [command, ...extra] = parsed.positionals;
    if (!(COMMANDS as readonly string[]).includes(command)) {
        throw new CliError(`unknown command "${command}"; use one of: ${COMMANDS.join(", ")}`, 2);
    }
    if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}" (flags start with --)`, 2);

    const settings: DeploymentSettings = {};
    for (const f of SETTING_FLAGS) {
        const raw = values[f.flag];
        if (raw === undefined) continue;
        const value = String(raw).trim();
        if (f.kind === "integer" && !/^\d+$/.test(value)) throw new CliError(`--${f.flag}: expected a whole number, got "${raw}"`);
        if (f.kind === "list" && value.split(",").some((z) => z.trim() === "")) throw new CliError(`--${f.flag}: expected a comma-separated list like a,b,c, got "${raw}"`);
        if (value === "") throw new CliError(`--${f.flag}: needs a value`);
        settings[f.key] = f.kind === "integer" ? String(Number(value)) : value;
    }
    if (Object.keys(settings).length > 0 && command !== "up" && command !== "preview") {
        throw new CliError(`deployment flags (${Object.keys(settings).length === 1 ? "" : "e.g. "}--${SETTING_FLAGS.find((f) => settings[f.key] !== undefined)!.flag}) only apply to up and preview; \`${command}\` uses the stack's stored settings`, 2);
    }
    if (values.remove && command !== "destroy") throw new CliError("--remove only applies to destroy", 2);
    if (settings.dataDir !== undefined) settings.dataDir = path.resolve(settings.dataDir);
    // Enumerations are checked by the component's validation, with its messages; these are
    // cheap early checks with the flag name in them.
    const enums: [string, string | undefined, readonly string[]][] = [
        ["provider", settings.provider, PROVIDER_KINDS], ["mode", settings.mode, MODES],
        ["placement", settings.placement, PLACEMENTS], ["maxmemory-policy", settings.maxmemoryPolicy, MAXMEMORY_POLICIES],
    ];
    for (const [flag, value, allowed] of enums) {
        if (value !== undefined && !allowed.includes(value)) throw new CliError(`--${flag}: "${value}" is not one of: ${allowed.join(", ")}`);
    }
    return {
        command: command as Command,
        options: {
            stack: values.stack as string | undefined,
            stateDir: values["state-dir"] as string | undefined,
            json: Boolean(values.json),
            showSecrets: Boolean(values["show-secrets"]),
            remove: Boolean(values.remove),
            settings,
        },
    };
}

/** The short reason of a failed engine run: its `error:` lines, without the Automation API's dump of stdout/stderr. */
export function engineFailure(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    const errorLines = text.split("\n").map((l) => l.trim()).filter((l) => /^error:/.test(l));
    const unique = [...new Set(errorLines)];
    if (unique.length > 0) return unique.join("\n");
    return text.split("\n").slice(0, 20).join("\n");
}

/** Runs one command line; returns the exit code. Never throws for user mistakes. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
    const started = Date.now();
    const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
    let parsed: ParsedCommand;
    try {
        parsed = parseCommandLine(argv);
    } catch (err) {
        if (err instanceof CliError) {
            io.stderr(`redis-deployment: ${err.message}\n`);
            return err.exitCode;
        }
        throw err;
    }
    const { command, options } = parsed;
    options.io = io;
    const stackName = options.stack ?? DEFAULT_STACK;
    try {
        switch (command) {
            case "help":
                io.stdout(USAGE);
                return 0;
            case "up": {
                const { result, outputs: outs } = await up(options);
                io.stderr(`\nup: ${changeSummary(result.summary.resourceChanges)} in ${seconds()}\n\n`);
                io.stdout(options.json ? JSON.stringify(outputValues(outs, !!options.showSecrets), null, 2) + "\n" : endpointTable(stackName, outs, !!options.showSecrets, options.stateDir));
                return 0;
            }
            case "preview": {
                const result = await preview(options);
                if (options.json) io.stdout(JSON.stringify({ changeSummary: result.changeSummary }, null, 2) + "\n");
                else io.stdout(`preview (stack ${stackName}): ${changeSummary(result.changeSummary)}\n`);
                return 0;
            }
            case "outputs": {
                const outs = await outputs(options);
                if (Object.keys(outs).length === 0) {
                    throw new CliError(`stack "${stackName}" has no deployment (destroyed or never brought up); run \`redis-deployment up --stack ${stackName}\``);
                }
                io.stdout(options.json ? JSON.stringify(outputValues(outs, !!options.showSecrets), null, 2) + "\n" : endpointTable(stackName, outs, !!options.showSecrets, options.stateDir));
                return 0;
            }
            case "destroy": {
                const result = await destroy(options);
                const summary = `destroy: ${changeSummary(result.summary.resourceChanges)} in ${seconds()}${options.remove ? `; stack ${stackName} removed` : ""}`;
                if (options.json) io.stdout(JSON.stringify({ resourceChanges: result.summary.resourceChanges ?? {} }, null, 2) + "\n");
                else io.stdout(summary + "\n");
                return 0;
            }
            case "list": {
                const stacks = await list(options);
                if (options.json) {
                    io.stdout(JSON.stringify(stacks, null, 2) + "\n");
                } else if (stacks.length === 0) {
                    io.stdout("no stacks yet; create one with `redis-deployment up`\n");
                } else {
                    io.stdout(`${"STACK".padEnd(16)}${"RESOURCES".padEnd(11)}${"LAST UPDATE".padEnd(26)}SETTINGS\n`);
                    for (const s of stacks) {
                        const { dataDir: _dataDir, ...shown } = s.settings;
                        const settings = Object.entries(shown).map(([k, v]) => `${k}=${v}`).join(" ");
                        io.stdout(`${s.name.padEnd(16)}${String(s.resources).padEnd(11)}${(s.updateInProgress ? "(in progress)" : s.lastUpdate ?? "-").padEnd(26)}${settings}\n`);
                    }
                }
                return 0;
            }
        }
    } catch (err) {
        if (err instanceof CliError) {
            io.stderr(`redis-deployment: ${err.message}\n`);
            return err.exitCode;
        }
        if (err instanceof CommandError) {
            io.stderr(`\nredis-deployment: ${command} failed after ${seconds()}:\n${engineFailure(err)}\n`);
            return 1;
        }
        throw err;
    }
}

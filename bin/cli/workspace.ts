// The Automation API side of the CLI: a local file backend in a state directory, the Pulumi CLI
// from bin/setup-pulumi, and this CLI's workspace and stacks.
//
// State directory (default ~/.redis-deployment, --state-dir or REDIS_DEPLOYMENT_HOME to change),
// laid out as follows:
//   state/         Pulumi file backend (checkpoints; secrets in it are encrypted)
//   passphrase     generated passphrase (mode 0600) unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set
//   pulumi-home/   PULUMI_HOME (plugins, credentials, logs)
//   workspace/     Pulumi.yaml and Pulumi.<stack>.yaml: each stack's arguments as stack config
//   data/<project>-<stack>/   the members' data directories (local provider)
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { LocalWorkspace, PulumiCommand, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import { CliError } from "./errors";
import { deploymentProgram, PROJECT } from "./settings";

export const DEFAULT_STACK = "dev";

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

/** The package root: the nearest folder above this file with the package's package.json (works from bin/cli/ and dist/bin/cli/). */
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

/** The engine's own hint after a destroy names the pulumi CLI; ours does it with --remove. */
const ENGINE_STACK_RM_HINT = /If you want to remove the stack completely, run `pulumi stack rm ([^`]*)`\.?/g;

/** Options of an engine operation (up, preview, destroy) that send its progress to `io.stderr`. */
export function engineOutput(io: Io) {
    const color = process.stderr.isTTY && io === processIo ? ("always" as const) : ("never" as const);
    const onOutput = (text: string) => io.stderr(text.replace(ENGINE_STACK_RM_HINT, (_, stack: string) => `To forget the stack too, run \`redis-deployment destroy --remove --stack ${stack}\`.`));
    return { onOutput, onError: io.stderr, color };
}

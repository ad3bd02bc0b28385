// The `redis-deployment` command line: parses it and runs the command it names (see commands/).
//
//   redis-deployment up|preview|outputs|status|failover|destroy|list [flags]     (redis-deployment --help)
//
// The arguments a stack was deployed with are stored as its stack config, so `outputs`,
// `destroy` and a later `up` without flags use them again; flags given to `up` change them.
import { parseArgs } from "util";
import { CommandError } from "@pulumi/pulumi/automation";
import { optionName, type CommandFlag, type CommandOptions } from "./command";
import { COMMAND_DESCRIPTORS, COMMANDS, findCommand, type Command } from "./commands";
import { CliError, engineFailure } from "./errors";
import { checkSettingFlags, parseSettingFlags, SETTING_FLAGS } from "./settings";
import { DEFAULT_STACK, processIo, type Io } from "./workspace";

/** "a", "a and b", "a, b and c". */
function inWords(items: readonly string[]): string {
    return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** The commands that take the deployment flags. */
const DEPLOYMENT_COMMANDS = COMMAND_DESCRIPTORS.filter((c) => c.deploymentFlags).map((c) => c.name);

/** Flags of some commands only, each once, with the commands that take it. */
const COMMAND_FLAGS = new Map<string, CommandFlag & { commands: Command[] }>();
for (const c of COMMAND_DESCRIPTORS) {
    for (const f of c.flags ?? []) {
        const known = COMMAND_FLAGS.get(f.flag);
        if (known && known.type !== f.type) throw new Error(`redis-deployment: --${f.flag} is a ${known.type} flag of ${known.commands.join(", ")} but a ${f.type} flag of ${c.name}`);
        if (known) known.commands.push(c.name);
        else COMMAND_FLAGS.set(f.flag, { ...f, commands: [c.name] });
    }
}

export const USAGE = `redis-deployment: Redis on this machine (and, later, clouds) through the Pulumi engine.

Usage:
${COMMAND_DESCRIPTORS.map((c) => {
    const head = `${c.name.padEnd(9)}${c.synopsis}`;
    return `  redis-deployment ${c.help ? `${head}   `.padEnd(19) + c.help : head}`;
}).join("\n")}

A stack remembers the deployment flags it was last brought \`up\` with; later commands reuse them.

Deployment flags (for ${inWords(DEPLOYMENT_COMMANDS)}):
${SETTING_FLAGS.map((f) => `  --${(f.flag + (f.kind === "integer" ? " N" : f.kind === "list" ? " A,B,C" : f.kind === "file" ? " FILE" : " VALUE")).padEnd(26)}${f.help}`).join("\n")}

Other flags:
  --stack NAME                default ${DEFAULT_STACK}
  --state-dir DIR             file backend, passphrase and Pulumi home (default ~/.redis-deployment,
                              or REDIS_DEPLOYMENT_HOME)
  --json                      print only JSON on stdout: the outputs (secrets left out), the status report
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
        help: { type: "boolean", short: "h" },
    };
    for (const f of COMMAND_FLAGS.values()) options[f.flag] = { type: f.type };
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
    const descriptor = findCommand(command);
    if (!descriptor) {
        throw new CliError(`unknown command "${command}"; use one of: ${COMMANDS.join(", ")}`, 2);
    }
    if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}" (flags start with --)`, 2);

    const settings = parseSettingFlags(values);
    if (Object.keys(settings).length > 0 && !descriptor.deploymentFlags) {
        throw new CliError(`deployment flags (${Object.keys(settings).length === 1 ? "" : "e.g. "}--${SETTING_FLAGS.find((f) => settings[f.key] !== undefined)!.flag}) only apply to ${inWords(DEPLOYMENT_COMMANDS)}; \`${command}\` uses the stack's stored settings`, 2);
    }
    const commandFlags: Record<string, string | boolean | undefined> = {};
    for (const f of COMMAND_FLAGS.values()) {
        const value = values[f.flag];
        if (value !== undefined && !f.commands.includes(descriptor.name)) throw new CliError(`--${f.flag} only applies to ${inWords(f.commands)}`, 2);
        commandFlags[optionName(f.flag)] = f.type === "boolean" ? Boolean(value) : value;
    }
    checkSettingFlags(settings);
    return {
        command: descriptor.name,
        options: {
            stack: values.stack as string | undefined,
            stateDir: values["state-dir"] as string | undefined,
            json: Boolean(values.json),
            showSecrets: Boolean(values["show-secrets"]),
            ...commandFlags,
            settings,
        },
    };
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
    if (command === "help") {
        io.stdout(USAGE);
        return 0;
    }
    options.io = io;
    try {
        return await findCommand(command)!.run(options, { io, stackName: options.stack ?? DEFAULT_STACK, seconds });
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

// What a command is to the command line: its options, and the descriptor each file under
// commands/ exports (name, help line, flags, and how it runs and prints its results).
import type { DeploymentSettings } from "./settings";
import type { Io, StackOptions } from "./workspace";

/**
 * The options of every command function. Commands with flags of their own extend this in their
 * file; the command line sets such a flag's value under its camelCase name (--dry-run: dryRun).
 */
export interface CommandOptions extends StackOptions {
    /** Flags that set deployment settings (only the ones given). */
    settings?: DeploymentSettings;
    json?: boolean;
    showSecrets?: boolean;
    /** destroy: also remove the stack and its stored settings. */
    remove?: boolean;
}

/** A flag that only some commands take (every command takes --stack, --state-dir, --json, --show-secrets). */
export interface CommandFlag {
    /** Without the leading `--`. */
    flag: string;
    type: "string" | "boolean";
}

/** What a command's `run` gets besides its options. */
export interface RunContext {
    io: Io;
    /** The stack the command works on (--stack, else the default). */
    stackName: string;
    /** Wall time since the command line started, e.g. "12.3s". */
    seconds: () => string;
}

export interface CommandDescriptor<Name extends string = string> {
    name: Name;
    /** What follows the name in the usage line of --help, e.g. "[flags]" or "[--remove]". */
    synopsis: string;
    /** One line of --help after the synopsis. */
    help?: string;
    /** Whether the deployment flags (--mode, --shards, ...) apply to this command. */
    deploymentFlags?: boolean;
    /** The flags of this command only, beyond the ones every command takes. */
    flags?: readonly CommandFlag[];
    /**
     * Runs the command and prints its results (`context.io.stdout`); returns the exit code.
     * User mistakes are thrown as CliError, failed engine runs as the Automation API's CommandError.
     */
    run(options: CommandOptions, context: RunContext): Promise<number>;
}

/** An option's name in CommandOptions for a command-line flag: `--show-secrets` is `showSecrets`. */
export function optionName(flag: string): string {
    return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

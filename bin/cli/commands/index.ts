// The registry of commands, in the order --help lists them. A new command is a file in this
// folder exporting its function and descriptor, plus one line here.
import type { CommandDescriptor } from "../command";
import { backupCommand, backupsCommand } from "./backup";
import { destroyCommand } from "./destroy";
import { failoverCommand } from "./failover";
import { listCommand } from "./list";
import { outputsCommand } from "./outputs";
import { previewCommand } from "./preview";
import { statusCommand } from "./status";
import { upCommand } from "./up";

export const COMMAND_DESCRIPTORS = [
    upCommand,
    previewCommand,
    outputsCommand,
    statusCommand,
    failoverCommand,
    backupCommand,
    backupsCommand,
    destroyCommand,
    listCommand,
] as const;

export type Command = (typeof COMMAND_DESCRIPTORS)[number]["name"];
export const COMMANDS: readonly Command[] = COMMAND_DESCRIPTORS.map((c) => c.name);

/** The descriptor of a command name, if there is such a command. */
export function findCommand(name: string): CommandDescriptor<Command> | undefined {
    return COMMAND_DESCRIPTORS.find((c) => c.name === name);
}

export { backup, backups, backupTargetOf, type BackupResult } from "./backup";
export { destroy } from "./destroy";
export { failover, type FailoverCommandOptions } from "./failover";
export { list, stackTable, type StackListing } from "./list";
export { outputs } from "./outputs";
export { preview } from "./preview";
export { stackTarget, status, watchStatus, type StatusOptions } from "./status";
export { up, type UpOutcome } from "./up";
export { backupCommand, backupsCommand, destroyCommand, failoverCommand, listCommand, outputsCommand, previewCommand, statusCommand, upCommand };

// The registry of commands, in the order --help lists them. A new command is a file in this
// folder exporting its function and descriptor, plus one line here.
import type { CommandDescriptor } from "../command";
import { destroyCommand } from "./destroy";
import { listCommand } from "./list";
import { outputsCommand } from "./outputs";
import { previewCommand } from "./preview";
import { upCommand } from "./up";

export const COMMAND_DESCRIPTORS = [
    upCommand,
    previewCommand,
    outputsCommand,
    destroyCommand,
    listCommand,
] as const;

export type Command = (typeof COMMAND_DESCRIPTORS)[number]["name"];
export const COMMANDS: readonly Command[] = COMMAND_DESCRIPTORS.map((c) => c.name);

/** The descriptor of a command name, if there is such a command. */
export function findCommand(name: string): CommandDescriptor<Command> | undefined {
    return COMMAND_DESCRIPTORS.find((c) => c.name === name);
}

export { destroy } from "./destroy";
export { list, stackTable, type StackListing } from "./list";
export { outputs } from "./outputs";
export { preview } from "./preview";
export { up, type UpOutcome } from "./up";
export { destroyCommand, listCommand, outputsCommand, previewCommand, upCommand };

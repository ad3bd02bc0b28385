// `destroy`: stop and delete everything of a stack; with --remove, forget the stack too.
import type { DestroyResult } from "@pulumi/pulumi/automation";
import type { CommandDescriptor, CommandOptions } from "../command";
import { changeSummary, jsonText } from "../render";
import { engineOutput, openStack, processIo } from "../workspace";

/** `destroy`: delete the stack's resources (and, with `remove`, the stack and its stored settings). */
export async function destroy(opts: CommandOptions): Promise<DestroyResult> {
    const io = opts.io ?? processIo;
    const stack = await openStack(opts);
    const result = await stack.destroy({ ...engineOutput(io) });
    if (opts.remove) await stack.workspace.removeStack(stack.name);
    return result;
}

export const destroyCommand: CommandDescriptor<"destroy"> = {
    name: "destroy",
    synopsis: "[--remove]",
    help: "stop and delete everything of a stack (--remove: forget the stack too)",
    flags: [{ flag: "remove", type: "boolean" }],
    async run(options, { io, stackName, seconds }) {
        const result = await destroy(options);
        const summary = `destroy: ${changeSummary(result.summary.resourceChanges)} in ${seconds()}${options.remove ? `; stack ${stackName} removed` : ""}`;
        if (options.json) io.stdout(jsonText({ resourceChanges: result.summary.resourceChanges ?? {} }));
        else io.stdout(summary + "\n");
        return 0;
    },
};

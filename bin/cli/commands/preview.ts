// `preview`: what `up` with these flags would change; the stored settings stay as they were.
import type { PreviewResult } from "@pulumi/pulumi/automation";
import type { CommandDescriptor, CommandOptions } from "../command";
import { changeSummary, jsonText } from "../render";
import { prepareSettings, writeSettings } from "../stackSettings";
import { engineOutput, processIo } from "../workspace";

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

export const previewCommand: CommandDescriptor<"preview"> = {
    name: "preview",
    synopsis: "[flags]",
    help: "show what `up` with these flags would change (stores nothing)",
    deploymentFlags: true,
    async run(options, { io, stackName }) {
        const result = await preview(options);
        if (options.json) io.stdout(jsonText({ changeSummary: result.changeSummary }));
        else io.stdout(`preview (stack ${stackName}): ${changeSummary(result.changeSummary)}\n`);
        return 0;
    },
};

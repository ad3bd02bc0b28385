// `up`: store the settings as stack config and converge the deployment to them, then print its endpoints.
import type { OutputMap, UpResult } from "@pulumi/pulumi/automation";
import type { CommandDescriptor, CommandOptions } from "../command";
import { changeSummary, outputsText } from "../render";
import type { DeploymentSettings } from "../settings";
import { prepareSettings, writeSettings } from "../stackSettings";
import { engineOutput, processIo } from "../workspace";

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

export const upCommand: CommandDescriptor<"up"> = {
    name: "up",
    synopsis: "[flags]",
    help: "create or update the deployment of a stack, then print its endpoints",
    deploymentFlags: true,
    async run(options, { io, stackName, seconds }) {
        const { result, outputs } = await up(options);
        io.stderr(`\nup: ${changeSummary(result.summary.resourceChanges)} in ${seconds()}\n\n`);
        io.stdout(outputsText(stackName, outputs, options));
        return 0;
    },
};

// `outputs`: the endpoints (and, with --show-secrets, the password) of a deployed stack.
import type { OutputMap } from "@pulumi/pulumi/automation";
import type { CommandDescriptor, CommandOptions } from "../command";
import { CliError } from "../errors";
import { outputsText } from "../render";
import { openStack } from "../workspace";

/** `outputs`: the stack's outputs (empty when it has no deployment). */
export async function outputs(opts: CommandOptions): Promise<OutputMap> {
    const stack = await openStack(opts);
    return stack.outputs();
}

export const outputsCommand: CommandDescriptor<"outputs"> = {
    name: "outputs",
    synopsis: "[--json] [--show-secrets]",
    async run(options, { io, stackName }) {
        const outs = await outputs(options);
        if (Object.keys(outs).length === 0) {
            throw new CliError(`stack "${stackName}" has no deployment (destroyed or never brought up); run \`redis-deployment up --stack ${stackName}\``);
        }
        io.stdout(outputsText(stackName, outs, options));
        return 0;
    },
};

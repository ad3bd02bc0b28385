// `status`: the live state of a deployment, read from its members, sentinels and proxies; exit
// code 1 with one PROBLEM line per problem when something is unhealthy. --watch repeats it.
import { deploymentStatus, type DeploymentTarget } from "../../../bootstrap/observe";
import type { StatusReport } from "../../../components/status";
import type { CommandDescriptor, CommandOptions } from "../command";
import { targetFromState } from "../deploymentTarget";
import { backups } from "./backup";
import { jsonText, statusText } from "../render";
import { DEPLOYMENT_NAME } from "../settings";
import { openStack, processIo, type Io } from "../workspace";

export interface StatusOptions extends CommandOptions {
    /** Repeat every `intervalMs` (default 2 s) until interrupted. */
    watch?: boolean;
}

/** Where the stack's deployment runs and how to log in, from its state. */
export async function stackTarget(opts: CommandOptions): Promise<DeploymentTarget> {
    const stack = await openStack(opts);
    const exported = await stack.exportStack();
    return targetFromState(exported.deployment, DEPLOYMENT_NAME);
}

/** `status`: the live status of the stack's deployment (Automation API: `report.healthy`, `report.problems`, `report.lastBackup`). */
export async function status(opts: CommandOptions): Promise<StatusReport> {
    const report = await deploymentStatus(await stackTarget(opts));
    const last = await lastBackup(opts);
    return last ? { ...report, lastBackup: last } : report;
}

/**
 * The newest backup set under the stack's backup target, or why the store could not be listed.
 * Informational: an unreachable store is not a problem of the Redis deployment.
 */
async function lastBackup(opts: CommandOptions): Promise<StatusReport["lastBackup"]> {
    try {
        const [newest] = await backups(opts);
        return newest ? { uri: newest.uri, time: newest.time, bytes: newest.bytes, keys: newest.keys, complete: newest.complete } : undefined;
    } catch (err) {
        return { error: (err as Error).message.split("\n")[0] };
    }
}

/**
 * Prints a report every `intervalMs` until `stop` resolves; returns the last report. The target
 * is read once: a watch follows the live roles, not the stack's later changes.
 */
export async function watchStatus(read: () => Promise<StatusReport>, print: (report: StatusReport) => void, stop: Promise<void>, intervalMs = 2000): Promise<StatusReport> {
    let stopped = false;
    void stop.then(() => { stopped = true; });
    let last: StatusReport;
    for (;;) {
        last = await read();
        print(last);
        if (stopped) return last;
        await Promise.race([new Promise((r) => setTimeout(r, intervalMs)), stop]);
        if (stopped) return last;
    }
}

function printer(io: Io, stackName: string, options: StatusOptions): (report: StatusReport) => void {
    if (options.json) return (r) => io.stdout(options.watch ? JSON.stringify(r) + "\n" : jsonText(r));
    const clear = options.watch && io === processIo && process.stdout.isTTY ? "\x1b[2J\x1b[H" : "";
    return (r) => io.stdout(clear + statusText(stackName, r) + (options.watch && !clear ? "\n" : ""));
}

export const statusCommand: CommandDescriptor<"status"> = {
    name: "status",
    synopsis: "[--json] [--watch]",
    help: "live roles, lag, memory, persistence, sentinels, proxies; exit 1 when unhealthy",
    flags: [{ flag: "watch", type: "boolean" }],
    async run(options: StatusOptions, { io, stackName }) {
        const print = printer(io, stackName, options);
        if (!options.watch) {
            const report = await status(options);
            print(report);
            return report.healthy ? 0 : 1;
        }
        const target = await stackTarget(options);
        const stop = new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
        const last = await watchStatus(() => deploymentStatus(target), print, stop);
        return last.healthy ? 0 : 1;
    },
};

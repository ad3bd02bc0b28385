// `failover`: a manual, safe failover of a shard's master to its most up-to-date replica
// (see bootstrap/failover.ts for how each mode does it without losing acknowledged writes).
import { runFailover, type FailoverResult } from "../../../bootstrap/failover";
import { FailoverRefused } from "../../../components/status";
import type { CommandDescriptor, CommandOptions } from "../command";
import { CliError } from "../errors";
import { jsonText } from "../render";
import { stackTarget } from "./status";

export interface FailoverCommandOptions extends CommandOptions {
    /** Cluster mode: the shard to fail over (a whole number; the command line gives it as text). */
    shard?: number | string;
}

/** `failover`: moves the master role of the stack's deployment (of `shard` in cluster mode); returns the old and new master. */
export async function failover(opts: FailoverCommandOptions): Promise<FailoverResult> {
    let shard: number | undefined;
    if (opts.shard !== undefined) {
        if (!/^\d+$/.test(String(opts.shard).trim())) throw new CliError(`--shard: expected a whole number, got "${opts.shard}"`, 2);
        shard = Number(opts.shard);
    }
    const target = await stackTarget(opts);
    try {
        return await runFailover(target, { shard });
    } catch (err) {
        if (err instanceof FailoverRefused) throw new CliError(`failover: ${err.message}`);
        throw err;
    }
}

export const failoverCommand: CommandDescriptor<"failover"> = {
    name: "failover",
    synopsis: "[--shard N]",
    help: "move the master to its most up-to-date replica, losing no acknowledged write",
    flags: [{ flag: "shard", type: "string" }],
    async run(options: FailoverCommandOptions, { io }) {
        const result = await failover(options);
        if (options.json) io.stdout(jsonText(result));
        else io.stdout(`failover${result.shard > 0 || options.shard !== undefined ? ` (shard ${result.shard})` : ""}: master ${result.oldMaster.name} (${result.oldMaster.address}) -> ${result.newMaster.name} (${result.newMaster.address}) in ${result.seconds}s\n`);
        return 0;
    },
};

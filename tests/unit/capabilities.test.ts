// The capability hooks of the provider interface: a capability finds its hook or refuses the provider clearly.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { requireCapability, type InfraProvider, type ScheduledJob } from "../../providers/types";

function provider(hooks: Partial<InfraProvider>): InfraProvider {
    const none = () => { throw new Error("not used"); };
    return { kind: "local", members: none, sentinels: none, proxies: none, loadBalancer: none, access: () => ({ kind: "direct" }), logs: none, ...hooks };
}

describe("capability hooks", () => {
    it("a provider without the hook is refused with the capability, the provider and the hook named", () => {
        assert.throws(() => requireCapability(provider({}), "scheduledJob", "backup.schedule"), (err: Error) =>
            err instanceof pulumi.RunError && err.message === "backup.schedule is not available on the local provider yet (it has no scheduledJob hook)");
    });

    it("a provider's hook is returned bound to the provider", () => {
        const jobs: ScheduledJob[] = [];
        const local = provider({});
        const withHook = Object.assign(local, { recorded: jobs, scheduledJob(this: { recorded: ScheduledJob[] }, _ctx: unknown, job: ScheduledJob) { this.recorded.push(job); return []; } });
        const hook = requireCapability(withHook, "scheduledJob", "backups");
        const job = { name: "backup", schedule: "0 20 * * *", script: "true", args: [] };
        hook({} as never, job);
        assert.deepEqual(jobs, [job]);
    });
});

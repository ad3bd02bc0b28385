// The component under the mocks a platform team writes for its own stack (Pulumi's documented
// shape: `newResource` echoes its inputs, `call` answers lookups), not under mocks that know the
// component's internals. What the component generates itself (passwords, their hashes, names)
// must never need the mock's help; a given password must stay secret everywhere.
// (The VM clouds, which also need the outputs only a cloud computes: cloudComputedOutputs.test.ts.)
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { RedisDeployment } from "../../components/redisDeployment";
import { RejectionTrap, redactSecrets, settle, unwrap, value } from "../helpers/mocks";

const GIVEN_PASSWORD = "generic-mock-given-password-0123456789";
const MODES: RedisDeploymentArgs[] = [
    { mode: "standalone" },
    { mode: "replication", replicasPerShard: 2 },
    { mode: "sentinel", replicasPerShard: 1, sentinels: 3 },
    { mode: "cluster", shards: 3, replicasPerShard: 1 },
];

interface Registered {
    type: string;
    name: string;
    custom: boolean;
    inputs: Record<string, any>;
}

/** The generic mock: every resource's state is its inputs; lookups answer nothing. */
async function installGenericMocks(seen: Registered[]): Promise<void> {
    seen.length = 0;
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            seen.push({ type: args.type, name: args.name, custom: args.custom ?? false, inputs: args.inputs });
            return { id: `${args.name}_id`, state: args.inputs };
        },
        call: () => ({}),
    }, "team-stack", "dev", false);
}

interface ProviderCase {
    provider: "local" | "kubernetes";
    extra: RedisDeploymentArgs;
}

const PROVIDERS: ProviderCase[] = [
    { provider: "local", extra: {} },
    { provider: "kubernetes", extra: { maxmemory: "256mb" } },
];

describe("every provider and mode builds under a generic mock (newResource returns only its inputs)", function () {
    this.timeout(60000);
    const trap = new RejectionTrap();

    for (const p of PROVIDERS) {
        for (const modeArgs of MODES) {
            const args: RedisDeploymentArgs = { provider: p.provider, ...modeArgs, ...p.extra, auth: { password: pulumi.secret(GIVEN_PASSWORD) } };
            it(`${p.provider} ${modeArgs.mode}: outputs resolve, the given password is the password, no credential in a plain input`, async () => {
                const seen: Registered[] = [];
                await installGenericMocks(seen);
                trap.start();
                try {
                    const d = new RedisDeployment("cache", args);
                    const members = await value(d.members);
                    const endpoint = await value(d.endpoint);
                    const password = await value(d.password);
                    const url = await value(d.connectionUrl);
                    await value(d.diagram);
                    await settle();
                    assert.deepEqual(trap.errors.map(String), [], "no error while the component was built");

                    assert.equal(members.length, d.plan.members.length, "one member output per planned member");
                    assert.match(endpoint, /:\d+$/);
                    assert.equal(password, GIVEN_PASSWORD);
                    assert.equal(await pulumi.isSecret(d.password), true);
                    assert.equal(await pulumi.isSecret(d.connectionUrl), true);
                    assert.ok(url.includes(GIVEN_PASSWORD));

                    // The resource graph: the component, its password resource, and the provider's resources, all named after it.
                    const custom = seen.filter((r) => r.custom);
                    assert.ok(custom.length > d.plan.members.length, `at least one resource per member, saw ${custom.length}`);
                    assert.equal(seen.filter((r) => r.type.endsWith(":DeploymentPassword")).length, 1);
                    for (const r of seen) assert.ok(r.name.startsWith("cache"), `${r.type} ${r.name}: named after the deployment`);

                    // Every credential: the given one and the generated internal ones (the password resource's inputs).
                    const credentials = unwrap(seen.find((r) => r.type.endsWith(":DeploymentPassword"))!.inputs) as Record<string, string>;
                    const secrets = [GIVEN_PASSWORD, credentials.adminPassword, credentials.monitorPassword];
                    for (const s of secrets) assert.ok(typeof s === "string" && s.length >= 16, "the program generated the internal passwords itself");
                    const everything = JSON.stringify(seen.map((r) => unwrap(r.inputs)));
                    assert.ok(everything.includes(credentials.adminPassword), "positive control: the admin password does reach the resources");
                    const plain = JSON.stringify(seen.map((r) => redactSecrets(r.inputs)));
                    for (const s of secrets) assert.ok(!plain.includes(s), `a credential appears in a non-secret input`);
                } finally {
                    trap.stop();
                }
            });
        }
    }
});

describe("kubernetes: what destroy does to the data", function () {
    this.timeout(60000);
    for (const deleteDataOnDestroy of [undefined, true]) {
        it(`deleteDataOnDestroy ${deleteDataOnDestroy ?? "unset"}: every StatefulSet's PVCs are ${deleteDataOnDestroy ? "deleted" : "retained"} with it`, async () => {
            const seen: Registered[] = [];
            await installGenericMocks(seen);
            const d = new RedisDeployment("cache", { provider: "kubernetes", mode: "cluster", maxmemory: "256mb", ...(deleteDataOnDestroy ? { deleteDataOnDestroy } : {}) });
            await value(d.members);
            await settle();
            const sets = seen.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
            assert.ok(sets.length >= 3, `one StatefulSet per shard, saw ${sets.length}`);
            for (const s of sets) {
                assert.deepEqual(unwrap(s.inputs).spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: deleteDataOnDestroy ? "Delete" : "Retain", whenScaled: "Retain" }, s.name);
            }
        });
    }
});

// The password resource's provider methods, called directly (as the engine would): the program's
// candidates are used on create only; a later run's new candidates change nothing.
import { strict as assert } from "node:assert";
import { passwordProvider, type PasswordOutputs } from "../../bootstrap/password";

const CANDIDATES = { password: "candidate-app-0123456789abcdef", adminPassword: "candidate-admin-0123456789abcdef", monitorPassword: "candidate-monitor-0123456789abcdef" };
const LATER = { password: "later-app-0123456789abcdef", adminPassword: "later-admin-0123456789abcdef", monitorPassword: "later-monitor-0123456789abcdef" };

describe("DeploymentPassword provider", () => {
    it("create keeps the program's candidates (what a generic mock echoes is what the engine stores)", async () => {
        const { outs } = await passwordProvider.create!({ minLength: 16, ...CANDIDATES });
        assert.deepEqual({ password: outs.password, adminPassword: outs.adminPassword, monitorPassword: outs.monitorPassword }, CANDIDATES);
    });

    it("create with a given password uses it for the application user", async () => {
        const { outs } = await passwordProvider.create!({ given: "given-password-0123456789", minLength: 16, ...CANDIDATES, password: "given-password-0123456789" });
        assert.equal(outs.password, "given-password-0123456789");
        assert.equal(outs.adminPassword, CANDIDATES.adminPassword);
    });

    it("create without candidates (a state written by an older version) generates 48 hex characters each", async () => {
        const { outs } = await passwordProvider.create!({ minLength: 16 });
        for (const k of ["password", "adminPassword", "monitorPassword"]) assert.match(outs[k], /^[0-9a-f]{48}$/);
        assert.equal(new Set([outs.password, outs.adminPassword, outs.monitorPassword]).size, 3);
    });

    it("a later run's new candidates are no change; a changed given password is", async () => {
        const olds: PasswordOutputs = { minLength: 16, ...CANDIDATES };
        assert.equal((await passwordProvider.diff!("id", olds, { minLength: 16, ...LATER })).changes, false);
        assert.equal((await passwordProvider.diff!("id", olds, { minLength: 16, given: "new-given-password-0123", ...LATER })).changes, true);
    });

    it("update keeps the internal passwords; dropping a given password generates a new application password", async () => {
        const olds: PasswordOutputs = { given: "old-given-password-0123", minLength: 16, ...CANDIDATES, password: "old-given-password-0123" };
        const changed = (await passwordProvider.update!("id", olds, { given: "new-given-password-0123", minLength: 16, ...LATER })).outs;
        assert.deepEqual([changed.password, changed.adminPassword, changed.monitorPassword], ["new-given-password-0123", CANDIDATES.adminPassword, CANDIDATES.monitorPassword]);
        const dropped = (await passwordProvider.update!("id", olds, { minLength: 16, ...LATER })).outs;
        assert.equal(dropped.password, LATER.password);
        assert.equal(dropped.given, undefined);
        assert.equal(dropped.adminPassword, CANDIDATES.adminPassword);
    });
});

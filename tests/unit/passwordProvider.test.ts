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

describe("DeploymentPassword provider: rotation phases", () => {
    const created: PasswordOutputs = { minLength: 16, rotation: "rotate", rotateInternal: 0, rotationInProgress: false, ...CANDIDATES, given: "old-given-password-0123", password: "old-given-password-0123" };
    const inputs = (over: Partial<PasswordOutputs>) => ({ minLength: 16, rotation: "rotate" as const, rotateInternal: 0, ...LATER, given: created.given, ...over });

    it("phase 1 keeps the old application password as retiring next to the new one; the internal ones stay", async () => {
        const news = inputs({ given: "new-given-password-0123" });
        const checked = await passwordProvider.check!(created, news);
        assert.deepEqual(checked.failures, []);
        assert.equal(checked.inputs.rotationInProgress, true);
        const { outs } = await passwordProvider.update!("id", created, checked.inputs);
        assert.equal(outs.password, "new-given-password-0123");
        assert.equal(outs.retiringPassword, "old-given-password-0123");
        assert.equal(outs.retiringAdminPassword, undefined);
        assert.equal(outs.adminPassword, CANDIDATES.adminPassword);
    });

    it("phase 1 of the internal passwords (rotateInternal raised) takes the run's candidates and keeps the old ones as retiring", async () => {
        const checked = await passwordProvider.check!(created, inputs({ rotateInternal: 1 }));
        const { outs } = await passwordProvider.update!("id", created, checked.inputs);
        assert.deepEqual([outs.adminPassword, outs.retiringAdminPassword], [LATER.adminPassword, CANDIDATES.adminPassword]);
        assert.deepEqual([outs.monitorPassword, outs.retiringMonitorPassword], [LATER.monitorPassword, CANDIDATES.monitorPassword]);
        assert.equal(outs.retiringPassword, undefined);
    });

    it("phase 2 drops the retiring passwords; a no-op run in either phase is no change", async () => {
        const phase1 = (await passwordProvider.update!("id", created, (await passwordProvider.check!(created, inputs({ given: "new-given-password-0123" }))).inputs)).outs as PasswordOutputs;
        const again = await passwordProvider.check!(phase1, inputs({ given: "new-given-password-0123" }));
        assert.equal((await passwordProvider.diff!("id", phase1, again.inputs)).changes, false, "phase 1 again");
        const set = await passwordProvider.check!(phase1, inputs({ given: "new-given-password-0123", rotation: "set" }));
        assert.deepEqual(set.failures, []);
        const phase2 = (await passwordProvider.update!("id", phase1, set.inputs)).outs as PasswordOutputs;
        assert.equal(phase2.password, "new-given-password-0123");
        assert.equal(phase2.retiringPassword, undefined);
        const setAgain = await passwordProvider.check!(phase2, inputs({ given: "new-given-password-0123", rotation: "set" }));
        assert.deepEqual(setAgain.failures, [], "`set` left in the program stays accepted");
        assert.equal((await passwordProvider.diff!("id", phase2, setAgain.inputs)).changes, false);
    });

    it("refuses at check (preview): set with nothing in progress, set together with a new password, a second rotation during phase 1", async () => {
        const reasons = async (olds: PasswordOutputs, over: Partial<PasswordOutputs>) => ((await passwordProvider.check!(olds, inputs(over))).failures ?? []).map((f) => f.reason).join("\n");
        assert.match(await reasons(created, { rotation: "set" }), /no rotation is in progress/);
        assert.match(await reasons(created, { rotation: "set", given: "new-given-password-0123" }), /was ever valid next to it/);
        const phase1 = { ...created, rotationInProgress: true };
        assert.match(await reasons(phase1, { given: "third-given-password-0123" }), /a rotation is in progress/);
        assert.match(await reasons(created, { given: "short" }), /at least 16 characters/);
    });
});

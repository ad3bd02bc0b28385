// The CLI's side of a password rotation: --password-file, --rotation, --rotate-internal, the stored
// settings they become, and the endpoint table's line about the phase.
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CliError } from "../../bin/cli/errors";
import { endpointTable } from "../../bin/cli/render";
import { checkSettingFlags, mergeSettings, parseSettingFlags, toDeploymentArgs } from "../../bin/cli/settings";

describe("CLI: password rotation", () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-cli-rotation-")); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
        const f = path.join(dir, name);
        fs.writeFileSync(f, text);
        return f;
    };

    it("--password-file reads the password without its trailing newline; an empty or missing file is one clear error", () => {
        assert.equal(parseSettingFlags({ "password-file": file("p", "a-new-password-0123456789\n") }).password, "a-new-password-0123456789");
        assert.throws(() => parseSettingFlags({ "password-file": file("empty", "\n") }), (e: Error) => e instanceof CliError && /--password-file: .* is empty/.test(e.message));
        assert.throws(() => parseSettingFlags({ "password-file": path.join(dir, "nope") }), (e: Error) => e instanceof CliError && /--password-file: can not read .*ENOENT/.test(e.message));
    });

    it("a new password starts phase 1 even after a finished rotation; --rotation set is phase 2; the same password again is refused", () => {
        const stored = { password: "old-password-0123456789", rotation: "set" };
        const phase1 = mergeSettings(stored, { password: "new-password-0123456789" });
        assert.equal(phase1.password, "new-password-0123456789");
        assert.equal(phase1.rotation, undefined, "the stored \"set\" is dropped: the component's default is rotate");
        assert.deepEqual(toDeploymentArgs(phase1).auth, { password: "new-password-0123456789" });
        const phase2 = mergeSettings(phase1, { rotation: "set" });
        assert.deepEqual(toDeploymentArgs(phase2).auth, { password: "new-password-0123456789", rotation: "set" });
        assert.throws(() => mergeSettings(phase2, { password: "new-password-0123456789" }), (e: Error) => e instanceof CliError && /equals the current one/.test(e.message));
    });

    it("--rotate-internal raises the counter and starts phase 1 for rd-admin and rd-monitor; --rotation is checked", () => {
        const merged = mergeSettings({ rotation: "set", rotateInternal: "0" }, parseSettingFlags({ "rotate-internal": "1" }));
        assert.deepEqual(toDeploymentArgs(merged).auth, { rotateInternal: 1 });
        assert.throws(() => checkSettingFlags(parseSettingFlags({ rotation: "later" })), (e: Error) => e instanceof CliError && e.message === '--rotation: "later" is not one of: rotate, set');
    });

    it("the endpoint table says which phase the deployment is in", () => {
        const outs = (phase: string) => ({ endpoint: { value: "127.0.0.1:6379", secret: false }, passwordRotation: { value: phase, secret: false } });
        assert.match(endpointTable("dev", outs("rotating"), false), /password rotation\s+phase 1: the old and the new password are both valid; retire the old one with `up --rotation set`/);
        assert.match(endpointTable("dev", outs("idle"), false), /password rotation\s+none in progress/);
    });
});

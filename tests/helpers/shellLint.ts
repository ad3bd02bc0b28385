// The check every rendered shell script passes: `bash -n` / `sh -n` and shellcheck at style level.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Runs `bash -n` and `shellcheck -s bash -S style` on `script`; a failure names `label` and shows the findings. */
export function assertBashScriptLints(script: string, label: string): void {
    assertScriptLints(script, label, "bash");
}

/**
 * The same for a POSIX sh script (the Kubernetes containers' scripts): `sh -n` and shellcheck
 * -s sh. SC3028 is left out: Kubernetes sets HOSTNAME (the pod name) in every container.
 */
export function assertShScriptLints(script: string, label: string): void {
    assertScriptLints(script, label, "sh", ["-e", "SC3028"]);
}

function assertScriptLints(script: string, label: string, shell: "bash" | "sh", extra: string[] = []): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-lint-"));
    try {
        const file = path.join(dir, `${label.replace(/[^\w.-]/g, "_")}.sh`);
        fs.writeFileSync(file, script);
        for (const [cmd, args] of [[shell, ["-n", file]], ["shellcheck", ["-s", shell, "-S", "style", ...extra, file]]] as const) {
            const r = spawnSync(cmd, [...args], { encoding: "utf8" });
            assert.equal(r.status, 0, `${label}: ${cmd}:\n${r.stdout}${r.stderr}`);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

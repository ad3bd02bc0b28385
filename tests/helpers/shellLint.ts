// The check every rendered bash script passes: `bash -n` and shellcheck at style level.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Runs `bash -n` and `shellcheck -s bash -S style` on `script`; a failure names `label` and shows the findings. */
export function assertBashScriptLints(script: string, label: string): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-lint-"));
    try {
        const file = path.join(dir, `${label.replace(/[^\w.-]/g, "_")}.sh`);
        fs.writeFileSync(file, script);
        for (const [cmd, args] of [["bash", ["-n", file]], ["shellcheck", ["-s", "bash", "-S", "style", file]]] as const) {
            const r = spawnSync(cmd, [...args], { encoding: "utf8" });
            assert.equal(r.status, 0, `${label}: ${cmd}:\n${r.stdout}${r.stderr}`);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

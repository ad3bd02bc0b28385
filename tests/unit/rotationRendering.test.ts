// During phase 1 of a rotation every provider's nodes accept both passwords: what each provider
// delivers (the Kubernetes Secret's credential lines, the VM templates after the boot script's
// substitution) holds both hashes, and only the current one once no rotation runs.
import { strict as assert } from "node:assert";
import { passwordHash } from "../../components/config/users";
import { plan } from "../../components/plan";
import type { Credentials, TopologyPlan } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { SECRET_KEYS, secretData } from "../../providers/kubernetes/secret";
import { PLACEHOLDER_CREDENTIALS, substituteSecrets } from "../../providers/vm/secrets";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";

const CURRENT: Credentials = { password: "new-application-0123456789", adminPassword: "new-admin-0123456789", monitorPassword: "new-monitor-0123456789" };
const ROTATING: Credentials = { ...CURRENT, retiring: { password: "old-application-0123456789", adminPassword: "old-admin-0123456789" } };

/** The password hashes the `user <name>` line of `text` holds. */
function hashesOf(text: string, user: string): string[] {
    const line = text.split("\n").find((l) => l.startsWith(`user ${user} `));
    assert.ok(line, `a user ${user} line in:\n${text}`);
    return [...line.matchAll(/#([0-9a-f]{64})/g)].map((m) => m[1]).sort();
}
const hashes = (...passwords: string[]) => passwords.map(passwordHash).sort();

describe("rotation: what each provider delivers", () => {
    const p: TopologyPlan = plan(validateArgs("rot", { mode: "sentinel" }));

    it("Kubernetes: the Secret's credential lines hold the new and the retiring hash in phase 1, one hash after", () => {
        const rotating = secretData(p, ROTATING);
        assert.deepEqual(hashesOf(rotating[SECRET_KEYS.redisAuth], "default"), hashes(CURRENT.password, ROTATING.retiring!.password!));
        assert.deepEqual(hashesOf(rotating[SECRET_KEYS.redisAuth], "rd-admin"), hashes(CURRENT.adminPassword, ROTATING.retiring!.adminPassword!));
        assert.deepEqual(hashesOf(rotating[SECRET_KEYS.redisAuth], "rd-monitor"), hashes(CURRENT.monitorPassword), "not rotating: one hash");
        assert.deepEqual(hashesOf(rotating[SECRET_KEYS.sentinelAuth], "default"), hashes(CURRENT.password, ROTATING.retiring!.password!));
        assert.deepEqual(hashesOf(secretData(p, CURRENT)[SECRET_KEYS.redisAuth], "default"), hashes(CURRENT.password));
        assert.match(rotating[SECRET_KEYS.redisAuth], new RegExp(`^masterauth ${CURRENT.adminPassword}$`, "m"), "replicas present the current admin password");
    });

    it("VMs: the templates, filled in as the boot script does, hold both hashes in phase 1 and the current one twice (one password) after", () => {
        const member = { ...p.members[0], address: "10.0.0.5" };
        const template = renderRedisConf({ args: p.args, member, credentials: PLACEHOLDER_CREDENTIALS, dataDir: "/data" });
        assert.deepEqual(hashesOf(substituteSecrets(template, ROTATING), "default"), hashes(CURRENT.password, ROTATING.retiring!.password!));
        assert.deepEqual([...new Set(hashesOf(substituteSecrets(template, CURRENT), "default"))], hashes(CURRENT.password));
        const sentinel = renderSentinelConf({ args: p.args, sentinel: { ...p.sentinels[0], address: "10.0.0.9" }, credentials: PLACEHOLDER_CREDENTIALS, dataDir: "/data" });
        assert.deepEqual(hashesOf(substituteSecrets(sentinel, ROTATING), "rd-admin"), hashes(CURRENT.adminPassword, ROTATING.retiring!.adminPassword!));
    });
});

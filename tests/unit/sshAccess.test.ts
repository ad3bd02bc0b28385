// access.ssh without a bastion: validation of the arguments, host key matching, and the
// component under Pulumi mocks (the bootstrap's access input, which carries the private key,
// is a secret: never plain in state).
import { strict as assert } from "node:assert";
import { createHash, generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RedisDeploymentArgs } from "../../components/args";
import { RedisDeployment } from "../../components/redisDeployment";
import { fingerprintOf, hostKeyMatches } from "../../bootstrap/access/ssh";
import { MockRecorder, RejectionTrap, isWrappedSecret, redactSecrets, settle, unwrap, value } from "../helpers/mocks";
import { problemLines } from "../helpers/argumentProblems";

const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-not-a-real-key-7f3a9c\n-----END OPENSSH PRIVATE KEY-----\n";
/** The SSH wire blob of an ed25519 public key, and its OpenSSH line. */
function ed25519(): { blob: Buffer; line: string } {
    const raw = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]);
    return { blob, line: `ssh-ed25519 ${blob.toString("base64")} ops@bastion` };
}

const problems = (args: RedisDeploymentArgs) => problemLines(args);

describe("access.ssh", () => {
    describe("validation", () => {
        const ssh = { host: "10.0.0.5", user: "ops", privateKey: PRIVATE_KEY };

        it("accepts host, user, privateKey, port and a hostKey as a public key line or a SHA256 fingerprint", () => {
            assert.deepEqual(problems({ access: { ssh } }), []);
            assert.deepEqual(problems({ access: { ssh: { ...ssh, port: 2200, hostKey: ed25519().line } } }), []);
            assert.deepEqual(problems({ access: { ssh: { ...ssh, hostKey: fingerprintOf(ed25519().blob) } } }), []);
        });

        it("still names every missing or malformed field", () => {
            const found = problems({ access: { ssh: { host: "", user: "", port: 0, hostKey: "not a key", privateKey: undefined as never, typo: 1 } as never } });
            for (const field of ["access.ssh.host", "access.ssh.user", "access.ssh.privateKey", "access.ssh.port", "access.ssh.hostKey", "access.ssh.typo"]) {
                assert.ok(found.some((p) => p.startsWith(`${field}:`)), `${field} reported in ${found.join(" | ")}`);
            }
            assert.ok(!found.some((p) => /not available/.test(p)), "no blanket rejection any more");
        });

        it("is refused with the kubernetes provider, which reaches pods through the API server", () => {
            assert.ok(problems({ provider: "kubernetes", access: { ssh } }).some((p) => p.startsWith("access.ssh: is not used by the kubernetes provider")));
        });
    });

    describe("host key matching", () => {
        const key = ed25519();
        const other = ed25519();

        it("matches the key's own line, bare blob and fingerprint", () => {
            assert.ok(hostKeyMatches(key.line, key.blob));
            assert.ok(hostKeyMatches(`bastion.example ${key.line}`, key.blob), "a known_hosts line");
            assert.ok(hostKeyMatches(key.blob.toString("base64"), key.blob));
            const fp = `SHA256:${createHash("sha256").update(key.blob).digest("base64").replace(/=+$/, "")}`;
            assert.equal(fingerprintOf(key.blob), fp);
            assert.ok(hostKeyMatches(fp, key.blob));
        });

        it("rejects another key, by line and by fingerprint", () => {
            assert.ok(!hostKeyMatches(other.line, key.blob));
            assert.ok(!hostKeyMatches(fingerprintOf(other.blob), key.blob));
        });
    });

    describe("component under mocks", function () {
        this.timeout(60000);
        const rec = new MockRecorder();
        const trap = new RejectionTrap();
        let dataDir: string;
        const fingerprint = fingerprintOf(ed25519().blob);

        before(() => { dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-ssh-component-")); });
        after(() => {
            trap.stop();
            fs.rmSync(dataDir, { recursive: true, force: true });
        });

        for (const mode of [
            { args: { mode: "replication", replicasPerShard: 1 } as RedisDeploymentArgs, type: ":ReplicationBootstrap" },
            { args: { mode: "sentinel", replicasPerShard: 1, sentinels: 3 } as RedisDeploymentArgs, type: ":SentinelBootstrap" },
            { args: { mode: "cluster", shards: 3, replicasPerShard: 1 } as RedisDeploymentArgs, type: ":ClusterBootstrap" },
        ]) {
            it(`${mode.args.mode}: the bootstrap's access input carries the key only inside a secret`, async () => {
                await rec.install("proj", "stack");
                trap.start();
                const d = new RedisDeployment(`ssh-${mode.args.mode}`, {
                    ...mode.args,
                    local: { dataDir, addressPrefix: "127.98" },
                    access: { ssh: { host: "10.0.0.5", user: "ops", privateKey: PRIVATE_KEY, hostKey: ` ${fingerprint} ` } },
                });
                await value(d.endpoint);
                await settle();
                trap.stop();
                assert.deepEqual(trap.errors.map(String), []);
                const bootstrap = rec.ofType(mode.type).find((r) => r.name === `ssh-${mode.args.mode}-${mode.args.mode}`) ?? rec.ofType(mode.type)[0];
                assert.ok(bootstrap, `a ${mode.type} was registered`);
                assert.ok(isWrappedSecret(bootstrap.inputs.access), "access must be a secret input");
                // Positive control: the key does travel to the bootstrap (inside the secret) ...
                assert.deepEqual(unwrap(bootstrap.inputs.access), { kind: "ssh", host: "10.0.0.5", port: 22, user: "ops", privateKey: PRIVATE_KEY, hostKey: fingerprint });
                // ... and is readable nowhere without decryption.
                const plain = JSON.stringify(rec.seen.map((r) => redactSecrets(r.inputs)));
                assert.ok(!plain.includes("not-a-real-key-7f3a9c"), "the private key appears in a non-secret input");
            });
        }
    });
});

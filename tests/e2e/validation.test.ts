// A bad argument fails before anything exists: at preview through the engine, with the
// component's validation message, and in the CLI as that one message with exit code 1.
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { RedisDeployment } from "../../components";
import { engineEnv, ensurePulumi, pulumiCommandIn, silentIo } from "../../bin/cli";
import { processesUnder } from "../helpers/fleet";

const SHARDS_MESSAGE = "shards: must be between 3 and 1000, got 2";

describe("e2e: a bad argument fails at preview and creates nothing", function () {
    this.timeout(120000);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-"));
    const dataDir = path.join(root, "data");

    after(() => {
        for (const pid of processesUnder(root)) {
            try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
        }
        fs.rmSync(root, { recursive: true, force: true });
    });

    /** A stack whose inline program deploys a cluster with 2 shards (validation requires 3+). */
    async function badStack() {
        const stateDir = path.join(root, "automation");
        const pulumiBin = ensurePulumi(silentIo);
        return LocalWorkspace.createOrSelectStack({
            stackName: "bad",
            projectName: "rd-e2e-validation",
            program: async () => {
                const redis = new RedisDeployment("bad", { mode: "cluster", shards: 2, local: { addressPrefix: "127.123", dataDir } });
                return { endpoint: redis.endpoint };
            },
        }, {
            workDir: path.join(stateDir, "workspace"),
            envVars: engineEnv(stateDir, pulumiBin),
            pulumiCommand: await pulumiCommandIn(pulumiBin),
            projectSettings: { name: "rd-e2e-validation", runtime: "nodejs", main: path.resolve(__dirname, "../..") },
        });
    }
    /** Types of the resources in the stack's state other than the stack itself. */
    async function resourcesIn(stack: Awaited<ReturnType<typeof badStack>>): Promise<string[]> {
        const state = await stack.exportStack();
        return ((state.deployment.resources ?? []) as { type: string }[]).map((r) => r.type).filter((t) => t !== "pulumi:pulumi:Stack");
    }

    it("Automation API: preview of a cluster with shards 2 fails with the message naming shards; no resource, no process", async () => {
        const stack = await badStack();
        let output = "";
        const collect = (t: string) => { output += t; };
        await assert.rejects(stack.preview({ onOutput: collect, onError: collect, color: "never" }), (err: Error) => {
            assert.ok(err.message.includes(SHARDS_MESSAGE), err.message);
            return true;
        });
        assert.ok(output.includes(SHARDS_MESSAGE), output);
        assert.doesNotMatch(output, /^\s+at .*\(.*:\d+:\d+\)$/m, "the engine shows the message, not a stack trace");
        assert.doesNotMatch(output, /RedisDeploymentArgumentError|RunError/, "no error class names");
        assert.deepEqual(await resourcesIn(stack), []);
        assert.deepEqual(processesUnder(root), []);
        assert.equal(fs.existsSync(dataDir), false);
    });

    it("Automation API: up with it fails the same way and leaves no resource in the stack, not even the component", async () => {
        const stack = await badStack();
        await assert.rejects(stack.up({ color: "never" }), (err: Error) => err.message.includes(SHARDS_MESSAGE));
        assert.deepEqual(processesUnder(root), []);
        assert.equal(fs.existsSync(dataDir), false);
        assert.deepEqual(await resourcesIn(stack), [], "the component registered itself before validating its arguments");
    });

    it("CLI: `redis-deployment up --mode cluster --shards 2` prints only the validation message and exits 1", () => {
        const stateDir = path.join(root, "cli");
        const launcher = path.resolve(__dirname, "../../bin/redis-deployment");
        const run = (...args: string[]) => spawnSync(launcher, [...args, "--state-dir", stateDir], {
            encoding: "utf8",
            env: { ...process.env, REDIS_DEPLOYMENT_FROM_SOURCE: "1" },
            timeout: 60000,
        });

        const bad = run("up", "--mode", "cluster", "--shards", "2", "--address-prefix", "127.123", "--data-dir", dataDir);
        assert.equal(bad.status, 1, bad.stderr);
        assert.equal(bad.stdout, "");
        assert.equal(bad.stderr, `redis-deployment: RedisDeployment "redis" has invalid arguments:\n  - ${SHARDS_MESSAGE} (a Redis cluster needs at least 3 masters to elect replacements)\n`);

        const listed = run("list", "--json");
        assert.equal(listed.status, 0, listed.stderr);
        assert.deepEqual(JSON.parse(listed.stdout), [], "no stack was created");
        assert.deepEqual(processesUnder(root), []);
        assert.equal(fs.existsSync(dataDir), false);

        const usage = run("up", "--replicas", "2");
        assert.equal(usage.status, 2);
        assert.match(usage.stderr, /Unknown option '--replicas'/);
        assert.doesNotMatch(usage.stderr, /^\s+at /m);
    });
});

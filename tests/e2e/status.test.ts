// `redis-deployment status` and `failover` on a deployment made by the real engine (sentinel mode:
// 1 master + 1 replica, 3 sentinels, 2 HAProxies), through the CLI's main() with its exit codes:
// a manual failover under a writer loses no acknowledged write; after a kill -9 of the master,
// `status --json` names the new master and the killed member as down and exits 1; after `up`
// brings the member back as a replica it exits 0.
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { main, status, type Io, type StatusReport } from "../../bin/cli";
import { AckWriter, SingleRouter, lostWrites } from "../helpers/writer";
import { cleanupAfterSuite, E2eDeployment, hostPort, poll, secretValue, timed } from "./harness";

describe("e2e: status and failover through the CLI (sentinel 1+1, 3 sentinels, 2 HAProxies)", function () {
    this.timeout(300000);
    const d = new E2eDeployment("127.126");
    let password = "";
    let endpoint = "";
    const members = new Map<string, string>();

    async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        const out: string[] = [];
        const err: string[] = [];
        const io: Io = { stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
        const code = await main([...args, "--stack", d.stack, "--state-dir", d.stateDir], io);
        return { code, stdout: out.join(""), stderr: err.join("") };
    }
    async function statusJson(): Promise<{ code: number; report: StatusReport }> {
        const r = await cli("status", "--json");
        return { code: r.code, report: JSON.parse(r.stdout) as StatusReport };
    }
    /** Polls `status --json` until `want` holds for it. */
    async function statusUntil(what: string, want: (r: { code: number; report: StatusReport }) => boolean, timeoutMs = 60000) {
        let last: { code: number; report: StatusReport } | undefined;
        try {
            return await poll(what, timeoutMs, async () => {
                last = await statusJson();
                return want(last) ? last : undefined;
            });
        } catch (err) {
            throw new Error(`${(err as Error).message}; last status: exit ${last?.code}, problems ${JSON.stringify(last?.report.problems)}`);
        }
    }
    async function using<T>(address: string, fn: (c: Redis) => Promise<T>): Promise<T> {
        const c = new Redis({ ...hostPort(address), password, maxRetriesPerRequest: 1, retryStrategy: () => null });
        c.on("error", () => undefined);
        try {
            return await fn(c);
        } finally {
            c.disconnect();
        }
    }

    afterEach(function () {
        if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${d.logTail()}`);
    });
    cleanupAfterSuite(d, "status");

    it("up, then `status`: exit 0, every member with its live role, the sentinels and both proxies", async () => {
        const { outputs } = await timed("status: first up (sentinel 1+1)", () => d.up({ mode: "sentinel" }));
        password = secretValue(outputs, "password");
        endpoint = outputs.endpoint.value;
        for (const m of outputs.members.value as { name: string; address: string; port: number }[]) members.set(m.name, `${m.address}:${m.port}`);
        const { code, report } = await statusUntil("a healthy status", (r) => r.code === 0, 20000);
        assert.equal(code, 0);
        assert.deepEqual(report.masters, [{ shard: 0, master: "redis-s0-m0" }]);
        assert.equal(report.sentinels.length, 3);
        assert.equal(report.proxies.length, 2);
        const text = await cli("status");
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /redis-s0-m0\s+0\s+master\s+1 replica\(s\)/);
        assert.match(text.stdout, /redis-s0-m1\s+0\s+replica\s+redis-s0-m0/);
        assert.match(text.stdout, /writes reach redis-s0-m0; UP for writes: redis-s0-m0; for reads: redis-s0-m1/);
        assert.doesNotMatch(text.stdout, /PROBLEM/);
    });

    it("`failover` moves the master with 0 acknowledged writes lost under a writer through HAProxy", async () => {
        const writer = new AckWriter(new SingleRouter(hostPort(endpoint), { password }), { prefix: "e2e-fo", loops: 2, waitReplicas: 1 });
        writer.start();
        await new Promise((r) => setTimeout(r, 500));
        const result = await timed("status: failover", () => cli("failover"));
        await new Promise((r) => setTimeout(r, 1000));
        await writer.stop();
        writer.close();
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^failover: master redis-s0-m0 \(\S+\) -> redis-s0-m1 \(\S+\) in [\d.]+s\n$/);
        const lost = await lostWrites(writer.records, (keys) => using(members.get("redis-s0-m1")!, (c) => c.mget(keys)));
        const acked = writer.acked().length;
        assert.ok(acked > 50, `writes were acknowledged (${acked})`);
        assert.deepEqual(lost.map((r) => r.key), [], "acknowledged writes missing on the new master");
        console.log(`      failover: ${result.stdout.trim()}; ${acked} acknowledged writes, 0 lost`);
        const { report } = await statusUntil("a healthy status after the failover", (r) => r.code === 0, 20000);
        assert.deepEqual(report.masters, [{ shard: 0, master: "redis-s0-m1" }]);
        assert.equal(report.members.find((m) => m.name === "redis-s0-m0")!.master, "redis-s0-m1");
    });

    it("after kill -9 of the master, `status --json` names the new master and the killed member as down, exit 1", async () => {
        const pid = Number(await using(members.get("redis-s0-m1")!, async (c) => /process_id:(\d+)/.exec(String(await c.info("server")))![1]));
        process.kill(pid, "SIGKILL");
        const { code, report } = await statusUntil("the sentinels to promote redis-s0-m0", (r) => r.report.masters[0].master === "redis-s0-m0");
        assert.equal(code, 1);
        const killed = report.members.find((m) => m.name === "redis-s0-m1")!;
        assert.equal(killed.up, false);
        assert.ok(report.problems.some((p) => p.startsWith("redis-s0-m1 (") && /is down/.test(p)), JSON.stringify(report.problems));
        const text = await cli("status");
        assert.equal(text.code, 1);
        assert.match(text.stdout, /^PROBLEM redis-s0-m1 \(\S+\) is down: /m);
    });

    it("after `up` brings it back as a replica, `status` exits 0 (also as the Automation API function)", async () => {
        await timed("status: up after the kill", () => d.upAgain());
        const { report } = await statusUntil("a healthy status after up", (r) => r.code === 0, 30000);
        assert.deepEqual(report.masters, [{ shard: 0, master: "redis-s0-m0" }]);
        const back = report.members.find((m) => m.name === "redis-s0-m1")!;
        assert.deepEqual([back.up, back.role, back.master, back.linkStatus], [true, "replica", "redis-s0-m0", "up"]);
        const viaApi = await status({ stack: d.stack, stateDir: d.stateDir, io: d.io });
        assert.equal(viaApi.healthy, true, JSON.stringify(viaApi.problems));
    });

    it("`failover --shard 1` on a sentinel deployment is refused naming the flag, exit 1; a bad --shard exits 2", async () => {
        const refused = await cli("failover", "--shard", "1");
        assert.equal(refused.code, 1);
        assert.equal(refused.stderr, "redis-deployment: failover: --shard applies to cluster mode; a sentinel deployment has one shard (0)\n");
        const bad = await cli("failover", "--shard", "x");
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--shard: expected a whole number, got "x"/);
    });
});

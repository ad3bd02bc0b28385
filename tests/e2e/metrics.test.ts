// Metrics, scraped by a real Prometheus (Debian's `prometheus`): a sentinel deployment (1 master +
// 1 replica, 3 sentinels, 2 HAProxies) made by the real engine with `--metrics on`; the test
// starts Prometheus on a loopback address with the `metricsTargets` output as its only scrape
// config and asks its HTTP API what a dashboard would: every exporter's redis_up, each HAProxy's
// write backend, and the master's role moving after a kill -9.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { Redis } from "ioredis";
import { httpGet } from "../helpers/http";
import { cleanupAfterSuite, E2eDeployment, hostPort, poll, secretValue, timed } from "./harness";

interface Sample { metric: Record<string, string>; value: [number, string] }

/** A free TCP port on `host` (bound and released). */
function freePort(host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on("error", reject);
        server.listen(0, host, () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

describe("e2e: metrics scraped by a real Prometheus (sentinel 1+1, 3 sentinels, 2 HAProxies)", function () {
    this.timeout(300000);
    const d = new E2eDeployment("127.141");
    const promHost = "127.0.0.1";
    let promPort = 0;
    let prometheus: ChildProcess | undefined;
    const promLog: string[] = [];
    let targets: string[] = [];
    let password = "";
    const members = new Map<string, string>();

    async function query(promql: string): Promise<Sample[]> {
        const { status, body } = await httpGet(`http://${promHost}:${promPort}/api/v1/query?query=${encodeURIComponent(promql)}`);
        if (status !== 200) throw new Error(`Prometheus answered ${status} to ${promql}: ${body}`);
        return (JSON.parse(body) as { data: { result: Sample[] } }).data.result;
    }
    /** Polls a query until `want` holds for its result. */
    async function queryUntil(what: string, promql: string, want: (r: Sample[]) => boolean, timeoutMs = 60000): Promise<Sample[]> {
        let last: Sample[] = [];
        try {
            return await poll(what, timeoutMs, async () => {
                last = await query(promql);
                return want(last) ? last : undefined;
            });
        } catch (err) {
            throw new Error(`${(err as Error).message}; last result of ${promql}: ${JSON.stringify(last.map((s) => [s.metric, s.value[1]]))}`);
        }
    }

    afterEach(function () {
        if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${d.logTail()}\n    --- prometheus (tail) ---\n${promLog.join("").split("\n").slice(-15).join("\n")}`);
    });
    after(async () => {
        // Prometheus first, by its pid; then the deployment (cleanupAfterSuite).
        if (prometheus?.pid && prometheus.exitCode === null) {
            prometheus.kill("SIGKILL");
            await new Promise((r) => prometheus!.once("exit", r));
        }
    });
    cleanupAfterSuite(d, "metrics");

    it("up --metrics on: metricsTargets lists each member's and sentinel's exporter and each proxy's stats port", async () => {
        const { outputs } = await timed("metrics: first up (sentinel 1+1, metrics on)", () => d.up({ mode: "sentinel", metrics: "on" }));
        password = secretValue(outputs, "password");
        for (const m of outputs.members.value as { name: string; address: string; port: number }[]) members.set(m.name, `${m.address}:${m.port}`);
        targets = outputs.metricsTargets.value as string[];
        const sentinels = (outputs.sentinelAddresses.value as string[]).map((a) => `${hostPort(a).host}:9121`);
        const proxies = (outputs.proxyAddresses.value as string[]).map((a) => `${hostPort(a).host}:1936`);
        assert.deepEqual(targets, [...[...members.values()].map((a) => `${hostPort(a).host}:9121`), ...sentinels, ...proxies]);
        assert.equal(targets.length, 7);
        // The logs output: each node's log file, in its own directory on this machine.
        const logs = outputs.logs.value as { destination: string; files: Record<string, string> };
        assert.deepEqual(Object.keys(logs.files).sort(), [
            "redis-proxy0", "redis-proxy1", "redis-s0-m0", "redis-s0-m0-exporter", "redis-s0-m1", "redis-s0-m1-exporter",
            "redis-sentinel0", "redis-sentinel0-exporter", "redis-sentinel1", "redis-sentinel1-exporter", "redis-sentinel2", "redis-sentinel2-exporter",
        ]);
        for (const [node, file] of Object.entries(logs.files)) {
            assert.ok(file.startsWith(path.join(d.dataDir, node) + path.sep), `${node}: ${file} is in its own directory`);
            assert.ok(fs.statSync(file).size > 0, `${node} has written to ${file}`);
        }
        assert.match(fs.readFileSync(logs.files["redis-s0-m0"], "utf8"), /Ready to accept connections/);
    });

    it("Prometheus, configured with nothing but metricsTargets, sees redis_up 1 for every member and sentinel", async () => {
        promPort = await freePort(promHost);
        const dir = path.join(d.root, "prometheus");
        fs.mkdirSync(dir, { recursive: true });
        // The output as is: a static_configs entry, path /metrics (both programs' default).
        fs.writeFileSync(path.join(dir, "prometheus.yml"), [
            "global:",
            "  scrape_interval: 1s",
            "  scrape_timeout: 1s",
            "scrape_configs:",
            "  - job_name: redis",
            "    static_configs:",
            `      - targets: ${JSON.stringify(targets)}`,
            "",
        ].join("\n"));
        prometheus = spawn("prometheus", [
            `--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`,
            `--web.listen-address=${promHost}:${promPort}`, "--storage.tsdb.retention.time=1h",
        ], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        prometheus.stdout!.on("data", (c: Buffer) => promLog.push(c.toString()));
        prometheus.stderr!.on("data", (c: Buffer) => promLog.push(c.toString()));

        assert.equal(targets.length, 7, "the first test read metricsTargets");
        const up = await timed("metrics: every target up in Prometheus", () =>
            queryUntil("every target scraped", "up", (r) => r.length === targets.length && r.every((s) => s.value[1] === "1")));
        assert.deepEqual(up.map((s) => s.metric.instance).sort(), [...targets].sort());
        const redisUp = await queryUntil("redis_up of every exporter", "redis_up", (r) => r.length === 5);
        assert.ok(redisUp.every((s) => s.value[1] === "1"), JSON.stringify(redisUp.map((s) => [s.metric.instance, s.value[1]])));
        const modes = await query("count by (redis_mode) (redis_instance_info)");
        assert.deepEqual(Object.fromEntries(modes.map((s) => [s.metric.redis_mode, s.value[1]])), { standalone: "2", sentinel: "3" });
        // The sentinels' own view, through rd-monitor's read-only SENTINEL look-ups.
        const sentinelView = await queryUntil("each sentinel's master status", "redis_sentinel_master_status", (r) => r.length === 3);
        assert.ok(sentinelView.every((s) => s.metric.master_status === "ok" && s.value[1] === "1"), JSON.stringify(sentinelView));
    });

    it("each HAProxy's Prometheus endpoint shows exactly one server UP for writes, the master; its stats page is read-only", async () => {
        const master = members.get("redis-s0-m0")!;
        const writeUp = await queryUntil("one UP write server per proxy", 'haproxy_server_status{proxy="redis_master",state="UP"} == 1', (r) => r.length === 2);
        assert.deepEqual(writeUp.map((s) => s.metric.server), ["redis-s0-m0", "redis-s0-m0"]);
        assert.ok(master);
        const proxy = targets[targets.length - 1];
        const page = await httpGet(`http://${proxy}/`);
        assert.equal(page.status, 200);
        assert.match(page.body, /Statistics Report/);
        // An admin page has a form to disable servers; this one must not.
        assert.doesNotMatch(page.body, /name="?action"?/i);
        // Without `stats admin` HAProxy answers an admin form's POST with its "denied" status.
        const action = await new Promise<{ status: number; location: string }>((resolve, reject) => {
            const req = http.request(`http://${proxy}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } }, (res) => {
                res.resume();
                resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? "") });
            });
            req.on("error", reject);
            req.end("s=redis-s0-m0&action=disable&b=redis_master");
        });
        assert.match(action.location, /st=DENY/, JSON.stringify(action));
        await new Promise((r) => setTimeout(r, 1500));
        const still = await query('haproxy_server_status{proxy="redis_master",state="UP"} == 1');
        assert.equal(still.length, 2);
    });

    it("after kill -9 of the master, redis_instance_info{role=\"master\"} moves to the replica and the killed member's redis_up is 0", async () => {
        const killed = members.get("redis-s0-m0")!;
        const replica = members.get("redis-s0-m1")!;
        const c = new Redis({ ...hostPort(killed), password, maxRetriesPerRequest: 1, retryStrategy: () => null });
        c.on("error", () => undefined);
        const pid = Number(/process_id:(\d+)/.exec(String(await c.info("server")))![1]);
        c.disconnect();
        const before = await query('redis_instance_info{role="master",redis_mode="standalone"}');
        assert.deepEqual(before.map((s) => s.metric.instance), [`${hostPort(killed).host}:9121`]);
        const killedAt = Date.now();
        process.kill(pid, "SIGKILL");
        const moved = await timed("metrics: master role moved in Prometheus", () => queryUntil("the master role on the replica's exporter",
            'redis_instance_info{role="master",redis_mode="standalone"}', (r) => r.length === 1 && r[0].metric.instance === `${hostPort(replica).host}:9121`));
        console.log(`      redis_instance_info{role="master"} moved ${((Date.now() - killedAt) / 1000).toFixed(1)} s after kill -9`);
        assert.equal(moved.length, 1);
        const down = await queryUntil("redis_up 0 for the killed member", `redis_up{instance="${hostPort(killed).host}:9121"}`, (r) => r.length === 1 && r[0].value[1] === "0");
        assert.equal(down[0].value[1], "0");
        await queryUntil("the proxies' write backend on the new master", 'haproxy_server_status{proxy="redis_master",state="UP"} == 1',
            (r) => r.length === 2 && r.every((s) => s.metric.server === "redis-s0-m1"));
    });
});

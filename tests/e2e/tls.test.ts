// TLS on the local provider through the real engine (the CLI's `--tls on`): sentinel 1+1 with
// 3 sentinels and 2 HAProxies, and cluster 3 shards x 1 replica. A client given the
// caCertificate output connects over rediss://; plaintext is refused by every member, sentinel
// and proxy; a failover moves the master behind HAProxy; `redis-cli --tls --cluster check`
// reports OK; turning TLS off for the running deployment is refused at preview. The sentinel
// deployment has metrics on: every exporter reads its node over TLS (redis_up 1), HAProxy's
// stats page stays plain HTTP.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { Redis } from "ioredis";
import { main, type Io } from "../../bin/cli";
import { plaintextPing } from "../helpers/tls";
import { cleanupAfterSuite, E2eDeployment, hostPort, poll, secretValue, timed } from "./harness";

async function cli(d: E2eDeployment, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
    const code = await main([...args, "--stack", d.stack, "--state-dir", d.stateDir], io);
    return { code, stdout: out.join(""), stderr: err.join("") };
}

/** GET http://<target>/metrics: status and body. */
function scrape(target: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(`http://${target}/metrics`, { timeout: 5000 }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => { body += c; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`no answer from ${target}`)));
    });
}

/** A client as an application would make one: the rediss:// URL and the caCertificate output. */
async function using<T>(url: string, ca: string, fn: (c: Redis) => Promise<T>, endpoint?: string): Promise<T> {
    const parsed = new URL(url);
    const { host, port } = hostPort(endpoint ?? parsed.host);
    const c = new Redis({ host, port, username: parsed.username, password: decodeURIComponent(parsed.password), tls: { ca }, maxRetriesPerRequest: 1, retryStrategy: () => null });
    c.on("error", () => undefined);
    try {
        return await fn(c);
    } finally {
        c.disconnect();
    }
}

describe("e2e: TLS on every link (local provider, through the engine)", function () {
    this.timeout(300000);

    describe("sentinel 1+1, 3 sentinels, 2 HAProxies, metrics on", () => {
        const d = new E2eDeployment("127.127");
        let url = "";
        let ca = "";
        let outs: Record<string, { value: any; secret?: boolean }> = {};
        afterEach(function () {
            if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${d.logTail()}`);
        });
        cleanupAfterSuite(d, "tls sentinel");

        it("up with --tls on: caCertificate is a PEM CA, connectionUrl is rediss://; a client with the CA writes through HAProxy", async () => {
            const { outputs } = await timed("tls sentinel 1+1: first up", () => d.up({ mode: "sentinel", tls: "on", metrics: "on" }));
            outs = outputs;
            ca = outputs.caCertificate.value;
            assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
            url = secretValue(outputs, "connectionUrl");
            assert.match(url, /^rediss:\/\/default:[0-9a-f]+@[\d.]+:6379$/);
            assert.equal(await using(url, ca, (c) => c.set("tls:k", "v")), "OK");
            assert.equal(await using(url, ca, (c) => c.get("tls:k")), "v");
            // A client that does not trust the CA refuses the proxy's certificate.
            await assert.rejects(using(url, "", (c) => c.ping()));
        });

        it("metrics: every member's and sentinel's exporter reads its node over TLS (redis_up 1); HAProxy's stats endpoint is plain HTTP", async () => {
            const targets = outs.metricsTargets.value as string[];
            const exporters = targets.filter((t) => t.endsWith(":9121"));
            assert.equal(exporters.length, 2 + 3);
            for (const t of exporters) {
                const { status, body } = await scrape(t);
                assert.equal(status, 200, t);
                assert.match(body, /^redis_up 1$/m, `${t}: ${body.split("\n").filter((l) => l.startsWith("redis_up")).join(" ")}`);
            }
            const stats = targets.filter((t) => t.endsWith(":1936"));
            assert.equal(stats.length, 2);
            for (const t of stats) assert.match((await scrape(t)).body, /^haproxy_process_nbthread /m, t);
            // Connected from the first scrape on: not one failed connection in its log.
            const exporterLog = fs.readFileSync(path.join(d.dataDir, "redis-s0-m0-exporter", "exporter.log"), "utf8");
            assert.doesNotMatch(exporterLog, /Couldn't connect/, exporterLog.slice(-1000));
        });

        it("a plaintext connection to any member, sentinel or proxy is refused", async () => {
            const listeners = [
                ...(outs.members.value as { address: string; port: number }[]).map((m) => `${m.address}:${m.port}`),
                ...outs.sentinelAddresses.value as string[],
                ...outs.proxyAddresses.value as string[],
                outs.readEndpoint.value as string,
            ];
            assert.equal(listeners.length, 2 + 3 + 2 + 1);
            for (const l of listeners) {
                const { host, port } = hostPort(l);
                const reply = await plaintextPing(host, port);
                assert.ok(!/PONG|NOAUTH/.test(reply), `${l} answered plaintext: ${reply}`);
            }
        });

        it("the sentinels answer over TLS and name the master; `failover` moves it and HAProxy follows", async () => {
            const sentinel = (outs.sentinelAddresses.value as string[])[0];
            const master = await using(url, ca, (c) => c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "redis"), sentinel) as string[];
            const members = outs.members.value as { name: string; address: string; port: number }[];
            assert.equal(`${master[0]}:${master[1]}`, `${members[0].address}:${members[0].port}`);
            const result = await timed("tls sentinel: failover", () => cli(d, "failover"));
            assert.equal(result.code, 0, result.stderr + result.stdout);
            assert.match(result.stdout, /redis-s0-m0 \(\S+\) -> redis-s0-m1/);
            await poll("writes through HAProxy reach the new master", 20000, async () => {
                const role = await using(url, ca, (c) => c.call("ROLE")).catch(() => undefined) as unknown[] | undefined;
                const ok = await using(url, ca, (c) => c.set("tls:after", "1")).catch(() => undefined);
                return role?.[0] === "master" && ok === "OK" ? true : undefined;
            });
            const status = await cli(d, "status", "--json");
            assert.equal(status.code, 0, status.stdout);
            assert.deepEqual(JSON.parse(status.stdout).masters, [{ shard: 0, master: "redis-s0-m1" }]);
        });

        it("the key files on disk are mode 0600; the state holds no private key in plain text", () => {
            const keys = filesNamed(d.dataDir, "node.key");
            assert.equal(keys.length, 2 + 3 + 2);
            for (const k of keys) assert.equal(fs.statSync(k).mode & 0o777, 0o600, k);
            const key = fs.readFileSync(keys[0], "utf8").split("\n")[1];
            const leaking = filesNamed(d.stateDir).filter((f) => fs.readFileSync(f, "utf8").includes(key));
            assert.deepEqual(leaking, []);
        });

        it("a second up changes nothing; turning TLS off for the running deployment is refused, saying how to migrate", async () => {
            const again = await d.upAgain();
            assert.deepEqual(Object.keys(again.result.summary.resourceChanges ?? {}), ["same"]);
            await assert.rejects(d.upAgain({ tls: "off" }), /turning TLS off for a running deployment is not done in place/);
        });
    });

    describe("cluster 3 shards x 1 replica", () => {
        const d = new E2eDeployment("127.128");
        afterEach(function () {
            if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${d.logTail()}`);
        });
        cleanupAfterSuite(d, "tls cluster");

        it("up with --tls on; redis-cli --tls --cluster check reports OK; a cluster client with the CA writes", async () => {
            const { outputs } = await timed("tls cluster 3x1: first up", () => d.up({ mode: "cluster", tls: "on" }));
            const ca = outputs.caCertificate.value as string;
            const password = secretValue(outputs, "password");
            const caFile = path.join(d.root, "ca.crt");
            fs.writeFileSync(caFile, ca);
            const seed = (outputs.clusterNodes.value as string[])[0];
            const { host, port } = hostPort(seed);
            const { execFileSync } = await import("child_process");
            const check = execFileSync("redis-cli", ["--tls", "--cacert", caFile, "--user", "default", "--pass", password, "--no-auth-warning", "--cluster", "check", `${host}:${port}`], { encoding: "utf8" });
            assert.match(check, /\[OK\] All 16384 slots covered/);
            assert.match(check, /\[OK\] All nodes agree about slots configuration/);
            const cluster = new Redis.Cluster([{ host, port }], { redisOptions: { password, tls: { ca } }, dnsLookup: (a, cb) => cb(null, a) });
            try {
                for (let i = 0; i < 30; i++) assert.equal(await cluster.set(`tls:c:${i}`, String(i)), "OK");
                assert.equal(await cluster.get("tls:c:29"), "29");
            } finally {
                cluster.disconnect();
            }
            const plain = await plaintextPing(host, port);
            assert.ok(!/PONG|NOAUTH/.test(plain), `plaintext answered: ${plain}`);
        });
    });
});

function filesNamed(dir: string, name?: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return filesNamed(full, name);
        return e.isFile() && (name === undefined || e.name === name) ? [full] : [];
    });
}

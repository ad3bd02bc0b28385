// TLS on the local provider through the real engine (the CLI's `--tls on`): sentinel 1+1 with
// 3 sentinels and 2 HAProxies, replication 1+2 with 2 HAProxies, and cluster 3 shards x 1
// replica. A client given the caCertificate output connects over rediss://; plaintext is refused
// by every member, sentinel and proxy port; a failover moves the master behind HAProxy (in
// replication mode under a writer through HAProxy over TLS, losing no acknowledged write);
// `redis-cli --tls --cluster check` reports OK; turning TLS off for the running deployment is
// refused at preview. The sentinel deployment has metrics on: every exporter reads its node over
// TLS (redis_up 1), HAProxy's stats page stays plain HTTP.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { Redis } from "ioredis";
import { failover, main, type Io } from "../../bin/cli";
import { httpGet } from "../helpers/http";
import { plaintextPing } from "../helpers/tls";
import { AckWriter, SingleRouter, lostWrites } from "../helpers/writer";
import { cleanupAfterSuite, E2eDeployment, hostPort, poll, secretValue, timed } from "./harness";

async function cli(d: E2eDeployment, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
    const code = await main([...args, "--stack", d.stack, "--state-dir", d.stateDir], io);
    return { code, stdout: out.join(""), stderr: err.join("") };
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
                const { status, body } = await httpGet(`http://${t}/metrics`);
                assert.equal(status, 200, t);
                assert.match(body, /^redis_up 1$/m, `${t}: ${body.split("\n").filter((l) => l.startsWith("redis_up")).join(" ")}`);
            }
            const stats = targets.filter((t) => t.endsWith(":1936"));
            assert.equal(stats.length, 2);
            for (const t of stats) assert.match((await httpGet(`http://${t}/metrics`)).body, /^haproxy_process_nbthread /m, t);
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

    describe("replication 1+2, 2 HAProxies", () => {
        const d = new E2eDeployment("127.129");
        let url = "";
        let ca = "";
        let password = "";
        let endpoint = "";
        const members = new Map<string, string>();
        afterEach(function () {
            if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${d.logTail()}`);
        });
        cleanupAfterSuite(d, "tls replication");

        /** Each replica's view of its link: "<master host>:<port> <master_link_status>". */
        async function links(replicas: string[]): Promise<string[]> {
            return Promise.all(replicas.map(async (name) => {
                const info = String(await using(url, ca, (c) => c.info("replication"), members.get(name)));
                const field = (f: string) => new RegExp(`^${f}:(\\S*)`, "m").exec(info)?.[1];
                return `${field("role")} ${field("master_host")}:${field("master_port")} ${field("master_link_status")}`;
            }));
        }

        it("up with --tls on: both replicas' links to the master are up over TLS; a client with the CA connects through HAProxy and to every member directly", async () => {
            const { outputs } = await timed("tls replication 1+2: first up", () => d.up({ mode: "replication", replicasPerShard: "2", tls: "on" }));
            ca = outputs.caCertificate.value;
            url = secretValue(outputs, "connectionUrl");
            password = secretValue(outputs, "password");
            endpoint = outputs.endpoint.value;
            assert.match(url, /^rediss:\/\//);
            for (const m of outputs.members.value as { name: string; address: string; port: number }[]) members.set(m.name, `${m.address}:${m.port}`);
            assert.deepEqual([...members.keys()], ["redis-s0-m0", "redis-s0-m1", "redis-s0-m2"]);
            assert.ok((outputs.proxyAddresses.value as string[]).includes(endpoint), `the endpoint ${endpoint} is a proxy`);
            const master = members.get("redis-s0-m0")!;
            assert.deepEqual(await links(["redis-s0-m1", "redis-s0-m2"]), [`slave ${master} up`, `slave ${master} up`]);
            // Through HAProxy, then read back from each member directly: the write crossed both TLS links.
            assert.equal(await using(url, ca, (c) => c.set("tls:repl", "1")), "OK");
            for (const [name, address] of members) {
                await poll(`${name} to have the write`, 5000, async () => (await using(url, ca, (c) => c.get("tls:repl"), address)) === "1" || undefined);
            }
            await assert.rejects(using(url, "", (c) => c.ping()), "a client that does not trust the CA refuses the proxy");
            await assert.rejects(using(url, "", (c) => c.ping(), master), "and the member");
        });

        it("a plaintext connection to every member and every HAProxy port is refused", async () => {
            // Every port the proxies listen on, as their configs say (write and read frontends).
            const binds = filesNamed(d.dataDir, "haproxy.cfg").flatMap((f) => [...fs.readFileSync(f, "utf8").matchAll(/^\s*bind (\S+)/gm)].map((b) => b[1]));
            assert.equal(binds.length, 2 * 2, binds.join(", "));
            const listeners = [...members.values(), ...binds];
            for (const l of listeners) {
                const { host, port } = hostPort(l);
                const reply = await plaintextPing(host, port);
                assert.ok(!/PONG|NOAUTH|^-/.test(reply), `${l} answered plaintext: ${reply}`);
                // The same port answers over TLS (the refusal is not just a closed port).
                assert.equal(await using(url, ca, (c) => c.ping(), l), "PONG", `${l} over TLS`);
            }
        });

        it("`failover` (the Automation API function) under a writer through HAProxy over TLS loses 0 acknowledged writes; the other replica follows the new master", async () => {
            const writer = new AckWriter(new SingleRouter({ ...hostPort(endpoint), tls: { ca } }, { password }), { prefix: "tls-fo", loops: 2, waitReplicas: 1 });
            writer.start();
            await new Promise((r) => setTimeout(r, 1000));
            const started = Date.now();
            const result = await timed("tls replication: failover", () => failover({ stack: d.stack, stateDir: d.stateDir, io: d.io }));
            const settled = Date.now();
            try {
                await poll("acknowledged writes through HAProxy after the failover", 20000, async () => writer.firstAfter(settled, "acked"));
            } finally {
                await writer.stop();
                writer.close();
            }
            assert.equal(result.oldMaster.name, "redis-s0-m0");
            assert.match(result.newMaster.name, /^redis-s0-m[12]$/);
            const newMaster = members.get(result.newMaster.name)!;
            const lost = await lostWrites(writer.records, (keys) => using(url, ca, (c) => c.mget(keys), newMaster));
            const acked = writer.acked().length;
            const failedWrites = writer.records.filter((r) => !r.ok).length;
            // The longest stretch without an acknowledged write: what the failover cost the writer.
            const ackTimes = writer.acked().map((r) => r.doneAt).sort((x, y) => x - y);
            const longestGap = Math.max(0, ...ackTimes.slice(1).map((t, i) => t - ackTimes[i]));
            console.log(`      tls replication failover: ${result.oldMaster.name} -> ${result.newMaster.name} in ${result.seconds}s (${((settled - started) / 1000).toFixed(1)}s with reading the stack); ${writer.records.length} writes, ${acked} acknowledged, ${failedWrites} refused, 0 lost; longest gap between acknowledged writes ${(longestGap / 1000).toFixed(2)}s`);
            assert.ok(acked > 50, `writes were acknowledged (${acked})`);
            assert.ok(writer.records.some((r) => r.acked && r.sentAt > settled), "writes acknowledged after the failover (HAProxy follows the new master)");
            assert.deepEqual(lost.map((r) => r.key), [], "acknowledged writes missing on the new master");
            const others = [...members.keys()].filter((n) => n !== result.newMaster.name);
            await poll("both other members to follow the new master over TLS", 20000, async () => {
                const now = await links(others);
                return now.every((l) => l === `slave ${newMaster} up`) ? now : undefined;
            });
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

// Sentinel mode through the real Pulumi engine, driven through the redis-deployment CLI's own
// functions: up (1 master + 1 replica, 3 sentinels, 2 HAProxies), reads and writes through the
// HAProxy endpoint, no-op up, add a replica, destroy.
import assert from "node:assert/strict";
import * as fs from "fs";
import { Redis } from "ioredis";
import { pairs } from "../../bootstrap/sentinel";
import { assertOnlyChanges, cleanupAfterSuite, destroyLeavesNothing, E2eDeployment, filesUnder, hostPort, poll, secretValue, timed } from "./harness";

const KEYS = 200;

describe("e2e: sentinel (1 master + 1 replica, 3 sentinels, HAProxy) through the engine", function () {
    this.timeout(240000);
    const d = new E2eDeployment("127.122");
    let password = "";
    let endpoint = "";
    let readEndpoint = "";
    let sentinels: string[] = [];

    const client = (ep: string) => {
        const c = new Redis({ ...hostPort(ep), password, maxRetriesPerRequest: 1, retryStrategy: () => null });
        c.on("error", () => { /* the failing command reports it */ });
        return c;
    };
    async function using<T>(ep: string, fn: (c: Redis) => Promise<T>): Promise<T> {
        const c = client(ep);
        try {
            return await fn(c);
        } finally {
            c.disconnect();
        }
    }
    /** What every sentinel says about the master: its address, healthy replicas, other sentinels. */
    const sentinelViews = () => Promise.all(sentinels.map((s) => using(s, async (c) => {
        const master = pairs(await c.call("SENTINEL", "MASTER", "redis"));
        const replicas = ((await c.call("SENTINEL", "REPLICAS", "redis")) as unknown[]).map(pairs);
        return {
            master: `${master.ip}:${master.port}`,
            replicas: replicas.filter((r) => !/s_down|o_down|disconnected/.test(r.flags)).length,
            otherSentinels: Number(master["num-other-sentinels"]),
        };
    })));
    const readAll = () => using(endpoint, (c) => c.mget(Array.from({ length: KEYS }, (_, i) => `e2e:s:${i}`)));
    const expected = Array.from({ length: KEYS }, (_, i) => `v${i}`);

    afterEach(function () {
        if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${d.logTail()}`);
    });

    cleanupAfterSuite(d, "sentinel");

    it("up creates it; outputs: HAProxy endpoints, 3 sentinels, the master name, a secret password", async () => {
        const { result, outputs } = await timed("sentinel 1+1: first up", () => d.up({ mode: "sentinel" }));
        assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}), ["create"]);
        endpoint = outputs.endpoint.value;
        readEndpoint = outputs.readEndpoint.value;
        sentinels = outputs.sentinelAddresses.value;
        const proxies: string[] = outputs.proxyAddresses.value;
        assert.equal(proxies.length, 2);
        assert.ok(proxies.includes(endpoint), `the write endpoint ${endpoint} is a proxy (${proxies})`);
        assert.equal(sentinels.length, 3);
        assert.equal(outputs.masterName.value, "redis");
        password = secretValue(outputs, "password");
        assert.equal(outputs.connectionUrl.secret, true);
    });

    it("the stack's state files do not hold the password in plain text", () => {
        const leaking = filesUnder(d.stateDir).filter((f) => fs.readFileSync(f).includes(password));
        assert.deepEqual(leaking, []);
    });

    it("writes and reads go through the HAProxy endpoint to the master; the read endpoint serves a replica", async () => {
        await using(endpoint, async (c) => {
            assert.equal((await c.call("ROLE") as unknown[])[0], "master");
            for (let i = 0; i < KEYS; i++) await c.set(`e2e:s:${i}`, `v${i}`);
            assert.equal(await c.call("WAIT", "1", "5000"), 1, "the replica acknowledged the writes");
        });
        assert.deepEqual(await readAll(), expected);
        await using(readEndpoint, async (c) => {
            assert.equal((await c.call("ROLE") as unknown[])[0], "slave");
            assert.equal(await c.get(`e2e:s:${KEYS - 1}`), `v${KEYS - 1}`);
        });
    });

    it("every sentinel sees the master, its replica and the 2 other sentinels", async () => {
        const views = await sentinelViews();
        // The member behind the write endpoint, by the local address of HAProxy's connection to it
        // (CLIENT INFO's laddr; the application user may not read CONFIG).
        const master = await using(endpoint, async (c) => /\bladdr=(\S+)/.exec(String(await c.call("CLIENT", "INFO")))![1]);
        for (const v of views) {
            assert.equal(v.master, master, "the sentinels follow the member HAProxy writes to");
            assert.equal(v.replicas, 1);
            assert.equal(v.otherSentinels, 2);
        }
    });

    it("a second up reports no changes", async () => {
        const { result } = await timed("sentinel 1+1: no-op up", () => d.upAgain());
        assertOnlyChanges(result, "same");
    });

    it("up with --replicas-per-shard 2 converges: the master has 2 replicas and every sentinel sees them", async () => {
        const { result, outputs } = await timed("sentinel 1+1 -> 1+2: up", () => d.upAgain({ replicasPerShard: "2" }));
        const changes = result.summary.resourceChanges ?? {};
        assert.equal(changes.create, 1, `one new member: ${JSON.stringify(changes)}`);
        assert.equal(changes.replace, undefined, `nothing replaced: ${JSON.stringify(changes)}`);
        assert.equal(outputs.members.value.length, 3);
        const role = await using(endpoint, (c) => c.call("ROLE")) as [string, number, [string, string, string][]];
        assert.equal(role[0], "master");
        assert.equal(role[2].length, 2, `replicas of the master right after up: ${JSON.stringify(role[2])}`);
        for (const v of await sentinelViews()) {
            assert.equal(v.replicas, 2);
            assert.equal(v.otherSentinels, 2);
        }
    });

    it("the data written before is intact, through the endpoint and on the new replica", async () => {
        assert.deepEqual(await readAll(), expected);
        const newest = (await d.outputs()).members.value.find((m: { name: string }) => m.name === "redis-s0-m2");
        const replicaValues = await poll("the new replica to have the data", 10000, () =>
            using(`${newest.address}:${newest.port}`, async (c) => {
                const values = await c.mget(expected.map((_, i) => `e2e:s:${i}`));
                return values.every((v, i) => v === expected[i]) ? values : undefined;
            }));
        assert.equal(replicaValues.length, KEYS);
    });

    it("destroy leaves no process and no data directory", async () => {
        await destroyLeavesNothing(d, "sentinel: destroy");
    });
});

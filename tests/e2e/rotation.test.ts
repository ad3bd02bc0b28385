// Password rotation without downtime, through the real engine (the CLI's own functions), on the
// local provider: replication + HAProxy, sentinel (with the internal passwords too) and cluster
// 3x1. Writers with the old and with the new password keep writing through phase 1 without a
// failed write; a member restarted from its own config file in phase 1, and a failover in
// phase 1, keep both passwords valid; after phase 2 the old password gets WRONGPASS.
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { Cluster, Redis } from "ioredis";
import { ADMIN_USER } from "../../components/types";
import { assertOnlyChanges, cleanupAfterSuite, E2eDeployment, hostPort, poll, rawReplies, secretValue, timed } from "./harness";

const P0 = "first-password-0123456789";
const P1 = "second-password-0123456789";

/** Writes SET in a loop with one client until stopped; every failed write is kept. */
class Writer {
    writes = 0;
    readonly failures: string[] = [];
    private stopped = false;
    private readonly done: Promise<void>;
    constructor(private readonly client: Redis | Cluster, tag: string) {
        client.on("error", () => { /* failed writes are counted below */ });
        this.done = (async () => {
            // Strict clients refuse commands until connected: start once ready.
            if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve));
            while (!this.stopped) {
                try {
                    await client.set(`rot:${tag}:${this.writes % 500}`, String(this.writes));
                    this.writes++;
                } catch (err) {
                    this.failures.push((err as Error).message);
                }
                await new Promise((r) => setTimeout(r, 5));
            }
        })();
    }
    async stop(): Promise<void> {
        this.stopped = true;
        await this.done;
        this.client.disconnect();
    }
}

/** Strict clients: no retried or queued commands, so a refused or dropped write counts as failed. */
const strict = { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 } as const;

/** AUTH's reply for a user and password on a fresh plain connection: "OK" or the error text. */
async function authReply(endpoint: string, password: string, user = "default"): Promise<string> {
    try {
        const [reply] = await rawReplies(endpoint, [`AUTH ${user} ${password}`]);
        return reply.replace(/^[+-]/, "");
    } catch (err) {
        return (err as Error).message;
    }
}

async function assertAccepts(endpoints: string[], passwords: string[], user = "default"): Promise<void> {
    for (const ep of endpoints) for (const pw of passwords) assert.equal(await authReply(ep, pw, user), "OK", `${ep} must accept ${user}'s password ${pw.slice(0, 6)}...`);
}

async function assertRefuses(endpoints: string[], password: string, user = "default"): Promise<void> {
    for (const ep of endpoints) assert.match(await authReply(ep, password, user), /WRONGPASS/, `${ep} must refuse ${user}'s retired password`);
}

/** The member's redis.conf in the deployment's data directory. */
const memberConf = (d: E2eDeployment, member: string) => path.join(d.dataDir, member, "redis.conf");
/** The admin password a member's replicas present (its masterauth line; CONFIG REWRITE quotes it). */
const adminPasswordOf = (d: E2eDeployment, member: string) => /^masterauth "?([^"\s]+)"?$/m.exec(fs.readFileSync(memberConf(d, member), "utf8"))![1];

/** The pid of the redis-server whose working directory is the member's data directory. */
function memberPid(d: E2eDeployment, member: string): number {
    const dir = path.join(d.dataDir, member);
    const pid = d.processes().find((p) => {
        try {
            return fs.readlinkSync(`/proc/${p}/cwd`) === dir;
        } catch {
            return false;
        }
    });
    if (!pid) throw new Error(`no process for ${member}`);
    return pid;
}

async function waitGone(pid: number): Promise<void> {
    await poll(`pid ${pid} to exit`, 15000, async () => (fs.existsSync(`/proc/${pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8")) ? undefined : true));
}

const members = (outs: OutputMap) => (outs.members.value as { name: string; role: string; address: string; port: number }[]);
const endpointOf = (m: { address: string; port: number }) => `${m.address}:${m.port}`;

describe("e2e: password rotation without downtime (local provider)", function () {
    this.timeout(180000);

    describe("replication + HAProxy", () => {
        const d = new E2eDeployment("127.124");
        cleanupAfterSuite(d, "rotation replication");
        afterEach(function () {
            if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${d.logTail(60)}`);
        });
        let outs: OutputMap = {};
        let oldWriter: Writer;
        let newWriter: Writer;

        it("phase 1 (`up` with a new password): an old-password writer sees 0 failed writes; the new password works at once", async () => {
            outs = (await timed("rotation replication: first up", () => d.up({ mode: "replication", password: P0 }))).outputs;
            assert.equal(outs.passwordRotation.value, "idle");
            oldWriter = new Writer(new Redis({ ...hostPort(outs.endpoint.value), password: P0, ...strict }), "old");
            await poll("the old writer to write", 5000, async () => (oldWriter.writes > 20 ? true : undefined));
            const { result, outputs } = await timed("rotation replication: phase 1 up", () => d.upAgain({ password: P1 }));
            outs = outputs;
            assert.equal(outs.passwordRotation.value, "rotating");
            assert.equal(secretValue(outs, "password"), P1);
            assert.ok(!(result.summary.resourceChanges ?? {}).replace, "nothing is replaced");
            newWriter = new Writer(new Redis({ ...hostPort(outs.endpoint.value), password: P1, ...strict }), "new");
            await poll("the new writer to write", 5000, async () => (newWriter.writes > 20 ? true : undefined));
            await assertAccepts([...members(outs).map(endpointOf), outs.endpoint.value], [P0, P1]);
            assert.deepEqual(oldWriter.failures, [], "old-password writes during phase 1");
        });

        it("a no-op up in phase 1 changes nothing", async () => {
            assertOnlyChanges((await timed("rotation replication: no-op up", () => d.upAgain())).result, "same");
        });

        it("a replica killed in phase 1 and restarted from its own config file accepts both passwords and rejoins", async () => {
            const replica = members(outs).find((m) => m.role === "replica")!;
            const pid = memberPid(d, replica.name);
            process.kill(pid, "SIGKILL");
            await waitGone(pid);
            // What systemd would do: start it again from the file on disk (CONFIG REWRITE kept it current).
            const child = spawn("redis-server", [memberConf(d, replica.name)], { cwd: path.join(d.dataDir, replica.name), detached: true, stdio: "ignore" });
            child.unref();
            try {
                await poll(`${replica.name} to answer`, 15000, async () => ((await authReply(endpointOf(replica), P1)) === "OK" ? true : undefined));
                await assertAccepts([endpointOf(replica)], [P0, P1]);
                const c = new Redis({ ...hostPort(endpointOf(replica)), password: P1, retryStrategy: () => null });
                try {
                    await poll("the restarted replica's link", 15000, async () => (/master_link_status:up/.test(String(await c.info("replication"))) ? true : undefined));
                } finally {
                    c.disconnect();
                }
            } finally {
                process.kill(child.pid!, "SIGKILL");
                await waitGone(child.pid!);
            }
            await new Promise((r) => setTimeout(r, 300));
            assert.deepEqual([oldWriter.failures, newWriter.failures], [[], []], "writes through HAProxy while a replica restarts");
            assert.ok(oldWriter.writes > 50 && newWriter.writes > 50, `both writers wrote (${oldWriter.writes}, ${newWriter.writes})`);
        });

        it("phase 2 (`up --rotation set`): the old password gets WRONGPASS everywhere, the new one works", async () => {
            await Promise.all([oldWriter.stop(), newWriter.stop()]);
            const { outputs } = await timed("rotation replication: phase 2 up", () => d.upAgain({ rotation: "set" }));
            outs = outputs;
            assert.equal(outs.passwordRotation.value, "idle");
            const all = [...members(outs).map(endpointOf), outs.endpoint.value];
            await assertRefuses(all, P0);
            await assertAccepts(all, [P1]);
        });
    });

    describe("sentinel, rotating the internal passwords too", () => {
        const d = new E2eDeployment("127.125");
        cleanupAfterSuite(d, "rotation sentinel");
        let outs: OutputMap = {};
        let oldAdmin = "";
        const sentinelClient = (password: string) => new Redis({
            sentinels: (outs.sentinelAddresses.value as string[]).map(hostPort), name: "redis", password, sentinelPassword: password, ...strict,
        });

        it("phase 1 (new password and rotateInternal): Sentinel-client writers with the old and the new password see 0 failed writes", async () => {
            outs = (await timed("rotation sentinel: first up", () => d.up({ mode: "sentinel", password: P0 }))).outputs;
            const master = members(outs).find((m) => m.role === "master")!;
            oldAdmin = adminPasswordOf(d, master.name);
            const oldWriter = new Writer(sentinelClient(P0), "old");
            await poll("the old writer to write", 10000, async () => (oldWriter.writes > 20 ? true : undefined));
            outs = (await timed("rotation sentinel: phase 1 up", () => d.upAgain({ password: P1, rotateInternal: "1" }))).outputs;
            assert.equal(outs.passwordRotation.value, "rotating");
            const newWriter = new Writer(sentinelClient(P1), "new");
            await poll("the new writer to write", 10000, async () => (newWriter.writes > 20 ? true : undefined));
            await Promise.all([oldWriter.stop(), newWriter.stop()]);
            assert.deepEqual([oldWriter.failures, newWriter.failures], [[], []]);
            const newAdmin = adminPasswordOf(d, master.name);
            assert.notEqual(newAdmin, oldAdmin, "replicas present the new admin password");
            const nodes = [...members(outs).map(endpointOf), ...outs.sentinelAddresses.value];
            await assertAccepts(nodes, [P0, P1]);
            await assertAccepts(nodes, [oldAdmin, newAdmin], ADMIN_USER);
        });

        it("a failover in phase 1 keeps both passwords valid on the new master, and HAProxy follows it", async () => {
            const newAdmin = adminPasswordOf(d, members(outs)[0].name);
            const sentinel = new Redis({ ...hostPort(outs.sentinelAddresses.value[0]), username: ADMIN_USER, password: newAdmin, retryStrategy: () => null });
            const before = (await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "redis") as string[]).join(":");
            await sentinel.call("SENTINEL", "FAILOVER", "redis");
            const after = await poll("a new master", 30000, async () => {
                const now = (await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "redis") as string[]).join(":");
                return now !== before ? now : undefined;
            });
            sentinel.disconnect();
            await assertAccepts([after], [P0, P1]);
            await assertAccepts([after], [oldAdmin, newAdmin], ADMIN_USER);
            await poll("HAProxy to reach the new master", 15000, async () => {
                const c = new Redis({ ...hostPort(outs.endpoint.value), password: P1, retryStrategy: () => null, maxRetriesPerRequest: 0 });
                c.on("error", () => undefined);
                try {
                    return (await c.call("ROLE") as string[])[0] === "master" && (await c.set("rot:after-failover", "1")) === "OK" ? true : undefined;
                } finally {
                    c.disconnect();
                }
            });
        });

        it("phase 2: the old application and admin passwords get WRONGPASS; Sentinel still watches every replica; HAProxy still serves", async () => {
            outs = (await timed("rotation sentinel: phase 2 up", () => d.upAgain({ rotation: "set" }))).outputs;
            const newAdmin = adminPasswordOf(d, members(outs)[0].name);
            const nodes = [...members(outs).map(endpointOf), ...outs.sentinelAddresses.value];
            await assertRefuses(nodes, P0);
            await assertRefuses(nodes, oldAdmin, ADMIN_USER);
            await assertAccepts(nodes, [newAdmin], ADMIN_USER);
            const writer = new Writer(new Redis({ ...hostPort(outs.endpoint.value), password: P1, ...strict }), "phase2");
            await poll("writes through HAProxy", 10000, async () => (writer.writes > 20 ? true : undefined));
            await writer.stop();
            assert.deepEqual(writer.failures, []);
            for (const s of outs.sentinelAddresses.value as string[]) {
                const c = new Redis({ ...hostPort(s), username: ADMIN_USER, password: newAdmin, retryStrategy: () => null });
                try {
                    const replicas = (await c.call("SENTINEL", "REPLICAS", "redis")) as string[][];
                    assert.equal(replicas.length, 1);
                    assert.ok(!/s_down|disconnected/.test(replicas[0][replicas[0].indexOf("flags") + 1]), `${s} sees a healthy replica`);
                } finally {
                    c.disconnect();
                }
            }
        });
    });

    describe("cluster 3x1", () => {
        const d = new E2eDeployment("127.126");
        cleanupAfterSuite(d, "rotation cluster");
        let outs: OutputMap = {};
        const clusterClient = (password: string) => new Cluster((outs.clusterNodes.value as string[]).map(hostPort), {
            redisOptions: { password, ...strict }, clusterRetryStrategy: () => 50, enableOfflineQueue: false,
        });

        it("phase 1: cluster-client writers with the old and the new password see 0 failed writes; a failover keeps both valid", async () => {
            outs = (await timed("rotation cluster: first up", () => d.up({ mode: "cluster", shards: "3", replicasPerShard: "1", password: P0 }))).outputs;
            const oldWriter = new Writer(clusterClient(P0), "old");
            await poll("the old writer to write", 10000, async () => (oldWriter.writes > 20 ? true : undefined));
            outs = (await timed("rotation cluster: phase 1 up", () => d.upAgain({ password: P1 }))).outputs;
            const newWriter = new Writer(clusterClient(P1), "new");
            await poll("the new writer to write", 10000, async () => (newWriter.writes > 20 ? true : undefined));
            await Promise.all([oldWriter.stop(), newWriter.stop()]);
            assert.deepEqual([oldWriter.failures, newWriter.failures], [[], []]);
            const nodes = members(outs).map(endpointOf);
            await assertAccepts(nodes, [P0, P1]);

            const replica = members(outs).find((m) => m.role === "replica")!;
            const c = new Redis({ ...hostPort(endpointOf(replica)), username: ADMIN_USER, password: adminPasswordOf(d, replica.name), retryStrategy: () => null });
            try {
                await c.call("CLUSTER", "FAILOVER");
                await poll(`${replica.name} to become master`, 20000, async () => ((await c.call("ROLE") as string[])[0] === "master" ? true : undefined));
            } finally {
                c.disconnect();
            }
            await assertAccepts(nodes, [P0, P1]);
        });

        it("phase 2: the old password gets WRONGPASS on every node, the new one works", async () => {
            outs = (await timed("rotation cluster: phase 2 up", () => d.upAgain({ rotation: "set" }))).outputs;
            const nodes = members(outs).map(endpointOf);
            await assertRefuses(nodes, P0);
            await assertAccepts(nodes, [P1]);
            const writer = new Writer(clusterClient(P1), "phase2");
            await poll("cluster writes", 10000, async () => (writer.writes > 20 ? true : undefined));
            await writer.stop();
            assert.deepEqual(writer.failures, []);
        });
    });
});

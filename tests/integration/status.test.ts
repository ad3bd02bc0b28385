// `status` and `failover` against real processes: replication and sentinel deployments with
// HAProxy, a 3-shard cluster. A writer runs through every failover (SET + WAIT 1, the kind of
// write a client counts on); afterwards every acknowledged write must be on the new master.
import assert from "node:assert/strict";
import * as path from "path";
import { convergeCluster } from "../../bootstrap/cluster";
import { runFailover } from "../../bootstrap/failover";
import { deploymentStatus, type DeploymentTarget } from "../../bootstrap/observe";
import { convergeReplication } from "../../bootstrap/replication";
import { convergeSentinel } from "../../bootstrap/sentinel";
import { waitFor } from "../../bootstrap/redisClient";
import { FailoverRefused, type StatusReport } from "../../components/status";
import type { AddressedMember } from "../../components/types";
import { Fleet, processesUnder } from "../helpers/fleet";
import { mget } from "../helpers/scenarios";
import { clusterInputs, logins, sentinelInputs } from "../helpers/topologies";
import { AckWriter, ClusterRouter, SingleRouter, lostWrites } from "../helpers/writer";

function targetOf(fleet: Fleet): DeploymentTarget {
    return {
        mode: fleet.plan.args.mode,
        members: fleet.members.map(({ name, shard, address, port }) => ({ name, shard, address, port })),
        sentinels: fleet.sentinels.map(({ address, port }) => ({ address, port })),
        masterName: fleet.plan.args.mode === "sentinel" ? fleet.plan.masterName : undefined,
        proxies: fleet.proxies.map(({ name, address, port }) => ({ name, address, port, statsSocket: path.join(fleet.root, name, "haproxy.sock") })),
        adminPassword: fleet.credentials.adminPassword,
        access: { kind: "direct" },
    };
}

/** Polls the status until it is healthy (the proxies need a few checks after a change). */
async function healthy(fleet: Fleet, timeoutMs = 20000): Promise<StatusReport> {
    let last: StatusReport | undefined;
    try {
        return await waitFor("a healthy status", timeoutMs, async () => {
            last = await deploymentStatus(targetOf(fleet));
            return last.healthy ? last : undefined;
        }, 200);
    } catch (err) {
        throw new Error(`${(err as Error).message}; problems: ${JSON.stringify(last?.problems)}`);
    }
}

const byName = (fleet: Fleet, name: string): AddressedMember => fleet.members.find((m) => m.name === name)!;

/** Runs a failover under a writer; returns the failover and the acknowledged writes missing on the new master. */
async function failoverUnderWriter(fleet: Fleet, writer: AckWriter, shard?: number) {
    writer.start();
    await new Promise((r) => setTimeout(r, 500));
    const result = await runFailover(targetOf(fleet), { shard, timeoutMs: 30000 });
    await new Promise((r) => setTimeout(r, 1000));
    await writer.stop();
    writer.close();
    return { result, writer };
}

describe("status and failover against real processes", function () {
    this.timeout(180000);

    describe("replication (1 master + 2 replicas, 2 HAProxies)", () => {
        let fleet: Fleet;
        before(async () => {
            fleet = new Fleet("st-rep", { mode: "replication", replicasPerShard: 2 });
            await fleet.startMembers();
            await convergeReplication({ members: fleet.bootstrapMembers(), adminPassword: fleet.credentials.adminPassword, access: { kind: "direct" }, timeoutMs: 30000, generation: "1" });
            await fleet.startProxies();
        });
        after(async () => {
            await fleet?.cleanup();
            assert.deepEqual(processesUnder(fleet.root), []);
        });

        it("status: every member's role, master, lag, memory, persistence and clients; both proxies route writes to the master", async () => {
            const report = await healthy(fleet);
            assert.deepEqual(report.problems, []);
            assert.deepEqual(report.masters, [{ shard: 0, master: "st-rep-s0-m0" }]);
            const [master, r1, r2] = report.members;
            assert.equal(master.role, "master");
            assert.equal(master.connectedReplicas, 2);
            for (const r of [r1, r2]) {
                assert.equal(r.role, "replica");
                assert.equal(r.master, "st-rep-s0-m0");
                assert.equal(r.linkStatus, "up");
                assert.equal(typeof r.lagBytes, "number");
                assert.equal(typeof r.lagSeconds, "number");
            }
            assert.equal(master.memory!.maxBytes, fleet.plan.args.maxmemoryBytes);
            assert.ok(master.memory!.usedBytes > 0);
            assert.equal(master.persistence!.aof, true);
            assert.equal(master.persistence!.aofLastWriteStatus, "ok");
            assert.match(master.persistence!.lastSave!, /^\d{4}-\d\d-\d\dT/);
            assert.ok(master.clients! >= 1);
            assert.equal(report.proxies.length, 2);
            for (const p of report.proxies) {
                assert.deepEqual(p.writeServersUp, ["st-rep-s0-m0"]);
                assert.deepEqual([...p.readServersUp!].sort(), ["st-rep-s0-m1", "st-rep-s0-m2"]);
                assert.equal(p.writesReach, "st-rep-s0-m0");
            }
        });

        it("failover (Redis FAILOVER): the master moves to a replica, 0 acknowledged writes lost under a writer through HAProxy", async () => {
            const proxy = fleet.proxies[0];
            const writer = new AckWriter(new SingleRouter({ host: proxy.address, port: proxy.port }, logins(fleet).app), { prefix: "rep", loops: 2, waitReplicas: 1 });
            const { result } = await failoverUnderWriter(fleet, writer);
            assert.equal(result.oldMaster.name, "st-rep-s0-m0");
            assert.notEqual(result.newMaster.name, "st-rep-s0-m0");
            const report = await healthy(fleet);
            assert.deepEqual(report.masters, [{ shard: 0, master: result.newMaster.name }]);
            assert.equal(report.members.find((m) => m.name === "st-rep-s0-m0")!.master, result.newMaster.name, "the old master is a replica of the new one");
            const acked = writer.acked().length;
            assert.ok(acked > 50, `the writer got writes acknowledged (${acked})`);
            assert.ok(writer.firstAfter(Date.now() - 1000, "acked") !== undefined || writer.records.some((r) => r.acked && r.endpoint), "writes went on after the failover");
            const lost = await lostWrites(writer.records, (keys) => mget(fleet, byName(fleet, result.newMaster.name), keys));
            assert.deepEqual(lost.map((r) => r.key), [], `acknowledged writes missing on ${result.newMaster.name}`);
            console.log(`      replication failover in ${result.seconds}s; ${acked} acknowledged writes, 0 lost`);
        });

        it("status names a killed replica as down, with one line for it, and is not healthy", async () => {
            const report0 = await deploymentStatus(targetOf(fleet));
            const replica = report0.members.find((m) => m.role === "replica")!;
            await fleet.kill(fleet.process(replica.name));
            const report = await deploymentStatus(targetOf(fleet));
            assert.equal(report.healthy, false);
            const down = report.members.find((m) => m.name === replica.name)!;
            assert.equal(down.up, false);
            assert.match(down.error!, /ECONNREFUSED|ECONNRESET/);
            assert.ok(report.problems.some((p) => p.startsWith(`${replica.name} (`) && p.includes("is down")), JSON.stringify(report.problems));
            await fleet.restartLikeUp(replica.name);
            await healthy(fleet);
        });
    });

    describe("sentinel (1 master + 2 replicas, 3 sentinels, 2 HAProxies)", () => {
        let fleet: Fleet;
        before(async () => {
            fleet = new Fleet("st-sen", { mode: "sentinel", replicasPerShard: 2 });
            await Promise.all([fleet.startMembers(), fleet.startSentinels()]);
            await convergeSentinel({ ...sentinelInputs(fleet), timeoutMs: 30000 });
            await fleet.startProxies();
        });
        after(async () => {
            await fleet?.cleanup();
            assert.deepEqual(processesUnder(fleet.root), []);
        });

        it("status: the sentinels' view (master, quorum, replicas, peers, failovers seen)", async () => {
            const report = await healthy(fleet);
            assert.equal(report.sentinels.length, 3);
            for (const s of report.sentinels) {
                assert.equal(s.master, "st-sen-s0-m0");
                assert.equal(s.quorum, 2);
                assert.equal(s.replicas, 2);
                assert.equal(s.otherSentinels, 2);
                assert.equal(s.failovers, 0);
            }
        });

        it("failover (SENTINEL FAILOVER, writes paused on the old master): 0 acknowledged writes lost under a writer through HAProxy", async () => {
            const proxy = fleet.proxies[1];
            const writer = new AckWriter(new SingleRouter({ host: proxy.address, port: proxy.port }, logins(fleet).app), { prefix: "sen", loops: 2, waitReplicas: 1 });
            const { result } = await failoverUnderWriter(fleet, writer);
            assert.equal(result.oldMaster.name, "st-sen-s0-m0");
            const report = await healthy(fleet);
            assert.deepEqual(report.masters, [{ shard: 0, master: result.newMaster.name }]);
            for (const s of report.sentinels) {
                assert.equal(s.master, result.newMaster.name);
                assert.ok(s.failovers! >= 1, "the sentinels count the failover");
            }
            const lost = await lostWrites(writer.records, (keys) => mget(fleet, byName(fleet, result.newMaster.name), keys));
            assert.ok(writer.acked().length > 50);
            assert.deepEqual(lost.map((r) => r.key), []);
            console.log(`      sentinel failover in ${result.seconds}s; ${writer.acked().length} acknowledged writes, 0 lost`);
        });

        it("refuses --shard other than 0 with a message naming the flag", async () => {
            await assert.rejects(runFailover(targetOf(fleet), { shard: 1 }), (err: Error) => err instanceof FailoverRefused && /--shard applies to cluster mode/.test(err.message));
        });
    });

    describe("cluster (3 shards x 1 replica)", () => {
        let fleet: Fleet;
        before(async () => {
            fleet = new Fleet("st-clu", { mode: "cluster", shards: 3, replicasPerShard: 1 });
            await fleet.startMembers();
            await convergeCluster({ ...clusterInputs(fleet), timeoutMs: 60000 });
        });
        after(async () => {
            await fleet?.cleanup();
            assert.deepEqual(processesUnder(fleet.root), []);
        });

        it("status: cluster_state and each master's slot ranges", async () => {
            const report = await healthy(fleet);
            assert.deepEqual(report.masters.map((s) => s.master), ["st-clu-s0-m0", "st-clu-s1-m0", "st-clu-s2-m0"]);
            const slots = report.members.filter((m) => m.role === "master").map((m) => m.cluster!.slots);
            assert.deepEqual(slots, fleet.plan.shards.map((s) => [`${s.slots!.start}-${s.slots!.end}`]));
            assert.ok(report.members.every((m) => m.cluster!.state === "ok"));
        });

        it("failover needs --shard in cluster mode", async () => {
            await assert.rejects(runFailover(targetOf(fleet)), /name the shard to fail over with --shard N \(0, 1, 2\)/);
        });

        it("failover --shard 1 (CLUSTER FAILOVER): the replica takes the slots, 0 acknowledged writes lost under a cluster writer", async () => {
            const seeds = fleet.members.map((m) => `${m.address}:${m.port}`);
            const writer = new AckWriter(new ClusterRouter(seeds, logins(fleet).app), { prefix: "clu", loops: 2, waitReplicas: 1 });
            const { result } = await failoverUnderWriter(fleet, writer, 1);
            assert.deepEqual([result.oldMaster.name, result.newMaster.name], ["st-clu-s1-m0", "st-clu-s1-m1"]);
            const report = await healthy(fleet);
            const { start, end } = fleet.plan.shards[1].slots!;
            assert.deepEqual(report.members.find((m) => m.name === "st-clu-s1-m1")!.cluster!.slots, [`${start}-${end}`]);
            assert.equal(report.members.find((m) => m.name === "st-clu-s1-m0")!.master, "st-clu-s1-m1");
            const shard1 = writer.records.filter((r) => r.slot >= start && r.slot <= end);
            const lost = await lostWrites(shard1, (keys) => Promise.all(keys.map(async (k) => (await mget(fleet, byName(fleet, "st-clu-s1-m1"), [k]))[0])));
            assert.ok(shard1.filter((r) => r.acked).length > 10);
            assert.deepEqual(lost.map((r) => r.key), []);
            console.log(`      cluster failover in ${result.seconds}s; ${shard1.filter((r) => r.acked).length} acknowledged writes on shard 1, 0 lost`);
        });
    });
});

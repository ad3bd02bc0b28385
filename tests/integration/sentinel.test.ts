import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { convergeSentinel, pairs, sentinelProvider, type SentinelInputs } from "../../bootstrap/sentinel";
import { waitFor } from "../../bootstrap/redisClient";
import * as path from "path";
import { HAPROXY_WRITE_BACKEND } from "../../components/config/haproxyCfg";
import { haproxyServers } from "../../providers/local/process";
import { Fleet, processesUnder } from "../helpers/fleet";

describe("sentinel bootstrap against real redis-server, redis-sentinel and haproxy (1+2, 3 sentinels)", function () {
    let fleet: Fleet;
    const inputs = (): SentinelInputs => ({
        members: fleet.bootstrapMembers(),
        adminPassword: fleet.credentials.adminPassword,
        access: { kind: "direct" },
        timeoutMs: 45000,
        generation: "1",
        sentinels: fleet.sentinels.map(({ address, port }) => ({ address, port })),
        masterName: "sen",
        quorum: 2,
        downAfterMilliseconds: 2000,
        failoverTimeout: 10000,
        parallelSyncs: 1,
    });
    const sentinelClient = (i: number) => new Redis({ host: fleet.sentinels[i].address, port: 26379, password: fleet.credentials.password });
    /** SENTINEL FAILOVER is an operator's command: rd-admin's, not the applications'. */
    const sentinelAdmin = (i: number) => new Redis({ host: fleet.sentinels[i].address, port: 26379, username: fleet.adminLogin.user, password: fleet.adminLogin.password });
    const viaProxy = () => new Redis({ host: fleet.proxies[0].address, port: 6379, password: fleet.credentials.password, maxRetriesPerRequest: 1 });

    before(async () => {
        fleet = new Fleet("sen", { mode: "sentinel", replicasPerShard: 2, sentinels: 3 });
        await Promise.all([fleet.startMembers(), fleet.startSentinels()]);
    });
    after(async () => {
        await fleet?.cleanup();
        assert.deepEqual(processesUnder(fleet.root), []);
    });

    it("every sentinel monitors the master and reports 2 replicas and 2 other sentinels", async () => {
        const created = await sentinelProvider.create(inputs());
        assert.equal(created.outs.result.master, `${fleet.members[0].address}:6379`);
        for (let i = 0; i < 3; i++) {
            const s = sentinelClient(i);
            try {
                const master = pairs(await s.call("SENTINEL", "MASTER", "sen"));
                assert.equal(master.ip, fleet.members[0].address);
                assert.equal(master["num-slaves"], "2");
                assert.equal(master["num-other-sentinels"], "2");
                assert.equal(master.quorum, "2");
                assert.equal(master["down-after-milliseconds"], "2000");
            } finally {
                s.disconnect();
            }
        }
    });

    it("a second run changes nothing", async () => {
        const again = await convergeSentinel(inputs());
        assert.deepEqual(again.actions, []);
    });

    it("HAProxy sends writes to the master", async () => {
        await fleet.startProxies();
        const client = viaProxy();
        try {
            await client.set("before-failover", "1");
            const role = await client.call("ROLE") as unknown[];
            assert.equal(role[0], "master");
        } finally {
            client.disconnect();
        }
    });

    it("SENTINEL FAILOVER moves the master and HAProxy follows it", async () => {
        const oldMaster = `${fleet.members[0].address}:6379`;
        const s = sentinelAdmin(0);
        let newMaster: string;
        try {
            await s.call("SENTINEL", "FAILOVER", "sen");
            newMaster = await waitFor("a new master", 30000, async () => {
                const [ip, port] = await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "sen") as string[];
                return `${ip}:${port}` !== oldMaster ? `${ip}:${port}` : undefined;
            });
        } finally {
            s.disconnect();
        }
        // HAProxy marks the new master up within a few checks; writes through it then land there.
        const [host] = newMaster.split(":");
        const promoted = fleet.members.find((m) => m.address === host)!;
        const upServers = async () => (await haproxyServers(path.join(fleet.root, fleet.proxies[0].name, "haproxy.sock"), HAPROXY_WRITE_BACKEND))
            .filter((s) => s.status.startsWith("UP")).map((s) => s.name);
        // Once the old master is demoted and checked, the new master is the only server up.
        await waitFor("HAProxy to route only to the new master", 20000, async () => {
            const up = await upServers();
            return up.length === 1 && up[0] === promoted.name ? true : undefined;
        });
        const client = viaProxy();
        try {
            await client.set("after-failover", "2");
        } finally {
            client.disconnect();
        }
        const direct = new Redis({ host, port: 6379, password: fleet.credentials.password });
        try {
            assert.equal(await direct.get("after-failover"), "2");
            assert.equal(await direct.get("before-failover"), "1");
            assert.equal((await direct.call("ROLE") as unknown[])[0], "master");
        } finally {
            direct.disconnect();
        }
    });

    it("a run after the failover keeps the elected master", async () => {
        const s = sentinelClient(1);
        let elected: string;
        try {
            const [ip, port] = await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "sen") as string[];
            elected = `${ip}:${port}`;
        } finally {
            s.disconnect();
        }
        const refreshed = await sentinelProvider.read!("id", { ...inputs(), result: { master: "stale" } });
        assert.equal(refreshed.props!.result.master, elected, "refresh reports the elected master");
        const again = await convergeSentinel(inputs());
        assert.equal(again.master, elected);
        assert.notEqual(again.master, `${fleet.members[0].address}:6379`);
    });
});

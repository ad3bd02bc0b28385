// Scenario 5: a partition (network namespaces) cuts the master, one sentinel and a client off from
// the two replicas and the two other sentinels (the majority). The majority promotes a replica;
// the isolated master must stop taking writes within the bound its min-replicas-to-write /
// min-replicas-max-lag give, and no write it acknowledged (WAIT 1) may exist only on its side.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import { ADMIN_USER, type AddressedMember, type AddressedNode } from "../../components/types";
import { Fleet } from "../helpers/fleet";
import { NetnsLab, canCreateNamespaces } from "../helpers/netns";
import { infoMap, respCall, type RespLogin, type RespValue } from "../helpers/resp";
import { pairs, reliabilityPrefix, sleep, waitFor } from "../helpers/topologies";
import { AckWriter, SingleRouter, lostWrites, now } from "../helpers/writer";
import { report } from "./results";

interface Node {
    name: string;
    side: "a" | "b";
    address: string;
    socket: string;
    pid?: number;
}

describe("5. sentinel mode: a partition cuts the master off from the sentinel majority", function () {
    this.timeout(10 * 60 * 1000);
    const lab = new NetnsLab();
    let fleet: Fleet | undefined;
    let writer: AckWriter | undefined;
    let probe: AckWriter | undefined;
    const members: (Node & { member: AddressedMember })[] = [];
    const sentinels: (Node & { sentinel: AddressedNode })[] = [];

    before(async function () {
        if (!canCreateNamespaces()) {
            throw new Error("scenario 5 needs to create network namespaces (root or CAP_NET_ADMIN, and iproute2); run the suite as root");
        }
        // The plan and credentials of a 1+2 sentinel deployment; the addresses are the
        // namespaces' own (10.213.0.x), the configs the renderers' own plus a unix socket.
        fleet = new Fleet("rel-part", { mode: "sentinel", replicasPerShard: 2, sentinels: 3 }, { prefix: reliabilityPrefix(), rootPrefix: "rd-rel-" });
        const side = (i: number): "a" | "b" => (i === 0 ? "a" : "b");
        fleet.members.forEach((m, i) => members.push({
            name: m.name, side: side(i), address: `10.213.0.${2 + i}`, socket: path.join(fleet!.root, m.name, "redis.sock"),
            member: { ...m, address: `10.213.0.${2 + i}` },
        }));
        fleet.sentinels.forEach((s, i) => sentinels.push({
            name: s.name, side: side(i), address: `10.213.0.${12 + i}`, socket: path.join(fleet!.root, s.name, "sentinel.sock"),
            sentinel: { ...s, address: `10.213.0.${12 + i}` },
        }));
        const onSide = (s: "a" | "b") => [...members, ...sentinels].filter((n) => n.side === s).map((n) => `${n.address}/24`);
        lab.setup({ a: onSide("a"), b: onSide("b") });

        const admin = fleet.adminLogin;
        const unix = (socket: string) => [`unixsocket ${socket}`, "unixsocketperm 700", ""].join("\n");
        const start = async (node: Node, config: string, file: string, sentinel: boolean, login: RespLogin) => {
            const dir = path.dirname(node.socket);
            fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
            const conf = path.join(dir, file);
            fs.writeFileSync(conf, config + unix(node.socket), { mode: 0o600 });
            node.pid = lab.spawn(node.side, ["redis-server", conf, ...(sentinel ? ["--sentinel"] : [])], dir, path.join(dir, "log"));
            await waitFor(`${node.name} to answer on ${node.socket}`, 15000, async () => ((await respCall({ path: node.socket }, login, ["PING"], 1000)) === "PONG" ? true : undefined), 50);
        };
        await Promise.all([
            ...members.map((m) => start(m, renderRedisConf({ args: fleet!.plan.args, member: m.member, credentials: fleet!.credentials, dataDir: path.dirname(m.socket) }), "redis.conf", false, admin)),
            ...sentinels.map((s) => start(s, renderSentinelConf({ args: fleet!.plan.args, sentinel: s.sentinel, credentials: fleet!.credentials, dataDir: path.dirname(s.socket) }), "sentinel.conf", true, { password: fleet!.credentials.password })),
        ]);

        // The bootstrap's steps (as bootstrap/sentinel.ts does them), over the unix sockets.
        const [master, ...replicas] = members;
        for (const r of replicas) {
            await respCall({ path: r.socket }, admin, ["REPLICAOF", master.address, 6379]);
            await respCall({ path: r.socket }, admin, ["CONFIG", "REWRITE"]);
        }
        const { downAfterMilliseconds, failoverTimeout, parallelSyncs } = fleet.plan.args.sentinel;
        for (const s of sentinels) {
            const login = admin; // SENTINEL MONITOR and SET are rd-admin's; the sentinels' default user only looks up
            await respCall({ path: s.socket }, login, ["SENTINEL", "MONITOR", fleet.plan.masterName, master.address, 6379, fleet.plan.quorum]);
            await respCall({ path: s.socket }, login, ["SENTINEL", "SET", fleet.plan.masterName, "auth-user", ADMIN_USER, "auth-pass", admin.password,
                "down-after-milliseconds", downAfterMilliseconds, "failover-timeout", failoverTimeout, "parallel-syncs", parallelSyncs]);
        }
        await waitFor("every sentinel to see 2 healthy replicas and 2 other sentinels", 60000, async () => {
            for (const s of sentinels) {
                const login = { password: fleet!.credentials.password };
                const m = pairs(await respCall({ path: s.socket }, login, ["SENTINEL", "MASTER", fleet!.plan.masterName]));
                const seen = (await respCall({ path: s.socket }, login, ["SENTINEL", "REPLICAS", fleet!.plan.masterName]) as RespValue[]).map(pairs);
                if (seen.filter((r) => !/s_down|o_down|disconnected/.test(r.flags)).length < 2 || Number(m["num-other-sentinels"]) < 2) return undefined;
            }
            return true;
        }, 100);
    });

    after(async () => {
        await writer?.stop();
        writer?.close();
        await probe?.stop();
        probe?.close();
        await lab.destroy();
        if (fleet) fs.rmSync(fleet.root, { recursive: true, force: true });
    });

    it("the isolated master stops taking writes within min-replicas-max-lag + 2 s, and no acknowledged write is lost", async () => {
        const f = fleet!;
        const [master, ...replicas] = members;
        const conf = fs.readFileSync(path.join(path.dirname(master.socket), "redis.conf"), "utf8");
        const minReplicas = Number(/^min-replicas-to-write (\d+)/m.exec(conf)?.[1] ?? 0);
        const maxLag = Number(/^min-replicas-max-lag (\d+)/m.exec(conf)?.[1] ?? 10);
        assert.ok(minReplicas >= 1, "the rendered redis.conf of a 1+2 sentinel deployment sets min-replicas-to-write");
        // Redis counts a replica as good while its last ACK (sent every second) is at most
        // max-lag seconds old, on whole seconds, and re-counts once a second: the master stops
        // at most max-lag + 2 s after the cut.
        const boundMs = (maxLag + 2) * 1000;

        // A client on the master's side of the cut (it reaches the master through its socket).
        writer = new AckWriter(new SingleRouter({ path: master.socket }, { password: f.credentials.password }), { prefix: "p5", loops: 2, waitTimeoutMs: 500 }).start();
        // A writer that does not wait for WAIT, every 10 ms: it tells when the master stopped accepting.
        probe = new AckWriter(new SingleRouter({ path: master.socket }, { password: f.credentials.password }), { prefix: "p5probe", loops: 1, waitReplicas: 0, intervalMs: 10, pauseMs: 10 }).start();
        await sleep(1500);
        const ackedBefore = writer.acked().length;
        const cut = now();
        lab.partition("a");

        // The majority's side: a replica is promoted.
        const promoted = await waitFor("the majority to promote a replica", 60000, async () => {
            for (const r of replicas) {
                const role = await respCall({ path: r.socket }, f.adminLogin, ["ROLE"], 500).then((x) => String((x as RespValue[])[0])).catch(() => "");
                if (role === "master") return { node: r, at: now() };
            }
            return undefined;
        }, 20);
        // The isolated side: wait until its master has refused writes for a second (or the bound passed twice over).
        await waitFor("the isolated master to refuse writes", boundMs * 2 + 5000, async () => {
            const recent = probe!.records.filter((r) => r.sentAt > now() - 1000);
            return recent.length > 0 && recent.every((r) => !r.ok) ? true : undefined;
        }, 100);
        await Promise.all([writer.stop(), probe.stop()]);
        const afterCut = [...writer.records, ...probe.records].filter((r) => r.sentAt >= cut);
        const lastAccepted = Math.max(...afterCut.filter((r) => r.ok).map((r) => r.okAt), cut);
        const refusal = afterCut.find((r) => !r.ok)?.error ?? "";
        const acceptedDuring = writer.records.filter((r) => r.ok && r.sentAt >= cut);
        const ackedDuring = acceptedDuring.filter((r) => r.acked);

        lab.heal("a");
        const healed = now();
        // Sentinel turns the old master into a replica of the new one (it waits a few seconds
        // for new configuration first); then every acknowledged write must be on the new master.
        await waitFor("the old master to rejoin as a replica of the new master", 90000, async () => {
            const r = infoMap(await respCall({ path: master.socket }, f.adminLogin, ["INFO", "replication"], 1000));
            return r.role === "slave" && r.master_host === promoted.node.address && r.master_link_status === "up" ? true : undefined;
        }, 200);
        const rejoinedMs = Math.round(now() - healed);
        const lost = await lostWrites(writer.records, async (keys) => await respCall({ path: promoted.node.socket }, { password: f.credentials.password }, ["MGET", ...keys], 10000) as (string | null)[]);
        // Writes it accepted but could not get acknowledged: gone after the heal (measured, not assumed).
        const unacked = [...acceptedDuring.filter((r) => !r.acked), ...probe.records.filter((r) => r.ok && r.sentAt >= cut)];
        const onNewMaster = await lostWrites(unacked.map((r) => ({ ...r, acked: true })), async (keys) => await respCall({ path: promoted.node.socket }, { password: f.credentials.password }, ["MGET", ...keys], 10000) as (string | null)[]);
        const acceptedThenLost = onNewMaster.length;
        const stoppedAfter = Math.round(lastAccepted - cut);

        report({
            scenario: 5,
            title: "sentinel: partition cuts the master from the sentinel majority",
            bound: `the isolated master accepts no write later than ${boundMs} ms after the cut (min-replicas-to-write ${minReplicas}, min-replicas-max-lag ${maxLag}); 0 writes acknowledged (WAIT 1) by it during the partition; 0 acknowledged writes lost`,
            pass: stoppedAfter <= boundMs && ackedDuring.length === 0 && lost.length === 0,
            numbers: {
                "last write accepted by the isolated master (ms after the cut)": stoppedAfter,
                "writes it accepted during the partition (never acknowledged)": unacked.length,
                "... of which gone after the heal": acceptedThenLost,
                "writes it acknowledged (WAIT 1) during the partition": ackedDuring.length,
                "replica promoted by the majority (ms after the cut)": Math.round(promoted.at - cut),
                "acknowledged writes (all)": writer.acked().length,
                "acknowledged before the cut": ackedBefore,
                "acknowledged writes lost": lost.length,
                "old master back as a replica (ms after healing)": rejoinedMs,
                "refusal seen by the client": refusal.replace(/\s+/g, " ").slice(0, 80),
            },
        });
        assert.ok(stoppedAfter <= boundMs, `the isolated master accepted writes for ${stoppedAfter} ms after the cut (bound ${boundMs} ms)`);
        assert.equal(ackedDuring.length, 0, "the isolated master acknowledged writes");
        assert.deepEqual(lost.map((r) => r.key), [], "acknowledged writes are missing on the new master");
        assert.match(refusal, /NOREPLICAS/, "the isolated master refuses writes for lack of replicas");
    });
});

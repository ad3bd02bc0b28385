// plan(): the topology every provider builds, from validated arguments.
import { strict as assert } from "node:assert";
import type { RedisDeploymentArgs } from "../../components/args";
import { plan, slotRanges } from "../../components/plan";
import { CLUSTER_SLOTS, type TopologyPlan } from "../../components/types";
import { validateArgs } from "../../components/validate";

const planFor = (args: RedisDeploymentArgs, name = "cache"): TopologyPlan => plan(validateArgs(name, args));

/** Asserts slot ranges are contiguous, exact, in order and cover 0..16383 with no gap or overlap. */
function assertSlotCoverage(ranges: { start: number; end: number }[], shards: number): void {
    assert.equal(ranges.length, shards);
    const owner = new Array<number>(CLUSTER_SLOTS).fill(-1);
    let expectedStart = 0;
    ranges.forEach((r, s) => {
        assert.ok(Number.isInteger(r.start) && Number.isInteger(r.end), `shard ${s}: integer bounds`);
        assert.equal(r.start, expectedStart, `shard ${s} must start right after shard ${s - 1}`);
        assert.ok(r.end >= r.start, `shard ${s} must own at least one slot`);
        for (let slot = r.start; slot <= r.end; slot++) {
            assert.equal(owner[slot], -1, `slot ${slot} is owned twice`);
            owner[slot] = s;
        }
        expectedStart = r.end + 1;
    });
    assert.equal(expectedStart, CLUSTER_SLOTS, "the last range must end at 16383");
    assert.equal(owner.indexOf(-1), -1, "every slot must have an owner");
    const sizes = ranges.map((r) => r.end - r.start + 1);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `slots must be split evenly, got sizes ${Math.min(...sizes)}..${Math.max(...sizes)}`);
}

/** Invariants every plan must satisfy, whatever the mode. */
function assertWellFormed(p: TopologyPlan): void {
    const flat = p.shards.flatMap((s) => s.members);
    assert.deepEqual(p.members, flat, "plan.members lists the shards' members in order");
    // Ordinals depend on shard and index only (stride 11), unique and increasing in plan order.
    p.members.forEach((m) => assert.equal(m.ordinal, m.shard * 11 + m.index, `ordinal of ${m.name}`));
    assert.equal(new Set(p.members.map((m) => m.name)).size, p.members.length, "member names are unique");
    p.shards.forEach((shard, s) => {
        assert.equal(shard.index, s);
        shard.members.forEach((m, i) => {
            assert.equal(m.name, `${p.args.name}-s${s}-m${i}`);
            assert.equal(m.shard, s);
            assert.equal(m.index, i);
            assert.equal(m.role, i === 0 ? "master" : "replica");
            assert.equal(m.port, p.args.port);
            assert.ok(p.args.zones.includes(m.zone), `${m.name} zone ${m.zone} is one of the zones`);
        });
    });
    const nodeNames = [...p.members, ...p.sentinels, ...p.proxies].map((n) => n.name);
    assert.equal(new Set(nodeNames).size, nodeNames.length, "member, sentinel and proxy names are all distinct");
}

describe("plan", () => {
    describe("standalone", () => {
        it("has exactly one member: the master of shard 0, no slots, sentinels or proxies", () => {
            const p = planFor({ mode: "standalone" });
            assertWellFormed(p);
            assert.equal(p.shards.length, 1);
            assert.equal(p.members.length, 1);
            assert.deepEqual(
                { name: p.members[0].name, role: p.members[0].role, shard: p.members[0].shard, index: p.members[0].index, ordinal: p.members[0].ordinal },
                { name: "cache-s0-m0", role: "master", shard: 0, index: 0, ordinal: 0 },
            );
            assert.equal(p.shards[0].slots, undefined);
            assert.deepEqual(p.sentinels, []);
            assert.deepEqual(p.proxies, []);
        });

        it("uses the configured port for the member", () => {
            const p = planFor({ mode: "standalone", port: 7000 });
            assert.equal(p.members[0].port, 7000);
        });
    });

    describe("replication", () => {
        for (const replicas of [0, 1, 2, 5, 10]) {
            it(`with ${replicas} replica(s): one shard of 1 master + ${replicas} replicas`, () => {
                const p = planFor({ mode: "replication", replicasPerShard: replicas, proxy: { haproxy: replicas > 0 } });
                assertWellFormed(p);
                assert.equal(p.shards.length, 1);
                assert.equal(p.members.length, 1 + replicas);
                assert.deepEqual(p.members.map((m) => m.role), ["master", ...Array(replicas).fill("replica")]);
                assert.deepEqual(p.members.map((m) => m.name), Array.from({ length: 1 + replicas }, (_, i) => `cache-s0-m${i}`));
                assert.equal(p.shards[0].slots, undefined, "only cluster shards own slots");
                assert.deepEqual(p.sentinels, []);
            });
        }

        it("defaults to one replica and two HAProxy proxies", () => {
            const p = planFor({});
            assert.equal(p.args.mode, "replication");
            assert.equal(p.members.length, 2);
            assert.equal(p.proxies.length, 2);
            assert.deepEqual(p.proxies.map((x) => x.ordinal), [0, 1]);
            for (const proxy of p.proxies) {
                assert.equal(proxy.port, 6379);
                assert.notEqual(proxy.readPort, proxy.port, "the read frontend has its own port");
            }
        });

        it("plans proxy.count proxies, spread over the zones, and none when proxy.haproxy is false", () => {
            const p = planFor({ proxy: { count: 3 }, zones: ["z1", "z2", "z3"] });
            assert.equal(p.proxies.length, 3);
            assert.equal(new Set(p.proxies.map((x) => x.name)).size, 3);
            assert.deepEqual(new Set(p.proxies.map((x) => x.zone)), new Set(["z1", "z2", "z3"]), "one proxy per zone");
            assert.deepEqual(planFor({ proxy: { haproxy: false } }).proxies, []);
        });
    });

    describe("sentinel", () => {
        for (const [n, quorum] of [[3, 2], [5, 3], [7, 4], [9, 5]] as const) {
            it(`${n} sentinels: quorum ${quorum} (floor(n/2)+1), 1 master + replicas, proxies`, () => {
                const p = planFor({ mode: "sentinel", sentinels: n, replicasPerShard: 2 });
                assertWellFormed(p);
                assert.equal(p.sentinels.length, n);
                assert.equal(p.quorum, quorum);
                assert.equal(p.members.length, 3);
                assert.equal(p.shards.length, 1);
                assert.deepEqual(p.sentinels.map((s) => s.ordinal), Array.from({ length: n }, (_, i) => i));
                assert.equal(new Set(p.sentinels.map((s) => s.name)).size, n, "sentinel names are unique");
                for (const s of p.sentinels) assert.equal(s.port, 26379);
                assert.equal(p.masterName, "cache");
                assert.equal(p.proxies.length, 2, "HAProxy is on by default in sentinel mode");
            });
        }

        it("defaults to 3 sentinels and quorum 2, on the configured sentinelPort", () => {
            const p = planFor({ mode: "sentinel", sentinelPort: 26400 });
            assert.equal(p.sentinels.length, 3);
            assert.equal(p.quorum, 2);
            for (const s of p.sentinels) assert.equal(s.port, 26400);
        });

        it("spreads sentinels so losing any one of 3+ zones keeps a quorum", () => {
            for (const n of [3, 5, 7, 9]) {
                for (const zones of [["a", "b", "c"], ["a", "b", "c", "d"], ["a", "b", "c", "d", "e"]]) {
                    const p = planFor({ mode: "sentinel", sentinels: n, zones });
                    for (const lost of zones) {
                        const left = p.sentinels.filter((s) => s.zone !== lost).length;
                        assert.ok(left >= p.quorum, `${n} sentinels over ${zones.length} zones: losing ${lost} leaves ${left} < quorum ${p.quorum}`);
                    }
                }
            }
        });
    });

    describe("cluster", () => {
        for (const shards of [3, 5, 7, 16, 100]) {
            it(`${shards} shards of 1 master + 1 replica; slots 0..16383 split contiguously`, () => {
                const p = planFor({ mode: "cluster", shards });
                assertWellFormed(p);
                assert.equal(p.shards.length, shards);
                assert.equal(p.members.length, shards * 2);
                for (const shard of p.shards) {
                    assert.equal(shard.members.length, 2);
                    assert.deepEqual(shard.members.map((m) => m.role), ["master", "replica"]);
                }
                assertSlotCoverage(p.shards.map((s) => s.slots!), shards);
                assert.deepEqual(p.sentinels, []);
                assert.deepEqual(p.proxies, [], "cluster clients talk to the nodes, no HAProxy");
            });
        }

        it("1000 shards without replicas (the cluster's node limit) still cover every slot exactly once", () => {
            const p = planFor({ mode: "cluster", shards: 1000, replicasPerShard: 0 });
            assertWellFormed(p);
            assert.equal(p.members.length, 1000);
            assertSlotCoverage(p.shards.map((s) => s.slots!), 1000);
        });

        it("3 shards with 3 replicas each: 12 members, 4 per shard", () => {
            const p = planFor({ mode: "cluster", shards: 3, replicasPerShard: 3, zones: ["a", "b", "c", "d"] });
            assertWellFormed(p);
            assert.equal(p.members.length, 12);
            for (const shard of p.shards) assert.deepEqual(shard.members.map((m) => m.role), ["master", "replica", "replica", "replica"]);
        });

        it("exact ranges for 3 shards: the first 16384 mod 3 ranges take the extra slot (5462, 5461, 5461)", () => {
            assert.deepEqual(planFor({ mode: "cluster", shards: 3 }).shards.map((s) => s.slots), [
                { start: 0, end: 5461 },
                { start: 5462, end: 10922 },
                { start: 10923, end: 16383 },
            ]);
        });

        it("slotRanges covers 16384 slots for every shard count from 3 to 1000", () => {
            for (let shards = 3; shards <= 1000; shards++) {
                const ranges = slotRanges(shards);
                assert.equal(ranges.length, shards);
                assert.equal(ranges[0].start, 0);
                assert.equal(ranges[shards - 1].end, CLUSTER_SLOTS - 1, `${shards} shards`);
                for (let s = 1; s < shards; s++) assert.equal(ranges[s].start, ranges[s - 1].end + 1, `${shards} shards, range ${s}`);
                for (const r of ranges) assert.ok(r.end >= r.start);
            }
        });
    });

    describe("member identity across changes", () => {
        const ordinals = (args: Record<string, unknown>) =>
            new Map(plan(validateArgs("grow", args as never)).members.map((m) => [m.name, m.ordinal]));

        it("adding replicas or shards keeps every existing member's ordinal (so its address)", () => {
            const before = ordinals({ mode: "cluster", shards: 3, replicasPerShard: 1 });
            for (const after of [
                ordinals({ mode: "cluster", shards: 3, replicasPerShard: 2 }),
                ordinals({ mode: "cluster", shards: 5, replicasPerShard: 1 }),
                ordinals({ mode: "cluster", shards: 4, replicasPerShard: 3 }),
            ]) {
                for (const [name, ordinal] of before) assert.equal(after.get(name), ordinal, `${name} keeps ordinal ${ordinal}`);
            }
        });

        it("ordinals stay unique at the largest topology", () => {
            const all = [...ordinals({ mode: "cluster", shards: 90, replicasPerShard: 10 }).values()];
            assert.equal(new Set(all).size, all.length);
        });
    });

    describe("placement: spread", () => {
        it("puts member i of shard s in zone (s + i) mod zones", () => {
            const zones = ["z0", "z1", "z2", "z3"];
            const p = planFor({ mode: "cluster", shards: 5, replicasPerShard: 2, zones });
            for (const m of p.members) assert.equal(m.zone, zones[(m.shard + m.index) % zones.length], m.name);
        });

        it("never puts a master and its replicas in the same zone when zones >= replicas + 1", () => {
            let cases = 0;
            for (let zoneCount = 1; zoneCount <= 6; zoneCount++) {
                const zones = Array.from({ length: zoneCount }, (_, i) => `zone-${i}`);
                for (let replicas = 0; replicas + 1 <= zoneCount; replicas++) {
                    for (const args of [
                        { mode: "replication" as const, replicasPerShard: replicas, zones },
                        { mode: "cluster" as const, shards: 7, replicasPerShard: replicas, zones },
                    ]) {
                        const p = planFor(args);
                        for (const shard of p.shards) {
                            const used = shard.members.map((m) => m.zone);
                            assert.equal(new Set(used).size, used.length, `${args.mode}, ${zoneCount} zones, ${replicas} replicas, shard ${shard.index}: zones ${used.join(",")}`);
                        }
                        cases++;
                    }
                }
            }
            assert.equal(cases, 42);
        });

        it("rotates cluster masters over all the zones", () => {
            const zones = ["a", "b", "c"];
            const p = planFor({ mode: "cluster", shards: 6, zones });
            const masters = p.members.filter((m) => m.role === "master");
            for (const zone of zones) assert.equal(masters.filter((m) => m.zone === zone).length, 2, `masters in ${zone}`);
        });

        it("is the default placement", () => {
            const p = planFor({ mode: "cluster", shards: 3, zones: ["a", "b", "c"] });
            assert.equal(p.args.placement, "spread");
            assert.deepEqual(p.members.filter((m) => m.role === "master").map((m) => m.zone), ["a", "b", "c"]);
        });
    });

    describe("placement: colocate-masters", () => {
        for (const [zoneCount, replicas, shards] of [[2, 1, 3], [3, 1, 3], [3, 2, 5], [4, 3, 4], [5, 2, 10]] as const) {
            it(`${zoneCount} zones, ${shards} shards x ${replicas} replicas: masters in the first zone, replicas never there`, () => {
                const zones = Array.from({ length: zoneCount }, (_, i) => `az${i}`);
                const p = planFor({ mode: "cluster", shards, replicasPerShard: replicas, zones, placement: "colocate-masters" });
                assertWellFormed(p);
                for (const m of p.members) {
                    if (m.role === "master") assert.equal(m.zone, "az0", `${m.name} is a master`);
                    else assert.notEqual(m.zone, "az0", `${m.name} is a replica`);
                }
                // Replicas are spread over the other zones: every other zone gets some when there are enough replicas.
                const replicaZones = new Set(p.members.filter((m) => m.role === "replica").map((m) => m.zone));
                assert.equal(replicaZones.size, Math.min(zoneCount - 1, shards * replicas));
            });
        }

        it("applies to replication and sentinel mode too", () => {
            for (const mode of ["replication", "sentinel"] as const) {
                const p = planFor({ mode, replicasPerShard: 2, zones: ["a", "b", "c"], placement: "colocate-masters" });
                assert.deepEqual(p.members.map((m) => m.zone), ["a", "b", "c"], mode);
            }
        });
    });

    describe("proxies", () => {
        it("exist only in replication and sentinel mode", () => {
            assert.equal(planFor({ mode: "standalone" }).proxies.length, 0);
            assert.equal(planFor({ mode: "replication" }).proxies.length, 2);
            assert.equal(planFor({ mode: "sentinel" }).proxies.length, 2);
            assert.equal(planFor({ mode: "cluster" }).proxies.length, 0);
        });

        it("exist in no mode other than replication and sentinel even when asked for explicitly", () => {
            assert.throws(() => planFor({ mode: "cluster", proxy: { haproxy: true } }));
            assert.throws(() => planFor({ mode: "standalone", proxy: { haproxy: true } }));
        });
    });

    describe("ports", () => {
        const ports = (args: RedisDeploymentArgs) => planFor(args).ports
            .map((p) => `${p.purpose} ${p.port} on ${p.listeners.join("+")}${p.clients ? " clients" : " nodes-only"}${p.loadBalanced ? " balanced" : ""}`);

        it("standalone listens on the Redis port only; the load balancer forwards it", () => {
            assert.deepEqual(ports({ mode: "standalone" }), ["redis 6379 on member clients"]);
            assert.deepEqual(ports({ mode: "standalone", provider: "aws", zones: ["a", "b"], maxmemory: "1gb", loadBalancer: true }), ["redis 6379 on member clients balanced"]);
        });

        it("replication: HAProxy's write frontend shares the Redis port, its read frontend is the next one", () => {
            assert.deepEqual(ports({ mode: "replication", provider: "aws", zones: ["a", "b"], maxmemory: "1gb", port: 7000, loadBalancer: true }), [
                "redis 7000 on member+proxy clients balanced",
                "proxy-read 7001 on proxy clients balanced",
            ]);
            assert.deepEqual(ports({ mode: "replication", proxy: { haproxy: false } }), ["redis 6379 on member clients"]);
        });

        it("sentinel adds Sentinel's port for clients; cluster adds the bus at port + 10000 between nodes only", () => {
            assert.deepEqual(ports({ mode: "sentinel", sentinelPort: 26000 }), [
                "redis 6379 on member+proxy clients",
                "sentinel 26000 on sentinel clients",
                "proxy-read 6380 on proxy clients",
            ]);
            assert.deepEqual(ports({ mode: "cluster", port: 7000 }), ["redis 7000 on member clients", "cluster-bus 17000 on member nodes-only"]);
        });

        it("proxies listen where the plan's ports say", () => {
            const p = planFor({ mode: "replication", port: 7000 });
            assert.deepEqual(p.proxies.map((x) => [x.port, x.readPort]), [[7000, 7001], [7000, 7001]]);
        });
    });

    describe("purity", () => {
        it("returns the same plan for the same arguments and does not modify them", () => {
            const resolved = validateArgs("cache", { mode: "cluster", shards: 4, replicasPerShard: 2, zones: ["a", "b", "c"] });
            const before = JSON.stringify(resolved);
            const deepFreeze = (o: unknown): void => {
                if (o && typeof o === "object") {
                    Object.freeze(o);
                    for (const v of Object.values(o)) deepFreeze(v);
                }
            };
            deepFreeze(resolved);
            const first = plan(resolved);
            const second = plan(resolved);
            assert.deepEqual(first, second);
            assert.equal(JSON.stringify(resolved), before);
        });

        it("names members after the deployment", () => {
            const p = planFor({ mode: "cluster", shards: 3 }, "sessions-eu");
            assert.deepEqual(p.members.map((m) => m.name), [
                "sessions-eu-s0-m0", "sessions-eu-s0-m1",
                "sessions-eu-s1-m0", "sessions-eu-s1-m1",
                "sessions-eu-s2-m0", "sessions-eu-s2-m1",
            ]);
        });
    });
});

// The Kubernetes bootstrap path against real Redis: the shared bootstrap providers (replication,
// sentinel, cluster) run with access kind "kubernetes", so every connection is a port-forward
// through @kubernetes/client-node to a fake API server (HTTPS, bearer token, the
// v4.channel.k8s.io port-forward protocol, GET pod) that pipes to real redis-server and
// redis-sentinel "pods" started by the provider's own start scripts. The pods' DNS names resolve
// only inside the pods' mount namespace (tests/helpers/kubernetes.ts), never on this host: the
// API is the only way in, as from a machine that can not reach pod IPs.
//
// Also covered: the stable-identity design. Pods come back with new IPs (a replica, a master, a
// sentinel, every cluster node at once) and find each other again by name, without a bootstrap.
import { strict as assert } from "node:assert";
import * as dns from "dns";
import * as fs from "fs";
import * as path from "path";
import { plan } from "../../components/plan";
import { ADMIN_USER, type Credentials, type TopologyPlan } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { clusterProvider, convergeCluster, parseClusterNodes, type ClusterInputs } from "../../bootstrap/cluster";
import { openClient, parseInfo, waitFor } from "../../bootstrap/redisClient";
import { convergeReplication, replicationProvider, type BootstrapMember, type ReplicationInputs } from "../../bootstrap/replication";
import { convergeSentinel, pairs, sentinelProvider, type SentinelInputs } from "../../bootstrap/sentinel";
import {
    SECRET_KEYS, kubernetesLayout, memberConfig, probeScript, redisAuthConfig, sentinelAuthConfig, sentinelConfig,
    startRedisScript, startSentinelScript, type KubernetesLayout,
} from "../../providers/kubernetes/config";
import type { KubernetesAccess } from "../../bootstrap/access/kubernetes";
import { connectDirect } from "../../bootstrap/access/direct";
import type { TlsMaterial } from "../../components/tls";
import { issueTestTls, podTlsFiles } from "../helpers/tls";
import { kubernetesTlsSubjects } from "../../providers/kubernetes/tls";
import { FakeKubeApi, KubePods, freshPodIp, type RunningPod } from "../helpers/kubernetes";
import { command, randomCredentials, sleep } from "../helpers/realPrograms";

const NS = "redis-it";

/** A deployment's pods behind the fake API server. */
class KubeDeployment {
    readonly plan: TopologyPlan;
    readonly layout: KubernetesLayout;
    readonly credentials: Credentials = randomCredentials();
    /** Made in start() (a suite skipped by a filter leaves no temp directory behind). */
    pods!: KubePods;
    readonly api = new FakeKubeApi();
    members: RunningPod[] = [];
    sentinels: RunningPod[] = [];
    kubeconfig = "";

    /** With tls.enabled: certificates for the names the provider's tlsSubjects gives. */
    readonly tls?: TlsMaterial;

    constructor(name: string, args: Parameters<typeof validateArgs>[1]) {
        this.plan = plan(validateArgs(name, { provider: "kubernetes", maxmemory: "64mb", ...args }));
        this.layout = kubernetesLayout(this.plan, NS, "cluster.local", false);
        if (this.plan.args.tls.enabled) {
            this.tls = issueTestTls(name, this.plan.args.tls, kubernetesTlsSubjects(this.plan, this.layout)).material;
        }
    }

    /** A pod's files in the tls volume. */
    private tlsFiles(node: string): { tls?: Record<string, string> } {
        return this.tls ? { tls: podTlsFiles(this.tls, node) } : {};
    }

    async start(): Promise<void> {
        this.pods = new KubePods({ "start-redis.sh": startRedisScript(this.plan, this.layout.members), "start-sentinel.sh": startSentinelScript(this.plan), "probe.sh": probeScript(this.plan) });
        await this.pods.startDns();
        await this.api.start();
        this.kubeconfig = this.api.writeKubeconfig(NS);
        this.members = this.layout.members.map((_, i) => this.startMember(i));
        this.sentinels = this.layout.sentinels.map((_, i) => this.startSentinel(i));
        await Promise.all([...this.members, ...this.sentinels].map((p) => this.pods.ready(p)));
    }

    /** Starts (or restarts, keeping its data volume) member i at a new pod IP, like a recreated pod. */
    startMember(i: number, env: Record<string, string> = {}): RunningPod {
        const m = this.layout.members[i];
        const ip = freshPodIp();
        this.api.setPod(NS, m.pod, ip);
        const pod = this.pods.start({
            kind: "redis", pod: m.pod, host: m.address, config: memberConfig(this.plan, m), port: m.port, env, ...this.tlsFiles(m.name),
            secret: { [SECRET_KEYS.redisAuth]: redisAuthConfig(this.plan, this.credentials), [SECRET_KEYS.monitorPassword]: this.credentials.monitorPassword },
        }, ip);
        this.members[i] = pod;
        return pod;
    }

    startSentinel(i: number): RunningPod {
        const s = this.layout.sentinels[i];
        const ip = freshPodIp();
        this.api.setPod(NS, s.pod, ip);
        const pod = this.pods.start({
            kind: "sentinel", pod: s.pod, host: s.address, config: sentinelConfig(this.plan, s), port: s.port, ...this.tlsFiles(s.name),
            secret: { [SECRET_KEYS.sentinelAuth]: sentinelAuthConfig(this.plan, this.credentials), [SECRET_KEYS.password]: this.credentials.password },
        }, ip);
        this.sentinels[i] = pod;
        return pod;
    }

    /** Deletes member i's pod (SIGTERM: Redis saves and exits) and brings it back at a new IP. */
    async restartMember(i: number): Promise<RunningPod> {
        await this.pods.stop(this.members[i]);
        const pod = this.startMember(i);
        await this.pods.ready(pod);
        return pod;
    }

    access(overrides: Partial<KubernetesAccess> = {}): KubernetesAccess {
        const tls = this.tls ? { tls: { ca: this.tls.ca, certificate: this.tls.client!.certificate, key: this.tls.client!.key } } : {};
        return { kind: "kubernetes", namespace: NS, kubeconfig: this.kubeconfig, ...tls, ...overrides };
    }

    bootstrapMembers(): BootstrapMember[] {
        return this.layout.members.map(({ name, shard, index, role, address, port }) => ({ name, shard, index, role, address, port }));
    }

    replicationInputs(access = this.access()): ReplicationInputs {
        return { members: this.bootstrapMembers(), adminPassword: this.credentials.adminPassword, access, timeoutMs: 30000, generation: "1" };
    }

    /** A command straight to a pod's IP (the test's own view, not the bootstrap's path). */
    async admin(pod: RunningPod, args: string[]): Promise<unknown> {
        const login = { user: ADMIN_USER, password: this.credentials.adminPassword };
        if (!this.tls) return command(pod.ip, pod.spec.port, login, args);
        // Over TLS, the pod's certificate checked against its DNS name.
        const client = await connectDirect({ address: pod.ip, port: pod.spec.port }, login, this.access().tls, pod.spec.host);
        try {
            return await client.call(args[0], ...args.slice(1));
        } finally {
            client.disconnect();
        }
    }

    async info(pod: RunningPod, section: string): Promise<Record<string, string>> {
        return parseInfo(String(await this.admin(pod, ["INFO", section])));
    }

    async cleanup(): Promise<void> {
        await this.pods?.cleanup();
        await this.api.stop();
    }
}

/** The pods' names resolve nowhere on this host: the bootstrap can only have gone through the API. */
async function assertUnresolvable(host: string): Promise<void> {
    await assert.rejects(dns.promises.lookup(host), `${host} must not resolve on the test host`);
}

describe("Kubernetes bootstrap through API port-forwards (fake API server, real Redis)", function () {
    this.timeout(120000);

    describe("replication 1+2", () => {
        const d = new KubeDeployment("krepl", { mode: "replication", replicasPerShard: 2 });
        before(() => d.start());
        after(() => d.cleanup());

        it("forms the replication set through the API: replicas follow the master by its DNS name", async () => {
            for (const m of d.layout.members) await assertUnresolvable(m.address);
            const created = await replicationProvider.create(d.replicationInputs());
            const [master, ...replicas] = d.layout.members;
            assert.equal(created.outs.result.master, `${master.address}:6379`);
            assert.deepEqual(created.outs.result.replicas, replicas.map((r) => `${r.address}:6379`));
            for (let i = 1; i < d.members.length; i++) {
                const info = await d.info(d.members[i], "replication");
                assert.equal(info.role, "slave");
                assert.equal(info.master_host, master.address, "replicaof names the master's DNS name, not its IP");
                assert.equal(info.master_link_status, "up");
            }
            const masterInfo = await d.info(d.members[0], "replication");
            assert.equal(masterInfo.connected_slaves, "2");
            assert.match(masterInfo.slave0, new RegExp(`^ip=(${replicas.map((r) => r.address.replace(/\./g, "\\.")).join("|")}),`), "replicas are announced by name");
            for (const m of d.layout.members) assert.ok(d.api.forwardsTo(m.pod) > 0, `port-forwards to ${m.pod}`);
            assert.ok(d.api.requests.every((r) => r.status !== 401), "every API call carried the kubeconfig's token");
        });

        it("a second run changes nothing; refresh reports the master; every port-forward is closed afterwards", async () => {
            const again = await convergeReplication(d.replicationInputs());
            assert.deepEqual(again.actions, []);
            const read = await replicationProvider.read!("id", { ...d.replicationInputs(), result: { master: "stale", replicas: [], actions: [] } });
            assert.equal(read.props!.result.master, `${d.layout.members[0].address}:6379`);
            await waitFor("every tunnel to close", 5000, async () => (d.api.openTunnels() === 0 ? true : undefined));
        });

        it("a replica pod recreated with a new IP comes back as a replica of the master by name (no bootstrap needed)", async () => {
            await d.admin(d.members[0], ["SET", "before-restart", "1"]);
            const oldIp = d.members[2].ip;
            const pod = await d.restartMember(2);
            assert.notEqual(pod.ip, oldIp);
            await waitFor("the restarted replica's link", 20000, async () => {
                const info = await d.info(pod, "replication");
                return info.role === "slave" && info.master_link_status === "up" ? info : undefined;
            });
            assert.equal(await d.admin(pod, ["GET", "before-restart"]), "1");
            const conf = fs.readFileSync(path.join(pod.dir, "data", "redis.conf"), "utf8");
            assert.equal(conf.split("\n").filter((l) => l.startsWith("replicaof ")).join(), `replicaof ${d.layout.members[0].address} 6379`,
                "start-redis.sh kept the role CONFIG REWRITE recorded (once)");
            assert.deepEqual((await convergeReplication(d.replicationInputs())).actions, [], "nothing left for the bootstrap");
        });

        it("the master pod recreated with a new IP: its replicas reconnect to it by name, the data is still there", async () => {
            await d.admin(d.members[0], ["SET", "durable", "yes"]);
            const pod = await d.restartMember(0);
            assert.equal(await d.admin(pod, ["GET", "durable"]), "yes", "AOF on the pod's volume");
            for (const i of [1, 2]) {
                await waitFor(`replica ${i} to reach the master at its new IP`, 30000, async () => {
                    const info = await d.info(d.members[i], "replication");
                    return info.master_link_status === "up" ? info : undefined;
                });
            }
            await waitFor("the master to see both replicas", 10000, async () => ((await d.info(pod, "replication")).connected_slaves === "2" ? true : undefined));
            assert.deepEqual((await convergeReplication(d.replicationInputs())).actions, []);
        });
    });

    describe("sentinel 1+2 with 3 sentinels", () => {
        const d = new KubeDeployment("ksent", { mode: "sentinel", replicasPerShard: 2, sentinels: 3 });
        const inputs = (): SentinelInputs => ({
            ...d.replicationInputs(),
            sentinels: d.layout.sentinels.map(({ address, port }) => ({ address, port })),
            masterName: "ksent",
            quorum: 2,
            downAfterMilliseconds: 2000,
            failoverTimeout: 10000,
            parallelSyncs: 1,
        });
        const sentinel = async (i: number, args: string[]) => command(d.sentinels[i].ip, 26379, { password: d.credentials.password }, args);
        /** SENTINEL FAILOVER is an operator's command: rd-admin's, not the applications'. */
        const sentinelAdmin = async (i: number, args: string[]) => command(d.sentinels[i].ip, 26379, { user: ADMIN_USER, password: d.credentials.adminPassword }, args);
        const masterOf = async (i: number) => {
            const addr = await sentinel(i, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "ksent"]) as string[] | null;
            if (!addr) throw new Error(`sentinel ${i} does not monitor ksent`);
            return addr.join(":");
        };
        before(() => d.start());
        after(() => d.cleanup());

        it("every sentinel monitors the master by name and sees 2 replicas and 2 other sentinels, all by name", async () => {
            const created = await sentinelProvider.create(inputs());
            const master = `${d.layout.members[0].address}:6379`;
            assert.equal(created.outs.result.master, master);
            for (let i = 0; i < 3; i++) {
                assert.equal(await masterOf(i), master);
                const m = pairs(await sentinel(i, ["SENTINEL", "MASTER", "ksent"]));
                assert.equal(m["num-slaves"], "2");
                assert.equal(m["num-other-sentinels"], "2");
                const replicas = (await sentinel(i, ["SENTINEL", "REPLICAS", "ksent"]) as unknown[]).map(pairs).map((r) => r.ip).sort();
                assert.deepEqual(replicas, d.layout.members.slice(1).map((r) => r.address).sort());
                const peers = (await sentinel(i, ["SENTINEL", "SENTINELS", "ksent"]) as unknown[]).map(pairs).map((s) => s.ip).sort();
                assert.deepEqual(peers, d.layout.sentinels.filter((_, j) => j !== i).map((s) => s.address).sort());
            }
            for (const s of d.layout.sentinels) assert.ok(d.api.forwardsTo(s.pod) > 0, `port-forwards to ${s.pod}`);
            assert.deepEqual((await convergeSentinel(inputs())).actions, [], "a second run changes nothing");
        });

        it("a sentinel pod recreated with a new IP still monitors (state kept by start-sentinel.sh) and is seen again by its peers", async () => {
            await d.pods.stop(d.sentinels[2]);
            const pod = d.startSentinel(2);
            await d.pods.ready(pod);
            assert.equal(await masterOf(2), `${d.layout.members[0].address}:6379`, "it monitors without a bootstrap");
            // Counts are sticky (a sentinel keeps its known peers): require fresh ping replies both ways,
            // which needs the peers' names resolved to their current IPs.
            const fresh = (entry: Record<string, string>) => entry.flags === "sentinel" && Number(entry["last-ok-ping-reply"]) < 1500;
            await waitFor("the recreated sentinel and its peers to ping each other at their current IPs", 20000, async () => {
                const mine = (await sentinel(2, ["SENTINEL", "SENTINELS", "ksent"]) as unknown[]).map(pairs);
                if (mine.length !== 2 || !mine.every(fresh)) return undefined;
                const m = pairs(await sentinel(2, ["SENTINEL", "MASTER", "ksent"]));
                if (m["num-slaves"] !== "2") return undefined;
                for (const peer of [0, 1]) {
                    const seen = (await sentinel(peer, ["SENTINEL", "SENTINELS", "ksent"]) as unknown[]).map(pairs).find((e) => e.ip === d.layout.sentinels[2].address);
                    if (!seen || !fresh(seen)) return undefined;
                }
                return true;
            });
        });

        it("after a failover the sentinels name the new master by DNS name; a later run keeps it", async () => {
            const old = `${d.layout.members[0].address}:6379`;
            assert.equal(await sentinelAdmin(0, ["SENTINEL", "FAILOVER", "ksent"]), "OK");
            const elected = await waitFor("a new master", 30000, async () => {
                const now = await masterOf(0);
                return now !== old ? now : undefined;
            });
            assert.ok(d.layout.members.slice(1).some((m) => `${m.address}:6379` === elected), `elected a replica by name: ${elected}`);
            await waitFor("every sentinel to agree", 20000, async () => {
                const all = [await masterOf(0), await masterOf(1), await masterOf(2)];
                return all.every((m) => m === elected) ? true : undefined;
            });
            const again = await convergeSentinel(inputs());
            assert.equal(again.master, elected, "the elected master stays master");
        });

        it("the old master's pod recreated with a new IP rejoins as a replica of the elected master", async () => {
            const elected = await masterOf(0);
            const pod = await d.restartMember(0);
            await waitFor("the old master to replicate the elected one", 40000, async () => {
                const info = await d.info(pod, "replication");
                return info.role === "slave" && `${info.master_host}:${info.master_port}` === elected && info.master_link_status === "up" ? true : undefined;
            });
        });
    });

    describe("cluster 3x1", () => {
        const d = new KubeDeployment("kclus", { mode: "cluster", shards: 3, replicasPerShard: 1 });
        const inputs = (): ClusterInputs => ({
            ...d.replicationInputs(),
            shards: d.plan.shards.map((s) => ({ index: s.index, slots: s.slots! })),
            timeoutMs: 60000,
        });
        const clusterState = async (pod: RunningPod) => parseInfo(String(await d.admin(pod, ["CLUSTER", "INFO"]))).cluster_state;
        before(() => d.start());
        after(() => d.cleanup());

        it("forms the cluster through the API: MEET gets pod IPs from the API, every node ok with one slot map", async () => {
            const created = await clusterProvider.create(inputs());
            assert.deepEqual(created.outs.result.masters, d.plan.shards.map((s) => `${d.layout.members.find((m) => m.shard === s.index && m.index === 0)!.address}:6379`));
            for (const pod of d.members) assert.equal(await clusterState(pod), "ok");
            const podGets = d.api.requests.filter((r) => r.method === "GET" && /\/pods\/[^/]+$/.test(r.path) && r.status === 200);
            assert.ok(podGets.length > 0, "CLUSTER MEET's addresses came from the API (pod IPs)");
            // Every node knows every other node by hostname (the provider's announce settings).
            const view = parseClusterNodes(String(await d.admin(d.members[0], ["CLUSTER", "NODES"])));
            assert.equal(view.length, 6);
            const raw = String(await d.admin(d.members[0], ["CLUSTER", "NODES"]));
            for (const m of d.layout.members) assert.ok(raw.includes(`,${m.address} `), `CLUSTER NODES names ${m.pod} by hostname`);
        });

        it("clients are sent to hostnames: CLUSTER SLOTS and MOVED name the pods' DNS names", async () => {
            const slots = await d.admin(d.members[0], ["CLUSTER", "SLOTS"]) as [number, number, [string, number, string]][];
            const endpoints = slots.map((s) => s[2][0]).sort();
            const masters = d.layout.members.filter((m) => m.index === 0).map((m) => m.address).sort();
            assert.deepEqual(endpoints, masters);
            // A key owned by another shard: the redirect names that shard's master by DNS name.
            let moved = "";
            for (let k = 0; k < 50 && !moved; k++) {
                try {
                    await command(d.members[0].ip, 6379, { password: d.credentials.password }, ["GET", `key-${k}`]).then((r) => {
                        if (r && typeof r === "object" && "message" in (r as object)) moved = String((r as { message: string }).message);
                    });
                } catch { /* not moved */ }
            }
            assert.match(moved, /^MOVED \d+ kclus-s[12]-0\.kclus-headless\.redis-it\.svc\.cluster\.local:6379$/);
        });

        it("a second run changes nothing", async () => {
            assert.deepEqual((await convergeCluster(inputs())).actions, []);
        });

        it("every pod recreated at once with new IPs: nodes re-resolve their peers from nodes.conf and the cluster comes back, no bootstrap", async () => {
            const before = new Map<string, string>();
            for (const [i, pod] of d.members.entries()) before.set(d.layout.members[i].pod, String(await d.admin(pod, ["CLUSTER", "MYID"])));
            const oldIps = d.members.map((p) => p.ip);
            await Promise.all(d.members.map((p) => d.pods.stop(p)));
            const pods = d.layout.members.map((_, i) => d.startMember(i));
            await Promise.all(pods.map((p) => d.pods.ready(p)));
            assert.ok(pods.every((p, i) => p.ip !== oldIps[i]), "every pod has a new IP");
            // cluster_state alone is not enough: right after a restart a node reports the stale "ok" of
            // its nodes.conf while every peer link is down. Every node must be connected to every
            // peer at that peer's new address.
            const ipOf = new Map(d.layout.members.map((m, i) => [m.address, pods[i].ip]));
            let why = "";
            await waitFor("every node connected to every peer at its new IP, cluster_state:ok", 60000, async () => {
                for (const [i, pod] of pods.entries()) {
                    if ((await clusterState(pod)) !== "ok") { why = `${d.layout.members[i].pod}: cluster_state`; return undefined; }
                    const raw = String(await d.admin(pod, ["CLUSTER", "NODES"])).trim().split("\n");
                    for (const line of raw) {
                        const [, addr, flags, , , , , link] = line.split(" ");
                        const host = addr.split(",")[1];
                        if (flags.includes("myself")) continue;
                        if (link !== "connected" || !addr.startsWith(`${ipOf.get(host)}:`) || /fail/.test(flags)) {
                            why = `${d.layout.members[i].pod} sees ${host} as ${addr} ${flags} ${link}`;
                            return undefined;
                        }
                    }
                }
                return true;
            }, 500).catch((err) => { throw new Error(`${(err as Error).message}; ${why}`); });
            for (const [i, pod] of pods.entries()) {
                assert.equal(String(await d.admin(pod, ["CLUSTER", "MYID"])), before.get(d.layout.members[i].pod), "same node identity");
                const self = parseClusterNodes(String(await d.admin(pod, ["CLUSTER", "NODES"]))).find((l) => l.flags.includes("myself"))!;
                assert.equal(self.endpoint, `${pod.ip}:6379`, "announces its new IP");
            }
            assert.match(pods.map((p) => p.output()).join("\n"), /redis-deployment: kclus-s\d-\d\.kclus-headless\.redis-it\.svc\.cluster\.local is now at 127\./,
                "start-redis.sh rewrote peer addresses in nodes.conf");
            assert.deepEqual((await convergeCluster(inputs())).actions, [], "nothing for the bootstrap to do");
        });
    });

    describe("cluster 3x1 with TLS (client certificates required)", () => {
        const d = new KubeDeployment("ktlsc", { mode: "cluster", shards: 3, replicasPerShard: 1, tls: { enabled: true, clientAuth: "required" } });
        const inputs = (): ClusterInputs => ({ ...d.replicationInputs(), shards: d.plan.shards.map((s) => ({ index: s.index, slots: s.slots! })), timeoutMs: 60000 });
        before(() => d.start());
        after(() => d.cleanup());

        it("the bootstrap forms the cluster over TLS through the port-forwards, each pod's certificate checked against its DNS name", async () => {
            await clusterProvider.create(inputs());
            for (const pod of d.members) assert.equal(parseInfo(String(await d.admin(pod, ["CLUSTER", "INFO"]))).cluster_state, "ok", pod.spec.pod);
            assert.deepEqual((await convergeCluster(inputs())).actions, [], "a second run changes nothing");
            await assert.rejects(command(d.members[0].ip, 6379, { password: d.credentials.password }, ["PING"]), "no plaintext");
        });

        it("without the client certificate the bootstrap is refused", async () => {
            const { certificate: _c, key: _k, ...caOnly } = d.access().tls!;
            await assert.rejects(convergeCluster({ ...inputs(), access: d.access({ tls: caOnly }), timeoutMs: 3000 }));
        });
    });

    describe("persistence off: a master pod restarted empty never wipes its replicas", () => {
        const off = { persistence: { aof: false, rdb: false } };
        const fast = { RD_GUARD_INTERVAL: "1" };
        const keys = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
        const dbsize = async (d: KubeDeployment, pod: RunningPod) => Number(await d.admin(pod, ["DBSIZE"]));

        /** Kills member i (a crash), recreates its pod at once, and checks that it waits instead of starting empty. */
        async function crashAndRecreate(d: KubeDeployment, i: number): Promise<RunningPod> {
            await d.pods.stop(d.members[i], "SIGKILL");
            const pod = d.startMember(i, fast);
            await waitFor("the guard to report that it waits", 10000, async () => (/waiting/.test(pod.output()) ? true : undefined));
            assert.notEqual(d.pods.probe(pod, "ready").code, 0, "not ready while it waits");
            assert.equal(pod.exited(), false);
            return pod;
        }

        describe("replication 1+1: waits until an operator promotes the replica, then follows it", () => {
            const d = new KubeDeployment("koff", { mode: "replication", replicasPerShard: 1, ...off });
            before(() => d.start());
            after(() => d.cleanup());

            it("waits, keeps the replica's copy, and comes back as the promoted replica's replica", async () => {
                await convergeReplication(d.replicationInputs());
                for (const k of keys(50, "r")) await d.admin(d.members[0], ["SET", k, "v"]);
                await waitFor("the replica to hold the 50 keys", 10000, async () => ((await dbsize(d, d.members[1])) === 50 ? true : undefined));
                const pod = await crashAndRecreate(d, 0);
                await sleep(2500);
                assert.match(pod.output(), /koff-replica-0\.koff-headless\.redis-it\.svc\.cluster\.local replicates this member/, "names the replica that depends on it");
                assert.equal(await dbsize(d, d.members[1]), 50, "the replica keeps its copy while the master waits");
                assert.equal(await d.admin(d.members[1], ["REPLICAOF", "NO", "ONE"]), "OK"); // the operator's promotion
                await d.pods.ready(pod, 20000);
                await waitFor("the old master to replicate the promoted one", 20000, async () => {
                    const info = await d.info(pod, "replication");
                    return info.role === "slave" && info.master_host === d.layout.members[1].address && info.master_link_status === "up" ? true : undefined;
                });
                assert.equal(await dbsize(d, pod), 50, "it copied the data back");
                assert.equal(await dbsize(d, d.members[1]), 50);
                assert.match(pod.output(), /starting as a replica of koff-replica-0\./);
            });
        });

        describe("sentinel 1+2: waits for the sentinels' failover, then follows the elected master", () => {
            const d = new KubeDeployment("ksoff", { mode: "sentinel", replicasPerShard: 2, sentinels: 3, ...off });
            before(() => d.start());
            after(() => d.cleanup());

            it("no replica is wiped; the restarted member joins the elected master", async () => {
                await convergeSentinel({
                    ...d.replicationInputs(), sentinels: d.layout.sentinels.map(({ address, port }) => ({ address, port })),
                    masterName: "ksoff", quorum: 2,
                    downAfterMilliseconds: 2000, failoverTimeout: 10000, parallelSyncs: 1,
                });
                for (const k of keys(50, "s")) await d.admin(d.members[0], ["SET", k, "v"]);
                for (const i of [1, 2]) await waitFor(`replica ${i} to hold the keys`, 10000, async () => ((await dbsize(d, d.members[i])) === 50 ? true : undefined));
                const pod = await crashAndRecreate(d, 0);
                await d.pods.ready(pod, 40000);
                const info = await d.info(pod, "replication");
                assert.equal(info.role, "slave", "it came back as a replica");
                assert.ok(d.layout.members.slice(1).some((m) => m.address === info.master_host), `of a promoted replica, by name: ${info.master_host}`);
                await waitFor("the restarted member to sync", 20000, async () => ((await dbsize(d, pod)) === 50 ? true : undefined));
                for (const i of [1, 2]) assert.equal(await dbsize(d, d.members[i]), 50, `replica ${i} kept the data`);
            });
        });

        describe("cluster 3x1: waits until its replica serves its slots, then becomes that replica's replica", () => {
            const d = new KubeDeployment("kcoff", { mode: "cluster", shards: 3, replicasPerShard: 1, ...off });
            before(() => d.start());
            after(() => d.cleanup());

            it("shard 0's keys survive its master's crash and immediate restart", async () => {
                await convergeCluster({ ...d.replicationInputs(), shards: d.plan.shards.map((s) => ({ index: s.index, slots: s.slots! })), timeoutMs: 60000 });
                const range = d.plan.shards[0].slots!;
                const mine: string[] = [];
                for (let i = 0; mine.length < 30; i++) {
                    const slot = Number(await d.admin(d.members[0], ["CLUSTER", "KEYSLOT", `k${i}`]));
                    if (slot >= range.start && slot <= range.end) mine.push(`k${i}`);
                }
                for (const k of mine) assert.equal(await d.admin(d.members[0], ["SET", k, "v"]), "OK");
                await waitFor("the shard's replica to hold the keys", 10000, async () => ((await dbsize(d, d.members[1])) === 30 ? true : undefined));
                const pod = await crashAndRecreate(d, 0);
                await d.pods.ready(pod, 60000);
                await waitFor("the restarted node to be its former replica's replica", 30000, async () => {
                    const info = await d.info(pod, "replication");
                    return info.role === "slave" && info.master_link_status === "up" ? true : undefined;
                });
                assert.equal(parseInfo(String(await d.admin(d.members[1], ["INFO", "replication"]))).role, "master", "the replica took over");
                assert.equal(await dbsize(d, d.members[1]), 30, "the new master kept the shard's keys");
                await waitFor("the restarted node to copy them", 20000, async () => ((await dbsize(d, pod)) === 30 ? true : undefined));
            });
        });
    });

    describe("errors name the cause", () => {
        const d = new KubeDeployment("kerr", { mode: "replication", replicasPerShard: 1 });
        before(() => d.start());
        after(() => d.cleanup());
        const login = () => ({ user: ADMIN_USER, password: d.credentials.adminPassword });

        it("RBAC: a forbidden port-forward fails at once (no waiting out the timeout) and names pods/portforward", async () => {
            d.api.forbidden.add(d.layout.members[1].pod);
            try {
                const started = Date.now();
                await assert.rejects(convergeReplication({ ...d.replicationInputs(), timeoutMs: 30000 }),
                    (err: Error) => /forbidden/.test(err.message) && err.message.includes("pods/portforward") && err.message.includes(NS));
                assert.ok(Date.now() - started < 10000, "a 403 does not get better by waiting");
            } finally {
                d.api.forbidden.clear();
            }
        });

        it("credentials: a refused token fails at once and says so", async () => {
            const bad = d.api.writeKubeconfig(NS, "fake", "not-the-token");
            await assert.rejects(openClient(d.access({ kubeconfig: bad }), d.layout.members[0], login()),
                (err: Error) => /credentials were refused/.test(err.message) && (err as { fatal?: boolean }).fatal === true);
        });

        it("a pod that does not exist (yet) is retried until the timeout, then named", async () => {
            const ghost = { ...d.bootstrapMembers()[1], name: "ghost", address: `kerr-replica-7.kerr-headless.${NS}.svc.cluster.local` };
            await assert.rejects(convergeReplication({ ...d.replicationInputs(), members: [d.bootstrapMembers()[0], ghost], timeoutMs: 2000 }),
                (err: Error) => /timed out/.test(err.message) && err.message.includes("pod kerr-replica-7 does not exist in namespace redis-it"));
        });

        it("kubeconfig context: the one named in access is used; an unknown one is an error", async () => {
            const file = d.api.writeKubeconfig(NS, "second");
            const client = await openClient(d.access({ kubeconfig: file, context: "second" }), d.layout.members[0], login());
            try {
                assert.equal(await client.ping(), "PONG");
            } finally {
                client.disconnect();
            }
            await assert.rejects(openClient(d.access({ context: "nope" }), d.layout.members[0], login()), /nope/);
        });

        it("an address that is not a pod DNS name is refused", async () => {
            await assert.rejects(openClient(d.access(), { address: "10.0.0.7", port: 6379 }, login()),
                (err: Error) => /not a pod's DNS name/.test(err.message));
        });
    });
});

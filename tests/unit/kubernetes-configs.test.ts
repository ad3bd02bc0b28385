// Every file the Kubernetes provider renders, run by the real programs the way a pod runs them:
// the ConfigMap template and the Secret's files go through the provider's start-redis.sh /
// start-sentinel.sh into redis-server / redis-server --sentinel, readiness and liveness are the
// provider's probe.sh, and haproxy.cfg is checked with `haproxy -c` and then run. The pods'
// DNS names (<pod>.<name>-headless.<ns>.svc.cluster.local) really resolve: the programs run in a
// private mount namespace whose /etc/hosts and resolv.conf map them to 127.70-89.x.y addresses
// (tests/helpers/kubernetes.ts). Every process is killed by pid in after(), also on failure.
import { strict as assert } from "node:assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as tls from "tls";
import * as path from "path";
import type { RedisDeploymentArgs } from "../../components/args";
import { plan } from "../../components/plan";
import { ADMIN_USER, MONITOR_USER, type Credentials, type TopologyPlan } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { TLS_FILES, type TlsMaterial } from "../../components/tls";
import { issueTestTls, podTlsFiles } from "../helpers/tls";
import { issueCertificate } from "../../bootstrap/certificates";
import { certificateHolders, kubernetesTlsSubjects } from "../../providers/kubernetes/tls";
import {
    HAPROXY_PASSWORD_ENV, SECRET_KEYS, haproxyConfig, kubernetesLayout, memberConfig, probeScript, redisAuthConfig,
    sentinelAuthConfig, sentinelConfig, startRedisScript, startSentinelScript, type KubernetesLayout,
} from "../../providers/kubernetes/config";
import { KubePods, freshPodIp, type RunningPod } from "../helpers/kubernetes";
import { ReplyError, command, configGet, randomCredentials, run, sleep, waitUntil, type Reply } from "../helpers/realPrograms";

interface Deployed {
    /** With tls.enabled: the certificates, issued for the names the provider's tlsSubjects gives. */
    tls?: TlsMaterial;
    tlsCaKey?: string;
    plan: TopologyPlan;
    layout: KubernetesLayout;
    credentials: Credentials;
    pods: KubePods;
    members: RunningPod[];
    sentinels: RunningPod[];
}

function scripts(p: TopologyPlan, layout: KubernetesLayout): Record<string, string> {
    return { "start-redis.sh": startRedisScript(p, layout.members), "start-sentinel.sh": startSentinelScript(p), "probe.sh": probeScript(p) };
}

function memberSecret(p: TopologyPlan, c: Credentials): Record<string, string> {
    return { [SECRET_KEYS.redisAuth]: redisAuthConfig(p, c), [SECRET_KEYS.monitorPassword]: c.monitorPassword };
}

function sentinelSecret(p: TopologyPlan, c: Credentials): Record<string, string> {
    return { [SECRET_KEYS.sentinelAuth]: sentinelAuthConfig(p, c), [SECRET_KEYS.password]: p.args.authEnabled ? c.password : "" };
}

/** Starts every member and sentinel pod of a deployment, like the StatefulSets would, and waits for the readiness probes. */
async function deploy(name: string, args: RedisDeploymentArgs, namespace: string): Promise<Deployed> {
    const p = plan(validateArgs(name, { provider: "kubernetes", maxmemory: "64mb", ...args }));
    const layout = kubernetesLayout(p, namespace, "cluster.local", false);
    const credentials = randomCredentials();
    const pods = new KubePods(scripts(p, layout));
    const d: Deployed = { plan: p, layout, credentials, pods, members: [], sentinels: [] };
    const holders = certificateHolders(p, layout);
    if (p.args.tls.enabled) {
        const issued = issueTestTls(name, p.args.tls, kubernetesTlsSubjects(p, layout));
        d.tls = issued.material;
        d.tlsCaKey = issued.caKey;
    }
    const tlsOf = (pod: string) => (d.tls ? { tls: podTlsFiles(d.tls, holders[pod]) } : {});
    try {
        await pods.startDns();
        d.members = layout.members.map((m) => pods.start({
            kind: "redis", pod: m.pod, host: m.address, config: memberConfig(p, m), secret: memberSecret(p, credentials), port: m.port, ...tlsOf(m.pod),
        }, freshPodIp()));
        d.sentinels = layout.sentinels.map((s) => pods.start({
            kind: "sentinel", pod: s.pod, host: s.address, config: sentinelConfig(p, s), secret: sentinelSecret(p, credentials), port: s.port, ...tlsOf(s.pod),
        }, freshPodIp()));
        await Promise.all([...d.members, ...d.sentinels].map((pod) => pods.ready(pod)));
    } catch (err) {
        await pods.cleanup(); // after() never sees a deployment that failed to start
        throw err;
    }
    return d;
}

const admin = (c: Credentials) => ({ user: ADMIN_USER, password: c.adminPassword });

function clientTls(d: Deployed, servername: string, withCertificate = true): import("tls").ConnectionOptions {
    return { ca: d.tls!.ca, servername, ...(withCertificate ? { cert: d.tls!.client!.certificate, key: d.tls!.client!.key } : {}) };
}

/** One command over TLS, the server's certificate checked against `servername`. */
async function tlsCall(d: Deployed, ip: string, port: number, servername: string, args: string[], login?: { user?: string; password: string }, withCertificate = true): Promise<unknown> {
    const { Redis } = await import("ioredis");
    const client = new Redis({
        host: ip, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false,
        ...(login ? { username: login.user, password: login.password } : {}),
        tls: clientTls(d, servername, withCertificate),
    });
    client.on("error", () => undefined);
    try {
        await client.connect();
        return await client.call(args[0], ...args.slice(1));
    } finally {
        client.disconnect();
    }
}

/** SHA-256 fingerprint of the certificate a TLS listener presents. */
function servedFingerprint(d: Deployed, ip: string, port: number, servername: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: ip, port, ...clientTls(d, servername) }, () => {
            resolve(socket.getPeerCertificate().fingerprint256);
            socket.destroy();
        });
        socket.on("error", reject);
    });
}

const isError = (r: Reply, prefix: string) => r instanceof ReplyError && r.message.startsWith(prefix);


/** haproxy -c on the exact file, then a real HAProxy on it in the pods' namespace: writes reach the master only, reads the replicas. */
function assertHaproxy(d: () => Deployed): void {
    it("haproxy.cfg: `haproxy -c` accepts the exact rendered file (servers by DNS name, resolvers, password from the environment)", async () => {
        const { plan: p, layout, credentials, pods } = d();
        const file = path.join(pods.root, "haproxy-check.cfg");
        fs.writeFileSync(file, haproxyConfig(p, layout.members));
        const checked = await run("haproxy", ["-c", "-f", file]);
        assert.equal(checked.code, 0, `haproxy -c:\n${checked.stdout}${checked.stderr}`);
        assert.match(checked.stdout + checked.stderr, /Configuration file is valid/);
        assert.ok(!fs.readFileSync(file, "utf8").includes(credentials.monitorPassword));
    });

    it("HAProxy on it: the health check AUTHs with RD_MONITOR_PASSWORD, writes go to the master, reads to a replica; a wrong variable finds no server", async () => {
        const { plan: p, layout, credentials, pods, members } = d();
        const master = layout.members[0];
        for (const [i, m] of layout.members.entries()) {
            if (i > 0) assert.equal(await command(members[i].ip, m.port, admin(credentials), ["REPLICAOF", master.address, String(master.port)]), "OK");
        }
        const login = p.args.authEnabled ? { password: credentials.password } : undefined;
        const roleVia = async (ip: string, port: number) => {
            try {
                const r = await command(ip, port, login, ["ROLE"]);
                return Array.isArray(r) ? String(r[0]) : String(r);
            } catch (err) {
                return `error: ${(err as Error).message}`;
            }
        };
        const start = (pod: string, password: string) => {
            const ip = freshPodIp();
            const h = pods.start({
                kind: "haproxy", pod, host: `${pod}.${layout.namespace}.svc.cluster.local`, config: haproxyConfig(p, layout.members, ip),
                secret: {}, env: { [HAPROXY_PASSWORD_ENV]: password }, port: p.args.port,
            }, ip);
            return h;
        };
        const good = start(`${p.args.name}-haproxy-a`, credentials.monitorPassword);
        await pods.listening(good, p.args.port);
        // HAProxy 2.6 starts servers as up until their first check, and a server is out only
        // after two failed checks: wait until 12 sessions in a row agree.
        let streak = 0;
        let seen: string[] = [];
        const deadline = Date.now() + 20000;
        while (streak < 12 && Date.now() < deadline) {
            seen = [await roleVia(good.ip, p.args.port), await roleVia(good.ip, p.args.port + 1)];
            streak = seen[0] === "master" && seen[1] === "slave" ? streak + 1 : 0;
            await sleep(100);
        }
        assert.equal(streak, 12, `write/read frontends never settled on master/slave (last ${seen.join("/")}): ${good.output()}`);
        assert.ok(pods.dnsQueries.some((q) => q === master.address), "HAProxy re-resolves the members through the cluster DNS");

        const bad = start(`${p.args.name}-haproxy-b`, "not-the-monitor-password");
        await pods.listening(bad, p.args.port);
        await sleep(3500);
        assert.match(await roleVia(bad.ip, p.args.port), /^error: /, "with the wrong password no server passes the check");
        assert.match(bad.output(), /expect string '\+OK'|Layer7/, "the check fails at AUTH");
    });
}

describe("Kubernetes provider configs run by the real programs (start scripts, probes, haproxy)", function () {
    this.timeout(120000);

    describe("cluster 3x1", () => {
        let d: Deployed;
        const p = plan(validateArgs("kclu", { provider: "kubernetes", mode: "cluster", shards: 3, replicasPerShard: 1, maxmemory: "64mb" }));
        const holder = { layout: kubernetesLayout(p, "ns-clu", "cluster.local", false) };
        before(async () => { d = await deploy("kclu", { mode: "cluster", shards: 3, replicasPerShard: 1 }, "ns-clu"); });
        after(async () => { await d?.pods.cleanup(); });
        describe("members", () => {
            // The `it`s are declared from the planned layout; they read the running pods from `d`.
            for (const [i, m] of holder.layout.members.entries()) {
                it(`${m.pod}: cluster-announce-hostname ${m.address}, cluster-announce-ip = pod IP, hostname endpoints`, async () => {
                    const pod = d.members[i];
                    const get = (param: string) => configGet(pod.ip, m.port, admin(d.credentials), param);
                    assert.equal(await get("cluster-enabled"), "yes");
                    assert.equal(await get("cluster-announce-hostname"), m.address);
                    assert.equal(await get("cluster-preferred-endpoint-type"), "hostname");
                    assert.equal(await get("cluster-announce-ip"), pod.ip);
                    assert.equal(await get("bind"), pod.ip);
                    assert.equal(await get("masterauth"), d.credentials.adminPassword);
                    const myself = String(await command(pod.ip, m.port, admin(d.credentials), ["CLUSTER", "NODES"])).split("\n")[0];
                    assert.match(myself, new RegExp(`${pod.ip.replace(/\./g, "\\.")}:${m.port}@${m.port + 10000},${m.address.replace(/\./g, "\\.")} myself,master`));
                });
            }
        });
        it("every member's readiness and liveness probes pass", async () => {
            for (const pod of d.members) {
                assert.equal(d.pods.probe(pod, "ready").code, 0);
                assert.equal(d.pods.probe(pod, "alive").code, 0);
            }
        });
    });

    describe("replication 1+2", () => {
        const holder: { d?: Deployed } = {};
        before(async () => { holder.d = await deploy("krep", { mode: "replication", replicasPerShard: 2 }, "ns-rep"); });
        after(async () => { await holder.d?.pods.cleanup(); });
        const layout = kubernetesLayout(plan(validateArgs("krep", { provider: "kubernetes", mode: "replication", replicasPerShard: 2, maxmemory: "64mb" })), "ns-rep", "cluster.local", false);
        describe("members", () => {
            for (const [i, m] of layout.members.entries()) {
                it(`${m.pod}: bound to its pod IP, announces ${m.address}, masterauth from the Secret`, async () => {
                    await assertMember(holder.d!, i);
                });
            }
        });
        it("ACL users from the Secret: default (app password, FLUSHALL taken), rd-monitor (PING and INFO only), rd-admin", () => runUsers(holder.d!));
        it("probe.sh: ready and alive pass; with a wrong password in the mounted Secret both fail with the server's answer", () => runProbes(holder.d!));
        assertHaproxy(() => holder.d!);
    });

    describe("sentinel 1+2 with 3 sentinels", () => {
        const holder: { d?: Deployed } = {};
        before(async () => { holder.d = await deploy("ksen", { mode: "sentinel", replicasPerShard: 2, sentinels: 3 }, "ns-sen"); });
        after(async () => { await holder.d?.pods.cleanup(); });

        it("members: bound to their pod IPs, announce their DNS names", async () => {
            for (let i = 0; i < holder.d!.members.length; i++) await assertMember(holder.d!, i);
        });

        it("sentinels: resolve-hostnames and announce-hostnames on, announce-ip = the pod's DNS name, AUTH required", async () => {
            const d = holder.d!;
            for (const [i, s] of d.layout.sentinels.entries()) {
                const ip = d.sentinels[i].ip;
                assert.ok(isError(await command(ip, s.port, undefined, ["PING"]), "NOAUTH"), "sentinels require the password");
                const login = { user: ADMIN_USER, password: d.credentials.adminPassword }; // SENTINEL CONFIG is rd-admin's
                const get = async (param: string) => {
                    const r = await command(ip, s.port, login, ["SENTINEL", "CONFIG", "GET", param]) as Reply[];
                    return String(r[1]);
                };
                assert.equal(await get("resolve-hostnames"), "yes");
                assert.equal(await get("announce-hostnames"), "yes");
                assert.equal(await get("announce-ip"), s.address);
                assert.equal(d.pods.probe(d.sentinels[i], "ready").code, 0, "probe.sh ready sentinel");
                const conf = fs.readFileSync(path.join(d.sentinels[i].dir, "data", "sentinel.conf"), "utf8");
                assert.ok(!conf.includes("@@"));
            }
        });

        it("a sentinel monitors the master by its DNS name and reports it by name", async () => {
            const d = holder.d!;
            const s = d.layout.sentinels[0];
            const login = { user: ADMIN_USER, password: d.credentials.adminPassword }; // SENTINEL MONITOR/SET/REMOVE are rd-admin's
            const ip = d.sentinels[0].ip;
            const master = d.layout.members[0];
            assert.equal(await command(ip, s.port, login, ["SENTINEL", "MONITOR", "probe", master.address, String(master.port), "2"]), "OK");
            try {
                assert.equal(await command(ip, s.port, login, ["SENTINEL", "SET", "probe", "auth-user", ADMIN_USER, "auth-pass", d.credentials.adminPassword]), "OK");
                assert.deepEqual(await command(ip, s.port, login, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "probe"]), [master.address, String(master.port)]);
                // The sentinel reached the master by name: it reports its run id and role.
                let flags = "";
                for (let i = 0; i < 40 && !/^master$/.test(flags); i++) {
                    const m = await command(ip, s.port, login, ["SENTINEL", "MASTER", "probe"]) as string[];
                    flags = m[m.indexOf("flags") + 1];
                    await sleep(100);
                }
                assert.equal(flags, "master", "the sentinel connected to the master by name");
            } finally {
                await command(ip, s.port, login, ["SENTINEL", "REMOVE", "probe"]);
            }
        });

        assertHaproxy(() => holder.d!);
    });

    describe("TLS: sentinel 1+1 with 3 sentinels, client certificates required", () => {
        const holder: { d?: Deployed } = {};
        // deploy() waits for every pod's readiness probe, which now speaks TLS with the pod's certificate.
        before(async () => { holder.d = await deploy("ktls", { mode: "sentinel", replicasPerShard: 1, sentinels: 3, tls: { enabled: true, clientAuth: "required" } }, "ns-tls"); });
        after(async () => { await holder.d?.pods.cleanup(); });
        const nodes = (d: Deployed) => [
            ...d.layout.members.map((m, i) => ({ pod: d.members[i], address: m.address, port: m.port })),
            ...d.layout.sentinels.map((s, i) => ({ pod: d.sentinels[i], address: s.address, port: s.port })),
        ];

        it("no member or sentinel answers plaintext", async () => {
            for (const n of nodes(holder.d!)) {
                await assert.rejects(command(n.pod.ip, n.port, admin(holder.d!.credentials), ["PING"]), `${n.address}: plaintext refused`);
            }
        });

        it("a client with the CA and the deployment's client certificate reaches every pod, its certificate checked against the pod's DNS name", async () => {
            const d = holder.d!;
            for (const n of nodes(d)) {
                assert.equal(await tlsCall(d, n.pod.ip, n.port, n.address, ["PING"], admin(d.credentials)), "PONG", n.address);
                await assert.rejects(tlsCall(d, n.pod.ip, n.port, "elsewhere.example", ["PING"], admin(d.credentials)), Error, `${n.address}: a name the certificate does not cover is refused`);
                await assert.rejects(tlsCall(d, n.pod.ip, n.port, n.address, ["PING"], admin(d.credentials), false), Error, `${n.address}: no client certificate, no connection`);
            }
        });

        it("replication runs over TLS between the pods' DNS names", async () => {
            const d = holder.d!;
            const [master, replica] = d.layout.members;
            assert.equal(await tlsCall(d, d.members[1].ip, replica.port, replica.address, ["REPLICAOF", master.address, String(master.port)], admin(d.credentials)), "OK");
            assert.equal(await tlsCall(d, d.members[0].ip, master.port, master.address, ["SET", "k", "over-tls"], admin(d.credentials)), "OK");
            await waitUntil("the replica's link to its master is up and the key arrived", async () =>
                /master_link_status:up/.test(String(await tlsCall(d, d.members[1].ip, replica.port, replica.address, ["INFO", "replication"], admin(d.credentials))))
                && await tlsCall(d, d.members[1].ip, replica.port, replica.address, ["GET", "k"], admin(d.credentials)) === "over-tls", 15000);
        });

        it("HAProxy terminates TLS with its Service's certificate (node.pem + node.pem.key) and checks the members over TLS", async () => {
            const d = holder.d!;
            const pod = d.layout.haproxy;
            const pair = d.tls!.nodes[certificateHolders(d.plan, d.layout)[pod]];
            d.pods.writeTls(pod, { [TLS_FILES.ca]: d.tls!.ca, [TLS_FILES.pem]: pair.certificate, [`${TLS_FILES.pem}.key`]: pair.key });
            const ip = freshPodIp();
            const host = `${pod}.${d.layout.namespace}.svc.cluster.local`;
            const proxy = d.pods.start({
                kind: "haproxy", pod, host, config: haproxyConfig(d.plan, d.layout.members, ip, d.pods.tlsRoot(pod)),
                secret: {}, env: { [HAPROXY_PASSWORD_ENV]: d.credentials.monitorPassword }, port: d.plan.args.port,
            }, ip);
            await d.pods.listening(proxy, d.plan.args.port);
            const role = async (port: number) => {
                try {
                    return String(((await tlsCall(d, ip, port, host, ["ROLE"], { password: d.credentials.password })) as unknown[])[0]);
                } catch (err) {
                    return `error: ${(err as Error).message}`;
                }
            };
            await waitUntil("writes reach the master and reads the replica through HAProxy", async () => await role(d.plan.args.port) === "master" && await role(d.plan.args.port + 1) === "slave", 20000);
            await assert.rejects(command(ip, d.plan.args.port, { password: d.credentials.password }, ["PING"]), "HAProxy refuses plaintext");
        });

        it("a renewed certificate in the pod's volume is served within seconds, without a restart", async () => {
            const d = holder.d!;
            const m = d.layout.members[0];
            const ip = d.members[0].ip;
            const runId = () => tlsCall(d, ip, m.port, m.address, ["INFO", "server"], admin(d.credentials)).then((r) => /run_id:(\w+)/.exec(String(r))![1]);
            const before = await runId();
            const renewed = issueCertificate({ certificate: d.tls!.ca, key: d.tlsCaKey! }, { commonName: m.pod, names: kubernetesTlsSubjects(d.plan, d.layout)[m.name] }, 30);
            d.pods.writeTls(m.pod, { [TLS_FILES.cert]: renewed.certificate, [TLS_FILES.key]: renewed.key });
            const expected = new crypto.X509Certificate(renewed.certificate).fingerprint256;
            await waitUntil("the member serves the renewed certificate", async () => (await servedFingerprint(d, ip, m.port, m.address)) === expected, 15000);
            assert.equal(await runId(), before, "the same process: reloaded, not restarted");
            assert.match(d.members[0].output(), /loaded the renewed certificate/);
        });
    });

    describe("standalone; replication 1+1 with auth disabled and persistence off", () => {
        const holder: { solo?: Deployed; open?: Deployed } = {};
        before(async () => {
            holder.solo = await deploy("ksolo", { mode: "standalone" }, "ns-solo");
            holder.open = await deploy("kopen", { mode: "replication", replicasPerShard: 1, auth: { enabled: false }, persistence: { aof: false, rdb: false } }, "ns-open");
        });
        after(async () => {
            await holder.solo?.pods.cleanup();
            await holder.open?.pods.cleanup();
        });

        it("standalone: the member runs from its template and passes its probes", async () => {
            await assertMember(holder.solo!, 0);
            await runUsers(holder.solo!);
        });

        it("auth disabled: the default user needs no password, internal users keep theirs, probes still AUTH as rd-monitor", async () => {
            const d = holder.open!;
            for (let i = 0; i < d.members.length; i++) await assertMember(d, i);
            await runUsers(d);
            const ip = d.members[0].ip;
            assert.equal(await configGet(ip, 6379, admin(d.credentials), "appendonly"), "no");
            assert.equal(await configGet(ip, 6379, admin(d.credentials), "save"), "");
            assert.equal(await configGet(ip, 6379, admin(d.credentials), "protected-mode"), "no");
        });
    });
});

async function assertMember(d: Deployed, i: number): Promise<void> {
    const m = d.layout.members[i];
    const pod = d.members[i];
    const get = (param: string) => configGet(pod.ip, m.port, admin(d.credentials), param);
    assert.equal(await get("bind"), pod.ip);
    assert.equal(await get("bind-source-addr"), pod.ip);
    assert.equal(await get("replica-announce-ip"), m.address);
    assert.equal(await get("masterauth"), d.credentials.adminPassword);
    assert.equal(await get("masteruser"), ADMIN_USER);
    assert.equal(await get("dir"), path.join(pod.dir, "data"));
    assert.equal(await get("cluster-enabled"), d.plan.args.mode === "cluster" ? "yes" : "no");
    const conf = fs.readFileSync(path.join(pod.dir, "data", "redis.conf"), "utf8");
    assert.ok(!conf.includes("@@"), "every placeholder substituted");
    assert.ok(conf.split("\n").includes(`include ${path.join(pod.dir, "secret", SECRET_KEYS.redisAuth)}`), "the Secret's part is included");
    for (const s of Object.values(d.credentials)) assert.ok(!conf.includes(s), "the generated redis.conf holds no password itself");
}

async function runUsers(d: Deployed): Promise<void> {
    for (const [i, m] of d.layout.members.entries()) {
        const ip = d.members[i].ip;
        const app = d.plan.args.authEnabled ? { password: d.credentials.password } : undefined;
        if (d.plan.args.authEnabled) {
            assert.ok(isError(await command(ip, m.port, undefined, ["PING"]), "NOAUTH"), `${m.pod}: no access without AUTH`);
            await assert.rejects(command(ip, m.port, { password: "wrong-password-00000" }, ["PING"]), /WRONGPASS/, "a wrong password is refused");
        }
        assert.equal(await command(ip, m.port, app, ["PING"]), "PONG", `${m.pod}: the application user`);
        assert.ok(isError(await command(ip, m.port, app, ["FLUSHALL"]), "NOPERM"), `${m.pod}: FLUSHALL taken away`);
        const monitor = { user: MONITOR_USER, password: d.credentials.monitorPassword };
        assert.equal(await command(ip, m.port, monitor, ["PING"]), "PONG");
        assert.match(String(await command(ip, m.port, monitor, ["INFO", "replication"])), /role:/);
        assert.ok(isError(await command(ip, m.port, monitor, ["GET", "k"]), "NOPERM"), `${m.pod}: rd-monitor can not read data`);
        await assert.rejects(command(ip, m.port, { user: MONITOR_USER, password: d.credentials.adminPassword }, ["PING"]), /WRONGPASS/);
    }
}

async function runProbes(d: Deployed): Promise<void> {
    const pod = d.members[0];
    assert.equal(d.pods.probe(pod, "ready").code, 0);
    assert.equal(d.pods.probe(pod, "alive").code, 0);
    const file = path.join(pod.dir, "secret", SECRET_KEYS.monitorPassword);
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, "not-the-monitor-password");
    try {
        const ready = d.pods.probe(pod, "ready");
        assert.notEqual(ready.code, 0, "readiness fails when AUTH fails");
        assert.match(ready.output, /WRONGPASS|invalid username-password/);
        assert.notEqual(d.pods.probe(pod, "alive").code, 0, "liveness too");
    } finally {
        fs.writeFileSync(file, d.credentials.monitorPassword);
    }
    assert.equal(d.pods.probe(pod, "ready").code, 0);
}

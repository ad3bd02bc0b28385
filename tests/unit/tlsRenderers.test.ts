// The TLS configs proven by the real programs: redis-server, redis-sentinel and haproxy started
// on what the renderers produce with tls.enabled, with certificates issued the way the
// deployment issues them. Clients speak TLS through the bootstrap's own connection code.
// Every process is killed by pid in after(), also when a test fails.
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";
import type { Redis } from "ioredis";
import { connectDirect } from "../../bootstrap/access/direct";
import { issueCa, issueCertificate } from "../../bootstrap/certificates";
import { renderHaproxyCfg } from "../../components/config/haproxyCfg";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import { plan } from "../../components/plan";
import { nodeTlsFiles, type ClientAuth, type TlsMaterial } from "../../components/tls";
import { ADMIN_USER, type AddressedMember, type ClientTls, type Credentials } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { plaintextPing } from "../helpers/tls";
import { ProgramRunner, randomCredentials, run, testAddress, waitUntil, type Program } from "../helpers/realPrograms";

/** Address groups 190.. of this run's 127.N block (renderers.test.ts uses 150..). */
let nextGroup = 190;

async function withTls<T>(node: { address: string; port: number }, login: { user?: string; password?: string }, tls: ClientTls, fn: (c: Redis) => Promise<T>): Promise<T> {
    const client = await connectDirect(node, login, tls);
    try {
        return await fn(client);
    } finally {
        client.disconnect();
    }
}

/** A deployment's worth of TLS files, written like a provider does: one directory per node. */
function writeNodeFiles(root: string, material: TlsMaterial, node: string): string {
    const dir = path.join(root, node, "tls");
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(nodeTlsFiles(material, node))) fs.writeFileSync(path.join(dir, file), text, { mode: 0o600 });
    return dir;
}

function setUp(mode: "sentinel" | "cluster", clientAuth: ClientAuth) {
    const args = validateArgs("tls", { mode, tls: { enabled: true, clientAuth }, ...(mode === "cluster" ? { replicasPerShard: 0 } : {}) });
    const topology = plan(args);
    const group = nextGroup;
    nextGroup += 3;
    const members: AddressedMember[] = topology.members.map((m) => ({ ...m, address: testAddress(group, m.ordinal + 2) }));
    const sentinels = topology.sentinels.map((s) => ({ ...s, address: testAddress(group + 1, s.ordinal + 2) }));
    const proxies = topology.proxies.map((p) => ({ ...p, address: testAddress(group + 2, p.ordinal + 2) }));
    const ca = issueCa("test CA", 30);
    const nodes = Object.fromEntries([...members, ...sentinels, ...proxies].map((n) => [n.name, issueCertificate(ca, { commonName: n.name, names: [n.address] }, 30)]));
    const client = issueCertificate(ca, { commonName: "rd-client", names: [] }, 30);
    const material: TlsMaterial = { ca: ca.certificate, nodes, client };
    return { args, topology, members, sentinels, proxies, material, ca };
}

describe("TLS configs, proven by the real programs", function () {
    this.timeout(60000);

    describe("sentinel mode with clientAuth required: members, sentinels and HAProxy speak TLS only", () => {
        const runner = new ProgramRunner();
        const credentials: Credentials = randomCredentials();
        const admin = { user: ADMIN_USER, password: credentials.adminPassword };
        const app = { password: credentials.password };
        const d = setUp("sentinel", "required");
        const clientTls: ClientTls = { ca: d.material.ca, certificate: d.material.client!.certificate, key: d.material.client!.key };
        const programs: Program[] = [];
        let root = "";
        let socketPath = "";

        before(async () => {
            root = runner.tempDir("tls-sentinel");
            for (const m of d.members) {
                const dataDir = path.join(root, m.name);
                const tlsDir = writeNodeFiles(root, d.material, m.name);
                const conf = renderRedisConf({ args: d.args, member: m, credentials, dataDir, tlsDir })
                    + (m.role === "replica" ? `replicaof ${d.members[0].address} ${d.members[0].port}\nrepl-diskless-sync-delay 0\n` : "repl-diskless-sync-delay 0\n");
                fs.writeFileSync(path.join(dataDir, "redis.conf"), conf, { mode: 0o600 });
                programs.push(runner.start(m.name, "redis-server", [path.join(dataDir, "redis.conf")], dataDir));
            }
            for (const s of d.sentinels) {
                const dataDir = path.join(root, s.name);
                const tlsDir = writeNodeFiles(root, d.material, s.name);
                const master = d.members[0];
                const conf = renderSentinelConf({ args: d.args, sentinel: s, credentials, dataDir, tlsDir })
                    + `sentinel monitor ${d.topology.masterName} ${master.address} ${master.port} ${d.topology.quorum}\n`
                    + `sentinel auth-user ${d.topology.masterName} ${ADMIN_USER}\nsentinel auth-pass ${d.topology.masterName} ${credentials.adminPassword}\n`;
                fs.writeFileSync(path.join(dataDir, "sentinel.conf"), conf, { mode: 0o600 });
                programs.push(runner.start(s.name, "redis-server", [path.join(dataDir, "sentinel.conf"), "--sentinel"], dataDir));
            }
            const proxy = d.proxies[0];
            const dataDir = path.join(root, proxy.name);
            const tlsDir = writeNodeFiles(root, d.material, proxy.name);
            socketPath = path.join(dataDir, "haproxy.sock");
            const cfg = renderHaproxyCfg({ proxy, members: d.members, credentials, socketPath, tls: d.args.tls, tlsDir });
            fs.writeFileSync(path.join(dataDir, "haproxy.cfg"), cfg, { mode: 0o600 });
            const check = await run("haproxy", ["-c", "-f", path.join(dataDir, "haproxy.cfg")]);
            assert.equal(check.code, 0, `haproxy -c:\n${check.stdout}${check.stderr}\n${cfg}`);
            programs.push(runner.start(proxy.name, "haproxy", ["-db", "-f", path.join(dataDir, "haproxy.cfg")], dataDir));
        });
        after(() => runner.cleanup());

        const alive = () => {
            const dead = programs.find((p) => p.exited());
            if (dead) throw new Error(`${dead.name} exited:\n${dead.output()}`);
        };

        it("replicas sync from the master over TLS (tls-replication), presenting their certificate", async () => {
            for (const r of d.members.filter((m) => m.role === "replica")) {
                await waitUntil(`${r.name} link up`, async () => {
                    alive();
                    return withTls(r, admin, clientTls, async (c) => /master_link_status:up/.test(String(await c.call("INFO", "replication")))).catch(() => false);
                }, 20000);
            }
        });

        it("sentinels reach the members and each other over TLS: each sees every replica and every other sentinel", async () => {
            for (const s of d.sentinels) {
                await waitUntil(`${s.name} sees 1 replica and 2 sentinels`, async () => {
                    alive();
                    return withTls(s, admin, clientTls, async (c) => {
                        const fields = (await c.call("SENTINEL", "MASTER", d.topology.masterName)) as string[];
                        const get = (k: string) => fields[fields.indexOf(k) + 1];
                        return get("num-slaves") === "1" && get("num-other-sentinels") === "2";
                    }).catch(() => false);
                }, 20000);
            }
        });

        it("HAProxy terminates TLS, checks the members over TLS and routes writes to the master, reads to the replica", async () => {
            const proxy = d.proxies[0];
            await waitUntil("writes through HAProxy reach the master", async () => {
                alive();
                return withTls(proxy, app, clientTls, async (c) => /role:master/.test(String(await c.call("INFO", "replication")))).catch(() => false);
            }, 15000);
            assert.equal(await withTls(proxy, app, clientTls, (c) => c.set("through-tls", "yes")), "OK");
            const read = { address: proxy.address, port: proxy.readPort };
            await waitUntil("reads through HAProxy reach the replica", async () =>
                withTls(read, app, clientTls, async (c) => /role:slave/.test(String(await c.call("INFO", "replication")))).catch(() => false), 15000);
        });

        it("a plaintext client is refused by every member, sentinel and proxy frontend", async () => {
            const listeners = [...d.members, ...d.sentinels, ...d.proxies, ...d.proxies.map((p) => ({ ...p, port: p.readPort }))];
            for (const node of listeners) {
                const reply = await plaintextPing(node.address, node.port);
                assert.ok(!/PONG|NOAUTH/.test(reply), `${node.address}:${node.port} answered plaintext: ${reply}`);
            }
        });

        it("clientAuth required: a TLS client without a certificate is refused; one with a certificate from another CA too", async () => {
            const master = d.members[0];
            await assert.rejects(withTls(master, admin, { ca: d.material.ca }, (c) => c.ping()));
            await assert.rejects(withTls(d.proxies[0], app, { ca: d.material.ca }, (c) => c.ping()));
            const stranger = issueCa("another CA", 30);
            const strangerClient = issueCertificate(stranger, { commonName: "x", names: [] }, 30);
            await assert.rejects(withTls(master, admin, { ca: d.material.ca, certificate: strangerClient.certificate, key: strangerClient.key }, (c) => c.ping()));
        });

        it("a client that does not trust the deployment's CA refuses the members' certificates", async () => {
            const stranger = issueCa("another CA", 30);
            await assert.rejects(withTls(d.members[0], admin, { ca: stranger.certificate, certificate: clientTls.certificate, key: clientTls.key }, (c) => c.ping()), /certificate/);
        });

        it("redis-cli --tls with the CA and a client certificate connects (as users would)", async () => {
            const caFile = path.join(root, "client-ca.crt");
            const certFile = path.join(root, "client.crt");
            const keyFile = path.join(root, "client.key");
            fs.writeFileSync(caFile, d.material.ca);
            fs.writeFileSync(certFile, clientTls.certificate!);
            fs.writeFileSync(keyFile, clientTls.key!, { mode: 0o600 });
            const proxy = d.proxies[0];
            const result = await run("redis-cli", ["--tls", "--cacert", caFile, "--cert", certFile, "--key", keyFile, "-h", proxy.address, "-p", String(proxy.port),
                "--pass", credentials.password, "--no-auth-warning", "GET", "through-tls"]);
            assert.equal(result.stdout.trim(), "yes", result.stderr);
        });
    });

    describe("cluster mode (3 masters): the cluster bus speaks TLS (tls-cluster)", () => {
        const runner = new ProgramRunner();
        const credentials: Credentials = randomCredentials();
        const admin = { user: ADMIN_USER, password: credentials.adminPassword };
        const d = setUp("cluster", "optional");
        const clientTls: ClientTls = { ca: d.material.ca };
        after(() => runner.cleanup());

        it("the members meet over the TLS bus and the cluster reports ok", async () => {
            const root = runner.tempDir("tls-cluster");
            const programs = d.members.map((m) => {
                const dataDir = path.join(root, m.name);
                const tlsDir = writeNodeFiles(root, d.material, m.name);
                fs.writeFileSync(path.join(dataDir, "redis.conf"), renderRedisConf({ args: d.args, member: m, credentials, dataDir, tlsDir }), { mode: 0o600 });
                return runner.start(m.name, "redis-server", [path.join(dataDir, "redis.conf")], dataDir);
            });
            for (const m of d.members) {
                await waitUntil(`${m.name} answers over TLS`, async () => {
                    const dead = programs.find((p) => p.exited());
                    if (dead) throw new Error(`${dead.name} exited:\n${dead.output()}`);
                    return withTls(m, admin, clientTls, async (c) => (await c.ping()) === "PONG").catch(() => false);
                });
            }
            const first = d.members[0];
            await withTls(first, admin, clientTls, async (c) => {
                for (const m of d.members.slice(1)) await c.call("CLUSTER", "MEET", m.address, String(m.port));
            });
            for (const [i, shard] of d.topology.shards.entries()) {
                await withTls(d.members[i], admin, clientTls, (c) => c.call("CLUSTER", "ADDSLOTSRANGE", String(shard.slots!.start), String(shard.slots!.end)));
            }
            for (const m of d.members) {
                await waitUntil(`${m.name} cluster_state:ok`, async () =>
                    withTls(m, admin, clientTls, async (c) => /cluster_state:ok/.test(String(await c.call("CLUSTER", "INFO"))) ).catch(() => false), 20000);
            }
            // clientAuth "optional": a client without a certificate is let in.
            assert.equal(await withTls(first, admin, { ca: d.material.ca }, (c) => c.ping()), "PONG");
            const plain = await plaintextPing(first.address, first.port);
            assert.ok(!/PONG|NOAUTH/.test(plain), `plaintext answered: ${plain}`);
            const bus = await plaintextPing(first.address, first.port + 10000);
            assert.ok(!/PONG/.test(bus), `plaintext bus answered: ${bus}`);
        });
    });
});

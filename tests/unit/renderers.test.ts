// The renderers (redis.conf, sentinel.conf, haproxy.cfg) proven by the real programs: every
// rendered file is started with redis-server / redis-server --sentinel / checked by haproxy -c,
// and the settings and ACL users are checked live. Every process is killed by pid in after(),
// also when a test fails; a process.on("exit") fallback in the helper SIGKILLs leftovers.
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { RedisDeploymentArgs } from "../../components/args";
import { renderHaproxyCfg } from "../../components/config/haproxyCfg";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import { aclUsers, passwordHash, sentinelAclUsers, userPasswords } from "../../components/config/users";
import { withoutSecretValues } from "../../providers/local/process";
import { parseAclUser, passwordRuleChanges } from "../../bootstrap/credentials";
import { plan } from "../../components/plan";
import { ADMIN_USER, MONITOR_USER, type AddressedMember, type AddressedNode, type Mode } from "../../components/types";
import { validateArgs } from "../../components/validate";
import {
    ProgramRunner,
    ReplyError,
    command,
    configGet,
    infoField,
    randomCredentials,
    run,
    runTcpCheck,
    session,
    tcpCheckSteps,
    testAddress,
    waitForPing,
    waitUntil,
    type Program,
    type Reply,
} from "../helpers/realPrograms";
import { MEMBER_ALLOWED, MEMBER_REFUSED, assertNotRefused, assertRefused, sentinelAllowed, sentinelRefused } from "../helpers/leastPrivilege";

const MODES: Mode[] = ["standalone", "replication", "sentinel", "cluster"];
const MEMORY: [string, number][] = [["64mb", 64 * 1024 ** 2], ["100m", 100 * 1000 ** 2], ["1gb", 1024 ** 3], ["300mb", 300 * 1024 ** 2]];
const POLICIES = ["noeviction", "allkeys-lru", "volatile-ttl", "allkeys-lfu"] as const;

/** Address groups 150.. of this run's 127.N block (the local provider and fleet.ts use 0..41). */
let nextGroup = 150;

function isError(reply: Reply, code: string): boolean {
    return reply instanceof ReplyError && reply.message.startsWith(code);
}
function assertError(reply: Reply, code: string, what: string): void {
    assert.ok(isError(reply, code), `${what}: expected a ${code} error, got ${String(reply)}`);
}

/** Directive values of a rendered config (first value of each directive). */
function directive(conf: string, name: string): string | undefined {
    const line = conf.split("\n").find((l) => l.startsWith(`${name} `));
    return line?.slice(name.length + 1).trim();
}

/** `show stat` of an HAProxy stats socket: backend -> server -> status. */
function haproxyStatus(socketPath: string): Promise<Map<string, Map<string, string>>> {
    return new Promise((resolve, reject) => {
        const socket = net.connect(socketPath);
        let text = "";
        socket.on("connect", () => socket.write("show stat\n"));
        socket.on("data", (d: Buffer) => { text += d.toString(); });
        socket.on("error", reject);
        socket.on("close", () => {
            const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
            const header = text.split("\n")[0].replace(/^# /, "").split(",");
            const col = header.indexOf("status");
            const result = new Map<string, Map<string, string>>();
            for (const line of lines) {
                const cells = line.split(",");
                if (cells[1] === "FRONTEND" || cells[1] === "BACKEND") continue;
                if (!result.has(cells[0])) result.set(cells[0], new Map());
                result.get(cells[0])!.set(cells[1], cells[col]);
            }
            resolve(result);
        });
    });
}

/** The backend a frontend bound to `bind` sends to. */
function backendOf(cfg: string, bind: string): string {
    const sections = cfg.split(/\n(?=\S)/);
    const frontend = sections.find((s) => s.startsWith("frontend") && s.split("\n").some((l) => l.trim() === `bind ${bind}`));
    assert.ok(frontend, `a frontend binds ${bind}`);
    const m = /^\s*(?:default_backend|use_backend)\s+(\S+)/m.exec(frontend);
    assert.ok(m, `frontend for ${bind} names its backend`);
    return m[1];
}

interface Combo {
    mode: Mode;
    auth: boolean;
    persistence: boolean;
}

const combos: Combo[] = [];
for (const mode of MODES) for (const auth of [true, false]) for (const persistence of [true, false]) combos.push({ mode, auth, persistence });

describe("renderers, proven by the real programs", function () {
    this.timeout(30000);

    combos.forEach(({ mode, auth, persistence }, k) => {
        describe(`${mode}, auth ${auth ? "on" : "off"}, persistence ${persistence ? "on" : "off"}`, () => {
            const group = nextGroup++;
            const [maxmemory, maxmemoryBytes] = MEMORY[k % MEMORY.length];
            const maxmemoryPolicy = POLICIES[k % POLICIES.length];
            const input: RedisDeploymentArgs = {
                mode,
                auth: { enabled: auth },
                persistence: { aof: persistence, rdb: persistence },
                maxmemory,
                maxmemoryPolicy,
                ...(mode === "cluster" ? { shards: 3 } : {}),
                ...(mode === "replication" ? { replicasPerShard: 2 } : {}),
            };
            const args = validateArgs("rdt", input);
            const topology = plan(args);
            const credentials = randomCredentials();
            const admin = { user: ADMIN_USER, password: credentials.adminPassword };
            const monitor = { user: MONITOR_USER, password: credentials.monitorPassword };
            const app = auth ? { password: credentials.password } : undefined;
            const members: AddressedMember[] = topology.members.map((m) => ({ ...m, address: testAddress(group, 10 + m.ordinal) }));
            const sentinels: AddressedNode[] = topology.sentinels.map((s) => ({ name: s.name, zone: s.zone, port: s.port, address: testAddress(group, 100 + s.ordinal) }));
            const proxies = topology.proxies.map((p) => ({ name: p.name, zone: p.zone, port: p.port, readPort: p.readPort, address: testAddress(group, 200 + p.ordinal) }));
            const masters = members.filter((m) => m.role === "master");
            const replicas = members.filter((m) => m.role === "replica");

            const runner = new ProgramRunner();
            const memberConf = new Map<string, string>();
            const dataDirs = new Map<string, string>();
            const sentinelConf = new Map<string, string>();
            const programs = new Map<string, Program>();
            let root = "";

            before(async () => {
                root = runner.tempDir(`${mode}-${k}`);
                for (const member of members) {
                    const dataDir = path.join(root, member.name);
                    fs.mkdirSync(dataDir);
                    const conf = renderRedisConf({ args, member, credentials, dataDir });
                    const file = path.join(dataDir, "redis.conf");
                    fs.writeFileSync(file, conf, { mode: 0o600 });
                    memberConf.set(member.name, conf);
                    dataDirs.set(member.name, dataDir);
                    programs.set(member.name, runner.start(member.name, "redis-server", [file], dataDir));
                }
                for (const sentinel of sentinels) {
                    const dataDir = path.join(root, sentinel.name);
                    fs.mkdirSync(dataDir);
                    const conf = renderSentinelConf({ args, sentinel, credentials, dataDir });
                    const file = path.join(dataDir, "sentinel.conf");
                    fs.writeFileSync(file, conf, { mode: 0o600 });
                    sentinelConf.set(sentinel.name, conf);
                    programs.set(sentinel.name, runner.start(sentinel.name, "redis-server", [file, "--sentinel"], dataDir));
                }
                await Promise.all([
                    ...members.map((m) => waitForPing(programs.get(m.name)!, m.address, m.port, admin)),
                    ...sentinels.map((s) => waitForPing(programs.get(s.name)!, s.address, s.port, app)),
                ]);
            });

            after(async () => {
                await runner.cleanup();
                assert.ok(!fs.existsSync(root), "temp dir removed");
            });

            it("plans what this combination needs", () => {
                const expected = { standalone: 1, replication: 3, sentinel: 2, cluster: 6 }[mode];
                assert.equal(members.length, expected);
                assert.equal(sentinels.length, mode === "sentinel" ? 3 : 0);
            });

            it("every member's redis.conf starts redis-server, which answers PING as rd-admin on its own address", async () => {
                for (const m of members) {
                    assert.ok(!programs.get(m.name)!.exited(), `${m.name} still runs`);
                    assert.equal(await command(m.address, m.port, admin, ["PING"]), "PONG");
                }
            });

            it("the rendered settings are live (CONFIG GET)", async () => {
                for (const m of members) {
                    const get = (p: string) => configGet(m.address, m.port, admin, p);
                    assert.equal(await get("bind"), m.address, `${m.name} bind`);
                    assert.equal(await get("bind-source-addr"), m.address, `${m.name} bind-source-addr`);
                    assert.equal(await get("port"), String(m.port));
                    assert.equal(await get("replica-announce-ip"), m.address);
                    assert.equal(await get("maxmemory"), String(maxmemoryBytes), `${m.name} maxmemory ${maxmemory}`);
                    assert.equal(await get("maxmemory-policy"), maxmemoryPolicy);
                    assert.equal(await get("appendonly"), persistence ? "yes" : "no");
                    if (persistence) assert.notEqual(await get("save"), "", "RDB save points are set");
                    else assert.equal(await get("save"), "", "no RDB save points");
                    assert.equal(await get("masteruser"), ADMIN_USER);
                    assert.equal(await get("dir"), fs.realpathSync(dataDirs.get(m.name)!));
                    assert.equal(await get("cluster-enabled"), mode === "cluster" ? "yes" : "no");
                    if (mode === "cluster") assert.equal(await get("cluster-node-timeout"), "1500", "the tuned default");
                    const persistenceInfo = await command(m.address, m.port, admin, ["INFO", "persistence"]);
                    assert.equal(infoField(persistenceInfo, "aof_enabled"), persistence ? "1" : "0");
                }
            });

            it(persistence ? "AOF files are written in the member's data directory" : "no AOF files are written", async () => {
                for (const m of members) {
                    const aofDir = path.join(dataDirs.get(m.name)!, "appendonlydir");
                    assert.equal(fs.existsSync(aofDir), persistence, `${aofDir} exists: ${persistence}`);
                }
            });

            if (auth) {
                it("without the password only AUTH works (NOAUTH), and wrong or swapped passwords are refused", async () => {
                    for (const m of members) {
                        const [ping, get] = await session(m.address, m.port, [["PING"], ["GET", "k"]]);
                        assertError(ping, "NOAUTH", `${m.name} PING without AUTH`);
                        assertError(get, "NOAUTH", `${m.name} GET without AUTH`);
                        const [wrong, swapped, monitorAsAdmin] = await session(m.address, m.port, [
                            ["AUTH", "not-the-password-0123456789"],
                            ["AUTH", credentials.adminPassword],
                            ["AUTH", ADMIN_USER, credentials.monitorPassword],
                        ]);
                        assertError(wrong, "WRONGPASS", "wrong application password");
                        assertError(swapped, "WRONGPASS", "the admin password is not the application password");
                        assertError(monitorAsAdmin, "WRONGPASS", "the monitor password is not the admin password");
                    }
                });
            } else {
                it("without auth the default user needs no password", async () => {
                    for (const m of members) {
                        const [ping] = await session(m.address, m.port, [["PING"]]);
                        assert.equal(ping, "PONG", m.name);
                        assertError(await session(m.address, m.port, [["AUTH", ADMIN_USER, "wrong-password-0123456789"]]).then((r) => r[0]), "WRONGPASS", "rd-admin keeps its password");
                    }
                });
            }

            it("the default (application) user may run data commands but no administration (NOPERM): ACL, CONFIG, REPLICAOF, CLUSTER RESET, MIGRATE, SAVE, ...", async () => {
                for (const m of members) {
                    const roleBefore = infoField(await command(m.address, m.port, admin, ["INFO", "replication"]), "role");
                    const replies = await session(m.address, m.port, [
                        ...(app ? [["AUTH", app.password]] : []),
                        ["PING"],
                        ...MEMBER_REFUSED.map((c) => c.args),
                    ]);
                    if (app) assert.equal(replies[0], "OK", "AUTH with the application password");
                    const r = app ? replies.slice(1) : replies;
                    assert.equal(r[0], "PONG");
                    assertRefused(r.slice(1), MEMBER_REFUSED, m.name);
                    assert.equal(await command(m.address, m.port, admin, ["PING"]), "PONG", `${m.name} still up after SHUTDOWN was refused`);
                    assert.equal(infoField(await command(m.address, m.port, admin, ["INFO", "replication"]), "role"), roleBefore, `${m.name} kept its role`);
                    assert.deepEqual(await command(m.address, m.port, admin, ["ACL", "USERS"]), ["default", ADMIN_USER, MONITOR_USER], `${m.name}: no user was added or removed`);
                    assert.equal(await configGet(m.address, m.port, admin, "maxmemory-policy"), maxmemoryPolicy, `${m.name}: CONFIG SET was refused`);

                    // The ACL itself, as Redis evaluates it: every refused command is denied by the ACL
                    // (DEBUG and MODULE too, which Redis refuses even before), what clients need is allowed.
                    const dryrun = (...cmd: string[]) => command(m.address, m.port, admin, ["ACL", "DRYRUN", "default", ...cmd]);
                    for (const { args: cmd } of MEMBER_REFUSED) {
                        assert.match(String(await dryrun(...cmd)), /no permissions/, `ACL DRYRUN default ${cmd.join(" ")}`);
                    }
                    for (const cmd of MEMBER_ALLOWED) {
                        assert.equal(await dryrun(...cmd), "OK", `ACL DRYRUN default ${cmd.join(" ")}`);
                    }
                }
                // Reads and writes on a master (a cluster node without slots answers CLUSTERDOWN, not NOPERM).
                const master = masters[0];
                const key = `k-${k}`;
                const [, set, get] = await session(master.address, master.port, [app ? ["AUTH", app.password] : ["PING"], ["SET", key, "v1"], ["GET", key]]);
                if (mode === "cluster") {
                    assert.ok(set instanceof ReplyError && !set.message.startsWith("NOPERM"), `SET on a slotless node: ${String(set)}`);
                } else {
                    assert.equal(set, "OK", "SET");
                    assert.equal(get, "v1", "GET");
                }
                assert.ok(members.every((m) => !programs.get(m.name)!.exited()), "no member was shut down");
            });

            it("rd-monitor may PING and INFO but not GET, SET, CONFIG or FLUSHALL", async () => {
                for (const m of members) {
                    const [authReply, ping, info, get, set, config, flush] = await session(m.address, m.port, [
                        ["AUTH", monitor.user, monitor.password],
                        ["PING"],
                        ["INFO", "replication"],
                        ["GET", "k"],
                        ["SET", "k", "v"],
                        ["CONFIG", "GET", "maxmemory"],
                        ["FLUSHALL"],
                    ]);
                    assert.equal(authReply, "OK", `${m.name} AUTH rd-monitor`);
                    assert.equal(ping, "PONG");
                    assert.match(String(info), /^role:(master|slave)/m);
                    assertError(get, "NOPERM", `${m.name} rd-monitor GET`);
                    assertError(set, "NOPERM", `${m.name} rd-monitor SET`);
                    assertError(config, "NOPERM", `${m.name} rd-monitor CONFIG`);
                    assertError(flush, "NOPERM", `${m.name} rd-monitor FLUSHALL`);
                }
            });

            it("the config holds no plaintext password of the application or admin users' ACL entries", () => {
                for (const m of members) {
                    const userLines = memberConf.get(m.name)!.split("\n").filter((l) => l.startsWith("user "));
                    assert.equal(userLines.length, 3, "default, rd-admin, rd-monitor");
                    for (const secret of [credentials.password, credentials.adminPassword, credentials.monitorPassword]) {
                        assert.ok(!userLines.some((l) => l.includes(secret)), "ACL lines carry hashes, not passwords");
                    }
                }
            });

            if (mode === "cluster") {
                it("cluster config sets cluster-announce-ip and bind-source-addr to the member's address", async () => {
                    for (const m of members) {
                        const conf = memberConf.get(m.name)!;
                        assert.equal(directive(conf, "cluster-announce-ip"), m.address, `${m.name} conf`);
                        assert.equal(directive(conf, "bind-source-addr"), m.address, `${m.name} conf`);
                        assert.equal(await configGet(m.address, m.port, admin, "cluster-announce-ip"), m.address, `${m.name} live`);
                    }
                });

                it("the nodes meet and each sees every other at its own address", async () => {
                    // Every node meets every other directly (no waiting for gossip): each handshake then
                    // only completes if the peer's packets come from, and announce, the address it was told.
                    for (const m of members) {
                        for (const peer of members) {
                            if (peer === m) continue;
                            assert.equal(await command(m.address, m.port, admin, ["CLUSTER", "MEET", peer.address, String(peer.port)]), "OK");
                        }
                    }
                    const expected = members.map((m) => `${m.address}:${m.port}`).sort();
                    await waitUntil("every node to know every other at its own address", async () => {
                        for (const m of members) {
                            const nodes = String(await command(m.address, m.port, admin, ["CLUSTER", "NODES"])).trim().split("\n");
                            const seen = nodes.filter((l) => !/handshake|noaddr|fail/.test(l.split(" ")[2])).map((l) => l.split(" ")[1].split("@")[0]).sort();
                            if (JSON.stringify(seen) !== JSON.stringify(expected)) return false;
                        }
                        return true;
                    }, 15000);
                });
            } else {
                it("non-cluster config has no cluster directives", () => {
                    for (const m of members) assert.doesNotMatch(memberConf.get(m.name)!, /^cluster-/m);
                });
            }

            if (mode === "replication" || mode === "sentinel") {
                describe("replication and HAProxy", () => {
                    before(async () => {
                        // Diskless full syncs wait 5 s for more replicas by default; start them now.
                        for (const m of masters) assert.equal(await command(m.address, m.port, admin, ["CONFIG", "SET", "repl-diskless-sync-delay", "0"]), "OK");
                        const master = masters[0];
                        for (const r of replicas) {
                            assert.equal(await command(r.address, r.port, admin, ["REPLICAOF", master.address, String(master.port)]), "OK");
                        }
                    });

                    it("replicas sync from the master with the rendered masteruser/masterauth, announcing their own address", async () => {
                        const master = masters[0];
                        for (const r of replicas) {
                            await waitUntil(`${r.name} link up`, async () => infoField(await command(r.address, r.port, admin, ["INFO", "replication"]), "master_link_status") === "up", 15000);
                        }
                        // The master lists each replica at the address it announced, online once the replica ACKs.
                        const online = (info: string) => replicas.every((r) => new RegExp(`^slave\\d+:ip=${r.address.replace(/\./g, "\\.")},port=${r.port},state=online`, "m").test(info));
                        let info = "";
                        await waitUntil("the master to list every replica online at its own address", async () => {
                            info = String(await command(master.address, master.port, admin, ["INFO", "replication"]));
                            return online(info);
                        }, 10000).catch((e: Error) => { throw new Error(`${e.message}\n${info}`); });
                        assert.equal(infoField(info, "connected_slaves"), String(replicas.length));
                        if (app) {
                            const [, set] = await session(master.address, master.port, [["AUTH", app.password], ["SET", "replicated", "yes"]]);
                            assert.equal(set, "OK");
                            for (const r of replicas) {
                                await waitUntil(`${r.name} has the key`, async () => (await command(r.address, r.port, admin, ["GET", "replicated"])) === "yes", 5000);
                                const [, write] = await session(r.address, r.port, [["AUTH", app.password], ["SET", "x", "1"]]);
                                assertError(write, "READONLY", `${r.name} is read-only`);
                            }
                        }
                    });

                    it("every rendered haproxy.cfg passes haproxy -c (with and without a stats socket)", async () => {
                        assert.equal(proxies.length, 2);
                        for (const proxy of proxies) {
                            for (const socketPath of [undefined, path.join(root, `${proxy.name}.sock`)]) {
                                const cfg = renderHaproxyCfg({ proxy, members, credentials, socketPath });
                                const file = path.join(root, `${proxy.name}${socketPath ? "-sock" : ""}.cfg`);
                                fs.writeFileSync(file, cfg, { mode: 0o600 });
                                const result = await run("haproxy", ["-c", "-f", file]);
                                assert.equal(result.code, 0, `haproxy -c ${file}:\n${result.stdout}${result.stderr}\n${cfg}`);
                                assert.match(result.stdout + result.stderr, /Configuration file is valid/);
                                for (const m of members) assert.ok(cfg.includes(`${m.address}:${m.port}`), `${proxy.name} lists ${m.name}`);
                            }
                        }
                    });

                    it("the write backend's tcp-check passes on the master only, the read backend's on replicas only", async () => {
                        const proxy = proxies[0];
                        const cfg = renderHaproxyCfg({ proxy, members, credentials });
                        const write = tcpCheckSteps(cfg, backendOf(cfg, `${proxy.address}:${proxy.port}`));
                        const read = tcpCheckSteps(cfg, backendOf(cfg, `${proxy.address}:${proxy.readPort}`));
                        for (const m of members) {
                            const w = await runTcpCheck(write, m.address, m.port);
                            const r = await runTcpCheck(read, m.address, m.port);
                            assert.equal(w.ok, m.role === "master", `write check on ${m.name} (${m.role}): ${w.detail}`);
                            assert.equal(r.ok, m.role === "replica", `read check on ${m.name} (${m.role}): ${r.detail}`);
                        }
                    });

                    // A live HAProxy takes ~2 s to settle; once per mode and auth setting is enough.
                    if (persistence && auth === (mode === "replication")) {
                        it("a real HAProxy on the rendered haproxy.cfg routes writes to the master and reads to a replica", async () => {
                            const proxy = proxies[0];
                            const socketPath = path.join(root, "live.sock");
                            const cfg = renderHaproxyCfg({ proxy, members, credentials, socketPath });
                            const file = path.join(root, "live.cfg");
                            fs.writeFileSync(file, cfg, { mode: 0o600 });
                            const haproxy = runner.start("haproxy", "haproxy", ["-db", "-f", file], root);
                            const writeBackend = backendOf(cfg, `${proxy.address}:${proxy.port}`);
                            const readBackend = backendOf(cfg, `${proxy.address}:${proxy.readPort}`);
                            await waitUntil("HAProxy to mark the master UP for writes and the replicas UP for reads only", async () => {
                                if (haproxy.exited()) throw new Error(`haproxy exited:\n${haproxy.output()}`);
                                if (!fs.existsSync(socketPath)) return false;
                                const status = await haproxyStatus(socketPath);
                                return members.every((m) =>
                                    status.get(writeBackend)?.get(m.name) === (m.role === "master" ? "UP" : "DOWN")
                                    && status.get(readBackend)?.get(m.name) === (m.role === "replica" ? "UP" : "DOWN"));
                            }, 15000);
                            const viaWrite = await command(proxy.address, proxy.port, app, ["INFO", "replication"]);
                            assert.equal(infoField(viaWrite, "role"), "master");
                            const viaRead = await command(proxy.address, proxy.readPort, app, ["INFO", "replication"]);
                            assert.equal(infoField(viaRead, "role"), "slave");
                        });
                    }
                });
            }

            if (mode === "sentinel") {
                it("every sentinel.conf starts redis-server --sentinel, which answers PING on its own address", async () => {
                    for (const s of sentinels) {
                        assert.ok(!programs.get(s.name)!.exited(), `${s.name} still runs`);
                        assert.equal(await command(s.address, s.port, app, ["PING"]), "PONG");
                        const info = await command(s.address, s.port, app, ["INFO", "server"]);
                        assert.equal(infoField(info, "redis_mode"), "sentinel");
                        assert.equal(infoField(info, "tcp_port"), String(s.port));
                        const announce = await command(s.address, s.port, admin, ["SENTINEL", "CONFIG", "GET", "announce-ip"]);
                        assert.deepEqual(announce, ["announce-ip", s.address]);
                    }
                });

                it(auth ? "sentinels refuse clients without the application password" : "sentinels need no password with auth off", async () => {
                    for (const s of sentinels) {
                        const [ping] = await session(s.address, s.port, [["PING"]]);
                        if (auth) {
                            assertError(ping, "NOAUTH", `${s.name} PING without AUTH`);
                            const [wrong] = await session(s.address, s.port, [["AUTH", credentials.adminPassword]]);
                            assertError(wrong, "WRONGPASS", `${s.name} AUTH with another password`);
                        } else {
                            assert.equal(ping, "PONG");
                        }
                    }
                });

                it("a sentinel's default user (the applications') may look up and subscribe but not change, vote or administer (NOPERM)", async () => {
                    const refused = sentinelRefused(topology.masterName);
                    const allowed = sentinelAllowed(topology.masterName);
                    for (const s of sentinels) {
                        const login = app ? [["AUTH", app.password]] : [];
                        const no = await session(s.address, s.port, [...login, ...refused.map((c) => c.args)]);
                        if (app) assert.equal(no[0], "OK", "AUTH with the application password");
                        assertRefused(no.slice(login.length), refused, s.name);
                        const yes = await session(s.address, s.port, [...login, ...allowed]);
                        assertNotRefused(yes.slice(login.length), allowed, s.name);
                        assert.ok(!programs.get(s.name)!.exited(), `${s.name} still runs after SHUTDOWN was refused`);
                        assert.deepEqual(await command(s.address, s.port, admin, ["ACL", "USERS"]), ["default", ADMIN_USER], `${s.name}: no user was added`);
                        assert.deepEqual(await command(s.address, s.port, admin, ["SENTINEL", "MASTERS"]), [], `${s.name}: SENTINEL MONITOR was refused`);
                    }
                });

                it("sentinels present rd-admin to their peers (sentinel-user/sentinel-pass), and rd-admin may administer them", async () => {
                    for (const s of sentinels) {
                        const conf = sentinelConf.get(s.name)!;
                        assert.equal(directive(conf, "sentinel sentinel-user"), ADMIN_USER);
                        assert.equal(directive(conf, "sentinel sentinel-pass"), credentials.adminPassword);
                        assert.ok(!conf.includes(credentials.password), "the application password itself is not in sentinel.conf");
                        // A peer's login, as another sentinel sends it, then what a peer sends: PING, hello PUBLISH, a vote request.
                        const [authReply, ping, hello, vote] = await session(s.address, s.port, [
                            ["AUTH", ADMIN_USER, credentials.adminPassword], ["PING"],
                            ["PUBLISH", "__sentinel__:hello", "not,a,hello"], ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "*"],
                        ]);
                        assert.equal(authReply, "OK");
                        assert.equal(ping, "PONG");
                        assert.ok(!(hello instanceof ReplyError), `PUBLISH hello as rd-admin: ${String(hello)}`);
                        assert.ok(!(vote instanceof ReplyError && vote.message.startsWith("NOPERM")), `IS-MASTER-DOWN-BY-ADDR as rd-admin: ${String(vote)}`);
                    }
                });

                it("the sentinel.conf holds no master: the bootstrap adds it", async () => {
                    for (const s of sentinels) {
                        assert.doesNotMatch(sentinelConf.get(s.name)!, /^sentinel monitor /m);
                        assert.deepEqual(await command(s.address, s.port, app, ["SENTINEL", "MASTERS"]), []);
                    }
                });
            }
        });
    });

    describe("variants", () => {
        const runner = new ProgramRunner();
        after(() => runner.cleanup());

        async function startMember(group: number, args: ReturnType<typeof validateArgs>, announceHostname?: string) {
            const credentials = randomCredentials();
            const member: AddressedMember = { ...plan(args).members[0], address: testAddress(group, 10) };
            const dataDir = runner.tempDir("variant");
            const conf = renderRedisConf({ args, member, credentials, dataDir, announceHostname });
            const file = path.join(dataDir, "redis.conf");
            fs.writeFileSync(file, conf);
            const program = runner.start(member.name, "redis-server", [file], dataDir);
            const admin = { user: ADMIN_USER, password: credentials.adminPassword };
            await waitForPing(program, member.address, member.port, admin);
            return { member, credentials, admin, conf };
        }

        it("auth.applicationCommands widens (allow) and narrows (deny) the application user; auth.disabledCommands wins over both", async () => {
            const args = validateArgs("rdv", {
                mode: "standalone",
                auth: {
                    applicationCommands: { allow: ["keys", "client|list", "sort", "config|get"], deny: ["@pubsub", "hgetall"] },
                    disabledCommands: ["sort", "flushall"],
                },
            });
            const { member, credentials } = await startMember(nextGroup++, args);
            const [authReply, set, keys, clientList, clientKill, sort, publish, hgetall, hset, config, flushall, get] = await session(member.address, member.port, [
                ["AUTH", credentials.password], ["SET", "a", "1"], ["KEYS", "*"], ["CLIENT", "LIST"], ["CLIENT", "KILL", "ID", "999999999"],
                ["SORT", "l"], ["PUBLISH", "ch", "x"], ["HGETALL", "h"], ["HSET", "h", "f", "v"], ["CONFIG", "GET", "maxmemory"], ["FLUSHALL"], ["GET", "a"],
            ]);
            assert.equal(authReply, "OK");
            assert.equal(set, "OK");
            assert.deepEqual(keys, ["a"], "KEYS allowed");
            assert.match(String(clientList), /^id=/, "CLIENT LIST allowed");
            assertError(clientKill, "NOPERM", "CLIENT KILL: only CLIENT LIST was allowed");
            assertError(sort, "NOPERM", "SORT: allowed, but disabledCommands wins");
            assertError(publish, "NOPERM", "PUBLISH: @pubsub denied");
            assertError(hgetall, "NOPERM", "HGETALL denied");
            assert.equal(hset, 1, "HSET still allowed");
            assert.ok(Array.isArray(config), `CONFIG GET allowed: ${String(config)}`);
            assertError(flushall, "NOPERM", "FLUSHALL");
            assert.equal(get, "1");
        });

        it("custom auth.disabledCommands are the ones taken from the application user, on top of the default rules", async () => {
            const args = validateArgs("rdv", { mode: "standalone", auth: { disabledCommands: ["hgetall", "scan"] } });
            const { member, credentials } = await startMember(nextGroup++, args);
            const [authReply, set, hgetall, scan, flushall, config] = await session(member.address, member.port, [
                ["AUTH", credentials.password], ["SET", "a", "1"], ["HGETALL", "h"], ["SCAN", "0"], ["FLUSHALL"], ["CONFIG", "GET", "maxmemory"],
            ]);
            assert.equal(authReply, "OK");
            assert.equal(set, "OK");
            assertError(hgetall, "NOPERM", "HGETALL");
            assertError(scan, "NOPERM", "SCAN");
            assertError(flushall, "NOPERM", "FLUSHALL: no longer in disabledCommands, still outside the default rules");
            assertError(config, "NOPERM", "CONFIG");
        });

        it("cluster.nodeTimeoutMs is the member's cluster-node-timeout", async () => {
            const args = validateArgs("rdt", { mode: "cluster", cluster: { nodeTimeoutMs: 4000 } });
            const { member, admin } = await startMember(nextGroup++, args);
            assert.equal(await configGet(member.address, member.port, admin, "cluster-node-timeout"), "4000");
        });

        it("a cluster member rendered with a hostname (Kubernetes) starts and announces it", async () => {
            const args = validateArgs("rdk", { mode: "cluster", provider: "kubernetes", maxmemory: "128mb" });
            const hostname = "rdk-s0-m0.rdk.default.svc.cluster.local";
            const { member, admin, conf } = await startMember(nextGroup++, args, hostname);
            assert.equal(directive(conf, "cluster-announce-hostname"), hostname);
            assert.equal(await configGet(member.address, member.port, admin, "cluster-announce-hostname"), hostname);
            assert.equal(await configGet(member.address, member.port, admin, "replica-announce-ip"), hostname);
            assert.equal(await configGet(member.address, member.port, admin, "cluster-announce-ip"), member.address);
        });
    });
});

describe("password rotation in the rendered configs", () => {
    const base = { password: "app-new-0123456789abcdef", adminPassword: "admin-new-0123456789abcdef", monitorPassword: "mon-new-0123456789abcdef" };
    const rotating = { ...base, retiring: { password: "app-old-0123456789abcdef", adminPassword: "admin-old-0123456789abcdef" } };
    const commands = { allow: [], deny: [] };

    it("during phase 1 every user accepts the current and the retiring password; outside it only the current one", () => {
        const lines = aclUsers(rotating, true, commands, []);
        assert.ok(lines[0].includes(`#${passwordHash(base.password)} #${passwordHash(rotating.retiring.password)}`));
        assert.ok(lines[1].includes(`#${passwordHash(base.adminPassword)} #${passwordHash(rotating.retiring.adminPassword)}`));
        assert.equal(lines[2].match(/#[0-9a-f]{64}/g)!.length, 1, "rd-monitor is not rotating");
        assert.equal(aclUsers(base, true, commands, []).join(" ").match(/#[0-9a-f]{64}/g)!.length, 3);
        assert.equal(sentinelAclUsers(rotating, true).join(" ").match(/#[0-9a-f]{64}/g)!.length, 4);
        const live = userPasswords(rotating, true);
        assert.deepEqual(live.member[0].hashes, [passwordHash(base.password), passwordHash(rotating.retiring.password)]);
        assert.deepEqual(live.sentinel.map((u) => u.user), ["default", "rd-admin"]);
    });

    it("a member's config differs only in masked values when only passwords change (no restart)", () => {
        const member = { name: "m", shard: 0, index: 0, ordinal: 0, role: "master" as const, zone: "a", port: 6379, address: "127.0.0.2" };
        const args = validateArgs("rot", {});
        const before = renderRedisConf({ args, member, credentials: base, dataDir: "/d" });
        const after = renderRedisConf({ args, member, credentials: { ...rotating, adminPassword: "admin-newer-0123456789abc" }, dataDir: "/d" });
        assert.notEqual(before, after);
        assert.equal(withoutSecretValues(before), withoutSecretValues(after));
        const other = renderRedisConf({ args: { ...args, maxmemoryBytes: args.maxmemoryBytes * 2 }, member, credentials: base, dataDir: "/d" });
        assert.notEqual(withoutSecretValues(before), withoutSecretValues(other));
    });

    it("the live changes add the missing hashes first and remove the unwanted ones separately", () => {
        const live = parseAclUser(["flags", ["on"], "passwords", ["aa", "bb"], "commands", "+@all"])!;
        assert.deepEqual(passwordRuleChanges(live, { user: "default", hashes: ["bb", "cc"], nopass: false }), { add: ["#cc"], remove: ["!aa"] });
        assert.deepEqual(passwordRuleChanges(live, { user: "default", hashes: [], nopass: true }), { add: ["nopass"], remove: [] });
        assert.equal(parseAclUser(null), undefined);
    });
});

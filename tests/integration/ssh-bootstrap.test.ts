// The SSH bastion bootstrap path against real programs: a real OpenSSH sshd (-D, its own config,
// host key, client key and authorized_keys in a temp directory) on a 127.2x address, and real
// redis-server members on other 127.2x addresses. The replication and cluster bootstraps run
// with access kind "ssh", so every Redis connection is a forwarded channel through sshd.
// Also: one SSH connection per bootstrap run (sshd's own log), sessions closed after failures,
// and the errors for a refused key, a wrong host key, a refused forward and an absent bastion.
import { strict as assert } from "node:assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Redis } from "ioredis";
import type { BootstrapAccess } from "../../components/types";
import { clusterProvider, parseClusterNodes, slotMap, type ClusterInputs } from "../../bootstrap/cluster";
import { parseInfo } from "../../bootstrap/redisClient";
import { convergeReplication, replicationProvider, type ReplicationInputs } from "../../bootstrap/replication";
import { Fleet, processesUnder } from "../helpers/fleet";
import { sleep, spawnTracked, type Program } from "../helpers/realPrograms";

const BLOCK = 20 + Math.floor(Math.random() * 10);
const SSHD_ADDRESS = `127.${BLOCK}.249.1`;
const SSHD_PORT = 2222;
const SSHD = fs.existsSync("/usr/sbin/sshd") ? "/usr/sbin/sshd" : "sshd";

/** Pids of every descendant of `pid` (sshd forks a session process per connection, which calls setsid). */
function descendants(pid: number): number[] {
    const parents = new Map<number, number[]>();
    for (const d of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
        try {
            const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            parents.set(ppid, [...(parents.get(ppid) ?? []), Number(d)]);
        } catch { /* gone */ }
    }
    const out: number[] = [];
    const walk = (p: number) => { for (const c of parents.get(p) ?? []) { out.push(c); walk(c); } };
    walk(pid);
    return out;
}

class Bastion {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-ssh-"));
    sshd?: Program;
    privateKey = "";
    otherPrivateKey = "";
    hostPublicKey = "";
    hostFingerprint = "";

    private keygen(file: string): { privateKey: string; publicKey: string } {
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "rd-test", "-f", file]);
        return { privateKey: fs.readFileSync(file, "utf8"), publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim() };
    }

    async start(): Promise<void> {
        const host = this.keygen(path.join(this.dir, "host_ed25519"));
        this.hostPublicKey = host.publicKey;
        this.hostFingerprint = execFileSync("ssh-keygen", ["-lf", path.join(this.dir, "host_ed25519.pub")]).toString().split(" ")[1];
        const client = this.keygen(path.join(this.dir, "client"));
        this.privateKey = client.privateKey;
        this.otherPrivateKey = this.keygen(path.join(this.dir, "other")).privateKey;
        fs.writeFileSync(path.join(this.dir, "authorized_keys"), `${client.publicKey}\n`, { mode: 0o600 });
        fs.writeFileSync(path.join(this.dir, "sshd_config"), [
            `ListenAddress ${SSHD_ADDRESS}:${SSHD_PORT}`,
            `HostKey ${path.join(this.dir, "host_ed25519")}`,
            `PidFile ${path.join(this.dir, "sshd.pid")}`,
            `AuthorizedKeysFile ${path.join(this.dir, "authorized_keys")}`,
            "UsePAM no", "StrictModes no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes", "PermitRootLogin prohibit-password", "AllowTcpForwarding yes",
            "LogLevel VERBOSE", "",
        ].join("\n"));
        fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation directory
        this.sshd = spawnTracked("sshd", SSHD, ["-D", "-e", "-f", path.join(this.dir, "sshd_config")]);
        const deadline = Date.now() + 10000;
        while (!this.sshd.output().includes("Server listening on")) {
            if (this.sshd.exited() || Date.now() > deadline) throw new Error(`sshd did not start: ${this.sshd.output()}`);
            await sleep(50);
        }
    }

    access(extra: Partial<Extract<BootstrapAccess, { kind: "ssh" }>> = {}): BootstrapAccess {
        return { kind: "ssh", host: SSHD_ADDRESS, port: SSHD_PORT, user: os.userInfo().username, privateKey: this.privateKey, ...extra };
    }

    /** How many SSH logins sshd accepted so far. */
    logins(): number {
        return (this.sshd?.output().match(/Accepted publickey/g) ?? []).length;
    }

    /** Waits until sshd has no session process left (every connection closed). */
    async idle(timeoutMs = 5000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (descendants(this.sshd!.pid).length > 0) {
            if (Date.now() > deadline) throw new Error(`sshd still has sessions open: pids ${descendants(this.sshd!.pid).join(", ")}`);
            await sleep(100);
        }
    }

    async stop(): Promise<void> {
        if (this.sshd) {
            for (const pid of [...descendants(this.sshd.pid), this.sshd.pid]) {
                try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
            }
            const deadline = Date.now() + 3000;
            while (!this.sshd.exited() && Date.now() < deadline) await sleep(50);
        }
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

function admin(fleet: Fleet, i: number): Redis {
    const m = fleet.members[i];
    return new Redis({ host: m.address, port: m.port, username: fleet.adminLogin.user, password: fleet.adminLogin.password });
}

describe("bootstrap through an SSH bastion (real sshd, real redis-server)", function () {
    this.timeout(120000);
    const bastion = new Bastion();
    let fleet: Fleet;
    const inputs = (access: BootstrapAccess, timeoutMs = 30000): ReplicationInputs => ({
        members: fleet.bootstrapMembers(), adminPassword: fleet.credentials.adminPassword, access, timeoutMs, generation: "1",
    });

    before(async () => {
        fleet = new Fleet("sshrep", { mode: "replication", replicasPerShard: 2 }, { prefix: `127.${BLOCK}` });
        await bastion.start();
        await fleet.startMembers();
    });
    after(async () => {
        const sshd = bastion.sshd?.pid;
        await bastion.stop();
        await fleet?.cleanup();
        if (sshd) assert.deepEqual(descendants(sshd), [], "no sshd session process is left");
        assert.deepEqual(processesUnder(fleet.root), [], "every redis-server of the test is stopped");
        assert.deepEqual(processesUnder(bastion.dir), [], "sshd is stopped");
    });

    it("replication: the provider's create makes the planned master and its replicas, over one SSH connection", async () => {
        const before = bastion.logins();
        const created = await replicationProvider.create(inputs(bastion.access({ hostKey: bastion.hostPublicKey })));
        assert.equal(created.outs.result.master, `${fleet.members[0].address}:6379`);
        assert.equal(created.outs.result.actions.length, 2);
        assert.equal(bastion.logins() - before, 1, "one SSH login for the whole run");
        assert.equal(created.outs.access.session, undefined, "the live session never reaches the outputs");
        const roles = await Promise.all(fleet.members.map(async (_m, i) => {
            const c = admin(fleet, i);
            try { return parseInfo(String(await c.call("INFO", "replication"))); } finally { c.disconnect(); }
        }));
        assert.equal(roles[0].role, "master");
        assert.equal(roles[0].connected_slaves, "2");
        for (const r of roles.slice(1)) {
            assert.equal(r.role, "slave");
            assert.equal(r.master_host, fleet.members[0].address);
            assert.equal(r.master_link_status, "up");
        }
        await bastion.idle();
    });

    it("a second run (update, host key given as a SHA256 fingerprint) changes nothing", async () => {
        const updated = await replicationProvider.update!("id", {}, inputs(bastion.access({ hostKey: bastion.hostFingerprint })));
        assert.deepEqual(updated.outs.result.actions, []);
        await bastion.idle();
    });

    it("a key the bastion does not accept fails at once with the authentication error", async () => {
        const started = Date.now();
        await assert.rejects(replicationProvider.create(inputs(bastion.access({ privateKey: bastion.otherPrivateKey }))),
            new RegExp(`SSH bastion ${os.userInfo().username}@${SSHD_ADDRESS.replace(/\./g, "\\.")}:${SSHD_PORT}: authentication failed`));
        assert.ok(Date.now() - started < 10000, "not retried until the timeout");
        await bastion.idle();
    });

    it("a host key other than the bastion's fails with the mismatch error, before logging in", async () => {
        const before = bastion.logins();
        const otherHostKey = fs.readFileSync(path.join(bastion.dir, "other.pub"), "utf8").trim();
        await assert.rejects(replicationProvider.create(inputs(bastion.access({ hostKey: otherHostKey }))),
            (err: Error) => /host key mismatch/.test(err.message) && err.message.includes(bastion.hostFingerprint));
        assert.equal(bastion.logins(), before, "no login happened");
        await bastion.idle();
    });

    it("a member the bastion can not reach is named in the error, and the session is closed", async () => {
        const members = [...fleet.bootstrapMembers().slice(0, 1), { ...fleet.bootstrapMembers()[1], port: 6390 }];
        await assert.rejects(replicationProvider.create({ ...inputs(bastion.access(), 1500), members }),
            new RegExp(`could not open a connection to member ${fleet.members[1].address.replace(/\./g, "\\.")}:6390`));
        await bastion.idle();
    });

    it("an unreachable bastion fails with that error", async () => {
        await assert.rejects(replicationProvider.create(inputs(bastion.access({ port: SSHD_PORT + 1 }))),
            new RegExp(`SSH bastion .*:${SSHD_PORT + 1} is unreachable: .*ECONNREFUSED`));
    });

    it("outside a provider run (no shared session) each connection opens and closes its own", async () => {
        const again = await convergeReplication(inputs(bastion.access()));
        assert.deepEqual(again.actions, []);
        await bastion.idle();
    });

    describe("replication 1+1 with TLS", () => {
        let tlsFleet: Fleet;
        before(async () => {
            tlsFleet = new Fleet("sshtls", { mode: "replication", replicasPerShard: 1, tls: { enabled: true } }, { prefix: `127.${BLOCK >= 28 ? 20 + (BLOCK - 28) : BLOCK + 2}` });
            await tlsFleet.startMembers();
        });
        after(async () => {
            await tlsFleet?.cleanup();
            assert.deepEqual(processesUnder(tlsFleet.root), []);
        });

        it("TLS through the SSH channel: each member's certificate is checked against its own address, not the tunnel's 127.0.0.1", async () => {
            const access: BootstrapAccess = { ...bastion.access({ hostKey: bastion.hostFingerprint }), tls: tlsFleet.clientTls! };
            const created = await replicationProvider.create({
                members: tlsFleet.bootstrapMembers(), adminPassword: tlsFleet.credentials.adminPassword, access, timeoutMs: 30000, generation: "1",
            });
            assert.equal(created.outs.result.master, `${tlsFleet.members[0].address}:6379`);
            assert.equal(created.outs.result.actions.length, 1);
            // A CA that did not issue the members' certificates is refused through the same route.
            const { issueCa } = await import("../../bootstrap/certificates");
            const stranger = { ...access, tls: { ...tlsFleet.clientTls!, ca: issueCa("another CA", 1).certificate } };
            await assert.rejects(replicationProvider.update!("id", {}, {
                members: tlsFleet.bootstrapMembers(), adminPassword: tlsFleet.credentials.adminPassword, access: stranger, timeoutMs: 3000, generation: "1",
            }), /certificate/);
            await bastion.idle();
        });
    });

    describe("cluster 3x1", () => {
        let cluster: Fleet;
        before(async () => {
            cluster = new Fleet("sshclu", { mode: "cluster", shards: 3, replicasPerShard: 1 }, { prefix: `127.${BLOCK === 29 ? 20 : BLOCK + 1}` });
            await cluster.startMembers();
        });
        after(async () => {
            await cluster?.cleanup();
            assert.deepEqual(processesUnder(cluster.root), []);
        });

        it("forms the cluster through the bastion: every node cluster_state:ok, one slot map, one SSH login", async () => {
            const before = bastion.logins();
            const clusterInputs: ClusterInputs = {
                members: cluster.bootstrapMembers(),
                shards: cluster.plan.shards.map((s) => ({ index: s.index, slots: s.slots! })),
                adminPassword: cluster.credentials.adminPassword,
                access: bastion.access({ hostKey: bastion.hostFingerprint }),
                timeoutMs: 60000,
                generation: "1",
            };
            const created = await clusterProvider.create(clusterInputs);
            assert.equal(created.outs.result.masters.length, 3);
            assert.equal(bastion.logins() - before, 1, "one SSH login for the whole run");
            const views = await Promise.all(cluster.members.map(async (_m, i) => {
                const c = admin(cluster, i);
                try {
                    return {
                        state: parseInfo(String(await c.call("CLUSTER", "INFO"))).cluster_state,
                        map: slotMap(parseClusterNodes(String(await c.call("CLUSTER", "NODES")))),
                        role: ((await c.call("ROLE")) as unknown[])[0],
                    };
                } finally {
                    c.disconnect();
                }
            }));
            for (const v of views) assert.equal(v.state, "ok");
            assert.equal(new Set(views.map((v) => v.map)).size, 1, "one slot map on every node");
            assert.deepEqual(views.map((v) => v.role).sort(), ["master", "master", "master", "slave", "slave", "slave"]);
            await bastion.idle();
        });
    });
});

import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Redis } from "ioredis";
import { renderRedisConf } from "../../components/config/redisConf";
import { plan } from "../../components/plan";
import { validateArgs } from "../../components/validate";
import { localAddress, restartPolicy } from "../../providers/local";
import { isOurProcess, processProvider, stopProcess, type ProcessInputs, type ProcessOutputs } from "../../providers/local/process";
import { testCredentials } from "../helpers/fleet";
import type { AddressedMember, Credentials, ResolvedArgs } from "../../components/types";

describe("local process resource against real redis-server", function () {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "rd-proc-"));
    const credentials = testCredentials();
    const prefix = `127.${140 + Math.floor(Math.random() * 10)}`;
    const started: ProcessOutputs[] = [];
    const members = plan(validateArgs("proc", { mode: "replication", replicasPerShard: 1 })).members
        .map((m) => ({ ...m, address: localAddress(prefix, "member", m.ordinal) }));

    const inputsFor = (index: number, maxmemory = "64mb", port = 6379): ProcessInputs => {
        const args = validateArgs("proc", { mode: "replication", replicasPerShard: 1, maxmemory, port });
        const member = { ...members[index], port };
        const dataDir = path.join(root, member.name);
        return {
            kind: "redis", name: member.name, address: member.address, port, dataDir,
            config: renderRedisConf({ args, member, credentials, dataDir }),
            command: ["redis-server", "{config}"],
            readiness: { user: "rd-admin", password: credentials.adminPassword, timeoutMs: 15000 },
            adminPassword: credentials.adminPassword,
        };
    };
    const admin = (p: ProcessOutputs) => new Redis({ host: p.address, port: p.port, username: "rd-admin", password: credentials.adminPassword });
    const track = (p: ProcessOutputs) => { started.push(p); return p; };

    after(async () => {
        for (const p of started) await stopProcess(p);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("create writes a private config and starts the member; a second diff sees no change", async () => {
        const { outs } = await processProvider.create(inputsFor(0));
        track(outs);
        assert.ok(isOurProcess(outs.pid, outs.configFile));
        assert.equal(fs.statSync(outs.configFile).mode & 0o777, 0o600, "the config holds secrets: owner-only");
        const diff = await processProvider.diff!("id", outs, inputsFor(0));
        assert.equal(diff.changes, false);
    });

    it("a live-settable change (maxmemory) is applied with CONFIG SET, without a restart", async () => {
        const before = started[0];
        const diff = await processProvider.diff!("id", before, inputsFor(0, "128mb"));
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);
        const { outs } = await processProvider.update!("id", before, inputsFor(0, "128mb"));
        assert.equal(outs.pid, before.pid, "same process");
        const c = admin(outs);
        try {
            assert.deepEqual(await c.call("CONFIG", "GET", "maxmemory"), ["maxmemory", String(128 * 1024 * 1024)]);
        } finally {
            c.disconnect();
        }
        assert.match(fs.readFileSync(outs.configFile, "utf8"), new RegExp(`maxmemory ${128 * 1024 * 1024}`));
        started[0] = outs;
    });

    it("a change Redis can not apply live restarts the member, which comes back still a replica", async () => {
        const master = started[0];
        const { outs: replica } = await processProvider.create(inputsFor(1));
        track(replica);
        const c = admin(replica);
        try {
            await c.call("REPLICAOF", master.address, String(master.port));
            await c.call("CONFIG", "REWRITE");
        } finally {
            c.disconnect();
        }
        // Change a setting that needs a restart: the ACL users (here via disabled commands).
        const changed = { ...inputsFor(1), config: inputsFor(1).config.replace("-debug", "-debug -keys") };
        const { outs } = await processProvider.update!("id", replica, changed);
        track(outs);
        assert.notEqual(outs.pid, replica.pid, "restarted");
        const after = admin(outs);
        try {
            const role = await after.call("ROLE") as unknown[];
            assert.equal(role[0], "slave", "kept its live role across the restart");
            assert.equal(role[1], master.address);
        } finally {
            after.disconnect();
        }
    });

    it("diff reports a process that died, and update starts it again", async () => {
        const replica = started[started.length - 1];
        process.kill(replica.pid, "SIGKILL");
        await new Promise((r) => setTimeout(r, 300));
        const diff = await processProvider.diff!("id", replica, inputsFor(1));
        assert.equal(diff.changes, true);
        const { outs } = await processProvider.update!("id", replica, inputsFor(1));
        track(outs);
        assert.ok(isOurProcess(outs.pid, outs.configFile));
    });

    it("a changed address or port is a replacement", async () => {
        const diff = await processProvider.diff!("id", started[0], inputsFor(0, "128mb", 6390));
        assert.deepEqual(diff.replaces, ["port"]);
        assert.equal(diff.deleteBeforeReplace, true);
    });

    it("a config Redis rejects fails create with the log, and leaves no process", async () => {
        const bad = { ...inputsFor(1), name: "bad", dataDir: path.join(root, "bad"), address: localAddress(prefix, "member", 9), config: inputsFor(1).config + "no-such-directive yes\n" };
        await assert.rejects(processProvider.create(bad), /bad: .*exited[\s\S]*no-such-directive/);
    });

    it("a member whose address is taken fails with a hint to pick another address block", async () => {
        const taken = { ...inputsFor(0, "128mb"), name: "intruder", dataDir: path.join(root, "intruder") };
        await assert.rejects(processProvider.create(taken), /intruder[\s\S]*(taken by another process|answered by another process)[\s\S]*local\.addressPrefix/);
    });

    it("delete stops the member and removes its data directory", async () => {
        for (const p of [started[0], started[started.length - 1]]) {
            await processProvider.delete!("id", p);
            assert.equal(isOurProcess(p.pid, p.configFile), false);
            assert.equal(fs.existsSync(p.dataDir), false);
        }
    });
});

/** A member's process inputs as the local provider builds them, in `root`. */
function memberInputs(args: ResolvedArgs, members: AddressedMember[], index: number, root: string, credentials: Credentials, restart: Partial<ProcessInputs>): ProcessInputs {
    const member = members[index];
    const dataDir = path.join(root, member.name);
    return {
        kind: "redis", name: member.name, address: member.address, port: member.port, dataDir,
        config: renderRedisConf({ args, member, credentials, dataDir }),
        command: ["redis-server", "{config}"],
        readiness: { user: "rd-admin", password: credentials.adminPassword, timeoutMs: 15000 },
        adminPassword: credentials.adminPassword,
        ...restart,
    };
}

describe("local process resource: members that stopped come back with their role", function () {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "rd-restart-"));
    const credentials = testCredentials();
    const prefix = `127.${110 + Math.floor(Math.random() * 10)}`;
    const args = validateArgs("guard", { mode: "replication", replicasPerShard: 1, persistence: { aof: false, rdb: false } });
    const members = plan(args).members.map((m) => ({ ...m, address: localAddress(prefix, "member", m.ordinal) }));
    const live: ProcessOutputs[] = [];
    const inputsFor = (index: number): ProcessInputs => memberInputs(args, members, index, root, credentials, {
        emptyMasterGuard: { peers: members.filter((_, i) => i !== index).map(({ address, port }) => ({ address, port })) },
    });
    const admin = (m: { address: string; port: number }) => new Redis({ host: m.address, port: m.port, username: "rd-admin", password: credentials.adminPassword });
    const run = async (m: { address: string; port: number }, ...command: string[]) => {
        const c = admin(m);
        try {
            return await c.call(command[0], ...command.slice(1));
        } finally {
            c.disconnect();
        }
    };

    after(async () => {
        for (const p of live) await stopProcess(p);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("a replica that was killed is started again as a replica of the same master", async () => {
        for (const i of [0, 1]) live.push((await processProvider.create(inputsFor(i))).outs);
        await run(members[1], "REPLICAOF", members[0].address, "6379");
        await run(members[1], "CONFIG", "REWRITE");
        process.kill(live[1].pid, "SIGKILL");
        await new Promise((r) => setTimeout(r, 300));
        live[1] = (await processProvider.update!("id", live[1], inputsFor(1))).outs;
        const role = await run(members[1], "ROLE") as unknown[];
        assert.deepEqual([role[0], role[1]], ["slave", members[0].address]);
    });

    it("a master without persistence that stopped is not started again empty while no other master exists", async () => {
        const c = admin(members[0]);
        try {
            await c.set("precious", "data");
            assert.equal(await c.call("WAIT", "1", "15000"), 1, "the replica has the write");
        } finally {
            c.disconnect();
        }
        process.kill(live[0].pid, "SIGKILL");
        await new Promise((r) => setTimeout(r, 300));
        await assert.rejects(processProvider.update!("id", live[0], inputsFor(0)), /was the master[\s\S]*persistence off[\s\S]*REPLICAOF NO ONE/);
        assert.equal(await run(members[1], "GET", "precious"), "data", "the replica kept the data");
    });

    it("once a replica is promoted, the stopped master comes back as its replica", async () => {
        await run(members[1], "REPLICAOF", "NO", "ONE");
        live[0] = (await processProvider.update!("id", live[0], inputsFor(0))).outs;
        const role = await run(members[0], "ROLE") as unknown[];
        assert.deepEqual([role[0], role[1]], ["slave", members[1].address]);
        assert.equal(await run(members[1], "GET", "precious"), "data");
    });
});

describe("local process resource: a master that crashed, with persistence on, is started again", function () {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "rd-rejoin-"));
    const credentials = testCredentials();
    const prefix = `127.${110 + Math.floor(Math.random() * 10)}`;
    const args = validateArgs("rejoin", { mode: "sentinel", replicasPerShard: 1, sentinels: 3 });
    const members = plan(args).members.map((m) => ({ ...m, address: localAddress(prefix, "member", m.ordinal) }));
    const live: ProcessOutputs[] = [];
    const inputsFor = (index: number): ProcessInputs => memberInputs(args, members, index, root, credentials, restartPolicy(args, members, members[index]));
    const run = async (m: { address: string; port: number }, ...command: string[]) => {
        const c = new Redis({ host: m.address, port: m.port, username: "rd-admin", password: credentials.adminPassword });
        try {
            return await c.call(command[0], ...command.slice(1));
        } finally {
            c.disconnect();
        }
    };
    const crashAndUpdate = async (index: number) => {
        process.kill(live[index].pid, "SIGKILL");
        await new Promise((r) => setTimeout(r, 300));
        live[index] = (await processProvider.update!("id", live[index], inputsFor(index))).outs;
    };

    after(async () => {
        for (const p of live) await stopProcess(p);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("as it was, with its data, while no other member is master", async () => {
        for (const i of [0, 1]) live.push((await processProvider.create(inputsFor(i))).outs);
        await run(members[1], "REPLICAOF", members[0].address, String(members[0].port));
        await run(members[0], "SET", "kept", "1");
        assert.equal(await run(members[0], "WAIT", "1", "15000"), 1, "the replica has the write");
        await run(members[0], "SAVE");
        await crashAndUpdate(0);
        const role = await run(members[0], "ROLE") as unknown[];
        assert.equal(role[0], "master");
        assert.equal(await run(members[0], "GET", "kept"), "1");
    });

    it("as a replica of the member promoted meanwhile, never as a second master", async () => {
        process.kill(live[0].pid, "SIGKILL");
        await run(members[1], "REPLICAOF", "NO", "ONE");
        await run(members[1], "SET", "after", "2");
        await new Promise((r) => setTimeout(r, 300));
        live[0] = (await processProvider.update!("id", live[0], inputsFor(0))).outs;
        const role = await run(members[0], "ROLE") as unknown[];
        assert.deepEqual([role[0], role[1]], ["slave", members[1].address]);
        const synced = async () => (await run(members[0], "GET", "after")) === "2";
        for (let i = 0; i < 100 && !(await synced()); i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(await run(members[0], "GET", "after"), "2", "it copied the new master's data");
    });
});

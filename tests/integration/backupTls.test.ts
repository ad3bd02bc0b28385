// The backup job (the script every provider runs) against a TLS-only replication 1+1 with
// tls.clientAuth "required": with the CA and a client certificate it backs the deployment up, both
// ways it takes a snapshot (copied from the data directory, and over the replication protocol
// with `redis-cli --rdb` when this machine does not hold the data directory, as in a Kubernetes
// CronJob); without TLS, or without a client certificate, no member lets it in. The set restores
// into a TLS member with every key.
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupSetName, parseStoreUri, type StoreLocation } from "../../components/backup";
import { backupJobEnvironment, backupShards, backupTlsVariables, renderBackupScript } from "../../components/config/backupScript";
import { listBackupSets, runBackupJob } from "../../bootstrap/backupStore";
import { loadData } from "../../bootstrap/dataLoad";
import { withClient } from "../../bootstrap/redisClient";
import { Fleet } from "../helpers/fleet";

const KEYS = 3000;

describe("integration: the backup job over TLS (clientAuth required)", function () {
    this.timeout(120000);
    const source = new Fleet("btls", { mode: "replication", replicasPerShard: 1, tls: { enabled: true, clientAuth: "required" } });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "rd-backup-tls-"));
    const store = path.join(work, "store");
    const target = parseStoreUri(`file://${store}`) as StoreLocation;
    const env = (set: Date) => ({
        ...backupJobEnvironment({
            deployment: "btls", mode: "replication", target, retention: { count: 10 },
            shards: backupShards(source.plan.shards, (m) => source.members.find((x) => x.name === m.name)!), passwordFile: "-",
        }),
        RD_SET: backupSetName("btls", set),
    });

    before(async () => {
        fs.mkdirSync(store);
        await source.startMembers();
        await source.replicateWithKeys(KEYS);
    });
    after(async () => {
        await source.cleanup();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("without TLS, or with the CA but no client certificate, the job gets no answer and fails", async () => {
        await assert.rejects(runBackupJob(renderBackupScript(), env(new Date(Date.now() - 240000)), source.credentials.adminPassword), /no member answers/);
        await assert.rejects(runBackupJob(renderBackupScript(), env(new Date(Date.now() - 180000)), source.credentials.adminPassword, undefined, { ca: source.tls!.ca }), /no member answers/);
        assert.deepEqual(await listBackupSets(target, undefined, "btls").then((sets) => sets.filter((s) => s.complete)), [], "no set was completed");
    });

    it("with the CA and the deployment's client certificate: a checked set from the in-sync replica, copied from its data directory", async () => {
        const lines: string[] = [];
        const uri = await runBackupJob(renderBackupScript(), env(new Date(Date.now() - 120000)), source.credentials.adminPassword, (l) => lines.push(l), source.clientTls);
        assert.ok(lines.some((l) => /shard 0: copying \//.test(l)), lines.join("\n"));
        const set = (await listBackupSets(target, undefined, "btls")).find((s) => s.uri === uri)!;
        assert.ok(set.complete);
        assert.equal(set.keys, KEYS);
        const manifest = JSON.parse(fs.readFileSync(path.join((parseStoreUri(uri) as StoreLocation).path, "manifest.json"), "utf8"));
        assert.equal(manifest.parts[0].role, "slave", "taken from the replica");
    });

    it("when this machine does not hold the data directory, over the replication protocol (redis-cli --rdb over TLS); the set restores into a TLS member", async () => {
        // The job in a mount namespace where the members' data directories are hidden (an empty
        // tmpfs over the fleet's root): what a Kubernetes CronJob's pod sees.
        const jobDir = fs.mkdtempSync(path.join(work, "job-"));
        const file = (name: string, text: string) => {
            fs.writeFileSync(path.join(jobDir, name), text, { mode: 0o600 });
            return path.join(jobDir, name);
        };
        const script = file("rd-backup", renderBackupScript());
        const vars = {
            ...env(new Date()),
            RD_PASSWORD_FILE: file("admin-password", source.credentials.adminPassword),
            ...backupTlsVariables({ ca: file("ca.crt", source.tls!.ca), cert: file("client.crt", source.tls!.client!.certificate), key: file("client.key", source.tls!.client!.key) }),
        };
        const run = spawnSync("unshare", ["--mount", "--propagation", "private", "bash", "-c", 'mount -t tmpfs tmpfs "$1" && exec bash "$2"', "rd-job", source.root, script], {
            encoding: "utf8", timeout: 60000, env: { ...process.env, ...vars },
        });
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stderr, /shard 0: fetching the snapshot from \S+ over the replication protocol/);
        const uri = run.stdout.trim().split("\n").pop()!;
        const set = (await listBackupSets(target, undefined, "btls")).find((s) => s.uri === uri)!;
        assert.equal(set.keys, KEYS);

        const dest = new Fleet("rtls", { mode: "standalone", tls: { enabled: true, clientAuth: "required" } });
        try {
            await dest.startMembers();
            const loaded = await loadData({
                mode: "standalone", members: dest.bootstrapMembers(), shards: [{ index: 0 }], adminPassword: dest.credentials.adminPassword,
                access: dest.access, source: { kind: "restore", set: parseStoreUri(uri) as StoreLocation }, redisServer: "redis-server",
            });
            assert.deepEqual(loaded.map((l) => l.keys), [KEYS]);
            await withClient(dest.access, dest.members[0], dest.adminLogin, async (c) => {
                assert.equal(await c.dbsize(), KEYS);
                assert.deepEqual(await c.mget("k:0", `k:${KEYS - 1}`), ["v-0", `v-${KEYS - 1}`]);
            });
        } finally {
            await dest.cleanup();
        }
    });
});

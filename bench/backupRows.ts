// 6. Backup and restore of a ~1 GB dataset on a cluster of 3 shards x 1 replica: our backup job
// (BGSAVE on the in-sync replicas, redis-check-rdb, SHA-256, rclone to the store, manifest) and
// our restore (download, check, DUMP/RESTORE into a new empty cluster), next to the runbook's
// manual way in the same run: `redis-cli --rdb` from each master, then a copy to the store with
// rclone. The store is a folder (file://) on this machine, so the rows measure the work of the
// tools, not a network. Sizes: BENCH_BACKUP_MB (default 1024).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Redis } from "ioredis";
import { parseStoreUri, type StoreLocation } from "../components/backup";
import { backupJobEnvironment, backupShards, renderBackupScript } from "../components/config/backupScript";
import { runBackupJob } from "../bootstrap/backupStore";
import { keySlot, loadData } from "../bootstrap/dataLoad";
import { startClusterDeployment } from "../tests/helpers/topologies";
import type { Fleet } from "../tests/helpers/fleet";

const log = (msg: string) => process.stdout.write(`  ${msg}\n`);

export interface BackupBench {
    datasetMb: number;
    keys: number;
    ours: { backupMs: number; restoreMs: number };
    manual: { backupMs: number };
}

function masters(fleet: Fleet) {
    return fleet.members.filter((m) => m.role === "master");
}

/** Fills the cluster with `mb` MB of 16 KB values, each key written to the master owning its slot. */
async function fill(fleet: Fleet, mb: number): Promise<number> {
    const value = "x".repeat(16 * 1024);
    const keys = Math.round((mb * 1024) / 16);
    const clients = masters(fleet).map((m) => new Redis({ host: m.address, port: m.port, username: fleet.adminLogin.user, password: fleet.adminLogin.password }));
    const owner = (key: string) => {
        const slot = keySlot(Buffer.from(key));
        return clients[fleet.plan.shards.findIndex((s) => slot >= s.slots!.start && slot <= s.slots!.end)];
    };
    try {
        for (let i = 0; i < keys; i += 2000) {
            const pipelines = new Map<Redis, ReturnType<Redis["pipeline"]>>();
            for (let j = i; j < Math.min(keys, i + 2000); j++) {
                const key = `bench:${j}`;
                const c = owner(key);
                if (!pipelines.has(c)) pipelines.set(c, c.pipeline());
                pipelines.get(c)!.set(key, value);
            }
            await Promise.all([...pipelines.values()].map((p) => p.exec()));
        }
        // The replicas have caught up before anything is measured.
        await Promise.all(clients.map((c) => c.call("WAIT", "1", "60000")));
    } finally {
        clients.forEach((c) => c.disconnect());
    }
    return keys;
}

/** The runbook's way: `redis-cli --rdb` from each master, one after another, then rclone copies the files to the store. */
async function manualBackup(fleet: Fleet, store: string): Promise<void> {
    const { execFileSync } = await import("child_process");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bench-manual-"));
    try {
        for (const [i, m] of masters(fleet).entries()) {
            execFileSync("redis-cli", ["--no-auth-warning", "--user", fleet.adminLogin.user, "--pass", fleet.adminLogin.password, "-h", m.address, "-p", String(m.port), "--rdb", path.join(dir, `shard-${i}.rdb`)], { stdio: "ignore" });
        }
        execFileSync("rclone", ["-q", "copy", dir, path.join(store, "manual")], { stdio: "ignore", env: { ...process.env, RCLONE_CONFIG: "/dev/null" } });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export async function backupRestore(mb = Number(process.env.BENCH_BACKUP_MB ?? 1024)): Promise<BackupBench> {
    const store = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bench-store-"));
    const maxmemory = `${Math.ceil((mb / 3) * 1.6 + 64)}mb`;
    const args = { shards: 3, replicasPerShard: 1, maxmemory, persistence: { aof: false, rdb: false } };
    let source: Fleet | undefined;
    let target: Fleet | undefined;
    try {
        source = await startClusterDeployment("bkb", args);
        const keys = await fill(source, mb);
        log(`filled ${mb} MB (${keys} keys of 16 KB) into 3 shards`);

        let started = Date.now();
        await manualBackup(source, store);
        const manualMs = Date.now() - started;
        log(`manual (redis-cli --rdb + rclone copy): ${manualMs} ms`);

        const loc = parseStoreUri(`file://${store}`) as StoreLocation;
        const env = backupJobEnvironment({
            deployment: "bkb", mode: "cluster", target: loc, retention: { count: 10 },
            shards: backupShards(source.plan.shards, (m) => source!.members.find((x) => x.name === m.name)!), passwordFile: "-",
        });
        started = Date.now();
        const set = await runBackupJob(renderBackupScript(), env, source.credentials.adminPassword);
        const backupMs = Date.now() - started;
        log(`our backup job: ${backupMs} ms -> ${set}`);
        await source.cleanup();
        source = undefined;

        target = await startClusterDeployment("bkr", args);
        started = Date.now();
        const loaded = await loadData({
            mode: "cluster", members: target.bootstrapMembers(), shards: target.plan.shards.map((s) => ({ index: s.index, slots: s.slots })),
            adminPassword: target.credentials.adminPassword, access: { kind: "direct" },
            source: { kind: "restore", set: parseStoreUri(set) as StoreLocation }, redisServer: "redis-server",
        });
        const restoreMs = Date.now() - started;
        const restored = loaded.reduce((s, l) => s + l.keys, 0);
        if (restored !== keys) throw new Error(`restore brought back ${restored} of ${keys} keys`);
        log(`our restore: ${restoreMs} ms (${restored} keys)`);
        return { datasetMb: mb, keys, ours: { backupMs, restoreMs }, manual: { backupMs: manualMs } };
    } finally {
        await source?.cleanup();
        await target?.cleanup();
        fs.rmSync(store, { recursive: true, force: true });
    }
}

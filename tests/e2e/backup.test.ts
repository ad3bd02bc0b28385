// Backups through the real engine on the local provider, driven through the CLI's own functions:
// a cluster 3x1 with 20,000 keys -> backup -> destroy -> a new deployment restored from the set
// -> every key back (and a 4-shard restore refused before anything exists); a replication
// deployment with 10,000 keys -> two backups with a retention of 1 (the older set is deleted)
// -> its RDB imported into a cluster 4x1 -> every key back.
import assert from "node:assert/strict";
import { Cluster, Redis } from "ioredis";
import { backup, backups, status } from "../../bin/cli";
import { cleanupAfterSuite, E2eDeployment, hostPort, secretValue, timed } from "./harness";

function clusterClient(nodes: string[], password: string): Cluster {
    const c = new Cluster(nodes.map(hostPort), { redisOptions: { password }, clusterRetryStrategy: () => null });
    c.on("error", () => { /* the failing command reports it */ });
    return c;
}

async function writeKeys(set: (key: string, value: string) => Promise<unknown>, prefix: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1000) {
        await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, j) => set(`${prefix}:${i + j}`, `value-${i + j}`)));
    }
}

/** Keys whose value is not the one written (missing ones included). */
async function wrongKeys(get: (key: string) => Promise<string | null>, prefix: string, count: number): Promise<string[]> {
    const wrong: string[] = [];
    for (let i = 0; i < count; i += 1000) {
        const values = await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, j) => get(`${prefix}:${i + j}`)));
        values.forEach((v, j) => { if (v !== `value-${i + j}`) wrong.push(`${prefix}:${i + j}`); });
    }
    return wrong;
}

const clusterNodes = (outputs: Record<string, { value: unknown }>) => outputs.clusterNodes.value as string[];

describe("e2e: backup, restore and import through the engine (local provider)", function () {
    this.timeout(300000);
    const source = new E2eDeployment("127.131");
    const restored = new E2eDeployment("127.132");
    const wrongShape = new E2eDeployment("127.133");
    const replication = new E2eDeployment("127.134");
    const imported = new E2eDeployment("127.135");
    // Each suite cleans up its own deployment; the last one prints the wall times once.
    [source, restored, wrongShape, replication].forEach((d) => cleanupAfterSuite(d, "(none)"));
    cleanupAfterSuite(imported, "backup");

    let setUri = "";

    it("backs up a cluster 3x1 with 20,000 keys, destroys it, and a new deployment restored from the set has every key", async () => {
        const up = await timed("backup: cluster 3x1 up", () => source.up({ mode: "cluster", shards: "3", replicasPerShard: "1" }));
        const password = secretValue(up.outputs, "password");
        const writer = clusterClient(clusterNodes(up.outputs), password);
        try {
            await timed("backup: write 20,000 keys", () => writeKeys((k, v) => writer.set(k, v), "c", 20000));
        } finally {
            writer.disconnect();
        }
        const result = await timed("backup: backup set of 3 shards", () => backup({ stack: source.stack, stateDir: source.stateDir, io: source.io }));
        setUri = result.uri;
        assert.match(setUri, /^file:\/\/.*\/backups\/e2e\/redis\/redis-\d{8}T\d{6}Z$/);
        const listed = await backups({ stack: source.stack, stateDir: source.stateDir, io: source.io });
        assert.equal(listed.length, 1);
        assert.equal(listed[0].uri, setUri);
        assert.equal(listed[0].keys, 20000, "the manifest counts every key (from redis-check-rdb)");
        assert.equal(listed[0].shards, 3);
        const report = await status({ stack: source.stack, stateDir: source.stateDir, io: source.io });
        assert.deepEqual(report.lastBackup, { uri: setUri, time: listed[0].time, bytes: listed[0].bytes, keys: 20000, complete: true }, "status names the last backup");
        await timed("backup: destroy the source", () => source.destroy());

        const back = await timed("backup: restored cluster 3x1 up", () => restored.up({ mode: "cluster", shards: "3", replicasPerShard: "1", restoreFrom: setUri }))
            .catch((err) => { throw new Error(`${(err as Error).message}\n${restored.logTail()}`); });
        const reader = clusterClient(clusterNodes(back.outputs), secretValue(back.outputs, "password"));
        try {
            assert.deepEqual(await wrongKeys((k) => reader.get(k), "c", 20000), [], "every key is back with its value");
            assert.equal((await Promise.all(reader.nodes("master").map((n) => n.dbsize()))).reduce((a, b) => a + b, 0), 20000);
        } finally {
            reader.disconnect();
        }
        const again = await timed("backup: no-op up of the restored deployment", () => restored.upAgain());
        assert.deepEqual(Object.keys(again.result.summary.resourceChanges ?? {}), ["same"], "a later up never restores again");
        await assert.rejects(() => restored.upAgain({ restoreFrom: `${setUri}-other` }), /--restore-from: stack "e2e" already has a deployment; a restore or import only fills a new one/);
    });

    it("refuses to restore a 3-shard set into 4 shards before anything is created, and says to import instead", async function () {
        if (!setUri) this.skip();
        await assert.rejects(
            () => wrongShape.up({ mode: "cluster", shards: "4", replicasPerShard: "0", restoreFrom: setUri }),
            (err: Error) => /backup\.from: the set has 3 shard\(s\) and this deployment 4; .*import/.test(err.message + wrongShape.logTail(80)),
        );
        assert.deepEqual(wrongShape.processes(), [], "nothing was started");
    });

    it("keeps the newest sets by retention, and imports a replication deployment's RDB into a cluster 4x1", async () => {
        const up = await timed("backup: replication 1+1 up", () => replication.up({ mode: "replication", replicasPerShard: "1", backupKeepCount: "1" }));
        const master = new Redis({ ...hostPort(String(up.outputs.endpoint.value)), password: secretValue(up.outputs, "password"), maxRetriesPerRequest: 1 });
        master.on("error", () => undefined);
        try {
            await timed("backup: write 10,000 keys", () => writeKeys((k, v) => master.set(k, v), "r", 10000));
            await master.set("r:with-ttl", "expires", "EX", 3600);
        } finally {
            master.disconnect();
        }
        const uris: string[] = [];
        for (let i = 0; i < 2; i++) uris.push((await timed(`backup: replication backup ${i + 1}`, () => backup({ stack: replication.stack, stateDir: replication.stateDir, io: replication.io }))).uri);
        const listed = await backups({ stack: replication.stack, stateDir: replication.stateDir, io: replication.io });
        assert.deepEqual(listed.map((s) => s.uri), [uris[1]], "retention count 1 deleted the older set");
        assert.equal(listed[0].keys, 10001);

        const into = await timed("backup: import into cluster 4x1", () => imported.up({ mode: "cluster", shards: "4", replicasPerShard: "1", importRdb: `${uris[1]}/shard-0.rdb` }))
            .catch((err) => { throw new Error(`${(err as Error).message}\n${imported.logTail()}`); });
        const reader = clusterClient(clusterNodes(into.outputs), secretValue(into.outputs, "password"));
        try {
            assert.deepEqual(await wrongKeys((k) => reader.get(k), "r", 10000), [], "every key is back with its value");
            const ttl = await reader.ttl("r:with-ttl");
            assert.ok(ttl > 3500 && ttl <= 3600, `the TTL travels with the key (got ${ttl})`);
            const perMaster = await Promise.all(reader.nodes("master").map((n) => n.dbsize()));
            assert.equal(perMaster.length, 4);
            assert.equal(perMaster.reduce((a, b) => a + b, 0), 10001);
            assert.ok(perMaster.every((n) => n > 2000), `keys are spread over the 4 shards by slot: ${perMaster.join(", ")}`);
        } finally {
            reader.disconnect();
        }
    });
});

// One mock-mode run of the component (Pulumi mocks, no engine, nothing started): a cluster of
// `members` members on the local provider. Prints one JSON line: time to build the resource
// graph until every registration reached the mock monitor, and the process's peak memory.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";

async function main(): Promise<void> {
    const started = performance.now();
    const [shards, replicasPerShard] = process.argv.slice(2).map(Number);
    const { MockRecorder, settle, value } = await import("../tests/helpers/mocks");
    const { RedisDeployment } = await import("../components/redisDeployment");
    const loaded = performance.now();
    const rec = new MockRecorder();
    await rec.install("bench", "cost");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bench-cost-"));
    try {
        const t0 = performance.now();
        const d = new RedisDeployment("cost", {
            mode: "cluster", shards, replicasPerShard,
            auth: { password: "bench-password-0123456789" },
            local: { dataDir, addressPrefix: "127.99" },
        });
        await value(d.clusterNodes, 600000);
        await value(d.diagram, 600000);
        await settle(600000);
        const graphMs = performance.now() - t0;
        const status = fs.readFileSync("/proc/self/status", "utf8");
        const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
        process.stdout.write(`${JSON.stringify({
            members: shards * (1 + replicasPerShard),
            resources: rec.seen.length,
            graphMs: Math.round(graphMs),
            loadMs: Math.round(loaded - started),
            totalMs: Math.round(performance.now() - started),
            peakRssMb: Math.round(kb("VmHWM") / 1024),
        })}\n`);
    } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
}

main().then(() => process.exit(0), (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
});

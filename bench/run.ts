// `npm run bench`: every row measured in one run, side by side with what people use today.
// Writes bench/results.json, bench/results.md, bench/chart.svg and bench/chart.png.
// Rounds: BENCH_ROUNDS (default 5) for our rows, BENCH_STOCK_ROUNDS (default 3) for the slow
// stock-timeout rows; medians are reported.
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { median } from "../tests/helpers/topologies";
import { writeOutputs, table, type Row } from "./report";
import { backupRestore } from "./backupRows";
import { clusterBootstrap, clusterFailover, log, programCost, sentinelFailover, tlsVsPlain } from "./rows";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STOCK_ROUNDS = Number(process.env.BENCH_STOCK_ROUNDS ?? 3);
const BOOTSTRAP_ROUNDS = Number(process.env.BENCH_BOOTSTRAP_ROUNDS ?? 3);

function version(cmd: string, args: string[]): string {
    try {
        return execFileSync(cmd, args, { encoding: "utf8" }).split("\n")[0].trim();
    } catch {
        return "?";
    }
}

async function main(): Promise<void> {
    const started = Date.now();
    const rows: Row[] = [];
    const section = (s: string) => process.stdout.write(`\n${s}\n`);

    section(`1/6 cluster bootstrap, 3 shards x 2 replicas: ours vs redis-cli --cluster create (${BOOTSTRAP_ROUNDS} rounds)`);
    const boot = await clusterBootstrap(BOOTSTRAP_ROUNDS);
    const bootRow = (name: string, key: "formedMs" | "writableMs" | "returnedMs", goal?: string, note?: string): Row => {
        const ours = median(boot.ours.map((t) => t[key]));
        const cli = median(boot.cli.map((t) => t[key]));
        return {
            name, unit: "ms", ours, oursLabel: "our bootstrap", baseline: cli, baselineLabel: "redis-cli --cluster create",
            ratio: cli / ours, rounds: BOOTSTRAP_ROUNDS, samples: { ours: boot.ours.map((t) => t[key]), baseline: boot.cli.map((t) => t[key]) }, goal, note,
        };
    };
    rows.push(bootRow("Cluster bootstrap 3x2: topology agreed (every node: same slot map, every master with its replicas)", "formedMs", ">= 5x"));
    rows.push(bootRow("Cluster bootstrap 3x2: ready (+ cluster_state:ok everywhere, replicas' first sync done)", "writableMs", undefined,
        "bounded by Redis itself for both tools: a master that just got its slots stays out of cluster_state:ok for cluster-node-timeout (the rejoin delay, 0.5-5 s), and a replica's first diskless sync starts on the master's once-a-second replication cron"));
    rows.push(bootRow("Cluster bootstrap 3x2: tool returned", "returnedMs", undefined,
        "ours returns when the cluster is writable; redis-cli returns after its own 1 s sleeps, before replicas are linked and before cluster_state:ok"));

    section(`2/6 sentinel failover through HAProxy, kill -9 of the master (${ROUNDS} rounds ours, ${STOCK_ROUNDS} stock)`);
    const senOurs = await sentinelFailover(ROUNDS);
    const senStock = await sentinelFailover(STOCK_ROUNDS, 30000);
    const senPrev = await sentinelFailover(STOCK_ROUNDS, 5000);
    const failRow = (name: string, ours: number[], base: number[], baseLabel: string, oursLabel: string, goal?: string, note?: string): Row => ({
        name, unit: "ms", ours: median(ours), oursLabel, baseline: median(base), baselineLabel: baseLabel,
        ratio: median(base) / median(ours), rounds: ours.length, samples: { ours, baseline: base }, goal, note,
    });
    rows.push(failRow("Sentinel failover via HAProxy: first write accepted", senOurs.map((r) => r.writeOkMs), senStock.map((r) => r.writeOkMs),
        "stock down-after-milliseconds 30000", "down-after 1000", "< 3 s",
        `promotion after ${median(senOurs.map((r) => r.promotedMs))} ms (median); our previous default down-after 5000: ${median(senPrev.map((r) => r.writeOkMs))} ms`));
    rows.push(failRow("Sentinel failover via HAProxy: first write acknowledged by WAIT 1", senOurs.map((r) => r.writeAckedMs), senStock.map((r) => r.writeAckedMs),
        "stock down-after-milliseconds 30000", "down-after 1000"));
    rows.push(failRow("Sentinel failover via HAProxy: our previous default", senOurs.map((r) => r.writeOkMs), senPrev.map((r) => r.writeOkMs),
        "down-after 5000 (before tuning)", "down-after 1000"));

    section(`3/6 cluster failover, kill -9 of a master under load (${ROUNDS} rounds ours, ${STOCK_ROUNDS} stock)`);
    const cluOurs = await clusterFailover(ROUNDS);
    const cluStock = await clusterFailover(STOCK_ROUNDS, 15000);
    const cluPrev = await clusterFailover(STOCK_ROUNDS, 5000);
    rows.push(failRow("Cluster failover: the killed master's slots take writes again", cluOurs.map((r) => r.writeOkMs), cluStock.map((r) => r.writeOkMs),
        "stock cluster-node-timeout 15000", "cluster-node-timeout 1500", "< 5 s",
        `other shards answered CLUSTERDOWN to ${median(cluOurs.map((r) => r.otherShardErrors))} writes per failover (median; cluster-require-full-coverage yes); previous default 5000: ${median(cluPrev.map((r) => r.writeOkMs))} ms`));
    rows.push(failRow("Cluster failover: our previous default", cluOurs.map((r) => r.writeOkMs), cluPrev.map((r) => r.writeOkMs),
        "cluster-node-timeout 5000 (before tuning)", "cluster-node-timeout 1500"));

    section(`4/6 HAProxy path vs direct to the master, without and with TLS, redis-benchmark -c 50 (${STOCK_ROUNDS} rounds)`);
    const both = await tlsVsPlain(STOCK_ROUNDS);
    const tp = both.plain;
    for (const op of ["set", "get"] as const) {
        const p = tp.proxy.map((t) => t[op]);
        const d = tp.direct.map((t) => t[op]);
        rows.push({
            name: `Throughput through HAProxy vs direct: ${op.toUpperCase()}`, unit: "rps", ours: median(p), oursLabel: "through HAProxy",
            baseline: median(d), baselineLabel: "direct to the master", ratio: median(p) / median(d), rounds: p.length, samples: { ours: p, baseline: d },
            note: op === "set" ? "ratio = HAProxy / direct; redis-benchmark, HAProxy and Redis share the same 2 cores, so the proxy's CPU is taken from the others" : undefined,
        });
    }
    for (const [label, key] of [["through HAProxy", "proxy"], ["direct to the master", "direct"]] as const) {
        for (const op of ["set", "get"] as const) {
            const withTls = both.tls[key].map((t) => t[op]);
            const without = both.plain[key].map((t) => t[op]);
            rows.push({
                name: `Throughput with TLS vs without, ${label}: ${op.toUpperCase()}`, unit: "rps", ours: median(withTls), oursLabel: "TLS",
                baseline: median(without), baselineLabel: "plaintext", ratio: median(withTls) / median(without), rounds: withTls.length, samples: { ours: withTls, baseline: without },
                note: key === "proxy" && op === "set" ? "ratio = TLS / plaintext; HAProxy terminates TLS and opens its own TLS connection to the master, so this path pays for two TLS sessions" : undefined,
            });
        }
    }

    section(`5/6 program cost: the component under Pulumi mocks (${STOCK_ROUNDS} rounds per size)`);
    const cost = await programCost(STOCK_ROUNDS);
    const smallest = median(cost[0].map((c) => c.graphMs));
    for (const runs of cost) {
        const members = runs[0].members;
        rows.push({
            name: `Program cost, ${members} members (${runs[0].resources} resources): build the graph`, unit: "ms",
            ours: median(runs.map((r) => r.graphMs)), oursLabel: "mock mode", rounds: runs.length, samples: { ours: runs.map((r) => r.graphMs) },
            note: `${(median(runs.map((r) => r.graphMs)) / smallest).toFixed(1)}x the 3-member time for ${members / 3}x the members; the process (node + ts-node + Pulumi SDK) ran ${median(runs.map((r) => r.totalMs))} ms`,
        });
    }
    for (const runs of cost) {
        rows.push({
            name: `Program cost, ${runs[0].members} members: peak memory (RSS)`, unit: "MB",
            ours: median(runs.map((r) => r.peakRssMb)), oursLabel: "mock mode", rounds: runs.length, samples: { ours: runs.map((r) => r.peakRssMb) },
        });
    }

    section(`6/6 backup set and restore of ${process.env.BENCH_BACKUP_MB ?? 1024} MB on 3 shards: our job vs redis-cli --rdb + rclone copy (1 round)`);
    const bk = await backupRestore();
    const rate = (ms: number) => bk.datasetMb / (ms / 1000);
    rows.push({
        name: `Backup set of ${bk.datasetMb} MB, 3 shards (BGSAVE on replicas, redis-check-rdb, SHA-256, upload, manifest)`, unit: "MB/s",
        ours: rate(bk.ours.backupMs), oursLabel: "our backup job", baseline: rate(bk.manual.backupMs), baselineLabel: "redis-cli --rdb per master + rclone copy",
        ratio: rate(bk.ours.backupMs) / rate(bk.manual.backupMs), rounds: 1, samples: { ours: [rate(bk.ours.backupMs)], baseline: [rate(bk.manual.backupMs)] },
        note: `ours ${bk.ours.backupMs} ms, by hand ${bk.manual.backupMs} ms; ours snapshots the shards in parallel on their replicas and checks every file, the manual way streams each master's RDB in turn and checks nothing; store: a folder on this machine`,
    });
    rows.push({
        name: `Restore of that set into a new cluster 3x1 (download, SHA-256, DUMP/RESTORE)`, unit: "MB/s",
        ours: rate(bk.ours.restoreMs), oursLabel: "our restore", rounds: 1, samples: { ours: [rate(bk.ours.restoreMs)] },
        note: `${bk.keys} keys in ${bk.ours.restoreMs} ms`,
    });

    const meta = {
        when: new Date().toISOString(),
        wallSeconds: Math.round((Date.now() - started) / 1000),
        machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), shared with other work; load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; ${version("redis-server", ["--version"])}; ${version("haproxy", ["-v"])}; node ${process.version}`,
        rounds: { ours: ROUNDS, stock: STOCK_ROUNDS, bootstrap: BOOTSTRAP_ROUNDS },
        raw: { boot, senOurs, senStock, senPrev, cluOurs, cluStock, cluPrev, throughput: tp, cost, backup: bk },
    };
    const png = writeOutputs(__dirname, rows, meta);
    process.stdout.write(`\n${table(rows)}\n\n`);
    for (const r of rows.filter((x) => x.note)) process.stdout.write(`- ${r.name}: ${r.note}\n`);
    process.stdout.write(`\nWrote ${["results.json", "results.md", "chart.svg"].map((f) => path.join("bench", f)).join(", ")}; ${png.startsWith("/") ? path.relative(path.join(__dirname, ".."), png) : png}. ${meta.wallSeconds} s.\n`);
}

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));
main().then(() => process.exit(0), (err) => {
    log(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
});

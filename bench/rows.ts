// The bench's measurements. Each function runs its rounds on real processes (addresses in
// 127.90-99) and always stops what it started.
import { execFile } from "child_process";
import * as path from "path";
import { parseClusterNodes, convergeCluster } from "../bootstrap/cluster";
import { Fleet } from "../tests/helpers/fleet";
import { RespConnection, infoMap } from "../tests/helpers/resp";
import { clusterFailoverRound, sentinelFailoverRound, type FailoverRound } from "../tests/helpers/scenarios";
import { clusterInputs, logins, reliabilityPrefix, sleep, startClusterDeployment, startSentinelDeployment, waitSentinelHealthy } from "../tests/helpers/topologies";
import { AckWriter, ClusterRouter, SingleRouter } from "../tests/helpers/writer";

export const log = (msg: string) => process.stdout.write(`  ${msg}\n`);

function run(cmd: string, args: string[], timeoutMs = 120000): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        });
    });
}

// ---------------------------------------------------------------------------------------------
// 1. Cluster bootstrap: ours vs redis-cli --cluster create, on identical fresh nodes.

export interface BootstrapTiming {
    /** The tool returned. */
    returnedMs: number;
    /**
     * The topology agreed: every node knows every other node, holds the same slot map covering
     * all slots, and sees every master with its replicas (what `redis-cli --cluster check` calls
     * "all nodes agree", plus the replicas).
     */
    formedMs: number;
    /** ... and ready for traffic and failover: cluster_state:ok on every node, every replica's first sync done. */
    writableMs: number;
}

/**
 * Watches a cluster being formed (by any tool) with the same yardstick: every 20 ms, every
 * node's CLUSTER NODES, CLUSTER INFO and INFO replication.
 */
async function watchFormation(fleet: Fleet, started: number, returned: () => number | undefined, timeoutMs = 120000): Promise<BootstrapTiming> {
    const conns = await Promise.all(fleet.members.map((m) => RespConnection.open({ host: m.address, port: m.port }, logins(fleet).admin, 2000)));
    const shards = fleet.plan.shards.length;
    const replicas = fleet.plan.args.replicasPerShard;
    const mapOf = (nodes: ReturnType<typeof parseClusterNodes>) => nodes.filter((l) => l.flags.includes("master") && l.slots.length > 0)
        .map((m) => `${m.id}:${m.slots.map((r) => `${r.start}-${r.end}`)}`).sort().join(" ");
    let formedAt: number | undefined;
    try {
        for (;;) {
            const now = Date.now();
            if (now - started > timeoutMs) throw new Error(`the cluster was not formed after ${timeoutMs} ms`);
            const states = await Promise.all(conns.map(async (c) => ({
                nodes: parseClusterNodes(String(await c.call(["CLUSTER", "NODES"]))),
                state: infoMap(await c.call(["CLUSTER", "INFO"])).cluster_state,
                repl: infoMap(await c.call(["INFO", "replication"])),
            })));
            const reference = mapOf(states[0].nodes);
            const formed = states.every((s) => {
                // Handshake entries are left out: a MEET to a known node leaves one for a moment.
                const nodes = s.nodes.filter((l) => !l.flags.includes("handshake"));
                if (nodes.length !== fleet.members.length) return false;
                if (nodes.some((l) => l.flags.some((f) => /noaddr|fail/.test(f)))) return false;
                const masters = nodes.filter((l) => l.flags.includes("master") && l.slots.length > 0);
                if (masters.length !== shards) return false;
                if (masters.reduce((n, m) => n + m.slots.reduce((k, r) => k + r.end - r.start + 1, 0), 0) !== 16384) return false;
                if (masters.some((m) => nodes.filter((l) => l.masterId === m.id).length !== replicas)) return false;
                return mapOf(nodes) === reference;
            });
            if (formed && formedAt === undefined) formedAt = now;
            const ready = formed && states.every((s) => s.state === "ok" && (s.repl.role !== "slave" || s.repl.master_link_status === "up"));
            if (ready && returned() !== undefined) {
                return { returnedMs: returned()! - started, formedMs: formedAt! - started, writableMs: now - started };
            }
            await sleep(20);
        }
    } finally {
        for (const c of conns) c.close();
    }
}

async function oursOnce(fleet: Fleet): Promise<BootstrapTiming> {
    const started = Date.now();
    let returned: number | undefined;
    const bootstrap = convergeCluster(clusterInputs(fleet)).then(() => { returned = Date.now(); });
    const [timing] = await Promise.all([watchFormation(fleet, started, () => returned), bootstrap]);
    return timing;
}

async function redisCliOnce(fleet: Fleet): Promise<BootstrapTiming> {
    // Masters first: redis-cli makes the first N/(replicas+1) addresses masters.
    const ordered = [...fleet.members].sort((a, b) => a.index - b.index || a.shard - b.shard);
    const started = Date.now();
    let returned: number | undefined;
    const cli = run("redis-cli", [
        "--cluster", "create", ...ordered.map((m) => `${m.address}:${m.port}`),
        "--cluster-replicas", String(fleet.plan.args.replicasPerShard), "--cluster-yes",
        "--user", fleet.adminLogin.user, "-a", fleet.adminLogin.password, "--no-auth-warning",
    ]).then((r) => {
        returned = Date.now();
        if (r.code !== 0) throw new Error(`redis-cli --cluster create failed (${r.code}): ${r.stderr}${r.stdout.slice(-2000)}`);
    });
    const [timing] = await Promise.all([watchFormation(fleet, started, () => returned), cli]);
    return timing;
}

export async function clusterBootstrap(rounds: number): Promise<{ ours: BootstrapTiming[]; cli: BootstrapTiming[] }> {
    const ours: BootstrapTiming[] = [];
    const cli: BootstrapTiming[] = [];
    for (let i = 0; i < rounds; i++) {
        const args = { mode: "cluster" as const, shards: 3, replicasPerShard: 2 };
        const a = new Fleet("bench-ours", args, { prefix: reliabilityPrefix(), rootPrefix: "rd-bench-" });
        const b = new Fleet("bench-cli", args, { prefix: reliabilityPrefix(), rootPrefix: "rd-bench-" });
        try {
            await Promise.all([a.startMembers(), b.startMembers()]);
            // Identical fresh nodes, up for the same time: Redis keeps a new master out of
            // cluster_state:ok for 2 s after it starts, whoever forms the cluster.
            await sleep(2500);
            // Alternate which tool goes first, so neither always meets a busier machine.
            if (i % 2 === 0) {
                ours.push(await oursOnce(a));
                cli.push(await redisCliOnce(b));
            } else {
                cli.push(await redisCliOnce(b));
                ours.push(await oursOnce(a));
            }
            log(`bootstrap round ${i + 1}: ours formed ${ours[i].formedMs} ms, writable ${ours[i].writableMs} ms; redis-cli returned ${cli[i].returnedMs} ms, formed ${cli[i].formedMs} ms, writable ${cli[i].writableMs} ms`);
        } finally {
            await Promise.all([a.cleanup(), b.cleanup()]);
        }
    }
    return { ours, cli };
}

// ---------------------------------------------------------------------------------------------
// 2. Sentinel failover through HAProxy.

export async function sentinelFailover(rounds: number, downAfterMilliseconds?: number): Promise<FailoverRound[]> {
    const fleet = await startSentinelDeployment("bench-sen", downAfterMilliseconds === undefined ? {} : { sentinel: { downAfterMilliseconds } }, { rootPrefix: "rd-bench-" });
    const proxy = fleet.proxies[0];
    const writer = new AckWriter(new SingleRouter({ host: proxy.address, port: proxy.port }, logins(fleet).app), { prefix: "b2", loops: 2 }).start();
    const out: FailoverRound[] = [];
    try {
        for (let i = 0; i < rounds; i++) {
            const r = await sentinelFailoverRound(fleet, writer, 120000);
            out.push(r);
            log(`sentinel failover (down-after ${fleet.plan.args.sentinel.downAfterMilliseconds}) round ${i + 1}: promoted after ${r.promotedMs} ms, write ok after ${r.writeOkMs} ms, WAIT-acked after ${r.writeAckedMs} ms`);
        }
    } finally {
        await writer.stop();
        writer.close();
        await fleet.cleanup();
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// 3. Cluster failover: kill -9 of a master, until its slots take writes.

export async function clusterFailover(rounds: number, nodeTimeout?: number): Promise<(FailoverRound & { otherShardErrors: number })[]> {
    const fleet = await startClusterDeployment("bench-clu", {}, { rootPrefix: "rd-bench-", redisConfExtra: nodeTimeout === undefined ? [] : [`cluster-node-timeout ${nodeTimeout}`] });
    const router = new ClusterRouter(fleet.members.map((m) => `${m.address}:${m.port}`), logins(fleet).app);
    const writer = new AckWriter(router, { prefix: "b3", loops: 4 }).start();
    const timeout = /cluster-node-timeout (\d+)/g;
    const conf = fleet.memberConfig(fleet.members[0]);
    const effective = [...conf.matchAll(timeout)].pop()?.[1];
    const out: (FailoverRound & { otherShardErrors: number })[] = [];
    try {
        const slots = fleet.plan.shards.map((s) => s.slots!.start);
        for (let i = 0; i < rounds; i++) {
            const r = await clusterFailoverRound(fleet, writer, slots[i % slots.length], 120000);
            out.push(r);
            log(`cluster failover (cluster-node-timeout ${effective}) round ${i + 1}: promoted after ${r.promotedMs} ms, slots writable after ${r.writeOkMs} ms, WAIT-acked after ${r.writeAckedMs} ms`);
        }
    } finally {
        await writer.stop();
        writer.close();
        await fleet.cleanup();
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// 4. HAProxy path vs direct to the master, redis-benchmark.

export interface Throughput { set: number; get: number }

/** redis-benchmark's TLS flags: the CA and the client certificate, as files. */
export interface BenchTls {
    cacert: string;
    cert?: string;
    key?: string;
}

async function redisBenchmark(host: string, port: number, password: string, requests: number, tls?: BenchTls): Promise<Throughput> {
    const tlsFlags = tls ? ["--tls", "--cacert", tls.cacert, ...(tls.cert && tls.key ? ["--cert", tls.cert, "--key", tls.key] : [])] : [];
    const r = await run("redis-benchmark", [
        ...tlsFlags,
        "-h", host, "-p", String(port), "-a", password,
        "-t", "set,get", "-n", String(requests), "-c", "50", "-r", "100000", "-d", "64", "--csv",
    ]);
    if (r.code !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}${r.stdout}`);
    const rps = (test: string) => Number(new RegExp(`^"${test}","([\\d.]+)"`, "m").exec(r.stdout)?.[1] ?? NaN);
    return { set: rps("SET"), get: rps("GET") };
}

/** SET/GET throughput of one deployment through HAProxy and direct to the master. */
export interface PathThroughput { proxy: Throughput[]; direct: Throughput[] }

/**
 * HAProxy path vs direct to the master, with TLS next to without in the same run: two sentinel deployments
 * side by side (one with tls.enabled), each round benchmarking all four paths in alternating order.
 */
export async function tlsVsPlain(rounds: number, requests = 100000): Promise<{ plain: PathThroughput; tls: PathThroughput }> {
    const fs = await import("fs");
    const plainFleet = await startSentinelDeployment("bench-plain", {}, { rootPrefix: "rd-bench-" });
    let tlsFleet: Awaited<ReturnType<typeof startSentinelDeployment>> | undefined;
    const plain: PathThroughput = { proxy: [], direct: [] };
    const tls: PathThroughput = { proxy: [], direct: [] };
    try {
        tlsFleet = await startSentinelDeployment("bench-tls", { tls: { enabled: true } }, { rootPrefix: "rd-bench-" });
        const files: BenchTls = { cacert: path.join(tlsFleet.root, "bench-ca.crt"), cert: path.join(tlsFleet.root, "bench-client.crt"), key: path.join(tlsFleet.root, "bench-client.key") };
        fs.writeFileSync(files.cacert, tlsFleet.tls!.ca);
        fs.writeFileSync(files.cert!, tlsFleet.tls!.client!.certificate);
        fs.writeFileSync(files.key!, tlsFleet.tls!.client!.key, { mode: 0o600 });
        const plainMaster = await waitSentinelHealthy(plainFleet);
        // No failover has happened in the TLS fleet: its master is the planned one (its proxies' readiness saw it).
        const tlsMaster = tlsFleet.members.find((m) => m.role === "master")!;
        for (let i = 0; i < rounds; i++) {
            const paths: [Throughput[], string, BenchTls | undefined][] = [
                [plain.proxy, plainFleet.proxies[0].address, undefined], [plain.direct, plainMaster.address, undefined],
                [tls.proxy, tlsFleet.proxies[0].address, files], [tls.direct, tlsMaster.address, files],
            ];
            for (const [into, host, withTls] of i % 2 === 0 ? paths : [...paths].reverse()) {
                const password = withTls ? tlsFleet.credentials.password : plainFleet.credentials.password;
                into.push(await redisBenchmark(host, 6379, password, requests, withTls));
            }
            log(`redis-benchmark round ${i + 1}: HAProxy SET ${plain.proxy[i].set}/${tls.proxy[i].set} GET ${plain.proxy[i].get}/${tls.proxy[i].get}; direct SET ${plain.direct[i].set}/${tls.direct[i].set} GET ${plain.direct[i].get}/${tls.direct[i].get} rps (plain/TLS)`);
        }
    } finally {
        await plainFleet.cleanup();
        await tlsFleet?.cleanup();
    }
    return { plain, tls };
}

// ---------------------------------------------------------------------------------------------
// 5. Program cost: the component under Pulumi mocks for 3, 30 and 300 members.

export interface ProgramCost { members: number; resources: number; graphMs: number; totalMs: number; peakRssMb: number }

export async function programCost(rounds: number): Promise<ProgramCost[][]> {
    const sizes: [number, number][] = [[3, 0], [15, 1], [150, 1]];
    const out: ProgramCost[][] = [];
    for (const [shards, replicas] of sizes) {
        const runs: ProgramCost[] = [];
        for (let i = 0; i < rounds; i++) {
            const r = await run(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "program-cost-child.ts"), String(shards), String(replicas)], 600000);
            if (r.code !== 0) throw new Error(`program cost run failed: ${r.stderr}`);
            runs.push(JSON.parse(r.stdout.trim().split("\n").pop()!) as ProgramCost);
        }
        out.push(runs);
        log(`program cost ${runs[0].members} members: ${runs.map((x) => `${x.graphMs} ms / ${x.peakRssMb} MB`).join(", ")}`);
    }
    return out;
}

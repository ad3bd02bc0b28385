// Scenario 4: kill -9 of a member with AOF and `appendfsync everysec`. Redis write()s each
// command to the AOF before it replies, and fsyncs once a second in a background thread, so a
// killed process loses nothing the kernel has (its page cache survives the process); what is
// exposed is what was acknowledged since the last fsync, and only to a crash of the host. The
// test measures both: the writes lost by the kill -9 and restart from the AOF, and (with strace
// on the fsync calls) how much acknowledged data had not reached the disk at the kill.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Fleet } from "../helpers/fleet";
import { mget } from "../helpers/scenarios";
import { logins, median, reliabilityPrefix, sleep, waitFor } from "../helpers/topologies";
import { AckWriter, SingleRouter, lostWrites, now } from "../helpers/writer";
import { report } from "./results";

/** everysec: one fsync a second; Redis postpones it up to 2 s while the previous one still runs. */
const UNSYNCED_BOUND_MS = 2000;

function tracerPid(pid: number): number {
    try {
        return Number(/^TracerPid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
        return 0;
    }
}

describe("4. kill -9 with appendfsync everysec", function () {
    this.timeout(5 * 60 * 1000);
    let fleet: Fleet | undefined;
    let writer: AckWriter | undefined;
    let strace: ChildProcess | undefined;

    before(async () => {
        fleet = new Fleet("rel-aof", { mode: "standalone" }, { prefix: reliabilityPrefix(), rootPrefix: "rd-rel-" });
        await fleet.startMembers();
    });
    after(async () => {
        await writer?.stop();
        writer?.close();
        if (strace?.pid && strace.exitCode === null) {
            try { process.kill(strace.pid, "SIGKILL"); } catch { /* gone */ }
        }
        await fleet?.cleanup();
    });

    it(`loses only writes acknowledged after the last fsync, and fsyncs are never more than ${UNSYNCED_BOUND_MS} ms apart`, async () => {
        const f = fleet!;
        const member = f.members[0];
        const proc = f.process(member.name);
        const conf = fs.readFileSync(proc.configFile, "utf8");
        assert.match(conf, /^appendonly yes$/m);
        assert.match(conf, /^appendfsync everysec$/m);

        // strace the fsync calls of every thread (the AOF fsync runs in a background thread).
        const traceFile = path.join(f.root, "fsync.trace");
        strace = spawn("strace", ["-f", "-qq", "-ttt", "-T", "-e", "trace=fsync,fdatasync", "-o", traceFile, "-p", String(proc.pid)], { stdio: "ignore" });
        strace.on("error", () => undefined);
        await waitFor("strace to attach", 10000, async () => (tracerPid(proc.pid) > 0 ? true : undefined), 20);

        writer = new AckWriter(new SingleRouter({ host: member.address, port: member.port }, logins(f).app), { prefix: "d4", loops: 4, waitReplicas: 0 }).start();
        await sleep(3500);
        const killAt = now();
        await f.kill(proc);
        await writer.stop();
        await waitFor("strace to finish", 10000, async () => (strace!.exitCode !== null || strace!.signalCode !== null ? true : undefined), 20).catch(() => undefined);

        // Completed fsyncs: start time (s) and duration; the data they cover is what was written before they started.
        const syncs = fs.readFileSync(traceFile, "utf8").split("\n")
            .map((l) => /^\d+\s+(\d+\.\d+)\s+f(?:data)?sync\(\d+\)\s+=\s+0\s+<([\d.]+)>/.exec(l))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => ({ start: Number(m[1]) * 1000, end: (Number(m[1]) + Number(m[2])) * 1000 }))
            .filter((s) => s.end <= killAt);
        assert.ok(syncs.length >= 2, `strace saw ${syncs.length} fsync(s) in 3.5 s of writes`);
        const lastSync = syncs[syncs.length - 1];
        const intervals = syncs.slice(1).map((s, i) => s.start - syncs[i].start);
        const unsyncedMs = killAt - lastSync.start;
        const acked = writer.acked();
        const unsynced = acked.filter((r) => r.okAt > lastSync.start);

        await f.restartLikeUp(member.name);
        const lost = await lostWrites(writer.records, (keys) => mget(f, member, keys));
        const lostBeforeLastSync = lost.filter((r) => r.okAt <= lastSync.start);
        report({
            scenario: 4,
            title: "kill -9 with appendfsync everysec",
            bound: `no write acknowledged before the last fsync is lost; acknowledged writes are never more than ${UNSYNCED_BOUND_MS} ms ahead of an fsync (largest gap between fsyncs, and at the kill)`,
            pass: lostBeforeLastSync.length === 0 && unsyncedMs < UNSYNCED_BOUND_MS && Math.max(...intervals) < UNSYNCED_BOUND_MS,
            numbers: {
                "acknowledged writes": acked.length,
                "lost after kill -9 + restart from the AOF": lost.length,
                "not yet fsynced at the kill (ms of writes)": Math.round(unsyncedMs),
                "... writes (what a host crash could lose)": unsynced.length,
                "fsync interval median / max (ms)": `${Math.round(median(intervals))} / ${Math.round(Math.max(...intervals))}`,
                "fsyncs seen": syncs.length,
            },
        });
        assert.deepEqual(lostBeforeLastSync.map((r) => r.key), [], "writes acknowledged before the last fsync are missing");
        assert.ok(unsyncedMs < UNSYNCED_BOUND_MS, `${unsyncedMs} ms of acknowledged writes were not fsynced at the kill`);
        assert.ok(Math.max(...intervals) < UNSYNCED_BOUND_MS, `fsyncs were up to ${Math.max(...intervals)} ms apart`);
    });
});

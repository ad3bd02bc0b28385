// Root hook: after the whole run, no process a test started may still run. Every process the
// tests start (redis-server, redis-sentinel, haproxy; detached or not) is a child of this mocha
// process, so leftovers are exactly our children. They are killed, then reported as a failure.
import * as fs from "fs";

function childPids(): number[] {
    return fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((pid) => {
        try {
            const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
            // Fields after the command name: state, ppid, ... A zombie has exited already.
            const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            return Number(ppid) === process.pid && state !== "Z";
        } catch {
            return false;
        }
    }).map(Number);
}

function describe(pid: number): string {
    try {
        return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim()}`;
    } catch {
        return String(pid);
    }
}

export const mochaHooks = {
    afterAll(): void {
        const pids = childPids();
        const names = pids.map(describe);
        for (const pid of pids) {
            try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
        }
        if (pids.length > 0) throw new Error(`tests left ${pids.length} process(es) running (now killed): ${names.join("; ")}`);
    },
};

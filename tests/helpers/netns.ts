// Network partitions for the reliability suite: each side of the network is its own network
// namespace with a veth into a bridge that lives in a third namespace. Cutting a side detaches
// its port from the bridge: its packets are dropped silently (no RST, no "unreachable"), as in a
// real partition, and both sides' links stay up. Healing re-attaches it. Processes in a side are
// started with `ip netns exec` (same pid), and are reached from the test through unix sockets,
// which do not depend on network namespaces. Everything is removed by `destroy()`, which the
// caller runs in an after hook (processes killed by pid, namespaces deleted).
import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";

function ip(args: string[]): string {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** True when this process may create network namespaces (root or CAP_NET_ADMIN, and `ip` present). */
export function canCreateNamespaces(): boolean {
    const probe = `rdprobe${crypto.randomBytes(3).toString("hex")}`;
    try {
        ip(["netns", "add", probe]);
        ip(["netns", "del", probe]);
        return true;
    } catch {
        return false;
    }
}

export class NetnsLab {
    readonly id = crypto.randomBytes(2).toString("hex");
    private readonly created: string[] = [];
    private readonly pids = new Set<number>();
    private readonly bridgeNs = `rd${this.id}-br`;

    /** The namespace of a side. */
    ns(side: string): string {
        return `rd${this.id}-${side}`;
    }

    private port(side: string): string {
        return `rd${this.id}${side}p`;
    }

    /** Creates the bridge namespace and one namespace per side, each with `addresses` (CIDR) on its veth. */
    setup(sides: Record<string, string[]>): void {
        ip(["netns", "add", this.bridgeNs]);
        this.created.push(this.bridgeNs);
        ip(["-n", this.bridgeNs, "link", "add", "br0", "type", "bridge"]);
        ip(["-n", this.bridgeNs, "link", "set", "br0", "up"]);
        for (const [side, addresses] of Object.entries(sides)) {
            const ns = this.ns(side);
            ip(["netns", "add", ns]);
            this.created.push(ns);
            const inside = `rd${this.id}${side}`;
            // Created inside the side's namespace (names never touch the host's namespace), the
            // peer then moved into the bridge's namespace.
            ip(["-n", ns, "link", "add", inside, "type", "veth", "peer", "name", this.port(side)]);
            ip(["-n", ns, "link", "set", this.port(side), "netns", this.bridgeNs]);
            ip(["-n", this.bridgeNs, "link", "set", this.port(side), "master", "br0"]);
            ip(["-n", this.bridgeNs, "link", "set", this.port(side), "up"]);
            ip(["-n", ns, "link", "set", "lo", "up"]);
            for (const a of addresses) ip(["-n", ns, "addr", "add", a, "dev", inside]);
            ip(["-n", ns, "link", "set", inside, "up"]);
        }
    }

    /** Cuts `side` off from every other side (silently dropped packets). */
    partition(side: string): void {
        ip(["-n", this.bridgeNs, "link", "set", this.port(side), "nomaster"]);
    }

    heal(side: string): void {
        ip(["-n", this.bridgeNs, "link", "set", this.port(side), "master", "br0"]);
    }

    /** Starts `argv` inside `side`'s namespace, detached, output to `logFile`; returns its pid. */
    spawn(side: string, argv: string[], cwd: string, logFile: string): number {
        const log = fs.openSync(logFile, "a", 0o600);
        const child = spawn("ip", ["netns", "exec", this.ns(side), ...argv], { cwd, detached: true, stdio: ["ignore", log, log] });
        fs.closeSync(log);
        child.on("error", () => undefined);
        child.unref();
        if (!child.pid) throw new Error(`could not start ${argv[0]} in ${this.ns(side)}`);
        this.pids.add(child.pid);
        return child.pid;
    }

    kill(pid: number): void {
        try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
        this.pids.delete(pid);
    }

    /** Kills every process started here (by pid) and deletes the namespaces. Safe to call twice. */
    async destroy(): Promise<void> {
        for (const pid of [...this.pids]) this.kill(pid);
        // Give the kernel a moment to reap them before their namespaces go.
        await new Promise((r) => setTimeout(r, 200));
        for (const ns of this.created.splice(0).reverse()) {
            try { ip(["netns", "del", ns]); } catch { /* already gone */ }
        }
    }
}

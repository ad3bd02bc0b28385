// Shared pieces of the end-to-end tests: each suite gets its own temporary folder holding the
// CLI's state directory (file backend, passphrase, PULUMI_HOME, workspace) and the members' data
// directory, its own 127.N address block, and a cleanup that always runs: destroy through the
// engine, then kill by pid whatever still runs under the folder, then remove the folder.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { destroy, outputs, up, type DeploymentSettings, type Io, type UpOutcome } from "../../bin/cli";
import { waitFor } from "../../bootstrap/redisClient";
import { processesUnder } from "../helpers/fleet";

/** Wall times (ms) of engine operations, printed at the end of a suite. */
export const timings = new Map<string, number>();

export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
        return await fn();
    } finally {
        timings.set(label, Date.now() - started);
    }
}

export function printTimings(prefix: string): void {
    const rows = [...timings.entries()].filter(([label]) => label.startsWith(prefix));
    if (rows.length === 0) return;
    console.log(`\n    wall times (${prefix}):`);
    for (const [label, ms] of rows) console.log(`      ${label.padEnd(40)}${(ms / 1000).toFixed(1)}s`);
}

/** The suite's after hook: destroy and clean up, print the wall times, fail if leftovers had to be killed. */
export function cleanupAfterSuite(d: E2eDeployment, timingsPrefix: string): void {
    after(async function () {
        this.timeout(120000);
        const killed = await d.cleanup();
        printTimings(timingsPrefix);
        if (killed.length > 0) throw new Error(`cleanup had to kill leftover processes by pid: ${killed.join(", ")}`);
    });
}

/** Asserts that an engine operation's changes were all of one kind ("same" for a no-op up, "delete" for destroy). */
export function assertOnlyChanges(result: { summary: { resourceChanges?: Record<string, number> } }, kind: string): void {
    const changes = result.summary.resourceChanges ?? {};
    if (JSON.stringify(Object.keys(changes)) !== JSON.stringify([kind])) throw new Error(`expected only "${kind}" changes, got ${JSON.stringify(changes)}`);
}

/** Destroys the deployment and checks it left no process and no data directory. */
export async function destroyLeavesNothing(d: E2eDeployment, label: string): Promise<void> {
    assertOnlyChanges(await timed(label, () => d.destroy()), "delete");
    const left = d.processes();
    if (left.length > 0) throw new Error(`processes left after destroy: ${left.join(", ")}`);
    if (fs.existsSync(d.dataDir)) throw new Error(`${d.dataDir} is not removed`);
}

/** Every file below `dir` (recursively). */
export function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return filesUnder(full);
        return entry.isFile() ? [full] : [];
    });
}

/** One deployment under test: a stack of the CLI in a temporary state directory. */
export class E2eDeployment {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-"));
    readonly stateDir = path.join(this.root, "state-dir");
    readonly dataDir = path.join(this.root, "data");
    readonly stack = "e2e";
    /** The engine's progress, shown only when a test fails. */
    readonly log: string[] = [];
    readonly io: Io = { stderr: (t) => this.log.push(t), stdout: (t) => this.log.push(t) };

    constructor(readonly addressPrefix: string) {}

    private get base() {
        return { stack: this.stack, stateDir: this.stateDir, io: this.io };
    }

    /** `redis-deployment up` with these flags (the first call also pins the address block and data dir). */
    up(settings: DeploymentSettings = {}): Promise<UpOutcome> {
        return up({ ...this.base, settings: { addressPrefix: this.addressPrefix, dataDir: this.dataDir, ...settings } });
    }

    /** `up` without any flag: the stack's stored settings. */
    upAgain(settings: DeploymentSettings = {}): Promise<UpOutcome> {
        return up({ ...this.base, settings });
    }

    destroy() {
        return destroy(this.base);
    }

    outputs(): Promise<OutputMap> {
        return outputs(this.base);
    }

    /** Pids still running from this deployment's folder (command line or working directory under it). */
    processes(): number[] {
        return processesUnder(this.root);
    }

    /** The engine log's tail, for failure messages. */
    logTail(lines = 40): string {
        return this.log.join("").split("\n").slice(-lines).join("\n");
    }

    /** Destroy (best effort), kill leftovers by pid, remove the folder. Returns what had to be killed. */
    async cleanup(): Promise<number[]> {
        try {
            await this.destroy();
        } catch (err) {
            console.error(`    cleanup: destroy failed: ${(err as Error).message.split("\n")[0]}`);
        }
        const leftovers = this.processes();
        for (const pid of leftovers) {
            try {
                process.kill(pid, "SIGKILL");
            } catch { /* gone */ }
        }
        fs.rmSync(this.root, { recursive: true, force: true });
        return leftovers;
    }
}

/** "host:port" -> { host, port } */
export function hostPort(endpoint: string): { host: string; port: number } {
    const i = endpoint.lastIndexOf(":");
    return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
}

/** The password output, read the way `redis-deployment outputs --show-secrets` does. */
export function secretValue(outs: OutputMap, key: string): string {
    const out = outs[key];
    if (!out) throw new Error(`output ${key} is missing; outputs: ${Object.keys(outs).join(", ")}`);
    if (!out.secret) throw new Error(`output ${key} is not a secret`);
    return String(out.value);
}

/** Sends inline commands over a plain TCP connection and returns the first reply line of each (no client library in the way). */
export async function rawReplies(endpoint: string, commands: string[]): Promise<string[]> {
    const net = await import("net");
    return new Promise((resolve, reject) => {
        let data = "";
        const socket = net.createConnection(hostPort(endpoint), () => socket.write(commands.map((c) => `${c}\r\n`).join("")));
        socket.setTimeout(5000, () => socket.destroy(new Error(`no reply from ${endpoint}: ${JSON.stringify(data)}`)));
        socket.on("data", (chunk) => {
            data += chunk.toString();
            const lines = data.split("\r\n").filter((l) => l !== "");
            if (lines.length >= commands.length) {
                socket.end();
                resolve(lines.slice(0, commands.length));
            }
        });
        socket.on("error", reject);
    });
}

/** Polls `probe` until it returns a value: the bootstrap's own waitFor. */
export const poll = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => waitFor(what, timeoutMs, probe);

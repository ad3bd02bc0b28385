// Real redis-server / redis-sentinel / haproxy for the renderer tests: spawned directly on the
// rendered files (no provider code in between), always killed by pid, temp dirs always removed.
// Also a minimal RESP client, so a test sees Redis' replies (and errors) exactly as sent.
import { spawn, execFile, type ChildProcess, type SpawnOptions } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { Credentials } from "../../components/types";
import { RespError, encodeCommand, parseReply, type RespValue } from "./resp";

/** Every pid this module started and has not yet seen exit: SIGKILLed if the test process exits first. */
const livePids = new Set<number>();
process.on("exit", () => {
    for (const pid of livePids) {
        try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
});

/** One 127.N block per test run, N random in 200..250, so parallel runs rarely meet. */
export const RUN_BLOCK = 200 + crypto.randomInt(0, 51);

/** An address in this run's block: 127.RUN_BLOCK.group.host. */
export function testAddress(group: number, host: number): string {
    if (group < 0 || group > 255 || host < 1 || host > 254) throw new Error(`bad test address ${group}.${host}`);
    return `127.${RUN_BLOCK}.${group}.${host}`;
}

export function randomCredentials(): Credentials {
    const hex = () => crypto.randomBytes(20).toString("hex"); // 40 hex characters
    return { password: hex(), adminPassword: hex(), monitorPassword: hex() };
}

export interface Program {
    readonly name: string;
    readonly child: ChildProcess;
    readonly pid: number;
    /** stdout + stderr so far (for failure messages). */
    output(): string;
    exited(): boolean;
}

/**
 * Spawns a program whose pid is killed when the test process exits, whatever happened; its
 * stdout + stderr are collected for failure messages.
 */
export function spawnTracked(name: string, command: string, args: string[], options: SpawnOptions = {}): Program {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    const pid = child.pid;
    livePids.add(pid);
    let out = "";
    let done = false;
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    child.on("exit", (code, signal) => { livePids.delete(pid); out += `\n[${name} exited with ${signal ?? `code ${code}`}]`; });
    // "close" comes after the output streams are drained, so output() is complete once exited() is true.
    child.on("close", () => { done = true; });
    child.on("error", (e) => { out += `\nspawn error: ${e.message}`; done = true; livePids.delete(pid); });
    return { name, child, pid, output: () => out, exited: () => done };
}

/** Starts programs and temp dirs; `cleanup()` kills every pid and removes every dir. */
export class ProgramRunner {
    private readonly programs: Program[] = [];
    private readonly dirs: string[] = [];

    tempDir(label: string): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rd-unit-${label}-`));
        this.dirs.push(dir);
        return dir;
    }

    start(name: string, command: string, args: string[], cwd?: string): Program {
        const program = spawnTracked(name, command, args, { cwd });
        this.programs.push(program);
        return program;
    }

    async cleanup(): Promise<void> {
        const programs = this.programs.splice(0);
        await Promise.all(programs.map((p) => killAndWait(p)));
        for (const dir of this.dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function killAndWait(p: Program): Promise<void> {
    if (p.exited()) return;
    const gone = new Promise<void>((resolve) => p.child.once("close", () => resolve()));
    try { process.kill(p.pid, "SIGKILL"); } catch { /* already gone */ }
    await Promise.race([gone, sleep(3000)]);
    livePids.delete(p.pid);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(command, args, { timeout: 15000 }, (error, stdout, stderr) => {
            const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Minimal RESP client.

/** An error reply (`-ERR ...`, `-NOPERM ...`). */
export { RespError as ReplyError };
export type Reply = RespValue;

/**
 * Opens one connection, sends `commands` pipelined, returns one reply per command. A connection
 * closed by the server early (QUIT, a crash) ends the list early; a refused connection rejects.
 */
export function session(host: string, port: number, commands: string[][], timeoutMs = 5000): Promise<Reply[]> {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host, port });
        let buf = Buffer.alloc(0);
        const replies: Reply[] = [];
        let settled = false;
        const finish = (err?: Error) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            socket.destroy();
            if (err) reject(err);
            else resolve(replies);
        };
        const timer = setTimeout(() => finish(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms (got ${replies.length}/${commands.length})`)), timeoutMs);
        socket.on("connect", () => socket.write(Buffer.concat(commands.map(encodeCommand))));
        socket.on("data", (d: Buffer) => {
            buf = Buffer.concat([buf, d]);
            let pos = 0;
            for (;;) {
                const r = parseReply(buf, pos);
                if (!r) break;
                replies.push(r.value);
                pos = r.next;
            }
            buf = buf.subarray(pos);
            if (replies.length >= commands.length) finish();
        });
        socket.on("error", (e) => finish(replies.length > 0 ? undefined : e));
        socket.on("close", () => finish());
    });
}

/** AUTH (as `user`, or the default user when user is undefined) then one command; the command's reply. */
export async function command(host: string, port: number, login: { user?: string; password: string } | undefined, args: string[]): Promise<Reply> {
    const commands = login ? [login.user ? ["AUTH", login.user, login.password] : ["AUTH", login.password], args] : [args];
    const replies = await session(host, port, commands);
    if (login && replies[0] instanceof RespError) throw new Error(`AUTH ${login.user ?? "default"} failed at ${host}:${port}: ${replies[0].message}`);
    if (replies.length < commands.length) throw new Error(`connection to ${host}:${port} closed before ${args[0]} answered`);
    return replies[replies.length - 1];
}

/** CONFIG GET of one parameter, as a string. */
export async function configGet(host: string, port: number, login: { user?: string; password: string } | undefined, param: string): Promise<string> {
    const reply = await command(host, port, login, ["CONFIG", "GET", param]);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`CONFIG GET ${param}: unexpected reply ${String(reply)}`);
    return String(reply[1]);
}

/** Waits until `host:port` answers PING (after AUTH when login is given), failing fast if the program died. */
export async function waitForPing(program: Program, host: string, port: number, login: { user?: string; password: string } | undefined, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        if (program.exited()) throw new Error(`${program.name} exited before answering PING:\n${program.output()}`);
        try {
            const reply = await command(host, port, login, ["PING"]);
            if (reply === "PONG") return;
            last = String(reply);
        } catch (e) {
            last = (e as Error).message;
        }
        await sleep(25);
    }
    throw new Error(`${program.name} at ${host}:${port} did not answer PING within ${timeoutMs} ms (last: ${last})\n${program.output()}`);
}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await check()) return;
        await sleep(50);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** `field:value` lines of an INFO reply. */
export function infoField(info: Reply, field: string): string | undefined {
    const m = new RegExp(`^${field}:(.*)$`, "m").exec(String(info));
    return m ? m[1].trim() : undefined;
}

// ---------------------------------------------------------------------------------------------
// HAProxy tcp-check replay.

export type TcpCheckStep = { kind: "connect" } | { kind: "send"; data: string } | { kind: "expect"; text: string };

/** The tcp-check steps of backend `backend` in a haproxy.cfg, with HAProxy's escapes decoded. */
export function tcpCheckSteps(cfg: string, backend: string): TcpCheckStep[] {
    const lines = cfg.split("\n");
    const start = lines.findIndex((l) => l.trim() === `backend ${backend}`);
    if (start < 0) throw new Error(`no backend ${backend}`);
    const steps: TcpCheckStep[] = [];
    for (const raw of lines.slice(start + 1)) {
        const line = raw.trim();
        if (/^(backend|frontend|defaults|global|listen)\b/.test(line)) break;
        const m = /^tcp-check\s+(connect|send|expect)\s*(.*)$/.exec(line);
        if (!m) continue;
        if (m[1] === "connect") steps.push({ kind: "connect" });
        else if (m[1] === "send") steps.push({ kind: "send", data: unescapeHaproxy(m[2]) });
        else {
            const e = /^string\s+(.*)$/.exec(m[2]);
            if (!e) throw new Error(`unsupported tcp-check expect: ${line}`);
            steps.push({ kind: "expect", text: unescapeHaproxy(e[1]) });
        }
    }
    return steps;
}

function unescapeHaproxy(s: string): string {
    return s.replace(/\\(.)/g, (_, c: string) => (c === "r" ? "\r" : c === "n" ? "\n" : c === "t" ? "\t" : c));
}

/**
 * Runs tcp-check steps against host:port the way HAProxy does: true when every expect is met.
 * An expect fails as soon as a complete Redis reply has arrived without its text (HAProxy
 * itself would wait for `timeout check`), or when nothing more arrives for `idleMs`.
 */
export function runTcpCheck(steps: TcpCheckStep[], host: string, port: number, timeoutMs = 5000, idleMs = 2000): Promise<{ ok: boolean; detail: string }> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        let received = "";
        let closed = false;
        let i = 0;
        let settled = false;
        let waiting: ((more: boolean) => void) | undefined;
        const done = (ok: boolean, detail: string) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            socket.destroy();
            resolve({ ok, detail });
        };
        const timer = setTimeout(() => done(false, `timeout at step ${i} (received ${JSON.stringify(received)})`), timeoutMs);
        socket.on("data", (d: Buffer) => { received += d.toString(); waiting?.(true); });
        socket.on("close", () => { closed = true; waiting?.(false); });
        socket.on("error", (e) => done(false, `socket error: ${e.message}`));
        /** Resolves true when more data arrived, false when the connection closed or stayed idle. */
        const more = () => closed ? Promise.resolve(false) : new Promise<boolean>((r) => {
            const idle = setTimeout(() => r(false), idleMs);
            waiting = (m) => { clearTimeout(idle); waiting = undefined; r(m); };
        });
        // Every send is one Redis command with one reply; an expect looks at that reply only.
        const step = async () => {
            for (; i < steps.length; i++) {
                const s = steps[i];
                if (s.kind === "connect") continue;
                if (s.kind === "send") { received = ""; socket.write(s.data); continue; }
                for (;;) {
                    if (received.includes(s.text)) {
                        // Let the rest of the reply arrive, so the next send starts clean.
                        while (!completeReply(received) && await more());
                        break;
                    }
                    if (completeReply(received)) return done(false, `reply ${JSON.stringify(received)} does not contain ${JSON.stringify(s.text)}`);
                    if (!(await more()) && !received.includes(s.text)) {
                        return done(false, `${closed ? "connection closed" : `nothing more within ${idleMs} ms`} while expecting ${JSON.stringify(s.text)} (received ${JSON.stringify(received)})`);
                    }
                }
            }
            done(true, "all steps passed");
        };
        socket.on("connect", () => { void step(); });
    });
}

function completeReply(text: string): boolean {
    if (text === "") return false;
    try {
        return parseReply(Buffer.from(text), 0) !== undefined;
    } catch {
        return true; // not RESP at all: nothing more will make it match
    }
}

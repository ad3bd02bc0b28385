// A small persistent RESP connection for the reliability suite and the bench. Unlike a full
// client it never retries, never queues while disconnected and never resends: a command either
// gets its reply on this connection or fails, so a test knows exactly which writes were
// acknowledged. Works over TCP (plain or TLS) and over unix sockets (members inside network namespaces).
import * as net from "net";
import * as tls from "tls";

/** An error reply from the server (`-ERR ...`, `-MOVED ...`, `-NOREPLICAS ...`). */
export class RespError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RespError";
    }
}

export type RespValue = string | number | null | RespError | RespValue[];

/** A command as a RESP array of bulk strings. */
export function encodeCommand(args: (string | number)[]): Buffer {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
        const b = Buffer.from(String(a));
        parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
    }
    return Buffer.concat(parts);
}

/** Parses one reply at `pos`; undefined when the buffer does not hold all of it yet. */
export function parseReply(buf: Buffer, pos: number): { value: RespValue; next: number } | undefined {
    const eol = buf.indexOf("\r\n", pos);
    if (eol < 0) return undefined;
    const type = String.fromCharCode(buf[pos]);
    const line = buf.toString("utf8", pos + 1, eol);
    switch (type) {
        case "+": return { value: line, next: eol + 2 };
        case "-": return { value: new RespError(line), next: eol + 2 };
        case ":": return { value: Number(line), next: eol + 2 };
        case "$": {
            const len = Number(line);
            if (len < 0) return { value: null, next: eol + 2 };
            if (buf.length < eol + 2 + len + 2) return undefined;
            return { value: buf.toString("utf8", eol + 2, eol + 2 + len), next: eol + 4 + len };
        }
        case "*": {
            const n = Number(line);
            if (n < 0) return { value: null, next: eol + 2 };
            const items: RespValue[] = [];
            let next = eol + 2;
            for (let i = 0; i < n; i++) {
                const item = parseReply(buf, next);
                if (!item) return undefined;
                items.push(item.value);
                next = item.next;
            }
            return { value: items, next };
        }
        default: throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
    }
}

export interface RespTarget {
    host?: string;
    port?: number;
    /** A unix socket path instead of host/port. */
    path?: string;
    /** TLS to host/port, checking the server against `ca` (a deployment's caCertificate output). */
    tls?: { ca: string; cert?: string; key?: string };
}

export interface RespLogin {
    user?: string;
    password?: string;
}

/** One connection; `call` resolves with the reply or rejects (error replies reject as RespError). */
export class RespConnection {
    private socket: net.Socket;
    private buf: Buffer = Buffer.alloc(0);
    private pending: { resolve: (v: RespValue) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
    private closedWith: Error | undefined;
    readonly ready: Promise<void>;

    private constructor(readonly target: RespTarget, connectTimeoutMs: number) {
        this.socket = target.path ? net.connect({ path: target.path })
            : target.tls ? tls.connect({ host: target.host, port: target.port ?? 6379, ...target.tls })
            : net.connect({ host: target.host, port: target.port ?? 6379 });
        this.socket.setNoDelay(true);
        this.ready = new Promise((resolve, reject) => {
            const timer = setTimeout(() => this.fail(new Error(`connect to ${this.describe()} timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
            // Over TLS the connection is usable once the handshake is done, not at the TCP connect.
            this.socket.once(target.tls && !target.path ? "secureConnect" : "connect", () => { clearTimeout(timer); resolve(); });
            this.socket.once("close", () => { clearTimeout(timer); reject(this.closedWith ?? new Error(`connection to ${this.describe()} closed`)); });
        });
        this.ready.catch(() => undefined);
        this.socket.on("data", (d: Buffer) => this.onData(d));
        this.socket.on("error", (e) => this.fail(e));
        this.socket.on("close", () => this.fail(new Error(`connection to ${this.describe()} closed`)));
    }

    /** Connects (and authenticates when `login` has a password). */
    static async open(target: RespTarget, login: RespLogin = {}, connectTimeoutMs = 1000): Promise<RespConnection> {
        const c = new RespConnection(target, connectTimeoutMs);
        try {
            await c.ready;
            if (login.password !== undefined) {
                await c.call(login.user ? ["AUTH", login.user, login.password] : ["AUTH", login.password], connectTimeoutMs);
            }
        } catch (err) {
            c.close();
            throw err;
        }
        return c;
    }

    describe(): string {
        return this.target.path ?? `${this.target.host}:${this.target.port}`;
    }

    get closed(): boolean {
        return this.closedWith !== undefined;
    }

    call(args: (string | number)[], timeoutMs = 5000): Promise<RespValue> {
        if (this.closedWith) return Promise.reject(this.closedWith);
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => this.fail(new Error(`${args[0]} to ${this.describe()}: no reply within ${timeoutMs} ms`)), timeoutMs);
            this.pending.push({ resolve, reject, timer });
            this.socket.write(encodeCommand(args));
        });
    }

    close(): void {
        this.fail(new Error(`connection to ${this.describe()} closed by the client`));
    }

    private onData(d: Buffer): void {
        this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
        let pos = 0;
        for (;;) {
            let r: { value: RespValue; next: number } | undefined;
            try {
                r = parseReply(this.buf, pos);
            } catch (err) {
                this.fail(err as Error);
                return;
            }
            if (!r) break;
            pos = r.next;
            const p = this.pending.shift();
            if (!p) continue;
            clearTimeout(p.timer);
            if (r.value instanceof RespError) p.reject(r.value);
            else p.resolve(r.value);
        }
        this.buf = this.buf.subarray(pos);
    }

    private fail(err: Error): void {
        if (!this.closedWith) this.closedWith = err;
        for (const p of this.pending.splice(0)) {
            clearTimeout(p.timer);
            p.reject(this.closedWith);
        }
        this.socket.destroy();
    }
}

/** Opens, runs one command, closes. */
export async function respCall(target: RespTarget, login: RespLogin, args: (string | number)[], timeoutMs = 5000): Promise<RespValue> {
    const c = await RespConnection.open(target, login, Math.min(timeoutMs, 2000));
    try {
        return await c.call(args, timeoutMs);
    } finally {
        c.close();
    }
}

/** `field:value` lines of an INFO reply as a map. */
export function infoMap(reply: RespValue): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const line of String(reply).split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0 && !line.startsWith("#")) fields[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return fields;
}

/** CRC16 (XMODEM) of the key's hash tag, mod 16384: the cluster slot of a key. */
export function keySlot(key: string): number {
    let k = key;
    const open = key.indexOf("{");
    if (open >= 0) {
        const close = key.indexOf("}", open + 1);
        if (close > open + 1) k = key.slice(open + 1, close);
    }
    let crc = 0;
    for (const byte of Buffer.from(k)) {
        crc ^= byte << 8;
        for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc % 16384;
}

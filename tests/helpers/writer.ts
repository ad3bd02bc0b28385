// A writer for failure scenarios: loops of `SET key value` + `WAIT <replicas> <ms>`, each write
// recorded with when it was sent, when it finished, whether the server said OK and whether
// WAIT reported it replicated (an *acknowledged* write). Scenarios then ask: which acknowledged
// writes are missing afterwards, and how long did no write succeed.
import { performance } from "perf_hooks";
import { RespConnection, RespError, keySlot, type RespLogin, type RespTarget, type RespValue } from "./resp";

/**
 * Wall-clock milliseconds with sub-millisecond resolution. Writes and events (a kill, a cut) are
 * compared on this clock: with whole milliseconds, a write sent in the same millisecond as a
 * kill, just before it, looked as if it had been sent after it (and answered by a dead process).
 */
export const now = (): number => performance.timeOrigin + performance.now();

export interface WriteRecord {
    seq: number;
    key: string;
    value: string;
    sentAt: number;
    /** When SET was answered OK (0 if it was not). */
    okAt: number;
    /** When the write finished (after WAIT, or after the error). */
    doneAt: number;
    /** The server answered OK to SET. */
    ok: boolean;
    /** ... and WAIT reported at least `waitReplicas` replicas have it. */
    acked: boolean;
    replicas?: number;
    /** The endpoint (or socket) that answered. */
    endpoint?: string;
    error?: string;
    slot: number;
}

/** Where a key's writes go. */
export interface Router {
    connFor(key: string): Promise<RespConnection>;
    /** An error happened on `conn` (or while getting one): forget it and re-learn the routes. */
    failed(conn: RespConnection | undefined, err: Error): void;
    close(): void;
}

/** Every key to one endpoint (a master, or an HAProxy write frontend). Reconnects after an error. */
export class SingleRouter implements Router {
    private conn: Promise<RespConnection> | undefined;
    constructor(private readonly target: RespTarget, private readonly login: RespLogin) {}
    connFor(): Promise<RespConnection> {
        if (!this.conn) {
            const opening = RespConnection.open(this.target, this.login, 1000);
            this.conn = opening;
            opening.catch(() => { if (this.conn === opening) this.conn = undefined; });
        }
        return this.conn;
    }
    failed(conn: RespConnection | undefined): void {
        conn?.close();
        this.conn = undefined;
    }
    close(): void {
        void this.conn?.then((c) => c.close(), () => undefined);
        this.conn = undefined;
    }
}

/**
 * A cluster client reduced to what the scenarios need: a slot map from CLUSTER SLOTS, one
 * connection per node, MOVED followed at once, the map re-read after any error.
 */
export class ClusterRouter implements Router {
    private readonly owners = new Array<string | undefined>(16384).fill(undefined);
    private readonly conns = new Map<string, Promise<RespConnection>>();
    private refreshing: Promise<void> | undefined;
    private known: string[];

    constructor(seeds: string[], private readonly login: RespLogin) {
        this.known = [...seeds];
    }

    private target(endpoint: string): RespTarget {
        const i = endpoint.lastIndexOf(":");
        return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
    }

    private conn(endpoint: string): Promise<RespConnection> {
        let c = this.conns.get(endpoint);
        if (!c) {
            c = RespConnection.open(this.target(endpoint), this.login, 500);
            this.conns.set(endpoint, c);
            const opening = c;
            opening.catch(() => { if (this.conns.get(endpoint) === opening) this.conns.delete(endpoint); });
        }
        return c;
    }

    /** Re-reads the slot map from the first node that answers. */
    refresh(): Promise<void> {
        if (!this.refreshing) {
            this.refreshing = (async () => {
                for (const endpoint of [...this.known].sort(() => Math.random() - 0.5)) {
                    try {
                        const c = await this.conn(endpoint);
                        const reply = await c.call(["CLUSTER", "SLOTS"], 1000) as RespValue[];
                        for (const range of reply as RespValue[][]) {
                            const [start, end, master] = range as [number, number, RespValue[]];
                            const owner = `${master[0]}:${master[1]}`;
                            if (!this.known.includes(owner)) this.known.push(owner);
                            for (let s = start; s <= end; s++) this.owners[s] = owner;
                        }
                        return;
                    } catch {
                        // next node
                    }
                }
            })().finally(() => { this.refreshing = undefined; });
        }
        return this.refreshing;
    }

    async connFor(key: string): Promise<RespConnection> {
        const slot = keySlot(key);
        if (!this.owners[slot]) await this.refresh();
        const owner = this.owners[slot];
        if (!owner) throw new Error(`no node serves slot ${slot}`);
        return this.conn(owner);
    }

    failed(conn: RespConnection | undefined, err: Error): void {
        const moved = /^MOVED (\d+) (\S+)/.exec(err.message);
        if (moved) {
            this.owners[Number(moved[1])] = moved[2];
            if (!this.known.includes(moved[2])) this.known.push(moved[2]);
            return;
        }
        if (conn && !(err instanceof RespError)) {
            const endpoint = conn.describe();
            conn.close();
            this.conns.delete(endpoint);
        }
        void this.refresh();
    }

    /** The node serving `slot` according to the current map. */
    ownerOf(slot: number): string | undefined {
        return this.owners[slot];
    }

    close(): void {
        for (const c of this.conns.values()) void c.then((x) => x.close(), () => undefined);
        this.conns.clear();
    }
}

export interface WriterOptions {
    /** Key prefix; keys are `<prefix>:<seq>`. */
    prefix: string;
    /** Concurrent write loops (each its own sequence of SET + WAIT). */
    loops?: number;
    /** WAIT's numreplicas; 0 skips WAIT (acknowledged = OK). */
    waitReplicas?: number;
    waitTimeoutMs?: number;
    /** Pause after a failed write before the next try. */
    pauseMs?: number;
    /** Pause between successful writes (0: as fast as the server answers). */
    intervalMs?: number;
    /** Keys are chosen from these slots' hash tags only (cluster: aim at one shard); default all keys. */
    keyFilter?: (key: string) => boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class AckWriter {
    readonly records: WriteRecord[] = [];
    private running = false;
    private loops: Promise<void>[] = [];
    private seq = 0;

    constructor(private readonly router: Router, private readonly options: WriterOptions) {}

    start(): this {
        this.running = true;
        const n = this.options.loops ?? 2;
        for (let i = 0; i < n; i++) this.loops.push(this.loop());
        return this;
    }

    async stop(): Promise<void> {
        this.running = false;
        await Promise.all(this.loops);
        this.loops = [];
    }

    close(): void {
        this.router.close();
    }

    private nextKey(): { seq: number; key: string } {
        for (;;) {
            const seq = this.seq++;
            const key = `${this.options.prefix}:${seq}`;
            if (!this.options.keyFilter || this.options.keyFilter(key)) return { seq, key };
        }
    }

    private async loop(): Promise<void> {
        const waitReplicas = this.options.waitReplicas ?? 1;
        const waitTimeout = this.options.waitTimeoutMs ?? 1000;
        while (this.running) {
            const { seq, key } = this.nextKey();
            const value = `v${seq}-${Date.now()}`;
            const rec: WriteRecord = { seq, key, value, sentAt: now(), okAt: 0, doneAt: 0, ok: false, acked: false, slot: keySlot(key) };
            let conn: RespConnection | undefined;
            try {
                conn = await this.router.connFor(key);
                rec.sentAt = now();
                rec.endpoint = conn.describe();
                const reply = await conn.call(["SET", key, value], 2000);
                rec.ok = reply === "OK";
                if (rec.ok) rec.okAt = now();
                if (rec.ok && waitReplicas > 0) {
                    rec.replicas = Number(await conn.call(["WAIT", waitReplicas, waitTimeout], waitTimeout + 2000));
                    rec.acked = rec.replicas >= waitReplicas;
                } else {
                    rec.acked = rec.ok;
                }
            } catch (err) {
                rec.error = (err as Error).message;
                this.router.failed(conn, err as Error);
            }
            rec.doneAt = now();
            this.records.push(rec);
            if (!rec.ok) await sleep(this.options.pauseMs ?? 10);
            else if (this.options.intervalMs) await sleep(this.options.intervalMs);
        }
    }

    acked(): WriteRecord[] {
        return this.records.filter((r) => r.acked);
    }

    /**
     * When the first write sent after `t` was accepted (SET answered OK) or, with `acked`,
     * confirmed by WAIT; `filter` narrows it (e.g. to one shard's slots). Undefined if none yet.
     */
    firstAfter(t: number, how: "ok" | "acked", filter: (r: WriteRecord) => boolean = () => true): number | undefined {
        let first: number | undefined;
        for (const r of this.records) {
            if (r.sentAt <= t || !filter(r) || !(how === "ok" ? r.ok : r.acked)) continue;
            const at = how === "ok" ? r.okAt : r.doneAt;
            if (first === undefined || at < first) first = at;
        }
        return first;
    }

    /** Writes that were sent before `t` and were still unanswered or failed after it: in flight at a crash. */
    errorsBetween(from: number, to: number): number {
        return this.records.filter((r) => r.sentAt >= from && r.sentAt <= to && !r.ok).length;
    }
}

/** Reads back every acknowledged write: the ones whose value is missing or different are lost. */
export async function lostWrites(records: WriteRecord[], read: (keys: string[]) => Promise<(string | null)[]>): Promise<WriteRecord[]> {
    const acked = records.filter((r) => r.acked);
    // Later writes of a key win; keys are unique per writer, so this is one record per key.
    const lost: WriteRecord[] = [];
    for (let i = 0; i < acked.length; i += 500) {
        const batch = acked.slice(i, i + 500);
        const values = await read(batch.map((r) => r.key));
        batch.forEach((r, j) => { if (values[j] !== r.value) lost.push(r); });
    }
    return lost;
}

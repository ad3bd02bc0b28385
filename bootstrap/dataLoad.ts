// The data a new deployment starts with: a backup set restored shard by shard, or foreign RDB
// files imported with every key sent to the shard that owns its slot. Runs once, when the
// deployment is created (after its bootstrap), on the machine running `pulumi up`: each RDB is
// downloaded with rclone, opened by a temporary redis-server bound to 127.0.0.1, and copied key
// by key with DUMP/PTTL -> RESTORE through the deployment's access path. Keys that exist already
// are kept (RESTORE without REPLACE) and counted as duplicates: with several import files, the
// first file that has a key wins. Serialized into a dynamic resource (docs/architecture.md).
import * as pulumi from "@pulumi/pulumi";
import type { Redis } from "ioredis";
import { childLocation, restoreLayoutProblem, storeUri, type StoreLocation } from "../components/backup";
import { ADMIN_USER, type BootstrapAccess, type Mode } from "../components/types";
import { withAccessSession } from "./access";
import { download, readManifest } from "./backupStore";
import { openClient, waitFor, type NodeAddress } from "./redisClient";

export type DataSource =
    | { kind: "none" }
    | { kind: "restore"; set: StoreLocation; endpoint?: string }
    | { kind: "import"; files: StoreLocation[]; endpoint?: string };

export interface DataLoadInputs {
    mode: Mode;
    members: (NodeAddress & { name: string; shard: number; role: string })[];
    shards: { index: number; slots?: { start: number; end: number } }[];
    adminPassword: string;
    access: BootstrapAccess;
    source: DataSource;
    /** redis-server on this machine, for the temporary servers that read the RDB files. */
    redisServer: string;
}

/** Keys loaded from one file. */
export interface LoadedFile {
    uri: string;
    keys: number;
    /** Keys the deployment had already (from an earlier file): kept, this file's copy skipped. */
    duplicates: number;
}

/** CRC16 (XMODEM) of Redis Cluster's key hashing. */
export function crc16(data: Buffer): number {
    let crc = 0;
    for (const byte of data) {
        crc ^= byte << 8;
        for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

/** The cluster slot of a key, with hash tags (`{user1}.name`). */
export function keySlot(key: Buffer): number {
    const open = key.indexOf(0x7b);
    if (open >= 0) {
        const close = key.indexOf(0x7d, open + 1);
        if (close > open + 1) return crc16(key.subarray(open + 1, close)) % 16384;
    }
    return crc16(key) % 16384;
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
    const net = require("net") as typeof import("net");
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as { port: number }).port;
            server.close(() => resolve(port));
        });
    });
}

/** Runs `fn` with a client of a temporary redis-server that has loaded `rdbFile` (stopped and killed afterwards). */
async function withRdbServer<T>(redisServer: string, rdbFile: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    const path = require("path") as typeof import("path");
    const { spawn } = require("child_process") as typeof import("child_process");
    const { Redis: RedisClient } = require("ioredis") as typeof import("ioredis");
    const port = await freePort();
    const child = spawn(redisServer, [
        "--port", String(port), "--bind", "127.0.0.1", "--dir", path.dirname(rdbFile), "--dbfilename", path.basename(rdbFile),
        "--appendonly", "no", "--save", "", "--protected-mode", "no", "--daemonize", "no", "--logfile", "",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
    const client = new RedisClient({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    client.on("error", () => { /* the failing command reports it */ });
    try {
        await waitFor(`a temporary redis-server to load ${path.basename(rdbFile)}`, 600000, async () => {
            if (child.exitCode !== null) throw Object.assign(new Error(`redis-server exited: ${stderr.trim().split("\n").slice(-2).join(" | ")}`), { fatal: true });
            if (client.status !== "ready") {
                client.disconnect();
                await client.connect();
            }
            return (await client.ping()) === "PONG" ? true : undefined;
        }, 100);
        return await fn(client);
    } finally {
        client.disconnect();
        child.kill("SIGKILL");
    }
}

/** Where a key goes: one master (non-cluster), or the master owning its slot. */
interface Destinations {
    forKey(key: Buffer): Redis;
    all(): Redis[];
    close(): void;
}

async function destinations(inputs: DataLoadInputs, onlyShard?: number): Promise<Destinations> {
    const login = { user: ADMIN_USER, password: inputs.adminPassword };
    const open = (m: NodeAddress) => openClient(inputs.access, m, login);
    const members = inputs.members.filter((m) => onlyShard === undefined || m.shard === onlyShard);
    const masters: { member: NodeAddress & { shard: number }; client: Redis }[] = [];
    for (const m of members) {
        const client = await open(m);
        const role = (await client.call("ROLE")) as [string];
        if (role[0] === "master") masters.push({ member: m, client });
        else client.disconnect();
    }
    const clients = masters.map((m) => m.client);
    const close = () => clients.forEach((c) => c.disconnect());
    if (inputs.mode !== "cluster" || onlyShard !== undefined) {
        if (masters.length !== 1) {
            close();
            throw new Error(`expected one master${onlyShard !== undefined ? ` in shard ${onlyShard}` : ""}, found ${masters.length}`);
        }
        return { forKey: () => clients[0], all: () => clients, close };
    }
    // Slot -> master, from the live cluster's own map.
    const bySlot: Redis[] = new Array(16384);
    const slots = (await clients[0].call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
    for (const [start, end, [host, port]] of slots) {
        const owner = masters.find((m) => m.member.address === host && m.member.port === Number(port))
            ?? masters.find((m) => inputs.members.some((x) => x.shard === m.member.shard && x.address === host && x.port === Number(port)));
        if (!owner) {
            close();
            throw new Error(`slots ${start}-${end} are served by ${host}:${port}, which is not a master of this deployment`);
        }
        for (let s = start; s <= end; s++) bySlot[s] = owner.client;
    }
    return {
        forKey: (key) => {
            const c = bySlot[keySlot(key)];
            if (!c) throw new Error(`no master serves slot ${keySlot(key)}`);
            return c;
        },
        all: () => clients,
        close,
    };
}

/** Copies every key of the RDB server to its destination; returns keys restored and duplicates. */
async function copyKeys(source: Redis, dest: Destinations): Promise<{ keys: number; duplicates: number }> {
    let cursor = "0";
    let keys = 0;
    let duplicates = 0;
    do {
        const [next, batch] = await source.scanBuffer(cursor, "COUNT", 1000);
        cursor = String(next);
        if (batch.length === 0) continue;
        const read = source.pipeline();
        for (const key of batch) read.dumpBuffer(key).pttl(key);
        const replies = (await read.exec()) ?? [];
        const writes = new Map<Redis, ReturnType<Redis["pipeline"]>>();
        batch.forEach((key, i) => {
            const payload = replies[2 * i][1] as Buffer | null;
            const ttl = Number(replies[2 * i + 1][1]);
            if (payload === null || ttl === -2) return; // expired or gone since the scan
            const client = dest.forKey(key);
            if (!writes.has(client)) writes.set(client, client.pipeline());
            writes.get(client)!.restore(key, ttl > 0 ? ttl : 0, payload);
        });
        for (const pipeline of writes.values()) {
            for (const [err] of (await pipeline.exec()) ?? []) {
                if (!err) keys++;
                else if (/BUSYKEY/.test(err.message)) duplicates++;
                else throw new Error(`RESTORE failed: ${err.message}`);
            }
        }
    } while (cursor !== "0");
    return { keys, duplicates };
}

/** Fails when the deployment holds any key: restore and import only fill a new, empty deployment. */
async function requireEmpty(dest: Destinations, what: string): Promise<void> {
    let total = 0;
    for (const c of dest.all()) total += Number(await c.dbsize());
    if (total > 0) throw new Error(`${what}: the deployment already holds ${total} keys; a restore or import only fills a new, empty deployment (it never overwrites live data)`);
}

export async function loadData(inputs: DataLoadInputs): Promise<LoadedFile[]> {
    const { source } = inputs;
    if (source.kind === "none") return [];
    const fs = require("fs") as typeof import("fs");
    const os = require("os") as typeof import("os");
    const path = require("path") as typeof import("path");
    const crypto = require("crypto") as typeof import("crypto");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "rd-data-load-"));
    const loaded: LoadedFile[] = [];
    try {
        if (source.kind === "restore") {
            const manifest = await readManifest(source.set, source.endpoint);
            const problem = restoreLayoutProblem(manifest, inputs.mode, inputs.shards.map((s) => s.slots));
            if (problem) throw new Error(`backup.from ${storeUri(source.set)}: ${problem}`);
            for (const part of [...manifest.parts].sort((a, b) => a.shard - b.shard)) {
                const file = path.join(work, part.file);
                const loc = childLocation(source.set, part.file);
                await download(loc, source.endpoint, file);
                const sum = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
                if (sum !== part.sha256) throw new Error(`${storeUri(loc)}: SHA-256 ${sum} does not match the manifest's ${part.sha256}`);
                const dest = await destinations(inputs, inputs.mode === "cluster" ? part.shard : undefined);
                try {
                    await requireEmpty(dest, `restore of shard ${part.shard}`);
                    const counts = await withRdbServer(inputs.redisServer, file, (client) => copyKeys(client, dest));
                    loaded.push({ uri: storeUri(loc), ...counts });
                } finally {
                    dest.close();
                }
                fs.rmSync(file, { force: true });
            }
            return loaded;
        }
        const dest = await destinations(inputs);
        try {
            await requireEmpty(dest, "import");
            for (const [i, loc] of source.files.entries()) {
                const file = path.join(work, `import-${i}.rdb`);
                await download(loc, source.endpoint, file);
                const counts = await withRdbServer(inputs.redisServer, file, (client) => copyKeys(client, dest));
                loaded.push({ uri: storeUri(loc), ...counts });
                fs.rmSync(file, { force: true });
            }
        } finally {
            dest.close();
        }
        return loaded;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/**
 * Restore and import happen once, at creation. A changed source on an existing deployment is
 * refused at preview (diff), so a later `up` never loads data over live data; dropping the
 * source after the load is allowed and changes nothing.
 */
export const dataLoadProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: DataLoadInputs, news: DataLoadInputs) {
        const before = JSON.stringify(olds.source ?? { kind: "none" });
        const after = JSON.stringify(news.source);
        if (before !== after && news.source.kind !== "none") {
            const field = news.source.kind === "restore" ? "backup.from" : "import";
            throw new Error(`${field} is set on an existing deployment: a restore or import happens only when the deployment is created, never over live data. Remove ${field} (or create a new deployment and load it there).`);
        }
        return { changes: false };
    },
    async create(inputs: DataLoadInputs) {
        const { randomBytes } = require("crypto") as typeof import("crypto");
        const loaded = await withAccessSession(inputs.access, (access) => loadData({ ...inputs, access }));
        return { id: randomBytes(8).toString("hex"), outs: { ...inputs, loaded } };
    },
    async update(_id: string, olds: DataLoadInputs & { loaded?: LoadedFile[] }, news: DataLoadInputs) {
        return { outs: { ...news, loaded: olds.loaded ?? [] } };
    },
    async delete() {
        // The data goes with the members.
    },
};

export type DataLoadArgs = { [K in keyof DataLoadInputs]: pulumi.Input<DataLoadInputs[K]> };

/** Loads a backup set or RDB files into a new deployment, once (see dataLoadProvider). */
export class DataLoad extends pulumi.dynamic.Resource {
    /** Keys loaded per file. */
    declare readonly loaded: pulumi.Output<LoadedFile[]>;
    constructor(name: string, args: DataLoadArgs, opts?: pulumi.CustomResourceOptions) {
        super(dataLoadProvider, name, { ...args, loaded: undefined }, { ...opts, additionalSecretOutputs: ["adminPassword", "access"] }, "redis-deployment", "DataLoad");
    }
}

// Backups of a TLS deployment through the real engine on the local provider, driven through the
// CLI's own functions: a replication 1+1 with TLS and tls.clientAuth "required" backs up to an
// S3-compatible store (gofakes3 from .tools, started here) with `backup`; a new TLS deployment
// restored from the set with --restore-from has the same keys and values.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { Redis } from "ioredis";
import { backup, backups } from "../../bin/cli";
import { spawnTracked, type Program } from "../helpers/realPrograms";
import { cleanupAfterSuite, E2eDeployment, hostPort, secretValue, timed } from "./harness";

const GOFAKES3 = path.resolve(__dirname, "../../.tools/gofakes3/bin/gofakes3");
const KEYS = 2000;

async function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

async function listening(program: Program, port: number): Promise<void> {
    const deadline = Date.now() + 30000;
    for (;;) {
        if (program.exited()) throw new Error(`gofakes3 exited: ${program.output().slice(-500)}`);
        const open = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, "127.0.0.1", () => { socket.end(); resolve(true); });
            socket.on("error", () => resolve(false));
        });
        if (open) return;
        if (Date.now() > deadline) throw new Error(`gofakes3 does not listen on ${port}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/**
 * A client as an application of a clientAuth "required" deployment makes one: the caCertificate
 * output and a certificate issued by the deployment's CA (here a member's, which has client
 * usage; an application would have one issued from tls.ca + tls.caKey).
 */
function tlsClient(d: E2eDeployment, endpoint: string, password: string, ca: string): Redis {
    const dir = path.join(d.dataDir, "redis-s0-m0", "tls");
    const c = new Redis({
        ...hostPort(endpoint), password, maxRetriesPerRequest: 1,
        tls: { ca, cert: fs.readFileSync(path.join(dir, "node.crt"), "utf8"), key: fs.readFileSync(path.join(dir, "node.key"), "utf8") },
    });
    c.on("error", () => undefined);
    return c;
}

describe("e2e: backup and restore of a TLS deployment (clientAuth required) through an S3 store", function () {
    this.timeout(300000);
    const source = new E2eDeployment("127.136");
    const restored = new E2eDeployment("127.137");
    let store: Program | undefined;
    const savedEnv = { ...process.env };
    cleanupAfterSuite(source, "(none)");
    cleanupAfterSuite(restored, "backup tls");
    after(() => {
        if (store) try { process.kill(store.pid, "SIGKILL"); } catch { /* gone */ }
        process.env = savedEnv;
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") console.error(`    --- engine log (tail) ---\n${source.logTail()}\n${restored.logTail()}`);
    });

    it("backup writes a set of the TLS deployment to the store; a new TLS deployment restored from it has every key", async () => {
        if (!fs.existsSync(GOFAKES3)) throw new Error(`${GOFAKES3} is missing: run bin/setup-object-stores`);
        const port = await freePort();
        store = spawnTracked("gofakes3", GOFAKES3, ["-backend", "memory", "-host", `127.0.0.1:${port}`, "-initialbucket", "redis-backups"]);
        await listening(store, port);
        // rclone's credentials for the store, read from the environment by the job and by the restore (in the engine).
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1", AWS_CA_BUNDLE: "" });
        const storeFlags = { backupTarget: "s3://redis-backups/tls", backupEndpoint: `http://127.0.0.1:${port}` };
        const tls = { tls: "on", tlsClientAuth: "required" };

        const up = await timed("backup tls: replication 1+1 up", () => source.up({ mode: "replication", replicasPerShard: "1", ...tls, ...storeFlags }));
        const ca = String(up.outputs.caCertificate.value);
        const writer = tlsClient(source, String(up.outputs.endpoint.value), secretValue(up.outputs, "password"), ca);
        try {
            for (let i = 0; i < KEYS; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => writer.set(`t:${i + j}`, `value-${i + j}`)));
            await writer.call("WAIT", "1", "5000");
        } finally {
            writer.disconnect();
        }
        const result = await timed("backup tls: backup", () => backup({ stack: source.stack, stateDir: source.stateDir, io: source.io }));
        assert.match(result.uri, /^s3:\/\/redis-backups\/tls\/redis-\d{8}T\d{6}Z$/);
        const listed = await backups({ stack: source.stack, stateDir: source.stateDir, io: source.io });
        assert.deepEqual(listed.map((s) => [s.uri, s.keys, s.complete]), [[result.uri, KEYS, true]]);
        await timed("backup tls: destroy the source", () => source.destroy());

        const back = await timed("backup tls: restored replication 1+1 up", () => restored.up({ mode: "replication", replicasPerShard: "1", ...tls, ...storeFlags, restoreFrom: result.uri }));
        const reader = tlsClient(restored, String(back.outputs.endpoint.value), secretValue(back.outputs, "password"), String(back.outputs.caCertificate.value));
        try {
            assert.equal(await reader.dbsize(), KEYS);
            const wrong: string[] = [];
            for (let i = 0; i < KEYS; i += 500) {
                const values = await reader.mget(...Array.from({ length: 500 }, (_, j) => `t:${i + j}`));
                values.forEach((v, j) => { if (v !== `value-${i + j}`) wrong.push(`t:${i + j}`); });
            }
            assert.deepEqual(wrong, [], "every key is back with its value");
        } finally {
            reader.disconnect();
        }
    });
});

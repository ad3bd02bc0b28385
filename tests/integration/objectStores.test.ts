// The backup job (the same rendered script the VMs' timers and the Kubernetes CronJob run)
// against real object-store servers started here: an S3-compatible server (gofakes3), Azurite
// (Azure Blob) and fake-gcs-server (GCS), all installed by bin/setup-object-stores into .tools/.
// For each: a replication deployment's backup set is uploaded (RDB from the in-sync replica,
// checked, with its SHA-256 and manifest), listed, and restored into a new, empty member whose
// keys then match; a second run with retention { count: 1 } deletes the older set.
import assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupSetName, parseStoreUri, type StoreLocation } from "../../components/backup";
import { backupJobEnvironment, backupShards, renderBackupScript } from "../../components/config/backupScript";
import { listBackupSets, runBackupJob } from "../../bootstrap/backupStore";
import { loadData } from "../../bootstrap/dataLoad";
import { withClient } from "../../bootstrap/redisClient";
import { Fleet } from "../helpers/fleet";
import { spawnTracked, type Program } from "../helpers/realPrograms";

const ROOT = path.resolve(__dirname, "../..");
const TOOLS = path.join(ROOT, ".tools");
/** Azurite's well-known development account. */
const AZURITE_ACCOUNT = "devstoreaccount1";
/** Azurite's well-known development key (public, documented by Microsoft). */
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * An account SAS URL for Azurite: rclone 1.60 (Debian 12) builds https://<account>.<endpoint>
 * from an account key and its emulator switch points at a malformed URL, but it uses a SAS URL as
 * given. (On Azure VMs the job uses the managed identity instead: no SAS, no key.)
 */
function accountSasUrl(base: string): string {
    const version = "2019-12-12";
    const expiry = new Date(Date.now() + 3600000).toISOString().replace(/\.\d+Z$/, "Z");
    const fields = { sp: "rwdlac", ss: "b", srt: "sco", se: expiry, spr: "https,http", sv: version };
    const toSign = [AZURITE_ACCOUNT, fields.sp, fields.ss, fields.srt, "", fields.se, "", fields.spr, fields.sv, ""].join("\n");
    const sig = crypto.createHmac("sha256", Buffer.from(AZURITE_KEY, "base64")).update(toSign, "utf8").digest("base64");
    return `${base}?${new URLSearchParams({ ...fields, sig }).toString()}`;
}
const KEYS = 2000;

async function freePort(): Promise<number> {
    const net = await import("net");
    return new Promise((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (s.address() as { port: number }).port;
            s.close(() => resolve(port));
        });
    });
}

async function waitForPort(program: Program, port: number): Promise<void> {
    const net = await import("net");
    const deadline = Date.now() + 30000;
    for (;;) {
        if (program.exited()) throw new Error(`${program.name} exited: ${program.output().slice(-500)}`);
        const open = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, "127.0.0.1", () => { socket.end(); resolve(true); });
            socket.on("error", () => resolve(false));
        });
        if (open) return;
        if (Date.now() > deadline) throw new Error(`${program.name} does not listen on ${port}: ${program.output().slice(-500)}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** One store under test: how to start it, the target URI, its endpoint and the credentials the environment gives rclone. */
interface Store {
    name: string;
    start(dir: string): Promise<{ program: Program; target: string; endpoint: string; env: Record<string, string> }>;
}

const STORES: Store[] = [
    {
        name: "S3 (gofakes3)",
        async start(dir) {
            const port = await freePort();
            const program = spawnTracked("gofakes3", path.join(TOOLS, "gofakes3/bin/gofakes3"),
                ["-backend", "memory", "-host", `127.0.0.1:${port}`, "-initialbucket", "redis-backups"]);
            await waitForPort(program, port);
            // AWS_CA_BUNDLE (set on some machines for the real AWS) makes rclone's SDK refuse its own HTTP transport.
            return { program, target: "s3://redis-backups/team-a", endpoint: `http://127.0.0.1:${port}`, env: { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1", AWS_CA_BUNDLE: "" } };
        },
    },
    {
        name: "Azure Blob (Azurite)",
        async start(dir) {
            const port = await freePort();
            const program = spawnTracked("azurite", process.execPath, [
                path.join(TOOLS, "azurite/node_modules/azurite/dist/src/blob/main.js"),
                "--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", dir, "--silent", "--skipApiVersionCheck", "--loose",
            ]);
            await waitForPort(program, port);
            return { program, target: `azblob://${AZURITE_ACCOUNT}/redis-backups/team-a`, endpoint: "", env: { RCLONE_AZUREBLOB_SAS_URL: accountSasUrl(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`) } };
        },
    },
    {
        name: "GCS (fake-gcs-server)",
        async start(dir) {
            const port = await freePort();
            fs.mkdirSync(path.join(dir, "redis-backups"), { recursive: true });
            const program = spawnTracked("fake-gcs-server", path.join(TOOLS, "fake-gcs-server/bin/fake-gcs-server"), [
                "-scheme", "http", "-host", "127.0.0.1", "-port", String(port), "-backend", "memory", "-data", dir,
                "-public-host", `127.0.0.1:${port}`, "-log-level", "error",
            ]);
            await waitForPort(program, port);
            return { program, target: "gs://redis-backups/team-a", endpoint: `http://127.0.0.1:${port}/storage/v1/`, env: { RCLONE_GCS_ANONYMOUS: "true" } };
        },
    },
];

describe("integration: the backup job uploads to and restores from real object stores", function () {
    this.timeout(180000);
    const source = new Fleet("bk", { mode: "replication", replicasPerShard: 1 });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "rd-object-stores-"));
    const programs: Program[] = [];
    const savedEnv = { ...process.env };

    before(async function () {
        const missing = ["gofakes3/bin/gofakes3", "fake-gcs-server/bin/fake-gcs-server", "azurite/node_modules/azurite/dist/src/blob/main.js"].filter((f) => !fs.existsSync(path.join(TOOLS, f)));
        if (missing.length > 0) throw new Error(`object-store servers are missing (${missing.join(", ")}): run bin/setup-object-stores`);
        await source.startMembers();
        await source.replicateWithKeys(KEYS);
    });
    after(async () => {
        process.env = savedEnv;
        for (const p of programs) try { process.kill(p.pid, "SIGKILL"); } catch { /* gone */ }
        await source.cleanup();
        fs.rmSync(work, { recursive: true, force: true });
    });

    for (const store of STORES) {
        it(`${store.name}: uploads a checked backup set with its manifest, lists it, restores it into a new member, and retention deletes the older set`, async () => {
            const dir = fs.mkdtempSync(path.join(work, "store-"));
            const { program, target, endpoint, env } = await store.start(dir);
            programs.push(program);
            Object.assign(process.env, env); // the restore side (this process) uses the same credentials
            const loc = parseStoreUri(target) as StoreLocation;
            const jobEnv = (count: number) => ({
                ...backupJobEnvironment({
                    deployment: "bk", mode: "replication", target: loc, endpoint, retention: { count },
                    shards: backupShards(source.plan.shards, (m) => source.members.find((x) => x.name === m.name)!), passwordFile: "-",
                }),
                ...env,
            });

            const first = await runBackupJob(renderBackupScript(), { ...jobEnv(5), RD_SET: backupSetName("bk", new Date(Date.now() - 60000)) }, source.credentials.adminPassword);
            assert.match(first, new RegExp(`^${target.replace(/[/.]/g, "\\$&")}/bk-\\d{8}T\\d{6}Z$`));
            const listed = await listBackupSets(loc, endpoint, "bk");
            assert.equal(listed.length, 1);
            assert.equal(listed[0].keys, KEYS);
            assert.ok(listed[0].complete && listed[0].bytes > 0);

            // A new, empty deployment of one member restored from the set.
            const dest = new Fleet("rs", { mode: "standalone" });
            try {
                await dest.startMembers();
                const loaded = await loadData({
                    mode: "standalone", members: dest.bootstrapMembers(), shards: [{ index: 0 }], adminPassword: dest.credentials.adminPassword,
                    access: { kind: "direct" }, source: { kind: "restore", set: parseStoreUri(first) as StoreLocation, endpoint }, redisServer: "redis-server",
                });
                assert.deepEqual(loaded.map((l) => [l.keys, l.duplicates]), [[KEYS, 0]]);
                await withClient({ kind: "direct" }, dest.members[0], dest.adminLogin, async (c) => {
                    assert.equal(await c.dbsize(), KEYS);
                    assert.deepEqual(await c.mget("k:0", "k:1999"), ["v-0", "v-1999"]);
                });
            } finally {
                await dest.cleanup();
            }

            // A second set with retention { count: 1 }: the first set is deleted by the job itself.
            const second = await runBackupJob(renderBackupScript(), { ...jobEnv(1), RD_SET: backupSetName("bk", new Date()) }, source.credentials.adminPassword);
            assert.deepEqual((await listBackupSets(loc, endpoint, "bk")).map((s) => s.uri), [second]);
            process.kill(program.pid, "SIGKILL");
        });
    }
});

// Backups' pure core: the `backup` and `import` arguments (one problem per bad field, naming it),
// object-store URIs and rclone remotes, cron -> systemd calendar, retention, the restore layout
// check, and the backup job script (bash -n and shellcheck on the rendered text).
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    backupSetName, backupSetTime, cronProblem, cronToOnCalendar, expiredSets, parseStoreUri, rcloneRemote, restoreLayoutProblem,
    type BackupManifest,
} from "../../components/backup";
import { backupJobEnvironment, backupTlsVariables, renderBackupScript, renderEnvironmentFile } from "../../components/config/backupScript";
import type { RedisDeploymentArgs } from "../../components/args";
import { validateArgs } from "../../components/validate";
import { dataLoadProvider, keySlot, type DataLoadInputs } from "../../bootstrap/dataLoad";
import { argumentProblems } from "../helpers/argumentProblems";

const problems = (args: RedisDeploymentArgs) => argumentProblems(args);

describe("backup arguments", () => {
    it("accepts every scheme and fills in the seed's defaults (daily at 20:00 UTC, 7 days)", () => {
        const r = validateArgs("cache", { backup: { target: "file:///var/backups/redis" } });
        assert.deepEqual(r.backup, { target: { scheme: "file", bucket: "", path: "/var/backups/redis" }, schedule: "0 20 * * *", retention: { days: 7 } });
        assert.equal(validateArgs("cache", { provider: "aws", zones: ["us-east-1a"], maxmemory: "1gb", aws: { subnetIds: ["subnet-1"] } as never, backup: { target: "s3://my-bucket/redis" } }).backup?.target?.bucket, "my-bucket");
        for (const target of ["gs://my_bucket/p", "azblob://myaccount/backups/p"]) assert.doesNotThrow(() => validateArgs("cache", { backup: { target } }));
    });

    it("reports one problem per bad field, each naming the field", () => {
        const found = problems({
            backup: { target: "ftp://host/x", schedule: "0 25 * * *", retention: { days: 0, count: -1 }, from: "s3://Bad_Bucket/set" },
        });
        assert.deepEqual(found.map((p) => p.field), ["backup.target", "backup.schedule", "backup.retention.days", "backup.retention.count", "backup.from"]);
        assert.match(found[0].message, /"ftp:\/\/" is not a known scheme; use one of s3:\/\/, gs:\/\/, azblob:\/\/, file:\/\//);
        assert.match(found[1].message, /hour "25" is outside 0-23/);
        assert.match(found[2].message, /must be at least 1, got 0/);
        assert.match(found[4].message, /"Bad_Bucket" is not a valid bucket name: an S3 bucket name is 3-63 characters/);
    });

    it("checks bucket names by the rules of their store", () => {
        assert.match(String(parseStoreUri("s3://ab/x")), /not a valid bucket name/);
        assert.match(String(parseStoreUri("s3://192.168.1.1/x")), /not a valid bucket name/);
        assert.equal(typeof parseStoreUri("gs://my.bucket_1/x"), "object");
        assert.match(String(parseStoreUri("gs://goog-x/x")), /not starting with "goog"/);
        assert.match(String(parseStoreUri("azblob://My-Account/c/p")), /not a valid Azure storage account name/);
        assert.match(String(parseStoreUri("azblob://acct/bad--name/p")), /Azure container name/);
        assert.match(String(parseStoreUri("file://relative/path")), /absolute path/);
    });

    it("takes backups of a TLS deployment, also where every client must present a certificate", () => {
        assert.deepEqual(problems({ tls: { enabled: true, clientAuth: "required" }, backup: { target: "file:///b" } }), []);
        assert.equal(validateArgs("cache", { tls: { enabled: true }, backup: { target: "file:///b" } }).backup?.target?.path, "/b");
    });

    it("needs a bucket on a cloud, refuses file:// there, and refuses from together with import", () => {
        const cloud = { provider: "gcp", zones: ["europe-west1-b"], maxmemory: "1gb", gcp: { project: "p", region: "europe-west1", network: "n", subnetwork: "s" } } as unknown as RedisDeploymentArgs;
        assert.deepEqual(problems({ ...cloud, backup: {} }).filter((p) => p.field.startsWith("backup")).map((p) => p.field), ["backup.target"]);
        assert.match(problems({ ...cloud, backup: { target: "file:///x" } }).find((p) => p.field === "backup.target")!.message, /only for the local provider/);
        assert.deepEqual(problems({ backup: { from: "file:///b/set" }, import: { rdb: ["file:///x.rdb"] } }).map((p) => p.field), ["import"]);
        assert.deepEqual(problems({ import: { rdb: [] } }).map((p) => p.field), ["import.rdb"]);
        assert.deepEqual(problems({ backup: { target: "file:///b", retentoin: { days: 1 } } as never }).map((p) => [p.field, p.message]), [["backup.retentoin", 'unknown field; did you mean "retention"?']]);
    });
});

describe("cron schedules", () => {
    it("rejects what does not parse, with the reason", () => {
        assert.match(cronProblem("daily")!, /has 1 fields; cron needs 5/);
        assert.match(cronProblem("*/0 * * * *")!, /never fires/);
        assert.match(cronProblem("0 20 1 * 1")!, /restrict only one/);
        assert.match(cronProblem("0 20 * * MON")!, /names like MON are not supported/);
        assert.equal(cronProblem("0 20 * * *"), undefined);
    });

    it("becomes the systemd calendar that fires at the same times (checked by systemd-analyze)", () => {
        const cases: [string, string][] = [
            ["0 20 * * *", "*-*-* 20:00:00 UTC"],
            ["*/15 2-4 * * 1-5", "Mon..Fri *-*-* 02..04:00/15:00 UTC"],
            ["30 3 1,15 * *", "*-*-01,15 03:30:00 UTC"],
        ];
        for (const [cron, calendar] of cases) {
            assert.equal(cronToOnCalendar(cron), calendar);
            const r = spawnSync("systemd-analyze", ["calendar", calendar], { encoding: "utf8" });
            assert.equal(r.status, 0, `${calendar}: ${r.stderr}`);
        }
    });
});

describe("backup sets", () => {
    it("are named by deployment and UTC time, and retention keeps the newest", () => {
        const name = backupSetName("cache", new Date("2026-12-04T20:00:05.123Z"));
        assert.equal(name, "cache-20261204T200005Z");
        assert.equal(backupSetTime("cache", name)?.toISOString(), "2026-12-04T20:00:05.000Z");
        assert.equal(backupSetTime("cache-eu", name), undefined);
        const names = ["cache-20261201T200000Z", "cache-20261202T200000Z", "cache-20261203T200000Z", "cache-20261204T200000Z", "other-20261101T000000Z"];
        const now = new Date("2026-12-04T21:00:00Z");
        assert.deepEqual(expiredSets(names, "cache", { count: 2 }, now), ["cache-20261202T200000Z", "cache-20261201T200000Z"]);
        assert.deepEqual(expiredSets(names, "cache", { days: 2 }, now), ["cache-20261202T200000Z", "cache-20261201T200000Z"], "older than 48 hours");
        assert.deepEqual(expiredSets(["cache-20200101T000000Z"], "cache", { days: 1 }, now), [], "the newest set always stays");
    });

    it("restore only into the same shard count and slot layout, else says to import", () => {
        const part = (shard: number, slots?: string) => ({ shard, file: `shard-${shard}.rdb`, bytes: 1, sha256: "x", keys: 1, node: "n", role: "slave", redisVersion: "7.0.15", ...(slots ? { slots } : {}) });
        const manifest: BackupManifest = { deployment: "c", mode: "cluster", shards: 3, createdAt: "", parts: [part(0, "0-5460"), part(1, "5461-10922"), part(2, "10923-16383")] };
        const three = [{ start: 0, end: 5460 }, { start: 5461, end: 10922 }, { start: 10923, end: 16383 }];
        assert.equal(restoreLayoutProblem(manifest, "cluster", three), undefined);
        assert.match(restoreLayoutProblem(manifest, "cluster", [...three, { start: 0, end: 0 }])!, /the set has 3 shard\(s\) and this deployment 4; .*import: \{ rdb/);
        assert.match(restoreLayoutProblem(manifest, "cluster", [{ start: 0, end: 5000 }, { start: 5001, end: 10922 }, three[2]])!, /shard 0 of the set holds slots 0-5460 and of this deployment 0-5000/);
        assert.match(restoreLayoutProblem(manifest, "replication", [undefined])!, /from a cluster deployment and this one is replication/);
    });

    it("keys go to the slot Redis Cluster computes (CRC16, hash tags)", () => {
        assert.equal(keySlot(Buffer.from("foo")), 12182);
        assert.equal(keySlot(Buffer.from("{user1000}.following")), keySlot(Buffer.from("{user1000}.followers")));
        assert.equal(keySlot(Buffer.from("123456789")), 0x31c3 % 16384);
    });
});

describe("the backup job script", () => {
    it("passes bash -n and shellcheck", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-backup-script-"));
        try {
            const file = path.join(dir, "rd-backup");
            fs.writeFileSync(file, renderBackupScript());
            for (const [cmd, args] of [["bash", ["-n", file]], ["shellcheck", ["-s", "bash", file]]] as const) {
                const r = spawnSync(cmd, [...args], { encoding: "utf8" });
                assert.equal(r.status, 0, `${cmd}: ${r.stdout}${r.stderr}`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is configured by plain variables only: remotes per store, no credential", () => {
        const env = backupJobEnvironment({
            deployment: "cache", mode: "cluster", target: parseStoreUri("azblob://acct/backups/redis") as never, retention: { days: 7 },
            shards: [{ index: 0, slots: { start: 0, end: 8191 }, nodes: [{ address: "10.0.0.5", port: 6379 }] }, { index: 1, slots: { start: 8192, end: 16383 }, nodes: [{ address: "10.0.0.6", port: 6379 }] }],
            passwordFile: "/run/x/admin-password",
        });
        assert.equal(env.RD_REMOTE, ":azureblob:backups/redis");
        assert.equal(env.RCLONE_AZUREBLOB_ACCOUNT, "acct");
        assert.equal(env.RD_SHARDS, "0=10.0.0.5:6379 1=10.0.0.6:6379");
        assert.equal(env.RD_SLOTS, "0=0-8191 1=8192-16383");
        assert.ok(!/password=|key=|secret/i.test(renderEnvironmentFile(env)), "no credential in the job's variables");
        assert.ok(!Object.keys(env).some((k) => k.startsWith("RD_TLS_")), "no TLS variables without TLS: the job connects in plaintext");
        assert.deepEqual(rcloneRemote(parseStoreUri("s3://bkt/p") as never, "http://127.0.0.1:9000"), {
            remote: ":s3:bkt/p", env: { RCLONE_S3_PROVIDER: "Other", RCLONE_S3_ENV_AUTH: "true", RCLONE_S3_ENDPOINT: "http://127.0.0.1:9000", RCLONE_S3_FORCE_PATH_STYLE: "true" },
        });
    });
});

describe("the backup job over TLS: its variables name files, never their contents", () => {
    const settings = {
        deployment: "cache", mode: "replication" as const, target: parseStoreUri("file:///b") as never, retention: { days: 7 },
        shards: [{ index: 0, nodes: [{ address: "10.0.0.5", port: 6379 }] }], passwordFile: "/run/x/admin-password",
    };

    it("RD_TLS_CA, RD_TLS_CERT and RD_TLS_KEY are the paths given; without a client certificate only the CA", () => {
        const env = backupJobEnvironment({ ...settings, tls: { ca: "/etc/rd/tls/ca.crt", cert: "/etc/rd/tls/node.crt", key: "/etc/rd/tls/node.key" } });
        assert.deepEqual([env.RD_TLS_CA, env.RD_TLS_CERT, env.RD_TLS_KEY], ["/etc/rd/tls/ca.crt", "/etc/rd/tls/node.crt", "/etc/rd/tls/node.key"]);
        assert.deepEqual(backupTlsVariables({ ca: "/ca.crt" }), { RD_TLS_CA: "/ca.crt", RD_TLS_CERT: "", RD_TLS_KEY: "" });
        assert.deepEqual(backupTlsVariables(undefined), {});
        assert.throws(() => backupTlsVariables({ ca: "/ca.crt", cert: "/c.crt" }), /a client certificate needs its key/);
        // The environment file a VM's timer reads: single-quoted paths, one a line.
        assert.match(renderEnvironmentFile(env), /^RD_TLS_CA='\/etc\/rd\/tls\/ca\.crt'\nRD_TLS_CERT='\/etc\/rd\/tls\/node\.crt'\nRD_TLS_KEY='\/etc\/rd\/tls\/node\.key'$/m);
    });

    it("the script gives every redis-cli call, --rdb included, the TLS flags when RD_TLS_CA is set", () => {
        const script = renderBackupScript();
        const calls = script.split("\n").filter((l) => /^\s*redis-cli /.test(l));
        assert.deepEqual(calls.map((l) => l.trim().split(" ").slice(0, 2).join(" ")), ['redis-cli "${tls[@]}"'], "one redis-cli call, through cli(), with the TLS flags");
        assert.match(script, /cli "\$node" --rdb "\$rdb"/);
        assert.match(script, /tls=\(--tls --cacert "\$RD_TLS_CA"\)/);
        assert.match(script, /tls\+=\(--cert "\$RD_TLS_CERT" --key "\$RD_TLS_KEY"\)/);
    });
});

describe("restore and import happen once, at creation", () => {
    const inputs = (source: DataLoadInputs["source"]): DataLoadInputs => ({
        mode: "cluster", members: [], shards: [], adminPassword: "x", access: { kind: "direct" }, source, redisServer: "redis-server",
    });
    const set = { kind: "restore" as const, set: { scheme: "file" as const, bucket: "", path: "/b/cache-20261204T200000Z" } };

    it("a restore or import added to or changed on an existing deployment fails at preview (diff), naming the field", async () => {
        await assert.rejects(() => dataLoadProvider.diff!("id", inputs({ kind: "none" }), inputs(set)), /backup\.from is set on an existing deployment: a restore or import happens only when the deployment is created, never over live data/);
        await assert.rejects(() => dataLoadProvider.diff!("id", inputs({ kind: "none" }), inputs({ kind: "import", files: [set.set] })), /^Error: import is set on an existing deployment/);
    });

    it("the same source again, or dropping it after the load, changes nothing", async () => {
        assert.deepEqual(await dataLoadProvider.diff!("id", inputs(set), inputs(set)), { changes: false });
        assert.deepEqual(await dataLoadProvider.diff!("id", inputs(set), inputs({ kind: "none" })), { changes: false });
    });
});

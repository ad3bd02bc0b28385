// Backups, restore and import: the arguments, their checks, and the pure pieces every provider
// shares (where a URI points in rclone's terms, the schedule as cron and as a systemd calendar,
// the backup set's manifest and whether a set fits a deployment). No Pulumi, no I/O here.
import { FieldChecks, isPlainObject } from "./fieldChecks";
import type { Mode } from "./types";

/** The `backup` argument. */
export interface BackupArgs {
    /**
     * Where backup sets go: `s3://bucket/prefix` (AWS S3, or any S3-compatible store with
     * `endpoint`), `gs://bucket/prefix`, `azblob://account/container/prefix`, `file:///path`.
     * Local default: `<state-dir>/backups/<stack>/<name>` (the CLI), else
     * `~/.redis-deployment/backups/<project>-<stack>/<name>`.
     */
    target?: string;
    /** An S3-compatible store's endpoint URL (MinIO, SeaweedFS, Ceph, ...); `s3://` targets only. */
    endpoint?: string;
    /** When the backup job runs: cron syntax (5 fields) in UTC. Default `0 20 * * *` (daily at 20:00 UTC). */
    schedule?: string;
    /** Which sets the job keeps; a set older than `days` or beyond the newest `count` is deleted. Default `{ days: 7 }`. */
    retention?: { days?: number; count?: number };
    /**
     * A backup set to restore into this deployment when it is created (its URI as `backups` lists
     * it, e.g. `s3://bucket/prefix/cache-20261204T200000Z`). Once, at creation: a later `up`
     * never restores again. The set must have this deployment's shard count and slot layout.
     */
    from?: string;
    /**
     * Kubernetes: how the backup CronJob reaches the store. `secretName`: a Secret in the
     * deployment's namespace whose keys become the job's environment (e.g. AWS_ACCESS_KEY_ID and
     * AWS_SECRET_ACCESS_KEY, RCLONE_GCS_SERVICE_ACCOUNT_CREDENTIALS, RCLONE_AZUREBLOB_SAS_URL);
     * `serviceAccountName`: a service account bound to a cloud identity (IRSA, GKE Workload
     * Identity, Azure Workload Identity). `rcloneImage`: where the job takes rclone from
     * (default `rclone/rclone:1.68.2`).
     */
    kubernetes?: { secretName?: string; serviceAccountName?: string; rcloneImage?: string };
}

/** The `import` argument: foreign RDB files loaded into a new deployment of any mode and size. */
export interface ImportArgs {
    /** RDB file URIs (same schemes as `backup.target`, each naming one file). */
    rdb: string[];
    /** S3-compatible endpoint for `s3://` URIs. */
    endpoint?: string;
}

export const STORE_SCHEMES = ["s3", "gs", "azblob", "file"] as const;
export type StoreScheme = (typeof STORE_SCHEMES)[number];

/** A parsed object-store URI. */
export interface StoreLocation {
    scheme: StoreScheme;
    /** S3/GCS bucket, Azure container; empty for file. */
    bucket: string;
    /** Azure storage account. */
    account?: string;
    /** Path inside the bucket (no leading or trailing slash); the absolute path for file. */
    path: string;
}

export interface ResolvedBackup {
    /** undefined: the provider's default (local only). */
    target?: StoreLocation;
    endpoint?: string;
    schedule: string;
    retention: { days?: number; count?: number };
    from?: StoreLocation;
    kubernetes?: { secretName?: string; serviceAccountName?: string; rcloneImage: string };
}

export interface ResolvedImport {
    rdb: StoreLocation[];
    endpoint?: string;
}

export const DEFAULT_BACKUP_SCHEDULE = "0 20 * * *";
export const DEFAULT_RETENTION = { days: 7 };

const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GCS_BUCKET = /^(?!goog)(?!.*\.\.)[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const AZURE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const AZURE_CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const BUCKET_RULES: Record<Exclude<StoreScheme, "file">, string> = {
    s3: "an S3 bucket name is 3-63 characters of a-z, 0-9, \".\" and \"-\", starting and ending with a letter or digit",
    gs: "a GCS bucket name is 3-63 characters of a-z, 0-9, \".\", \"_\" and \"-\", starting and ending with a letter or digit, not starting with \"goog\"",
    azblob: "an Azure container name is 3-63 characters of a-z, 0-9 and single \"-\", starting and ending with a letter or digit",
};

/** Parses `uri` into a location, or says what is wrong with it. */
export function parseStoreUri(uri: string): StoreLocation | string {
    const m = /^([a-z0-9]+):\/\/(.*)$/.exec(uri);
    if (!m) return `${JSON.stringify(uri)} is not a URI; write it like "s3://bucket/prefix", "gs://bucket/prefix", "azblob://account/container/prefix" or "file:///path"`;
    const scheme = m[1] as StoreScheme;
    if (!STORE_SCHEMES.includes(scheme)) return `"${m[1]}://" is not a known scheme; use one of ${STORE_SCHEMES.map((s) => `${s}://`).join(", ")}`;
    const rest = m[2];
    if (scheme === "file") {
        if (!rest.startsWith("/")) return `${JSON.stringify(uri)}: a file URI names an absolute path, e.g. "file:///var/backups/redis"`;
        const path = rest.replace(/\/+$/, "") || "/";
        if (path.split("/").includes("..")) return `${JSON.stringify(uri)}: ".." is not allowed in the path`;
        return { scheme, bucket: "", path };
    }
    const parts = rest.split("/");
    let account: string | undefined;
    if (scheme === "azblob") {
        account = parts.shift() ?? "";
        if (!AZURE_ACCOUNT.test(account)) return `"${account}" is not a valid Azure storage account name (3-24 characters of a-z and 0-9); write azblob://account/container/prefix`;
    }
    const bucket = parts.shift() ?? "";
    const rule = scheme === "s3" ? S3_BUCKET : scheme === "gs" ? GCS_BUCKET : AZURE_CONTAINER;
    if (!rule.test(bucket)) return `"${bucket}" is not a valid bucket name: ${BUCKET_RULES[scheme]}`;
    const path = parts.filter((p) => p !== "").join("/");
    if (path.split("/").includes("..")) return `${JSON.stringify(uri)}: ".." is not allowed in the path`;
    return { scheme, bucket, path, ...(account !== undefined ? { account } : {}) };
}

/** The URI of a location (normalized). */
export function storeUri(loc: StoreLocation): string {
    if (loc.scheme === "file") return `file://${loc.path}`;
    const head = loc.scheme === "azblob" ? `${loc.account}/${loc.bucket}` : loc.bucket;
    return `${loc.scheme}://${head}${loc.path ? `/${loc.path}` : ""}`;
}

/** A location one level down (`child` is a set's or a file's name). */
export function childLocation(loc: StoreLocation, child: string): StoreLocation {
    return { ...loc, path: loc.path === "/" ? `/${child}` : loc.path ? `${loc.path}/${child}` : child };
}

/** The location's parent and last path element (a set URI -> the target and the set's name). */
export function splitLocation(loc: StoreLocation): { parent: StoreLocation; name: string } {
    const i = loc.path.lastIndexOf("/");
    return { parent: { ...loc, path: i <= 0 ? (loc.scheme === "file" ? "/" : "") : loc.path.slice(0, i) }, name: loc.path.slice(i + 1) };
}

/**
 * The location in rclone's terms: an on-the-fly remote (`:s3:bucket/path`) and the environment
 * that configures it. No credentials: rclone finds them the way each cloud's own tools do (the
 * instance role, the VM's service account, the managed identity, or the caller's environment).
 */
export function rcloneRemote(loc: StoreLocation, endpoint?: string): { remote: string; env: Record<string, string> } {
    switch (loc.scheme) {
        case "file":
            return { remote: loc.path, env: {} };
        case "s3":
            return {
                remote: `:s3:${loc.bucket}/${loc.path}`.replace(/\/$/, ""),
                env: {
                    RCLONE_S3_PROVIDER: endpoint ? "Other" : "AWS",
                    RCLONE_S3_ENV_AUTH: "true",
                    ...(endpoint ? { RCLONE_S3_ENDPOINT: endpoint, RCLONE_S3_FORCE_PATH_STYLE: "true" } : {}),
                },
            };
        case "gs":
            return { remote: `:gcs:${loc.bucket}/${loc.path}`.replace(/\/$/, ""), env: { RCLONE_GCS_BUCKET_POLICY_ONLY: "true", ...(endpoint ? { RCLONE_GCS_ENDPOINT: endpoint } : {}) } };
        case "azblob":
            return {
                remote: `:azureblob:${loc.bucket}/${loc.path}`.replace(/\/$/, ""),
                env: { RCLONE_AZUREBLOB_ACCOUNT: loc.account!, ...(endpoint ? { RCLONE_AZUREBLOB_ENDPOINT: endpoint } : {}) },
            };
    }
}

// ---- schedule ----

const CRON_FIELDS = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day of week", min: 0, max: 7 },
] as const;

/** Why a 5-field cron expression does not parse (undefined when it does). */
export function cronProblem(expr: string): string | undefined {
    const fields = expr.trim().split(/\s+/);
    if (fields.length !== 5) return `${JSON.stringify(expr)} has ${fields.length} fields; cron needs 5 (minute hour day-of-month month day-of-week), e.g. "0 20 * * *"`;
    for (let i = 0; i < 5; i++) {
        const { name, min, max } = CRON_FIELDS[i];
        for (const item of fields[i].split(",")) {
            const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
            if (!m) return `${JSON.stringify(expr)}: ${name} "${item}" is not a number, range (a-b), "*" or step (*/n); names like MON are not supported`;
            const values = [m[2], m[3]].filter((v) => v !== undefined).map(Number);
            if (values.some((v) => v < min || v > max)) return `${JSON.stringify(expr)}: ${name} "${item}" is outside ${min}-${max}`;
            if (values.length === 2 && values[0] > values[1]) return `${JSON.stringify(expr)}: ${name} range "${item}" runs backwards`;
            if (m[4] !== undefined && Number(m[4]) === 0) return `${JSON.stringify(expr)}: ${name} step "/0" never fires`;
        }
    }
    if (fields[2] !== "*" && fields[4] !== "*") return `${JSON.stringify(expr)} restricts both the day of month and the day of week; cron would run on either, systemd on both: restrict only one`;
    return undefined;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** A valid cron expression as a systemd `OnCalendar=` value (UTC). */
export function cronToOnCalendar(expr: string): string {
    const [minute, hour, dom, month, dow] = expr.trim().split(/\s+/);
    const field = (f: string, pad: number): string => f.split(",").map((item) => {
        const [range, step] = item.split("/");
        const p = (v: string) => v.padStart(pad, "0");
        const base = range === "*" ? (step ? "0".padStart(pad, "0") : "*") : range.includes("-") ? range.split("-").map(p).join("..") : p(range);
        return step ? `${base === "*" ? p("0") : base.split("..")[0]}/${step}` : base;
    }).join(",");
    const days = dow === "*" ? "" : dow.split(",").map((item) => {
        if (item.includes("/") || item === "*") return "Mon..Sun";
        const [a, b] = item.split("-").map(Number);
        return b === undefined ? WEEKDAYS[a] : `${WEEKDAYS[a]}..${WEEKDAYS[b]}`;
    }).join(",") + " ";
    const monthDay = dom === "*" ? "*" : field(dom, 2);
    return `${days}*-${month === "*" ? "*" : field(month, 2)}-${monthDay} ${hour === "*" ? "*" : field(hour, 2)}:${minute === "*" ? "*" : field(minute, 2)}:00 UTC`;
}

// ---- argument checks ----

const BACKUP_FIELDS = ["target", "endpoint", "schedule", "retention", "from", "kubernetes"];
export const DEFAULT_RCLONE_IMAGE = "rclone/rclone:1.68.2";
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const IMPORT_FIELDS = ["rdb", "endpoint"];

function location(check: FieldChecks, field: string, value: unknown): StoreLocation | undefined {
    const uri = check.text(field, value);
    if (uri === undefined) return undefined;
    const parsed = parseStoreUri(uri);
    if (typeof parsed === "string") {
        check.problem(field, parsed);
        return undefined;
    }
    return parsed;
}

function endpointUrl(check: FieldChecks, field: string, value: unknown): string | undefined {
    return check.text(field, value, /^https?:\/\/[^\s/]+(\/\S*)?$/, "is not an http(s) URL, e.g. \"https://minio.example.com:9000\"");
}

/** Checks `backup` and `import` (problems under their paths); undefined when absent or wrong. */
export function checkBackupArgs(check: FieldChecks, backup: unknown, importArgs: unknown, mode: Mode, provider: string): { backup?: ResolvedBackup; import?: ResolvedImport } {
    const result: { backup?: ResolvedBackup; import?: ResolvedImport } = {};
    const b = check.object("backup", backup, "must be an object: { target, schedule?, retention?, from? }");
    if (b) {
        check.unknownFields(b, BACKUP_FIELDS, "backup");
        const target = location(check, "backup.target", b.target);
        if (b.target === undefined && provider !== "local") check.problem("backup.target", `is required on the ${provider} provider: the bucket backups go to, e.g. "s3://my-bucket/redis"`);
        if (target?.scheme === "file" && provider !== "local") check.problem("backup.target", `a file:// target is only for the local provider; on ${provider} use a bucket`);
        const endpoint = endpointUrl(check, "backup.endpoint", b.endpoint);
        const schedule = check.text("backup.schedule", b.schedule);
        if (schedule !== undefined) {
            const why = cronProblem(schedule);
            if (why) check.problem("backup.schedule", why);
        }
        const retention: { days?: number; count?: number } = {};
        const r = check.object("backup.retention", b.retention, "must be an object: { days?, count? }");
        if (r) {
            check.unknownFields(r, ["days", "count"], "backup.retention");
            for (const key of ["days", "count"] as const) {
                if (r[key] === undefined) continue;
                if (typeof r[key] === "number" && (r[key] as number) <= 0) check.problem(`backup.retention.${key}`, `must be at least 1, got ${r[key]}; leave it out to keep sets by the other rule`);
                else {
                    const v = check.integer(`backup.retention.${key}`, r[key], 1, 100000);
                    if (v !== undefined) retention[key] = v;
                }
            }
            if (r.days === undefined && r.count === undefined) check.problem("backup.retention", "give days, count or both, e.g. { days: 7 }");
        }
        const from = location(check, "backup.from", b.from);
        if (from && from.scheme !== "file" && !from.path) check.problem("backup.from", "names a bucket, not a backup set; give the set's URI as `redis-deployment backups` lists it");
        let kubernetes: ResolvedBackup["kubernetes"];
        const k = check.object("backup.kubernetes", b.kubernetes, "must be an object: { secretName?, serviceAccountName?, rcloneImage? }");
        if (k) {
            check.unknownFields(k, ["secretName", "serviceAccountName", "rcloneImage"], "backup.kubernetes");
            if (provider !== "kubernetes") check.problem("backup.kubernetes", `is only read by the kubernetes provider; this deployment uses "${provider}"`);
            const secretName = check.text("backup.kubernetes.secretName", k.secretName, K8S_NAME, "is not a Kubernetes object name");
            const serviceAccountName = check.text("backup.kubernetes.serviceAccountName", k.serviceAccountName, K8S_NAME, "is not a Kubernetes object name");
            const rcloneImage = check.text("backup.kubernetes.rcloneImage", k.rcloneImage, /^\S+$/, "must be an image reference without spaces");
            kubernetes = { ...(secretName ? { secretName } : {}), ...(serviceAccountName ? { serviceAccountName } : {}), rcloneImage: rcloneImage ?? DEFAULT_RCLONE_IMAGE };
        }
        if (provider === "kubernetes" && b.target !== undefined && !kubernetes?.secretName && !kubernetes?.serviceAccountName) {
            check.problem("backup.kubernetes", "name the Secret (secretName) or the service account with a cloud identity (serviceAccountName) the backup CronJob uses to reach the store");
        }
        result.backup = {
            ...(kubernetes ? { kubernetes } : {}),
            ...(target ? { target } : {}),
            ...(endpoint ? { endpoint } : {}),
            schedule: schedule ?? DEFAULT_BACKUP_SCHEDULE,
            retention: r ? retention : DEFAULT_RETENTION,
            ...(from ? { from } : {}),
        };
    }
    const i = check.object("import", importArgs, "must be an object: { rdb: [URIs] }");
    if (i) {
        check.unknownFields(i, IMPORT_FIELDS, "import");
        const rdb: StoreLocation[] = [];
        if (!Array.isArray(i.rdb) || i.rdb.length === 0) check.problem("import.rdb", "must list at least one RDB file URI, e.g. [\"s3://bucket/export/dump.rdb\"]");
        else i.rdb.forEach((uri, n) => {
            const loc = location(check, `import.rdb[${n}]`, uri);
            if (loc) rdb.push(loc);
        });
        const endpoint = endpointUrl(check, "import.endpoint", i.endpoint);
        if (isPlainObject(b) && b.from !== undefined) check.problem("import", "a deployment starts either from a backup set (backup.from) or from imported files, not both");
        result.import = { rdb, ...(endpoint ? { endpoint } : {}) };
    }
    void mode;
    return result;
}

// ---- backup sets ----

/** One shard's part of a backup set, as the backup job writes it (`shard-N.json`). */
export interface BackupPart {
    shard: number;
    file: string;
    bytes: number;
    sha256: string;
    keys: number;
    /** Cluster mode: the shard's slot ranges, e.g. "0-5460". */
    slots?: string;
    /** The node the RDB was taken on and its role then. */
    node: string;
    role: string;
    redisVersion: string;
}

/** `manifest.json` of a complete backup set. */
export interface BackupManifest {
    deployment: string;
    mode: Mode;
    shards: number;
    createdAt: string;
    parts: BackupPart[];
}

/** The name of a backup set: `<deployment>-<YYYYMMDDTHHMMSSZ>`, sorting by time. */
export function backupSetName(deployment: string, when: Date): string {
    return `${deployment}-${when.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
}

/** The time in a set's name, or undefined when the name is not a set of `deployment`. */
export function backupSetTime(deployment: string, name: string): Date | undefined {
    if (!name.startsWith(`${deployment}-`)) return undefined;
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name.slice(deployment.length + 1));
    return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

/** The sets retention deletes: older than `days`, or beyond the newest `count`; the newest set always stays. */
export function expiredSets(names: string[], deployment: string, retention: { days?: number; count?: number }, now: Date): string[] {
    const sets = names.map((n) => ({ n, t: backupSetTime(deployment, n) })).filter((s) => s.t !== undefined)
        .sort((a, b) => b.t!.getTime() - a.t!.getTime());
    return sets.filter((s, i) => i > 0 && ((retention.count !== undefined && i >= retention.count)
        || (retention.days !== undefined && now.getTime() - s.t!.getTime() > retention.days * 86400000))).map((s) => s.n);
}

/**
 * Why backup set `manifest` can not be restored into a deployment of `mode` with `shardSlots`
 * (one entry per shard: its slot range, cluster only); undefined when it fits.
 */
export function restoreLayoutProblem(manifest: BackupManifest, mode: Mode, shardSlots: ({ start: number; end: number } | undefined)[]): string | undefined {
    const importHint = "restore needs the same shard count and slot layout; load the set's RDB files with `import: { rdb: [...] }` instead, which distributes keys by slot";
    if ((manifest.mode === "cluster") !== (mode === "cluster")) return `the set is from a ${manifest.mode} deployment and this one is ${mode}; ${importHint}`;
    if (manifest.shards !== shardSlots.length) return `the set has ${manifest.shards} shard(s) and this deployment ${shardSlots.length}; ${importHint}`;
    for (const part of manifest.parts) {
        const slots = shardSlots[part.shard];
        if (mode === "cluster" && slots && part.slots !== `${slots.start}-${slots.end}`) {
            return `shard ${part.shard} of the set holds slots ${part.slots} and of this deployment ${slots.start}-${slots.end}; ${importHint}`;
        }
    }
    if (manifest.parts.length !== manifest.shards) return `the set lists ${manifest.parts.length} of its ${manifest.shards} shards: it is incomplete`;
    return undefined;
}

/** Parses and checks a manifest's shape; throws with what is missing. */
export function parseManifest(text: string, where: string): BackupManifest {
    let m: BackupManifest;
    try {
        m = JSON.parse(text) as BackupManifest;
    } catch {
        throw new Error(`${where}: manifest.json is not JSON`);
    }
    if (typeof m?.deployment !== "string" || typeof m.shards !== "number" || !Array.isArray(m.parts)) throw new Error(`${where}: manifest.json lacks deployment, shards or parts`);
    return m;
}

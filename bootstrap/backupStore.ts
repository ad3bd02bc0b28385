// Object-store access from the machine that runs `pulumi up` or the CLI: rclone for every store
// (the same tool and the same remotes the backup job uses), the backup job run on this machine,
// and the list of a deployment's backup sets. Functions here may be serialized into the DataLoad
// dynamic resource: packages are required inside them.
import { backupSetTime, childLocation, parseManifest, rcloneRemote, storeUri, type BackupManifest, type StoreLocation } from "../components/backup";
import { backupTlsVariables } from "../components/config/backupScript";
import type { ClientTls } from "../components/types";

/** Runs rclone with `args` (remotes from rcloneRemote) and its environment; returns stdout. */
export async function rclone(args: string[], env: Record<string, string>, timeoutMs = 3600000): Promise<string> {
    const { execFile } = require("child_process") as typeof import("child_process");
    return new Promise((resolve, reject) => {
        execFile("rclone", ["-q", ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
            if (!err) return resolve(stdout);
            const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
            reject(new Error(missing ? "rclone is not installed on this machine (apt-get install rclone, or run bin/setup)" : `rclone ${args[0]} failed: ${String(stderr).trim().split("\n").slice(-3).join(" | ") || err.message}`));
        });
    });
}

/** The text of one object. */
export async function readObject(loc: StoreLocation, endpoint?: string): Promise<string> {
    const { remote, env } = rcloneRemote(loc, endpoint);
    return rclone(["cat", remote], env);
}

/** Copies one object to a local file. */
export async function download(loc: StoreLocation, endpoint: string | undefined, file: string): Promise<void> {
    const { remote, env } = rcloneRemote(loc, endpoint);
    await rclone(["copyto", remote, file], env);
}

/** A backup set's manifest (throws when the set has none: missing or incomplete). */
export async function readManifest(set: StoreLocation, endpoint?: string): Promise<BackupManifest> {
    const where = storeUri(set);
    let text: string;
    try {
        text = await readObject(childLocation(set, "manifest.json"), endpoint);
    } catch (err) {
        throw new Error(`${where} is not a complete backup set (no manifest.json readable): ${(err as Error).message}`);
    }
    return parseManifest(text, where);
}

/** The same, synchronously (the component checks a restore's layout while it is constructed, before any resource exists). */
export function readManifestSync(set: StoreLocation, endpoint?: string): BackupManifest {
    const { execFileSync } = require("child_process") as typeof import("child_process");
    const { remote, env } = rcloneRemote(childLocation(set, "manifest.json"), endpoint);
    const text = execFileSync("rclone", ["-q", "cat", remote], { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120000 });
    return parseManifest(text, storeUri(set));
}

/** One backup set as `backups` lists it. */
export interface BackupSetListing {
    name: string;
    uri: string;
    /** From the set's name (UTC). */
    time: string;
    /** Sum of the shards' RDB sizes. */
    bytes: number;
    keys: number;
    shards: number;
    /** False while shards are still uploading, or when a shard's job failed. */
    complete: boolean;
}

/** The deployment's backup sets under `target`, newest first. */
export async function listBackupSets(target: StoreLocation, endpoint: string | undefined, deployment: string): Promise<BackupSetListing[]> {
    const { remote, env } = rcloneRemote(target, endpoint);
    let names: string[];
    try {
        names = (await rclone(["lsf", "--dirs-only", remote], env)).split("\n").map((l) => l.replace(/\/$/, "")).filter((n) => backupSetTime(deployment, n));
    } catch (err) {
        if (/directory not found|doesn't exist|not found/i.test((err as Error).message)) return [];
        throw err;
    }
    names.sort().reverse();
    return Promise.all(names.map(async (name): Promise<BackupSetListing> => {
        const set = childLocation(target, name);
        const base = { name, uri: storeUri(set), time: backupSetTime(deployment, name)!.toISOString() };
        try {
            const m = await readManifest(set, endpoint);
            return { ...base, bytes: m.parts.reduce((s, p) => s + p.bytes, 0), keys: m.parts.reduce((s, p) => s + p.keys, 0), shards: m.shards, complete: true };
        } catch {
            return { ...base, bytes: 0, keys: 0, shards: 0, complete: false };
        }
    }));
}

/**
 * Runs the backup job (the rendered script) on this machine with `env`; the admin password goes
 * to a mode-0600 file that is removed afterwards, and so, with `tls`, do the CA and the client
 * certificate and key (the job's environment names only their paths). Returns the set's URI (the
 * script's last line).
 */
export async function runBackupJob(script: string, env: Record<string, string>, adminPassword: string, log: (line: string) => void = () => undefined, tls?: ClientTls): Promise<string> {
    const fs = require("fs") as typeof import("fs");
    const os = require("os") as typeof import("os");
    const path = require("path") as typeof import("path");
    const { spawn } = require("child_process") as typeof import("child_process");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-backup-job-"));
    try {
        const scriptFile = path.join(dir, "rd-backup");
        const passwordFile = path.join(dir, "admin-password");
        fs.writeFileSync(scriptFile, script, { mode: 0o700 });
        fs.writeFileSync(passwordFile, adminPassword, { mode: 0o600 });
        let tlsEnv: Record<string, string> = {};
        if (tls) {
            const file = (name: string, pem: string) => {
                const f = path.join(dir, name);
                fs.writeFileSync(f, pem.endsWith("\n") ? pem : `${pem}\n`, { mode: 0o600 });
                return f;
            };
            const client = tls.certificate && tls.key ? { cert: file("client.crt", tls.certificate), key: file("client.key", tls.key) } : {};
            tlsEnv = backupTlsVariables({ ca: file("ca.crt", tls.ca), ...client });
        }
        const out = await new Promise<string>((resolve, reject) => {
            const child = spawn("bash", [scriptFile], { env: { ...process.env, ...env, ...tlsEnv, RD_PASSWORD_FILE: passwordFile }, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
            child.stderr.on("data", (d: Buffer) => {
                stderr += d.toString();
                for (const line of d.toString().split("\n")) if (line.includes("rd-backup:")) log(line);
            });
            child.on("error", reject);
            child.on("close", (code) => (code === 0 ? resolve(stdout)
                : reject(new Error(`the backup job failed (exit ${code}): ${stderr.trim().split("\n").slice(-4).join(" | ")}`))));
        });
        return out.trim().split("\n").pop() ?? "";
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

// `backup`: one backup set of the stack's deployment, now, with the same job the VMs' timers and
// the Kubernetes CronJob run (components/config/backupScript.ts), run on this machine (over TLS
// with the deployment's CA and client certificate when it has TLS); prints the set's URI.
// `backups`: the sets under the stack's backup target (time, size, keys).
import * as path from "path";
import { backupSetName, parseStoreUri, type StoreLocation } from "../../../components/backup";
import { backupJobEnvironment, backupShards, renderBackupScript } from "../../../components/config/backupScript";
import { plan } from "../../../components/plan";
import { validateArgs } from "../../../components/validate";
import { listBackupSets, runBackupJob, type BackupSetListing } from "../../../bootstrap/backupStore";
import type { CommandDescriptor, CommandOptions } from "../command";
import { CliError } from "../errors";
import { bytesText, jsonText } from "../render";
import { DEPLOYMENT_NAME, settingsFromConfig, toDeploymentArgs, type DeploymentSettings } from "../settings";
import { defaultStateDir, openStack, processIo } from "../workspace";
import { stackTarget } from "./status";

/** The stack's backup target and its retention: the stored settings, else the local default under the state directory. */
export function backupTargetOf(settings: DeploymentSettings, stackName: string, stateDir: string): { target: StoreLocation; endpoint?: string; retention: { days?: number; count?: number } } {
    const uri = settings.backupTarget ?? `file://${path.join(path.resolve(stateDir), "backups", stackName, DEPLOYMENT_NAME)}`;
    const target = parseStoreUri(uri);
    if (typeof target === "string") throw new CliError(`--backup-target: ${target}`);
    const retention = {
        ...(settings.backupKeepDays !== undefined ? { days: Number(settings.backupKeepDays) } : {}),
        ...(settings.backupKeepCount !== undefined ? { count: Number(settings.backupKeepCount) } : {}),
    };
    return { target, ...(settings.backupEndpoint ? { endpoint: settings.backupEndpoint } : {}), retention: Object.keys(retention).length > 0 ? retention : { days: 7 } };
}

async function stackBackupSettings(opts: CommandOptions) {
    const stack = await openStack(opts);
    const settings = settingsFromConfig(await stack.getAllConfig());
    return { stack, settings, ...backupTargetOf(settings, stack.name, opts.stateDir ?? defaultStateDir()) };
}

export interface BackupResult {
    /** The backup set's URI (give it to --restore-from). */
    uri: string;
    seconds: number;
}

/** `backup`: takes one backup set of the stack's deployment now and returns where it went. */
export async function backup(opts: CommandOptions): Promise<BackupResult> {
    const started = Date.now();
    const io = opts.io ?? processIo;
    const { settings, target, endpoint, retention } = await stackBackupSettings(opts);
    const deployment = await stackTarget(opts);
    if (deployment.access.kind !== "direct") {
        throw new CliError(`backup: this machine reaches the deployment's members through ${deployment.access.kind}, and the backup job talks to them directly; on ${settings.provider ?? "this provider"} the scheduled job runs next to the members: start it there (systemctl start rd-backup.service on a member VM, kubectl create job --from=cronjob/<name>-backup)`);
    }
    const topology = plan(validateArgs(DEPLOYMENT_NAME, toDeploymentArgs(settings)));
    const env = backupJobEnvironment({
        deployment: DEPLOYMENT_NAME,
        mode: topology.args.mode,
        target,
        endpoint,
        retention,
        shards: backupShards(topology.shards, (m) => {
            const live = deployment.members.find((x) => x.name === m.name);
            if (!live) throw new CliError(`backup: member ${m.name} is not in the stack's state; run \`up\` first`);
            return { address: live.address, port: live.port };
        }),
        passwordFile: "(set by runBackupJob)",
    });
    if (settings.tls === "on" && !deployment.access.tls) throw new CliError("backup: the deployment speaks TLS and its CA is not in the stack's state; run `up` first");
    // With TLS the job gets the deployment's CA and its client certificate (from the state) as files in its own temporary folder.
    const uri = await runBackupJob(renderBackupScript(), { ...env, RD_SET: backupSetName(DEPLOYMENT_NAME, new Date()) }, deployment.adminPassword, (line) => io.stderr(`${line}\n`), deployment.access.tls);
    return { uri, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

/** `backups`: the stack's backup sets, newest first. */
export async function backups(opts: CommandOptions): Promise<BackupSetListing[]> {
    const { target, endpoint } = await stackBackupSettings(opts);
    return listBackupSets(target, endpoint, DEPLOYMENT_NAME);
}

export const backupCommand: CommandDescriptor<"backup"> = {
    name: "backup",
    synopsis: "",
    help: "take a backup set now (BGSAVE on a replica, checked, uploaded with a manifest); prints its URI",
    async run(options, { io, seconds }) {
        const result = await backup(options);
        if (options.json) io.stdout(jsonText(result));
        else io.stdout(`${result.uri}\n`);
        io.stderr(`backup: done in ${seconds()}\n`);
        return 0;
    },
};

export const backupsCommand: CommandDescriptor<"backups"> = {
    name: "backups",
    synopsis: "",
    help: "list the backup sets (time, size, keys) under the stack's backup target",
    async run(options, { io }) {
        const sets = await backups(options);
        if (options.json) {
            io.stdout(jsonText(sets));
            return 0;
        }
        if (sets.length === 0) {
            io.stdout("no backup sets\n");
            return 0;
        }
        const rows = sets.map((s) => [s.time, s.complete ? bytesText(s.bytes) : "-", s.complete ? String(s.keys) : "incomplete", s.uri]);
        const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ["time", "size", "keys"][i].length));
        const line = (r: string[]) => `${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${r[2].padStart(widths[2])}  ${r[3]}\n`;
        io.stdout(line(["time", "size", "keys", "set"]) + rows.map(line).join(""));
        return 0;
    },
};

// What `backup` and `import` add to a deployment: on providers with a scheduler, the backup job
// on its schedule and the object-store permission for the nodes' identity (the provider's
// scheduledJob and grantStorage hooks); everywhere, the DataLoad resource that restores a backup
// set or imports RDB files once, when the deployment is created. The local provider takes
// backups on demand (`redis-deployment backup`): nothing runs on a schedule on this machine.
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { restoreLayoutProblem, storeUri, type StoreLocation } from "./backup";
import { backupJobEnvironment, backupShards, renderBackupScript } from "./config/backupScript";
import type { AddressedMember, BootstrapAccess, TopologyPlan } from "./types";
import { DataLoad, type DataSource } from "../bootstrap/dataLoad";
import { readManifestSync } from "../bootstrap/backupStore";
import { requireCapability, type InfraProvider, type NodeHandles, type ProviderContext } from "../providers/types";

/** Where the admin password file is on a node that runs the job (the VM boot script and the CronJob put it there). */
export const JOB_PASSWORD_FILE = "/run/redis-deployment/backup/admin-password";

/** The local provider's default target when `backup` has none. */
export function defaultLocalTarget(name: string): StoreLocation {
    return { scheme: "file", bucket: "", path: path.join(os.homedir(), ".redis-deployment", "backups", `${pulumi.getProject()}-${pulumi.getStack()}`, name) };
}

/**
 * Checks, before any resource exists, that the backup set to restore fits this deployment (same
 * shard count and slot layout). An unreadable set only warns here (the store may be reachable
 * only later, or a deployment restored long ago may outlive its set); the load itself checks again.
 */
export function checkRestoreLayout(name: string, topology: TopologyPlan): void {
    const from = topology.args.backup?.from;
    if (!from) return;
    const endpoint = topology.args.backup?.endpoint;
    let manifest;
    try {
        manifest = readManifestSync(from, endpoint);
    } catch (err) {
        pulumi.log.warn(`RedisDeployment "${name}": backup.from ${storeUri(from)}: could not read its manifest now (${(err as Error).message.split("\n")[0]}); the restore checks it again when the deployment is created`);
        return;
    }
    const problem = restoreLayoutProblem(manifest, topology.args.mode, topology.shards.map((s) => s.slots));
    if (problem) throw new pulumi.RunError(`RedisDeployment "${name}" has invalid arguments:\n  - backup.from: ${problem}`);
}

export function backupResources(
    name: string,
    provider: InfraProvider,
    ctx: ProviderContext,
    members: NodeHandles<AddressedMember>,
    common: { members: pulumi.Output<{ name: string; shard: number; index: number; role: string; address: string; port: number }[]>; adminPassword: pulumi.Output<string>; access: pulumi.Input<BootstrapAccess> },
    bootstrap: pulumi.Resource[],
): pulumi.Resource[] {
    const args = ctx.plan.args;
    if (!args.backup && !args.import) return [];
    const resources: pulumi.Resource[] = [];

    const backup = args.backup;
    if (backup && provider.kind !== "local") {
        const target = backup.target!;
        resources.push(...requireCapability(provider, "grantStorage", "backup")(ctx, { target: storeUri(target), access: "read-write" }));
        const environment = members.nodes.apply((ms) => backupJobEnvironment({
            deployment: name,
            mode: args.mode,
            target,
            endpoint: backup.endpoint,
            retention: backup.retention,
            shards: backupShards(ctx.plan.shards, (m) => {
                const found = ms.find((x) => x.name === m.name)!;
                return { address: found.address, port: found.port };
            }),
            passwordFile: JOB_PASSWORD_FILE,
            gcsMetadataToken: provider.kind === "gcp" && target.scheme === "gs",
        }));
        resources.push(...requireCapability(provider, "scheduledJob", "backup")(ctx, {
            name: "backup", schedule: backup.schedule, script: renderBackupScript(), args: [], environment,
        }));
    }

    let source: DataSource = { kind: "none" };
    if (backup?.from) {
        source = { kind: "restore", set: backup.from, ...(backup.endpoint ? { endpoint: backup.endpoint } : {}) };
    } else if (args.import) {
        source = { kind: "import", files: args.import.rdb, ...(args.import.endpoint ? { endpoint: args.import.endpoint } : {}) };
    }
    // Only a deployment that starts with data needs redis-server on this machine.
    const redisServer = source.kind === "none" ? "" : findRedisServer();
    resources.push(new DataLoad(`${name}-data`, {
        mode: args.mode,
        members: common.members,
        shards: ctx.plan.shards.map((s) => ({ index: s.index, ...(s.slots ? { slots: s.slots } : {}) })),
        adminPassword: common.adminPassword,
        access: common.access,
        source,
        redisServer,
    }, { parent: ctx.parent, dependsOn: [...members.resources, ...bootstrap] }));
    return resources;
}

function findRedisServer(): string {
    const { findProgram } = require("../providers/local") as typeof import("../providers/local");
    return findProgram("redis-server", "redis-server");
}

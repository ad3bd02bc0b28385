// What `backup` and `import` add to a deployment: on providers with a scheduler, the backup job
// on its schedule and the object-store permission for the nodes' identity (the provider's
// scheduledJob and grantStorage hooks); everywhere, the DataLoad resource that restores a backup
// set or imports RDB files once, when the deployment is created. The local provider takes
// backups on demand (`redis-deployment backup`, whose default target is
// `<state-dir>/backups/<stack>/<name>`): nothing runs on a schedule on this machine.
import * as pulumi from "@pulumi/pulumi";
import { restoreLayoutProblem, storeUri } from "./backup";
import { backupJobBaseEnvironment, renderBackupScript } from "./config/backupScript";
import type { AddressedMember, BootstrapAccess, TopologyPlan } from "./types";
import { DataLoad, type DataSource } from "../bootstrap/dataLoad";
import { readManifestSync } from "../bootstrap/backupStore";
import { requireCapability, type InfraProvider, type NodeHandles, type ProviderContext } from "../providers/types";

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

/**
 * The backup job on the provider's schedule and the store permission for the nodes' identity:
 * called before the provider creates any node, so a VM's boot script carries its job. The
 * provider adds the shards' addresses to the job's environment (it knows them). Local: nothing
 * (backups there are on demand).
 */
export function scheduleBackups(name: string, provider: InfraProvider, ctx: ProviderContext): pulumi.Resource[] {
    const args = ctx.plan.args;
    const backup = args.backup;
    if (!backup || provider.kind === "local") return [];
    const target = backup.target!;
    const grant = requireCapability(provider, "grantStorage", "backup");
    const schedule = requireCapability(provider, "scheduledJob", "backup");
    const environment = backupJobBaseEnvironment({
        deployment: name, mode: args.mode, target, endpoint: backup.endpoint, retention: backup.retention,
        shardCount: ctx.plan.shards.length, gcsMetadataToken: provider.kind === "gcp" && target.scheme === "gs",
    });
    // Azure VMs: rclone signs in with the VMs' managed identity (the only one they carry).
    if (provider.kind === "azure") environment.RCLONE_AZUREBLOB_USE_MSI = "true";
    return [
        ...grant(ctx, { target: storeUri(target), access: "read-write" }),
        ...schedule(ctx, { name: "backup", schedule: backup.schedule, script: renderBackupScript(), args: [], environment }),
    ];
}

/** The DataLoad resource (restore or import once, at creation), after the bootstrap; none without `backup` or `import`. */
export function dataLoadResources(
    name: string,
    ctx: ProviderContext,
    members: NodeHandles<AddressedMember>,
    common: { members: pulumi.Output<{ name: string; shard: number; index: number; role: string; address: string; port: number }[]>; adminPassword: pulumi.Output<string>; access: pulumi.Input<BootstrapAccess> },
    bootstrap: pulumi.Resource[],
): pulumi.Resource[] {
    const args = ctx.plan.args;
    if (!args.backup && !args.import) return [];
    let source: DataSource = { kind: "none" };
    if (args.backup?.from) {
        source = { kind: "restore", set: args.backup.from, ...(args.backup.endpoint ? { endpoint: args.backup.endpoint } : {}) };
    } else if (args.import) {
        source = { kind: "import", files: args.import.rdb, ...(args.import.endpoint ? { endpoint: args.import.endpoint } : {}) };
    }
    // Only a deployment that starts with data needs redis-server on this machine.
    const redisServer = source.kind === "none" ? "" : findRedisServer();
    return [new DataLoad(`${name}-data`, {
        mode: args.mode,
        members: common.members,
        shards: ctx.plan.shards.map((s) => ({ index: s.index, ...(s.slots ? { slots: s.slots } : {}) })),
        adminPassword: common.adminPassword,
        access: common.access,
        source,
        redisServer,
    }, { parent: ctx.parent, dependsOn: [...members.resources, ...bootstrap] })];
}

function findRedisServer(): string {
    const { findProgram } = require("../providers/local") as typeof import("../providers/local");
    return findProgram("redis-server", "redis-server");
}

// The settings a stack stores as its config: the ones `up` and `preview` deploy are the stored
// ones merged with the command line's flags, validated, and checked for a free address block.
import * as path from "path";
import type { Stack, Workspace } from "@pulumi/pulumi/automation";
import { defaultAddressPrefix } from "../../providers/local";
import type { CommandOptions } from "./command";
import { CliError } from "./errors";
import { DEPLOYMENT_NAME, mergeSettings, PROJECT, SECRET_SETTINGS, settingsFromConfig, validateSettings, type DeploymentSettings, type SettingKey } from "./settings";
import { defaultStateDir, openStack } from "./workspace";

/** Stored settings merged with the flags, validated: what `up` stores and deploys. */
function effectiveSettings(stackName: string, stored: DeploymentSettings, opts: CommandOptions): DeploymentSettings {
    const settings = mergeSettings(stored, opts.settings ?? {});
    if ((settings.provider ?? "local") === "local" && settings.dataDir === undefined) {
        // Pinned on first use: the data directory is part of every member's identity.
        settings.dataDir = path.join(path.resolve(opts.stateDir ?? defaultStateDir()), "data", `${PROJECT}-${stackName}`);
    }
    validateSettings(settings);
    return settings;
}

/** Opens (or, for valid settings, creates) the stack for up/preview; returns its stored and new settings. */
export async function prepareSettings(opts: CommandOptions): Promise<{ stack: Stack; before: DeploymentSettings; after: DeploymentSettings }> {
    const stack = await openStack(opts, async (stackName, ws) => {
        // A new stack is created only for settings that pass validation and have a free address block.
        await checkAddressBlock(ws, stackName, effectiveSettings(stackName, {}, opts));
        return true;
    });
    const before = settingsFromConfig(await stack.getAllConfig());
    const after = effectiveSettings(stack.name, before, opts);
    await refuseLoadIntoLiveDeployment(stack, before, opts.settings ?? {});
    await checkAddressBlock(stack.workspace, stack.name, after);
    return { stack, before, after };
}

/** Changes the stack's config from the settings `before` to the settings `after`. */
export async function writeSettings(stack: Stack, before: DeploymentSettings, after: DeploymentSettings): Promise<void> {
    const removed = (Object.keys(before) as SettingKey[]).filter((k) => after[k] === undefined);
    if (removed.length > 0) await stack.removeAllConfig(removed);
    const changed = (Object.entries(after) as [SettingKey, string][]).filter(([k, v]) => before[k] !== v);
    if (changed.length > 0) await stack.setAllConfig(Object.fromEntries(changed.map(([k, v]) => [k, { value: v, secret: SECRET_SETTINGS.includes(k) }])));
}

/** Another stack of this state directory already using the address block this one would get. */
async function checkAddressBlock(ws: Workspace, stackName: string, settings: DeploymentSettings): Promise<void> {
    if ((settings.provider ?? "local") !== "local") return;
    const prefixOf = (name: string, s: DeploymentSettings) => s.addressPrefix ?? defaultAddressPrefix(PROJECT, name, DEPLOYMENT_NAME);
    const mine = prefixOf(stackName, settings);
    const taken = new Set<string>();
    let owner: string | undefined;
    for (const other of await ws.listStacks()) {
        if (other.name === stackName || !other.resourceCount) continue;
        const theirs = prefixOf(other.name, settingsFromConfig(await ws.getAllConfig(other.name)));
        taken.add(theirs);
        if (theirs === mine) owner = other.name;
    }
    if (owner !== undefined) {
        const free = Array.from({ length: 230 }, (_, i) => `127.${20 + i}`).find((p) => !taken.has(p));
        throw new CliError(`stack "${stackName}" would use the address block ${mine}.x.y, which stack "${owner}" already uses; give it another one with --address-prefix${free ? ` (e.g. --address-prefix ${free})` : ""}`);
    }
}

/** --restore-from and --import fill a new deployment only: refused when the stack's deployment exists. */
async function refuseLoadIntoLiveDeployment(stack: Stack, before: DeploymentSettings, flags: DeploymentSettings): Promise<void> {
    const given = ([["restoreFrom", "restore-from"], ["importRdb", "import"]] as const).filter(([key]) => flags[key] !== undefined && flags[key] !== before[key]);
    if (given.length === 0) return;
    const summary = (await stack.workspace.listStacks()).find((s) => s.name === stack.name);
    if (summary?.resourceCount) {
        throw new CliError(`--${given[0][1]}: stack "${stack.name}" already has a deployment; a restore or import only fills a new one and never overwrites live data. Use a new stack, or \`destroy\` this one first.`);
    }
}

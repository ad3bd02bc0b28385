// `list`: the stacks of the state directory with their resource counts and stored settings.
import type { CommandDescriptor, CommandOptions } from "../command";
import { jsonText } from "../render";
import { settingsFromConfig, type DeploymentSettings } from "../settings";
import { openWorkspace } from "../workspace";

export interface StackListing {
    name: string;
    resources: number;
    lastUpdate?: string;
    updateInProgress: boolean;
    settings: DeploymentSettings;
}

/** The settings without the stored password (a listing never shows it). */
function withoutSecrets(settings: DeploymentSettings): DeploymentSettings {
    const { password: _password, ...rest } = settings;
    return rest;
}

export async function list(opts: CommandOptions): Promise<StackListing[]> {
    const ws = await openWorkspace(opts);
    const stacks = await ws.listStacks();
    return Promise.all(stacks.map(async (s) => ({
        name: s.name,
        resources: s.resourceCount ?? 0,
        lastUpdate: s.lastUpdate,
        updateInProgress: !!s.updateInProgress,
        settings: withoutSecrets(settingsFromConfig(await ws.getAllConfig(s.name))),
    })));
}

/** The table `list` prints: one row per stack, its settings but the data directory. */
export function stackTable(stacks: StackListing[]): string {
    if (stacks.length === 0) return "no stacks yet; create one with `redis-deployment up`\n";
    const lines = [`${"STACK".padEnd(16)}${"RESOURCES".padEnd(11)}${"LAST UPDATE".padEnd(26)}SETTINGS\n`];
    for (const s of stacks) {
        const { dataDir: _dataDir, password: _password, ...shown } = s.settings;
        const settings = Object.entries(shown).map(([k, v]) => `${k}=${v}`).join(" ");
        lines.push(`${s.name.padEnd(16)}${String(s.resources).padEnd(11)}${(s.updateInProgress ? "(in progress)" : s.lastUpdate ?? "-").padEnd(26)}${settings}\n`);
    }
    return lines.join("");
}

export const listCommand: CommandDescriptor<"list"> = {
    name: "list",
    synopsis: "",
    help: "stacks in the state directory",
    async run(options, { io }) {
        const stacks = await list(options);
        io.stdout(options.json ? jsonText(stacks) : stackTable(stacks));
        return 0;
    },
};

// The boot script every VM cloud runs (AWS user data, GCP startup script, Azure custom data):
// one bash script per VM, rendered from the plan. It tunes the kernel, adds the nodes' own
// addresses, formats (only when empty) and mounts each member's data disk, installs Redis /
// Sentinel / HAProxy from the distribution (Debian 12), reads the secrets from the cloud's
// secret store, writes the configs rendered by the shared renderers (components/config) with
// the real secrets substituted, and starts one systemd unit per node. It installs itself as
// redis-deployment-boot.service and runs again at every boot (the node addresses are not
// persistent, disks are mounted by it, and a changed configuration arrives as new user data).
//
// Cloud specifics come in through CloudHooks: the packages it needs, how to read a secret,
// how to read the VM's current user data, and the device paths of each member's disk.
//
// The script is composed from BOOT_SECTIONS, in order: each section defines its bash functions
// and says where rd_main calls them (see BootSection). A new capability is one section file and
// its line in the list.
import { secretsUsed } from "../secrets";
import { addressesSection } from "./addresses";
import { cloudHooksSection } from "./cloudHooks";
import { disksSection } from "./disks";
import { logsSection } from "./logs";
import { metricsSection } from "./metrics";
import { nodeFilesSection } from "./nodeFiles";
import { nodesSection } from "./nodes";
import { packagesSection } from "./packages";
import { preludeSection } from "./prelude";
import { refreshSection } from "./refresh";
import { scheduledJobsSection } from "./scheduledJobs";
import { secretsSection } from "./secrets";
import { selfInstallSection } from "./selfInstall";
import { startUnitsSection } from "./startUnits";
import { systemTuningSection } from "./systemTuning";
import { tlsFilesSection } from "./tlsFiles";
import { nodeTemplates } from "./templates";
import type { BootContext, BootScriptInput, BootSection } from "./types";

export { shellQuote } from "./shell";
export type { VmScheduledJob } from "./scheduledJobs";
export { nodeTemplates } from "./templates";
export { VM_PATHS, unitName, type BootContext, type BootScriptInput, type BootSection, type CloudHooks, type LogShipping, type NodeTemplate } from "./types";

/** The sections of the boot script, in the order of its functions and of rd_main's calls. */
export const BOOT_SECTIONS: readonly BootSection[] = [
    preludeSection,
    cloudHooksSection,
    refreshSection,
    systemTuningSection,
    addressesSection,
    packagesSection,
    secretsSection,
    nodeFilesSection,
    tlsFilesSection,
    disksSection,
    nodesSection,
    metricsSection,
    logsSection,
    selfInstallSection,
    startUnitsSection,
    scheduledJobsSection,
];

/** What every section renders from: the input, the nodes' templates, the secrets they use and the packages every section needs. */
export function bootContext(input: BootScriptInput, sections: readonly BootSection[] = BOOT_SECTIONS): BootContext {
    const nodes = nodeTemplates(input);
    const base = { ...input, nodes, secrets: secretsUsed(nodes.map((n) => n.template)) };
    return { ...base, packages: [...new Set(sections.flatMap((s) => s.packages?.(base) ?? []))] };
}

/** The script from `sections`: their functions, then rd_main calling their steps (see BootSection). */
export function composeBootScript(input: BootScriptInput, sections: readonly BootSection[]): string {
    const ctx = bootContext(input, sections);
    const each = (part: (s: BootSection) => string[] | undefined) => sections.flatMap((s) => part(s) ?? []);
    const main = [
        ...each((s) => s.preflight?.(ctx)),
        `rd_log "preparing host $RD_HOST of $RD_DEPLOYMENT"`,
        ...each((s) => s.steps?.(ctx)),
        ...ctx.nodes.flatMap((n) => each((s) => s.nodeSteps?.(ctx, n))),
        ...each((s) => s.finish?.(ctx)),
        `rd_log "host $RD_HOST is ready"`,
    ];
    // A section that has nothing to do for this deployment (e.g. TLS off) defines no functions.
    const functions = each((s) => (s.functions ? [s.functions(ctx)] : [])).filter((f) => f !== "");
    return `${functions.join("\n\n")}

rd_main() {
${main.map((l) => `    ${l}`).join("\n")}
}

rd_main "$@"
`;
}

/** Renders the boot script of one VM. */
export function renderBootScript(input: BootScriptInput): string {
    return composeBootScript(input, BOOT_SECTIONS);
}

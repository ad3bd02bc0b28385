// The cloud's part of the script: how to read a secret from its secret store and, where the
// script refreshes itself at boot, how to read the VM's current user data.
import { indent } from "./shell";
import type { BootSection } from "./types";

export const cloudHooksSection: BootSection = {
    name: "cloud hooks",
    // Closes with the divider before the generic steps.
    functions: ({ hooks }) => `# --- ${hooks.cloud} hooks -------------------------------------------------------------------
# rd_cloud_secret REF: prints the secret stored under REF.
rd_cloud_secret() {
${indent(hooks.secretFunction.trim())}
}
${hooks.userDataFunction ? `
# rd_cloud_user_data: prints this VM's current user data.
rd_cloud_user_data() {
${indent(hooks.userDataFunction.trim())}
}
` : ""}
# --- steps -----------------------------------------------------------------------------------`,
};

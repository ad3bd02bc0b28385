// What Azure computes that the Azure provider reads back: a mock's `newResource` must return the
// outputs of COMPUTED_OUTPUTS (besides the inputs); those of DERIVED_OUTPUTS are derived from the
// inputs when they are missing. Node addresses are chosen by the provider (static IP
// configurations), and the VM's own dynamic address is never read.
import type { ComputedOutputs, DerivedOutputs } from "../vm/computed";

export const AZURE_TYPES = {
    identity: "azure-native:managedidentity:UserAssignedIdentity",
    vault: "azure-native:keyvault:Vault",
} as const;

/** Type token -> the outputs a mock must return for it (ids come from every mock anyway). */
export const COMPUTED_OUTPUTS: ComputedOutputs = {
    // The boot script asks IMDS for a token of this identity (clientId); the role assignment
    // grants its principal; the vault trusts its tenant.
    [AZURE_TYPES.identity]: ["clientId", "principalId", "tenantId"],
};

export const DERIVED_OUTPUTS: DerivedOutputs = {
    [AZURE_TYPES.vault]: {
        name: "<vaultName>",
        "properties.vaultUri": "https://<vaultName>.vault.azure.net/",
    },
};

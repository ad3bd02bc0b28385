// Secret files of the nodes (TLS keys) in the deployment's Key Vault, next to the passwords
// (the VMs' identity may read the vault's secrets and nothing else).
import * as pulumi from "@pulumi/pulumi";
import type { ProviderContext } from "../types";
import { keyVaultSecretUrl } from "./boot";
import type { AzureFoundation, AzureScope } from "./foundation";

export function storeAzureSecretFile(s: AzureScope, _ctx: ProviderContext, f: AzureFoundation, file: { node: string; name: string; value: pulumi.Input<string> }) {
    const secretName = `tls-${file.node}-${file.name.replace(/\./g, "-")}`;
    const secret = new f.az.keyvault.Secret(`${s.name}-kv-${secretName}`, {
        resourceGroupName: f.resourceGroupName,
        vaultName: s.options.keyVaultName,
        secretName,
        properties: { value: pulumi.secret(file.value), contentType: `redis-deployment ${s.name}: ${file.name} of ${file.node}` },
        tags: s.tags(),
    }, { parent: f.parent, dependsOn: f.secretAccess });
    return { ref: f.vaultUri.apply((uri) => keyVaultSecretUrl(uri, secretName)), resources: [secret] };
}

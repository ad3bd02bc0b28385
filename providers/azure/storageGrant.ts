// Object-store access for the VMs' managed identity (backups): Storage Blob Data Contributor (or
// Reader) on the target's container only. The storage account is expected in the deployment's
// resource group and subscription.
import * as pulumi from "@pulumi/pulumi";
import { parseStoreUri } from "../../components/backup";
import type { ProviderContext, StorageGrant } from "../types";
import type { AzureFoundation, AzureScope } from "./foundation";
import { stableGuid } from "./rules";

export const BLOB_CONTRIBUTOR_ROLE = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
export const BLOB_READER_ROLE = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

export function grantAzureStorage(s: AzureScope, _ctx: ProviderContext, f: AzureFoundation, grant: StorageGrant): pulumi.Resource[] {
    const loc = parseStoreUri(grant.target);
    if (typeof loc === "string" || loc.scheme !== "azblob") throw new Error(`an Azure deployment's backups go to an azblob:// container, not ${grant.target}`);
    // The subscription is the one of the deployment's subnet (its id is /subscriptions/<id>/...): no extra lookup.
    const subscriptionId = f.subnet.apply((subnet) => subnet.id.split("/")[2]);
    const role = grant.access === "read" ? BLOB_READER_ROLE : BLOB_CONTRIBUTOR_ROLE;
    return [new f.az.authorization.RoleAssignment(`${s.name}-backup-container`, {
        roleAssignmentName: stableGuid(`${s.env.project}/${s.env.stack}/${s.name}/backup-container`),
        scope: pulumi.interpolate`/subscriptions/${subscriptionId}/resourceGroups/${f.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${loc.account}/blobServices/default/containers/${loc.bucket}`,
        principalId: f.identity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
        description: `redis-deployment ${s.name}: the backup job writes to ${grant.target}`,
    }, { parent: f.parent })];
}

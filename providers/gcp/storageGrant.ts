// Object-store access for the VMs' service account (backups): objectAdmin (or objectViewer) on
// the target's bucket only, as a bucket-level IAM member (GCS has no per-prefix IAM).
import type * as pulumi from "@pulumi/pulumi";
import type * as storageSdk from "@pulumi/gcp/storage";
import { parseStoreUri } from "../../components/backup";
import type { ProviderContext, StorageGrant } from "../types";
import type { GcpFoundation, GcpScope } from "./foundation";

export const BUCKET_WRITER_ROLE = "roles/storage.objectAdmin";
export const BUCKET_READER_ROLE = "roles/storage.objectViewer";

export function grantGcpStorage(s: GcpScope, _ctx: ProviderContext, f: GcpFoundation, grant: StorageGrant): pulumi.Resource[] {
    const loc = parseStoreUri(grant.target);
    if (typeof loc === "string" || loc.scheme !== "gs") throw new Error(`a GCP deployment's backups go to a gs:// bucket, not ${grant.target}`);
    const storage = require("@pulumi/gcp/storage") as typeof storageSdk;
    return [new storage.BucketIAMMember(`${s.name}-backup-bucket`, {
        bucket: loc.bucket,
        role: grant.access === "read" ? BUCKET_READER_ROLE : BUCKET_WRITER_ROLE,
        member: f.serviceAccountEmail.apply((email) => `serviceAccount:${email}`),
    }, { parent: f.parent })];
}

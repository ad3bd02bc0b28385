// Object-store access for the instances' role (backups): S3 actions on the target's bucket and
// prefix only, as its own policy on the existing role.
import type * as pulumi from "@pulumi/pulumi";
import { parseStoreUri } from "../../components/backup";
import type { ProviderContext, StorageGrant } from "../types";
import type { AwsFoundation, AwsScope } from "./foundation";

/** The IAM policy document for `grant`: list the prefix, read (and write, delete) objects under it. */
export function s3GrantPolicy(grant: StorageGrant): Record<string, unknown> {
    const loc = parseStoreUri(grant.target);
    if (typeof loc === "string" || loc.scheme !== "s3") throw new Error(`an AWS deployment's backups go to an s3:// bucket, not ${grant.target}`);
    const prefix = loc.path ? `${loc.path}/` : "";
    const objectActions = grant.access === "read" ? ["s3:GetObject"] : ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"];
    return {
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["s3:ListBucket"], Resource: `arn:aws:s3:::${loc.bucket}`, ...(prefix ? { Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } } } : {}) },
            { Effect: "Allow", Action: objectActions, Resource: `arn:aws:s3:::${loc.bucket}/${prefix}*` },
        ],
    };
}

export function grantAwsStorage(s: AwsScope, _ctx: ProviderContext, f: AwsFoundation, grant: StorageGrant): pulumi.Resource[] {
    return [new f.aws.iam.RolePolicy(`${s.name}-backup-bucket`, {
        role: f.rolePolicy.role,
        policy: JSON.stringify(s3GrantPolicy(grant)),
    }, { parent: f.parent })];
}

// Secret files of the nodes (TLS keys) in Secret Manager, next to the passwords: one secret per
// file, readable by the VMs' service account only.
import * as pulumi from "@pulumi/pulumi";
import type * as secretmanagerSdk from "@pulumi/gcp/secretmanager";
import type { ProviderContext } from "../types";
import { configuredGcpProject } from "./computed";
import { SECRET_ACCESSOR_ROLE, type GcpFoundation, type GcpScope } from "./foundation";

export function storeGcpSecretFile(s: GcpScope, _ctx: ProviderContext, f: GcpFoundation, file: { node: string; name: string; value: pulumi.Input<string> }) {
    const secretmanager = require("@pulumi/gcp/secretmanager") as typeof secretmanagerSdk;
    const resource = `${s.name}-secret-tls-${file.node}-${file.name.replace(/\./g, "-")}`;
    const secretId = `${s.options.secretPrefix}-tls-${file.node}-${file.name.replace(/\./g, "-")}`;
    const secret = new secretmanager.Secret(resource, { secretId, replication: { auto: {} }, labels: s.labels() }, { parent: f.parent, deleteBeforeReplace: true });
    const version = new secretmanager.SecretVersion(`${resource}-value`, { secret: secret.id, secretData: pulumi.secret(file.value) }, { parent: f.parent });
    const reader = new secretmanager.SecretIamMember(`${resource}-reader`, {
        secretId: secret.id,
        role: SECRET_ACCESSOR_ROLE,
        member: pulumi.interpolate`serviceAccount:${f.serviceAccountEmail}`,
    }, { parent: f.parent });
    const ref = secret.name.apply((n) => n || `projects/${configuredGcpProject() ?? "unknown"}/secrets/${secretId}`);
    return { ref, resources: [secret, version, reader] };
}

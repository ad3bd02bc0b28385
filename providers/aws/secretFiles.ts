// Secret files of the nodes (TLS keys) in SSM, next to the passwords: one SecureString
// parameter per file under the deployment's prefix, readable by the instances' role only.
import * as pulumi from "@pulumi/pulumi";
import type { ProviderContext } from "../types";
import type { AwsFoundation, AwsScope } from "./foundation";

/** The SSM parameter of a node's secret file: `<prefix>/tls/<node>/<file>`. */
export function secretFileParameter(prefix: string, node: string, file: string): string {
    return `${prefix}/tls/${node}/${file}`;
}

export function storeAwsSecretFile(s: AwsScope, _ctx: ProviderContext, f: AwsFoundation, file: { node: string; name: string; value: pulumi.Input<string> }) {
    const resource = `${s.name}-ssm-tls-${file.node}-${file.name.replace(/\./g, "-")}`;
    const name = secretFileParameter(s.options.parameterPrefix, file.node, file.name);
    const parameter = new f.aws.ssm.Parameter(resource, {
        name,
        type: "SecureString",
        value: pulumi.secret(file.value),
        keyId: s.options.kmsKeyId,
        description: `redis-deployment ${s.name}: ${file.name} of ${file.node}`,
        tags: s.tags(resource),
    }, { parent: f.parent, deleteBeforeReplace: true });
    // Its own statement on the instances' role (the passwords' policy stays as it is).
    const policy = new f.aws.iam.RolePolicy(`${resource}-read`, {
        role: f.rolePolicy.role,
        policy: parameter.arn.apply((arn) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [arn ?? `arn:aws:ssm:*:*:parameter${name}`] }],
        })),
    }, { parent: f.parent });
    return { ref: pulumi.output(name), resources: [parameter, policy] };
}

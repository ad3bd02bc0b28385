// What every Azure VM of a deployment shares, created once before any host: the subnet (looked
// up) and the deployment's static address layout in it, the application security group and the
// network security group, the VMs' managed identity, a Key Vault of the deployment's own with
// the passwords, and the role assignment that lets the identity read them.
import * as pulumi from "@pulumi/pulumi";
import type * as authorizationSdk from "@pulumi/azure-native/authorization";
import type * as computeSdk from "@pulumi/azure-native/compute";
import type * as keyvaultSdk from "@pulumi/azure-native/keyvault";
import type * as managedidentitySdk from "@pulumi/azure-native/managedidentity";
import type * as networkSdk from "@pulumi/azure-native/network";
import { storedSecretValue } from "../../components/config/users";
import type { StoredSecret } from "../../components/types";
import { loadPeerPackage } from "../peerPackage";
import type { ProviderContext } from "../types";
import { computedOr, requireComputed } from "../vm/computed";
import { parseCidr } from "../vm/ipv4";
import { LayoutError } from "../vm/layout";
import type { CloudScope, VmFoundation } from "../vm/provider";
import { SECRET_NAMES, secretRefs } from "../vm/secrets";
import { staticLayout, usableRange, type StaticLayout } from "../vm/staticAddresses";
import { keyVaultSecretUrl } from "./boot";
import { AZURE_TYPES } from "./computed";
import { nsgRules, stableGuid } from "./rules";
import { parseSubnetId, type ResolvedAzureArgs, type SubnetReference } from "./validate";

export interface AzureSdk {
    authorization: typeof authorizationSdk;
    compute: typeof computeSdk;
    keyvault: typeof keyvaultSdk;
    managedidentity: typeof managedidentitySdk;
    network: typeof networkSdk;
}

/** Azure reserves the first four addresses of a subnet (network, gateway, two DNS) and the last. */
export const AZURE_RESERVED_ADDRESSES = { low: 4, high: 1 } as const;
/** Built-in role "Key Vault Secrets User": read secret values, nothing else. */
export const KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6";

/** What the foundation needs of the provider. */
export interface AzureScope extends CloudScope<ResolvedAzureArgs> {
    tags(extra?: Record<string, string>): Record<string, string>;
}

export function loadAzure(): AzureSdk {
    return loadPeerPackage("azure", "@pulumi/azure-native", 3, () => ({
        authorization: require("@pulumi/azure-native/authorization"),
        compute: require("@pulumi/azure-native/compute"),
        keyvault: require("@pulumi/azure-native/keyvault"),
        managedidentity: require("@pulumi/azure-native/managedidentity"),
        network: require("@pulumi/azure-native/network"),
    }));
}

export interface AzureFoundation extends VmFoundation {
    az: AzureSdk;
    parent: pulumi.Resource;
    subnet: pulumi.Output<SubnetReference & { id: string; cidr: string }>;
    resourceGroupName: pulumi.Output<string>;
    layout: pulumi.Output<StaticLayout>;
    applicationSecurityGroup: networkSdk.ApplicationSecurityGroup;
    securityGroup: networkSdk.NetworkSecurityGroup;
    identity: managedidentitySdk.UserAssignedIdentity;
    /** The identity's client id (the boot script asks IMDS for its token). */
    clientId: pulumi.Output<string>;
    /** The vault's URI, and secret key -> its URL in the vault (only the secrets the deployment stores). */
    vaultUri: pulumi.Output<string>;
    secretRefs: pulumi.Output<Record<StoredSecret, string>>;
    /** What a VM must wait for: the secrets and the identity's grant. */
    secretAccess: pulumi.Resource[];
}

/** Location and resource group every resource is created with. */
export function placement(s: AzureScope, resourceGroupName: pulumi.Output<string>): { resourceGroupName: pulumi.Output<string>; location?: string } {
    return { resourceGroupName, ...(s.options.location ? { location: s.options.location } : {}) };
}

function subnetAndLayout(s: AzureScope, az: AzureSdk, parent: pulumi.Resource, reference: pulumi.Output<SubnetReference>): Pick<AzureFoundation, "subnet" | "layout"> {
    const o = s.options;
    const subnet = pulumi.all([o.subnetId, reference]).apply(([id, ref]) =>
        az.network.getSubnetOutput({ resourceGroupName: ref.resourceGroupName, virtualNetworkName: ref.virtualNetworkName, subnetName: ref.subnetName }, { parent })
            .apply((found) => {
                const prefix = found.addressPrefix ?? found.addressPrefixes?.find((p) => p.includes("."));
                if (!prefix || !parseCidr(prefix)) s.fail(`azure.subnetId: the subnet ${ref.subnetName} has no IPv4 address prefix (${JSON.stringify(prefix)})`);
                return { ...ref, id, cidr: prefix };
            }));
    const layout = subnet.apply((x) => {
        try {
            const range = usableRange(parseCidr(x.cidr)!, AZURE_RESERVED_ADDRESSES, o.addressRange, "azure.addressRange");
            return staticLayout(s.plan, range, o.addressRange ? "azure.addressRange" : `azure.subnetId (${x.subnetName}, ${x.cidr})`);
        } catch (err) {
            if (err instanceof LayoutError) s.fail(err.message);
            throw err;
        }
    });
    return { subnet, layout };
}

export function createAzureFoundation(s: AzureScope, ctx: ProviderContext): AzureFoundation {
    const az = loadAzure();
    const parent = ctx.parent;
    const { name, options: o } = s;

    const reference = pulumi.output(o.subnetId).apply((id) => parseSubnetId(id) ?? s.fail(`azure.subnetId: ${JSON.stringify(id)} is not a subnet resource id`));
    const resourceGroupName = o.resourceGroupName ? pulumi.output(o.resourceGroupName) : reference.apply((r) => r.resourceGroupName);
    const { subnet, layout } = subnetAndLayout(s, az, parent, reference);
    const where = placement(s, resourceGroupName);

    // Network: the deployment's hosts form one application security group; the NSG on every
    // NIC lets in the deployment's ports from that group and azure.allowedCidrs only.
    const applicationSecurityGroup = new az.network.ApplicationSecurityGroup(`${name}-asg`, { ...where, tags: s.tags() }, { parent });
    const group = [{ id: applicationSecurityGroup.id }];
    const securityGroup = new az.network.NetworkSecurityGroup(`${name}-nsg`, {
        ...where,
        securityRules: nsgRules(s.plan, o.allowedCidrs).map((r) => ({
            name: r.name,
            priority: r.priority,
            access: r.access,
            direction: "Inbound",
            protocol: "Tcp",
            description: r.description,
            sourcePortRange: "*",
            destinationApplicationSecurityGroups: group,
            ...(r.ports.length === 1 ? { destinationPortRange: String(r.ports[0]) } : { destinationPortRanges: r.ports.map(String) }),
            ...("cidrs" in r.source ? { sourceAddressPrefixes: r.source.cidrs }
                : "tag" in r.source ? { sourceAddressPrefix: r.source.tag }
                    : { sourceApplicationSecurityGroups: group }),
        })),
        tags: s.tags(),
    }, { parent });

    // Secrets: a Key Vault of the deployment's own (RBAC), the passwords in it, and a managed
    // identity of the VMs that may read secrets there and nothing else.
    const identity = new az.managedidentity.UserAssignedIdentity(`${name}-identity`, { ...where, tags: s.tags() }, { parent });
    const identityOutput = (output: "clientId" | "principalId" | "tenantId") =>
        identity[output].apply((v) => requireComputed(name, AZURE_TYPES.identity, `${name}-identity`, output, v));
    const vault = new az.keyvault.Vault(`${name}-kv`, {
        ...where,
        vaultName: o.keyVaultName,
        properties: {
            tenantId: identityOutput("tenantId"),
            sku: { family: "A", name: "standard" },
            enableRbacAuthorization: true,
            enableSoftDelete: true,
            softDeleteRetentionInDays: 7,
        },
        tags: s.tags(),
    }, { parent });
    // Key Vault's rules: the name is the one asked for; the URI is https://<name>.vault.azure.net/ in Azure's public cloud.
    const vaultName = vault.name.apply((n) => computedOr(n, () => o.keyVaultName));
    const vaultUri = vault.properties.apply((p) => computedOr(p?.vaultUri, () => `https://${o.keyVaultName}.vault.azure.net/`));
    const keys = s.plan.secrets;
    const secrets = keys.map((key) => new az.keyvault.Secret(`${name}-kv-${SECRET_NAMES[key]}`, {
        resourceGroupName,
        vaultName,
        secretName: SECRET_NAMES[key],
        properties: { value: pulumi.secret(ctx.credentials.apply((c) => storedSecretValue(c, key))), contentType: `redis-deployment ${name}: ${key}` },
        tags: s.tags(),
    }, { parent }));
    const roleAssignment = new az.authorization.RoleAssignment(`${name}-read-secrets`, {
        roleAssignmentName: stableGuid(`${s.env.project}/${s.env.stack}/${name}/read-secrets`),
        scope: vault.id,
        principalId: identityOutput("principalId"),
        principalType: "ServicePrincipal",
        roleDefinitionId: reference.apply((r) => `/subscriptions/${r.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE}`),
        description: `redis-deployment ${name}: the VMs read their passwords`,
    }, { parent });

    const clientId = identityOutput("clientId");
    return {
        az, parent, subnet, resourceGroupName, layout, applicationSecurityGroup, securityGroup, identity, clientId, vaultUri,
        secretRefs: vaultUri.apply((uri) => secretRefs(keys, (secretName) => keyVaultSecretUrl(uri, secretName))),
        secretAccess: [roleAssignment, ...secrets],
        checks: [clientId, identityOutput("principalId"), identityOutput("tenantId"), vaultName, vaultUri],
    };
}

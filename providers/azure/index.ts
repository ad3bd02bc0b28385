// The Azure provider: Redis members, sentinels and HAProxy on VMs in an existing subnet.
//
// The FireCamp idea, as on AWS: a member's identity outlives its VM. Every VM gets its network
// interface (NIC) as a resource of its own, with a dynamic primary IP configuration (the VM's
// address) and one static IP configuration per node it runs; every member gets its own
// managed disk in its zone, attached to the VM at a fixed LUN by reference (createOption
// Attach). Neither the NIC nor the disk depends on the VM: a changed VM size is applied in
// place, a replaced VM gets the same NIC and disks back, and the member returns with the same
// address and data.
//
// Addresses are chosen, not assigned: Azure's static IP configurations take the address from
// the caller, so each node's address comes from its identity (providers/vm/staticAddresses.ts),
// counted down from the top of the subnet (or azure.addressRange). Members' addresses are
// therefore known before anything exists, never move, and a re-created NIC gets the same one.
//
// Only the azure-native submodules in use are loaded (`@pulumi/azure-native/compute`, ...),
// never the package root, which loads every Azure service; and only when this provider is used
// (an optional peer dependency).
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as authorizationSdk from "@pulumi/azure-native/authorization";
import type * as computeSdk from "@pulumi/azure-native/compute";
import type * as keyvaultSdk from "@pulumi/azure-native/keyvault";
import type * as managedidentitySdk from "@pulumi/azure-native/managedidentity";
import type * as networkSdk from "@pulumi/azure-native/network";
import type { RedisDeploymentArgs } from "../../components/args";
import type { AddressedMember, AddressedNode, TopologyPlan } from "../../components/types";
import type { InfraProvider, NodeHandles, ProviderContext, ProxyNode } from "../types";
import { VmProvider } from "../vm/provider";
import { renderBootScript } from "../vm/bootScript";
import { firewallPlan } from "../vm/firewall";
import { parseCidr } from "../vm/ipv4";
import { LayoutError, nodeNames, type HostKind, type HostPlan, type PlacedHost } from "../vm/layout";
import { SECRET_KEYS, SECRET_NAMES, type SecretKey } from "../vm/secrets";
import { staticLayout, usableRange, type StaticLayout } from "../vm/staticAddresses";
import { AZURE_LAUNCHER, azureBootHooks, azureDiskDevices, encodeAzureUserData, keyVaultSecretUrl } from "./boot";
import { azureArchitectureOf } from "./vmSizes";
import { loadBalancerName, parseSubnetId, validateAzureArgs, type ResolvedAzureArgs, type SubnetReference } from "./validate";

export type { AzureProviderArgs } from "./args";
export { validateAzureArgs, type ResolvedAzureArgs } from "./validate";
export { AZURE_VM_CATALOG, azureArchitectureOf } from "./vmSizes";
export { decodeAzureUserData } from "./boot";

interface AzureSdk {
    authorization: typeof authorizationSdk;
    compute: typeof computeSdk;
    keyvault: typeof keyvaultSdk;
    managedidentity: typeof managedidentitySdk;
    network: typeof networkSdk;
}

/** VMs boot, install packages and wait for Key Vault access before Redis answers: the bootstrap waits this long. */
export const AZURE_BOOTSTRAP_TIMEOUT_MS = 25 * 60 * 1000;
/** Azure reserves the first four addresses of a subnet (network, gateway, two DNS) and the last. */
export const AZURE_RESERVED_ADDRESSES = { low: 4, high: 1 } as const;
/** Built-in role "Key Vault Secrets User": read secret values, nothing else. */
export const KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6";
/** First priority of the deployment's allow rules; the deny rule after them shuts the default AllowVnetInBound out of its ports. */
const ALLOW_PRIORITY = 100;
const DENY_PRIORITY = 4000;
const PROBE_SOURCE = "AzureLoadBalancer";

function loadAzure(): AzureSdk {
    try {
        return {
            authorization: require("@pulumi/azure-native/authorization"),
            compute: require("@pulumi/azure-native/compute"),
            keyvault: require("@pulumi/azure-native/keyvault"),
            managedidentity: require("@pulumi/azure-native/managedidentity"),
            network: require("@pulumi/azure-native/network"),
        };
    } catch (err) {
        throw new pulumi.RunError(`provider "azure" needs the @pulumi/azure-native package (an optional peer dependency of redis-deployment): npm install @pulumi/azure-native@3 (${(err as Error).message.split("\n")[0]})`);
    }
}

/** A GUID derived from `text` (role assignment names must be GUIDs; a fixed one keeps the assignment across runs). */
export function stableGuid(text: string): string {
    const h = createHash("sha256").update(text).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The resource id of a child (frontend, pool, probe) of the load balancer `lbName`, before it exists. */
export function loadBalancerChildId(subscriptionId: string, resourceGroupName: string, lbName: string, kind: "frontendIPConfigurations" | "backendAddressPools" | "probes", child: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.Network/loadBalancers/${lbName}/${kind}/${child}`;
}

export interface NsgRule {
    name: string;
    priority: number;
    access: "Allow" | "Deny";
    ports: number[];
    /** A CIDR block, "AzureLoadBalancer", "*" (deny only), or the deployment's application security group. */
    source: { cidrs: string[] } | { tag: string } | { deploymentGroup: true };
    description: string;
}

/**
 * The network security group's inbound rules, pure: every port of the firewall plan from the
 * deployment's application security group, client ports also from `allowedCidrs`, the load
 * balanced ports from Azure's probe address, then a deny of those ports from anywhere else —
 * without it Azure's default rule AllowVnetInBound would let the whole virtual network (and
 * every peered network) in.
 */
export function nsgRules(plan: TopologyPlan, allowedCidrs: string[]): NsgRule[] {
    const rules: NsgRule[] = [];
    let priority = ALLOW_PRIORITY;
    const balanced = loadBalancedPorts(plan);
    for (const r of firewallPlan(plan)) {
        rules.push({ name: `${r.purpose}-from-deployment`, priority: priority++, access: "Allow", ports: [r.port], source: { deploymentGroup: true }, description: `${r.description}, between the deployment's hosts` });
        if (r.clients && allowedCidrs.length > 0) {
            rules.push({ name: `${r.purpose}-from-allowed`, priority: priority++, access: "Allow", ports: [r.port], source: { cidrs: allowedCidrs }, description: `${r.description}, from azure.allowedCidrs` });
        }
        if (balanced.includes(r.port)) {
            rules.push({ name: `${r.purpose}-from-probe`, priority: priority++, access: "Allow", ports: [r.port], source: { tag: PROBE_SOURCE }, description: `${r.description}, health probes of the load balancer` });
        }
    }
    rules.push({ name: "deny-other-sources", priority: DENY_PRIORITY, access: "Deny", ports: firewallPlan(plan).map((r) => r.port), source: { tag: "*" }, description: "the deployment's ports from anywhere else (overrides AllowVnetInBound)" });
    return rules;
}

/** The ports the internal load balancer forwards: Redis (write), and HAProxy's read port when there are proxies. */
export function loadBalancedPorts(plan: TopologyPlan): number[] {
    if (!plan.args.loadBalancer) return [];
    return plan.proxies.length > 0 ? [plan.args.port, plan.proxies[0].readPort] : [plan.args.port];
}

/** What every VM of the deployment shares; created once, on the first call. */
interface Foundation {
    az: AzureSdk;
    parent: pulumi.Resource;
    subnet: pulumi.Output<SubnetReference & { id: string; cidr: string }>;
    resourceGroupName: pulumi.Output<string>;
    layout: pulumi.Output<StaticLayout>;
    applicationSecurityGroup: networkSdk.ApplicationSecurityGroup;
    securityGroup: networkSdk.NetworkSecurityGroup;
    identity: managedidentitySdk.UserAssignedIdentity;
    vault: keyvaultSdk.Vault;
    secrets: Partial<Record<SecretKey, keyvaultSdk.Secret>>;
    roleAssignment: authorizationSdk.RoleAssignment;
}

interface HostResources {
    host: HostPlan;
    networkInterface: networkSdk.NetworkInterface;
    vm: computeSdk.VirtualMachine;
    disks: computeSdk.Disk[];
}

/** Azure VMs in an existing subnet, one NIC per VM and one managed disk per member. */
export class AzureProvider extends VmProvider<ResolvedAzureArgs> implements InfraProvider {
    readonly kind = "azure" as const;
    readonly bootstrapTimeoutMs = AZURE_BOOTSTRAP_TIMEOUT_MS;
    private foundationCache?: Foundation;

    constructor(name: string, args: RedisDeploymentArgs, plan: TopologyPlan) {
        super(name, plan, (env) => validateAzureArgs(name, args.azure, plan, env), (o) => o.membersPerVm);
    }

    private tags(extra: Record<string, string> = {}): Record<string, string> {
        return { ...this.options.tags, "redis-deployment": this.name, ...extra };
    }

    /** Location and resource group every resource is created with. */
    private placement(f: Foundation): { resourceGroupName: pulumi.Output<string>; location?: string } {
        return { resourceGroupName: f.resourceGroupName, ...(this.options.location ? { location: this.options.location } : {}) };
    }

    private foundation(ctx: ProviderContext): Foundation {
        if (this.foundationCache) return this.foundationCache;
        const az = loadAzure();
        const parent = ctx.parent;
        const name = this.name;
        const o = this.options;

        const reference = pulumi.output(o.subnetId).apply((id) => parseSubnetId(id) ?? this.fail(`azure.subnetId: ${JSON.stringify(id)} is not a subnet resource id`));
        const resourceGroupName = o.resourceGroupName ? pulumi.output(o.resourceGroupName) : reference.apply((r) => r.resourceGroupName);
        const subnet = pulumi.all([o.subnetId, reference]).apply(([id, ref]) =>
            az.network.getSubnetOutput({ resourceGroupName: ref.resourceGroupName, virtualNetworkName: ref.virtualNetworkName, subnetName: ref.subnetName }, { parent })
                .apply((found) => {
                    const prefix = found.addressPrefix ?? found.addressPrefixes?.find((p) => p.includes("."));
                    if (!prefix || !parseCidr(prefix)) this.fail(`azure.subnetId: the subnet ${ref.subnetName} has no IPv4 address prefix (${JSON.stringify(prefix)})`);
                    return { ...ref, id, cidr: prefix };
                }));
        const layout = subnet.apply((s) => {
            try {
                const range = usableRange(parseCidr(s.cidr)!, AZURE_RESERVED_ADDRESSES, o.addressRange, "azure.addressRange");
                return staticLayout(this.plan, range, o.addressRange ? "azure.addressRange" : `azure.subnetId (${s.subnetName}, ${s.cidr})`);
            } catch (err) {
                if (err instanceof LayoutError) this.fail(err.message);
                throw err;
            }
        });
        const where = { resourceGroupName, ...(o.location ? { location: o.location } : {}) };

        // Network: the deployment's hosts form one application security group; the NSG on every
        // NIC lets in the deployment's ports from that group and azure.allowedCidrs only.
        const applicationSecurityGroup = new az.network.ApplicationSecurityGroup(`${name}-asg`, { ...where, tags: this.tags() }, { parent });
        const group = [{ id: applicationSecurityGroup.id }];
        const securityGroup = new az.network.NetworkSecurityGroup(`${name}-nsg`, {
            ...where,
            securityRules: nsgRules(this.plan, o.allowedCidrs).map((r) => ({
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
            tags: this.tags(),
        }, { parent });

        // Secrets: a Key Vault of the deployment's own (RBAC), the passwords in it, and a managed
        // identity of the VMs that may read secrets there and nothing else.
        const identity = new az.managedidentity.UserAssignedIdentity(`${name}-identity`, { ...where, tags: this.tags() }, { parent });
        const vault = new az.keyvault.Vault(`${name}-kv`, {
            ...where,
            vaultName: o.keyVaultName,
            properties: {
                tenantId: identity.tenantId,
                sku: { family: "A", name: "standard" },
                enableRbacAuthorization: true,
                enableSoftDelete: true,
                softDeleteRetentionInDays: 7,
            },
            tags: this.tags(),
        }, { parent });
        const keys: SecretKey[] = SECRET_KEYS.filter((k) => k !== "password" || this.plan.args.authEnabled);
        const secrets: Partial<Record<SecretKey, keyvaultSdk.Secret>> = {};
        for (const key of keys) {
            secrets[key] = new az.keyvault.Secret(`${name}-kv-${SECRET_NAMES[key]}`, {
                resourceGroupName,
                vaultName: vault.name,
                secretName: SECRET_NAMES[key],
                properties: { value: pulumi.secret(ctx.credentials.apply((c) => c[key])), contentType: `redis-deployment ${name}: ${key}` },
                tags: this.tags(),
            }, { parent });
        }
        const roleAssignment = new az.authorization.RoleAssignment(`${name}-read-secrets`, {
            roleAssignmentName: stableGuid(`${this.env.project}/${this.env.stack}/${name}/read-secrets`),
            scope: vault.id,
            principalId: identity.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: reference.apply((r) => `/subscriptions/${r.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE}`),
            description: `redis-deployment ${name}: the VMs read their passwords`,
        }, { parent });

        this.foundationCache = { az, parent, subnet, resourceGroupName, layout, applicationSecurityGroup, securityGroup, identity, vault, secrets, roleAssignment };
        return this.foundationCache;
    }

    private secretRefs(f: Foundation, vaultUri: string): Record<SecretKey, string> {
        return Object.fromEntries(SECRET_KEYS.filter((k) => f.secrets[k]).map((k) => [k, keyVaultSecretUrl(vaultUri, SECRET_NAMES[k])])) as Record<SecretKey, string>;
    }

    /** A host's NIC, a resource of its own: the VM's dynamic address and one static address per node. */
    private createInterface(ctx: ProviderContext, f: Foundation, host: HostPlan): { host: HostPlan; networkInterface: networkSdk.NetworkInterface; placed: pulumi.Output<PlacedHost> } {
        const nodes = nodeNames(host);
        const subnetRef = { id: f.subnet.apply((s) => s.id) };
        const groups = [{ id: f.applicationSecurityGroup.id }];
        const networkInterface = new f.az.network.NetworkInterface(`${host.name}-nic`, {
            ...this.placement(f),
            ipConfigurations: [
                { name: "host", primary: true, privateIPAllocationMethod: "Dynamic", subnet: subnetRef, applicationSecurityGroups: groups },
                ...nodes.map((node) => ({
                    name: node,
                    privateIPAllocationMethod: "Static",
                    privateIPAddress: f.layout.apply((l) => l.nodes[node]),
                    subnet: subnetRef,
                    applicationSecurityGroups: groups,
                })),
            ],
            networkSecurityGroup: { id: f.securityGroup.id },
            tags: this.tags({ "redis-deployment-host": host.name }),
        }, { parent: ctx.parent });
        const placed = pulumi.all([f.subnet, f.layout, networkInterface.ipConfigurations]).apply(([s, l, configs]) => ({
            host,
            subnet: { id: s.id, zone: host.zone, cidr: s.cidr },
            hostAddress: configs?.find((c) => c.primary)?.privateIPAddress ?? "",
            nodeAddresses: Object.fromEntries(nodes.map((n) => [n, l.nodes[n]])),
        }));
        return { host, networkInterface, placed };
    }

    private image(vmSize: string): { publisher: string; offer: string; sku: string; version: string } {
        return this.options.image ?? { publisher: "Debian", offer: "debian-12", sku: azureArchitectureOf(vmSize) === "arm64" ? "12-arm64" : "12-gen2", version: "latest" };
    }

    /** One VM on its NIC with its members' managed disks attached at LUN 0, 1, ... in member order. */
    private createHost(ctx: ProviderContext, f: Foundation, nic: ReturnType<AzureProvider["createInterface"]>, vmSize: string, allMembers: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[] = []): HostResources {
        const { compute } = f.az;
        const parent = ctx.parent;
        const o = this.options;
        const { host, networkInterface, placed } = nic;

        const disks = host.members.map((m) => new compute.Disk(`${m.name}-data`, {
            ...this.placement(f),
            zones: [m.zone],
            sku: { name: o.diskSku },
            diskSizeGB: o.diskSizeGiB,
            creationData: { createOption: "Empty" },
            tags: this.tags({ "redis-deployment-member": m.name }),
        }, { parent }));

        const userData = pulumi.all([placed, allMembers, f.identity.clientId, f.vault.properties]).apply(([p, members, clientId, vaultProperties]) =>
            encodeAzureUserData(renderBootScript({
                plan: this.plan,
                placed: p,
                allMembers: members,
                disks: Object.fromEntries(host.members.map((m, lun) => [m.name, azureDiskDevices(lun)])),
                secretRefs: this.secretRefs(f, vaultProperties.vaultUri!),
                hooks: azureBootHooks(clientId, vaultProperties.vaultUri!),
            })));

        const vm = new compute.VirtualMachine(host.name, {
            ...this.placement(f),
            zones: [host.zone],
            hardwareProfile: { vmSize },
            networkProfile: { networkInterfaces: [{ id: networkInterface.id, primary: true, deleteOption: "Detach" }] },
            storageProfile: {
                imageReference: this.image(vmSize),
                osDisk: { createOption: "FromImage", caching: "ReadWrite", managedDisk: { storageAccountType: "StandardSSD_LRS" }, deleteOption: "Delete" },
                // By reference: the disks are resources of their own and stay when the VM goes.
                dataDisks: disks.map((d, lun) => ({ lun, createOption: "Attach", managedDisk: { id: d.id }, caching: "None", deleteOption: "Detach" })),
            },
            osProfile: {
                computerName: host.name,
                adminUsername: o.adminUsername,
                customData: Buffer.from(AZURE_LAUNCHER).toString("base64"),
                linuxConfiguration: {
                    disablePasswordAuthentication: true,
                    ssh: { publicKeys: [{ path: `/home/${o.adminUsername}/.ssh/authorized_keys`, keyData: o.sshPublicKey }] },
                },
            },
            identity: { type: "UserAssigned", userAssignedIdentities: [f.identity.id] },
            userData,
            tags: this.tags({ "redis-deployment-role": host.kind }),
        }, {
            parent,
            // A NIC belongs to one VM at a time: a replaced VM goes first, releasing NIC and disks.
            deleteBeforeReplace: true,
            dependsOn: [f.roleAssignment, ...Object.values(f.secrets), ...dependsOn],
        });
        return { host, networkInterface, vm, disks };
    }

    private handles<T extends AddressedNode>(nodes: pulumi.Output<T[]>, created: HostResources[]): NodeHandles<T> {
        return {
            nodes,
            resources: created.flatMap((h) => [h.networkInterface, h.vm, ...h.disks]),
            // A replaced VM changes its id: the bootstrap runs again.
            generation: pulumi.all(created.map((h) => h.vm.id)).apply((ids) => ids.join(",")),
        };
    }

    private hostsOf(kind: HostKind): HostPlan[] {
        return this.hosts.filter((h) => h.kind === kind);
    }

    /** The nodes with their static addresses (known from the subnet alone, before any NIC exists). */
    private addressed<T extends { name: string }>(f: Foundation, nodes: T[]): pulumi.Output<(T & { address: string })[]> {
        return f.layout.apply((l) => nodes.map((node) => ({ ...node, address: l.nodes[node.name] })));
    }

    members(ctx: ProviderContext): NodeHandles<AddressedMember> {
        const f = this.foundation(ctx);
        const all = this.addressed(f, ctx.plan.members);
        const created = this.hostsOf("member").map((host) => {
            // A replica's boot script names its shard's master (a new replica follows it); none in cluster mode.
            const masters = ctx.plan.args.mode === "cluster" ? [] : ctx.plan.members.filter((m) =>
                m.role === "master" && host.members.some((r) => r.role === "replica" && r.shard === m.shard));
            return this.createHost(ctx, f, this.createInterface(ctx, f, host), this.options.vmSize, this.addressed(f, masters));
        });
        return this.handles(all, created);
    }

    sentinels(ctx: ProviderContext): NodeHandles {
        const f = this.foundation(ctx);
        // sentinel.conf names no member (the bootstrap tells the sentinels the master).
        const created = this.hostsOf("sentinel").map((host) => this.createHost(ctx, f, this.createInterface(ctx, f, host), this.options.sentinelVmSize, pulumi.output([] as AddressedMember[])));
        return this.handles(this.addressed(f, ctx.plan.sentinels), created);
    }

    proxies(ctx: ProviderContext, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode> {
        const f = this.foundation(ctx);
        const created = this.hostsOf("proxy").map((host) => this.createHost(ctx, f, this.createInterface(ctx, f, host), this.options.proxyVmSize, members, dependsOn));
        return this.handles(this.addressed(f, ctx.plan.proxies), created);
    }

    /**
     * An internal Standard load balancer in front of the proxies (or the member in standalone
     * mode): a static frontend address in the subnet (zone-redundant over the deployment's
     * zones), a backend pool of the nodes' own addresses (IP-based, so the NICs do not depend
     * on the load balancer and a replaced VM needs no re-registration), a TCP probe and a rule
     * per port.
     */
    loadBalancer(ctx: ProviderContext, proxies: NodeHandles<ProxyNode>): pulumi.Output<string> | undefined {
        const { args } = ctx.plan;
        if (!args.loadBalancer) return undefined;
        const f = this.foundation(ctx);
        const viaProxies = ctx.plan.proxies.length > 0;
        const targets = viaProxies ? ctx.plan.proxies.map((p) => p.name) : ctx.plan.members.filter((m) => m.role === "master").map((m) => m.name);
        const lbName = loadBalancerName(this.env.project, this.env.stack, this.name);
        const childId = (kind: Parameters<typeof loadBalancerChildId>[3], child: string) =>
            pulumi.all([f.subnet, f.resourceGroupName]).apply(([s, rg]) => loadBalancerChildId(s.subscriptionId, rg, lbName, kind, child));
        const ports = loadBalancedPorts(ctx.plan);

        const lb = new f.az.network.LoadBalancer(`${this.name}-ilb`, {
            ...this.placement(f),
            loadBalancerName: lbName,
            sku: { name: "Standard", tier: "Regional" },
            frontendIPConfigurations: [{
                name: "frontend",
                privateIPAllocationMethod: "Static",
                privateIPAddress: f.layout.apply((l) => l.loadBalancer),
                subnet: { id: f.subnet.apply((s) => s.id) },
                zones: args.zones.length > 1 ? ["1", "2", "3"] : args.zones,
            }],
            backendAddressPools: [{
                name: "targets",
                loadBalancerBackendAddresses: targets.map((target) => ({
                    name: target,
                    ipAddress: f.layout.apply((l) => l.nodes[target]),
                    virtualNetwork: { id: f.subnet.apply((s) => s.virtualNetworkId) },
                })),
            }],
            probes: ports.map((port) => ({ name: `tcp-${port}`, protocol: "Tcp", port, intervalInSeconds: 5, probeThreshold: 2 })),
            loadBalancingRules: ports.map((port) => ({
                name: `tcp-${port}`,
                protocol: "Tcp",
                frontendPort: port,
                backendPort: port,
                frontendIPConfiguration: { id: childId("frontendIPConfigurations", "frontend") },
                backendAddressPool: { id: childId("backendAddressPools", "targets") },
                probe: { id: childId("probes", `tcp-${port}`) },
                enableTcpReset: true,
                // Redis connections idle for long (pub/sub, pools): the longest Azure allows.
                idleTimeoutInMinutes: 30,
            })),
            tags: this.tags(),
        }, { parent: ctx.parent, dependsOn: proxies.resources });
        return pulumi.all([lb.id, f.layout]).apply(([, l]) => `${l.loadBalancer}:${args.port}`);
    }
}

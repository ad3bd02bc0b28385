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
// The skeleton (hosts, boot scripts, handles) is the VM base's (providers/vm/provider.ts); this
// folder has Azure's parts: foundation.ts (subnet, layout, ASG/NSG, identity, Key Vault),
// host.ts (NIC, disks, VM), loadBalancer.ts, rules.ts (pure rules), computed.ts.
//
// Only the azure-native submodules in use are loaded (`@pulumi/azure-native/compute`, ...),
// never the package root, which loads every Azure service; and only when this provider is used
// (an optional peer dependency).
import { azureWorkspaceName } from "./logs";
import type * as computeSdk from "@pulumi/azure-native/compute";
import type { RedisDeploymentArgs } from "../../components/args";
import type { TopologyPlan } from "../../components/types";
import type { InfraProvider } from "../types";
import { storeAzureSecretFile } from "./secretFiles";
import { VmProvider, type VmCloud } from "../vm/provider";
import { createAzureFoundation, type AzureFoundation, type AzureScope } from "./foundation";
import { grantAzureStorage } from "./storageGrant";
import { azureBootParts, createDisks, createInterface, createVm, type AzureMachine, type AzureNetwork } from "./host";
import { createInternalLoadBalancer } from "./loadBalancer";
import { validateAzureArgs, type ResolvedAzureArgs } from "./validate";

export type { AzureProviderArgs } from "./args";
export { validateAzureArgs, type ResolvedAzureArgs } from "./validate";
export { AZURE_VM_CATALOG, azureArchitectureOf } from "./vmSizes";
export { decodeAzureUserData } from "./boot";
export { AZURE_RESERVED_ADDRESSES, KEY_VAULT_SECRETS_USER_ROLE } from "./foundation";
export { loadBalancerChildId, nsgRules, stableGuid, type NsgRule } from "./rules";
export { AZURE_TYPES, COMPUTED_OUTPUTS, DERIVED_OUTPUTS } from "./computed";

/** VMs boot, install packages and wait for Key Vault access before Redis answers: the bootstrap waits this long. */
export const AZURE_BOOTSTRAP_TIMEOUT_MS = 25 * 60 * 1000;

/** Azure's parts of a VM deployment (the skeleton is providers/vm/provider.ts). */
export const AZURE_CLOUD: VmCloud<ResolvedAzureArgs, AzureScope, AzureFoundation, AzureNetwork, AzureMachine, computeSdk.Disk[]> = {
    kind: "azure",
    bootstrapTimeoutMs: AZURE_BOOTSTRAP_TIMEOUT_MS,
    validate: (name, args, plan, env) => validateAzureArgs(name, args.azure, plan, env),
    membersPerHost: (o) => o.membersPerVm,
    sizes: (o) => ({ member: o.vmSize, sentinel: o.sentinelVmSize, proxy: o.proxyVmSize }),
    scope: (base) => ({ ...base, tags: (extra = {}) => ({ ...base.options.tags, "redis-deployment": base.name, ...extra }) }),
    foundation: createAzureFoundation,
    grantStorage: grantAzureStorage,
    network: createInterface,
    disks: createDisks,
    bootParts: (f, network) => azureBootParts(f, network),
    logDestination: (s) => ({ destination: `Azure Monitor: the Syslog table of Log Analytics workspace ${azureWorkspaceName(s)} (the Azure Monitor agent, data collection rule ${s.name}-logs)`, files: false }),
    machine: createVm,
    loadBalancer: createInternalLoadBalancer,
    storeSecretFile: storeAzureSecretFile,
    // Static addresses are known from the subnet alone, before any NIC exists.
    addressed: (stage, nodes) => stage.foundation.layout.apply((l) => nodes.map((node) => ({ ...node, address: l.nodes[node.name] }))),
};

/** Azure VMs in an existing subnet, one NIC per VM and one managed disk per member. */
export class AzureProvider extends VmProvider<ResolvedAzureArgs, AzureScope, AzureFoundation, AzureNetwork, AzureMachine, computeSdk.Disk[]> implements InfraProvider {
    constructor(name: string, args: RedisDeploymentArgs, plan: TopologyPlan) {
        super(name, args, plan, AZURE_CLOUD);
    }
}

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
import type * as pulumi from "@pulumi/pulumi";
import type * as computeSdk from "@pulumi/azure-native/compute";
import type { RedisDeploymentArgs } from "../../components/args";
import type { TopologyPlan } from "../../components/types";
import type { InfraProvider, ProviderContext } from "../types";
import type { HostKind, HostPlan } from "../vm/layout";
import { VmProvider, type HostSpec, type LoadBalancerFront, type Stage } from "../vm/provider";
import { createAzureFoundation, type AzureFoundation, type AzureScope } from "./foundation";
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

type AzureStage = Stage<AzureFoundation, AzureNetwork, AzureMachine>;

/** Azure VMs in an existing subnet, one NIC per VM and one managed disk per member. */
export class AzureProvider extends VmProvider<ResolvedAzureArgs, AzureFoundation, AzureNetwork, AzureMachine, computeSdk.Disk[]> implements InfraProvider {
    readonly kind = "azure" as const;
    readonly bootstrapTimeoutMs = AZURE_BOOTSTRAP_TIMEOUT_MS;
    private readonly scope: AzureScope;

    constructor(name: string, args: RedisDeploymentArgs, plan: TopologyPlan) {
        super(name, plan, (env) => validateAzureArgs(name, args.azure, plan, env), (o) => o.membersPerVm);
        this.scope = {
            name, options: this.options, plan, env: this.env,
            tags: (extra = {}) => ({ ...this.options.tags, "redis-deployment": name, ...extra }),
            fail: (message) => this.fail(message),
        };
    }

    protected sizeOf(kind: HostKind): string {
        const o = this.options;
        return kind === "member" ? o.vmSize : kind === "sentinel" ? o.sentinelVmSize : o.proxyVmSize;
    }

    /** The nodes with their static addresses (known from the subnet alone, before any NIC exists). */
    protected addressed<T extends { name: string }>(stage: AzureStage, nodes: T[]): pulumi.Output<(T & { address: string })[]> {
        return stage.foundation.layout.apply((l) => nodes.map((node) => ({ ...node, address: l.nodes[node.name] })));
    }

    protected createFoundation(ctx: ProviderContext): AzureFoundation {
        return createAzureFoundation(this.scope, ctx);
    }

    protected createNetwork(ctx: ProviderContext, f: AzureFoundation, host: HostPlan): AzureNetwork {
        return createInterface(this.scope, ctx, f, host);
    }

    protected createDisks(ctx: ProviderContext, f: AzureFoundation, host: HostPlan): computeSdk.Disk[] {
        return createDisks(this.scope, ctx, f, host);
    }

    protected bootParts(f: AzureFoundation, network: AzureNetwork) {
        return azureBootParts(f, network);
    }

    protected createMachine(ctx: ProviderContext, f: AzureFoundation, network: AzureNetwork, disks: computeSdk.Disk[], script: pulumi.Output<string>, spec: HostSpec): AzureMachine {
        return createVm(this.scope, ctx, f, network, disks, script, spec);
    }

    protected createLoadBalancer(ctx: ProviderContext, f: AzureFoundation, front: LoadBalancerFront<AzureNetwork, AzureMachine>): pulumi.Output<string> {
        return createInternalLoadBalancer(this.scope, ctx, f, front);
    }
}

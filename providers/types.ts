import type * as pulumi from "@pulumi/pulumi";
import type {
    AddressedMember, AddressedNode, BootstrapAccess, Credentials, ProviderKind, TopologyPlan,
} from "../components/types";

/** What every provider is handed: the plan, the credentials (secret), and the parent component. */
export interface ProviderContext {
    plan: TopologyPlan;
    credentials: pulumi.Output<Credentials>;
    parent: pulumi.Resource;
}

/** Running nodes at their static addresses, and the resources to wait for before using them. */
export interface NodeHandles<T extends AddressedNode = AddressedNode> {
    nodes: pulumi.Output<T[]>;
    resources: pulumi.Resource[];
    /** Changes whenever any node is (re)started or replaced: the bootstrap runs again then. */
    generation: pulumi.Output<string>;
}

export interface ProxyNode extends AddressedNode {
    readPort: number;
}

/**
 * One infrastructure provider. Planning, rendering and bootstrap are shared; a provider only
 * turns planned nodes into running processes at static addresses.
 */
export interface InfraProvider {
    readonly kind: ProviderKind;
    /** Redis members (every shard, every role). */
    members(ctx: ProviderContext): NodeHandles<AddressedMember>;
    /** Sentinels (sentinel mode). */
    sentinels(ctx: ProviderContext): NodeHandles;
    /** HAProxy instances in front of `members`; created after `dependsOn` (the bootstrap). */
    proxies(ctx: ProviderContext, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode>;
    /** A load balancer in front of the proxies, when the provider has one: its host:port. */
    loadBalancer(ctx: ProviderContext, proxies: NodeHandles<ProxyNode>): pulumi.Output<string> | undefined;
    /** How the bootstrap reaches the members. */
    access(): BootstrapAccess;
    /** How long the bootstrap waits for members to answer; default 2 minutes (VMs boot and install packages first). */
    readonly bootstrapTimeoutMs?: number;
}

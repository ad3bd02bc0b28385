import * as pulumi from "@pulumi/pulumi";
import type { LogLocations } from "../components/logs";
import type {
    AddressedMember, AddressedNode, BootstrapAccess, Credentials, ProviderKind, TopologyPlan,
} from "../components/types";
import type { TlsMaterial } from "../components/tls";

/** What every provider is handed: the plan, the credentials (secret), and the parent component. */
export interface ProviderContext {
    plan: TopologyPlan;
    credentials: pulumi.Output<Credentials>;
    parent: pulumi.Resource;
    /** With tls.enabled: every node's certificate and key and the CA (secret); place them with the node's files. */
    tls?: pulumi.Output<TlsMaterial>;
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

/** A job a capability runs on a schedule next to one member of each shard (e.g. a backup). */
export interface ScheduledJob {
    /** Short name, unique in the deployment: names the unit, CronJob or local process. */
    name: string;
    /** Cron syntax, UTC. */
    schedule: string;
    /** The script (rendered by core code) and the arguments it is run with. */
    script: string;
    args: string[];
    /**
     * Plain (non-secret) variables the script reads. A provider that runs the job next to one
     * member of each shard adds `RD_ONLY_SHARDS=<shard>` there; secrets never travel here.
     */
    environment?: pulumi.Input<Record<string, string>>;
}

/** An object-store location the nodes' identity must reach (e.g. `s3://bucket/prefix`). */
export interface StorageGrant {
    target: string;
    access: "read" | "read-write";
}

/**
 * Where a capability that spans providers (backups, TLS, exporters) hooks in: core code
 * validates, plans and renders; a provider only places what was rendered. Each hook is optional
 * until the first capability that needs it; a capability checks for the hook at construction and
 * refuses a provider without it with one clear error (see requireCapability).
 */
export interface ProviderCapabilities {
    /**
     * TLS: the names (IP addresses, DNS names) each node (member, sentinel, proxy, by name) is
     * reached at, known before the node exists: its certificate's subject alternative names.
     */
    tlsSubjects?(ctx: ProviderContext): pulumi.Output<Record<string, string[]>>;
    /**
     * Files with secret contents on each node (`node name -> file name -> contents`), e.g. TLS
     * keys: the VM clouds' secret stores, a Kubernetes Secret. Called before the nodes are
     * created; the nodes wait for what it returns. (The local provider writes its nodes' key
     * files itself, mode 0600, when it starts them.)
     */
    secretFiles?(ctx: ProviderContext, files: Record<string, Record<string, pulumi.Input<string>>>): pulumi.Resource[];
    /** A job on a schedule: a systemd timer on one member VM per shard, a CronJob, a process on this machine. */
    scheduledJob?(ctx: ProviderContext, job: ScheduledJob): pulumi.Resource[];
    /** Lets the nodes' identity use an object-store location: the instance role, the service account, the managed identity; on Kubernetes a Secret the user names. */
    grantStorage?(ctx: ProviderContext, grant: StorageGrant): pulumi.Resource[];
}

/** The hook `capability` needs, or one error saying which provider lacks it. */
export function requireCapability<K extends keyof ProviderCapabilities>(provider: InfraProvider, hook: K, capability: string): NonNullable<ProviderCapabilities[K]> {
    const found = provider[hook];
    if (!found) throw new pulumi.RunError(`${capability} is not available on the ${provider.kind} provider yet (it has no ${hook} hook)`);
    return found.bind(provider) as NonNullable<ProviderCapabilities[K]>;
}

/**
 * One infrastructure provider. Planning, rendering and bootstrap are shared; a provider only
 * turns planned nodes into running processes at static addresses.
 */
export interface InfraProvider extends ProviderCapabilities {
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
    /** Where the nodes' logs are (the `logs` output). */
    logs(ctx: ProviderContext): LogLocations;
}

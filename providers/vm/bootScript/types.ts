// What the boot script is rendered from (BootScriptInput, CloudHooks), what its sections see
// (BootContext) and what a section is (BootSection).
import type { AddressedMember, StoredSecret, TopologyPlan } from "../../../components/types";
import type { PlacedHost } from "../layout";
import type { VmScheduledJob } from "./scheduledJobs";

/** Where things live on a VM. */
export const VM_PATHS = {
    /** Members: the mount point of the member's data disk (config + data); sentinels: their state. */
    data: "/var/lib/redis-deployment",
    /** HAProxy configs. */
    etc: "/etc/redis-deployment",
    /** The installed copy of the boot script, run at every later boot. */
    self: "/usr/local/sbin/redis-deployment-boot",
    bootUnit: "redis-deployment-boot.service",
} as const;

/** systemd unit of a node. */
export function unitName(node: string): string {
    return `redis-deployment-${node}.service`;
}

export interface CloudHooks {
    /** "aws", "gcp", "azure": named in comments and logs. */
    cloud: string;
    /** Where the secrets are read from, for comments and errors, e.g. "AWS SSM Parameter Store". */
    secretStore: string;
    /** Distribution packages the hooks need (e.g. awscli). */
    packages: string[];
    /** Body of the bash function `rd_cloud_secret REF`: prints the secret stored under REF. */
    secretFunction: string;
    /** Body of `rd_cloud_user_data`: prints this VM's current user data (may be gzip). Absent: no refresh at boot. */
    userDataFunction?: string;
    /** Whether the node addresses must be added to the interface (`ip addr add`); false where the cloud's guest agent does it. */
    addAddresses: boolean;
    /**
     * Whether to wait, before starting nodes, until every node address is local to the VM: where
     * the cloud's guest agent makes them local some time after boot (GCP alias IPs), a node
     * started earlier could not bind its address.
     */
    awaitAddresses?: boolean;
    /**
     * Whether the cloud's agent runs the VM's current script at every boot (GCP startup-script):
     * then the script installs neither a copy of itself nor a boot unit (it would run twice).
     */
    runByCloudAtEveryBoot?: boolean;
    /** How often a secret read is tried, 5 s apart (a new VM's permission to read can take minutes to apply). Default 30. */
    secretAttempts?: number;
    /** With `logs` on: the cloud's log agent and where it writes (see bootScript/logs.ts). */
    logs?: LogShipping;
}

/** The cloud's log agent on a VM. */
export type LogShipping =
    | { agent: "cloudwatch"; logGroup: string; region: string }
    | { agent: "ops-agent" }
    | { agent: "azure-monitor" };

export interface BootScriptInput {
    plan: TopologyPlan;
    /** The VM, its subnet and its nodes' addresses. */
    placed: PlacedHost;
    /**
     * The members this host's configs refer to, with their addresses: all of them for a proxy
     * (haproxy.cfg lists every member), the shard's master for a host with replicas in
     * replication and sentinel mode (a new replica follows it), none otherwise.
     */
    allMembers: AddressedMember[];
    /** Member name -> device paths of its data disk, most stable first; the first that exists is used. */
    disks: Record<string, string[]>;
    /** Secret key -> where the cloud's secret store keeps it (e.g. an SSM parameter name). */
    secretRefs: Record<StoredSecret, string>;
    hooks: CloudHooks;
    /**
     * Addresses a load balancer delivers to this host unchanged (GCP's passthrough LB keeps its
     * own address as the destination): the host's proxies, or its members, listen there too.
     */
    alsoListenOn?: string[];
    /** Jobs on a schedule this VM runs (the backup job on one member VM per shard). */
    scheduledJobs?: VmScheduledJob[];
    /**
     * With tls.enabled: the CA and each node's certificate (public: carried in the script) and
     * where each node's private key is in the secret store (base64, read at boot).
     */
    tls?: { ca: string; certificates: Record<string, string>; keyRefs: Record<string, string> };
}

/** One node of the VM with its config template (placeholder credentials, root token). */
export interface NodeTemplate {
    kind: "redis" | "sentinel" | "haproxy";
    name: string;
    address: string;
    port: number;
    template: string;
    /** Replicas in replication and sentinel mode: "<master address> <port>" to follow until the bootstrap ran. */
    replicaOf?: string;
}

/** What every section renders from: the input and what is derived from it once. */
export interface BootContext extends BootScriptInput {
    /** The VM's nodes in start order: members, sentinels, proxies. */
    nodes: NodeTemplate[];
    /** The secrets the nodes' configs use, in CREDENTIAL_KEYS order. */
    secrets: StoredSecret[];
    /** Distribution packages the host needs: every section's, in list order, once each. */
    packages: string[];
}

/**
 * One part of the boot script: the bash functions it defines and where rd_main calls them.
 * rd_main runs every section's `preflight` lines, announces the host, then runs every section's
 * `steps`, then for each node every section's `nodeSteps`, then every section's `finish` lines,
 * each time in the order of the section list.
 */
export interface BootSection {
    /** Short name, for the list and for tests. */
    name: string;
    /** Distribution packages the section's functions need (installed by the packages section). */
    packages?(ctx: Omit<BootContext, "packages">): string[];
    /** The section's bash function definitions with their comments (the prelude's: the script's head), without a trailing newline; sections are separated by a blank line. */
    functions?(ctx: BootContext): string;
    /** Lines run before the host is touched (e.g. switching to a newer script). */
    preflight?(ctx: BootContext): string[];
    /** Lines that prepare the host, before any node. */
    steps?(ctx: BootContext): string[];
    /** Lines that set up one node. */
    nodeSteps?(ctx: BootContext, node: NodeTemplate): string[];
    /** Lines run once every node is set up. */
    finish?(ctx: BootContext): string[];
}

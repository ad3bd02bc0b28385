
/** Persistent disk types a member's data disk may use. */
export const GCP_DISK_TYPES = ["pd-balanced", "pd-ssd", "pd-standard"] as const;
export type GcpDiskType = (typeof GCP_DISK_TYPES)[number];

/**
 * Options of the GCP provider (`provider: "gcp"`). The VPC network and its subnetworks exist
 * already; the deployment creates its service account, secrets, firewall rules, static internal
 * addresses, persistent disks, VMs and (with `loadBalancer`) an internal TCP load balancer.
 */
export interface GcpProviderArgs {
    /**
     * Existing subnetworks of one VPC network, at least one in the region of every zone of
     * `zones` (more than one in a region spreads its VMs over them): `projects/P/regions/R/subnetworks/S`
     * (a Shared VPC host project is fine), its full self link, or `regions/R/subnetworks/S` in the
     * provider's project.
     */
    subnetworks: string[];
    /**
     * IPv4 CIDR blocks allowed to reach the Redis, Sentinel and HAProxy ports: your applications,
     * and the machine running `pulumi up` (the bootstrap connects to every member directly).
     * At least one of `allowedCidrs` and `allowedSourceTags` is required.
     */
    allowedCidrs?: string[];
    /** Network tags of VMs (e.g. your applications') allowed to reach the same ports. */
    allowedSourceTags?: string[];
    /** Machine type of the member VMs. Default: the smallest with memory >= 2.5 x maxmemory x membersPerInstance. */
    machineType?: string;
    /** Machine type of the sentinel VMs. Default `e2-small`. */
    sentinelMachineType?: string;
    /** Machine type of the HAProxy VMs. Default `e2-small`. */
    proxyMachineType?: string;
    /** Members sharing one VM (same zone, never two of one shard). Default 1: a VM per member. */
    membersPerInstance?: number;
    /**
     * Boot image of every VM; it must be Debian 12 (bookworm) or compatible: Redis 7 comes from its
     * repositories. Default: the newest image of the `debian-cloud/debian-12` family at creation;
     * later images do not replace running VMs (set this to roll them).
     */
    image?: string;
    /** Persistent disk type of the data disks. Default `pd-balanced`. */
    diskType?: "pd-balanced" | "pd-ssd" | "pd-standard";
    /** Data disk size in GB. Default: 6 x maxmemory with AOF, 2 x without, at least 10. */
    diskSizeGb?: number;
    /** Prefix of the Secret Manager secret ids of the passwords. Default `redis-deployment-<project>-<stack>-<name>`. */
    secretPrefix?: string;
    /** More network tags for every VM (e.g. for an SSH firewall rule). */
    networkTags?: string[];
    /** Labels added to every resource that takes labels. */
    labels?: Record<string, string>;
}

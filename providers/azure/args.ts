import type * as pulumi from "@pulumi/pulumi";

/** Managed disk SKUs a member's data disk may use (all zonal, locally redundant). */
export const AZURE_DISK_SKUS = ["Premium_LRS", "StandardSSD_LRS", "PremiumV2_LRS"] as const;
export type AzureDiskSku = (typeof AZURE_DISK_SKUS)[number];

/** A marketplace image (must be Debian 12 or compatible). */
export interface AzureImage {
    publisher: string;
    offer: string;
    sku: string;
    version: string;
}

/**
 * Options of the Azure provider (`provider: "azure"`). The resource group, virtual network and
 * subnet exist already; the deployment creates its application and network security groups,
 * managed identity, Key Vault, network interfaces, managed disks, VMs and (with
 * `loadBalancer`) an internal Standard load balancer in them.
 */
export interface AzureProviderArgs {
    /**
     * The existing subnet, by its full resource id
     * (`/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>`).
     * Azure subnets span every zone of the region. Private: nothing gets a public address.
     */
    subnetId: pulumi.Input<string>;
    /** Resource group of the deployment's resources. Default: the subnet's resource group. */
    resourceGroupName?: string;
    /** Azure region. Default: the azure-native provider's `azure-native:location`, else the resource group's. */
    location?: string;
    /**
     * IPv4 CIDR blocks allowed to reach the Redis, Sentinel and HAProxy ports: your applications,
     * and the machine running `pulumi up` (the bootstrap connects to every member directly).
     */
    allowedCidrs: string[];
    /**
     * The block inside the subnet the deployment's static addresses come from (counted down from
     * its top). Default: the whole subnet. Reserve one when other workloads share the subnet.
     */
    addressRange?: string;
    /** SSH public key of the VMs' admin user (Azure requires one for Linux VMs; password login stays off). */
    sshPublicKey: string;
    /** Admin user of the VMs. Default `rdadmin`. */
    adminUsername?: string;
    /** Size of the member VMs. Default: the smallest with memory >= 2.5 x maxmemory x membersPerVm. */
    vmSize?: string;
    /** Size of the sentinel VMs. Default `Standard_B2s`. */
    sentinelVmSize?: string;
    /** Size of the HAProxy VMs. Default `Standard_B2s`. */
    proxyVmSize?: string;
    /** Members sharing one VM (same zone, never two of one shard). Default 1: a VM per member. */
    membersPerVm?: number;
    /**
     * Image of every VM; it must be Debian 12 (bookworm) or compatible: Redis 7, curl and jq come
     * from its repositories. Default: Debian's `debian-12` `12-gen2` (`12-arm64` for Arm sizes), `latest`.
     */
    image?: AzureImage;
    /** Managed disk SKU of the data disks. Default `Premium_LRS`. */
    diskSku?: AzureDiskSku;
    /** Data disk size in GiB. Default: 6 x maxmemory with AOF, 2 x without, at least 10. */
    diskSizeGiB?: number;
    /** Name of the deployment's Key Vault (globally unique, 3-24 characters). Default `rd-<name>-<hash>`. */
    keyVaultName?: string;
    /** Tags added to every resource. */
    tags?: Record<string, string>;
}

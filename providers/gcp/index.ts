// The GCP provider: Redis members, sentinels and HAProxy on Compute Engine in existing
// subnetworks.
//
// The FireCamp idea on GCP's primitives: a member's identity outlives its VM. Every node (member,
// sentinel, proxy) gets a reserved static internal address (compute.Address, INTERNAL,
// GCE_ENDPOINT) in its host's subnetwork, used as a /32 alias IP range on the VM's primary
// interface; every member gets its own persistent disk in its zone, attached by a separate
// AttachedDisk under a stable device name (the member's name). Neither the address nor the disk
// depends on the VM, so a replaced VM (new image, ...) gets the same addresses and disks back.
// GCP picks each address in the subnetwork and keeps it as long as the reservation exists.
// A changed machine type is applied in place (allowStoppingForUpdate: stop, change, start).
//
// VMs are replaced delete-first (an alias IP and a read-write disk belong to one VM at a time).
// The boot script is the VM's `startup-script` metadata, which the guest agent runs at every
// boot; it reads the passwords from Secret Manager with the VM's service account.
//
// The skeleton (hosts, boot scripts, handles) is the VM base's (providers/vm/provider.ts); this
// folder has GCP's parts: foundation.ts (subnetworks, service account, secrets, image, firewall),
// host.ts (addresses, disks, VM, attachments), loadBalancer.ts, computed.ts (what GCP computes).
//
// @pulumi/gcp is loaded only when this provider is used (an optional peer dependency), and only
// its compute, secretmanager and serviceaccount modules.
import * as pulumi from "@pulumi/pulumi";
import type * as computeSdk from "@pulumi/gcp/compute";
import type { RedisDeploymentArgs } from "../../components/args";
import type { TopologyPlan } from "../../components/types";
import type { InfraProvider } from "../types";
import { storeGcpSecretFile } from "./secretFiles";
import { VmProvider, type VmCloud } from "../vm/provider";
import { createFirewall, createGcpFoundation, type GcpFoundation, type GcpScope } from "./foundation";
import { grantGcpStorage } from "./storageGrant";
import { createDisks, createInstance, gcpBootParts, reserveAddresses, type GcpMachine, type GcpNetwork } from "./host";
import { createInternalLoadBalancer } from "./loadBalancer";
import { validateGcpArgs, type ResolvedGcpArgs } from "./validate";

export type { GcpProviderArgs } from "./args";
export { validateGcpArgs, type ResolvedGcpArgs } from "./validate";
export { GCP_MACHINE_CATALOG, pickMachineType } from "./machineTypes";
export { DEBIAN_IMAGE, SECRET_ACCESSOR_ROLE } from "./foundation";
export { BOOT_DISK_GB } from "./host";
export { HEALTH_CHECK_RANGES } from "./loadBalancer";
export { COMPUTED_OUTPUTS, DERIVED_OUTPUTS, GCP_TYPES } from "./computed";

/** VMs boot, install packages and read secrets before Redis answers: the bootstrap waits this long. */
export const GCP_BOOTSTRAP_TIMEOUT_MS = 20 * 60 * 1000;

/** GCP's parts of a VM deployment (the skeleton is providers/vm/provider.ts). */
export const GCP_CLOUD: VmCloud<ResolvedGcpArgs, GcpScope, GcpFoundation, GcpNetwork, GcpMachine, computeSdk.Disk[]> = {
    kind: "gcp",
    bootstrapTimeoutMs: GCP_BOOTSTRAP_TIMEOUT_MS,
    validate: (name, args, plan, env) => validateGcpArgs(name, args.gcp, plan, env),
    membersPerHost: (o) => o.membersPerInstance,
    sizes: (o) => ({ member: o.machineType, sentinel: o.sentinelMachineType, proxy: o.proxyMachineType }),
    scope: (base) => ({ ...base, labels: (extra = {}) => ({ ...base.options.labels, "redis-deployment": base.name, ...extra }) }),
    foundation: createGcpFoundation,
    grantStorage: grantGcpStorage,
    network: (s, _ctx, f, host) => reserveAddresses(s, f, host),
    // The firewall rules name every node's address: created once all are reserved, before any VM.
    shared: (s, _ctx, f, networks) => createFirewall(s, f, pulumi.all(networks.flatMap((n) => n.addresses))),
    disks: createDisks,
    bootParts: (f, network, _disks, spec) => gcpBootParts(f, network, spec),
    logDestination: () => ({ destination: "Cloud Logging, through the Ops Agent (the VMs' project; logs redis_deployment_*)", files: true }),
    machine: createInstance,
    loadBalancer: createInternalLoadBalancer,
    storeSecretFile: storeGcpSecretFile,
};

/** Compute Engine VMs in existing subnetworks, a static alias IP per node and a persistent disk per member. */
export class GcpProvider extends VmProvider<ResolvedGcpArgs, GcpScope, GcpFoundation, GcpNetwork, GcpMachine, computeSdk.Disk[]> implements InfraProvider {
    constructor(name: string, args: RedisDeploymentArgs, plan: TopologyPlan) {
        super(name, args, plan, GCP_CLOUD);
    }
}

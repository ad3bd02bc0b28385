// One Compute Engine host: a reserved static internal address per node (GCP picks it in the
// host's subnetwork; used as a /32 alias IP on the VM), its members' persistent disks, the VM
// (startup script = the boot script) and the disk attachments, under the member's name.
import * as pulumi from "@pulumi/pulumi";
import type * as computeSdk from "@pulumi/gcp/compute";
import type { ProviderContext } from "../types";
import { requireComputed } from "../vm/computed";
import { nodeNames, type HostPlan, type SubnetInfo } from "../vm/layout";
import type { BootParts, HostMachine, HostNetwork, HostSpec } from "../vm/provider";
import { gcpBootHooks, gcpDiskDevices } from "./boot";
import { GCP_TYPES } from "./computed";
import type { GcpFoundation, GcpScope } from "./foundation";
import { regionOfZone } from "./naming";

export const BOOT_DISK_GB = 20;

export interface GcpNetwork extends HostNetwork {
    subnet: pulumi.Output<SubnetInfo>;
    /** The nodes' reserved addresses, in node order. */
    addresses: pulumi.Output<string>[];
}

export interface GcpMachine extends HostMachine {
    instance: computeSdk.Instance;
}

/** A host's reserved addresses, one per node, in the host's subnetwork; GCP picks them. */
export function reserveAddresses(s: GcpScope, f: GcpFoundation, host: HostPlan): GcpNetwork {
    const subnet = f.subnetOf.apply((m) => m[host.name]);
    const region = regionOfZone(host.zone)!;
    const names = nodeNames(host);
    const reserved = names.map((node) => new f.gcp.compute.Address(`${node}-address`, {
        addressType: "INTERNAL",
        purpose: "GCE_ENDPOINT",
        subnetwork: subnet.id,
        region,
        description: `redis-deployment ${s.name}: ${node} (alias IP of ${host.name})`,
        labels: s.labels(),
    }, { parent: f.parent }));
    const addresses = reserved.map((a, i) => a.address.apply((ip) => requireComputed(s.name, GCP_TYPES.address, `${names[i]}-address`, "address", ip)));
    const placed = pulumi.all([subnet, pulumi.all(addresses)]).apply(([x, ips]) =>
        ({ host, subnet: x, nodeAddresses: Object.fromEntries(names.map((n, i) => [n, ips[i]])) }));
    return { host, placed, resources: reserved, subnet, addresses };
}

/** A member's own persistent disk in its zone, one per member of the host. */
export function createDisks(s: GcpScope, ctx: ProviderContext, f: GcpFoundation, host: HostPlan): computeSdk.Disk[] {
    const o = s.options;
    return host.members.map((m) => new f.gcp.compute.Disk(`${m.name}-data`, {
        zone: m.zone,
        size: o.diskSizeGb,
        type: o.diskType,
        description: `redis-deployment ${s.name}: data of ${m.name}`,
        labels: s.labels({ "redis-deployment-member": m.name }),
    }, { parent: ctx.parent, retainOnDelete: !s.plan.args.deleteDataOnDestroy }));
}

/** Disks by device name, secrets by resource name, and the load balancer's address to listen on too. */
export function gcpBootParts(f: GcpFoundation, network: GcpNetwork, spec: HostSpec): pulumi.Output<BootParts> {
    const alsoListenOn = spec.loadBalanced && f.lb ? [f.lb.address] : [];
    return pulumi.all([f.secretRefs, pulumi.all(alsoListenOn)]).apply(([secretRefs, lb]) => ({
        disks: Object.fromEntries(network.host.members.map((m) => [m.name, gcpDiskDevices(m.name)])),
        secretRefs,
        hooks: { ...gcpBootHooks(), ...(f.logsEnabled ? { logs: { agent: "ops-agent" as const } } : {}) },
        alsoListenOn: lb,
    }));
}

/** The VM with its nodes' alias IPs, and its members' disk attachments. */
export function createInstance(s: GcpScope, ctx: ProviderContext, f: GcpFoundation, network: GcpNetwork, disks: computeSdk.Disk[], script: pulumi.Output<string>, spec: HostSpec): GcpMachine {
    const { compute } = f.gcp;
    const parent = ctx.parent;
    const o = s.options;
    const { host, subnet } = network;

    const instance = new compute.Instance(host.name, {
        zone: host.zone,
        machineType: spec.size,
        description: `redis-deployment ${s.name}: ${host.kind} host ${host.name} (${nodeNames(host).join(", ")})`,
        bootDisk: { autoDelete: true, initializeParams: { image: f.image, size: BOOT_DISK_GB, type: "pd-balanced" } },
        networkInterfaces: [{
            subnetwork: subnet.id,
            aliasIpRanges: network.addresses.map((a) => ({ ipCidrRange: pulumi.interpolate`${a}/32` })),
        }],
        serviceAccount: { email: f.serviceAccountEmail, scopes: ["cloud-platform"] },
        metadata: { "startup-script": script },
        tags: [f.tag, ...o.networkTags],
        labels: s.labels({ "redis-deployment-role": host.kind }),
        // A changed machine type is applied by stopping and starting the VM, not by replacing it.
        allowStoppingForUpdate: true,
    }, {
        parent,
        // Alias IPs and read-write disks belong to one VM at a time: the old VM goes first.
        deleteBeforeReplace: true,
        // The disks are attached by AttachedDisk resources; a newer Debian image must not
        // replace running members (gcp.image set explicitly does).
        ignoreChanges: ["attachedDisks", ...(o.image ? [] : ["bootDisk.initializeParams.image"])],
        dependsOn: [...f.secretAccess, ...spec.dependsOn],
    });

    const attachments = host.members.map((m, i) => new compute.AttachedDisk(`${m.name}-data-attachment`, {
        disk: disks[i].id,
        instance: instance.id,
        zone: m.zone,
        // The boot script finds the disk by this name (/dev/disk/by-id/google-<member>).
        deviceName: m.name,
        mode: "READ_WRITE",
    }, { parent, deleteBeforeReplace: true }));

    const instanceId = instance.instanceId.apply((id) => requireComputed(s.name, GCP_TYPES.instance, host.name, "instanceId", id));
    return {
        instance,
        resources: [instance, ...attachments],
        // A replaced VM or re-made attachment changes these ids: the bootstrap runs again.
        generation: pulumi.all([instanceId, ...attachments.map((a) => a.id)]).apply((ids) => ids.join("+")),
        checks: [instanceId],
    };
}

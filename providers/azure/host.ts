// One Azure host: its NIC (a resource of its own: a dynamic primary IP configuration, the VM's
// address, and one static IP configuration per node, at the address the layout gives the node),
// its members' managed disks, and the VM, with the disks attached by reference at LUN 0, 1, ...
// in member order.
import * as pulumi from "@pulumi/pulumi";
import type * as computeSdk from "@pulumi/azure-native/compute";
import type * as networkSdk from "@pulumi/azure-native/network";
import type { ProviderContext } from "../types";
import { nodeNames, type HostPlan } from "../vm/layout";
import type { BootParts, HostMachine, HostNetwork, HostSpec } from "../vm/provider";
import { AZURE_LAUNCHER, azureBootHooks, azureDiskDevices, encodeAzureUserData } from "./boot";
import { attachAzureLogs } from "./logs";
import { placement, type AzureFoundation, type AzureScope } from "./foundation";
import { azureArchitectureOf } from "./vmSizes";

export interface AzureNetwork extends HostNetwork {
    networkInterface: networkSdk.NetworkInterface;
}

export interface AzureMachine extends HostMachine {
    vm: computeSdk.VirtualMachine;
}

/**
 * A host's NIC: the VM's dynamic address and one static address per node. The nodes' addresses
 * come from the layout (known before the NIC exists); the VM's own address is Azure's business
 * and is not read back (no boot script uses it).
 */
export function createInterface(s: AzureScope, ctx: ProviderContext, f: AzureFoundation, host: HostPlan): AzureNetwork {
    const nodes = nodeNames(host);
    const subnetRef = { id: f.subnet.apply((x) => x.id) };
    const groups = [{ id: f.applicationSecurityGroup.id }];
    const networkInterface = new f.az.network.NetworkInterface(`${host.name}-nic`, {
        ...placement(s, f.resourceGroupName),
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
        tags: s.tags({ "redis-deployment-host": host.name }),
    }, { parent: ctx.parent });
    const placed = pulumi.all([f.subnet, f.layout, networkInterface.id]).apply(([x, l]) => ({
        host,
        subnet: { id: x.id, zone: host.zone, cidr: x.cidr },
        nodeAddresses: Object.fromEntries(nodes.map((n) => [n, l.nodes[n]])),
    }));
    return { host, placed, resources: [networkInterface], networkInterface };
}

/** A member's own managed disk in its zone, one per member of the host. */
export function createDisks(s: AzureScope, ctx: ProviderContext, f: AzureFoundation, host: HostPlan): computeSdk.Disk[] {
    const o = s.options;
    return host.members.map((m) => new f.az.compute.Disk(`${m.name}-data`, {
        ...placement(s, f.resourceGroupName),
        zones: [m.zone],
        sku: { name: o.diskSku },
        diskSizeGB: o.diskSizeGiB,
        creationData: { createOption: "Empty" },
        tags: s.tags({ "redis-deployment-member": m.name }),
    }, { parent: ctx.parent, retainOnDelete: !s.plan.args.deleteDataOnDestroy }));
}

/** Disks by LUN, secrets by their URL in the vault, read with the identity's token. */
export function azureBootParts(f: AzureFoundation, network: AzureNetwork): pulumi.Output<BootParts> {
    return pulumi.all([f.clientId, f.vaultUri, f.secretRefs]).apply(([clientId, vaultUri, secretRefs]) => ({
        disks: Object.fromEntries(network.host.members.map((m, lun) => [m.name, azureDiskDevices(lun)])),
        secretRefs,
        hooks: { ...azureBootHooks(clientId, vaultUri), ...(f.logs ? { logs: { agent: "azure-monitor" as const } } : {}) },
    }));
}

function image(s: AzureScope, vmSize: string): { publisher: string; offer: string; sku: string; version: string } {
    return s.options.image ?? { publisher: "Debian", offer: "debian-12", sku: azureArchitectureOf(vmSize) === "arm64" ? "12-arm64" : "12-gen2", version: "latest" };
}

/** The VM on its NIC, its members' disks attached by reference. */
export function createVm(s: AzureScope, ctx: ProviderContext, f: AzureFoundation, network: AzureNetwork, disks: computeSdk.Disk[], script: pulumi.Output<string>, spec: HostSpec): AzureMachine {
    const o = s.options;
    const { host, networkInterface } = network;
    const vm = new f.az.compute.VirtualMachine(host.name, {
        ...placement(s, f.resourceGroupName),
        zones: [host.zone],
        hardwareProfile: { vmSize: spec.size },
        networkProfile: { networkInterfaces: [{ id: networkInterface.id, primary: true, deleteOption: "Detach" }] },
        storageProfile: {
            imageReference: image(s, spec.size),
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
        userData: script.apply(encodeAzureUserData),
        tags: s.tags({ "redis-deployment-role": host.kind }),
    }, {
        parent: ctx.parent,
        // A NIC belongs to one VM at a time: a replaced VM goes first, releasing NIC and disks.
        deleteBeforeReplace: true,
        dependsOn: [...f.secretAccess, ...spec.dependsOn],
    });
    // With logs: the Azure Monitor agent on the VM, and the data collection rule's association.
    const logging = f.logs ? attachAzureLogs(f.logs, host.name, vm, f.where, f.identity.id, ctx.parent) : [];
    return {
        vm,
        resources: [vm, ...disks, ...logging],
        // A replaced VM changes its id: the bootstrap runs again.
        generation: vm.id,
    };
}

// One EC2 host: its network interface (a resource of its own: AWS picks the VM's address and
// one secondary address per node in the host's subnet), its members' EBS volumes, the instance
// (user data = the boot script) on that interface, and the volume attachments.
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import type * as awsSdk from "@pulumi/aws";
import type { ProviderContext } from "../types";
import { requireComputed } from "../vm/computed";
import { nodeNames, placeHost, type HostPlan } from "../vm/layout";
import type { BootParts, HostMachine, HostNetwork, HostSpec } from "../vm/provider";
import { awsBootHooks, awsDeviceName, awsDiskDevices } from "./boot";
import { AWS_TYPES } from "./computed";
import type { AwsFoundation, AwsScope } from "./foundation";
import { architectureOf } from "./instanceTypes";

/** AWS accepts at most 16 KiB of raw user data; larger scripts are sent gzip-compressed (cloud-init unpacks them). */
export const USER_DATA_LIMIT = 16384;
export const ROOT_VOLUME_GIB = 16;

/** User data as AWS takes it: plain text when it fits, else gzip in userDataBase64. */
export function encodeUserData(script: string): { userData?: string; userDataBase64?: string } {
    if (Buffer.byteLength(script) <= USER_DATA_LIMIT) return { userData: script };
    const packed = zlib.gzipSync(Buffer.from(script), { level: 9 });
    if (packed.length > USER_DATA_LIMIT) throw new Error(`the boot script is ${packed.length} bytes even compressed, more than AWS' ${USER_DATA_LIMIT}; lower aws.membersPerInstance`);
    return { userDataBase64: packed.toString("base64") };
}

/** The boot script of an instance's user data, whichever way it was encoded. */
export function decodeUserData(inputs: { userData?: string; userDataBase64?: string }): string {
    if (inputs.userData) return inputs.userData;
    if (inputs.userDataBase64) return zlib.gunzipSync(Buffer.from(inputs.userDataBase64, "base64")).toString();
    return "";
}

export interface AwsNetwork extends HostNetwork {
    networkInterface: awsSdk.ec2.NetworkInterface;
}

export interface AwsDisks {
    volumes: awsSdk.ebs.Volume[];
    deviceNames: string[];
}

export interface AwsMachine extends HostMachine {
    instance: awsSdk.ec2.Instance;
    attachments: awsSdk.ec2.VolumeAttachment[];
}

/** A host's network interface: AWS picks its primary address (the VM's) and one secondary address per node. */
export function createInterface(s: AwsScope, ctx: ProviderContext, f: AwsFoundation, host: HostPlan): AwsNetwork {
    const nodes = nodeNames(host);
    const subnet = f.subnetOf.apply((m) => m[host.name]);
    const resource = `${host.name}-eni`;
    const networkInterface = new f.aws.ec2.NetworkInterface(resource, {
        subnetId: subnet.apply((x) => x.id),
        privateIpsCount: nodes.length,
        securityGroups: [f.securityGroup.id, ...s.options.securityGroupIds],
        description: `redis-deployment ${s.name}: ${host.kind} host ${host.name} (${nodes.join(", ")})`,
        tags: s.tags(resource),
    }, { parent: ctx.parent });
    const placed = pulumi.all([subnet, networkInterface.privateIp, networkInterface.privateIps]).apply(([x, primary, all]) => {
        const secondary = requireComputed(s.name, AWS_TYPES.networkInterface, resource, "privateIps", all);
        return placeHost(host, x, requireComputed(s.name, AWS_TYPES.networkInterface, resource, "privateIp", primary), secondary);
    });
    return { host, placed, resources: [networkInterface], networkInterface };
}

/** A member's own encrypted EBS volume in its zone, one per member of the host. */
export function createVolumes(s: AwsScope, ctx: ProviderContext, f: AwsFoundation, host: HostPlan): AwsDisks {
    const o = s.options;
    const volumes = host.members.map((m) => new f.aws.ebs.Volume(`${m.name}-data`, {
        availabilityZone: m.zone,
        size: o.volumeSizeGiB,
        type: o.volumeType,
        iops: o.volumeIops,
        encrypted: true,
        kmsKeyId: o.kmsKeyId,
        tags: s.tags(`${m.name}-data`, { "redis-deployment:member": m.name }),
    }, { parent: ctx.parent, retainOnDelete: !s.plan.args.deleteDataOnDestroy }));
    return { volumes, deviceNames: host.members.map((_, i) => awsDeviceName(i)) };
}

/** Volumes by id, secrets by SSM parameter name, awscli in the foundation's region. */
export function awsBootParts(f: AwsFoundation, network: AwsNetwork, disks: AwsDisks): pulumi.Output<BootParts> {
    const { host } = network;
    return pulumi.all([f.region, pulumi.all(disks.volumes.map((v) => v.id))]).apply(([region, volumeIds]) => ({
        disks: Object.fromEntries(host.members.map((m, i) => [m.name, awsDiskDevices(volumeIds[i], disks.deviceNames[i])])),
        secretRefs: f.secretRefs,
        hooks: { ...awsBootHooks(region), ...(f.logs ? { logs: { agent: "cloudwatch" as const, logGroup: f.logs.groupName, region } } : {}) },
    }));
}

/** The instance on the host's interface, and the volume attachments. */
export function createInstance(s: AwsScope, ctx: ProviderContext, f: AwsFoundation, network: AwsNetwork, disks: AwsDisks, script: pulumi.Output<string>, spec: HostSpec): AwsMachine {
    const aws = f.aws;
    const parent = ctx.parent;
    const o = s.options;
    const { host, networkInterface } = network;
    const userData = script.apply(encodeUserData);

    const instance = new aws.ec2.Instance(host.name, {
        ami: f.amis[architectureOf(spec.size)],
        instanceType: spec.size,
        iamInstanceProfile: f.instanceProfileName,
        keyName: o.keyName,
        primaryNetworkInterface: { networkInterfaceId: networkInterface.id, deleteOnTermination: false },
        userData: userData.apply((u) => u.userData),
        userDataBase64: userData.apply((u) => u.userDataBase64),
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { volumeType: "gp3", volumeSize: ROOT_VOLUME_GIB, encrypted: true, deleteOnTermination: true },
        tags: s.tags(host.name, { "redis-deployment:role": host.kind }),
    }, {
        parent,
        // The ENI can be the primary interface of one instance at a time: the old instance
        // goes first. Its volume attachments are replaced with it (also delete-first).
        deleteBeforeReplace: true,
        // A newer Debian AMI must not replace running members; aws.ami set explicitly does.
        ignoreChanges: o.ami ? [] : ["ami"],
        dependsOn: [f.rolePolicy, ...(f.logs ? [f.logs.policy, f.logs.group] : []), ...f.securityGroupRules, ...spec.dependsOn],
    });

    const attachments = host.members.map((m, i) => new aws.ec2.VolumeAttachment(`${m.name}-data-attachment`, {
        instanceId: instance.id,
        volumeId: disks.volumes[i].id,
        deviceName: disks.deviceNames[i],
        // Stop the instance before detaching, so Redis has flushed and the filesystem is clean.
        stopInstanceBeforeDetaching: true,
    }, { parent, deleteBeforeReplace: true }));

    return {
        instance,
        attachments,
        resources: [instance, ...attachments],
        // A replaced instance or re-made attachment changes these ids: the bootstrap runs again.
        generation: pulumi.all([instance.id, ...attachments.map((a) => a.id)]).apply((ids) => ids.join("+")),
    };
}

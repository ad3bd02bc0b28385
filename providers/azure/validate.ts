// Checks the `azure` arguments when the Azure provider is constructed, before any resource
// exists, and fills in the defaults. Every problem is reported at once, each naming its field
// (`azure.subnetId: ...`), like the deployment's own validation.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { TopologyPlan } from "../../components/types";
import { isPlainObject } from "../../components/fieldChecks";
import { SectionChecks, requireSection } from "../vm/argChecks";
import { parseCidr, type Cidr } from "../vm/ipv4";
import { hostMemoryBytes } from "../vm/sizing";
import { AZURE_DISK_SKUS, type AzureDiskSku, type AzureImage, type AzureProviderArgs } from "./args";
import { AZURE_VM_CATALOG, DEFAULT_SMALL_VM_SIZE, VM_SIZE_PATTERN } from "./vmSizes";

export interface ResolvedAzureArgs {
    subnetId: pulumi.Input<string>;
    /** Undefined while the subnet id is an Output: then it is the subnet's, known later. */
    resourceGroupName?: string;
    location?: string;
    allowedCidrs: string[];
    addressRange?: Cidr;
    sshPublicKey: string;
    adminUsername: string;
    /** Chosen by the sizing rule unless given. */
    vmSize: string;
    vmSizeGiven: boolean;
    sentinelVmSize: string;
    proxyVmSize: string;
    membersPerVm: number;
    image?: AzureImage;
    diskSku: AzureDiskSku;
    diskSizeGiB: number;
    keyVaultName: string;
    tags: Record<string, string>;
}

const KNOWN: (keyof AzureProviderArgs)[] = [
    "subnetId", "resourceGroupName", "location", "allowedCidrs", "addressRange", "sshPublicKey", "adminUsername",
    "vmSize", "sentinelVmSize", "proxyVmSize", "membersPerVm", "image", "diskSku", "diskSizeGiB", "keyVaultName", "tags",
];

const SUBNET_ID = /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.Network\/virtualNetworks\/([-\w.]{2,64})\/subnets\/([-\w.]{1,80})$/i;
const SUBNET_ID_EXAMPLE = "/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>";
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
const LOCATION = /^[a-z][a-z0-9]{2,39}$/;
const SSH_PUBLIC_KEY = /^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;
const ADMIN_USERNAME = /^[a-z_][a-z0-9_-]{0,31}$/;
/** Linux names Azure refuses as the admin user. */
const RESERVED_USERNAMES = ["admin", "administrator", "root", "guest", "user", "test", "sys", "daemon", "bin", "nobody"];
const KEY_VAULT_NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
const AZURE_ZONE = /^[1-9]$/;
/** Characters Azure does not accept in tag names. */
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;

export interface SubnetReference {
    subscriptionId: string;
    resourceGroupName: string;
    virtualNetworkName: string;
    subnetName: string;
    /** The virtual network's resource id. */
    virtualNetworkId: string;
}

/** The parts of a subnet's resource id; undefined when it is not one. */
export function parseSubnetId(id: string): SubnetReference | undefined {
    const m = SUBNET_ID.exec(id);
    if (!m) return undefined;
    const [, subscriptionId, resourceGroupName, virtualNetworkName, subnetName] = m;
    return {
        subscriptionId, resourceGroupName, virtualNetworkName, subnetName,
        virtualNetworkId: id.slice(0, id.toLowerCase().lastIndexOf("/subnets/")),
    };
}

function shortHash(text: string, length: number): string {
    return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** `rd-<name>-<hash>`: at most 24 characters, letters, digits and single hyphens, as Key Vault requires. */
export function defaultKeyVaultName(project: string, stack: string, name: string): string {
    const readable = name.replace(/-+/g, "-").slice(0, 12).replace(/-+$/, "");
    return `rd-${readable}-${shortHash(`${project}/${stack}/${name}`, 8)}`;
}

/** The internal load balancer's name (fixed, so its rules can name its own frontend, pool and probes). */
export function loadBalancerName(project: string, stack: string, name: string): string {
    return `${name}-ilb-${shortHash(`${project}/${stack}/${name}`, 6)}`;
}

/**
 * Validates `args.azure` against the plan. Throws RedisDeploymentArgumentError listing every
 * problem (the caller turns it into a pulumi.RunError).
 */
export function validateAzureArgs(name: string, raw: unknown, plan: TopologyPlan, env: { project: string; stack: string }): ResolvedAzureArgs {
    const { args } = plan;
    const a = requireSection(name, "azure", raw, "at least azure.subnetId (an existing subnet), azure.allowedCidrs (who may connect) and azure.sshPublicKey") as Partial<AzureProviderArgs> & Record<string, unknown>;
    const check = new SectionChecks("azure");
    check.unknownFields(a, KNOWN);

    // Network.
    let subnetId: pulumi.Input<string> = "";
    let subnet: SubnetReference | undefined;
    if (a.subnetId === undefined) {
        check.problem("subnetId", `is required: the resource id of an existing subnet (${SUBNET_ID_EXAMPLE})`);
    } else if (pulumi.Output.isInstance(a.subnetId) || a.subnetId instanceof Promise) {
        subnetId = a.subnetId; // known later; its form is checked then
    } else if (typeof a.subnetId !== "string" || !(subnet = parseSubnetId(a.subnetId))) {
        check.problem("subnetId", `${JSON.stringify(a.subnetId)} is not a subnet resource id like ${SUBNET_ID_EXAMPLE}`);
    } else {
        subnetId = a.subnetId;
    }
    const resourceGroupName = check.text("resourceGroupName", a.resourceGroupName, RESOURCE_GROUP, "is not valid (a resource group name: letters, digits, -, _, ., ( and ), not ending in .)")
        ?? subnet?.resourceGroupName;
    const location = check.text("location", a.location, LOCATION, 'is not valid (an Azure region name like "westeurope")');

    const allowedCidrs = check.cidrs("allowedCidrs", a.allowedCidrs);
    if (allowedCidrs.length === 0 && !check.has("allowedCidrs")) {
        check.problem("allowedCidrs", "is required: the networks that may connect to Redis, including the machine running `pulumi up` (the bootstrap connects to every member directly)");
    }
    let addressRange: Cidr | undefined;
    const rangeText = check.text("addressRange", a.addressRange);
    if (rangeText && !(addressRange = parseCidr(rangeText))) {
        check.problem("addressRange", `"${rangeText}" is not an IPv4 CIDR block like "10.0.1.192/26" (network address with its prefix)`);
    }
    args.zones.forEach((z, i) => {
        if (!AZURE_ZONE.test(z)) check.deploymentProblem(`zones[${i}]`, `"${z}" is not an Azure availability zone; Azure names them "1", "2" and "3"`);
    });

    // Machines.
    const sshPublicKey = check.text("sshPublicKey", a.sshPublicKey, SSH_PUBLIC_KEY, "is not valid (an OpenSSH public key line: ssh-rsa, ssh-ed25519 or ecdsa-sha2-*)") ?? "";
    if (a.sshPublicKey === undefined) check.problem("sshPublicKey", "is required: Azure Linux VMs need an SSH key for their admin user (password login stays off; Redis needs no login)");
    const adminUsername = check.text("adminUsername", a.adminUsername, ADMIN_USERNAME, "is not valid (a Linux user name: lowercase letters, digits, _ and -)") ?? "rdadmin";
    if (RESERVED_USERNAMES.includes(adminUsername)) check.problem("adminUsername", `"${adminUsername}" is reserved by Azure; pick another name`);

    const membersPerVm = check.integer("membersPerVm", a.membersPerVm, 1, 16) ?? 1;
    const sizeHint = ' (an Azure VM size like "Standard_E2s_v5")';
    const member = check.machineType("vmSize", a.vmSize, {
        catalog: AZURE_VM_CATALOG, needed: hostMemoryBytes(args.maxmemoryBytes, membersPerVm), membersPerHost: membersPerVm,
        pattern: VM_SIZE_PATTERN, hint: sizeHint, kind: "VM type", host: "VM", perHostField: "members per VM", fallback: DEFAULT_SMALL_VM_SIZE,
    });
    const sentinelVmSize = check.text("sentinelVmSize", a.sentinelVmSize, VM_SIZE_PATTERN, `is not valid${sizeHint}`) ?? DEFAULT_SMALL_VM_SIZE;
    const proxyVmSize = check.text("proxyVmSize", a.proxyVmSize, VM_SIZE_PATTERN, `is not valid${sizeHint}`) ?? DEFAULT_SMALL_VM_SIZE;
    let image: AzureImage | undefined;
    if (a.image !== undefined) {
        const parts = isPlainObject(a.image) ? (["publisher", "offer", "sku", "version"] as const).map((k) => check.text(`image.${k}`, (a.image as unknown as Record<string, unknown>)[k] ?? "")) : [];
        if (parts.length === 0) check.problem("image", "must be an object { publisher, offer, sku, version }");
        else if (parts.every((p) => p !== undefined)) image = { publisher: parts[0]!, offer: parts[1]!, sku: parts[2]!, version: parts[3]! };
    }

    // Disks.
    const diskSku = check.oneOf("diskSku", a.diskSku, AZURE_DISK_SKUS, "Premium_LRS");
    const diskSizeGiB = check.diskSize("diskSizeGiB", a.diskSizeGiB, plan);

    // Secrets, the rest.
    const keyVaultName = check.text("keyVaultName", a.keyVaultName, KEY_VAULT_NAME, "is not valid (3-24 letters, digits and single hyphens, starting with a letter; globally unique)")
        ?? defaultKeyVaultName(env.project, env.stack, name);
    const tags = check.stringMap("tags", a.tags, (k) => (TAG_NAME_FORBIDDEN.test(k) ? "Azure tag names may not contain < > % & \\ ? /" : undefined));

    check.loadBalancerNeedsProxies(plan, "an internal load balancer");

    check.throwIfAny(name);
    return {
        subnetId, resourceGroupName, location, allowedCidrs, addressRange, sshPublicKey, adminUsername,
        vmSize: member.name, vmSizeGiven: member.given, sentinelVmSize, proxyVmSize, membersPerVm, image,
        diskSku, diskSizeGiB, keyVaultName, tags,
    };
}

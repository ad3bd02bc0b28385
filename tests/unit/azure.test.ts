// RedisDeployment on the Azure provider under Pulumi mocks: the resource graph (NICs, managed
// disks, VMs, ASG + NSG, managed identity, Key Vault, role assignment, internal LB), where
// members land and which static addresses they get, what custom data and user data hold (no
// password), and the inputs and options that keep NICs and disks when a VM changes. The subnet
// lookup is answered by the mock `call`; the mock plays Azure for what Azure decides (ids, the
// NICs' dynamic primary addresses, the identity's ids, the vault's URI).
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { passwordHash } from "../../components/config/users";
import { AZURE_BOOTSTRAP_TIMEOUT_MS, KEY_VAULT_SECRETS_USER_ROLE, decodeAzureUserData } from "../../providers/azure";
import type { AzureProviderArgs } from "../../providers/azure/args";
import { AZURE_LAUNCHER } from "../../providers/azure/boot";
import { addressAt, contains, parseCidr, parseIpv4 } from "../../providers/vm/ipv4";
import { dataDiskGiB } from "../../providers/vm/sizing";
import { CloudMocks, assertTlsKeysOnlyInSecretStore, componentUrn, deploy, deployBefore, expectRefused, hex, membersFailure, passwordsWith, urnOf, type CloudBehaviour, type Seen } from "../helpers/cloudMocks";
import { isWrappedSecret, programResult, unwrap } from "../helpers/mocks";

const GIVEN_PASSWORD = "given-azure-password-0123456789";
const ZONES = ["1", "2", "3"];
const SUBSCRIPTION = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
const TENANT = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d";
const NETWORK_GROUP = "rg-network";
const VNET = "vnet-main";
const SUBNET_NAME = "redis";
const SUBNET_CIDR = "10.30.4.0/24";
const SMALL_SUBNET_NAME = "tiny";
const SUBNET_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${NETWORK_GROUP}/providers/Microsoft.Network/virtualNetworks/${VNET}/subnets/${SUBNET_NAME}`;
const VNET_ID = SUBNET_ID.slice(0, SUBNET_ID.indexOf("/subnets/"));
const ALLOWED_CIDRS = ["10.30.0.0/16", "192.168.8.0/22"];
const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk7Tz3mJ0c0d1m9dSx0Zr3Lh8yU2Jv3vYbQbq0X8f2e ops@example";

const T = {
    nic: "azure-native:network:NetworkInterface",
    vm: "azure-native:compute:VirtualMachine",
    disk: "azure-native:compute:Disk",
    asg: "azure-native:network:ApplicationSecurityGroup",
    nsg: "azure-native:network:NetworkSecurityGroup",
    lb: "azure-native:network:LoadBalancer",
    identity: "azure-native:managedidentity:UserAssignedIdentity",
    vault: "azure-native:keyvault:Vault",
    secret: "azure-native:keyvault:Secret",
    role: "azure-native:authorization:RoleAssignment",
} as const;

/** Azure's part of the mocks: ARM ids, the NICs' dynamic primary addresses (lowest free first), identity and vault outputs. */
class AzureBehaviour implements CloudBehaviour {
    private nextDynamic = 4;

    reset(): void {
        this.nextDynamic = 4;
    }

    id(type: string, name: string): string {
        const kind = type.split(":").pop();
        return `/subscriptions/${SUBSCRIPTION}/resourceGroups/${NETWORK_GROUP}/providers/mock/${kind}/${name}-${hex(name, 6)}`;
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        if (args.token !== "azure-native:network:getSubnet") throw new Error(`unexpected call ${args.token}`);
        const { resourceGroupName, virtualNetworkName, subnetName } = args.inputs;
        if (resourceGroupName !== NETWORK_GROUP || virtualNetworkName !== VNET) throw new Error(`ResourceNotFound: ${resourceGroupName}/${virtualNetworkName}`);
        const prefix = subnetName === SUBNET_NAME ? SUBNET_CIDR : subnetName === SMALL_SUBNET_NAME ? "10.30.9.0/28" : undefined;
        if (!prefix) throw new Error(`NotFound: subnet ${subnetName}`);
        return { id: `${VNET_ID}/subnets/${subnetName}`, name: subnetName, addressPrefix: prefix, azureApiVersion: "2024-05-01", etag: "x" };
    }

    computed(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
        if (type === T.nic) {
            const cidr = parseCidr(SUBNET_CIDR)!;
            const ipConfigurations = (inputs.ipConfigurations as Record<string, any>[]).map((c) => (c.privateIPAllocationMethod === "Dynamic"
                ? { ...c, privateIPAddress: addressAt(cidr, this.nextDynamic++) }
                : c));
            return { ipConfigurations };
        }
        if (type === T.identity) return { clientId: guid(`${name}/client`), principalId: guid(`${name}/principal`), tenantId: TENANT };
        if (type === T.vault) return { name: inputs.vaultName, properties: { ...inputs.properties, vaultUri: `https://${inputs.vaultName}.vault.azure.net/` } };
        return {};
    }
}

/** The id the mock gives a resource. */
const armId = (type: string, name: string) => new AzureBehaviour().id(type, name);

function guid(text: string): string {
    const h = hex(text, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function azureArgs(extra: Partial<AzureProviderArgs> = {}): AzureProviderArgs {
    return { subnetId: SUBNET_ID, allowedCidrs: ALLOWED_CIDRS, sshPublicKey: SSH_KEY, ...extra };
}

function base(args: RedisDeploymentArgs, azure: Partial<AzureProviderArgs> = {}): RedisDeploymentArgs {
    return { provider: "azure", zones: ZONES, maxmemory: "1gb", auth: { password: GIVEN_PASSWORD }, ...args, azure: azureArgs(azure) };
}

const SECRETS = passwordsWith(GIVEN_PASSWORD);

/** The boot script in a VM's user data. */
function bootScriptOf(vm: Seen): string {
    const text = decodeAzureUserData(unwrap(vm.inputs.userData));
    assert.ok(text.startsWith("#!/bin/bash\n"), `${vm.name}: user data is the boot script`);
    return text;
}

function customDataOf(vm: Seen): string {
    return Buffer.from(unwrap(vm.inputs.osProfile.customData), "base64").toString();
}

/** A NIC's IP configurations: the dynamic primary (the VM's) and the static ones by name. */
function nicOf(rec: CloudMocks, host: string) {
    const nic = rec.byName(T.nic, `${host}-nic`);
    const configs = nic.state.ipConfigurations as Record<string, any>[];
    const primary = configs.filter((c) => c.primary);
    assert.equal(primary.length, 1, `${host}: one primary IP configuration`);
    assert.equal(primary[0].privateIPAllocationMethod, "Dynamic");
    const statics = configs.filter((c) => !c.primary);
    for (const c of configs) assert.equal(c.subnet.id, SUBNET_ID, `${host}: ${c.name} in the subnet`);
    for (const c of statics) assert.equal(c.privateIPAllocationMethod, "Static", `${host}: ${c.name} is static`);
    return { nic, primary: primary[0].privateIPAddress as string, statics: Object.fromEntries(statics.map((c) => [c.name, c.privateIPAddress as string])) };
}

const INTERNET_SOURCES = ["*", "0.0.0.0/0", "internet", "any", "virtualnetwork"];

function assertNoAllowFromEverywhere(rec: CloudMocks, name: string): void {
    const nsg = rec.byName(T.nsg, `${name}-nsg`);
    const asg = armId(T.asg, `${name}-asg`);
    for (const r of nsg.inputs.securityRules as Record<string, any>[]) {
        assert.deepEqual(r.destinationApplicationSecurityGroups, [{ id: asg }], `${r.name}: only to the deployment's hosts`);
        assert.equal(r.destinationAddressPrefix, undefined);
        if (r.access !== "Allow") continue;
        const sources = [...(r.sourceAddressPrefixes ?? []), ...(r.sourceAddressPrefix ? [r.sourceAddressPrefix] : [])];
        for (const s of sources) {
            assert.ok(!INTERNET_SOURCES.includes(s.toLowerCase()), `${r.name}: allows ${s}`);
            assert.ok(ALLOWED_CIDRS.includes(s) || s === "AzureLoadBalancer", `${r.name}: ${s} is neither an allowed CIDR nor the probe source`);
        }
        if (r.sourceApplicationSecurityGroups) assert.deepEqual(r.sourceApplicationSecurityGroups, [{ id: asg }]);
        assert.ok(sources.length > 0 || r.sourceApplicationSecurityGroups, `${r.name}: names its source`);
    }
    const deny = (nsg.inputs.securityRules as Record<string, any>[]).filter((r) => r.access === "Deny");
    assert.equal(deny.length, 1, "one deny rule for the rest (overrides AllowVnetInBound)");
    assert.ok(deny[0].priority > Math.max(...(nsg.inputs.securityRules as Record<string, any>[]).filter((r) => r.access === "Allow").map((r) => r.priority)), "evaluated after the allow rules");
}

describe("Azure provider: component graph under Pulumi mocks", function () {
    this.timeout(120000);
    const rec = new CloudMocks(new AzureBehaviour());

    describe("cluster 3 shards x 2 replicas over 3 zones (spread)", () => {
        const name = "cache";
        const d = deployBefore(rec, name, base({ mode: "cluster", shards: 3, replicasPerShard: 2 }));

        it("has 9 members, one VM, NIC and managed disk each, all children of the component", () => {
            assert.equal(d.members.length, 9);
            const names = d.members.map((m) => m.name).sort();
            for (const type of [T.vm, T.nic, T.disk]) assert.equal(rec.ofType(type).length, 9, type);
            assert.deepEqual(rec.ofType(T.vm).map((r) => r.name).sort(), names);
            assert.deepEqual(rec.ofType(T.nic).map((r) => r.name).sort(), names.map((n) => `${n}-nic`).sort());
            assert.deepEqual(rec.ofType(T.disk).map((r) => r.name).sort(), names.map((n) => `${n}-data`).sort());
            assert.equal(rec.ofType(T.lb).length, 0, "no load balancer unless asked");
            for (const r of rec.registrations.filter((x) => x.type.startsWith("azure-native:"))) {
                assert.equal(r.parent, componentUrn(name), `${r.type} ${r.name} must be a child of the component`);
            }
        });

        it("spreads members over the zones: shard s member i in zone (s + i) mod 3, VM and disk in the member's zone", () => {
            for (const m of d.members) {
                const index = Number(/-m(\d+)$/.exec(m.name)![1]);
                assert.equal(m.zone, ZONES[(m.shard + index) % 3], `${m.name} zone`);
                assert.deepEqual(rec.byName(T.vm, m.name).inputs.zones, [m.zone], `${m.name}: VM zone`);
                assert.deepEqual(rec.byName(T.disk, `${m.name}-data`).inputs.zones, [m.zone], `${m.name}: disk zone`);
            }
            for (let s = 0; s < 3; s++) assert.equal(new Set(d.members.filter((m) => m.shard === s).map((m) => m.zone)).size, 3, `shard ${s} spans 3 zones`);
        });

        it("gives every member a distinct static private IP in the subnet, the NIC's IP configuration named after it, above the dynamic range", () => {
            const cidr = parseCidr(SUBNET_CIDR)!;
            const addresses = d.members.map((m) => m.address);
            assert.equal(new Set(addresses).size, 9, `distinct addresses: ${addresses.join(", ")}`);
            for (const m of d.members) {
                assert.ok(contains(cidr, m.address), `${m.name}: ${m.address} inside ${SUBNET_CIDR}`);
                const { primary, statics } = nicOf(rec, m.name);
                assert.deepEqual(statics, { [m.name]: m.address }, `${m.name}: one static IP configuration, the member's address`);
                assert.notEqual(primary, m.address, "the VM's own (dynamic) address is not the member's");
                assert.ok(parseIpv4(m.address)! < cidr.base + cidr.size - 1, "not the subnet's broadcast address (reserved by Azure)");
                assert.ok(parseIpv4(m.address)! > parseIpv4(primary)!, "static addresses come from the top, Azure's dynamic ones from the bottom");
            }
            // Identity-based slots: the master of shard 0 sits right below the reserved proxy / sentinel / LB slots.
            assert.equal(d.members.find((m) => m.name === "cache-s0-m0")!.address, "10.30.4.236", "254 - 18 (1 LB + 8 proxies + 9 sentinels)");
            assert.equal(d.members.find((m) => m.name === "cache-s1-m0")!.address, "10.30.4.225", "11 slots per shard");
            assert.deepEqual(d.clusterNodes, d.members.map((m) => `${m.address}:6379`));
            assert.deepEqual(rec.calls.map((c) => c.token), ["azure-native:network:getSubnet"], "the subnet is looked up once");
            assert.deepEqual(rec.calls[0].inputs, { resourceGroupName: NETWORK_GROUP, virtualNetworkName: VNET, subnetName: SUBNET_NAME });
        });

        it("gives every member its own managed disk, sized 6 x maxmemory (at least 10 GiB), attached to its VM by reference at LUN 0", () => {
            const size = dataDiskGiB({ maxmemoryBytes: 1024 ** 3, persistence: { aof: true, rdb: true } });
            for (const m of d.members) {
                const disk = rec.byName(T.disk, `${m.name}-data`);
                assert.equal(disk.inputs.diskSizeGB, size);
                assert.deepEqual(disk.inputs.sku, { name: "Premium_LRS" });
                assert.deepEqual(disk.inputs.creationData, { createOption: "Empty" });
                assert.equal(disk.inputs.resourceGroupName, NETWORK_GROUP, "the subnet's resource group by default");
                const vm = rec.byName(T.vm, m.name);
                assert.deepEqual(vm.inputs.storageProfile.dataDisks, [{ lun: 0, createOption: "Attach", managedDisk: { id: armId(T.disk, disk.name) }, caching: "None", deleteOption: "Detach" }]);
                assert.equal(vm.inputs.storageProfile.osDisk.deleteOption, "Delete");
            }
        });

        it("sizes VMs by memory >= 2.5 x maxmemory (1gb -> Standard_B2s), boots Debian 12, the NIC by reference, the managed identity", () => {
            for (const vm of rec.ofType(T.vm)) {
                assert.equal(vm.inputs.hardwareProfile.vmSize, "Standard_B2s", vm.name);
                assert.deepEqual(vm.inputs.storageProfile.imageReference, { publisher: "Debian", offer: "debian-12", sku: "12-gen2", version: "latest" });
                assert.deepEqual(vm.inputs.networkProfile.networkInterfaces, [{ id: armId(T.nic, `${vm.name}-nic`), primary: true, deleteOption: "Detach" }]);
                const identity = rec.ofType(T.identity)[0];
                assert.deepEqual(vm.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [armId(T.identity, identity.name)] });
                assert.equal(vm.inputs.osProfile.linuxConfiguration.disablePasswordAuthentication, true);
                assert.equal(vm.inputs.osProfile.adminPassword, undefined);
                assert.deepEqual(vm.inputs.osProfile.linuxConfiguration.ssh.publicKeys, [{ path: "/home/rdadmin/.ssh/authorized_keys", keyData: SSH_KEY }]);
            }
        });

        it("lets Redis in from the deployment's group and allowed networks, the cluster bus from the group only, and denies the rest (never the internet)", () => {
            assertNoAllowFromEverywhere(rec, name);
            const rules = (rec.byName(T.nsg, `${name}-nsg`).inputs.securityRules as Record<string, any>[]).map((r) =>
                `${r.access} ${r.destinationPortRange ?? r.destinationPortRanges.join(",")} from ${r.sourceAddressPrefixes?.join("+") ?? r.sourceAddressPrefix ?? "deployment"}`).sort();
            assert.deepEqual(rules, [
                "Allow 16379 from deployment",
                `Allow 6379 from ${ALLOWED_CIDRS.join("+")}`,
                "Allow 6379 from deployment",
                "Deny 6379,16379 from *",
            ].sort());
            const asg = rec.byName(T.asg, `${name}-asg`);
            for (const nic of rec.ofType(T.nic)) {
                assert.deepEqual(nic.inputs.networkSecurityGroup, { id: armId(T.nsg, `${name}-nsg`) });
                for (const c of nic.inputs.ipConfigurations) assert.deepEqual(c.applicationSecurityGroups, [{ id: armId(T.asg, asg.name) }], `${nic.name}: every address in the group`);
            }
        });

        it("stores the passwords in the deployment's Key Vault (secret inputs), readable by the VMs' identity through Key Vault Secrets User", () => {
            const vault = rec.ofType(T.vault);
            assert.equal(vault.length, 1);
            assert.equal(vault[0].inputs.properties.enableRbacAuthorization, true);
            assert.equal(vault[0].inputs.properties.tenantId, TENANT, "the identity's tenant");
            assert.match(vault[0].inputs.vaultName, /^rd-cache-[0-9a-f]{8}$/);
            const secrets = rec.ofType(T.secret);
            assert.deepEqual(secrets.map((s) => s.inputs.secretName).sort(), ["admin-password", "monitor-password", "password", "retiring-admin-password", "retiring-monitor-password", "retiring-password"]);
            for (const s of secrets) {
                // The engine sees the properties object holding the value as secret.
                assert.ok(isWrappedSecret(s.inputs.properties), `${s.name}: value must be a secret input`);
                assert.equal(s.inputs.vaultName, vault[0].inputs.vaultName);
            }
            assert.equal(unwrap(secrets.find((s) => s.inputs.secretName === "password")!.inputs.properties).value, GIVEN_PASSWORD);
            const role = rec.ofType(T.role);
            assert.equal(role.length, 1);
            const identity = rec.ofType(T.identity)[0];
            assert.equal(role[0].inputs.principalId, identity.state.principalId);
            assert.equal(role[0].inputs.principalType, "ServicePrincipal");
            assert.equal(role[0].inputs.roleDefinitionId, `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE}`);
            assert.equal(role[0].inputs.scope, armId(T.vault, vault[0].name), "scoped to the deployment's vault only");
            assert.match(role[0].inputs.roleAssignmentName, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
            for (const vm of rec.ofType(T.vm)) assert.ok(rec.dependencies(T.vm, vm.name).includes(urnOf(T.role, role[0].name)), `${vm.name} waits for the role assignment`);
        });

        it("puts no password (nor a password's hash) in any custom data or user data, and keeps password outputs secret", () => {
            assert.equal(d.secret.password, true);
            assert.equal(d.secret.connectionUrl, true);
            assert.equal(d.password, GIVEN_PASSWORD);
            for (const vm of rec.ofType(T.vm)) {
                assert.equal(customDataOf(vm), AZURE_LAUNCHER, `${vm.name}: custom data is the fixed launcher`);
                for (const text of [customDataOf(vm), bootScriptOf(vm)]) {
                    for (const s of SECRETS) {
                        assert.ok(!text.includes(s), `${vm.name}: a password in custom or user data`);
                        assert.ok(!text.includes(passwordHash(s)), `${vm.name}: a password hash in custom or user data`);
                    }
                }
            }
            rec.assertNoPasswordInPlainInputs(SECRETS);
        });

        it("writes each member's boot script: its address, its disk by LUN, its Key Vault secrets via the identity, its config", () => {
            const identity = rec.ofType(T.identity)[0];
            const vaultName = rec.ofType(T.vault)[0].inputs.vaultName;
            for (const m of d.members) {
                const script = bootScriptOf(rec.byName(T.vm, m.name));
                assert.ok(script.includes(`readonly RD_HOST=${m.name}\n`));
                assert.ok(script.includes(`rd_addresses ${m.address}\n`), `${m.name}: ip addr add of its address`);
                assert.ok(script.includes(`rd_disk ${m.name} /dev/disk/azure/data/by-lun/0 /dev/disk/azure/scsi1/lun0\n`), `${m.name}: its disk at LUN 0`);
                assert.ok(script.includes(`[password]=https://${vaultName}.vault.azure.net/secrets/password `));
                assert.ok(script.includes(`client_id=${identity.state.clientId}`), "the token is the identity's");
                assert.ok(script.includes("rd_packages redis-server curl jq\n"));
                assert.ok(script.includes("RD_SECRET_ATTEMPTS=${RD_SECRET_ATTEMPTS:-120}"), "role assignments take minutes to apply");
                assert.ok(script.includes(`bind ${m.address}\n`) && script.includes(`cluster-announce-ip ${m.address}\n`), `${m.name}: its redis.conf`);
            }
        });

        it("hands the cluster bootstrap the members at their static addresses, with the Azure timeout, after every VM", () => {
            const bootstrap = rec.seen.find((r) => r.type.endsWith(":ClusterBootstrap"))!;
            assert.deepEqual(bootstrap.inputs.members.map((m: { name: string; address: string }) => `${m.name}@${m.address}`), d.members.map((m) => `${m.name}@${m.address}`));
            assert.equal(bootstrap.inputs.timeoutMs, AZURE_BOOTSTRAP_TIMEOUT_MS);
            const deps = rec.registration(bootstrap.type, bootstrap.name).dependencies;
            for (const m of d.members) assert.ok(deps.includes(urnOf(T.vm, m.name)), `bootstrap waits for VM ${m.name}`);
        });
    });

    describe("a VM change keeps NICs and disks", () => {
        it("VMs are replaced delete-first; NICs and disks never depend on a VM", async () => {
            await rec.install();
            await deploy("keep", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }));
            const vmUrns = rec.ofType(T.vm).map((v) => urnOf(T.vm, v.name));
            for (const vm of rec.ofType(T.vm)) {
                assert.equal(rec.registration(T.vm, vm.name).deleteBeforeReplace, true, `${vm.name}: a NIC belongs to one VM at a time`);
                assert.ok(rec.dependencies(T.vm, vm.name).includes(urnOf(T.nic, `${vm.name}-nic`)));
                assert.ok(rec.dependencies(T.vm, vm.name).includes(urnOf(T.disk, `${vm.name}-data`)));
            }
            for (const type of [T.nic, T.disk]) {
                for (const r of rec.ofType(type)) {
                    assert.deepEqual(rec.dependencies(type, r.name).filter((u) => vmUrns.includes(u)), [], `${r.name} must not depend on a VM`);
                    assert.equal(rec.registration(type, r.name).replaceOnChanges.length, 0);
                    assert.equal(rec.registration(type, r.name).deleteBeforeReplace, false);
                }
            }
        });

        it("a changed VM size changes only the VMs' hardwareProfile.vmSize: NIC and disk inputs stay identical", async () => {
            await rec.install();
            await deploy("resize", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }, { vmSize: "Standard_E2s_v5" }));
            const before = rec.snapshot("azure-native:", unwrap);
            await rec.install();
            await deploy("resize", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }, { vmSize: "Standard_E4s_v5" }));
            const after = rec.snapshot("azure-native:", unwrap);
            assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort(), "the same resources");
            const changed = Object.keys(after).filter((k) => after[k] !== before[k]).sort();
            assert.deepEqual(changed, rec.ofType(T.vm).map((v) => `${T.vm}::${v.name}`).sort(), "only VMs change");
            for (const k of changed) {
                const a = JSON.parse(before[k]);
                const b = JSON.parse(after[k]);
                assert.equal(a.hardwareProfile.vmSize, "Standard_E2s_v5");
                assert.equal(b.hardwareProfile.vmSize, "Standard_E4s_v5");
                assert.deepEqual({ ...a, hardwareProfile: 0 }, { ...b, hardwareProfile: 0 }, `${k}: nothing else changes (not even the user data)`);
            }
        });

        it("adding a replica to every shard keeps every existing member's address, NIC and disk", async () => {
            await rec.install();
            const small = await deploy("grow", base({ mode: "cluster", shards: 3, replicasPerShard: 1 }));
            const before = rec.snapshot("azure-native:network:NetworkInterface", unwrap);
            const disksBefore = rec.snapshot("azure-native:compute:Disk", unwrap);
            await rec.install();
            const large = await deploy("grow", base({ mode: "cluster", shards: 3, replicasPerShard: 2 }));
            const after = rec.snapshot("azure-native:network:NetworkInterface", unwrap);
            for (const m of small.members) assert.equal(large.members.find((x) => x.name === m.name)!.address, m.address, `${m.name} keeps its address`);
            for (const k of Object.keys(before)) assert.equal(after[k], before[k], `${k} unchanged`);
            const disksAfter = rec.snapshot("azure-native:compute:Disk", unwrap);
            for (const k of Object.keys(disksBefore)) assert.equal(disksAfter[k], disksBefore[k], `${k} unchanged`);
        });
    });

    describe("sentinel 1 + 2 with 3 sentinels, 2 proxies and the internal load balancer", () => {
        const name = "sent";
        const d = deployBefore(rec, name, base({ mode: "sentinel", replicasPerShard: 2, sentinels: 3, loadBalancer: true }));

        it("has VMs for 3 members (with disks), 3 sentinels and 2 proxies (without), each node its own static address", () => {
            assert.deepEqual(rec.ofType(T.vm).map((v) => v.name).sort(),
                ["sent-proxy0", "sent-proxy1", "sent-s0-m0", "sent-s0-m1", "sent-s0-m2", "sent-sentinel0", "sent-sentinel1", "sent-sentinel2"]);
            assert.deepEqual(rec.ofType(T.disk).map((v) => v.name).sort(), ["sent-s0-m0-data", "sent-s0-m1-data", "sent-s0-m2-data"]);
            for (const n of ["sent-sentinel0", "sent-proxy0"]) {
                const vm = rec.byName(T.vm, n);
                assert.equal(vm.inputs.hardwareProfile.vmSize, "Standard_B2s");
                assert.deepEqual(vm.inputs.storageProfile.dataDisks, []);
                assert.ok(!/\n {4}rd_disk /.test(bootScriptOf(vm)), `${n}: no data disk`);
            }
            const all = [...d.members.map((m) => m.address), ...d.sentinelAddresses.map((a) => a.split(":")[0]), ...d.proxyAddresses.map((a) => a.split(":")[0])];
            assert.equal(new Set(all).size, 8, "every node its own address");
            for (const [i, a] of d.sentinelAddresses.entries()) {
                assert.equal(a, `${nicOf(rec, `sent-sentinel${i}`).statics[`sent-sentinel${i}`]}:26379`);
                assert.deepEqual(rec.byName(T.vm, `sent-sentinel${i}`).inputs.zones, [ZONES[i]], "sentinels rotate over the zones");
            }
        });

        it("opens Redis, Sentinel and the proxy read port (group + allowed), the balanced ports to the probe, no cluster bus", () => {
            assertNoAllowFromEverywhere(rec, name);
            const rules = (rec.byName(T.nsg, `${name}-nsg`).inputs.securityRules as Record<string, any>[]).map((r) =>
                `${r.access} ${r.destinationPortRange ?? r.destinationPortRanges.join(",")} from ${r.sourceAddressPrefixes?.join("+") ?? r.sourceAddressPrefix ?? "deployment"}`).sort();
            const allowed = ALLOWED_CIDRS.join("+");
            assert.deepEqual(rules, [
                "Allow 6379 from deployment", `Allow 6379 from ${allowed}`, "Allow 6379 from AzureLoadBalancer",
                "Allow 26379 from deployment", `Allow 26379 from ${allowed}`,
                "Allow 6380 from deployment", `Allow 6380 from ${allowed}`, "Allow 6380 from AzureLoadBalancer",
                "Deny 6379,26379,6380 from *",
            ].sort());
        });

        it("fronts the proxies with an internal Standard LB: a static frontend in the subnet, the proxies' addresses as backends, a probe and rule per port", () => {
            const lbs = rec.ofType(T.lb);
            assert.equal(lbs.length, 1);
            const lb = lbs[0].inputs;
            assert.deepEqual(lb.sku, { name: "Standard", tier: "Regional" });
            assert.equal(lb.frontendIPConfigurations.length, 1);
            const frontend = lb.frontendIPConfigurations[0];
            assert.equal(frontend.privateIPAllocationMethod, "Static");
            assert.equal(frontend.subnet.id, SUBNET_ID);
            assert.equal(frontend.publicIPAddress, undefined, "internal only");
            assert.equal(frontend.privateIPAddress, "10.30.4.254", "slot 0: the top usable address");
            assert.deepEqual(frontend.zones, ["1", "2", "3"], "zone-redundant");
            const backends = lb.backendAddressPools[0].loadBalancerBackendAddresses.map((b: { ipAddress: string; virtualNetwork: { id: string } }) => {
                assert.equal(b.virtualNetwork.id, VNET_ID);
                return b.ipAddress;
            }).sort();
            assert.deepEqual(backends, d.proxyAddresses.map((p) => p.split(":")[0]).sort());
            const lbId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${NETWORK_GROUP}/providers/Microsoft.Network/loadBalancers/${lb.loadBalancerName}`;
            assert.deepEqual(lb.probes.map((p: { port: number; protocol: string }) => `${p.protocol}:${p.port}`).sort(), ["Tcp:6379", "Tcp:6380"]);
            for (const rule of lb.loadBalancingRules) {
                assert.equal(rule.frontendPort, rule.backendPort);
                assert.equal(rule.frontendIPConfiguration.id, `${lbId}/frontendIPConfigurations/frontend`);
                assert.equal(rule.backendAddressPool.id, `${lbId}/backendAddressPools/${lb.backendAddressPools[0].name}`);
                assert.equal(rule.probe.id, `${lbId}/probes/tcp-${rule.frontendPort}`);
            }
            assert.deepEqual(lb.loadBalancingRules.map((r: { frontendPort: number }) => r.frontendPort).sort(), [6379, 6380]);
            assert.equal(d.endpoint, "10.30.4.254:6379");
            for (const p of ["sent-proxy0", "sent-proxy1"]) assert.ok(rec.dependencies(T.lb, lbs[0].name).includes(urnOf(T.vm, p)), `the LB waits for ${p}`);
        });

        it("renders each kind's boot script with only the secrets it needs; proxies after the bootstrap", () => {
            const secretsOf = (n: string) => /\n {4}rd_secrets ([^\n]*)\n/.exec(bootScriptOf(rec.byName(T.vm, n)))![1];
            assert.equal(secretsOf("sent-s0-m0"), "password adminPassword monitorPassword retiringPassword retiringAdminPassword retiringMonitorPassword");
            assert.equal(secretsOf("sent-sentinel0"), "password adminPassword retiringPassword retiringAdminPassword", "sentinels: the clients' user and rd-admin (bootstrap, peers)");
            assert.equal(secretsOf("sent-proxy0"), "monitorPassword");
            const master = d.members.find((m) => m.role === "master")!;
            for (const m of d.members.filter((x) => x.role === "replica")) {
                assert.ok(bootScriptOf(rec.byName(T.vm, m.name)).includes(`rd_redis ${m.name} '${master.address} 6379' <<'RD_TEMPLATE_END'`), m.name);
            }
            const bootstrapUrn = urnOf("pulumi-nodejs:dynamic/redis-deployment:SentinelBootstrap", `${name}-sentinel`);
            for (const p of ["sent-proxy0", "sent-proxy1"]) assert.ok(rec.registration(T.vm, p).dependencies.includes(bootstrapUrn), `${p} waits for the bootstrap`);
            for (const vm of rec.ofType(T.vm)) for (const s of SECRETS) assert.ok(!bootScriptOf(vm).includes(s), `${vm.name} leaks a password`);
        });
    });

    describe("replication 1 + 1 with HAProxy, without load balancer", () => {
        it("has 2 member VMs and 2 proxies, no LB, Redis and the proxy read port open, the first proxy as endpoint", async () => {
            await rec.install();
            const d = await deploy("repl", base({ mode: "replication" }));
            assert.equal(d.members.length, 2);
            assert.equal(rec.ofType(T.disk).length, 2);
            assert.equal(rec.ofType(T.lb).length, 0);
            assert.equal(d.proxyAddresses.length, 2);
            assert.equal(d.endpoint, d.proxyAddresses[0]);
            assertNoAllowFromEverywhere(rec, "repl");
            const ports = (rec.byName(T.nsg, "repl-nsg").inputs.securityRules as Record<string, any>[]).filter((r) => r.access === "Allow").map((r) => r.destinationPortRange);
            assert.deepEqual([...new Set(ports)].sort(), ["6379", "6380"]);
            assert.ok(!ports.includes("16379"));
        });
    });

    describe("replication 1 + 1 with logs", () => {
        it("a workspace with the retention asked for, a data collection rule (syslog to it), the Azure Monitor agent as the deployment's identity and the rule on every VM", async () => {
            await rec.install();
            await deploy("lg", base({ mode: "replication", logs: { retentionDays: 90 } }));
            const [workspace] = rec.ofType("azure-native:operationalinsights:Workspace");
            assert.equal(workspace.inputs.retentionInDays, 90);
            assert.equal(workspace.inputs.workspaceName, "lg-logs");
            const [rule] = rec.ofType("azure-native:monitor:DataCollectionRule");
            assert.equal(rule.inputs.kind, "Linux");
            assert.deepEqual(rule.inputs.dataSources.syslog[0].streams, ["Microsoft-Syslog"]);
            assert.deepEqual(rule.inputs.dataSources.syslog[0].facilityNames, ["daemon", "user"]);
            const idOf = (type: string, name: string) => new RegExp(`/providers/mock/${type}/${name}-[0-9a-f]{6}$`);
            assert.equal(rule.inputs.destinations.logAnalytics.length, 1);
            assert.equal(rule.inputs.destinations.logAnalytics[0].name, "workspace");
            assert.match(rule.inputs.destinations.logAnalytics[0].workspaceResourceId, idOf("Workspace", workspace.name));
            assert.deepEqual(rule.inputs.dataFlows, [{ streams: ["Microsoft-Syslog"], destinations: ["workspace"] }]);
            const [identity] = rec.ofType(T.identity);
            const vms = rec.ofType(T.vm);
            assert.equal(vms.length, 4);
            for (const vm of vms) {
                const agent = rec.byName("azure-native:compute:VirtualMachineExtension", `${vm.name}-monitor-agent`);
                assert.equal(agent.inputs.publisher, "Microsoft.Azure.Monitor");
                assert.equal(agent.inputs.type, "AzureMonitorLinuxAgent");
                assert.equal(agent.inputs.settings.authentication.managedIdentity["identifier-name"], "mi_res_id");
                assert.match(agent.inputs.settings.authentication.managedIdentity["identifier-value"], idOf("UserAssignedIdentity", identity.name));
                const association = rec.byName("azure-native:monitor:DataCollectionRuleAssociation", `${vm.name}-logs`);
                assert.match(association.inputs.resourceUri, idOf("VirtualMachine", vm.name));
                assert.match(association.inputs.dataCollectionRuleId, idOf("DataCollectionRule", rule.name));
                const script = bootScriptOf(vm);
                assert.match(script, /\n {4}rd_packages [^\n]*rsyslog/);
                assert.match(script, /^ {4}rd_syslog_on$/m);
                assert.doesNotMatch(script, /rd_log_files/, "the units keep logging to the journal");
            }
        });
    });

    describe("standalone with a load balancer", () => {
        it("puts the LB's one rule in front of the member", async () => {
            await rec.install();
            const d = await deploy("solo", base({ mode: "standalone", loadBalancer: true }));
            const lb = rec.ofType(T.lb)[0].inputs;
            assert.deepEqual(lb.loadBalancingRules.map((r: { frontendPort: number }) => r.frontendPort), [6379]);
            assert.deepEqual(lb.backendAddressPools[0].loadBalancerBackendAddresses.map((b: { ipAddress: string }) => b.ipAddress), [d.members[0].address]);
            assert.match(d.endpoint, /^10\.30\.4\.254:6379$/);
        });
    });

    describe("more members per VM, another resource group, a narrower address range", () => {
        it("packs 3 members of different shards per VM of a zone at LUNs 0-2, sizes the VM for them, uses the given group and range", async () => {
            await rec.install();
            const d = await deploy("pack", base({ mode: "cluster", shards: 3, replicasPerShard: 2 }, { membersPerVm: 3, resourceGroupName: "rg-redis", location: "westeurope", addressRange: "10.30.4.128/25" }));
            const vms = rec.ofType(T.vm);
            assert.equal(vms.length, 3);
            assert.equal(rec.ofType(T.disk).length, 9);
            for (const vm of vms) {
                assert.equal(vm.inputs.hardwareProfile.vmSize, "Standard_D2s_v5", "3 x 2.5 x 1gb = 7.5 GiB");
                assert.equal(vm.inputs.resourceGroupName, "rg-redis");
                assert.equal(vm.inputs.location, "westeurope");
                const script = bootScriptOf(vm);
                const members = [...script.matchAll(/\n {4}rd_disk (\S+) /g)].map((m) => m[1]);
                const ms = members.map((n) => d.members.find((m) => m.name === n)!);
                assert.equal(new Set(ms.map((m) => m.shard)).size, 3, `${vm.name}: no two members of one shard`);
                assert.deepEqual(vm.inputs.storageProfile.dataDisks.map((x: { lun: number }) => x.lun), [0, 1, 2]);
                members.forEach((n, lun) => assert.ok(script.includes(`rd_disk ${n} /dev/disk/azure/data/by-lun/${lun} `), `${n} at LUN ${lun}`));
                assert.deepEqual(nicOf(rec, vm.name).statics, Object.fromEntries(ms.map((m) => [m.name, m.address])));
                assert.equal(spawnSync("bash", ["-n"], { input: script }).status, 0);
            }
            for (const m of d.members) assert.ok(contains(parseCidr("10.30.4.128/25")!, m.address), `${m.name} in the range`);
            for (const r of rec.ofType(T.disk)) assert.equal(r.inputs.resourceGroupName, "rg-redis");
        });
    });

    describe("auth disabled", () => {
        it("stores and fetches no application password", async () => {
            await rec.install();
            await deploy("open", { provider: "azure", zones: ZONES, maxmemory: "1gb", mode: "replication", auth: { enabled: false }, azure: azureArgs() });
            assert.deepEqual(rec.ofType(T.secret).map((s) => s.inputs.secretName).sort(), ["admin-password", "monitor-password", "retiring-admin-password", "retiring-monitor-password"]);
            for (const vm of rec.ofType(T.vm)) assert.ok(!/RD_SECRET_REF=\([^\n]*\[password\]/.test(bootScriptOf(vm)), `${vm.name}: no reference to it`);
        });
    });

    describe("arguments checked when the provider is constructed", () => {
        const bad: { title: string; args: RedisDeploymentArgs; mentions: string[] }[] = [
            { title: "no azure section", args: { provider: "azure", zones: ZONES, maxmemory: "1gb" }, mentions: ["azure:", "subnetId"] },
            { title: "no subnet", args: { ...base({}), azure: { allowedCidrs: ALLOWED_CIDRS, sshPublicKey: SSH_KEY } as AzureProviderArgs }, mentions: ["azure.subnetId: is required"] },
            { title: "a subnet name instead of its id", args: base({}, { subnetId: "redis" }), mentions: ["azure.subnetId", "is not a subnet resource id"] },
            { title: "nobody allowed in", args: base({}, { allowedCidrs: [] }), mentions: ["azure.allowedCidrs: is required"] },
            { title: "the whole internet", args: base({}, { allowedCidrs: ["0.0.0.0/0"] }), mentions: ["azure.allowedCidrs[0]", "every address"] },
            { title: "no SSH key", args: { ...base({}), azure: { subnetId: SUBNET_ID, allowedCidrs: ALLOWED_CIDRS } as AzureProviderArgs }, mentions: ["azure.sshPublicKey: is required"] },
            { title: "AWS-style zones", args: { ...base({}), zones: ["westeurope-1", "b"] }, mentions: ["zones[0]", "zones[1]", 'Azure names them "1", "2" and "3"'] },
            { title: "a too small VM size", args: base({ maxmemory: "4gb" }, { vmSize: "Standard_B2s" }), mentions: ["azure.vmSize", "Standard_B2s", "10 GiB", "Standard_E2s_v5"] },
            { title: "a misspelt field", args: base({}, { vmsize: "Standard_B2s" } as unknown as AzureProviderArgs), mentions: ["azure.vmsize: unknown field", 'did you mean "vmSize"'] },
            { title: "a disk below the sizing rule", args: base({}, { diskSizeGiB: 5 }), mentions: ["azure.diskSizeGiB", "between 10"] },
            { title: "an unknown disk SKU", args: base({}, { diskSku: "UltraSSD" as never }), mentions: ["azure.diskSku", "Premium_LRS"] },
            { title: "a reserved admin name", args: base({}, { adminUsername: "admin" }), mentions: ["azure.adminUsername", "reserved"] },
            { title: "an invalid Key Vault name", args: base({}, { keyVaultName: "kv--x" }), mentions: ["azure.keyVaultName"] },
            { title: "an address range that is no block", args: base({}, { addressRange: "10.30.4.129/25" }), mentions: ["azure.addressRange"] },
            { title: "an LB before replication members without HAProxy", args: base({ mode: "replication", loadBalancer: true, proxy: { haproxy: false } }), mentions: ["loadBalancer:", "HAProxy"] },
        ];
        for (const c of bad) {
            it(`rejects ${c.title} before registering any resource`, () => expectRefused(rec, c.args, c.mentions));
        }
    });

    describe("subnets that do not fit (found when the subnet is looked up)", () => {
        function failure(azure: Partial<AzureProviderArgs>): string {
            return membersFailure(`{
                newResource: (a) => ({ id: a.name + "_id", state: { ...a.inputs, clientId: "${guid("c")}", tenantId: "${TENANT}", principalId: "p", properties: { vaultUri: "https://kv.vault.azure.net/" } } }),
                call: (a) => ({ id: "x", addressPrefix: a.inputs.subnetName === "${SMALL_SUBNET_NAME}" ? "10.30.9.0/28" : "${SUBNET_CIDR}" }),
            }`, base({ mode: "cluster" }, azure));
        }

        it("a subnet too small for the deployment's address slots names azure.subnetId and the sizes", () => {
            const message = failure({ subnetId: SUBNET_ID.replace(/subnets\/redis$/, `subnets/${SMALL_SUBNET_NAME}`) });
            assert.match(message, /RedisDeployment "look": azure\.subnetId \(tiny, 10\.30\.9\.0\/28\): 10\.30\.9\.0\/28 has 11 usable addresses; this deployment's highest address slot is \d+/);
        });

        it("an address range outside the subnet names azure.addressRange", () => {
            assert.match(failure({ addressRange: "10.31.0.0/26" }), /azure\.addressRange: 10\.31\.0\.0\/26 is not inside the subnet 10\.30\.4\.0\/24/);
        });
    });
});

describe("Azure provider: loading", function () {
    this.timeout(60000);
    it("a local deployment never loads @pulumi/azure-native; an Azure one loads only the submodules it uses, never the package root", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-azure-lazy-"));
        try {
            const program = `
                const pulumi = require("@pulumi/pulumi");
                pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({ addressPrefix: "10.0.0.0/24" }) }, "p", "s", false).then(() => {
                    const { RedisDeployment } = require("./components/redisDeployment");
                    new RedisDeployment("lazy", { mode: "standalone", local: { dataDir: ${JSON.stringify(dir)}, addressPrefix: "127.62" } });
                    const loaded = () => Object.keys(require.cache).filter((k) => k.includes("node_modules/@pulumi/azure-native/")).map((k) => k.split("node_modules/@pulumi/azure-native/")[1]);
                    const before = loaded().length;
                    new RedisDeployment("lazy2", ${JSON.stringify(base({ mode: "standalone" }))});
                    const after = loaded();
                    const modules = [...new Set(after.filter((k) => k.includes("/")).map((k) => k.split("/")[0]))].sort();
                    const others = Object.keys(require.cache).some((k) => /node_modules\\/@pulumi\\/(aws|gcp|kubernetes)\\//.test(k));
                    console.log("RESULT " + JSON.stringify({ before, root: after.includes("index.js"), modules, others }));
                    process.exit(0);
                });`;
            const result = programResult(program);
            assert.equal(result.before, 0, "the local deployment loaded azure-native");
            assert.equal(result.root, false, "the package root (every Azure service) was loaded");
            assert.equal(result.others, false);
            // Submodules load their shared helpers (types, utilities) too; no other service.
            const services = result.modules.filter((m: string) => !["types", "utilities.js"].includes(m));
            assert.deepEqual(services, ["authorization", "compute", "keyvault", "managedidentity", "network"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("no file under providers/azure imports the @pulumi/azure-native package root", () => {
        const root = path.resolve(__dirname, "../../providers/azure");
        const files = fs.readdirSync(root).filter((f) => f.endsWith(".ts"));
        assert.ok(files.length >= 4, `read the provider's files: ${files.join(", ")}`);
        const rootImport = /(from\s+|require\(\s*|import\(\s*)["']@pulumi\/azure-native["']/;
        const submoduleImport = /["']@pulumi\/azure-native\/[a-z]+["']/;
        let submodules = 0;
        for (const f of files) {
            const text = fs.readFileSync(path.join(root, f), "utf8");
            assert.ok(!rootImport.test(text), `${f} imports the package root`);
            submodules += (text.match(new RegExp(submoduleImport, "g")) ?? []).length;
        }
        assert.ok(submodules >= 5, "the check sees the submodule imports");
        assert.ok(rootImport.test('import * as azure from "@pulumi/azure-native";') && rootImport.test('require("@pulumi/azure-native")'), "(the check recognises a root import)");
    });
});

describe("Azure provider: backups under Pulumi mocks", function () {
    this.timeout(120000);
    const rec = new CloudMocks(new AzureBehaviour());
    const d = deployBefore(rec, "bk", base({ mode: "cluster", shards: 3, replicasPerShard: 1, backup: { target: "azblob://teamstore/backups/redis" } }));

    it("grants the VMs' managed identity Blob Data Contributor on the backup container only", () => {
        assert.equal(d.members.length, 6);
        const grants = rec.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.name === "bk-backup-container");
        assert.equal(grants.length, 1);
        assert.match(unwrap(grants[0].inputs.scope), /\/providers\/Microsoft\.Storage\/storageAccounts\/teamstore\/blobServices\/default\/containers\/backups$/);
        assert.match(unwrap(grants[0].inputs.roleDefinitionId), /\/roleDefinitions\/ba92f5b4-2d11-453d-a403-e96b0029c9fe$/);
        const identity = rec.ofType(T.identity)[0];
        assert.equal(unwrap(grants[0].inputs.principalId), identity.state.principalId, "the VMs' existing identity");
    });

    it("runs the backup timer on one member VM per shard, signing in with the managed identity", () => {
        const withTimer = rec.ofType(T.vm).filter((v) => bootScriptOf(v).includes("rd-backup.timer"));
        const holders = withTimer.map((v) => bootScriptOf(v).match(/RD_ONLY_SHARDS=([\d ]+)/)![1]).sort();
        assert.deepEqual(holders.join(" ").split(" ").sort(), ["0", "1", "2"], "every shard exactly once");
        assert.ok(withTimer.length < rec.ofType(T.vm).length, "not on every VM");
        assert.match(bootScriptOf(withTimer[0]), /RCLONE_AZUREBLOB_USE_MSI=true/);
        rec.assertNoPasswordInPlainInputs(SECRETS);
    });
});

describe("Azure provider: TLS keys in Key Vault, never in custom data", function () {
    this.timeout(60000);
    const rec = new CloudMocks(new AzureBehaviour());
    deployBefore(rec, "tls", base({ mode: "sentinel", tls: { enabled: true } }));
    const nodes = ["tls-s0-m0", "tls-s0-m1", "tls-sentinel0", "tls-sentinel1", "tls-sentinel2", "tls-proxy0", "tls-proxy1"];

    it("one Key Vault secret per node's key; the boot script fetches it by URL", () => {
        const secrets = rec.ofType(T.secret).filter((s) => /^tls-.*-node-key$/.test(unwrap(s.inputs.secretName)));
        assert.equal(secrets.length, nodes.length);
        const vms = rec.ofType(T.vm);
        assertTlsKeysOnlyInSecretStore(rec, { nodes, stored: secrets, valueOf: (r) => (isWrappedSecret(r.inputs.properties) ? r.inputs.properties : r.inputs.properties.value), scripts: [...vms.map(bootScriptOf), ...vms.map(customDataOf)] });
        assert.match(vms.map(bootScriptOf).join("\n"), /rd_tls_files tls-s0-m0 redis:redis https:\/\/\S+\.vault\.azure\.net\/secrets\/tls-tls-s0-m0-node-key /);
    });
});

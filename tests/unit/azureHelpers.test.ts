// The Azure provider's pure parts and the shared static address layout: address slots by node
// identity, subnet id parsing, names, the NSG rule plan, VM size choice and architecture, user
// data encoding, the boot hooks, argument defaults; and the rendered Azure boot script of every
// mode passing bash -n and shellcheck.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RedisDeploymentArgs } from "../../components/args";
import { plan } from "../../components/plan";
import { secretRefs } from "../../providers/vm/secrets";
import { STORED_SECRETS, type AddressedMember } from "../../components/types";
import { RedisDeploymentArgumentError, validateArgs } from "../../components/validate";
import { loadBalancedPorts } from "../../components/plan";
import { nsgRules, stableGuid } from "../../providers/azure";
import { AZURE_LAUNCHER, azureBootHooks, azureDiskDevices, decodeAzureUserData, encodeAzureUserData, USER_DATA_LIMIT } from "../../providers/azure/boot";
import { defaultKeyVaultName, loadBalancerName, parseSubnetId, validateAzureArgs } from "../../providers/azure/validate";
import { azureArchitectureOf } from "../../providers/azure/vmSizes";
import { renderBootScript } from "../../providers/vm/bootScript";
import { contains, parseCidr } from "../../providers/vm/ipv4";
import { LayoutError, planHosts } from "../../providers/vm/layout";
import { SLOT_BASE, staticLayout, usableRange } from "../../providers/vm/staticAddresses";

const SUBNET_ID = "/subscriptions/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/redis";
const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk7Tz3mJ0c0d1m9dSx0Zr3Lh8yU2Jv3vYbQbq0X8f2e";
const CLIENT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const VAULT = "https://rd-cache-01234567.vault.azure.net/";

function planOf(args: RedisDeploymentArgs) {
    return plan(validateArgs("cache", { provider: "azure", zones: ["1", "2", "3"], maxmemory: "1gb", ...args }));
}

describe("VM layer: static addresses by node identity", () => {
    const subnet = parseCidr("10.1.0.0/24")!;
    const range = usableRange(subnet, { low: 4, high: 1 });

    it("counts down from the top usable address: load balancer, proxies, sentinels, then 11 slots per shard", () => {
        assert.deepEqual(range, { first: parseCidr("10.1.0.4/32")!.base, last: parseCidr("10.1.0.254/32")!.base, text: "10.1.0.0/24" });
        const layout = staticLayout(planOf({ mode: "sentinel", replicasPerShard: 2 }), range, "azure.subnetId");
        assert.equal(layout.loadBalancer, "10.1.0.254");
        assert.equal(layout.nodes["cache-proxy0"], "10.1.0.253");
        assert.equal(layout.nodes["cache-proxy1"], "10.1.0.252");
        assert.equal(layout.nodes["cache-sentinel0"], `10.1.0.${254 - SLOT_BASE.sentinel}`);
        assert.equal(layout.nodes["cache-s0-m0"], `10.1.0.${254 - SLOT_BASE.member}`);
        assert.equal(layout.nodes["cache-s0-m2"], `10.1.0.${254 - SLOT_BASE.member - 2}`);
    });

    it("never moves an address when shards, replicas, sentinels or proxies are added", () => {
        const small = staticLayout(planOf({ mode: "cluster", shards: 3, replicasPerShard: 1 }), range, "f");
        const large = staticLayout(planOf({ mode: "cluster", shards: 5, replicasPerShard: 3 }), range, "f");
        for (const [node, address] of Object.entries(small.nodes)) assert.equal(large.nodes[node], address, node);
        assert.equal(new Set(Object.values(large.nodes)).size, Object.keys(large.nodes).length, "distinct");
        assert.ok(!Object.values(large.nodes).includes(large.loadBalancer));
    });

    it("narrows to a range inside the subnet, and refuses one outside or too small, naming the field", () => {
        const narrow = usableRange(subnet, { low: 4, high: 1 }, parseCidr("10.1.0.192/26")!, "azure.addressRange");
        const layout = staticLayout(planOf({ mode: "replication" }), narrow, "azure.addressRange");
        for (const a of Object.values(layout.nodes)) assert.ok(contains(parseCidr("10.1.0.192/26")!, a), a);
        assert.throws(() => usableRange(subnet, { low: 4, high: 1 }, parseCidr("10.2.0.0/26")!, "azure.addressRange"), (e: Error) => e instanceof LayoutError && /azure\.addressRange: 10\.2\.0\.0\/26 is not inside the subnet 10\.1\.0\.0\/24/.test(e.message));
        const tiny = usableRange(parseCidr("10.1.0.0/28")!, { low: 4, high: 1 });
        assert.throws(() => staticLayout(planOf({ mode: "replication" }), tiny, "azure.subnetId"), /azure\.subnetId: 10\.1\.0\.0\/28 has 11 usable addresses; this deployment's highest address slot is 19/);
        assert.doesNotThrow(() => staticLayout(planOf({ mode: "replication" }), usableRange(parseCidr("10.1.0.0/27")!, { low: 4, high: 1 }), "f"), "27 usable addresses hold slot 19");
    });
});

describe("Azure provider helpers", () => {
    it("parses a subnet resource id, and refuses anything else", () => {
        assert.deepEqual(parseSubnetId(SUBNET_ID), {
            subscriptionId: "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", resourceGroupName: "rg-net", virtualNetworkName: "vnet1", subnetName: "redis",
            virtualNetworkId: SUBNET_ID.replace("/subnets/redis", ""),
        });
        for (const bad of ["redis", SUBNET_ID.replace("/subnets/redis", ""), SUBNET_ID + "/x", SUBNET_ID.replace("Microsoft.Network", "Microsoft.Compute")]) assert.equal(parseSubnetId(bad), undefined, bad);
    });

    it("names the Key Vault within Azure's rules (3-24, letters, digits, single hyphens) and the LB per stack", () => {
        for (const name of ["cache", "a-very-long-deployment-name-indeed", "x--y-"]) {
            const kv = defaultKeyVaultName("proj", "prod", name);
            assert.match(kv, /^[a-z](?!.*--)[a-z0-9-]{1,22}[a-z0-9]$/, kv);
        }
        assert.notEqual(defaultKeyVaultName("p", "dev", "cache"), defaultKeyVaultName("p", "prod", "cache"));
        assert.match(loadBalancerName("p", "dev", "cache"), /^cache-ilb-[0-9a-f]{6}$/);
        assert.match(stableGuid("x"), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(stableGuid("x"), stableGuid("x"));
    });

    it("plans NSG rules: every port from the deployment, client ports from allowed CIDRs, balanced ports from the probe, then one deny", () => {
        const show = (rules: ReturnType<typeof nsgRules>) => rules.map((r) => `${r.access}:${r.ports.join(",")}:${JSON.stringify(r.source)}`);
        assert.deepEqual(show(nsgRules(planOf({ mode: "cluster" }), ["10.0.0.0/8"])), [
            'Allow:6379:{"deploymentGroup":true}', 'Allow:6379:{"cidrs":["10.0.0.0/8"]}',
            'Allow:16379:{"deploymentGroup":true}',
            'Deny:6379,16379:{"tag":"*"}',
        ]);
        const rules = nsgRules(planOf({ mode: "sentinel", loadBalancer: true }), ["10.0.0.0/8"]);
        assert.deepEqual(show(rules), [
            'Allow:6379:{"deploymentGroup":true}', 'Allow:6379:{"cidrs":["10.0.0.0/8"]}', 'Allow:6379:{"tag":"AzureLoadBalancer"}',
            'Allow:26379:{"deploymentGroup":true}', 'Allow:26379:{"cidrs":["10.0.0.0/8"]}',
            'Allow:6380:{"deploymentGroup":true}', 'Allow:6380:{"cidrs":["10.0.0.0/8"]}', 'Allow:6380:{"tag":"AzureLoadBalancer"}',
            'Deny:6379,26379,6380:{"tag":"*"}',
        ]);
        assert.equal(new Set(rules.map((r) => r.priority)).size, rules.length, "distinct priorities");
        assert.deepEqual(loadBalancedPorts(planOf({ mode: "replication", loadBalancer: true })), [6379, 6380]);
        assert.deepEqual(loadBalancedPorts(planOf({ mode: "replication" })), []);
    });

    it("tells Arm64 VM sizes from x64 ones", () => {
        for (const s of ["Standard_D2ps_v5", "Standard_E4pds_v5", "Standard_B2pls_v2", "Standard_D4plds_v5"]) assert.equal(azureArchitectureOf(s), "arm64", s);
        for (const s of ["Standard_B2s", "Standard_E2s_v5", "Standard_D2ds_v5", "Standard_E4as_v5", "Standard_M8ms"]) assert.equal(azureArchitectureOf(s), "x64", s);
    });

    it("finds a data disk by its LUN, and sends user data base64 (gzip above 64 KiB)", () => {
        assert.deepEqual(azureDiskDevices(2), ["/dev/disk/azure/data/by-lun/2", "/dev/disk/azure/scsi1/lun2"]);
        assert.throws(() => azureDiskDevices(64), RangeError);
        const small = "#!/bin/bash\necho hi\n";
        assert.equal(Buffer.from(encodeAzureUserData(small), "base64").toString(), small);
        const large = "#!/bin/bash\n" + Array.from({ length: 6000 }, (_, i) => `echo line ${i}`).join("\n") + "\n";
        const encoded = encodeAzureUserData(large);
        assert.ok(encoded.length <= USER_DATA_LIMIT && Buffer.from(encoded, "base64")[0] === 0x1f, "gzip");
        assert.equal(decodeAzureUserData(encoded), large);
        assert.equal(decodeAzureUserData(encodeAzureUserData(small)), small);
    });

    it("reads secrets with an IMDS token for the identity, the token on curl's stdin; refuses odd client ids and vault URIs", () => {
        const hooks = azureBootHooks(CLIENT_ID, VAULT);
        assert.match(hooks.secretFunction, /oauth2\/token\?api-version=2018-02-01&resource=https%3A%2F%2Fvault\.azure\.net&client_id=0a1b2c3d-/);
        assert.match(hooks.secretFunction, /printf 'Authorization: Bearer %s\\n' "\$token" \| curl -sf -m 10 -H @- "\$1\?api-version=7\.4" \| jq -er \.value/);
        assert.deepEqual(hooks.packages, ["curl", "jq"]);
        assert.equal(hooks.addAddresses, true, "Debian does not configure secondary IP configurations by itself");
        for (const fn of [hooks.secretFunction, hooks.userDataFunction!]) assert.equal(spawnSync("bash", ["-n"], { input: `f() {\n${fn}\n}\n` }).status, 0);
        assert.match(azureBootHooks(CLIENT_ID, "https://kv1.vault.azure.cn/").secretFunction, /resource=https%3A%2F%2Fvault\.azure\.cn/);
        assert.throws(() => azureBootHooks("'; rm -rf /", VAULT), /not a managed identity client id/);
        assert.throws(() => azureBootHooks(CLIENT_ID, "https://evil.example.com/"), /not a Key Vault URI/);
    });

    it("fills in the defaults: sized VM, Standard_B2s sentinels and proxies, Premium_LRS disks of 6 x maxmemory, the subnet's resource group", () => {
        const o = validateAzureArgs("cache", { subnetId: SUBNET_ID, allowedCidrs: ["10.0.0.0/8"], sshPublicKey: SSH_KEY }, planOf({ maxmemory: "6gb" }), { project: "p", stack: "prod" });
        assert.equal(o.vmSize, "Standard_E2s_v5", "2.5 x 6 GiB = 15 GiB");
        assert.equal(o.vmSizeGiven, false);
        assert.equal(o.sentinelVmSize, "Standard_B2s");
        assert.equal(o.proxyVmSize, "Standard_B2s");
        assert.equal(o.diskSku, "Premium_LRS");
        assert.equal(o.diskSizeGiB, 36);
        assert.equal(o.membersPerVm, 1);
        assert.equal(o.resourceGroupName, "rg-net");
        assert.equal(o.adminUsername, "rdadmin");
        assert.equal(o.keyVaultName, defaultKeyVaultName("p", "prod", "cache"));
    });

    it("reports every problem of the azure section at once, each by field", () => {
        try {
            validateAzureArgs("cache", { subnetId: "nope", allowedCidrs: ["10.0.0.0/33"], sshPublicKey: "not a key", diskSku: "Ultra", tags: { "a/b": "c" }, image: { publisher: "Debian" } } as never, planOf({}), { project: "p", stack: "s" });
            assert.fail("must throw");
        } catch (err) {
            assert.ok(err instanceof RedisDeploymentArgumentError, String(err));
            assert.deepEqual(err.problems.map((p) => p.field).sort(), [
                "azure.allowedCidrs[0]", "azure.diskSku", "azure.image.offer", "azure.image.sku", "azure.image.version", "azure.sshPublicKey", "azure.subnetId", "azure.tags.a/b",
            ]);
        }
    });
});

describe("Azure boot script (rendered text)", function () {
    this.timeout(60000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-azboot-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const CASES: RedisDeploymentArgs[] = [
        { mode: "standalone" }, { mode: "replication", replicasPerShard: 2 }, { mode: "sentinel" }, { mode: "cluster" },
        { mode: "replication", persistence: { aof: false, rdb: false }, auth: { enabled: false } },
    ];
    for (const args of CASES) {
        it(`${JSON.stringify(args)}: every host's script and the launcher pass bash -n and shellcheck`, () => {
            const p = planOf(args);
            const layout = staticLayout(p, usableRange(parseCidr("10.1.0.0/24")!, { low: 4, high: 1 }), "f");
            const allMembers: AddressedMember[] = p.members.map((m) => ({ ...m, address: layout.nodes[m.name] }));
            const files = planHosts(p).map((host) => {
                const script = renderBootScript({
                    plan: p, allMembers, hooks: azureBootHooks(CLIENT_ID, VAULT),
                    placed: { host, subnet: { id: SUBNET_ID, zone: host.zone, cidr: "10.1.0.0/24" }, hostAddress: "10.1.0.4", nodeAddresses: Object.fromEntries([...host.members, ...host.sentinels, ...host.proxies].map((n) => [n.name, layout.nodes[n.name]])) },
                    disks: Object.fromEntries(host.members.map((m, lun) => [m.name, azureDiskDevices(lun)])),
                    secretRefs: secretRefs(STORED_SECRETS, (name) => `${VAULT}secrets/${name}`),
                });
                const file = path.join(tmp, `${host.name}.sh`);
                fs.writeFileSync(file, script);
                return file;
            });
            const launcher = path.join(tmp, "launcher.sh");
            fs.writeFileSync(launcher, AZURE_LAUNCHER);
            for (const file of [...files, launcher]) {
                const syntax = spawnSync("bash", ["-n", file], { encoding: "utf8" });
                assert.equal(syntax.status, 0, `${file}: bash -n: ${syntax.stderr}`);
                const lint = spawnSync("shellcheck", ["-s", "bash", "-S", "style", file], { encoding: "utf8" });
                assert.equal(lint.status, 0, `${file}: shellcheck:\n${lint.stdout}${lint.stderr}`);
            }
        });
    }
});

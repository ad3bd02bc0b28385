// The GCP provider's pure parts: naming, subnetwork references, machine type choice, disk device
// paths, argument defaults, and the GCP boot script as text (bash -n and shellcheck for every mode).
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
import { gcpBootHooks, gcpDiskDevices } from "../../providers/gcp/boot";
import { pickMachineType } from "../../providers/gcp/machineTypes";
import { defaultSecretPrefix, networkTag, parseSubnetworkRef, projectOfNetwork, regionOfZone, serviceAccountId } from "../../providers/gcp/naming";
import { validateGcpArgs } from "../../providers/gcp/validate";
import { renderBootScript } from "../../providers/vm/bootScript";
import { planHosts, withAddresses, type PlacedHost } from "../../providers/vm/layout";

const GIB = 1024 ** 3;
const ZONES = ["europe-west1-b", "europe-west1-c", "europe-west1-d"];
const SUBNET = "projects/net/regions/europe-west1/subnetworks/redis";

function planOf(args: RedisDeploymentArgs) {
    return plan(validateArgs("cache", { provider: "gcp", zones: ZONES, maxmemory: "1gb", ...args }));
}

describe("GCP provider helpers", () => {
    it("knows a zone's region and reads subnetwork references in their three spellings", () => {
        assert.equal(regionOfZone("europe-west1-b"), "europe-west1");
        assert.equal(regionOfZone("us-central1-a"), "us-central1");
        assert.equal(regionOfZone("us-east-1a"), undefined, "an AWS zone");
        assert.deepEqual(parseSubnetworkRef(SUBNET), { project: "net", region: "europe-west1", name: "redis" });
        assert.deepEqual(parseSubnetworkRef(`https://www.googleapis.com/compute/v1/${SUBNET}`), { project: "net", region: "europe-west1", name: "redis" });
        assert.deepEqual(parseSubnetworkRef("regions/europe-west1/subnetworks/redis"), { region: "europe-west1", name: "redis" });
        for (const bad of ["redis", "projects/net/regions/europe-west1/subnetworks/Redis", "projects/net/global/networks/x", "regions/europe-west1/subnetworks/"]) {
            assert.equal(parseSubnetworkRef(bad), undefined, bad);
        }
        assert.equal(projectOfNetwork("https://www.googleapis.com/compute/v1/projects/host/global/networks/shared"), "host");
    });

    it("derives per-stack names within GCP's limits", () => {
        const long = "a".repeat(40);
        const tag = networkTag("p", "s", long);
        assert.ok(tag.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(tag), tag);
        assert.notEqual(networkTag("p", "dev", "cache"), networkTag("p", "prod", "cache"), "two stacks never share a tag");
        for (const name of ["cache", long, "a-b-c-d-e-f-g-h-i-j-k"]) {
            const id = serviceAccountId("p", "s", name);
            assert.ok(id.length >= 6 && id.length <= 30 && /^[a-z]([-a-z0-9]*[a-z0-9])$/.test(id) && !id.includes("--"), id);
        }
        assert.equal(defaultSecretPrefix("my proj", "org/dev", "cache"), "redis-deployment-my-proj-org-dev-cache");
    });

    it("picks the smallest listed machine type with memory >= the need", () => {
        assert.equal(pickMachineType(0.5 * GIB), "e2-small");
        assert.equal(pickMachineType(2.5 * GIB), "e2-medium");
        assert.equal(pickMachineType(15 * GIB), "e2-highmem-2");
        assert.equal(pickMachineType(100 * GIB), "e2-highmem-16");
        assert.equal(pickMachineType(2000 * GIB), undefined);
    });

    it("finds a persistent disk by its device name, SCSI and NVMe names as fallbacks", () => {
        assert.deepEqual(gcpDiskDevices("cache-s0-m0"), [
            "/dev/disk/by-id/google-cache-s0-m0", "/dev/disk/by-id/scsi-0Google_PersistentDisk_cache-s0-m0", "/dev/disk/by-id/nvme-Google_PersistentDisk_cache-s0-m0",
        ]);
    });

    it("fills in the defaults: sized machine type, e2-small sentinels and proxies, pd-balanced disks of 6 x maxmemory", () => {
        const o = validateGcpArgs("cache", { subnetworks: [SUBNET], allowedCidrs: ["10.0.0.0/8"] }, planOf({ maxmemory: "6gb" }), { project: "p", stack: "prod" });
        assert.equal(o.machineType, "e2-highmem-2", "2.5 x 6 GiB = 15 GiB");
        assert.equal(o.machineTypeGiven, false);
        assert.equal(o.sentinelMachineType, "e2-small");
        assert.equal(o.proxyMachineType, "e2-small");
        assert.equal(o.diskType, "pd-balanced");
        assert.equal(o.diskSizeGb, 36);
        assert.equal(o.secretPrefix, "redis-deployment-p-prod-cache");
        assert.deepEqual(o.subnetworks, [{ project: "net", region: "europe-west1", name: "redis", ref: SUBNET }]);
    });

    it("reports every problem of the gcp section at once, each by field", () => {
        try {
            validateGcpArgs("cache", { subnetworks: ["nope"], allowedCidrs: ["10.0.0.0/33"], diskType: "hyperdisk", networkTags: ["Bad Tag"], image: "" } as never, planOf({}), { project: "p", stack: "s" });
            assert.fail("must throw");
        } catch (err) {
            assert.ok(err instanceof RedisDeploymentArgumentError);
            assert.deepEqual(err.problems.map((p) => p.field).sort(), ["gcp.allowedCidrs[0]", "gcp.diskType", "gcp.image", "gcp.networkTags[0]", "gcp.subnetworks[0]"]);
        }
    });
});

describe("GCP boot script (rendered text)", function () {
    this.timeout(60000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-gcpboot-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const refs = secretRefs(STORED_SECRETS, (name) => `projects/p/secrets/x-${name}`);

    const cases: { title: string; args: RedisDeploymentArgs; perHost?: number; loadBalanced?: boolean }[] = [
        { title: "standalone behind the load balancer", args: { mode: "standalone", loadBalancer: true }, loadBalanced: true },
        { title: "replication with proxies behind the load balancer", args: { mode: "replication", replicasPerShard: 2, loadBalancer: true }, loadBalanced: true },
        { title: "sentinel", args: { mode: "sentinel" } },
        { title: "cluster 3x2, 3 members per VM", args: { mode: "cluster", replicasPerShard: 2 }, perHost: 3 },
        { title: "replication, persistence off, auth off", args: { mode: "replication", persistence: { aof: false, rdb: false }, auth: { enabled: false } } },
    ];
    for (const c of cases) {
        it(`${c.title}: every host's script passes bash -n and shellcheck, waits for its addresses, installs no boot unit`, () => {
            const p = planOf(c.args);
            const placed: PlacedHost[] = planHosts(p, c.perHost ?? 1).map((host, h) => ({
                host, subnet: { id: "s", zone: host.zone, cidr: "10.9.0.0/16" },
                nodeAddresses: Object.fromEntries([...host.members, ...host.sentinels, ...host.proxies].map((n, i) => [n.name, `10.9.${h}.${10 + i}`])),
            }));
            const allMembers = withAddresses(placed, p.members) as AddressedMember[];
            for (const ph of placed) {
                const front = c.loadBalanced && (ph.host.kind === "proxy" || (p.proxies.length === 0 && ph.host.kind === "member"));
                const script = renderBootScript({
                    plan: p, placed: ph, allMembers, secretRefs: refs, hooks: gcpBootHooks(),
                    disks: Object.fromEntries(ph.host.members.map((m) => [m.name, gcpDiskDevices(m.name)])), alsoListenOn: front ? ["10.9.99.99"] : [],
                });
                const file = path.join(tmp, `${ph.host.name}.sh`);
                fs.writeFileSync(file, script);
                const syntax = spawnSync("bash", ["-n", file], { encoding: "utf8" });
                assert.equal(syntax.status, 0, `${ph.host.name}: bash -n: ${syntax.stderr}`);
                const lint = spawnSync("shellcheck", ["-s", "bash", "-S", "style", file], { encoding: "utf8" });
                assert.equal(lint.status, 0, `${ph.host.name}: shellcheck:\n${lint.stdout}${lint.stderr}`);
                const awaited = /\n {4}rd_await_addresses ([^\n]+)\n/.exec(script)![1].split(" ");
                assert.deepEqual(awaited, [...Object.values(ph.nodeAddresses), ...(front ? ["10.9.99.99"] : [])]);
                assert.ok(!script.includes("\n    rd_addresses ") && !script.includes("\n    rd_install_self\n"));
                assert.ok(!script.includes("rd_cloud_user_data() {"), "the guest agent runs the current metadata: nothing to refresh");
            }
        });
    }
});

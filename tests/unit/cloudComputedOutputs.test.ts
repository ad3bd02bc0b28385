// The VM clouds under generic Pulumi mocks, as platform teams write them: `newResource` returns
// the inputs (plus, at most, the computed outputs each cloud documents in COMPUTED_OUTPUTS), and
// `call` answers the lookups. With only the inputs, a deployment fails with one clear error
// naming the resource type, the resource and the output the mock must return (never a TypeError,
// never a hang); with the documented outputs, every mode builds, and a password given as a
// secret stays out of every plain input. What the clouds' rules allow (a Key Vault's name and
// URI, a GCP secret's name and a service account's email with `gcp:project` set) is derived.
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import * as aws from "../../providers/aws";
import * as azure from "../../providers/azure";
import * as gcp from "../../providers/gcp";
import type { ComputedOutputs, DerivedOutputs } from "../../providers/vm/computed";
import { CloudMocks, deploy, hex, type CloudBehaviour } from "../helpers/cloudMocks";
import { programResult, unwrap } from "../helpers/mocks";

const GIVEN_PASSWORD = "given-generic-password-0123456789";
const GCP_PROJECT = "svc-project";
const MODES = ["standalone", "replication", "sentinel", "cluster"] as const;
type Mode = (typeof MODES)[number];

interface Cloud {
    name: "aws" | "gcp" | "azure";
    computed: ComputedOutputs;
    derived: DerivedOutputs;
    /** JavaScript source of the mocks' `call`: the answers the clouds' own tests give to the lookups. */
    lookups: string;
    /** The provider's section of the arguments and the zones. */
    zones: string[];
    section: Record<string, unknown>;
    /** Stack configuration a program on this cloud has (the provider's project). */
    config?: Record<string, string>;
}

const CLOUDS: Cloud[] = [
    {
        name: "aws",
        computed: aws.COMPUTED_OUTPUTS,
        derived: aws.DERIVED_OUTPUTS,
        lookups: `(a) => {
            if (a.token === "aws:ec2/getAmi:getAmi") return { id: "ami-0deb12amd64000001", architecture: "x86_64" };
            if (a.token !== "aws:ec2/getSubnet:getSubnet") throw new Error("unexpected call " + a.token);
            const zone = { "subnet-0aaa000000000000a": "us-east-1a", "subnet-0bbb000000000000a": "us-east-1b", "subnet-0ccc000000000000a": "us-east-1c" }[a.inputs.id];
            const i = ["us-east-1a", "us-east-1b", "us-east-1c"].indexOf(zone);
            return { id: a.inputs.id, availabilityZone: zone, cidrBlock: "10.20." + i + ".0/24", vpcId: "vpc-0123456789abcdef0", region: "us-east-1" };
        }`,
        zones: ["us-east-1a", "us-east-1b", "us-east-1c"],
        section: { subnetIds: ["subnet-0aaa000000000000a", "subnet-0bbb000000000000a", "subnet-0ccc000000000000a"], allowedCidrs: ["10.20.0.0/16"] },
    },
    {
        name: "gcp",
        computed: gcp.COMPUTED_OUTPUTS,
        derived: gcp.DERIVED_OUTPUTS,
        lookups: `(a) => {
            if (a.token === "gcp:compute/getImage:getImage") return { selfLink: "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/debian-12-bookworm-v20260101" };
            if (a.token !== "gcp:compute/getSubnetwork:getSubnetwork") throw new Error("unexpected call " + a.token);
            return { selfLink: "https://www.googleapis.com/compute/v1/projects/net-host/regions/europe-west1/subnetworks/" + a.inputs.name, region: a.inputs.region, ipCidrRange: "10.30.0.0/24", network: "https://www.googleapis.com/compute/v1/projects/net-host/global/networks/shared" };
        }`,
        zones: ["europe-west1-b", "europe-west1-c", "europe-west1-d"],
        section: { subnetworks: ["projects/net-host/regions/europe-west1/subnetworks/redis-a"], allowedCidrs: ["10.30.0.0/16"] },
        config: { "gcp:project": GCP_PROJECT },
    },
    {
        name: "azure",
        computed: azure.COMPUTED_OUTPUTS,
        derived: azure.DERIVED_OUTPUTS,
        lookups: `(a) => {
            if (a.token !== "azure-native:network:getSubnet") throw new Error("unexpected call " + a.token);
            return { id: "x", name: a.inputs.subnetName, addressPrefix: "10.30.4.0/24" };
        }`,
        zones: ["1", "2", "3"],
        section: {
            subnetId: "/subscriptions/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-main/subnets/redis",
            allowedCidrs: ["10.30.0.0/16"],
            sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk7Tz3mJ0c0d1m9dSx0Zr3Lh8yU2Jv3vYbQbq0X8f2e ops@example",
        },
    },
];

/** A deployment of `mode` on `cloud`: standalone and sentinel with a load balancer (its outputs are read too). */
function argsFor(cloud: Cloud, mode: Mode, password: pulumi.Input<string> = GIVEN_PASSWORD): RedisDeploymentArgs {
    const shape: Record<Mode, RedisDeploymentArgs> = {
        standalone: { mode, loadBalancer: true },
        replication: { mode },
        sentinel: { mode, replicasPerShard: 2, sentinels: 3, loadBalancer: true },
        cluster: { mode, shards: 3, replicasPerShard: 1 },
    };
    return { provider: cloud.name, zones: cloud.zones, maxmemory: "1gb", auth: { password }, ...shape[mode], [cloud.name]: cloud.section };
}

const guid = (text: string) => {
    const h = hex(text, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/**
 * A generic mock: the inputs, plus exactly the outputs `computed` documents for the type (made-up
 * values of the right shape), ids `<name>_id`; lookups answered by `lookups`.
 */
class DocumentedOutputs implements CloudBehaviour {
    private next = 0;
    private readonly call_: (args: pulumi.runtime.MockCallArgs) => Record<string, any>;

    constructor(private readonly computedOutputs: ComputedOutputs, lookups: string) {
        this.call_ = eval(`(${lookups})`);
    }

    reset(): void {
        this.next = 0;
    }

    id(_type: string, name: string): string {
        return `${name}_id`;
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        return this.call_(args);
    }

    private address(): string {
        const n = this.next++;
        return `10.99.${Math.floor(n / 200)}.${(n % 200) + 10}`;
    }

    computed(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
        const outputs = this.computedOutputs[type] ?? [];
        const ips = outputs.includes("privateIps") ? Array.from({ length: (inputs.privateIpsCount ?? 0) + 1 }, () => this.address()) : [];
        const value = (output: string): unknown => {
            switch (output) {
                case "privateIp": return ips[0];
                case "privateIps": return ips;
                case "address": return this.address();
                case "clientId": case "principalId": case "tenantId": return guid(`${name}/${output}`);
                case "dnsName": return `${name}-0123.elb.example`;
                case "instanceId": return String(parseInt(hex(name, 12), 16));
                default: return `mock-${output}-${name}`;
            }
        };
        return Object.fromEntries(outputs.map((o) => [o, value(o)]));
    }
}

/** Runs `run` with the given stack configuration added (as a stack on that cloud has it). */
async function withConfig(config: Record<string, string> | undefined, run: () => Promise<void>): Promise<void> {
    const saved = process.env.PULUMI_CONFIG;
    try {
        if (config) pulumi.runtime.setAllConfig({ ...JSON.parse(saved ?? "{}"), ...config });
        await run();
    } finally {
        if (saved === undefined) delete process.env.PULUMI_CONFIG;
        else process.env.PULUMI_CONFIG = saved;
    }
}

interface Failure {
    /** The message `members` or `endpoint` failed with; absent when both resolved or the program timed out. */
    message?: string;
    resolved?: boolean;
    timedOut?: boolean;
    /** Unhandled rejections that are not a missing computed output. */
    others: string[];
}

/** JavaScript source of a `newResource` returning only the inputs. */
const INPUTS_ONLY = `(a) => ({ id: a.name + "_id", state: a.inputs })`;

/** JavaScript source of a `newResource` returning the inputs and every documented computed output but `drop`. */
function documentedBut(cloud: Cloud, drop: { type: string; output: string }): string {
    return `(() => {
        const documented = require("./providers/${cloud.name}").COMPUTED_OUTPUTS;
        let n = 0;
        const ip = () => { n++; return "10.99." + Math.floor(n / 200) + "." + ((n % 200) + 10); };
        return (a) => {
            const state = { ...a.inputs };
            const outputs = documented[a.type] || [];
            const ips = Array.from({ length: (a.inputs.privateIpsCount || 0) + 1 }, ip);
            for (const o of outputs) {
                state[o] = o === "privateIp" ? ips[0] : o === "privateIps" ? ips : o === "address" ? ip()
                    : /^(clientId|principalId|tenantId)$/.test(o) ? "0b1c2d3e-4f50-4a6b-8c7d-" + String(++n).padStart(12, "0")
                    : "mock-" + o + "-" + a.name;
            }
            if (a.type === ${JSON.stringify(drop.type)}) delete state[${JSON.stringify(drop.output)}];
            return { id: a.name + "_id", state };
        };
    })()`;
}

/**
 * Builds a deployment in a process of its own with the mock `newResource` (JavaScript source;
 * failed outputs leave the resources that wait on them pending), and reports how `members` and
 * `endpoint` ended.
 */
function failureWith(cloud: Cloud, mode: Mode, config: Record<string, string> | undefined, newResource = INPUTS_ONLY): Failure {
    const program = `
        const pulumi = require("@pulumi/pulumi");
        const others = [];
        process.on("unhandledRejection", (e) => {
            const m = e instanceof Error ? (e.constructor.name + ": " + e.message) : "non-error rejection: " + String(e);
            if (!/has no output "/.test(m) || /TypeError/.test(m)) others.push(m.slice(0, 400));
        });
        let reported = false;
        const report = (r) => {
            if (reported) return;
            reported = true;
            setTimeout(() => { console.log("RESULT " + JSON.stringify({ ...r, others })); process.exit(0); }, 1000);
        };
        pulumi.runtime.setMocks({ newResource: ${newResource}, call: ${cloud.lookups} }, "proj", "dev", false).then(() => {
            const { RedisDeployment } = require("./components/redisDeployment");
            const args = ${JSON.stringify(argsFor(cloud, mode, "@@PASSWORD@@"))};
            args.auth.password = pulumi.secret(${JSON.stringify(GIVEN_PASSWORD)});
            const d = new RedisDeployment("cache", args);
            setTimeout(() => report({ timedOut: true }), 40000);
            Promise.all([d.members.promise(), d.endpoint.promise()]).then(() => report({ resolved: true }), (e) => report({ message: e.constructor.name + ": " + e.message }));
        });`;
    const saved = process.env.PULUMI_CONFIG;
    try {
        if (config) process.env.PULUMI_CONFIG = JSON.stringify(config);
        else delete process.env.PULUMI_CONFIG;
        return programResult(program, 90000) as Failure;
    } finally {
        if (saved === undefined) delete process.env.PULUMI_CONFIG;
        else process.env.PULUMI_CONFIG = saved;
    }
}

const CLEAR = /RedisDeployment "cache": (\S+) "([^"]+)" has no output "([^"]+)"; under Pulumi mocks, newResource must return it \(see docs\/testing\.md\)/;

function assertClearFailure(f: Failure, allowed: Readonly<Record<string, readonly string[]>>): { type: string; output: string } {
    assert.ok(!f.timedOut, "the deployment's outputs must fail, not hang");
    assert.ok(!f.resolved, "the deployment's outputs must fail");
    assert.ok(f.message, "a failure message");
    assert.ok(!/TypeError|Cannot read properties|undefined/.test(f.message), `not a crash from inside: ${f.message}`);
    const m = CLEAR.exec(f.message);
    assert.ok(m, `one clear error naming type, resource and output: ${f.message}`);
    const [, type, resource, output] = m;
    assert.ok(allowed[type]?.includes(output), `${type} "${output}" is one of the outputs the mock must return: ${JSON.stringify(allowed)}`);
    assert.ok(resource.length > 0);
    assert.deepEqual(f.others, [], "no other kind of error on the way");
    return { type, output };
}

describe("VM clouds under generic Pulumi mocks (inputs only, then the documented computed outputs)", function () {
    this.timeout(240000);

    describe("the documented lists", () => {
        it("each cloud exports COMPUTED_OUTPUTS (type token -> output names) and DERIVED_OUTPUTS, neither overlapping", () => {
            for (const c of CLOUDS) {
                assert.ok(Object.keys(c.computed).length > 0, c.name);
                for (const [type, outputs] of Object.entries(c.computed)) {
                    assert.match(type, c.name === "azure" ? /^azure-native:[a-z]+:[A-Za-z]+$/ : new RegExp(`^${c.name}:[a-z0-9]+/[A-Za-z]+:[A-Za-z]+$`), type);
                    assert.ok(outputs.length > 0 && outputs.every((o) => /^[a-zA-Z][\w.]*$/.test(o)), `${type}: ${outputs.join(", ")}`);
                    for (const o of outputs) assert.equal(c.derived[type]?.[o], undefined, `${type} ${o} is either required or derived`);
                }
            }
            assert.deepEqual(aws.COMPUTED_OUTPUTS["aws:ec2/networkInterface:NetworkInterface"], ["privateIp", "privateIps"]);
            assert.deepEqual(gcp.COMPUTED_OUTPUTS["gcp:compute/address:Address"], ["address"]);
            assert.deepEqual(Object.keys(gcp.DERIVED_OUTPUTS).sort(), ["gcp:secretmanager/secret:Secret", "gcp:serviceaccount/account:Account"]);
            assert.deepEqual(azure.COMPUTED_OUTPUTS["azure-native:managedidentity:UserAssignedIdentity"], ["clientId", "principalId", "tenantId"]);
            assert.ok(azure.DERIVED_OUTPUTS["azure-native:keyvault:Vault"]["properties.vaultUri"]);
        });

        const testingDoc = fs.readFileSync(path.resolve(__dirname, "../../docs/testing.md"), "utf8");

        it("docs/testing.md's table lists exactly each cloud's COMPUTED_OUTPUTS", () => {
            const rows = [...testingDoc.matchAll(/^\| (aws|gcp|azure) \| `([^`]+)` \| (.+) \|$/gm)];
            const documented: Record<string, Record<string, string[]>> = { aws: {}, gcp: {}, azure: {} };
            for (const [, cloud, type, outputs] of rows) {
                documented[cloud][type] = [...outputs.replace(/\([^)]*\)/g, "").matchAll(/`([^`]+)`/g)].map((m) => m[1]);
            }
            for (const c of CLOUDS) assert.deepEqual(documented[c.name], c.computed, `docs/testing.md, ${c.name}`);
        });

        it("docs/testing.md's AWS mock, run as written, builds a deployment", () => {
            const snippet = /### What the cloud providers need from a mock[\s\S]*?```ts\n([\s\S]*?)```/.exec(testingDoc)?.[1];
            assert.ok(snippet, "the AWS mock snippet is in docs/testing.md");
            const file = path.resolve(__dirname, "../../.test-tmp/awsMockSnippet.ts");
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, snippet.replace('"redis-deployment/providers/aws"', '"../providers/aws"') + `
                const { RedisDeployment } = require("../components/redisDeployment");
                const d = new RedisDeployment("cache", { provider: "aws", mode: "replication", maxmemory: "1gb", zones: ["us-east-1a"],
                    auth: { password: pulumi.secret("${GIVEN_PASSWORD}") }, aws: { subnetIds: ["subnet-0aaa000000000000a"], allowedCidrs: ["10.20.0.0/16"] } });
                pulumi.all([d.members, d.endpoint]).apply(([members, endpoint]) => { console.log("RESULT " + JSON.stringify({ members, endpoint })); process.exit(0); });
            `);
            try {
                const result = programResult(`require(${JSON.stringify(file)})`);
                assert.equal(result.members.length, 2);
                for (const m of result.members) assert.match(m.address, /^10\.20\.1\.\d+$/);
                assert.match(result.endpoint, /^10\.20\.1\.\d+:6379$/);
            } finally {
                fs.rmSync(file, { force: true });
            }
        });
    });

    for (const cloud of CLOUDS) {
        describe(`${cloud.name}: newResource returns only the inputs, or all documented outputs but one`, () => {
            it("fails with one clear error naming a resource type and an output the mock must return", () => {
                const f = failureWith(cloud, "cluster", cloud.config);
                assertClearFailure(f, cloud.computed);
            });

            // Every documented output is read: leaving out any one of them fails with its name.
            for (const [type, outputs] of Object.entries(cloud.computed)) {
                for (const output of outputs) {
                    it(`names ${type} "${output}" when only that one is missing`, () => {
                        const f = failureWith(cloud, "sentinel", cloud.config, documentedBut(cloud, { type, output }));
                        assert.deepEqual(assertClearFailure(f, { [type]: [output] }), { type, output });
                    });
                }
            }
        });
    }

    describe("gcp: without gcp:project, what would be derived from it is required", () => {
        it("names the service account's email or a secret's name", () => {
            const f = failureWith(CLOUDS[1], "replication", undefined);
            assertClearFailure(f, { ...gcp.COMPUTED_OUTPUTS, "gcp:serviceaccount/account:Account": ["email"], "gcp:secretmanager/secret:Secret": ["name"] });
        });
    });

    // Nothing else is added: not even the component's own DeploymentPassword (a dynamic resource,
    // whose create never runs under mocks) is answered; the program generates its credentials.
    for (const cloud of CLOUDS) {
        describe(`${cloud.name}: newResource returns the inputs and the documented computed outputs`, () => {
            const rec = new CloudMocks(new DocumentedOutputs(cloud.computed, cloud.lookups), false);
            for (const mode of MODES) {
                it(`builds ${mode} with auth.password a secret, which stays out of every plain input`, async () => {
                    await withConfig(cloud.config, async () => {
                        await rec.install();
                        const d = await deploy("cache", argsFor(cloud, mode, pulumi.secret(GIVEN_PASSWORD)));
                        assert.ok(d.members.length > 0);
                        for (const m of d.members) assert.match(m.address, /^\d+\.\d+\.\d+\.\d+$/, m.name);
                        assert.ok(d.endpoint && !d.endpoint.includes("undefined"), d.endpoint);
                        assert.equal(d.password, GIVEN_PASSWORD);
                        assert.equal(d.secret.password, true);
                        assert.equal(d.secret.connectionUrl, true);
                        const generated = rec.credentials();
                        assert.equal(generated.password, GIVEN_PASSWORD);
                        assert.ok(generated.adminPassword.length >= 32 && generated.monitorPassword.length >= 32);
                        rec.assertNoPasswordInPlainInputs([GIVEN_PASSWORD, generated.adminPassword, generated.monitorPassword]);
                        // Nothing missing was formatted into an input.
                        for (const r of rec.seen.filter((x) => x.type.startsWith(`${cloud.name === "azure" ? "azure-native" : cloud.name}:`))) {
                            assert.ok(!/\bundefined\b|\[object Object\]|\bNaN\b/.test(JSON.stringify(unwrap(r.inputs))), `${r.type} ${r.name}: ${JSON.stringify(unwrap(r.inputs)).slice(0, 300)}`);
                        }
                    });
                });
            }

            if (cloud.name === "gcp") {
                it("derives the service account's email and the secrets' names from gcp:project", async () => {
                    await withConfig(cloud.config, async () => {
                        await rec.install();
                        await deploy("cache", argsFor(cloud, "replication"));
                        const account = rec.ofType("gcp:serviceaccount/account:Account")[0];
                        const email = `${account.inputs.accountId}@${GCP_PROJECT}.iam.gserviceaccount.com`;
                        for (const i of rec.ofType("gcp:compute/instance:Instance")) {
                            assert.equal(i.inputs.serviceAccount.email, email);
                            const script = unwrap(i.inputs.metadata)["startup-script"] as string;
                            for (const s of rec.ofType("gcp:secretmanager/secret:Secret").filter((x) => script.includes(x.inputs.secretId))) {
                                assert.ok(script.includes(`projects/${GCP_PROJECT}/secrets/${s.inputs.secretId}`), `${i.name}: ${s.inputs.secretId}`);
                            }
                        }
                    });
                });
            }

            if (cloud.name === "azure") {
                it("derives the Key Vault's name and URI from its vaultName", async () => {
                    await rec.install();
                    await deploy("cache", argsFor(cloud, "replication"));
                    const vault = rec.ofType("azure-native:keyvault:Vault")[0];
                    for (const s of rec.ofType("azure-native:keyvault:Secret")) assert.equal(s.inputs.vaultName, vault.inputs.vaultName);
                    const script = azure.decodeAzureUserData(unwrap(rec.ofType("azure-native:compute:VirtualMachine")[0].inputs.userData));
                    assert.ok(script.includes(`https://${vault.inputs.vaultName}.vault.azure.net/secrets/`), "secrets referenced in the vault");
                });
            }
        });
    }

    // A mistaken destroy must not take the data: every member's data disk is kept unless the
    // deployment says deleteDataOnDestroy, and nothing else is kept.
    const DISK_TYPES: Record<Cloud["name"], string> = { aws: "aws:ebs/volume:Volume", gcp: "gcp:compute/disk:Disk", azure: "azure-native:compute:Disk" };
    for (const cloud of CLOUDS) {
        describe(`${cloud.name}: a password rotation`, () => {
            const rec = new CloudMocks(new DocumentedOutputs(cloud.computed, cloud.lookups), true);
            const OLD = "old-application-password-0123456789";
            const NEW = "new-application-password-0123456789";
            /** Secret name (SECRET_NAMES) -> the value the secret store is given. */
            const storeValues = (): Record<string, unknown> => {
                const entries = cloud.name === "aws"
                    ? rec.ofType("aws:ssm/parameter:Parameter").map((r) => [String(r.inputs.name).split("/").pop(), unwrap(r.inputs.value)])
                    : cloud.name === "gcp"
                        ? rec.ofType("gcp:secretmanager/secretVersion:SecretVersion").map((r) => [r.name.replace(/^cache-secret-|-value$/g, ""), unwrap(r.inputs.secretData)])
                        : rec.ofType("azure-native:keyvault:Secret").map((r) => [r.inputs.secretName, (unwrap(r.inputs.properties) as { value: string }).value]);
                return Object.fromEntries(entries);
            };
            const storeTypes = ["aws:ssm/parameter:Parameter", "gcp:secretmanager/secretVersion:SecretVersion", "azure-native:keyvault:Secret"];

            it("phase 1 writes the new password and keeps the old one as the retiring secret; no VM, disk or network input changes (no reboot)", async () => {
                await withConfig(cloud.config, async () => {
                    const prefix = cloud.name === "azure" ? "azure-native:" : `${cloud.name}:`;
                    await rec.install();
                    rec.passwordState = {};
                    await deploy("cache", argsFor(cloud, "sentinel", OLD));
                    const idle = storeValues();
                    assert.equal(idle["password"], OLD);
                    assert.equal(idle["retiring-password"], OLD, "no rotation: the retiring secret holds the current password");
                    const before = rec.snapshot(prefix, unwrap);

                    await rec.install();
                    rec.passwordState = { retiringPassword: OLD };
                    await deploy("cache", argsFor(cloud, "sentinel", NEW));
                    const rotating = storeValues();
                    assert.equal(rotating["password"], NEW, "the new password reaches the secret store");
                    assert.equal(rotating["retiring-password"], OLD, "the old one stays valid for VMs that boot during phase 1");
                    assert.deepEqual(Object.keys(rotating).sort(), Object.keys(idle).sort(), "the same secrets");
                    const after = rec.snapshot(prefix, unwrap);
                    assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort(), "the same resources");
                    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
                    assert.ok(changed.length > 0, "the secret store changes");
                    for (const k of changed) assert.ok(storeTypes.some((t) => k.startsWith(`${t}::`)), `${k}: only secret store values change, no VM input (its user data) and nothing it needs`);
                    // Running members get it live through the bootstrap path, without a reboot.
                    assert.deepEqual(rec.ofType("pulumi-nodejs:dynamic/redis-deployment:CredentialsSync").map((r) => r.name), ["cache-credentials"], "the credentials sync resource applies it to running nodes");
                });
            });
        });

        describe(`${cloud.name}: data disks on destroy`, () => {
            const rec = new CloudMocks(new DocumentedOutputs(cloud.computed, cloud.lookups), false);
            for (const deleteDataOnDestroy of [undefined, true]) {
                it(`deleteDataOnDestroy ${deleteDataOnDestroy ?? "unset"}: every data disk ${deleteDataOnDestroy ? "is deleted" : "is kept (retainOnDelete)"}, nothing else is kept`, async () => {
                    await withConfig(cloud.config, async () => {
                        await rec.install();
                        const d = await deploy("cache", { ...argsFor(cloud, "cluster"), ...(deleteDataOnDestroy ? { deleteDataOnDestroy } : {}) });
                        const disks = rec.registrations.filter((r) => r.type === DISK_TYPES[cloud.name]);
                        assert.equal(disks.length, d.members.length, "one data disk per member");
                        for (const disk of disks) assert.equal(disk.retainOnDelete, !deleteDataOnDestroy, disk.name);
                        const keptOthers = rec.registrations.filter((r) => r.retainOnDelete && r.type !== DISK_TYPES[cloud.name]);
                        assert.deepEqual(keptOthers.map((r) => `${r.type} ${r.name}`), []);
                    });
                });
            }
        });
    }
});

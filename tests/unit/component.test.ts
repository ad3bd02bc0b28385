// RedisDeployment's resource graph on the local provider, under Pulumi mocks: which resources
// the component registers for each mode, how they are parented and typed, what they are given
// (addresses, slot ranges, secrets), and the component's outputs. Nothing is started: mocks
// never call a dynamic provider's create (the data directory must stay empty).
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { AVAILABLE_PROVIDERS, RedisDeployment } from "../../components/redisDeployment";
import { CLUSTER_SLOTS, PROVIDER_KINDS } from "../../components/types";
import { defaultAddressPrefix } from "../../providers/local";
import {
    MOCK_GENERATED, MOCK_PID, MockRecorder, RejectionTrap, isWrappedSecret, redactSecrets, settle, unwrap, value,
    type SeenResource,
} from "../helpers/mocks";

const PROJECT = "proj";
const STACK = "stack";
const COMPONENT_TYPE = "redis-deployment:index:RedisDeployment";
/** What the SDK makes of `new dynamic.Resource(provider, name, props, opts, "redis-deployment", Type)`. */
const dynamicType = (type: string) => `pulumi-nodejs:dynamic/redis-deployment:${type}`;
const PREFIX = "127.99";
const GIVEN_PASSWORD = "given-app-password-0123456789";
const DEFAULT_ZONES = ["a", "b", "c"];

interface Deployed {
    deployment: RedisDeployment;
    outputs: {
        endpoint: string;
        readEndpoint: string | undefined;
        sentinelAddresses: string[];
        masterName: string | undefined;
        clusterNodes: string[];
        members: { name: string; shard: number; role: string; zone: string; address: string; port: number }[];
        proxyAddresses: string[];
        password: string;
        connectionUrl: string;
        caCertificate: string;
        diagram: string;
    };
    secret: Record<string, boolean>;
}

const OUTPUT_NAMES = [
    "endpoint", "readEndpoint", "sentinelAddresses", "masterName", "clusterNodes", "members", "proxyAddresses",
    "password", "connectionUrl", "caCertificate", "diagram",
] as const;

/** Reads every public output (and its secrecy), then waits until every registration reached the mock monitor. */
async function collect(deployment: RedisDeployment, trap: RejectionTrap): Promise<Deployed> {
    const outputs: Record<string, unknown> = {};
    const secret: Record<string, boolean> = {};
    try {
        for (const key of OUTPUT_NAMES) {
            const out = (deployment as unknown as Record<string, pulumi.Output<unknown>>)[key];
            assert.ok(pulumi.Output.isInstance(out), `output ${key} must be a pulumi.Output`);
            outputs[key] = await value(out);
            secret[key] = await pulumi.isSecret(out);
        }
        await settle();
    } catch (err) {
        if (trap.errors.length > 0) throw new Error(`${(err as Error).message}; unhandled rejections: ${trap.errors.map(String).join(" | ")}`);
        throw err;
    }
    assert.deepEqual(trap.errors.map(String), [], "no unhandled rejections while the component was built");
    return { deployment, outputs: outputs as Deployed["outputs"], secret };
}

function processes(rec: MockRecorder, kind?: string): SeenResource[] {
    return rec.ofType(":LocalProcess").filter((r) => kind === undefined || r.inputs.kind === kind);
}

/** Every slot 0..16383 owned exactly once, ranges contiguous and in shard order. */
function assertSlotCoverage(shards: { index: number; slots: { start: number; end: number } }[], count: number): void {
    assert.equal(shards.length, count);
    let next = 0;
    for (const [i, s] of shards.entries()) {
        assert.equal(s.index, i, "shards in order");
        assert.equal(s.slots.start, next, `shard ${i} starts right after the previous one`);
        assert.ok(s.slots.end >= s.slots.start, `shard ${i} owns at least one slot`);
        next = s.slots.end + 1;
    }
    assert.equal(next, CLUSTER_SLOTS, "the last shard ends at slot 16383");
}

interface ModeCase {
    title: string;
    name: string;
    args: RedisDeploymentArgs;
    shards: number;
    perShard: number;
    sentinels: number;
    proxies: number;
    bootstrap?: "ReplicationBootstrap" | "SentinelBootstrap" | "ClusterBootstrap";
}

const MODES: ModeCase[] = [
    { title: "standalone", name: "solo", args: { mode: "standalone" }, shards: 1, perShard: 1, sentinels: 0, proxies: 0 },
    { title: "replication 1+2", name: "repl", args: { mode: "replication", replicasPerShard: 2 }, shards: 1, perShard: 3, sentinels: 0, proxies: 2, bootstrap: "ReplicationBootstrap" },
    { title: "sentinel 1+2 with 3 sentinels", name: "sent", args: { mode: "sentinel", replicasPerShard: 2, sentinels: 3 }, shards: 1, perShard: 3, sentinels: 3, proxies: 2, bootstrap: "SentinelBootstrap" },
    { title: "cluster 3x1", name: "clus", args: { mode: "cluster", shards: 3, replicasPerShard: 1 }, shards: 3, perShard: 2, sentinels: 0, proxies: 0, bootstrap: "ClusterBootstrap" },
];

describe("RedisDeployment component graph (local provider, Pulumi mocks)", function () {
    this.timeout(90000);
    let dataDir: string;
    const trap = new RejectionTrap();

    before(() => {
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-component-"));
    });
    after(() => {
        trap.stop();
        const left = fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : [];
        fs.rmSync(dataDir, { recursive: true, force: true });
        // Mocks never call create: if anything was written, something ran outside the engine.
        assert.deepEqual(left, [], "nothing may be written to local.dataDir under mocks");
    });

    /** The args with local.dataDir set (nothing under $HOME) and local.addressPrefix (null: the default). */
    const localArgs = (args: RedisDeploymentArgs, addressPrefix: string | null = PREFIX): RedisDeploymentArgs =>
        ({ ...args, local: { dataDir, ...(addressPrefix ? { addressPrefix } : {}) } });

    for (const mode of MODES) {
        describe(mode.title, () => {
            const rec = new MockRecorder();
            let d: Deployed;
            const memberCount = mode.shards * mode.perShard;
            const expectedMembers = Array.from({ length: mode.shards }, (_, s) => Array.from({ length: mode.perShard }, (__, i) => ({
                name: `${mode.name}-s${s}-m${i}`, shard: s, role: i === 0 ? "master" : "replica", zone: DEFAULT_ZONES[(s + i) % DEFAULT_ZONES.length],
            }))).flat();

            before(async () => {
                await rec.install(PROJECT, STACK);
                trap.start();
                const deployment = new RedisDeployment(mode.name, localArgs({ ...mode.args, auth: { password: GIVEN_PASSWORD } }));
                d = await collect(deployment, trap);
                trap.stop();
            });

            it("registers the component, one DeploymentPassword, one LocalProcess per node and the right bootstrap, nothing else", () => {
                const counts = new Map<string, number>();
                for (const r of rec.seen) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
                const expected = new Map<string, number>([
                    [COMPONENT_TYPE, 1],
                    [dynamicType("DeploymentPassword"), 1],
                    [dynamicType("CredentialsSync"), 1],
                    [dynamicType("LocalProcess"), memberCount + mode.sentinels + mode.proxies],
                ]);
                if (mode.bootstrap) expected.set(dynamicType(mode.bootstrap), 1);
                assert.deepEqual(Object.fromEntries([...counts].sort()), Object.fromEntries([...expected].sort()));

                const component = rec.seen.find((r) => r.type === COMPONENT_TYPE)!;
                assert.equal(component.name, mode.name);
                assert.equal(component.custom, false, "the component is not a custom resource");
                assert.equal(rec.one(":DeploymentPassword").name, `${mode.name}-password`);
                assert.equal(rec.one(":CredentialsSync").name, `${mode.name}-credentials`);
                if (mode.bootstrap) {
                    const suffix = { ReplicationBootstrap: "replication", SentinelBootstrap: "sentinel", ClusterBootstrap: "cluster" }[mode.bootstrap];
                    assert.equal(rec.one(`:${mode.bootstrap}`).name, `${mode.name}-${suffix}`);
                }

                assert.deepEqual(processes(rec, "redis").map((p) => p.name).sort(), expectedMembers.map((m) => m.name).sort());
                assert.deepEqual(processes(rec, "sentinel").map((p) => p.name).sort(),
                    Array.from({ length: mode.sentinels }, (_, i) => `${mode.name}-sentinel${i}`));
                assert.deepEqual(processes(rec, "haproxy").map((p) => p.name).sort(),
                    Array.from({ length: mode.proxies }, (_, i) => `${mode.name}-proxy${i}`));
                assert.equal(processes(rec).length, processes(rec, "redis").length + processes(rec, "sentinel").length + processes(rec, "haproxy").length,
                    "every LocalProcess has kind redis, sentinel or haproxy");
                assert.deepEqual(rec.calls, [], "the local provider makes no provider function calls");
            });

            it("parents every child to the component (URN type chain) and gives every resource a distinct URN", async () => {
                const registered = rec.registered();
                assert.equal(registered.size, rec.seen.length, "two registrations share a URN");
                const componentUrn = `urn:pulumi:${STACK}::${PROJECT}::${COMPONENT_TYPE}::${mode.name}`;
                assert.equal(await value(d.deployment.urn), componentUrn);
                for (const urn of registered.keys()) {
                    if (urn === componentUrn) continue;
                    assert.ok(urn.startsWith(`urn:pulumi:${STACK}::${PROJECT}::${COMPONENT_TYPE}$`), `${urn} is not a child of the component`);
                    assert.ok(/\$[^$:]+:[^$]+::[^:]+$/.test(urn) && !urn.slice(urn.indexOf("$") + 1).includes("$"),
                        `${urn} must be a direct child (one level below the component)`);
                }
            });

            it("gives every dynamic resource its own type token and a serialized provider in __provider", () => {
                const custom = rec.seen.filter((r) => r.custom);
                assert.ok(custom.length >= 2);
                for (const r of custom) {
                    assert.match(r.type, /^pulumi-nodejs:dynamic\/redis-deployment:(DeploymentPassword|CredentialsSync|LocalProcess|ReplicationBootstrap|SentinelBootstrap|ClusterBootstrap)$/);
                    assert.equal(typeof r.inputs.__provider, "string", `${r.name}: __provider is the serialized provider`);
                    assert.ok(r.inputs.__provider.length > 100, `${r.name}: __provider must hold the provider's code`);
                    assert.ok(r.inputs.__provider.includes("exports.handler"), `${r.name}: __provider is a serialized closure module`);
                }
            });

            it("runs every member on its own 127.99.x.y address, under local.dataDir, with the right program", () => {
                const all = processes(rec);
                const endpoints = all.map((p) => `${p.inputs.address}:${p.inputs.port}`);
                assert.equal(new Set(endpoints).size, endpoints.length, `address:port reused: ${endpoints.join(", ")}`);
                const members = processes(rec, "redis");
                const addresses = members.map((p) => p.inputs.address as string);
                assert.equal(new Set(addresses).size, memberCount, "every member has its own address");
                for (const p of all) {
                    assert.match(p.inputs.address, /^127\.99\.\d{1,3}\.\d{1,3}$/, `${p.name}: address in the 127.99 block`);
                    assert.ok(!/\.(0|1|255)$/.test(p.inputs.address), `${p.name}: ${p.inputs.address} is not a usable host address`);
                    assert.equal(p.inputs.dataDir, path.join(dataDir, p.name), `${p.name}: data dir`);
                    assert.equal(p.inputs.name, p.name);
                    const program = path.basename(p.inputs.command[0]);
                    assert.equal(program, p.inputs.kind === "haproxy" ? "haproxy" : "redis-server", `${p.name}: program`);
                    assert.ok(p.inputs.command.includes("{config}"), `${p.name}: command takes the config file`);
                    assert.equal(p.inputs.command.includes("--sentinel"), p.inputs.kind === "sentinel", `${p.name}: --sentinel only for sentinels`);
                    assert.equal(p.inputs.port, p.inputs.kind === "sentinel" ? 26379 : 6379, `${p.name}: port`);
                }
            });

            it("reports the members (name, shard, role, zone) at the addresses their processes run on", () => {
                const reported = d.outputs.members;
                assert.deepEqual(reported.map(({ name, shard, role, zone }) => ({ name, shard, role, zone })), expectedMembers);
                for (const m of reported) {
                    const p = processes(rec, "redis").find((x) => x.name === m.name);
                    assert.ok(p, `no process for member ${m.name}`);
                    assert.equal(m.address, p.inputs.address, `${m.name}: reported address`);
                    assert.equal(m.port, p.inputs.port, `${m.name}: reported port`);
                }
                assert.equal(new Set(reported.map((m) => m.address)).size, memberCount);
            });

            it("keeps rendered configs, readiness logins and admin passwords in secret inputs", () => {
                for (const p of processes(rec)) {
                    assert.ok(isWrappedSecret(p.inputs.config), `${p.name}: config must be a secret input`);
                    assert.ok(isWrappedSecret(p.inputs.readiness), `${p.name}: readiness (a login) must be a secret input`);
                    if (p.inputs.kind === "redis") assert.ok(isWrappedSecret(p.inputs.adminPassword), `${p.name}: adminPassword must be a secret input`);
                    const config = unwrap(p.inputs.config) as string;
                    assert.equal(typeof config, "string");
                    assert.ok(config.includes(`bind ${p.inputs.address}`), `${p.name}: the config binds the process's own address`);
                }
                const secretInputs: Record<string, string[]> = {
                    DeploymentPassword: ["given", "password", "adminPassword", "monitorPassword"],
                    ReplicationBootstrap: ["adminPassword"],
                    SentinelBootstrap: ["adminPassword"],
                    ClusterBootstrap: ["adminPassword"],
                };
                for (const r of rec.seen.filter((x) => x.custom && !x.type.endsWith(":LocalProcess"))) {
                    for (const key of secretInputs[r.type.split(":").pop()!] ?? []) {
                        assert.ok(key in r.inputs, `${r.name}: input ${key} present`);
                        assert.ok(isWrappedSecret(r.inputs[key]), `${r.name}: input ${key} must be secret`);
                    }
                }
            });

            it("never sends a password in plain text: every input that holds one is secret", () => {
                const plain = JSON.stringify(rec.seen.map((r) => redactSecrets(r.inputs)));
                const all = JSON.stringify(rec.seen.map((r) => unwrap(r.inputs)));
                // Positive control: the passwords do travel (inside secrets), so the check below can fail.
                assert.ok(all.includes(GIVEN_PASSWORD), "the given password reaches the password resource");
                assert.ok(all.includes(MOCK_GENERATED.adminPassword), "the admin password reaches the processes / bootstrap");
                for (const secret of [GIVEN_PASSWORD, MOCK_GENERATED.adminPassword, MOCK_GENERATED.monitorPassword]) {
                    assert.ok(!plain.includes(secret), `a password appears in a non-secret input: ${secret}`);
                }
                // ... nor in a non-secret output of the component.
                for (const key of OUTPUT_NAMES) {
                    if (d.secret[key]) continue;
                    const text = JSON.stringify(d.outputs[key]) ?? "";
                    for (const secret of [GIVEN_PASSWORD, MOCK_GENERATED.adminPassword, MOCK_GENERATED.monitorPassword]) {
                        assert.ok(!text.includes(secret), `non-secret output ${key} contains a password`);
                    }
                }
            });

            it("makes password and connectionUrl secret; connectionUrl is redis://default:<password>@<endpoint>", async () => {
                assert.equal(d.secret.password, true, "password must be secret");
                assert.equal(d.secret.connectionUrl, true, "connectionUrl must be secret");
                assert.equal(d.outputs.password, GIVEN_PASSWORD);
                assert.equal(d.outputs.connectionUrl, `redis://default:${GIVEN_PASSWORD}@${d.outputs.endpoint}`);
                assert.match(d.outputs.connectionUrl, /^redis:\/\/default:[^@\s]+@127\.99\.\d+\.\d+:\d+$/);
                // The outputs registered with the engine (stack state) keep them secret too.
                const componentUrn = await value(d.deployment.urn);
                const stored = rec.registered().get(componentUrn)!.state;
                const state = typeof stored?.toJavaScript === "function" ? stored.toJavaScript() : stored;
                assert.ok(isWrappedSecret(state.password), "registered output password must be secret");
                assert.ok(isWrappedSecret(state.connectionUrl), "registered output connectionUrl must be secret");
                assert.ok(!JSON.stringify(redactSecrets(state)).includes(GIVEN_PASSWORD), "registered outputs leak the password");
            });

            it("points endpoint, readEndpoint, sentinelAddresses and clusterNodes at the right nodes", () => {
                const o = d.outputs;
                const memberEndpoints = o.members.map((m) => `${m.address}:${m.port}`);
                const proxies = processes(rec, "haproxy").sort((a, b) => a.name.localeCompare(b.name));
                assert.deepEqual(o.proxyAddresses, proxies.map((p) => `${p.inputs.address}:${p.inputs.port}`));
                if (mode.proxies > 0) {
                    assert.equal(o.endpoint, `${proxies[0].inputs.address}:${proxies[0].inputs.port}`, "endpoint is the first proxy");
                    assert.equal(o.readEndpoint, `${proxies[0].inputs.address}:${proxies[0].inputs.port + 1}`, "readEndpoint is the first proxy's read port");
                } else {
                    const firstMaster = o.members.find((m) => m.role === "master")!;
                    assert.equal(o.endpoint, `${firstMaster.address}:${firstMaster.port}`, "endpoint is the (first) master");
                    assert.ok(memberEndpoints.includes(o.endpoint));
                    assert.equal(o.readEndpoint, undefined);
                }
                const sentinels = processes(rec, "sentinel");
                assert.equal(o.sentinelAddresses.length, mode.sentinels);
                assert.deepEqual([...o.sentinelAddresses].sort(), sentinels.map((s) => `${s.inputs.address}:${s.inputs.port}`).sort());
                assert.equal(o.masterName, mode.sentinels > 0 ? mode.name : undefined);
                assert.deepEqual(o.clusterNodes, mode.args.mode === "cluster" ? memberEndpoints : []);
                assert.equal(typeof o.diagram, "string");
                assert.ok(o.diagram.length > 0);
            });

            if (mode.bootstrap) {
                it(`hands ${mode.bootstrap} the members, secrets and topology it needs`, () => {
                    const b = rec.one(`:${mode.bootstrap}`);
                    const members = b.inputs.members as { name: string; shard: number; index: number; role: string; address: string; port: number }[];
                    assert.deepEqual(members.map((m) => ({ name: m.name, shard: m.shard, role: m.role })),
                        expectedMembers.map(({ name, shard, role }) => ({ name, shard, role })));
                    for (const m of members) {
                        assert.equal(m.address, processes(rec, "redis").find((p) => p.name === m.name)!.inputs.address, `${m.name}: bootstrap address`);
                    }
                    assert.deepEqual(b.inputs.access, { kind: "direct" });
                    assert.equal(unwrap(b.inputs.adminPassword), MOCK_GENERATED.adminPassword);
                    assert.ok(b.inputs.timeoutMs > 0);
                    // generation is built from the processes' pids, so a restarted member re-runs the bootstrap.
                    const pids = (n: number) => Array(n).fill(MOCK_PID).join(",");
                    assert.equal(b.inputs.generation, mode.sentinels > 0 ? `${pids(memberCount)};${pids(mode.sentinels)}` : pids(memberCount));
                    if (mode.bootstrap === "SentinelBootstrap") {
                        assert.equal(b.inputs.masterName, mode.name);
                        assert.equal(b.inputs.quorum, 2);
                        assert.deepEqual([...b.inputs.sentinels].map((s: { address: string; port: number }) => `${s.address}:${s.port}`).sort(),
                            [...d.outputs.sentinelAddresses].sort());
                        assert.ok(!("sentinelPassword" in b.inputs), "the bootstrap logs in to sentinels as rd-admin, not with the application password");
                    }
                    if (mode.bootstrap === "ClusterBootstrap") assertSlotCoverage(b.inputs.shards, mode.shards);
                });

                it("registers the bootstrap after every node process, and the proxies after the bootstrap (dependsOn)", () => {
                    const at = (name: string) => rec.seen.findIndex((r) => r.name === name);
                    const bootstrap = at(rec.one(`:${mode.bootstrap}`).name);
                    for (const p of [...processes(rec, "redis"), ...processes(rec, "sentinel")]) {
                        assert.ok(at(p.name) < bootstrap, `${p.name} must be registered before the bootstrap`);
                    }
                    for (const p of processes(rec, "haproxy")) assert.ok(at(p.name) > bootstrap, `${p.name} must wait for the bootstrap`);
                });
            }
        });
    }

    /** A mock recorder installed fresh for every test of the enclosing describe, with the unhandled-error trap on. */
    function freshRecorderPerTest(): MockRecorder {
        const rec = new MockRecorder();
        beforeEach(async () => {
            await rec.install(PROJECT, STACK);
            rec.seen.length = 0;
            trap.start();
        });
        afterEach(() => trap.stop());
        return rec;
    }

    describe("auth variants", () => {
        const rec = freshRecorderPerTest();

        it("generates the password when none is given, and keeps it secret", async () => {
            const d = await collect(new RedisDeployment("gen", localArgs({ mode: "standalone" })), trap);
            assert.equal(rec.one(":DeploymentPassword").inputs.given, undefined, "no given password is sent when none was given");
            assert.equal(d.outputs.password, MOCK_GENERATED.password);
            assert.equal(d.secret.password, true);
            assert.equal(d.secret.connectionUrl, true);
            assert.equal(d.outputs.connectionUrl, `redis://default:${MOCK_GENERATED.password}@${d.outputs.endpoint}`);
            assert.ok(!JSON.stringify(rec.seen.map((r) => redactSecrets(r.inputs))).includes(MOCK_GENERATED.password));
        });

        it("accepts the password as a secret Output", async () => {
            const d = await collect(new RedisDeployment("sec", localArgs({ mode: "standalone", auth: { password: pulumi.secret(GIVEN_PASSWORD) } })), trap);
            assert.ok(isWrappedSecret(rec.one(":DeploymentPassword").inputs.given));
            assert.equal(d.outputs.password, GIVEN_PASSWORD);
            assert.equal(d.secret.connectionUrl, true);
            assert.equal(d.outputs.connectionUrl, `redis://default:${GIVEN_PASSWORD}@${d.outputs.endpoint}`);
        });

        it("with auth.enabled false: empty (still secret) password and a URL without credentials", async () => {
            const d = await collect(new RedisDeployment("open", localArgs({ mode: "standalone", auth: { enabled: false } })), trap);
            assert.equal(d.outputs.password, "");
            assert.equal(d.secret.password, true);
            assert.equal(d.outputs.connectionUrl, `redis://${d.outputs.endpoint}`);
        });
    });

    describe("validation", () => {
        const rec = new MockRecorder();
        beforeEach(async () => {
            await rec.install(PROJECT, STACK);
            rec.seen.length = 0;
        });

        const bad: { title: string; args: RedisDeploymentArgs; mentions: string[] }[] = [
            { title: "cluster with 2 shards", args: { mode: "cluster", shards: 2 }, mentions: ["shards", "at least 3"] },
            { title: "an even number of sentinels", args: { mode: "sentinel", sentinels: 4 }, mentions: ["sentinels", "odd"] },
            { title: "a load balancer on the local provider", args: { loadBalancer: true }, mentions: ["loadBalancer"] },
            { title: "a short password", args: { auth: { password: "short" } }, mentions: ["auth.password"] },
            { title: "a misspelt field", args: { mode: "cluster", shard: 3 } as RedisDeploymentArgs, mentions: ["shard", "did you mean \"shards\""] },
            { title: "a bad address prefix", args: { local: { addressPrefix: "10.1" } }, mentions: ["local.addressPrefix"] },
        ];

        for (const c of bad) {
            it(`rejects ${c.title} before registering any resource`, async () => {
                let error: unknown;
                try {
                    new RedisDeployment("bad", { ...localArgs(c.args), local: { dataDir, ...c.args.local } });
                } catch (err) {
                    error = err;
                }
                assert.ok(error instanceof Error, "the constructor must throw");
                assert.ok(pulumi.RunError.isInstance(error), `a RunError (message without a stack trace), got ${(error as Error).constructor.name}`);
                for (const m of c.mentions) assert.ok(error.message.includes(m), `message should mention ${m}: ${error.message}`);
                assert.ok(error.message.includes("bad"), `message should name the deployment: ${error.message}`);
                await settle();
                const others = rec.seen.filter((r) => r.type !== COMPONENT_TYPE);
                assert.deepEqual(others.map((r) => `${r.type}::${r.name}`), [], "no resource other than the component may be registered");
            });
        }

        it("rejects replicas in standalone mode before registering any resource", async () => {
            assert.throws(() => new RedisDeployment("bad", localArgs({ mode: "standalone", replicasPerShard: 1 })),
                (err: Error) => pulumi.RunError.isInstance(err) && err.message.includes("replicasPerShard"));
            await settle();
            assert.deepEqual(rec.seen.filter((r) => r.type !== COMPONENT_TYPE).map((r) => r.name), []);
        });

        it("offers every provider kind", () => {
            assert.deepEqual([...AVAILABLE_PROVIDERS].sort(), [...PROVIDER_KINDS].sort());
        });
    });

    describe("two deployments in one stack", () => {
        const rec = freshRecorderPerTest();

        /** 127.N of a process address. */
        const prefixOf = (address: string) => address.split(".").slice(0, 2).join(".");

        async function deployPair(a: string, b: string) {
            const first = new RedisDeployment(a, localArgs({ mode: "replication" }, null));
            const second = new RedisDeployment(b, localArgs({ mode: "replication" }, null));
            const da = await collect(first, trap);
            const db = await collect(second, trap);
            return { da, db };
        }

        it("get different default address prefixes and no name, URN, address or directory collisions", async () => {
            const { da, db } = await deployPair("cache", "sessions");
            const byDeployment = (name: string) => processes(rec).filter((p) => p.name.startsWith(`${name}-`));
            const prefixes = (name: string) => new Set(byDeployment(name).map((p) => prefixOf(p.inputs.address)));
            assert.deepEqual([...prefixes("cache")], [defaultAddressPrefix(PROJECT, STACK, "cache")]);
            assert.deepEqual([...prefixes("sessions")], [defaultAddressPrefix(PROJECT, STACK, "sessions")]);
            assert.notEqual(defaultAddressPrefix(PROJECT, STACK, "cache"), defaultAddressPrefix(PROJECT, STACK, "sessions"));
            assert.equal(byDeployment("cache").length + byDeployment("sessions").length, processes(rec).length);

            const keys = rec.seen.map((r) => `${r.type}::${r.name}`);
            assert.equal(new Set(keys).size, keys.length, `duplicate resource names: ${keys.join(", ")}`);
            assert.equal(rec.registered().size, rec.seen.length, "two registrations share a URN");
            const endpoints = processes(rec).map((p) => `${p.inputs.address}:${p.inputs.port}`);
            assert.equal(new Set(endpoints).size, endpoints.length, "two processes share address:port");
            const dirs = processes(rec).map((p) => p.inputs.dataDir);
            assert.equal(new Set(dirs).size, dirs.length, "two processes share a data directory");
            assert.notEqual(da.outputs.endpoint, db.outputs.endpoint);
        });

        // Default blocks can collide; the second deployment then fails with an error naming local.addressPrefix.
        it("two deployments whose names hash to the same default block still get distinct addresses", async () => {
            const target = defaultAddressPrefix(PROJECT, STACK, "cache");
            let other = "";
            for (let i = 0; i < 100000 && !other; i++) if (defaultAddressPrefix(PROJECT, STACK, `cache-${i}`) === target) other = `cache-${i}`;
            assert.ok(other, "found a colliding name");
            let threw: unknown;
            try {
                await deployPair("cache", other);
            } catch (err) {
                threw = err; // a clear error naming the collision is an acceptable outcome too
            }
            if (threw) {
                assert.match(String(threw), /addressPrefix/);
                return;
            }
            const endpoints = processes(rec).map((p) => `${p.inputs.address}:${p.inputs.port}`);
            assert.equal(new Set(endpoints).size, endpoints.length, `address:port collisions between "cache" and "${other}"`);
        });
    });
});

// Pulumi mocks for the VM clouds' component-graph tests (AWS, GCP, Azure): a cloud-specific part
// answers what the cloud decides (ids, computed outputs, lookups); this part records every
// resource with its inputs and computed state, every lookup, and the resource options the
// engine receives (parent, dependencies, deleteBeforeReplace, ignoreChanges), which mocks do
// not pass to newResource.
import { strict as assert } from "node:assert";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { RedisDeployment } from "../../components/redisDeployment";
import { addressAt, parseCidr } from "../../providers/vm/ipv4";
import { MOCK_GENERATED, mockTlsState, RejectionTrap, programResult, redactSecrets, settle, unwrap as unwrapSecrets, value } from "./mocks";

export const PROJECT = "proj";
export const STACK = "dev";
export const COMPONENT_TYPE = "redis-deployment:index:RedisDeployment";

export interface Seen {
    type: string;
    name: string;
    custom: boolean;
    inputs: Record<string, any>;
    /** What the cloud "returned" (inputs + computed outputs). */
    state: Record<string, any>;
}

export interface Registration {
    type: string;
    name: string;
    parent: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    replaceOnChanges: string[];
    retainOnDelete: boolean;
}

/** What a cloud decides: a resource's id and computed outputs, a lookup's answer. */
export interface CloudBehaviour {
    /** The id the cloud gives a resource (some clouds' ids contain inputs, e.g. the zone). */
    id(type: string, name: string, inputs: Record<string, any>): string;
    computed(type: string, name: string, inputs: Record<string, any>): Record<string, unknown>;
    call(args: pulumi.runtime.MockCallArgs): Record<string, any>;
    /** Forgets what an earlier install assigned. */
    reset(): void;
}

export const hex = (text: string, n: number) => crypto.createHash("sha256").update(text).digest("hex").slice(0, n);
export const urnOf = (type: string, name: string) => `urn:pulumi:${STACK}::${PROJECT}::${COMPONENT_TYPE}$${type}::${name}`;
export const componentUrn = (name: string) => `urn:pulumi:${STACK}::${PROJECT}::${COMPONENT_TYPE}::${name}`;

/**
 * Free addresses of subnets as a cloud hands them out: anywhere in the subnet but its first
 * `reservedFirst` and last `reservedLast` addresses, deterministic per seed (like a refresh would
 * read them), never one twice.
 */
export class FreeAddresses {
    private readonly used = new Map<string, Set<number>>();

    constructor(private readonly reservedFirst: number, private readonly reservedLast: number) {}

    clear(): void {
        this.used.clear();
    }

    pick(subnetCidr: string, seed: string): string {
        const cidr = parseCidr(subnetCidr)!;
        const used = this.used.get(cidr.text) ?? new Set<number>();
        this.used.set(cidr.text, used);
        const first = this.reservedFirst;
        const span = cidr.size - first - this.reservedLast;
        let n = first + (parseInt(hex(seed, 8), 16) % span);
        while (used.has(n)) n = first + ((n - first + 1) % span);
        used.add(n);
        return addressAt(cidr, n);
    }
}

export class CloudMocks {
    readonly seen: Seen[] = [];
    readonly calls: pulumi.runtime.MockCallArgs[] = [];
    readonly registrations: Registration[] = [];

    /**
     * `answersPassword`: answer the component's DeploymentPassword with fixed outputs
     * (MOCK_GENERATED), so tests can name the generated passwords; false for a generic mock,
     * which returns the inputs alone (the component needs no more).
     */
    /** More outputs of the DeploymentPassword (with answersPassword), e.g. a retiring password during a rotation. */
    passwordState: Record<string, string> = {};

    constructor(private readonly cloud: CloudBehaviour, private readonly answersPassword = true) {}

    async install(): Promise<void> {
        this.seen.length = 0;
        this.calls.length = 0;
        this.registrations.length = 0;
        this.cloud.reset();
        await pulumi.runtime.setMocks({
            newResource: (args) => {
                const computed = args.type.endsWith(":DeploymentPassword") && this.answersPassword
                    ? { ...MOCK_GENERATED, ...(args.inputs.given !== undefined ? { password: args.inputs.given } : {}), ...this.passwordState }
                    : args.type.endsWith(":TlsCertificates") ? mockTlsState(args.inputs)
                        : this.cloud.computed(args.type, args.name, args.inputs);
                const state = { ...args.inputs, ...computed };
                this.seen.push({ type: args.type, name: args.name, custom: args.custom ?? false, inputs: args.inputs, state });
                return { id: this.cloud.id(args.type, args.name, args.inputs), state };
            },
            call: (args) => {
                this.calls.push(args);
                return this.cloud.call(args);
            },
        }, PROJECT, STACK, false);
        const monitor = pulumi.runtime.getMonitor() as any;
        const original = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, callback: any) => {
            const propertyDependencies: Record<string, string[]> = {};
            req.getPropertydependenciesMap().forEach((v: any, k: string) => { propertyDependencies[k] = v.getUrnsList(); });
            this.registrations.push({
                type: req.getType(), name: req.getName(), parent: req.getParent(),
                dependencies: req.getDependenciesList(), propertyDependencies,
                deleteBeforeReplace: req.getDeletebeforereplace(), ignoreChanges: req.getIgnorechangesList(), replaceOnChanges: req.getReplaceonchangesList(),
                retainOnDelete: Boolean(req.getRetainondelete?.()),
            });
            return original(req, callback);
        };
    }

    ofType(type: string): Seen[] {
        return this.seen.filter((r) => r.type === type);
    }

    byName(type: string, name: string): Seen {
        const r = this.seen.find((x) => x.type === type && x.name === name);
        if (!r) throw new Error(`no ${type} named ${name}; have ${this.ofType(type).map((x) => x.name).join(", ")}`);
        return r;
    }

    registration(type: string, name: string): Registration {
        const r = this.registrations.find((x) => x.type === type && x.name === name);
        if (!r) throw new Error(`no registration of ${type} ${name}`);
        return r;
    }

    /** Every URN a registration depends on (resource dependencies and property dependencies). */
    dependencies(type: string, name: string): string[] {
        const r = this.registration(type, name);
        return [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()])];
    }

    /** The credentials the deployment's password resource was given (the program generates the internal ones). */
    credentials(): { password: string; adminPassword: string; monitorPassword: string } {
        const r = this.seen.find((x) => x.type.endsWith(":DeploymentPassword"));
        if (!r) throw new Error("no DeploymentPassword registered");
        return unwrapSecrets(r.inputs) as { password: string; adminPassword: string; monitorPassword: string };
    }

    /** Fails when one of `passwords` stands in a resource input that is not a secret. */
    assertNoPasswordInPlainInputs(passwords: string[]): void {
        const plain = JSON.stringify(this.seen.map((r) => redactSecrets(r.inputs)));
        for (const s of passwords) assert.ok(!plain.includes(s), `a password appears in a non-secret input: ${s}`);
    }

    /** Each resource of the cloud's package (type prefix) -> its inputs as JSON, secrets unwrapped by `unwrap`. */
    snapshot(prefix: string, unwrap: (v: unknown) => unknown): Record<string, string> {
        return Object.fromEntries(this.seen.filter((r) => r.type.startsWith(prefix)).map((r) => [`${r.type}::${r.name}`, JSON.stringify(unwrap(r.inputs))]));
    }
}

/** Every password a deployment given `given` holds under the mocks: the given one and the generated ones. */
export function passwordsWith(given: string): string[] {
    return [given, MOCK_GENERATED.password, MOCK_GENERATED.adminPassword, MOCK_GENERATED.monitorPassword];
}

export interface Deployed {
    deployment: RedisDeployment;
    members: { name: string; shard: number; role: string; zone: string; address: string; port: number }[];
    endpoint: string;
    proxyAddresses: string[];
    sentinelAddresses: string[];
    clusterNodes: string[];
    password: string;
    secret: { password: boolean; connectionUrl: boolean };
}

const trap = new RejectionTrap();

/** Builds the component and awaits its outputs; fails on any unhandled rejection meanwhile. */
export async function deploy(name: string, args: RedisDeploymentArgs): Promise<Deployed> {
    trap.start();
    try {
        const deployment = new RedisDeployment(name, args);
        const d: Deployed = {
            deployment,
            members: await value(deployment.members),
            endpoint: await value(deployment.endpoint),
            proxyAddresses: await value(deployment.proxyAddresses),
            sentinelAddresses: await value(deployment.sentinelAddresses),
            clusterNodes: await value(deployment.clusterNodes),
            password: await value(deployment.password),
            secret: { password: await pulumi.isSecret(deployment.password), connectionUrl: await pulumi.isSecret(deployment.connectionUrl) },
        };
        await settle();
        assert.deepEqual(trap.errors.map(String), [], "no unhandled rejections while the component was built");
        return d;
    } finally {
        trap.stop();
    }
}

/**
 * For a describe block: installs the mocks and builds the deployment in its `before` hook. The
 * object returned is filled in then (read it in the tests, not while the block is declared).
 */
export function deployBefore(rec: CloudMocks, name: string, args: RedisDeploymentArgs): Deployed {
    const d = {} as Deployed;
    before(async () => {
        await rec.install();
        Object.assign(d, await deploy(name, args));
    });
    return d;
}

/**
 * Constructs a deployment expected to be refused: the constructor must throw a RunError naming
 * every string in `mentions`, with no resource registered and no lookup made.
 */
export async function expectRefused(rec: CloudMocks, args: RedisDeploymentArgs, mentions: string[]): Promise<void> {
    await rec.install();
    let error: unknown;
    try {
        new RedisDeployment("bad", args);
    } catch (err) {
        error = err;
    }
    assert.ok(error instanceof Error, "the constructor must throw");
    assert.ok(pulumi.RunError.isInstance(error), `a RunError, got ${(error as Error).constructor.name}: ${(error as Error).message}`);
    for (const m of mentions) assert.ok(error.message.includes(m), `message should mention ${JSON.stringify(m)}: ${error.message}`);
    assert.ok(error.message.includes('RedisDeployment "bad"'), error.message);
    await settle();
    assert.deepEqual(rec.seen.filter((r) => r.type !== COMPONENT_TYPE).map((r) => `${r.type}::${r.name}`), []);
    assert.deepEqual(rec.calls, [], "no lookups either");
}

/**
 * Builds a cluster deployment in a process of its own, with `mocks` (JavaScript source of a
 * setMocks argument), and returns the message its `members` output fails with. A failed lookup
 * leaves the resources that wait on it pending (a real program exits with the error), so each
 * case needs its own process.
 */
export function membersFailure(mocks: string, args: RedisDeploymentArgs): string {
    const program = `
        const pulumi = require("@pulumi/pulumi");
        pulumi.runtime.setMocks(${mocks}, "p", "s", false).then(() => {
            const { RedisDeployment } = require("./components/redisDeployment");
            const d = new RedisDeployment("look", ${JSON.stringify(args)});
            d.members.promise().then(() => console.log("RESULT {}"), (e) => { console.log("RESULT " + JSON.stringify({ message: e.message })); process.exit(0); });
        });`;
    const result = programResult(program) as { message?: string };
    assert.ok(result.message !== undefined, "the members output must fail");
    return result.message;
}

/**
 * TLS on a VM cloud under mocks: every node's private key is in a secret-store resource (a
 * secret input, base64), no boot script holds a key, and each boot script fetches its nodes'
 * keys by reference and renders TLS-only configs.
 */
export function assertTlsKeysOnlyInSecretStore(rec: CloudMocks, opts: {
    nodes: string[];
    /** The secret-store resources holding values, and the input that holds the value. */
    stored: Seen[];
    valueOf: (r: Seen) => unknown;
    /** Every VM's boot script. */
    scripts: string[];
}): void {
    const { MOCK_TLS: tls } = require("./mocks") as typeof import("./mocks");
    for (const node of opts.nodes) {
        const key = `${tls.key} ${node}`;
        const holding = opts.stored.filter((r) => {
            // The value, or an object holding it (Key Vault's properties) as a whole secret.
            const raw = unwrapSecrets(opts.valueOf(r));
            const v = raw && typeof raw === "object" ? raw.value : raw;
            return typeof v === "string" && Buffer.from(v, "base64").toString() === key;
        });
        assert.equal(holding.length, 1, `${node}: its key is in exactly one secret-store entry`);
        const { isWrappedSecret } = require("./mocks") as typeof import("./mocks");
        assert.ok(isWrappedSecret(opts.valueOf(holding[0])), `${node}: the stored key is a secret input`);
    }
    const all = opts.scripts.join("\n");
    assert.ok(!all.includes(tls.key), "no private key in any boot script");
    assert.ok(!all.includes(Buffer.from(`${tls.key} ${opts.nodes[0]}`).toString("base64")), "no encoded key in any boot script");
    for (const node of opts.nodes) assert.match(all, new RegExp(`^    rd_tls_files ${node} (redis|haproxy):(redis|haproxy) \\S+ `, "m"), `${node}: its boot script writes its TLS files`);
    assert.match(all, /^port 0\ntls-port 6379$/m, "members listen with TLS only");
    rec.assertNoPasswordInPlainInputs([`${tls.key} ${opts.nodes[0]}`]);
}

// Pulumi mocks for component-graph tests: records every resource registration the component
// makes (inputs as the engine would see them, secrets still wrapped) and answers like an
// engine that ran create. Dynamic providers' create is never called under mocks.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** The DeploymentPassword outputs the mock "generates" (stand-ins for crypto.randomBytes). */
export const MOCK_GENERATED = {
    password: "mockgeneratedapppassword0123456789",
    adminPassword: "mockgeneratedadminpassword0123456789",
    monitorPassword: "mockgeneratedmonitorpassword0123456789",
} as const;

export const MOCK_PID = 1234;

export interface SeenResource {
    type: string;
    name: string;
    custom: boolean;
    /** Deserialized inputs; secret values stay wrapped (see isRpcSecret / unwrap). */
    inputs: Record<string, any>;
}

/** A secret as the monitor receives it: `{ <sig>: <secret sig>, value }`. */
export function isWrappedSecret(v: unknown): boolean {
    return pulumi.runtime.isRpcSecret(v);
}

/** The value with every secret wrapper removed (plaintext view). */
export function unwrap(v: any): any {
    if (isWrappedSecret(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

/** The value with every secret replaced by "[secret]": what would be readable without decryption. */
export function redactSecrets(v: any): any {
    if (isWrappedSecret(v)) return "[secret]";
    if (Array.isArray(v)) return v.map(redactSecrets);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactSecrets(x)]));
    return v;
}

/** Stand-ins for the PEM texts a TlsCertificates resource returns under mocks. */
export const MOCK_TLS = { ca: "MOCK-CA-CERTIFICATE", caKey: "MOCK-CA-PRIVATE-KEY", certificate: "MOCK-CERTIFICATE", key: "MOCK-PRIVATE-KEY" };

/** What a TlsCertificates resource's create returns under mocks: stand-ins for the PEM texts (issuing real keys is slow). */
export function mockTlsState(inputs: Record<string, any>): Record<string, unknown> {
    const nodes = (inputs.nodes ?? []) as { name: string }[];
    return {
        caCertificate: MOCK_TLS.ca, caPrivateKey: MOCK_TLS.caKey,
        issued: Object.fromEntries(nodes.map((n) => [n.name, { certificate: `${MOCK_TLS.certificate} ${n.name}`, key: `${MOCK_TLS.key} ${n.name}` }])),
        client: { certificate: `${MOCK_TLS.certificate} client`, key: `${MOCK_TLS.key} client` },
    };
}

export class MockRecorder {
    readonly seen: SeenResource[] = [];
    readonly calls: pulumi.runtime.MockCallArgs[] = [];

    /** Installs fresh mocks (a fresh monitor: URNs from earlier tests are forgotten). */
    async install(project = "proj", stack = "stack"): Promise<void> {
        await pulumi.runtime.setMocks({
            newResource: (args) => {
                this.seen.push({ type: args.type, name: args.name, custom: args.custom ?? false, inputs: args.inputs });
                let extra: Record<string, unknown> = {};
                if (args.type.endsWith(":DeploymentPassword")) {
                    // What create returns: the given password (still secret-wrapped) or a generated one.
                    // No secret wrapping here: additionalSecretOutputs is applied by the engine, not by
                    // mocks, so secrecy seen by the tests comes from the component itself.
                    extra = { ...MOCK_GENERATED, ...(args.inputs.given !== undefined ? { password: args.inputs.given } : {}) };
                } else if (args.type.endsWith(":TlsCertificates")) {
                    extra = mockTlsState(args.inputs);
                } else if (args.type.endsWith(":LocalProcess")) {
                    extra = { pid: MOCK_PID };
                }
                return { id: `${args.name}_id`, state: { ...args.inputs, ...extra } };
            },
            call: (args) => {
                this.calls.push(args);
                return {};
            },
        }, project, stack, false);
    }

    ofType(suffix: string): SeenResource[] {
        return this.seen.filter((r) => r.type.endsWith(suffix));
    }

    one(suffix: string): SeenResource {
        const found = this.ofType(suffix);
        if (found.length !== 1) throw new Error(`expected exactly one ${suffix}, saw ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        return found[0];
    }

    /** URN -> registered state, as the mock monitor keeps them. */
    registered(): Map<string, { urn: string; id: string | null; state: any }> {
        const monitor = pulumi.runtime.getMonitor() as unknown as { getRegisteredResources?: () => Map<string, { urn: string; id: string | null; state: any }> };
        if (!monitor?.getRegisteredResources) throw new Error("the Pulumi mock monitor is not installed");
        return monitor.getRegisteredResources();
    }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what} (an apply probably threw; see the logged errors)`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The value of an output (mocks run with preview=false, so every value is known). */
export function value<T>(o: pulumi.Output<T>, ms = 15000): Promise<T> {
    return withTimeout(new Promise<T>((resolve) => o.apply((v) => { resolve(v); return v; })), ms, "an output");
}

/** Waits until every pending resource registration (and the component's outputs) has reached the monitor. */
export async function settle(ms = 30000): Promise<void> {
    const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    if (wait) await withTimeout(wait(), ms, "pending resource registrations");
    else await new Promise((resolve) => setTimeout(resolve, 500));
}

/** Collects unhandled promise rejections (a throwing apply surfaces as one, not as a failed test). */
export class RejectionTrap {
    readonly errors: unknown[] = [];
    private readonly listener = (reason: unknown) => { this.errors.push(reason); };
    start(): void {
        this.errors.length = 0;
        process.on("unhandledRejection", this.listener);
    }
    stop(): void {
        process.off("unhandledRejection", this.listener);
    }
}

/**
 * Runs `program` (JavaScript; it may require the repository's TypeScript) in a Node process of its
 * own at the repository root and returns the JSON it printed after "RESULT ". A program that exits
 * while mock registrations are pending makes Pulumi complain: only the printed result counts.
 */
export function programResult(program: string, timeoutMs = 60000): any {
    const out = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", program], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", timeout: timeoutMs });
    const line = out.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    assert.ok(line, `no result printed: ${out.stdout}\n${out.stderr}`);
    return JSON.parse(line.slice("RESULT ".length));
}

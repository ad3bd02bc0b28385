// Checks shared by the VM clouds' argument validation (`aws.*`, `azure.*`): each collects
// problems naming their field under the provider's section, so one error lists them all.
import * as pulumi from "@pulumi/pulumi";
import type { TopologyPlan } from "../../components/types";
import { RedisDeploymentArgumentError, type ArgumentProblem } from "../../components/validate";
import { parseCidr } from "./ipv4";
import { pickMachine, type MachineType } from "./sizing";

const GIB = 1024 ** 3;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value) && !pulumi.Output.isInstance(value);
}

export function formatGiB(bytes: number): string {
    return `${Math.round((bytes / GIB) * 100) / 100} GiB`;
}

/** Problems of one provider section (`aws`, `azure`), each field named `<section>.<field>`. */
export class SectionChecks {
    readonly problems: ArgumentProblem[] = [];

    constructor(readonly section: string, private readonly known: readonly string[]) {}

    problem(field: string, message: string): void {
        this.problems.push({ field: `${this.section}.${field}`, message });
    }

    /** Reports every key that is not a known field, with the closest known one. */
    unknownFields(raw: Record<string, unknown>): void {
        for (const key of Object.keys(raw)) {
            if (raw[key] !== undefined && !this.known.includes(key)) this.problem(key, `unknown field${this.suggestion(key)}`);
        }
    }

    private suggestion(key: string): string {
        const lower = key.toLowerCase();
        const guess = this.known.find((k) => k.toLowerCase() === lower)
            ?? this.known.find((k) => lower.length >= 4 && k.toLowerCase().startsWith(lower.slice(0, 4)));
        return guess ? `; did you mean "${guess}"?` : `; known fields: ${this.known.join(", ")}`;
    }

    text(field: string, value: unknown, pattern?: RegExp, hint = ""): string | undefined {
        if (value === undefined) return undefined;
        if (typeof value !== "string" || value === "") {
            this.problem(field, `must be a non-empty string, got ${JSON.stringify(value)}`);
            return undefined;
        }
        if (pattern && !pattern.test(value)) {
            this.problem(field, `${JSON.stringify(value)} is not valid${hint}`);
            return undefined;
        }
        return value;
    }

    integer(field: string, value: unknown, min: number, max: number, hint = ""): number | undefined {
        if (value === undefined) return undefined;
        if (typeof value !== "number" || !Number.isInteger(value)) {
            this.problem(field, `must be a whole number, got ${JSON.stringify(value)}`);
            return undefined;
        }
        if (value < min || value > max) {
            this.problem(field, `must be between ${min} and ${max}, got ${value}${hint}`);
            return undefined;
        }
        return value;
    }

    oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
        if (value === undefined) return fallback;
        if ((allowed as readonly unknown[]).includes(value)) return value as T;
        this.problem(field, `${JSON.stringify(value)} is not one of: ${allowed.join(", ")}`);
        return fallback;
    }

    /** IPv4 CIDR blocks, normalised; never the whole address space. */
    cidrs(field: string, value: unknown): string[] {
        const cidrs: string[] = [];
        if (value === undefined) return cidrs;
        if (!Array.isArray(value)) {
            this.problem(field, 'must be a list of IPv4 CIDR blocks like "10.0.0.0/16"');
            return cidrs;
        }
        value.forEach((c, i) => {
            const cidr = typeof c === "string" ? parseCidr(c) : undefined;
            if (typeof c !== "string" || !/^[\d.]+\/\d{1,2}$/.test(c)) {
                this.problem(`${field}[${i}]`, `${JSON.stringify(c)} is not an IPv4 CIDR block like "10.0.0.0/16"`);
            } else if (!cidr) {
                this.problem(`${field}[${i}]`, `"${c}" is not a network address with its prefix (host bits set, or an invalid address)`);
            } else if (cidr.prefixLength === 0) {
                this.problem(`${field}[${i}]`, `"${c}" would open Redis to every address; name the networks of your applications and of the machine running pulumi`);
            } else if (cidrs.includes(cidr.text)) {
                this.problem(field, `"${c}" is listed twice`);
            } else {
                cidrs.push(cidr.text);
            }
        });
        return cidrs;
    }

    /** String-valued tags; `reserved(key)` names why a key is refused, if it is. */
    tags(field: string, value: unknown, reserved: (key: string) => string | undefined): Record<string, string> {
        const tags: Record<string, string> = {};
        if (value === undefined) return tags;
        if (!isPlainObject(value)) {
            this.problem(field, "must be an object of string values");
            return tags;
        }
        for (const [k, v] of Object.entries(value)) {
            const why = reserved(k);
            if (typeof v !== "string") this.problem(`${field}.${k}`, `must be a string, got ${JSON.stringify(v)}`);
            else if (why) this.problem(`${field}.${k}`, why);
            else tags[k] = v;
        }
        return tags;
    }

    /**
     * The machine type of member hosts: the one given (refused when the catalog knows it is too
     * small), else the smallest in the catalog with `needed` bytes; `fallback` when none fits
     * (the problem is reported).
     */
    memberMachine(field: string, given: unknown, o: { catalog: readonly MachineType[]; needed: number; perHost: number; hostWord: string; pattern: RegExp; hint: string; fallback: string }): { machine: string; given: boolean } {
        const givenType = this.text(field, given, o.pattern, o.hint);
        const picked = pickMachine(o.catalog, o.needed)?.name;
        const rule = `2.5 x maxmemory x ${o.perHost}`;
        if (givenType) {
            const known = o.catalog.find((t) => t.name === givenType);
            if (known && known.memoryGiB * GIB < o.needed) {
                this.problem(field, `${givenType} has ${known.memoryGiB} GiB; members need ${formatGiB(o.needed)} (${rule} member${o.perHost > 1 ? "s" : ""} per ${o.hostWord}); use ${picked ?? "a larger type"} or lower maxmemory`);
            }
            return { machine: givenType, given: true };
        }
        if (given === undefined && !picked) {
            this.problem(field, `no ${o.hostWord} type in the built-in list has ${formatGiB(o.needed)} (${rule}); name one or lower maxmemory / members per ${o.hostWord}`);
        }
        return { machine: picked ?? o.fallback, given: false };
    }

    /** The data disk size: given (at least the sizing rule's) or the sizing rule's. */
    diskSize(field: string, given: unknown, plan: TopologyPlan, minimum: number): number {
        const { args } = plan;
        return this.integer(field, given, minimum, 65536,
            ` (members need ${args.persistence.aof ? "6" : "2"} x maxmemory for ${args.persistence.aof ? "AOF rewrites" : "RDB snapshots"}, at least 10 GiB)`) ?? minimum;
    }
}

/** Arguments of the deployment a VM cloud's load balancer can not honour. */
export function loadBalancerProblems(plan: TopologyPlan, balancer: string): ArgumentProblem[] {
    const { args } = plan;
    if (args.loadBalancer && (args.mode === "replication" || args.mode === "sentinel") && plan.proxies.length === 0) {
        return [{ field: "loadBalancer", message: `an ${balancer} in front of ${args.mode} members without HAProxy would send writes to replicas; keep proxy.haproxy on (the ${balancer} then balances over the proxies) or remove loadBalancer` }];
    }
    return [];
}

/** Runs a provider's validation; its argument error becomes a RunError (the engine prints the message alone). */
export function validatedOrRunError<T>(validate: () => T): T {
    try {
        return validate();
    } catch (err) {
        if (err instanceof RedisDeploymentArgumentError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

// Checks shared by the VM clouds' argument validation (`aws.*`, `gcp.*`, `azure.*`): every problem
// is collected with its field under the cloud's section, so one error can list them all.
import * as pulumi from "@pulumi/pulumi";
import { FieldChecks, RedisDeploymentArgumentError, isPlainObject } from "../../components/fieldChecks";
import type { TopologyPlan } from "../../components/types";
import { parseCidr } from "./ipv4";
import { MEMORY_FACTOR, dataDiskGiB, pickMachine, type MachineType } from "./sizing";

const GIB = 1024 ** 3;


export function formatGiB(bytes: number): string {
    return `${Math.round((bytes / GIB) * 100) / 100} GiB`;
}

/**
 * The cloud's section of the arguments as an object, or one error: absent (with `requiredHint`
 * saying what it needs) or not an object.
 */
export function requireSection(name: string, section: string, raw: unknown, requiredHint: string): Record<string, unknown> {
    if (raw === undefined) throw new RedisDeploymentArgumentError(name, [{ field: section, message: `is required with provider "${section}": ${requiredHint}` }]);
    if (!isPlainObject(raw)) throw new RedisDeploymentArgumentError(name, [{ field: section, message: "must be an object" }]);
    return raw;
}

/** The VM clouds' checks on top of the shared ones: ids, CIDR blocks, machine types, disk sizes. */
export class SectionChecks extends FieldChecks {
    /** A list whose plain-string entries must match `pattern`; Outputs are checked by the cloud later. */
    idList(field: string, value: unknown, pattern: RegExp, example: string): pulumi.Input<string>[] {
        if (value === undefined) return [];
        if (!Array.isArray(value)) {
            this.problem(field, `must be a list of ids like "${example}"`);
            return [];
        }
        value.forEach((v, i) => {
            if (typeof v === "string") {
                if (!pattern.test(v)) this.problem(`${field}[${i}]`, `${JSON.stringify(v)} is not an id like "${example}"`);
            } else if (!pulumi.Output.isInstance(v) && !(v instanceof Promise)) {
                this.problem(`${field}[${i}]`, `must be a string or an Output, got ${JSON.stringify(v)}`);
            }
        });
        const plain = value.filter((v): v is string => typeof v === "string");
        const duplicate = plain.find((v, i) => plain.indexOf(v) !== i);
        if (duplicate) this.problem(field, `"${duplicate}" is listed twice`);
        return value as pulumi.Input<string>[];
    }

    /** IPv4 CIDR blocks, normalised; never the whole internet (Redis must not be open to it). */
    cidrs(field: string, value: unknown): string[] {
        const result: string[] = [];
        if (value === undefined) return result;
        if (!Array.isArray(value)) {
            this.problem(field, 'must be a list of IPv4 CIDR blocks like "10.0.0.0/16"');
            return result;
        }
        value.forEach((c, i) => {
            const cidr = typeof c === "string" ? parseCidr(c) : undefined;
            if (typeof c !== "string" || !/^[\d.]+\/\d{1,2}$/.test(c)) {
                this.problem(`${field}[${i}]`, `${JSON.stringify(c)} is not an IPv4 CIDR block like "10.0.0.0/16"`);
            } else if (!cidr) {
                this.problem(`${field}[${i}]`, `"${c}" is not a network address with its prefix (host bits set, or an invalid address)`);
            } else if (cidr.prefixLength === 0) {
                this.problem(`${field}[${i}]`, `"${c}" would open Redis to every address; name the networks of your applications and of the machine running pulumi`);
            } else if (result.includes(cidr.text)) {
                this.problem(field, `"${c}" is listed twice`);
            } else {
                result.push(cidr.text);
            }
        });
        return result;
    }

    /**
     * The member machine type: the given one (checked against the catalog when listed) or the
     * smallest in the catalog with `needed` bytes. `kind` names it ("instance type", "machine type",
     * "VM type"), `host` one machine ("instance", "VM"), `perHostField` the argument that packs
     * members (default "membersPerInstance").
     */
    machineType(field: string, value: unknown, options: { catalog: readonly MachineType[]; needed: number; membersPerHost: number; pattern: RegExp; hint: string; kind: string; host?: string; perHostField?: string; fallback: string }): { name: string; given: boolean } {
        const { catalog, needed, membersPerHost: n } = options;
        const host = options.host ?? "instance";
        const given = this.text(field, value, options.pattern, `is not valid${options.hint}`);
        const picked = pickMachine(catalog, needed)?.name;
        if (given) {
            const known = catalog.find((t) => t.name === given);
            if (known && known.memoryGiB * GIB < needed) {
                this.problem(field, `${given} has ${known.memoryGiB} GiB; members need ${formatGiB(needed)} (${MEMORY_FACTOR} x maxmemory x ${n} member${n > 1 ? "s" : ""} per ${host}); use ${picked ?? `a larger ${options.kind}`} or lower maxmemory`);
            }
            return { name: given, given: true };
        }
        if (value === undefined && !picked) {
            this.problem(field, `no ${options.kind} in the built-in list has ${formatGiB(needed)} (${MEMORY_FACTOR} x maxmemory x ${n}); name one or lower maxmemory / ${options.perHostField ?? "membersPerInstance"}`);
        }
        return { name: picked ?? options.fallback, given: false };
    }

    /** The members' data disk size: the given one (at least the sizing rule's) or the sizing rule's; `unit` as the cloud bills it. */
    diskSize(field: string, value: unknown, plan: TopologyPlan, unit: "GiB" | "GB" = "GiB"): number {
        const { args } = plan;
        const minimum = dataDiskGiB(args);
        return this.integer(field, value, minimum, 65536,
            ` (members need ${args.persistence.aof ? "6" : "2"} x maxmemory for ${args.persistence.aof ? "AOF rewrites" : "RDB snapshots"}, at least 10 ${unit})`) ?? minimum;
    }

    /** A load balancer before replication members without HAProxy would send writes to replicas. */
    loadBalancerNeedsProxies(plan: TopologyPlan, balancer: string): void {
        const { args } = plan;
        if (args.loadBalancer && (args.mode === "replication" || args.mode === "sentinel") && plan.proxies.length === 0) {
            this.deploymentProblem("loadBalancer", `${balancer} in front of ${args.mode} members without HAProxy would send writes to replicas; keep proxy.haproxy on (the ${balancer.replace(/^an? /, "")} then balances over the proxies) or remove loadBalancer`);
        }
    }
}

// The field checks every part of the arguments shares (the component's own, each cloud's
// section, the Kubernetes section): one way to tell an object from anything else, and one way
// to report an unknown field with a likely fix. Pure: no Pulumi here.

/** One problem with the arguments: the field (a dotted path) and what to do about it. */
/** A Kubernetes object name, RFC 1123 subdomain (storage classes, issuers, a cluster domain). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface ArgumentProblem {
    field: string;
    message: string;
}

/** A plain object: not null, not an array, not a Pulumi Output (sections must be known at preview). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value)
        && (value as { __pulumiOutput?: unknown }).__pulumiOutput !== true;
}

/** The known field `word` most likely meant: same letters in another case, else the same first 4 letters. */
export function closestField(word: string, known: readonly string[]): string | undefined {
    const lower = word.toLowerCase();
    return known.find((k) => k.toLowerCase() === lower)
        ?? known.find((k) => lower.length >= 4 && k.toLowerCase().startsWith(lower.slice(0, 4)));
}

/**
 * A problem for every field of `value` that is set and not in `known`, each with a likely fix.
 * `prefix` is the section's dotted path ("" for the top level).
 */
export function unknownFieldProblems(value: Record<string, unknown>, known: readonly string[], prefix: string): ArgumentProblem[] {
    return Object.keys(value).filter((key) => value[key] !== undefined && !known.includes(key)).map((key) => {
        const guess = closestField(key, known);
        return {
            field: prefix ? `${prefix}.${key}` : key,
            message: `unknown field${guess ? `; did you mean "${guess}"?` : `; known fields: ${known.join(", ")}`}`,
        };
    });
}

/** Invalid arguments: every problem found, one line each, so one run shows them all. */
export class RedisDeploymentArgumentError extends Error {
    readonly problems: ArgumentProblem[];
    constructor(name: string, problems: ArgumentProblem[]) {
        const lines = problems.map((p) => `  - ${p.field}: ${p.message}`).join("\n");
        super(`RedisDeployment "${name}" has invalid arguments:\n${lines}`);
        this.name = "RedisDeploymentArgumentError";
        this.problems = problems;
    }
}

/**
 * Collects the problems of one part of the arguments (the top level, `aws`, `kubernetes`, ...)
 * with their fields under that part's dotted path. Each check returns the value when it is
 * usable and undefined (or the given fallback) when it is absent or wrong, so validation goes on
 * and one error lists every problem.
 */
export class FieldChecks {
    readonly problems: ArgumentProblem[] = [];

    /** `section` is the dotted path of the part ("" for the top level). */
    constructor(readonly section: string) {}

    private path(field: string): string {
        return this.section ? `${this.section}.${field}` : field;
    }

    problem(field: string, message: string): void {
        this.problems.push({ field: this.path(field), message });
    }

    /** A problem of the deployment's own arguments (outside the section). */
    deploymentProblem(field: string, message: string): void {
        this.problems.push({ field, message });
    }

    /** Whether a problem was found at `field` or below it. */
    has(fieldPrefix: string): boolean {
        return this.problems.some((p) => p.field.startsWith(this.path(fieldPrefix)));
    }

    /** Throws every problem found, if any. */
    throwIfAny(name: string): void {
        if (this.problems.length > 0) throw new RedisDeploymentArgumentError(name, this.problems);
    }

    /** Every set field of `value` (at `field`, "" for the section itself) not in `known`. */
    unknownFields(value: Record<string, unknown>, known: readonly string[], field = ""): void {
        this.problems.push(...unknownFieldProblems(value, known, field ? this.path(field) : this.section));
    }

    /** A plain object (or undefined); anything else is a problem. */
    object(field: string, value: unknown, expected = "must be an object"): Record<string, unknown> | undefined {
        if (value === undefined) return undefined;
        if (isPlainObject(value)) return value;
        this.problem(field, expected);
        return undefined;
    }

    /** A non-empty string; with `pattern`, one matching it, else `invalid` is said of the value. */
    text(field: string, value: unknown, pattern?: RegExp, invalid = "is not valid"): string | undefined {
        if (value === undefined) return undefined;
        if (typeof value !== "string" || value === "") {
            this.problem(field, `must be a non-empty string, got ${JSON.stringify(value)}`);
            return undefined;
        }
        if (pattern && !pattern.test(value)) {
            this.problem(field, `${JSON.stringify(value)} ${invalid}`);
            return undefined;
        }
        return value;
    }

    /** A whole number in [min, max]; `hint` follows the range in the message. */
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

    flag(field: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) return fallback;
        if (typeof value === "boolean") return value;
        this.problem(field, `must be true or false, got ${JSON.stringify(value)}`);
        return fallback;
    }

    oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
        if (value === undefined) return fallback;
        if ((allowed as readonly unknown[]).includes(value)) return value as T;
        this.problem(field, `${JSON.stringify(value)} is not one of: ${allowed.join(", ")}`);
        return fallback;
    }

    /** A map of string values (tags, labels); `checkEntry` returns a problem with an entry, if any. */
    stringMap(field: string, value: unknown, checkEntry: (key: string, value: string) => string | undefined = () => undefined): Record<string, string> {
        const result: Record<string, string> = {};
        if (value === undefined) return result;
        if (!isPlainObject(value)) {
            this.problem(field, "must be an object of string values");
            return result;
        }
        for (const [k, v] of Object.entries(value)) {
            const trouble = typeof v !== "string" ? `must be a string, got ${JSON.stringify(v)}` : checkEntry(k, v);
            if (trouble) this.problem(`${field}.${k}`, trouble);
            else result[k] = v as string;
        }
        return result;
    }
}

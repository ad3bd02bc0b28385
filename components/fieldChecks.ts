// The field checks every part of the arguments shares (the component's own, each cloud's
// section, the Kubernetes section): one way to tell an object from anything else, and one way
// to report an unknown field with a likely fix. Pure: no Pulumi here.

/** One problem with the arguments: the field (a dotted path) and what to do about it. */
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

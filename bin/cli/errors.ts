// Errors of the CLI: the user's mistakes (printed alone) and the short form of a failed engine run.

/** A mistake of the user's (bad flag, bad argument, missing stack): printed alone, exit code 1. */
export class CliError extends Error {
    constructor(message: string, readonly exitCode = 1) {
        super(message);
        this.name = "CliError";
    }
}

/** The short reason of a failed engine run: its `error:` lines, without the Automation API's dump of stdout/stderr. */
export function engineFailure(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    const errorLines = text.split("\n").map((l) => l.trim()).filter((l) => /^error:/.test(l));
    const unique = [...new Set(errorLines)];
    if (unique.length > 0) return unique.join("\n");
    return text.split("\n").slice(0, 20).join("\n");
}

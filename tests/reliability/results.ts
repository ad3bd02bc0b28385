// Collects each scenario's numbers, prints them as they come, and at the end of the run prints
// one summary and writes it to bench/reliability-results.{json,md} (next to the bench's results).
import * as fs from "fs";
import * as path from "path";

export interface ScenarioResult {
    scenario: number;
    title: string;
    /** The bound the scenario passes or fails on, in words. */
    bound: string;
    pass: boolean;
    /** Headline numbers. */
    numbers: Record<string, string | number | boolean>;
    /** Per-round numbers, if the scenario has rounds. */
    rounds?: Record<string, string | number>[];
}

const results: ScenarioResult[] = [];

/** Scenarios of a full run; a run of fewer (one file, --grep) prints its numbers but keeps the files. */
const ALL_SCENARIOS = [1, 2, 3, 4, 5];

function table(rows: Record<string, string | number>[]): string {
    if (rows.length === 0) return "";
    const cols = Object.keys(rows[0]);
    const cell = (v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(1) : String(v));
    return [
        `| ${cols.join(" | ")} |`,
        `|${cols.map(() => "---").join("|")}|`,
        ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(" | ")} |`),
    ].join("\n");
}

function markdown(r: ScenarioResult): string {
    const lines = [
        `### ${r.scenario}. ${r.title}: ${r.pass ? "PASS" : "FAIL"}`,
        "",
        `Bound: ${r.bound}`,
        "",
        ...Object.entries(r.numbers).map(([k, v]) => `- ${k}: ${v}`),
    ];
    if (r.rounds && r.rounds.length > 0) lines.push("", table(r.rounds));
    return lines.join("\n");
}

/** Records a scenario's result and prints it at once (before the test asserts on it). */
export function report(r: ScenarioResult): void {
    results.push(r);
    process.stdout.write(`\n${markdown(r).split("\n").map((l) => `      ${l}`).join("\n")}\n\n`);
}

after(function () {
    if (results.length === 0) return;
    results.sort((a, b) => a.scenario - b.scenario);
    const summary = table(results.map((r) => ({ scenario: `${r.scenario}. ${r.title}`, result: r.pass ? "PASS" : "FAIL", numbers: Object.entries(r.numbers).slice(0, 4).map(([k, v]) => `${k} ${v}`).join("; ") })));
    if (!ALL_SCENARIOS.every((n) => results.some((r) => r.scenario === n))) {
        process.stdout.write(`\nReliability summary (a partial run: bench/reliability-results.* keep the last full run):\n${summary}\n`);
        return;
    }
    const dir = path.join(__dirname, "..", "..", "bench");
    fs.mkdirSync(dir, { recursive: true });
    const when = new Date().toISOString();
    fs.writeFileSync(path.join(dir, "reliability-results.json"), `${JSON.stringify({ when, results }, null, 2)}\n`);
    const md = [
        `# Reliability results (${when})`,
        "",
        "`npm run test:reliability` on this machine (2 shared cores); every number is from one run.",
        "",
        table(results.map((r) => ({ scenario: `${r.scenario}. ${r.title}`, result: r.pass ? "PASS" : "FAIL", bound: r.bound }))),
        "",
        ...results.map(markdown).flatMap((m) => [m, ""]),
    ].join("\n");
    fs.writeFileSync(path.join(dir, "reliability-results.md"), md);
    process.stdout.write(`\nReliability summary (also in bench/reliability-results.md):\n${summary}\n`);
});

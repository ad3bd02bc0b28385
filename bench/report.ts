// Turns the bench's measurements into a table (stdout + results.md), results.json and a chart
// (chart.svg, and chart.png when rsvg-convert is available).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface Row {
    /** What is measured. */
    name: string;
    unit: "ms" | "rps" | "MB" | "MB/s";
    /** Our value (median of rounds) and its label. */
    ours: number;
    oursLabel: string;
    /** What people use today, if there is a comparison. */
    baseline?: number;
    baselineLabel?: string;
    /** baseline / ours for times (how many times faster), ours / baseline for throughput. */
    ratio?: number;
    rounds: number;
    /** Every round's value, ours and baseline. */
    samples: { ours: number[]; baseline?: number[] };
    goal?: string;
    note?: string;
}

const fmt = (v: number | undefined, unit: string): string => {
    if (v === undefined || Number.isNaN(v)) return "-";
    if (unit === "ms") return v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
    if (unit === "rps") return `${Math.round(v).toLocaleString("en-US")} ops/s`;
    if (unit === "MB/s") return `${v.toFixed(1)} MB/s`;
    return `${Math.round(v)} ${unit}`;
};

export function table(rows: Row[]): string {
    const lines = [
        "| measurement | ours | baseline | ratio | goal | rounds |",
        "|---|---|---|---|---|---|",
        ...rows.map((r) => `| ${r.name} | ${fmt(r.ours, r.unit)} (${r.oursLabel}) | ${r.baseline === undefined ? "-" : `${fmt(r.baseline, r.unit)} (${r.baselineLabel})`} | ${r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}x`} | ${r.goal ?? ""} | ${r.rounds} |`),
    ];
    return lines.join("\n");
}

function esc(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * One panel per row: two bars (ours, baseline) on the row's own scale, values printed. Rows
 * without a baseline (program cost) share one scale per unit, so their growth is visible.
 */
export function svg(rows: Row[], title: string): string {
    const width = 960;
    const panel = 74;
    const top = 56;
    const left = 300;
    const barMax = width - left - 360; // room for the longest value label
    const height = top + rows.length * panel + 30;
    const parts: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
        `<rect width="100%" height="100%" fill="#ffffff"/>`,
        `<text x="20" y="30" font-size="18" font-weight="bold" fill="#222">${esc(title)}</text>`,
        `<rect x="${width - 290}" y="16" width="12" height="12" fill="#2b7bb9"/><text x="${width - 272}" y="27" font-size="12" fill="#333">ours</text>`,
        `<rect x="${width - 220}" y="16" width="12" height="12" fill="#c0c0c0"/><text x="${width - 202}" y="27" font-size="12" fill="#333">baseline / what people use today</text>`,
    ];
    rows.forEach((r, i) => {
        const y = top + i * panel;
        const peers = r.baseline === undefined ? rows.filter((o) => o.baseline === undefined && o.unit === r.unit) : [r];
        const max = Math.max(...peers.map((o) => Math.max(o.ours, o.baseline ?? 0))) || 1;
        const w = (v: number) => Math.max(2, (v / max) * barMax);
        parts.push(`<line x1="20" y1="${y - 6}" x2="${width - 20}" y2="${y - 6}" stroke="#eee"/>`);
        const words = r.name.split(" ");
        let line = "";
        let ly = y + 12;
        for (const word of words) {
            if ((line + word).length > 40) {
                parts.push(`<text x="20" y="${ly}" font-size="12" fill="#222">${esc(line.trim())}</text>`);
                line = "";
                ly += 15;
            }
            line += `${word} `;
        }
        parts.push(`<text x="20" y="${ly}" font-size="12" fill="#222">${esc(line.trim())}</text>`);
        if (r.ratio !== undefined) parts.push(`<text x="20" y="${ly + 16}" font-size="11" fill="#2b7bb9">${esc(`${r.ratio.toFixed(2)}x`)}</text>`);
        parts.push(`<rect x="${left}" y="${y}" width="${w(r.ours).toFixed(1)}" height="22" fill="#2b7bb9"/>`);
        parts.push(`<text x="${left + w(r.ours) + 6}" y="${y + 16}" font-size="12" fill="#222">${esc(`${fmt(r.ours, r.unit)}  ${r.oursLabel}`)}</text>`);
        if (r.baseline !== undefined) {
            parts.push(`<rect x="${left}" y="${y + 28}" width="${w(r.baseline).toFixed(1)}" height="22" fill="#c0c0c0"/>`);
            parts.push(`<text x="${left + w(r.baseline) + 6}" y="${y + 44}" font-size="12" fill="#222">${esc(`${fmt(r.baseline, r.unit)}  ${r.baselineLabel}`)}</text>`);
        }
    });
    parts.push(`<text x="20" y="${height - 10}" font-size="11" fill="#777">medians of the rounds; each comparison has its own scale, rows without a baseline share one per unit; lower is better for ms and MB, higher for ops/s</text>`);
    parts.push("</svg>");
    return parts.join("\n");
}

/** Writes results.json, results.md, chart.svg and (if rsvg-convert exists) chart.png. Returns the PNG path or a reason. */
export function writeOutputs(dir: string, rows: Row[], meta: Record<string, unknown>): string {
    fs.writeFileSync(path.join(dir, "results.json"), `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
    const md = [
        `# Bench results (${String(meta.when)})`,
        "",
        "`npm run bench` on this machine; medians of the rounds; every row measured in the same run. Chart: `chart.png` (`chart.svg`).",
        "",
        table(rows),
        "",
        ...rows.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`),
        "",
        `Machine: ${String(meta.machine)}`,
        "",
    ].join("\n");
    fs.writeFileSync(path.join(dir, "results.md"), md);
    const svgFile = path.join(dir, "chart.svg");
    fs.writeFileSync(svgFile, svg(rows, "redis-deployment bench: ours vs what people use today"));
    try {
        execFileSync("rsvg-convert", ["-f", "png", "-o", path.join(dir, "chart.png"), svgFile], { stdio: "pipe" });
        return path.join(dir, "chart.png");
    } catch (err) {
        return `no PNG (rsvg-convert: ${(err as Error).message.split("\n")[0]}); chart.svg written`;
    }
}

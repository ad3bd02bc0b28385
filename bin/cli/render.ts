// What the commands print on stdout: a deployment's endpoint table or its outputs as JSON, the
// live status report, and the one-line summary of an engine run's resource changes.
import type { OutputMap } from "@pulumi/pulumi/automation";
import type { StatusReport } from "../../components/status";

/** A value as the commands print it with --json: indented, one trailing newline. */
export function jsonText(value: unknown): string {
    return JSON.stringify(value, null, 2) + "\n";
}

/** Output values, secrets only when asked for (left out otherwise, so no script mistakes a mask for a password). */
export function outputValues(outs: OutputMap, showSecrets: boolean): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [key, { value, secret }] of Object.entries(outs)) {
        if (secret && !showSecrets) continue;
        if (value === undefined || value === null) continue;
        values[key] = value;
    }
    return values;
}

interface MemberRow { name: string; shard: number; role: string; zone: string; address: string; port: number }

/** The endpoint table's line about a password rotation. */
function rotationText(phase: unknown): string | undefined {
    if (phase === "rotating") return "phase 1: the old and the new password are both valid; retire the old one with `up --rotation set`";
    if (phase === "idle") return "none in progress";
    return undefined;
}

export function endpointTable(stackName: string, outs: OutputMap, showSecrets: boolean, stateDir?: string): string {
    const v = (key: string) => outs[key]?.value;
    const rows: [string, unknown][] = [
        ["write endpoint", v("endpoint")],
        ["read endpoint", v("readEndpoint")],
        ["proxies", (v("proxyAddresses") as string[] | undefined)?.join(" ")],
        ["sentinels", (v("sentinelAddresses") as string[] | undefined)?.join(" ")],
        ["sentinel master name", v("masterName")],
        ["cluster nodes", (v("clusterNodes") as string[] | undefined)?.join(" ")],
        ["password rotation", rotationText(v("passwordRotation"))],
    ];
    if (showSecrets) {
        rows.push(["password", v("password")], ["connection URL", v("connectionUrl")]);
    }
    const lines = [`Redis deployment (stack ${stackName}):`];
    for (const [label, value] of rows) {
        if (value !== undefined && value !== null && value !== "") lines.push(`  ${label.padEnd(22)}${value}`);
    }
    const members = (v("members") as MemberRow[] | undefined) ?? [];
    if (members.length > 0) {
        lines.push("  members (initial roles; live roles: redis-deployment status):");
        for (const m of members) {
            lines.push(`    ${m.name.padEnd(18)}shard ${String(m.shard).padEnd(3)}${m.role.padEnd(9)}zone ${m.zone.padEnd(4)}${m.address}:${m.port}`);
        }
    }
    if (v("caCertificate")) {
        lines.push(`  TLS                   on: clients check the certificates against the caCertificate output (redis-deployment outputs --json)`);
    }
    if (!showSecrets && outs.connectionUrl) {
        lines.push(`  connection URL (holds the password): redis-deployment outputs --stack ${stackName}${stateDir ? ` --state-dir ${stateDir}` : ""} --show-secrets`);
    }
    return lines.join("\n") + "\n";
}

/** A deployment's outputs as `up` and `outputs` print them: JSON with --json, else the endpoint table. */
export function outputsText(stackName: string, outs: OutputMap, opts: { json?: boolean; showSecrets?: boolean; stateDir?: string }): string {
    const showSecrets = !!opts.showSecrets;
    return opts.json ? jsonText(outputValues(outs, showSecrets)) : endpointTable(stackName, outs, showSecrets, opts.stateDir);
}

/** "2 create, 1 update" (or "no resources") for an engine run's resource changes. */
export function changeSummary(changes: Record<string, number> | undefined): string {
    const entries = Object.entries(changes ?? {}).filter(([, n]) => n > 0);
    return entries.length === 0 ? "no resources" : entries.map(([op, n]) => `${n} ${op}`).join(", ");
}

/** Bytes as people read them: 1.2MB, 256.0MB. */
export function bytesText(n: number): string {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
    }
    return i === 0 ? `${n}B` : `${v.toFixed(1)}${units[i]}`;
}

/** "12s ago", "3m ago", "2h ago", from an ISO time relative to `now`. */
function agoText(iso: string | undefined, now: number): string {
    if (!iso) return "-";
    const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
    return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

/** The report `status` prints: members (live roles), sentinels, proxies, then the problems. */
export function statusText(stackName: string, report: StatusReport): string {
    const now = Date.parse(report.at);
    const lines = [`Redis deployment (stack ${stackName}, ${report.mode}) at ${report.at}: ${report.healthy ? "healthy" : `${report.problems.length} problem(s)`}`];
    const cluster = report.mode === "cluster";
    lines.push(`  ${"MEMBER".padEnd(18)}${"SHARD".padEnd(6)}${"ROLE".padEnd(9)}${"MASTER".padEnd(18)}${"LAG".padEnd(13)}${"MEMORY".padEnd(22)}${"CLIENTS".padEnd(8)}${"LAST SAVE".padEnd(14)}AOF${cluster ? "     CLUSTER" : ""}`);
    for (const m of report.members) {
        if (!m.up) {
            lines.push(`  ${m.name.padEnd(18)}${String(m.shard).padEnd(6)}${"DOWN".padEnd(9)}${m.address} ${m.error}`);
            continue;
        }
        const lag = m.role === "replica" ? `${m.lagBytes === undefined ? "?" : bytesText(m.lagBytes)}/${m.lagSeconds ?? "?"}s` : "-";
        const mem = m.memory ? `${bytesText(m.memory.usedBytes)}/${m.memory.maxBytes ? bytesText(m.memory.maxBytes) : "-"}${m.memory.usedRatio !== undefined ? ` ${Math.round(m.memory.usedRatio * 100)}%` : ""}` : "-";
        const p = m.persistence;
        const save = p ? `${agoText(p.lastSave, now)}${p.lastSaveStatus && p.lastSaveStatus !== "ok" ? ` ${p.lastSaveStatus}` : ""}` : "-";
        const aof = p?.aof ? (p.aofLastWriteStatus === "ok" && p.aofLastRewriteStatus !== "err" ? "on" : "ERR") : "off";
        const master = m.role === "replica" ? `${m.master}${m.linkStatus !== "up" ? ` (${m.linkStatus})` : ""}` : `${m.connectedReplicas} replica(s)`;
        const clusterCol = m.cluster ? `     ${m.cluster.state} ${m.cluster.slots.join(",") || "-"}` : "";
        lines.push(`  ${m.name.padEnd(18)}${String(m.shard).padEnd(6)}${(m.role ?? "?").padEnd(9)}${master.padEnd(18)}${lag.padEnd(13)}${mem.padEnd(22)}${String(m.clients ?? "-").padEnd(8)}${save.padEnd(14)}${aof}${clusterCol}`);
    }
    if (report.sentinels.length > 0) {
        lines.push("  sentinels:");
        for (const s of report.sentinels) {
            lines.push(s.up
                ? `    ${s.address.padEnd(22)}master ${s.master} (${s.masterFlags}), quorum ${s.quorum}, ${s.replicas} replica(s), ${s.otherSentinels} other sentinel(s), ${s.failovers} failover(s) seen`
                : `    ${s.address.padEnd(22)}DOWN ${s.error}`);
        }
    }
    if (report.proxies.length > 0) {
        lines.push("  proxies:");
        for (const p of report.proxies) {
            if (!p.up) {
                lines.push(`    ${p.name.padEnd(18)}${p.address.padEnd(22)}DOWN ${p.error}`);
                continue;
            }
            const view = p.writeServersUp ? `; UP for writes: ${p.writeServersUp.join(", ") || "none"}; for reads: ${p.readServersUp!.join(", ") || "none"}` : "";
            lines.push(`    ${p.name.padEnd(18)}${p.address.padEnd(22)}writes reach ${p.writesReach ?? "?"}${view}`);
        }
    }
    const last = report.lastBackup;
    if (last) {
        lines.push("error" in last
            ? `  last backup: the backup target could not be listed: ${last.error}`
            : `  last backup: ${last.time} ${bytesText(last.bytes)}, ${last.keys} keys${last.complete ? "" : " (incomplete)"} ${last.uri}`);
    }
    for (const problem of report.problems) lines.push(`PROBLEM ${problem}`);
    return lines.join("\n") + "\n";
}

// What the commands print on stdout: a deployment's endpoint table or its outputs as JSON, and
// the one-line summary of an engine run's resource changes.
import type { OutputMap } from "@pulumi/pulumi/automation";

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
        lines.push("  members (initial roles):");
        for (const m of members) {
            lines.push(`    ${m.name.padEnd(18)}shard ${String(m.shard).padEnd(3)}${m.role.padEnd(9)}zone ${m.zone.padEnd(4)}${m.address}:${m.port}`);
        }
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

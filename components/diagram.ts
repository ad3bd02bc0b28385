import type { AddressedMember, AddressedNode } from "./types";

export interface DiagramInput {
    name: string;
    members: AddressedMember[];
    sentinels: AddressedNode[];
    proxies: AddressedNode[];
    loadBalancer?: string;
}

const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_");

/** A Mermaid flowchart: load balancer -> proxies -> members grouped by zone, replication edges. */
export function renderDiagram(input: DiagramInput): string {
    const lines = ["flowchart TB", `    clients(["clients"])`];
    const zones = [...new Set([...input.members, ...input.sentinels, ...input.proxies].map((n) => n.zone))];
    if (input.loadBalancer) lines.push(`    lb{{"load balancer ${input.loadBalancer}"}}`, "    clients --> lb");
    for (const zone of zones) {
        lines.push(`    subgraph zone_${id(zone)}["zone ${zone}"]`);
        for (const p of input.proxies.filter((n) => n.zone === zone)) lines.push(`        ${id(p.name)}[["${p.name} HAProxy ${p.address}:${p.port}"]]`);
        for (const m of input.members.filter((n) => n.zone === zone)) lines.push(`        ${id(m.name)}[("${m.name} ${m.role} ${m.address}:${m.port}")]`);
        for (const s of input.sentinels.filter((n) => n.zone === zone)) lines.push(`        ${id(s.name)}{"${s.name} sentinel ${s.address}:${s.port}"}`);
        lines.push("    end");
    }
    const front = input.loadBalancer ? "lb" : "clients";
    const masters = input.members.filter((m) => m.role === "master");
    if (input.proxies.length > 0) {
        for (const p of input.proxies) lines.push(`    ${front} --> ${id(p.name)}`);
        for (const p of input.proxies) for (const m of masters) lines.push(`    ${id(p.name)} --> ${id(m.name)}`);
    } else {
        for (const m of masters) lines.push(`    ${front} --> ${id(m.name)}`);
    }
    for (const r of input.members.filter((m) => m.role === "replica")) {
        const master = masters.find((m) => m.shard === r.shard);
        if (master) lines.push(`    ${id(master.name)} -. replicates .-> ${id(r.name)}`);
    }
    for (const s of input.sentinels) for (const m of masters) lines.push(`    ${id(s.name)} -. monitors .-> ${id(m.name)}`);
    return lines.join("\n");
}

// renderDiagram(): the Mermaid flowchart of a deployment (load balancer -> proxies -> members by zone).
import { strict as assert } from "node:assert";
import type { RedisDeploymentArgs } from "../../components/args";
import { renderDiagram, type DiagramInput } from "../../components/diagram";
import { plan } from "../../components/plan";
import type { AddressedNode } from "../../components/types";
import { validateArgs } from "../../components/validate";

function diagramInput(args: RedisDeploymentArgs, loadBalancer?: string, name = "cache"): DiagramInput {
    const p = plan(validateArgs(name, args));
    return {
        name,
        members: p.members.map((m) => ({ ...m, address: `10.0.${m.shard}.${m.index + 10}` })),
        sentinels: p.sentinels.map((s) => ({ name: s.name, zone: s.zone, port: s.port, address: `10.1.0.${s.ordinal + 10}` })),
        proxies: p.proxies.map((x) => ({ name: x.name, zone: x.zone, port: x.port, address: `10.2.0.${x.ordinal + 10}` })),
        loadBalancer,
    };
}

interface Parsed {
    lines: string[];
    /** zone label -> node ids declared inside its subgraph */
    subgraphs: Map<string, string[]>;
    /** node id -> its label text */
    labels: Map<string, string>;
    /** [from, to, text] of every edge */
    edges: { from: string; to: string; text: string }[];
}

/** A small Mermaid flowchart reader: subgraphs, node declarations and edges. */
function parse(diagram: string): Parsed {
    const lines = diagram.split("\n");
    const subgraphs = new Map<string, string[]>();
    const labels = new Map<string, string>();
    const edges: Parsed["edges"] = [];
    let current: string[] | undefined;
    for (const raw of lines.slice(1)) {
        const line = raw.trim();
        if (line === "") continue;
        const sub = /^subgraph\s+(\S+?)(?:\[\s*"(.*)"\s*\])?$/.exec(line);
        if (sub) {
            assert.equal(current, undefined, "subgraphs are not nested");
            const label = sub[2] ?? sub[1];
            assert.ok(!subgraphs.has(label), `subgraph ${label} appears once`);
            current = [];
            subgraphs.set(label, current);
            continue;
        }
        if (line === "end") {
            assert.notEqual(current, undefined, "end closes a subgraph");
            current = undefined;
            continue;
        }
        const edge = /^([A-Za-z0-9_]+)\s+(-->|-\.\s*(.*?)\s*\.->|--\s*(.*?)\s*-->|==>|-\.->)\s+([A-Za-z0-9_]+)$/.exec(line);
        if (edge) {
            edges.push({ from: edge[1], to: edge[5], text: (edge[3] ?? edge[4] ?? "").trim() });
            continue;
        }
        const node = /^([A-Za-z0-9_]+)\s*[[({<>]+\s*"?(.*?)"?\s*[\])}>]+$/.exec(line);
        assert.ok(node, `unrecognised diagram line: ${JSON.stringify(raw)}`);
        assert.ok(!labels.has(node[1]), `node id ${node[1]} declared twice`);
        labels.set(node[1], node[2]);
        current?.push(node[1]);
    }
    assert.equal(current, undefined, "every subgraph is closed");
    return { lines, subgraphs, labels, edges };
}

/** The id of the node whose label starts with `name` followed by a space. */
function idOf(parsed: Parsed, name: string): string {
    const ids = [...parsed.labels].filter(([, label]) => label === name || label.startsWith(`${name} `)).map(([id]) => id);
    assert.equal(ids.length, 1, `exactly one node is labelled ${name}, got ${ids.join(", ")}`);
    return ids[0];
}

function zoneSubgraph(parsed: Parsed, zone: string): string[] {
    const matches = [...parsed.subgraphs].filter(([label]) => label === zone || label.split(/\s+/).includes(zone));
    assert.equal(matches.length, 1, `exactly one subgraph for zone ${zone}; subgraphs: ${[...parsed.subgraphs.keys()].join(", ")}`);
    return matches[0][1];
}

describe("renderDiagram", () => {
    const modes: [string, RedisDeploymentArgs][] = [
        ["standalone", { mode: "standalone" }],
        ["replication", { mode: "replication", replicasPerShard: 2 }],
        ["sentinel", { mode: "sentinel", sentinels: 5 }],
        ["cluster", { mode: "cluster", shards: 4, replicasPerShard: 2, zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }],
    ];

    for (const [mode, args] of modes) {
        describe(mode, () => {
            const input = diagramInput(args);
            let diagram = "";
            let parsed: Parsed;
            before(() => {
                diagram = renderDiagram(input);
                parsed = parse(diagram);
            });

            it("is a Mermaid flowchart", () => {
                assert.match(diagram, /^flowchart (TB|TD|BT|LR|RL)\n/);
            });

            it("has one subgraph per zone, holding that zone's nodes", () => {
                const nodes: AddressedNode[] = [...input.members, ...input.sentinels, ...input.proxies];
                const zones = [...new Set(nodes.map((n) => n.zone))];
                assert.equal(parsed.subgraphs.size, zones.length);
                for (const zone of zones) {
                    const inside = zoneSubgraph(parsed, zone);
                    const expected = nodes.filter((n) => n.zone === zone).map((n) => idOf(parsed, n.name));
                    assert.deepEqual([...inside].sort(), [...expected].sort(), `nodes of zone ${zone}`);
                }
            });

            it("names every member with its role and address", () => {
                for (const m of input.members) {
                    const label = parsed.labels.get(idOf(parsed, m.name))!;
                    assert.ok(label.includes(m.role), `${m.name}: ${label}`);
                    assert.ok(label.includes(`${m.address}:${m.port}`), `${m.name}: ${label}`);
                }
                for (const n of [...input.sentinels, ...input.proxies]) idOf(parsed, n.name);
            });

            it("draws a replicates edge from each replica's own shard master, and none other", () => {
                const replicates = parsed.edges.filter((e) => /replicat/.test(e.text));
                const replicas = input.members.filter((m) => m.role === "replica");
                assert.equal(replicates.length, replicas.length);
                for (const r of replicas) {
                    const master = input.members.find((m) => m.shard === r.shard && m.role === "master")!;
                    assert.ok(
                        replicates.some((e) => e.from === idOf(parsed, master.name) && e.to === idOf(parsed, r.name)),
                        `${master.name} -> ${r.name} missing in\n${diagram}`,
                    );
                }
            });

            it("routes clients to the masters (through the proxies when there are any)", () => {
                const masters = input.members.filter((m) => m.role === "master").map((m) => idOf(parsed, m.name));
                const proxies = input.proxies.map((p) => idOf(parsed, p.name));
                const plain = parsed.edges.filter((e) => e.text === "");
                const into = (id: string) => plain.filter((e) => e.to === id).map((e) => e.from);
                for (const master of masters) {
                    const sources = into(master);
                    if (proxies.length > 0) assert.deepEqual([...sources].sort(), [...proxies].sort(), `who reaches ${master}`);
                    else assert.equal(sources.length, 1, `${master} is reached from the clients`);
                }
                for (const proxy of proxies) assert.equal(into(proxy).length, 1, `${proxy} is reached from the clients`);
            });

            it(input.sentinels.length > 0 ? "draws every sentinel monitoring the master" : "draws no sentinels", () => {
                const master = idOf(parsed, input.members[0].name);
                const monitors = parsed.edges.filter((e) => /monitor/.test(e.text));
                assert.equal(monitors.length, input.sentinels.length);
                for (const s of input.sentinels) {
                    assert.ok(parsed.edges.some((e) => e.from === idOf(parsed, s.name) && e.to === master && /monitor/.test(e.text)), s.name);
                }
            });
        });
    }

    it("puts the load balancer in front of the proxies when there is one", () => {
        const input = diagramInput({ mode: "replication" }, "nlb-123.elb.amazonaws.com:6379");
        const diagram = renderDiagram(input);
        const parsed = parse(diagram);
        assert.ok(diagram.includes("nlb-123.elb.amazonaws.com:6379"));
        const lb = [...parsed.labels].find(([, label]) => label.includes("nlb-123.elb.amazonaws.com"))![0];
        for (const p of input.proxies) {
            assert.ok(parsed.edges.some((e) => e.from === lb && e.to === idOf(parsed, p.name)), `${lb} -> ${p.name}`);
        }
        const intoLb = parsed.edges.filter((e) => e.to === lb);
        assert.equal(intoLb.length, 1, "clients -> load balancer");
        // and the proxies are reached only through the load balancer
        for (const p of input.proxies) {
            assert.deepEqual(parsed.edges.filter((e) => e.to === idOf(parsed, p.name)).map((e) => e.from), [lb]);
        }
    });

    it("has no load balancer node without one", () => {
        const diagram = renderDiagram(diagramInput({ mode: "replication" }));
        assert.doesNotMatch(diagram, /load balancer/i);
    });

    it("keeps node ids unique and valid for deployment and zone names with dashes and dots", () => {
        const input = diagramInput({ mode: "cluster", shards: 3, zones: ["us-east-1a", "us.east.1b", "us-east-1c"] }, undefined, "my-app-cache");
        const parsed = parse(renderDiagram(input));
        assert.equal(parsed.subgraphs.size, 3);
        for (const m of input.members) idOf(parsed, m.name);
        for (const id of parsed.labels.keys()) assert.match(id, /^[A-Za-z_][A-Za-z0-9_]*$/);
    });
});

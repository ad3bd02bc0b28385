// The shared VM boot script as text: every mode and host kind renders a script that passes
// `bash -n` and shellcheck, tunes the kernel, adds the node addresses, mounts a disk per member,
// holds each node's config with placeholders instead of secrets, and starts a unit per node.
// tests/integration/bootScript.test.ts runs it for real.
import { strict as assert } from "node:assert";
import { issueAll } from "../../bootstrap/tlsCertificates";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RedisDeploymentArgs } from "../../components/args";
import { plan } from "../../components/plan";
import { STORED_SECRETS, type AddressedMember, type TopologyPlan } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { awsBootHooks } from "../../providers/aws/boot";
import { nodeTemplates, renderBootScript, shellQuote, type BootScriptInput, type CloudHooks } from "../../providers/vm/bootScript";
import { planHosts, type PlacedHost } from "../../providers/vm/layout";
import { PLACEHOLDERS, placeholderHashes, secretRefs } from "../../providers/vm/secrets";

const ZONES = ["z-a", "z-b", "z-c"];
const REFS = secretRefs(STORED_SECRETS, (name) => `/rd/t/${name}`);

/** Placed hosts with made-up addresses 10.9.<host>.<node>. */
function placeAll(p: TopologyPlan, perHost = 1): PlacedHost[] {
    return planHosts(p, perHost).map((host, h) => {
        const nodes = [...host.members, ...host.sentinels, ...host.proxies].map((n) => n.name);
        return {
            host,
            subnet: { id: "s", zone: host.zone, cidr: "10.9.0.0/16" },
            hostAddress: `10.9.${h}.250`,
            nodeAddresses: Object.fromEntries(nodes.map((n, i) => [n, `10.9.${h}.${10 + i}`])),
        };
    });
}

/** A boot script's TLS input: certificates issued for the nodes' addresses, keys referenced under the SSM prefix. */
function vmTlsInput(placed: PlacedHost[]): NonNullable<BootScriptInput["tls"]> {
    const nodes = placed.flatMap((ph) => Object.entries(ph.nodeAddresses));
    const issued = issueAll({ deployment: "boot", clientAuth: "none", validityDays: 30, renewBeforeDays: 7, nodes: nodes.map(([name, address]) => ({ name, names: [address] })) });
    return {
        ca: issued.caCertificate,
        certificates: Object.fromEntries(nodes.map(([name]) => [name, issued.issued[name].certificate])),
        keyRefs: Object.fromEntries(nodes.map(([name]) => [name, `${REFS.password.replace(/\/password$/, "")}/tls/${name}/node.key`])),
    };
}

function scriptsFor(args: RedisDeploymentArgs, options: { perHost?: number; hooks?: CloudHooks; name?: string } = {}): { plan: TopologyPlan; placed: PlacedHost[]; scripts: string[]; inputs: BootScriptInput[] } {
    const p = plan(validateArgs(options.name ?? "boot", { provider: "aws", zones: ZONES, maxmemory: "256mb", ...args }));
    const placed = placeAll(p, options.perHost);
    const allMembers: AddressedMember[] = p.members.map((m) => ({ ...m, address: placed.find((h) => h.nodeAddresses[m.name])!.nodeAddresses[m.name] }));
    const tls = p.args.tls.enabled ? vmTlsInput(placed) : undefined;
    const inputs = placed.map((ph) => ({
        plan: p,
        placed: ph,
        allMembers,
        disks: Object.fromEntries(ph.host.members.map((m, i) => [m.name, [`/dev/disk/by-id/test-${m.name}`, `/dev/xvd${"fgh"[i]}`]])),
        secretRefs: REFS,
        hooks: options.hooks ?? awsBootHooks("eu-west-1"),
        ...(tls ? { tls } : {}),
    }));
    return { plan: p, placed, inputs, scripts: inputs.map(renderBootScript) };
}

const CASES: { title: string; args: RedisDeploymentArgs; perHost?: number }[] = [
    { title: "standalone", args: { mode: "standalone" } },
    { title: "replication 1+2 with proxies", args: { mode: "replication", replicasPerShard: 2 } },
    { title: "sentinel 1+1, 3 sentinels", args: { mode: "sentinel" } },
    { title: "cluster 3x1", args: { mode: "cluster" } },
    { title: "sentinel 1+1, 3 sentinels, TLS", args: { mode: "sentinel", tls: { enabled: true } } },
    { title: "cluster 3x1, TLS", args: { mode: "cluster", tls: { enabled: true } } },
    { title: "cluster 3x2, 3 members per VM", args: { mode: "cluster", replicasPerShard: 2 }, perHost: 3 },
    { title: "replication, persistence off, auth off", args: { mode: "replication", persistence: { aof: false, rdb: false }, auth: { enabled: false } } },
];

function shellcheckAvailable(): boolean {
    return spawnSync("shellcheck", ["--version"]).status === 0;
}

describe("VM boot script (rendered text)", function () {
    this.timeout(60000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-vmboot-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    for (const c of CASES) {
        describe(c.title, () => {
            const { plan: p, placed, scripts } = scriptsFor(c.args, { perHost: c.perHost });

            it("passes bash -n and shellcheck (every host)", () => {
                assert.ok(shellcheckAvailable(), "shellcheck must be installed (apt-get install shellcheck)");
                scripts.forEach((script, i) => {
                    const file = path.join(tmp, `${placed[i].host.name}.sh`);
                    fs.writeFileSync(file, script);
                    const syntax = spawnSync("bash", ["-n", file], { encoding: "utf8" });
                    assert.equal(syntax.status, 0, `${placed[i].host.name}: bash -n: ${syntax.stderr}`);
                    const lint = spawnSync("shellcheck", ["-s", "bash", "-S", "style", file], { encoding: "utf8" });
                    assert.equal(lint.status, 0, `${placed[i].host.name}: shellcheck:\n${lint.stdout}${lint.stderr}`);
                });
            });

            it("sets somaxconn and tcp_max_syn_backlog >= 512 and overcommit 1, turns THP off, adds every node address", () => {
                for (const [i, script] of scripts.entries()) {
                    const somaxconn = Number(/^net\.core\.somaxconn = (\d+)$/m.exec(script)?.[1]);
                    const synBacklog = Number(/^net\.ipv4\.tcp_max_syn_backlog = (\d+)$/m.exec(script)?.[1]);
                    assert.ok(somaxconn >= 512 && synBacklog >= 512, `${somaxconn} / ${synBacklog}`);
                    assert.match(script, /^vm\.overcommit_memory = 1$/m);
                    assert.match(script, /transparent_hugepage\/\$f"\n.*echo never >"\$f"/);
                    const addresses = Object.values(placed[i].nodeAddresses);
                    assert.ok(script.includes(`\n    rd_addresses ${addresses.join(" ")}\n`), `${placed[i].host.name}: adds ${addresses.join(", ")}`);
                    assert.ok(!script.includes(placed[i].hostAddress!), "the VM's own address is the cloud's business");
                }
            });

            it("mounts one disk per member and starts one unit per node, with the right program", () => {
                for (const [i, script] of scripts.entries()) {
                    const host = placed[i].host;
                    const disks = [...script.matchAll(/\n {4}rd_disk (\S+) /g)].map((m) => m[1]);
                    assert.deepEqual(disks, host.members.map((m) => m.name));
                    const nodes = [...script.matchAll(/\n {4}rd_(redis|sentinel|haproxy) (\S+) /g)].map((m) => `${m[1]}:${m[2]}`);
                    assert.deepEqual(nodes, [
                        ...host.members.map((m) => `redis:${m.name}`), ...host.sentinels.map((s) => `sentinel:${s.name}`), ...host.proxies.map((x) => `haproxy:${x.name}`),
                    ]);
                    const packages = /\n {4}rd_packages ([^\n]+)\n/.exec(script)![1].split(" ");
                    assert.equal(packages.includes("redis-server"), host.members.length > 0);
                    assert.equal(packages.includes("redis-sentinel"), host.sentinels.length > 0);
                    assert.equal(packages.includes("haproxy"), host.proxies.length > 0);
                    assert.ok(packages.includes("awscli"), "the cloud's packages");
                }
            });

            it("carries each node's config, rendered by the shared renderers, with placeholders and no secret", () => {
                const hashes = placeholderHashes();
                for (const [i, script] of scripts.entries()) {
                    const templates = nodeTemplates({ plan: p, placed: placed[i], allMembers: [] as AddressedMember[] }).filter((t) => t.kind !== "haproxy");
                    for (const t of templates) assert.ok(script.includes(`${t.template.replace(/\n$/, "")}\nRD_TEMPLATE_END\n`), `${t.name}: its template verbatim`);
                    for (const m of placed[i].host.members) {
                        assert.ok(script.includes(`bind ${placed[i].nodeAddresses[m.name]}\n`));
                        assert.ok(script.includes(`dir @@RD_ROOT@@/var/lib/redis-deployment/${m.name}\n`));
                        if (p.args.authEnabled) assert.ok(script.includes(`user default on #${hashes.password}`), "ACL line with the placeholder's hash");
                    }
                    assert.ok(!/masterauth (?!@@RD_SECRET_adminPassword@@)/.test(script), "masterauth is a placeholder");
                }
            });
        });
    }

    it("replicas of replication and sentinel mode first follow the planned master; cluster members do not", () => {
        for (const mode of ["replication", "sentinel"] as const) {
            const { placed, scripts } = scriptsFor({ mode, replicasPerShard: 2 });
            const master = placed.find((h) => h.host.members[0]?.role === "master")!;
            const masterAddress = master.nodeAddresses[master.host.members[0].name];
            for (const [i, ph] of placed.entries()) {
                for (const m of ph.host.members) {
                    const expected = m.role === "replica" ? `'${masterAddress} 6379'` : "''";
                    assert.ok(scripts[i].includes(`\n    rd_redis ${m.name} ${expected} <<'RD_TEMPLATE_END'\n`), `${mode} ${m.name}`);
                }
            }
        }
        const { scripts } = scriptsFor({ mode: "cluster" });
        for (const s of scripts) assert.ok(!/rd_redis \S+ '\d/.test(s));
    });

    it("restarts members automatically only when they keep data; guards an empty master in replication mode", () => {
        const durable = scriptsFor({ mode: "replication" }).scripts[0];
        assert.match(durable, /^readonly RD_MEMBER_RESTART=always$/m);
        assert.match(durable, /^readonly RD_GUARD_EMPTY_MASTER=0$/m);
        const volatile = scriptsFor({ mode: "replication", persistence: { aof: false, rdb: false } }).scripts[0];
        assert.match(volatile, /^readonly RD_MEMBER_RESTART=no$/m);
        assert.match(volatile, /^readonly RD_GUARD_EMPTY_MASTER=1$/m);
        const sentinel = scriptsFor({ mode: "sentinel", persistence: { aof: false, rdb: false } }).scripts[0];
        assert.match(sentinel, /^readonly RD_GUARD_EMPTY_MASTER=0$/m, "sentinels fail over an empty master before it returns");
    });

    it("fetches only the secrets its configs use, through the cloud hook", () => {
        const { placed, scripts } = scriptsFor({ mode: "sentinel" });
        const secretsOf = (kind: string) => /\n {4}rd_secrets ([^\n]+)\n/.exec(scripts[placed.findIndex((h) => h.host.kind === kind)])![1];
        assert.equal(secretsOf("member"), "password adminPassword monitorPassword retiringPassword retiringAdminPassword retiringMonitorPassword", "members accept the retiring passwords too (rotation)");
        assert.equal(secretsOf("sentinel"), "password adminPassword retiringPassword retiringAdminPassword", "sentinels: the clients' user and rd-admin (bootstrap, peers)");
        assert.equal(secretsOf("proxy"), "monitorPassword");
        assert.match(scripts[0], /aws ssm get-parameter --region eu-west-1 --name "\$1" --with-decryption/);
        assert.ok(scripts[0].includes("[adminPassword]=/rd/t/admin-password"));
        const open = scriptsFor({ mode: "replication", auth: { enabled: false } });
        const proxy = open.scripts[open.placed.findIndex((h) => h.host.kind === "proxy")];
        assert.ok(!/rd_secrets[^\n]*\bpassword\b/.test(open.scripts[0]), "auth off: no application password");
        assert.match(proxy, /rd_secrets monitorPassword\n/);
    });

    it("fails to render rather than reference a secret without a store entry, or a member without a disk", () => {
        const { inputs } = scriptsFor({ mode: "standalone" });
        const { adminPassword: _dropped, ...refs } = REFS;
        assert.throws(() => renderBootScript({ ...inputs[0], secretRefs: refs as typeof REFS }), /adminPassword/);
        const evil = { ...inputs[0], placed: { ...inputs[0].placed } };
        const name = evil.placed.host.members[0].name;
        evil.disks = { [name]: [] };
        assert.throws(() => renderBootScript(evil), /no data disk devices/);
    });

    it("without an address hook, adds no addresses; without a user-data hook, refreshes nothing", () => {
        const hooks: CloudHooks = { cloud: "test", secretStore: "a file", packages: [], secretFunction: 'cat "/secrets$1"', addAddresses: false };
        const { scripts } = scriptsFor({ mode: "standalone" }, { hooks });
        assert.ok(!scripts[0].includes("\n    rd_addresses "));
        assert.ok(!scripts[0].includes("rd_cloud_user_data() {"));
        assert.equal(spawnSync("bash", ["-n"], { input: scripts[0] }).status, 0);
    });

    it("quotes values for bash", () => {
        assert.equal(shellQuote("10.0.0.1 6379"), "'10.0.0.1 6379'");
        assert.equal(shellQuote("/dev/disk/by-id/x"), "/dev/disk/by-id/x");
        assert.equal(shellQuote(""), "''");
        assert.equal(shellQuote("it's"), `'it'\\''s'`);
        const out = spawnSync("bash", ["-c", `printf %s ${shellQuote("a'b $c `d` \\e")}`], { encoding: "utf8" });
        assert.equal(out.stdout, "a'b $c `d` \\e");
    });

    it("placeholders in the script are the ones the secrets module defines", () => {
        const { scripts } = scriptsFor({ mode: "standalone" });
        for (const v of Object.values(PLACEHOLDERS)) assert.ok(scripts[0].includes(v), v);
    });
});

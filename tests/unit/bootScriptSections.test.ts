// The VM boot script's sections one by one (providers/vm/bootScript/): what each one defines,
// where rd_main calls it and what it refuses; and how BOOT_SECTIONS compose the script, so a new
// capability is one more section. tests/unit/vmBootScript.test.ts checks whole scripts.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import type { RedisDeploymentArgs } from "../../components/args";
import { plan } from "../../components/plan";
import { secretRefs } from "../../providers/vm/secrets";
import { STORED_SECRETS, type AddressedMember } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { awsBootHooks } from "../../providers/aws/boot";
import { BOOT_SECTIONS, bootContext, composeBootScript, renderBootScript, type BootContext, type BootScriptInput, type BootSection, type CloudHooks } from "../../providers/vm/bootScript";
import { addressesSection } from "../../providers/vm/bootScript/addresses";
import { cloudHooksSection } from "../../providers/vm/bootScript/cloudHooks";
import { disksSection } from "../../providers/vm/bootScript/disks";
import { nodeFilesSection } from "../../providers/vm/bootScript/nodeFiles";
import { nodesSection } from "../../providers/vm/bootScript/nodes";
import { packagesSection } from "../../providers/vm/bootScript/packages";
import { memberRestart, preludeSection } from "../../providers/vm/bootScript/prelude";
import { refreshSection } from "../../providers/vm/bootScript/refresh";
import { secretsSection } from "../../providers/vm/bootScript/secrets";
import { selfInstallSection } from "../../providers/vm/bootScript/selfInstall";
import { startUnitsSection } from "../../providers/vm/bootScript/startUnits";
import { systemTuningSection } from "../../providers/vm/bootScript/systemTuning";
import { planHosts } from "../../providers/vm/layout";

const REFS = secretRefs(STORED_SECRETS, (name) => `/rd/t/${name}`);
const BARE: CloudHooks = { cloud: "test", secretStore: "a file", packages: [], secretFunction: 'cat "/secrets$1"', addAddresses: false };

/** The inputs of every host of a deployment, with made-up addresses 10.9.<host>.<node>. */
function inputsFor(args: RedisDeploymentArgs, hooks: CloudHooks = awsBootHooks("eu-west-1")): BootScriptInput[] {
    const p = plan(validateArgs("sec", { provider: "aws", zones: ["z-a", "z-b", "z-c"], maxmemory: "256mb", ...args }));
    const placed = planHosts(p, 1).map((host, h) => ({
        host,
        subnet: { id: "s", zone: host.zone, cidr: "10.9.0.0/16" },
        hostAddress: `10.9.${h}.250`,
        nodeAddresses: Object.fromEntries([...host.members, ...host.sentinels, ...host.proxies].map((n, i) => [n.name, `10.9.${h}.${10 + i}`])),
    }));
    const allMembers: AddressedMember[] = p.members.map((m) => ({ ...m, address: placed.find((h) => h.nodeAddresses[m.name])!.nodeAddresses[m.name] }));
    return placed.map((ph) => ({
        plan: p, placed: ph, allMembers, secretRefs: REFS, hooks,
        disks: Object.fromEntries(ph.host.members.map((m) => [m.name, [`/dev/disk/by-id/test-${m.name}`, "/dev/xvdf"]])),
    }));
}

/** The context of the first host of `kind` ("member", "sentinel", "proxy"). */
function ctxOf(args: RedisDeploymentArgs, kind = "member", hooks?: CloudHooks): BootContext {
    const input = inputsFor(args, hooks).find((i) => i.placed.host.kind === kind);
    assert.ok(input, `a ${kind} host`);
    return bootContext(input);
}

/** Every line rd_main gets from one section for this context. */
function callsOf(section: BootSection, ctx: BootContext): string[] {
    return [
        ...(section.preflight?.(ctx) ?? []), ...(section.steps?.(ctx) ?? []),
        ...ctx.nodes.flatMap((n) => section.nodeSteps?.(ctx, n) ?? []), ...(section.finish?.(ctx) ?? []),
    ];
}

/** Names of the bash functions a text defines. */
function defined(text: string): string[] {
    return [...text.matchAll(/^(rd_[a-z0-9_]+)\(\) \{/gm)].map((m) => m[1]);
}

function bashSyntaxOk(text: string): void {
    const out = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
    assert.equal(out.status, 0, `bash -n: ${out.stderr}`);
}

describe("VM boot script sections", function () {
    this.timeout(60000);
    const repl = ctxOf({ mode: "replication", replicasPerShard: 2 });

    describe("every section", () => {
        for (const section of BOOT_SECTIONS) {
            it(`${section.name}: its functions are valid bash on their own`, () => {
                if (section.functions) bashSyntaxOk(section.functions(repl));
            });
        }

        it("no two sections define the same function; every function rd_main calls is defined", () => {
            const owners = new Map<string, string>();
            for (const s of BOOT_SECTIONS) {
                for (const f of defined(s.functions?.(repl) ?? "")) {
                    assert.ok(!owners.has(f), `${f} is defined by ${owners.get(f)} and ${s.name}`);
                    owners.set(f, s.name);
                }
            }
            for (const args of [{ mode: "sentinel" }, { mode: "cluster" }, { mode: "replication" }] as RedisDeploymentArgs[]) {
                for (const input of inputsFor(args)) {
                    const ctx = bootContext(input);
                    for (const s of BOOT_SECTIONS) {
                        for (const line of callsOf(s, ctx)) {
                            for (const call of line.match(/\brd_[a-z0-9_]+/g) ?? []) assert.ok(owners.has(call), `${s.name} calls ${call}, which no section defines`);
                        }
                    }
                }
            }
        });
    });

    describe("prelude", () => {
        it("starts the script strict, with its settings and the shared helpers", () => {
            const text = preludeSection.functions!(repl);
            assert.ok(text.startsWith("#!/bin/bash\n"));
            assert.match(text, /^set -euo pipefail$/m);
            assert.match(text, /^umask 077$/m);
            assert.match(text, /^readonly RD_HOST=sec-s0-m0$/m);
            assert.match(text, /^RD_SECRET_ATTEMPTS=\$\{RD_SECRET_ATTEMPTS:-30\}$/m);
            assert.ok(text.includes("[adminPassword]=/rd/t/admin-password"), "where each secret is stored");
            assert.deepEqual(defined(text), ["rd_log", "rd_fail", "rd_retry"]);
            const slow = ctxOf({ mode: "standalone" }, "member", { ...BARE, secretAttempts: 120 });
            assert.match(preludeSection.functions!(slow), /^RD_SECRET_ATTEMPTS=\$\{RD_SECRET_ATTEMPTS:-120\}$/m);
        });

        it("members restart on their own only with persistence; the empty-master guard only in replication mode", () => {
            const volatile = { persistence: { aof: false, rdb: false } };
            assert.deepEqual(memberRestart(repl.plan), { restart: "always", guardEmptyMaster: false });
            assert.deepEqual(memberRestart(ctxOf({ mode: "replication", ...volatile }).plan), { restart: "no", guardEmptyMaster: true });
            assert.deepEqual(memberRestart(ctxOf({ mode: "sentinel", ...volatile }).plan), { restart: "no", guardEmptyMaster: false });
            assert.deepEqual(memberRestart(ctxOf({ mode: "standalone", ...volatile }).plan), { restart: "no", guardEmptyMaster: false });
            assert.match(preludeSection.functions!(ctxOf({ mode: "replication", ...volatile })), /^readonly RD_MEMBER_RESTART=no\nreadonly RD_GUARD_EMPTY_MASTER=1$/m);
        });
    });

    describe("cloud hooks", () => {
        it("wraps the cloud's secret reader; a user-data reader only when the cloud has one", () => {
            const aws = cloudHooksSection.functions!(repl);
            assert.deepEqual(defined(aws), ["rd_cloud_secret", "rd_cloud_user_data"]);
            assert.ok(aws.includes(`    aws ssm get-parameter --region eu-west-1 --name "$1" --with-decryption`));
            const bare = cloudHooksSection.functions!(ctxOf({ mode: "standalone" }, "member", BARE));
            assert.deepEqual(defined(bare), ["rd_cloud_secret"]);
            assert.ok(bare.includes('\n    cat "/secrets$1"\n'));
            assert.equal(callsOf(cloudHooksSection, repl).length, 0, "called by other sections only");
        });
    });

    describe("refresh", () => {
        it("runs first, and only when the boot unit asks (--refresh)", () => {
            assert.deepEqual(defined(refreshSection.functions!(repl)), ["rd_refresh", "rd_save_user_data"]);
            assert.deepEqual(callsOf(refreshSection, repl), ["if [[ ${1:-} == --refresh ]]; then rd_refresh; fi"]);
            assert.match(refreshSection.functions!(repl), /grep -qxF "readonly RD_HOST=\$RD_HOST"/, "only a script for this host replaces it");
        });
    });

    describe("system tuning", () => {
        it("sets the backlogs above 511 and overcommit, turns THP off, at every boot", () => {
            const text = systemTuningSection.functions!(repl);
            assert.match(text, /^net\.core\.somaxconn = 1024$/m);
            assert.match(text, /^net\.ipv4\.tcp_max_syn_backlog = 1024$/m);
            assert.match(text, /^vm\.overcommit_memory = 1$/m);
            assert.match(text, /for f in enabled defrag; do/);
            assert.match(text, /echo never >"\$f"/);
            assert.deepEqual(callsOf(systemTuningSection, repl), ["rd_sysctl", "rd_thp"]);
        });
    });

    describe("addresses", () => {
        it("adds the node addresses where the cloud does not, awaits them (and the load balancer's) where asked", () => {
            const nodes = repl.nodes.map((n) => n.address).join(" ");
            assert.deepEqual(callsOf(addressesSection, repl), [`rd_addresses ${nodes}`]);
            const bare = ctxOf({ mode: "replication" }, "member", BARE);
            assert.deepEqual(callsOf(addressesSection, bare), []);
            const awaiting = bootContext({ ...bare, hooks: { ...BARE, awaitAddresses: true }, alsoListenOn: ["10.9.99.1"] });
            assert.deepEqual(callsOf(addressesSection, awaiting), [`rd_await_addresses ${awaiting.nodes.map((n) => n.address).join(" ")} 10.9.99.1`]);
            assert.deepEqual(defined(addressesSection.functions!(repl)), ["rd_addresses", "rd_await_addresses"]);
        });
    });

    describe("packages", () => {
        it("installs each node kind's package and the cloud's, keeps the distribution's services off", () => {
            const want = (kind: string) => packagesSection.packages!(ctxOf({ mode: "sentinel" }, kind));
            const cloud = repl.hooks.packages;
            assert.ok(cloud.length > 0);
            assert.deepEqual(want("member"), ["redis-server", ...cloud]);
            assert.deepEqual(want("sentinel"), ["redis-sentinel", ...cloud]);
            assert.deepEqual(want("proxy"), ["haproxy", ...cloud]);
            assert.deepEqual(packagesSection.packages!(ctxOf({ mode: "standalone" }, "member", BARE)), ["redis-server"]);
            assert.deepEqual(callsOf(packagesSection, repl), [`rd_packages redis-server ${cloud.join(" ")}`, "rd_distribution_services_off"]);
            const text = packagesSection.functions!(repl);
            assert.match(text, /printf '#!\/bin\/sh\\nexit 101\\n' >"\$policy"/, "policy-rc.d keeps new services from starting");
            assert.match(text, /systemctl mask --now "\$unit"/);
        });
    });

    describe("secrets", () => {
        it("reads exactly the secrets the host's configs use, and refuses one without a store entry", () => {
            assert.deepEqual(callsOf(secretsSection, ctxOf({ mode: "sentinel" }, "sentinel")), ["rd_secrets password adminPassword retiringPassword retiringAdminPassword"]);
            assert.deepEqual(callsOf(secretsSection, ctxOf({ mode: "sentinel" }, "proxy")), ["rd_secrets monitorPassword"], "HAProxy presents the current monitor password; it accepts none");
            assert.deepEqual(callsOf(secretsSection, ctxOf({ mode: "standalone", auth: { enabled: false } })), ["rd_secrets adminPassword monitorPassword retiringAdminPassword retiringMonitorPassword"]);
            const { monitorPassword: _m, ...refs } = REFS;
            assert.throws(() => callsOf(secretsSection, { ...repl, secretRefs: refs as typeof REFS }), /monitorPassword secret\(s\), which have no entry in AWS/);
            assert.match(secretsSection.functions!(repl), /rd_retry "\$RD_SECRET_ATTEMPTS" 5 rd_cloud_secret/);
            assert.ok(secretsSection.functions!(repl).includes(`from ${repl.hooks.secretStore}"`), "names the store in its error");
        });
    });

    describe("node files", () => {
        it("defines how configs (secrets substituted, atomically) and units are written; calls nothing itself", () => {
            const text = nodeFilesSection.functions!(repl);
            assert.deepEqual(defined(text), ["rd_sha256", "rd_render", "rd_unit"]);
            assert.match(text, /mv -f "\$dest\.rd-new" "\$dest"/);
            assert.match(text, /a placeholder was left unsubstituted/);
            assert.deepEqual(callsOf(nodeFilesSection, repl), []);
        });
    });

    describe("disks", () => {
        it("mounts one disk per member, before its config; refuses a member without devices", () => {
            const sentinel = ctxOf({ mode: "sentinel" }, "sentinel");
            assert.deepEqual(callsOf(disksSection, sentinel), []);
            const m = repl.nodes[0];
            assert.deepEqual(disksSection.nodeSteps!(repl, m), [`rd_disk ${m.name} /dev/disk/by-id/test-${m.name} /dev/xvdf`]);
            assert.throws(() => disksSection.nodeSteps!({ ...repl, disks: {} }, m), /no data disk devices for member sec-s0-m0/);
            const text = disksSection.functions!(repl);
            assert.match(text, /if \(\(status == 2\)\); then/, "formats only a disk without any filesystem");
            assert.match(text, /mkfs\.ext4 -q -m 0 -L rd-data/);
        });
    });

    describe("nodes", () => {
        it("sets up each node with its program and its template verbatim; a replica first follows the planned master", () => {
            const master = repl.nodes[0];
            assert.deepEqual(nodesSection.nodeSteps!(repl, master), [`rd_redis ${master.name} '' <<'RD_TEMPLATE_END'\n${master.template.replace(/\n$/, "")}\nRD_TEMPLATE_END`]);
            const replica = ctxOf({ mode: "replication", replicasPerShard: 2 }).nodes[0];
            const replicaCtx = bootContext(inputsFor({ mode: "replication", replicasPerShard: 2 })[1]);
            assert.equal(replica.replicaOf, undefined);
            assert.match(nodesSection.nodeSteps!(replicaCtx, replicaCtx.nodes[0])[0], /^rd_redis sec-s0-m1 '10\.9\.0\.10 6379' <<'RD_TEMPLATE_END'\n/);
            const sentinel = ctxOf({ mode: "sentinel" }, "sentinel");
            assert.match(nodesSection.nodeSteps!(sentinel, sentinel.nodes[0])[0], /^rd_sentinel sec-sentinel0 <<'RD_TEMPLATE_END'\n/);
            const proxy = ctxOf({ mode: "sentinel" }, "proxy");
            assert.match(nodesSection.nodeSteps!(proxy, proxy.nodes[0])[0], /^rd_haproxy sec-proxy0 <<'RD_TEMPLATE_END'\n/);
            assert.throws(() => nodesSection.nodeSteps!(repl, { ...master, template: "a\nRD_TEMPLATE_END\nb" }), /RD_TEMPLATE_END/);
            const text = nodesSection.functions!(repl);
            assert.deepEqual(defined(text), ["rd_redis", "rd_sentinel", "rd_haproxy"]);
            assert.match(text, /keeping sentinel\.conf \(Sentinel's own state\)/);
        });
    });

    describe("self install and start units", () => {
        it("installs the script and its boot unit unless the cloud runs it at every boot; then starts the units", () => {
            assert.deepEqual(callsOf(selfInstallSection, repl), ["rd_install_self"]);
            assert.deepEqual(callsOf(selfInstallSection, bootContext({ ...repl, hooks: { ...repl.hooks, runByCloudAtEveryBoot: true } })), []);
            assert.match(selfInstallSection.functions!(repl), /ExecStart=\/bin\/bash \$RD_SELF --refresh/);
            assert.deepEqual(callsOf(startUnitsSection, repl), ["rd_start_units"]);
            assert.match(startUnitsSection.functions!(repl), /systemctl start "redis-deployment-\$name\.service"/);
        });
    });

    describe("composition", () => {
        it("the script is BOOT_SECTIONS' functions in order, then rd_main: preflight, steps, each node's steps, finish", () => {
            for (const input of inputsFor({ mode: "sentinel" })) {
                const script = renderBootScript(input);
                assert.equal(script, composeBootScript(input, BOOT_SECTIONS));
                const ctx = bootContext(input);
                let at = 0;
                for (const s of BOOT_SECTIONS) {
                    if (!s.functions) continue;
                    const found = script.indexOf(s.functions(ctx), at);
                    assert.ok(found >= at, `${s.name}: its functions, after the previous section's`);
                    at = found;
                }
                const main = [
                    ...BOOT_SECTIONS.flatMap((s) => s.preflight?.(ctx) ?? []),
                    `rd_log "preparing host $RD_HOST of $RD_DEPLOYMENT"`,
                    ...BOOT_SECTIONS.flatMap((s) => s.steps?.(ctx) ?? []),
                    ...ctx.nodes.flatMap((n) => BOOT_SECTIONS.flatMap((s) => s.nodeSteps?.(ctx, n) ?? [])),
                    ...BOOT_SECTIONS.flatMap((s) => s.finish?.(ctx) ?? []),
                    `rd_log "host $RD_HOST is ready"`,
                ];
                assert.ok(main.some((l) => l.startsWith("rd_disk ")) === (input.placed.host.kind === "member"));
                assert.ok(script.endsWith(`}\n\nrd_main() {\n${main.map((l) => `    ${l}`).join("\n")}\n}\n\nrd_main "$@"\n`), input.placed.host.name);
            }
        });

        it("a new capability is one more section: its functions, packages and calls land in the script", () => {
            const timer: BootSection = {
                name: "backup timer",
                packages: () => ["rclone", "redis-server"],
                functions: () => "# rd_backup_timer: a test section.\nrd_backup_timer() {\n    rd_log \"backup timer\"\n}",
                steps: () => ["rd_backup_timer"],
                nodeSteps: (_ctx, n) => (n.kind === "redis" ? [`rd_log ${n.name}`] : []),
                finish: () => ["rd_log done"],
            };
            const [input] = inputsFor({ mode: "standalone" });
            const script = composeBootScript(input, [...BOOT_SECTIONS, timer]);
            assert.ok(script.includes("\n\n# rd_backup_timer: a test section.\nrd_backup_timer() {\n"));
            assert.ok(script.includes(`\n    rd_packages redis-server ${input.hooks.packages.join(" ")} rclone\n`), "its packages after the others, once each");
            assert.match(script, /\n {4}rd_secrets [^\n]+\n {4}rd_backup_timer\n/, "its step after the other sections' steps");
            assert.match(script, /\n {4}rd_redis sec-s0-m0 [^]*?\nRD_TEMPLATE_END\n {4}rd_log sec-s0-m0\n/, "its node step after that node's");
            assert.match(script, /\n {4}rd_start_units\n {4}rd_log done\n {4}rd_log "host \$RD_HOST is ready"\n/);
            bashSyntaxOk(script);
            assert.equal(renderBootScript(input), composeBootScript(input, BOOT_SECTIONS), "the list itself is unchanged");
        });
    });
});

// Metrics, the pure parts: the `metrics` argument (one problem per bad field), the ports it adds
// to the plan (reachable from the deployment and metrics.allowedCidrs, never load balanced), the
// monitor user's ACL with and without an exporter, HAProxy's read-only stats frontend (checked
// by `haproxy -c`), the VM boot script's exporter units (bash -n, shellcheck) and Azure's NSG
// rules. tests/e2e/metrics.test.ts scrapes a real deployment with a real Prometheus.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RedisDeploymentArgs } from "../../components/args";
import { renderHaproxyCfg } from "../../components/config/haproxyCfg";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import { exporterConnection, metricsTargets } from "../../components/metrics";
import { issueAll } from "../../bootstrap/tlsCertificates";
import { localExporterCommand } from "../../providers/local";
import { exporterTlsDir } from "../../providers/vm/bootScript/metrics";
import { plan } from "../../components/plan";
import { validateArgs } from "../../components/validate";
import { nsgRules } from "../../providers/azure";
import { awsBootHooks } from "../../providers/aws/boot";
import { renderBootScript } from "../../providers/vm/bootScript";
import { planHosts } from "../../providers/vm/layout";
import { randomCredentials } from "../helpers/realPrograms";
import { problemLines } from "../helpers/argumentProblems";
import { assertBashScriptLints } from "../helpers/shellLint";
import { STORED_SECRETS } from "../../components/types";
import { secretRefs } from "../../providers/vm/secrets";

const problemsOf = (args: RedisDeploymentArgs) => problemLines(args, "mon");

const AWS: RedisDeploymentArgs = { provider: "aws", zones: ["z-a", "z-b", "z-c"], maxmemory: "256mb" };

describe("metrics", function () {
    this.timeout(60000);

    describe("the metrics argument", () => {
        it("is off without the section; `metrics: {}` turns it on with the exporter on 9121 and HAProxy's stats on 1936", () => {
            assert.equal(validateArgs("mon", {}).metrics.enabled, false);
            assert.deepEqual(validateArgs("mon", { metrics: {} }).metrics, { enabled: true, exporterPort: 9121, haproxyStatsPort: 1936, allowedCidrs: [], serviceMonitor: false });
            assert.equal(validateArgs("mon", { metrics: { enabled: false } }).metrics.enabled, false);
            assert.equal(validateArgs("mon", { provider: "kubernetes", maxmemory: "256mb", kubernetes: { metrics: true } }).metrics.enabled, true, "the older kubernetes.metrics switch");
        });

        it("names each bad field: port clashes, networks (never 0.0.0.0/0), provider-specific fields, misspellings", () => {
            assert.deepEqual(problemsOf({ metrics: { exporterPort: 6379 } }), ["metrics.exporterPort: 6379 is already port; pick another port"]);
            assert.deepEqual(problemsOf({ metrics: { haproxyStatsPort: 6380 } }), ["metrics.haproxyStatsPort: 6380 is already the HAProxy read port (port + 1); pick another port"]);
            assert.deepEqual(problemsOf({ mode: "sentinel", metrics: { exporterPort: 26379 } }), ["metrics.exporterPort: 26379 is already sentinelPort; pick another port"]);
            assert.deepEqual(problemsOf({ mode: "cluster", metrics: { haproxyStatsPort: 16379 } }), ["metrics.haproxyStatsPort: 16379 is already the cluster bus (port + 10000); pick another port"]);
            assert.deepEqual(problemsOf({ metrics: { exporterPort: 9000, haproxyStatsPort: 9000 } }), ["metrics.haproxyStatsPort: must differ from metrics.exporterPort (9000)"]);
            assert.deepEqual(problemsOf({ metrics: { exporterPort: 80 } }), ["metrics.exporterPort: must be between 1024 and 65535, got 80"]);
            assert.deepEqual(problemsOf({ ...AWS, metrics: { allowedCidrs: ["0.0.0.0/0"] } }),
                ['metrics.allowedCidrs[0]: "0.0.0.0/0" would open the exporters and the HAProxy stats page to every address; name your Prometheus servers\' networks']);
            assert.deepEqual(problemsOf({ ...AWS, metrics: { allowedCidrs: ["10.0.0.1/8"] } }), ['metrics.allowedCidrs[0]: "10.0.0.1/8" is not an IPv4 CIDR block like "10.0.0.0/16"']);
            assert.deepEqual(problemsOf({ metrics: { allowedCidrs: ["10.0.0.0/8"] } }), ["metrics.allowedCidrs: is for the VM clouds' firewalls; the local provider has none (remove it)"]);
            assert.deepEqual(problemsOf({ ...AWS, metrics: { serviceMonitor: true } }),
                ["metrics.serviceMonitor: is a Prometheus Operator object on Kubernetes; the aws provider scrapes from the metricsTargets output (remove it)"]);
            assert.deepEqual(problemsOf({ metrics: { exporterport: 9200 } as never }), ['metrics.exporterport: unknown field; did you mean "exporterPort"?']);
            assert.deepEqual(problemsOf({ metrics: true as never }), ["metrics: must be an object, e.g. metrics: { enabled: true }"]);
        });

        it("goes together with tls.enabled (the exporters then speak TLS), on every provider", () => {
            for (const extra of [{}, AWS, { provider: "kubernetes", maxmemory: "256mb" } as RedisDeploymentArgs]) {
                const args = validateArgs("mon", { ...extra, metrics: {}, tls: { enabled: true, clientAuth: "required" } });
                assert.equal(args.metrics.enabled && args.tls.enabled, true, JSON.stringify(extra));
            }
        });
    });

    describe("how an exporter connects to its node (one function for every provider)", () => {
        it("without TLS: redis:// and no TLS flag", () => {
            assert.deepEqual(exporterConnection("10.0.0.5", 6379), { url: "redis://10.0.0.5:6379", flags: [] });
        });

        it("with the node's TLS directory: rediss://, the CA to verify the node by, the node's own certificate and key as client certificate; never skipping verification", () => {
            const c = exporterConnection("10.0.0.5", 26379, "/etc/x/tls/");
            assert.equal(c.url, "rediss://10.0.0.5:26379");
            assert.deepEqual(c.flags, [
                "-tls-ca-cert-file", "/etc/x/tls/ca.crt",
                "-tls-client-cert-file", "/etc/x/tls/node.crt",
                "-tls-client-key-file", "/etc/x/tls/node.key",
            ]);
            assert.ok(!c.flags.some((f) => f.includes("skip")), "the exporter checks the node's certificate");
        });

        it("local provider: the exporter's command line reads the node's <dataDir>/tls and keys its password file by the same URL", () => {
            const node = { address: "127.42.0.2", port: 6379 };
            const plain = localExporterCommand("/usr/bin/prometheus-redis-exporter", node, 9121);
            assert.deepEqual(plain, { url: "redis://127.42.0.2:6379", command: ["/usr/bin/prometheus-redis-exporter", "-redis.addr", "redis://127.42.0.2:6379",
                "-redis.user", "rd-monitor", "-redis.password-file", "{config}", "-web.listen-address", "127.42.0.2:9121", "-log-format", "txt"] });
            const tls = localExporterCommand("/usr/bin/prometheus-redis-exporter", node, 9121, "/data/cache-s0-m0/tls");
            assert.equal(tls.url, "rediss://127.42.0.2:6379");
            assert.deepEqual(tls.command, ["/usr/bin/prometheus-redis-exporter", "-redis.addr", "rediss://127.42.0.2:6379",
                "-redis.user", "rd-monitor", "-redis.password-file", "{config}",
                "-tls-ca-cert-file", "/data/cache-s0-m0/tls/ca.crt", "-tls-client-cert-file", "/data/cache-s0-m0/tls/node.crt", "-tls-client-key-file", "/data/cache-s0-m0/tls/node.key",
                "-web.listen-address", "127.42.0.2:9121", "-log-format", "txt"]);
            // The flags are accepted by the real program (it prints its version and exits).
            const version = spawnSync(tls.command[0], [...tls.command.slice(1).filter((a) => a !== "{config}" && a !== "-redis.password-file"), "-version"], { encoding: "utf8" });
            assert.equal(version.status, 0, version.stderr);
        });
    });

    describe("the plan", () => {
        it("adds the exporter port (members, sentinels) and the stats port (proxies): not for clients, never load balanced, open to metrics.allowedCidrs", () => {
            const p = plan(validateArgs("mon", { ...AWS, mode: "sentinel", loadBalancer: true, metrics: { allowedCidrs: ["10.50.0.0/24"] } }));
            const metricsPorts = p.ports.filter((x) => x.purpose === "metrics" || x.purpose === "haproxy-stats");
            assert.deepEqual(metricsPorts.map(({ purpose, port, listeners, clients, loadBalanced, allowFrom }) => ({ purpose, port, listeners, clients, loadBalanced, allowFrom })), [
                { purpose: "metrics", port: 9121, listeners: ["member", "sentinel"], clients: false, loadBalanced: false, allowFrom: ["10.50.0.0/24"] },
                { purpose: "haproxy-stats", port: 1936, listeners: ["proxy"], clients: false, loadBalanced: false, allowFrom: ["10.50.0.0/24"] },
            ]);
            const cluster = plan(validateArgs("mon", { ...AWS, mode: "cluster", metrics: {} }));
            assert.deepEqual(cluster.ports.filter((x) => x.purpose === "metrics" || x.purpose === "haproxy-stats").map((x) => [x.purpose, x.listeners]), [["metrics", ["member"]]], "no proxies, no stats port");
            assert.deepEqual(plan(validateArgs("mon", AWS)).ports.map((x) => x.purpose), ["redis", "proxy-read"], "nothing without metrics");
        });

        it("metricsTargets: each member's and sentinel's exporter, each proxy's stats endpoint; none when off", () => {
            const node = (name: string, address: string) => ({ name, zone: "a", address, port: 1 });
            const nodes = { members: [node("m0", "10.0.0.1")], sentinels: [node("s0", "10.0.0.2")], proxies: [node("p0", "10.0.0.3")] };
            assert.deepEqual(metricsTargets(validateArgs("mon", { metrics: { exporterPort: 9200 } }).metrics, nodes), ["10.0.0.1:9200", "10.0.0.2:9200", "10.0.0.3:1936"]);
            assert.deepEqual(metricsTargets(validateArgs("mon", {}).metrics, nodes), []);
        });

        it("Azure: an NSG rule from metrics.allowedCidrs for each metrics port, and the deny rule covers them", () => {
            const rules = nsgRules(plan(validateArgs("mon", { provider: "azure", zones: ["1"], maxmemory: "1gb", metrics: { allowedCidrs: ["10.50.0.0/24"] } })), ["10.0.0.0/8"]);
            const show = rules.filter((r) => r.ports.includes(9121) || r.ports.includes(1936)).map((r) => `${r.access}:${r.ports.join(",")}:${JSON.stringify(r.source)}`);
            assert.deepEqual(show, [
                'Allow:9121:{"deploymentGroup":true}', 'Allow:9121:{"cidrs":["10.50.0.0/24"]}',
                'Allow:1936:{"deploymentGroup":true}', 'Allow:1936:{"cidrs":["10.50.0.0/24"]}',
                'Deny:6379,6380,9121,1936:{"tag":"*"}',
            ]);
        });
    });

    describe("what is rendered", () => {
        const credentials = randomCredentials();
        const args = validateArgs("mon", { mode: "sentinel", metrics: {} });
        const p = plan(args);
        const member = { ...p.members[0], address: "127.0.0.1" };

        it("rd-monitor: PING and INFO without an exporter; with one also what redis_exporter reads, never CONFIG or SLOWLOG GET", () => {
            const monitorLine = (text: string) => text.split("\n").find((l) => l.startsWith("user rd-monitor "));
            const plain = renderRedisConf({ args: validateArgs("mon", { mode: "sentinel" }), member, credentials, dataDir: "/d" });
            assert.match(monitorLine(plain)!, / -@all \+ping \+info$/);
            const withExporter = monitorLine(renderRedisConf({ args, member, credentials, dataDir: "/d" }))!;
            assert.match(withExporter, / -@all \+ping \+info \+client\|setname \+slowlog\|len \+latency\|latest \+cluster\|info$/);
            assert.doesNotMatch(withExporter, /config|slowlog\|get|@read|~/);
            const sentinel = { ...p.sentinels[0], address: "127.0.0.1" };
            assert.equal(monitorLine(renderSentinelConf({ args: validateArgs("mon", { mode: "sentinel" }), sentinel, credentials, dataDir: "/d" })), undefined, "no rd-monitor on sentinels without metrics");
            assert.match(monitorLine(renderSentinelConf({ args, sentinel, credentials, dataDir: "/d" }))!,
                / resetkeys resetchannels -@all \+ping \+info \+client\|setname \+sentinel\|masters \+sentinel\|sentinels \+sentinel\|slaves \+sentinel\|ckquorum$/);
        });

        it("HAProxy's stats frontend: read-only, on the proxy's own address only, accepted by haproxy -c", () => {
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-metrics-"));
            try {
                const proxy = { ...p.proxies[0], address: "127.0.0.1" };
                const members = p.members.map((m, i) => ({ ...m, address: `127.0.0.${i + 2}` }));
                const cfg = renderHaproxyCfg({ proxy, members, credentials, statsPort: 1936, alsoListenOn: ["10.9.9.9"] });
                const stats = cfg.slice(cfg.indexOf("frontend stats"));
                assert.match(stats, /^ {4}bind 127\.0\.0\.1:1936$/m);
                assert.doesNotMatch(stats, /10\.9\.9\.9/, "never on the load balancer's address");
                assert.match(stats, /http-request use-service prometheus-exporter if \{ path \/metrics \}/);
                assert.doesNotMatch(cfg, /stats admin/);
                assert.doesNotMatch(renderHaproxyCfg({ proxy, members, credentials }), /frontend stats/, "no stats frontend without metrics");
                const file = path.join(tmp, "haproxy.cfg");
                fs.writeFileSync(file, cfg);
                const check = spawnSync("haproxy", ["-c", "-f", file], { encoding: "utf8" });
                assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
            } finally {
                fs.rmSync(tmp, { recursive: true, force: true });
            }
        });

        it("VM boot script: one exporter unit per member and sentinel on the node's address, the package's own instance masked; bash -n and shellcheck pass", () => {
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-metrics-"));
            try {
                const awsPlan = plan(validateArgs("mon", { ...AWS, mode: "sentinel", metrics: { exporterPort: 9200 } }));
                const hosts = planHosts(awsPlan, 1);
                const refs = secretRefs(STORED_SECRETS, (name) => `/rd/mon/${name}`);
                const allMembers = awsPlan.members.map((m, i) => ({ ...m, address: `10.9.0.${10 + i}` }));
                for (const [h, host] of hosts.entries()) {
                    const nodes = [...host.members, ...host.sentinels, ...host.proxies];
                    const placed = { host, subnet: { id: "s", zone: host.zone, cidr: "10.9.0.0/16" }, hostAddress: `10.9.${h}.250`, nodeAddresses: Object.fromEntries(nodes.map((n, i) => [n.name, `10.9.${h}.${10 + i}`])) };
                    const script = renderBootScript({ plan: awsPlan, placed, allMembers, secretRefs: refs, hooks: awsBootHooks("eu-west-1"), disks: Object.fromEntries(host.members.map((m) => [m.name, ["/dev/xvdf"]])) });
                    assertBashScriptLints(script, host.name);
                    const exporters = [...script.matchAll(/^ {4}rd_exporter (\S+) (\S+) (\S+) <<'RD_TEMPLATE_END'\n(.*)$/gm)].map((m) => m.slice(1, 5));
                    const expected = [...host.members, ...host.sentinels].map((n) => {
                        const address = placed.nodeAddresses[n.name];
                        return [n.name, `redis://${address}:${n.port}`, `${address}:9200`, JSON.stringify({ [`redis://${address}:${n.port}`]: "@@RD_SECRET_monitorPassword@@" })];
                    });
                    assert.deepEqual(exporters, expected, `${host.name}: an exporter per member and sentinel, its password file filled at boot`);
                    if (expected.length > 0) {
                        assert.match(script, /^ {4}rd_exporter_package_off$/m);
                        assert.match(script, /\n {4}rd_packages [^\n]*prometheus-redis-exporter/);
                        assert.match(script, /-web\.listen-address "\$listen" "\$@"/);
                        assert.match(script, /\n {4}rd_secrets [^\n]*monitorPassword/, "the monitor password is read from the secret store");
                    } else {
                        assert.doesNotMatch(script, /rd_exporter|redis-exporter/, `${host.name}: a proxy VM runs no exporter`);
                        assert.match(script, /use-service prometheus-exporter/, "its HAProxy serves the stats endpoint");
                    }
                }
                const off = plan(validateArgs("mon", { ...AWS, mode: "sentinel" }));
                const host = planHosts(off, 1)[0];
                const placed = { host, subnet: { id: "s", zone: host.zone, cidr: "10.9.0.0/16" }, hostAddress: "10.9.0.250", nodeAddresses: Object.fromEntries(host.members.map((n, i) => [n.name, `10.9.0.${10 + i}`])) };
                assert.doesNotMatch(renderBootScript({ plan: off, placed, allMembers, secretRefs: refs, hooks: awsBootHooks("eu-west-1"), disks: Object.fromEntries(host.members.map((m) => [m.name, ["/dev/xvdf"]])) }), /exporter/,
                    "metrics off: the script is what it was");
            } finally {
                fs.rmSync(tmp, { recursive: true, force: true });
            }
        });

        it("VM boot script with TLS: each exporter reads its node over rediss:// with a copy of the node's certificate files it may read; bash -n and shellcheck pass", () => {
            const tlsPlan = plan(validateArgs("mon", { ...AWS, mode: "sentinel", metrics: {}, tls: { enabled: true, clientAuth: "required" } }));
            const hosts = planHosts(tlsPlan, 1);
            const refs = secretRefs(STORED_SECRETS, (name) => `/rd/mon/${name}`);
            const placedHosts = hosts.map((host, h) => {
                const nodes = [...host.members, ...host.sentinels, ...host.proxies];
                return { host, subnet: { id: "s", zone: host.zone, cidr: "10.9.0.0/16" }, hostAddress: `10.9.${h}.250`, nodeAddresses: Object.fromEntries(nodes.map((n, i) => [n.name, `10.9.${h}.${10 + i}`])) };
            });
            const named = placedHosts.flatMap((ph) => Object.entries(ph.nodeAddresses));
            const issued = issueAll({ deployment: "mon", clientAuth: "required", validityDays: 30, renewBeforeDays: 7, nodes: named.map(([name, address]) => ({ name, names: [address] })) });
            const tls = {
                ca: issued.caCertificate,
                certificates: Object.fromEntries(named.map(([name]) => [name, issued.issued[name].certificate])),
                keyRefs: Object.fromEntries(named.map(([name]) => [name, `/rd/mon/tls/${name}/node.key`])),
            };
            const allMembers = tlsPlan.members.map((m) => ({ ...m, address: placedHosts.find((ph) => ph.nodeAddresses[m.name])!.nodeAddresses[m.name] }));
            let checked = 0;
            for (const placed of placedHosts) {
                const { host } = placed;
                const script = renderBootScript({ plan: tlsPlan, placed, allMembers, secretRefs: refs, hooks: awsBootHooks("eu-west-1"), tls, disks: Object.fromEntries(host.members.map((m) => [m.name, ["/dev/xvdf"]])) });
                assertBashScriptLints(script, host.name);
                for (const n of [...host.members, ...host.sentinels]) {
                    const address = placed.nodeAddresses[n.name];
                    const dir = exporterTlsDir(n.name);
                    assert.equal(dir, `/etc/redis-deployment/${n.name}-exporter/tls`);
                    const line = `    rd_exporter ${n.name} rediss://${address}:${n.port} ${address}:9121 -tls-ca-cert-file ${dir}/ca.crt -tls-client-cert-file ${dir}/node.crt -tls-client-key-file ${dir}/node.key <<'RD_TEMPLATE_END'\n`
                        + `${JSON.stringify({ [`rediss://${address}:${n.port}`]: "@@RD_SECRET_monitorPassword@@" })}\n`;
                    assert.ok(script.includes(line), `${n.name}: its exporter over TLS:\n${script.split("\n").filter((l) => l.includes("rd_exporter ")).join("\n")}`);
                    assert.ok(script.indexOf(`    rd_tls_files ${n.name} `) < script.indexOf(`    rd_exporter ${n.name} `), `${n.name}: the node's TLS files are written before the exporter copies them`);
                    checked++;
                }
                assert.doesNotMatch(script, /skip-tls-verification/);
            }
            assert.equal(checked, tlsPlan.members.length + tlsPlan.sentinels.length);
        });
    });
});

// Logs, the pure parts: the `logs` argument, and the boot script's logs section for each cloud's
// agent: the rendered CloudWatch agent and Ops Agent configurations checked against the fields
// each agent documents (the agents are not installable here), the per-unit log files and their
// rotation (run into a temporary root; `logrotate -d` reads the rotation), rsyslog for Azure's
// agent, bash -n and shellcheck on every script. The cloud resources (log group, IAM grants,
// workspace, data collection rule) are checked under mocks in the clouds' own tests.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RedisDeploymentArgs } from "../../components/args";
import { plan } from "../../components/plan";
import { validateArgs } from "../../components/validate";
import { awsBootHooks } from "../../providers/aws/boot";
import { BOOT_SECTIONS, bootContext, renderBootScript, type BootScriptInput, type LogShipping } from "../../providers/vm/bootScript";
import { cloudWatchAgentConfig, logsSection, opsAgentConfig } from "../../providers/vm/bootScript/logs";
import { planHosts } from "../../providers/vm/layout";
import { problemLines } from "../helpers/argumentProblems";
import { assertBashScriptLints } from "../helpers/shellLint";

const problemsOf = (args: RedisDeploymentArgs) => problemLines(args, "lg");

const VM = (provider: "aws" | "gcp" | "azure"): RedisDeploymentArgs => ({ provider, zones: ["z-a", "z-b", "z-c"], maxmemory: "256mb" });

/** Every host's boot script input for a deployment, with the given log shipping. */
function inputs(args: RedisDeploymentArgs, logs: LogShipping | undefined, membersPerHost = 1): BootScriptInput[] {
    const p = plan(validateArgs("lg", args));
    const allMembers = p.members.map((m, i) => ({ ...m, address: `10.9.0.${10 + i}` }));
    return planHosts(p, membersPerHost).map((host, h) => {
        const nodes = [...host.members, ...host.sentinels, ...host.proxies];
        return {
            plan: p, allMembers,
            placed: { host, subnet: { id: "s", zone: host.zone, cidr: "10.9.0.0/16" }, hostAddress: `10.9.${h}.250`, nodeAddresses: Object.fromEntries(nodes.map((n, i) => [n.name, `10.9.${h}.${10 + i}`])) },
            secretRefs: { password: "/p", adminPassword: "/a", monitorPassword: "/m", retiringPassword: "/rp", retiringAdminPassword: "/ra", retiringMonitorPassword: "/rm" },
            hooks: { ...awsBootHooks("eu-west-1"), ...(logs ? { logs } : {}) },
            disks: Object.fromEntries(host.members.map((m) => [m.name, ["/dev/xvdf"]])),
        };
    });
}

/** The fields the CloudWatch agent documents for its `agent` section and for a collect_list entry. */
const CLOUDWATCH_AGENT_FIELDS = ["metrics_collection_interval", "region", "credentials", "debug", "logfile", "run_as_user", "omit_hostname", "usage_data", "aws_sdk_log_level", "user_agent"];
const CLOUDWATCH_FILE_FIELDS = ["file_path", "log_group_name", "log_stream_name", "log_group_class", "timezone", "multi_line_start_pattern", "encoding", "auto_removal", "filters", "retention_in_days", "timestamp_format", "publish_multi_logs", "backpressure_mode", "trim_timestamp"];
/** Receiver types of the Ops Agent's logging section. */
const OPS_AGENT_LOG_RECEIVERS = ["files", "syslog", "tcp", "fluent_forward", "systemd_journald", "redis", "nginx_access", "nginx_error", "apache_access", "apache_error"];

function checkCloudWatchConfig(config: any): void {
    assert.deepEqual(Object.keys(config).sort(), ["agent", "logs"]);
    for (const key of Object.keys(config.agent)) assert.ok(CLOUDWATCH_AGENT_FIELDS.includes(key), `agent.${key} is not a CloudWatch agent field`);
    assert.deepEqual(Object.keys(config.logs), ["logs_collected"]);
    assert.deepEqual(Object.keys(config.logs.logs_collected), ["files"]);
    const list = config.logs.logs_collected.files.collect_list;
    assert.ok(Array.isArray(list) && list.length > 0);
    for (const entry of list) {
        for (const key of Object.keys(entry)) assert.ok(CLOUDWATCH_FILE_FIELDS.includes(key), `collect_list.${key} is not a CloudWatch agent field`);
        assert.match(entry.file_path, /^\/var\/log\//);
        // CloudWatch Logs: group names [.-_/#A-Za-z0-9]{1,512}, stream names without ':' or '*'.
        assert.match(entry.log_group_name, /^[.\-_/#A-Za-z0-9]{1,512}$/);
        assert.match(entry.log_stream_name, /^[^:*]{1,512}$/);
    }
}

function checkOpsAgentConfig(config: any): void {
    const { receivers, service } = config.logging;
    for (const [id, receiver] of Object.entries<any>(receivers)) {
        assert.match(id, /^[A-Za-z0-9_-]+$/, "an Ops Agent id");
        assert.ok(!id.startsWith("lib:"));
        assert.ok(OPS_AGENT_LOG_RECEIVERS.includes(receiver.type), `${id}: ${receiver.type} is not a receiver type`);
        assert.ok(Array.isArray(receiver.include_paths) && receiver.include_paths.every((p: string) => p.startsWith("/")), `${id}: absolute include_paths`);
    }
    for (const [id, pipeline] of Object.entries<any>(service.pipelines)) {
        for (const r of pipeline.receivers) assert.ok(r in receivers, `pipeline ${id} names receiver ${r}, which is not defined`);
    }
}


describe("logs", function () {
    this.timeout(60000);
    let tmp = "";
    beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-logs-")); });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("the logs argument: off without the section, on the VM clouds only, retention within what each service keeps", () => {
        assert.deepEqual(validateArgs("lg", VM("aws")).logs, { enabled: false, retentionDays: 30 });
        assert.deepEqual(validateArgs("lg", { ...VM("aws"), logs: { retentionDays: 14 } }).logs, { enabled: true, retentionDays: 14 });
        assert.deepEqual(problemsOf({ ...VM("aws"), logs: { retentionDays: 10 } }), ["logs.retentionDays: CloudWatch Logs keeps logs for one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days; 10 is not among them"]);
        assert.deepEqual(problemsOf({ ...VM("azure"), logs: { retentionDays: 7 } }), ["logs.retentionDays: a Log Analytics workspace keeps data 30 to 730 days, got 7"]);
        assert.deepEqual(problemsOf({ ...VM("gcp"), logs: { retentionDays: 60 } }), ["logs.retentionDays: Cloud Logging's retention is the log bucket's (30 days in _Default), set on the project; remove logs.retentionDays"]);
        assert.deepEqual(problemsOf({ logs: {} }), ["logs: the local provider writes each node's log file in its directory already (the logs output lists them); remove logs"]);
        assert.deepEqual(problemsOf({ provider: "kubernetes", maxmemory: "256mb", logs: {} }), ["logs: pods log to stdout, which the cluster's log collector ships; remove logs"]);
        assert.deepEqual(problemsOf({ ...VM("aws"), logs: { retention: 30 } as never }), ['logs.retention: unknown field; did you mean "retentionDays"?']);
    });

    it("AWS: every unit (members, sentinels, proxies, exporters) and the boot log go to the deployment's group, one stream each; the config has only CloudWatch agent fields", () => {
        const shipping: LogShipping = { agent: "cloudwatch", logGroup: "/redis-deployment/p/s/lg", region: "eu-west-1" };
        for (const input of inputs({ ...VM("aws"), mode: "sentinel", metrics: {}, logs: {} }, shipping, 2)) {
            const ctx = bootContext(input);
            const config = cloudWatchAgentConfig(ctx, shipping) as any;
            checkCloudWatchConfig(config);
            const streams = config.logs.logs_collected.files.collect_list.map((e: any) => e.log_stream_name);
            const host = input.placed.host;
            const expected = [
                ...host.members.flatMap((m) => [m.name, `${m.name}-exporter`]),
                ...host.sentinels.flatMap((s) => [s.name, `${s.name}-exporter`]),
                ...host.proxies.map((p) => p.name),
                `${host.name}/boot`,
            ];
            assert.deepEqual([...streams].sort(), [...expected].sort(), host.name);
            const script = renderBootScript(input);
            assertBashScriptLints(script, host.name);
            assert.equal(JSON.stringify(JSON.parse(/\n {4}rd_log_agent <<'RD_TEMPLATE_END'\n([\s\S]*?)\nRD_TEMPLATE_END/.exec(script)![1])), JSON.stringify(config), "the script carries that config");
            assert.match(script, /amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:\/opt\/aws\/amazon-cloudwatch-agent\/etc\/redis-deployment\.json"/);
        }
    });

    it("GCP: the Ops Agent reads members' and sentinels' files with Redis' parser, the rest as lines, and collects no metrics", () => {
        for (const input of inputs({ ...VM("gcp"), mode: "sentinel", logs: {} }, { agent: "ops-agent" }, 2)) {
            const config = opsAgentConfig(bootContext(input)) as any;
            checkOpsAgentConfig(config);
            const host = input.placed.host;
            const redis = [...host.members, ...host.sentinels].map((n) => `/var/log/redis-deployment/${n.name}.log`);
            assert.deepEqual(config.logging.receivers.redis_deployment_redis?.include_paths ?? [], redis);
            assert.deepEqual(config.logging.receivers.redis_deployment_boot, { type: "files", include_paths: ["/var/log/cloud-init-output.log"] });
            assert.deepEqual(config.metrics, { service: { pipelines: { default_pipeline: { receivers: [] } } } });
            const script = renderBootScript(input);
            assertBashScriptLints(script, host.name);
            assert.match(script, /add-google-cloud-ops-agent-repo\.sh/);
            assert.ok(script.includes('config="$RD_ROOT/etc/google-cloud-ops-agent/config.yaml"'));
        }
    });

    it("Azure: rsyslog hands the journal to the Azure Monitor agent; no log files, no agent installed by the script", () => {
        for (const input of inputs({ ...VM("azure"), mode: "replication", logs: {} }, { agent: "azure-monitor" })) {
            const script = renderBootScript(input);
            assertBashScriptLints(script, input.placed.host.name);
            assert.match(script, /\n {4}rd_packages [^\n]*rsyslog/);
            assert.match(script, /^ {4}rd_syslog_on$/m);
            assert.doesNotMatch(script, /rd_log_files|rd_log_agent/);
        }
    });

    it("the log files: a drop-in per unit sends its output to /var/log/redis-deployment/<unit>.log; logrotate accepts the rotation", () => {
        const [input] = inputs({ ...VM("aws"), mode: "replication", logs: {} }, { agent: "cloudwatch", logGroup: "/g", region: "eu-west-1" });
        const ctx = bootContext(input);
        const functions = logsSection.functions!(ctx);
        const root = path.join(tmp, "root");
        const run = spawnSync("bash", ["-c", `set -euo pipefail\nRD_ROOT=${root}\n${functions}\nrd_log_files lg-s0-m0 lg-s0-m0-exporter`], { encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(fs.readFileSync(path.join(root, "etc/systemd/system/redis-deployment-lg-s0-m0.service.d/50-log-file.conf"), "utf8"),
            "[Service]\nStandardOutput=append:/var/log/redis-deployment/lg-s0-m0.log\nStandardError=inherit\n");
        assert.ok(fs.existsSync(path.join(root, "etc/systemd/system/redis-deployment-lg-s0-m0-exporter.service.d/50-log-file.conf")));
        const rotation = path.join(root, "etc/logrotate.d/redis-deployment");
        assert.match(fs.readFileSync(rotation, "utf8"), /^\/var\/log\/redis-deployment\/\*\.log \{\n[\s\S]*copytruncate/);
        const check = spawnSync("logrotate", ["-d", "-s", path.join(tmp, "state"), rotation], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stderr);
        assert.doesNotMatch(check.stderr, /error/i, check.stderr);
    });

    it("logs off: the script has no logs section (unchanged from before)", () => {
        for (const input of inputs({ ...VM("aws"), mode: "replication" }, { agent: "cloudwatch", logGroup: "/g", region: "eu-west-1" })) {
            const script = renderBootScript(input);
            assert.doesNotMatch(script, /rd_log_files|rd_log_agent|rd_syslog_on|cloudwatch/i);
        }
        assert.ok(BOOT_SECTIONS.includes(logsSection));
    });
});

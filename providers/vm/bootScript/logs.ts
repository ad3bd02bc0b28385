// Logs to the cloud's log service (with `logs` on). Every node's unit writes to
// /var/log/redis-deployment/<unit>.log (a systemd drop-in; rotated daily), which the cloud's agent
// ships: the CloudWatch agent (AWS, one stream per node in the deployment's log group), the Ops
// Agent (GCP, Redis' own log parser for members and sentinels). On Azure the Azure Monitor agent
// (a VM extension) collects syslog through a data collection rule, so the units keep logging to
// the journal and rsyslog hands it over. The agents' configs are rendered here as data (tests
// check them against each agent's schema; the agents are not installable on this machine).
import { exporterUnitName } from "./metrics";
import { heredoc, shellQuote as q } from "./shell";
import type { BootContext, BootSection, LogShipping } from "./types";

export const LOG_DIR = "/var/log/redis-deployment";
export const CLOUDWATCH_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/redis-deployment.json";
export const OPS_AGENT_CONFIG = "/etc/google-cloud-ops-agent/config.yaml";
/** The boot script's own output (cloud-init), shipped too: a failed boot is read there. */
const BOOT_LOG = "/var/log/cloud-init-output.log";

/** The units of this host whose output goes to a log file: every node, and each exporter. */
export function loggedUnits(ctx: Pick<BootContext, "nodes" | "plan">): { unit: string; kind: "redis" | "sentinel" | "haproxy" | "exporter" }[] {
    return ctx.nodes.flatMap((n) => [
        { unit: n.name, kind: n.kind },
        ...(ctx.plan.args.metrics.enabled && n.kind !== "haproxy" ? [{ unit: exporterUnitName(n.name), kind: "exporter" as const }] : []),
    ]);
}

export function logFile(unit: string): string {
    return `${LOG_DIR}/${unit}.log`;
}

/** The CloudWatch agent's configuration: one stream per unit (named after it) and the host's boot log, in the deployment's group. */
export function cloudWatchAgentConfig(ctx: Pick<BootContext, "nodes" | "plan" | "placed">, shipping: Extract<LogShipping, { agent: "cloudwatch" }>): object {
    return {
        agent: { run_as_user: "root", region: shipping.region, logfile: "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log" },
        logs: {
            logs_collected: {
                files: {
                    collect_list: [
                        ...loggedUnits(ctx).map(({ unit }) => ({ file_path: logFile(unit), log_group_name: shipping.logGroup, log_stream_name: unit, timezone: "UTC" })),
                        { file_path: BOOT_LOG, log_group_name: shipping.logGroup, log_stream_name: `${ctx.placed.host.name}/boot`, timezone: "UTC" },
                    ],
                },
            },
        },
    };
}

/** The Ops Agent's configuration (YAML; written as JSON, which YAML reads): Redis' parser for members and sentinels, plain lines for the rest. */
export function opsAgentConfig(ctx: Pick<BootContext, "nodes" | "plan">): object {
    const units = loggedUnits(ctx);
    const redis = units.filter((u) => u.kind === "redis" || u.kind === "sentinel").map((u) => logFile(u.unit));
    const other = units.filter((u) => u.kind === "haproxy" || u.kind === "exporter").map((u) => logFile(u.unit));
    const receivers: Record<string, object> = {};
    if (redis.length > 0) receivers.redis_deployment_redis = { type: "redis", include_paths: redis };
    if (other.length > 0) receivers.redis_deployment_other = { type: "files", include_paths: other };
    receivers.redis_deployment_boot = { type: "files", include_paths: [BOOT_LOG] };
    return {
        logging: {
            receivers,
            service: { pipelines: { redis_deployment: { receivers: Object.keys(receivers) } } },
        },
        // Logs only: the agent's default host metrics would need another role (monitoring.metricWriter).
        metrics: { service: { pipelines: { default_pipeline: { receivers: [] } } } },
    };
}

function shipping(ctx: BootContext): LogShipping | undefined {
    return ctx.plan.args.logs.enabled ? ctx.hooks.logs : undefined;
}

export const logsSection: BootSection = {
    name: "logs",
    packages: (ctx) => {
        const agent = ctx.plan.args.logs.enabled ? ctx.hooks.logs?.agent : undefined;
        return agent === "azure-monitor" ? ["rsyslog"] : agent ? ["logrotate"] : [];
    },
    functions: (ctx) => {
        const s = shipping(ctx);
        if (!s) return "";
        if (s.agent === "azure-monitor") {
            return `# The Azure Monitor agent (a VM extension) reads syslog: the journal reaches it through rsyslog.
rd_syslog_on() {
    systemctl enable --now rsyslog.service >/dev/null
}`;
        }
        const agent = s.agent === "cloudwatch" ? `# rd_log_agent < CONFIG: the CloudWatch agent (Amazon's package: Debian has none) with this configuration.
rd_log_agent() {
    local config="$RD_ROOT${CLOUDWATCH_CONFIG}" deb
    if ! dpkg-query -W -f '\${Status}\\n' amazon-cloudwatch-agent 2>/dev/null | grep -qx 'install ok installed'; then
        deb=$(mktemp)
        rd_retry 5 6 curl -sfL -o "$deb" "https://amazoncloudwatch-agent.s3.amazonaws.com/debian/$(dpkg --print-architecture)/latest/amazon-cloudwatch-agent.deb" \\
            || rd_fail "could not download the CloudWatch agent"
        dpkg -i "$deb" >/dev/null || rd_fail "could not install the CloudWatch agent"
        rm -f "$deb"
    fi
    mkdir -p "\${config%/*}"
    cat >"$config"
    chmod 0644 "$config"
    /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:${CLOUDWATCH_CONFIG}" >/dev/null
}` : `# rd_log_agent < CONFIG: Google's Ops Agent (its own repository) with this configuration.
rd_log_agent() {
    local config="$RD_ROOT${OPS_AGENT_CONFIG}" installer
    if ! dpkg-query -W -f '\${Status}\\n' google-cloud-ops-agent 2>/dev/null | grep -qx 'install ok installed'; then
        installer=$(mktemp)
        rd_retry 5 6 curl -sfL -o "$installer" https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.sh || rd_fail "could not download the Ops Agent installer"
        bash "$installer" --also-install >/dev/null || rd_fail "could not install the Ops Agent"
        rm -f "$installer"
    fi
    mkdir -p "\${config%/*}"
    cat >"$config"
    chmod 0644 "$config"
    systemctl restart google-cloud-ops-agent.service
}`;
        return `# rd_log_files UNIT...: each unit's output to ${LOG_DIR}/UNIT.log (a drop-in), rotated daily.
rd_log_files() {
    local unit dropin
    mkdir -p "$RD_ROOT${LOG_DIR}"
    chmod 0750 "$RD_ROOT${LOG_DIR}"
    for unit in "$@"; do
        dropin="$RD_ROOT/etc/systemd/system/redis-deployment-$unit.service.d/50-log-file.conf"
        mkdir -p "\${dropin%/*}"
        printf '[Service]\\nStandardOutput=append:${LOG_DIR}/%s.log\\nStandardError=inherit\\n' "$unit" >"$dropin"
        chmod 0644 "$dropin"
    done
    mkdir -p "$RD_ROOT/etc/logrotate.d"
    cat >"$RD_ROOT/etc/logrotate.d/redis-deployment" <<'RD_LOGROTATE_END'
${LOG_DIR}/*.log {
    daily
    rotate 7
    compress
    delaycompress
    missingok
    notifempty
    copytruncate
}
RD_LOGROTATE_END
    chmod 0644 "$RD_ROOT/etc/logrotate.d/redis-deployment"
}

${agent}`;
    },
    steps: (ctx) => {
        const s = shipping(ctx);
        if (!s) return [];
        if (s.agent === "azure-monitor") return ["rd_syslog_on"];
        const config = s.agent === "cloudwatch" ? cloudWatchAgentConfig(ctx, s) : opsAgentConfig(ctx);
        return [`rd_log_files ${loggedUnits(ctx).map((u) => q(u.unit)).join(" ")}`, `rd_log_agent ${heredoc(JSON.stringify(config, null, 2))}`];
    },
};

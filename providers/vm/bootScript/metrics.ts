// Metrics on a VM (with `metrics` on): a redis_exporter (Debian's prometheus-redis-exporter) per
// member and sentinel, one systemd unit each, listening on that node's own address and logging
// in as rd-monitor with a password file the boot script fills from the secret store. HAProxy's
// stats endpoint is in haproxy.cfg itself. The package's own instance (on :9121 of every
// address) stays off: it would take the port of every node's exporter.
import { METRICS_PATH } from "../../../components/metrics";
import { MONITOR_USER } from "../../../components/types";
import { PLACEHOLDER_CREDENTIALS } from "../secrets";
import { heredoc, shellQuote as q } from "./shell";
import type { BootContext, BootSection } from "./types";

export const EXPORTER_PACKAGE = "prometheus-redis-exporter";
const EXPORTER_BINARY = "/usr/bin/prometheus-redis-exporter";

/** The exporter reads the member or sentinel of this host's node `name`. */
export function exporterUnitName(node: string): string {
    return `${node}-exporter`;
}

/** The exporter's password file: JSON, the Redis URL -> rd-monitor's password (placeholder here, filled at boot). */
export function exporterPasswordTemplate(address: string, port: number): string {
    return JSON.stringify({ [`redis://${address}:${port}`]: PLACEHOLDER_CREDENTIALS.monitorPassword });
}

function exporting(ctx: Pick<BootContext, "plan" | "placed">): boolean {
    const host = ctx.placed.host;
    return ctx.plan.args.metrics.enabled && host.members.length + host.sentinels.length > 0;
}

export const metricsSection: BootSection = {
    name: "metrics",
    packages: (ctx) => (exporting(ctx) ? [EXPORTER_PACKAGE] : []),
    functions: (ctx) => !exporting(ctx) ? "" : `# The package's own exporter (all addresses, port 9121) stays off: each node has its own.
rd_exporter_package_off() {
    systemctl mask --now prometheus-redis-exporter.service >/dev/null 2>&1 || true
}

# rd_exporter NODE ADDRESS PORT EXPORTER_PORT < PASSWORD_TEMPLATE: NODE's redis_exporter on
# ADDRESS:EXPORTER_PORT (path ${METRICS_PATH}), as ${MONITOR_USER}, and its unit.
rd_exporter() {
    local node=$1 address=$2 port=$3 exporter_port=$4 dir="$RD_ROOT$RD_ETC/$1-exporter"
    mkdir -p "$dir"
    chown root:prometheus "$dir"
    chmod 0750 "$dir"
    rd_render "$dir/password.json" root:prometheus 0640
    rd_unit "$node-exporter" "Prometheus redis_exporter of $node" prometheus always simple ${EXPORTER_BINARY} \\
        -redis.addr "redis://$address:$port" -redis.user ${MONITOR_USER} -redis.password-file "$RD_ETC/$node-exporter/password.json" \\
        -web.listen-address "$address:$exporter_port"
    RD_UNITS+=("$node-exporter")
}`,
    steps: (ctx) => (exporting(ctx) ? ["rd_exporter_package_off"] : []),
    nodeSteps: (ctx, n) => {
        if (!exporting(ctx) || (n.kind !== "redis" && n.kind !== "sentinel")) return [];
        return [`rd_exporter ${q(n.name)} ${q(n.address)} ${n.port} ${ctx.plan.args.metrics.exporterPort} ${heredoc(exporterPasswordTemplate(n.address, n.port))}`];
    },
};

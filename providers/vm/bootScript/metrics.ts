// Metrics on a VM (with `metrics` on): a redis_exporter (Debian's prometheus-redis-exporter) per
// member and sentinel, one systemd unit each, listening on that node's own address and logging
// in as rd-monitor with a password file the boot script fills from the secret store. HAProxy's
// stats endpoint is in haproxy.cfg itself. The package's own instance (on :9121 of every
// address) stays off: it would take the port of every node's exporter. With TLS the exporter
// reads its node over TLS with a copy of the node's certificate files (see rd_exporter).
import { METRICS_PATH, exporterConnection } from "../../../components/metrics";
import { TLS_FILES } from "../../../components/tls";
import { MONITOR_USER } from "../../../components/types";
import { PLACEHOLDER_CREDENTIALS } from "../secrets";
import { heredoc, shellQuote as q } from "./shell";
import { VM_PATHS, type BootContext, type BootSection } from "./types";

export const EXPORTER_PACKAGE = "prometheus-redis-exporter";
const EXPORTER_BINARY = "/usr/bin/prometheus-redis-exporter";

/** The exporter reads the member or sentinel of this host's node `name`. */
export function exporterUnitName(node: string): string {
    return `${node}-exporter`;
}

/** The exporter's password file: JSON, its Redis URL -> rd-monitor's password (placeholder here, filled at boot). */
export function exporterPasswordTemplate(url: string): string {
    return JSON.stringify({ [url]: PLACEHOLDER_CREDENTIALS.monitorPassword });
}

/**
 * With TLS: the exporter's copy of its node's CA, certificate and key. The exporter runs as
 * prometheus and the node's own TLS directory (tlsFiles.ts) is the node's user's alone.
 */
export function exporterTlsDir(node: string): string {
    return `${VM_PATHS.etc}/${exporterUnitName(node)}/tls`;
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

# rd_exporter NODE URL LISTEN [TLS_FLAGS...] < PASSWORD_TEMPLATE: NODE's redis_exporter reading
# URL, on LISTEN (path ${METRICS_PATH}), as ${MONITOR_USER}, and its unit. With TLS flags it first
# copies NODE's CA, certificate and key (written by rd_tls_files) into its own tls directory,
# readable by prometheus, copied again at every boot.
rd_exporter() {
    local node=$1 url=$2 listen=$3 dir="$RD_ROOT$RD_ETC/$1-exporter" file
    shift 3
    mkdir -p "$dir"
    chown root:prometheus "$dir"
    chmod 0750 "$dir"
    rd_render "$dir/password.json" root:prometheus 0640
    if (($# > 0)); then
        mkdir -p "$dir/tls"
        chown root:prometheus "$dir/tls"
        chmod 0750 "$dir/tls"
        for file in ${TLS_FILES.ca} ${TLS_FILES.cert} ${TLS_FILES.key}; do
            cp "$RD_ROOT$RD_ETC/tls/$node/$file" "$dir/tls/$file.rd-new" || rd_fail "$node: could not copy its TLS file $file for the exporter"
            chmod 0640 "$dir/tls/$file.rd-new"
            chown root:prometheus "$dir/tls/$file.rd-new"
            mv -f "$dir/tls/$file.rd-new" "$dir/tls/$file"
        done
    fi
    rd_unit "$node-exporter" "Prometheus redis_exporter of $node" prometheus always simple ${EXPORTER_BINARY} \\
        -redis.addr "$url" -redis.user ${MONITOR_USER} -redis.password-file "$RD_ETC/$node-exporter/password.json" \\
        -web.listen-address "$listen" "$@"
    RD_UNITS+=("$node-exporter")
}`,
    steps: (ctx) => (exporting(ctx) ? ["rd_exporter_package_off"] : []),
    nodeSteps: (ctx, n) => {
        if (!exporting(ctx) || (n.kind !== "redis" && n.kind !== "sentinel")) return [];
        const { url, flags } = exporterConnection(n.address, n.port, ctx.tls ? exporterTlsDir(n.name) : undefined);
        const listen = `${n.address}:${ctx.plan.args.metrics.exporterPort}`;
        return [`rd_exporter ${[n.name, url, listen, ...flags].map(q).join(" ")} ${heredoc(exporterPasswordTemplate(url))}`];
    },
};

// Prometheus metrics, the core part: the `metrics` argument, the ports it adds to the plan, and
// the scrape targets. Every provider runs the same pieces: a redis_exporter next to each member
// and each sentinel, listening on that node's own address, and HAProxy's built-in Prometheus
// endpoint and stats page on each proxy's address. Pure: no Pulumi in here.
import type { RedisDeploymentArgs } from "./args";
import type { FieldChecks } from "./fieldChecks";
import { isPlainObject } from "./fieldChecks";
import { nodeTlsPaths } from "./tls";
import { CLUSTER_BUS_OFFSET, PROXY_READ_PORT_OFFSET, type AddressedNode, type NodeKind, type PlannedPort, type ProviderKind, type ResolvedArgs, type ResolvedMetrics } from "./types";
import { parseCidr } from "../providers/vm/ipv4";

export const METRICS_FIELDS = ["enabled", "exporterPort", "haproxyStatsPort", "allowedCidrs", "serviceMonitor"];
/** redis_exporter's usual port (its own default). */
export const DEFAULT_EXPORTER_PORT = 9121;
/** HAProxy's stats port of the runbooks. */
export const DEFAULT_HAPROXY_STATS_PORT = 1936;
/** The path both redis_exporter and HAProxy serve Prometheus metrics at. */
export const METRICS_PATH = "/metrics";

/**
 * The rd-monitor user's rules on a member when an exporter reads it: HAProxy's health check
 * (PING, INFO) and what redis_exporter 1.45 asks for, seen in `ACL LOG` here: CLIENT SETNAME
 * (names its own connection), SLOWLOG LEN, LATENCY LATEST, CLUSTER INFO (cluster mode). Left
 * out on purpose: CONFIG GET (would show masterauth, the admin password) and SLOWLOG GET (shows
 * the arguments of slow commands, i.e. data); the exporter logs those two once and goes on.
 */
export const MEMBER_MONITOR_RULES = ["-@all", "+ping", "+info", "+client|setname", "+slowlog|len", "+latency|latest", "+cluster|info"] as const;
/** Without an exporter rd-monitor is HAProxy's health check only. */
export const HEALTH_CHECK_RULES = ["-@all", "+ping", "+info"] as const;

/**
 * rd-monitor on a sentinel (only with metrics on): INFO and the read-only SENTINEL look-ups
 * redis_exporter makes (MASTERS, SENTINELS, SLAVES, CKQUORUM); nothing that changes a sentinel.
 */
export const SENTINEL_MONITOR_RULES = [
    "resetkeys", "resetchannels", "-@all", "+ping", "+info", "+client|setname",
    "+sentinel|masters", "+sentinel|sentinels", "+sentinel|slaves", "+sentinel|ckquorum",
] as const;

/** `metrics` validated, defaults filled in. `metrics: {}` turns it on; `kubernetes.metrics: true` (the older switch) too. */
export function validateMetrics(check: FieldChecks, a: RedisDeploymentArgs, provider: ProviderKind, usedPorts: { port: number; sentinelPort: number; mode: string }): ResolvedMetrics {
    const legacy = isPlainObject(a.kubernetes) && a.kubernetes.metrics === true;
    const defaults: ResolvedMetrics = { enabled: legacy, exporterPort: DEFAULT_EXPORTER_PORT, haproxyStatsPort: DEFAULT_HAPROXY_STATS_PORT, allowedCidrs: [], serviceMonitor: false };
    const m = check.object("metrics", a.metrics, "must be an object, e.g. metrics: { enabled: true }");
    if (!m) return defaults;
    check.unknownFields(m, METRICS_FIELDS, "metrics");
    const enabled = check.flag("metrics.enabled", m.enabled, true);
    const exporterPort = check.integer("metrics.exporterPort", m.exporterPort, 1024, 65535) ?? DEFAULT_EXPORTER_PORT;
    const haproxyStatsPort = check.integer("metrics.haproxyStatsPort", m.haproxyStatsPort, 1024, 65535) ?? DEFAULT_HAPROXY_STATS_PORT;
    const taken = new Map<number, string>([[usedPorts.port, "port"], [usedPorts.port + PROXY_READ_PORT_OFFSET, "the HAProxy read port (port + 1)"]]);
    if (usedPorts.mode === "cluster") taken.set(usedPorts.port + CLUSTER_BUS_OFFSET, "the cluster bus (port + 10000)");
    if (usedPorts.mode === "sentinel") taken.set(usedPorts.sentinelPort, "sentinelPort");
    for (const [field, value] of [["exporterPort", exporterPort], ["haproxyStatsPort", haproxyStatsPort]] as const) {
        const other = taken.get(value);
        if (other) check.problem(`metrics.${field}`, `${value} is already ${other}; pick another port`);
    }
    if (exporterPort === haproxyStatsPort) check.problem("metrics.haproxyStatsPort", `must differ from metrics.exporterPort (${exporterPort})`);
    const allowedCidrs: string[] = [];
    if (m.allowedCidrs !== undefined) {
        if (!Array.isArray(m.allowedCidrs)) check.problem("metrics.allowedCidrs", 'must be a list of IPv4 CIDR blocks like "10.0.0.0/16": the networks of your Prometheus servers');
        else m.allowedCidrs.forEach((c: unknown, i: number) => {
            const cidr = typeof c === "string" ? parseCidr(c) : undefined;
            if (!cidr) check.problem(`metrics.allowedCidrs[${i}]`, `${JSON.stringify(c)} is not an IPv4 CIDR block like "10.0.0.0/16"`);
            else if (cidr.prefixLength === 0) check.problem(`metrics.allowedCidrs[${i}]`, `"${c}" would open the exporters and the HAProxy stats page to every address; name your Prometheus servers' networks`);
            else if (allowedCidrs.includes(cidr.text)) check.problem("metrics.allowedCidrs", `"${c}" is listed twice`);
            else allowedCidrs.push(cidr.text);
        });
        if (provider === "local" || provider === "kubernetes") check.problem("metrics.allowedCidrs", `is for the VM clouds' firewalls; the ${provider} provider has none (remove it)`);
    }
    const serviceMonitor = check.flag("metrics.serviceMonitor", m.serviceMonitor, false);
    if (serviceMonitor && provider !== "kubernetes") check.problem("metrics.serviceMonitor", `is a Prometheus Operator object on Kubernetes; the ${provider} provider scrapes from the metricsTargets output (remove it)`);
    return { enabled, exporterPort, haproxyStatsPort, allowedCidrs, serviceMonitor };
}

/** The listeners metrics add to the plan: the exporters (members, sentinels) and HAProxy's stats, reachable from the deployment and metrics.allowedCidrs only. */
export function metricsPorts(args: ResolvedArgs, proxied: boolean): PlannedPort[] {
    const m = args.metrics;
    if (!m.enabled) return [];
    const port = (purpose: "metrics" | "haproxy-stats", number: number, listeners: NodeKind[], description: string): PlannedPort =>
        ({ purpose, port: number, listeners, description, clients: false, loadBalanced: false, allowFrom: m.allowedCidrs, tls: false });
    const ports = [port("metrics", m.exporterPort, args.mode === "sentinel" ? ["member", "sentinel"] : ["member"], "Prometheus redis_exporter (metrics)")];
    if (proxied) ports.push(port("haproxy-stats", m.haproxyStatsPort, ["proxy"], "HAProxy stats page and Prometheus endpoint (read-only)"));
    return ports;
}

/** host:port of every scrape target: each member's and sentinel's exporter, each proxy's stats endpoint (path /metrics). */
export function metricsTargets(metrics: ResolvedMetrics, nodes: { members: AddressedNode[]; sentinels: AddressedNode[]; proxies: AddressedNode[] }): string[] {
    if (!metrics.enabled) return [];
    return [
        ...[...nodes.members, ...nodes.sentinels].map((n) => `${n.address}:${metrics.exporterPort}`),
        ...nodes.proxies.map((p) => `${p.address}:${metrics.haproxyStatsPort}`),
    ];
}

/** The HAProxy stats port of a deployment, when metrics are on. */
export function haproxyStatsPort(args: Pick<ResolvedArgs, "metrics">): number | undefined {
    return args.metrics.enabled ? args.metrics.haproxyStatsPort : undefined;
}

/** How a redis_exporter reaches its node: the Redis URL (also the key of its password file) and the flags that go with it. */
export interface ExporterConnection {
    url: string;
    /** `-tls-*` flags, one array element per word (empty without TLS). */
    flags: string[];
}

/**
 * The one place that says how an exporter connects to its member or sentinel at `host:port`,
 * for every provider. With `tlsDir` (a directory holding the node's TLS_FILES): `rediss://`,
 * the CA to check the node's certificate against (its subject alternative name is `host`, so
 * `host` must be the node's address as its certificate names it; never -skip-tls-verification),
 * and the node's own certificate and key as the client certificate, which clientAuth
 * "required" asks for (the nodes' certificates carry client and server use).
 */
export function exporterConnection(host: string, port: number, tlsDir?: string): ExporterConnection {
    if (tlsDir === undefined) return { url: `redis://${host}:${port}`, flags: [] };
    const files = nodeTlsPaths(tlsDir);
    return {
        url: `rediss://${host}:${port}`,
        flags: ["-tls-ca-cert-file", files.ca, "-tls-client-cert-file", files.cert, "-tls-client-key-file", files.key],
    };
}

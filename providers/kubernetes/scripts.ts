// Container scripts (ConfigMap `<name>-scripts`, run with sh from the redis image): starting a
// member or a sentinel from its template, and the probes. Pure: no Pulumi.
import { nodeTlsPaths } from "../../components/tls";
import { ADMIN_USER, MONITOR_USER, type AddressedMember, type TopologyPlan } from "../../components/types";
import { emptyMasterGuard } from "./emptyMasterGuard";
import { PATHS, PLACEHOLDER } from "./layout";
import { SECRET_KEYS } from "./secret";

const SHELL_PATHS = `config_dir="\${RD_CONFIG_DIR:-${PATHS.config}}"
secret_dir="\${RD_SECRET_DIR:-${PATHS.secret}}"
data_dir="\${RD_DATA_DIR:-${PATHS.data}}"
tls_dir="\${RD_TLS_DIR:-${PATHS.tls}}"
member="\${RD_MEMBER:-\${HOSTNAME:-$(hostname)}}"
: "\${POD_IP:?POD_IP is not set (downward API status.podIP)}"`;

/** The start scripts' own TLS directory (shell): the pod's directory of the tls volume. */
const OWN_TLS_DIR = "$tls_dir/$member";

/** Writes $conf from the member's template with the placeholders filled in (shared by both start scripts). */
const SHELL_TEMPLATE = `sed -e "s|${PLACEHOLDER.podIp}|$POD_IP|g" -e "s|${PLACEHOLDER.dataDir}|$data_dir|g" -e "s|${PLACEHOLDER.secretDir}|$secret_dir|g" -e "s|${PLACEHOLDER.tlsDir}|$tls_dir|g" "$template" > "$conf.tmp"
if [ -n "$keep" ]; then
    printf '%s\\n' "$keep" >> "$conf.tmp"
fi
chmod 600 "$conf.tmp"
mv "$conf.tmp" "$conf"`;

/**
 * With TLS: a background loop that notices when the pod's mounted certificate files change (the
 * kubelet updates a Secret's files in place: `up` renewed them, or cert-manager did) and runs
 * `reload` (shell commands); `$$` is the server itself once the script execs it. Redis and
 * HAProxy read their certificates only at start or when told.
 */
export function tlsWatcher(plan: TopologyPlan, files: string[], reload: string): string {
    if (!plan.args.tls.enabled) return "";
    return `# Certificates renewed while running are loaded (checked every RD_TLS_CHECK_SECONDS, default 60).
tls_sum() { cat ${files.map((f) => `"${f}"`).join(" ")} 2>/dev/null | cksum; }
(
    loaded="$(tls_sum)"
    while sleep "\${RD_TLS_CHECK_SECONDS:-60}"; do
        kill -0 $$ 2>/dev/null || exit 0 # the server is gone
        now="$(tls_sum)"
        if [ "$now" != "$loaded" ] && ${reload}; then
            echo "redis-deployment: loaded the renewed certificate" >&2
            loaded="$now"
        fi
    done
) &
`;
}

/** redis-cli options of a pod's own TLS connections (probes, the watcher): its certificate and the CA. */
function redisCliTls(plan: TopologyPlan, dir: string): string {
    const files = nodeTlsPaths(dir);
    return plan.args.tls.enabled ? ` --tls --cacert "${files.ca}" --cert "${files.cert}" --key "${files.key}"` : "";
}

/**
 * start-redis.sh: builds <data>/redis.conf from the member's template at every start (so
 * CONFIG REWRITE leftovers, which would repeat the included ACL users, never pile up), keeping
 * what Redis learned at run time:
 * - `replicaof` (written by CONFIG REWRITE after the bootstrap or a failover): a replica comes
 *   back as a replica;
 * - cluster peers (nodes.conf): every restarted pod has a new IP, so each peer's address is
 *   re-resolved from the hostname nodes.conf keeps for it; the member's own line takes $POD_IP.
 * With persistence off it also runs the empty-master guard (above).
 */
export function startRedisScript(plan: TopologyPlan, members: AddressedMember[]): string {
    const guard = emptyMasterGuard(plan).replace("@@PEERS@@", members.map((m) => `${m.address}:${m.port}`).join(" "));
    const own = nodeTlsPaths(OWN_TLS_DIR);
    return `#!/bin/sh
# redis-deployment: starts one Redis member in its pod.
set -eu
${SHELL_PATHS}
template="$config_dir/$member.conf"
conf="$data_dir/redis.conf"
keep=""
if [ -f "$conf" ]; then
    keep="$(grep '^replicaof ' "$conf" || true)"
fi
if [ ! -f "$template" ]; then
    echo "redis-deployment: no configuration for $member in $config_dir" >&2
    exit 1
fi
${guard}
${SHELL_TEMPLATE}
${tlsWatcher(plan, Object.values(own), `REDISCLI_AUTH="$(sed -n 's/^masterauth //p' "$secret_dir/${SECRET_KEYS.redisAuth}")" "\${RD_REDIS_CLI:-redis-cli}"${redisCliTls(plan, OWN_TLS_DIR)} --no-auth-warning --user ${ADMIN_USER} -h "$POD_IP" -p ${plan.args.port} CONFIG SET tls-cert-file "${own.cert}" tls-key-file "${own.key}" tls-ca-cert-file "${own.ca}" >/dev/null`)}
nodes="$data_dir/nodes.conf"
if [ -f "$nodes" ]; then
    : > "$nodes.tmp"
    while IFS= read -r line; do
        set -f
        # shellcheck disable=SC2086
        set -- $line
        set +f
        if [ "$#" -ge 3 ]; then
            id="$1"
            addr="$2"
            flags="$3"
            case "$addr" in
            *,*)
                host="\${addr#*,}"
                ipport="\${addr%%,*}"
                ports="\${ipport##*:}"
                case ",$flags," in
                *,myself,*) ip="$POD_IP" ;;
                *) ip="$(getent hosts "$host" | awk 'NR == 1 { print $1 }')" ;;
                esac
                if [ -n "$ip" ] && [ "$ip:$ports" != "$ipport" ]; then
                    echo "redis-deployment: $host is now at $ip" >&2
                    line="$id $ip:$ports,$host \${line#"$id $addr "}"
                fi
                ;;
            esac
        fi
        printf '%s\\n' "$line" >> "$nodes.tmp"
    done < "$nodes"
    mv "$nodes.tmp" "$nodes"
fi
exec "\${RD_REDIS_SERVER:-redis-server}" "$conf"
`;
}

/** Sentinel state lines kept across restarts (what Sentinel itself writes into its config). */
export const SENTINEL_STATE_DIRECTIVES = [
    "myid", "monitor", "known-replica", "known-sentinel", "config-epoch", "leader-epoch", "current-epoch",
    "auth-pass", "auth-user", "down-after-milliseconds", "failover-timeout", "parallel-syncs",
    "master-reboot-down-after-period",
];

/**
 * start-sentinel.sh: builds <data>/sentinel.conf from the template at every start, keeping the
 * state Sentinel wrote there (its id, the monitored master, known replicas and sentinels,
 * epochs and per-master settings), so a restarted sentinel still monitors without a bootstrap.
 */
export function startSentinelScript(plan: TopologyPlan): string {
    return `#!/bin/sh
# redis-deployment: starts one sentinel in its pod.
set -eu
${SHELL_PATHS}
template="$config_dir/$member.conf"
conf="$data_dir/sentinel.conf"
if [ ! -f "$template" ]; then
    echo "redis-deployment: no configuration for $member in $config_dir" >&2
    exit 1
fi
keep=""
if [ -f "$conf" ]; then
    keep="$(grep -E '^sentinel (${SENTINEL_STATE_DIRECTIVES.join("|")}) ' "$conf" || true)"
fi
${SHELL_TEMPLATE}
${tlsWatcher(plan, Object.values(nodeTlsPaths(OWN_TLS_DIR)), "kill -TERM $$")}exec "\${RD_REDIS_SERVER:-redis-server}" "$conf" --sentinel
`;
}

/**
 * probe.sh <ready|alive> <redis|sentinel>: PING with AUTH, the password read from the mounted
 * Secret (REDISCLI_AUTH, never on a command line). Members are checked as rd-monitor (PING and
 * INFO only), sentinels as their default user. Ready: PONG. Alive: any answer of a working
 * server, including LOADING (a large dataset loading must not be killed) and MASTERDOWN.
 */
export function probeScript(plan: TopologyPlan): string {
    return `#!/bin/sh
# redis-deployment: readiness and liveness probe.
set -u
secret_dir="\${RD_SECRET_DIR:-${PATHS.secret}}"
check="$1"
kind="$2"
if [ "$kind" = sentinel ]; then
    port="${plan.args.sentinelPort}"
    user=default
    password_file="$secret_dir/${SECRET_KEYS.password}"
else
    port="${plan.args.port}"
    user=${MONITOR_USER}
    password_file="$secret_dir/${SECRET_KEYS.monitorPassword}"
fi
password="$(cat "$password_file" 2>/dev/null || true)"
${plan.args.tls.enabled ? `# TLS only: the pod's own certificate (it has client usage too) and the deployment's CA.
tls_dir="\${RD_TLS_DIR:-${PATHS.tls}}/\${HOSTNAME:-$(hostname)}"
set --${redisCliTls(plan, "$tls_dir")}` : "set --"}
if [ -n "$password" ]; then
    reply="$(REDISCLI_AUTH="$password" timeout 4 "\${RD_REDIS_CLI:-redis-cli}" "$@" --no-auth-warning --user "$user" -h "$POD_IP" -p "$port" ping 2>&1)"
else
    reply="$(timeout 4 "\${RD_REDIS_CLI:-redis-cli}" "$@" -h "$POD_IP" -p "$port" ping 2>&1)"
fi
case "$check:$reply" in
ready:PONG | alive:PONG | alive:LOADING* | alive:MASTERDOWN* | alive:BUSY*) exit 0 ;;
esac
echo "redis-deployment $check probe of $kind: $reply" >&2
exit 1
`;
}


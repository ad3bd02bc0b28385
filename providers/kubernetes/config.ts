// The pure side of the Kubernetes provider: object names, stable DNS names, the configuration
// files (from the shared renderers) and the container scripts. No Pulumi here: tests start the
// real programs on exactly these texts.
//
// Secrets never enter a ConfigMap or the pod spec. The configs are rendered twice by the shared
// renderers: once with placeholder credentials, from which every credential-bearing line is
// removed (that text goes into a ConfigMap, plus an `include` of the secret part), and once with
// the real credentials, of which only those lines are kept (that goes into the Secret, mounted
// as files). HAProxy reads its one password from an environment variable set by secretKeyRef.
import { createHash } from "crypto";
import { renderHaproxyCfg } from "../../components/config/haproxyCfg";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import { passwordHash } from "../../components/config/users";
import {
    ADMIN_USER, MONITOR_USER, type AddressedMember, type AddressedNode, type Credentials, type TopologyPlan,
} from "../../components/types";

/** Where things live inside the containers. */
export const PATHS = {
    config: "/etc/redis-deployment/config",
    secret: "/etc/redis-deployment/secret",
    scripts: "/etc/redis-deployment/scripts",
    data: "/data",
    haproxyConfig: "/usr/local/etc/haproxy",
} as const;

/** Substituted by the start scripts: the pod's IP (downward API) and the two directories. */
export const PLACEHOLDER = { podIp: "@@POD_IP@@", dataDir: "@@DATA_DIR@@", secretDir: "@@SECRET_DIR@@" } as const;

/** Keys of the deployment's Secret. */
export const SECRET_KEYS = {
    password: "password",
    adminPassword: "admin-password",
    monitorPassword: "monitor-password",
    redisAuth: "redis-auth.conf",
    sentinelAuth: "sentinel-auth.conf",
} as const;

/** HAProxy's health-check password comes from this environment variable (secretKeyRef). */
export const HAPROXY_PASSWORD_ENV = "RD_MONITOR_PASSWORD";

/** Reported as the zone of pods whose zone the scheduler picks (no `zones` given). */
export const ANY_ZONE = "any";

export interface MemberPod extends AddressedMember {
    /** StatefulSet of the pod. */
    group: string;
    /** Pod name `<group>-<ordinal>`; `address` is its stable DNS name. */
    pod: string;
}

export interface SentinelPod extends AddressedNode {
    pod: string;
}

/** Pods that share one StatefulSet (and so one pod template). */
export interface PodGroup {
    name: string;
    shard: number;
    /** Initial role of the group's pods; undefined when a group holds a whole shard (cluster mode). */
    role?: "master" | "replica";
    members: MemberPod[];
}

export interface KubernetesLayout {
    name: string;
    namespace: string;
    domain: string;
    /** Headless Service that gives every pod its DNS name. */
    headless: string;
    secret: string;
    scripts: string;
    groups: PodGroup[];
    /** In plan order. */
    members: MemberPod[];
    sentinelSet: string;
    sentinels: SentinelPod[];
    /** HAProxy Deployment, its ConfigMap and its Service share this name. */
    haproxy: string;
    loadBalancer: string;
}

export function podHost(pod: string, headless: string, namespace: string, domain: string): string {
    return `${pod}.${headless}.${namespace}.svc.${domain}`;
}

export function serviceHost(service: string, namespace: string, domain: string): string {
    return `${service}.${namespace}.svc.${domain}`;
}

/**
 * Names and DNS names of everything. StatefulSets: one per shard in cluster mode (`<name>-s<k>`);
 * one per initial role otherwise (`<name>-master`, `<name>-replica`), which lets the master be
 * pinned to its planned zone apart from its replicas; `<name>-sentinel` for the sentinels.
 */
export function kubernetesLayout(plan: TopologyPlan, namespace: string, domain: string, zonesGiven: boolean): KubernetesLayout {
    const name = plan.args.name;
    const headless = `${name}-headless`;
    const zone = (planned: string) => (zonesGiven ? planned : ANY_ZONE);
    const groups: PodGroup[] = [];
    const place = (group: PodGroup, ms: typeof plan.members) => {
        ms.forEach((m, ordinal) => {
            const pod = `${group.name}-${ordinal}`;
            group.members.push({ ...m, zone: zone(m.zone), group: group.name, pod, address: podHost(pod, headless, namespace, domain) });
        });
        groups.push(group);
    };
    for (const shard of plan.shards) {
        if (plan.args.mode === "cluster") {
            place({ name: `${name}-s${shard.index}`, shard: shard.index, members: [] }, shard.members);
        } else {
            place({ name: `${name}-master`, shard: shard.index, role: "master", members: [] }, shard.members.filter((m) => m.index === 0));
            const replicas = shard.members.filter((m) => m.index > 0);
            if (replicas.length > 0) place({ name: `${name}-replica`, shard: shard.index, role: "replica", members: [] }, replicas);
        }
    }
    const byOrdinal = groups.flatMap((g) => g.members).sort((a, b) => a.ordinal - b.ordinal);
    const sentinelSet = `${name}-sentinel`;
    const sentinels = plan.sentinels.map((s, i) => {
        const pod = `${sentinelSet}-${i}`;
        return { name: s.name, zone: zone(s.zone), port: s.port, pod, address: podHost(pod, headless, namespace, domain) };
    });
    return {
        name, namespace, domain, headless,
        secret: `${name}-auth`,
        scripts: `${name}-scripts`,
        groups,
        members: byOrdinal,
        sentinelSet,
        sentinels,
        haproxy: `${name}-haproxy`,
        loadBalancer: `${name}-lb`,
    };
}

// ---------------------------------------------------------------------------------------------
// Configuration files.

/** Stand-ins for the credentials while rendering the public part; every line that holds them is removed. */
export const PLACEHOLDER_CREDENTIALS: Credentials = {
    password: "@@APP_PASSWORD@@",
    adminPassword: "@@ADMIN_PASSWORD@@",
    monitorPassword: "@@MONITOR_PASSWORD@@",
};

/** Directives that carry a password or a password hash. */
export function isCredentialLine(line: string): boolean {
    return /^(masterauth|requirepass|user)\s/.test(line) || /^sentinel\s+(sentinel-pass|sentinel-user|auth-pass|auth-user)\s/.test(line);
}

function splitCredentials(text: string): { open: string[]; secret: string[] } {
    const lines = text.split("\n");
    return { open: lines.filter((l) => !isCredentialLine(l)), secret: lines.filter(isCredentialLine) };
}

/** Throws if a rendered public text still holds anything derived from the placeholder credentials (a renderer changed). */
function assertNoCredentials(text: string, what: string): string {
    for (const value of Object.values(PLACEHOLDER_CREDENTIALS)) {
        if (text.includes(value) || text.includes(passwordHash(value))) {
            throw new Error(`redis-deployment (kubernetes): the ${what} would hold a credential; a renderer emits a credential directive this provider does not know`);
        }
    }
    return text;
}

/** A rendered config without its credential lines, ending in `include` lines for the Secret's part; checked to hold no credential. */
function withSecretInclude(rendered: string, includeLines: string[], what: string): string {
    const { open } = splitCredentials(rendered);
    while (open.length > 0 && open[open.length - 1] === "") open.pop();
    return assertNoCredentials([...open, ...includeLines, ""].join("\n"), what);
}

/** redis.conf template of one member (ConfigMap): no credentials; includes the Secret's part. */
export function memberConfig(plan: TopologyPlan, member: MemberPod): string {
    const text = renderRedisConf({
        args: plan.args,
        member: { ...member, address: PLACEHOLDER.podIp },
        credentials: PLACEHOLDER_CREDENTIALS,
        dataDir: PLACEHOLDER.dataDir,
        announceHostname: member.address,
    });
    return withSecretInclude(text, ["", "# Passwords (masterauth, ACL users) come from the deployment's Secret.", `include ${PLACEHOLDER.secretDir}/${SECRET_KEYS.redisAuth}`], `redis.conf of ${member.name}`);
}

/** The credential lines every member includes (Secret): masterauth and the ACL users. */
export function redisAuthConfig(plan: TopologyPlan, credentials: Credentials): string {
    const any = plan.members[0];
    const text = renderRedisConf({ args: plan.args, member: { ...any, address: PLACEHOLDER.podIp }, credentials, dataDir: PLACEHOLDER.dataDir });
    return [...splitCredentials(text).secret, ""].join("\n");
}

/** sentinel.conf template of one sentinel (ConfigMap). */
export function sentinelConfig(plan: TopologyPlan, sentinel: SentinelPod): string {
    const text = renderSentinelConf({
        args: plan.args,
        sentinel: { ...sentinel, address: PLACEHOLDER.podIp },
        credentials: PLACEHOLDER_CREDENTIALS,
        dataDir: PLACEHOLDER.dataDir,
        announceHostname: sentinel.address,
    });
    return withSecretInclude(text, [`include ${PLACEHOLDER.secretDir}/${SECRET_KEYS.sentinelAuth}`], `sentinel.conf of ${sentinel.name}`);
}

/** The sentinels' credential lines (Secret): sentinel-user/sentinel-pass (rd-admin, for peers) and the ACL users. */
export function sentinelAuthConfig(plan: TopologyPlan, credentials: Credentials): string {
    const any = plan.sentinels[0] ?? { name: "sentinel", ordinal: 0, zone: "", port: plan.args.sentinelPort };
    const text = renderSentinelConf({ args: plan.args, sentinel: { ...any, address: PLACEHOLDER.podIp }, credentials, dataDir: PLACEHOLDER.dataDir });
    return [...splitCredentials(text).secret, ""].join("\n");
}

/**
 * haproxy.cfg of the HAProxy Deployment (ConfigMap): the shared renderer's file, with the
 * monitor password read from the environment ("${RD_MONITOR_PASSWORD}", expanded by HAProxy
 * inside double quotes) and a `resolvers` section on the cluster DNS, so servers are found by
 * their stable names, re-resolved when a pod comes back with a new IP, and a name that does
 * not resolve yet does not stop HAProxy from starting (init-addr none).
 */
export function haproxyConfig(plan: TopologyPlan, members: MemberPod[], listenAddress = "0.0.0.0"): string {
    const proxy = plan.proxies[0] ?? { name: `${plan.args.name}-haproxy`, zone: ANY_ZONE, port: plan.args.port, readPort: plan.args.port + 1 };
    const text = renderHaproxyCfg({
        proxy: { name: `${plan.args.name}-haproxy`, zone: ANY_ZONE, address: listenAddress, port: proxy.port, readPort: proxy.readPort },
        members,
        credentials: { password: "", adminPassword: "", monitorPassword: `"\${${HAPROXY_PASSWORD_ENV}}"` },
    });
    const lines = text.split("\n");
    const defaultServer = lines.findIndex((l) => l.trim().startsWith("default-server "));
    const defaults = lines.findIndex((l) => l === "defaults");
    if (defaultServer < 0 || defaults < 0) throw new Error("redis-deployment (kubernetes): haproxy.cfg has no defaults/default-server line to attach the resolvers to");
    lines[defaultServer] += " resolvers cluster-dns resolve-prefer ipv4 init-addr last,libc,none";
    lines.splice(defaults, 0,
        "# The cluster DNS (from /etc/resolv.conf): members are found by their pods' stable names.",
        "resolvers cluster-dns",
        "    parse-resolv-conf",
        "    resolve_retries 3",
        "    timeout resolve 1s",
        "    timeout retry 1s",
        "    hold valid 5s",
        "    hold other 5s",
        "    hold refused 5s",
        "    hold nx 5s",
        "    hold timeout 5s",
        "    hold obsolete 5s",
        "",
    );
    const cfg = lines.join("\n");
    if (!cfg.includes(`"\${${HAPROXY_PASSWORD_ENV}}"`)) throw new Error("redis-deployment (kubernetes): haproxy.cfg does not read the monitor password from the environment");
    return assertNoCredentials(cfg, "haproxy.cfg");
}

// ---------------------------------------------------------------------------------------------
// Container scripts (ConfigMap `<name>-scripts`, run with sh from the redis image).

const SHELL_PATHS = `config_dir="\${RD_CONFIG_DIR:-${PATHS.config}}"
secret_dir="\${RD_SECRET_DIR:-${PATHS.secret}}"
data_dir="\${RD_DATA_DIR:-${PATHS.data}}"
member="\${RD_MEMBER:-\${HOSTNAME:-$(hostname)}}"
: "\${POD_IP:?POD_IP is not set (downward API status.podIP)}"`;

/** Writes $conf from the member's template with the placeholders filled in (shared by both start scripts). */
const SHELL_TEMPLATE = `sed -e "s|${PLACEHOLDER.podIp}|$POD_IP|g" -e "s|${PLACEHOLDER.dataDir}|$data_dir|g" -e "s|${PLACEHOLDER.secretDir}|$secret_dir|g" "$template" > "$conf.tmp"
if [ -n "$keep" ]; then
    printf '%s\\n' "$keep" >> "$conf.tmp"
fi
chmod 600 "$conf.tmp"
mv "$conf.tmp" "$conf"`;

/**
 * The empty-master guard of start-redis.sh, emitted only when persistence is off (no AOF, no RDB)
 * and members have replicas. Kubernetes restarts a crashed master at once; coming back empty
 * as a master, its replicas would copy the empty dataset. So a member about to start as a master
 * first asks its peers (as rd-admin, the password read from the mounted Secret):
 * - replication / sentinel: a peer that is a master with replication history (replicas or an
 *   offset) is followed (`replicaof`); while a peer still replicates *this* member, it waits
 *   (a sentinel failover, or an operator's REPLICAOF NO ONE, promotes one); otherwise (a fresh
 *   set, nobody reachable) it starts;
 * - cluster: while a peer still sees this node as the master of its slots and the node has
 *   replicas, it waits for the cluster to fail it over; once its replica serves the slots it
 *   starts, and Redis makes it that replica's replica.
 */
function emptyMasterGuard(plan: TopologyPlan): string {
    const { args } = plan;
    if (args.persistence.aof || args.persistence.rdb || args.mode === "standalone" || args.replicasPerShard === 0) return "";
    const admin = `REDISCLI_AUTH="$admin_password" timeout 3 "\${RD_REDIS_CLI:-redis-cli}" --no-auth-warning --user ${ADMIN_USER}`;
    const head = `
# Persistence is off: never start empty as a master whose data a replica still holds.
admin_password="$(sed -n 's/^masterauth //p' "$secret_dir/${SECRET_KEYS.redisAuth}")"
interval="\${RD_GUARD_INTERVAL:-5}"`;
    if (args.mode === "cluster") {
        return `${head}
nodes="$data_dir/nodes.conf"
if [ -f "$nodes" ]; then
    myid="$(awk '/myself/ { print $1; exit }' "$nodes")"
    mine="$(awk '/myself/ && /master/ && NF > 8 { print $1 }' "$nodes")"
    replicas="$(awk -v id="$myid" '$4 == id' "$nodes" | wc -l)"
    while [ -n "$mine" ] && [ "$replicas" -gt 0 ]; do
        answered=""
        holds=""
        for addr in $(awk '!/myself/ && $2 ~ /,/ { split($2, a, ","); split(a[1], p, "[:@]"); print a[2] ":" p[2] }' "$nodes"); do
            view="$(${admin} -h "\${addr%:*}" -p "\${addr##*:}" cluster nodes 2>/dev/null)" || continue
            [ -n "$view" ] || continue
            answered=yes
            if printf '%s\\n' "$view" | awk -v id="$myid" '$1 == id && NF > 8 { found = 1 } END { exit !found }'; then
                holds="\${addr%:*}"
            fi
        done
        if [ -z "$answered" ] || [ -z "$holds" ]; then
            break
        fi
        echo "redis-deployment: persistence is off and $holds still sees this node as the master of its slots: waiting for its replica to take over before starting empty" >&2
        sleep "$interval"
    done
fi`;
    }
    return `${head}
self="$(sed -n 's/^replica-announce-ip //p' "$template")"
peers="@@PEERS@@"
while [ -z "$keep" ]; do
    leader=""
    dependent=""
    for peer in $peers; do
        host="\${peer%:*}"
        port="\${peer##*:}"
        [ "$host" = "$self" ] && continue
        info="$(${admin} -h "$host" -p "$port" info replication 2>/dev/null | tr -d '\\r')" || continue
        case "$info" in
        *role:master*)
            slaves="$(printf '%s\\n' "$info" | sed -n 's/^connected_slaves://p')"
            offset="$(printf '%s\\n' "$info" | sed -n 's/^master_repl_offset://p')"
            if [ "\${slaves:-0}" -gt 0 ] || [ "\${offset:-0}" -gt 0 ]; then
                leader="$host $port"
            fi
            ;;
        *"master_host:$self"*) dependent="$host" ;;
        esac
    done
    if [ -n "$leader" ]; then
        echo "redis-deployment: persistence is off: starting as a replica of $leader" >&2
        keep="replicaof $leader"
    elif [ -n "$dependent" ]; then
        echo "redis-deployment: persistence is off and $dependent replicates this member: starting it empty as a master would wipe that copy; waiting until a replica is promoted (a sentinel failover, or REPLICAOF NO ONE)" >&2
        sleep "$interval"
    else
        break
    fi
done`;
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
export function startSentinelScript(): string {
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
exec "\${RD_REDIS_SERVER:-redis-server}" "$conf" --sentinel
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
if [ -n "$password" ]; then
    reply="$(REDISCLI_AUTH="$password" timeout 4 "\${RD_REDIS_CLI:-redis-cli}" --no-auth-warning --user "$user" -h "$POD_IP" -p "$port" ping 2>&1)"
else
    reply="$(timeout 4 "\${RD_REDIS_CLI:-redis-cli}" -h "$POD_IP" -p "$port" ping 2>&1)"
fi
case "$check:$reply" in
ready:PONG | alive:PONG | alive:LOADING* | alive:MASTERDOWN* | alive:BUSY*) exit 0 ;;
esac
echo "redis-deployment $check probe of $kind: $reply" >&2
exit 1
`;
}

/** A short stable digest (pod template annotations: a changed config rolls the pods). */
export function digest(...parts: string[]): string {
    const h = createHash("sha256");
    for (const p of parts) h.update(p).update("\0");
    return h.digest("hex").slice(0, 16);
}

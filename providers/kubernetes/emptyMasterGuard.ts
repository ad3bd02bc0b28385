// The empty-master guard of start-redis.sh (see emptyMasterGuard).
import { ADMIN_USER, type TopologyPlan } from "../../components/types";
import { SECRET_KEYS } from "./secret";

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
export function emptyMasterGuard(plan: TopologyPlan): string {
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


// One systemd unit per node: a member's redis.conf on its disk (keeping the live role), a
// sentinel's config (kept once Sentinel owns it), an HAProxy config; each config carried in the
// script as a here-document.
import { heredoc, shellQuote as q } from "./shell";
import type { BootSection } from "./types";

export const nodesSection: BootSection = {
    name: "nodes",
    functions: () => `# rd_redis MEMBER INITIAL_REPLICAOF < TEMPLATE: redis.conf on the member's disk, and its unit.
rd_redis() {
    local name=$1 replicaof=$2 dir="$RD_ROOT$RD_DATA/$1" previous='' extra=()
    if [[ -f $dir/redis.conf ]]; then
        # The role is the live system's (bootstrap, failover): keep the replicaof Redis wrote.
        previous=$(grep -E '^replicaof ' "$dir/redis.conf" | tail -n 1 || true)
        if [[ -n $previous ]]; then extra=("# Kept from the previous redis.conf (the member's live role)." "$previous"); fi
    elif [[ -n $replicaof ]]; then
        extra=("# First start: replicate the planned master until the bootstrap has run." "replicaof $replicaof")
    fi
    rd_render "$dir/redis.conf" redis:redis 0640 "\${extra[@]}"
    rd_unit "$name" "Redis member $name" redis "$RD_MEMBER_RESTART" simple /usr/bin/redis-server "$RD_DATA/$name/redis.conf"
    if ((RD_GUARD_EMPTY_MASTER)) && [[ -e $dir/.rd-started && -z $previous ]]; then
        rd_log "$name: NOT started. It was a master and keeps no data (persistence off): started empty it would wipe its replicas. Promote a replica, then run \\\`pulumi up\\\`."
        return 0
    fi
    RD_UNITS+=("$name")
    touch "$dir/.rd-started"
}

# rd_sentinel NAME < TEMPLATE: Sentinel keeps its state in its config, so an existing one is kept.
rd_sentinel() {
    local name=$1 dir="$RD_ROOT$RD_DATA/$1"
    mkdir -p "$dir"
    chown redis:redis "$dir"
    chmod 0750 "$dir"
    if [[ -f $dir/sentinel.conf ]]; then
        cat >/dev/null
        rd_log "$name: keeping sentinel.conf (Sentinel's own state)"
    else
        rd_render "$dir/sentinel.conf" redis:redis 0640
    fi
    rd_unit "$name" "Redis Sentinel $name" redis always simple /usr/bin/redis-sentinel "$RD_DATA/$name/sentinel.conf"
    RD_UNITS+=("$name")
}

# rd_haproxy NAME < TEMPLATE
rd_haproxy() {
    local name=$1 dir="$RD_ROOT$RD_ETC/$1"
    mkdir -p "$dir"
    chown root:haproxy "$dir"
    chmod 0750 "$dir"
    rd_render "$dir/haproxy.cfg" root:haproxy 0640
    rd_unit "$name" "HAProxy $name" haproxy always notify /usr/sbin/haproxy -Ws -f "$RD_ETC/$name/haproxy.cfg"
    RD_UNITS+=("$name")
}`,
    nodeSteps: (_ctx, n) => {
        if (n.kind === "redis") return [`rd_redis ${q(n.name)} ${q(n.replicaOf ?? "")} ${heredoc(n.template)}`];
        if (n.kind === "sentinel") return [`rd_sentinel ${q(n.name)} ${heredoc(n.template)}`];
        return [`rd_haproxy ${q(n.name)} ${heredoc(n.template)}`];
    },
};

// The backup job: one bash script that every provider runs (a systemd timer on a member VM of
// each shard, a Kubernetes CronJob, the CLI's `backup` on this machine). The script is fixed
// text; what differs per deployment travels in its environment (backupJobEnvironment), so
// providers place the same file and only set variables. No credential is in either: the admin
// password is read from a file the provider places (secret store, Secret, mode-0600 file), and
// rclone finds the object store's credentials through the machine's identity.
import type { ResolvedBackup, StoreLocation } from "../backup";
import { rcloneRemote, storeUri } from "../backup";
import { ADMIN_USER, type Mode, type PlannedShard } from "../types";

/** Where a shard's members are: `index=address:port,address:port`. */
export interface BackupShardNodes {
    index: number;
    slots?: { start: number; end: number };
    nodes: { address: string; port: number }[];
}

export interface BackupJobSettings {
    deployment: string;
    mode: Mode;
    target: StoreLocation;
    endpoint?: string;
    retention: ResolvedBackup["retention"];
    shards: BackupShardNodes[];
    /** The shards this run backs up (a VM's timer: its own shard); default every shard. */
    onlyShards?: number[];
    /** Path of a file holding rd-admin's password (never the password itself). */
    passwordFile: string;
    /** GCE VMs: take an access token from the metadata server for rclone (Debian 12's rclone 1.60 has no gcs env_auth). */
    gcsMetadataToken?: boolean;
    /** With tls.enabled: where the job finds the CA and its client certificate (paths, never contents). */
    tls?: BackupJobTlsFiles;
}

/**
 * Where the job finds the files for TLS on the machine it runs on: the CA the members'
 * certificates are checked against, and a client certificate with its key (required by
 * tls.clientAuth "required"; a node certificate serves, it has client usage too).
 */
export interface BackupJobTlsFiles {
    ca: string;
    cert?: string;
    key?: string;
}

/**
 * RD_TLS_CA, RD_TLS_CERT, RD_TLS_KEY: paths of the job's TLS files; none without TLS (the job
 * then connects in plaintext, as it does when RD_TLS_CA is empty).
 */
export function backupTlsVariables(files: BackupJobTlsFiles | undefined): Record<string, string> {
    if (!files) return {};
    if ((files.cert === undefined) !== (files.key === undefined)) throw new Error("backup job TLS: a client certificate needs its key, and a key its certificate");
    return { RD_TLS_CA: files.ca, RD_TLS_CERT: files.cert ?? "", RD_TLS_KEY: files.key ?? "" };
}

/** Where the job finds rd-admin's password on a VM or in the CronJob's pod (written there from the secret store / Secret). */
export const BACKUP_PASSWORD_FILE = "/run/redis-deployment/backup/admin-password";

/** Distribution packages the job needs on a VM (redis-tools: redis-cli and redis-check-rdb; curl: GCE's token). */
export const BACKUP_JOB_PACKAGES = ["rclone", "redis-tools", "curl"];

/** The job's environment without the shards' addresses (a provider adds those: shardVariables). Plain values only. */
export function backupJobBaseEnvironment(s: Omit<BackupJobSettings, "shards" | "onlyShards" | "passwordFile"> & { shardCount: number; passwordFile?: string }): Record<string, string> {
    const { remote, env } = rcloneRemote(s.target, s.endpoint);
    return {
        ...env,
        RD_DEPLOYMENT: s.deployment,
        RD_MODE: s.mode,
        RD_TARGET: storeUri(s.target),
        RD_REMOTE: remote,
        RD_SHARD_COUNT: String(s.shardCount),
        RD_RETENTION_DAYS: s.retention.days !== undefined ? String(s.retention.days) : "",
        RD_RETENTION_COUNT: s.retention.count !== undefined ? String(s.retention.count) : "",
        RD_ADMIN_USER: ADMIN_USER,
        RD_PASSWORD_FILE: s.passwordFile ?? BACKUP_PASSWORD_FILE,
        ...(s.gcsMetadataToken ? { RD_GCS_METADATA_TOKEN: "1" } : {}),
        ...backupTlsVariables(s.tls),
    };
}

/** RD_SHARDS and RD_SLOTS: the shards this run backs up, their members' addresses and slots. */
export function shardVariables(shards: BackupShardNodes[]): Record<string, string> {
    return {
        RD_SHARDS: shards.map((sh) => `${sh.index}=${sh.nodes.map((n) => `${n.address}:${n.port}`).join(",")}`).join(" "),
        RD_SLOTS: shards.filter((sh) => sh.slots).map((sh) => `${sh.index}=${sh.slots!.start}-${sh.slots!.end}`).join(" "),
    };
}

/** The job's whole environment. */
export function backupJobEnvironment(s: BackupJobSettings): Record<string, string> {
    return {
        ...backupJobBaseEnvironment({ ...s, shardCount: s.shards.length }),
        ...shardVariables(s.shards),
        ...(s.onlyShards ? { RD_ONLY_SHARDS: s.onlyShards.join(" ") } : {}),
    };
}

/** The environment as a systemd EnvironmentFile / shell-sourceable file (values single-quoted). */
export function renderEnvironmentFile(env: Record<string, string>): string {
    return Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, "'\\''")}'`).join("\n") + "\n";
}

/** The shards of a plan with their members' addresses, as the job wants them. */
export function backupShards(shards: PlannedShard[], address: (member: PlannedShard["members"][number]) => { address: string; port: number }): BackupShardNodes[] {
    return shards.map((s) => ({ index: s.index, ...(s.slots ? { slots: s.slots } : {}), nodes: s.members.map(address) }));
}

/** Programs the script needs on the machine that runs it. */
export const BACKUP_JOB_PROGRAMS = ["bash", "redis-cli", "redis-check-rdb", "rclone", "sha256sum", "date"] as const;

/**
 * The backup job. Per shard: pick an in-sync replica (else the master), BGSAVE there and wait
 * for it, take the file (straight from the data directory when this machine holds it, else over
 * the replication protocol with `redis-cli --rdb`), check it with redis-check-rdb, upload it
 * with its SHA-256 and a part manifest. Whoever finds every shard's part present writes the
 * set's manifest.json and applies retention. Prints the set's URI on stdout.
 */
export function renderBackupScript(): string {
    return `#!/usr/bin/env bash
# rd-backup: one backup set of a RedisDeployment (rendered by redis-deployment; see its docs/operations.md).
# Configured by its environment (RD_*, RCLONE_*); needs redis-cli, redis-check-rdb and rclone.
# With RD_TLS_CA set every redis-cli call speaks TLS (RD_TLS_CERT/RD_TLS_KEY: its client certificate).
set -euo pipefail

log() { printf '%s rd-backup: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

: "\${RD_DEPLOYMENT:?}" "\${RD_MODE:?}" "\${RD_TARGET:?}" "\${RD_REMOTE:?}" "\${RD_SHARDS:?}" "\${RD_SHARD_COUNT:?}" "\${RD_PASSWORD_FILE:?}"
RD_ADMIN_USER=\${RD_ADMIN_USER:-rd-admin}
[ -r "$RD_PASSWORD_FILE" ] || die "cannot read the admin password file $RD_PASSWORD_FILE"
REDISCLI_AUTH=$(tr -d '\\n' <"$RD_PASSWORD_FILE")
export REDISCLI_AUTH
# Timers on several VMs agree on the set's name when it is the minute they fired in.
RD_SET=\${RD_SET:-$RD_DEPLOYMENT-$(date -u +%Y%m%dT%H%M00Z)}
work=$(mktemp -d "\${TMPDIR:-/tmp}/rd-backup.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Every setting comes from the environment: no rclone.conf is read or written.
: >"$work/rclone.conf"
export RCLONE_CONFIG="$work/rclone.conf"

if [ "\${RD_GCS_METADATA_TOKEN:-}" = 1 ]; then
    token=$(curl -fsS -H 'Metadata-Flavor: Google' \\
        'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token' \\
        | sed -n 's/.*"access_token":"\\([^"]*\\)".*/\\1/p')
    [ -n "$token" ] || die "no access token from the metadata server"
    # The JSON's quotes are meant literally (rclone parses the value).
    # shellcheck disable=SC2089,SC2090
    printf -v RCLONE_GCS_TOKEN '{"access_token":"%s","token_type":"Bearer","expiry":"%s"}' "$token" "$(date -u -d '+50 minutes' +%Y-%m-%dT%H:%M:%SZ)"
    # shellcheck disable=SC2090
    export RCLONE_GCS_TOKEN
fi

# TLS: redis-cli checks each member's certificate against the CA and the address it is given with -h.
tls=()
if [ -n "\${RD_TLS_CA:-}" ]; then
    [ -r "$RD_TLS_CA" ] || die "cannot read the TLS CA file $RD_TLS_CA"
    tls=(--tls --cacert "$RD_TLS_CA")
    if [ -n "\${RD_TLS_CERT:-}" ]; then
        if [ ! -r "$RD_TLS_CERT" ] || [ ! -r "\${RD_TLS_KEY:-}" ]; then die "cannot read the TLS client certificate $RD_TLS_CERT or its key \${RD_TLS_KEY:-(RD_TLS_KEY unset)}"; fi
        tls+=(--cert "$RD_TLS_CERT" --key "$RD_TLS_KEY")
    fi
fi

cli() { # cli <address:port> <command...>
    local node=$1
    shift
    redis-cli "\${tls[@]}" --no-auth-warning --user "$RD_ADMIN_USER" -h "\${node%:*}" -p "\${node##*:}" "$@"
}
field() { tr -d '\\r' | sed -n "s/^$1://p" | head -n1; }
slots_of() { local entry; for entry in \${RD_SLOTS:-}; do [ "\${entry%%=*}" = "$1" ] && echo "\${entry#*=}"; done; return 0; }

# An in-sync replica of the shard, else its master (a replica spares the master the fork).
pick_node() {
    local nodes=$1 node replication master="" chosen=""
    for node in \${nodes//,/ }; do
        replication=$(cli "$node" INFO replication 2>/dev/null) || continue
        case "$(field role <<<"$replication")" in
            slave) [ -z "$chosen" ] && [ "$(field master_link_status <<<"$replication")" = up ] && chosen=$node ;;
            master) master=$node ;;
        esac
    done
    [ -n "\${chosen:-$master}" ] || return 1
    echo "\${chosen:-$master}"
}

# BGSAVE on <node> and wait for it; prints the new LASTSAVE.
bgsave() {
    local node=$1 before reply persistence
    before=$(cli "$node" LASTSAVE)
    # A save finishing in the same second as the last one would look like no save at all.
    while [ "$(date +%s)" -le "$before" ]; do sleep 0.2; done
    for _ in $(seq 1 600); do
        reply=$(cli "$node" BGSAVE SCHEDULE 2>&1) || true
        case "$reply" in
            *started* | *scheduled*) break ;;
            *"already in progress"*) sleep 0.5 ;;
            *) die "BGSAVE on $node: $reply" ;;
        esac
    done
    for _ in $(seq 1 36000); do
        persistence=$(cli "$node" INFO persistence)
        if [ "$(field rdb_bgsave_in_progress <<<"$persistence")" = 0 ] && [ "$(field rdb_last_save_time <<<"$persistence")" -gt "$before" ]; then
            [ "$(field rdb_last_bgsave_status <<<"$persistence")" = ok ] || die "BGSAVE on $node failed (rdb_last_bgsave_status)"
            field rdb_last_save_time <<<"$persistence"
            return 0
        fi
        sleep 0.1
    done
    die "BGSAVE on $node did not finish within an hour"
}

backup_shard() {
    local shard=$1 nodes=$2 node role saved dir file rdb check keys bytes sum version slots
    node=$(pick_node "$nodes") || die "shard $shard: no member answers ($nodes)"
    role=$(cli "$node" INFO replication | field role)
    version=$(cli "$node" INFO server | field redis_version)
    log "shard $shard: BGSAVE on $node ($role)"
    saved=$(bgsave "$node")
    mkdir -p "$work/shard-$shard"
    rdb="$work/shard-$shard/shard-$shard.rdb"
    dir=$(cli "$node" CONFIG GET dir | sed -n 2p)
    file="$dir/$(cli "$node" CONFIG GET dbfilename | sed -n 2p)"
    # The data directory is here (the job runs next to this member): copy the file it just wrote.
    if [ -r "$file" ] && [ "$(stat -c %Y "$file")" -ge "$((saved - 1))" ]; then
        log "shard $shard: copying $file"
        cp "$file" "$rdb"
    else
        log "shard $shard: fetching the snapshot from $node over the replication protocol"
        cli "$node" --rdb "$rdb" >/dev/null
    fi
    check=$(redis-check-rdb "$rdb" 2>&1) || die "shard $shard: redis-check-rdb rejects the snapshot of $node: $(tail -n 3 <<<"$check")"
    keys=$(sed -n 's/^\\[info\\] \\([0-9]*\\) keys read$/\\1/p' <<<"$check")
    bytes=$(stat -c %s "$rdb")
    sum=$(sha256sum "$rdb" | cut -d' ' -f1)
    slots=$(slots_of "$shard")
    printf '%s  shard-%s.rdb\\n' "$sum" "$shard" >"$rdb.sha256"
    printf '{"shard":%s,"file":"shard-%s.rdb","bytes":%s,"sha256":"%s","keys":%s,%s"node":"%s","role":"%s","redisVersion":"%s"}\\n' \\
        "$shard" "$shard" "$bytes" "$sum" "\${keys:-0}" "\${slots:+\\"slots\\":\\"$slots\\",}" "$node" "$role" "$version" >"$work/shard-$shard/shard-$shard.json"
    # One transfer: the RDB, its checksum file and the part manifest; rclone compares hashes where the store has them.
    rclone copy --checksum "$work/shard-$shard" "$RD_REMOTE/$RD_SET"
    log "shard $shard: $bytes bytes, \${keys:-0} keys, sha256 $sum"
}

# The set's manifest, once every shard's part is there (whichever shard finishes last writes it).
write_manifest() {
    local parts shard
    rclone copy --include 'shard-*.json' "$RD_REMOTE/$RD_SET" "$work/parts"
    parts=$(find "$work/parts" -name 'shard-*.json' | wc -l)
    [ "$parts" -eq "$RD_SHARD_COUNT" ] || { log "set $RD_SET has $parts of $RD_SHARD_COUNT shard parts; the last shard's job writes the manifest"; return 1; }
    {
        printf '{"deployment":"%s","mode":"%s","shards":%s,"createdAt":"%s","parts":[' \\
            "$RD_DEPLOYMENT" "$RD_MODE" "$RD_SHARD_COUNT" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        for shard in $(seq 0 $((RD_SHARD_COUNT - 1))); do
            [ "$shard" -gt 0 ] && printf ','
            tr -d '\\n' <"$work/parts/shard-$shard.json"
        done
        printf ']}\\n'
    } >"$work/manifest.json"
    rclone copyto "$work/manifest.json" "$RD_REMOTE/$RD_SET/manifest.json"
}

# Deletes the sets retention no longer keeps: older than RD_RETENTION_DAYS or beyond the newest
# RD_RETENTION_COUNT. The newest set always stays.
apply_retention() {
    local now index=0 name stamp when
    now=$(date -u +%s)
    while read -r name; do
        name=\${name%/}
        stamp=\${name#"$RD_DEPLOYMENT"-}
        [[ "$stamp" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || continue
        when=$(date -u -d "\${stamp:0:4}-\${stamp:4:2}-\${stamp:6:2} \${stamp:9:2}:\${stamp:11:2}:\${stamp:13:2}" +%s)
        if [ "$index" -gt 0 ] && { { [ -n "\${RD_RETENTION_COUNT:-}" ] && [ "$index" -ge "$RD_RETENTION_COUNT" ]; } \\
            || { [ -n "\${RD_RETENTION_DAYS:-}" ] && [ $((now - when)) -gt $((RD_RETENTION_DAYS * 86400)) ]; }; }; then
            log "retention: deleting $RD_TARGET/$name"
            # delete + rmdirs rather than purge: purge's bulk paths are missing on some S3-compatible stores.
            rclone delete "$RD_REMOTE/$name"
            rclone rmdirs "$RD_REMOTE/$name" 2>/dev/null || true
        fi
        index=$((index + 1))
    done < <(rclone lsf --dirs-only "$RD_REMOTE" | grep "^$RD_DEPLOYMENT-" | sort -r)
}

# The shards in parallel: each forks on its own member, so a set takes as long as its largest shard.
pids=()
for entry in $RD_SHARDS; do
    shard=\${entry%%=*}
    if [ -n "\${RD_ONLY_SHARDS:-}" ] && [[ " $RD_ONLY_SHARDS " != *" $shard "* ]]; then continue; fi
    backup_shard "$shard" "\${entry#*=}" &
    pids+=("$!")
done
failed=0
for pid in "\${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || die "a shard's backup failed (see above); the set $RD_TARGET/$RD_SET stays incomplete"
if write_manifest; then
    apply_retention
    log "set complete: $RD_TARGET/$RD_SET"
fi
echo "$RD_TARGET/$RD_SET"
`;
}

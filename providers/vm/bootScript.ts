// The boot script every VM cloud runs (AWS user data, GCP startup script, Azure custom data):
// one bash script per VM, rendered from the plan. It tunes the kernel, adds the nodes' own
// addresses, formats (only when empty) and mounts each member's data disk, installs Redis /
// Sentinel / HAProxy from the distribution (Debian 12), reads the secrets from the cloud's
// secret store, writes the configs rendered by the shared renderers (components/config) with
// the real secrets substituted, and starts one systemd unit per node. It installs itself as
// redis-deployment-boot.service and runs again at every boot (the node addresses are not
// persistent, disks are mounted by it, and a changed configuration arrives as new user data).
//
// Cloud specifics come in through CloudHooks: the packages it needs, how to read a secret,
// how to read the VM's current user data, and the device paths of each member's disk.
import { renderHaproxyCfg } from "../../components/config/haproxyCfg";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import type { AddressedMember, AddressedNode, TopologyPlan } from "../../components/types";
import type { PlacedHost } from "./layout";
import { PLACEHOLDER_CREDENTIALS, ROOT_TOKEN, SECRET_KEYS, placeholderHashes, secretsUsed, type SecretKey } from "./secrets";

/** Where things live on a VM. */
export const VM_PATHS = {
    /** Members: the mount point of the member's data disk (config + data); sentinels: their state. */
    data: "/var/lib/redis-deployment",
    /** HAProxy configs. */
    etc: "/etc/redis-deployment",
    /** The installed copy of the boot script, run at every later boot. */
    self: "/usr/local/sbin/redis-deployment-boot",
    bootUnit: "redis-deployment-boot.service",
} as const;

/** systemd unit of a node. */
export function unitName(node: string): string {
    return `redis-deployment-${node}.service`;
}

export interface CloudHooks {
    /** "aws", "gcp", "azure": named in comments and logs. */
    cloud: string;
    /** Where the secrets are read from, for comments and errors, e.g. "AWS SSM Parameter Store". */
    secretStore: string;
    /** Distribution packages the hooks need (e.g. awscli). */
    packages: string[];
    /** Body of the bash function `rd_cloud_secret REF`: prints the secret stored under REF. */
    secretFunction: string;
    /** Body of `rd_cloud_user_data`: prints this VM's current user data (may be gzip). Absent: no refresh at boot. */
    userDataFunction?: string;
    /** Whether the node addresses must be added to the interface (`ip addr add`); false where the cloud's guest agent does it. */
    addAddresses: boolean;
    /**
     * Whether to wait, before starting nodes, until every node address is local to the VM: where
     * the cloud's guest agent makes them local some time after boot (GCP alias IPs), a node
     * started earlier could not bind its address.
     */
    awaitAddresses?: boolean;
    /**
     * Whether the cloud's agent runs the VM's current script at every boot (GCP startup-script):
     * then the script installs neither a copy of itself nor a boot unit (it would run twice).
     */
    runByCloudAtEveryBoot?: boolean;
    /** How often a secret read is tried, 5 s apart (a new VM's permission to read can take minutes to apply). Default 30. */
    secretAttempts?: number;
}

export interface BootScriptInput {
    plan: TopologyPlan;
    /** The VM, its subnet and its nodes' addresses. */
    placed: PlacedHost;
    /**
     * The members this host's configs refer to, with their addresses: all of them for a proxy
     * (haproxy.cfg lists every member), the shard's master for a host with replicas in
     * replication and sentinel mode (a new replica follows it), none otherwise.
     */
    allMembers: AddressedMember[];
    /** Member name -> device paths of its data disk, most stable first; the first that exists is used. */
    disks: Record<string, string[]>;
    /** Secret key -> where the cloud's secret store keeps it (e.g. an SSM parameter name). */
    secretRefs: Record<SecretKey, string>;
    hooks: CloudHooks;
    /**
     * Addresses a load balancer delivers to this host unchanged (GCP's passthrough LB keeps its
     * own address as the destination): the host's proxies, or its members, listen there too.
     */
    alsoListenOn?: string[];
}

const TEMPLATE_END = "RD_TEMPLATE_END";
const SAFE = /^[A-Za-z0-9_./:@%+=,-]*$/;

/** A bash word: bare when it is safe, else single-quoted. */
export function shellQuote(value: string): string {
    if (value !== "" && SAFE.test(value)) return value;
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

function heredoc(template: string): string {
    if (template.split("\n").includes(TEMPLATE_END)) throw new Error(`a template contains the line ${TEMPLATE_END}`);
    return `<<'${TEMPLATE_END}'\n${template.replace(/\n$/, "")}\n${TEMPLATE_END}`;
}

function indent(text: string, by = "    "): string {
    return text.split("\n").map((l) => (l === "" ? l : by + l)).join("\n");
}

/** The config templates of a VM's nodes, rendered by the shared renderers with placeholder credentials. */
export function nodeTemplates(input: Pick<BootScriptInput, "plan" | "placed" | "allMembers" | "alsoListenOn">): { kind: "redis" | "sentinel" | "haproxy"; name: string; address: string; port: number; template: string; replicaOf?: string }[] {
    const { plan, placed, allMembers, alsoListenOn } = input;
    const { args } = plan;
    const credentials = PLACEHOLDER_CREDENTIALS;
    const address = (name: string) => {
        const a = placed.nodeAddresses[name];
        if (!a) throw new Error(`no address for node ${name} on host ${placed.host.name}`);
        return a;
    };
    const dataDir = (name: string) => `${ROOT_TOKEN}${VM_PATHS.data}/${name}`;
    const out: ReturnType<typeof nodeTemplates> = [];
    for (const m of placed.host.members) {
        const member: AddressedMember = { ...m, address: address(m.name) };
        let replicaOf: string | undefined;
        if (args.mode !== "cluster" && m.role === "replica") {
            // Until the bootstrap has run, a new replica follows the planned master instead of
            // being an empty master that a proxy could send writes to.
            const master = allMembers.find((o) => o.shard === m.shard && o.role === "master");
            if (master) replicaOf = `${master.address} ${master.port}`;
        }
        out.push({ kind: "redis", name: m.name, address: member.address, port: m.port, replicaOf, template: renderRedisConf({ args, member, credentials, dataDir: dataDir(m.name), alsoListenOn }) });
    }
    for (const s of placed.host.sentinels) {
        const sentinel: AddressedNode = { ...s, address: address(s.name) };
        out.push({ kind: "sentinel", name: s.name, address: sentinel.address, port: s.port, template: renderSentinelConf({ args, sentinel, credentials, dataDir: dataDir(s.name) }) });
    }
    for (const p of placed.host.proxies) {
        const proxy = { ...p, address: address(p.name) };
        out.push({ kind: "haproxy", name: p.name, address: proxy.address, port: p.port, template: renderHaproxyCfg({ proxy, members: allMembers, credentials, alsoListenOn }) });
    }
    return out;
}

/** Renders the boot script of one VM. */
export function renderBootScript(input: BootScriptInput): string {
    const { plan, placed, hooks } = input;
    const { args } = plan;
    const host = placed.host;
    const nodes = nodeTemplates(input);
    const secrets = secretsUsed(nodes.map((n) => n.template));
    const unreferenced = secrets.filter((k) => !input.secretRefs[k]);
    if (unreferenced.length > 0) throw new Error(`host ${host.name}: the configs use the ${unreferenced.join(", ")} secret(s), which have no entry in ${hooks.secretStore}`);
    const hashes = placeholderHashes();
    const q = shellQuote;

    const packages = [...new Set([
        ...(host.members.length > 0 ? ["redis-server"] : []),
        ...(host.sentinels.length > 0 ? ["redis-sentinel"] : []),
        ...(host.proxies.length > 0 ? ["haproxy"] : []),
        ...hooks.packages,
    ])];
    // Without persistence a member that restarts comes back empty. Members restart on their own
    // only when they keep their data; with persistence off a stopped master is left stopped in
    // replication mode (no failover would replace it, and an empty master wipes its replicas).
    const persistent = args.persistence.aof || args.persistence.rdb;
    const guardEmptyMaster = args.mode === "replication" && !persistent && plan.members.length > 1;

    const assoc = (name: string, values: Partial<Record<SecretKey, string>>) =>
        `declare -A ${name}=(${SECRET_KEYS.filter((k) => values[k] !== undefined).map((k) => `[${k}]=${q(values[k]!)}`).join(" ")})`;

    const steps: string[] = [];
    const addresses = nodes.map((n) => q(n.address)).join(" ");
    if (hooks.addAddresses) steps.push(`rd_addresses ${addresses}`);
    // A load balancer's address is the cloud's to route; the nodes only bind it, once it is local.
    if (hooks.awaitAddresses) steps.push(`rd_await_addresses ${[addresses, ...(input.alsoListenOn ?? []).map(q)].join(" ")}`);
    steps.push(`rd_packages ${packages.map(q).join(" ")}`, "rd_distribution_services_off");
    if (secrets.length > 0) steps.push(`rd_secrets ${secrets.join(" ")}`);
    for (const n of nodes) {
        if (n.kind === "redis") {
            const devices = input.disks[n.name];
            if (!devices || devices.length === 0) throw new Error(`no data disk devices for member ${n.name}`);
            steps.push(`rd_disk ${q(n.name)} ${devices.map(q).join(" ")}`);
            steps.push(`rd_redis ${q(n.name)} ${q(n.replicaOf ?? "")} ${heredoc(n.template)}`);
        } else if (n.kind === "sentinel") {
            steps.push(`rd_sentinel ${q(n.name)} ${heredoc(n.template)}`);
        } else {
            steps.push(`rd_haproxy ${q(n.name)} ${heredoc(n.template)}`);
        }
    }

    const script = `#!/bin/bash
# redis-deployment boot script: host ${host.name} of deployment ${args.name} (${hooks.cloud}, zone ${host.zone}).
# Runs as root at the first boot (user data) and at every later boot (${hooks.runByCloudAtEveryBoot ? `by the ${hooks.cloud} guest agent` : VM_PATHS.bootUnit}).
# It holds no password: the secrets are read from ${hooks.secretStore} at boot and put into the
# configs in place of placeholders (and their SHA-256 hashes, for the ACL lines).
# RD_ROOT prefixes every path the script writes (tests run it into a temporary directory).
set -euo pipefail
umask 077

RD_ROOT=\${RD_ROOT:-}
RD_DISK_TIMEOUT=\${RD_DISK_TIMEOUT:-900}
RD_SECRET_ATTEMPTS=\${RD_SECRET_ATTEMPTS:-${hooks.secretAttempts ?? 30}}
RD_ADDRESS_TIMEOUT=\${RD_ADDRESS_TIMEOUT:-300}
readonly RD_DEPLOYMENT=${q(args.name)}
readonly RD_HOST=${q(host.name)}
readonly RD_DATA=${q(VM_PATHS.data)}
readonly RD_ETC=${q(VM_PATHS.etc)}
readonly RD_SELF=${q(VM_PATHS.self)}
readonly RD_ROOT_TOKEN=${q(ROOT_TOKEN)}
readonly RD_BOOT_UNIT=${q(VM_PATHS.bootUnit)}
readonly RD_MEMBER_RESTART=${persistent ? "always" : "no"}
readonly RD_GUARD_EMPTY_MASTER=${guardEmptyMaster ? 1 : 0}
${assoc("RD_SECRET_REF", input.secretRefs)}
${assoc("RD_PLACEHOLDER", PLACEHOLDER_CREDENTIALS)}
${assoc("RD_PLACEHOLDER_SHA256", hashes)}
declare -A RD_SECRET=()
RD_UNITS=()

rd_log() { printf 'redis-deployment[%s]: %s\\n' "$RD_HOST" "$*" >&2; }
rd_fail() { rd_log "error: $*"; exit 1; }

# rd_retry ATTEMPTS DELAY COMMAND...: runs COMMAND until it succeeds, at most ATTEMPTS times.
rd_retry() {
    local attempts=$1 delay=$2 i
    shift 2
    for ((i = 1; i <= attempts; i++)); do
        if "$@"; then return 0; fi
        if ((i < attempts)); then sleep "$delay"; fi
    done
    return 1
}

# --- ${hooks.cloud} hooks -------------------------------------------------------------------
# rd_cloud_secret REF: prints the secret stored under REF.
rd_cloud_secret() {
${indent(hooks.secretFunction.trim())}
}
${hooks.userDataFunction ? `
# rd_cloud_user_data: prints this VM's current user data.
rd_cloud_user_data() {
${indent(hooks.userDataFunction.trim())}
}
` : ""}
# --- steps -----------------------------------------------------------------------------------

# At later boots: when the VM's user data changed (a configuration change), install it and run it instead.
rd_refresh() {
    declare -F rd_cloud_user_data >/dev/null || return 0
    local raw new
    raw=$(mktemp)
    new=$(mktemp)
    if ! rd_retry 5 3 rd_save_user_data "$raw"; then
        rd_log "could not read the current user data; running the installed boot script"
        rm -f "$raw" "$new"
        return 0
    fi
    if gzip -t "$raw" 2>/dev/null; then gzip -dc "$raw" >"$new"; else cp "$raw" "$new"; fi
    rm -f "$raw"
    if grep -qxF "readonly RD_HOST=$RD_HOST" "$new" && ! cmp -s "$new" "$RD_ROOT$RD_SELF"; then
        rd_log "the user data changed: installing and running it"
        install -m 0700 "$new" "$RD_ROOT$RD_SELF"
        rm -f "$new"
        exec bash "$RD_ROOT$RD_SELF" --refreshed
    fi
    rm -f "$new"
}
rd_save_user_data() { rd_cloud_user_data >"$1"; }

# Redis' kernel recommendations: a listen backlog above Redis' tcp-backlog 511, and overcommit
# so a fork for persistence never fails.
rd_sysctl() {
    local file="$RD_ROOT/etc/sysctl.d/60-redis-deployment.conf"
    mkdir -p "\${file%/*}"
    cat >"$file" <<'EOF'
# redis-deployment: kernel settings for Redis.
net.core.somaxconn = 1024
net.ipv4.tcp_max_syn_backlog = 1024
vm.overcommit_memory = 1
EOF
    chmod 0644 "$file"
    sysctl -q -p "$file"
}

# Transparent huge pages make forks slow and latency spiky: off (again at every boot).
rd_thp() {
    local f
    for f in enabled defrag; do
        f="$RD_ROOT/sys/kernel/mm/transparent_hugepage/$f"
        if [[ -w $f ]]; then echo never >"$f"; fi
    done
}

# rd_addresses ADDRESS...: adds each node address to the interface of the default route.
rd_addresses() {
    local dev='' address current i
    for ((i = 0; i < 60; i++)); do
        dev=$(ip -o -4 route show to default | awk 'NR == 1 { print $5 }')
        if [[ -n $dev ]]; then break; fi
        sleep 2
    done
    [[ -n $dev ]] || rd_fail "no default route: can not tell which interface carries the node addresses"
    for address in "$@"; do
        # Read first, then match: grep -q closing a pipe early could fail the pipeline.
        current=$(ip -o -4 addr show dev "$dev")
        if [[ $current != *" $address/"* ]]; then
            ip addr add "$address/32" dev "$dev"
            rd_log "added $address/32 to $dev"
        fi
    done
}

# rd_await_addresses ADDRESS...: waits until each node address is local to this VM (the cloud's
# guest agent routes them to it some time after boot); a node can bind its address then.
rd_await_addresses() {
    local address waited
    for address in "$@"; do
        for ((waited = 0; ; waited += 2)); do
            if [[ $(ip -4 -o route get "$address" 2>/dev/null) == "local $address "* ]]; then break; fi
            ((waited < RD_ADDRESS_TIMEOUT)) || rd_fail "$address did not become local to this VM within $RD_ADDRESS_TIMEOUT s (is it on the VM's network interface?)"
            sleep 2
        done
    done
}

# rd_packages PACKAGE...: installs what is missing, without starting the packages' own services.
rd_packages() {
    local missing=() p policy="$RD_ROOT/usr/sbin/policy-rc.d"
    for p in "$@"; do
        # shellcheck disable=SC2016 # \${Status} is dpkg-query's field, not a shell variable
        if ! dpkg-query -W -f '\${Status}\\n' "$p" 2>/dev/null | grep -qx 'install ok installed'; then missing+=("$p"); fi
    done
    if ((\${#missing[@]} == 0)); then return 0; fi
    rd_log "installing \${missing[*]}"
    mkdir -p "\${policy%/*}"
    printf '#!/bin/sh\\nexit 101\\n' >"$policy"
    chmod 0755 "$policy"
    export DEBIAN_FRONTEND=noninteractive
    if ! rd_retry 10 6 apt-get -q update || ! rd_retry 5 6 apt-get -q install -y --no-install-recommends "\${missing[@]}"; then
        rm -f "$policy"
        rd_fail "could not install \${missing[*]}"
    fi
    rm -f "$policy"
}

# The distribution's default instances (redis-server on 127.0.0.1:6379, ...) stay off.
rd_distribution_services_off() {
    local unit
    for unit in redis-server.service redis-sentinel.service haproxy.service; do
        systemctl mask --now "$unit" >/dev/null 2>&1 || true
    done
}

# rd_secrets KEY...: reads each secret from the secret store (retrying: the VM's permissions
# can take a moment to apply). Values are checked like the deployment's arguments.
rd_secrets() {
    local key value
    for key in "$@"; do
        if ! value=$(rd_retry "$RD_SECRET_ATTEMPTS" 5 rd_cloud_secret "\${RD_SECRET_REF[$key]}"); then
            rd_fail "could not read the $key secret \${RD_SECRET_REF[$key]} from ${hooks.secretStore}"
        fi
        case $value in
            '' | *[[:space:]\\"\\'\\\\]*) rd_fail "the $key secret \${RD_SECRET_REF[$key]} is empty or holds whitespace, quotes or backslashes" ;;
        esac
        RD_SECRET[$key]=$value
    done
}

rd_sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# rd_render DEST OWNER MODE [LINE...] < TEMPLATE: writes the template with the root, the secrets
# and their hashes substituted, plus LINEs, replacing DEST atomically.
rd_render() {
    local dest=$1 owner=$2 mode=$3 text key
    shift 3
    text=$(cat)
    text=\${text//"$RD_ROOT_TOKEN"/"$RD_ROOT"}
    for key in "\${!RD_SECRET[@]}"; do
        text=\${text//"\${RD_PLACEHOLDER_SHA256[$key]}"/"$(rd_sha256 "\${RD_SECRET[$key]}")"}
        text=\${text//"\${RD_PLACEHOLDER[$key]}"/"\${RD_SECRET[$key]}"}
    done
    for key in "\${!RD_PLACEHOLDER_SHA256[@]}"; do
        if [[ $text == *"\${RD_PLACEHOLDER_SHA256[$key]}"* ]]; then rd_fail "$dest: the $key secret was not read"; fi
    done
    if [[ $text == *@@RD_* ]]; then rd_fail "$dest: a placeholder was left unsubstituted"; fi
    mkdir -p "\${dest%/*}"
    {
        printf '%s\\n' "$text"
        if (($# > 0)); then printf '%s\\n' "$@"; fi
    } >"$dest.rd-new"
    chmod "$mode" "$dest.rd-new"
    chown "$owner" "$dest.rd-new"
    mv -f "$dest.rd-new" "$dest"
}

# rd_unit NAME DESCRIPTION USER RESTART TYPE COMMAND...: one systemd unit per node. Units are
# started by this script (after the disks, addresses and configs), not enabled on their own.
rd_unit() {
    local name=$1 description=$2 user=$3 restart=$4 type=$5 file
    shift 5
    file="$RD_ROOT/etc/systemd/system/redis-deployment-$name.service"
    mkdir -p "\${file%/*}"
    cat >"$file" <<EOF
[Unit]
Description=redis-deployment: $description
After=network-online.target
Wants=network-online.target

[Service]
Type=$type
User=$user
Group=$user
ExecStart=$*
Restart=$restart
RestartSec=5
LimitNOFILE=65536
TimeoutStopSec=300
EOF
    chmod 0644 "$file"
}
# rd_disk MEMBER DEVICE...: waits for the member's data disk (attached after the VM starts),
# formats it only when it holds no filesystem at all, mounts it and grows the filesystem.
rd_disk() {
    local name=$1 mnt="$RD_ROOT$RD_DATA/$1" device='' candidate waited status fstype
    shift
    for ((waited = 0; waited <= RD_DISK_TIMEOUT; waited += 2)); do
        for candidate in "$@"; do
            if [[ -e $RD_ROOT$candidate ]]; then
                device=$(readlink -f "$RD_ROOT$candidate")
                break 2
            fi
        done
        sleep 2
    done
    [[ -n $device ]] || rd_fail "the data disk of $name did not appear within $RD_DISK_TIMEOUT s (looked for $*)"
    status=0
    fstype=$(blkid -p -s TYPE -o value "$device") || status=$?
    if ((status == 2)); then
        rd_log "formatting the empty data disk of $name ($device)"
        mkfs.ext4 -q -m 0 -L rd-data "$device"
    elif ((status != 0)); then
        rd_fail "blkid could not read $device (status $status); not formatting the data disk of $name"
    elif [[ $fstype != ext4 ]]; then
        rd_fail "$device (data disk of $name) holds '$fstype', not an ext4 filesystem; leaving it alone"
    fi
    mkdir -p "$mnt"
    if ! mountpoint -q "$mnt"; then mount -t ext4 -o noatime "$device" "$mnt"; fi
    resize2fs "$device" >/dev/null 2>&1 || rd_log "could not grow the filesystem on $device; keeping its size"
    chown redis:redis "$mnt"
    chmod 0750 "$mnt"
}

# rd_redis MEMBER INITIAL_REPLICAOF < TEMPLATE: redis.conf on the member's disk, and its unit.
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
}

# Installs this script and ${VM_PATHS.bootUnit}, which runs it at every later boot.
rd_install_self() {
    local self="$RD_ROOT$RD_SELF" unit="$RD_ROOT/etc/systemd/system/$RD_BOOT_UNIT"
    mkdir -p "\${self%/*}" "\${unit%/*}"
    if ! cmp -s "\${BASH_SOURCE[0]}" "$self"; then install -m 0700 "\${BASH_SOURCE[0]}" "$self"; fi
    cat >"$unit" <<EOF
[Unit]
Description=redis-deployment: prepare this host and start its Redis nodes
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
TimeoutStartSec=30min
ExecStart=/bin/bash $RD_SELF --refresh

[Install]
WantedBy=multi-user.target
EOF
    chmod 0644 "$unit"
    systemctl enable "$RD_BOOT_UNIT" >/dev/null 2>&1 || rd_log "could not enable $RD_BOOT_UNIT"
}

rd_start_units() {
    local name
    systemctl daemon-reload
    for name in "\${RD_UNITS[@]}"; do
        systemctl start "redis-deployment-$name.service"
        rd_log "started $name"
    done
}

rd_main() {
    if [[ \${1:-} == --refresh ]]; then rd_refresh; fi
    rd_log "preparing host $RD_HOST of $RD_DEPLOYMENT"
    rd_sysctl
    rd_thp
${steps.map((s) => `    ${s}`).join("\n")}
${hooks.runByCloudAtEveryBoot ? "" : "    rd_install_self\n"}    rd_start_units
    rd_log "host $RD_HOST is ready"
}

rd_main "$@"
`;
    return script;
}

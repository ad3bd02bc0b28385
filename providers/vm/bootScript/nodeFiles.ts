// How a node's files are written: its config from the template, with the root, the secrets and
// their hashes substituted (atomically), and its systemd unit.
import type { BootSection } from "./types";

export const nodeFilesSection: BootSection = {
    name: "node files",
    functions: () => `rd_sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

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
}`,
};

// The script installs itself and a boot unit that runs it at every later boot, unless the
// cloud's agent runs the VM's current script at every boot anyway.
import { VM_PATHS, type BootSection } from "./types";

export const selfInstallSection: BootSection = {
    name: "self install",
    functions: () => `# Installs this script and ${VM_PATHS.bootUnit}, which runs it at every later boot.
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
}`,
    finish: (ctx) => (ctx.hooks.runByCloudAtEveryBoot ? [] : ["rd_install_self"]),
};

// Kernel settings Redis recommends (sysctls) and transparent huge pages off, at every boot.
import type { BootSection } from "./types";

export const systemTuningSection: BootSection = {
    name: "system tuning",
    functions: () => `# Redis' kernel recommendations: a listen backlog above Redis' tcp-backlog 511, and overcommit
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
}`,
    steps: () => ["rd_sysctl", "rd_thp"],
};

// Starts the units of the nodes set up (after disks, addresses and configs are in place).
import type { BootSection } from "./types";

export const startUnitsSection: BootSection = {
    name: "start units",
    functions: () => `rd_start_units() {
    local name
    systemctl daemon-reload
    for name in "\${RD_UNITS[@]}"; do
        systemctl start "redis-deployment-$name.service"
        rd_log "started $name"
    done
}`,
    finish: () => ["rd_start_units"],
};

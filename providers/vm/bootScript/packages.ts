// Distribution packages: the programs of the host's nodes and what the cloud hooks need, plus
// any other section's; installed without starting the packages' own services, which stay off.
import { shellQuote as q } from "./shell";
import type { BootSection } from "./types";

export const packagesSection: BootSection = {
    name: "packages",
    packages: (ctx) => [
        ...(ctx.placed.host.members.length > 0 ? ["redis-server"] : []),
        ...(ctx.placed.host.sentinels.length > 0 ? ["redis-sentinel"] : []),
        ...(ctx.placed.host.proxies.length > 0 ? ["haproxy"] : []),
        ...ctx.hooks.packages,
    ],
    functions: () => `# rd_packages PACKAGE...: installs what is missing, without starting the packages' own services.
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
}`,
    steps: (ctx) => [`rd_packages ${ctx.packages.map(q).join(" ")}`, "rd_distribution_services_off"],
};

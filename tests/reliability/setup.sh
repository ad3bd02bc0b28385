#!/usr/bin/env bash
# What the reliability suite needs beyond `bin/setup`: strace (scenario 4 traces the AOF fsyncs)
# and iproute2 (scenario 5 builds network namespaces; it also needs root). Installs them with
# apt-get when missing.
set -euo pipefail
missing=()
command -v strace >/dev/null || missing+=(strace)
command -v ip >/dev/null || missing+=(iproute2)
if ((${#missing[@]} > 0)); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "reliability: installing ${missing[*]} from Debian's packages" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
    echo "reliability: scenario 5 creates network namespaces and needs root (it fails with a clear message otherwise)" >&2
fi

#!/usr/bin/env bash
# The bench renders its chart as SVG and converts it to PNG with rsvg-convert (Debian's
# librsvg2-bin). Installs it when missing; without it (no apt-get, no network) the bench still
# writes chart.svg and says so.
set -uo pipefail
command -v rsvg-convert >/dev/null && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "bench: installing librsvg2-bin (rsvg-convert) for the chart PNG" >&2
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends librsvg2-bin >/dev/null; }; then
    echo "bench: could not install librsvg2-bin; the chart will be SVG only" >&2
fi
exit 0

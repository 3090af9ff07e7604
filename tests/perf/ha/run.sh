#!/usr/bin/env bash
# HA kill benchmark: two of our nodes on one PostgreSQL, then Kea 2's load-balancing HA pair (libdhcp_ha.so, memfile,
# the hook's default failure detection), each behind one relay that forwards to both, under the same perfdhcp load;
# the first server of each pair is SIGKILLed part way. Everything runs in network namespaces the run creates.
#
#   tests/perf/ha/run.sh [--seconds 60] [--kill-at 10] [--rate 100] [--renew-rate 20]
#
# Needs root, perfdhcp and kea-dhcp4 (kea-admin, kea-dhcp4-server), tcpdump and PostgreSQL's server binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "ha bench: needs root (network namespaces, port 67)" >&2; exit 1; }
dotnet build "$root/tests/perf/RebarProvision.Ha.Perf" -c Release -nologo -v q >/dev/null
exec dotnet "$root/tests/perf/RebarProvision.Ha.Perf/bin/Release/net10.0/RebarProvision.Ha.Perf.dll" "$@"

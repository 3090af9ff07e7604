#!/usr/bin/env bash
# DHCP benchmark: our DhcpService on the embedded SQLite store against Kea 2.x with memfile, same rig, same run.
#
#   tests/perf/dhcp/run.sh [--rates "1000 2000 4000 6000"] [--seconds 10]
#
# Uses /work/shared/rig/perf/dhcp-rate.sh (override with RIG_DHCP_RATE): perfdhcp relays from namespace perfcli to
# the server in perfsrv. Needs root. Prints the rig's lines, then one table: offered rate, completed 4-way
# exchanges per second, drops and mean REQUEST-ACK delay, ours and Kea's side by side.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
rig=${RIG_DHCP_RATE:-/work/shared/rig/perf/dhcp-rate.sh}
rates="1000 2000 4000 6000" seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) rates=$2; shift 2 ;; --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--rates \"1000 2000\"] [--seconds 10]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "dhcp bench: needs root (network namespaces, port 67)" >&2; exit 1; }
dotnet build "$root/tests/perf/RebarProvision.Dhcp.Perf" -c Release -nologo -v q >/dev/null
host="$root/tests/perf/RebarProvision.Dhcp.Perf/bin/Release/net10.0/RebarProvision.Dhcp.Perf"
out=$(mktemp -d /tmp/dhcp-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT

RIG_SERVER_WARMUP=${RIG_SERVER_WARMUP:-3} "$rig" --rates "$rates" --seconds "$seconds" -- "$host" | tee "$out/ours"
"$rig" --peer kea-memfile --rates "$rates" --seconds "$seconds" | tee "$out/kea"

echo
printf '%-22s %8s %10s %14s %13s %12s\n' server offered 'dora/s' 'discover drop' 'request drop' 'ack delay'
for who in ours kea; do
  label=$([ $who = ours ] && echo "rebar (sqlite)" || echo "kea 2 (memfile)")
  sed -n 's/.* offered=\([^ ]*\) dora=\([^ ]*\) discover_drop=\([^ ]*\) request_drop=\([^ ]*\) ack_delay=\(.*\)/\1 \2 \3 \4 \5/p' "$out/$who" |
    while read -r offered dora ddrop rdrop delay; do
      printf '%-22s %8s %10s %14s %13s %12s\n' "$label" "$offered" "$dora" "$ddrop" "$rdrop" "$delay"
    done
done

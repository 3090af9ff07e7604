#!/usr/bin/env bash
# DHCP benchmark: our DhcpService against Kea 2.x with the same class of lease backend, same rig, same run.
#
#   tests/perf/dhcp/run.sh [--store sqlite|postgres] [--rates "1000 2000 4000 6000"] [--seconds 10] [--repeat 1]
#
#   sqlite:   ours on the embedded SQLite store      vs  --peer kea-memfile
#   postgres: ours on the machine's PostgreSQL        vs  --peer kea-postgres (the same cluster, Unix socket)
#
# Uses /work/shared/rig/perf/dhcp-rate.sh (override with RIG_DHCP_RATE): perfdhcp relays from namespace perfcli to
# the server in perfsrv. Needs root. For postgres it starts Debian's cluster if it is down (and stops it again
# afterwards), and gives us a role and database of our own beside the rig's kea ones; every rate starts on an
# empty lease table for both servers. Ours and Kea alternate per rate and repeat. Prints the rig's lines, then one
# table: offered rate, completed 4-way exchanges per second, drops and mean REQUEST-ACK delay of the median run
# (by exchanges) of each server at each rate.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
rig=${RIG_DHCP_RATE:-$root/../shared/rig/perf/dhcp-rate.sh}
rates="1000 2000 4000 6000" seconds=10 store=sqlite repeat=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) rates=$2; shift 2 ;; --seconds) seconds=$2; shift 2 ;; --store) store=$2; shift 2 ;; --repeat) repeat=$2; shift 2 ;;
    *) echo "usage: $0 [--store sqlite|postgres] [--rates \"1000 2000\"] [--seconds 10] [--repeat 1]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "dhcp bench: needs root (network namespaces, port 67)" >&2; exit 1; }
[ -x "$rig" ] || [ -f "$rig" ] || { echo "dhcp bench: rig not found at $rig (set RIG_DHCP_RATE)" >&2; exit 1; }
dotnet build "$root/tests/perf/RebarProvision.Dhcp.Perf" -c Release -nologo -v q >/dev/null
host="$root/tests/perf/RebarProvision.Dhcp.Perf/bin/Release/net10.0/RebarProvision.Dhcp.Perf"
out=$(mktemp -d /tmp/dhcp-bench.XXXXXX)
started_pg=""
cleanup() {
  rm -rf "$out"
  [ -n "$started_pg" ] && pg_ctlcluster "$started_pg" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

case "$store" in
  sqlite)
    peer=kea-memfile ours_label="rebar (sqlite)" peer_label="kea 2 (memfile)"
    server=("$host") ;;
  postgres)
    peer=kea-postgres ours_label="rebar (postgres)" peer_label="kea 2 (postgresql)"
    cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1 "/" $2}')
    [ -n "$cluster" ] || { echo "dhcp bench: no Debian PostgreSQL cluster (apt-get install postgresql)" >&2; exit 1; }
    if pg_lsclusters -h | awk 'NR==1 {exit $4 == "online" ? 0 : 1}'; then :; else
      pg_ctlcluster "$cluster" start; started_pg=$cluster
    fi
    su postgres -c "psql -qtc \"SELECT 1 FROM pg_roles WHERE rolname='rebar_perf'\"" | grep -q 1 ||
      su postgres -c "psql -qc \"CREATE USER rebar_perf WITH PASSWORD 'rebar_perf'\"" >/dev/null
    su postgres -c "psql -qtc \"SELECT 1 FROM pg_database WHERE datname='rebar_perf'\"" | grep -q 1 ||
      su postgres -c "psql -qc 'CREATE DATABASE rebar_perf OWNER rebar_perf'" >/dev/null
    hba=$(su postgres -c "psql -qtAc 'SHOW hba_file'")
    grep -q '^local rebar_perf rebar_perf' "$hba" || { sed -i '1i local rebar_perf rebar_perf scram-sha-256' "$hba"; su postgres -c "psql -qc 'SELECT pg_reload_conf()'" >/dev/null; }
    export DHCP_PERF_STORE=postgres
    export DHCP_PERF_POSTGRES="Host=/var/run/postgresql;Username=rebar_perf;Password=rebar_perf;Database=rebar_perf"
    export DHCP_PERF_FRESH=1
    server=("$host") ;;
  *) echo "dhcp bench: --store sqlite or postgres" >&2; exit 2 ;;
esac

# Ours and Kea take turns at each rate (and each repeat), so both meet the same moment of a shared, noisy machine.
for r in $rates; do
  for _ in $(seq "$repeat"); do
    RIG_SERVER_WARMUP=${RIG_SERVER_WARMUP:-3} "$rig" --rates "$r" --seconds "$seconds" -- "${server[@]}" | tee -a "$out/ours"
    "$rig" --peer "$peer" --rates "$r" --seconds "$seconds" | tee -a "$out/peer"
  done
done

# One row per server and rate: the median run by completed exchanges, with its drops and delay.
echo
printf '%-22s %8s %7s %10s %14s %13s %12s\n' server offered runs 'dora/s' 'discover drop' 'request drop' 'ack delay'
for who in ours peer; do
  label=$([ $who = ours ] && echo "$ours_label" || echo "$peer_label")
  for r in $rates; do
    runs=$(sed -n "s/.* offered=$r\/s dora=\([^ ]*\)\/s discover_drop=\([^ ]*\) request_drop=\([^ ]*\) ack_delay=\(.*\)/\1 \2 \3 \4/p" "$out/$who" | sort -n)
    count=$(printf '%s\n' "$runs" | grep -c . || true)
    [ "$count" -gt 0 ] || { printf '%-22s %8s %7s (no run line found)\n' "$label" "$r/s" 0; continue; }
    printf '%s\n' "$runs" | awk -v n="$count" 'NR == int((n + 1) / 2)' |
      while read -r dora ddrop rdrop delay; do
        printf '%-22s %8s %7s %10s %14s %13s %12s\n' "$label" "$r/s" "$count" "$dora/s" "$ddrop" "$rdrop" "$delay"
      done
  done
done

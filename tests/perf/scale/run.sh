#!/usr/bin/env bash
# Inventory scale: our server holding 100,000 machines with bound leases, against the same server with an empty
# inventory.
#
#   tests/perf/scale/run.sh [--store sqlite|postgres] [--machines 100000] [--rate 4000] [--seconds 10] [--repeat 3] [--no-dhcp]
#
# Loads the machines through the store API (tests/perf/scale: many writes in flight, which the store batches), then
# measures: start-up to /readyz and RSS of the server; API list of 1,000 machines with a filter; the iPXE script
# render of random machines through the API; the in-process MachineByMac p99 on the server's
# ObjectCache; and the DHCP rate (perfdhcp through /work/shared/rig/perf/dhcp-rate.sh, unknown-machine policy
# "ignore") with the full and the empty inventory, taking turns. The server listens on 127.0.0.1 only; DHCP runs in
# the rig's namespaces. PostgreSQL: a private cluster (initdb in a temporary directory), as tests/run.sh, reached
# over its Unix socket (which the rig's namespace shares); each DHCP run gets a copy of the database.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
rig=${RIG_DHCP_RATE:-$root/../shared/rig/perf/dhcp-rate.sh}
store=sqlite machines=100000 rate=4000 seconds=10 repeat=3 dhcp=1
while [ $# -gt 0 ]; do
  case "$1" in
    --store) store=$2; shift 2 ;; --machines) machines=$2; shift 2 ;; --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;; --repeat) repeat=$2; shift 2 ;; --no-dhcp) dhcp=0; shift ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "scale: needs root (the DHCP rig's namespaces; postgres runs as its user)" >&2; exit 1; }
dotnet build "$root/src/RebarProvision.Server" -c Release -nologo -v q >/dev/null
dotnet build "$root/tests/perf/scale" -c Release -nologo -v q >/dev/null
server_dll="$root/src/RebarProvision.Server/bin/Release/net10.0/rebar-provision.dll"
scale="$root/tests/perf/scale/bin/Release/net10.0/scale"
work=$(mktemp -d /tmp/scale.XXXXXX)
chmod 755 "$work"
server_pid="" pgdata="" pgport=""
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; }
  [ -n "$pgdata" ] && su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $pgdata -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM

location=""
if [ "$store" = postgres ]; then
  pgdata=$(mktemp -d /tmp/scale-pg.XXXXXX); chown postgres "$pgdata"
  pgport=$(free_port)
  su postgres -s /bin/sh -c "$pg_bin/initdb -D $pgdata -A trust -U postgres --no-sync" >/dev/null
  su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $pgdata -w -l $pgdata/server.log -o \"-p $pgport -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300\" start" >/dev/null
  for db in full empty; do "$pg_bin/psql" -h "$pgdata" -p "$pgport" -U postgres -d postgres -qc "CREATE DATABASE inventory_$db"; done
fi
# The inventory's location: a data directory (SQLite) or a database of the private cluster (PostgreSQL).
location_of() { if [ "$store" = postgres ]; then echo "Host=$pgdata;Port=$pgport;Username=postgres;Database=inventory_$1"; else echo "$work/$1"; fi; }
store_args() { [ "$store" = postgres ] && echo "--store postgres --postgres $(location_of "$1")"; true; }

api_port=$(free_port) http_port=$(free_port)
api="http://127.0.0.1:$api_port/api/v1"
start_server() { # $1 = full|empty; sets server_pid and startup (seconds to /readyz)
  local t0; t0=$(date +%s.%N)
  # shellcheck disable=SC2046 # the store arguments hold no spaces
  dotnet "$server_dll" --data-dir "$work/$1" $(store_args "$1") --listen 127.0.0.1 --api-port "$api_port" --api-tls false \
    --http-port "$http_port" --tftp-port 0 --admin-password scale-admin --node scale --log-level Warning > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 12000); do curl -sf -o /dev/null "http://127.0.0.1:$api_port/readyz" && break; sleep 0.05; done
  startup=$(echo "$(date +%s.%N) - $t0" | bc)
  curl -sf -o /dev/null "http://127.0.0.1:$api_port/readyz" || { echo "scale: server not ready after 600 s"; tail "$work/server.log"; exit 1; }
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
rss() { awk -v k="$2:" '$1 == k {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# Percentiles of a column of seconds, printed in milliseconds.
pct() { sort -n | awk '{v[NR]=$1} END {printf "p50 %.1f ms, p95 %.1f ms, p99 %.1f ms (%d)", 1000*v[int(NR*0.5+0.5)], 1000*v[int(NR*0.95+0.5)], 1000*v[int(NR*0.99+0.5)], NR}'; }

mkdir -p "$work/full" "$work/empty"
location=$(location_of full)
# An empty store gets the shipped content on its first start; the machines come afterwards, through the store API.
start_server full; stop_server
"$scale" load "$store" "$location" "$machines"

start_server full
full_startup=$startup
echo "start-up with $machines machines: $startup s to /readyz, RSS $(rss "$server_pid" VmRSS) MiB"
total=$(curl -sf -u admin:scale-admin "$api/machines?bootEnv=local&limit=1000" | jq length)
for _ in $(seq 30); do curl -sf -o /dev/null -w '%{time_total}\n' -u admin:scale-admin "$api/machines?bootEnv=local&limit=1000"; done > "$work/list"
echo "API list, bootEnv=local, limit 1000 ($total returned): $(pct < "$work/list")"
# A filter only one machine passes: the whole inventory is looked at.
one="name=scale-$(printf '%06d' $((machines / 2)))"
for _ in $(seq 30); do curl -sf -o /dev/null -w '%{time_total}\n' -u admin:scale-admin "$api/machines?$one"; done > "$work/list-one"
echo "API list, $one ($(curl -sf -u admin:scale-admin "$api/machines?$one" | jq length) returned): $(pct < "$work/list-one")"
# Random machines' iPXE scripts through the API's render (read only), one curl with keep-alive. The boot port's
# copy of the same document goes only to the machine's lease address (DESIGN §9), which is not this client.
mapfile -t picks < <(shuf -i 0-$((machines - 1)) -n 300)
renders=()
for i in "${picks[@]}"; do renders+=(-o /dev/null "$api/machines/scale-$(printf '%06d' $((i + 1)))/render/ipxe"); done
curl -sf -u admin:scale-admin -w '%{time_total}\n' "${renders[@]}" > "$work/render"
echo "iPXE script through the API render (300 random machines): $(pct < "$work/render")"
echo "server RSS now $(rss "$server_pid" VmRSS) MiB, peak $(rss "$server_pid" VmHWM) MiB"
stop_server
"$scale" lookup "$store" "$location"

[ "$dhcp" = 1 ] || exit 0
[ -f "$rig" ] || { echo "scale: DHCP rig not found at $rig (set RIG_DHCP_RATE)"; exit 1; }
start_server empty; stop_server
"$scale" load "$store" "$(location_of empty)" 0 >/dev/null
# The rig restarts the server per run; each run gets a fresh copy of the data directory and of the database.
cat > "$work/serve.sh" <<S
#!/bin/sh
copy=\$(mktemp -d $work/run.XXXXXX)
cp -a "$work/\$1/." "\$copy/"
store=""
if [ "$store" = postgres ]; then
  db=\$(basename "\$copy" | tr -c 'a-zA-Z0-9\n' _ | tr A-Z a-z)
  "$pg_bin/psql" -h "$pgdata" -p "$pgport" -U postgres -d postgres -qc "CREATE DATABASE \$db TEMPLATE inventory_\$1" || exit 1
  store="--store postgres --postgres Host=$pgdata;Port=$pgport;Username=postgres;Database=\$db"
fi
exec dotnet "$server_dll" --data-dir "\$copy" \$store --dhcp-interfaces "\$RIG_IFACE" --unknown-machine-policy ignore --api-tls false \
  --tftp-port 0 --admin-password scale-admin --node scale --log-level Warning
S
chmod +x "$work/serve.sh"
# The rig waits this long before its load: the full inventory's start-up (measured above) and a margin, and on
# PostgreSQL the copy of the database.
warmup=$(printf '%.0f' "$(echo "$full_startup + 4" | bc)")
[ "$store" = postgres ] && warmup=$((warmup + 8))
for _ in $(seq "$repeat"); do
  for who in full empty; do
    RIG_SERVER_WARMUP=$warmup "$rig" --rates "$rate" --seconds "$seconds" -- "$work/serve.sh" "$who" | sed "s/^/$who: /" | tee -a "$work/dhcp"
  done
done
for who in full empty; do
  echo "DHCP $who: median of $repeat run(s) at $rate/s: $(grep "^$who:" "$work/dhcp" | sed -n 's/.*dora=\([0-9]*\)\/s.*/\1/p' | sort -n | sed -n "$(( (repeat + 1) / 2 ))p") 4-way exchanges/s"
done

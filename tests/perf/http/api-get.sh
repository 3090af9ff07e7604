#!/usr/bin/env bash
# API latency for one machine GET, embedded (SQLite) store vs PostgreSQL, measured with wrk in the same run.
#
# Exact commands (loopback only; bounded: 3 runs x 10 s per store; every process started here is stopped by pid):
#   initdb + pg_ctl start on a free port in a temp dir (as user postgres), fsync on, default synchronous_commit
#   dotnet rebar-provision.dll --store sqlite|postgres ... --api-tls false (plain HTTP: wrk measures the API, not TLS)
#   curl POST /api/v1/machines  (1,000 machines)
#   wrk -t2 -c16 -d10s --latency -H 'Authorization: Basic ...' http://127.0.0.1:$API_PORT/api/v1/machines/<uuid>
#
# Usage: tests/perf/http/api-get.sh        (RUNS=3 DURATION=10s SKIP_BUILD=1 to reuse a build)
set -euo pipefail
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
MACHINES=${MACHINES:-1000}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }

pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdata="$WORK/pg"
chmod 755 "$WORK"; mkdir -p "$pgdata" && chown postgres "$pgdata"
pg_port=$(free_port)
su postgres -s /bin/sh -c "$pg_bin/initdb -D $pgdata -A trust -U postgres" >/dev/null
su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $pgdata -w -l $pgdata/log -o '-p $pg_port -k $pgdata -c listen_addresses=127.0.0.1' start" >/dev/null
stop_pg() { su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $pgdata -m fast stop" >/dev/null 2>&1 || true; }
trap 'stop_pg; cleanup' EXIT

build_server
auth="Authorization: Basic $(printf 'admin:%s' "$ADMIN_PASSWORD" | base64)"
printf '%-10s %12s %12s %12s %14s %10s %10s\n' store run1 run2 run3 "median req/s" "p50 ms" "p99 ms"
for store in sqlite postgres; do
  SERVER_ARGS=(--store "$store")
  [ "$store" = postgres ] && SERVER_ARGS+=(--postgres "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres")
  rm -rf "$WORK/data"
  start_server
  seq 0 $((MACHINES - 1)) | xargs -P 4 -I{} sh -c 'curl -fsS -o /dev/null -u "admin:'"$ADMIN_PASSWORD"'" -H "Content-Type: application/json" --data "{\"name\":\"api-{}\"}" "'"$API"'/machines"'
  uuid=$(api GET "machines/api-500" | jq -r .uuid)
  wrk -t2 -c16 -d3s -H "$auth" "$API/machines/$uuid" >/dev/null
  rates=() p50s=() p99s=()
  for run in $(seq 1 "$RUNS"); do
    out=$(wrk -t2 -c16 -d"$DURATION" --latency -H "$auth" "$API/machines/$uuid")
    rates+=("$(awk '/Requests\/sec/ {print $2}' <<<"$out")")
    p50s+=("$(awk '$1 == "50%" {print $2}' <<<"$out" | sed 's/ms$//; s/\([0-9.]*\)us$/echo "scale=3; \1\/1000" | bc/e')")
    p99s+=("$(awk '$1 == "99%" {print $2}' <<<"$out" | sed 's/ms$//; s/\([0-9.]*\)us$/echo "scale=3; \1\/1000" | bc/e')")
  done
  printf '%-10s %12s %12s %12s %14s %10s %10s\n' "$store" "${rates[@]}" \
    "$(printf '%s\n' "${rates[@]}" | median)" "$(printf '%s\n' "${p50s[@]}" | median)" "$(printf '%s\n' "${p99s[@]}" | median)"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
done
echo "(2 cores shared by server, wrk and PostgreSQL; load average $(cut -d' ' -f1-3 /proc/loadavg))"

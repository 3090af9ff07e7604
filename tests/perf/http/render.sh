#!/usr/bin/env bash
# Rendered per-machine files per second from the real server (DESIGN §12 target: at least 10,000/s on 2 cores).
#
# Exact commands (loopback only; bounded: a 10 s warm-up and 3 runs x 10 s per path; every process started here is stopped by pid):
#   dotnet build -c Release src/RebarProvision.Server
#   REBAR_ADMIN_PASSWORD=bench-admin dotnet src/RebarProvision.Server/bin/Release/net10.0/rebar-provision.dll \
#       --data-dir $WORK/data --api-tls false --tftp-port 0 --listen 127.0.0.1 --http-port $HTTP_PORT --api-port $API_PORT
#   curl -u admin:bench-admin -X PUT $API/profiles/global --data '{"name":"global","params":{"ssh-authorized-keys":["ssh-ed25519 AAAA… bench"]}}'
#   curl -u admin:bench-admin -X POST $API/machines --data '{"name":"bench-N","hardwareAddrs":["02:00:00:00:HH:LL"],"bootEnv":"fedora-coreos"}'   (x $MACHINES)
#   curl -u admin:bench-admin $API/machines/<uuid>/render/ipxe    (x $MACHINES: each machine's env.machine_url, with its boot secret)
#   wrk -t2 -c64 -d10s -s tests/perf/http/rotate.lua http://127.0.0.1:$HTTP_PORT -- $WORK/ignition.txt   (paths /machines/<uuid>/<secret>/ignition.json)
#
# Boot-loader documents (/boot/<mac>.ipxe) go only to the address of the MAC's bound lease, and this benchmark
# speaks from one loopback address without leases, so it measures per-machine files through the URL a machine
# is handed (env.machine_url, with its boot secret). Both paths share the renderer and its cache.
#
# Usage: tests/perf/http/render.sh            (MACHINES=1000 RUNS=3 DURATION=10s SKIP_BUILD=1 to reuse a build)
set -euo pipefail
source "$(dirname "$0")/common.sh"
MACHINES=${MACHINES:-1000}
RUNS=${RUNS:-3}

build_server
start_server

api PUT profiles/global '{"name":"global","params":{"ssh-authorized-keys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench bench@rebar"]}}' >/dev/null
seq 0 $((MACHINES - 1)) | xargs -P 4 -I{} sh -c '
  n={}; mac=$(printf "02:00:00:00:%02x:%02x" $((n / 256)) $((n % 256)))
  curl -fsS -o /dev/null -u "admin:'"$ADMIN_PASSWORD"'" -H "Content-Type: application/json" \
    --data "{\"name\":\"bench-$n\",\"hardwareAddrs\":[\"$mac\"],\"bootEnv\":\"fedora-coreos\"}" "'"$API"'/machines"'
api GET "machines?limit=10000" >"$WORK/machines.json"
# The admin's render of each iPXE script carries the machine's secret URL (ignition.config.url=<machine_url>/ignition.json).
jq -r '.[].uuid' "$WORK/machines.json" | xargs -P 4 -I{} sh -c '
  curl -fsS -u "admin:'"$ADMIN_PASSWORD"'" "'"$API"'/machines/{}/render/ipxe" | grep -o "ignition.config.url=[^ ]*" | head -1 | sed "s#^ignition.config.url=http://[^/]*##"' >"$WORK/ignition.txt"
[[ $(wc -l <"$WORK/ignition.txt") -eq $MACHINES ]] || { echo "expected $MACHINES machines" >&2; exit 1; }
# One look at a rendered file, so a benchmark of errors cannot pass for one of renders.
curl -fsS "http://127.0.0.1:$HTTP_PORT$(head -1 "$WORK/ignition.txt")" | jq -e '.ignition.version' >/dev/null

printf '%-36s %12s %12s %12s %12s\n' "path ($MACHINES machines, wrk -t2 -c64)" run1 run2 run3 "median req/s"
# Warm-up, not counted: tiered JIT reaching tier 1, and the first render of each machine's file (later ones come from the render cache).
DURATION=10s wrk_rps "http://127.0.0.1:$HTTP_PORT" "$WORK/ignition.txt" >/dev/null
results=()
for _ in $(seq 1 "$RUNS"); do
  results+=("$(wrk_rps "http://127.0.0.1:$HTTP_PORT" "$WORK/ignition.txt")")
done
printf '%-36s %12s %12s %12s %12s\n' "/machines/<uuid>/<secret>/ignition.json" "${results[@]:0:3}" "$(printf '%s\n' "${results[@]}" | median)"
echo "target: >= 10000 req/s for rendered files on 2 cores ($(nproc) cores here; load average $(cut -d' ' -f1-3 /proc/loadavg))"

# Shared by the HTTP benchmarks: build and start the real server on loopback, stop it on exit, take medians.
# Sourced, not run. Every process started here is remembered by pid and stopped by pid.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
SERVER_DLL=${SERVER_DLL:-$REPO/src/RebarProvision.Server/bin/Release/net10.0/rebar-provision.dll}
WORK=$(mktemp -d /tmp/rebar-perf-http.XXXXXX)
PIDS=()
ADMIN_PASSWORD=bench-admin
SERVER_ARGS=()

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

build_server() {
  if [[ -z "${SKIP_BUILD:-}" ]]; then
    dotnet build -c Release "$REPO/src/RebarProvision.Server" -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
  fi
}

# start_server: sets HTTP_PORT, API_PORT, API; the server loads the shipped content into its empty store.
start_server() {
  HTTP_PORT=$(free_port)
  API_PORT=$(free_port)
  API="http://127.0.0.1:$API_PORT/api/v1"
  mkdir -p "$WORK/data"
  REBAR_ADMIN_PASSWORD=$ADMIN_PASSWORD REBAR_LOG_LEVEL=Warning \
    dotnet "$SERVER_DLL" --data-dir "$WORK/data" --api-tls false --tftp-port 0 --listen 127.0.0.1 \
      --http-port "$HTTP_PORT" --api-port "$API_PORT" "${SERVER_ARGS[@]}" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "server did not become ready in 60 s:" >&2
  cat "$WORK/server.log" >&2
  exit 1
}

api() { # api METHOD PATH [JSON]
  curl -fsS -u "admin:$ADMIN_PASSWORD" -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "$API/$2"
}

median() { # median of the numbers on stdin
  sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# wrk_rps URL PATHS_FILE: requests per second of one 10 s run, 2 threads, 64 connections; non-2xx/3xx fail it.
wrk_rps() {
  local out
  out=$(timeout 60 wrk -t2 -c64 -d"${DURATION:-10s}" -s "$REPO/tests/perf/http/rotate.lua" "$1" -- "$2")
  echo "$out" >>"$WORK/wrk.log"
  if grep -q "Non-2xx or 3xx" <<<"$out"; then
    echo "wrk saw error responses:" >&2
    echo "$out" >&2
    exit 1
  fi
  awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

#!/usr/bin/env bash
# Large-file throughput of the HTTP boot service against nginx serving the same file, in the same run
# (DESIGN §12 target: at least 90% of nginx's throughput).
#
# Exact commands (loopback only; bounded: each fetch has a 60 s deadline, RUNS rounds; processes stopped by pid):
#   dotnet build -c Release src/RebarProvision.Server
#   head -c 512M /dev/urandom > $WORK/data/files/bench/large.img
#   REBAR_ADMIN_PASSWORD=bench-admin dotnet src/RebarProvision.Server/bin/Release/net10.0/rebar-provision.dll \
#       --data-dir $WORK/data --api-tls false --tftp-port 0 --listen 127.0.0.1 --http-port $HTTP_PORT --api-port $API_PORT
#   nginx -p $WORK/nginx/ -c $WORK/nginx/nginx.conf -e $WORK/nginx/error.log
#       (worker_processes 2; sendfile on; tcp_nopush on; access_log off; root $WORK/data/files; listen 127.0.0.1:$NGINX_PORT)
#   per round, for each server in turn: PARALLEL (4) x  curl -s -o /dev/null http://127.0.0.1:$PORT/files/bench/large.img
#   MB/s = PARALLEL x 512 MiB / wall-clock seconds of the round (MB = 10^6 bytes)
#
# Usage: tests/perf/http/largefile.sh         (SIZE_MIB=512 PARALLEL=4 RUNS=3 SKIP_BUILD=1 to reuse a build)
set -euo pipefail
source "$(dirname "$0")/common.sh"
SIZE_MIB=${SIZE_MIB:-512}
PARALLEL=${PARALLEL:-4}
RUNS=${RUNS:-3}

build_server
mkdir -p "$WORK/data/files/bench" "$WORK/nginx/logs" "$WORK/nginx/tmp"
head -c "${SIZE_MIB}M" /dev/urandom >"$WORK/data/files/bench/large.img"
start_server

NGINX_PORT=$(free_port)
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
$( [[ $(id -u) -eq 0 ]] && echo "user root;" )
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location /files/ { root $WORK/data; }
  }
}
CONF
nginx -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
PIDS+=("$!")
for _ in $(seq 1 50); do
  curl -fsI "http://127.0.0.1:$NGINX_PORT/files/bench/large.img" >/dev/null 2>&1 && break
  sleep 0.2
done

expected=$(sha256sum <"$WORK/data/files/bench/large.img" | cut -d' ' -f1)
for port in "$HTTP_PORT" "$NGINX_PORT"; do
  got=$(curl -fsS "http://127.0.0.1:$port/files/bench/large.img" | sha256sum | cut -d' ' -f1)
  [[ $got == "$expected" ]] || { echo "port $port served other bytes" >&2; exit 1; }
done

# round PORT: MB/s of PARALLEL simultaneous full fetches.
round() {
  local start end pids=()
  start=$(date +%s.%N)
  for _ in $(seq 1 "$PARALLEL"); do
    timeout 60 curl -fsS -o /dev/null "http://127.0.0.1:$1/files/bench/large.img" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || { echo "a fetch from port $1 failed" >&2; exit 1; }
  done
  end=$(date +%s.%N)
  awk -v n="$PARALLEL" -v mib="$SIZE_MIB" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f\n", n * mib * 1048576 / 1e6 / (e - s) }'
}

ours=()
theirs=()
for _ in $(seq 1 "$RUNS"); do
  ours+=("$(round "$HTTP_PORT")")
  theirs+=("$(round "$NGINX_PORT")")
done
ours_median=$(printf '%s\n' "${ours[@]}" | median)
theirs_median=$(printf '%s\n' "${theirs[@]}" | median)
printf '%-44s %8s %8s %8s %12s\n' "server (${SIZE_MIB} MiB x $PARALLEL parallel curl)" run1 run2 run3 "median MB/s"
printf '%-44s %8s %8s %8s %12s\n' "rebar-provision (Kestrel)" "${ours[@]:0:3}" "$ours_median"
printf '%-44s %8s %8s %8s %12s\n' "nginx $(nginx -v 2>&1 | cut -d/ -f2) (sendfile on)" "${theirs[@]:0:3}" "$theirs_median"
awk -v a="$ours_median" -v b="$theirs_median" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
  'BEGIN { printf "ratio: %.0f%% of nginx (target >= 90%%); load average %s\n", 100 * a / b, load }'

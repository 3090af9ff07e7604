#!/usr/bin/env bash
# TFTP benchmark: our server and tftpd-hpa (in.tftpd) in the same run, on the same files, driven by the same
# client (tests/perf/RebarProvision.Tftp.Perf "load"), in a private pair of network namespaces joined by a veth.
#   one 30 MiB file to one client, and a 1 MiB file to 200 concurrent clients;
#   blksize 512 (default) and 1468; windowsize 16 for us (tftpd-hpa has no RFC 7440, so it is compared to its best).
# Prints medians over RUNS runs (default 3) and ours/tftpd-hpa throughput ratios. Needs root. Bounded: every load
# has a 300 s deadline; everything it starts is killed and the namespaces are deleted on exit.
set -euo pipefail

RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-200}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
id=$$
ns_server=tfbs$id
ns_client=tfbc$id
work=$(mktemp -d /tmp/rebar-tftp-bench.XXXXXX)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$ns_server" 2>/dev/null || true
  ip netns del "$ns_client" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench.sh needs root (network namespaces)" >&2; exit 1; }
command -v in.tftpd >/dev/null || { echo "needs in.tftpd (apt-get install tftpd-hpa)" >&2; exit 1; }

dotnet build -c Release -o "$work/bin" "$repo/tests/perf/RebarProvision.Tftp.Perf" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log"; exit 1; }
perf=("dotnet" "$work/bin/RebarProvision.Tftp.Perf.dll")

# in.tftpd drops to user tftp, so the root must be world-readable.
mkdir -p "$work/root"
chmod 755 "$work" "$work/root"
big=$((30 * 1024 * 1024))
small=$((1024 * 1024))
head -c "$big" /dev/urandom >"$work/root/big.bin"
head -c "$small" /dev/urandom >"$work/root/small.bin"
chmod 644 "$work/root"/*.bin

ip netns add "$ns_server"
ip netns add "$ns_client"
ip link add vs netns "$ns_server" type veth peer name vc netns "$ns_client"
ip -n "$ns_server" addr add 10.78.0.1/24 dev vs
ip -n "$ns_client" addr add 10.78.0.2/24 dev vc
for ns in "$ns_server" "$ns_client"; do ip -n "$ns" link set lo up; done
ip -n "$ns_server" link set vs up
ip -n "$ns_client" link set vc up

ours=10.78.0.1:6969
hpa=10.78.0.1:6970
ip netns exec "$ns_server" env ${OURS_ENV:-} "${perf[@]}" serve "$work/root" "$ours" >"$work/ours.log" 2>&1 &
pids+=($!)
ip netns exec "$ns_server" in.tftpd -L -s "$work/root" -a "$hpa" >"$work/hpa.log" 2>&1 &
pids+=($!)

load() { # server file size clients blksize windowsize -> seconds
  timeout 320 ip netns exec "$ns_client" "${perf[@]}" load "$@"
}

# Warm up both (and our JIT) until they answer.
for server in "$ours" "$hpa"; do
  for _ in $(seq 1 50); do
    load "$server" small.bin "$small" 4 1468 16 >/dev/null 2>&1 && break
    sleep 0.2
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Runs ours and tftpd-hpa alternately (so both see the same machine load) and sets o and h to their medians.
compare() { # file size clients blksize windowsize
  local ours_times=() hpa_times=()
  for _ in $(seq 1 "$RUNS"); do
    ours_times+=("$(load "$ours" "$@")")
    hpa_times+=("$(load "$hpa" "$@")")
  done
  o=$(printf '%s\n' "${ours_times[@]}" | median)
  h=$(printf '%s\n' "${hpa_times[@]}" | median)
}

measure() { # server file size clients blksize windowsize -> median seconds
  local times=()
  for _ in $(seq 1 "$RUNS"); do times+=("$(load "$@")"); done
  printf '%s\n' "${times[@]}" | median
}

mibs() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / t / 1048576 }'; }

printf '%-44s %12s %12s %8s\n' "scenario (median of $RUNS, MiB/s)" "ours" "tftpd-hpa" "ratio"
row() { # label bytes ours_seconds hpa_seconds
  local o h
  o=$(mibs "$2" "$3"); h=$(mibs "$2" "$4")
  printf '%-44s %12s %12s %7.2fx\n' "$1" "$o" "$h" "$(awk -v o="$o" -v h="$h" 'BEGIN { print o / h }')"
}

best() { sort -n | head -1; }

for case in "big.bin $big 1" "small.bin $small $CLIENTS"; do
  read -r file size clients <<<"$case"
  total=$((size * clients))
  label="$((size / 1048576)) MiB x $clients"
  compare "$file" "$size" "$clients" 512 1
  o512=$o h512=$h
  row "$label, blksize 512" "$total" "$o512" "$h512"
  compare "$file" "$size" "$clients" 1468 1
  o1468=$o h1468=$h
  row "$label, blksize 1468" "$total" "$o1468" "$h1468"
  ow=$(measure "$ours" "$file" "$size" "$clients" 1468 16)
  hbest=$(printf '%s\n' "$h512" "$h1468" | best)
  row "$label, blksize 1468 windowsize 16 (vs best)" "$total" "$ow" "$hbest"
done

#!/usr/bin/env bash
# TFTP benchmark: our server and tftpd-hpa (in.tftpd) in the same run, on the same files, driven by the same
# client (tests/perf/RebarProvision.Tftp.Perf "load"), in a private pair of network namespaces joined by a veth.
#   one 30 MiB file to one client, and a 1 MiB file to 200 concurrent clients;
#   blksize 512 (default) and 1468; windowsize WINDOW (default 64; 16 gives about 2.5x) for us (tftpd-hpa has no RFC 7440, so it is compared to its best).
# Prints medians over RUNS runs (default 3): throughput, ours/tftpd-hpa ratio, and each server's CPU per MiB
# (the steadier measure when other work shares the machine). Needs root. Bounded: every load
# has a 300 s deadline; everything it starts is killed and the namespaces are deleted on exit.
set -euo pipefail

# Our server runs with socket completions inline on the epoll thread (a process-wide .NET switch the host sets too;
# see the TftpServer docs): it halves the CPU per block. OURS_ENV= (empty) measures without it.
OURS_ENV=${OURS_ENV-DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1}
RUNS=${RUNS:-3}
WINDOW=${WINDOW:-64}
CLIENTS=${CLIENTS:-200}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
id=$$
ns_server=tfbs$id
ns_client=tfbc$id
work=$(mktemp -d /tmp/rebar-tftp-bench.XXXXXX)
pids=()
# Each server runs in its own cpuacct cgroup, so the CPU of tftpd-hpa's forked children is counted too.
cgroups=/sys/fs/cgroup/cpuacct

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for g in ours hpa; do rmdir "$cgroups/tfb-$g-$id" 2>/dev/null || true; done
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
ours_pid=$!
ip netns exec "$ns_server" in.tftpd -L -s "$work/root" -a "$hpa" >"$work/hpa.log" 2>&1 &
pids+=($!)
hpa_pid=$!
for g in ours hpa; do mkdir "$cgroups/tfb-$g-$id"; done
echo "$ours_pid" >"$cgroups/tfb-ours-$id/cgroup.procs"
echo "$hpa_pid" >"$cgroups/tfb-hpa-$id/cgroup.procs"

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

# CPU the server used so far in nanoseconds, forked children included (tftpd-hpa forks per transfer).
cpu() { cat "$cgroups/tfb-$1-$id/cpuacct.usage"; }

# Runs ours and tftpd-hpa alternately (so both see the same machine load) and sets o and h to their median seconds,
# oc and hc to their median CPU nanoseconds. The machine may be shared: CPU per run is the steadier measure.
compare() { # file size clients blksize windowsize
  local ours_times=() hpa_times=() ours_cpu=() hpa_cpu=() before
  for _ in $(seq 1 "$RUNS"); do
    before=$(cpu ours)
    ours_times+=("$(load "$ours" "$@")")
    ours_cpu+=($(($(cpu ours) - before)))
    before=$(cpu hpa)
    hpa_times+=("$(load "$hpa" "$@")")
    hpa_cpu+=($(($(cpu hpa) - before)))
  done
  o=$(printf '%s\n' "${ours_times[@]}" | median)
  h=$(printf '%s\n' "${hpa_times[@]}" | median)
  oc=$(printf '%s\n' "${ours_cpu[@]}" | median)
  hc=$(printf '%s\n' "${hpa_cpu[@]}" | median)
}

measure() { # server file size clients blksize windowsize -> median seconds
  local times=()
  for _ in $(seq 1 "$RUNS"); do times+=("$(load "$@")"); done
  printf '%s\n' "${times[@]}" | median
}

mibs() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / t / 1048576 }'; }

printf '%-52s %9s %9s %7s | %14s %14s\n' "scenario (median of $RUNS)" "ours" "tftpd-hpa" "ratio" "ours CPU" "tftpd-hpa CPU"
printf '%-52s %9s %9s %7s | %14s %14s\n' "" "MiB/s" "MiB/s" "" "ms/MiB" "ms/MiB"
row() { # label bytes ours_seconds hpa_seconds ours_cpu_ns hpa_cpu_ns
  local mo mh
  mo=$(mibs "$2" "$3"); mh=$(mibs "$2" "$4")
  printf '%-52s %9s %9s %6.2fx | %14s %14s\n' "$1" "$mo" "$mh" "$(awk -v o="$mo" -v h="$mh" 'BEGIN { print o / h }')" \
    "$(awk -v t="$5" -v b="$2" 'BEGIN { printf "%.2f", t / 1e6 / (b / 1048576) }')" \
    "$(awk -v t="$6" -v b="$2" 'BEGIN { printf "%.2f", t / 1e6 / (b / 1048576) }')"
}


for case in "big.bin $big 1" "small.bin $small $CLIENTS"; do
  read -r file size clients <<<"$case"
  total=$((size * clients))
  label="$((size / 1048576)) MiB x $clients"
  compare "$file" "$size" "$clients" 512 1
  row "$label, blksize 512" "$total" "$o" "$h" "$oc" "$hc"
  hbest=$h hcbest=$hc
  compare "$file" "$size" "$clients" 1468 1
  row "$label, blksize 1468" "$total" "$o" "$h" "$oc" "$hc"
  if awk -v a="$h" -v b="$hbest" 'BEGIN { exit !(a < b) }'; then hbest=$h hcbest=$hc; fi
  # tftpd-hpa has no RFC 7440 and ignores windowsize, so our windowed run is compared with its best run.
  compare "$file" "$size" "$clients" 1468 "$WINDOW"
  if awk -v a="$h" -v b="$hbest" 'BEGIN { exit !(a < b) }'; then hbest=$h hcbest=$hc; fi
  row "$label, blksize 1468 windowsize $WINDOW (vs its best)" "$total" "$o" "$hbest" "$oc" "$hcbest"
done

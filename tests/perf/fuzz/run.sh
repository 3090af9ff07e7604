#!/usr/bin/env bash
# Hostile-network campaign (#13), longer than the CI run: DATAGRAMS (default 1,000,000) malformed, mutated and
# replayed DHCP and TFTP datagrams from six client addresses (also named as relays) against the real server process
# in a private pair of network namespaces; then checks the process is alive, its RSS within 64 MiB of the start,
# and that a fresh client is answered over TFTP and HTTP within 2 s. It runs HostileNetworkTests (EndToEnd) with a
# larger count and prints its summary line. Needs root. Bounded: the send loop stops after max(60 s, 1 s per 5,000
# datagrams); the test tears down its namespaces and kills its server.
#   DATAGRAMS=N SEED=S tests/perf/fuzz/run.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run.sh needs root (network namespaces)" >&2; exit 1; }
export REBAR_FUZZ_DATAGRAMS=${DATAGRAMS:-1000000}
export REBAR_FUZZ_SEED=${SEED:-$RANDOM}
dotnet build "$repo/tests/RebarProvision.EndToEnd.Tests" -c Release -nologo -v q >/dev/null
dotnet test "$repo/tests/RebarProvision.EndToEnd.Tests" -c Release --no-build \
  --filter "FullyQualifiedName~HostileNetworkTests" --logger "console;verbosity=detailed" 2>&1 \
  | grep -E "seed [0-9]+:|fresh client:|Passed|Failed|Skipped|Assert" | sed 's/^ *//' | sort -u

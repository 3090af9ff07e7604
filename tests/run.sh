#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine with the .NET SDK:
#   1. installs the Debian packages the tests drive (PostgreSQL, DHCP/TFTP clients, qemu, validators) when missing;
#   2. starts a throwaway PostgreSQL cluster of its own (initdb in a temporary directory, never the system service);
#   3. runs every test project and prints one closing line "tests: N passed, N failed, N skipped".
# Under CI=true a missing prerequisite fails tests loudly instead of skipping them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packages=(postgresql isc-dhcp-client udhcpc busybox-static kea-admin tftp-hpa atftp curl iproute2 cloud-init ignition
          qemu-system-x86 ipxe-qemu ovmf ipxe cpio bc libarchive-tools xorriso openssl
          chromium ansible-core systemd
          mmdebstrap squashfs-tools grub-pc-bin grub-efi-amd64-bin dosfstools mtools fdisk zstd openssh-client tcpdump)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "run.sh: installing ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "run.sh: not root, cannot install ${missing[*]}; tests that need them will say so"
  fi
fi

# A private PostgreSQL on a free port, torn down on exit.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pgdata="" pg_log=""
stop_pg() {
  if [ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ]; then
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $pgdata -m immediate stop" >/dev/null 2>&1 || true
    else "$pg_bin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true; fi
  fi
  [ -n "$pgdata" ] && rm -rf "$pgdata"
}
trap stop_pg EXIT INT TERM
if [ -n "$pg_bin" ] && [ -z "${REBAR_TEST_POSTGRES:-}" ]; then
  pgdata=$(mktemp -d /tmp/rebar-pg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
  run_pg() { if [ "$(id -u)" = 0 ]; then chown -R postgres "$pgdata"; su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
  run_pg "$pg_bin/initdb -D $pgdata -A trust -U postgres --no-sync" >/dev/null
  run_pg "$pg_bin/pg_ctl -D $pgdata -w -l $pgdata/server.log -o \"-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300\" start" >/dev/null
  export REBAR_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  echo "run.sh: PostgreSQL on 127.0.0.1:$port ($pgdata)"
fi

results=$(mktemp -d /tmp/rebar-results.XXXXXX)
status=0
dotnet build RebarProvision.sln -c Release -nologo -v q || exit 1
dotnet test RebarProvision.sln -c Release --no-build -nologo --logger "trx" --results-directory "$results" "$@" || status=$?

# One closing line across all projects, counted from the TRX files.
passed=0 failed=0 skipped=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  get() { echo "$line" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed))); failed=$((failed + $(get failed))); skipped=$((skipped + $(get notExecuted)))
done
rm -rf "$results"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" = 0 ] && [ "$passed" -gt 0 ] || exit 1

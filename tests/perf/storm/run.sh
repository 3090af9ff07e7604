#!/usr/bin/env bash
# Boot storm: N simulated machines power on at once against our server, then against a stand-in built from peers
# (dnsmasq for DHCP + TFTP, nginx for the iPXE scripts, kernels, initrds and cloud-init files ours rendered in the
# first round), each in the same fresh namespace, taking turns.
#
#   tests/perf/storm/run.sh [--machines 1000] [--repeat 1] [--arch 0|7] [--window 4] [--kernel-mib 4] [--initrd-mib 4]
#                           [--deadline 300] [--ramp 0] [--only ours]
#
# Each machine: DHCP DISCOVER/REQUEST as a PXE ROM (options 93, 94, 97, 60) -> TFTP of the loader the ACK names
# (blksize 1432, windowsize --window) -> DHCP again as iPXE (option 77) -> HTTP iPXE script -> kernel and initrd ->
# NoCloud user-data and meta-data from the seed on the kernel command line -> POST status=installed to the callback
# URL in the user-data. DHCP is broadcast on the client veth; after its lease a machine sends from its leased address
# (the pool's addresses are put on the client veth beforehand). Machines power on within --ramp seconds (0: all at
# once). Needs root. Prints each run, then the table of medians.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
machines=1000 repeat=1 arch=0 window=4 kernel_mib=4 initrd_mib=4 deadline=300 ramp=0 only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --machines) machines=$2; shift 2 ;; --repeat) repeat=$2; shift 2 ;; --arch) arch=$2; shift 2 ;;
    --window) window=$2; shift 2 ;; --kernel-mib) kernel_mib=$2; shift 2 ;; --initrd-mib) initrd_mib=$2; shift 2 ;;
    --deadline) deadline=$2; shift 2 ;; --ramp) ramp=$2; shift 2 ;; --only) only=$2; shift 2 ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "storm: needs root (network namespaces, ports 67 and 69)" >&2; exit 1; }
[ "$machines" -le 2000 ] || { echo "storm: at most 2000 machines (the pool is 10.95.1.1 - 10.95.8.254)" >&2; exit 2; }
for tool in dnsmasq nginx jq curl; do command -v $tool >/dev/null || { echo "storm: $tool is missing (apt-get install $tool)" >&2; exit 1; }; done
dotnet build "$root/src/RebarProvision.Server" -c Release -nologo -v q >/dev/null
dotnet build "$root/tests/perf/storm" -c Release -nologo -v q >/dev/null
server_dll="$root/src/RebarProvision.Server/bin/Release/net10.0/rebar-provision.dll"
storm="$root/tests/perf/storm/bin/Release/net10.0/storm"

suffix=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
srv=storm-srv-$suffix cli=storm-cli-$suffix
work=$(mktemp -d /tmp/storm.XXXXXX)
pids=()
stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop_servers; ip netns del "$srv" 2>/dev/null || true; ip netns del "$cli" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap "exit 130" INT TERM

ip netns add "$srv"; ip netns add "$cli"
ip link add vs netns "$srv" type veth peer name vc netns "$cli"
ip -n "$srv" addr add 10.95.0.1/16 dev vs; ip -n "$cli" addr add 10.95.0.2/16 dev vc
for n in "$srv" "$cli"; do ip -n "$n" link set lo up; done
ip -n "$srv" link set vs up; ip -n "$cli" link set vc up
# Every pool address on the client side, so a leased machine can send from its own address.
for i in $(seq 1 8); do for j in $(seq 0 255); do echo "addr add 10.95.$i.$j/32 dev vc"; done; done | sed '1d;$d' > "$work/addrs"
ip -n "$cli" -batch "$work/addrs"
S() { ip netns exec "$srv" "$@"; }

head -c $((kernel_mib << 20)) /dev/urandom > "$work/vmlinuz"
head -c $((initrd_mib << 20)) /dev/urandom > "$work/initrd.img"
"$storm" macs "$machines" > "$work/macs"
# The content bundle: the subnet, a bootenv booting the dummy kernel with a NoCloud seed, and the machines.
jq -Rn --argjson n "$machines" '{
  subnets: [{name: "storm", cidr: "10.95.0.0/16", activeStart: "10.95.1.1", activeEnd: "10.95.8.254", leaseTime: 3600}],
  bootenvs: [{name: "storm", kernel: "vmlinuz", initrds: ["initrd.img"],
    bootParams: "console=ttyS0 ds=nocloud-net;s={{ env.provisioner_url }}/machines/{{ machine.uuid }}/",
    templates: [
      {name: "user-data", path: "machines/{{ machine.uuid }}/user-data", template: "cloud-init-user-data"},
      {name: "meta-data", path: "machines/{{ machine.uuid }}/meta-data", template: "cloud-init-meta-data"}]}],
  machines: [inputs | select(length > 0)] | to_entries | map({name: ("storm-\(.key + 1)"), hardwareAddrs: [.value], bootEnv: "storm"})
}' < "$work/macs" > "$work/bundle.json"

api=http://10.95.0.1:8092/api/v1
A() { S curl -sS --fail-with-body -u admin:storm-admin "$@"; }
ours() { # $1 = run number; the first run records what it was served, for nginx
  local data="$work/ours-data" record=()
  rm -rf "$data"; mkdir -p "$data"
  [ "$1" = 1 ] && record=(--record "$work/www")
  ip netns exec "$srv" dotnet "$server_dll" --data-dir "$data" --dhcp-interfaces vs --advertise 10.95.0.1 --api-tls false \
    --admin-password storm-admin --node storm --log-level Warning > "$work/ours.log" 2>&1 &
  pids+=($!)
  local pid=$!
  for _ in $(seq 300); do S curl -sf -o /dev/null http://10.95.0.1:8092/readyz && break; sleep 0.2; done
  A -o /dev/null -H 'Content-Type: application/json' --data-binary @"$work/bundle.json" "$api/content"
  for f in vmlinuz initrd.img; do
    local kind=kernel; [ $f = initrd.img ] && kind=initrd
    local sha; sha=$(A -H "Content-Type: application/octet-stream" --data-binary @"$work/$f" "$api/images/upload?name=$f" | jq -r .sha256)
    A -o /dev/null -X POST "$api/bootenvs/storm/install?image=$sha&kind=$kind"
  done
  ip netns exec "$cli" "$storm" run --interface vc --machines "$machines" --arch "$arch" --window "$window" \
    --ramp "$ramp" --deadline "$deadline" --label rebar --server-pid "$pid" --json "$work/rebar-$1.json" "${record[@]}" || true
  stop_servers
  echo "  server log: $(grep -c ' ERR ' "$work/ours.log" || true) errors, $(grep -c ' WRN ' "$work/ours.log" || true) warnings"
  grep -oE '(WRN|ERR) [A-Za-z.]+: [A-Za-z ]{0,40}|[A-Za-z.]+Exception( \([0-9]+\))?: .{0,80}' "$work/ours.log" | sort | uniq -c | sort -rn | head -6 || true
}

theirs() { # $1 = run number
  local tftp="$work/tftp" www="$work/www"
  mkdir -p "$tftp" "$www/files/bootenvs/storm" "$work/nginx/logs"
  cp -L /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi "$tftp/"
  ln -f "$work/vmlinuz" "$www/files/bootenvs/storm/vmlinuz"; ln -f "$work/initrd.img" "$www/files/bootenvs/storm/initrd.img"
  rm -f "$work/dnsmasq.leases"
  cat > "$work/dnsmasq.conf" <<C
port=0
interface=vs
bind-interfaces
user=root
dhcp-authoritative
no-ping
quiet-dhcp
dhcp-range=10.95.1.1,10.95.8.254,255.255.0.0,1h
dhcp-lease-max=10000
dhcp-leasefile=$work/dnsmasq.leases
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:efi64,option:client-arch,7
dhcp-boot=tag:ipxe,http://10.95.0.1:8091/boot/\${mac}.ipxe
dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi
dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe
enable-tftp
tftp-root=$tftp
tftp-max=4000
log-facility=$work/dnsmasq.log
C
  cat > "$work/nginx.conf" <<C
user root;
worker_processes auto;
error_log $work/nginx/logs/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 8192; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 10000;
  default_type application/octet-stream;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy; fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  server {
    listen 10.95.0.1:8091;
    root $www;
    location ~ /callback\$ { return 200 '{"state":"installed"}'; }
  }
}
C
  ip netns exec "$srv" dnsmasq -k -C "$work/dnsmasq.conf" > "$work/dnsmasq.out" 2>&1 &
  pids+=($!)
  local dnsmasq=$!
  ip netns exec "$srv" nginx -p "$work/nginx" -c "$work/nginx.conf" -g 'daemon off;' > "$work/nginx.out" 2>&1 &
  pids+=($!)
  local nginx=$!
  for _ in $(seq 50); do S curl -s -o /dev/null http://10.95.0.1:8091/ && break; sleep 0.1; done
  ip netns exec "$cli" "$storm" run --interface vc --machines "$machines" --arch "$arch" --window "$window" \
    --ramp "$ramp" --deadline "$deadline" --label dnsmasq+nginx --server-pid "$dnsmasq" --server-pid "$nginx" --json "$work/peer-$1.json" || true
  # A peer that died during the run leaves a table of timeouts; say why.
  for p in "$dnsmasq" "$nginx"; do kill -0 "$p" 2>/dev/null || { echo "stand-in process $p exited early:"; tail -5 "$work/dnsmasq.out" "$work/dnsmasq.log" "$work/nginx.out" 2>/dev/null; }; done
  stop_servers
}

for r in $(seq "$repeat"); do
  ours "$r"
  [ "$only" = ours ] || theirs "$r"
done
echo
echo "N=$machines, ramp $ramp s, arch $arch, TFTP windowsize $window, kernel $kernel_mib MiB + initrd $initrd_mib MiB, $repeat round(s), $(nproc) cores"
"$storm" compare "$work"/rebar-*.json $(ls "$work"/peer-*.json 2>/dev/null)

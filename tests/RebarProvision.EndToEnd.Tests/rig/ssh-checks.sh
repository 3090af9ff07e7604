#!/bin/sh
# Runs inside the rig's namespace (pxe-boot.sh --after) once the guest's cloud-init called back: logs in over SSH
# with the key from the machine's params and with a key that is not there, and prints what it saw in sections.
# Usage: ssh-checks.sh KEY WRONG_KEY   (RIG_LOG = the serial log, whose callback line names the address)
key=$1 wrong=$2
addr=$(grep -ao 'REBAR-CALLBACK-OK [a-z]* addr=[0-9.]*' "$RIG_LOG" | tail -1 | sed 's/.*addr=//')
[ -n "$addr" ] || { echo "ssh-checks: no address in the callback line"; exit 1; }
opts="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=60 -o IdentitiesOnly=yes -o LogLevel=ERROR"
echo "== address"
echo "$addr"
out=$(ssh $opts -i "$key" "admin@$addr" hostname 2>&1); code=$?
echo "== hostname exit=$code"
echo "$out"
echo "== status"
ssh $opts -i "$key" "admin@$addr" 'cloud-init status --long; cat /etc/rebar-e2e; ip -o link show eth0; ls /etc/systemd/network/ /run/systemd/network/; echo "root=$(findmnt -no SOURCE /)"' 2>&1
out=$(ssh $opts -i "$wrong" "admin@$addr" hostname 2>&1); code=$?
echo "== wrong key exit=$code"
echo "$out"
# Where the boot's time went, for the test's output (boots under emulation are slow; this says which part).
echo "== boot time"
ssh $opts -i "$key" "admin@$addr" 'systemd-analyze time; systemd-analyze blame | head -15; systemd-analyze critical-chain cloud-final.service; sudo cloud-init analyze blame | head -12' 2>&1
echo "== end"
exit 0

#!/usr/bin/env bash
# Runs the real rebar-provision inside the rig's namespace (pxe-boot.sh sets RIG_*; the test sets E2E_*).
set -euo pipefail
: "${RIG_IFACE:?run me through pxe-boot.sh}" "${E2E_DLL:?}" "${E2E_DATA:?}" "${E2E_CONTENT:?}"
exec dotnet "$E2E_DLL" --data-dir "$E2E_DATA" --content "$E2E_CONTENT" --dhcp-interfaces "$RIG_IFACE" \
  --advertise "$RIG_IP" --api-tls false --node e2e --log-level "${E2E_LOG_LEVEL:-Information}"

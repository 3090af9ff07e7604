#!/usr/bin/env bash
# Self-contained publish of the server (rebar-provision) and the CLI (rebarctl), one folder per runtime:
#   src/RebarProvision.Server/packaging/publish.sh [--output DIR] [linux-x64] [linux-arm64]
# With no runtime named, both. Each DIR/<rid>/ holds rebar-provision, rebarctl, the shipped content and
# packaging/ (unit, sysusers, install.sh); it runs on a machine without .NET. Intermediate files go to a
# temporary artifacts folder, so publishing never disturbs the obj/ folders of a normal build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
output="$root/src/RebarProvision.Server/bin/publish"
rids=()
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output=$2; shift 2 ;;
    linux-x64|linux-arm64) rids+=("$1"); shift ;;
    *) echo "publish.sh: unknown argument '$1' (runtimes: linux-x64, linux-arm64)" >&2; exit 1 ;;
  esac
done
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64 linux-arm64)
artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT
for rid in "${rids[@]}"; do
  target="$output/$rid"
  rm -rf "$target"
  for project in RebarProvision.Server RebarProvision.Cli; do
    dotnet publish "$root/src/$project" -c Release -r "$rid" --self-contained \
      --artifacts-path "$artifacts" -o "$target" -nologo -v q -p:UseAppHost=true
  done
  mkdir -p "$target/packaging"
  cp "$here/rebar-provision.service" "$here/rebar-provision.sysusers" "$here/install.sh" "$target/packaging/"
  echo "published $rid to $target"
done

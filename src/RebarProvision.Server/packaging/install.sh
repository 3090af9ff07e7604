#!/usr/bin/env bash
# Installs a published RebarProvision (the folder publish.sh made, which holds this script) as a systemd service:
#   sudo ./packaging/install.sh            then: systemctl enable --now rebar-provision
# Files go to /opt/rebar-provision; the state (SQLite store, images, keys) to /var/lib/rebar-provision, owned by
# the rebar-provision user; settings to /etc/default/rebar-provision (REBAR_* lines, kept if present).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
release=$(cd "$here/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
systemd-sysusers "$here/rebar-provision.sysusers"
install -d /opt/rebar-provision
cp -a "$release/." /opt/rebar-provision/
ln -sf /opt/rebar-provision/rebarctl /usr/local/bin/rebarctl
install -m 0644 "$here/rebar-provision.service" /etc/systemd/system/rebar-provision.service
install -m 0644 "$here/rebar-provision.sysusers" /usr/lib/sysusers.d/rebar-provision.conf
[ -e /etc/default/rebar-provision ] || printf '%s\n' '# REBAR_* settings, e.g.:' '# REBAR_DHCP_INTERFACES=eth1' > /etc/default/rebar-provision
systemctl daemon-reload
echo "installed; start with: systemctl enable --now rebar-provision; first admin password: journalctl -u rebar-provision"

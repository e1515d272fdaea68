#!/bin/sh
# Installs edge-agent (or edge-fleet) as a systemd service: binary, unit, system user, directories,
# config (mode 0600) and device credentials; then enables and starts it. Safe to run again: a second
# run with the same inputs leaves the same files, modes and owners (tests/deploy/install.test.ts).
#
#   deploy/install.sh [--component agent|fleet] [--binary FILE] [--config FILE] [--credentials FILE]
#                     [--ca FILE] [--root DIR] [--no-start]
#
# --root DIR (or DESTDIR=DIR) installs into an image or a staging tree: no systemctl, users are written
# to DIR/etc/passwd by systemd-sysusers --root when available, else created at first boot from the
# sysusers.d file. Docs: docs/deploy/README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
component=agent
binary=""
config=""
credentials=""
ca=""
root="${DESTDIR:-}"
start=yes

die() { echo "install.sh: $*" >&2; exit 2; }
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --component) component=${2:?--component needs agent or fleet}; shift 2 ;;
    --binary) binary=${2:?--binary needs a file}; shift 2 ;;
    --config) config=${2:?--config needs a file}; shift 2 ;;
    --credentials) credentials=${2:?--credentials needs a file}; shift 2 ;;
    --ca) ca=${2:?--ca needs a file}; shift 2 ;;
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --no-start) start=no; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'; run deploy/install.sh --help" ;;
  esac
done

case "$component" in
  agent) name=edge-agent; conf=agent.json; example="$here/config/smart-speaker.json" ;;
  fleet) name=edge-fleet; conf=fleet.json; example="$here/config/fleet.json" ;;
  *) die "--component must be agent or fleet, not '$component'" ;;
esac
[ "$component" = agent ] || [ -z "$credentials" ] || die "--credentials is for the agent; the fleet has no device credentials"

if [ -z "$binary" ]; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; armv7l|armv7*|armhf) arch=armv7l ;; *) arch=$(uname -m) ;;
  esac
  binary="$here/../dist/$name-linux-$arch"
fi
[ -f "$binary" ] || die "$binary does not exist; build it with 'npm run build:$component' or pass --binary"
for f in "$config" "$credentials" "$ca"; do
  [ -z "$f" ] || [ -f "$f" ] || die "$f does not exist; check the path"
done
if [ -n "$root" ]; then
  mkdir -p "$root"
  root=$(cd "$root" && pwd)
fi
staging=no
[ -n "$root" ] && [ "$root" != / ] && staging=yes
[ "$root" = / ] && root=""

# Owner of the service's files: numeric ids from the target's passwd when it has our user, else
# root (a staging tree built without privileges or sysusers; the first boot's sysusers fixes ownership
# of the state directory through StateDirectory=).
owner_of() {
  uid=$(awk -F: -v u="$name" '$1 == u { print $3 }' "$root/etc/passwd" 2>/dev/null || true)
  gid=$(awk -F: -v u="$name" '$1 == u { print $4 }' "$root/etc/passwd" 2>/dev/null || true)
  if [ -n "$uid" ] && [ -n "$gid" ]; then echo "$uid:$gid"; else echo ""; fi
}
can_chown=no
[ "$(id -u)" = 0 ] && can_chown=yes

# put SRC DEST MODE: copy only when the content or mode differs (keeps mtimes and running services calm).
put() {
  if [ -f "$2" ] && cmp -s "$1" "$2"; then chmod "$3" "$2"; return 0; fi
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.tmp.$$" && chmod "$3" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
  changed=yes
}
changed=no

# 1. Program, unit and user definition.
put "$binary" "$root/usr/bin/$name" 0755
put "$here/systemd/$name.service" "$root/usr/lib/systemd/system/$name.service" 0644
put "$here/sysusers/$name.conf" "$root/usr/lib/sysusers.d/$name.conf" 0644

# 2. System user: systemd-sysusers is idempotent and works on a staging tree with --root.
if command -v systemd-sysusers >/dev/null 2>&1; then
  if [ "$staging" = yes ]; then
    mkdir -p "$root/etc"
    systemd-sysusers --root="$root" "$here/sysusers/$name.conf" >/dev/null
  else
    systemd-sysusers "$here/sysusers/$name.conf"
  fi
elif [ "$staging" = no ] && ! id "$name" >/dev/null 2>&1; then
  useradd --system --home-dir "/var/lib/$name" --shell /usr/sbin/nologin --user-group "$name"
  if [ "$component" = agent ]; then usermod -a -G audio "$name"; fi
fi
[ "$staging" = yes ] || owner=$(id -u "$name"):$(id -g "$name")
[ "$staging" = no ] || owner=$(owner_of)

# 3. Directories: the config directory is readable by the service only; the state directory holds
# the spool (agent) or the SQLite store (fleet).
mkdir -p "$root/etc/$name" "$root/var/lib/$name"
chmod 0750 "$root/etc/$name" "$root/var/lib/$name"
if [ "$can_chown" = yes ] && [ -n "$owner" ]; then
  chown "0:${owner#*:}" "$root/etc/$name"
  chown "$owner" "$root/var/lib/$name"
fi

# 4. Config and credentials, mode 0600, owned by the service user. An existing config is kept unless
# --config is given: the operator's edits survive a reinstall.
secret() {
  put "$1" "$2" 0600
  if [ "$can_chown" = yes ] && [ -n "$owner" ]; then chown "$owner" "$2"; fi
}
if [ -n "$config" ]; then
  secret "$config" "$root/etc/$name/$conf"
elif [ ! -f "$root/etc/$name/$conf" ]; then
  secret "$example" "$root/etc/$name/$conf"
  say "installed the example config $example; edit $root/etc/$name/$conf for this device"
else
  chmod 0600 "$root/etc/$name/$conf"
fi
[ -z "$credentials" ] || secret "$credentials" "$root/etc/$name/device-credentials.json"
[ -z "$ca" ] || put "$ca" "$root/etc/$name/fleet-ca.pem" 0644

if [ "$staging" = yes ]; then
  # An image enables units with a preset or a symlink; do the symlink so the tree boots ready.
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
  ln -sfn "/usr/lib/systemd/system/$name.service" "$root/etc/systemd/system/multi-user.target.wants/$name.service"
  say "installed $name into $root (systemctl skipped)"
  exit 0
fi

# 5. Live system: refuse to (re)start on a config the program rejects, then enable and start.
"/usr/bin/$name" config check --config "/etc/$name/$conf" || die "the config is not valid (see above); fix /etc/$name/$conf and run install.sh again"
systemctl daemon-reload
systemctl enable "$name.service" >/dev/null
if [ "$start" = yes ]; then
  if [ "$changed" = yes ] && systemctl is-active --quiet "$name.service"; then
    systemctl restart "$name.service"
  else
    systemctl start "$name.service"
  fi
  say "$name is $(systemctl is-active "$name.service"); logs: journalctl -u $name"
fi

#!/bin/sh
# Builds the edge-agent Debian package from a single-file executable (npm run build:agent):
#
#   deploy/debian/build-deb.sh --arch arm64 [--binary dist/edge-agent-linux-arm64] [--out dist] [--version 0.1.0]
#
# Writes DIR/edge-agent_VERSION_DEBARCH.deb. Needs only dpkg-deb (no debhelper, no root: file owners are
# set with --root-owner-group). The package installs the unit, the sysusers.d entry and example configs;
# its postinst creates the user, installs an example config once (mode 0600) and enables the service.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
arch=""
binary=""
out="$repo/dist"
version=""

die() { echo "build-deb.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?}; shift 2 ;;
    --binary) binary=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --version) version=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'; run build-deb.sh --help" ;;
  esac
done
case "$arch" in
  x64|amd64) arch=x64; debarch=amd64; extra="" ;;
  arm64|aarch64) arch=arm64; debarch=arm64; extra="" ;;
  armv7l|armhf) arch=armv7l; debarch=armhf; extra=", libatomic1" ;;
  *) die "--arch must be x64, arm64 or armv7l" ;;
esac
[ -n "$binary" ] || binary="$repo/dist/edge-agent-linux-$arch"
[ -f "$binary" ] || die "$binary does not exist; build it with 'npm run build:agent -- --arch $arch' or pass --binary"
[ -n "$version" ] || version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$repo/package.json" | head -1)
[ -n "$version" ] || die "cannot read the version from package.json; pass --version"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/edge-agent"
install -D -m 0755 "$binary" "$pkg/usr/bin/edge-agent"
install -D -m 0644 "$here/../systemd/edge-agent.service" "$pkg/usr/lib/systemd/system/edge-agent.service"
install -D -m 0644 "$here/../sysusers/edge-agent.conf" "$pkg/usr/lib/sysusers.d/edge-agent.conf"
for f in smart-speaker companion; do
  install -D -m 0644 "$here/../config/$f.json" "$pkg/usr/share/doc/edge-agent/examples/$f.json"
done
install -D -m 0644 "$here/copyright" "$pkg/usr/share/doc/edge-agent/copyright"
mkdir -p "$pkg/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$pkg/DEBIAN/$s"; done
size=$(du -sk "$pkg/usr" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: edge-agent
Version: $version
Architecture: $debarch
Maintainer: Edge Support Agent maintainers <maintainers@edge-support-agent.invalid>
Installed-Size: $size
Depends: libc6 (>= 2.28), libstdc++6 (>= 10), libgcc-s1$extra
Recommends: alsa-utils, iputils-ping, systemd (>= 246)
Section: admin
Priority: optional
Homepage: https://github.com/edge-support-agent/edge-support-agent
Description: health sampling and fault isolation agent for voice devices
 edge-agent samples the audio pipeline, network quality and conversational-AI
 latency on a smart speaker, isolates voice-capture from cloud faults with a
 text-input fallback probe, and reports to an edge-fleet broker over MQTT.
 This package holds a single-file executable with its own Node.js runtime.
CONTROL
mkdir -p "$out"
deb="$out/edge-agent_${version}_${debarch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's prebuilt guest kernel (vmlinuz + modules) with the private
# apt configuration and unpack it under OUT:
#   OUT/vmlinuz                 the kernel image
#   OUT/modules/lib/modules/$KVER   the module tree (as shipped: .ko.xz)
# Idempotent; an interrupted run leaves OUT untouched.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
. "$here/../scripts/debian-mirror.sh"
mkdir -p "$(dirname "$1")"; out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
log() { printf 'devmemlab: kernel: %s\n' "$*"; }
stamp="$KVER $KPKG_VER"
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
	log "up to date ($out, $KVER)"
	touch "$out/.stamp"	# newer than the script and pins make compares it with
	exit 0
fi
apt_dir=$(dirname "$out")/apt
tmp=$out.new
rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/x"
trap 'rm -rf "$tmp"' EXIT
debian_mirror_init
log "fetching linux-binary/linux-modules $KVER ($KPKG_VER) from trixie-backports at $DEBIAN_MIRROR ($DEBIAN_MIRROR_FROM)"
"$here/apt-private.sh" "$apt_dir" update
(cd "$tmp/debs" && "$here/apt-private.sh" "$apt_dir" download -qq \
	"linux-binary-$KVER=$KPKG_VER" "linux-modules-$KVER=$KPKG_VER")
for d in "$tmp"/debs/*.deb; do dpkg-deb -x "$d" "$tmp/x"; done
mkdir -p "$tmp/modules/lib/modules"
# trixie is merged-/usr: accept either location
# (7.3 ships vmlinuz inside the module directory)
for base in "$tmp/x" "$tmp/x/usr"; do
	[ -d "$base/lib/modules/$KVER" ] || continue
	[ -f "$base/lib/modules/$KVER/vmlinuz" ] && mv "$base/lib/modules/$KVER/vmlinuz" "$tmp/vmlinuz"
	mv "$base/lib/modules/$KVER" "$tmp/modules/lib/modules/"
done
[ -f "$tmp/vmlinuz" ] || { echo "devmemlab: kernel: no vmlinuz-$KVER in the packages" >&2; exit 1; }
[ -d "$tmp/modules/lib/modules/$KVER/kernel" ] || { echo "devmemlab: kernel: no module tree for $KVER" >&2; exit 1; }
rm -rf "$tmp/x" "$tmp/debs"
echo "$stamp" > "$tmp/.stamp"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
log "ready: $out/vmlinuz ($(du -sh "$out" | cut -f1) with modules)"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the lab's own qemu-system-x86_64: Debian's QEMU source (QEMU_SRC_VER
# in guest-kernel/versions.env, fetched with the private apt configuration)
# plus the lab's device (qemu/device/*.c into hw/misc/, qemu/device/build.patch
# for its Kconfig and meson lines). Only qemu-system-x86_64 is built; its
# firmware is the installed one (the qemu-system-x86 package's SeaBIOS 1.16.3
# and iPXE from bookworm-backports), found through --firmwarepath. Debian's
# python3 (and meson from bookworm-backports), whatever python3 is first on PATH.
# apt has checked the source's hashes against the signed archive index.
#
#   build-qemu.sh OUT       -> OUT/qemu-system-x86_64
#
# Incremental and idempotent: the source is fetched once per version, a
# device file is copied only when it changed (so ninja rebuilds only it),
# and a second run with nothing changed does nothing. Nothing of QEMU's
# source is committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../guest-kernel/versions.env"
mkdir -p "$1"
out=$(cd "$1" && pwd)
src=$out/src
bld=$out/build
log() { printf 'devmemlab: qemu: %s\n' "$*"; }

FIRMWARE=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
CONFIGURE="--target-list=x86_64-softmmu --disable-docs --without-default-features --enable-kvm
	--enable-pixman --disable-install-blobs --disable-fdt --firmwarepath=$FIRMWARE
	--python=/usr/bin/python3"

# 1. Debian's source, with Debian's patches, once per version
if [ "$(cat "$src/.stamp" 2>/dev/null)" != "$QEMU_SRC_VER" ]; then
	log "fetching Debian's qemu source $QEMU_SRC_VER (~40 MB)"
	rm -rf "$src" "$src.new" "$bld" "$out/dl"; mkdir -p "$out/dl"
	trap 'rm -rf "$out/dl" "$src.new"' EXIT
	"$here/../guest-kernel/apt-private.sh" "$(dirname "$out")/apt" update
	(cd "$out/dl" && "$here/../guest-kernel/apt-private.sh" "$(dirname "$out")/apt" source -d -qq "qemu=$QEMU_SRC_VER")
	log "unpacking"
	dpkg-source -q --no-check -x "$out"/dl/qemu_*.dsc "$src.new" >/dev/null
	echo "$QEMU_SRC_VER" > "$src.new/.stamp"
	mv "$src.new" "$src"
	# dpkg-source leaves a copy of the upstream tarball beside the tree
	rm -rf "$out/dl" "$out"/qemu_*.orig.tar.*; trap - EXIT
fi

# 2. The build hunks: applied once; a changed patch replaces the old one
if ! cmp -s "$here/device/build.patch" "$src/.devmemlab.patch"; then
	if [ -f "$src/.devmemlab.patch" ]; then
		log "replacing the lab's build hunks"
		patch -s -R -p1 -d "$src" < "$src/.devmemlab.patch"
	fi
	log "applying qemu/device/build.patch"
	patch -s -p1 -d "$src" < "$here/device/build.patch"
	cp "$here/device/build.patch" "$src/.devmemlab.patch"
fi

# 3. The device: copied only when changed, so ninja's timestamps stay true
for f in "$here"/device/*.c; do
	dst=$src/hw/misc/$(basename "$f")
	cmp -s "$f" "$dst" || { log "device file $(basename "$f") changed"; cp "$f" "$dst"; }
done

# 4. Configure once per set of options
if [ "$(cat "$bld/.configure" 2>/dev/null)" != "$CONFIGURE" ] || [ ! -f "$bld/build.ninja" ]; then
	log "configuring"
	rm -rf "$bld"; mkdir -p "$bld"
	# shellcheck disable=SC2086
	(cd "$bld" && "$src/configure" $CONFIGURE) > "$out/configure.log" 2>&1 ||
		{ tail -n 20 "$out/configure.log" >&2; log "configure failed (see $out/configure.log)" >&2; exit 1; }
	echo "$CONFIGURE" > "$bld/.configure"
fi

# 5. Build only qemu-system-x86_64: progress every 15 s, ninja's whole
# output in build.log. ninja regenerates qemu-version.h on every run (without
# changing it), so up to date means that nothing was compiled or linked.
rm -f "$out/build.rc"
{ ninja -C "$bld" -j"$(nproc)" qemu-system-x86_64 > "$out/build.log" 2>&1; echo $? > "$out/build.rc"; } &
i=0
while [ ! -f "$out/build.rc" ]; do
	sleep 1
	i=$((i + 1))
	[ $((i % 15)) = 0 ] || continue
	p=$(grep -o '^\[[0-9]*/[0-9]*\]' "$out/build.log" | tail -n 1)
	log "building qemu-system-x86_64 (ninja -j$(nproc)): step ${p:-[0/?]} after $i s"
done
wait
rc=$(cat "$out/build.rc"); rm -f "$out/build.rc"
if [ "$rc" != 0 ]; then
	grep -E -A3 'error' "$out/build.log" | head -n 20 >&2
	log "build failed (see $out/build.log)" >&2; exit 1
fi
steps=$(grep -c -E '(Compiling|Linking) ' "$out/build.log") || true
if [ "$steps" = 0 ]; then log "up to date"; else log "built: $steps compile and link steps in $i s"; fi
if ! cmp -s "$bld/qemu-system-x86_64" "$out/qemu-system-x86_64"; then
	cp "$bld/qemu-system-x86_64" "$out/qemu-system-x86_64.new"
	mv "$out/qemu-system-x86_64.new" "$out/qemu-system-x86_64"
fi
log "ready: $out/qemu-system-x86_64 ($("$out/qemu-system-x86_64" --version | head -n1))"

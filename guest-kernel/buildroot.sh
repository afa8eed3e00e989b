#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make the trixie build root: the kernel's own compiler (gcc-14) and Debian's
# linux-headers-$KVER, used to build out-of-tree modules with the exact
# vermagic, and the source of every guest userspace binary and library
# (busybox, kmod, cxl/daxctl/ndctl 81 and libcxl, nvme-cli, pciutils, json-c,
# keyutils).
#
#   buildroot.sh ROOT
#
# Built in ROOT.new and renamed only when complete, so an interrupted run
# leaves nothing half-done. Idempotent: a root whose stamp matches the pins
# is kept.
#
#   buildroot.sh --kbuild ROOT
#
# Add to an existing root what building a whole kernel tree needs (the debug
# kernel, guest-kernel/build-debug.sh): parser generators, libelf and
# OpenSSL headers for objtool and module signing, pahole, ccache. Its own
# stamp, so the guest userspace root is not rebuilt for it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
. "$here/../scripts/debian-mirror.sh"
kbuild=
[ "$1" = --kbuild ] && { kbuild=1; shift; }
root=$1
log() { printf 'devmemlab: buildroot: %s\n' "$*"; }

# Build tools for modules and guest tools, then guest userspace.
PKGS="gcc-14,gcc,make,libc6-dev,bc,kmod,xz-utils,zstd,binutils,ca-certificates,file,libelf1t64,openssl"
PKGS="$PKGS,busybox-static,ndctl,daxctl,cxl,libcxl-dev,nvme-cli,pciutils,libjson-c-dev,pkgconf,jq"
# memcheck for the guest tools (its libc6-dbg gives ld.so's symbols)
PKGS="$PKGS,valgrind,libc6-dbg"
# keyctl: ndctl's cxl-security test (make cxl-test) keeps its keys in the kernel keyring
PKGS="$PKGS,keyutils"
stamp="trixie $PKGS linux-headers-$KVER=$KPKG_VER"

KBUILD_PKGS="bison flex libelf-dev libssl-dev dwarves ccache bc cpio python3"
if [ -n "$kbuild" ]; then
	kstamp="$KBUILD_PKGS"
	if [ -f "$root/.devmemlab-kbuild-stamp" ] && [ "$(cat "$root/.devmemlab-kbuild-stamp")" = "$kstamp" ]; then
		log "kernel build tools up to date ($root)"
		touch "$root/.devmemlab-kbuild-stamp"
		exit 0
	fi
	[ "$(id -u)" = 0 ] || { echo "devmemlab: buildroot: chroot needs root (run via sudo)" >&2; exit 1; }
	[ -f "$root/.devmemlab-stamp" ] || { echo "devmemlab: buildroot: $root is not a build root (make buildroot)" >&2; exit 1; }
	log "installing the kernel build tools into $root: $KBUILD_PKGS"
	rm -f "$root/.devmemlab-kbuild-stamp"
	chroot "$root" sh -c "apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -y -qq install --no-install-recommends $KBUILD_PKGS >/dev/null && apt-get clean" \
		|| { echo "devmemlab: buildroot: kernel build tools install failed" >&2; exit 1; }
	echo "$kstamp" > "$root/.devmemlab-kbuild-stamp"
	log "kernel build tools ready"
	exit 0
fi
if [ -f "$root/.devmemlab-stamp" ] && [ "$(cat "$root/.devmemlab-stamp")" = "$stamp" ]; then
	log "up to date ($root)"
	touch "$root/.devmemlab-stamp"	# newer than the script and pins make compares it with
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "devmemlab: buildroot: debootstrap and chroot need root (run via sudo)" >&2; exit 1; }

new=$root.new
rm -rf "$new"
trap 'rm -rf "$new"' EXIT
debian_mirror_init
log "debootstrap trixie into $new from $DEBIAN_MIRROR ($DEBIAN_MIRROR_FROM; about a minute)"
debootstrap --variant=minbase --include="$PKGS" trixie "$new" "$DEBIAN_MIRROR" \
	> "$new.log" 2>&1 || { tail -n 20 "$new.log" >&2; echo "devmemlab: buildroot: debootstrap failed (log: $new.log)" >&2; exit 1; }
echo "deb $DEBIAN_MIRROR trixie-backports main" > "$new/etc/apt/sources.list.d/backports.list"
cp /etc/resolv.conf "$new/etc/resolv.conf" 2>/dev/null || true
log "installing linux-headers-$KVER ($KPKG_VER) from trixie-backports"
chroot "$new" sh -c "apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -y -qq install --no-install-recommends linux-headers-$KVER=$KPKG_VER >/dev/null && apt-get clean" \
	|| { echo "devmemlab: buildroot: header install failed" >&2; exit 1; }
echo "$stamp" > "$new/.devmemlab-stamp"
rm -rf "$root" "$new.log"
mv "$new" "$root"
trap - EXIT
log "ready: $root ($(du -sh "$root" | cut -f1))"

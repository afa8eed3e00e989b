#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what the lab needs on a Debian 12 (bookworm) host. Idempotent:
# a second run installs nothing and takes about a second.
#
# QEMU comes from bookworm-backports (10.0; its SeaBIOS 1.16.3 avoids the
# 32 s CD-ROM stall of bookworm's 1.16.2). Never adds trixie or sid to the
# host's sources: guest packages are fetched with a private apt
# configuration (guest-kernel/apt-private.sh) or live in the trixie build
# root. The bookworm-backports source it adds (if missing) names the archive
# the host's own apt sources name, or DEVMEMLAB_MIRROR (scripts/debian-mirror.sh).
set -eu
. "$(dirname "$0")/debian-mirror.sh"

log() { printf 'devmemlab: host-deps: %s\n' "$*"; }

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "devmemlab: host-deps: need root or sudo" >&2; exit 1; }
	SUDO=sudo
fi

if ! grep -q '^ID=debian' /etc/os-release || ! grep -q 'VERSION_CODENAME=bookworm' /etc/os-release; then
	log "warning: this is not Debian 12 (bookworm); continuing, but only bookworm is tested"
fi

# Host packages: name:suite (suite empty = the default release).
# clang (bookworm's 14) builds the sanitized launcher (make qemu/devmemlab-asan)
# and the topology fuzzer; libclang-rt-14-dev holds its ASan/UBSan and
# libFuzzer runtimes (clang only recommends it, and we install without
# recommends).
# libvirt is bookworm's 9.0: measured working with QEMU 10.0 (18 packages,
# systemd only to its bookworm point release); backports' 11.3 would pull
# systemd 254 from backports as well. The package starts its daemon only
# where systemd runs; elsewhere scripts/libvirt-daemon.sh starts one.
PKGS="qemu-system-x86:bookworm-backports qemu-utils:bookworm-backports
	debootstrap: zstd: cpio: xz-utils: gcc: make: pkg-config:
	libjson-c-dev: jq: valgrind: gnuplot-nox: ca-certificates:
	libvirt-daemon-system: libvirt-daemon-driver-qemu: libvirt-clients: libvirt-dev: libxml2-utils:
	clang: libclang-rt-14-dev:
	dpkg-dev: ninja-build: python3-venv: libglib2.0-dev: libpixman-1-dev: zlib1g-dev:
	meson:bookworm-backports python3-pycotap:bookworm-backports
	lava-common:"
# The last group (from dpkg-dev on) builds the lab's own qemu-system-x86_64 (qemu/build-qemu.sh):
# QEMU 10.0 needs meson >= 1.5 and pycotap, both only in bookworm-backports.
# Its firmware is the installed seabios/ipxe of the qemu-system-x86 package.
# lava-common (LAVA 2023.01): LAVA's own job schema, which validates
# `devmemlab lava-job`'s output (tests/unit/lava-job.sh).

missing=
for p in $PKGS; do
	name=${p%%:*}
	dpkg-query -W -f='${Status}\n' "$name" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# qemu must be new enough: bookworm's own 7.2 lacks working CXL type-3 ram
if command -v qemu-system-x86_64 >/dev/null; then
	qv=$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p')
	[ "${qv:-0}" -ge 10 ] || missing="$missing qemu-system-x86:bookworm-backports"
fi

if [ -z "$missing" ]; then
	log "all host packages present"
	exit 0
fi

bpo=/etc/apt/sources.list.d/devmemlab-bookworm-backports.list
if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	debian_mirror_init
	log "adding bookworm-backports at $DEBIAN_MIRROR ($DEBIAN_MIRROR_FROM) to apt sources ($bpo)"
	echo "deb $DEBIAN_MIRROR bookworm-backports main" | $SUDO tee "$bpo" >/dev/null
fi

log "apt-get update"
# Third-party sources on some hosts are unreachable; apt warns and goes on.
$SUDO apt-get update -qq || log "warning: apt-get update reported errors (continuing)"

plain= bpo_pkgs=
for p in $missing; do
	case $p in
	*:bookworm-backports) bpo_pkgs="$bpo_pkgs ${p%%:*}" ;;
	*) plain="$plain ${p%%:*}" ;;
	esac
done
export DEBIAN_FRONTEND=noninteractive
if [ -n "$bpo_pkgs" ]; then
	log "installing from bookworm-backports:$bpo_pkgs"
	$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports $bpo_pkgs
fi
if [ -n "$plain" ]; then
	log "installing:$plain"
	$SUDO apt-get install -y -q --no-install-recommends $plain
fi
log "done: $(qemu-system-x86_64 --version | head -n1)"

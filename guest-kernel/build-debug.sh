#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug guest kernel: Debian's linux-source-7.3 (the whole tree,
# fetch-source.sh --tree), built in place in the trixie build root with its
# gcc-14 through ccache, from x86_64 defconfig + kvm_guest.config merged
# with lab.config and debug.config (later values win), then olddefconfig.
# Every option the fragments ask for is checked in the final .config.
#   build-debug.sh ROOT TREE OUT
#     OUT/bzImage, OUT/modules/lib/modules/<kver>, OUT/ccache, OUT/.stamp
# JOBS (default 2) is make's -j; make runs under nice -n 19. A change to the
# fragments or to the tree's version regenerates the config; anything else
# is make's (and ccache's) incremental rebuild.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
root=$1 tree=$2 out=$3
log() { printf 'devmemlab: debug-kernel: %s\n' "$*"; }
[ -f "$tree/arch/x86/configs/x86_64_defconfig" ] ||
	{ echo "devmemlab: debug-kernel: $tree is not a kernel tree (fetch-source.sh --tree)" >&2; exit 1; }
mkdir -p "$out/ccache"
src=$("$here/in-root.sh" --path "$tree") outdir=$("$here/in-root.sh" --path "$out")
ccache=$outdir/ccache
frags="$here/lab.config $here/debug.config"
kmake() {
	"$here/in-root.sh" "$root" env PATH=/usr/lib/ccache:/usr/sbin:/usr/bin CCACHE_DIR="$ccache" \
		nice -n 19 make -s -C "$src" -j"${JOBS:-2}" "$@"
}

start=$(date +%s)
# shellcheck disable=SC2086
cstamp="$KPKG_VER $(cat $frags | cksum)"
if [ ! -f "$tree/.config" ] || [ "$(cat "$tree/.dml-config-stamp" 2>/dev/null)" != "$cstamp" ]; then
	log "config: x86_64_defconfig + kvm_guest.config + lab.config + debug.config"
	rm -f "$tree/.dml-config-stamp"
	kmake x86_64_defconfig kvm_guest.config >/dev/null
	"$here/in-root.sh" "$root" sh -c "cd $src && scripts/kconfig/merge_config.sh -m -O $src .config \
		/src/guest-kernel/lab.config /src/guest-kernel/debug.config" >/dev/null
	kmake olddefconfig >/dev/null
	# shellcheck disable=SC2086
	"$here/check-config.sh" "$tree/.config" $frags || exit 1
	echo "$cstamp" > "$tree/.dml-config-stamp"
fi
log "make -j${JOBS:-2} bzImage modules (ccache: $out/ccache)"
kmake bzImage modules
kver=$(cat "$tree/include/config/kernel.release")
log "modules_install ($kver)"
rm -rf "$out/modules.new"
kmake modules_install INSTALL_MOD_PATH="$outdir/modules.new" INSTALL_MOD_STRIP=1 >/dev/null
rm -f "$out/modules.new/lib/modules/$kver/build" "$out/modules.new/lib/modules/$kver/source"
rm -rf "$out/modules"; mv "$out/modules.new" "$out/modules"
cp "$tree/arch/x86/boot/bzImage" "$out/bzImage"
touch "$out/.stamp"
log "ready: $out/bzImage $out/modules/lib/modules/$kver ($(($(date +%s) - start)) s)"

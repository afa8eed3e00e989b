#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A copy of the debug tree (make debug-kernel) with one patch applied, built
# in the build root: make patched-kernel PATCH=file (build/patched/NAME/src),
# and make ab-demo's B kernel (build/ab-revert/src, a one-line revert in
# mm/memremap.c). The copy keeps the objects and their times, so only what
# the patch touches is compiled and vmlinux relinked (a minute or two for a
# file in mm/); the debug tree itself is never touched. The copy is made
# again when the debug tree was rebuilt or the patch changed since.
#   patch-tree.sh ROOT DEBUG_TREE OUT PATCH     -> OUT/src, a built tree
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
root=$1 tree=$2 out=$3 patch=$4
log() { printf 'devmemlab: patch-tree: %s\n' "$*"; }
die() { printf 'devmemlab: patch-tree: %s\n' "$*" >&2; exit 1; }
[ -f "$patch" ] || die "PATCH=$patch: no such file"
[ -f "$tree/arch/x86/boot/bzImage" ] || die "$tree is not built (make debug-kernel)"
if [ ! -f "$out/src/.dml-patch" ] || ! cmp -s "$patch" "$out/src/.dml-patch" ||
	[ -n "$(find "$tree/arch/x86/boot/bzImage" -newer "$out/src/.dml-patch")" ]; then
	log "copying $tree to $out/src ($(du -sh "$tree" | cut -f1))"
	rm -rf "$out"; mkdir -p "$out"
	cp -a "$tree" "$out/src.new"
	# a patch that does not apply leaves no tree behind
	if ! why=$(patch -s -p1 -d "$out/src.new" < "$patch" 2>&1); then
		rm -rf "$out"
		die "$patch does not apply to $tree: $(echo "$why" | head -n 1)"
	fi
	cp "$patch" "$out/src.new/.dml-patch"
	mv "$out/src.new" "$out/src"
fi
src=$("$here/guest-kernel/in-root.sh" --path "$out/src")
ccache=$("$here/guest-kernel/in-root.sh" --path "$(dirname "$tree")/ccache")
start=$(date +%s)
log "make bzImage modules in $out/src ($(basename "$patch"))"
"$here/guest-kernel/in-root.sh" "$root" env PATH=/usr/lib/ccache:/usr/sbin:/usr/bin CCACHE_DIR="$ccache" \
	nice -n 19 make -s -C "$src" -j"${JOBS:-2}" bzImage modules
log "ready: $out/src ($(($(date +%s) - start)) s)"

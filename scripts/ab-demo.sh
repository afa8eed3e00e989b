#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make ab-demo's B kernel: a copy of the debug tree (make debug-kernel) with
# guest-kernel/patches/ab-demo-no-compound-head-clear.patch, a one-line
# revert in mm/memremap.c, built in the build root. The copy keeps the
# objects and their times, so only mm/memremap.o is compiled and vmlinux
# relinked (about a minute); the debug tree itself is never touched.
#   ab-demo.sh ROOT DEBUG_TREE OUT     -> OUT/src, a built tree
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
root=$1 tree=$2 out=$3
patch=$here/guest-kernel/patches/ab-demo-no-compound-head-clear.patch
log() { printf 'devmemlab: ab-demo: %s\n' "$*"; }
[ -f "$tree/arch/x86/boot/bzImage" ] || { echo "devmemlab: ab-demo: $tree is not built (make debug-kernel)" >&2; exit 1; }
# a copy older than the debug tree's last build is made again
if [ ! -f "$out/src/.dml-ab-demo" ] || [ -n "$(find "$tree/arch/x86/boot/bzImage" -newer "$out/src/.dml-ab-demo")" ]; then
	log "copying $tree to $out/src ($(du -sh "$tree" | cut -f1))"
	rm -rf "$out"; mkdir -p "$out"
	cp -a "$tree" "$out/src.new"
	patch -s -p1 -d "$out/src.new" < "$patch"
	mv "$out/src.new" "$out/src"
	touch "$out/src/.dml-ab-demo"
fi
grep -q 'new_folio->pgmap = pgmap;' "$out/src/mm/memremap.c" &&
	{ echo "devmemlab: ab-demo: $out/src/mm/memremap.c still has the line the patch removes" >&2; exit 1; }
src=$("$here/guest-kernel/in-root.sh" --path "$out/src")
ccache=$("$here/guest-kernel/in-root.sh" --path "$(dirname "$tree")/ccache")
start=$(date +%s)
log "make bzImage modules in $out/src (the reverted line: mm/memremap.c)"
"$here/guest-kernel/in-root.sh" "$root" env PATH=/usr/lib/ccache:/usr/sbin:/usr/bin CCACHE_DIR="$ccache" \
	nice -n 19 make -s -C "$src" -j"${JOBS:-2}" bzImage modules
log "ready: $out/src ($(($(date +%s) - start)) s)"

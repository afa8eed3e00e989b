#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the kernel's own device-memory test driver and its selftest from
# Debian's linux-source-7.3 (fetched by fetch-source.sh, never committed), in
# the trixie build root, for side-by-side runs with devmemlab:
#   OUT/test_hmm.ko   lib/test_hmm.c as an out-of-tree module (W=1 is not
#                     asked of upstream code)
#   OUT/hmm-tests     tools/testing/selftests/mm/hmm-tests.c, static, with
#                     the kselftest harness, vm_util.c and hugepage_settings.c
#   build-upstream.sh ROOT SRC OUT [KDIR [host]]
# KDIR: a built kernel tree (KERNEL_SRC, the debug kernel's; SRC is then the
# tree itself) to build test_hmm.ko against instead of Debian's headers.
# Built in the build root (the tree must be inside the checkout), or with
# "host" by the host's make and gcc (a tree the host's gcc built).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
root=$1 src=$2 out=$3 kdir=/lib/modules/$KVER/build
log() { printf 'devmemlab: upstream: %s\n' "$*"; }
mkdir -p "$out/src"
cp "$src/lib/test_hmm.c" "$src/lib/test_hmm_uapi.h" "$out/src/"
echo 'obj-m := test_hmm.o' > "$out/src/Kbuild"
if [ "${5:-}" = host ]; then
	inroot() { sh -c "$1"; }
	src=$(cd "$src" && pwd) kdir=$(cd "$4" && pwd) outdir=$(cd "$out" && pwd)
else
	inroot() { "$here/in-root.sh" "$root" sh -c "$1"; }
	src=$("$here/in-root.sh" --path "$src")
	[ $# -lt 4 ] || kdir=$("$here/in-root.sh" --path "$4")
	outdir=$("$here/in-root.sh" --path "$out")
fi
log "test_hmm.ko (against $kdir${5:+, with the host gcc})"
inroot "make -s -C $kdir M=$outdir/src MO=$outdir/obj modules"
cp "$out/obj/test_hmm.ko" "$out/test_hmm.ko"
log "hmm-tests (static)"
inroot "cd $src/tools/testing/selftests/mm && \
	gcc -static -O2 -Wall -I $src -I $src/tools/testing/selftests -U_FORTIFY_SOURCE \
	-o $outdir/hmm-tests hmm-tests.c vm_util.c hugepage_settings.c -lrt -lpthread -lm"
log "ready: $out/test_hmm.ko $out/hmm-tests"

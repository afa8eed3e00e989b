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
#   build-upstream.sh ROOT SRC OUT [KDIR]
# KDIR: a built kernel tree inside the checkout (the debug kernel's) to build
# test_hmm.ko against, instead of Debian's headers in the build root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/versions.env"
root=$1 src=$2 out=$3 kdir=/lib/modules/$KVER/build
log() { printf 'devmemlab: upstream: %s\n' "$*"; }
src=$("$here/in-root.sh" --path "$src")
[ $# -lt 4 ] || kdir=$("$here/in-root.sh" --path "$4")
mkdir -p "$out/src"
outdir=$("$here/in-root.sh" --path "$out")
cp "$repo${src#/src}/lib/test_hmm.c" "$repo${src#/src}/lib/test_hmm_uapi.h" "$out/src/"
echo 'obj-m := test_hmm.o' > "$out/src/Kbuild"
log "test_hmm.ko (against $kdir)"
"$here/in-root.sh" "$root" make -s -C "$kdir" M="$outdir/src" \
	MO="$outdir/obj" modules
cp "$out/obj/test_hmm.ko" "$out/test_hmm.ko"
log "hmm-tests (static)"
"$here/in-root.sh" "$root" sh -c "cd $src/tools/testing/selftests/mm && \
	gcc -static -O2 -Wall -I $src -I $src/tools/testing/selftests -U_FORTIFY_SOURCE \
	-o $outdir/hmm-tests hmm-tests.c vm_util.c hugepage_settings.c -lrt -lpthread -lm"
log "ready: $out/test_hmm.ko $out/hmm-tests"

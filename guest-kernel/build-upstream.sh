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
#   build-upstream.sh ROOT SRC OUT
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/versions.env"
root=$1 src=$2 out=$3
log() { printf 'devmemlab: upstream: %s\n' "$*"; }
case $src in "$repo"/*|build/*) ;; *) echo "devmemlab: upstream: $src must be inside the checkout" >&2; exit 1 ;; esac
src=$(cd "$src" && pwd); src=/src${src#"$repo"}
mkdir -p "$out/src"
outdir=$(cd "$out" && pwd); outdir=/src${outdir#"$repo"}
cp "$repo${src#/src}/lib/test_hmm.c" "$repo${src#/src}/lib/test_hmm_uapi.h" "$out/src/"
echo 'obj-m := test_hmm.o' > "$out/src/Kbuild"
log "test_hmm.ko"
"$here/in-root.sh" "$root" make -s -C "/lib/modules/$KVER/build" M="$outdir/src" \
	MO="$outdir/obj" modules
cp "$out/obj/test_hmm.ko" "$out/test_hmm.ko"
log "hmm-tests (static)"
"$here/in-root.sh" "$root" sh -c "cd $src/tools/testing/selftests/mm && \
	gcc -static -O2 -Wall -I $src -I $src/tools/testing/selftests -U_FORTIFY_SOURCE \
	-o $outdir/hmm-tests hmm-tests.c vm_util.c hugepage_settings.c -lrt -lpthread -lm"
log "ready: $out/test_hmm.ko $out/hmm-tests"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's linux-source-7.3 (matching the guest kernel) with the
# private apt configuration. Nothing of it is committed. Idempotent.
#   fetch-source.sh OUT          only the files the lab uses, into OUT
#                                (checkpatch and its data; the upstream
#                                test_hmm driver and the mm selftests with the
#                                kselftest harness, for side-by-side runs)
#   fetch-source.sh --tree OUT   the whole tree, into OUT (the debug kernel,
#                                guest-kernel/build-debug.sh)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
. "$here/../scripts/debian-mirror.sh"
tree=
[ "$1" = --tree ] && { tree=1; shift; }
mkdir -p "$(dirname "$1")"
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FILES="scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	lib/test_hmm.c lib/test_hmm_uapi.h mm/gup_test.h tools/testing/selftests/mm/*
	tools/testing/selftests/kselftest*"
[ -n "$tree" ] && FILES=
stamp="$KPKG_VER ${tree:+whole tree}$(set -f; echo $FILES)"
log() { printf 'devmemlab: linux-source: %s\n' "$*"; }
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
	log "up to date ($out)"
	touch "$out/.stamp"	# newer than the script and pins make compares it with
	exit 0
fi
tmp=$out.new
rm -rf "$tmp"; mkdir -p "$tmp/deb"
trap 'rm -rf "$tmp"' EXIT
debian_mirror_init
log "fetching linux-source-7.3 ($KPKG_VER, ~170 MB) from $DEBIAN_MIRROR ($DEBIAN_MIRROR_FROM)"
"$here/apt-private.sh" "$(dirname "$out")/apt" update
(cd "$tmp/deb" && "$here/apt-private.sh" "$(dirname "$out")/apt" download -qq "linux-source-7.3=$KPKG_VER")
dpkg-deb --fsys-tarfile "$tmp"/deb/*.deb | tar -x -C "$tmp/deb" ./usr/src/linux-source-7.3.tar.xz
# with no FILES (--tree), everything
# shellcheck disable=SC2086
tar -xJf "$tmp/deb/usr/src/linux-source-7.3.tar.xz" -C "$tmp" --strip-components=1 --wildcards \
	$(set -f; for f in $FILES; do echo "linux-source-7.3/$f"; done)
rm -rf "$tmp/deb"
echo "$stamp" > "$tmp/.stamp"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
log "ready: $out"

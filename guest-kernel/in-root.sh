#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run a command in the trixie build root with this checkout at /src and
# /proc mounted (objtool needs it), in a private mount namespace: the
# mounts vanish with the command, whatever happens to it.
#   in-root.sh ROOT CMD [ARGS...]
#   in-root.sh --path DIR   print DIR (inside this checkout) as the root sees it
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "$1" = --path ]; then
	p=$(cd "$2" && pwd)
	case $p in "$repo"/*) echo "/src${p#"$repo"}"; exit 0 ;; esac
	echo "devmemlab: $2 must be inside the checkout ($repo) to be seen from the build root" >&2; exit 1
fi
root=$(cd "$1" && pwd); shift
[ -x "$root/usr/bin/gcc-14" ] || { echo "devmemlab: build root $root is missing (make buildroot)" >&2; exit 1; }
mkdir -p "$root/src"
exec unshare --mount --propagation private sh -c '
	root=$1 repo=$2; shift 2
	mount -t proc proc "$root/proc" && mount --bind "$repo" "$root/src" &&
		exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin HOME=/root LANG=C.UTF-8 "$@"' \
	sh "$root" "$repo" "$@"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest initramfs:
#   mkinitramfs.sh OUT ROOT MODBASE KVER "MODULES" "KO_DIRS" "TOOL_DIRS" ["TREES"]
# OUT          output .cpio.zst
# ROOT         trixie build root: busybox, kmod, cxl/daxctl/ndctl, nvme-cli,
#              lspci, jq and every library they need, resolved by ROOT's ld.so
# MODBASE      directory holding lib/modules/KVER (Debian's tree or the user's)
# MODULES      modules to include with their dependency closure
# KO_DIRS      directories of out-of-tree .ko files (ours, test_hmm); may be missing
# TOOL_DIRS    directories of guest tool binaries (go to /lab/bin)
# TREES        SRC:NAME pairs: directory SRC copied to /lab/NAME (ndctl's tests)
# Modules are decompressed at build time (no "Invalid ELF header" noise),
# depmod runs on the small tree. Nothing of the host's libc is used.
set -eu
out=$1 root=$2 modbase=$(cd "$3" && pwd) kver=$4 mods=$5 extra=$6 tools=$7 trees=${8:-}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
log() { printf 'devmemlab: initramfs: %s\n' "$*"; }
die() { printf 'devmemlab: initramfs: %s\n' "$*" >&2; exit 1; }

ldso=$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
libpath=$root/usr/lib/x86_64-linux-gnu
[ -x "$ldso" ] || die "no build root at $root (make buildroot)"
[ -d "$modbase/lib/modules/$kver/kernel" ] || die "no module tree $modbase/lib/modules/$kver"
# kmod picks its personality from argv[0]
kmodcmd() { c=$1; shift; "$ldso" --library-path "$libpath" --argv0 "$c" "$root/usr/bin/kmod" "$@"; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/devmemlab-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# 1. a full depmod of the module tree, once per tree
md=$modbase/lib/modules/$kver
# (Debian's package ships no modules.builtin/order: empty ones keep kmod quiet)
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -e "$md/$f" ] || : > "$md/$f"
done
if [ ! -s "$md/modules.dep" ] || [ "$md/modules.dep" -ot "$md/modules.order" ]; then
	log "depmod of $md (once)"
	kmodcmd depmod -b "$modbase" "$kver" || die "depmod failed on $md"
fi

# 2. layout (merged /usr, like trixie)
mkdir -p "$stage/usr/bin" "$stage/usr/sbin" "$stage/usr/lib/x86_64-linux-gnu" \
	"$stage/usr/lib64" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/lab/bin" \
	"$stage/root" "$stage/etc" "$stage/usr/share/misc"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$stage/$d"; done
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"

# 3. userspace from the build root, with the libraries its ld.so resolves
copy_libs() {	# the build root's libraries that binary $1 needs (none if static)
	"$ldso" --verify "$1" >/dev/null 2>&1 || return 0
	"$ldso" --library-path "$libpath" --list "$1" 2>/dev/null |
		sed -n 's/.*=> \([^ ]*\) .*/\1/p' | while read -r lib; do
			rel=${lib#"$root"}
			[ -e "$stage$rel" ] || cp -L "$lib" "$stage$rel"
		done
}
copy_bin() {
	src=$root$1
	[ -x "$src" ] || die "$1 missing from the build root"
	cp -a "$src" "$stage$1"
	copy_libs "$src"
}
cp "$root/usr/bin/busybox" "$stage/usr/bin/busybox"
# bash, GNU mktemp, uuidgen and keyctl: ndctl's CXL tests (tests/vm/cxl-test.sh) need them
for b in /usr/bin/bash /usr/bin/mktemp /usr/bin/uuidgen /usr/bin/keyctl /usr/bin/kmod /usr/bin/cxl /usr/bin/daxctl /usr/bin/ndctl /usr/sbin/nvme /usr/bin/lspci /usr/bin/jq; do
	copy_bin "$b"
done
# valgrind's memcheck for the guest tools (tests/vm/valgrind.sh): the real
# binary (Debian's /usr/bin/valgrind is a wrapper script), one tool, and
# ld.so's symbols from libc6-dbg, without which it cannot redirect strlen
copy_bin /usr/bin/valgrind.bin
mv "$stage/usr/bin/valgrind.bin" "$stage/usr/bin/valgrind"
mkdir -p "$stage/usr/libexec/valgrind"
for f in memcheck-amd64-linux vgpreload_core-amd64-linux.so vgpreload_memcheck-amd64-linux.so default.supp; do
	[ -e "$root/usr/libexec/valgrind/$f" ] || die "valgrind's $f missing from the build root"
	cp "$root/usr/libexec/valgrind/$f" "$stage/usr/libexec/valgrind/"
done
bid=$(readelf -n "$ldso" | sed -n 's/.*Build ID: //p')
dbg=/usr/lib/debug/.build-id/$(echo "$bid" | cut -c1-2)/$(echo "$bid" | cut -c3-).debug
[ -e "$root$dbg" ] || die "ld.so's debug symbols ($dbg) missing from the build root"
mkdir -p "$stage${dbg%/*}"
cp "$root$dbg" "$stage$dbg"
cp -L "$ldso" "$stage/usr/lib/x86_64-linux-gnu/"
ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$stage/usr/lib64/ld-linux-x86-64.so.2"
for t in modprobe insmod rmmod lsmod modinfo depmod; do ln -s ../bin/kmod "$stage/usr/sbin/$t"; done
[ -f "$root/usr/share/misc/pci.ids" ] && cp "$root/usr/share/misc/pci.ids" "$stage/usr/share/misc/"
for a in $("$stage/usr/bin/busybox" --list-full); do
	[ -e "$stage/$a" ] || [ -L "$stage/$a" ] || ln -s /usr/bin/busybox "$stage/$a"
done

# 4. modules: dependency closure (softdeps included), decompressed
sm=$stage/lib/modules/$kver
mkdir -p "$sm"
for f in modules.builtin modules.builtin.modinfo modules.order; do
	cp "$md/$f" "$sm/"
done
n=0
for m in $mods; do
	kmodcmd modprobe -d "$modbase" -S "$kver" --show-depends "$m" 2>/dev/null >"$stage/deps" ||
		die "module $m not found in $md"
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		rel=${path#"$modbase"/lib/modules/"$kver"/}
		dst=$sm/${rel%.xz}
		dst=${dst%.zst}
		[ -e "$dst" ] && continue
		mkdir -p "$(dirname "$dst")"
		case $path in
		*.xz) xz -dc "$path" > "$dst" ;;
		*.zst) zstd -qdc "$path" > "$dst" ;;
		*) cp "$path" "$dst" ;;
		esac
		n=$((n + 1))
	done < "$stage/deps"
done
rm -f "$stage/deps"
for d in $extra; do
	for ko in "$d"/*.ko; do
		[ -f "$ko" ] || continue
		mkdir -p "$sm/updates"
		cp "$ko" "$sm/updates/"
		n=$((n + 1))
	done
done
kmodcmd depmod -b "$stage" "$kver" || die "depmod of the initramfs tree failed"

# 5. the lab: /init, workloads, in-VM tests, guest tools
cp "$here/init" "$stage/init"
cp "$here"/lab/*.sh "$stage/lab/"
mkdir -p "$stage/lab/tests"
cp "$repo"/tests/vm/*.sh "$stage/lab/tests/" 2>/dev/null || true
for d in $tools; do
	for t in "$d"/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		cp "$t" "$stage/lab/bin/"
		copy_libs "$t"
	done
done
for t in $trees; do
	[ -d "${t%%:*}" ] || die "no directory ${t%%:*}"
	cp -r "${t%%:*}" "$stage/lab/${t#*:}"
done
chmod 755 "$stage/init" "$stage"/lab/*.sh

# 6. archive, renamed into place only when complete
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q -3 -T0 > "$out.tmp"
mv "$out.tmp" "$out"
log "$out: $(du -h "$out" | cut -f1), $n modules for kernel $kver"

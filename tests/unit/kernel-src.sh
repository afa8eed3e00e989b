#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: a kernel tree given as KERNEL_SRC (yours, or the
# debug kernel's) is checked before anything is built or booted. Fake trees
# in a temp dir, each missing one thing the lab needs (a bzImage, the
# kernel.release of a configured build, CONFIG_ZONE_DEVICE,
# CONFIG_DEVICE_PRIVATE or CONFIG_GPU_BUDDY in include/config/auto.conf,
# built modules), and a
# MODULES without lib/modules/<kver>: each must stop make at once with one
# line naming what is missing; a complete fake tree passes. make
# patched-kernel without PATCH or with a PATCH that is not there stops the
# same way, and scripts/patch-tree.sh with a patch that does not apply says
# so in one line and leaves no tree behind. So must
# GUEST=debug before the debug kernel is built, and an unknown GUEST. Then
# guest-kernel/check-config.sh: an option a fragment asks for that
# olddefconfig dropped or changed is one line naming fragment:line.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ktap_plan 24
# make as a user types it, without what `make check GUEST=debug` hands its suites
mk() { scripts/plain-make.sh "$@"; }

# tree NAME [SKIP...]: a fake built tree in $tmp/NAME without the files SKIP names
tree() {
	t=$tmp/$1; shift
	mkdir -p "$t/arch/x86/boot" "$t/include/config"
	echo bz > "$t/arch/x86/boot/bzImage"
	echo 7.3.4-fake > "$t/include/config/kernel.release"
	printf 'CONFIG_ZONE_DEVICE=y\nCONFIG_DEVICE_PRIVATE=y\nCONFIG_GPU_BUDDY=y\nCONFIG_MODULES=y\n' \
		> "$t/include/config/auto.conf"
	: > "$t/Module.symvers"
	for s in "$@"; do
		case $s in
		CONFIG_*) sed -i "/^$s=/d" "$t/include/config/auto.conf" ;;
		*) rm -f "$t/$s" ;;
		esac
	done
}
# bad NAME NEEDLE MAKE-ARGS...: make stops with one line holding NEEDLE
bad() {
	n=$1 needle=$2; shift 2
	mk -n launcher "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 0 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -qF -- "$needle" "$tmp/err"; then
		ktap_ok "$n: one line, before any build ($(sed 's/.*\*\*\* //' "$tmp/err"))"
	else
		ktap_fail "$n: make stops with one line holding '$needle'" "exit $rc, stderr:" "$(head -n 5 "$tmp/err")"
	fi
}

tree good
mk -n launcher KERNEL_SRC="$tmp/good" >/dev/null 2>"$tmp/err"
ktap_is "a complete built tree passes the checks" "$?:$(cat "$tmp/err")" "0:"
tree nobz arch/x86/boot/bzImage
bad "no bzImage" "KERNEL_SRC=$tmp/nobz is not a built kernel tree: no arch/x86/boot/bzImage" KERNEL_SRC="$tmp/nobz"
tree norel include/config/kernel.release
bad "no kernel.release" "KERNEL_SRC=$tmp/norel is not a built kernel tree: no include/config/kernel.release" \
	KERNEL_SRC="$tmp/norel"
tree nozd CONFIG_ZONE_DEVICE
bad "no ZONE_DEVICE" "KERNEL_SRC=$tmp/nozd lacks CONFIG_ZONE_DEVICE=y" KERNEL_SRC="$tmp/nozd"
tree nodp CONFIG_DEVICE_PRIVATE
bad "no DEVICE_PRIVATE" "KERNEL_SRC=$tmp/nodp lacks CONFIG_DEVICE_PRIVATE=y" KERNEL_SRC="$tmp/nodp"
tree nobuddy CONFIG_GPU_BUDDY
bad "no GPU_BUDDY (devmemlab.ko's allocator)" "KERNEL_SRC=$tmp/nobuddy lacks CONFIG_GPU_BUDDY=y" KERNEL_SRC="$tmp/nobuddy"
tree nomod Module.symvers
bad "modules not built" "KERNEL_SRC=$tmp/nomod has no built modules (no Module.symvers)" KERNEL_SRC="$tmp/nomod"
mkdir -p "$tmp/mods/lib/modules/7.3.4-other"
bad "MODULES without the tree's kernel" "MODULES=$tmp/mods has no lib/modules/7.3.4-fake" \
	KERNEL_SRC="$tmp/good" MODULES="$tmp/mods"
bad "a nonexistent tree" "KERNEL_SRC=$tmp/none is not a built kernel tree" KERNEL_SRC="$tmp/none"
# a tree built by another gcc than the host's: modules in the build root, which sees only the checkout
tree othercc
echo 'CONFIG_CC_VERSION_TEXT=gcc (Debian 99.1.0-1) 99.1.0' >> "$tmp/othercc/include/config/auto.conf"	# unquoted, as Kconfig writes it
bad "another compiler, outside the checkout" "KERNEL_SRC=$tmp/othercc was built by 'gcc (Debian 99.1.0-1) 99.1.0', not the host's gcc" \
	KERNEL_SRC="$tmp/othercc"
ktap_is "check-tree --in-root: another compiler's tree is built in the build root" \
	"$(guest-kernel/check-tree.sh --in-root "$tmp/othercc")" y
echo "CONFIG_CC_VERSION_TEXT=$(gcc --version | head -n 1)" >> "$tmp/good/include/config/auto.conf"
ktap_is "check-tree --in-root: a tree the host's gcc built is built on the host" \
	"$(guest-kernel/check-tree.sh --in-root "$tmp/good")" ""
# a KASAN tree boots with 4-level paging (QEMU's la57 vs 7.3.4's KASAN: docs/guest-kernel.md)
tree kasan
echo CONFIG_KASAN=y > "$tmp/kasan/.config"
ktap_is "a KASAN tree's boots get no5lvl (make ab, make check KERNEL_SRC=)" \
	"$(mk print-GUEST_APPEND KERNEL_SRC="$tmp/kasan" 2>&1)" no5lvl
echo '# CONFIG_KASAN is not set' > "$tmp/good/.config"
ktap_is "a tree without KASAN boots as it is" \
	"$(mk print-GUEST_APPEND KERNEL_SRC="$tmp/good" 2>&1)" ""
bad "GUEST=debug before make debug-kernel" "GUEST=debug: no debug kernel yet: make debug-kernel first" \
	GUEST=debug BUILD="$tmp/build"
bad "an unknown GUEST" "GUEST=debgu: the only other guest is GUEST=debug" GUEST=debgu

# make patched-kernel PATCH= (scripts/patch-tree.sh)
pbad() {
	n=$1 needle=$2; shift 2
	mk -n patched-kernel "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 0 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -qF -- "$needle" "$tmp/err"; then
		ktap_ok "$n: one line, before any build ($(sed 's/.*\*\*\* //' "$tmp/err"))"
	else
		ktap_fail "$n: make stops with one line holding '$needle'" "exit $rc, stderr:" "$(head -n 5 "$tmp/err")"
	fi
}
pbad "patched-kernel without PATCH" "make patched-kernel needs PATCH=<a patch to the kernel tree"
pbad "patched-kernel, PATCH not there" "PATCH=$tmp/no.patch: no such file" PATCH="$tmp/no.patch"
printf -- '--- a/mm/none.c\n+++ b/mm/none.c\n@@ -1 +1 @@\n-a\n+b\n' > "$tmp/stale.patch"
scripts/patch-tree.sh /nonexistent "$tmp/good" "$tmp/patched" "$tmp/stale.patch" >"$tmp/out" 2>"$tmp/err"
ktap_is "patch-tree: a patch that does not apply: exit 1, one line naming it" \
	"$?:$(wc -l < "$tmp/err"):$(grep -c "stale.patch does not apply to $tmp/good" "$tmp/err")" "1:1:1"
ktap_is "patch-tree: ... and no tree left behind" "$(ls -A "$tmp/patched" 2>&1)" \
	"ls: cannot access '$tmp/patched': No such file or directory"

# check-config.sh: the fragments' last word against the final .config
printf 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x"\n' > "$tmp/f1"
printf 'CONFIG_C=m\nCONFIG_D=y\n' > "$tmp/f2"
printf 'CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=m\n' > "$tmp/config"
out=$(guest-kernel/check-config.sh "$tmp/config" "$tmp/f1" "$tmp/f2" 2>&1)
ktap_is "check-config: exit 1, one line per option dropped or changed" "$?:$(echo "$out" | wc -l)" "1:2"
ktap_has "check-config: an unset option asked for names the fragment's line" "$out" \
	"$tmp/f2:2: CONFIG_D=y, but $tmp/config has it unset (a dependency is missing)"
ktap_has "check-config: an option asked unset but set" "$out" "$tmp/f1:2: CONFIG_B=n, but $tmp/config has CONFIG_B=y"
printf 'CONFIG_A=y\nCONFIG_C=m\nCONFIG_D=y\n' > "$tmp/config"
out=$(guest-kernel/check-config.sh "$tmp/config" "$tmp/f1" "$tmp/f2" 2>&1)
ktap_is "check-config: the later fragment wins, all present: exit 0, silent" "$?:$out" "0:"
ktap_done

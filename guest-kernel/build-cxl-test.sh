#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's mock CXL topology and ndctl's CXL tests, for the debug kernel:
#   OUT/ko/          tools/testing/cxl built against TREE in the build root:
#                    cxl_test, cxl_mock, cxl_mock_mem, cxl_mock_accel,
#                    cxl_translate and the wrapped cxl_core, cxl_acpi,
#                    cxl_port, cxl_mem, cxl_pmem, dax_hmem (they replace the
#                    tree's own in the cxl_test initramfs only)
#   OUT/ndctl-test/  ndctl's test/cxl-*.sh, common, security.sh and cxl-security, from Debian's
#                    source of the ndctl the build root (and so the guest) has
#   build-cxl-test.sh ROOT TREE OUT
# TREE needs CXL_BUS, CXL_ACPI, CXL_PMEM as modules, CXL_REGION_INVALIDATION_TEST,
# NVDIMM_SECURITY_TEST, DEBUG_FS and MEMORY_HOTPLUG (tools/testing/cxl/
# config_check.c; guest-kernel/debug.config sets them).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$1 tree=$2 out=$3
log() { printf 'devmemlab: cxl-test: %s\n' "$*"; }
die() { printf 'devmemlab: cxl-test: %s\n' "$*" >&2; exit 1; }
[ -f "$tree/Module.symvers" ] || die "$tree is not built (make debug-kernel)"
for o in CONFIG_CXL_BUS=m CONFIG_CXL_ACPI=m CONFIG_CXL_PMEM=m CONFIG_NVDIMM_SECURITY_TEST=y; do
	grep -qx "$o" "$tree/.config" || die "$tree/.config lacks $o (tools/testing/cxl/config_check.c)"
done
src=$("$here/in-root.sh" --path "$tree")
mkdir -p "$out"
log "tools/testing/cxl against $tree"
"$here/in-root.sh" "$root" nice -n 19 make -s -C "$src" M="$src/tools/testing/cxl" -j"${JOBS:-2}" modules
rm -rf "$out/ko"; mkdir -p "$out/ko"
cp "$tree"/tools/testing/cxl/*.ko "$tree"/tools/testing/cxl/test/*.ko "$out/ko/"

# shellcheck disable=SC2016
ver=$(chroot "$root" dpkg-query -W -f '${Version}' ndctl) || die "no ndctl in the build root"
upver=${ver%-*}
if [ ! -f "$out/ndctl-test/.version" ] || [ "$(cat "$out/ndctl-test/.version")" != "$ver" ]; then
	log "ndctl $ver's tests (Debian's source)"
	rm -rf "$out/dl"; mkdir -p "$out/dl"
	# the orig tarball is all we need; apt checks its hash against the signed index
	(cd "$out/dl" && "$here/apt-private.sh" "$here/../build/apt" update &&
		"$here/apt-private.sh" "$here/../build/apt" source -d -qq "ndctl=$ver") >/dev/null 2>&1 || true
	[ -f "$out/dl/ndctl_$upver.orig.tar.gz" ] || die "could not fetch ndctl_$upver.orig.tar.gz (ndctl=$ver source)"
	rm -rf "$out/ndctl-test"; mkdir -p "$out/ndctl-test"
	tar -xzf "$out/dl/ndctl_$upver.orig.tar.gz" -C "$out/dl"
	cp "$out/dl/ndctl-$upver"/test/cxl-*.sh "$out/dl/ndctl-$upver/test/common" \
		"$out/dl/ndctl-$upver/test/security.sh" "$out/dl/ndctl-$upver/test/cxl-security" "$out/ndctl-test/"
	rm -rf "$out/dl"
	echo "$ver" > "$out/ndctl-test/.version"
fi
log "ready: $(find "$out/ko" -name '*.ko' | wc -l) modules in $out/ko, $(find "$out/ndctl-test" -name 'cxl-*.sh' | wc -l) tests in $out/ndctl-test"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Is TREE a built kernel tree the lab can boot and build its module
# against? Prints one line naming the first thing missing (and exits 1),
# nothing if all is there. The Makefile runs it before anything is built or
# booted when KERNEL_SRC is given. MODULES, when given, must hold
# lib/modules/<the tree's kernel.release>.
#   check-tree.sh TREE [MODULES]
#   check-tree.sh --in-root TREE   prints y if TREE was built by another
#                                  compiler than the host's gcc (the build
#                                  root's gcc-14: make debug-kernel)
# (auto.conf has the text unquoted, .config quoted)
cc_of() { sed -n 's/^CONFIG_CC_VERSION_TEXT="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$1/include/config/auto.conf" 2>/dev/null; }
other_cc() { c=$(cc_of "$1"); [ -n "$c" ] && [ "$c" != "$(gcc --version 2>/dev/null | head -n 1)" ]; }
if [ "$1" = --in-root ]; then
	other_cc "$2" && echo y
	exit 0
fi
t=$1 mods=${2:-}
say() { echo "devmemlab: $*"; exit 1; }
for f in arch/x86/boot/bzImage include/config/kernel.release include/config/auto.conf; do
	[ -f "$t/$f" ] || say "KERNEL_SRC=$t is not a built kernel tree: no $f (make bzImage modules there)"
done
for o in CONFIG_ZONE_DEVICE CONFIG_DEVICE_PRIVATE; do
	grep -qx "$o=y" "$t/include/config/auto.conf" ||
		say "KERNEL_SRC=$t lacks $o=y (include/config/auto.conf): merge guest-kernel/lab.config and rebuild"
done
# devmemlab.ko's allocator; a hidden option, selected by DRM_BUDDY (i915, xe,
# amdgpu) or by its KUnit test
grep -qx CONFIG_GPU_BUDDY=y "$t/include/config/auto.conf" ||
	say "KERNEL_SRC=$t lacks CONFIG_GPU_BUDDY=y, devmemlab.ko's allocator (select it with CONFIG_KUNIT=y and CONFIG_GPU_BUDDY_KUNIT_TEST=m, or a DRM driver using DRM_BUDDY)"
[ -f "$t/Module.symvers" ] || say "KERNEL_SRC=$t has no built modules (no Module.symvers): make modules there"
# the module must be built by the tree's compiler: the host's gcc, or the
# build root's, which sees only what is inside this checkout
if other_cc "$t"; then
	repo=$(cd "$(dirname "$0")/.." && pwd)
	case $(cd "$t" && pwd)/ in "$repo"/*) ;; *)
		say "KERNEL_SRC=$t was built by '$(cc_of "$t")', not the host's gcc: the lab builds modules for it in its build root, which sees only trees inside $repo" ;;
	esac
fi
kver=$(cat "$t/include/config/kernel.release")
[ -z "$mods" ] || [ -d "$mods/lib/modules/$kver" ] ||
	say "MODULES=$mods has no lib/modules/$kver for KERNEL_SRC=$t (make modules_install INSTALL_MOD_PATH=$mods there)"
exit 0

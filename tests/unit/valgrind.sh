#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: the launcher's main paths (qemu-cmd, libvirt-xml,
# check of a bad file, a full run against a replayed console, with a whole
# and a cut results stream, a deadline, a
# libvirt run with no daemon) run under valgrind memcheck; any error or
# definite/indirect leak fails. (tests/vm.sh runs a real libvirt boot so.)
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"; rm -f /dev/shm/devmemlab-vg-$$-*' EXIT
touch "$tmp/kernel" "$tmp/initrd"
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
RUN="run -t pci-bar --qemu tests/unit/fake-qemu --accel tcg --kernel $tmp/kernel --initrd $tmp/initrd --results $tmp/r --shm-prefix /dev/shm/devmemlab-vg-$$"

vg() {	# vg NAME WANT_RC ARGS...
	name=$1 want=$2; shift 2
	$VG qemu/devmemlab "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
	if [ $rc = "$want" ]; then ktap_ok "$name"; else ktap_fail "$name" "exit $rc, want $want" "$(tail -n 15 "$tmp/err")"; fi
}
ktap_plan 14
vg "valgrind: qemu-cmd pci-switch" 0 qemu-cmd -t pci-switch
vg "valgrind: libvirt-xml pci-switch" 0 libvirt-xml -t pci-switch --accel tcg
vg "valgrind: libvirt-xml cxl-type3" 0 libvirt-xml -t cxl-type3 --accel tcg
# shellcheck disable=SC2086
vg "valgrind: run --libvirt with no daemon" 5 $RUN --qemu "$PWD/tests/unit/fake-qemu" --libvirt --connect "qemu:///system?socket=$tmp/none"
vg "valgrind: list" 0 list
vg "valgrind: lava-job nvme-cmb" 0 lava-job -t nvme-cmb --suite nvme-cmb --kernel-url k --initrd-url i --disk-url d
vg "valgrind: lava-job refused (the lab's device, no image)" 2 lava-job -t accel --kernel-url k --initrd-url i
vg "valgrind: check a malformed topology" 2 check tests/unit/topologies/bad/window-small.ini
vg "valgrind: libvirt-xml accel-iommu" 0 libvirt-xml -t accel-iommu --accel tcg
vg "valgrind: check a malformed accel link" 2 check tests/unit/topologies/bad/accel-bandwidth-unit.ini
printf 'file a.txt 3\nabcfile ../b 1\nxend\n' > "$tmp/stream"
# shellcheck disable=SC2086
FAKE_STREAM=$tmp/stream FAKE_CONSOLE=tests/unit/consoles/clean.log vg "valgrind: run with a results stream" 0 $RUN
printf 'file a.txt 30\nabc' > "$tmp/stream"
# shellcheck disable=SC2086
FAKE_STREAM=$tmp/stream FAKE_CONSOLE=tests/unit/consoles/clean.log vg "valgrind: run with a cut results stream" 0 $RUN
# shellcheck disable=SC2086
FAKE_CONSOLE=tests/unit/consoles/warn.log vg "valgrind: run on a WARN console" 3 $RUN
# shellcheck disable=SC2086
FAKE_HANG=1 FAKE_CONSOLE=tests/unit/consoles/hang.log vg "valgrind: run past its deadline" 4 $RUN --timeout 2
ktap_done

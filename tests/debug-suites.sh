#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation (make check-debug): the suites that exercise the
# seed's bug class, on the debug kernel (DEBUG_VM, lockdep, KASAN; make
# debug-kernel), where the kernel's own checks judge them too: any
# VM_BUG_ON/VM_WARN_ON, lockdep or KASAN report on the console fails the
# boot (the launcher's verdict, exit 3). The device-private suite on the
# ivshmem BAR (CPU copies) and on the lab's accelerator (its DMA engine
# copies, the driver's DMA mapping and completion paths under lockdep and
# KASAN); the pci-switch topology's suite (P2PDMA below a switch, peer DMA
# accepted and refused); upstream hmm-tests against the tree's test_hmm;
# and the proof that a lockdep report is caught: a module that takes two
# mutexes in both orders must fail its boot with lockdep's line quoted.
# The whole `make check GUEST=debug` runs every suite; this is the part
# a patch to mm/ should pass first, in about a quarter of the time.
# Environment: KERNEL, INITRD (the debug kernel's), ACCEL, VM_TIMEOUT,
# GUEST_APPEND (no5lvl from the Makefile: see docs/guest-kernel.md).
cd "$(dirname "$0")/.." || exit 1
. guest-tools/lab/ktap.sh
. tests/vm-lib.sh
if [ "${GUEST:-}" != debug ]; then
	printf 'KTAP version 1\n1..1\nnot ok 1 debug suites: GUEST=debug expected (make check-debug)\n'
	exit 1
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# the debug kernel's boots take 2-5 times as long as Debian's
# shellcheck disable=SC2034 # boot() (tests/vm-lib.sh) runs it
RUN="qemu/devmemlab run --accel ${ACCEL:-auto} --kernel ${KERNEL:?} --initrd ${INITRD:?}
	--timeout ${VM_TIMEOUT:-1200} ${GUEST_APPEND:+--append $GUEST_APPEND}"
echo "KTAP version 1"
ktap_has "the guest kernel is the debug kernel (DEBUG_VM, lockdep, KASAN)" \
	"$(file -b "$KERNEL")" "dml-debug"

boot device-private 0 -t pci-bar -- sh /lab/tests/device-private.sh
boot "device-private accel" 0 -t accel -- sh /lab/tests/device-private.sh
# shellcheck disable=SC2046
boot pci-switch 0 -t pci-switch -- sh /lab/tests/devices.sh pci-switch $(expectations pci-switch)
boot hmm-upstream 0 -t pci-bar --cpus 1 -- sh /lab/tests/hmm-upstream.sh
boot lockdep-inversion 3 -t pci-bar -- modprobe dml_lockdep
ktap_has "lockdep-inversion: lockdep's report is quoted" "$(cat "$tmp/err")" \
	"WARNING: possible circular locking dependency detected"
echo "1..$KTAP_N"
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: the accelerator device (qemu/device/devmemlab-accel.c)
# is checked in the lab's QEMU build without a guest: build/accel-qtest
# (tests/unit/accel-qtest.c) drives build/qemu/qemu-system-x86_64 through
# QEMU's qtest protocol, as firmware and a driver would, and owns virtual
# time. Its results are imported here. The last cases submit random
# descriptors (ACCEL_SEED=N repeats a run) with random fault injection.
# `make check` and `make unit` build both first; missing, they are a
# failure, not a skip.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
Q=build/qemu/qemu-system-x86_64
T=build/accel-qtest
ktap_plan 29
if [ ! -x "$Q" ] || [ ! -x "$T" ]; then
	ktap_fail "the lab's QEMU and the qtest are built" "missing $Q or $T: run 'make qemu $T'"
	exit 1
fi
ktap_run "" timeout 120 "$T" "$Q" "$tmp/guest-errors.log"
ktap_done

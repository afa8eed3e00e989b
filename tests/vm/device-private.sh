#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar, accel and accel-iommu: the device-private suite. devmemlab
# binds the ivshmem device (the CPU copies) or the accelerator (its DMA
# engine copies); dml-realloc runs every group (seed scenario, splits, 100k-op
# churn, fault injection, bad arguments, the I-6 scan, data through every
# migration path, the race, eviction and rmmod), then dml-harden every
# hazard of concurrent misuse and failure (its pressure tests run in a boot
# of their own, tests/vm/pressure.sh; fsplit.ioctl, a known kernel issue,
# alone in tests/vm.sh). Each producer is judged by its plan
# and exit status too. Then a one-iteration dml-bench (at $1 MiB, default 2)
# leaves /results/dml-bench.json for the host to check its fields (numbers
# are measured by make demo and make bench-accel, not here).
. /lab/lib.sh
ktap_devmemlab
ktap_run "" dml-realloc -n 100000
ktap_run "" dml-harden -F pressure -V ioctl
# the engine's errors, poison and stalls (skipped where the CPU copies)
ktap_run "" dml-engine
ktap_check "dml-bench runs (one iteration, ${1:-2} MiB)" dml-bench -i 1 "${1:-2}"
echo "1..$KTAP_N"
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar: the device-private suite. devmemlab binds the ivshmem
# device; dml-realloc runs every group (seed scenario, splits, 100k-op
# churn, fault injection, bad arguments, the I-6 scan, data through every
# migration path, the race, eviction and rmmod); its KTAP is this suite's.
# Then a one-iteration dml-bench at 2 MiB leaves /results/dml-bench.json for
# the host to check its fields (numbers are measured by make demo, not here).
. /lab/lib.sh
if ! modprobe devmemlab || ! wait_for /dev/devmemlab0 5; then
	ktap_plan 1
	ktap_fail "modprobe devmemlab creates /dev/devmemlab0"
	exit 1
fi
dml-realloc -n 100000
status=$?
dml-bench -i 1 2 >/dev/null || status=1
exit $status

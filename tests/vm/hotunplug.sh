#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar-hotplug: hot-unplug during migration. devmemlab binds the
# BAR behind its root port; dml-unplug (its KTAP is this suite's) puts
# 256 MiB on device pages, keeps the file open with a reader and a migrator
# thread, prints its ready line and waits for the host's QMP device_del
# (tests/vm.sh), then checks remove()'s eviction and every byte.
#   hotunplug.sh [SIZE_MIB [WAIT_SECONDS]]
. /lab/lib.sh
if ! modprobe devmemlab || ! wait_for /dev/devmemlab0 5; then
	ktap_plan 1
	ktap_fail "modprobe devmemlab creates /dev/devmemlab0"
	exit 1
fi
exec dml-unplug -m "${1:-256}" -w "${2:-120}"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar: device memory under system memory pressure. The guest is
# filled to ~95 MiB available while 64 MiB live on device pages: they come
# back intact by CPU faults and by migration. Then the OOM killer kills a
# process in the middle of its migration loop: its device pages are freed
# and the device is clean. The kernel's OOM report is this boot's expected
# verdict (tests/vm.sh).
. /lab/lib.sh
echo "KTAP version 1"
if ! modprobe devmemlab || ! wait_for /dev/devmemlab0 5; then
	ktap_fail "modprobe devmemlab creates /dev/devmemlab0"
	echo "1..$KTAP_N"
	exit 1
fi
ktap_run "" dml-harden -f pressure
ktap_check "rmmod devmemlab returns" rmmod devmemlab
echo "1..$KTAP_N"
ktap_done

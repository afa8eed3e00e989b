#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar: device memory under system memory pressure. The guest is
# filled to ~95 MiB available while 72 MiB live on device pages: they come
# back intact by CPU faults, by migration and by eviction (order-9 system
# folios found by compaction and reclaim). Then the OOM killer kills a
# process in the middle of its migration loop: its device pages are freed
# and the device is clean. The kernel's OOM report is this boot's expected
# verdict (tests/vm.sh).
. /lab/lib.sh
ktap_devmemlab
# everything here but the process the OOM killer is meant for (its own
# oom_score_adj is 1000): a victim still inside a migration takes a while
# to exit, and the killer must not take the test meanwhile
echo -1000 > /proc/self/oom_score_adj
ktap_run "" dml-harden -f pressure
ktap_check "rmmod devmemlab returns" rmmod devmemlab
echo "1..$KTAP_N"
ktap_done

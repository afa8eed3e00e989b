#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make bench` workload on pci-bar: upstream's benchmark_thp_migration
# (test_hmm, RAM to RAM) and dml-bench (BAR) at the same sizes, in one boot.
# Leaves hmm-bench.txt, dml-bench.json and guest.txt in /results.
. /lab/lib.sh
uname -r > /results/guest.txt
t=hmm.hmm_device_private.benchmark_thp_migration
modprobe test_hmm || exit 1
if ! hmm-tests -r $t > /results/hmm-bench.txt 2>&1; then
	echo "benchmark_thp_migration failed once (best-effort migration); its single retry:"
	hmm-tests -r $t > /results/hmm-bench.txt 2>&1 || { cat /results/hmm-bench.txt; exit 1; }
fi
rmmod test_hmm
sed -n '/=== Single/,$p' /results/hmm-bench.txt | grep -v '^#'
modprobe devmemlab && wait_for /dev/devmemlab0 5 || exit 1
dml-bench -i 5 2 4 8 16 256

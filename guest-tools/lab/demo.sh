#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo` workload on pci-bar: the device-private module, its
# free/realloc checker (dml-realloc) and the migration benchmark
# (dml-bench, which leaves /results/dml-bench.json for the host).
. /lab/lib.sh
echo "== devmemlab demo on $(uname -r) =="
if ! modprobe devmemlab || ! wait_for /dev/devmemlab0 5; then
	echo "devmemlab module did not bind; inventory only"
	inventory
	exit 1
fi
inventory
dml-realloc -n 100000 > /tmp/realloc.ktap
rc=$?
pass=$(grep -c '^ok ' /tmp/realloc.ktap)
fail=$(grep -c '^not ok ' /tmp/realloc.ktap)
caught=$(grep -c '^ok .*faults: .* caught' /tmp/realloc.ktap)
modes=$(grep -c 'faults: .* caught' /tmp/realloc.ktap)
echo
echo "realloc checks: $pass passed, $fail failed (dml-realloc, seed 1, 100000 churn ops)"
echo "injected faults caught: $caught of $modes"
grep -A3 '^not ok ' /tmp/realloc.ktap
sed -n 's/^ok .* # XFAIL /known kernel issue, asserted: /p; s/^ok .* # XPASS /fixed in this kernel: /p' /tmp/realloc.ktap
echo
echo "migration throughput (TCG numbers are not hardware numbers; GB/s = 1e9 B/s):"
dml-bench -i 5 2 32 256 | sed -n '/^size/,$p' || rc=1
exit $rc

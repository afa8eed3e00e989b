#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, `make ab`'s workload (scripts/ab.sh), the same on both kernels:
# devmemlab loaded, dml-realloc's every group ($1 churn operations, default
# 20000), then dml-bench ($3 iterations, default 3, at $2 MiB, default 32)
# leaving /results/dml-bench.json; uname -r in /results/guest.txt.
. /lab/lib.sh
uname -r > /results/guest.txt
ktap_devmemlab
ktap_run "" dml-realloc -n "${1:-20000}"
ktap_check "dml-bench runs (-i ${3:-3}, ${2:-32} MiB)" dml-bench -i "${3:-3}" "${2:-32}"
echo "1..$KTAP_N"
ktap_done

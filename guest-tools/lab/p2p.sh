#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make p2p` workload on pci-switch: the P2PDMA matrix, every provider (the
# CMB NVMe and both BARs, whose last 64 MiB devmemlab publishes) against
# every NVMe client, with the outcome the kernel must give and the
# throughput of 1 MiB written and read back.
. /lab/lib.sh
modprobe devmemlab p2p_mib=64 || exit 1
wait_for /dev/devmemlab1 5
i=0; while [ ! -e /dev/nvme2n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rc=0
for p in nvmecmb $(for m in /sys/class/misc/devmemlab*; do basename "$(readlink -f "$m/device")"; done); do
	echo "== provider $p"
	dml-p2p -p "$p" nvmecmb:ok nvmesw:ok nvmefar:einval | grep -E '^(not )?ok' || rc=1
done
exit $rc

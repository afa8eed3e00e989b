#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo` workload: load the devmemlab module if the initramfs has one,
# then print what the guest sees as device memory.
. /lab/lib.sh
if modinfo devmemlab >/dev/null 2>&1; then
	modprobe devmemlab || exit 1
	echo "module: devmemlab loaded ($(modinfo -F vermagic devmemlab))"
	dmesg | grep 'devmemlab:' | sed 's/^/  dmesg: /'
else
	echo "module: devmemlab not in this initramfs; inventory only"
fi
inventory

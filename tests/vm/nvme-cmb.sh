#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, nvme-cmb (sourced by devices.sh): the nvme driver registered the
# CMB as P2PDMA memory and published it.
d=/sys/bus/pci/devices/$(pci_find 1b36:0010 | head -n 1)
ktap_is "p2pmem is published" "$(cat "$d/p2pmem/published")" 1
avail=$(cat "$d/p2pmem/available")
ktap_is "p2pmem available is positive and at most the size" \
	"$([ "$avail" -gt 0 ] && [ "$avail" -le "$(cat "$d/p2pmem/size")" ] && echo yes)" yes
ktap_check "p2pmem/allocate exists (mmap-able provider)" test -e "$d/p2pmem/allocate"
# unbinding the provider under a live p2pmem mapping: SIGBUS, then P2P works again
ktap_run "" dml-p2p -p nvme0 -U
ktap_run "" dml-p2p -p nvme0 nvme0:ok

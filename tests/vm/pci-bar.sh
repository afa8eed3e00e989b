#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, pci-bar (sourced by devices.sh): the whole BAR reads back what was
# written through the sysfs mapping; our module (built in the trixie build
# root) loads into Debian's kernel with a matching vermagic, binds the
# ivshmem device as device-private memory, and unloads.
out=$(dml-bar stamp 2>&1)
ktap_is "every 4 KiB page of BAR2 reads back its stamp (exit status, summary)" \
	"$?|$(echo "$out" | grep -c ', 0 mismatches,')" "0|1"
ktap_is "devmemlab.ko vermagic is this kernel's" "$(modinfo -F vermagic devmemlab | cut -d' ' -f1)" "$(uname -r)"
ktap_check "devmemlab.ko loads" modprobe devmemlab
ktap_check "it creates /dev/devmemlab0" wait_for /dev/devmemlab0 5
ktap_has "it maps the 1 GiB BAR2 as device-private pages" "$(dmesg | grep 'devmemlab0:')" \
	"devmemlab0: BAR2 1024 MiB as device-private pfns"
ktap_check "devmemlab.ko unloads" rmmod devmemlab

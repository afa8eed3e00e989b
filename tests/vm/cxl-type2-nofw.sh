#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, cxl-type2-nofw (sourced by devices.sh): without decoders committed
# by firmware, Linux 7.3 does not create a region for a type-2 device:
# devm_cxl_probe_mem() fails with -ENXIO, devmemlab does not bind, nothing
# is left behind. The expected outcome, asserted.
b=$(pci_find 1b36:00df | head -n 1)
modprobe devmemlab
echo 1 > /sys/bus/cxl/flush
k=$(dmesg | grep -E "devmemlab $b: type-2: ")
ktap_has "acceptance gets as far as the capacity (HDM decoder and RAS found)" "$k" \
	"type-2: capacity 256 MiB (DVSEC range 1)"
ktap_has "devm_cxl_probe_mem() refuses: -ENXIO, no committed region" "$k" \
	"type-2: devm_cxl_probe_mem: -6 (no committed region"
ktap_check "devmemlab does not bind: no /dev/devmemlab0, no driver" \
	test ! -e /dev/devmemlab0 -a ! -e "/sys/bus/pci/devices/$b/driver"
ktap_is "nothing left: no memdev, no region (cxl list -M -R)" "$(cxl list -M -R 2>/dev/null)" "[]"
ktap_check "devmemlab.ko unloads" rmmod devmemlab

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, cxl-type2 (sourced by devices.sh): the kernel's type-2 acceptance
# of the lab's accelerator, step by step, as docs/cxl-type2.md describes it.
# Firmware (the device model, at reset) committed and locked decoder 0 of the
# host bridge and of the device; the CXL core assembled region0 from them at
# boot only once a memdev exists, which devmemlab creates through
# devm_cxl_probe_mem(). No mailbox: cxl_pci must not bind (class 1200).
b=$(pci_find 1b36:00df | head -n 1)
ktap_has "cxl-accel is 1b36:00df, class 1200 (lspci -nn)" "$(lspci -nn -s "$b")" "[1200]: Red Hat, Inc. Device [1b36:00df]"
vv=$(lspci -vv -s "$b")
ktap_is "its CXL DVSECs: device (0), register locator (8), Flex Bus port (7)" \
	"$(echo "$vv" | grep -o 'Vendor=1e98 ID=000[0-9]' | sort | tr '\n' ' ')" \
	"Vendor=1e98 ID=0000 Vendor=1e98 ID=0007 Vendor=1e98 ID=0008 "
ktap_check "no driver before devmemlab (cxl_pci does not take a type-2 device)" \
	test ! -e "/sys/bus/pci/devices/$b/driver"
ktap_check "devmemlab.ko loads" modprobe devmemlab
ktap_check "it creates /dev/devmemlab0" wait_for /dev/devmemlab0 5
k=$(dmesg | grep -E "devmemlab $b: (type-2|devmemlab0): ")
ktap_is "acceptance: component registers with HDM decoder and RAS capabilities" \
	"$(echo "$k" | grep -c 'type-2: component registers: HDM decoder, RAS')" 1
ktap_is "acceptance: cxl_set_capacity() with DVSEC range 1's 256 MiB" \
	"$(echo "$k" | grep -c 'type-2: capacity 256 MiB (DVSEC range 1)')" 1
range=$(echo "$k" | sed -n 's/.*memdev attached to committed region \[range 0x0*\([0-9a-f]*\)-0x0*\([0-9a-f]*\)\]/\1-\2/p')
ktap_is "acceptance: devm_cxl_probe_mem() returns the committed region's range, 256 MiB" \
	"$(( 0x${range#*-} - 0x${range%-*} + 1 ))" 268435456
r=$(cxl list -R -M)
ktap_is "cxl list -M: the type-2 memdev on this device" \
	"$(echo "$r" | jq -r '[.[] | .memdevs? // empty | .[] | .host] | join(" ")')" "$b"
ktap_is "cxl list -R: region0 committed, 256 MiB at that range" \
	"$(echo "$r" | jq -r '[.[] | .regions? // empty | .[] | "\(.region) \(.decode_state) \(.size) \(.resource)"] | join(" ")')" \
	"region0 commit 268435456 $(printf '%d' "0x${range%-*}")"
ktap_is "the firmware-committed decoders carry it: host bridge decoder1.0, endpoint decoder2.0" \
	"$(cxl list -D | jq -r '[.. | objects | select(.decoder? and .region?) | "\(.decoder)=\(.region)"] | sort | join(" ")')" \
	"decoder1.0=region0 decoder2.0=region0"
ktap_has "iomem: region0 inside CXL Window 0" "$(grep -A1 'CXL Window 0' /proc/iomem)" "${range}"
ktap_has "the module serves the region as device-private memory, copies by the engine" "$k" \
	"devmemlab0: CXL HDM 256 MiB as device-private pfns"
ktap_check "devmemlab.ko unloads" rmmod devmemlab
echo 1 > /sys/bus/cxl/flush
ktap_is "rmmod tears the memdev and region down (cxl list -M -R empty)" "$(cxl list -M -R 2>/dev/null)" "[]"
modprobe devmemlab && wait_for /dev/devmemlab0 5
ktap_is "loaded again: the kernel re-assembles region0 from the locked decoders" \
	"$(cxl list -R | jq -r '.[] | "\(.region) \(.decode_state)"')" "region0 commit"
rmmod devmemlab

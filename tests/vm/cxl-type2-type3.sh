#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, cxl-type2-type3 (sourced by devices.sh): a type-2 and a type-3
# device under one host bridge. devmemlab binds the accelerator through the
# region firmware committed; cxl-cli creates the expander's region after it
# in the same window; each region is its device's alone.
b=$(pci_find 1b36:00df | head -n 1)
ktap_check "devmemlab binds the type-2 device beside the expander" \
	sh -c 'modprobe devmemlab && test -e /dev/devmemlab0'
t3=$(cxl list -M | jq -r '.[] | select(.host != "'"$b"'") | .memdev')
out=$(cxl create-region -m -t ram -d decoder0.0 "$t3" 2>/dev/null)
ktap_is "cxl create-region for the type-3 memdev ($t3) beside it: committed" \
	"$(echo "$out" | jq -r '.decode_state' 2>&1)" commit
ktap_is "cxl list -R: two committed 256 MiB ram regions, the type-2 one first in the window" \
	"$(cxl list -R | jq -r '[sort_by(.resource) | .[] | "\(.decode_state) \(.size)"] | join(", ")')" \
	"commit 268435456, commit 268435456"
hosts=
for r in /sys/bus/cxl/devices/region*; do
	# region -> endpoint decoder -> its endpoint port -> uport (the memdev) -> PCI device
	ep=$(basename "$(dirname "$(readlink -f "/sys/bus/cxl/devices/$(cat "$r/target0")")")")
	hosts="$hosts $(basename "$(dirname "$(readlink -f "/sys/bus/cxl/devices/$ep/uport")")")"
done
ktap_is "each region maps one device: the accelerator ($b) and the expander" \
	"$(echo "$hosts" | tr ' ' '\n' | grep -c .)|$(echo "$hosts" | tr ' ' '\n' | grep -c "^$b$")" "2|1"
r=$(dmesg | grep -o "memdev attached to committed region \[range [^]]*\]" | tail -n 1)
ktap_has "the type-2 region is where firmware committed it, the window's start" "$(grep -A2 'CXL Window 0' /proc/iomem)" \
	"$(echo "$r" | sed 's/.*range 0x0*\([0-9a-f]*\)-0x0*\([0-9a-f]*\)]/\1-\2/')"
ktap_check "devmemlab.ko unloads" rmmod devmemlab

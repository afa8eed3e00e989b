#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, cxl-type3 (sourced by devices.sh): cxl-cli (ndctl 81) commits a
# volatile (ram) region over the whole type-3 device in the fixed window,
# and dax_cxl exposes it as a devdax device (kmem is not loaded: onlining
# CXL memory as System RAM crashes QEMU 10.0 under TCG).
ram=$(cxl list -M | jq -r '.[0].ram_size')
out=$(cxl create-region -m -t ram -d decoder0.0 mem0 2>/dev/null)
ktap_is "cxl create-region -m -t ram -d decoder0.0 mem0: committed" \
	"$(echo "$out" | jq -r '.decode_state' 2>&1)" commit
ktap_is "cxl list -R: one committed ram region of the device's size" \
	"$(cxl list -R | jq -r '[length, .[0].type, .[0].decode_state, .[0].size] | join(" ")')" "1 ram commit $ram"
wait_for /dev/dax0.0 10
ktap_check "the region is a devdax device (/dev/dax0.0)" test -c /dev/dax0.0
ktap_is "dax0.0 size equals the region" "$(cat /sys/bus/dax/devices/dax0.0/size 2>/dev/null)" "$ram"
# 7.3 leaves a CXL ram region's dax device to kmem (not loaded here): it
# needs daxctl to become an enabled devdax device that can be mapped
daxctl reconfigure-device -m devdax -f dax0.0 >/dev/null 2>&1
ktap_is "daxctl: dax0.0 enabled as devdax (bound to device_dax)" \
	"$(basename "$(readlink /sys/bus/dax/devices/dax0.0/driver)")" device_dax
# userspace memcpy into the region, to set beside a type-2 device's HDM
# (tests/vm.sh compares them): every access goes through QEMU's CXL window
# MMIO path here
ktap_check "memcpy into /dev/dax0.0 measured (dml-bench -m, 8 MiB)" \
	dml-bench -m /dev/dax0.0 -i 3 -o /results/type3-memcpy.json 8

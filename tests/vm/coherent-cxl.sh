#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, cxl-type3: a CXL type-3 device's volatile capacity as the third
# kind of device-coherent memory. dml-cxl-region (libcxl) commits a ram
# region and leaves it unbound (no region driver, so no dax device and no
# kmem); its HPA range goes to devmemlab as range=SIZE@START, coherent=1.
# Bad ranges first (one line each, nothing registered), then dml-coherent
# on the region: every access to it goes through QEMU's CXL window (MMIO
# under TCG), slow but byte-exact. At the end the region is deleted.
. /lab/lib.sh
ram=$(cxl list -M | jq -r '.[0].ram_size')
r=$(dml-cxl-region create 2>/tmp/cxl-region.err)
ktap_is "dml-cxl-region create: the memdev's whole volatile capacity as SIZE@START" \
	"$(printf '%d' "${r%@*}" 2>/dev/null)" "$ram"
sed 's/^/# /' /tmp/cxl-region.err
ktap_is "cxl list -R: the region committed, not enabled; no dax device" \
	"$(cxl list -R -i | jq -r '[length, .[0].type, .[0].decode_state, .[0].state] | join(" ")')|$(ls /sys/bus/dax/devices 2>/dev/null | wc -l)" \
	"1 ram commit disabled|0"
ktap_is "dml-cxl-region create again: refused, the endpoint decoder is taken" \
	"$(dml-cxl-region create 2>&1 >/dev/null)" \
	"dml-cxl-region: the memdev's capacity is in a region already (dml-cxl-region destroy)"

# bad input: one line at load (LINE; kmod tries twice, the same line), no
# device file, nothing in /proc/iomem
bad() {
	line=$1; shift
	dmesg -c >/dev/null
	modprobe devmemlab "$@" 2>/dev/null && rmmod devmemlab
	said=$(dmesg | sed 's/^\[[^]]*\] //' | grep '^devmemlab' | grep -v 'taint' | sort -u)
	ktap_is "modprobe devmemlab $*: refused with one line" \
		"$(echo "$said" | grep -c "$line")|$(echo "$said" | wc -l)|$(ls /dev/devmemlab* 2>/dev/null | wc -l)|$(grep -c devmemlab /proc/iomem)" \
		"1|1|0|0"
}
bad "range=256M: not SIZE@START" range=256M
bad "range=256M@1G overlaps System RAM" range=256M@1G
bad "must be multiples of 2 MiB" "range=1M@${r#*@}"
bad "is not whole 128 MiB memory sections" coherent=1 "range=2M@${r#*@}"

ktap_check "devmemlab.ko loads with coherent=1 range=$r" modprobe devmemlab coherent=1 "range=$r"
ktap_has "it serves the region as device-coherent pages, the CPU copying" "$(dmesg | grep 'devmemlab0: ')" \
	"range $((ram >> 20)) MiB as device-coherent pfns"
ktap_has "/proc/iomem: devmemlab0 inside the region" "$(grep -A1 'region0' /proc/iomem)" devmemlab0
ktap_run "" dml-coherent
ktap_check "devmemlab.ko unloads" rmmod devmemlab
ktap_is "dml-cxl-region destroy: no region left" \
	"$(dml-cxl-region destroy 2>&1; cxl list -R -i 2>/dev/null | jq -r 'length')" \
	"dml-cxl-region: 1 region(s) deleted
0"
echo "1..$KTAP_N"
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar, accel and cxl-type2: devmemlab in MEMORY_DEVICE_COHERENT
# mode (coherent=1) over the device's memory (an ivshmem BAR, the
# accelerator's BAR with its engine copying, a type-2 device's HDM).
# Bad input first: coherent=1 with the P2PDMA tail, and (pci-bar) a range
# over test_hmm's coherent pagemap, are refused with one line and nothing
# registered. Then dml-coherent (kselftest harness): order 9 and
# 0 both ways, in-place CPU access, eviction and rmmod with coherent pages
# mapped, the seed's GUP-fast race, FOLL_LONGTERM pins, every byte checked,
# the checker clean after each test. With "bench": dml-bench (one iteration,
# 32 MiB) with device-private memory and then with device-coherent memory in
# the same boot, for tests/vm.sh to set side by side.
. /lab/lib.sh
modprobe devmemlab coherent=1 p2p_mib=64
ktap_is "coherent=1 p2p_mib=64: refused with one line, no device file, no pagemap" \
	"$(dmesg | grep -c 'coherent=1 with p2p_mib=64: the P2PDMA tail is a pagemap')|$(ls /dev/devmemlab* 2>/dev/null | wc -l)|$(grep -c devmemlab /proc/iomem)" \
	"1|0|0"
rmmod devmemlab
# on pci-bar: test_hmm's coherent devices on the BAR's halves (no resource
# claimed), then devmemlab over the same BAR as a range: refused, one line
b=$(pci_find 1af4:1110 | head -n 1)
if [ -n "$b" ]; then
	bar=$(sed -n 3p "/sys/bus/pci/devices/$b/resource")	# start end flags
	start=$((${bar%% *})) end=${bar#* }
	size=$((${end%% *} - start + 1))
	if modprobe test_hmm spm_addr_dev0=$start spm_addr_dev1=$((start + (256 << 20))); then
		dmesg -c >/dev/null
		modprobe devmemlab coherent=1 "range=$((size))@$start" 2>/dev/null && rmmod devmemlab
		said=$(dmesg | sed 's/^\[[^]]*\] //' | grep '^devmemlab' | sort -u)
		ktap_is "coherent=1 range= over test_hmm's coherent pagemap: refused with one line, nothing registered" \
			"$(echo "$said" | grep -c 'overlaps another pagemap at +0 MiB')|$(echo "$said" | wc -l)|$(ls /dev/devmemlab* 2>/dev/null | wc -l)|$(grep -c devmemlab /proc/iomem)" \
			"1|1|0|0"
		rmmod test_hmm
	else
		ktap_fail "modprobe test_hmm with coherent devices on BAR2"
	fi
fi
[ -e /sys/bus/cxl/flush ] && echo 1 > /sys/bus/cxl/flush
ktap_check "devmemlab.ko loads with coherent=1" modprobe devmemlab coherent=1
ktap_has "it serves the device memory as device-coherent pages" "$(dmesg | grep 'devmemlab0: ')" \
	"MiB as device-coherent pfns"
ktap_run "" dml-coherent
ktap_check "devmemlab.ko unloads" rmmod devmemlab
if [ "${1:-}" = bench ]; then
	modprobe devmemlab
	ktap_check "dml-bench on device-private memory" dml-bench -i 1 -o /results/bench-private.json 32
	rmmod devmemlab
	modprobe devmemlab coherent=1
	ktap_check "dml-bench on device-coherent memory, same boot" dml-bench -i 1 -o /results/bench-coherent.json 32
	rmmod devmemlab
fi
echo "1..$KTAP_N"
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM: the guest sees what the topology file describes. Arguments come
# from the host (tests/vm.sh, from `devmemlab describe`):
#   devices.sh TOPO ivshmem=BARSIZE... nvme=DISKSIZE:CMBSIZE... cxl=RAMSIZE... accel=MEMSIZE...
# then the topology's own checks (/lab/tests/TOPO.sh) are sourced.
# Prints KTAP; the plan comes last.
. /lab/lib.sh
topo=$1; shift
echo "KTAP version 1"

sorted() { tr ' ' '\n' | grep . | sort -n | tr '\n' ' '; }
want_bars= want_nvme= want_cxl= want_accel=
for a in "$@"; do
	case $a in
	ivshmem=*) want_bars="$want_bars ${a#*=}" ;;
	nvme=*) want_nvme="$want_nvme ${a#*=}" ;;
	cxl=*) want_cxl="$want_cxl ${a#*=}" ;;
	accel=*) want_accel="$want_accel ${a#*=}" ;;
	esac
done

got=
for b in $(pci_find 1af4:1110); do got="$got $(bar_size "$b" 2)"; done
ktap_is "ivshmem BAR2 sizes match the topology" "$(echo "$got" | sorted)" "$(echo "$want_bars" | sorted)"

nvmes=$(pci_find 1b36:0010)
got=
for b in $nvmes; do
	d=/sys/bus/pci/devices/$b
	# the namespace appears asynchronously after the driver binds
	i=0; while ! ls "$d"/nvme/nvme*/nvme*n1/size >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	sz=$(($(cat "$d"/nvme/nvme*/nvme*n1/size 2>/dev/null || echo 0) * 512))
	cmb=0
	[ -e "$d/p2pmem/size" ] && cmb=$(cat "$d/p2pmem/size")
	got="$got $sz:$cmb"
done
ktap_is "NVMe namespace and CMB (p2pmem) sizes match the topology" \
	"$(echo "$got" | sorted)" "$(echo "$want_nvme" | sorted)"

# the lab's accelerator: lspci's numeric view, its device memory in BAR2
got=
for b in $(pci_find 1b36:00de); do
	lspci -nn -s "$b" | grep -q '\[1200\]: .*\[1b36:00de\]' || got="$got $b:not-class-1200"
	got="$got $(bar_size "$b" 2)"
done
ktap_is "accel devices (lspci -nn: [1200] [1b36:00de]) with the topology's BAR2 sizes" \
	"$(echo "$got" | sorted)" "$(echo "$want_accel" | sorted)"

if [ -n "$want_cxl" ]; then
	wait_for /sys/bus/cxl/devices/mem0 10
	got=$(cxl list -M | jq -r '.[].ram_size' | tr '\n' ' ')
	ktap_is "cxl memdev ram sizes match the topology (cxl list -M)" "$(echo "$got" | sorted)" "$(echo "$want_cxl" | sorted)"
fi

[ -f "/lab/tests/$topo.sh" ] && . "/lab/tests/$topo.sh"
echo "1..$KTAP_N"
ktap_done

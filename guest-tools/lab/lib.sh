#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shell helpers for guest workloads and in-VM tests: device lookup and
# inventory; KTAP output comes from ktap.sh.

. /lab/ktap.sh

# PCI functions with vendor:device $1 (e.g. 1af4:1110), one BDF a line
pci_find() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x${1%%:*}:0x${1##*:}" ] && echo "${d##*/}"
	done
}

# size in bytes of BAR $2 of device $1, from sysfs "resource" lines
bar_size() {
	sed -n "$(($2 + 1))p" "/sys/bus/pci/devices/$1/resource" |
		{ read -r s e _; [ "$((s))" = 0 ] && echo 0 || echo $((e - s + 1)); }
}

# wait up to $2 seconds (default 10) for path $1 to exist
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt $((${2:-10} * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1" ]
}

# Start a KTAP run that needs devmemlab: load it (ARGS: module parameters);
# if /dev/devmemlab0 does not appear, the run ends here with that failure.
ktap_devmemlab() {
	echo "KTAP version 1"
	if ! modprobe devmemlab "$@" || ! wait_for /dev/devmemlab0 5; then
		ktap_fail "modprobe devmemlab creates /dev/devmemlab0"
		echo "1..$KTAP_N"
		exit 1
	fi
}

human() {
	v=$(($1))
	for u in B KiB MiB GiB; do
		[ "$v" -lt 1024 ] || [ $u = GiB ] && { echo "$v $u"; return; }
		[ $((v % 1024)) = 0 ] || { echo "$(($1)) B"; return; }
		v=$((v / 1024))
	done
}

inventory() {
	echo "== devmemlab guest inventory ($(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MiB) =="
	printf '%-14s %-11s %-28s %s\n' BDF ID KIND "DEVICE MEMORY"
	for d in /sys/bus/pci/devices/*; do
		bdf=${d##*/}
		id="$(cat "$d/vendor" | cut -c3-):$(cat "$d/device" | cut -c3-)"
		case $id in
		1af4:1110) kind=ivshmem-plain; mem="BAR2 $(human "$(bar_size "$bdf" 2)")" ;;
		1b36:0010) kind="nvme ($(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null))"
			mem=none
			[ -d "$d/p2pmem" ] && mem="CMB p2pmem $(human "$(cat "$d/p2pmem/size")"), available $(human "$(cat "$d/p2pmem/available")")" ;;
		8086:0d93) kind="cxl type-3 ($(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null))"; mem=- ;;
		*) continue ;;
		esac
		printf '%-14s %-11s %-28s %s\n' "$bdf" "$id" "$kind" "$mem"
	done
	for m in /sys/bus/cxl/devices/mem*; do
		[ -e "$m" ] || continue
		echo "cxl ${m##*/}: ram $(human "$(cat "$m/ram/size")")"
	done
}

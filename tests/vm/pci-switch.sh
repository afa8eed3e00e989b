#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, pci-switch (sourced by devices.sh): the two BARs, the CMB NVMe and
# one plain NVMe share the switch's upstream port; the third NVMe does not.
# Exactly one NVMe is a published P2PDMA provider.
upstream() {	# the PCI path of a device, up to and including the switch's upstream port
	readlink -f "/sys/bus/pci/devices/$1" | awk -F/ '{ print $5 "/" $6 }'
}
providers=0 provider=
for b in $(pci_find 1b36:0010); do
	if [ -e "/sys/bus/pci/devices/$b/p2pmem/published" ]; then
		providers=$((providers + 1)); provider=$b
	fi
done
ktap_is "exactly one NVMe is a P2PDMA provider" "$providers" 1
up=$(upstream "$provider")
below=0 outside=0
for b in $(pci_find 1af4:1110) $(pci_find 1b36:0010); do
	case $(readlink -f "/sys/bus/pci/devices/$b") in
	*"/${up#*/}/"*) below=$((below + 1)) ;;
	*) outside=$((outside + 1)) ;;
	esac
done
ktap_is "four devices sit below the provider's switch" "$below" 4
ktap_is "one NVMe sits outside it (separate root port)" "$outside" 1
ktap_is "one XIO3130 upstream port (104c:8232), four downstream (104c:8233)" \
	"$(pci_find 104c:8232 | wc -l) $(pci_find 104c:8233 | wc -l)" "1 4"
# two BAR devices: two devmemlab instances, each with its own memory, and the
# last 64 MiB of each BAR published as P2PDMA memory
modprobe devmemlab p2p_mib=64
ktap_check "devmemlab binds both BARs (/dev/devmemlab0 and 1)" wait_for /dev/devmemlab1 5
# every result of the run, and its exit status, not one line of it
ktap_run "instance 1: " dml-realloc -d /dev/devmemlab1 seed
bar=$(basename "$(readlink -f /sys/class/misc/devmemlab0/device)")
ktap_run "" dml-p2p -p "$bar" -K /dev/devmemlab0
ktap_run "" dml-p2p -p "$bar" nvmesw:ok nvmecmb:ok nvmefar:einval
ktap_run "" dml-p2p -p "$bar" -U
rmmod devmemlab
# P2PDMA from the CMB provider: allowed inside the switch, refused across root ports
ktap_run "" dml-p2p -p nvmecmb nvmesw:ok nvmecmb:ok nvmefar:einval

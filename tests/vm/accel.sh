#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, accel (sourced by devices.sh, and by accel-iommu.sh): the lab's
# accelerator as docs/accel-datasheet.md describes it to a driver writer:
# a PCI Express endpoint, BAR0 registers of 4 KiB, BAR4 with an MSI-X table
# of 2 vectors; devmemlab binds it with its engine backend (both MSI-X
# vectors enabled) and unloads.
b=$(pci_find 1b36:00de | head -n 1)
ktap_is "accel BAR0 (registers) is 4 KiB" "$(bar_size "$b" 0)" 4096
vv=$(lspci -vv -s "$b")
ktap_has "accel is a PCI Express endpoint" "$vv" "Express (v2) Endpoint"
ktap_has "accel has MSI-X with 2 vectors" "$vv" "MSI-X: Enable- Count=2"
ktap_has "accel's MSI-X table is in BAR4" "$vv" "Vector table: BAR=4 offset=00000000"
ktap_has "accel BAR2 is 64-bit prefetchable" "$vv" "(64-bit, prefetchable) [size=256M]"
ktap_check "devmemlab.ko loads" modprobe devmemlab
ktap_check "it creates /dev/devmemlab0" wait_for /dev/devmemlab0 5
ktap_has "it binds the accelerator, copies by its DMA engine" "$(dmesg | grep 'devmemlab0:')" \
	"devmemlab0: BAR2 256 MiB as device-private pfns"
ktap_has "... with the engine backend" "$(dmesg | grep 'devmemlab0:')" "copies by the DMA engine"
ktap_has "its MSI-X is enabled while bound" "$(lspci -vv -s "$b")" "MSI-X: Enable+ Count=2"
ktap_check "devmemlab.ko unloads" rmmod devmemlab

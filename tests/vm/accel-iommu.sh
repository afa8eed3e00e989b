#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, accel-iommu (sourced by devices.sh): the accel checks, and the
# device sits behind an enabled Intel IOMMU (DMAR) in an IOMMU group with a
# translating (DMA) default domain, so dma_map_page() gives IOVAs.
# b, the device's address, is set by accel.sh
# shellcheck disable=SC2154
. /lab/tests/accel.sh
ktap_check "an Intel IOMMU is registered (/sys/class/iommu/dmar*)" sh -c 'ls -d /sys/class/iommu/dmar* >/dev/null'
ktap_check "accel is in an IOMMU group" test -e "/sys/bus/pci/devices/$b/iommu_group"
ktap_has "its group's default domain translates" \
	"$(cat "/sys/bus/pci/devices/$b/iommu_group/type" 2>/dev/null)" DMA

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Helpers for the host's in-VM test drivers (sourced by tests/vm.sh and
# tests/lava-check.sh).

# expectations TOPO: devices.sh's arguments for a topology, from the
# topology file itself (`devmemlab describe`)
expectations() {
	qemu/devmemlab describe -t "$1" | awk '
		$2 == "ivshmem" { split($3, s, "="); print "ivshmem=" s[2] }
		$2 == "nvme" { split($3, s, "="); split($4, c, "="); print "nvme=" s[2] ":" c[2] }
		$2 == "cxl-type3" { split($3, s, "="); print "cxl=" s[2] }
		$2 == "accel" { split($3, s, "="); print "accel=" s[2] }'
}

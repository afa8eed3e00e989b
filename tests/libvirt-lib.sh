# SPDX-License-Identifier: GPL-2.0
# Helpers for the libvirt tests (sourced by tests/unit/libvirt-xml.sh and tests/vm.sh).

# lv_xml_ids FILE: the topology ids a domain XML names, sorted, '.' as '_':
# controller aliases (ua-ID; libvirt's own are left out), <shmem> names (devmemlab-PREFIX-ID), and the
# "id" of every JSON -device in <qemu:commandline> (memory backends left out)
lv_xml_ids() {
	{
		xmllint --xpath '//controller/alias/@name | //shmem/@name' "$1" 2>/dev/null |
			grep -o -e ' name="ua-[^"]*"' -e ' name="devmemlab-[^-]*-[^"]*"' |
			sed 's/ name="ua-\([^"]*\)"/\1/; s/ name="devmemlab-[^-]*-\([^"]*\)"/\1/'
		xmllint --xpath '//*[local-name()="arg"]/@value' "$1" 2>/dev/null | sed 's/&quot;/"/g' |
			grep -o '"id":"[^"]*"' | sed 's/"id":"\(.*\)"/\1/' | grep -v '^mem-'
	} | grep . | tr . _ | sort | tr '\n' ' '
}

# lv_topo_ids TOPO: the ids of the topology's PCI/CXL devices, in the same form
lv_topo_ids() {
	qemu/devmemlab describe -t "$1" | awk 'NR > 1 && $2 != "cxl-window" { print $1 }' |
		tr . _ | sort | tr '\n' ' '
}

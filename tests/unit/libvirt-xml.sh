#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: topology -> libvirt domain XML is a pure function,
# like the QEMU command line. For each shipped topology it must equal the
# reviewed golden file in golden/ (UPDATE_GOLDEN=1 regenerates; review the
# diff), name every device of the topology, and carry exactly the QEMU
# backend's kernel command line. Every XML the launcher can produce (each
# topology with TCG and KVM, a user's backing file, ivshmem memory outside
# /dev/shm, a guest command with XML metacharacters) must pass libvirt's own
# schema (virt-xml-validate). What libvirt cannot take is refused with one
# line, before anything is created or any daemon is asked. The checkout's
# path (the <emulator> of accel topologies) is @LAB@ in golden files.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
. tests/libvirt-lib.sh
L=${DEVMEMLAB:-qemu/devmemlab}	# tests/unit/asan.sh: the sanitized build
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FIXED="--kernel /lab/vmlinuz --initrd /lab/initrd --shm-prefix /dev/shm/devmemlab-golden --workdir /run/dml"
set -- topologies/*.ini
ktap_plan $((5 * $# + 14))

validates() {	# NAME FILE
	if out=$(virt-xml-validate "$2" domain 2>&1); then
		ktap_ok "$1 validates (virt-xml-validate)"
	else
		ktap_fail "$1 validates (virt-xml-validate)" "$out"
	fi
}

for f in "$@"; do
	t=$(basename "$f" .ini)
	g=tests/unit/golden/$t.xml
	# shellcheck disable=SC2086
	$L libvirt-xml -t "$t" $FIXED --accel tcg > "$tmp/$t.xml" 2>/dev/null
	[ "$UPDATE_GOLDEN" = 1 ] && sed "s|$(pwd -P)/|@LAB@/|g" "$tmp/$t.xml" > "$g"
	ktap_is "libvirt-xml $t matches golden" "$(sed "s|$(pwd -P)/|@LAB@/|g" "$tmp/$t.xml")" "$(cat "$g")"
	validates "libvirt-xml $t (TCG)" "$tmp/$t.xml"
	# shellcheck disable=SC2086
	$L libvirt-xml -t "$t" $FIXED --accel kvm > "$tmp/$t-kvm.xml" 2>/dev/null
	validates "libvirt-xml $t (KVM)" "$tmp/$t-kvm.xml"
	ktap_is "libvirt-xml $t names every device of the topology" "$(lv_xml_ids "$tmp/$t.xml")" "$(lv_topo_ids "$t")"
	# shellcheck disable=SC2086
	ktap_is "libvirt-xml $t: the kernel command line is the QEMU backend's" \
		"$(xmllint --xpath 'string(/domain/os/cmdline)' "$tmp/$t.xml")" \
		"$($L qemu-cmd -t "$t" $FIXED | sed "s/.* -append '\([^']*\)'.*/\1/")"
done

# shellcheck disable=SC2086
ktap_has "--accel kvm makes a KVM domain" "$($L libvirt-xml -t pci-bar $FIXED --accel kvm 2>/dev/null)" \
	"<domain type='kvm'"

# a user's backing file, and lab memory outside /dev/shm: by hand, validated
sed "s|^size = 1G|size = 1G\nbacking = file:/var/tmp/bar \\& <0>.img|" topologies/pci-bar.ini > "$tmp/file.ini"
$L libvirt-xml -t "$tmp/file.ini" --accel tcg > "$tmp/file.xml" 2>/dev/null
ktap_has "a user's backing file goes to qemu:commandline as a memory-backend-file" \
	"$(xmllint --xpath 'string(//*[local-name()="arg"][2]/@value)' "$tmp/file.xml")" \
	'"mem-path":"/var/tmp/bar & <0>.img"'
validates "libvirt-xml with a backing file" "$tmp/file.xml"
$L libvirt-xml -t pci-bar --accel tcg --shm-prefix /var/tmp/dml > "$tmp/prefix.xml" 2>/dev/null
ktap_has "ivshmem memory outside /dev/shm is not a <shmem>" "$(cat "$tmp/prefix.xml")" '"mem-path":"/var/tmp/dml-bar0"'

# a remote daemon: lab memory as a memfd (a /dev/shm file there could not be removed)
# shellcheck disable=SC2086
$L libvirt-xml -t pci-bar $FIXED --accel tcg --connect qemu+ssh://farm/system > "$tmp/remote.xml" 2>/dev/null
ktap_is "a remote URI puts lab memory in a memfd, not a <shmem>" \
	"$(grep -c '<shmem' "$tmp/remote.xml")|$(grep -c '"qom-type":"memory-backend-memfd","id":"mem-bar0","size":1073741824,"share":true' "$tmp/remote.xml")" "0|1"
validates "libvirt-xml for a remote daemon" "$tmp/remote.xml"

# XML metacharacters in the guest command survive: the cmdline reads back unchanged
# shellcheck disable=SC2086
$L libvirt-xml -t pci-bar $FIXED --accel tcg -- sh -c "echo '<a>' & echo b" > "$tmp/meta.xml" 2>/dev/null
validates "libvirt-xml with <, >, & and ' in the guest command" "$tmp/meta.xml"
ktap_has "the guest command reads back from the XML unchanged" \
	"$(xmllint --xpath 'string(/domain/os/cmdline)' "$tmp/meta.xml")" "-- sh -c \"echo '<a>' & echo b\""

# 16 windows of 4 host bridges: a -machine option of ~3 KiB, all of it, and
# nothing of it anywhere else
# shellcheck disable=SC2086
$L libvirt-xml -t tests/unit/topologies/good/cxl-16-windows.ini $FIXED --accel tcg > "$tmp/fmw.xml" 2>/dev/null
m=$(xmllint --xpath 'string(//*[local-name()="arg"][2]/@value)' "$tmp/fmw.xml")
ktap_is "16 CXL windows: the whole -machine option" \
	"$(echo "$m" | grep -o 'cxl-fmw\.[0-9]*\.targets\.[0-9]*=' | wc -l)|${m##*,}|$(grep -o 'cxl-fmw' "$tmp/fmw.xml" | wc -l)" \
	"64|cxl-fmw.15.size=1G|80"
ktap_is "16 CXL windows: the kernel command line is untouched" \
	"$(xmllint --xpath 'string(/domain/os/cmdline)' "$tmp/fmw.xml")" \
	"console=ttyS0 loglevel=5 printk.time=1 panic=-1 lab.topology=cxl-16-windows lab.mods=cxl_acpi"

# refused with one line, before anything exists
f=tests/unit/topologies/libvirt/alias-clash.ini
got=$($L libvirt-xml -t "$f" --accel tcg 2>&1); rc=$?
ktap_is "port ids whose libvirt aliases clash are refused" "$rc|$got" \
	"2|devmemlab: $f:$(sed -n '1s/^# expect: //p' "$f")"
touch "$tmp/kernel" "$tmp/initrd"
created() { if [ -e "$1" ]; then echo "created $1"; else echo nothing; fi; }
got=$($L run --libvirt -t pci-bar --qemu bin/qemu --kernel "$tmp/kernel" --initrd "$tmp/initrd" \
	--results "$tmp/results" --connect "qemu:///system?socket=$tmp/none" 2>&1); rc=$?
ktap_is "run --libvirt: a relative --qemu is refused before connecting, nothing created" \
	"$rc|$got|$(created "$tmp/results")" \
	"2|devmemlab: --qemu must be an absolute path for libvirt, not 'bin/qemu'|nothing"
got=$($L run --libvirt -t pci-bar --kernel "$tmp/kernel" --initrd "$tmp/initrd" \
	--results "$tmp/results" --connect "qemu:///system?socket=$tmp/none" 2>&1); rc=$?
ktap_is "run --libvirt with no daemon: one line with libvirt's message, exit 5, nothing created" \
	"$rc|$got|$(created "$tmp/results")" \
	"5|devmemlab: libvirt qemu:///system?socket=$tmp/none: Failed to connect socket to '$tmp/none': No such file or directory|nothing"
got=$($L run --libvirt --shell -t pci-bar --kernel "$tmp/kernel" --initrd "$tmp/initrd" 2>&1); rc=$?
ktap_is "run --libvirt --shell is refused with one line" "$rc|$(echo "$got" | wc -l)" "2|1"
ktap_done

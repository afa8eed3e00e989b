#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: `devmemlab lava-job` is a pure function of the
# topology and its options, like the QEMU command line and the libvirt XML:
# for each case below its output must equal the reviewed golden file in
# golden/ (regenerate with UPDATE_GOLDEN=1 and review the diff), and LAVA's
# own schema validator (lava_common.schemas.validate, Debian's lava-common
# 2023.01) must accept it; the validator is shown to refuse a job without
# its visibility, so it can fail. A job LAVA cannot run is one line, exit 2,
# nothing on stdout: the lab's own device without a container image for its
# QEMU, a suite that needs the host beside the guest, two suites, a bad
# suite name, no kernel or initramfs URL, NVMe drives without disk URLs,
# --accel auto (a worker cannot probe), an unknown suite.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
L=${DEVMEMLAB:-qemu/devmemlab}	# tests/unit/asan.sh: the sanitized build
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
URLS="--kernel-url http://lab.example/vmlinuz --initrd-url http://lab.example/initramfs.cpio.zst
	--disk-url http://lab.example/disks --qemu-image devmemlab-qemu:10.0.13 --timeout 900"
# golden name, topology, suite
CASES="pci-bar:pci-bar:device-private pci-switch:pci-switch:pci-switch nvme-cmb:nvme-cmb:nvme-cmb
	cxl-type3:cxl-type3:cxl-type3 cxl-type2:cxl-type2:cxl-type2 accel-iommu:accel-iommu:device-private"
ktap_plan 24

validate() {
	/usr/bin/python3 -c '
import sys, yaml
from lava_common.schemas import validate
validate(yaml.safe_load(open(sys.argv[1])))' "$1" 2>&1 | tail -n 1
}
for c in $CASES; do
	g=tests/unit/golden/lava-${c%%:*}.yaml
	rest=${c#*:}
	# shellcheck disable=SC2086
	$L lava-job -t "${rest%%:*}" --suite "${rest#*:}" $URLS > "$tmp/job" 2>&1
	[ "$UPDATE_GOLDEN" = 1 ] && cp "$tmp/job" "$g"
	ktap_is "lava-job ${c%%:*} matches golden" "$(cat "$tmp/job")" "$(cat "$g")"
	ktap_is "lava-job ${c%%:*}: LAVA's schema accepts it" "$(validate "$tmp/job")" ""
done
# the suite's arguments (tests/vm.sh gives devices.sh the topology's expectations) end the command line
# shellcheck disable=SC2086
got=$($L lava-job -t pci-bar --suite devices $URLS -- pci-bar ivshmem=1073741824)
ktap_has "suite arguments after -- reach the kernel command line" "$got" \
	"-- sh /lab/tests/devices.sh pci-bar ivshmem=1073741824\"'"
# no launcher reads a farm's console: the guest gives its own verdict (guest-tools/init)
ktap_has "the guest is asked for its own verdict, with a log that holds a suite" "$got" \
	"lab.topology=pci-bar lab.verdict=1 log_buf_len=8M -- sh"
# LAVA matches the pattern as the console arrives: a name is whole only at its line's end
pat=$(printf '%s\n' "$got" | sed -n "s/^ *pattern: '\(.*\)'$/\1/p")
ktap_is "the monitor pattern takes whole names only: none from a half line, the name without its directive" \
	"$(/usr/bin/python3 -c '
import re, sys
p = re.compile(sys.argv[1])
half = p.search("ok 3 it_creates_")
whole = p.search("ok 3 it creates a thing # SKIP no device\r\n")
print(half is None, whole.group("result"), whole.group("test_case_id"))' "$pat")" "True ok it creates a thing"
grep -v '^visibility:' tests/unit/golden/lava-pci-bar.yaml > "$tmp/novis"
ktap_has "LAVA's validator refuses a job without visibility (it can fail)" "$(validate "$tmp/novis")" \
	"required key not provided @ data['visibility']"

# bad NAME NEEDLE ARGS...: exit 2, one line on stderr holding NEEDLE, nothing on stdout
bad() {
	n=$1 needle=$2; shift 2
	"$L" lava-job "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -qF -- "$needle" "$tmp/err"; then
		ktap_ok "$n: one line ($(cat "$tmp/err"))"
	else
		ktap_fail "$n: exit 2, one line holding '$needle', no job" "exit $rc" "$(head -n 3 "$tmp/err")" \
			"stdout: $(head -c 200 "$tmp/out")"
	fi
}
U="--kernel-url http://k --initrd-url http://i"
# shellcheck disable=SC2086
bad "the lab's device without --qemu-image" "topology 'accel' has the lab's own device" -t accel $U
# shellcheck disable=SC2086
bad "a suite that needs the host (QMP)" "suite 'hotunplug' needs the host beside the guest" \
	-t pci-bar-hotplug --suite hotunplug $U
# shellcheck disable=SC2086
bad "two suites" "one --suite per LAVA job" -t pci-bar --suite pci-bar --suite devices $U
# shellcheck disable=SC2086
bad "an unknown suite" "unknown suite 'nosuch' (no tests/vm/nosuch.sh)" -t pci-bar --suite nosuch $U
# shellcheck disable=SC2086
bad "a suite name with a slash" "suite '../x': a name of tests/vm/" -t pci-bar --suite ../x $U
bad "no kernel URL" "--kernel-url and --initrd-url are needed" -t pci-bar --initrd-url http://i
# shellcheck disable=SC2086
bad "NVMe without --disk-url" "topology 'nvme-cmb' has NVMe drives: --disk-url" -t nvme-cmb $U
# shellcheck disable=SC2086
bad "--accel auto" "--accel must be tcg or kvm for a LAVA job" -t pci-bar --accel auto $U
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar: upstream hmm-tests' device-coherent variants, which every
# public setup skips since efi_fake_mem went away (6.11). test_hmm's two
# MEMORY_DEVICE_COHERENT devices need 256 MiB each of memory that is not
# System RAM (spm_addr_dev0/1): the halves of the ivshmem device's 1 GiB
# BAR2 (RAM in QEMU, nobody else's, each in its own 128 MiB sections).
# Every test runs in a module load of its own: test_hmm keeps device memory
# between tests, and 7.3.4's coherent mode has room for one chunk.
#   hmm-coherent.sh          every variant but those that hit the known issue
#   hmm-coherent.sh known    one that hits it (tests/known-issues.sh asserts the WARN)
# Known test_hmm issue (7.3.4, lib/test_hmm.c): a coherent device's chunk is
# put whole on the free list of the page size first asked for; a later
# request of the other size maps a second chunk at the same spm address
# ("Conflicting mapping in same section", a WARN in memremap_pages()), which
# fails. The tests below ask for both sizes; on allocation failure
# migrate_anon_huge_err also dereferences the missing page (an Oops, seen
# when the variants run in one module load).
. /lab/lib.sh
KNOWN=" anon_write_child migrate migrate_fault migrate_release migrate_multiple"
KNOWN="$KNOWN migrate_anon_huge_empty migrate_anon_huge_zero migrate_anon_huge_free"
KNOWN="$KNOWN migrate_anon_huge_fault migrate_partial_unmap_fault migrate_remap_fault"
KNOWN="$KNOWN migrate_anon_huge_err benchmark_thp_migration "
echo "KTAP version 1"
b=$(pci_find 1af4:1110 | head -n 1)
# shellcheck disable=SC2046
set -- "${1:-}" $(sed -n 3p "/sys/bus/pci/devices/$b/resource" 2>/dev/null)
start=$(($2)) size=$(($3 - $2 + 1))
if [ -z "$b" ] || [ "$size" -lt $((512 << 20)) ]; then
	ktap_fail "an ivshmem BAR2 of at least 512 MiB for test_hmm's coherent devices" "got ${size} bytes"
	echo "1..$KTAP_N"
	exit 1
fi
spm="spm_addr_dev0=$start spm_addr_dev1=$((start + (256 << 20)))"
run() {	# run TEST: one module load, one test; its first failure line as the reason
	# shellcheck disable=SC2086
	if ! modprobe test_hmm $spm; then ktap_fail "$1: modprobe test_hmm $spm"; return; fi
	if hmm-tests -r "$1" > /tmp/hmm-one.ktap 2>&1; then
		if grep -q '^ok .*# SKIP' /tmp/hmm-one.ktap; then
			ktap_skip "$1" "$(grep -m 1 -o '# SKIP.*' /tmp/hmm-one.ktap | cut -c8-)"
		else
			ktap_ok "$1"
		fi
	else
		ktap_fail "$1" "$(grep -m 3 '^# hmm-tests.c:' /tmp/hmm-one.ktap)"
	fi
	rmmod test_hmm || ktap_fail "rmmod test_hmm after $1"
}
if [ "$1" = known ]; then
	run hmm.hmm_device_coherent.migrate
	echo "1..$KTAP_N"
	ktap_done
	exit
fi
tests=$(hmm-tests -l 2>&1 | awk '/^#|^-|^global/ { next }
	/^[^ ]/ { f = $1; v = $2; t = $3 }
	/^ / { if (NF == 2) { v = $1; t = $2 } else t = $1 }
	NF { print f "." v "." t }' | grep '_device_coherent\.')
[ -n "$tests" ] || ktap_fail "hmm-tests lists its device-coherent variants"
for t in $tests; do
	case "$KNOWN" in
	*" ${t##*.} "*) [ "${t%%.*}" = hmm ] && { ktap_skip "$t" "known test_hmm 7.3.4 issue: needs a second coherent chunk"; continue; } ;;
	esac
	run "$t"
done
echo "1..$KTAP_N"
ktap_done

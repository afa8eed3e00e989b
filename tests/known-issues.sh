#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: the guest kernel's known issues, each in a boot of
# its own (make known-issues; make check runs it after tests/vm.sh). Each
# is a bug of Debian's 7.3.4 that one of the lab's tools reaches on
# purpose; each is asserted as it is today - XFAIL while the boot stops on
# a kernel problem (launcher exit 3) whose console names it - and turns
# into a visible XPASS when the boot passes: on a kernel with a fix
# (make known-issues KERNEL_SRC=<your tree>, or make patched-kernel
# PATCH=<fix> for a copy of the debug tree with it). Any other outcome -
# another exit status, or a kernel problem the pattern does not name - is
# not ok. The docs named with each say what the bug is.
# Environment: ACCEL (auto), KERNEL, INITRD, VM_TIMEOUT (seconds per boot),
# GUEST_APPEND (kernel parameters for every boot: a KASAN tree's no5lvl).
cd "$(dirname "$0")/.." || exit 1
. guest-tools/lab/ktap.sh
. tests/vm-lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2034 # known_boot (tests/vm-lib.sh) runs it
RUN=$(lab_run)
echo "KTAP version 1"

# known kernel issue (7.3.4): DML_IOC_TO_DEV (MIGRATE_VMA_SELECT_SYSTEM) without
# COMPOUND over a PMD-mapped device-coherent THP: the core collects it as a
# system THP and splits it, list_add()ing through folio->lru, which holds the
# pgmap of a ZONE_DEVICE folio. Seen as list_add corruption / kernel BUG.
known_boot csplit 'list_add corruption|kernel BUG at [^ ]*|general protection fault|Oops[^[]*' \
	"known kernel issue: a PMD-mapped device-coherent THP split like a system THP" \
	"7.3.4 splits a coherent THP that MIGRATE_VMA_SELECT_SYSTEM collected" docs/device-coherent.md \
	-t pci-bar -- sh -c "modprobe devmemlab coherent=1 && DML_COHERENT_SPLIT=1 dml-coherent -t known_split"

# known kernel issue (7.3.4): a FOLL_LONGTERM pin (io_uring fixed buffer) of a
# PMD-mapped order-9 coherent folio: migrate_device_coherent_folio() WARNs on a
# large folio and the pin fails (EBUSY)
known_boot clong 'WARNING: mm/migrate_device.c:[0-9]+ at migrate_device_coherent_folio' \
	"known kernel issue: FOLL_LONGTERM on a large device-coherent folio" \
	"7.3.4's migrate_device_coherent_folio() takes order-0 folios only" docs/device-coherent.md \
	-t pci-bar -- sh -c "modprobe devmemlab coherent=1 && DML_COHERENT_LONGTERM=1 dml-coherent -t known_longterm_large"

# known kernel issue (7.3.4): a device THP that a forked child maps too, brought
# back by DML_IOC_TO_SYS with order-0 pages (no order-9 folio; test_hmm falls back
# the same way): the core splits the device folio under the child's PMD. Seen
# as list_add corruption on the LRU, Bad rss-counter state or Bad page state.
known_boot fsplit 'list_add corruption|BUG: Bad [a-z -]*state|kernel BUG at [^ ]*|general protection fault|Oops[^[]*' \
	"known kernel issue: a fork-shared device THP split by migrate_vma_pages()" \
	"7.3.4 splits the device folio while another process's PMD maps it" docs/device-private.md \
	-t pci-bar -- sh -c "modprobe devmemlab && dml-harden -r fsplit.ioctl.shared"

# known kernel issue (7.3.4): a forked child maps its parent's device THP and
# exits while the parent's DML_IOC_TO_SYS of it waits on the stalled engine
# (both PMDs already migration entries). zap_huge_pmd_folio() treats the
# child's migration entry as a device-private mapping and puts the folio a
# second time: freed (uncharged) under the migration, its system copy reaches
# the LRU without a memcg and folio_lruvec_lock_irqsave() spins (RCU stall).
# The debug kernel (DEBUG_VM) stops earlier: the migration's refcount freeze
# of the freed folio, VM_BUG_ON in page_ref_unfreeze() (page_ref.h).
known_boot forkexit 'folio_lruvec_lock_irqsave|zap_huge_pmd[a-z_]*|kernel BUG at [./]*include/linux/page_ref.h:[0-9]+' \
	"known kernel issue: a child exits under its parent's migration of their device THP" \
	"7.3.4's zap_huge_pmd_folio() puts a device-private folio again for its migration entry" docs/device-private.md \
	-t accel -- sh -c "modprobe devmemlab && DML_KNOWN_FORK_EXIT=1 dml-engine -t known_fork_exit"

# known issue of 7.3.4's lib/test_hmm.c: a coherent device's chunk goes whole
# to the free list of the page size first asked for, and a request of the
# other size maps a second chunk at the same address (a WARN in
# memremap_pages(): "Conflicting mapping in same section"). 13 of upstream
# hmm-tests' coherent variants do that; hmm-coherent.sh known runs one.
$RUN -t pci-bar --cpus 1 --results "$tmp/hck" -- sh /lab/tests/hmm-coherent.sh known >"$tmp/out" 2>"$tmp/err"; rc=$?
line=$(grep -o -m 1 'Conflicting mapping in same section' "$tmp/hck/latest/console.log" 2>/dev/null)
ktap_known_issue "known kernel issue: test_hmm maps a coherent device's second chunk at the same address" \
	"$([ "$rc" = 3 ] && [ -n "$line" ] && grep -q 'WARNING: mm/memremap.c' "$tmp/hck/latest/console.log" && echo yes)" \
	"$([ "$rc" = 0 ] && echo yes)" \
	"7.3.4's lib/test_hmm.c gives a coherent chunk's pages to the page size asked first, then remaps spm_addr for the other (exit $rc: ${line:-no such line}), see docs/device-private.md"

echo "1..$KTAP_N"
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar: dml-stress, every command of the device file at once
# from threads of one process with fault injection switching underneath,
# for SECONDS (default 60) from SEED (default: a new one, printed). It ends
# with every buffer verified, the checker clean and every block
# allocatable; then rmmod must return and the module bind again with all
# memory free. `make check` runs a minute, `make stress` ten.
#   stress.sh [SECONDS [SEED|- [fork]]]
. /lab/lib.sh
ktap_devmemlab
# fork is left out (dml-stress -x 0x80) unless the third argument is "fork",
# while an open finding stands: forks beside migrations and CPU faults of
# device THPs leave a device page at refcount -1 or a child's PMD counted as
# shmem (docs/device-private.md)
seed=
[ "${2:--}" = - ] || seed="-s $2"
if [ "$3" = fork ]; then
	ktap_run "" dml-stress -t "${1:-60}" $seed
else
	ktap_run "" dml-stress -t "${1:-60}" $seed -x 0x80
	ktap_skip "stress: fork beside the other commands" \
		"open finding: refcount -1 / Bad rss-counter with forks beside migrations, see docs/device-private.md"
fi
ktap_check "rmmod devmemlab returns after the stress" rmmod devmemlab
ktap_check "the module binds again" sh -c 'modprobe devmemlab && test -e /dev/devmemlab0 || sleep 1; test -e /dev/devmemlab0'
ktap_run "after the stress: " dml-realloc seed
echo "1..$KTAP_N"
ktap_done

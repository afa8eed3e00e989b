#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM, pci-bar: dml-stress, every command of the device file at once
# from threads of one process with fault injection switching underneath,
# for SECONDS (default 60) from SEED (default: a new one, printed). It ends
# with every buffer verified, the checker clean and every block
# allocatable; then rmmod must return and the module bind again with all
# memory free. `make check` runs a minute, `make stress` ten.
#   stress.sh [SECONDS [SEED|-]]
. /lab/lib.sh
ktap_devmemlab
seed=
[ "${2:--}" = - ] || seed="-s $2"
ktap_run "" dml-stress -t "${1:-60}" $seed
ktap_check "rmmod devmemlab returns after the stress" rmmod devmemlab
ktap_check "the module binds again" sh -c 'modprobe devmemlab && test -e /dev/devmemlab0 || sleep 1; test -e /dev/devmemlab0'
ktap_run "after the stress: " dml-realloc seed
echo "1..$KTAP_N"
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM half of the "guest writes, host reads" check (tests/vm.sh runs the
# host half): stamp every page of BAR2, then write TOKEN at offset 100 of
# the first and of the last page.
. /lab/lib.sh
token=$1
size=$(bar_size "$(pci_find 1af4:1110 | head -n 1)" 2)
ktap_plan 3
out=$(dml-bar stamp 2>&1)
ktap_is "BAR2 stamped (exit status, summary)" "$?|$(echo "$out" | grep -c ', 0 mismatches,')" "0|1"
ktap_check "token written at the start" dml-bar write 100 "$token"
ktap_check "token written in the last page" dml-bar write $((size - 4096 + 100)) "$token"
ktap_done

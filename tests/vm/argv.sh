#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM: a workload gets exactly the arguments given to the launcher after
# "--", one with a space in it too, although the kernel hands /init an
# unknown bare parameter ahead of them (tests/vm.sh boots this with one)
. /lab/lib.sh
ktap_plan 3
ktap_is "argv: two arguments" "$#" 2
ktap_is "argv: the first keeps its space" "${1:-}" "a b"
ktap_is "argv: the second" "${2:-}" "c"
ktap_done

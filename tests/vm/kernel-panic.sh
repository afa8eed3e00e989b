#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, on purpose: a kernel panic (sysrq 'c'). The run must fail: under
# the launcher (exit 3, tests/vm.sh) and as a LAVA job (tests/lava-check.sh:
# the job never reaches its end marker).
echo c > /proc/sysrq-trigger

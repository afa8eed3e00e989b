#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM, on purpose: a real kernel WARNING after which the guest runs on.
# 7.3.4's migrate_device_coherent_folio() WARNs on a large folio when a
# FOLL_LONGTERM pin meets a PMD-mapped order-9 device-coherent folio (a known
# kernel issue, docs/device-coherent.md). This suite passes when the WARNING
# came; the run must fail on it all the same: under the launcher (exit 3) and
# as a LAVA job (its devmemlab-kernel-log result, tests/lava-check.sh).
. /lab/ktap.sh
ktap_plan 2
ktap_check "devmemlab loads on the BAR as device-coherent memory" modprobe devmemlab coherent=1
DML_COHERENT_LONGTERM=1 dml-coherent -t known_longterm_large >/tmp/longterm.out 2>&1
ktap_is "a FOLL_LONGTERM pin of an order-9 coherent folio WARNs in migrate_device_coherent_folio" \
	"$(dmesg | grep -c 'WARNING: .* at migrate_device_coherent_folio')" 1

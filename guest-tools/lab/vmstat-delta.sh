#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run a command and print how the THP, compaction and migration counters of
# /proc/vmstat moved meanwhile: where a large-folio benchmark's time goes.
#   vmstat-delta.sh CMD [ARGS...]
keys='^(compact_stall|compact_fail|compact_success|thp_fault_alloc|thp_fault_fallback|thp_migration_success|thp_migration_fail|thp_migration_split|thp_split_pmd|thp_split_page|pgmigrate_success|pgmigrate_fail|thp_deferred_split_page)'
before=$(grep -E "$keys" /proc/vmstat)
"$@"
rc=$?
grep -E "$keys" /proc/vmstat | while read -r k v; do
	b=$(echo "$before" | awk -v k="$k" '$1 == k { print $2 }')
	[ "$v" != "$b" ] && printf 'vmstat %-24s %+d\n' "$k" $((v - b))
done
exit $rc

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot every topology N times (default 3) with the default workload and
# print a markdown table of host wall time to the guest's /init and to
# QEMU's exit (median, min-max), from each run's result.json.
#   scripts/measure-boot.sh [N]
cd "$(dirname "$0")/.." || exit 1
n=${1:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '| topology | accel | /init reached (s) | run complete (s) |\n|---|---|---|---|\n'
for f in topologies/*.ini; do
	t=$(basename "$f" .ini)
	for i in $(seq "$n"); do
		qemu/devmemlab run -t "$t" --accel "${ACCEL:-auto}" --results "$tmp" --timeout 120 >/dev/null 2>&1 ||
			{ echo "measure-boot: $t run $i failed (results in $tmp)" >&2; exit 1; }
		jq -r '[.accel, .init_seconds, .wall_seconds] | @tsv' "$tmp/latest/result.json" >> "$tmp/$t.tsv"
	done
	# median (min-max) of column $1 of the runs
	stat() { cut -f"$1" "$tmp/$t.tsv" | sort -n | awk '{ v[NR] = $1 }
		END { printf "%.1f (%.1f-%.1f)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
	printf '| %s | %s | %s | %s |\n' "$t" "$(cut -f1 "$tmp/$t.tsv" | sort -u | tr '\n' ' ')" "$(stat 2)" "$(stat 3)"
done

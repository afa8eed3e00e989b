#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot every topology N times (default 3) with the default workload and
# print a markdown table of host wall time to the guest's /init, to the
# guest's end (QEMU's exit, or the libvirt domain gone), both from each
# run's result.json, and of the whole launcher command (KVM probe, libvirt
# connection and domain start included); median, min-max.
#   [BACKEND=qemu|libvirt] [ACCEL=auto] scripts/measure-boot.sh [N]
cd "$(dirname "$0")/.." || exit 1
n=${1:-3}
backend=${BACKEND:-qemu}
flag=; [ "$backend" = libvirt ] && flag=--libvirt
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '| topology | backend | accel | /init reached (s) | run complete (s) | launcher command (s) |\n'
printf '|---|---|---|---|---|---|\n'
for f in topologies/*.ini; do
	t=$(basename "$f" .ini)
	for i in $(seq "$n"); do
		start=$(date +%s.%N)
		# shellcheck disable=SC2086
		qemu/devmemlab run $flag -t "$t" --accel "${ACCEL:-auto}" --results "$tmp" --timeout 120 >/dev/null 2>&1 ||
			{ echo "measure-boot: $t run $i failed (results in $tmp)" >&2; exit 1; }
		end=$(date +%s.%N)
		jq -r --arg total "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
			'[.accel, .init_seconds, .wall_seconds, ($total | tonumber)] | @tsv' \
			"$tmp/latest/result.json" >> "$tmp/$t.tsv"
	done
	# median (min-max) of column $1 of the runs
	stat() { cut -f"$1" "$tmp/$t.tsv" | sort -n | awk '{ v[NR] = $1 }
		END { printf "%.1f (%.1f-%.1f)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
	printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$backend" "$(cut -f1 "$tmp/$t.tsv" | sort -u | tr '\n' ' ')" \
		"$(stat 2)" "$(stat 3)" "$(stat 4)"
done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench-accel: the accelerator's link-model sweep. One boot per link
# bandwidth (the accel topology with 1 GiB of device memory, the link's
# latency unchanged), each running dml-bench at 256 MiB, order 9: migration
# through the DMA engine and through the CPU in the same boot, the engine's
# copy alone (kcopy), and where the kernel's time goes. Writes
# OUT/accel-bench.json (every record, with "link_gbps"), accel-bench.md
# (table: date, kernel, QEMU, accelerator) and accel-bench.png/.svg.
#   bench-accel.sh OUT_DIR [GB/s...]       (default 2 4 8 16 32 64)
#   bench-accel.sh --report OUT_DIR        the report again from OUT_DIR's JSON
# Environment: RUN, the launcher's run command (from make).
set -eu
report_only=
[ "${1:-}" = --report ] && { report_only=1; shift; }
out=$1; shift
[ $# -gt 0 ] || set -- 2 4 8 16 32 64
die() { echo "devmemlab: bench-accel: $*" >&2; exit 1; }
for bw in "$@"; do
	case $bw in ''|*[!0-9]*|0*) die "link bandwidth '$bw': want whole GB/s, 1 or more" ;; esac
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

[ -n "$report_only" ] || : "${RUN:?RUN must be the launcher command (make bench-accel sets it)}"
[ -n "$report_only" ] || for bw in "$@"; do
	topo=$tmp/accel-${bw}g.ini
	sed -e 's/^size = .*/size = 1G/' -e "s|^bandwidth = .*|bandwidth = ${bw}GB/s|" \
		topologies/accel.ini > "$topo"
	echo "devmemlab: bench-accel: link $bw GB/s"
	# shellcheck disable=SC2086
	$RUN -t "$topo" --timeout 900 -- sh -c 'modprobe devmemlab && dml-bench -9 -i 5 256' \
		> "$tmp/run-$bw.out" 2>&1 || { cat "$tmp/run-$bw.out"; die "the $bw GB/s boot failed"; }
	grep -v '^devmemlab: \[' "$tmp/run-$bw.out"
	run=$(sed -n 's/^devmemlab: results in //p' "$tmp/run-$bw.out")
	[ -s "$run/dml-bench.json" ] || die "no dml-bench.json from the $bw GB/s boot"
	jq --argjson bw "$bw" --arg k "$(sed -n 's/^DEVMEMLAB: init //p' "$run/console.log" | head -n 1)" \
		--arg a "$(jq -r .accel "$run/result.json")" --arg d "$(date -u +%Y-%m-%d)" \
		--arg q "$(build/qemu/qemu-system-x86_64 --version | head -n 1 | sed 's/QEMU emulator version //; s/ (.*//')" \
		'[.[] | . + {link_gbps: $bw, kernel: $k, accel: $a, date: $d, qemu: $q}]' \
		"$run/dml-bench.json" > "$tmp/b-$bw.json"
done
[ -n "$report_only" ] || jq -s 'add' "$tmp"/b-*.json > "$out/accel-bench.json"
[ -s "$out/accel-bench.json" ] || die "no $out/accel-bench.json"
# the report: links, date, kernel, QEMU and accelerator as measured
# shellcheck disable=SC2046
set -- $(jq -r '[.[].link_gbps] | unique | .[]' "$out/accel-bench.json")
date=$(jq -r '.[0].date' "$out/accel-bench.json")
kernel=$(jq -r '.[0].kernel' "$out/accel-bench.json")
qemu=$(jq -r '.[0].qemu' "$out/accel-bench.json")
accel=$(jq -r '.[0].accel' "$out/accel-bench.json")
g() {	# g LINK DIRECTION COPY FIELD
	jq -r --argjson l "$1" --arg d "$2" --arg c "$3" \
		"[.[] | select(.link_gbps == \$l and .direction == \$d and .copy == \$c and .order == 9) | $4][0] // empty" \
		"$out/accel-bench.json"
}
r2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f %%", (b > 0 ? 100 * a / b : 0) }'; }
{
	echo "# devmemlab-accel: migration through the DMA engine vs the CPU, by link bandwidth"
	echo
	echo "Measured $date by \`make bench-accel\`: guest kernel $kernel, the lab's QEMU $qemu, accelerator"
	echo "**$accel**, topology \`accel\` with 1 GiB of device memory and the link bandwidth below (1 us"
	echo "latency), 256 MiB buffers, order 9, median of 5. Engine and CPU rows of one line come from"
	echo "the same boot. GB/s = 10^9 B/s. *copy share*: the copy phase's part of the kernel's time in"
	echo "sys->dev migration through the engine (dml-bench's per-phase clock); the rest is"
	echo "migrate_vma_setup, allocation, migrate_vma_pages and finalize."
	echo
	echo "| link GB/s | engine copy alone (kcopy) | sys->dev engine | sys->dev CPU | engine/CPU | dev->sys engine | dev->sys CPU | copy share (engine) |"
	echo "|---|---|---|---|---|---|---|---|"
	for bw in "$@"; do
		ke=$(g "$bw" kcopy_to_bar engine .gbps)
		se=$(g "$bw" sys_to_dev engine .gbps) sc=$(g "$bw" sys_to_dev cpu .gbps)
		de=$(g "$bw" dev_to_sys engine .gbps) dc=$(g "$bw" dev_to_sys cpu .gbps)
		cp=$(g "$bw" sys_to_dev engine .phases_ms.copy) km=$(g "$bw" sys_to_dev engine .kernel_ms)
		echo "| $bw | $(r2 "$ke") | $(r2 "$se") | $(r2 "$sc") | $(r2 "$(awk -v a="$se" -v b="$sc" 'BEGIN { print (b > 0 ? a / b : 0) }')")x | $(r2 "$de") | $(r2 "$dc") | $(pct "$cp" "$km") |"
	done
	echo
	echo "Where the time of one sys->dev migration of 256 MiB goes, through the engine (ms, sum of 5):"
	echo
	echo "| link GB/s | setup | alloc | copy | pages | finalize | sum / kernel time |"
	echo "|---|---|---|---|---|---|---|"
	for bw in "$@"; do
		echo "| $bw | $(r2 "$(g "$bw" sys_to_dev engine .phases_ms.setup)") | $(r2 "$(g "$bw" sys_to_dev engine .phases_ms.alloc)") | $(r2 "$(g "$bw" sys_to_dev engine .phases_ms.copy)") | $(r2 "$(g "$bw" sys_to_dev engine .phases_ms.pages)") | $(r2 "$(g "$bw" sys_to_dev engine .phases_ms.finalize)") | $(pct "$(g "$bw" sys_to_dev engine .phase_sum_fraction)" 1) |"
	done
	echo
	echo "Reading it: where *sys->dev engine* stops following the link, the kernel's phases bound"
	echo "migration, not the link. dev->sys's *alloc* phase includes the zeroing of every new system"
	echo "folio when the guest kernel runs with init_on_alloc (Debian's default)."
	echo
	echo "![sweep](accel-bench.png)"
} > "$out/accel-bench.md"

for d in kcopy_to_bar/engine sys_to_dev/engine sys_to_dev/cpu dev_to_sys/engine; do
	jq -r --arg d "${d%/*}" --arg c "${d#*/}" \
		'[.[] | select(.direction == $d and .copy == $c and .order == 9)] | sort_by(.link_gbps) | .[] | "\(.link_gbps) \(.gbps)"' \
		"$out/accel-bench.json" > "$tmp/$(echo "$d" | tr / -).dat"
done
jq -r '[.[] | select(.direction == "sys_to_dev" and .copy == "engine" and .order == 9)] | sort_by(.link_gbps) | .[] | "\(.link_gbps) \(100 * .phases_ms.copy / .kernel_ms)"' \
	"$out/accel-bench.json" > "$tmp/share.dat"
for ext in png svg; do
	term="svg size 1100,450"
	[ $ext = png ] && term="pngcairo size 1100,450"
	gnuplot <<GP || die "gnuplot failed"
set terminal $term noenhanced
set output "$out/accel-bench.$ext"
set multiplot layout 1,2 title "devmemlab-accel link sweep: 256 MiB, order 9, $kernel, QEMU $qemu, $accel, $date"
set logscale xy 2
set xlabel "modelled link bandwidth (GB/s)"
set ylabel "GB/s (log scale)"
set yrange [0.25:128]
set key top left
set grid
plot x title "the link" with lines dashtype 2 lc rgb "gray", \
	"$tmp/kcopy_to_bar-engine.dat" title "engine copy alone (kcopy)" with linespoints, \
	"$tmp/sys_to_dev-engine.dat" title "sys->dev migration, engine" with linespoints, \
	"$tmp/sys_to_dev-cpu.dat" title "sys->dev migration, CPU copy" with linespoints, \
	"$tmp/dev_to_sys-engine.dat" title "dev->sys migration, engine" with linespoints
unset logscale y
set ylabel "copy phase, % of the kernel's time"
set yrange [0:100]
plot "$tmp/share.dat" title "sys->dev through the engine" with linespoints
unset multiplot
GP
done
echo "devmemlab: bench-accel: $out/accel-bench.md, .json, .png, .svg"

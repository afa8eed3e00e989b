#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Turn a `make bench` run into docs/results/: bench.json (one record per
# measurement, tool = test_hmm or devmemlab, dml-bench's fields), bench.md
# (the side-by-side table with date, kernel, QEMU and accelerator) and
# bench.png / bench.svg (gnuplot).
#   bench-report.sh RUN_DIR OUT_DIR
# test_hmm prints GiB/s (2^30 B/s, mean of 5); its numbers are converted to
# GB/s (10^9 B/s, as dml-bench) here.
set -eu
run=$1 out=$2
die() { echo "devmemlab: bench-report: $*" >&2; exit 1; }
for f in hmm-bench.txt dml-bench.json result.json guest.txt; do
	[ -s "$run/$f" ] || die "$run/$f is missing (did make bench's run pass?)"
done
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# test_hmm: "=== Name (2.0 MB) ===", "S->D Throughput | 0.13 GB/s | 0.10 GB/s | ..."
awk -v G=1.073741824 '
	/^=== / { mb = $0; sub(/.*\(/, "", mb); sub(/ MB.*/, "", mb); size = mb * 1048576 }
	/^(S->D|D->S) Throughput/ {
		split($0, f, "|"); dir = ($1 == "S->D") ? "sys_to_dev" : "dev_to_sys"
		thp = f[2] + 0; reg = f[3] + 0
		printf "{\"tool\":\"test_hmm\",\"direction\":\"%s\",\"order\":9,\"size_bytes\":%d,\"gbps\":%.4f,\"iterations\":5}\n", dir, size, thp * G
		printf "{\"tool\":\"test_hmm\",\"direction\":\"%s\",\"order\":0,\"size_bytes\":%d,\"gbps\":%.4f,\"iterations\":5}\n", dir, size, reg * G
	}' "$run/hmm-bench.txt" > "$tmp/hmm.jsonl"
[ -s "$tmp/hmm.jsonl" ] || die "no throughput lines in $run/hmm-bench.txt"
jq -s . "$tmp/hmm.jsonl" > "$tmp/hmm.json"
jq -s '.[0] + .[1]' "$tmp/hmm.json" "$run/dml-bench.json" > "$tmp/bench.json"
cp "$tmp/bench.json" "$out/bench.json"

date=$(date -u +%Y-%m-%d)
kernel=$(cat "$run/guest.txt")
qemu=$(qemu-system-x86_64 --version | head -n 1 | sed 's/QEMU emulator version //; s/ (.*//')
accel=$(jq -r .accel "$run/result.json")
g() {	# g TOOL DIRECTION ORDER SIZE
	jq -r --arg t "$1" --arg d "$2" --argjson o "$3" --argjson s "$4" \
		'[.[] | select(.tool == $t and .direction == $d and .order == $o and .size_bytes == $s) | .gbps][0] // empty | . * 1000 | round / 1000' \
		"$out/bench.json"
}
{
	echo "# devmemlab vs test_hmm: migration throughput"
	echo
	echo "Measured $date by \`make bench\`: guest kernel $kernel, QEMU $qemu, accelerator **$accel**,"
	echo "topology pci-bar. GB/s = 10^9 B/s (test_hmm's GiB/s converted). test_hmm copies RAM to RAM"
	echo "(its device memory is system pages, and sys->dev goes through a bounce buffer); devmemlab"
	echo "copies into and out of a PCI BAR. Under TCG these are emulator numbers, not hardware ones."
	echo
	echo "| size | direction | test_hmm THP | test_hmm non-THP | devmemlab order 9 | devmemlab order 0 | memcpy into BAR | memcpy RAM |"
	echo "|---|---|---|---|---|---|---|---|"
	for s in $(jq -r '[.[] | select(.tool == "test_hmm" and .size_bytes >= 2097152) | .size_bytes] | unique | .[]' "$out/bench.json"); do
		for d in sys_to_dev dev_to_sys; do
			echo "| $((s / 1048576)) MiB | $d | $(g test_hmm $d 9 "$s") | $(g test_hmm $d 0 "$s") | $(g devmemlab $d 9 "$s") | $(g devmemlab $d 0 "$s") | $(g devmemlab memcpy_to_bar 0 "$s") | $(g devmemlab memcpy_ram 0 "$s") |"
		done
	done
	echo
	echo "![throughput](bench.png)"
} > "$out/bench.md"

for tool in test_hmm devmemlab; do
	for d in sys_to_dev dev_to_sys; do
		for o in 9 0; do
			jq -r --arg t $tool --arg d $d --argjson o $o \
				'[.[] | select(.tool == $t and .direction == $d and .order == $o and .size_bytes >= 2097152)] | sort_by(.size_bytes) | .[] | "\(.size_bytes / 1048576) \(.gbps)"' \
				"$out/bench.json" > "$tmp/$tool-$d-$o.dat"
		done
	done
done
for ext in png svg; do
	term="svg size 1100,450"
	[ $ext = png ] && term="pngcairo size 1100,450"
	gnuplot <<GP || die "gnuplot failed"
set terminal $term noenhanced
set output "$out/bench.$ext"
set multiplot layout 1,2 title "migration throughput, $kernel, QEMU $qemu, $accel, $date"
set logscale x 2
set xlabel "buffer size (MiB)"
set ylabel "GB/s"
set key top left
set grid
do for [d in "sys_to_dev dev_to_sys"] {
	set title d
	plot "$tmp/test_hmm-".d."-9.dat" w lp t "test_hmm THP", \
	     "$tmp/test_hmm-".d."-0.dat" w lp t "test_hmm non-THP", \
	     "$tmp/devmemlab-".d."-9.dat" w lp t "devmemlab order 9", \
	     "$tmp/devmemlab-".d."-0.dat" w lp t "devmemlab order 0"
}
unset multiplot
GP
done
echo "devmemlab: bench-report: $out/bench.md, bench.json, bench.png, bench.svg"

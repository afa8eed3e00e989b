#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make ab A=... B=...`: the same workload on two kernels, same topology,
# interleaved boots (A B, B A, A B, ...: a drift of the host hits both), and
# one comparison (scripts/ab-report.sh): per test, in how many boots it
# passed on each; per throughput row, the median of the boots with min-max
# and an exact Mann-Whitney p.
#   ab.sh A B
# A and B: debian (Debian's kernel), debug (make debug-kernel's) or a built
# kernel tree (KERNEL_SRC: its bzImage and modules, our module and test_hmm
# built against it). Both are prepared before the first boot; a side the
# lab cannot use stops here with one line.
# Environment: ROUNDS (boots per side, default 5), TOPOLOGY (pci-bar),
# AB_OPS (dml-realloc churn operations, 20000), AB_MIB (dml-bench size, 32),
# AB_ITERS (dml-bench iterations per boot, 3), ACCEL (auto), AB_TIMEOUT
# (seconds per boot, 900), OUT (default results/ab-DATE-TIME).
set -eu
cd "$(dirname "$0")/.."
die() { echo "devmemlab: ab: $*" >&2; exit 1; }
if [ $# != 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
	die "usage: make ab A=debian|debug|TREE B=debian|debug|TREE [ROUNDS=5] [TOPOLOGY=pci-bar]"
fi
rounds=${ROUNDS:-5} topo=${TOPOLOGY:-pci-bar}
case $rounds in '' | *[!0-9]* | 0) die "ROUNDS=$rounds: a number of boots per side, 1 or more" ;; esac
[ -f "topologies/$topo.ini" ] || die "TOPOLOGY=$topo: no topologies/$topo.ini"

# vars SIDE SPEC: the make variables that select that kernel
vars() {
	case $2 in
	debian) echo "" ;;
	debug) echo "GUEST=debug" ;;
	*)
		[ -d "$2" ] || die "$1=$2: not debian, debug or a kernel tree (no such directory)"
		echo "KERNEL_SRC=$(cd "$2" && pwd)" ;;
	esac
}
va=$(vars A "$1") || exit 1
vb=$(vars B "$2") || exit 1
out=${OUT:-results/ab-$(date -u +%Y%m%d-%H%M%S)}
[ ! -e "$out" ] || [ -z "$(ls -A "$out")" ] || die "OUT=$out exists and is not empty"
# the same make for both sides, none of the caller's make variables (scripts/plain-make.sh)
smake() { scripts/plain-make.sh "$@"; }
# both sides checked before either is built: make's one line if a tree cannot serve
# shellcheck disable=SC2086
smake -n all $va >/dev/null && smake -n all $vb >/dev/null || exit 1
mkdir -p "$out/runs"
trap 'rm -rf "$out"' EXIT	# nothing half-done until the first boot
for side in A B; do
	v=$va spec=$1
	[ $side = B ] && v=$vb spec=$2
	echo "devmemlab: ab: preparing $side ($spec): module, test_hmm, initramfs"
	# shellcheck disable=SC2086
	smake all $v || exit 1
	# shellcheck disable=SC2086
	kernel=$(smake print-KERNEL $v)
	mkdir -p "$out/$side"
	cp build/initramfs.cpio.zst "$out/$side/initrd"
	cp "$kernel" "$out/$side/kernel"
	# what make's boots add to that kernel's command line (no5lvl for KASAN)
	# shellcheck disable=SC2086
	smake print-GUEST_APPEND $v > "$out/$side/append"
	echo "$spec" > "$out/$side.spec"
done
trap - EXIT
echo "$topo" > "$out/topology"
date -u +%F > "$out/date"

# boot SIDE ROUND
boot() {
	d=$out/runs/$1-$2
	mkdir -p "$d"
	start=$(date +%s)
	rc=0
	append=$(cat "$out/$1/append")
	qemu/devmemlab run -t "$topo" --accel "${ACCEL:-auto}" --timeout "${AB_TIMEOUT:-900}" \
		--kernel "$out/$1/kernel" --initrd "$out/$1/initrd" --results "$out/results" \
		${append:+--append "$append"} \
		-- sh /lab/tests/ab.sh "${AB_OPS:-20000}" "${AB_MIB:-32}" "${AB_ITERS:-3}" \
		>"$d/out" 2>"$d/err" </dev/null || rc=$?
	echo "$rc" > "$d/rc"
	for f in dml-bench.json guest.txt; do
		[ ! -f "$out/results/latest/$f" ] || cp "$out/results/latest/$f" "$d/"
	done
	# a boot that died early sent no files: its kernel from /init's first line
	[ -s "$d/guest.txt" ] || sed -n 's/^DEVMEMLAB: init \([^ ]*\).*/\1/p' \
		"$out/results/latest/console.log" 2>/dev/null | head -n 1 > "$d/guest.txt"
	grep -o 'accel [a-z]*' "$d/err" | head -n 1 | sed 's/accel //' > "$out/accel"
	n=$((n + 1))
	echo "devmemlab: ab: boot $n/$((2 * rounds)): $1 round $2: exit $rc ($(($(date +%s) - start)) s)"
}
n=0 r=1
while [ $r -le "$rounds" ]; do
	if [ $((r % 2)) = 1 ]; then boot A $r; boot B $r; else boot B $r; boot A $r; fi
	r=$((r + 1))
done
scripts/ab-report.sh "$out"
echo "devmemlab: ab: $out/ab.md"

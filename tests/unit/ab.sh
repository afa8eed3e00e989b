#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: `make ab`'s comparison (scripts/ab-report.sh) is fed
# a made-up A/B run directory whose outcome is known: B fails a test A
# passes in every boot, one of B's boots dies with a kernel BUG before its
# benchmark (so B has one sample fewer), one throughput row is separated
# (every B boot slower than every A boot) and one overlaps. The report must
# flag the failing test and only it, quote B's verdict, give medians with
# min-max over the boots that measured, and an exact Mann-Whitney p that is
# small for the separated row and large for the overlapping one; a run
# directory without boots is one line and exit 1.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ktap_plan 17

run=$tmp/ab
# boot SIDE ROUND RC SEED(ok|not) S2D9 D2S9 [nobench]: one boot's files
boot() {
	d=$run/runs/$1-$2
	mkdir -p "$d"
	echo "$3" > "$d/rc"
	echo "7.3.4-$1" > "$d/guest.txt"
	{
		echo "KTAP version 1"
		echo "$4 1 dml-realloc: seed: order-9 freed, order-8 at 0 and 256"
		echo "ok 2 dml-realloc: churn ($(($2 * 100 + 7)) ops)"
		echo "ok 3 dml-realloc: odd # SKIP not here"
		echo "ok 4 splits: order 9 at 0 freed before order 8"
		echo "ok 5 splits: order 9 at 256 freed before order 8"
		echo "1..5"
	} > "$d/out"
	if [ "$3" = 0 ]; then : > "$d/err"; else
		echo "devmemlab: pci-bar: kernel problem on the console (line 9): [ 5.1] kernel BUG at mm/x.c:1!" > "$d/err"
	fi
	[ "${7:-}" = nobench ] && return
	printf '[{"tool":"devmemlab","direction":"sys_to_dev","order":9,"size_bytes":33554432,"gbps":%s},
	  {"tool":"devmemlab","direction":"dev_to_sys","order":9,"size_bytes":33554432,"gbps":%s}]\n' \
		"$5" "$6" > "$d/dml-bench.json"
}
mkdir -p "$run"
echo "stock tree" > "$run/A.spec"
echo "reverted tree" > "$run/B.spec"
echo "pci-bar" > "$run/topology"
boot A 1 0 ok 2.00 0.50
boot B 1 0 "not ok" 1.00 0.52
boot B 2 0 "not ok" 1.10 0.49
boot A 2 0 ok 2.10 0.51
boot A 3 0 ok 2.20 0.48
boot B 3 3 "not ok" 0 0 nobench
boot A 4 0 ok 2.05 0.53
boot B 4 0 "not ok" 1.05 0.50
boot A 5 0 ok 2.15 0.47
boot B 5 0 "not ok" 1.15 0.505

scripts/ab-report.sh "$run" > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
md=$run/ab.md
ktap_is "the report is written and the run exits 0" "$rc:$(test -s "$md" && echo md)" "0:md"
ktap_is "boots: A 5 of 5 passed, B 4 of 5" \
	"$(grep '^| boots passed' "$md" | tr -d ' ')" "|bootspassed|5/5|4/5|"
ktap_has "B's verdict is quoted" "$(cat "$md")" "kernel BUG at mm/x.c:1!"
ktap_is "the seed test is flagged, failing in B only" \
	"$(grep -c '^| dml-realloc: seed: order-9 freed, order-8 at 0 and 256 | 5/5 | 0/5 | \*\*B fails\*\* |$' "$md")" 1
ktap_is "only the seed test differs (churn, its count different in each boot, passes on both; odd is skipped on both)" \
	"$(grep -c 'fails\*\*\|passes\*\*' "$md")" 1
ktap_is "a name that repeats within a boot (its numbers blanked) counts once per boot and occurrence" \
	"$(grep -o 'The other [0-9]* of [0-9]* tests' "$md")" "The other 4 of 5 tests"
row() { grep "^| $1 | 9 | 32 MiB |" "$md"; }
ktap_has "separated row: medians with min-max, n" "$(row sys_to_dev)" \
	"| 2.100 (2.000-2.200, n=5) | 1.075 (1.000-1.150, n=4) | 0.51 |"
ktap_has "separated row: exact Mann-Whitney p=0.016 (5 vs 4), significant" "$(row sys_to_dev)" \
	"p=0.016, significant |"
ktap_has "overlapping row: not significant" "$(row dev_to_sys)" "not significant |"
ktap_has "the last line sums it up" "$(tail -n 1 "$tmp/stdout")" \
	"ab: A passed 5/5 boots, B 4/5; 1 test differs (B fails 1); 1 of 2 throughput rows differ (p<0.05)"

mkdir -p "$tmp/empty"
scripts/ab-report.sh "$tmp/empty" > /dev/null 2> "$tmp/err"
rc=$?
ktap_is "no boots: exit 1" "$rc" 1
ktap_is "no boots: one line" "$(wc -l < "$tmp/err"):$(cat "$tmp/err")" \
	"1:devmemlab: ab-report: $tmp/empty has no boots (runs/A-1 ...)"
# badab NAME NEEDLE ENV... -- A B
badab() {
	n=$1 needle=$2; shift 2
	env OUT="$tmp/abrun" "$@" > "$tmp/stdout" 2> "$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -qF -- "$needle" "$tmp/err" && [ ! -e "$tmp/abrun" ] &&
		! grep -q 'preparing' "$tmp/stdout"; then
		ktap_ok "ab: $n: one line, nothing built or left ($(sed 's/.*\*\*\* //' "$tmp/err"))"
	else
		ktap_fail "ab: $n: exit 1 with one line holding '$needle', no $tmp/abrun" "exit $rc, stderr:" \
			"$(head -n 5 "$tmp/err")" "left: $(ls "$tmp/abrun" 2>&1)"
	fi
}
badab "a side that is no kernel" "A=nokernel: not debian, debug or a kernel tree" scripts/ab.sh nokernel debian
badab "a directory that is not a built tree" "KERNEL_SRC=$tmp/empty is not a built kernel tree" \
	scripts/ab.sh debian "$tmp/empty"
badab "ROUNDS not a count" "ROUNDS=two: a number of boots per side" ROUNDS=two scripts/ab.sh debian debian
badab "an unknown topology" "TOPOLOGY=nosuch: no topologies/nosuch.ini" TOPOLOGY=nosuch scripts/ab.sh debian debian
badab "a missing side" "usage: make ab A=" scripts/ab.sh debian ""
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test runner behind `make check`. Runs each suite (an executable that
# prints KTAP/TAP), keeps its full output in build/test-logs/, shows every
# failure and skip with its diagnostics, and every known issue (XFAIL:
# asserted as documented, counted as passed; XPASS: a kernel fixed it, said
# so), and closes with one line:
#   N passed, N failed, N skipped
# A suite that exits non-zero without a "not ok", or prints fewer results
# than its plan, counts as one more failure.
#   tests/run.sh [--unit | --vm] [SUITE...]
cd "$(dirname "$0")/.." || exit 1
exec 2>&1	# diagnostics interleave with the summary, in order
logs=build/test-logs
mkdir -p "$logs"

suites=
case $1 in
--unit) shift; suites=$(ls tests/unit/*.sh) ;;
--vm) shift; suites="tests/vm.sh tests/known-issues.sh tests/lava-check.sh" ;;
esac
[ $# -gt 0 ] && suites="$*"
[ -n "$suites" ] || suites="$(ls tests/unit/*.sh) tests/vm.sh tests/known-issues.sh tests/lava-check.sh"

pass=0 fail=0 skip=0
for s in $suites; do
	name=$(basename "$s" .sh)
	case $s in tests/unit/*) name=unit/$name ;; esac
	log=$logs/$(echo "$name" | tr / -).log
	start=$(date +%s)
	echo "== $name"
	"$s" >"$log" 2>&1 </dev/null
	rc=$?
	# failures and skips (with their "# " diagnostics) to the terminal, counts to $counts
	counts=$(awk -v name="$name" '
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0 }
		/^ok / && / # SKIP/ { s++; print "  SKIP " name ": " $0 > "/dev/stderr"; next }
		/^ok / && / # XFAIL/ { p++; print "  XFAIL " name ": " $0 > "/dev/stderr"; next }
		/^ok / && / # XPASS/ { p++; print "  XPASS " name ": " $0 > "/dev/stderr"; next }
		/^ok / { p++; show = 0; next }
		/^not ok / { f++; show = 1; print "  FAIL " name ": " $0 > "/dev/stderr"; next }
		/^# / && show { print "       " $0 > "/dev/stderr"; next }
		{ show = 0 }
		END { printf "%d %d %d %d\n", p, f, s, plan }' "$log")
	# shellcheck disable=SC2086
	set -- $counts
	p=$1 f=$2 sk=$3 plan=$4
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "  FAIL $name: exited $rc without a failing test; last lines of $log:"
		tail -n 8 "$log" | sed 's/^/       /'
		f=1
	fi
	if [ "$plan" -gt 0 ] && [ $((p + f + sk)) -lt "$plan" ]; then
		echo "  FAIL $name: planned $plan tests, ran $((p + f + sk))"
		f=$((f + 1))
	fi
	echo "   $name: $p ok, $f not ok, $sk skipped ($(($(date +%s) - start)) s; log $log)"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + sk))
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# KTAP output in the kselftest style: a plan, "ok N name", "not ok N name"
# with "# " diagnostics, "ok N name # SKIP reason". Sourced by guest
# workloads (/lab/ktap.sh) and by the host tests (tests/*.sh) alike.

KTAP_N=0
KTAP_FAILED=0

ktap_plan() { echo "KTAP version 1"; echo "1..$1"; }
ktap_ok() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $1"; }
ktap_fail() {
	KTAP_N=$((KTAP_N + 1)); KTAP_FAILED=$((KTAP_FAILED + 1))
	echo "not ok $KTAP_N $1"
	shift
	# every line of a multi-line diagnostic (a console tail) a comment
	for l in "$@"; do printf '%s\n' "$l" | while IFS= read -r x; do echo "# $x"; done; done
}
ktap_skip() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $1 # SKIP $2"; }
# ktap_check NAME CMD...: ok if CMD succeeds
ktap_check() {
	n=$1; shift
	if out=$("$@" 2>&1); then ktap_ok "$n"; else ktap_fail "$n" "$* failed:" "$out"; fi
}
ktap_done() { [ "$KTAP_FAILED" = 0 ]; }

# ktap_is NAME GOT WANT: ok if the two strings are equal
ktap_is() {
	if [ "$2" = "$3" ]; then ktap_ok "$1"; else ktap_fail "$1" "got:  $2" "want: $3"; fi
}
# ktap_known_issue NAME SEEN FIXED ISSUE [WHAT]: a known issue, asserted.
# SEEN=yes, its documented behaviour: ok # XFAIL; FIXED=yes: ok # XPASS
# (shown by the runner); anything else fails, with WHAT (what happened
# instead) in its diagnostic.
ktap_known_issue() {
	if [ "$3" = yes ]; then ktap_ok "$1 # XPASS fixed: $4"
	elif [ "$2" = yes ]; then ktap_ok "$1 # XFAIL $4"
	else ktap_fail "$1" "neither the known issue nor its fix: $4" ${5:+"$5"}; fi
}
# ktap_has NAME TEXT NEEDLE: ok if TEXT contains NEEDLE (fixed string)
ktap_has() {
	case $2 in
	*"$3"*) ktap_ok "$1" ;;
	*) ktap_fail "$1" "missing: $3" "in: $(printf '%s' "$2" | head -c 600)" ;;
	esac
}
# ktap_import FILE [PREFIX [RC]]: re-emit another KTAP producer's results
# (and their diagnostics) under this script's numbering, names after PREFIX.
# With RC, the producer's exit status, the producer is judged too: one more
# failure if it printed no result, no plan, fewer or more results than its
# plan, or exited non-zero without a failing result (a crash, a usage error).
ktap_import() {
	_n=0 _f=0 _plan=
	while IFS= read -r l; do
		case $l in
		"ok "*) _n=$((_n + 1)); ktap_ok "${2:-}$(echo "$l" | cut -d' ' -f3-)" ;;
		"not ok "*) _n=$((_n + 1)) _f=$((_f + 1)); ktap_fail "${2:-}$(echo "$l" | cut -d' ' -f4-)" ;;
		"# "*) echo "$l" ;;
		1..*) _plan=$(echo "$l" | sed 's/^1\.\.\([0-9]*\).*/\1/') ;;	# digits only: a kernel line may follow
		esac
	done < "$1"
	[ $# -ge 3 ] || return 0
	if [ "$_n" = 0 ] || [ -z "$_plan" ] || [ "$_n" != "$_plan" ] || { [ "$3" != 0 ] && [ "$_f" = 0 ]; }; then
		ktap_fail "${2:-}the producer exited $3 with a plan of ${_plan:-none} and $_n results ($_f failed)" \
			"its last lines:" "$(tail -n 5 "$1")"
	fi
}
# ktap_run PREFIX CMD...: run a KTAP producer and import its results, judged (above)
ktap_run() {
	_p=$1; shift
	"$@" > /tmp/ktap_run.out 2>&1
	ktap_import /tmp/ktap_run.out "$_p" $?
}

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: the KTAP helpers every suite is built on can fail.
# ktap_import judges a producer by its exit status and plan: one that prints
# nothing, crashes after good results, stops short of its plan or prints no
# plan adds a failure; a whole, passing run adds none. Each case runs in a
# subshell whose own KTAP output is read back here. The runner shows XFAIL
# and XPASS results and counts them as passed, a failure as failed.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ktap_plan 13

# import CASE RC: the failures ktap_import adds for producer output $tmp/CASE
import() {
	(KTAP_N=0 KTAP_FAILED=0; ktap_import "$tmp/$1" "" "$2") | grep -c '^not ok'
}
: > "$tmp/nothing"
printf 'KTAP version 1\n1..2\nok 1 a\nok 2 b\n' > "$tmp/whole"
printf 'KTAP version 1\n1..3\nok 1 a\nok 2 b\n' > "$tmp/short"
printf 'KTAP version 1\nok 1 a\nok 2 b\n' > "$tmp/noplan"
printf 'KTAP version 1\n1..2\nok 1 a\nnot ok 2 b\n' > "$tmp/failing"
printf 'KTAP version 1\n1..2[    5.651499] devmemlab: a kernel line\nok 1 a\nok 2 b\n' > "$tmp/glued"

ktap_is "a producer that prints nothing and exits 1 fails" "$(import nothing 1)" 1
ktap_is "a producer that prints nothing and exits 0 fails" "$(import nothing 0)" 1
ktap_is "a whole passing run adds no failure" "$(import whole 0)" 0
ktap_is "a crash (exit 139) after passing results fails" "$(import whole 139)" 1
ktap_is "fewer results than the plan fails" "$(import short 0)" 1
ktap_is "results without a plan fail" "$(import noplan 0)" 1
ktap_is "a failing result with exit 1 is that failure only" "$(import failing 1)" 1
ktap_is "a plan with a kernel line glued to it still counts" "$(import glued 0)" 0

# a multi-line diagnostic stays KTAP: every line a comment (the runner and
# CI's excerpt show "# " lines only; a console tail lost all but its first)
ktap_is "every line of a multi-line diagnostic is a # comment" \
	"$( (KTAP_N=0 KTAP_FAILED=0; ktap_fail x "got exit 3" "$(printf '  | one\n  | two')") | grep -vc '^# \|^not ok')" 0

# a failed boot's diagnostic leads with the launcher's verdict, then its
# console tail (tests/vm-lib.sh boot())
cat > "$tmp/run" <<'EOF'
#!/bin/sh
echo 'devmemlab: [ 9.0s] running workload' >&2
echo 'devmemlab: FAIL t: kernel problem on the console: hung task (1 line), first at line 9:' >&2
for i in $(seq 16); do echo "  | console $i" >&2; done
exit 3
EOF
chmod +x "$tmp/run"
# shellcheck disable=SC2034 # RUN and the counters are boot()'s
boot_diag=$( (. tests/vm-lib.sh; RUN=$tmp/run KTAP_N=0 KTAP_FAILED=0; boot t 0) )
ktap_has "a failed boot's diagnostic names the launcher's verdict" "$boot_diag" \
	"# devmemlab: FAIL t: kernel problem on the console: hung task"

# a known issue's boot that stopped on another kernel problem names it
# (tests/vm-lib.sh known_boot(): neither the issue's pattern nor a pass)
mkdir -p "$tmp/k/latest"; echo '[ 5.0] BUG: something else' > "$tmp/k/latest/console.log"
# shellcheck disable=SC2034 # RUN and the counters are known_boot()'s
known_diag=$( (. tests/vm-lib.sh; RUN=$tmp/run KTAP_N=0 KTAP_FAILED=0; known_boot k 'known_pattern' n why doc) )
ktap_has "a known issue's boot that stopped on something else quotes the launcher's verdict" "$known_diag" \
	"# devmemlab: FAIL t: kernel problem on the console: hung task"

# the runner: XFAIL and XPASS are shown and passed, not ok is failed
cat > "$tmp/suite.sh" <<'EOF'
#!/bin/sh
printf 'KTAP version 1\n1..3\nok 1 a # XFAIL known\nok 2 b # XPASS fixed: known\nnot ok 3 c\n'
exit 1
EOF
chmod +x "$tmp/suite.sh"
out=$(tests/run.sh "$tmp/suite.sh" 2>&1)
ktap_is "the runner counts XFAIL and XPASS as passed, not ok as failed" \
	"$(echo "$out" | tail -n 1)" "2 passed, 1 failed, 0 skipped"
ktap_is "the runner shows the XFAIL and the XPASS" \
	"$(echo "$out" | grep -cE '^  (XFAIL|XPASS) ')" 2
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: build/fuzz/topology-fuzz (libFuzzer with ASan and
# UBSan, tests/fuzz/topology-fuzz.c) feeds bytes as a topology file to the
# parser, and what parses to both emitters. Its corpus: the committed one
# (tests/fuzz/corpus/: the shipped topologies and test fixtures as of its
# last merge, and inputs the fuzzer found that reach new code) and, read
# where they are, every topology and fixture of today. Every corpus input
# runs once; then the fuzzer mutates from there for FUZZ_SECONDS (default
# 60). A crash, sanitizer report, leak, hang or broken promise of the
# harness fails the suite; the input that did it is kept in build/fuzz/ and
# its report shown.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
F=build/fuzz/topology-fuzz
C=tests/fuzz/corpus
secs=${FUZZ_SECONDS:-60}
SEEDS="$C topologies $(ls -d tests/unit/topologies/*/)"
ktap_plan 2

# an old harness would fuzz old code
stale=$(find qemu tests/fuzz -path qemu/device -prune -o -name '*.[ch]' -newer "$F" -print 2>/dev/null | head -n 3)
if [ ! -x "$F" ] || [ -n "$stale" ]; then
	for t in "the corpus runs clean" "fuzzing for ${secs} s"; do
		ktap_fail "$t" "$F missing or older than: ${stale:-(not built)}" "build it with: make $F"
	done
	exit 1
fi

fuzz() {	# fuzz NAME ARGS...: ok if the fuzzer exits 0; else its report and the input
	name=$1; shift
	rm -rf build/fuzz/work build/fuzz/crash-* build/fuzz/leak-* build/fuzz/timeout-* \
		build/fuzz/oom-* build/fuzz/slow-unit-*
	mkdir -p build/fuzz/work
	if "$F" -dict=tests/fuzz/topology.dict -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/ -print_final_stats=1 "$@" build/fuzz/work $SEEDS \
		>build/fuzz/log 2>&1; then
		ktap_ok "$name"
		grep -E '^#[0-9]+.*DONE|^stat::(number_of_executed_units|peak_rss)' build/fuzz/log | sed 's/^/# /'
	else
		old=$IFS; IFS='
'
		# shellcheck disable=SC2046
		ktap_fail "$name" $(grep -E 'ERROR|runtime error|SUMMARY|topology-fuzz:|Test unit written' build/fuzz/log |
			head -n 4) $(grep -E '#[0-9]+ 0x[0-9a-f]+ in .*/(qemu|tests/fuzz)/' build/fuzz/log | head -n 8)
		IFS=$old
	fi
}
# shellcheck disable=SC2086
fuzz "the corpus runs clean ($(find $SEEDS -type f | wc -l) inputs)" -runs=0
fuzz "fuzzing for ${secs} s: no crash" -max_total_time="$secs"
ktap_done

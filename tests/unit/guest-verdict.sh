#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: in a boot no launcher watches (a LAVA job), the guest
# gives its own verdict: guest-tools/init pipes `dmesg` into dml-verdict,
# which runs the launcher's qemu/verdict.c over it and prints two KTAP
# results, devmemlab-workload (the exit status) and devmemlab-kernel-log.
# The tool is built here with the host's compiler under ASan/UBSan and fed
# the recorded consoles tests/unit/verdict.sh replays into the launcher:
# each kernel problem fails devmemlab-kernel-log with its kind and first
# line, workload text that says "BUG:" does not, and bad usage is one line.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
C=tests/unit/consoles
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ktap_plan 13
V=$tmp/dml-verdict
if ! cc -std=gnu11 -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-Iqemu -o "$V" guest-tools/dml-verdict.c qemu/verdict.c 2>"$tmp/cc"; then
	ktap_fail "dml-verdict builds with -Wall -Wextra -Werror" "$(cat "$tmp/cc")"
	exit 1
fi
ktap_ok "dml-verdict builds with -Wall -Wextra -Werror (ASan/UBSan)"

v() {	# v STATUS LOG: sets out and rc
	out=$("$V" "$1" < "$2" 2>&1); rc=$?
}
v 0 $C/clean.log
ktap_is "clean log, exit 0: a whole KTAP document, both pass, exit 0" "$rc|$out" \
	"0|KTAP version 1
1..2
ok 1 devmemlab-workload
ok 2 devmemlab-kernel-log"
v 1 $C/clean.log
ktap_is "clean log, workload exit 1: devmemlab-workload fails with the status" \
	"$rc|$(echo "$out" | sed -n 3p)" "1|not ok 1 devmemlab-workload # exit status 1"
for c in warn:"WARNING (1 line), first: WARNING: mm/memremap.c:500 at zone_device_page_init" \
	 panic:"panic (2 lines), first: Kernel panic - not syncing: sysrq triggered crash" \
	 vm-bug:"BUG (3 lines), first: kernel BUG at ./include/linux/page-flags.h:345!" \
	 kasan:"KASAN" hung-task:"hung task (1 line), first: INFO: task stat:120 blocked for more than 5 seconds." \
	 soft-lockup:"soft lockup" \
	 oom:"out of memory (1 OOM kill, 1 allocation failure), first: Out of memory: Killed process 116 (tail)"; do
	v 0 "$C/${c%%:*}.log"
	ktap_has "${c%%:*}: devmemlab-kernel-log fails with the kind and the first line (exit $rc)" \
		"$rc|$(echo "$out" | sed -n 4p)" "1|not ok 2 devmemlab-kernel-log # ${c#*:}"
done
v 0 $C/userspace-text.log
ktap_is "workload output that says BUG: (no printk timestamp) is not a kernel problem" \
	"$rc|$(echo "$out" | sed -n 4p)" "0|ok 2 devmemlab-kernel-log"
# a kernel line far longer than the line buffer, with a WARNING in its first bytes: one problem, cut
{ printf '[    1.000000] WARNING: at x.c:1 %s\n' "$(head -c 20000 /dev/zero | tr '\0' y)"; } > "$tmp/long.log"
v 0 "$tmp/long.log"
pre="not ok 2 devmemlab-kernel-log # WARNING (1 line), first: WARNING: at x.c:1 "
ktap_is "a 20 kB kernel line: one problem, its quote cut at 160 bytes and marked" \
	"$rc|$(echo "$out" | sed -n 4p)" "1|$pre$(head -c $((160 - 18)) /dev/zero | tr '\0' y)..."
bad=
for a in "" x 256 -1 "1 2"; do
	# shellcheck disable=SC2086
	o=$("$V" $a < /dev/null 2>&1); r=$?
	[ "$r" = 2 ] && [ "$(printf '%s\n' "$o" | wc -l)" = 1 ] && [ "${o#usage: dml-verdict}" != "$o" ] || bad="$bad '$a'(exit $r: $o)"
done
ktap_is "bad usage (none, x, 256, -1, two arguments): exit 2, one usage line" "$bad" ""
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: `devmemlab run` is driven with tests/unit/fake-qemu,
# which replays recorded guest consoles (consoles/: clean.log, panic.log,
# oom.log and hung-task.log are real Debian 7.3.4 guests, vm-bug.log the
# debug kernel's VM_BUG_ON_PAGE under KASAN (make ab-demo's B), kasan.log
# its first lines with a KASAN report in the kernel's format, the others are
# edited copies in the kernel's own formats). Each case asserts the exit
# status, the one line that explains it, result.json's verdict (and the
# kind of kernel problem), and that no /dev/shm backing file is left
# behind, including after a deadline and after SIGTERM. A guest that goes
# on running after an Oops, a hung task, an RCU stall or a soft lockup is
# stopped after a short grace period, not at the deadline.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
L=$PWD/${DEVMEMLAB:-qemu/devmemlab}	# tests/unit/asan.sh: the sanitized build
C=tests/unit/consoles
tmp=$(mktemp -d); trap 'rm -rf "$tmp"; rm -f /dev/shm/devmemlab-unit-$$-*' EXIT
touch "$tmp/kernel" "$tmp/initrd"
SHM=/dev/shm/devmemlab-unit-$$

launch() {	# launch CONSOLE [extra args]: sets rc, out (stdout), err (stderr)
	console=$1; shift
	rm -rf "$tmp/results"
	FAKE_CONSOLE=$console $L run -t pci-bar --qemu tests/unit/fake-qemu --accel tcg \
		--kernel "$tmp/kernel" --initrd "$tmp/initrd" --results "$tmp/results" \
		--shm-prefix "$SHM" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
}
verdict() { jq -r .verdict "$tmp/results/latest/result.json" 2>&1; }
kind() { jq -r .kernel_problem_kind "$tmp/results/latest/result.json" 2>&1; }
no_shm() { ! ls "$SHM"-* >/dev/null 2>&1; }

ktap_plan 65

launch $C/clean.log
ktap_is "clean console: exit 0, verdict pass" "$rc|$(verdict)" "0|pass"
ktap_has "clean console: workload output reaches stdout" "$out" "BAR2 1 GiB"
ktap_is "clean console: kernel lines stay out of stdout" "$(echo "$out" | grep -c mtrr)" 0
ktap_check "clean console: backing file removed" no_shm

for c in warn:"WARNING: mm/memremap.c:500" oops:"BUG: kernel NULL pointer dereference" \
	 panic:"Kernel panic - not syncing: sysrq triggered crash" \
	 interleaved:"WARNING: CPU: 0 PID: 1 at kernel/x.c:1"; do
	launch "$C/${c%%:*}.log"
	ktap_is "${c%%:*}: exit 3, verdict kernel-problem" "$rc|$(verdict)" "3|kernel-problem"
	ktap_has "${c%%:*}: the offending line is quoted" "$err" "${c#*:}"
done

# named kinds of kernel problem: the verdict says which
for c in hung-task:"hung task":"INFO: task stat:120 blocked for more than 5 seconds." \
	 rcu-stall:"RCU stall":"rcu: INFO: rcu_sched detected stalls on CPUs/tasks:" \
	 rcu-self:"RCU stall":"rcu: INFO: rcu_preempt self-detected stall on CPU" \
	 soft-lockup:"soft lockup":"watchdog: BUG: soft lockup - CPU#0 stuck for 26s!" \
	 oops:"BUG":"BUG: kernel NULL pointer dereference" panic:"panic":"Kernel panic" \
	 vm-bug:"BUG":"kernel BUG at ./include/linux/page-flags.h:345!" \
	 kasan:"KASAN":"BUG: KASAN: slab-use-after-free in dml_folio_free+0x21/0x90 [devmemlab]"; do
	f=${c%%:*} rest=${c#*:}
	launch "$C/$f.log"
	ktap_is "$f: exit 3, kernel-problem, kind '${rest%%:*}' in result.json" "$rc|$(verdict)|$(kind)" \
		"3|kernel-problem|${rest%%:*}"
	fail=$(echo "$err" | grep -A1 '^devmemlab: FAIL')	# the FAIL line and its quote
	ktap_has "$f: the FAIL line names it" "$fail" "kernel problem on the console: ${rest%%:*} ("
	ktap_has "$f: ... and quotes its first line" "$fail" "${rest#*:}"
done

# an OOM kill is not a kernel problem (its report has a Call Trace): its own verdict, exit 6
# (the real oom.log also has the victim's own page allocation failure, with its Call Trace)
launch $C/oom.log
ktap_is "oom: exit 6, verdict oom" "$rc|$(verdict)" "6|oom"
ktap_has "oom: the FAIL line quotes the kill" "$err" \
	"out of memory: the kernel's OOM killer killed a process (line 89):
  | [    8.635924] Out of memory: Killed process 116 (tail)"
launch $C/alloc-failure.log
ktap_is "a page allocation failure alone: exit 6, verdict oom, though the workload passed" "$rc|$(verdict)" "6|oom"
ktap_has "a page allocation failure alone: the FAIL line quotes it" "$err" \
	"out of memory: a page allocation failed (line 6):
  | [    8.638597] tail: page allocation failure: order:0"

# the guest goes on after an Oops: stopped after the grace period, console tail shown
start=$(date +%s)
FAKE_HANG=1 launch $C/oops.log --timeout 40
took=$(($(date +%s) - start))
ktap_is "oops, guest still running: exit 3 within the grace period, not at the 40 s deadline" \
	"$rc|$([ $took -le 12 ] && echo "in time" || echo "$took s")" "3|in time"
ktap_has "oops, guest still running: the console tail after the Oops is shown" "$err" \
	"  | [    4.902400] RIP: 0010:dml_folio_free+0x21/0x90 [devmemlab]"
ktap_is "oops, guest still running: result.json says it was stopped early" \
	"$(jq -r .stopped_after_problem "$tmp/results/latest/result.json" 2>&1)" true
# a WARNING alone does not stop the guest: its workload may still report
start=$(date +%s)
FAKE_HANG=1 launch $C/warn.log --timeout 3
took=$(($(date +%s) - start))
ktap_is "warning, guest still running: exit 3 at the deadline, not stopped early" \
	"$rc|$([ $took -ge 3 ] && echo deadline || echo "$took s")|$(jq -r .stopped_after_problem "$tmp/results/latest/result.json" 2>&1)" \
	"3|deadline|false"

launch $C/userspace-text.log
ktap_is "workload text mentioning BUG:/WARNING: is not a kernel problem" "$rc|$(verdict)" "0|pass"

launch $C/guest-fail.log
ktap_is "workload exit 1: exit 1, verdict guest-fail" "$rc|$(verdict)" "1|guest-fail"
launch $C/no-result.log
ktap_is "no end marker: exit 1, verdict no-result" "$rc|$(verdict)" "1|no-result"
ktap_has "no end marker: says so" "$err" "guest stopped without reporting a result"

start=$(date +%s)
FAKE_HANG=1 launch $C/hang.log --timeout 2
took=$(($(date +%s) - start))
ktap_is "hang: exit 4, verdict hang" "$rc|$(verdict)" "4|hang"
ktap_has "hang: the console tail is shown" "$err" "  | still working"
ktap_is "hang: guest killed within the deadline plus 5 s" "$([ $took -le 7 ] && echo yes || echo "no ($took s)")" yes
ktap_check "hang: backing file removed" no_shm

FAKE_SEGV=1 launch $C/no-result.log
ktap_is "QEMU dies of a signal mid-run: exit 5, says so" "$rc|$(echo "$err" | grep '^devmemlab: FAIL')" \
	"5|devmemlab: FAIL pci-bar: QEMU died of signal 11 (Segmentation fault)"

launch $C/clean.log --qemu /nonexistent/qemu
ktap_is "QEMU cannot start: exit 5 and one FAIL line" "$rc|$(echo "$err" | grep -c '^devmemlab: FAIL')" "5|1"

launch $C/files.log
ktap_is "file blocks are saved in the results directory" "$(jq -r .gbps "$tmp/results/latest/bench.json" 2>&1)" "1.5"
ktap_is "a file name with a path is not written" "$(ls "$tmp/results/latest" | grep -c escape)" 0
launch $C/glued.log
ktap_is "a last line glued to the end marker is kept" "$(jq -c . "$tmp/results/latest/glued.json" 2>&1)" "[1,2]"

# the results channel: framed files unpacked byte for byte, damage named in one line
{ printf 'file a.txt 6\nline1\nfile b.bin 5\n\000\r\n\377x'; printf 'file ..up 1\nx'
  printf 'file console.log 2\nhi'; printf 'end\n'; } > "$tmp/stream"
FAKE_STREAM=$tmp/stream launch $C/clean.log
ktap_is "results channel: files saved byte for byte, the stream removed" \
	"$rc|$(cat "$tmp/results/latest/a.txt")|$(od -An -tx1 "$tmp/results/latest/b.bin" | tr -d ' ')|$(ls "$tmp/results/latest" | grep -c stream)" \
	"0|line1|000d0aff78|0"
ktap_is "results channel: a bad name or one of the launcher's files is refused, one line each" \
	"$(grep -c 'refused (not saved)' "$tmp/err")|$(grep -c DEVMEMLAB "$tmp/results/latest/console.log")" "2|$(grep -c DEVMEMLAB $C/clean.log)"
head -c 33 "$tmp/stream" > "$tmp/cut"
FAKE_STREAM=$tmp/cut launch $C/clean.log
ktap_is "results channel: a cut file is named in one line, the stream kept" \
	"$(grep -c 'cut at 1 of 5 bytes' "$tmp/err")|$(cat "$tmp/results/latest/a.txt")|$(ls "$tmp/results/latest" | grep -c results.stream)" \
	"1|line1|1"
printf 'file a.txt 6\nline1\n' > "$tmp/noend"
FAKE_STREAM=$tmp/noend launch $C/clean.log
ktap_has "results channel: a stream without its end frame is reported" "$err" "no end frame"
printf 'junk\n' > "$tmp/junk"
FAKE_STREAM=$tmp/junk launch $C/clean.log
ktap_has "results channel: a malformed header is reported" "$err" "malformed frame header 'junk"

# SIGTERM to the launcher: it stops "QEMU" and removes its files
rm -rf "$tmp/results"
FAKE_PID=$tmp/fake.pid FAKE_HANG=1 FAKE_CONSOLE=$C/hang.log $L run -t pci-bar --qemu tests/unit/fake-qemu --accel tcg \
	--kernel "$tmp/kernel" --initrd "$tmp/initrd" --results "$tmp/results" \
	--shm-prefix "$SHM" --timeout 60 >/dev/null 2>&1 &
pid=$!
i=0; while [ ! -e "$SHM-bar0" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
kill -TERM $pid; wait $pid; rc=$?
ktap_is "SIGTERM: launcher exits 143" "$rc" 143
ktap_check "SIGTERM: backing file removed" no_shm
ktap_is "SIGTERM: no fake QEMU left running" "$(kill -0 "$(cat "$tmp/fake.pid")" 2>/dev/null && echo alive || echo gone)" gone
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: a launcher that dies unannounced must not leave its
# QEMU running or its lab memory in /dev/shm. `devmemlab run` is driven with
# tests/unit/fake-qemu (which, like QEMU, keeps its backing files open and
# here hangs after its console); the launcher is killed with SIGKILL once
# the workload runs, and its stdout is a pipe whose reader goes away
# (`| head -n 1`, SIGPIPE). After a short bound, the fake QEMU's process
# must be gone and no /dev/shm file of the run left. (tests/vm.sh does the
# same with real QEMU.)
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
L=$PWD/qemu/devmemlab
C=tests/unit/consoles
tmp=$(mktemp -d)
trap 'p=$(cat "$tmp"/pid.* 2>/dev/null); [ -n "$p" ] && kill -KILL $p 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/devmemlab-orph-$$-*' EXIT
touch "$tmp/kernel" "$tmp/initrd"

# start NAME [ENV...]: the launcher (exec: $! is its pid), its fake QEMU's pid in $tmp/pid.NAME
start() {
	name=$1; shift
	exec env FAKE_PID="$tmp/pid.$name" FAKE_HANG=1 "$@" $L run -t pci-bar --qemu tests/unit/fake-qemu \
		--accel tcg --kernel "$tmp/kernel" --initrd "$tmp/initrd" --results "$tmp/r.$name" \
		--shm-prefix "/dev/shm/devmemlab-orph-$$-$name" --timeout 60
}
# wait_for FILE-GLOB TEXT: up to 10 s for TEXT in the file
wait_for() {
	i=0
	until grep -qs "$2" $1 || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
}
# alive PID: running (a zombie is dead: here nobody may reap an orphan)
alive() { s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
# gone NAME: after at most 3 s, no fake QEMU of run NAME and no /dev/shm file of it
gone() {
	pid=$(cat "$tmp/pid.$1" 2>/dev/null)
	i=0
	while { alive "$pid" || ls /dev/shm/devmemlab-orph-$$-"$1"-* >/dev/null 2>&1; } && [ $i -lt 30 ]; do
		sleep 0.1; i=$((i + 1))
	done
	q=alive; alive "$pid" || q=gone
	echo "qemu $q, shm: $(ls /dev/shm/devmemlab-orph-$$-"$1"-* 2>/dev/null | sed 's|.*-||' | xargs)"
}

ktap_plan 5

start kill FAKE_CONSOLE=$C/hang.log >/dev/null 2>&1 &
run=$!
wait_for "$tmp/r.kill/pci-bar-*/console.log" "still working"
ktap_is "SIGKILL: the fake QEMU was running" "$(alive "$(cat "$tmp/pid.kill")" && echo yes)" yes
kill -KILL $run; wait $run 2>/dev/null
ktap_is "SIGKILL: QEMU dies with the launcher, its memory file is gone" "$(gone kill)" "qemu gone, shm: "

# stdout into a pipe whose reader exits after the first workload line
# ($? of a pipeline is head's: what the launcher says is read from its stderr)
start pipe FAKE_CONSOLE=$C/two-lines.log FAKE_MORE=$C/second-line.log 2>"$tmp/err.pipe" |
	head -n 1 > "$tmp/first"
ktap_is "SIGPIPE: the reader got the first workload line" "$(cat "$tmp/first")" first
ktap_is "SIGPIPE: QEMU is stopped and its memory file removed" "$(gone pipe)" "qemu gone, shm: "
ktap_has "SIGPIPE: the launcher says why it stopped" "$(cat "$tmp/err.pipe")" \
	"devmemlab: interrupted by signal 13 (SIGPIPE: the reader of the output went away)"
ktap_done

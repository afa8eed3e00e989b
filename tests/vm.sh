#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: in-VM tests. Every topology in topologies/ boots and
# runs tests/vm/devices.sh with expectations derived from the topology file
# itself (`devmemlab describe`), so the guest must see exactly what the file
# describes; each guest KTAP result is re-emitted here with the topology's
# name, and the launcher's verdict (clean console, workload passed) is one
# more test per boot. The guest tools run under valgrind's memcheck in the
# guest (tests/vm/valgrind.sh). The kernel's own hmm-tests run against test_hmm,
# their device-coherent variants on the BAR's memory.
# Then: guest writes into the ivshmem BAR appear in the
# host's backing file; a BAR behind a root port is hot-unplugged over QMP
# while the guest migrates 256 MiB to it, and every byte survives; result
# files reach the host byte for byte on their own channel while the kernel
# prints to the console; the device file survives a minute of dml-stress,
# and device memory survives system memory pressure and an OOM kill; a
# real kernel panic and a failing workload fail a run with the right exit
# status; a launcher killed by SIGKILL or SIGPIPE leaves no QEMU and no
# /dev/shm file; a real hung task is named and the guest stopped soon
# after it; a real OOM kill is its own verdict.
# Then the same suites through libvirt (run --libvirt; a daemon is started
# for the lab where none runs, and stopped at the end): every topology, the
# device-private suite and the panic must give the same results and the
# same verdict as under plain QEMU; virsh dumpxml of a running domain shows
# the topology's devices; libvirt errors, the deadline and SIGTERM leave no
# domain and no /dev/shm file behind.
# Environment: ACCEL (auto), KERNEL, INITRD, VM_TIMEOUT (seconds per boot),
# GUEST_APPEND (kernel parameters for every boot: the debug kernel's no5lvl),
# GUEST (debug: the debug kernel's lockdep proof too).
cd "$(dirname "$0")/.." || exit 1
. guest-tools/lab/ktap.sh
. tests/libvirt-lib.sh
. tests/vm-lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
RUN=$(lab_run)
echo "KTAP version 1"

for f in topologies/*.ini; do
	t=$(basename "$f" .ini)
	# shellcheck disable=SC2046
	boot "$t" 0 -t "$t" -- sh /lab/tests/devices.sh "$t" $(expectations "$t")
	[ "$t" = cxl-type3 ] && cp results/latest/type3-memcpy.json "$tmp/" 2>/dev/null
done

# the device-private module and its checker (dml-realloc), and dml-bench's JSON
boot device-private 0 -t pci-bar --timeout 600 -- sh /lab/tests/device-private.sh
json=results/latest/dml-bench.json
ktap_is "device-private: dml-bench JSON has all 7 directions with tool, order, size_bytes, gbps, iterations" \
	"$(jq -r '[.[] | select(.tool == "devmemlab" and (.order | type) == "number" and .size_bytes > 0
		and .gbps > 0 and .iterations >= 1) | .direction] | unique | join(",")' "$json" 2>&1)" \
	"dev_to_sys,fault_to_sys,kcopy_from_bar,kcopy_to_bar,memcpy_ram,memcpy_to_bar,sys_to_dev"

# the same suite on the lab's accelerator, where its DMA engine copies, without
# and with an IOMMU, and as a CXL type-2 device whose memory is HDM in a region
# firmware committed; plus dml-engine's errors, poison and stalls, and dml-bench's
# engine and CPU paths with the per-phase breakdown
for t in accel accel-iommu cxl-type2; do
	boot "device-private $t" 0 -t "$t" --timeout 900 -- sh /lab/tests/device-private.sh 32
	ktap_is "device-private $t: dml-bench has sys_to_dev and dev_to_sys of both orders by the engine and by the CPU" \
		"$(jq -r '[.[] | select((.direction == "sys_to_dev" or .direction == "dev_to_sys") and .gbps > 0)
			| "\(.direction)/\(.order)/\(.copy)"] | unique | join(",")' results/latest/dml-bench.json 2>&1)" \
		"dev_to_sys/0/cpu,dev_to_sys/0/engine,dev_to_sys/9/cpu,dev_to_sys/9/engine,sys_to_dev/0/cpu,sys_to_dev/0/engine,sys_to_dev/9/cpu,sys_to_dev/9/engine"
	# at 32 MiB (16 windows): an ioctl's own setup (~0.1-0.3 ms under TCG) is no
	# longer a third of a one-window migration, as at 2 MiB under load
	ktap_is "device-private $t: dml-bench's phases sum to 90-100 % of each migration's time (kernel and ioctl)" \
		"$(jq -r '[.[] | select(.phases_ms) | .phase_sum_fraction, .phase_sum_wall_fraction
			| select(. < 0.9 or . > 1.0001)] | length' results/latest/dml-bench.json 2>&1)" 0
	cp results/latest/dml-bench.json "$tmp/bench-$t.json" 2>/dev/null
done

# CXL type-2 against type-3, this run's numbers: userspace memcpy into the
# type-2 device's HDM (a RAM alias in the window) and into the type-3 region
# (every access through QEMU's CXL window MMIO path); migration into HDM and
# into the PCIe accelerator's BAR (same engine, same link model)
gb() { jq -r "[.[] | select($2) | .gbps][0] // 0 | . * 1000 | round / 1000" "$1" 2>/dev/null || echo 0; }
hdm=$(gb "$tmp/bench-cxl-type2.json" '.direction == "memcpy_to_bar"')
t3=$(gb "$tmp/type3-memcpy.json" '.direction == "memcpy_to_map"')
ratio=$(awk -v a="$hdm" -v b="$t3" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }')
ktap_is "cxl-type2: memcpy into HDM is at least 20x memcpy into a type-3 region ($hdm vs $t3 GB/s: ${ratio}x)" \
	"$([ "$ratio" -ge 20 ] && echo yes)" yes
for k in "sys_to_dev 9 engine" "dev_to_sys 9 engine" "sys_to_dev 9 cpu"; do
	set -- $k
	sel=".direction == \"$1\" and .order == $2 and .copy == \"$3\""
	echo "# migration $1 order $2 ($3 copy), 32 MiB: HDM (cxl-type2) $(gb "$tmp/bench-cxl-type2.json" "$sel")" \
		"GB/s, BAR (accel) $(gb "$tmp/bench-accel.json" "$sel") GB/s"
done

# devmemlab in MEMORY_DEVICE_COHERENT mode on three sources: an ivshmem BAR,
# the accelerator's BAR (its engine copies), a CXL type-2 device's HDM
for t in pci-bar accel cxl-type2; do
	# shellcheck disable=SC2046
	boot "coherent $t" 0 -t "$t" -- sh /lab/tests/coherent.sh $([ "$t" = pci-bar ] && echo bench)
	[ "$t" = pci-bar ] && cp results/latest/bench-private.json results/latest/bench-coherent.json "$tmp/"
done
# dml-bench's coherent column: the same migrations into device-private and
# device-coherent memory, one boot (pci-bar), this run's numbers
r=$tmp
ktap_is "coherent: dml-bench records say their memory (private, coherent), with read_in_place for coherent" \
	"$(jq -s -r '[.[][] | "\(.memory)/\(.direction)"] | unique | map(select(test("_to_sys|in_place"))) | join(",")' \
		"$r/bench-private.json" "$r/bench-coherent.json" 2>&1)" \
	"coherent/dev_to_sys,coherent/read_in_place,private/dev_to_sys,private/fault_to_sys"
for k in "sys_to_dev 9" "sys_to_dev 0" "dev_to_sys 9" "dev_to_sys 0"; do
	set -- $k
	sel=".direction == \"$1\" and .order == $2"
	echo "# $1 order $2, 32 MiB: device-private $(gb "$r/bench-private.json" "$sel") GB/s," \
		"device-coherent $(gb "$r/bench-coherent.json" "$sel") GB/s"
done
echo "# CPU reads, 32 MiB order 9: fault_to_sys (private) $(gb "$r/bench-private.json" '.direction == "fault_to_sys" and .order == 9') GB/s," \
	"read_in_place (coherent) $(gb "$r/bench-coherent.json" '.direction == "read_in_place" and .order == 9') GB/s"
# and a CXL type-3 ram region that libcxl committed and left unbound
boot "coherent cxl-type3" 0 -t cxl-type3 -- sh /lab/tests/coherent-cxl.sh

# every command of the device file at once, a minute, seed printed; rmmod returns
boot stress 0 -t pci-bar --timeout 400 -- sh /lab/tests/stress.sh 60

# device pages under memory pressure, and an OOM kill of their owner mid-migration:
# the kernel's OOM report makes this boot's verdict out-of-memory (exit 6)
boot pressure 6 -t pci-bar --timeout 600 -- sh /lab/tests/pressure.sh
ktap_is "pressure: its whole planned run passed beside the OOM kill (ok results, plan)" \
	"$(grep -c '^ok ' "$tmp/pressure.out")|$(grep -c '^not ok ' "$tmp/pressure.out")|$(grep '^1\.\.' "$tmp/pressure.out")" "3|0|1..3"

# every guest tool under valgrind's memcheck, on real devices
boot guest-valgrind 0 -t pci-switch --timeout 900 -- sh /lab/tests/valgrind.sh

# the kernel's own test_hmm + hmm-tests in the same VM (38 pass, 40 coherent skips).
# One vCPU: benchmark_thp_migration's best-effort migration left a page behind
# (ENOENT) in 6 of 22 runs with 2 vCPUs, 0 of 14 with one (2026-11-24, TCG).
boot hmm-upstream 0 -t pci-bar --cpus 1 --timeout 600 -- sh /lab/tests/hmm-upstream.sh

# their device-coherent variants on BAR memory (spm_addr_dev0/1 = the halves of
# the 1 GiB BAR2), one module load per test: 24 pass; 13 need a second coherent
# chunk, which test_hmm 7.3.4 maps at the same address (tests/known-issues.sh)
boot hmm-coherent 0 -t pci-bar --cpus 1 --timeout 600 -- sh /lab/tests/hmm-coherent.sh
# guest writes into BAR2 land in the host's backing file
img=$tmp/bar0.img token=dml-$$-$(date +%s)
sed "s|^size = 1G|size = 1G\nbacking = file:$img|" topologies/pci-bar.ini > "$tmp/pci-bar-file.ini"
boot bar-to-host 0 -t "$tmp/pci-bar-file.ini" -- sh /lab/tests/bar-host.sh "$token"
size=$(stat -c %s "$img" 2>/dev/null || echo 0)
ktap_is "bar-to-host: token at offset 100 of the host file" \
	"$(dd if="$img" bs=1 skip=100 count=${#token} 2>/dev/null)" "$token"
ktap_is "bar-to-host: token in the last page of the host file" \
	"$(dd if="$img" bs=1 skip=$((size - 4096 + 100)) count=${#token} 2>/dev/null)" "$token"
ktap_is "bar-to-host: page 12345's stamp in the host file" \
	"$(dd if="$img" bs=4096 skip=12345 count=1 2>/dev/null | head -c 15)" "dml-page-12345"

# hot-unplug during migration: the guest puts 256 MiB on device pages of the BAR
# behind a root port and says so; the host unplugs it over QMP (device_del), then
# the guest verifies every byte (tests/vm/hotunplug.sh, guest-tools/dml-unplug.c)
qmp=$tmp/qmp.sock
(
	i=0
	until grep -qs 'dml-unplug: ready' "$tmp"/hotunplug/pci-bar-hotplug-*/console.log || [ $i -ge 3000 ]; do
		sleep 0.1; i=$((i + 1))
	done
	qemu/devmemlab qmp --wait-event DEVICE_DELETED --timeout 120 "$qmp" device_del '{"id":"bar0"}' \
		>"$tmp/qmp.out" 2>&1
	echo "exit $?" >> "$tmp/qmp.out"
) &
unplugger=$!
boot hotunplug 0 -t pci-bar-hotplug --qmp "$qmp" --results "$tmp/hotunplug" --timeout 600 \
	-- sh /lab/tests/hotunplug.sh 256 120
kill $unplugger 2>/dev/null; wait $unplugger
ktap_has "hotunplug: QMP device_del of bar0 gets DEVICE_DELETED (the guest let it go)" "$(cat "$tmp/qmp.out")" "exit 0"
grep '^devmemlab: qmp:' "$tmp/qmp.out" | sed 's/^/# /'

# result files reach the host byte for byte while the kernel prints to the console
boot results-channel 0 -t pci-bar --results "$tmp/rc" -- sh /lab/tests/results-channel.sh
for f in lines.txt blob.bin; do
	want=$(sed -n "s/^results-sum $f //p" "$tmp/results-channel.out")
	ktap_is "results-channel: $f saved as the guest wrote it (sha256 ${want:-missing})" \
		"$(sha256sum < "$tmp/rc/latest/$f" 2>&1 | cut -d' ' -f1)" "${want:-missing}"
done
ktap_has "results-channel: the kernel's lines stay on the console" \
	"$(cat "$tmp"/rc/latest/console.log)" "] devmemlab: printk beside the results"
ktap_is "results-channel: no result file on the console" \
	"$(grep -c 'DEVMEMLAB: file begin' "$tmp"/rc/latest/console.log)" 0

# the verdict is real: a kernel panic and a failing workload fail the run
boot kernel-panic 3 -t pci-bar -- sh /lab/tests/kernel-panic.sh
ktap_has "kernel-panic: the panic line is quoted" "$(cat "$tmp/err")" "Kernel panic - not syncing: sysrq triggered crash"
boot workload-fails 1 -t pci-bar -- false
# a bare parameter the kernel does not know is handed to /init ahead of the
# workload's arguments (the debug kernel's no5lvl): the workload runs as given
boot workload-argv 0 -t pci-bar --append devmemlab_bare_word -- sh /lab/tests/argv.sh "a b" c
# on the debug kernel (GUEST=debug), a lockdep report fails the run too:
# tests/modules/dml_lockdep.c takes two mutexes in both orders
if [ "${GUEST:-}" = debug ]; then
	boot lockdep-inversion 3 -t pci-bar -- modprobe dml_lockdep
	ktap_has "lockdep-inversion: lockdep's report is quoted" "$(cat "$tmp/err")" \
		"WARNING: possible circular locking dependency detected"
fi

# a killed launcher leaves no QEMU and no lab memory behind: SIGKILL, and SIGPIPE from `| head`
# (its QEMU is found by the --shm-prefix on its command line; an orphan nobody reaps is a zombie, dead)
shm=/dev/shm/devmemlab-vm-$$
orphans() {	# PREFIX: after at most 5 s, the QEMU processes and /dev/shm files of that run
	i=0
	while { pgrep -f "mem-path=$1-" >/dev/null || ls "$1"-* >/dev/null 2>&1; } && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	echo "qemu: $(pgrep -f "mem-path=$1-" | xargs), shm: $(ls "$1"-* 2>/dev/null | xargs)"
}
# shellcheck disable=SC2086
$RUN -t pci-bar --shm-prefix "$shm-kill" --results "$tmp/kill" -- sh -c "echo up; sleep 600" >/dev/null 2>&1 &
run=$!
i=0
until grep -qs 'DEVMEMLAB: run begin' "$tmp"/kill/pci-bar-*/console.log || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
seen=$(pgrep -f "mem-path=$shm-kill-" | wc -l)
kill -KILL $run; wait $run 2>/dev/null
ktap_is "orphans: SIGKILL of a running launcher: its QEMU and /dev/shm file are gone" \
	"$seen|$(orphans "$shm-kill")" "1|qemu: , shm: "
start=$(date +%s)
# shellcheck disable=SC2086
{ $RUN -t pci-bar --shm-prefix "$shm-pipe" --results "$tmp/pipe" \
	-- sh -c "echo first; sleep 5; echo second; sleep 600" 2>"$tmp/err"; echo $? > "$tmp/pipe.rc"; } |
	head -n 1 > "$tmp/first"
ktap_is "orphans: run | head -n 1: the first line, then exit 141 (SIGPIPE) within 60 s, saying why" \
	"$(cat "$tmp/first")|$(cat "$tmp/pipe.rc")|$([ $(($(date +%s) - start)) -le 60 ] && echo "in time")|$(grep -c 'interrupted by signal 13' "$tmp/err")" \
	"first|141|in time|1"
ktap_is "orphans: run | head -n 1: its QEMU and /dev/shm file are gone" "$(orphans "$shm-pipe")" "qemu: , shm: "
rm -f "$shm"-*

# a real hung task (two lookups on a FUSE mount nobody serves: the second waits in D state)
# is named, and the guest is stopped a few seconds later, not at the deadline
start=$(date +%s)
boot hung-task 3 -t pci-bar --timeout 200 -- sh -c "mkdir /tmp/m; exec 3<>/dev/fuse; \
mount -t fuse -o fd=3,rootmode=40000,user_id=0,group_id=0 none /tmp/m || exit 9; \
echo 5 > /proc/sys/kernel/hung_task_timeout_secs; stat /tmp/m/x 3<&- & sleep 1; stat /tmp/m/x 3<&- & wait"
took=$(($(date +%s) - start))
ktap_has "hung-task: the verdict names it" "$(cat "$tmp/err")" "kernel problem on the console: hung task ("
ktap_has "hung-task: and quotes the kernel's report" "$(cat "$tmp/err")" "blocked for more than 5 seconds."
ktap_is "hung-task: stopped after the grace period, long before the 200 s deadline" \
	"$(jq -r .stopped_after_problem results/latest/result.json)|$([ $took -le 120 ] && echo early || echo "$took s")" "true|early"
echo "# hung-task: exit after $took s"

# a real OOM kill: its own verdict (exit 6), not a kernel problem
boot oom 6 -t pci-bar --append mem=512M -- tail /dev/zero
ktap_has "oom: the kill is quoted" "$(cat "$tmp/err")" "out of memory: the kernel's OOM killer killed a process"
ktap_has "oom: ... naming the process" "$(cat "$tmp/err")" "Out of memory: Killed process"

# --- the same suites through libvirt, compared with QEMU's ---
LV=scripts/libvirt-daemon.sh
lv_results() {	# KEY: exit status, then every result with measured numbers blanked
	cat "$tmp/$1.rc"
	grep -E '^(not )?ok ' "$tmp/$1.out" | sed -E 's/^(not ok|ok) [0-9]+ /\1 /; s/[0-9]+(\.[0-9]+)?/N/g' | sort
}
lv_compare() {	# NAME QEMU-KEY LIBVIRT-KEY MIN-RESULTS
	lv_results "$2" > "$tmp/q.res"
	lv_results "$3" > "$tmp/l.res"
	if [ "$(wc -l < "$tmp/q.res")" -gt "$4" ] && d=$(diff "$tmp/q.res" "$tmp/l.res"); then
		ktap_ok "$1: same exit status ($(head -n 1 "$tmp/q.res")) and results ($(($(wc -l < "$tmp/q.res") - 1))) as under QEMU"
	else
		ktap_fail "$1: same results and exit status as under QEMU" "$(echo "$d" | head -n 20)"
	fi
}
shm_files() { ls /dev/shm | grep '^devmemlab-' | sort; }
lv_domains() { virsh -q -c qemu:///system list --all --name 2>/dev/null | grep '^devmemlab-'; }

if $LV start 2>"$tmp/lvd"; then
	trap '$LV stop 2>/dev/null; rm -rf "$tmp"' EXIT
	ktap_ok "libvirt: a daemon answers at qemu:///system ($(tail -n 1 "$tmp/lvd" | sed 's/^devmemlab: libvirt: //'))"
	shm_before=$(shm_files)
	lv_logs_before=$(ls /var/log/libvirt/qemu 2>/dev/null | grep '^devmemlab-')
	for f in topologies/*.ini; do
		t=$(basename "$f" .ini)
		# virsh dumpxml of the running pci-switch domain, taken while its suite runs
		[ "$t" = pci-switch ] && (
			i=0
			while [ $i -lt 600 ]; do
				d=$(lv_domains | grep '^devmemlab-pci-switch-' | head -n 1)
				if [ -n "$d" ]; then
					virsh -c qemu:///system dumpxml "$d" > "$tmp/live.xml"
					exit
				fi
				sleep 0.1
				i=$((i + 1))
			done
		) &
		# shellcheck disable=SC2046
		boot "libvirt $t" 0 --libvirt -t "$t" -- sh /lab/tests/devices.sh "$t" $(expectations "$t")
		wait
		lv_compare "libvirt $t" "$t" "libvirt_$t" 1
	done
	ktap_is "libvirt: virsh dumpxml of the running pci-switch domain shows the topology's devices" \
		"$(lv_xml_ids "$tmp/live.xml")" "$(lv_topo_ids pci-switch)"
	boot "libvirt device-private" 0 --libvirt -t pci-bar --timeout 600 -- sh /lab/tests/device-private.sh
	lv_compare "libvirt device-private" device-private libvirt_device-private 1
	ktap_is "libvirt device-private: dml-bench.json came over the results channel (<channel type='file'>)" \
		"$(jq -r '[.[] | .direction] | unique | length' "$json" 2>&1)" 7
	# the panic run reports no results: its exit status (3) is the comparison
	boot "libvirt kernel-panic" 3 --libvirt -t pci-bar -- sh /lab/tests/kernel-panic.sh
	lv_compare "libvirt kernel-panic" kernel-panic libvirt_kernel-panic 0

	# libvirt's errors: one line with libvirt's message, nothing left behind
	$RUN --libvirt -t pci-bar --qemu /nonexistent/qemu-system-x86_64 >/dev/null 2>"$tmp/err"; rc=$?
	ktap_is "libvirt: a domain libvirt refuses fails with its message (exit 5)" \
		"$rc|$(grep FAIL "$tmp/err")" \
		"5|devmemlab: FAIL pci-bar: libvirt could not start the domain: Cannot check QEMU binary /nonexistent/qemu-system-x86_64: No such file or directory"
	chmod 711 "$tmp"	# nobody reaches its results directory: "nothing created" can fail
	mkdir -m 777 "$tmp/nobody"
	# the checkout may sit in a directory only root can enter (a mktemp -d clone): nobody
	# gets the topology from a directory it can read
	mkdir -m 755 "$tmp/topo" && install -m 644 topologies/pci-bar.ini "$tmp/topo/"
	setpriv --reuid=65534 --regid=65534 --clear-groups $RUN --libvirt -t pci-bar \
		--topologies "$tmp/topo" --results "$tmp/nobody" >/dev/null 2>"$tmp/err"; rc=$?
	ktap_is "libvirt: a user libvirt refuses gets one line with libvirt's message (exit 5), nothing created" \
		"$rc|$(wc -l < "$tmp/err")|$(cut -c1-35 "$tmp/err")|$(ls "$tmp/nobody")" \
		"5|1|devmemlab: libvirt qemu:///system: |"
	echo "# $(cat "$tmp/err")"
	$RUN --libvirt -t pci-bar --timeout 3 -- sleep 100 >/dev/null 2>"$tmp/err"; rc=$?
	ktap_is "libvirt: the deadline destroys the domain (exit 4)" "$rc|$(lv_domains)" "4|"
	$RUN --libvirt -t pci-switch -- sleep 100 >/dev/null 2>"$tmp/err" &
	run=$!
	i=0; while ! lv_domains | grep -q '^devmemlab-pci-switch-' && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	seen=$(lv_domains | grep -c '^devmemlab-pci-switch-')
	kill -TERM $run; wait $run; rc=$?
	ktap_is "libvirt: SIGTERM to a running domain's launcher destroys it (exit 143)" \
		"$seen|$rc|$(lv_domains)" "1|143|"
	# QEMU dies mid-workload: both backends fail the run as an infrastructure failure
	for b in qemu libvirt; do
		flag=; [ $b = libvirt ] && flag=--libvirt
		# shellcheck disable=SC2086
		$RUN $flag -t pci-bar --results "$tmp/crash-$b" -- sleep 100 >/dev/null 2>"$tmp/err" &
		run=$!
		i=0
		until grep -qs 'DEVMEMLAB: run begin' "$tmp/crash-$b"/pci-bar-*/console.log || [ $i -ge 600 ]; do
			sleep 0.1; i=$((i + 1))
		done
		if [ $b = qemu ]; then pkill -SEGV -P $run; else pkill -SEGV -f "guest=devmemlab-pci-bar-$run,"; fi
		killed=$?	# 0: a QEMU was there to kill
		wait $run; rc=$?
		echo "$killed|$rc|$(grep '^devmemlab: FAIL' "$tmp/err")" > "$tmp/crash-$b.res"
	done
	ktap_is "QEMU crash mid-workload: exit 5 and a FAIL line under QEMU" "$(cat "$tmp/crash-qemu.res")" \
		"0|5|devmemlab: FAIL pci-bar: QEMU died of signal 11 (Segmentation fault)"
	ktap_is "QEMU crash mid-workload: exit 5 and a FAIL line under libvirt" "$(cat "$tmp/crash-libvirt.res")" \
		"0|5|devmemlab: FAIL pci-bar: libvirt: the domain crashed"
	ktap_is "libvirt: the crashed domain is gone" "$(lv_domains)" ""

	# shellcheck disable=SC2086
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect $RUN --libvirt -t nvme-cmb -- true >/dev/null 2>"$tmp/err"; rc=$?
	ktap_is "libvirt: a whole run under valgrind: no errors, no leaks" "$rc" 0
	[ "$rc" = 0 ] || sed 's/^/# /' "$tmp/err" | tail -n 20
	ktap_is "libvirt: no /dev/shm file left behind by any libvirt run" "$(shm_files)" "$shm_before"
	ktap_is "libvirt: every domain's QEMU log moved into its results directory" \
		"$(ls /var/log/libvirt/qemu 2>/dev/null | grep '^devmemlab-')" "$lv_logs_before"
else
	ktap_fail "libvirt: a daemon answers at qemu:///system" "$(cat "$tmp/lvd")"
fi

echo "1..$KTAP_N"
ktap_done

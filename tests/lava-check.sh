#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation (make lava-check): the lab's suites as LAVA jobs on a
# real LAVA server and worker give what the same boots give under plain
# QEMU. The lab's own LAVA (scripts/lava-lab.sh) is started if none runs,
# and stopped again at the end. Four cases, each booted under
# `devmemlab run` and as a job from `devmemlab lava-job` through
# scripts/lava-run.sh (submit, wait, results over LAVA's API):
#   device-private  pci-bar, the device-private module and its checker
#   p2pdma          pci-switch, the devices suite with its P2PDMA checks
#   kernel-warn     a real kernel WARNING, the guest running on after it
#   kernel-panic    a kernel panic (sysrq)
# For each: the LAVA test cases equal the KTAP results of the plain run
# (same names in the same order, same verdicts, numbers blanked) plus the
# guest's own verdict (devmemlab-workload, devmemlab-kernel-log), and the
# LAVA side's exit status equals the launcher's: the WARNING and the panic
# fail both (3). Then LAVA's refusals: a rejected token and an unreachable
# server are one line with LAVA's message, and leave no job queued.
# Environment: LAVA=1 (else one skip: it installs and starts LAVA, so make
# check runs it only when asked, `make check LAVA=1`, as CI does; `make
# lava-check` always), KERNEL, INITRD (the lab's), LAVA_IDENTITY (lavacli
# identity; default: the lab's own LAVA, started here if needed).
cd "$(dirname "$0")/.." || exit 1
if [ "${LAVA:-}" != 1 ]; then
	printf 'KTAP version 1\n1..1\nok 1 LAVA: jobs against plain QEMU # SKIP not asked for: make check LAVA=1 or make lava-check (installs and starts LAVA, docs/lava.md)\n'
	exit 0
fi
. guest-tools/lab/ktap.sh
. tests/vm-lib.sh
K=$PWD/${KERNEL:-build/kernel/vmlinuz}
I=$PWD/${INITRD:-build/initramfs.cpio.zst}
ID=${LAVA_IDENTITY:-devmemlab}
tmp=$(mktemp -d)
keep=build/lava-check	# each case's consoles and results, kept
started=
cleanup() {
	for i in devmemlab-badtoken devmemlab-nowhere; do lavacli identities delete "$i" >/dev/null 2>&1; done
	[ -n "$started" ] && scripts/lava-lab.sh stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "KTAP version 1"

if [ -n "${LAVA_IDENTITY:-}" ] || scripts/lava-lab.sh status >/dev/null 2>&1; then
	ktap_ok "LAVA: identity $ID is used as it is"
else
	t0=$(date +%s)
	if scripts/lava-lab.sh start 2>"$tmp/start"; then
		started=1
		ktap_ok "LAVA: scripts/lava-lab.sh start brings up server and worker ($(($(date +%s) - t0)) s)"
		sed 's/^/# /' "$tmp/start"
	else
		ktap_fail "LAVA: scripts/lava-lab.sh start brings up server and worker" "$(tail -n 5 "$tmp/start")"
		echo "1..$KTAP_N"
		exit 1
	fi
fi

# KTAP results as LAVA names test cases: "RESULT<TAB>NAME" per result, names
# as the guest printed them, digits blanked (timings, counts, addresses)
cases() {
	sed -n 's/^[[:space:]]*\(not ok\|ok\) [0-9][0-9]* \([^#]*[^# ]\) *\(#.*\)\{0,1\}$/\1	\2/p' "$1" |
		sed 's/^ok	/pass	/; s/^not ok	/fail	/; s/[0-9][0-9]*/N/g'
}

# compare NAME TOPO SUITE WANT_RC [SUITE-ARGS...]: the plain boot, then the LAVA job
compare() {
	n=$1 t=$2 s=$3 want=$4; shift 4
	t0=$(date +%s)
	qemu/devmemlab run --accel tcg -t "$t" --kernel "$K" --initrd "$I" --timeout 900 --results "$tmp/r-$n" \
		-- sh "/lab/tests/$s.sh" "$@" >"$tmp/$n.plain" 2>"$tmp/$n.plain-err"
	prc=$? t1=$(date +%s)
	# NVMe drives: empty raw images of the drive's size, as the lab creates them
	mkdir -p "$tmp/disks"
	qemu/devmemlab describe -t "$t" | awk '$2 == "nvme" { sub("size=", "", $3); print $1, $3 }' |
		while read -r d size; do truncate -s "$size" "$tmp/disks/$d.img"; done
	qemu/devmemlab lava-job -t "$t" --suite "$s" --kernel-url "file://$K" --initrd-url "file://$I" \
		--disk-url "file://$tmp/disks" --timeout 900 -- "$@" >"$tmp/$n.yaml" 2>"$tmp/$n.job-err" ||
		ktap_fail "$n: devmemlab lava-job" "$(cat "$tmp/$n.job-err")"
	scripts/lava-run.sh -i "$ID" -t 1800 -o "$tmp/lava-$n" "$tmp/$n.yaml" >"$tmp/$n.lava" 2>"$tmp/$n.lava-err"
	lrc=$? t2=$(date +%s)
	echo "# $n: plain QEMU $((t1 - t0)) s (exit $prc), LAVA submit to results $((t2 - t1)) s (exit $lrc)"
	grep -E -A1 '^(devmemlab|lava-run): (PASS|FAIL)' "$tmp/$n.plain-err" "$tmp/$n.lava-err" |
		grep -v '^--$' | sed 's/^[^:]*[:-]/# /'
	# both sides' consoles and results, for a look afterwards
	rm -rf "${keep:?}/$n" && mkdir -p "$keep/$n" && cp -r "$tmp/r-$n" "$keep/$n/plain" 2>/dev/null
	cp -r "$tmp/lava-$n" "$keep/$n/lava" 2>/dev/null
	ktap_is "$n: launcher exit $want, lava-run exit $want" "$prc $lrc" "$want $want"
	# the guest's own verdict, from the plain run's: exit status and kernel problem
	w=pass k=pass
	[ "$prc" = 1 ] && w=fail
	[ "$prc" = 3 ] && k=fail
	{
		cases "$tmp/$n.plain"
		[ "$want" = 3 ] && [ "$s" = kernel-panic ] || printf '%s\tdevmemlab-workload\n%s\tdevmemlab-kernel-log\n' "$w" "$k"
	} >"$tmp/$n.want"
	cases "$tmp/$n.lava" >"$tmp/$n.got"
	if cmp -s "$tmp/$n.want" "$tmp/$n.got"; then
		ktap_ok "$n: LAVA's $(wc -l <"$tmp/$n.got") test cases are the plain run's results plus the guest's verdict (names, order, verdicts)"
	else
		ktap_fail "$n: LAVA's test cases are the plain run's results plus the guest's verdict" \
			"$(diff "$tmp/$n.want" "$tmp/$n.got" | head -n 20)"
	fi
}

compare device-private pci-bar device-private 0
# shellcheck disable=SC2046
compare p2pdma pci-switch devices 0 pci-switch $(expectations pci-switch)
compare kernel-warn pci-bar kernel-warn 3
ktap_has "kernel-warn: the WARNING is quoted on both sides" \
	"$(cat "$tmp/kernel-warn.plain-err" "$tmp/kernel-warn.lava-err")" "WARNING: mm/migrate_device.c"
ktap_is "kernel-warn: the LAVA job itself completed (the guest ran on and gave its verdict)" \
	"$(jq -r '[.[] | select(.suite == "lava" and .name == "job") | .result] | join(",")' "$tmp/lava-kernel-warn/results.json" 2>&1)" pass
compare kernel-panic pci-bar kernel-panic 3
ktap_has "kernel-panic: lava-run quotes the panic from the LAVA log" "$(cat "$tmp/kernel-panic.lava-err")" \
	"Kernel panic - not syncing: sysrq triggered crash"

# LAVA's refusals: one line with its message, no job queued
queued() { lavacli -i "$ID" jobs queue --json 2>/dev/null | jq length; }
before=$(queued)
uri=$(lavacli identities show "$ID" 2>/dev/null | sed -n 's/^uri: //p')
lavacli identities add --uri "$uri" --username admin --token not-a-token devmemlab-badtoken >/dev/null 2>&1
qemu/devmemlab lava-job -t pci-bar --suite devices --kernel-url "file://$K" --initrd-url "file://$I" >"$tmp/job.yaml"
scripts/lava-run.sh -i devmemlab-badtoken "$tmp/job.yaml" >/dev/null 2>"$tmp/err"; rc=$?
ktap_is "a rejected token: exit 5, one line with LAVA's message, no job queued" \
	"$rc|$(wc -l <"$tmp/err")|$(queued)" "5|1|$before"
echo "# $(cat "$tmp/err")"
lavacli identities delete devmemlab-badtoken >/dev/null 2>&1
lavacli identities add --uri http://127.0.0.1:1/RPC2 devmemlab-nowhere >/dev/null 2>&1
scripts/lava-run.sh -i devmemlab-nowhere "$tmp/job.yaml" >/dev/null 2>"$tmp/err"; rc=$?
ktap_is "an unreachable server: exit 5, one line with lavacli's message" \
	"$rc|$(wc -l <"$tmp/err")|$(grep -c 'Unable to connect' "$tmp/err")" "5|1|1"
echo "# $(cat "$tmp/err")"
lavacli identities delete devmemlab-nowhere >/dev/null 2>&1
# a deadline cancels the job: nothing left queued or running
scripts/lava-run.sh -i "$ID" -t 5 -o "$tmp/dl" "$tmp/job.yaml" >/dev/null 2>"$tmp/err"; rc=$?
i=0
while [ $i -lt 60 ] && [ "$(lavacli -i "$ID" jobs show "$(cat "$tmp/dl/job-id")" --json 2>/dev/null | jq -r .state)" != Finished ]; do
	sleep 1; i=$((i + 1))
done
ktap_is "the deadline: exit 4, one line, the job cancelled (Finished/Canceled), none queued" \
	"$rc|$(wc -l <"$tmp/err")|$(lavacli -i "$ID" jobs show "$(cat "$tmp/dl/job-id")" --json 2>&1 | jq -r '"\(.state)/\(.health)"')|$(queued)" \
	"4|2|Finished/Canceled|$before"
grep FAIL "$tmp/err" | sed 's/^/# /'
echo "1..$KTAP_N"
ktap_done

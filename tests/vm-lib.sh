# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Helpers for the host's in-VM test drivers (sourced by tests/vm.sh,
# tests/debug-suites.sh and tests/lava-check.sh).

# expectations TOPO: devices.sh's arguments for a topology, from the
# topology file itself (`devmemlab describe`)
expectations() {
	qemu/devmemlab describe -t "$1" | awk '
		$2 == "ivshmem" { split($3, s, "="); print "ivshmem=" s[2] }
		$2 == "nvme" { split($3, s, "="); split($4, c, "="); print "nvme=" s[2] ":" c[2] }
		$2 == "cxl-type3" { split($3, s, "="); print "cxl=" s[2] }
		$2 == "accel" { split($3, s, "="); print "accel=" s[2] }'
}

# lab_run: the launcher's run command for a suite's boots, from ACCEL,
# KERNEL, INITRD (Debian's kernel and the lab's initramfs by default),
# VM_TIMEOUT (default 240 s a boot) and GUEST_APPEND
lab_run() {
	echo "qemu/devmemlab run --accel ${ACCEL:-auto} --kernel ${KERNEL:-build/kernel/vmlinuz}" \
		"--initrd ${INITRD:-build/initramfs.cpio.zst} --timeout ${VM_TIMEOUT:-240}" \
		"${GUEST_APPEND:+--append $GUEST_APPEND}"
}

# boot NAME WANT_RC LAUNCHER-ARGS...: re-emit the guest's results, then the
# verdict. Needs RUN (the launcher's run command) and tmp (a scratch folder);
# leaves the launcher's stdout and exit status in $tmp/KEY.out, $tmp/KEY.rc
# shellcheck disable=SC2154 # tmp: the caller's
boot() {
	name=$1 want=$2; shift 2
	# TIMEOUT_SCALE=N (make check GUEST=debug: the debug kernel runs 2-5
	# times slower): a boot's own --timeout, N times longer
	if [ "${TIMEOUT_SCALE:-1}" != 1 ]; then
		_prev=
		for _a; do
			shift
			[ "$_prev" = --timeout ] && _a=$((_a * TIMEOUT_SCALE))
			set -- "$@" "$_a"
			_prev=$_a
		done
	fi
	# shellcheck disable=SC2086
	$RUN "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	key=$(echo "$name" | tr ' /' '__')
	cp "$tmp/out" "$tmp/$key.out"
	echo "$rc" > "$tmp/$key.rc"
	# a boot that should pass must also print a whole, planned KTAP run
	if [ "$want" = 0 ]; then ktap_import "$tmp/out" "$name: " "$rc"; else ktap_import "$tmp/out" "$name: "; fi
	if [ "$rc" = "$want" ]; then
		ktap_ok "$name: launcher exit $want ($(grep -o 'accel [a-z]*' "$tmp/err" | head -n 1))"
	else
		# the launcher's verdict and what it quotes (a kernel problem's
		# first line, the console tail); else its last lines
		why=$(sed -n '/^devmemlab: FAIL/,$p' "$tmp/err" | head -n 20)
		ktap_fail "$name: launcher exit $want" "got exit $rc" \
			"${why:-$(grep -v '^devmemlab: \[' "$tmp/err" | tail -n 12)}"
	fi
}

# known_boot KEY PATTERN NAME WHY DOC RUN-ARGS...: a known kernel issue in
# a boot of its own (results in $tmp/KEY): XFAIL while the boot stops on a
# kernel problem (exit 3) whose console matches PATTERN (grep -E), XPASS once
# it passes; anything else is not ok, with the launcher's verdict quoted
known_boot() {
	_key=$1 _pat=$2 _name=$3 _why=$4 _doc=$5; shift 5
	# shellcheck disable=SC2086
	$RUN --results "$tmp/$_key" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
	line=$(grep -o -m 1 -E "$_pat" "$tmp/$_key/latest/console.log" 2>/dev/null | head -n 1)
	ktap_known_issue "$_name" "$([ "$rc" = 3 ] && [ -n "$line" ] && echo yes)" "$([ "$rc" = 0 ] && echo yes)" \
		"$_why (exit $rc: ${line:-no such line}), see $_doc" "$(sed -n '/^devmemlab: FAIL/,$p' "$tmp/err" | head -n 20)"
}

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: the host suites that drive the launcher (topology,
# qemu-cmd, libvirt-xml, lava-job, verdict, qmp) run once more against qemu/devmemlab-asan,
# the same sources built with AddressSanitizer and UBSan and
# -fno-sanitize-recover (make builds it). Every result of theirs must hold
# again, and no sanitizer may report anything: reports go to files, so a
# suite that captures the launcher's stderr cannot hide one, nor an
# expected non-zero exit status mask one. (valgrind.sh, and qmp.sh's
# valgrind case, stay on the plain build: the two tools do not mix.)
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
A=qemu/devmemlab-asan
SUITES="topology qemu-cmd libvirt-xml lava-job verdict qmp"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# an old sanitized build would test old code
stale=$(find qemu -path qemu/device -prune -o -name '*.[ch]' -newer "$A" -print 2>/dev/null | head -n 3)
if [ ! -x "$A" ] || [ -n "$stale" ]; then
	ktap_plan 1
	ktap_fail "$A is built from the current sources" "missing or older than: ${stale:-(not built)}" \
		"build it with: make $A"
	ktap_done
	exit
fi

n=0
for s in $SUITES; do
	mkdir -p "$tmp/$s"
	DEVMEMLAB=$A ASAN_OPTIONS="log_path=$tmp/$s/asan:detect_leaks=1" \
		UBSAN_OPTIONS="log_path=$tmp/$s/ubsan:print_stacktrace=1" \
		"tests/unit/$s.sh" >"$tmp/$s.out" 2>&1 </dev/null
	echo "$?" > "$tmp/$s.rc"
	n=$((n + $(grep -cE '^(not )?ok ' "$tmp/$s.out") + 2))
done

ktap_plan "$n"
for s in $SUITES; do
	ktap_import "$tmp/$s.out" "asan $s: "
	ktap_is "asan $s: the suite exits 0" "$(cat "$tmp/$s.rc")" 0
	reports=$(ls "$tmp/$s")
	if [ -z "$reports" ]; then
		ktap_ok "asan $s: no sanitizer report"
	else
		# one diagnostic line per report line
		old=$IFS; IFS='
'
		# shellcheck disable=SC2046
		ktap_fail "asan $s: no sanitizer report" $(cat "$tmp/$s"/* |
			grep -E 'ERROR|runtime error|SUMMARY|#[0-9] ' | head -n 12)
		IFS=$old
	fi
done
ktap_done

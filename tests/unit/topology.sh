#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: every topology file shipped in topologies/ and the
# good fixtures load; every malformed fixture in topologies/bad/ is refused
# with exactly one line "devmemlab: FILE:LINE: problem" equal to the file's
# "# expect:" header, exit status 2, and `run` on it never starts QEMU nor
# creates a results directory.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
L=${DEVMEMLAB:-qemu/devmemlab}	# tests/unit/asan.sh: the sanitized build
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
touch "$tmp/kernel" "$tmp/initrd"

set -- topologies/*.ini tests/unit/topologies/good/*.ini
bad=$(ls tests/unit/topologies/bad/*.ini)
ktap_plan $(($# + 2 * $(echo "$bad" | wc -l) + 4))

for f in "$@"; do
	ktap_check "loads $f" $L check "$f"
done

for f in $bad; do
	want="devmemlab: $f:$(sed -n '1s/^# expect: //p' "$f")"
	got=$($L check "$f" 2>&1); rc=$?
	ktap_is "refuses ${f##*/} with one line, exit 2" "$rc|$got" "2|$want"
	FAKE_STARTED=$tmp/started $L run -t "$f" --qemu tests/unit/fake-qemu --accel tcg \
		--kernel "$tmp/kernel" --initrd "$tmp/initrd" --results "$tmp/results" \
		>/dev/null 2>&1
	rc=$?
	if [ $rc = 2 ] && [ ! -e "$tmp/started" ] && [ ! -e "$tmp/results" ]; then
		ktap_ok "run ${f##*/}: nothing started or created"
	else
		ktap_fail "run ${f##*/}: nothing started or created" "exit $rc" \
			"$(ls "$tmp")"
	fi
	rm -rf "$tmp/started" "$tmp/results"
done

got=$($L check /nonexistent/x.ini 2>&1); rc=$?
ktap_is "missing file: one line, exit 2" "$rc|$got" "2|devmemlab: /nonexistent/x.ini: No such file or directory"
got=$($L qemu-cmd -t no-such-topology 2>&1); rc=$?
ktap_is "unknown topology name: one line, exit 2" "$rc|$(echo "$got" | wc -l)|${got%%(*}" \
	"2|1|devmemlab: unknown topology 'no-such-topology' "

# what cannot be kept whole is refused, never cut
long=$(head -c 64 /dev/zero | tr '\0' n)
cp topologies/pci-bar.ini "$tmp/$long.ini"
got=$($L check "$tmp/$long.ini" 2>&1); rc=$?
ktap_is "a topology name over 63 characters is refused" "$rc|$got" \
	"2|devmemlab: $tmp/$long.ini: topology name '$long' is longer than 63 characters"
printf '[machine]\ndescription = x\n[ivshmem bar0]\nsize = 1%s\n' "$(head -c 1000 /dev/zero | tr '\0' x)" > "$tmp/v.ini"
got=$($L check "$tmp/v.ini" 2>&1); rc=$?
ktap_is "an error line too long to quote whole ends in '...'" "$rc|${got%%1xxx*}|${got##*x}" \
	"2|devmemlab: $tmp/v.ini:4: bad size '|..."
ktap_done

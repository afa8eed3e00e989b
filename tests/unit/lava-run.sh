#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: scripts/lava-run.sh judges a LAVA job the way the
# launcher judges a boot. Here it talks to a stand-in lavacli (on PATH,
# answering from files this test writes: the job's state and health, its
# results as LAVA's API gives them, its log), so every verdict is reached
# without a server: the cases come back in the order they were logged
# (the API lists them in another), under the names the guest printed; a
# failed case is exit 1, a kernel problem on the console or in the guest's
# own verdict exit 3, a job LAVA ended Incomplete exit 5, a refused submit
# exit 5 with LAVA's message and no cancel, a deadline exit 4 with the job
# cancelled, bad usage exit 2. The real server: tests/lava-check.sh.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ktap_plan 11
V=$tmp/dml-verdict
if ! cc -std=gnu11 -Wall -Wextra -Werror -Iqemu -o "$V" guest-tools/dml-verdict.c qemu/verdict.c 2>"$tmp/cc"; then
	ktap_fail "dml-verdict builds" "$(cat "$tmp/cc")"
	exit 1
fi
export DML_VERDICT="$V" FAKE="$tmp/fake"
mkdir -p "$tmp/bin" "$FAKE"
cat > "$tmp/bin/lavacli" <<'EOF'
#!/bin/sh
# stand-in: -i ID then a command; answers from $FAKE, logs the call
echo "$*" >> "$FAKE/calls"
shift 2
case "$1 $2" in
"jobs submit")
	if [ -f "$FAKE/refuse" ]; then cat "$FAKE/refuse"; exit 1; fi
	echo 42 ;;
"jobs show") printf '{"state": "%s", "health": "%s", "failure_comment": "%s"}\n' \
	"$(cat "$FAKE/state")" "$(cat "$FAKE/health")" "$(cat "$FAKE/comment" 2>/dev/null)" ;;
"jobs logs") cat "$FAKE/log" ;;
"jobs cancel") echo cancelled >> "$FAKE/calls" ;;
"results 42") cat "$FAKE/results" ;;
*) echo "fake lavacli: $*" >&2; exit 1 ;;
esac
EOF
chmod +x "$tmp/bin/lavacli"
PATH=$tmp/bin:$PATH
printf "job_name: 'devmemlab pci-bar devices'\n" > "$tmp/job.yaml"

# scenario RESULT... : cases as LAVA lists them, ids 1.. in logging order,
# the list rotated by one (the API's order is not the log's)
results() {
	i=0
	for r in "$@"; do
		i=$((i + 1))
		printf '{"id": "%d", "suite": "devices", "name": "lc_%d", "result": "%s", "metadata": {"extra": [{"test_case_id": "case %d: a.b (%d)"}]}}\n' \
			"$i" "$i" "$r" "$i" "$i"
	done | sed '1{h;d};$G' | jq -s '. + [{"id": "99", "suite": "lava", "name": "job", "result": "pass"}]' > "$FAKE/results"
}
console() {	# the LAVA log: target lines are the console
	printf -- '- {"dt": "2026-12-02T07:00:00", "lvl": "info", "msg": "start"}\n' > "$FAKE/log"
	for l in "$@"; do printf -- '- {"dt": "2026-12-02T07:00:01", "lvl": "target", "msg": "%s"}\n' "$l"; done >> "$FAKE/log"
}
job() {	# job STATE HEALTH: sets out, err, rc
	echo "$1" > "$FAKE/state"; echo "$2" > "$FAKE/health"; rm -f "$FAKE/calls"
	out=$(scripts/lava-run.sh -t "${T:-60}" -o "$tmp/o" "$tmp/job.yaml" 2>"$tmp/err"); rc=$?
	err=$(cat "$tmp/err")
}

results pass pass pass pass
console "[    1.000000] Linux version 7.3.4" "DEVMEMLAB: run begin" "ok 1 case 1"
job Finished Complete
ktap_is "four passing cases, listed out of order: KTAP in logging order under the guest's names, exit 0" \
	"$rc|$out" "0|KTAP version 1
ok 1 case 1: a.b (1)
ok 2 case 2: a.b (2)
ok 3 case 3: a.b (3)
ok 4 case 4: a.b (4)
1..4"
ktap_has "the verdict line says PASS with the count and job id" "$err" "lava-run: PASS devmemlab pci-bar devices: 4 test cases passed (job 42"
ktap_is "the job's id, results, log and console are kept (-o)" \
	"$(cat "$tmp/o/job-id")|$(jq length "$tmp/o/results.json")|$(wc -l < "$tmp/o/console.log")" "42|5|3"

results pass fail pass
job Finished Complete
ktap_is "a failed case: not ok, exit 1, one FAIL line" "$rc|$(echo "$out" | grep -c '^not ok 2 ')|$err" \
	"1|1|$(printf 'lava-run: job 42 (devmemlab pci-bar devices) submitted to devmemlab\nlava-run: FAIL devmemlab pci-bar devices: 1 of 3 test cases failed (job 42)')"

results pass pass
console "[    2.000000] Kernel panic - not syncing: sysrq triggered crash"
echo "auto-login-action timed out" > "$FAKE/comment"
job Finished Incomplete
ktap_has "a panic on the console, job Incomplete: exit 3, the panic quoted" "$rc|$err" \
	"3|lava-run: job 42 (devmemlab pci-bar devices) submitted to devmemlab
lava-run: FAIL devmemlab pci-bar devices: kernel problem on the console: panic (1 line), first: Kernel panic - not syncing: sysrq triggered crash (job 42 Incomplete)"

console "a clean console"
job Finished Incomplete
ktap_has "Incomplete without a kernel problem: exit 5 with LAVA's reason" "$rc|$err" \
	"5|lava-run: job 42 (devmemlab pci-bar devices) submitted to devmemlab
lava-run: FAIL devmemlab pci-bar devices: LAVA ended job 42 Incomplete: auto-login-action timed out"
rm -f "$FAKE/comment"

# the guest's own verdict failed (its log had a problem the LAVA log lost)
printf '%s\n' '{"id": "1", "suite": "devices", "name": "devmemlab-kernel-log", "result": "fail", "metadata": {}}' | jq -s . > "$FAKE/results"
job Finished Complete
ktap_has "the guest's devmemlab-kernel-log failed: exit 3" "$rc|$err" \
	"3|lava-run: job 42 (devmemlab pci-bar devices) submitted to devmemlab
lava-run: FAIL devmemlab pci-bar devices: kernel problem on the console: the guest says so (devmemlab-kernel-log)"

printf 'Traceback (most recent call last):\n  File "x"\nUnable to connect: 401 Client Error: Unauthorized for url: http://admin:secret@lava/RPC2\n' > "$FAKE/refuse"
job Submitted Unknown
ktap_is "a refused submit: exit 5, one line with LAVA's message, the token not shown, nothing to cancel" \
	"$rc|$err|$(grep -c cancel "$FAKE/calls")" \
	"5|lava-run: LAVA (devmemlab) did not take job 'devmemlab pci-bar devices': Unable to connect: 401 Client Error: Unauthorized for url: http://lava/RPC2|0"
rm -f "$FAKE/refuse"

T=0 job Running Unknown
ktap_is "the deadline: exit 4, the job cancelled" "$rc|$(echo "$err" | tail -n 1)|$(grep -c '^-i devmemlab jobs cancel 42$' "$FAKE/calls")" \
	"4|lava-run: FAIL devmemlab pci-bar devices: deadline of 0 s passed (job 42 Running); job cancelled|1"

rm -f "$FAKE/calls"
bad=
for a in "" "-t x $tmp/job.yaml" "-q $tmp/job.yaml" "$tmp/job.yaml -t" "-t" "$tmp/none.yaml" "$tmp/job.yaml $tmp/job.yaml"; do
	# shellcheck disable=SC2086
	o=$(scripts/lava-run.sh $a 2>&1); r=$?
	[ "$r" = 2 ] && [ "$(printf '%s\n' "$o" | wc -l)" = 1 ] && [ "${o#lava-run: }" != "$o" ] || bad="$bad '$a'(exit $r: $o)"
done
ktap_is "bad usage (none, -t x, -q, -t without a value, a missing file, two jobs): exit 2, one line" "$bad" ""
if [ -s "$FAKE/calls" ]; then
	ktap_fail "bad usage reaches no server" "$(cat "$FAKE/calls")"
else
	ktap_ok "bad usage reaches no server"
fi
ktap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# One lab job through a LAVA server, judged like `devmemlab run` judges a
# boot (docs/lava.md):
#   lava-run.sh [-i IDENTITY] [-t SECONDS] [-o DIR] JOB.yaml
# submits JOB.yaml (from `devmemlab lava-job`) with lavacli's IDENTITY
# (default devmemlab, the one scripts/lava-lab.sh creates), waits for it at
# most SECONDS (default 1800), prints its LAVA test cases as KTAP on stdout
# (the names as the guest printed them) and one verdict line on stderr,
# and keeps the job's id, results, LAVA log and console in DIR if given.
# Exit status, as the launcher's (docs/launcher.md):
#   0  the job completed and every test case passed
#   1  a test case failed (the workload), or the job printed no result
#   2  bad usage
#   3  a kernel problem: the guest's devmemlab-kernel-log result failed, or
#      the console shows one (a panic ends a job before its verdict)
#   4  the deadline passed: the job was cancelled
#   5  LAVA: the server could not be reached, refused the token or the job,
#      or ended the job Incomplete without a kernel problem
# A job this script submitted is never left queued or running when it
# exits: a deadline, an error or SIGINT/SIGTERM cancels it.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
ident=devmemlab deadline=1800 out=
VERDICT=${DML_VERDICT:-$here/build/host/dml-verdict}

die() { printf 'lava-run: %s\n' "$*" >&2; exit 2; }
fail() { code=$1; shift; printf 'lava-run: %s\n' "$*" >&2; exit "$code"; }
usage="usage: lava-run.sh [-i IDENTITY] [-t SECONDS] [-o DIR] JOB.yaml"
while getopts :i:t:o: o; do	# silent: our one line, not getopts' too
	case $o in
	i) ident=$OPTARG ;;
	t) deadline=$OPTARG ;;
	o) out=$OPTARG ;;
	:) die "-$OPTARG wants a value; $usage" ;;
	*) die "no option -$OPTARG; $usage" ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || die "$usage"
job=$1
[ -r "$job" ] || die "cannot read the job definition '$job'"
case $deadline in '' | *[!0-9]*) die "-t wants seconds, not '$deadline'" ;; esac
[ -x "$VERDICT" ] || die "no $VERDICT (make ${VERDICT#"$here"/})"
command -v lavacli >/dev/null || die "no lavacli (apt-get install lavacli, or scripts/lava-lab.sh start)"
name=$(sed -n "s/^job_name: '\(.*\)'$/\1/p" "$job")

tmp=$(mktemp -d)
id=
finished=
cleanup() {
	if [ -n "$id" ] && [ -z "$finished" ]; then
		lavacli -i "$ident" jobs cancel "$id" >/dev/null 2>&1 ||
			printf 'lava-run: could not cancel job %s\n' "$id" >&2
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# lavacli's own message for a failure (it prints it on stdout or stderr):
# the last line, without a traceback, credentials cut from the URL it names
lavacli_msg() { grep -v -e '^ ' -e '^Traceback' "$1" | tail -n 1 | sed 's#//[^/@ ]*@#//#g'; }

if ! lavacli -i "$ident" jobs submit "$job" >"$tmp/err" 2>&1; then
	fail 5 "LAVA ($ident) did not take job '$name': $(lavacli_msg "$tmp/err")"
fi
id=$(tr -d ' \n' <"$tmp/err")
case $id in '' | *[!0-9.]*) fail 5 "LAVA ($ident) answered the submit with '$(head -c 200 "$tmp/err")', not a job id" ;; esac
[ -n "$out" ] && { mkdir -p "$out" && echo "$id" >"$out/job-id"; }
printf 'lava-run: job %s (%s) submitted to %s\n' "$id" "$name" "$ident" >&2

start=$(date +%s)
while :; do
	if ! lavacli -i "$ident" jobs show "$id" --json >"$tmp/show" 2>"$tmp/err"; then
		cat "$tmp/show" >>"$tmp/err"
		fail 5 "LAVA ($ident) lost job $id: $(lavacli_msg "$tmp/err")"
	fi
	state=$(jq -r .state "$tmp/show")
	[ "$state" = Finished ] && break
	if [ $(($(date +%s) - start)) -ge "$deadline" ]; then
		fail 4 "FAIL $name: deadline of $deadline s passed (job $id $state); job cancelled"
	fi
	sleep 3
done
finished=1
health=$(jq -r .health "$tmp/show")
if ! lavacli -i "$ident" results "$id" --json >"$tmp/results" 2>"$tmp/err"; then
	cat "$tmp/results" >>"$tmp/err"
	fail 5 "LAVA ($ident): no results for job $id: $(lavacli_msg "$tmp/err")"
fi
if ! lavacli -i "$ident" jobs logs --raw "$id" >"$tmp/log" 2>"$tmp/err"; then
	cat "$tmp/log" >>"$tmp/err"
	fail 5 "LAVA ($ident): no log for job $id: $(lavacli_msg "$tmp/err")"
fi
# the guest's console: the log's "target" lines
/usr/bin/python3 -c '
import sys, yaml
for e in yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader) or []:
    if e.get("lvl") == "target":
        print(e.get("msg", ""))' "$tmp/log" >"$tmp/console" 2>"$tmp/err" ||
	fail 5 "LAVA ($ident): job $id's log is not LAVA's YAML: $(tail -n 1 "$tmp/err")"
[ -n "$out" ] && cp "$tmp/results" "$out/results.json" && cp "$tmp/log" "$out/lava-log.yaml" &&
	cp "$tmp/console" "$out/console.log"

# the test cases, in LAVA's order, under the names the guest printed (LAVA
# keeps them in the metadata's extra: its own case names are lowercased
# with every non-word run as '_'); LAVA's own suite ("lava") is its
# bookkeeping, reported in the verdict line instead. The API does not list
# the cases in the order they were logged (seen: one case of 121 moved 58
# places): ids are that order
jq -r 'sort_by(.id | tonumber) | .[] | select(.suite != "lava") |
	([(.metadata.extra // [])[] | .test_case_id? // empty][0] // .name) as $n |
	"\(.result)\t\($n)"' "$tmp/results" >"$tmp/cases" 2>"$tmp/err" ||
	fail 5 "LAVA ($ident): job $id's results are not what lavacli gives: $(tail -n 1 "$tmp/err")"
echo "KTAP version 1"
n=0 failed=0
while IFS="	" read -r res case; do
	n=$((n + 1))
	case $res in
	pass) echo "ok $n $case" ;;
	skip) echo "ok $n $case # SKIP" ;;
	*) echo "not ok $n $case"; failed=$((failed + 1)) ;;
	esac
done <"$tmp/cases"
echo "1..$n"

"$VERDICT" 0 <"$tmp/console" >"$tmp/verdict"
kernel=$(sed -n 's/^not ok 2 devmemlab-kernel-log # //p' "$tmp/verdict")
guest_kernel=$(grep -c '^fail	devmemlab-kernel-log$' "$tmp/cases")
error=$(jq -r '.failure_comment // empty' "$tmp/show")
if [ -n "$kernel" ] || [ "$guest_kernel" != 0 ]; then
	printf 'lava-run: FAIL %s: kernel problem on the console: %s (job %s %s)\n' "$name" \
		"${kernel:-the guest says so (devmemlab-kernel-log)}" "$id" "$health" >&2
	exit 3
fi
if [ "$health" != Complete ]; then
	printf 'lava-run: FAIL %s: LAVA ended job %s %s: %s\n' "$name" "$id" "$health" "${error:-no reason given}" >&2
	exit 5
fi
if [ "$n" = 0 ] || [ "$failed" != 0 ]; then
	printf 'lava-run: FAIL %s: %d of %d test cases failed (job %s)\n' "$name" "$failed" "$n" "$id" >&2
	exit 1
fi
printf 'lava-run: PASS %s: %d test cases passed (job %s, %d s)\n' "$name" "$n" "$id" $(($(date +%s) - start)) >&2
exit 0

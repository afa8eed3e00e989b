#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The comparison `make ab` (scripts/ab.sh) writes: RUN/ab.md, printed, and a
# last line summing it up. RUN/runs/SIDE-ROUND/ holds one boot: out (the
# guest's KTAP), err (the launcher's lines), rc, guest.txt (uname -r) and
# dml-bench.json when the benchmark ran; RUN/A.spec, RUN/B.spec and
# RUN/topology say what was compared.
#   ab-report.sh RUN
# Tests: passes over boots per side, a row flagged where the counts differ;
# a test is known by its name with every number as N ("... (1280 evicted)"
# and "... (768 evicted)" are one test) and, for names that repeat within a
# boot, by which occurrence it is; shown as its first boot printed it.
# Throughput: per (direction, order, size[, copy, memory]) the median of the
# per-boot medians with min-max and n, B/A, and an exact two-sided
# Mann-Whitney U p-value over the boots (ties count one half): distribution-
# free, exact at these sizes; 3 boots a side cannot go below p=0.1, 5 below
# 0.008.
set -eu
run=$1
die() { echo "devmemlab: ab-report: $*" >&2; exit 1; }
ls "$run"/runs/A-* "$run"/runs/B-* >/dev/null 2>&1 || die "$run has no boots (runs/A-1 ...)"
md=$run/ab.md
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# one line per boot: SIDE RC FIRST-PROBLEM-LINE
for d in "$run"/runs/[AB]-*; do
	b=${d##*/}
	printf '%s\t%s\t%s\n' "${b%%-*}" "$(cat "$d/rc" 2>/dev/null || echo '?')" \
		"$(grep -v '^devmemlab: \[' "$d/err" 2>/dev/null | grep -m 1 'problem\|panic\|deadline\|exit\|error' || true)"
done > "$tmp/boots"
# one line per result: SIDE STATUS NAME BOOT (ok / fail / skip; XFAIL and XPASS are ok)
for d in "$run"/runs/[AB]-*; do
	b=${d##*/}
	awk -v s="${b%%-*}" -v b="$b" '
		/^ok / { st = / # SKIP/ ? "skip" : "ok"; sub(/^ok [0-9]+ /, ""); sub(/ # (SKIP|XFAIL|XPASS).*/, "")
			printf "%s\t%s\t%s\t%s\n", s, st, $0, b }
		/^not ok / { sub(/^not ok [0-9]+ /, ""); printf "%s\tfail\t%s\t%s\n", s, $0, b }' "$d/out" 2>/dev/null
done > "$tmp/tests"
# one line per measurement: SIDE KEY GBPS (a boot that died before its benchmark has none)
for d in "$run"/runs/[AB]-*; do
	b=${d##*/}
	[ -s "$d/dml-bench.json" ] || continue
	jq -r --arg s "${b%%-*}" '.[] | select(.tool == "devmemlab") |
		[$s, .direction, (.order | tostring), ((.size_bytes / 1048576 | floor | tostring) + " MiB"),
		 (.copy // "-"), (.memory // "-"), (.gbps | tostring)] | @tsv' "$d/dml-bench.json"
done > "$tmp/bench"

{
	echo "# A/B: $(cat "$run/A.spec" 2>/dev/null) vs $(cat "$run/B.spec" 2>/dev/null)"
	echo
	echo "- A: $(cat "$run/A.spec" 2>/dev/null), guest $(cat "$run"/runs/A-*/guest.txt 2>/dev/null | sort -u | xargs)"
	echo "- B: $(cat "$run/B.spec" 2>/dev/null), guest $(cat "$run"/runs/B-*/guest.txt 2>/dev/null | sort -u | xargs)"
	echo "- topology $(cat "$run/topology" 2>/dev/null), $(cat "$run/accel" 2>/dev/null || echo '?'), date $(cat "$run/date" 2>/dev/null || date -u +%F), boots interleaved A B B A ..."
	echo
	awk -F '\t' '
		{ n[$1]++; if ($2 == "0") p[$1]++; else if (!(($1, $3) in seen)) { seen[$1, $3] = 1; v[$1] = v[$1] "<br>exit " $2 ": " $3 } }
		END {
			print "| | A | B |"; print "|---|---|---|"
			printf "| boots passed | %d/%d | %d/%d |\n", p["A"], n["A"], p["B"], n["B"]
			if (v["A"] v["B"] != "")
				printf "| verdicts of the others | %s | %s |\n", substr(v["A"], 5), substr(v["B"], 5)
		}' "$tmp/boots"
	echo
} > "$md"
nA=$(grep -c '^A' "$tmp/boots") nB=$(grep -c '^B' "$tmp/boots")
pA=$(awk -F '\t' '$1 == "A" && $2 == "0"' "$tmp/boots" | wc -l)
pB=$(awk -F '\t' '$1 == "B" && $2 == "0"' "$tmp/boots" | wc -l)

# tests: ok count per side over all boots of that side (a result a boot never printed is not ok)
awk -F '\t' -v nA="$nA" -v nB="$nB" '
	{ t = $3; gsub(/[0-9]+(\.[0-9]+)?/, "N", t); t = t SUBSEP (++occ[$4, t]) }
	!(t in order) { order[t] = ++k; id[k] = t; name[k] = $3 }
	$2 == "ok" { ok[$1, t]++ } $2 == "skip" { sk[$1, t]++ }
	END {
		for (i = 1; i <= k; i++) {
			t = id[i]; a = ok["A", t] + 0; b = ok["B", t] + 0
			if (sk["A", t] == nA && sk["B", t] == nB) { same++; continue }
			if (a / nA == b / nB) { same++; continue }
			flag = (b / nB < a / nA) ? "**B fails**" : "**B passes**"
			if (flag ~ /fails/) worse++; else better++
			rows = rows sprintf("| %s | %d/%d | %d/%d | %s |\n", name[i], a, nA, b, nB, flag)
		}
		print "## Tests that differ (ok in how many boots)"
		print ""
		if (rows == "") print "None: every one of the " k " tests has the same result in every boot."
		else {
			print "| test | A | B | |"; print "|---|---|---|---|"; printf "%s", rows
			print ""; print "The other " same " of " k " tests: the same result in every boot of both."
		}
		printf "%d %d %d\n", worse + better, worse, better > "'"$tmp/tdiff"'"
	}' "$tmp/tests" >> "$md"

# throughput: median, min-max, n per side; B/A; exact Mann-Whitney
awk -F '\t' '
	function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }
	function med(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	# arrangements of m A and n B samples whose U (A above B) is u, by recursion on the largest sample
	function cnt(m, n, u,   key) {
		if (u < 0 || u > m * n) return 0
		if (m == 0 || n == 0) return u == 0
		key = m SUBSEP n SUBSEP u
		if (!(key in memo)) memo[key] = cnt(m - 1, n, u - n) + cnt(m, n - 1, u)
		return memo[key]
	}
	function mwp(m, n, u,   lo, hi, tot, i, p) {	# two-sided, U rounded down (ties)
		u = int(u); tot = 0; lo = 0; hi = 0
		for (i = 0; i <= m * n; i++) { c = cnt(m, n, i); tot += c; if (i <= u) lo += c; if (i >= u) hi += c }
		p = 2 * (lo < hi ? lo : hi) / tot
		return p > 1 ? 1 : p
	}
	{ how = ($5 != "-" ? $5 : "") ($5 != "-" && $6 != "-" ? ", " : "") ($6 != "-" ? $6 : "")
	  key = $2 (how != "" ? " (" how ")" : "") " | " $3 " | " $4
	  if (!(key in seen)) { seen[key] = 1; keys[++k] = key }
	  s[$1, key, ++n[$1, key]] = $7 + 0 }
	END {
		print ""
		print "## Throughput, GB/s (median of the boots, min-max, n boots)"
		print ""
		print "| direction | order | size | A | B | B/A | exact Mann-Whitney, two-sided |"
		print "|---|---|---|---|---|---|---|"
		for (i = 1; i <= k; i++) {
			key = keys[i]; na = n["A", key]; nb = n["B", key]
			delete a; delete b
			for (j = 1; j <= na; j++) a[j] = s["A", key, j]
			for (j = 1; j <= nb; j++) b[j] = s["B", key, j]
			sort(a, na); sort(b, nb)
			fa = na ? sprintf("%.3f (%.3f-%.3f, n=%d)", med(a, na), a[1], a[na], na) : "-"
			fb = nb ? sprintf("%.3f (%.3f-%.3f, n=%d)", med(b, nb), b[1], b[nb], nb) : "-"
			ratio = (na && nb && med(a, na) > 0) ? sprintf("%.2f", med(b, nb) / med(a, na)) : "-"
			if (na < 2 || nb < 2) note = "too few boots"
			else {
				u = 0
				for (x = 1; x <= na; x++) for (y = 1; y <= nb; y++) u += (a[x] > b[y]) + (a[x] == b[y]) / 2
				p = mwp(na, nb, u); best = mwp(na, nb, 0)
				note = sprintf("p=%.3f, %s", p, p < 0.05 ? "significant" : "not significant")
				if (p < 0.05) sig++
				if (best >= 0.05) note = note sprintf(" (%d vs %d boots cannot reach p<0.05)", na, nb)
			}
			rows++
			printf "| %s | %s | %s | %s | %s |\n", key, fa, fb, ratio, note
		}
		if (!rows) print "| no dml-bench.json from any boot | | | | | | |"
		printf "%d %d\n", sig, rows > "'"$tmp/bdiff"'"
	}' "$tmp/bench" >> "$md"

cat "$md"
read -r td tw tb < "$tmp/tdiff"
read -r bs br < "$tmp/bdiff"
[ "$td" = 1 ] && tests="1 test differs" || tests="$td tests differ"
echo
echo "ab: A passed $pA/$nA boots, B $pB/$nB; $tests (B fails $tw$([ "$tb" = 0 ] || echo ", B passes $tb")); $bs of $br throughput rows differ (p<0.05)"

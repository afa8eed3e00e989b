#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check that a kernel config has every option the fragments ask for, with
# the value the last fragment naming it gives ("# CONFIG_X is not set" asks
# for X unset). One line per option that olddefconfig dropped or changed
# (a dependency missing), exit 1 if any.
#   check-config.sh CONFIG FRAGMENT...
set -eu
[ $# -ge 2 ] || { echo "usage: check-config.sh CONFIG FRAGMENT..." >&2; exit 2; }
config=$1; shift
[ -r "$config" ] || { echo "devmemlab: check-config: $config: no such config" >&2; exit 1; }
awk -v config="$config" '
function parse(line, kv) {
	if (match(line, /^CONFIG_[A-Za-z0-9_]+=/)) {
		kv[1] = substr(line, 1, RLENGTH - 1); kv[2] = substr(line, RLENGTH + 1); return 1
	}
	if (match(line, /^# CONFIG_[A-Za-z0-9_]+ is not set$/)) {
		kv[1] = substr(line, 3, RLENGTH - 13); kv[2] = "n"; return 1
	}
	return 0
}
FILENAME != config { if (parse($0, kv)) { if (!(kv[1] in want)) order[++n] = kv[1]; want[kv[1]] = kv[2]; src[kv[1]] = FILENAME ":" FNR } next }
{ if (parse($0, kv)) have[kv[1]] = kv[2] }
END {
	bad = 0
	for (i = 1; i <= n; i++) {
		o = order[i]; h = (o in have) ? have[o] : "n"
		if (h != want[o]) {
			printf "devmemlab: %s: %s=%s, but %s has %s\n", src[o], o, want[o], config, \
				(h == "n" ? "it unset (a dependency is missing)" : o "=" h)
			bad = 1
		}
	}
	exit bad
}' "$@" "$config"

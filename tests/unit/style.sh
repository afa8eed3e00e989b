#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: the quality bar as tests. The module builds with
# W=1 and no warning (a scratch build in the trixie root); every module
# file passes the kernel's own scripts/checkpatch.pl --strict --no-tree
# (from Debian's linux-source-7.3, fetched by make); every source file in
# the repository opens with an SPDX line.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
. guest-kernel/versions.env
CP=build/linux-source/scripts/checkpatch.pl
files=$(ls guest-kernel/module/*.c guest-kernel/module/*.h)
ktap_plan $(($(echo "$files" | wc -l) + 2))

scratch=build/style-module
rm -rf "$scratch"
out=$(guest-kernel/in-root.sh build/root make -C "/lib/modules/$KVER/build" \
	M=/src/guest-kernel/module MO="/src/$scratch" W=1 modules 2>&1)
warn=$(echo "$out" | grep -E 'warning:|error:')
if [ -f "$scratch/devmemlab.ko" ] && [ -z "$warn" ]; then
	ktap_ok "module builds with W=1 and no warning"
else
	ktap_fail "module builds with W=1 and no warning" "$(echo "$warn" | head -n 5)"
fi
rm -rf "$scratch"

for f in $files; do
	if [ ! -f "$CP" ]; then
		ktap_skip "checkpatch --strict: $f" "no $CP (make fetches linux-source)"
		continue
	fi
	res=$(perl "$CP" --strict --no-tree --no-summary --terse -f "$f" 2>&1)
	if [ -z "$res" ]; then ktap_ok "checkpatch --strict: $f"; else ktap_fail "checkpatch --strict: $f" "$(echo "$res" | head -n 5)"; fi
done

missing=
for f in $(git ls-files '*.c' '*.h' '*.sh' Makefile '*/Makefile' Kbuild '*/Kbuild' '*.config' \
	.ci/run guest-tools/init tests/unit/fake-qemu); do
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0' || missing="$missing $f"
done
ktap_is "every source file opens with an SPDX line" "${missing:-none}" none
ktap_done

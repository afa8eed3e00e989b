#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: `devmemlab qmp` against a real QEMU (q35, stopped
# before the firmware runs: no guest, no boot) on a `-qmp` socket as
# `run --qmp` makes it: a command's return value, QMP's own error (the
# pcie.0 device_del refusal that hot-unplug needs a root port for), an
# awaited event that comes and one that never does (a stopped guest cannot
# acknowledge an unplug), bad input; and the client under valgrind.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
L=${DEVMEMLAB:-qemu/devmemlab}	# tests/unit/asan.sh: the sanitized build
tmp=$(mktemp -d)
sock=$tmp/qmp.sock
qemu-system-x86_64 -M q35 -accel tcg -S -nodefaults -display none -m 256M \
	-device ivshmem-plain,id=onroot,memdev=m0 -object memory-backend-ram,id=m0,size=1M \
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=0 \
	-device ivshmem-plain,id=onport,memdev=m1,bus=rp0 -object memory-backend-ram,id=m1,size=1M \
	-qmp "unix:$sock,server=on,wait=off" >"$tmp/qemu.out" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null; wait $qemu 2>/dev/null; rm -rf "$tmp"' EXIT
i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ktap_plan 9

got=$($L qmp "$sock" query-status 2>&1); rc=$?
ktap_is "a command's return value on stdout, exit 0" "$rc|$got" '0|{"status":"prelaunch","running":false}'
got=$($L qmp "$sock" device_del '{"id":"onroot"}' 2>&1); rc=$?
ktap_is "QMP's error is one line, exit 1 (pcie.0 refuses hot-unplug)" "$rc|$got" \
	"1|devmemlab: qmp: device_del: GenericError: Bus 'pcie.0' does not support hotplugging"
got=$($L qmp --wait-event DEVICE_DELETED --timeout 2 "$sock" device_del '{"id":"onport"}' 2>&1); rc=$?
ktap_is "an awaited event that never comes (a stopped guest cannot eject): exit 1 after --timeout" \
	"$rc|$got" "1|{}
devmemlab: qmp: $sock: no DEVICE_DELETED of onport within 2 s"
$L qmp --wait-event RESUME "$sock" cont >"$tmp/out" 2>"$tmp/err"; rc=$?
ktap_is "an awaited event is printed after the return value, exit 0" \
	"$rc|$(head -n 1 "$tmp/out")|$(sed -n 2p "$tmp/out" | jq -r .event)|$(cut -c1-26 "$tmp/err")" \
	"0|{}|RESUME|devmemlab: qmp: RESUME 0.0"
got=$($L qmp "$sock" device_del '{"id":' 2>&1); rc=$?
ktap_is "arguments that are not a JSON object: exit 2, one line" "$rc|$(echo "$got" | wc -l)" "2|1"
got=$($L qmp "$tmp/none.sock" query-status 2>&1); rc=$?
ktap_is "no socket: exit 5, one line" "$rc|$(echo "$got" | wc -l)" "5|1"
got=$($L qemu-cmd -t pci-bar --qmp "$sock" --accel tcg)
ktap_has "qemu-cmd --qmp: QEMU listens on the socket without waiting" "$got" " -qmp unix:$sock,server=on,wait=off"
got=$($L run --libvirt --qmp "$tmp/x.sock" --results "$tmp/r" -t pci-bar 2>&1); rc=$?
ktap_is "run --libvirt --qmp is refused with one line (exit 2), nothing created" \
	"$rc|$got|$(ls -d "$tmp/r" "$tmp/x.sock" 2>/dev/null)" \
	"2|devmemlab: --qmp works with the QEMU backend only (under libvirt: virsh qemu-monitor-command)|"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect qemu/devmemlab qmp --wait-event STOP "$sock" stop >/dev/null 2>"$tmp/err"; rc=$?
ktap_is "valgrind: qmp with an awaited event: no errors, no leaks" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$tmp/err" | tail -n 20
$L qmp "$sock" quit >/dev/null 2>&1
ktap_done

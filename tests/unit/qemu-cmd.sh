#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: the topology -> QEMU command line translation is a
# pure function; for each shipped topology its output must equal the
# reviewed golden file in golden/ (regenerate with UPDATE_GOLDEN=1 and
# review the diff). Guest commands travel after "--" on the kernel command
# line with double quotes; what the kernel cannot carry is refused. The
# checkout's path (in the lab's own QEMU, chosen for accel topologies) is
# @LAB@ in golden files.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
L=${DEVMEMLAB:-qemu/devmemlab}	# tests/unit/asan.sh: the sanitized build
FIXED="--kernel /lab/vmlinuz --initrd /lab/initrd --shm-prefix /dev/shm/devmemlab-golden --workdir /run/dml"
set -- tests/unit/golden/*.cmd
ktap_plan $(($# + 18))

for g in "$@"; do
	t=$(basename "$g" .cmd)
	# shellcheck disable=SC2086
	got=$($L qemu-cmd -t "$t" $FIXED 2>&1 | sed "s|$(pwd -P)/|@LAB@/|g")
	[ "$UPDATE_GOLDEN" = 1 ] && printf '%s\n' "$got" > "$g"
	ktap_is "qemu-cmd $t matches golden" "$got" "$(cat "$g")"
done

# shellcheck disable=SC2086
got=$($L qemu-cmd -t pci-bar $FIXED --accel kvm -- sh -c 'echo a b' "" x)
ktap_has "guest command after --, quoted for the kernel" "$got" \
	"lab.topology=pci-bar -- sh -c \"echo a b\" \"\" x'"
ktap_has "--accel kvm is passed" "$got" "-accel kvm -cpu max "
# shellcheck disable=SC2086
ktap_is "under KVM the guest idles as it likes (no idle=halt), also with the accelerator" \
	"$(echo "$got" | grep -c 'idle=halt')|$($L qemu-cmd -t accel $FIXED --accel kvm | grep -c 'idle=halt')" "0|0"
# shellcheck disable=SC2086
ktap_has "under TCG a guest with the accelerator idles with HLT (MWAIT is a spinning PAUSE there)" \
	"$($L qemu-cmd -t accel $FIXED --accel tcg)" "panic=-1 idle=halt lab.topology=accel"
# shellcheck disable=SC2086
got=$($L qemu-cmd -t pci-bar $FIXED --script /lab/x.sh --append lab.shell=1)
ktap_has "--script and --append reach the kernel command line" "$got" "lab.run=/lab/x.sh lab.shell=1'"
got=$($L qemu-cmd -t pci-bar $FIXED --append no5lvl --append mem=512M --append lab.shell=1)
ktap_has "--append given three times: the parameters add up, in order" "$got" "panic=-1 lab.topology=pci-bar no5lvl mem=512M lab.shell=1'"
# shellcheck disable=SC2086
got=$($L qemu-cmd -t pci-bar $FIXED -- echo 'say "hi"' 2>&1); rc=$?
ktap_is "a double quote in the guest command is refused" "$rc|$(echo "$got" | wc -l)" "2|1"
long=$(head -c 3000 /dev/zero | tr '\0' x)
# shellcheck disable=SC2086
got=$($L qemu-cmd -t pci-bar $FIXED -- echo "$long" 2>&1); rc=$?
ktap_has "an overlong kernel command line is refused" "$rc|$got" "2|devmemlab: kernel command line too long"
# shellcheck disable=SC2086
ktap_has "--cpus overrides the topology's vCPU count" "$($L qemu-cmd -t pci-bar $FIXED --cpus 1)" " -smp 1 "
got=$($L qemu-cmd -t pci-bar --cpus 0 2>&1); rc=$?
ktap_is "--cpus 0 is refused with one line" "$rc|$got" "2|devmemlab: --cpus must be 1..64, not '0'"
# which QEMU: the lab's build for a device only it has, else Debian's; --qemu wins
# shellcheck disable=SC2086
ktap_is "accel runs on the lab's QEMU, pci-bar on Debian's" \
	"$($L qemu-cmd -t accel $FIXED | cut -d' ' -f1) $($L qemu-cmd -t pci-bar $FIXED | cut -d' ' -f1)" \
	"$(pwd -P)/build/qemu/qemu-system-x86_64 qemu-system-x86_64"
# shellcheck disable=SC2086
ktap_is "--qemu overrides the lab's QEMU" "$($L qemu-cmd -t accel $FIXED --qemu /opt/q | cut -d' ' -f1)" /opt/q
# a checkout without the lab's QEMU: run on accel stops with one line, nothing created
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lab/qemu" && cp $L "$tmp/lab/qemu/devmemlab" && cp -r topologies "$tmp/lab/"
got=$("$tmp/lab/qemu/devmemlab" run -t accel --accel tcg --kernel /lab/k --initrd /lab/i \
	--results "$tmp/r" 2>&1); rc=$?
ktap_is "run accel without the lab's QEMU: one line, exit 2, no results" "$rc|$got|$(ls "$tmp")" \
	"2|devmemlab: topology 'accel' needs the lab's own QEMU, $tmp/lab/build/qemu/qemu-system-x86_64: build it with 'make qemu'|lab"
got=$($L qemu-cmd -t pci-bar --accel auto 2>&1); rc=$?
ktap_is "qemu-cmd --accel auto is refused (it would need a boot)" "$rc|$(echo "$got" | wc -l)" "2|1"

# 16 windows of 4 host bridges with 23-character ids: a -M option of ~3 KiB,
# all of it, and nothing of it anywhere else
# shellcheck disable=SC2086
got=$($L qemu-cmd -t tests/unit/topologies/good/cxl-16-windows.ini $FIXED 2>&1); rc=$?
m=$(echo "$got" | awk '{ print $3 }')
ktap_is "16 CXL windows: the whole -M option" \
	"$rc|$(echo "$m" | grep -o 'cxl-fmw\.[0-9]*\.targets\.[0-9]*=' | wc -l)|${m##*,}|$(echo "$got" | grep -o 'cxl-fmw' | wc -l)" \
	"0|64|cxl-fmw.15.size=1G|80"
ktap_has "16 CXL windows: the kernel command line is untouched" "$got" \
	" -append 'console=ttyS0 loglevel=5 printk.time=1 panic=-1 lab.topology=cxl-16-windows lab.mods=cxl_acpi' -device "

# long paths: kept whole, or refused (a path must fit PATH_MAX)
w=/$(head -c 4055 /dev/zero | tr '\0' w)
ktap_has "a long --workdir reaches the -drive option whole" \
	"$($L qemu-cmd -t nvme-cmb --workdir "$w" 2>&1)" " file=$w/nvme0.img,if=none,id=drv-nvme0,format=raw "
got=$($L qemu-cmd -t pci-bar --shm-prefix "$w$w" 2>&1); rc=$?
ktap_is "a --shm-prefix too long for a path is refused with one line" "$rc|$got" \
	"2|devmemlab: --shm-prefix is too long (at most 4056 characters)"
ktap_done

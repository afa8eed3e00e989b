#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: in-VM tests. Every topology in topologies/ boots and
# runs tests/vm/devices.sh with expectations derived from the topology file
# itself (`devmemlab describe`), so the guest must see exactly what the file
# describes; each guest KTAP result is re-emitted here with the topology's
# name, and the launcher's verdict (clean console, workload passed) is one
# more test per boot. The kernel's own hmm-tests run against test_hmm.
# Then: guest writes into the ivshmem BAR appear in the
# host's backing file; a real kernel panic and a failing workload fail a
# run with the right exit status.
# Environment: ACCEL (auto), KERNEL, INITRD, VM_TIMEOUT (seconds per boot).
cd "$(dirname "$0")/.." || exit 1
. guest-tools/lab/ktap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
RUN="qemu/devmemlab run --accel ${ACCEL:-auto} --kernel ${KERNEL:-build/kernel/vmlinuz}
	--initrd ${INITRD:-build/initramfs.cpio.zst} --timeout ${VM_TIMEOUT:-240}"
echo "KTAP version 1"

# boot NAME WANT_RC LAUNCHER-ARGS...: re-emit the guest's results, then the verdict
boot() {
	name=$1 want=$2; shift 2
	# shellcheck disable=SC2086
	$RUN "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ktap_import "$tmp/out" "$name: "
	if [ "$rc" = "$want" ]; then
		ktap_ok "$name: launcher exit $want ($(grep -o 'accel [a-z]*' "$tmp/err" | head -n 1))"
	else
		ktap_fail "$name: launcher exit $want" "got exit $rc" "$(grep -v '^devmemlab: \[' "$tmp/err" | tail -n 12)"
	fi
}

expectations() {
	qemu/devmemlab describe -t "$1" | awk '
		$2 == "ivshmem" { split($3, s, "="); print "ivshmem=" s[2] }
		$2 == "nvme" { split($3, s, "="); split($4, c, "="); print "nvme=" s[2] ":" c[2] }
		$2 == "cxl-type3" { split($3, s, "="); print "cxl=" s[2] }'
}

for f in topologies/*.ini; do
	t=$(basename "$f" .ini)
	# shellcheck disable=SC2046
	boot "$t" 0 -t "$t" -- sh /lab/tests/devices.sh "$t" $(expectations "$t")
done

# the device-private module and its checker (dml-realloc), and dml-bench's JSON
boot device-private 0 -t pci-bar --timeout 600 -- sh /lab/tests/device-private.sh
json=results/latest/dml-bench.json
ktap_is "device-private: dml-bench JSON has all 7 directions with tool, order, size_bytes, gbps, iterations" \
	"$(jq -r '[.[] | select(.tool == "devmemlab" and (.order | type) == "number" and .size_bytes > 0
		and .gbps > 0 and .iterations >= 1) | .direction] | unique | join(",")' "$json" 2>&1)" \
	"dev_to_sys,fault_to_sys,kcopy_from_bar,kcopy_to_bar,memcpy_ram,memcpy_to_bar,sys_to_dev"

# the kernel's own test_hmm + hmm-tests in the same VM (38 pass, 40 coherent skips).
# One vCPU: benchmark_thp_migration's best-effort migration left a page behind
# (ENOENT) in 6 of 22 runs with 2 vCPUs, 0 of 14 with one (2026-11-24, TCG).
boot hmm-upstream 0 -t pci-bar --cpus 1 --timeout 600 -- sh /lab/tests/hmm-upstream.sh

# guest writes into BAR2 land in the host's backing file
img=$tmp/bar0.img token=dml-$$-$(date +%s)
sed "s|^size = 1G|size = 1G\nbacking = file:$img|" topologies/pci-bar.ini > "$tmp/pci-bar-file.ini"
boot bar-to-host 0 -t "$tmp/pci-bar-file.ini" -- sh /lab/tests/bar-host.sh "$token"
size=$(stat -c %s "$img" 2>/dev/null || echo 0)
ktap_is "bar-to-host: token at offset 100 of the host file" \
	"$(dd if="$img" bs=1 skip=100 count=${#token} 2>/dev/null)" "$token"
ktap_is "bar-to-host: token in the last page of the host file" \
	"$(dd if="$img" bs=1 skip=$((size - 4096 + 100)) count=${#token} 2>/dev/null)" "$token"
ktap_is "bar-to-host: page 12345's stamp in the host file" \
	"$(dd if="$img" bs=4096 skip=12345 count=1 2>/dev/null | head -c 15)" "dml-page-12345"

# the verdict is real: a kernel panic and a failing workload fail the run
boot kernel-panic 3 -t pci-bar -- sh -c "echo c > /proc/sysrq-trigger"
ktap_has "kernel-panic: the panic line is quoted" "$(cat "$tmp/err")" "Kernel panic - not syncing: sysrq triggered crash"
boot workload-fails 1 -t pci-bar -- false

echo "1..$KTAP_N"
ktap_done

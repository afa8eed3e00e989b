#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM half of the results-channel check (tests/vm.sh compares): leave a
# text file and a binary one (NUL, CR, no final newline) in /results, print
# their sha256, then keep the kernel printing to the console while /init
# sends the files to the host. It reports as KTAP like every workload.
. /lab/ktap.sh
n=0
while [ $n -lt 3000 ]; do
	echo "result line $n: the same bytes on the host"
	n=$((n + 1))
done > /results/lines.txt
{ head -c 65536 /dev/urandom; printf 'cr\r\nnul\000end'; } > /results/blob.bin
for f in lines.txt blob.bin; do
	echo "results-sum $f $(sha256sum < "/results/$f" | cut -d' ' -f1)"
done
ktap_plan 1
ktap_check "results-channel: two files left in /results" test -s /results/lines.txt -a -s /results/blob.bin
echo on > /proc/sys/kernel/printk_devkmsg	# no rate limit on /dev/kmsg
(while :; do echo "<4>devmemlab: printk beside the results" > /dev/kmsg; done) &
sleep 0.2

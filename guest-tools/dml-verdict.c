// SPDX-License-Identifier: GPL-2.0
/*
 * dml-verdict STATUS < KERNEL-LOG: the launcher's console verdict, inside
 * the guest, for boots no devmemlab launcher watches (LAVA jobs). Reads the
 * kernel log (`dmesg`: "[    1.234567] text" lines) through the launcher's
 * own qemu/verdict.c and prints a KTAP document of two results:
 *
 *   ok 1 devmemlab-workload            the workload exited STATUS = 0
 *   ok 2 devmemlab-kernel-log          no BUG/WARNING/Oops/panic/hung task/
 *                                      RCU stall/lockup/KASAN/OOM in the log
 *
 * a failing one with its reason after '#'. Exit status 0 when both pass,
 * 1 when one fails, 2 on bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

#define QUOTE_MAX 160

/* print the text of a kernel line after its timestamp, one line, at most QUOTE_MAX bytes */
static void quote(const char *line)
{
	const char *p = strchr(line, ']');
	int n = 0;

	p = p ? p + 1 : line;
	while (*p == ' ')
		p++;
	for (; *p && n < QUOTE_MAX; p++, n++)
		putchar(isprint((unsigned char)*p) ? *p : ' ');
	if (*p)
		fputs("...", stdout);
}

int main(int argc, char **argv)
{
	struct verdict v;
	char line[4096];
	char *end;
	long status;
	int fails = 0;

	errno = 0;
	status = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	if (argc != 2 || errno || end == argv[1] || *end || status < 0 || status > 255) {
		fprintf(stderr, "usage: dml-verdict STATUS < KERNEL-LOG (STATUS: the workload's exit status, 0-255)\n");
		return 2;
	}
	verdict_init(&v);
	/* a line longer than the buffer is fed in pieces: its start still carries the timestamp */
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		verdict_feed(&v, line);
	}
	printf("KTAP version 1\n1..2\n");
	if (status) {
		printf("not ok 1 devmemlab-workload # exit status %ld\n", status);
		fails++;
	} else {
		printf("ok 1 devmemlab-workload\n");
	}
	if (v.kernel_problems) {
		printf("not ok 2 devmemlab-kernel-log # %s (%d line%s), first: ", v.problem,
		       v.kernel_problems, v.kernel_problems > 1 ? "s" : "");
		quote(v.quote);
		putchar('\n');
		fails++;
	} else if (v.oom_kills || v.alloc_failures) {
		printf("not ok 2 devmemlab-kernel-log # out of memory (%d OOM kill%s, %d allocation failure%s), first: ",
		       v.oom_kills, v.oom_kills == 1 ? "" : "s", v.alloc_failures,
		       v.alloc_failures == 1 ? "" : "s");
		quote(v.oom_quote);
		putchar('\n');
		fails++;
	} else {
		printf("ok 2 devmemlab-kernel-log\n");
	}
	return fails ? 1 : 0;
}

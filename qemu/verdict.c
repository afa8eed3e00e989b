// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

/* Any of these after a printk timestamp fails the run. */
static const char *const kernel_problems[] = {
	"BUG:", "WARNING:", "Oops", "Kernel panic", "KASAN", "general protection fault",
	"Call Trace", NULL,
};

void verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->status = -1;
}

/*
 * Kernel lines carry a "[    1.234567] " timestamp (printk.time=1); only
 * text after one is checked, so a workload that prints "BUG:" in its own
 * output does not fail the run, while a kernel line interleaved into the
 * middle of a workload line still does.
 */
const char *verdict_kernel_problem(const char *line)
{
	const char *p = line;

	while ((p = strchr(p, '['))) {
		const char *q = p + 1;

		while (*q == ' ')
			q++;
		if (*q >= '0' && *q <= '9') {
			q += strspn(q, "0123456789");
			if (*q == '.' && q[1] >= '0' && q[1] <= '9') {
				q += 1 + strspn(q + 1, "0123456789");
				if (*q == ']') {
					for (const char *const *k = kernel_problems; *k; k++)
						if (strstr(q + 1, *k))
							return *k;
				}
			}
		}
		p++;
	}
	return NULL;
}

int verdict_is_kernel_line(const char *line)
{
	size_t n = strspn(line, "[ ");

	return line[0] == '[' && line[n] >= '0' && line[n] <= '9';
}

int verdict_feed(struct verdict *v, const char *line)
{
	const char *m;

	v->lines++;
	if (v->stage == ST_FIRMWARE && verdict_is_kernel_line(line))
		v->stage = ST_KERNEL;
	if ((m = strstr(line, MARK_RUN_BEGIN))) {
		v->stage = ST_RUN;
		snprintf(v->run_name, sizeof(v->run_name), "%s", m + strlen(MARK_RUN_BEGIN));
	} else if ((m = strstr(line, MARK_RUN_END))) {
		v->status = atoi(m + strlen(MARK_RUN_END));
		v->stage = ST_DONE;
	} else if (strstr(line, MARK_INIT) && v->stage < ST_INIT) {
		v->stage = ST_INIT;
	}
	if (verdict_kernel_problem(line) && v->kernel_problems++ == 0) {
		v->quote_line = v->lines;
		snprintf(v->quote, sizeof(v->quote), "%s", line);
		return 1;
	}
	return 0;
}

void verdict_finish(struct verdict *v, int timed_out)
{
	if (v->kernel_problems)
		v->kind = V_KERNEL;
	else if (timed_out)
		v->kind = V_HANG;
	else if (v->status < 0)
		v->kind = V_NO_RESULT;
	else if (v->status)
		v->kind = V_GUEST_FAIL;
	else
		v->kind = V_PASS;
}

const char *verdict_name(enum verdict_kind kind)
{
	static const char *const names[] = {
		[V_PASS] = "pass", [V_GUEST_FAIL] = "guest-fail", [V_KERNEL] = "kernel-problem",
		[V_HANG] = "hang", [V_NO_RESULT] = "no-result",
	};
	return names[kind];
}

// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

/*
 * Any of these after a printk timestamp fails the run; the first that
 * matches a line names its kind. After a fatal one the guest is not worth
 * waiting for (it is dead, wedged, or its verdict can no longer change); a
 * WARNING alone leaves the workload to finish and report.
 */
static const struct kernel_pattern {
	const char *text, *name;
	int fatal;
} kernel_patterns[] = {
	{ "Kernel panic", "panic", 1 },
	{ "soft lockup", "soft lockup", 1 },	/* "watchdog: BUG: soft lockup - CPU#0 stuck" */
	{ "hard LOCKUP", "hard lockup", 1 },
	{ "blocked for more than", "hung task", 1 },	/* "INFO: task sh:1 blocked for more than 30 seconds." */
	{ "detected stall", "RCU stall", 1 },	/* "rcu: INFO: rcu_sched detected stalls", "self-detected stall" */
	{ "detected expedited stall", "RCU stall", 1 },
	/* not "KASAN" alone: a KASAN kernel's every Oops line says "SMP KASAN NOPTI" */
	{ "BUG: KASAN", "KASAN", 1 },		/* "BUG: KASAN: use-after-free in ..." */
	{ "BUG:", "BUG", 1 },
	{ "kernel BUG at", "BUG", 1 },		/* BUG(), VM_BUG_ON_PAGE(): "kernel BUG at mm/x.c:1!" */
	{ "Oops", "Oops", 1 },
	{ "general protection fault", "general protection fault", 1 },
	{ "WARNING:", "WARNING", 0 },
	{ "Call Trace", "call trace", 0 },
	{ NULL, NULL, 0 },
};

/*
 * Running out of memory is not a kernel bug: the OOM killer's report and a
 * page allocation failure report each show a Call Trace (within a few
 * lines of their first), which is theirs, not a problem.
 */
#define OOM_REPORT	"invoked oom-killer:"
#define ALLOC_FAILURE	"page allocation failure:"
#define OOM_KILL	"of memory: Killed process"	/* "Out of memory: ", "Memory cgroup out of memory: " */
#define MEM_REPORT_STACK 8

void verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->status = -1;
}

/*
 * Kernel lines carry a "[    1.234567] " timestamp (printk.time=1); only
 * text after one is checked, so a workload that prints "BUG:" in its own
 * output does not fail the run, while a kernel line interleaved into the
 * middle of a workload line still does. Returns the text after the first
 * timestamp, or NULL.
 */
static const char *kernel_text(const char *line)
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
				if (*q == ']')
					return q + 1;
			}
		}
		p++;
	}
	return NULL;
}

static const struct kernel_pattern *match(const char *text)
{
	for (const struct kernel_pattern *k = kernel_patterns; text && k->text; k++)
		if (strstr(text, k->text))
			return k;
	return NULL;
}

const char *verdict_kernel_problem(const char *line)
{
	const struct kernel_pattern *k = match(kernel_text(line));

	return k ? k->name : NULL;
}

int verdict_is_kernel_line(const char *line)
{
	size_t n = strspn(line, "[ ");

	return line[0] == '[' && line[n] >= '0' && line[n] <= '9';
}

int verdict_feed(struct verdict *v, const char *line)
{
	const char *m, *text = kernel_text(line);
	const struct kernel_pattern *k = match(text);

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
	if (text && (strstr(text, OOM_REPORT) || strstr(text, ALLOC_FAILURE)))
		v->mem_report_at = v->lines;
	/* the first OOM kill is quoted, else the first allocation failure */
	if ((text && strstr(text, OOM_KILL) && v->oom_kills++ == 0) ||
	    (text && strstr(text, ALLOC_FAILURE) && v->alloc_failures++ == 0 && !v->oom_kills)) {
		v->oom_line = v->lines;
		snprintf(v->oom_quote, sizeof(v->oom_quote), "%s", line);
	}
	if (!k || (!strcmp(k->text, "Call Trace") && v->mem_report_at &&
		   v->lines - v->mem_report_at <= MEM_REPORT_STACK))
		return 0;
	v->fatal += k->fatal;
	if (v->kernel_problems++)
		return 0;
	v->quote_line = v->lines;
	v->problem = k->name;
	snprintf(v->quote, sizeof(v->quote), "%s", line);
	return 1;
}

void verdict_finish(struct verdict *v, int timed_out)
{
	if (v->kernel_problems)
		v->kind = V_KERNEL;
	else if (v->oom_kills || v->alloc_failures)
		v->kind = V_OOM;
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
		[V_HANG] = "hang", [V_NO_RESULT] = "no-result", [V_OOM] = "oom",
	};
	return names[kind];
}

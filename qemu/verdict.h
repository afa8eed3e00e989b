/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Console verdict: reads the guest console line by line (live, or from a
 * recorded log) and decides whether a run passed.
 */
#ifndef DEVMEMLAB_VERDICT_H
#define DEVMEMLAB_VERDICT_H

enum verdict_kind {
	V_PASS,
	V_GUEST_FAIL,	/* the workload exited non-zero */
	V_KERNEL,	/* BUG/WARNING/Oops/panic/hung task/RCU stall/... on the console */
	V_HANG,		/* deadline passed, guest killed */
	V_NO_RESULT,	/* guest stopped without reporting the workload's status */
	V_OOM,		/* out of memory: an OOM kill or a page allocation failure (and nothing worse) */
};

/* Console markers printed by the guest's /init (guest-tools/init). */
#define MARK_INIT	"DEVMEMLAB: init"
#define MARK_RUN_BEGIN	"DEVMEMLAB: run begin "
#define MARK_RUN_END	"DEVMEMLAB: run end status="
#define MARK_FILE_BEGIN	"DEVMEMLAB: file begin "
#define MARK_FILE_END	"DEVMEMLAB: file end"
#define MARK_POWEROFF	"DEVMEMLAB: poweroff"

enum console_stage { ST_FIRMWARE, ST_KERNEL, ST_INIT, ST_RUN, ST_DONE };

struct verdict {
	enum verdict_kind kind;
	enum console_stage stage;
	int status;		/* workload exit status, -1 = not reported */
	int lines;
	int kernel_problems;	/* number of offending kernel lines */
	int quote_line;		/* console line number of the first one */
	char quote[512];
	const char *problem;	/* its kind ("hung task", "RCU stall", ...), NULL = none */
	int fatal;		/* lines after which the guest is not worth waiting for */
	int oom_kills;		/* "Out of memory: Killed process" lines */
	int alloc_failures;	/* "page allocation failure:" reports */
	int oom_line;		/* console line of the first kill (else allocation failure) */
	char oom_quote[512];
	int mem_report_at;	/* line of the last OOM/allocation failure report, 0 = none */
	char run_name[128];
};

void verdict_init(struct verdict *v);
/*
 * Feed one console line (without the newline). Returns 1 if the line is
 * the first kernel problem, so a live caller can show it at once. A caller
 * that sees fatal grow can stop the guest after a grace period.
 */
int verdict_feed(struct verdict *v, const char *line);
void verdict_finish(struct verdict *v, int timed_out);
const char *verdict_name(enum verdict_kind kind);
/* Does the line start with a printk timestamp? */
int verdict_is_kernel_line(const char *line);
/* The kind of kernel problem in line (after a printk timestamp), or NULL. */
const char *verdict_kernel_problem(const char *line);

#endif

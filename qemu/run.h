/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DEVMEMLAB_RUN_H
#define DEVMEMLAB_RUN_H

#include "qemu_argv.h"
#include "verdict.h"

/* Exit codes of `devmemlab run` (also in docs/launcher.md). */
enum {
	EXIT_PASS = 0,
	EXIT_GUEST_FAIL = 1,	/* workload failed or reported nothing */
	EXIT_USAGE = 2,		/* bad input: nothing was started */
	EXIT_KERNEL = 3,	/* kernel problem on the console */
	EXIT_HANG = 4,		/* deadline passed */
	EXIT_INFRA = 5,		/* QEMU could not start or died */
};

struct boot_opts {
	int timeout;		/* seconds */
	int verbose;		/* echo every console line */
	int quiet;		/* no progress, no workload echo (probes) */
	const char *console_log;	/* NULL = none */
	const char *qemu_stderr;	/* NULL = /dev/null */
	const char *files_dir;	/* where "file begin NAME" blocks go; NULL = drop */
};

struct boot_result {
	struct verdict v;
	int timed_out;
	int qemu_status;	/* wait status; -1 if it could not start */
	double wall;		/* seconds from exec to QEMU exit */
	double init_at;		/* seconds from exec to /init's first line, <0 = never */
	char backend_error[512];	/* libvirt: why the domain could not run */
	char tail[16][256];	/* last console lines, for a hang report */
	int ntail;
};

/*
 * The console engine shared by both backends: feed it console bytes as they
 * arrive; console_close() judges the run (verdict_finish) and fills in wall.
 */
struct console;
struct console *console_open(const struct boot_opts *o, struct boot_result *r);
void console_feed(struct console *c, const char *data, size_t n);
void console_tick(struct console *c);	/* progress line while nothing arrives */
double console_elapsed(const struct console *c);
void console_close(struct console *c, int timed_out);

/* QEMU backend: boot argv, watch the console until QEMU exits or the deadline passes. */
void boot_watch(char *const *argv, const struct boot_opts *o, struct boot_result *r);

/* Files to remove on every exit path, including SIGINT/SIGTERM. */
void cleanup_register(const char *path);
void cleanup_run(void);
void cleanup_install_signals(void);
/* Set by the signal handler; boot_watch stops the guest when it is set. */
extern volatile int run_interrupted;

#endif

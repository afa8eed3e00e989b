/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DEVMEMLAB_RUN_H
#define DEVMEMLAB_RUN_H

#include <sys/types.h>

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
	EXIT_OOM = 6,		/* the kernel's OOM killer killed a process */
};

/* Seconds of console kept after a fatal kernel problem (its trace), then the guest is stopped. */
#define KERNEL_GRACE 5

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
	int stopped_early;	/* stopped KERNEL_GRACE s after a fatal kernel problem */
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
/*
 * Should the backend stop the guest now? The deadline passed, or a fatal
 * kernel problem's grace period is over (both recorded for the verdict),
 * or the run was interrupted (run_interrupted).
 */
int console_stop_due(struct console *c);
void console_close(struct console *c);

/* QEMU backend: boot argv, watch the console until QEMU exits or console_stop_due(). */
void boot_watch(char *const *argv, const struct boot_opts *o, struct boot_result *r);
/* QEMU backend, --shell: argv on this terminal; 0 or EXIT_INFRA. */
int boot_shell(char *const *argv);

/* Files to remove on every exit path, including SIGINT/SIGTERM. */
void cleanup_register(const char *path);
/*
 * Lab memory: removed as soon as the emulator has it open, so that nothing
 * is left behind even if the launcher is killed (SIGKILL).
 */
void cleanup_register_memory(const char *path);
/* Remove the lab memory that process pid has open (0: all of it); returns how many wait still. */
int cleanup_memory_opened(pid_t pid);
void cleanup_run(void);
/* SIGINT/SIGTERM/SIGHUP interrupt the run; SIGPIPE is ignored (see console_stop_due). */
void cleanup_install_signals(void);
/*
 * Set by the signal handler, or to SIGPIPE when the reader of our output
 * went away; the backends stop the guest when it is set.
 */
extern volatile int run_interrupted;

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Boot engine: the console engine (assemble, record and judge every console
 * line, capture files, show progress) and the QEMU backend (serial console on
 * a pipe, deadline). The libvirt backend (libvirt_run.c) feeds the same engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "results.h"
#include "run.h"

volatile int run_interrupted;

static char *cleanup_paths[64];
static int ncleanup;

void cleanup_register(const char *path)
{
	if (ncleanup < (int)(sizeof(cleanup_paths) / sizeof(cleanup_paths[0])))
		cleanup_paths[ncleanup++] = strdup(path);
}

void cleanup_run(void)
{
	while (ncleanup > 0) {
		char *p = cleanup_paths[--ncleanup];

		if (p && unlink(p) && errno != ENOENT)
			fprintf(stderr, "devmemlab: cannot remove %s: %s\n", p, strerror(errno));
		free(p);
	}
}

static void on_signal(int sig)
{
	run_interrupted = sig;
}

void cleanup_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: poll wakes */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	atexit(cleanup_run);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *stage_name(enum console_stage s)
{
	static const char *const names[] = {
		[ST_FIRMWARE] = "firmware", [ST_KERNEL] = "kernel booting",
		[ST_INIT] = "init: loading modules", [ST_RUN] = "running workload",
		[ST_DONE] = "workload done, powering off",
	};
	return names[s];
}

struct console {
	const struct boot_opts *o;
	struct boot_result *r;
	FILE *log;
	FILE *file;		/* open "file begin" capture */
	double t0, last_progress;
	enum console_stage shown;
	int tty;
	char buf[8192];		/* the console line being assembled */
	size_t fill;
};

static void progress(struct console *w, int force)
{
	double t = now();

	if (w->o->quiet)
		return;
	if (w->tty) {
		if (!force && t - w->last_progress < 0.2)
			return;
		fprintf(stderr, "\r\033[Kdevmemlab: [%5.1fs] %s (%d console lines)",
			t - w->t0, stage_name(w->r->v.stage), w->r->v.lines);
		w->last_progress = t;
	} else if (w->r->v.stage != w->shown) {
		fprintf(stderr, "devmemlab: [%5.1fs] %s\n", t - w->t0, stage_name(w->r->v.stage));
	}
	w->shown = w->r->v.stage;
}

static void clear_progress(struct console *w)
{
	if (w->tty && !w->o->quiet)
		fputs("\r\033[K", stderr);
}

static void open_capture(struct console *w, const char *name)
{
	char path[1024];

	if (!w->o->files_dir || !results_name_ok(name))
		return;
	snprintf(path, sizeof(path), "%s/%s", w->o->files_dir, name);
	w->file = fopen(path, "w");
}

static void handle_line(struct console *w, char *line)
{
	struct boot_result *r = w->r;
	size_t len = strlen(line);
	const char *m;
	int first_problem;

	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		line[--len] = '\0';
	if (w->log)
		fprintf(w->log, "%s\n", line);
	snprintf(r->tail[r->ntail % 16], sizeof(r->tail[0]), "%s", line);
	r->ntail++;

	if (w->file) {
		if ((m = strstr(line, MARK_FILE_END))) {
			/* a last line without its newline arrives glued to the marker */
			fprintf(w->file, "%.*s", (int)(m - line), line);
			fclose(w->file);
			w->file = NULL;
		} else if (!verdict_kernel_problem(line)) {
			fprintf(w->file, "%s\n", line);
		}
	} else if ((m = strstr(line, MARK_FILE_BEGIN))) {
		open_capture(w, m + strlen(MARK_FILE_BEGIN));
	}
	if (strstr(line, MARK_INIT) && r->init_at < 0)
		r->init_at = now() - w->t0;

	first_problem = verdict_feed(&r->v, line);
	if (first_problem && !w->o->quiet) {
		clear_progress(w);
		fprintf(stderr, "devmemlab: kernel problem on the console (line %d): %s\n",
			r->v.quote_line, line);
	}
	if (w->o->verbose || (!w->o->quiet && r->v.stage == ST_RUN && !w->file &&
				!strstr(line, "DEVMEMLAB: ") && !verdict_is_kernel_line(line))) {
		/* workload output; kernel lines stay in the log */
		clear_progress(w);
		printf("%s\n", line);
		fflush(stdout);
	}
	progress(w, 0);
}

static pid_t spawn(char *const *argv, const struct boot_opts *o, int *out_fd)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int err = open(o->qemu_stderr ? o->qemu_stderr : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC, 0644);

		setpgid(0, 0);	/* a terminal's ^C goes to us, and we stop QEMU */
		dup2(in, 0);
		dup2(pfd[1], 1);
		if (err >= 0)
			dup2(err, 2);
		close(pfd[0]);
		execvp(argv[0], argv);
		dprintf(2, "devmemlab: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	*out_fd = pfd[0];
	return pid;
}

static void stop_qemu(pid_t pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 20; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(100000);
	}
	kill(pid, SIGKILL);
}

struct console *console_open(const struct boot_opts *o, struct boot_result *r)
{
	struct console *w = calloc(1, sizeof(*w));

	if (!w) {
		perror("devmemlab");
		exit(EXIT_INFRA);
	}
	w->o = o;
	w->r = r;
	w->tty = isatty(2);
	memset(r, 0, sizeof(*r));
	verdict_init(&r->v);
	r->init_at = -1;
	r->qemu_status = -1;
	if (o->console_log)
		w->log = fopen(o->console_log, "w");
	if (w->log)	/* whole lines as they come: `tail -f` works, tests can wait on it */
		setvbuf(w->log, NULL, _IOLBF, 0);
	w->t0 = w->last_progress = now();
	progress(w, 1);
	return w;
}

double console_elapsed(const struct console *w)
{
	return now() - w->t0;
}

void console_tick(struct console *w)
{
	progress(w, 1);
}

void console_feed(struct console *w, const char *data, size_t n)
{
	while (n) {
		size_t room = sizeof(w->buf) - 1 - w->fill;
		size_t take = n < room ? n : room;
		char *nl;

		memcpy(w->buf + w->fill, data, take);
		w->fill += take;
		w->buf[w->fill] = '\0';
		data += take;
		n -= take;
		while ((nl = memchr(w->buf, '\n', w->fill))) {
			*nl = '\0';
			handle_line(w, w->buf);
			w->fill -= nl + 1 - w->buf;
			memmove(w->buf, nl + 1, w->fill);
			w->buf[w->fill] = '\0';
		}
		if (w->fill == sizeof(w->buf) - 1) {	/* an overlong line: judge it in pieces */
			handle_line(w, w->buf);
			w->fill = 0;
		}
	}
}

void console_close(struct console *w, int timed_out)
{
	struct boot_result *r = w->r;

	if (w->fill) {
		w->buf[w->fill] = '\0';
		handle_line(w, w->buf);
	}
	r->wall = now() - w->t0;
	clear_progress(w);
	if (w->file)
		fclose(w->file);
	if (w->log)
		fclose(w->log);
	r->timed_out = timed_out;
	verdict_finish(&r->v, timed_out);
	free(w);
}

void boot_watch(char *const *argv, const struct boot_opts *o, struct boot_result *r)
{
	struct console *w = console_open(o, r);
	int fd, status = 0, timed_out = 0;
	char buf[8192];
	pid_t pid;

	pid = spawn(argv, o, &fd);
	if (pid < 0) {
		fprintf(stderr, "devmemlab: cannot start QEMU: %s\n", strerror(errno));
		console_close(w, 0);
		return;
	}
	for (;;) {
		double left = o->timeout - console_elapsed(w);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc;

		if (run_interrupted || left <= 0) {
			timed_out = !run_interrupted;
			stop_qemu(pid);
			break;
		}
		rc = poll(&pfd, 1, left > 1 ? 1000 : (int)(left * 1000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {
			console_tick(w);
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;	/* QEMU closed the console: it is exiting */
		console_feed(w, buf, n);
	}
	close(fd);
	if (waitpid(pid, &status, 0) == pid)
		r->qemu_status = status;
	else
		r->qemu_status = 0;
	console_close(w, timed_out);
}

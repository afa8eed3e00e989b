// SPDX-License-Identifier: GPL-2.0
/*
 * Boot engine: the console engine (assemble, record and judge every console
 * line, capture files, show progress) and the QEMU backend (serial console on
 * a pipe, deadline). The libvirt backend (libvirt_run.c) feeds the same engine.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "results.h"
#include "run.h"

volatile int run_interrupted;

static struct cleanup {
	char *path;
	int memory;		/* removed once the emulator has it open */
} cleanups[64];
static int ncleanup;

static void add_cleanup(const char *path, int memory)
{
	if (ncleanup < (int)(sizeof(cleanups) / sizeof(cleanups[0])))
		cleanups[ncleanup++] = (struct cleanup){ strdup(path), memory };
}

void cleanup_register(const char *path)
{
	add_cleanup(path, 0);
}

void cleanup_register_memory(const char *path)
{
	add_cleanup(path, 1);
}

static void remove_file(const char *p)
{
	if (p && unlink(p) && errno != ENOENT)
		fprintf(stderr, "devmemlab: cannot remove %s: %s\n", p, strerror(errno));
}

/* Does process pid have the file st open? */
static int has_open(pid_t pid, const struct stat *st)
{
	char dir[64], fd[64 + 256];
	struct dirent *e;
	struct stat fst;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d && !found && (e = readdir(d))) {
		snprintf(fd, sizeof(fd), "%s/%s", dir, e->d_name);
		found = e->d_name[0] != '.' && !stat(fd, &fst) &&
			fst.st_dev == st->st_dev && fst.st_ino == st->st_ino;
	}
	if (d)
		closedir(d);
	return found;
}

int cleanup_memory_opened(pid_t pid)
{
	int waiting = 0;

	for (int i = 0; i < ncleanup; i++) {
		struct cleanup *c = &cleanups[i];
		struct stat st;

		if (!c->memory || !c->path)
			continue;
		if (pid && (stat(c->path, &st) || !has_open(pid, &st))) {
			waiting++;
			continue;
		}
		remove_file(c->path);
		c->memory = 0;		/* done; cleanup_run finds it gone */
	}
	return waiting;
}

void cleanup_run(void)
{
	while (ncleanup > 0) {
		char *p = cleanups[--ncleanup].path;

		remove_file(p);
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
	/* a reader that went away is noticed by console_stop_due, not by dying mid-write */
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup_run);
}

/*
 * In a child after fork: die with the launcher, even of SIGKILL. The
 * launcher may be gone already (then getppid() is no longer parent).
 */
static void die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
}

/* The reader of our stdout or stderr went away (`| head`): a pipe with no reader polls POLLERR. */
static int output_gone(void)
{
	struct pollfd p[2] = { { .fd = 1 }, { .fd = 2 } };

	return poll(p, 2, 0) > 0 && ((p[0].revents | p[1].revents) & POLLERR);
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
	double fatal_at;	/* when the first fatal kernel problem came, <0 = none */
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
	int first_problem, oom_seen;

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

	oom_seen = r->v.oom_line;	/* 0 until the first OOM kill or allocation failure */
	first_problem = verdict_feed(&r->v, line);
	if (r->v.fatal && w->fatal_at < 0)
		w->fatal_at = now();
	if (first_problem && !w->o->quiet) {
		clear_progress(w);
		fprintf(stderr, "devmemlab: kernel problem on the console (%s, line %d): %s\n",
			r->v.problem, r->v.quote_line, line);
	}
	if (!oom_seen && r->v.oom_line && !w->o->quiet) {
		clear_progress(w);
		fprintf(stderr, "devmemlab: out of memory (line %d): %s\n", r->v.oom_line, line);
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
	pid_t pid, parent = getpid();
	int pfd[2];

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int err = open(o->qemu_stderr ? o->qemu_stderr : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC, 0644);

		die_with_parent(parent);
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
	w->fatal_at = -1;
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

int console_stop_due(struct console *w)
{
	if (!run_interrupted && output_gone())
		run_interrupted = SIGPIPE;	/* an interruption: QEMU stopped, files removed */
	if (run_interrupted)
		return 1;
	if (w->fatal_at >= 0 && now() - w->fatal_at >= KERNEL_GRACE)
		w->r->stopped_early = 1;
	else if (console_elapsed(w) >= w->o->timeout)
		w->r->timed_out = 1;
	return w->r->stopped_early || w->r->timed_out;
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

void console_close(struct console *w)
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
	verdict_finish(&r->v, r->timed_out);
	free(w);
}

void boot_watch(char *const *argv, const struct boot_opts *o, struct boot_result *r)
{
	struct console *w = console_open(o, r);
	int fd, status = 0, memory;
	char buf[8192];
	pid_t pid;

	pid = spawn(argv, o, &fd);
	if (pid < 0) {
		fprintf(stderr, "devmemlab: cannot start QEMU: %s\n", strerror(errno));
		console_close(w);
		return;
	}
	memory = cleanup_memory_opened(pid);
	for (;;) {
		double left = o->timeout - console_elapsed(w);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc;

		if (console_stop_due(w)) {
			stop_qemu(pid);
			break;
		}
		/* lab memory waits for QEMU to open it: look often until then */
		rc = poll(&pfd, 1, memory ? 20 : left > 1 ? 1000 : (int)(left * 1000) + 1);
		if (memory)
			memory = cleanup_memory_opened(pid);
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
	console_close(w);
}

int boot_shell(char *const *argv)
{
	pid_t pid, parent = getpid();
	int st = 0;

	pid = fork();
	if (pid == 0) {
		die_with_parent(parent);
		execvp(argv[0], argv);
		fprintf(stderr, "devmemlab: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	signal(SIGINT, SIG_IGN);	/* ^C belongs to the guest's shell */
	while (pid > 0 && cleanup_memory_opened(pid) && waitpid(pid, &st, WNOHANG) == 0)
		usleep(20000);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return pid > 0 && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : EXIT_INFRA;
}

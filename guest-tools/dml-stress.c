// SPDX-License-Identifier: GPL-2.0
/*
 * dml-stress: every command of /dev/devmemlabN at once, from threads of one
 * process, for a bounded time, reproducible from the seed it prints.
 *
 * Theory of operation: each worker thread owns a 4 MiB buffer of known
 * contents and two device files, and picks at random: allocate or free a
 * folio, migrate its buffer to the device or back, read it (CPU faults),
 * mmap and munmap the device's BAR, close and reopen a file (its folios go
 * with it), fork a child that checks the buffer, evict, scan, run the
 * checker, the copy ceiling. The main thread switches fault-injection
 * modes on for a few milliseconds at a time. Migrations and page faults
 * take mmap_lock while the file's ioctls, mmap and release run beside
 * them: any lock taken in both orders hangs here within seconds.
 * At the end: every buffer verified, the checker clean, every order-9
 * block allocatable. Errnos outside each command's documented ones count
 * as errors.
 * Usage: dml-stress [-d DEV] [-s SEED] [-t SECONDS] [-j THREADS] [-f MODES] [-x OPS] [-c] [-u]
 *   MODES: the fault-injection modes to switch, a bit mask of 1 << mode
 *          (DML_FI_ENGINE_NOWAIT only on a device with a copy engine)
 *   (default: all; 0: none); -x OPS leaves commands out, a mask of
 *   1 << (alloc 0, free 1, to_dev 2, to_sys 3, read 4, mmap 5, reopen 6,
 *   fork 7, evict 8, scan 9, check 10, kcopy 11); -c: every migration
 *   asks for whole folios (MIGRATE_VMA_SELECT_COMPOUND); -u: forks beside
 *   the other commands, not serialized (the known kernel issue below)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/wait.h>

#include "dml.h"

#define MB (1ul << 20)
#define BUF (4 * MB)
#define NHELD 64

enum op { OP_ALLOC, OP_FREE, OP_TO_DEV, OP_TO_SYS, OP_READ, OP_MMAP, OP_REOPEN, OP_FORK,
	  OP_EVICT, OP_SCAN, OP_CHECK, OP_KCOPY, OP_N };
static const char *const op_names[OP_N] = {
	"alloc", "free", "to_dev", "to_sys", "read", "mmap", "reopen", "fork",
	"evict", "scan", "check", "kcopy",
};

static const char *dev = "/dev/devmemlab0";
static uint64_t seed;
static unsigned int skip_ops;	/* -x: commands left out, 1 << enum op */
static int whole_folios;	/* -c: migrations always compound (no splits by the core) */
static volatile int stop;
static unsigned long ops[OP_N], errors, mismatches, modes[DML_FI_COUNT];

struct worker {
	pthread_t t;
	int id;
	uint64_t rng, tag;
	int fd[2];
	char *buf;
	struct { int fd; uint64_t off; unsigned int order; } held[NHELD];
	int nheld;
};

static void error(struct worker *w, enum op op, int r)
{
	if (__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED) < 10)
		printf("# worker %d: %s: unexpected %s (seed %llu)\n", w->id, op_names[op],
		       strerror(-r), (unsigned long long)seed);
}

/* errnos a command may return under fault injection and contention */
static void expect(struct worker *w, enum op op, int r, int ok1, int ok2)
{
	if (r && r != -ok1 && r != -ok2)
		error(w, op, r);
}

static void drop_held(struct worker *w, int fd)
{
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].fd == fd)
			w->held[i--] = w->held[--w->nheld];
}

static void verify(struct worker *w)
{
	if (dml_verify_at(w->buf, 0, BUF, w->tag))
		__atomic_add_fetch(&mismatches, 1, __ATOMIC_RELAXED);
}

/*
 * While a forked child lives it maps every worker's buffer, copy-on-write;
 * other workers' migrations would then split device THPs under its PMDs,
 * the known 7.3.4 issue dml-harden fsplit.ioctl asserts on its own. A fork
 * has the other commands wait until its child is gone.
 */
static pthread_rwlock_t fork_lock = PTHREAD_RWLOCK_INITIALIZER;
static int fork_free;	/* -u: forks not serialized (reproduces that issue) */

static void step(struct worker *w)
{
	enum op op = dml_rand(&w->rng) % OP_N;

	if (skip_ops & (1u << op))
		return;
	if (op == OP_FORK && !fork_free)
		pthread_rwlock_wrlock(&fork_lock);
	else
		pthread_rwlock_rdlock(&fork_lock);
	int fd = w->fd[dml_rand(&w->rng) & 1];
	struct dml_scan sc = { .npages = 512 };
	struct dml_kcopy k = { .bytes = 2 * MB };
	struct dml_check c;
	uint64_t at;
	unsigned int order;
	pid_t pid;
	void *p;
	int r = 0, i;

	switch (op) {
	case OP_ALLOC:
		order = dml_rand(&w->rng) % 10;
		if (w->nheld == NHELD)
			break;
		r = dml_alloc(fd, DML_ANY_OFFSET, order, &at);
		if (!r)
			w->held[w->nheld++] = (typeof(w->held[0])){ fd, at, order };
		expect(w, op, r, ENOSPC, ENOMEM);
		break;
	case OP_FREE:
		if (!w->nheld)
			break;
		i = dml_rand(&w->rng) % w->nheld;
		r = dml_free(w->held[i].fd, w->held[i].off, w->held[i].order);
		w->held[i] = w->held[--w->nheld];
		expect(w, op, r, 0, 0);
		break;
	case OP_TO_DEV:
	case OP_TO_SYS:
		r = dml_migrate(fd, op == OP_TO_DEV ? DML_IOC_TO_DEV : DML_IOC_TO_SYS, w->buf,
				BUF, whole_folios || (dml_rand(&w->rng) & 1), NULL);
		expect(w, op, r, ENOMEM, 0);
		if (op == OP_TO_SYS)
			verify(w);
		break;
	case OP_READ:
		verify(w);
		break;
	case OP_MMAP:
		p = mmap(NULL, 2 * MB, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			error(w, op, -errno);
		else
			munmap(p, 2 * MB);
		break;
	case OP_REOPEN:
		i = dml_rand(&w->rng) & 1;
		drop_held(w, w->fd[i]);
		close(w->fd[i]);
		w->fd[i] = open(dev, O_RDWR | O_CLOEXEC);
		if (w->fd[i] < 0) {
			error(w, op, -errno);
			stop = 1;
		}
		break;
	case OP_FORK:
		pid = fork();
		if (pid == 0)
			_exit(!!dml_verify_at(w->buf, 0, BUF, w->tag));
		if (pid < 0 || waitpid(pid, &r, 0) != pid || !WIFEXITED(r) || WEXITSTATUS(r))
			__atomic_add_fetch(&mismatches, 1, __ATOMIC_RELAXED);
		r = 0;
		break;
	case OP_EVICT:
		r = dml_ioctl(fd, DML_IOC_EVICT, NULL);
		expect(w, op, r, EBUSY, 0);
		break;
	case OP_SCAN:
		sc.offset = (dml_rand(&w->rng) % 64) * 512;
		r = dml_ioctl(fd, DML_IOC_SCAN, &sc);
		expect(w, op, r, EBUSY, 0);
		break;
	case OP_CHECK:	/* not quiescent: only that it runs */
		r = dml_ioctl(fd, DML_IOC_CHECK, &c);
		expect(w, op, r, 0, 0);
		break;
	case OP_KCOPY:
		r = dml_ioctl(fd, DML_IOC_KCOPY, &k);
		expect(w, op, r, EBUSY, ENOMEM);
		break;
	default:
		break;
	}
	pthread_rwlock_unlock(&fork_lock);
	__atomic_add_fetch(&ops[op], 1, __ATOMIC_RELAXED);
	/* new contents now and then, so stale device data would show */
	if (op == OP_READ && !(dml_rand(&w->rng) % 4)) {
		w->tag = dml_rand(&w->rng);
		dml_fill(w->buf, BUF, w->tag);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!stop)
		step(w);
	return NULL;
}

static void msleep(unsigned int ms)
{
	usleep(ms * 1000);
}

int main(int argc, char **argv)
{
	unsigned int secs = 60, nthreads = 4, bad_blocks, fmask = ~0u;
	struct worker *w;
	unsigned long total = 0;
	uint64_t rng, nblocks, n = 0, at, *blocks;
	int opt, fd;
	double t0;

	seed = (uint64_t)time(NULL) ^ getpid();
	while ((opt = getopt(argc, argv, "d:s:t:j:f:x:cu")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': secs = strtoul(optarg, NULL, 0); break;
		case 'j': nthreads = strtoul(optarg, NULL, 0); break;
		case 'f': fmask = strtoul(optarg, NULL, 0); break;
		case 'x': skip_ops = strtoul(optarg, NULL, 0); break;
		case 'c': whole_folios = 1; break;
		case 'u': fork_free = 1; break;
		default:
			fprintf(stderr, "usage: dml-stress [-d DEV] [-s SEED] [-t SECONDS] [-j THREADS] [-f MODES] [-x OPS] [-c] [-u]\n");
			return 2;
		}
	}
	if (!seed || !secs || !nthreads || nthreads > 64) {
		fprintf(stderr, "dml-stress: SEED and SECONDS must be > 0, THREADS 1..64\n");
		return 2;
	}
	fd = dml_open_dev(dev);
	/* only an engine has something to time out */
	if (!dml_get_stats(fd).engine)
		fmask &= ~(1u << DML_FI_ENGINE_NOWAIT);
	ktap_header(4);
	printf("# seed %llu, %u s, %u threads on %s, fault modes %#x\n", (unsigned long long)seed, secs,
	       nthreads, dev, fmask);
	fflush(stdout);
	w = calloc(nthreads, sizeof(*w));
	if (!w)
		return 1;
	for (unsigned int i = 0; i < nthreads; i++) {
		w[i].id = i;
		w[i].rng = seed + i + 1;
		w[i].tag = dml_rand(&w[i].rng);
		w[i].buf = dml_buffer(BUF, 1);
		w[i].fd[0] = dml_open_dev(dev);
		w[i].fd[1] = dml_open_dev(dev);
		if (!w[i].buf)
			return 1;
		dml_fill(w[i].buf, BUF, w[i].tag);
		pthread_create(&w[i].t, NULL, worker_main, &w[i]);
	}
	/* fault injection, a few milliseconds at a time: faults spin while it lasts */
	rng = seed;
	t0 = dml_now();
	while (!stop && dml_now() - t0 < secs) {
		msleep(20 + dml_rand(&rng) % 80);
		if (dml_rand(&rng) % 2) {
			unsigned int mode = 1 + dml_rand(&rng) % (DML_FI_COUNT - 1);
			int counted = mode == DML_FI_FAIL_SYS_ALLOC || mode == DML_FI_FAIL_DEV_ALLOC;

			if (!(fmask & (1u << mode)))
				continue;
			if (dml_set_fault(fd, mode, counted ? 1 + dml_rand(&rng) % 50 : 0)) {
				printf("# fault mode %u refused (seed %llu)\n", mode,
				       (unsigned long long)seed);
				errors++;
			}
			modes[mode]++;
			msleep(5 + dml_rand(&rng) % 20);
			dml_set_fault(fd, DML_FI_NONE, 0);
		}
	}
	stop = 1;
	for (unsigned int i = 0; i < nthreads; i++) {
		pthread_join(w[i].t, NULL);
		verify(&w[i]);
		close(w[i].fd[0]);
		close(w[i].fd[1]);
		munmap(w[i].buf, BUF);
	}
	for (int i = 0; i < OP_N; i++) {
		printf("# %-7s %lu\n", op_names[i], ops[i]);
		total += ops[i];
	}
	for (int i = 1; i < DML_FI_COUNT; i++)
		printf("# fault mode %d set %lu times\n", i, modes[i]);
	ktap_result(!errors, "stress: %lu commands from %u threads in %.0f s, fault modes switched on and off (seed %llu): %lu unexpected errors",
		    total, nthreads, dml_now() - t0, (unsigned long long)seed, errors);
	ktap_result(!mismatches, "stress: every buffer verified after migrations, faults and forks: %lu mismatches",
		    mismatches);
	for (int i = 0; i < 500 && dml_get_stats(fd).live_pages; i++)
		msleep(10);
	ktap_result(dml_get_stats(fd).live_pages == 0 && dml_run_check(fd, NULL) == 0,
		    "stress: at the end no page is live and the checker is clean");
	nblocks = dml_get_stats(fd).npages / 512;
	blocks = calloc(nblocks, sizeof(*blocks));
	while (blocks && n < nblocks && !dml_alloc(fd, DML_ANY_OFFSET, 9, &at))
		blocks[n++] = at;
	bad_blocks = nblocks - n;
	while (n)
		dml_free(fd, blocks[--n], 9);
	free(blocks);
	ktap_result(!bad_blocks, "stress: every order-9 block allocatable at the end (%u not)",
		    bad_blocks);
	free(w);
	close(fd);
	return ktap_exit();
}

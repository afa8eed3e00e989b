// SPDX-License-Identifier: GPL-2.0
/*
 * dml-engine: migration through the accelerator's DMA engine, and what
 * must hold when the engine fails or stalls. One kselftest-harness test
 * per case; on a device without an engine (ivshmem) every test but
 * no_engine is skipped.
 *
 * Theory of operation: the engine's debug registers (DML_IOC_ENGINE) fail
 * descriptors, poison device memory and stall the engine. The module's
 * witness (struct dml_stats.dma_busy_frees) reads the device's ring from
 * its HEAD on whenever a device folio is freed or re-allocated: it must
 * stay 0, and nowait_witness shows it does count (a fault mode releases
 * pages with their DMA still queued). Every test ends with the checker
 * clean and every page free.
 *   round_trip      order 9 and 0, a zero-filled hole, CPU fault-back:
 *                   every byte, and the engine did the copies
 *   error_to_dev    an engine error fails sys->dev: EIO, nothing moved,
 *                   the data intact in system memory; then it moves
 *   error_to_sys    the same dev->sys: the pages stay on the device
 *   poison          copies from poisoned device memory fail: a CPU fault
 *                   gets SIGBUS, eviction EBUSY; unpoisoned, all intact
 *   stall_resume    the engine stalls under a migration and a fault-back
 *                   while churn re-allocates the rest of the device;
 *                   resumed, everything completes intact, witness 0
 *   stall_timeout   a stall longer than engine_timeout_ms: the migration
 *                   fails with ETIMEDOUT, nothing moved, the engine reset;
 *                   a fault-back behind a stall is retried and completes
 *   nowait_witness  DML_FI_ENGINE_NOWAIT: the witness counts the folios
 *                   freed with a DMA still queued on them
 *   no_engine       DML_IOC_ENGINE is ENODEV exactly without an engine
 *   known_fork_exit a forked child exits while the parent's migration of
 *                   their shared device THP waits on the engine: a known
 *                   7.3.4 issue, run alone (DML_KNOWN_FORK_EXIT=1)
 * Usage: dml-engine [kselftest harness options, e.g. -t poison]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "dml.h"

#define DEV "/dev/devmemlab0"
#define TIMEOUT_PARAM "/sys/module/devmemlab/parameters/engine_timeout_ms"
#define MB (1ul << 20)

static int engine_op(int fd, unsigned int op, unsigned int arg, uint64_t off, uint64_t len)
{
	struct dml_engine e = { .op = op, .arg = arg, .off = off, .len = len };

	return dml_ioctl(fd, DML_IOC_ENGINE, &e);
}

static int engine_clear(int fd)
{
	return engine_op(fd, DML_ENG_STALL, 0, 0, 0) | engine_op(fd, DML_ENG_FAIL, 0, 0, 0) |
	       engine_op(fd, DML_ENG_POISON, 0, 0, 0);
}

static int set_timeout_ms(unsigned int ms)
{
	FILE *f = fopen(TIMEOUT_PARAM, "w");
	int ok;

	if (!f)
		return 0;
	ok = fprintf(f, "%u\n", ms) > 0;
	return fclose(f) == 0 && ok;
}

static unsigned int get_timeout_ms(void)
{
	FILE *f = fopen(TIMEOUT_PARAM, "r");
	unsigned int ms = 10000;

	if (f) {
		if (fscanf(f, "%u", &ms) != 1)
			ms = 10000;
		fclose(f);
	}
	return ms;
}

FIXTURE(engine) {
	int fd;
	unsigned int timeout_ms;
	struct dml_stats s;	/* at the start */
};

FIXTURE_SETUP(engine)
{
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "%s: %s (devmemlab not loaded?)", DEV, strerror(errno));
	self->s = dml_get_stats(self->fd);
	if (!self->s.engine)
		SKIP(return, "this device copies with the CPU: no engine");
	self->timeout_ms = get_timeout_ms();
	dml_set_fault(self->fd, DML_FI_NONE, 0);
	ASSERT_EQ(0, engine_clear(self->fd));
}

FIXTURE_TEARDOWN(engine)
{
	if (self->fd < 0)
		return;
	if (self->s.engine) {
		engine_clear(self->fd);
		dml_set_fault(self->fd, DML_FI_NONE, 0);
		set_timeout_ms(self->timeout_ms);
	}
	close(self->fd);
}

/* The end of every test: every page free, checker clean, the witness 0. */
#define ASSERT_ENGINE_CLEAN(self) do {					\
	struct dml_stats e_;						\
	ASSERT_TRUE(dml_wait_live((self)->fd, 0));			\
	ASSERT_EQ(0, dml_run_check((self)->fd, NULL));			\
	e_ = dml_get_stats((self)->fd);					\
	ASSERT_EQ((self)->s.dma_busy_frees, e_.dma_busy_frees);	\
} while (0)

/* A migration that must move all of [p, p + len) (order 9 where possible). */
#define ASSERT_MIGRATES(self, cmd, p, len) do {			\
	uint64_t m_ = 0;						\
	ASSERT_EQ(0, dml_migrate((self)->fd, cmd, p, len, 1, &m_));	\
	ASSERT_EQ((len) / 4096, m_);					\
} while (0)

/* A migration that must fail with -@err and move nothing (order 9). */
#define ASSERT_MIGRATE_FAILS(self, cmd, p, len, err) do {		\
	uint64_t m_ = 1;						\
	ASSERT_EQ(-(err), dml_migrate((self)->fd, cmd, p, len, 1, &m_));\
	ASSERT_EQ(0, m_);						\
} while (0)

static char *filled(size_t len, int huge, uint64_t tag)
{
	char *p = dml_buffer(len, huge);

	if (p)
		dml_fill(p, len, tag);
	return p;
}

TEST_F(engine, round_trip)
{
	const size_t len = 8 * MB;
	uint64_t moved, descs;
	size_t nonzero = 0;

	for (int compound = 1; compound >= 0; compound--) {
		char *p = filled(len, compound, 0x5100 + compound);

		ASSERT_NE(NULL, p);
		/* the last 2 MiB never touched: zero-filled on the device */
		madvise(p + len - 2 * MB, 2 * MB, MADV_DONTNEED);
		descs = dml_get_stats(self->fd).engine_descs;
		ASSERT_EQ(0, dml_migrate(self->fd, DML_IOC_TO_DEV, p, len, compound, &moved));
		ASSERT_EQ(len / 4096, moved);
		EXPECT_LT(descs, dml_get_stats(self->fd).engine_descs);
		ASSERT_EQ(0, dml_run_check(self->fd, NULL));
		/* the first half by the ioctl, the rest by CPU faults */
		ASSERT_EQ(0, dml_migrate(self->fd, DML_IOC_TO_SYS, p, len / 2, compound, &moved));
		ASSERT_EQ(len / 2 / 4096, moved);
		ASSERT_EQ(0, dml_verify(p, len - 2 * MB, 0x5100 + compound));
		for (size_t i = len - 2 * MB; i < len; i++)
			nonzero += !!p[i];
		ASSERT_EQ(0, nonzero);
		munmap(p, len);
	}
	ASSERT_ENGINE_CLEAN(self);
}

TEST_F(engine, error_to_dev)
{
	const size_t len = 4 * MB;
	char *p = filled(len, 1, 0x5200);
	struct dml_stats a;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_FAIL, 1, 0, 0));
	ASSERT_MIGRATE_FAILS(self, DML_IOC_TO_DEV, p, len, EIO);
	ASSERT_TRUE(dml_wait_live(self->fd, 0));
	a = dml_get_stats(self->fd);
	ASSERT_EQ(self->s.engine_errors + 1, a.engine_errors);
	/* in system memory: reading it faults nothing back */
	ASSERT_EQ(0, dml_verify(p, len, 0x5200));
	ASSERT_EQ(a.faults, dml_get_stats(self->fd).faults);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len);
	ASSERT_EQ(0, dml_verify(p, len, 0x5200));
	munmap(p, len);
	ASSERT_ENGINE_CLEAN(self);
}

TEST_F(engine, error_to_sys)
{
	const size_t len = 4 * MB;
	char *p = filled(len, 1, 0x5300);

	ASSERT_NE(NULL, p);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len);
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_FAIL, 1, 0, 0));
	ASSERT_MIGRATE_FAILS(self, DML_IOC_TO_SYS, p, len, EIO);
	ASSERT_EQ(len / 4096, dml_get_stats(self->fd).live_pages);
	ASSERT_EQ(0, dml_run_check(self->fd, NULL));
	ASSERT_MIGRATES(self, DML_IOC_TO_SYS, p, len);
	ASSERT_EQ(0, dml_verify(p, len, 0x5300));
	munmap(p, len);
	ASSERT_ENGINE_CLEAN(self);
}

TEST_F(engine, poison)
{
	const size_t len = 4 * MB;
	char *p = filled(len, 1, 0x5400);

	ASSERT_NE(NULL, p);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len);
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_POISON, 0, 0, self->s.npages * 4096));
	EXPECT_TRUE(dml_child_sigbus(p + MB));
	ASSERT_EQ(-EBUSY, dml_ioctl(self->fd, DML_IOC_EVICT, NULL));
	ASSERT_EQ(len / 4096, dml_get_stats(self->fd).live_pages);
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_POISON, 0, 0, 0));
	ASSERT_EQ(0, dml_verify(p, len, 0x5400));
	munmap(p, len);
	ASSERT_ENGINE_CLEAN(self);
}

/*
 * stall_resume: the threads that wait on the stalled engine. They exist
 * before the stall: a migration holds mmap_lock while it waits for its
 * copy (every migrate_vma driver does), and creating a thread (its stack
 * is an mmap) would wait for it.
 */
struct waiter {
	volatile int go;
	int fd;
	unsigned long cmd;	/* migrate_waiter: DML_IOC_TO_DEV or DML_IOC_TO_SYS */
	char *p;
	size_t len;
	uint64_t tag;
	int ret;
	uint64_t moved;
	size_t bad;
};

static void waiter_start(struct waiter *w)
{
	while (!w->go)
		usleep(1000);
}

static void *migrate_waiter(void *arg)
{
	struct waiter *w = arg;

	waiter_start(w);
	w->ret = dml_migrate(w->fd, w->cmd, w->p, w->len, 1, &w->moved);
	return NULL;
}

static void *fault_waiter(void *arg)
{
	struct waiter *w = arg;

	waiter_start(w);
	w->bad = dml_verify(w->p, w->len, w->tag);
	return NULL;
}

/* Allocate and free at random orders and offsets for @ms; allocations made. */
static unsigned long churn_for(int fd, unsigned int ms, uint64_t seed)
{
	double end = dml_now() + ms / 1000.0;
	uint64_t npages = dml_get_stats(fd).npages, held[64], at;
	unsigned int order[64], n = 0;
	unsigned long allocs = 0;

	while (dml_now() < end) {
		uint64_t r = dml_rand(&seed);
		unsigned int o = r % 10;
		uint64_t off = (r >> 8) % npages & ~((1ull << o) - 1);

		if (n == 64 || (n && r % 3 == 0)) {
			n--;
			dml_free(fd, held[n], order[n]);
			continue;
		}
		if (!dml_alloc(fd, r % 5 ? off : DML_ANY_OFFSET, o, &at)) {
			held[n] = at;
			order[n++] = o;
			allocs++;
		}
	}
	while (n--)
		dml_free(fd, held[n], order[n]);
	return allocs;
}

TEST_F(engine, stall_resume)
{
	const size_t len = 8 * MB;
	struct waiter m = { .fd = self->fd, .cmd = DML_IOC_TO_DEV, .len = len, .tag = 0x5500 };
	struct waiter f = { .fd = self->fd, .len = len, .tag = 0x5501 };
	pthread_t tm, tf;
	unsigned long allocs;
	double t;

	m.p = filled(len, 1, m.tag);
	f.p = filled(len, 1, f.tag);
	ASSERT_NE(NULL, m.p);
	ASSERT_NE(NULL, f.p);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, f.p, len);
	ASSERT_TRUE(set_timeout_ms(20000));
	ASSERT_EQ(0, pthread_create(&tm, NULL, migrate_waiter, &m));
	ASSERT_EQ(0, pthread_create(&tf, NULL, fault_waiter, &f));
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_STALL, 1, 0, 0));
	m.go = 1;
	usleep(100 * 1000);
	f.go = 1;
	/* both wait on the engine; the rest of the device is re-allocated meanwhile */
	t = dml_now();
	allocs = churn_for(self->fd, 1500, 0x5502);
	TH_LOG("%lu allocations in %.2f s while the engine stalled", allocs, dml_now() - t);
	EXPECT_LT(100, allocs);
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_STALL, 0, 0, 0));
	t = dml_now();
	pthread_join(tm, NULL);
	pthread_join(tf, NULL);
	TH_LOG("both done %.2f s after the engine resumed", dml_now() - t);
	ASSERT_EQ(0, m.ret);
	ASSERT_EQ(len / 4096, m.moved);
	ASSERT_EQ(0, f.bad);
	ASSERT_EQ(self->s.engine_timeouts, dml_get_stats(self->fd).engine_timeouts);
	ASSERT_EQ(0, dml_verify(m.p, len, m.tag));
	munmap(m.p, len);
	munmap(f.p, len);
	ASSERT_ENGINE_CLEAN(self);
}

TEST_F(engine, stall_timeout)
{
	const size_t len = 4 * MB;
	char *p = filled(len, 1, 0x5600);
	double t;

	ASSERT_NE(NULL, p);
	ASSERT_TRUE(set_timeout_ms(500));
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_STALL, 1, 0, 0));
	t = dml_now();
	ASSERT_MIGRATE_FAILS(self, DML_IOC_TO_DEV, p, len, ETIMEDOUT);
	t = dml_now() - t;
	TH_LOG("sys->dev failed after %.2f s", t);
	EXPECT_LT(0.45, t);
	ASSERT_TRUE(dml_wait_live(self->fd, 0));
	ASSERT_EQ(self->s.engine_timeouts + 1, dml_get_stats(self->fd).engine_timeouts);
	ASSERT_EQ(0, dml_verify(p, len, 0x5600));
	/* the reset ended the stall */
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len);
	/* a CPU fault behind a stall: timed out, the engine reset, retried */
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_STALL, 1, 0, 0));
	ASSERT_EQ(0, dml_verify(p, len, 0x5600));
	ASSERT_EQ(self->s.engine_timeouts + 2, dml_get_stats(self->fd).engine_timeouts);
	munmap(p, len);
	ASSERT_ENGINE_CLEAN(self);
}

TEST_F(engine, nowait_witness)
{
	const size_t len = 2 * MB;
	char *p = filled(len, 1, 0x5700);

	ASSERT_NE(NULL, p);
	ASSERT_TRUE(set_timeout_ms(300));
	ASSERT_EQ(0, dml_set_fault(self->fd, DML_FI_ENGINE_NOWAIT, 0));
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_STALL, 1, 0, 0));
	ASSERT_MIGRATE_FAILS(self, DML_IOC_TO_DEV, p, len, ETIMEDOUT);
	/* the destination folio went back to the allocator under a queued descriptor */
	ASSERT_LT(self->s.dma_busy_frees, dml_get_stats(self->fd).dma_busy_frees);
	ASSERT_EQ(0, dml_set_fault(self->fd, DML_FI_NONE, 0));
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_STALL, 0, 0, 0));
	/* the next copy resets the engine first: then all is well again */
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len);
	ASSERT_EQ(0, dml_verify(p, len, 0x5700));
	munmap(p, len);
	ASSERT_TRUE(dml_wait_live(self->fd, 0));
	ASSERT_EQ(0, dml_run_check(self->fd, NULL));
	self->s = dml_get_stats(self->fd);	/* what the teardown compares with */
}

/*
 * known_fork_exit (a known 7.3.4 issue, skipped unless DML_KNOWN_FORK_EXIT=1;
 * tests/known-issues.sh runs it alone): a forked child maps the parent's
 * device THP; the parent's DML_IOC_TO_SYS waits on the stalled engine with
 * both PMDs already turned into migration entries (migrate_vma_setup()
 * unmapped the child's too, dropping its mapping and reference); the child
 * exits then.
 * 7.3.4's zap_huge_pmd_folio() takes the folio, not the entry, for a
 * device-private mapping and drops that mapping and reference again: the
 * device folio is freed (and uncharged) under the migration, whose system
 * copy then reaches the LRU without a memcg and folio_lruvec_lock_irqsave()
 * spins forever. Fixed, the migration completes and the data is intact.
 */
TEST_F(engine, known_fork_exit)
{
	struct waiter m = { .fd = self->fd, .cmd = DML_IOC_TO_SYS, .len = 2 * MB, .tag = 0x5800 };
	int go[2], st = 0;
	pthread_t tm;
	pid_t child;
	char c = 0;

	if (!getenv("DML_KNOWN_FORK_EXIT"))
		SKIP(return, "a known kernel issue, run alone: DML_KNOWN_FORK_EXIT=1 dml-engine -t known_fork_exit");
	m.p = filled(m.len, 1, m.tag);
	ASSERT_NE(NULL, m.p);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, m.p, m.len);
	ASSERT_EQ(0, pipe(go));
	child = fork();
	if (child == 0) {
		/* maps the device THP (fork copies the PMD), exits when told */
		_exit(read(go[0], &c, 1) != 1);
	}
	ASSERT_LT(0, child);
	ASSERT_TRUE(set_timeout_ms(20000));
	ASSERT_EQ(0, pthread_create(&tm, NULL, migrate_waiter, &m));
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_STALL, 1, 0, 0));
	m.go = 1;
	usleep(500 * 1000);	/* the migration waits on the engine */
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(child, waitpid(child, &st, 0));
	ASSERT_EQ(0, engine_op(self->fd, DML_ENG_STALL, 0, 0, 0));
	pthread_join(tm, NULL);
	TH_LOG("DML_IOC_TO_SYS beside the child's exit: %d, %llu pages moved", m.ret,
	       (unsigned long long)m.moved);
	EXPECT_EQ(0, m.ret);
	EXPECT_EQ(0, dml_verify(m.p, m.len, m.tag));
	close(go[0]);
	close(go[1]);
	munmap(m.p, m.len);
	ASSERT_ENGINE_CLEAN(self);
}

TEST(no_engine)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);
	struct dml_engine e = { .op = DML_ENG_FAIL };
	struct dml_stats s;

	if (fd < 0)
		SKIP(return, "%s: %s", DEV, strerror(errno));
	s = dml_get_stats(fd);
	ASSERT_EQ(s.engine ? 0 : -ENODEV, dml_ioctl(fd, DML_IOC_ENGINE, &e));
	e.op = 99;
	ASSERT_EQ(s.engine ? -EINVAL : -ENODEV, dml_ioctl(fd, DML_IOC_ENGINE, &e));
	if (s.engine) {
		e = (struct dml_engine){ .op = DML_ENG_POISON, .off = s.npages * 4096, .len = 1 };
		ASSERT_EQ(-EINVAL, dml_ioctl(fd, DML_IOC_ENGINE, &e));
		ASSERT_EQ(-EINVAL, dml_set_fault(fd, DML_FI_COUNT, 0));
	} else {
		ASSERT_EQ(-EINVAL, dml_set_fault(fd, DML_FI_ENGINE_NOWAIT, 0));
	}
	close(fd);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * dml-coherent: devmemlab's MEMORY_DEVICE_COHERENT mode (module parameter
 * coherent=1). Coherent device pages are mapped in user page tables like
 * system memory: the CPU reads and writes them in place, no fault brings
 * them back. One kselftest-harness test per case; without coherent=1 every
 * test is skipped. Where a page lives is read from /proc/self/pagemap (its
 * PFN inside or outside the device's, struct dml_stats.base_pfn).
 *   order9_round_trip  a THP-backed 4 MiB buffer to the device as order-9
 *                      folios and back (DML_IOC_TO_SYS): every byte, in
 *                      place in between
 *   order0_round_trip  the same with order-0 pages
 *   in_place           CPU reads and writes on coherent pages: no
 *                      migrate_to_ram, the pages stay on the device
 *   evict              DML_IOC_EVICT with coherent pages mapped: all back
 *                      in system memory, intact
 *   rmmod_mapped       rmmod with coherent pages mapped: eviction, data
 *                      intact; loaded again (coherent=1, the same range=
 *                      if any), all memory free
 *   order9_whole       DML_IOC_TO_SYS brings PMD-mapped order-9 coherent
 *                      folios back whole, by PFN (7.3.4's migrate_vma
 *                      collects a present huge PMD only for SELECT_SYSTEM,
 *                      and could then split it: known_split): no split, an
 *                      order-9 system folio each, pagemap shows it; half a
 *                      folio's range leaves it on the device
 *   gup_race           the seed's race on coherent pages: threads take
 *                      GUP-fast references (vmsplice into a pipe), remote
 *                      GUP (process_vm_readv) and query pages (pagemap,
 *                      move_pages) of a buffer that migrates to the device
 *                      and back (order 0), while another thread
 *                      allocates and frees device folios of random orders
 *                      over the blocks just freed: every byte read intact,
 *                      checker clean
 *   longterm_order0    FOLL_LONGTERM pins (io_uring fixed buffers) of
 *                      order-0 coherent pages: the kernel migrates them to
 *                      system memory first (coherent memory must stay
 *                      unpinnable), intact, and the device pages are freed
 *   known_longterm_large  (skipped unless DML_COHERENT_LONGTERM=1; run
 *                      alone) the same over an order-9 coherent folio:
 *                      migrate_device_coherent_folio() WARNs on a large
 *                      folio, a known 7.3.4 issue
 *   known_split        (skipped unless DML_COHERENT_SPLIT=1;
 *                      tests/known-issues.sh runs it alone)
 *                      DML_IOC_TO_DEV without COMPOUND over
 *                      a PMD-mapped coherent THP: the core splits it like a
 *                      system THP, a known 7.3.4 issue (kernel BUG)
 * Every test ends with the checker clean and every device page free.
 * Usage: dml-coherent [kselftest harness options]
 */
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "dml.h"

#define DEV "/dev/devmemlab0"
#define MB (1ul << 20)

/* PFN of the page at p (root reads PFNs), 0 if not present */
static uint64_t pfn_of(const void *p)
{
	int f = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (f < 0)
		return 0;
	if (pread(f, &e, sizeof(e), (uintptr_t)p / 4096 * sizeof(e)) != sizeof(e))
		e = 0;
	close(f);
	return e >> 63 ? e & ((1ull << 55) - 1) : 0;
}

/* Pages of [p, p + len) whose PFN is the device's */
static size_t on_device(const char *p, size_t len, const struct dml_stats *s)
{
	size_t n = 0;

	for (size_t off = 0; off < len; off += 4096) {
		uint64_t pfn = pfn_of(p + off);

		n += pfn >= s->base_pfn && pfn < s->base_pfn + s->npages;
	}
	return n;
}

FIXTURE(coh) {
	int fd;
	struct dml_stats s;
};

FIXTURE_SETUP(coh)
{
	self->fd = dml_open_dev(DEV);
	self->s = dml_get_stats(self->fd);
	if (!self->s.coherent)
		SKIP(return, "devmemlab is not in coherent mode (modprobe devmemlab coherent=1)");
}

FIXTURE_TEARDOWN(coh)
{
	struct dml_check c;

	if (self->fd < 0)
		return;
	EXPECT_TRUE(dml_wait_live(self->fd, 0));
	EXPECT_EQ(0, dml_run_check(self->fd, &c));
	close(self->fd);
}

#define ASSERT_MIGRATES(self, cmd, p, len, compound) do {		\
	uint64_t moved_ = 0;						\
	ASSERT_EQ(0, dml_migrate((self)->fd, cmd, p, len, compound, &moved_)); \
	ASSERT_EQ((len) / 4096, moved_);				\
} while (0)

/* Back to system memory by DML_IOC_TO_SYS: every page moved */
static int back_to_sys(FIXTURE_DATA(coh) *self, char *p, size_t len, int huge)
{
	uint64_t moved = 0;

	if (dml_migrate(self->fd, DML_IOC_TO_SYS, p, len, huge, &moved))
		return -1;
	return moved == len / 4096 ? 0 : -1;
}

static void round_trip(struct __test_metadata *_metadata, FIXTURE_DATA(coh) *self, int huge)
{
	size_t len = 4 * MB;
	char *p = dml_buffer(len, huge);
	struct dml_check c;

	ASSERT_NE(NULL, p);
	dml_fill(p, len, 0xc0);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len, huge);
	ASSERT_EQ(len / 4096, on_device(p, len, &self->s));
	ASSERT_EQ(0, dml_run_check(self->fd, &c));
	ASSERT_EQ(0, dml_verify(p, len, 0xc0));
	ASSERT_EQ(0, back_to_sys(self, p, len, huge));
	ASSERT_EQ(0, on_device(p, len, &self->s));
	ASSERT_EQ(0, dml_verify(p, len, 0xc0));
	munmap(p, len);
}

TEST_F(coh, order9_round_trip)
{
	round_trip(_metadata, self, 1);
	EXPECT_EQ(0, dml_get_stats(self->fd).order9_fallbacks - self->s.order9_fallbacks);
}

TEST_F(coh, order0_round_trip)
{
	round_trip(_metadata, self, 0);
}

TEST_F(coh, in_place)
{
	size_t len = 4 * MB;
	char *p = dml_buffer(len, 1);
	uint64_t faults;
	struct dml_check c;

	ASSERT_NE(NULL, p);
	dml_fill(p, len, 0x11);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len, 1);
	faults = dml_get_stats(self->fd).faults;
	ASSERT_EQ(0, dml_verify(p, len, 0x11));	/* reads */
	dml_fill(p, len, 0x22);			/* writes */
	ASSERT_EQ(0, dml_verify(p, len, 0x22));
	EXPECT_EQ(faults, dml_get_stats(self->fd).faults);
	ASSERT_EQ(len / 4096, on_device(p, len, &self->s));
	ASSERT_EQ(0, dml_run_check(self->fd, &c));
	ASSERT_EQ(0, back_to_sys(self, p, len, 1));
	ASSERT_EQ(0, dml_verify(p, len, 0x22));
	munmap(p, len);
}

TEST_F(coh, evict)
{
	size_t len = 8 * MB;
	char *p = dml_buffer(len, 1), *q = dml_buffer(len, 0);

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, q);
	dml_fill(p, len, 0x33);
	dml_fill(q, len, 0x44);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len, 1);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, q, len, 0);
	ASSERT_EQ(0, dml_ioctl(self->fd, DML_IOC_EVICT, NULL));
	EXPECT_EQ(0, dml_get_stats(self->fd).live_pages);
	ASSERT_EQ(0, on_device(p, len, &self->s) + on_device(q, len, &self->s));
	ASSERT_EQ(0, dml_verify(p, len, 0x33));
	ASSERT_EQ(0, dml_verify(q, len, 0x44));
	munmap(p, len);
	munmap(q, len);
}

TEST_F(coh, rmmod_mapped)
{
	size_t len = 8 * MB;
	char *p = dml_buffer(len, 1), range[64] = "", reload[128];
	struct dml_stats s;
	FILE *f = fopen("/sys/module/devmemlab/parameters/range", "r");

	/* loaded again as it is now: with its range=, if it serves one */
	if (f) {
		if (!fgets(range, sizeof(range), f) || !strcmp(range, "(null)\n"))
			range[0] = 0;
		range[strcspn(range, "\n")] = 0;
		fclose(f);
	}
	snprintf(reload, sizeof(reload), "modprobe devmemlab coherent=1%s%s",
		 range[0] ? " range=" : "", range);
	ASSERT_NE(NULL, p);
	dml_fill(p, len, 0x55);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len, 1);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, system("rmmod devmemlab"));
	ASSERT_EQ(0, on_device(p, len, &self->s));
	ASSERT_EQ(0, dml_verify(p, len, 0x55));
	/* a CXL type-2 device's late memdev detach must not unbind the next binding */
	ASSERT_EQ(0, system("! test -e /sys/bus/cxl/flush || echo 1 > /sys/bus/cxl/flush"));
	ASSERT_EQ(0, system(reload));
	self->fd = dml_open_dev(DEV);
	s = dml_get_stats(self->fd);
	ASSERT_EQ(1, s.coherent);
	ASSERT_EQ(s.npages, s.free_pages);
	munmap(p, len);
}

/* PMD-mapped (KPF_THP in /proc/kpageflags) at p? */
static int thp_at(const void *p)
{
	int f = open("/proc/kpageflags", O_RDONLY);
	uint64_t pfn = pfn_of(p), fl = 0;

	if (f < 0)
		return -1;
	if (pread(f, &fl, sizeof(fl), pfn * sizeof(fl)) != sizeof(fl))
		fl = 0;
	close(f);
	return !!(fl & (1ull << 22));
}

TEST_F(coh, order9_whole)
{
	size_t len = 4 * MB;
	char *p = dml_buffer(len, 1);
	uint64_t moved = 1, splits;

	ASSERT_NE(NULL, p);
	dml_fill(p, len, 0x77);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len, 1);
	splits = dml_get_stats(self->fd).splits;
	/* half of the first folio's range: it stays, whole */
	ASSERT_EQ(0, dml_migrate(self->fd, DML_IOC_TO_SYS, p, MB, 0, &moved));
	ASSERT_EQ(0, moved);
	ASSERT_EQ(len / 4096, on_device(p, len, &self->s));
	/* without COMPOUND too: the folios are moved by PFN, whole */
	ASSERT_MIGRATES(self, DML_IOC_TO_SYS, p, 2 * MB, 0);
	ASSERT_MIGRATES(self, DML_IOC_TO_SYS, p + 2 * MB, 2 * MB, 1);
	ASSERT_EQ(0, on_device(p, len, &self->s));
	EXPECT_EQ(splits, dml_get_stats(self->fd).splits);
	EXPECT_EQ(1, thp_at(p));
	EXPECT_EQ(1, thp_at(p + 2 * MB + 4096));
	ASSERT_EQ(0, dml_verify(p, len, 0x77));
	munmap(p, len);
}

struct race {
	int fd;
	char *b;
	size_t len;
	uint64_t tag;
	volatile int stop;
	uint64_t bad, gups, remote, queries, churn;
};

/* words of buf (len bytes read from offset off of the race buffer) that are wrong */
static uint64_t race_bad(const struct race *r, const char *buf, size_t off, size_t len)
{
	const uint64_t *w = (const uint64_t *)buf;
	uint64_t bad = 0;

	for (size_t i = 0; i < len / 8; i++)
		bad += w[i] != (r->tag ^ ((off / 8 + i) * 0x9e3779b97f4a7c15ull));
	return bad;
}

/* GUP-fast: vmsplice() takes references on the buffer's pages; read them back */
static void *race_vmsplice(void *arg)
{
	struct race *r = arg;
	static char buf[64 << 10];
	uint64_t seed = 1;
	int pfd[2];

	if (pipe(pfd))
		return NULL;
	while (!r->stop) {
		size_t off = dml_rand(&seed) % (r->len / sizeof(buf)) * sizeof(buf), got = 0;
		struct iovec iov = { .iov_base = r->b + off, .iov_len = sizeof(buf) };
		ssize_t n = vmsplice(pfd[1], &iov, 1, 0);

		while (n > 0 && got < (size_t)n) {
			ssize_t k = read(pfd[0], buf + got, n - got);

			if (k <= 0)
				break;
			got += k;
		}
		__atomic_add_fetch(&r->bad, race_bad(r, buf, off, got), __ATOMIC_RELAXED);
		r->gups++;
	}
	close(pfd[0]);
	close(pfd[1]);
	return NULL;
}

/* remote GUP of our own pages, and page queries: pagemap and move_pages() */
static void *race_remote(void *arg)
{
	struct race *r = arg;
	static char buf[64 << 10];
	uint64_t seed = 2;

	while (!r->stop) {
		size_t off = dml_rand(&seed) % (r->len / sizeof(buf)) * sizeof(buf);
		struct iovec lio = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct iovec rio = { .iov_base = r->b + off, .iov_len = sizeof(buf) };
		void *page = r->b + off;
		int status;

		if (process_vm_readv(getpid(), &lio, 1, &rio, 1, 0) == sizeof(buf)) {
			__atomic_add_fetch(&r->bad, race_bad(r, buf, off, sizeof(buf)), __ATOMIC_RELAXED);
			r->remote++;
		}
		(void)pfn_of(page);
		if (!syscall(__NR_move_pages, 0, 1, &page, NULL, &status, 0))
			r->queries++;
	}
	return NULL;
}

/* device folios of random orders allocated and freed over the blocks just freed */
static void *race_churn(void *arg)
{
	struct race *r = arg;
	uint64_t seed = 3, held[16], got;
	unsigned int order[16], n = 0;

	while (!r->stop) {
		if (n < 16 && dml_rand(&seed) % 2) {
			order[n] = dml_rand(&seed) % 10;
			if (!dml_alloc(r->fd, DML_ANY_OFFSET, order[n], &got))
				held[n++] = got;
		} else if (n) {
			n--;
			dml_free(r->fd, held[n], order[n]);
		}
		r->churn++;
	}
	while (n--)
		dml_free(r->fd, held[n], order[n]);
	return NULL;
}

TEST_F(coh, gup_race)
{
	struct race r = { .fd = self->fd, .len = 8 * MB, .tag = 0xabc };
	pthread_t t[3];
	double end;
	unsigned int round = 0;
	uint64_t moved, to_dev = 0;

	/*
	 * Order 0: an order-9 coherent folio a reference kept on the device
	 * would be split by the next DML_IOC_TO_DEV (known_split).
	 */
	r.b = dml_buffer(r.len, 0);
	ASSERT_NE(NULL, r.b);
	dml_fill(r.b, r.len, r.tag);
	ASSERT_EQ(0, pthread_create(&t[0], NULL, race_vmsplice, &r));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, race_remote, &r));
	ASSERT_EQ(0, pthread_create(&t[2], NULL, race_churn, &r));
	/* 5 s and 3 rounds at least: CXL type-3 memory is slow under TCG */
	for (end = dml_now() + 5; dml_now() < end || round < 3; round++) {
		/* pages the other threads hold a reference on may stay: no count */
		if (!dml_migrate(self->fd, DML_IOC_TO_DEV, r.b, r.len, 0, &moved))
			to_dev += moved;
		dml_migrate(self->fd, DML_IOC_TO_SYS, r.b, r.len, 0, NULL);
	}
	r.stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(0, dml_migrate(self->fd, DML_IOC_TO_SYS, r.b, r.len, 0, &moved));
	TH_LOG("%u rounds (%llu pages to the device), %llu vmsplice, %llu process_vm_readv, %llu queries, %llu churn ops",
	       round, (unsigned long long)to_dev, (unsigned long long)r.gups, (unsigned long long)r.remote,
	       (unsigned long long)r.queries, (unsigned long long)r.churn);
	EXPECT_EQ(0, on_device(r.b, r.len, &self->s));
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(0, dml_verify(r.b, r.len, r.tag));
	EXPECT_LT(0, r.gups);
	EXPECT_LT(0, r.remote);
	EXPECT_LT(r.len / 4096, to_dev);	/* more than one round's worth moved */
	munmap(r.b, r.len);
}

/*
 * Pin [p, p + len) for the long term as io_uring fixed buffers do
 * (FOLL_LONGTERM), then unpin: 0, or -errno of the registration.
 */
static int longterm_pin(char *p, size_t len)
{
	struct io_uring_params prm = { 0 };
	struct iovec iov = { .iov_base = p, .iov_len = len };
	int ring = syscall(__NR_io_uring_setup, 4, &prm), r;

	if (ring < 0)
		return -errno;
	r = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1);
	r = r < 0 ? -errno : 0;
	if (!r)
		syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
	close(ring);
	return r;
}

TEST_F(coh, longterm_order0)
{
	size_t len = 2 * MB;
	char *p = dml_buffer(len, 0);

	ASSERT_NE(NULL, p);
	dml_fill(p, len, 0x88);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len, 0);
	ASSERT_EQ(len / 4096, on_device(p, len, &self->s));
	ASSERT_EQ(0, longterm_pin(p, len));
	/* pinned pages may not stay in device memory: migrated out first */
	ASSERT_EQ(0, on_device(p, len, &self->s));
	ASSERT_EQ(0, dml_verify(p, len, 0x88));
	EXPECT_TRUE(dml_wait_live(self->fd, 0));
	munmap(p, len);
}

/*
 * Known 7.3.4 issue: a FOLL_LONGTERM pin of a PMD-mapped order-9 coherent
 * folio: migrate_device_coherent_folio() starts with
 * WARN_ON_ONCE(folio_test_large(folio)). Run alone
 * (tests/known-issues.sh), its verdict is that WARN.
 */
TEST_F(coh, known_longterm_large)
{
	size_t len = 2 * MB;
	char *p;

	if (!getenv("DML_COHERENT_LONGTERM"))
		SKIP(return, "a known kernel issue, run alone: DML_COHERENT_LONGTERM=1 dml-coherent -t known_longterm_large");
	p = dml_buffer(len, 1);
	ASSERT_NE(NULL, p);
	dml_fill(p, len, 0x99);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len, 1);
	ASSERT_EQ(0, longterm_pin(p, len));
	ASSERT_EQ(0, on_device(p, len, &self->s));
	ASSERT_EQ(0, dml_verify(p, len, 0x99));
	munmap(p, len);
}

/*
 * Known 7.3.4 issue: DML_IOC_TO_DEV (MIGRATE_VMA_SELECT_SYSTEM) without
 * COMPOUND over a PMD-mapped order-9 coherent folio: the core collects it
 * as a system THP and splits it; the split list_add()s the new folios
 * through folio->lru, which on a ZONE_DEVICE folio holds its pgmap
 * pointer: "list_add corruption", kernel BUG. Run alone
 * (tests/known-issues.sh), its verdict is that BUG; a fixed kernel passes
 * it (XPASS).
 */
TEST_F(coh, known_split)
{
	size_t len = 2 * MB;
	char *p;

	if (!getenv("DML_COHERENT_SPLIT"))
		SKIP(return, "a known kernel issue, run alone: DML_COHERENT_SPLIT=1 dml-coherent -t known_split");
	p = dml_buffer(len, 1);
	ASSERT_NE(NULL, p);
	dml_fill(p, len, 0x66);
	ASSERT_MIGRATES(self, DML_IOC_TO_DEV, p, len, 1);
	ASSERT_EQ(0, dml_migrate(self->fd, DML_IOC_TO_DEV, p, len, 0, NULL));
	ASSERT_EQ(0, dml_verify(p, len, 0x66));
	ASSERT_EQ(0, back_to_sys(self, p, len, 1));
	munmap(p, len);
}

TEST_HARNESS_MAIN

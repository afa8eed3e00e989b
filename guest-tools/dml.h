/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest tools: KTAP output (kselftest style), the
 * device, and a small deterministic PRNG. The ioctl interface itself is
 * guest-kernel/module/devmemlab_uapi.h, included, not copied.
 */
#ifndef DML_TOOLS_H
#define DML_TOOLS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devmemlab_uapi.h"

static int ktap_n, ktap_failed;

static inline void ktap_header(int plan)
{
	printf("KTAP version 1\n1..%d\n", plan);
	fflush(stdout);
}

__attribute__((format(printf, 2, 3)))
static inline int ktap_result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	ktap_failed += !ok;
	return ok;
}

__attribute__((format(printf, 1, 2)))
static inline void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * A known kernel issue, asserted: @seen is the documented wrong behaviour,
 * @fixed the right one. Documented behaviour: ok # XFAIL; fixed: ok # XPASS
 * (visible in the runner's output); anything else fails.
 */
__attribute__((format(printf, 4, 5)))
static inline int ktap_known_issue(int seen, int fixed, const char *issue, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", seen || fixed ? "" : "not ", ++ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (fixed)
		printf(" # XPASS fixed: %s", issue);
	else if (seen)
		printf(" # XFAIL %s", issue);
	putchar('\n');
	fflush(stdout);
	ktap_failed += !seen && !fixed;
	return seen || fixed;
}

static inline int ktap_exit(void)
{
	return ktap_failed ? 1 : 0;
}

static inline int dml_open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: %s (is devmemlab loaded and bound to an ivshmem device?)\n",
			path, strerror(errno));
		exit(4);	/* kselftest: skip */
	}
	return fd;
}

/* ioctl returning 0 or -errno */
static inline int dml_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int dml_alloc(int fd, uint64_t offset, unsigned int order, uint64_t *got)
{
	struct dml_alloc a = { .offset = offset, .order = order };
	int r = dml_ioctl(fd, DML_IOC_ALLOC, &a);

	if (!r && got)
		*got = a.offset;
	return r;
}

static inline int dml_free(int fd, uint64_t offset, unsigned int order)
{
	struct dml_alloc a = { .offset = offset, .order = order };

	return dml_ioctl(fd, DML_IOC_FREE, &a);
}

static inline struct dml_stats dml_get_stats(int fd)
{
	struct dml_stats s = { 0 };

	dml_ioctl(fd, DML_IOC_STATS, &s);
	return s;
}

/* Run the checker; print up to its first few violations as diagnostics. */
static inline unsigned int dml_run_check(int fd, struct dml_check *out)
{
	struct dml_check c;

	if (dml_ioctl(fd, DML_IOC_CHECK, &c)) {
		ktap_diag("DML_IOC_CHECK: %s", strerror(errno));
		return ~0u;
	}
	for (unsigned int i = 0; i < c.nreported && i < 4; i++)
		ktap_diag("violation I-%u what=%u pfn %llu: got %lld want %lld", c.v[i].invariant,
			  c.v[i].what, (unsigned long long)c.v[i].pfn, (long long)c.v[i].got,
			  (long long)c.v[i].want);
	if (out)
		*out = c;
	return c.violations;
}

/* xorshift64*: reproducible from the seed printed on failure */
static inline uint64_t dml_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

#define DML_THP (2ul << 20)

/*
 * An anonymous 2 MiB-aligned buffer of len bytes (a multiple of 2 MiB),
 * THP-eligible or not; munmap(p, len) releases all of it.
 */
static inline char *dml_buffer(size_t len, int huge)
{
	char *raw = mmap(NULL, len + DML_THP, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + DML_THP - 1) & ~(DML_THP - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + len, raw + DML_THP - p);
	madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return p;
}

/* Deterministic contents: word i of a buffer filled with @tag */
static inline void dml_fill(char *p, size_t len, uint64_t tag)
{
	uint64_t *w = (uint64_t *)p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = tag ^ (i * 0x9e3779b97f4a7c15ull);
}

/* Bad words in [from, from + len) of a buffer filled with dml_fill(base, .., tag) */
static inline size_t dml_verify_at(const char *base, size_t from, size_t len, uint64_t tag)
{
	const uint64_t *w = (const uint64_t *)base;
	size_t bad = 0;

	for (size_t i = from / 8; i < (from + len) / 8; i++)
		if (w[i] != (tag ^ (i * 0x9e3779b97f4a7c15ull)) && bad++ < 3)
			ktap_diag("mismatch at byte %zu: %#llx", i * 8, (unsigned long long)w[i]);
	return bad;
}

/* DML_IOC_TO_DEV / DML_IOC_TO_SYS over [p, p + len); *moved: pages migrated */
static inline int dml_migrate(int fd, unsigned long cmd, void *p, size_t len, int compound,
			      uint64_t *moved)
{
	struct dml_migrate m = { .addr = (uintptr_t)p, .npages = len / 4096,
				 .flags = compound ? DML_MIGRATE_COMPOUND : 0 };
	int r = dml_ioctl(fd, cmd, &m);

	if (moved)
		*moved = m.migrated;
	return r;
}

/*
 * migrate_vma is best effort: a page it cannot isolate at that moment (in a
 * per-CPU LRU batch, briefly referenced elsewhere) stays where it is. A
 * set-up step that needs the whole range moved asks again for what is left
 * (pages already moved are not collected again), up to ten times; @moved is
 * the sum. Seen: 2047 of 2048 order-0 pages in one pass, once in many runs.
 */
static inline int dml_migrate_whole(int fd, unsigned long cmd, void *p, size_t len, int compound,
				    uint64_t *moved)
{
	uint64_t total = 0, m = 0;
	int r = 0;

	for (int i = 0; i < 10 && total < len / 4096; i++) {
		if (i)
			usleep(10000);
		r = dml_migrate(fd, cmd, p, len, compound, &m);
		total += m;
		if (r)
			break;
	}
	if (moved)
		*moved = total;
	return r;
}

static inline int dml_set_fault(int fd, unsigned int mode, unsigned int nth)
{
	struct dml_fault f = { .mode = mode, .nth = nth };

	return dml_ioctl(fd, DML_IOC_FAULT, &f);
}

/* Wait up to 1 s until at most @pages are live (frees are not synchronous, I-7). */
static inline int dml_wait_live(int fd, uint64_t pages)
{
	for (int i = 0; i < 200; i++) {
		if (dml_get_stats(fd).live_pages <= pages)
			return 1;
		usleep(5000);
	}
	return 0;
}

/* Words of [p, p + len) that differ from dml_fill()'s */
static inline size_t dml_verify(const char *p, size_t len, uint64_t tag)
{
	return dml_verify_at(p, 0, len, tag);
}

/* Does touching p kill a child with SIGBUS? */
static inline int dml_child_sigbus(volatile char *p)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		(void)p[0];
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS;
}

static inline double dml_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * dml-unplug: the device is hot-unplugged while its memory is in use.
 *
 * Theory of operation: SIZE MiB of a THP buffer are filled with a pattern
 * and migrated to device pages (order-9 folios); the file also holds an
 * order-9 folio and maps BAR2. A reader thread verifies the first 16 MiB
 * over and over (faulting pages back), a migrator thread moves the first
 * 32 MiB to the device again and again. Then this tool prints
 *   dml-unplug: ready: ...
 * and waits for the host to unplug the device (QMP device_del, see
 * tests/vm.sh). The module's remove() must free the held folio and evict
 * every device page back to system memory; afterwards every byte of the
 * buffer must be intact, the open file's ioctls fail with ENODEV, the old
 * BAR mapping gets SIGBUS and the file still closes. remove()'s kernel log
 * line must say that no device page is still live.
 * Usage: dml-unplug [-d DEV] [-m SIZE_MIB] [-w WAIT_SECONDS]
 */
#include <limits.h>
#include <pthread.h>
#include <sys/klog.h>
#include <sys/stat.h>

#include "dml.h"

#define MB (1ul << 20)
#define TAG 0x5eedull
#define READ_LEN (16 * MB)	/* the reader's part of the buffer */
#define MIGRATE_LEN (32 * MB)	/* the migrator's */

static int fd;
static char *buf;
static volatile int stop;
static unsigned long reads, read_bad, mig_rounds;
static int mig_err;		/* the ioctl error that stopped the migrator */

static int migrate(unsigned long cmd, void *p, size_t len, uint64_t *moved)
{
	struct dml_migrate m = { .addr = (uintptr_t)p, .npages = len / 4096,
				 .flags = DML_MIGRATE_COMPOUND };
	int r = dml_ioctl(fd, cmd, &m);

	if (moved)
		*moved = m.migrated;
	return r;
}

static void *reader(void *arg)
{
	(void)arg;
	while (!stop) {
		__atomic_add_fetch(&read_bad, dml_verify(buf, READ_LEN, TAG), __ATOMIC_RELAXED);
		__atomic_add_fetch(&reads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* to the device, half of it back: until the device is gone */
static void *migrator(void *arg)
{
	(void)arg;
	while (!stop) {
		int r = migrate(DML_IOC_TO_DEV, buf, MIGRATE_LEN, NULL);

		if (!r)
			r = migrate(DML_IOC_TO_SYS, buf + MIGRATE_LEN / 2, MIGRATE_LEN / 2, NULL);
		if (r) {
			mig_err = r;
			break;
		}
		__atomic_add_fetch(&mig_rounds, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* remove()'s line in the kernel log: "NAME: evicted N pages, M still live" */
static void evicted_line(const char *name, char *out, size_t len)
{
	char *log = malloc(1 << 20), *p, *e;
	int n = log ? klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, (1 << 20) - 1) : -1;

	snprintf(out, len, "(none)");
	if (n > 0) {
		log[n] = '\0';
		for (p = log; (p = strstr(p, name)); p++)
			if (!strncmp(p + strlen(name), ": evicted ", 10)) {
				e = strchr(p, '\n');
				snprintf(out, len, "%.*s", e ? (int)(e - p) : (int)strlen(p), p);
			}
	}
	free(log);
}

static int wait_gone(const char *path, double secs)
{
	struct stat st;
	double end = dml_now() + secs;

	while (!stat(path, &st)) {
		if (dml_now() > end)
			return 0;
		usleep(20000);
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/devmemlab0";
	char link[PATH_MAX], sysdev[PATH_MAX + 32], evicted[256], *bdf;
	unsigned long mib = 256, wait_s = 120;
	struct dml_migrate m = { 0 };
	struct dml_stats s;
	pthread_t rt, mt;
	uint64_t moved = 0;
	double t0, took;
	size_t len, bad;
	char *bar;
	int opt, gone, r, r2;

	while ((opt = getopt(argc, argv, "d:m:w:")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 'w': wait_s = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: dml-unplug [-d DEV] [-m SIZE_MIB] [-w WAIT_SECONDS]\n");
			return 2;
		}
	}
	if (mib < 64 || mib % 2) {
		fprintf(stderr, "dml-unplug: -m must be an even number of MiB, at least 64\n");
		return 2;
	}
	len = mib * MB;
	fd = dml_open_dev(dev);
	snprintf(sysdev, sizeof(sysdev), "/sys/class/misc/%s/device", strrchr(dev, '/') + 1);
	if (!realpath(sysdev, link)) {
		fprintf(stderr, "dml-unplug: %s: %s\n", sysdev, strerror(errno));
		return 4;
	}
	bdf = strrchr(link, '/') + 1;
	ktap_header(9);

	buf = dml_buffer(len, 1);
	if (buf) {
		dml_fill(buf, len, TAG);
		migrate(DML_IOC_TO_DEV, buf, len, &moved);
	}
	s = dml_get_stats(fd);
	ktap_result(moved == len / 4096 && s.live_pages >= moved,
		    "%lu MiB migrated to device pages (%llu of %zu pages, %llu live device pages)", mib,
		    (unsigned long long)moved, len / 4096, (unsigned long long)s.live_pages);
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ktap_result(bar != MAP_FAILED && !dml_alloc(fd, DML_ANY_OFFSET, 9, NULL),
		    "the file holds an order-9 folio and maps BAR2");
	if (!buf)
		return ktap_exit();

	pthread_create(&rt, NULL, reader, NULL);
	pthread_create(&mt, NULL, migrator, NULL);
	while (__atomic_load_n(&mig_rounds, __ATOMIC_RELAXED) < 2 && !mig_err)
		usleep(10000);
	printf("dml-unplug: ready: %lu MiB on device pages of %s, reader and migrator running; waiting %lu s for its unplug\n",
	       mib, bdf, wait_s);
	fflush(stdout);
	t0 = dml_now();
	snprintf(sysdev, sizeof(sysdev), "/sys/bus/pci/devices/%s", bdf);
	gone = wait_gone(sysdev, wait_s);
	took = dml_now() - t0;
	ktap_result(gone, "%s unplugged while in use (%.2f s after ready)", bdf, took);
	if (gone)	/* the migrator must meet the removed device */
		for (int i = 0; i < 500 && !mig_err; i++)
			usleep(10000);
	stop = 1;
	pthread_join(rt, NULL);
	pthread_join(mt, NULL);
	evicted_line(strrchr(dev, '/') + 1, evicted, sizeof(evicted));
	ktap_result(strstr(evicted, " 0 still live") != NULL,
		    "remove() evicted every device page: %s", evicted);
	ktap_result(!read_bad && mig_err == -ENODEV,
		    "during the unplug: %lu reads of 16 MiB (%lu bad words), %lu migrate rounds, then %d (want %d, ENODEV)",
		    reads, read_bad, mig_rounds, mig_err, -ENODEV);

	bad = dml_verify(buf, len, TAG);
	ktap_result(!bad, "every byte of the %lu MiB is intact in system memory (%zu bad words)", mib, bad);
	m.addr = (uintptr_t)buf;
	m.npages = 512;
	r = dml_ioctl(fd, DML_IOC_STATS, &s);
	r2 = dml_ioctl(fd, DML_IOC_TO_DEV, &m);
	ktap_result(r == -ENODEV && r2 == -ENODEV,
		    "the open file's ioctls fail with ENODEV (stats %d, migrate %d)", r, r2);
	ktap_result(bar != MAP_FAILED && dml_child_sigbus(bar), "the old BAR2 mapping gets SIGBUS");
	if (bar != MAP_FAILED)
		munmap(bar, 4096);
	r = close(fd);
	ktap_result(!r && access(dev, F_OK), "the file closes; %s is gone", dev);
	munmap(buf, len);
	return ktap_exit();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * dml-bench: migrate_vma throughput between system memory and the device,
 * order 0 vs order 9, with the copy ceilings measured in the same run.
 *
 * Directions (JSON "direction"):
 *   sys_to_dev     DML_IOC_TO_DEV of a filled buffer
 *   dev_to_sys     DML_IOC_TO_SYS back
 *   fault_to_sys   CPU reads fault the device pages back (migrate_to_ram)
 *   read_in_place  instead, on device-coherent memory (devmemlab
 *                  coherent=1): CPU reads of the pages where they are
 * Every record says "memory": "private" or "coherent".
 *   kcopy_to_bar / kcopy_from_bar   the module's migration copy routine on
 *                  the same number of bytes, no migration (DML_IOC_KCOPY)
 *   memcpy_to_bar  userspace memcpy into the BAR (mmap of /dev/devmemlabN)
 *   memcpy_ram     userspace memcpy RAM to RAM
 * Order 9 uses THP buffers and DML_MIGRATE_COMPOUND; order 0 uses
 * MADV_NOHUGEPAGE buffers. On a device with a DMA engine (the lab's
 * accelerator) every migration and kcopy runs twice: "copy": "engine" (the
 * module's default there) and "copy": "cpu" (DML_MIGRATE_CPU_COPY, the CPU
 * through BAR2), and "engine/cpu" compares them. Every sys_to_dev and
 * dev_to_sys also says where the kernel's time went (the module's
 * per-phase clock, summed over the iterations): migrate_vma_setup,
 * destination allocation + folio init, the copy, migrate_vma_pages,
 * migrate_vma_finalize, and what fraction of the ioctl's time they cover. One warm-up, then -i iterations (default 5);
 * the median is reported with min and max. GB/s = 10^9 bytes per second.
 * "9 vs kcopy" compares order-9 migration with the in-kernel copy of the
 * same bytes (the ceiling a single-copy migration can reach), "9 vs memcpy"
 * with userspace memcpy into the BAR.
 * The table goes to stdout, JSON to -o (default /results/dml-bench.json).
 *   dml-bench [-d DEV] [-i N] [-o FILE] [-9] [SIZE_MIB...]   (default 2 8 32 128 256 512)
 * -9: order 9 only (the link-model sweep of make bench-accel); -k: the
 * kcopy ceilings only (the engine's and the CPU's copy, no migration).
 *   dml-bench -m FILE [-i N] [-o FILE] [SIZE_MIB...]
 * -m: only userspace memcpy into a shared mapping of FILE ("memcpy_to_map",
 * with "target": FILE), no devmemlab needed: a devdax device of a CXL
 * type-3 region, to set beside memcpy_to_bar of a type-2 device's HDM.
 */
#include <json.h>
#include <sys/mman.h>

#include "dml.h"

#define MB (1ul << 20)
#define THP (2 * MB)

static int fd, iters = 5, only9, only_kcopy;
static json_object *results;

static int engine;	/* the device copies with a DMA engine */
static int coherent;	/* MEMORY_DEVICE_COHERENT: the CPU reads device pages in place */

static const char *const phase_names[DML_PHASES] = {
	[DML_PH_SETUP] = "setup", [DML_PH_ALLOC] = "alloc", [DML_PH_COPY] = "copy",
	[DML_PH_PAGES] = "pages", [DML_PH_FINALIZE] = "finalize",
};

struct meas {
	const char *direction;
	int order;
	size_t size;
	double gbps[64];
	int n;
	double order9_fraction;	/* of the pages on the device, in order-9 folios; <0 = n/a */
	const char *copy;	/* "engine" or "cpu" */
	int phases;		/* phase_ms, kernel_ms and wall_ms are measured */
	double phase_ms[DML_PHASES], kernel_ms, wall_ms;
	int ok;			/* -m: the mapping read back what was written */
	int second_passes;	/* migrations that needed a second pass over the range */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(struct meas *m)
{
	qsort(m->gbps, m->n, sizeof(double), cmp_double);
	return m->n ? m->gbps[m->n / 2] : 0;
}

static void record(struct meas *m)
{
	json_object *o = json_object_new_object();
	double med = median(m);

	json_object_object_add(o, "tool", json_object_new_string("devmemlab"));
	json_object_object_add(o, "direction", json_object_new_string(m->direction));
	json_object_object_add(o, "order", json_object_new_int(m->order));
	json_object_object_add(o, "size_bytes", json_object_new_int64(m->size));
	json_object_object_add(o, "gbps", json_object_new_double(med));
	json_object_object_add(o, "gbps_min", json_object_new_double(m->n ? m->gbps[0] : 0));
	json_object_object_add(o, "gbps_max", json_object_new_double(m->n ? m->gbps[m->n - 1] : 0));
	json_object_object_add(o, "iterations", json_object_new_int(m->n));
	if (m->second_passes)
		json_object_object_add(o, "second_passes", json_object_new_int(m->second_passes));
	if (m->order9_fraction >= 0)
		json_object_object_add(o, "order9_fraction", json_object_new_double(m->order9_fraction));
	json_object_object_add(o, "copy", json_object_new_string(m->copy));
	if (fd > 0)	/* not -m */
		json_object_object_add(o, "memory",
				       json_object_new_string(coherent ? "coherent" : "private"));
	if (m->phases) {
		json_object *ph = json_object_new_object();
		double sum = 0;

		for (int i = 0; i < DML_PHASES; i++) {
			json_object_object_add(ph, phase_names[i], json_object_new_double(m->phase_ms[i]));
			sum += m->phase_ms[i];
		}
		json_object_object_add(o, "phases_ms", ph);
		json_object_object_add(o, "kernel_ms", json_object_new_double(m->kernel_ms));
		json_object_object_add(o, "wall_ms", json_object_new_double(m->wall_ms));
		json_object_object_add(o, "phase_sum_fraction",
				       json_object_new_double(m->kernel_ms > 0 ? sum / m->kernel_ms : 0));
		json_object_object_add(o, "phase_sum_wall_fraction",
				       json_object_new_double(m->wall_ms > 0 ? sum / m->wall_ms : 0));
	}
	json_object_array_add(results, o);
	printf("%-14s %5d %8zu %-6s %9.3f  (%.3f-%.3f, n=%d)", m->direction, m->order,
	       m->size / MB, m->copy, med, m->n ? m->gbps[0] : 0, m->n ? m->gbps[m->n - 1] : 0, m->n);
	if (m->order9_fraction >= 0)
		printf("  %3.0f%% of pages in order-9 device folios", 100 * m->order9_fraction);
	putchar('\n');
	if (m->phases && m->kernel_ms > 0) {
		double sum = 0;

		printf("%-14s", "  phases");
		for (int i = 0; i < DML_PHASES; i++) {
			printf(" %s %.0f%%", phase_names[i], 100 * m->phase_ms[i] / m->kernel_ms);
			sum += m->phase_ms[i];
		}
		printf("  (sum %.0f%% of %.1f ms in the kernel, %.0f%% of the ioctls' %.1f ms)\n",
		       100 * sum / m->kernel_ms, m->kernel_ms,
		       m->wall_ms > 0 ? 100 * sum / m->wall_ms : 0, m->wall_ms);
	}
	fflush(stdout);
}

static char *buffer(size_t len, int huge)
{
	char *p = dml_buffer(len, huge);

	if (p)
		memset(p, 0x5a, len);
	return p;
}

static double gbps(size_t bytes, double secs)
{
	return secs > 0 ? bytes / secs / 1e9 : 0;
}

/*
 * Migrate; *bytes is what actually moved and *secs the time it took. With
 * @acc, its phase times are added there. Migration is best effort: a folio
 * the kernel could not isolate this time (an extra reference held for a
 * moment) stays behind. Then one second pass over the range moves the rest;
 * it is counted (second_passes) and its time included. Fewer than 99% of the
 * pages after it is an error.
 */
static int mig(unsigned long cmd, char *p, size_t len, int order, int cpu, struct meas *acc, double *secs,
	       size_t *bytes)
{
	unsigned long long moved = 0;
	int r = 0;

	*secs = 0;
	for (int pass = 0; pass < 2 && !r && moved < len / 4096 * 99 / 100; pass++) {
		struct dml_migrate m = { .addr = (uintptr_t)p, .npages = len / 4096,
					 .flags = (order ? DML_MIGRATE_COMPOUND : 0) |
						  (cpu ? DML_MIGRATE_CPU_COPY : 0) };
		double t0 = dml_now();

		r = dml_ioctl(fd, cmd, &m);
		double dt = dml_now() - t0;

		*secs += dt;
		if (pass)
			fprintf(stderr, "dml-bench: %zu MiB %s: %llu of %zu pages moved, the rest (%llu) on a second pass\n",
				len / MB, cmd == DML_IOC_TO_DEV ? "to the device" : "back", moved, len / 4096,
				(unsigned long long)m.migrated);
		moved += m.migrated;
		if (acc) {
			acc->phases = 1;
			acc->second_passes += pass;
			for (int i = 0; i < DML_PHASES; i++)
				acc->phase_ms[i] += m.phase_nsec[i] / 1e6;
			acc->kernel_ms += m.nsec / 1e6;
			acc->wall_ms += dt * 1e3;
		}
	}
	*bytes = moved * 4096;
	if (r || moved < len / 4096 * 99 / 100) {
		fprintf(stderr, "dml-bench: migration of %zu MiB moved %llu of %zu pages: %s\n",
			len / MB, moved, len / 4096, r ? strerror(-r) : "too few");
		return -1;
	}
	return 0;
}

/*
 * sys_to_dev, dev_to_sys and fault_to_sys for one size and order; with
 * @cpu, the CPU copies on an engine device (a CPU fault always uses the
 * device's own path: fault_to_sys is left out then).
 */
static int bench_migration(size_t size, int order, int cpu)
{
	const char *copy = cpu || !engine ? "cpu" : "engine";
	struct meas s2d = { .direction = "sys_to_dev", .order = order, .size = size, .copy = copy };
	struct meas d2s = { .direction = "dev_to_sys", .order = order, .size = size, .copy = copy };
	struct meas flt = { .direction = coherent ? "read_in_place" : "fault_to_sys",
			    .order = order, .size = size, .copy = copy };

	d2s.order9_fraction = flt.order9_fraction = -1;
	char *p = buffer(size, order);
	double secs;
	int ret = 0;

	if (!p)
		return -1;
	for (int it = -1; it < iters && !ret; it++) {
		size_t moved;

		ret |= mig(DML_IOC_TO_DEV, p, size, order, cpu, it >= 0 ? &s2d : NULL, &secs, &moved);
		if (it >= 0)
			s2d.gbps[s2d.n++] = gbps(moved, secs);
		if (it == 0) {
			/* live pages P in L folios, all order 9 or 0: n9 = (P - L) / 511 */
			struct dml_stats st = dml_get_stats(fd);

			s2d.order9_fraction = st.live_pages ?
				512.0 * ((st.live_pages - st.live_folios) / 511) / st.live_pages : 0;
		}
		ret |= mig(DML_IOC_TO_SYS, p, size, order, cpu, it >= 0 ? &d2s : NULL, &secs, &moved);
		if (it >= 0)
			d2s.gbps[d2s.n++] = gbps(moved, secs);
		ret |= mig(DML_IOC_TO_DEV, p, size, order, cpu, NULL, &secs, &moved);
		secs = dml_now();
		for (size_t off = 0; off < size; off += 4096)
			(void)*(volatile char *)(p + off);
		if (it >= 0)
			flt.gbps[flt.n++] = gbps(size, dml_now() - secs);
		/* coherent pages stayed where they are: back for the next round */
		if (coherent)
			ret |= mig(DML_IOC_TO_SYS, p, size, order, cpu, NULL, &secs, &moved);
	}
	munmap(p, size);
	if (ret)
		return -1;
	record(&s2d);
	record(&d2s);
	if (!(cpu && engine))
		record(&flt);
	return 0;
}

/* The module's copy alone (DML_IOC_KCOPY), both ways, by the engine or the CPU. */
static int bench_kcopy(size_t size, int cpu)
{
	const char *copy = cpu || !engine ? "cpu" : "engine";
	struct meas kto = { .direction = "kcopy_to_bar", .order = 9, .size = size, .copy = copy };
	struct meas kfrom = { .direction = "kcopy_from_bar", .order = 9, .size = size, .copy = copy };

	kto.order9_fraction = kfrom.order9_fraction = -1;
	for (int it = -1; it < iters; it++) {
		struct dml_kcopy k = { .bytes = size, .direction = DML_KCOPY_TO_BAR,
				       .flags = cpu ? DML_KCOPY_CPU : 0 };

		if (dml_ioctl(fd, DML_IOC_KCOPY, &k))
			return -1;
		if (it >= 0)
			kto.gbps[kto.n++] = gbps(size, k.nsec / 1e9);
		k.direction = DML_KCOPY_FROM_BAR;
		if (dml_ioctl(fd, DML_IOC_KCOPY, &k))
			return -1;
		if (it >= 0)
			kfrom.gbps[kfrom.n++] = gbps(size, k.nsec / 1e9);
	}
	record(&kto);
	record(&kfrom);
	return 0;
}

static int bench_ceilings(size_t size, char *bar, size_t bar_size)
{
	struct meas mbar = { .direction = "memcpy_to_bar", .order = 0, .size = size, .copy = "cpu" };
	struct meas mram = { .direction = "memcpy_ram", .order = 0, .size = size, .copy = "cpu" };

	mbar.order9_fraction = mram.order9_fraction = -1;
	char *a = buffer(size, 1), *b = buffer(size, 1);

	if (!a || !b || size > bar_size)
		return -1;
	if (bench_kcopy(size, 0) || (engine && bench_kcopy(size, 1)))
		return -1;
	for (int it = -1; it < iters; it++) {
		double t0;

		t0 = dml_now();
		memcpy(bar, a, size);
		if (it >= 0)
			mbar.gbps[mbar.n++] = gbps(size, dml_now() - t0);
		t0 = dml_now();
		memcpy(b, a, size);
		if (it >= 0)
			mram.gbps[mram.n++] = gbps(size, dml_now() - t0);
	}
	munmap(a, size);
	munmap(b, size);
	record(&mbar);
	record(&mram);
	return 0;
}

/* userspace memcpy into a shared mapping of path (-m) */
static int bench_map(const char *path, size_t size)
{
	struct meas m = { .direction = "memcpy_to_map", .order = 0, .size = size, .copy = "cpu",
			  .order9_fraction = -1 };
	int f = open(path, O_RDWR);
	char *a = buffer(size, 1), *map;

	map = f < 0 ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	if (map == MAP_FAILED || !a) {
		fprintf(stderr, "dml-bench: map %zu MiB of %s: %s\n", size / MB, path, strerror(errno));
		if (f >= 0)
			close(f);
		return -1;
	}
	for (int it = -1; it < iters; it++) {
		double t0 = dml_now();

		memcpy(map, a, size);
		if (it >= 0)
			m.gbps[m.n++] = gbps(size, dml_now() - t0);
	}
	m.ok = !memcmp(map, a, size);
	munmap(map, size);
	munmap(a, size);
	close(f);
	if (!m.ok) {
		fprintf(stderr, "dml-bench: %s does not read back what was written\n", path);
		return -1;
	}
	record(&m);
	json_object_object_add(json_object_array_get_idx(results,
							 json_object_array_length(results) - 1),
			       "target", json_object_new_string(path));
	return 0;
}

/* A median from this run; @copy NULL: the device's own path (the first recorded) */
static double find(const char *dir, int order, size_t size, const char *copy)
{
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *o = json_object_array_get_idx(results, i), *v;

		if ((!copy || (json_object_object_get_ex(o, "copy", &v) &&
			       !strcmp(json_object_get_string(v), copy))) &&
		    json_object_object_get_ex(o, "direction", &v) &&
		    !strcmp(json_object_get_string(v), dir) &&
		    json_object_object_get_ex(o, "order", &v) && json_object_get_int(v) == order &&
		    json_object_object_get_ex(o, "size_bytes", &v) &&
		    (size_t)json_object_get_int64(v) == size &&
		    json_object_object_get_ex(o, "gbps", &v))
			return json_object_get_double(v);
	}
	return 0;
}

static void summary(const size_t *sizes, int nsizes)
{
	printf("\n%-8s %-12s %8s %8s %7s %13s %14s%s\n", "size", "direction", "order0", "order9",
	       "9/0", "9 vs kcopy", "9 vs memcpy", engine ? "  9 engine/cpu" : "");
	for (int i = 0; i < nsizes; i++) {
		const char *const dirs[] = { "sys_to_dev", "dev_to_sys",
					     coherent ? "read_in_place" : "fault_to_sys" };

		for (int d = 0; d < 3; d++) {
			double o0 = find(dirs[d], 0, sizes[i], NULL), o9 = find(dirs[d], 9, sizes[i], NULL);
			double ceil = find(d ? "kcopy_from_bar" : "kcopy_to_bar", 9, sizes[i], NULL);
			double mc = find("memcpy_to_bar", 0, sizes[i], NULL);
			double c9 = find(dirs[d], 9, sizes[i], "cpu");

			printf("%5zuMiB %-12s %8.3f %8.3f %6.2fx %12.0f%% %13.0f%%", sizes[i] / MB,
			       dirs[d], o0, o9, o0 > 0 ? o9 / o0 : 0, ceil > 0 ? 100 * o9 / ceil : 0,
			       mc > 0 ? 100 * o9 / mc : 0);
			if (engine && d < 2)
				printf("  %12.2fx", c9 > 0 ? o9 / c9 : 0);
			putchar('\n');
		}
	}
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/devmemlab0", *out = "/results/dml-bench.json", *map = NULL;
	size_t sizes[16] = { 2 * MB, 8 * MB, 32 * MB, 128 * MB, 256 * MB, 512 * MB };
	int nsizes = 6, opt, ret = 0;
	struct dml_stats st;
	size_t bar_size;
	char *bar;

	while ((opt = getopt(argc, argv, "d:i:o:9km:")) != -1) {
		switch (opt) {
		case 'm': map = optarg; break;
		case '9': only9 = 1; break;
		case 'k': only_kcopy = 1; break;
		case 'd': dev = optarg; break;
		case 'i': iters = atoi(optarg); break;
		case 'o': out = optarg; break;
		default:
			fprintf(stderr, "usage: dml-bench [-d DEV] [-i N] [-o FILE] [-9] [-k] [SIZE_MIB...]\n"
				"       dml-bench -m FILE [-i N] [-o FILE] [SIZE_MIB...]\n");
			return 2;
		}
	}
	if (iters < 1 || iters > 64) {
		fprintf(stderr, "dml-bench: -i must be 1..64\n");
		return 2;
	}
	if (optind < argc) {
		nsizes = 0;
		for (int i = optind; i < argc && nsizes < 16; i++) {
			long mib = atol(argv[i]);

			if (mib < 2 || mib % 2) {
				fprintf(stderr, "dml-bench: size %s MiB: need an even number >= 2\n", argv[i]);
				return 2;
			}
			sizes[nsizes++] = mib * MB;
		}
	}
	if (map) {
		results = json_object_new_array();
		printf("%-14s %5s %8s %-6s %9s  %s\n", "direction", "order", "MiB", "copy", "GB/s",
		       "(min-max)");
		for (int i = 0; i < nsizes && !ret; i++)
			ret = bench_map(map, sizes[i]);
		if (!ret && json_object_to_file_ext(out, results, JSON_C_TO_STRING_PRETTY)) {
			fprintf(stderr, "dml-bench: cannot write %s\n", out);
			ret = 1;
		}
		json_object_put(results);
		return ret ? 1 : 0;
	}
	fd = dml_open_dev(dev);
	st = dml_get_stats(fd);
	engine = !!st.engine;
	coherent = !!st.coherent;
	bar_size = st.npages * 4096;
	bar = mmap(NULL, bar_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		fprintf(stderr, "dml-bench: mmap of %s: %s\n", dev, strerror(errno));
		return 1;
	}
	results = json_object_new_array();
	printf("%-14s %5s %8s %-6s %9s  %s\n", "direction", "order", "MiB", "copy", "GB/s",
	       "(min-max)");
	for (int i = 0; i < nsizes && !ret; i++) {
		if (sizes[i] > bar_size / 2) {
			fprintf(stderr, "dml-bench: %zu MiB is more than half the device\n", sizes[i] / MB);
			ret = 1;
			break;
		}
		if (only_kcopy) {
			ret |= bench_kcopy(sizes[i], 0) || (engine && bench_kcopy(sizes[i], 1));
			continue;
		}
		ret |= (!only9 && bench_migration(sizes[i], 0, 0)) || bench_migration(sizes[i], 9, 0) ||
		       (engine && ((!only9 && bench_migration(sizes[i], 0, 1)) ||
				   bench_migration(sizes[i], 9, 1))) ||
		       bench_ceilings(sizes[i], bar, bar_size);
	}
	munmap(bar, bar_size);
	if (!ret && !only_kcopy)
		summary(sizes, nsizes);
	if (json_object_to_file_ext(out, results, JSON_C_TO_STRING_PRETTY)) {
		fprintf(stderr, "dml-bench: cannot write %s\n", out);
		ret = 1;
	}
	json_object_put(results);
	close(fd);
	return ret ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DEVMEMLAB_QEMU_ARGV_H
#define DEVMEMLAB_QEMU_ARGV_H

#include <stddef.h>
#include <stdio.h>

#include "topology.h"

/* A growing NULL-terminated argv of owned strings. */
struct argv {
	char **v;
	int n, cap;
};

void argv_add(struct argv *a, const char *s);
void argv_addf(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_free(struct argv *a);
/* asprintf() that exits on out of memory */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print as one shell-quoted line that can be pasted into a shell. */
void argv_print(const struct argv *a, FILE *f);

struct qemu_opts {
	const char *qemu;	/* emulator binary */
	const char *kernel;
	const char *initrd;
	const char *accel;	/* "kvm" or "tcg" */
	const char *shm_prefix;	/* lab-managed ivshmem files: PREFIX-ID */
	const char *workdir;	/* NVMe disk images: WORKDIR/ID.img */
	const char *append;	/* extra kernel parameters, may be NULL */
	char *const *guest_cmd;	/* argv for the guest after "--", may be NULL */
	const char *results_dir;	/* the results channel's stream: DIR/RESULTS_STREAM (NULL: workdir) */
	const char *qmp;	/* QMP socket path (QEMU backend), may be NULL */
	/*
	 * A test farm's worker (LAVA, lava_job.c): no file of this host.
	 * ivshmem memory from RAM, NVMe drives supplied by the farm's deploy
	 * (only the -device here), no results channel, no QMP.
	 */
	int farm;
};

/*
 * The results channel: a virtio-serial port of this name, to which the
 * guest's /init writes the files the workload left in /results, framed
 * (guest-tools/init); QEMU (or libvirt) writes it to DIR/RESULTS_STREAM and
 * the launcher unpacks it (results.c). The console keeps the kernel's lines.
 */
#define RESULTS_PORT	"org.devmemlab.results"
#define RESULTS_STREAM	"results.stream"

/*
 * Kernel parameters the guest needs for this topology (console, log level,
 * modules to load). Returns -1 and an error line if the guest command cannot
 * be represented on the kernel command line.
 */
int qemu_kernel_cmdline(const struct topology *t, const struct qemu_opts *o,
			char *buf, size_t len, char *err, size_t errlen);

int qemu_build_argv(const struct topology *t, const struct qemu_opts *o,
		    struct argv *a, char *err, size_t errlen);

/*
 * The longest --shm-prefix or --workdir (main.c refuses longer): PREFIX-ID
 * and WORKDIR/ID.img then fit in PATH_MAX.
 */
#define QEMU_PREFIX_MAX (PATH_MAX - TOPO_ID_MAX - 8)

/* Path of the results channel's stream file. */
void qemu_results_path(const struct qemu_opts *o, char *buf, size_t len);

/* Path of the backing file of ivshmem device d (lab-managed or the user's). */
void qemu_ivshmem_path(const struct topo_device *d, const struct qemu_opts *o,
		       char *buf, size_t len);

/* QEMU size syntax (the largest exact unit: 1G, 256M, 4096) into buf[32]. */
const char *qemu_size(unsigned long long v, char *buf);
/* "cxl=on,cxl-fmw.N..." for a topology with CXL host bridges, else "" (malloc'ed). */
char *qemu_cxl_machine_opts(const struct topology *t);
/* A CXL root port's port number on its host bridge and its unique chassis. */
void qemu_cxl_rp_numbers(const struct topology *t, const struct topo_device *d,
			 int *port, int *chassis);

/* Space-separated union of the guest modules every kind needs (malloc'ed). */
char *qemu_all_modules(void);

#endif

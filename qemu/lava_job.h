/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DEVMEMLAB_LAVA_JOB_H
#define DEVMEMLAB_LAVA_JOB_H

#include <stddef.h>
#include <stdio.h>

#include "topology.h"

struct lava_opts {
	const char *suite;	/* tests/vm/SUITE.sh, NULL: the inventory */
	char *const *suite_args;	/* its arguments, may be NULL */
	const char *kernel_url, *initrd_url;
	const char *disk_url;	/* NVMe images: DISK_URL/ID.img */
	const char *qemu_image;	/* container with the lab's QEMU (accel topologies) */
	const char *accel;	/* "tcg" (no_kvm) or "kvm" */
	int timeout;		/* seconds for the workload */
};

/*
 * Write a LAVA job definition (device_type qemu) for topology t and one
 * in-VM suite to f: a pure function of its arguments. Returns -1 with one
 * error line if LAVA cannot express it.
 */
int lava_job_write(const struct topology *t, const struct lava_opts *lo, FILE *f,
		   char *err, size_t errlen);

#endif

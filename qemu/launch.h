/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DEVMEMLAB_LAUNCH_H
#define DEVMEMLAB_LAUNCH_H

#include <limits.h>

#include "run.h"

struct cli {
	const char *topo, *topo_dir, *kernel, *initrd, *accel, *results;
	const char *shm_prefix, *workdir, *script, *append, *qemu;
	const char *connect;	/* libvirt URI */
	const char *qmp;	/* run: QMP socket path (QEMU backend) */
	const char *wait_event;	/* qmp: wait for this event after the command */
	int libvirt;		/* run through libvirt instead of QEMU directly */
	int timeout, verbose, shell, cpus;	/* cpus: 0 = the topology's */
	char *const *guest_cmd;
	/* lava-job */
	const char *suite, *kernel_url, *initrd_url, *disk_url, *qemu_image;
};

#define LAB_ROOT_MAX 1024
extern char lab_root[LAB_ROOT_MAX];

/* One error line on stderr, exit EXIT_USAGE: nothing has been started. */
__attribute__((format(printf, 1, 2), noreturn))
void die_usage(const char *fmt, ...);

/* `devmemlab run`: returns the exit status (enum in run.h). */
int run_main(const struct cli *c, struct topology *t, struct qemu_opts *o);

/* `devmemlab qmp`: one QMP command on a `run --qmp` socket (argv from optind). */
int qmp_main(const struct cli *c, int argc, char **argv);

/* `devmemlab libvirt-xml`: print the domain XML for a topology. */
int libvirt_xml_main(const struct cli *c, struct topology *t, struct qemu_opts *o);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DEVMEMLAB_LIBVIRT_XML_H
#define DEVMEMLAB_LIBVIRT_XML_H

#include "qemu_argv.h"

struct lv_opts {
	const char *name;	/* domain name */
	const char *serial;	/* file the guest's serial console goes to */
	int remote;		/* the daemon is on another host: no /dev/shm files */
};

/*
 * What libvirt_build_xml() can refuse, without building it: one line in err.
 * Lets the launcher refuse bad input before it creates or starts anything.
 */
int libvirt_xml_check(const struct topology *t, const struct qemu_opts *o,
		      char *err, size_t errlen);

/*
 * The libvirt domain XML for a topology (domain type from o->accel: "kvm"
 * or TCG). *xml is malloc'ed. On error returns -1 with one line in err.
 */
int libvirt_build_xml(const struct topology *t, const struct qemu_opts *o,
		      const struct lv_opts *lo, char **xml, char *err, size_t errlen);

/*
 * Lab-managed ivshmem memory at /dev/shm/NAME becomes a native <shmem>:
 * returns NAME (inside path, which gets the whole path), else NULL.
 */
const char *libvirt_shmem_name(const struct topo_device *d, const struct qemu_opts *o,
			       char *path, size_t len);

/* The libvirt user alias of a topology id: "ua-" + id, '.' -> '_'. */
void libvirt_alias(const char *id, char *buf, size_t len);

#endif

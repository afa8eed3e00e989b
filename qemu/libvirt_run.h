/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DEVMEMLAB_LIBVIRT_RUN_H
#define DEVMEMLAB_LIBVIRT_RUN_H

#include <libvirt/libvirt.h>

#include "run.h"

/* Connect to uri; NULL and one line "libvirt URI: message" in err on failure. */
virConnectPtr lv_connect(const char *uri, char *err, size_t errlen);

/*
 * Start xml (the domain name) as a transient domain and judge its serial console (the file
 * serial) like boot_watch does; destroys the domain on the deadline or a
 * signal. A libvirt failure leaves its message in r->backend_error. The
 * domain's QEMU log (local system daemon) is moved to o->qemu_stderr.
 */
void lv_boot(virConnectPtr c, const char *name, const char *xml, const char *serial,
	     const struct boot_opts *o, struct boot_result *r);

/* Destroy domain name if it still exists (saying so); 1 if it did. */
int lv_destroy_leftover(virConnectPtr c, const char *name);

/* Does the URI name a host (its files are not ours to see or remove)? */
int lv_uri_is_remote(const char *uri);

#endif

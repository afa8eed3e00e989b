// SPDX-License-Identifier: GPL-2.0
/*
 * The libvirt backend: start a transient domain through the libvirt C API,
 * follow its serial console file into the shared console engine (run.c),
 * and destroy the domain on the deadline or a signal. Every libvirt error
 * becomes one line with libvirt's own message.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libvirt_run.h"

#define POLL_US 50000

/* libvirt prints every error on stderr by default; we report them ourselves. */
static void quiet(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

/* "what: libvirt's last message", newlines folded: one line for the user. */
static void lv_msg(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s: %s", what, virGetLastErrorMessage());
	for (char *c = buf; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

virConnectPtr lv_connect(const char *uri, char *err, size_t errlen)
{
	virConnectPtr c;

	virSetErrorFunc(NULL, quiet);
	c = virConnectOpen(uri);
	if (!c) {
		char what[300];

		snprintf(what, sizeof(what), "libvirt %s", uri);
		lv_msg(err, errlen, what);
	}
	return c;
}

static const char *shutoff_reason(int reason)
{
	switch (reason) {
	case VIR_DOMAIN_SHUTOFF_SHUTDOWN: return "shut down";
	case VIR_DOMAIN_SHUTOFF_DESTROYED: return "destroyed";
	case VIR_DOMAIN_SHUTOFF_CRASHED: return "crashed";
	case VIR_DOMAIN_SHUTOFF_FAILED: return "failed to start";
	default: return "shut off";
	}
}

static void drain(int *fd, const char *serial, struct console *w)
{
	char buf[8192];
	ssize_t n;

	if (*fd < 0)
		*fd = open(serial, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return;
	while ((n = read(*fd, buf, sizeof(buf))) > 0)
		console_feed(w, buf, n);
}

/*
 * A local system daemon keeps each domain's QEMU log in /var/log/libvirt/qemu;
 * it belongs in the run's results directory, not on the host.
 */
static void take_log(virConnectPtr c, const char *name, const char *dest)
{
	char src[PATH_MAX], buf[8192];
	char *uri = virConnectGetURI(c);
	int local = uri && !strcmp(uri, "qemu:///system");
	int in, out;
	ssize_t n;

	free(uri);
	if (!local || !dest)
		return;
	snprintf(src, sizeof(src), "/var/log/libvirt/qemu/%s.log", name);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;
	out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			break;
	if (out >= 0)
		close(out);
	close(in);
	unlink(src);
}

void lv_boot(virConnectPtr c, const char *name, const char *xml, const char *serial,
	     const struct boot_opts *o, struct boot_result *r)
{
	struct console *w = console_open(o, r);
	virDomainPtr d = virDomainCreateXML(c, xml, VIR_DOMAIN_NONE);
	int fd = -1, timed_out = 0;

	if (!d) {
		lv_msg(r->backend_error, sizeof(r->backend_error), "libvirt could not start the domain");
		console_close(w, 0);
		take_log(c, name, o->qemu_stderr);
		return;
	}
	r->qemu_status = 0;
	for (;;) {
		int state, reason;

		drain(&fd, serial, w);
		if (run_interrupted || console_elapsed(w) >= o->timeout) {
			timed_out = !run_interrupted;
			if (virDomainDestroy(d) < 0 && virGetLastErrorCode() != VIR_ERR_NO_DOMAIN &&
			    virGetLastErrorCode() != VIR_ERR_OPERATION_INVALID)
				lv_msg(r->backend_error, sizeof(r->backend_error),
				       "libvirt could not destroy the domain");
			break;
		}
		if (virDomainGetState(d, &state, &reason, 0) < 0) {
			/* a transient domain is gone once it shut off */
			if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN)
				lv_msg(r->backend_error, sizeof(r->backend_error),
				       "libvirt lost the domain");
			break;
		}
		if (state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_CRASHED) {
			if (reason == VIR_DOMAIN_SHUTOFF_CRASHED || state == VIR_DOMAIN_CRASHED ||
			    reason == VIR_DOMAIN_SHUTOFF_FAILED) {
				snprintf(r->backend_error, sizeof(r->backend_error),
					 "libvirt: the domain %s", state == VIR_DOMAIN_CRASHED ?
					 "crashed" : shutoff_reason(reason));
				r->qemu_status = 1 << 8;
			}
			break;
		}
		console_tick(w);
		usleep(POLL_US);
	}
	/* the last lines may still be on their way to the file */
	usleep(POLL_US);
	drain(&fd, serial, w);
	if (fd >= 0)
		close(fd);
	virDomainFree(d);
	take_log(c, name, o->qemu_stderr);
	console_close(w, timed_out);
}

int lv_domain_exists(virConnectPtr c, const char *name)
{
	virDomainPtr d = virDomainLookupByName(c, name);

	if (!d)
		return 0;
	virDomainFree(d);
	return 1;
}

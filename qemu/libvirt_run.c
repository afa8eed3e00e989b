// SPDX-License-Identifier: GPL-2.0
/*
 * The libvirt backend: start a transient domain through the libvirt C API,
 * follow its serial console file into the shared console engine (run.c),
 * and destroy the domain on the deadline or a signal. How the domain ended
 * comes from libvirt's lifecycle event (a transient domain is gone before
 * polling could see its shut-off reason). Every libvirt error becomes one
 * line with libvirt's own message.
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

#define POLL_MS 50

struct lv_watch {
	const char *name;
	int stopped;		/* the lifecycle event said so */
	int detail;		/* VIR_DOMAIN_EVENT_STOPPED_* */
};

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
	/* events need an event loop; lv_boot runs it */
	if (virEventRegisterDefaultImpl() < 0) {
		lv_msg(err, errlen, "libvirt event loop");
		return NULL;
	}
	c = virConnectOpen(uri);
	if (!c) {
		char what[300];

		snprintf(what, sizeof(what), "libvirt %s", uri);
		lv_msg(err, errlen, what);
	}
	return c;
}

static int on_lifecycle(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque)
{
	struct lv_watch *lw = opaque;

	(void)c;
	if (event == VIR_DOMAIN_EVENT_STOPPED && !strcmp(virDomainGetName(d), lw->name)) {
		lw->stopped = 1;
		lw->detail = detail;
	}
	return 0;
}

static void on_tick(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

#define SERIAL_WAIT 10	/* seconds for the serial file to appear */

/* Feed what the serial file has gained; -1 with err set if it cannot be read. */
static int drain(int *fd, const char *serial, struct console *w, char *err, size_t errlen)
{
	char buf[8192];
	ssize_t n;

	if (*fd < 0) {
		*fd = open(serial, O_RDONLY | O_CLOEXEC);
		if (*fd < 0 && (errno != ENOENT || console_elapsed(w) > SERIAL_WAIT)) {
			/* a remote daemon writes it on its own host */
			snprintf(err, errlen, "cannot read the serial console %s: %s%s", serial,
				 strerror(errno), errno == ENOENT ?
				 " (a remote libvirt needs the results directory on a shared filesystem)" : "");
			return -1;
		}
	}
	while (*fd >= 0 && (n = read(*fd, buf, sizeof(buf))) > 0)
		console_feed(w, buf, n);
	return 0;
}

/* Destroy unless it is gone already; a failure goes to err (if still empty). */
static void destroy(virDomainPtr d, char *err, size_t errlen)
{
	if (virDomainDestroy(d) < 0 && virGetLastErrorCode() != VIR_ERR_NO_DOMAIN &&
	    virGetLastErrorCode() != VIR_ERR_OPERATION_INVALID && !err[0])
		lv_msg(err, errlen, "libvirt could not destroy the domain");
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
	int in, out, ok;
	ssize_t n = -1;

	free(uri);
	if (!local || !dest)
		return;
	snprintf(src, sizeof(src), "/var/log/libvirt/qemu/%s.log", name);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;
	out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ok = out >= 0;
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, n) == n;
	ok = ok && n == 0;
	if (out >= 0 && close(out))
		ok = 0;
	close(in);
	if (ok)		/* moved only if copied whole */
		unlink(src);
}

void lv_boot(virConnectPtr c, const char *name, const char *xml, const char *serial,
	     const struct boot_opts *o, struct boot_result *r)
{
	struct console *w = console_open(o, r);
	struct lv_watch lw = { .name = name };
	int fd = -1, cb, timer;
	virDomainPtr d = NULL;
	double next_check = 0;

	/* registered before the start: a short-lived domain's stop is not missed */
	cb = virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					      VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &lw, NULL);
	timer = virEventAddTimeout(POLL_MS, on_tick, NULL, NULL);	/* wakes the loop */
	if (run_interrupted)
		goto out;
	/* AUTODESTROY: if the launcher dies unannounced, libvirt ends the domain */
	d = virDomainCreateXML(c, xml, VIR_DOMAIN_START_AUTODESTROY);
	if (!d) {
		lv_msg(r->backend_error, sizeof(r->backend_error), "libvirt could not start the domain");
		goto out;
	}
	r->qemu_status = 0;
	/* QEMU has the <shmem> memory open now: nothing of it outlives the domain */
	cleanup_memory_opened(0);
	while (!lw.stopped) {
		int state, reason;

		if (drain(&fd, serial, w, r->backend_error, sizeof(r->backend_error))) {
			destroy(d, r->backend_error, sizeof(r->backend_error));
			break;
		}
		if (console_stop_due(w)) {
			destroy(d, r->backend_error, sizeof(r->backend_error));
			break;
		}
		/*
		 * The fallback if no event comes: the transient domain is gone.
		 * Once a second: each call wakes the event loop once more.
		 */
		if (console_elapsed(w) >= next_check) {
			next_check = console_elapsed(w) + 1;
			if (virDomainGetState(d, &state, &reason, 0) < 0) {
				if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN) {
					lv_msg(r->backend_error, sizeof(r->backend_error),
					       "libvirt lost the domain");
					destroy(d, r->backend_error, sizeof(r->backend_error));
				}
				break;
			}
		}
		console_tick(w);
		if (timer < 0 || virEventRunDefaultImpl() < 0)
			usleep(POLL_MS * 1000);
	}
	/* the event may still be queued, and the last lines on their way to the file */
	for (int i = 0; i < 4 && !lw.stopped && timer >= 0 && !r->timed_out && !r->stopped_early &&
			!run_interrupted; i++)
		virEventRunDefaultImpl();
	if (lw.stopped && (lw.detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED ||
			   lw.detail == VIR_DOMAIN_EVENT_STOPPED_FAILED)) {
		/* FAILED is what libvirt says when QEMU dies on its own */
		snprintf(r->backend_error, sizeof(r->backend_error), "libvirt: the domain crashed");
		r->qemu_status = 1 << 8;
	}
	usleep(POLL_MS * 1000);
	drain(&fd, serial, w, r->backend_error, sizeof(r->backend_error));
	if (fd >= 0)
		close(fd);
	virDomainFree(d);
out:
	if (cb >= 0)
		virConnectDomainEventDeregisterAny(c, cb);
	if (timer >= 0)
		virEventRemoveTimeout(timer);
	take_log(c, name, o->qemu_stderr);
	console_close(w);
}

int lv_destroy_leftover(virConnectPtr c, const char *name)
{
	virDomainPtr d = virDomainLookupByName(c, name);
	char err[512] = "";

	if (!d)
		return 0;
	destroy(d, err, sizeof(err));
	virDomainFree(d);
	fprintf(stderr, "devmemlab: domain %s was still there: destroyed%s%s\n", name,
		*err ? "; " : "", err);
	return 1;
}

int lv_uri_is_remote(const char *uri)
{
	const char *p = strstr(uri, "://");

	/* driver[+transport]://[user@]host/... names a host; driver:///... does not */
	return p && p[3] && p[3] != '/';
}

// SPDX-License-Identifier: GPL-2.0
/*
 * `devmemlab qmp`: a small QMP client for the socket of `run --qmp`. It
 * negotiates capabilities, sends one command, prints its return value, and
 * can wait for an event the command causes (DEVICE_DELETED after
 * device_del: the guest has let the device go). See docs/launcher.md.
 */
#include <errno.h>
#include <json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"

#define QMP_LINE_MAX (16u << 20)	/* one QMP message, e.g. query-qmp-schema */

struct qmp {
	int fd;
	double deadline;
	char *buf;
	size_t fill, cap;
	const char *sock;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The next message (one JSON object a line), or NULL with one line in err. */
static json_object *qmp_read(struct qmp *q, char *err, size_t errlen)
{
	for (;;) {
		char *nl = q->fill ? memchr(q->buf, '\n', q->fill) : NULL;
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		double left = q->deadline - mono();
		ssize_t n;

		if (nl) {
			json_object *j;

			*nl = '\0';
			j = json_tokener_parse(q->buf);
			q->fill -= nl + 1 - q->buf;
			memmove(q->buf, nl + 1, q->fill);
			if (j && json_object_is_type(j, json_type_object))
				return j;
			json_object_put(j);
			snprintf(err, errlen, "%s: a reply that is not a JSON object", q->sock);
			return NULL;
		}
		if (left <= 0) {
			snprintf(err, errlen, "%s: no reply in time", q->sock);
			return NULL;
		}
		if (poll(&pfd, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR) {
			snprintf(err, errlen, "%s: %s", q->sock, strerror(errno));
			return NULL;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		if (q->fill + 4096 > q->cap) {
			char *b;

			if (q->cap >= QMP_LINE_MAX) {
				snprintf(err, errlen, "%s: a reply over %u bytes", q->sock, QMP_LINE_MAX);
				return NULL;
			}
			b = realloc(q->buf, q->cap ? q->cap * 2 : 65536);
			if (!b) {
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			q->buf = b;
			q->cap = q->cap ? q->cap * 2 : 65536;
		}
		n = read(q->fd, q->buf + q->fill, q->cap - q->fill - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: QEMU closed the connection", q->sock);
			return NULL;
		}
		q->fill += n;
	}
}

static const char *jget_str(json_object *j, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(j, key, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

/* Is j the event we wait for: its name, and data.device = the command's "id" if it has one? */
static int wanted_event(json_object *j, const char *name, const char *id)
{
	json_object *data;
	const char *ev = jget_str(j, "event"), *dev;

	if (!ev || strcmp(ev, name))
		return 0;
	if (!id)
		return 1;
	dev = json_object_object_get_ex(j, "data", &data) ? jget_str(data, "device") : NULL;
	return dev && !strcmp(dev, id);
}

/*
 * Send {"execute": cmd, "arguments": args} and wait for its return (events
 * on the way are checked against the awaited one). Returns the reply, or
 * NULL with one line in err.
 */
static json_object *qmp_execute(struct qmp *q, const char *cmd, json_object *args,
				const char *event, const char *id, json_object **seen,
				char *err, size_t errlen)
{
	json_object *req = json_object_new_object(), *reply;
	const char *s;
	size_t len, off = 0;

	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", json_object_get(args));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	while (off < len) {
		ssize_t n = write(q->fd, s + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", q->sock, strerror(errno));
			json_object_put(req);
			return NULL;
		}
		off += n;
	}
	json_object_put(req);
	if (write(q->fd, "\n", 1) != 1) {
		snprintf(err, errlen, "%s: %s", q->sock, strerror(errno));
		return NULL;
	}
	while ((reply = qmp_read(q, err, errlen))) {
		json_object *v;

		if (json_object_object_get_ex(reply, "return", &v) ||
		    json_object_object_get_ex(reply, "error", &v))
			return reply;
		if (event && !*seen && wanted_event(reply, event, id))
			*seen = reply;
		else
			json_object_put(reply);
	}
	return NULL;
}

/* One line on stdout, flushed: it comes before any later line on stderr. */
static void print_json(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

static int qmp_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die_usage("qmp: socket path too long (at most %zu bytes): %s", sizeof(sa.sun_path) - 1, path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "%s: %s (is `devmemlab run --qmp %s` running?)", path,
			 strerror(errno), path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int qmp_main(const struct cli *c, int argc, char **argv)
{
	struct qmp q = { .fd = -1 };
	json_object *args = NULL, *greet = NULL, *reply = NULL, *seen = NULL, *v;
	const char *cmd, *id = NULL;
	char err[1024];
	double t0;
	int ret = EXIT_INFRA;

	if (argc - optind < 2 || argc - optind > 3)
		die_usage("usage: devmemlab qmp [--wait-event NAME] [--timeout S] SOCKET COMMAND [ARGUMENTS-JSON]");
	q.sock = argv[optind];
	cmd = argv[optind + 1];
	if (argc - optind == 3) {
		args = json_tokener_parse(argv[optind + 2]);
		if (!args || !json_object_is_type(args, json_type_object)) {
			json_object_put(args);
			die_usage("qmp: arguments must be a JSON object, not '%s'", argv[optind + 2]);
		}
		id = jget_str(args, "id");
	}
	q.fd = qmp_connect(q.sock, err, sizeof(err));
	t0 = mono();
	q.deadline = t0 + c->timeout;
	if (q.fd < 0)
		goto out;
	greet = qmp_read(&q, err, sizeof(err));
	if (greet && !json_object_object_get_ex(greet, "QMP", &v)) {
		snprintf(err, sizeof(err), "%s: not a QMP greeting", q.sock);
		goto out;
	}
	if (!greet || !(reply = qmp_execute(&q, "qmp_capabilities", NULL, NULL, NULL, &seen,
					    err, sizeof(err))))
		goto out;
	json_object_put(reply);
	t0 = mono();
	reply = qmp_execute(&q, cmd, args, c->wait_event, id, &seen, err, sizeof(err));
	if (!reply)
		goto out;
	if (json_object_object_get_ex(reply, "error", &v)) {
		snprintf(err, sizeof(err), "%s: %s: %s", cmd, jget_str(v, "class") ?: "error",
			 jget_str(v, "desc") ?: json_object_to_json_string(v));
		ret = EXIT_GUEST_FAIL;
		goto out;
	}
	json_object_object_get_ex(reply, "return", &v);
	print_json(v);
	while (c->wait_event && !seen) {
		json_object *j = qmp_read(&q, err, sizeof(err));

		if (!j) {
			snprintf(err, sizeof(err), "%s: no %s%s%s within %d s", q.sock, c->wait_event,
				 id ? " of " : "", id ? id : "", c->timeout);
			ret = EXIT_GUEST_FAIL;
			goto out;
		}
		if (wanted_event(j, c->wait_event, id))
			seen = j;
		else
			json_object_put(j);
	}
	if (seen) {
		print_json(seen);
		fprintf(stderr, "devmemlab: qmp: %s %.2f s after %s\n", c->wait_event, mono() - t0, cmd);
	}
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "devmemlab: qmp: %s\n", err);
	json_object_put(seen);
	json_object_put(reply);
	json_object_put(greet);
	json_object_put(args);
	free(q.buf);
	if (q.fd >= 0)
		close(q.fd);
	return ret;
}

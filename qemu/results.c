// SPDX-License-Identifier: GPL-2.0
/*
 * The results channel's stream (qemu_argv.h) into files: result files no
 * longer travel on the serial console, where kernel lines interleave with
 * them and binary bytes do not survive.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_argv.h"
#include "results.h"

int results_name_ok(const char *name)
{
	static const char *const own[] = {
		"console.log", "result.json", "qemu-cmd.txt", "qemu.stderr", "qemu.log",
		"domain.xml", "serial.log", RESULTS_STREAM, "kvm-probe.log", "kvm-probe.stderr",
		"kvm-probe.serial",
	};

	if (!*name || *name == '.' || strlen(name) > 200 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
	    strlen(name))
		return 0;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(name, own[i]))
			return 0;
	return 1;
}

/* Copy size bytes from in to out (NULL: skip them); the bytes copied. */
static unsigned long long copy_bytes(FILE *in, FILE *out, unsigned long long size)
{
	char buf[65536];
	unsigned long long done = 0;

	while (done < size) {
		size_t want = size - done < sizeof(buf) ? size - done : sizeof(buf);
		size_t n = fread(buf, 1, want, in);

		if (out && n && fwrite(buf, 1, n, out) != n)
			break;
		done += n;
		if (n < want)
			break;
	}
	return done;
}

int results_unpack(const char *dir)
{
	char path[PATH_MAX + 32], line[512], *sp, *end;
	int saved = 0, ended = 0, bad = 0, c;
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/%s", dir, RESULTS_STREAM);
	in = fopen(path, "r");
	if (!in)
		return 0;	/* no channel (a backend that failed to start) */
	c = getc(in);
	if (c == EOF) {		/* the guest sent nothing: it stopped early, or has no port */
		fclose(in);
		unlink(path);
		return 0;
	}
	ungetc(c, in);
	while (!ended && !bad && fgets(line, sizeof(line), in)) {
		unsigned long long size, got;

		if (!strcmp(line, "end\n")) {
			ended = 1;
			break;
		}
		sp = strrchr(line, ' ');
		if (strncmp(line, "file ", 5) || !sp || sp < line + 5 || !strchr(line, '\n')) {
			fprintf(stderr, "devmemlab: %s: malformed frame header '%.60s' (kept for inspection)\n",
				path, line);
			bad = 1;
			break;
		}
		*sp = '\0';
		errno = 0;
		size = strtoull(sp + 1, &end, 10);
		if (errno || end == sp + 1 || *end != '\n') {
			fprintf(stderr, "devmemlab: %s: bad size in the header of '%s' (kept for inspection)\n",
				path, line + 5);
			bad = 1;
			break;
		}
		out = NULL;
		if (results_name_ok(line + 5)) {
			char dst[PATH_MAX + 256];

			snprintf(dst, sizeof(dst), "%s/%s", dir, line + 5);
			out = fopen(dst, "w");
			if (!out)
				fprintf(stderr, "devmemlab: cannot write %s: %s\n", dst, strerror(errno));
		} else {
			fprintf(stderr, "devmemlab: result file name '%s' refused (not saved)\n", line + 5);
		}
		got = copy_bytes(in, out, size);
		if (out && fclose(out))
			got = 0;
		if (got < size) {
			fprintf(stderr, "devmemlab: %s: result file '%s' cut at %llu of %llu bytes (stream kept)\n",
				path, line + 5, got, size);
			bad = 1;
		} else if (out) {
			saved++;
		}
	}
	if (!ended && !bad)
		fprintf(stderr, "devmemlab: %s: no end frame: the guest stopped while sending results (stream kept)\n",
			path);
	fclose(in);
	if (!ended || bad)
		return -1;
	unlink(path);
	return saved;
}

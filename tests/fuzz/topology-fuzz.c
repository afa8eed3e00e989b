// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the topology parser and both emitters: the input
 * bytes are a topology file, read by topo_read() from a memory stream (the
 * production path, topo_load(), only adds the fopen()). An input that parses
 * goes through qemu_build_argv() and libvirt_build_xml(). Built with ASan
 * and UBSan (Makefile: build/fuzz/topology-fuzz), so any memory error,
 * undefined behaviour or leak is a crash; so is a broken promise of the
 * launcher's, checked here with abort():
 *   - a refused input gets one line "fuzz.ini:LINE: problem";
 *   - a topology the parser accepts always gets a QEMU command line.
 * Run by tests/unit/fuzz.sh on the corpus in tests/fuzz/corpus/.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../qemu/libvirt_xml.h"

static const struct qemu_opts opts = {
	.qemu = "qemu-system-x86_64", .kernel = "/lab/vmlinuz", .initrd = "/lab/initrd",
	.accel = "tcg", .shm_prefix = "/dev/shm/devmemlab-fuzz", .workdir = "/run/dml",
};

static const struct lv_opts lv = { .name = "devmemlab-fuzz", .serial = "/run/dml/serial.log" };

static void check_error_line(const char *err)
{
	if (strncmp(err, "fuzz.ini:", 9) || !isdigit((unsigned char)err[9]) || strchr(err, '\n')) {
		fprintf(stderr, "topology-fuzz: not one 'FILE:LINE: problem' line: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct topology t;	/* large: not on the stack */
	static FILE *null;
	struct argv a = { 0 };
	char err[1024], *xml;
	FILE *f;
	int ret;

	if (!null)
		null = fopen("/dev/null", "w");
	f = fmemopen((void *)data, size, "r");
	if (!f || !null)
		abort();
	ret = topo_read(f, "fuzz.ini", &t, err, sizeof(err));
	fclose(f);
	if (ret) {
		check_error_line(err);
		return 0;
	}
	if (qemu_build_argv(&t, &opts, &a, err, sizeof(err))) {
		fprintf(stderr, "topology-fuzz: a parsed topology has no QEMU command line: %s\n", err);
		abort();
	}
	argv_print(&a, null);
	argv_free(&a);
	if (!libvirt_build_xml(&t, &opts, &lv, &xml, err, sizeof(err))) {
		fputs(xml, null);
		free(xml);
	}
	return 0;
}

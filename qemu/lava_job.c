// SPDX-License-Identifier: GPL-2.0
/*
 * A topology and one in-VM suite as a LAVA job (device_type qemu), for test
 * farms: `devmemlab lava-job`. LAVA's qemu device type builds the command
 * line itself (qemu-system-x86_64, -nographic, -m from the context, a user
 * NIC, -cpu host -enable-kvm unless no_kvm); the job gives it the rest in
 * the context's extra_options, the kernel and initramfs (and NVMe disk
 * images) as tmpfs deploy images with their QEMU arguments, and one test
 * monitor that turns each KTAP line between the lab's run markers into a
 * LAVA test case. See docs/lava.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lava_job.h"
#include "qemu_argv.h"

/* suites that need the host beside the guest (QMP, its files): not in a farm */
static const char *const host_suites[] = { "bar-host", "hotunplug", "results-channel" };

/* a YAML single-quoted scalar: only ' needs escaping (as '') */
static void yq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static int name_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *s))
			return 0;
	return 1;
}

static int minutes(int seconds)
{
	return (seconds + 59) / 60;
}

int lava_job_write(const struct topology *t, const struct lava_opts *lo, FILE *f,
		   char *err, size_t errlen)
{
	char *guest[64] = { "sh" };
	const char *append = "";
	char script[128];
	struct qemu_opts o = {
		.qemu = "qemu-system-x86_64", .kernel = "{kernel}", .initrd = "{initrd}",
		.accel = lo->accel, .farm = 1,
		/*
		 * the guest's own verdict as two more KTAP results (guest-tools/
		 * init); a log that holds a whole suite's kernel lines
		 */
		.append = "lab.verdict=1 log_buf_len=8M",
	};
	struct argv a = { 0 };
	int ret = -1;

	if (strcmp(lo->accel, "tcg") && strcmp(lo->accel, "kvm"))
		return errline(err, errlen, "--accel must be tcg or kvm for a LAVA job (a worker cannot probe)");
	if (lo->suite) {
		if (!name_ok(lo->suite))
			return errline(err, errlen, "suite '%s': a name of tests/vm/ (letters, digits, '-', '_', '.')",
				       lo->suite);
		for (size_t i = 0; i < sizeof(host_suites) / sizeof(host_suites[0]); i++)
			if (!strcmp(lo->suite, host_suites[i]))
				return errline(err, errlen, "suite '%s' needs the host beside the guest (QMP or its files), which a LAVA worker does not give",
					       lo->suite);
		snprintf(script, sizeof(script), "/lab/tests/%s.sh", lo->suite);
		guest[1] = script;
		for (int i = 0; lo->suite_args && lo->suite_args[i]; i++) {
			if (i + 2 >= (int)(sizeof(guest) / sizeof(guest[0])) - 1)
				return errline(err, errlen, "at most %zu suite arguments",
					       sizeof(guest) / sizeof(guest[0]) - 3);
			guest[i + 2] = lo->suite_args[i];
		}
		o.guest_cmd = guest;
	}
	if (topo_needs_lab_qemu(t) && !lo->qemu_image)
		return errline(err, errlen, "topology '%s' has the lab's own device, which only the lab's QEMU has: give --qemu-image (a container image holding it, docs/lava.md)",
			       t->name);
	if (qemu_build_argv(t, &o, &a, err, errlen))
		goto out;

	fprintf(f, "# devmemlab lava-job -t %s%s%s --accel %s (docs/lava.md)\n", t->name,
		lo->suite ? " --suite " : "", lo->suite ? lo->suite : "", lo->accel);
	fputs("device_type: qemu\njob_name: ", f);
	{
		char name[256];

		snprintf(name, sizeof(name), "devmemlab %s %s", t->name, lo->suite ? lo->suite : "inventory");
		yq(f, name);
	}
	fprintf(f, "\ntimeouts:\n  job:\n    minutes: %d\n  action:\n    minutes: %d\n"
		"  connection:\n    minutes: 2\npriority: medium\nvisibility: public\n",
		minutes(lo->timeout) + 15, minutes(lo->timeout) + 5);
	fprintf(f, "context:\n  arch: amd64\n  memory: %llu\n", (unsigned long long)(t->memory >> 20));
	if (!strcmp(lo->accel, "tcg"))
		fputs("  no_kvm: true\n", f);
	fputs("  extra_options:\n", f);
	/*
	 * Our argv without what the device type gives (binary, -m, the
	 * serial console) or the deploy does (-kernel, -initrd, -append).
	 */
	for (int i = 1; i < a.n; i++) {
		const char *opt = a.v[i], *val = i + 1 < a.n ? a.v[i + 1] : "";
		char *line;

		/* -nodefaults would take -nographic's serial console away */
		if (!strcmp(opt, "-nodefaults"))
			continue;
		if (!strcmp(opt, "-no-reboot")) {
			fputs("  - '-no-reboot'\n", f);
			continue;
		}
		i++;
		if (!strcmp(opt, "-append"))	/* the kernel image's image_arg below */
			append = val;
		if (!strcmp(opt, "-m") || !strcmp(opt, "-serial") || !strcmp(opt, "-display") ||
		    !strcmp(opt, "-kernel") || !strcmp(opt, "-initrd") || !strcmp(opt, "-append"))
			continue;
		if (!strcmp(opt, "-accel"))	/* no_kvm above; -enable-kvm is the device type's */
			continue;
		if (!strcmp(opt, "-M"))
			opt = "-machine";
		line = xasprintf("%s %s", opt, val);
		fputs("  - ", f);
		yq(f, line);
		fputc('\n', f);
		free(line);
	}
	fprintf(f, "metadata:\n  devmemlab.topology: %s\n  devmemlab.suite: %s\n", t->name,
		lo->suite ? lo->suite : "inventory");

	fputs("actions:\n- deploy:\n    to: tmpfs\n    timeout:\n      minutes: 5\n    images:\n", f);
	fputs("      kernel:\n        image_arg: ", f);
	{
		char *arg = xasprintf("-kernel {kernel} -append \"%s\"", append);

		yq(f, arg);
		free(arg);
	}
	fputs("\n        url: ", f);
	yq(f, lo->kernel_url);
	fputs("\n      initrd:\n        image_arg: '-initrd {initrd}'\n        url: ", f);
	yq(f, lo->initrd_url);
	fputc('\n', f);
	for (int i = 0; i < t->ndev; i++) {
		const struct topo_device *d = &t->dev[i];
		char *arg, *url;

		if (d->kind != DEV_NVME)
			continue;
		arg = xasprintf("-drive file={%s},if=none,id=drv-%s,format=raw", d->id, d->id);
		url = xasprintf("%s/%s.img", lo->disk_url, d->id);
		fprintf(f, "      %s:\n        image_arg: ", d->id);
		yq(f, arg);
		fputs("\n        url: ", f);
		yq(f, url);
		fputc('\n', f);
		free(arg);
		free(url);
	}
	fputs("- boot:\n    method: qemu\n    media: tmpfs\n    timeout:\n      minutes: 5\n", f);
	if (topo_needs_lab_qemu(t)) {
		fputs("    docker:\n      image: ", f);
		yq(f, lo->qemu_image);
		fputs("\n      binary: /usr/local/bin/qemu-system-x86_64\n", f);
	}
	fprintf(f, "- test:\n    timeout:\n      minutes: %d\n    monitors:\n    - name: %s\n",
		minutes(lo->timeout), lo->suite ? lo->suite : "inventory");
	fputs("      start: 'DEVMEMLAB: run begin'\n      end: 'DEVMEMLAB: run end'\n", f);
	/*
	 * LAVA matches as the console arrives: the name must run to the end
	 * of its line (or a KTAP directive), or a half-received line matches
	 */
	fputs("      pattern: '(?P<result>ok|not ok) \\d+ (?P<test_case_id>[^#\\r\\n]+?) *(#[^\\r\\n]*)?[\\r\\n]'\n", f);
	fputs("      fixupdict:\n        ok: pass\n        not ok: fail\n", f);
	ret = 0;
out:
	argv_free(&a);
	return ret;
}

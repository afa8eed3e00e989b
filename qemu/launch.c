// SPDX-License-Identifier: GPL-2.0
/*
 * `devmemlab run`: choose the accelerator, lay out the results directory,
 * create the backing files, boot, report, and clean up.
 */
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"
#include "libvirt_run.h"
#include "libvirt_xml.h"

#define KVM_PROBE_TIMEOUT 30

static void first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(buf, len, f) && buf[0] == '\n')
		;
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * KVM is used only when a probe boot of the same kernel reaches /init:
 * nested KVM can exist and still fail with "emulation failure".
 */
static int kvm_works(const struct qemu_opts *base, const char *dir, virConnectPtr lv,
		     char *why, size_t len)
{
	char log[PATH_MAX + 32], errf[PATH_MAX + 32], err[512], line[256];
	char serial[PATH_MAX + 32], name[64];
	struct lv_opts lo = { .name = name, .serial = serial };
	char *xml = NULL;
	struct topology *t;
	struct qemu_opts o = *base;
	struct boot_opts bo = { .timeout = KVM_PROBE_TIMEOUT, .quiet = 1 };
	struct boot_result *r;
	struct argv a = { 0 };
	int ok;

	if (!lv) {	/* under libvirt the probe domain asks its host's KVM */
		int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

		if (fd < 0) {
			snprintf(why, len, "no usable /dev/kvm (%s)", strerror(errno));
			return 0;
		}
		close(fd);
	}
	t = calloc(1, sizeof(*t));
	r = malloc(sizeof(*r));
	if (!t || !r) {
		free(t);
		free(r);
		snprintf(why, len, "out of memory");
		return 0;
	}
	snprintf(t->name, sizeof(t->name), "kvm-probe");
	t->memory = 512ull << 20;
	t->cpus = 1;
	o.accel = "kvm";
	o.append = "lab.probe=1";
	o.guest_cmd = NULL;
	snprintf(log, sizeof(log), "%s/kvm-probe.log", dir);
	snprintf(errf, sizeof(errf), "%s/kvm-probe.stderr", dir);
	snprintf(serial, sizeof(serial), "%s/kvm-probe.serial", dir);
	snprintf(name, sizeof(name), "devmemlab-kvm-probe-%d", (int)getpid());
	bo.console_log = log;
	bo.qemu_stderr = errf;
	if (lv ? libvirt_build_xml(t, &o, &lo, &xml, err, sizeof(err)) :
		 qemu_build_argv(t, &o, &a, err, sizeof(err))) {
		snprintf(why, len, "%s", err);
		ok = 0;
	} else {
		if (lv)
			lv_boot(lv, name, xml, serial, &bo, r);
		else
			boot_watch(a.v, &bo, r);
		ok = r->v.kind == V_PASS;
		if (lv)		/* libvirt's log starts with QEMU's command line */
			snprintf(line, sizeof(line), "%.255s", r->backend_error);
		else
			first_line(errf, line, sizeof(line));
		if (ok)
			snprintf(why, len, "KVM probe boot passed in %.1f s", r->wall);
		else
			snprintf(why, len, "KVM probe boot failed: %s", *line ? line : verdict_name(r->v.kind));
	}
	argv_free(&a);
	free(xml);
	free(t);
	free(r);
	return ok;
}

static int make_run_dir(const struct cli *c, const struct topology *t, char *dir, size_t len)
{
	char root[1100], stamp[32], link_tmp[1200];
	time_t now = time(NULL);
	const char *base;

	snprintf(root, sizeof(root), "%.1024s", c->results ? c->results : "");
	if (!*root)
		snprintf(root, sizeof(root), "%.1024s/results", lab_root);
	if (mkdir(root, 0755) && errno != EEXIST) {
		fprintf(stderr, "devmemlab: results directory %s: %s\n", root, strerror(errno));
		return -1;
	}
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	for (int n = 1; ; n++) {
		if (n == 1)
			snprintf(dir, len, "%s/%s-%s", root, t->name, stamp);
		else
			snprintf(dir, len, "%s/%s-%s-%d", root, t->name, stamp, n);
		if (!mkdir(dir, 0755))
			break;
		if (errno != EEXIST || n > 100) {
			fprintf(stderr, "devmemlab: %s: %s\n", dir, strerror(errno));
			return -1;
		}
	}
	/* results/latest -> the newest run, replaced atomically */
	base = strrchr(dir, '/') + 1;
	snprintf(link_tmp, sizeof(link_tmp), "%s/.latest-%d", root, (int)getpid());
	if (!symlink(base, link_tmp)) {
		char link[1200];

		snprintf(link, sizeof(link), "%s/latest", root);
		if (rename(link_tmp, link))
			unlink(link_tmp);
	}
	return 0;
}

enum owner { USER, LAB, LAB_MEMORY };	/* LAB_MEMORY: removed once QEMU has it open */

static int make_file(const char *path, unsigned long long size, enum owner owner)
{
	int fd = open(path, O_RDWR | O_CREAT | (owner != USER ? O_EXCL : 0) | O_CLOEXEC, 0600);

	if (fd < 0) {
		fprintf(stderr, "devmemlab: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (owner == LAB_MEMORY)
		cleanup_register_memory(path);
	else if (owner == LAB)
		cleanup_register(path);
	if (ftruncate(fd, size)) {
		fprintf(stderr, "devmemlab: cannot size %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* remote: the libvirt daemon is on another host */
static int make_backing_files(const struct topology *t, const struct qemu_opts *o,
			      int libvirt, int remote)
{
	char path[PATH_MAX];
	struct stat st;

	for (int i = 0; i < t->ndev; i++) {
		const struct topo_device *d = &t->dev[i];

		if (d->kind == DEV_IVSHMEM && libvirt && libvirt_shmem_name(d, o, path, sizeof(path))) {
			if (remote)
				continue;	/* a memfd there */
			/* libvirt creates /dev/shm/NAME for <shmem>, and leaves it behind */
			if (!stat(path, &st)) {
				fprintf(stderr, "devmemlab: %s exists already (another run's?)\n", path);
				return -1;
			}
			cleanup_register_memory(path);
		} else if (d->kind == DEV_IVSHMEM) {
			qemu_ivshmem_path(d, o, path, sizeof(path));
			/* a user's own backing file is created if missing, and kept */
			if (d->backing[0] && !stat(path, &st))
				continue;
			if (make_file(path, d->size, d->backing[0] ? USER : LAB_MEMORY))
				return -1;
		} else if (d->kind == DEV_NVME) {
			snprintf(path, sizeof(path), "%s/%s.img", o->workdir, d->id);
			if (make_file(path, d->size, LAB))
				return -1;
			/*
			 * libvirt relabels the files its own XML names, not those in
			 * <qemu:commandline>: a daemon that runs QEMU as another user
			 * (Debian's libvirt-qemu) must be able to open this scratch disk.
			 */
			if (libvirt && chmod(path, 0666)) {
				fprintf(stderr, "devmemlab: chmod %s: %s\n", path, strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

static void write_json(const char *dir, const struct topology *t, const struct qemu_opts *o,
		       const char *why, const struct cli *c, const struct boot_result *r)
{
	char path[PATH_MAX + 16];
	json_object *j = json_object_new_object();

	json_object_object_add(j, "topology", json_object_new_string(t->name));
	json_object_object_add(j, "backend", json_object_new_string(c->libvirt ? "libvirt" : "qemu"));
	if (c->libvirt)
		json_object_object_add(j, "libvirt_uri", json_object_new_string(c->connect));
	json_object_object_add(j, "accel", json_object_new_string(o->accel));
	json_object_object_add(j, "accel_reason", json_object_new_string(why));
	json_object_object_add(j, "kernel", json_object_new_string(o->kernel));
	json_object_object_add(j, "initrd", json_object_new_string(o->initrd));
	json_object_object_add(j, "verdict", json_object_new_string(verdict_name(r->v.kind)));
	json_object_object_add(j, "workload_status", json_object_new_int(r->v.status));
	json_object_object_add(j, "init_seconds", json_object_new_double(r->init_at));
	json_object_object_add(j, "wall_seconds", json_object_new_double(r->wall));
	json_object_object_add(j, "timeout", json_object_new_int(c->timeout));
	json_object_object_add(j, "console_lines", json_object_new_int(r->v.lines));
	json_object_object_add(j, "kernel_problems", json_object_new_int(r->v.kernel_problems));
	json_object_object_add(j, "kernel_problem",
			       r->v.kernel_problems ? json_object_new_string(r->v.quote) : NULL);
	json_object_object_add(j, "kernel_problem_kind",
			       r->v.problem ? json_object_new_string(r->v.problem) : NULL);
	json_object_object_add(j, "stopped_after_problem", json_object_new_boolean(r->stopped_early));
	json_object_object_add(j, "oom_kills", json_object_new_int(r->v.oom_kills));
	json_object_object_add(j, "page_allocation_failures", json_object_new_int(r->v.alloc_failures));
	json_object_object_add(j, "out_of_memory",
			       r->v.oom_line ? json_object_new_string(r->v.oom_quote) : NULL);
	json_object_object_add(j, "backend_error",
			       r->backend_error[0] ? json_object_new_string(r->backend_error) : NULL);
	snprintf(path, sizeof(path), "%s/result.json", dir);
	if (json_object_to_file_ext(path, j, JSON_C_TO_STRING_PRETTY))
		fprintf(stderr, "devmemlab: cannot write %s\n", path);
	json_object_put(j);
}

static void print_tail(const struct boot_result *r, int n)
{
	int start = r->ntail > n ? r->ntail - n : 0;

	for (int i = start; i < r->ntail; i++)
		fprintf(stderr, "  | %s\n", r->tail[i % 16]);
}

static int report(const struct topology *t, const struct qemu_opts *o, const char *dir,
		  const struct cli *c, const struct boot_result *r)
{
	const struct verdict *v = &r->v;
	char errf[PATH_MAX + 16], line[256];

	if (r->backend_error[0] && v->kind != V_NO_RESULT)	/* e.g. a failed destroy */
		fprintf(stderr, "devmemlab: %s\n", r->backend_error);
	switch (v->kind) {
	case V_PASS:
		fprintf(stderr, "devmemlab: PASS %s: workload exit 0; /init at %.1f s, %.1f s in all (%s)\n",
			t->name, r->init_at, r->wall, o->accel);
		return EXIT_PASS;
	case V_KERNEL:
		fprintf(stderr, "devmemlab: FAIL %s: kernel problem on the console: %s (%d line%s), first at line %d:\n  | %s\n",
			t->name, v->problem, v->kernel_problems, v->kernel_problems > 1 ? "s" : "",
			v->quote_line, v->quote);
		if (r->stopped_early) {
			fprintf(stderr, "devmemlab: guest stopped %d s after the first %s (no need to wait for the deadline). Console tail:\n",
				KERNEL_GRACE, v->problem);
			print_tail(r, 15);
		}
		return EXIT_KERNEL;
	case V_OOM:
		fprintf(stderr, "devmemlab: FAIL %s: out of memory: ", t->name);
		if (v->oom_kills == 1)
			fprintf(stderr, "the kernel's OOM killer killed a process");
		else if (v->oom_kills)
			fprintf(stderr, "the kernel's OOM killer killed %d processes, the first", v->oom_kills);
		else if (v->alloc_failures == 1)
			fprintf(stderr, "a page allocation failed");
		else
			fprintf(stderr, "%d page allocations failed, the first", v->alloc_failures);
		fprintf(stderr, " (line %d):\n  | %s\n", v->oom_line, v->oom_quote);
		return EXIT_OOM;
	case V_HANG:
		fprintf(stderr, "devmemlab: FAIL %s: deadline of %d s passed (stage: %s); guest killed. Console tail:\n",
			t->name, c->timeout, v->stage == ST_RUN ? "workload" : "boot");
		print_tail(r, 15);
		return EXIT_HANG;
	case V_GUEST_FAIL:
		fprintf(stderr, "devmemlab: FAIL %s: workload exited with status %d (log: %s/console.log)\n",
			t->name, v->status, dir);
		return EXIT_GUEST_FAIL;
	case V_NO_RESULT:
		break;
	}
	if (r->backend_error[0]) {
		fprintf(stderr, "devmemlab: FAIL %s: %s\n", t->name, r->backend_error);
		return EXIT_INFRA;
	}
	if (WIFSIGNALED(r->qemu_status) && !run_interrupted) {	/* a crash, not our kill */
		fprintf(stderr, "devmemlab: FAIL %s: QEMU died of signal %d (%s)\n", t->name,
			WTERMSIG(r->qemu_status), strsignal(WTERMSIG(r->qemu_status)));
		return EXIT_INFRA;
	}
	/* QEMU backend only: under libvirt its failures are in backend_error */
	snprintf(errf, sizeof(errf), "%s/qemu.stderr", dir);
	first_line(errf, line, sizeof(line));
	if (v->lines == 0 || (WIFEXITED(r->qemu_status) && WEXITSTATUS(r->qemu_status))) {
		fprintf(stderr, "devmemlab: FAIL %s: QEMU failed%s%s\n", t->name,
			*line ? ": " : " (no console output)", line);
		return EXIT_INFRA;
	}
	fprintf(stderr, "devmemlab: FAIL %s: guest stopped without reporting a result%s. Console tail:\n",
		t->name, run_interrupted ? " (interrupted)" : "");
	print_tail(r, 15);
	return EXIT_GUEST_FAIL;
}

/* --accel: one error line for both commands that take auto */
static void check_accel(const struct cli *c)
{
	if (c->accel && strcmp(c->accel, "kvm") && strcmp(c->accel, "tcg") && strcmp(c->accel, "auto"))
		die_usage("--accel must be kvm, tcg or auto, not '%s'", c->accel);
}

/* libvirt's daemon does not share our working directory */
static void abs_path(const char *in, char *out, size_t len)
{
	char cwd[PATH_MAX];
	int n;

	if (in[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		n = snprintf(out, len, "%s", in);
	else if (!strcmp(in, "."))
		n = snprintf(out, len, "%s", cwd);
	else
		n = snprintf(out, len, "%s/%s", cwd, in);
	if (n < 0 || (size_t)n >= len)
		die_usage("path too long: %s", in);
}

static void remove_probe_dir(const char *dir)
{
	static const char *const files[] = { "kvm-probe.log", "kvm-probe.stderr", "kvm-probe.serial" };
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int libvirt_xml_main(const struct cli *c, struct topology *t, struct qemu_opts *o)
{
	char kernel[PATH_MAX], initrd[PATH_MAX], work[PATH_MAX], serial[PATH_MAX + 16];
	char name[128], why[512] = "", err[1024], tmp[] = "/tmp/devmemlab-probe-XXXXXX";
	struct lv_opts lo = { .name = name, .serial = serial };
	char *xml;

	check_accel(c);
	abs_path(o->kernel, kernel, sizeof(kernel));
	abs_path(o->initrd, initrd, sizeof(initrd));
	abs_path(c->workdir ? c->workdir : ".", work, sizeof(work));
	o->kernel = kernel;
	o->initrd = initrd;
	o->workdir = work;
	snprintf(name, sizeof(name), "devmemlab-%s", t->name);
	snprintf(serial, sizeof(serial), "%s/serial.log", work);
	lo.remote = lv_uri_is_remote(c->connect);
	if (libvirt_xml_check(t, o, err, sizeof(err)))	/* before a probe boot */
		die_usage("%s", err);
	if (!c->accel || !strcmp(c->accel, "auto")) {
		/* the same probe boot as `run`, here and with plain QEMU; ^C stops it */
		cleanup_install_signals();
		if (access(kernel, R_OK) || access(initrd, R_OK)) {
			snprintf(why, sizeof(why), "no kernel/initramfs to probe KVM with");
		} else if (!mkdtemp(tmp)) {
			snprintf(why, sizeof(why), "mkdtemp: %s", strerror(errno));
		} else {
			if (kvm_works(o, tmp, NULL, why, sizeof(why)))
				o->accel = "kvm";
			remove_probe_dir(tmp);
		}
		if (run_interrupted)
			return 128 + run_interrupted;
	} else {
		o->accel = c->accel;
		snprintf(why, sizeof(why), "--accel %s", c->accel);
	}
	if (libvirt_build_xml(t, o, &lo, &xml, err, sizeof(err)))
		die_usage("%s", err);
	fprintf(stderr, "devmemlab: topology %s, accel %s (%s)\n", t->name, o->accel, why);
	fputs(xml, stdout);
	free(xml);
	return 0;
}

/* The libvirt backend's domain: XML in DIR/domain.xml, console in DIR/serial.log. */
static void boot_libvirt(virConnectPtr lv, const struct topology *t, const struct qemu_opts *o,
			 int remote, const char *dir, const struct boot_opts *bo,
			 struct boot_result *r)
{
	char name[128], serial[PATH_MAX + 32], path[PATH_MAX + 16], err[1024];
	struct lv_opts lo = { .name = name, .serial = serial, .remote = remote };
	char *xml;
	FILE *f;

	snprintf(name, sizeof(name), "devmemlab-%s-%d", t->name, (int)getpid());
	abs_path(dir, path, sizeof(path));
	snprintf(serial, sizeof(serial), "%s/serial.log", path);
	snprintf(path, sizeof(path), "%s/domain.xml", dir);
	if (libvirt_build_xml(t, o, &lo, &xml, err, sizeof(err)))
		die_usage("%s", err);	/* checked before anything was created */
	f = fopen(path, "w");
	if (f) {
		fputs(xml, f);
		fclose(f);
	}
	fprintf(stderr, "devmemlab: libvirt domain %s\n", name);
	lv_boot(lv, name, xml, serial, bo, r);
	lv_destroy_leftover(lv, name);
	free(xml);
}

int run_main(const struct cli *c, struct topology *t, struct qemu_opts *o)
{
	char dir[PATH_MAX], why[512] = "", err[1024], path[PATH_MAX + 32];
	char append[4096], kernel[PATH_MAX], initrd[PATH_MAX], work[PATH_MAX];
	struct boot_opts bo = { .timeout = c->timeout, .verbose = c->verbose };
	int remote = c->libvirt && lv_uri_is_remote(c->connect);
	struct boot_result *r;
	struct argv a = { 0 };
	virConnectPtr lv = NULL;
	FILE *f;
	int ret;

	/* Everything that can be refused is checked before anything is created. */
	check_accel(c);
	if (access(o->kernel, R_OK))
		die_usage("guest kernel %s: %s (run 'make kernel' or pass --kernel)", o->kernel, strerror(errno));
	if (access(o->initrd, R_OK))
		die_usage("initramfs %s: %s (run 'make initramfs' or pass --initrd)", o->initrd, strerror(errno));
	if (c->shell && c->libvirt)
		die_usage("--shell works with the QEMU backend only (under libvirt: virsh console)");
	if (c->shell) {
		snprintf(append, sizeof(append), "%s%slab.shell=1", o->append ? o->append : "",
			 o->append ? " " : "");
		o->append = append;
	}
	if (qemu_kernel_cmdline(t, o, path, sizeof(path), err, sizeof(err)))
		die_usage("%s", err);
	if (c->libvirt) {
		abs_path(o->kernel, kernel, sizeof(kernel));
		abs_path(o->initrd, initrd, sizeof(initrd));
		o->kernel = kernel;
		o->initrd = initrd;
		if (libvirt_xml_check(t, o, err, sizeof(err)))
			die_usage("%s", err);
		/* no daemon, no permission: one line, before anything exists */
		lv = lv_connect(c->connect, err, sizeof(err));
		if (!lv) {
			fprintf(stderr, "devmemlab: %s\n", err);
			return EXIT_INFRA;
		}
	}

	cleanup_install_signals();
	if (make_run_dir(c, t, dir, sizeof(dir))) {
		ret = EXIT_INFRA;
		goto out;
	}
	abs_path(c->workdir ? c->workdir : dir, work, sizeof(work));
	o->workdir = work;

	if (!c->accel || !strcmp(c->accel, "auto"))
		o->accel = kvm_works(o, dir, lv, why, sizeof(why)) ? "kvm" : "tcg";
	else
		o->accel = c->accel;
	if (!*why)
		snprintf(why, sizeof(why), "--accel %s", c->accel);
	fprintf(stderr, "devmemlab: topology %s, accel %s (%s)%s%s\n", t->name, o->accel, why,
		lv ? ", libvirt " : "", lv ? c->connect : "");
	fprintf(stderr, "devmemlab: results in %s\n", dir);

	ret = EXIT_INFRA;
	if (run_interrupted || make_backing_files(t, o, !!lv, remote))
		goto out;
	if (!lv) {
		if (qemu_build_argv(t, o, &a, err, sizeof(err)))
			die_usage("%s", err);
		snprintf(path, sizeof(path), "%s/qemu-cmd.txt", dir);
		f = fopen(path, "w");
		if (f) {
			argv_print(&a, f);
			fclose(f);
		}
	}
	if (c->shell) {
		ret = boot_shell(a.v);
		goto out;
	}

	r = malloc(sizeof(*r));
	if (!r)
		goto out;
	snprintf(path, sizeof(path), "%s/console.log", dir);
	bo.console_log = strdup(path);
	snprintf(path, sizeof(path), "%s/%s", dir, lv ? "qemu.log" : "qemu.stderr");
	bo.qemu_stderr = strdup(path);
	bo.files_dir = dir;
	if (lv)
		boot_libvirt(lv, t, o, remote, dir, &bo, r);
	else
		boot_watch(a.v, &bo, r);
	write_json(dir, t, o, why, c, r);
	ret = report(t, o, dir, c, r);
	free((char *)bo.console_log);
	free((char *)bo.qemu_stderr);
	free(r);
out:
	if (run_interrupted) {	/* also during the KVM probe: the guest was stopped */
		fprintf(stderr, "devmemlab: interrupted by signal %d%s\n", run_interrupted,
			run_interrupted == SIGPIPE ? " (SIGPIPE: the reader of the output went away)" : "");
		ret = 128 + run_interrupted;
	}
	argv_free(&a);
	if (lv)
		virConnectClose(lv);
	return ret;
}

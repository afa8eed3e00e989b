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
#include "results.h"

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

/* One `devmemlab run` (or the probe boot of `libvirt-xml`) and its backend. */
struct run {
	const struct cli *c;
	const struct topology *t;
	struct qemu_opts *o;
	const struct backend *be;
	const char *uri;	/* libvirt: where the domain runs */
	virConnectPtr lv;
	int remote;		/* the libvirt daemon is on another host */
	char kernel[PATH_MAX], initrd[PATH_MAX];	/* libvirt: absolute */
};

/*
 * A backend starts the guest and feeds its console to the console engine
 * (run.c); run_main takes the same straight path for each. Plain QEMU and
 * libvirt are below; another (a test farm's) fills in the same table.
 */
struct backend {
	const char *name;		/* result.json "backend" */
	const char *emulator_log;	/* the emulator's own log in the results directory */
	int local_kvm;			/* the KVM probe needs /dev/kvm on this host */
	/* Refuse what it cannot do (die_usage) and connect (EXIT_INFRA, one line): nothing exists yet. */
	int (*open)(struct run *run);
	/* Create the files the topology needs: lab memory, disks. */
	int (*make_files)(struct run *run);
	/*
	 * Boot t with options o and judge its console. The KVM probe (probe=1)
	 * keeps its files as kvm-probe.* in dir; a run saves what it started
	 * there. -1 with err if nothing could be started.
	 */
	int (*boot)(struct run *run, const struct topology *t, const struct qemu_opts *o,
		    const char *dir, int probe, const struct boot_opts *bo,
		    struct boot_result *r, char *err, size_t errlen);
	/* One line on why a boot failed (the probe's reason). */
	void (*why)(const struct boot_opts *bo, const struct boot_result *r, char *line, size_t len);
	/* --shell: the guest on this terminal; NULL if the backend cannot (open refuses it). */
	int (*shell)(struct run *run, const char *dir);
	void (*close)(struct run *run);
};

/*
 * KVM is used only when a probe boot of the same kernel reaches /init:
 * nested KVM can exist and still fail with "emulation failure".
 */
static int kvm_works(struct run *run, const char *dir, char *why, size_t len)
{
	char log[PATH_MAX + 32], errf[PATH_MAX + 32], err[512], line[256];
	struct topology *t;
	struct qemu_opts o = *run->o;
	struct boot_opts bo = { .timeout = KVM_PROBE_TIMEOUT, .quiet = 1 };
	struct boot_result *r;
	int ok;

	if (run->be->local_kvm) {	/* under libvirt the probe domain asks its host's KVM */
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
	o.results_dir = dir;
	o.qmp = NULL;		/* the socket is for the real boot */
	snprintf(log, sizeof(log), "%s/kvm-probe.log", dir);
	snprintf(errf, sizeof(errf), "%s/kvm-probe.stderr", dir);
	bo.console_log = log;
	bo.qemu_stderr = errf;
	if (run->be->boot(run, t, &o, dir, 1, &bo, r, err, sizeof(err))) {
		snprintf(why, len, "%s", err);
		ok = 0;
	} else {
		ok = r->v.kind == V_PASS;
		run->be->why(&bo, r, line, sizeof(line));
		if (ok)
			snprintf(why, len, "KVM probe boot passed in %.1f s", r->wall);
		else
			snprintf(why, len, "KVM probe boot failed: %s", *line ? line : verdict_name(r->v.kind));
	}
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

static void write_json(const char *dir, const struct run *run, const char *why,
		       const struct boot_result *r)
{
	const struct topology *t = run->t;
	const struct qemu_opts *o = run->o;
	char path[PATH_MAX + 16];
	json_object *j = json_object_new_object();

	json_object_object_add(j, "topology", json_object_new_string(t->name));
	json_object_object_add(j, "backend", json_object_new_string(run->be->name));
	if (run->uri)
		json_object_object_add(j, "libvirt_uri", json_object_new_string(run->uri));
	json_object_object_add(j, "accel", json_object_new_string(o->accel));
	json_object_object_add(j, "accel_reason", json_object_new_string(why));
	json_object_object_add(j, "kernel", json_object_new_string(o->kernel));
	json_object_object_add(j, "initrd", json_object_new_string(o->initrd));
	json_object_object_add(j, "verdict", json_object_new_string(verdict_name(r->v.kind)));
	json_object_object_add(j, "workload_status", json_object_new_int(r->v.status));
	json_object_object_add(j, "init_seconds", json_object_new_double(r->init_at));
	json_object_object_add(j, "wall_seconds", json_object_new_double(r->wall));
	json_object_object_add(j, "timeout", json_object_new_int(run->c->timeout));
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

/* an absolute path: libvirt's daemon does not share our working directory */
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
	static const char *const files[] = { "kvm-probe.log", "kvm-probe.stderr", "kvm-probe.serial",
					     RESULTS_STREAM };
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* What was started, for the user to read or repeat: DIR/NAME. */
static void save_text(const char *dir, const char *name, const char *text, const struct argv *a)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return;
	if (a)
		argv_print(a, f);
	else
		fputs(text, f);
	fclose(f);
}

/* --- the QEMU backend: QEMU is our child, its serial console a pipe (run.c) --- */

static int qemu_open(struct run *run)
{
	(void)run;
	return 0;
}

static int qemu_make_files(struct run *run)
{
	return make_backing_files(run->t, run->o, 0, 0);
}

static int qemu_argv(const struct topology *t, const struct qemu_opts *o, const char *dir,
		     struct argv *a, char *err, size_t errlen)
{
	if (qemu_build_argv(t, o, a, err, errlen))
		return -1;
	if (dir)
		save_text(dir, "qemu-cmd.txt", NULL, a);
	return 0;
}

static int qemu_boot(struct run *run, const struct topology *t, const struct qemu_opts *o,
		     const char *dir, int probe, const struct boot_opts *bo,
		     struct boot_result *r, char *err, size_t errlen)
{
	struct argv a = { 0 };

	(void)run;
	if (qemu_argv(t, o, probe ? NULL : dir, &a, err, errlen)) {
		argv_free(&a);
		return -1;
	}
	boot_watch(a.v, bo, r);
	argv_free(&a);
	return 0;
}

/* QEMU's own first word on what went wrong */
static void qemu_why(const struct boot_opts *bo, const struct boot_result *r, char *line, size_t len)
{
	(void)r;
	first_line(bo->qemu_stderr, line, len);
}

static int qemu_shell(struct run *run, const char *dir)
{
	struct argv a = { 0 };
	char err[1024];
	int ret;

	if (qemu_argv(run->t, run->o, dir, &a, err, sizeof(err)))
		die_usage("%s", err);
	ret = boot_shell(a.v);
	argv_free(&a);
	return ret;
}

static void qemu_close(struct run *run)
{
	(void)run;
}

static const struct backend qemu_backend = {
	.name = "qemu", .emulator_log = "qemu.stderr", .local_kvm = 1,
	.open = qemu_open, .make_files = qemu_make_files, .boot = qemu_boot, .why = qemu_why,
	.shell = qemu_shell, .close = qemu_close,
};

/* --- the libvirt backend: a transient domain, its console a file (libvirt_run.c) --- */

static int lv_open(struct run *run)
{
	char err[1024];

	if (run->c->shell)
		die_usage("--shell works with the QEMU backend only (under libvirt: virsh console)");
	/* libvirt's daemon does not share our working directory */
	abs_path(run->o->kernel, run->kernel, sizeof(run->kernel));
	abs_path(run->o->initrd, run->initrd, sizeof(run->initrd));
	run->o->kernel = run->kernel;
	run->o->initrd = run->initrd;
	if (libvirt_xml_check(run->t, run->o, err, sizeof(err)))
		die_usage("%s", err);
	/* no daemon, no permission: one line, before anything exists */
	run->lv = lv_connect(run->c->connect, err, sizeof(err));
	if (!run->lv) {
		fprintf(stderr, "devmemlab: %s\n", err);
		return -1;
	}
	run->uri = run->c->connect;
	run->remote = lv_uri_is_remote(run->c->connect);
	return 0;
}

static int lv_make_files(struct run *run)
{
	return make_backing_files(run->t, run->o, 1, run->remote);
}

/* The domain's XML in DIR/domain.xml, its console in DIR/serial.log (probe: kvm-probe.serial). */
static int lv_boot_domain(struct run *run, const struct topology *t, const struct qemu_opts *o,
			  const char *dir, int probe, const struct boot_opts *bo,
			  struct boot_result *r, char *err, size_t errlen)
{
	char name[128], serial[PATH_MAX + 32], path[PATH_MAX];
	struct lv_opts lo = { .name = name, .serial = serial, .remote = run->remote };
	char *xml = NULL;

	abs_path(dir, path, sizeof(path));
	if (probe) {
		snprintf(name, sizeof(name), "devmemlab-kvm-probe-%d", (int)getpid());
		snprintf(serial, sizeof(serial), "%s/kvm-probe.serial", path);
	} else {
		snprintf(name, sizeof(name), "devmemlab-%s-%d", t->name, (int)getpid());
		snprintf(serial, sizeof(serial), "%s/serial.log", path);
	}
	if (libvirt_build_xml(t, o, &lo, &xml, err, errlen))
		return -1;	/* a run's was checked in lv_open, before anything was created */
	if (!probe) {
		save_text(dir, "domain.xml", xml, NULL);
		fprintf(stderr, "devmemlab: libvirt domain %s\n", name);
	}
	lv_boot(run->lv, name, xml, serial, bo, r);
	if (!probe)
		lv_destroy_leftover(run->lv, name);
	free(xml);
	return 0;
}

/* libvirt's log starts with QEMU's command line: its message says more */
static void lv_why(const struct boot_opts *bo, const struct boot_result *r, char *line, size_t len)
{
	(void)bo;
	snprintf(line, len, "%.255s", r->backend_error);
}

static void lv_close(struct run *run)
{
	if (run->lv)
		virConnectClose(run->lv);
}

static const struct backend libvirt_backend = {
	.name = "libvirt", .emulator_log = "qemu.log", .local_kvm = 0,
	.open = lv_open, .make_files = lv_make_files, .boot = lv_boot_domain, .why = lv_why,
	.shell = NULL, .close = lv_close,
};

int libvirt_xml_main(const struct cli *c, struct topology *t, struct qemu_opts *o)
{
	char kernel[PATH_MAX], initrd[PATH_MAX], work[PATH_MAX], serial[PATH_MAX + 16];
	char name[128], why[512] = "", err[1024], tmp[] = "/tmp/devmemlab-probe-XXXXXX";
	struct lv_opts lo = { .name = name, .serial = serial };
	struct run probe = { .c = c, .t = t, .o = o, .be = &qemu_backend };
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
			if (kvm_works(&probe, tmp, why, sizeof(why)))
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

int run_main(const struct cli *c, struct topology *t, struct qemu_opts *o)
{
	char dir[PATH_MAX], why[512] = "", err[1024], path[PATH_MAX + 32];
	char append[4096], work[PATH_MAX], rdir[PATH_MAX];
	struct boot_opts bo = { .timeout = c->timeout, .verbose = c->verbose };
	struct run run = { .c = c, .t = t, .o = o, .be = c->libvirt ? &libvirt_backend : &qemu_backend };
	struct boot_result *r;
	int ret;

	/* Everything that can be refused is checked before anything is created. */
	check_accel(c);
	if (access(o->kernel, R_OK))
		die_usage("guest kernel %s: %s (run 'make kernel' or pass --kernel)", o->kernel, strerror(errno));
	if (access(o->initrd, R_OK))
		die_usage("initramfs %s: %s (run 'make initramfs' or pass --initrd)", o->initrd, strerror(errno));
	if (c->shell) {
		snprintf(append, sizeof(append), "%s%slab.shell=1", o->append ? o->append : "",
			 o->append ? " " : "");
		o->append = append;
	}
	if (qemu_kernel_cmdline(t, o, path, sizeof(path), err, sizeof(err)))
		die_usage("%s", err);
	if (run.be->open(&run))
		return EXIT_INFRA;

	cleanup_install_signals();
	ret = EXIT_INFRA;
	if (make_run_dir(c, t, dir, sizeof(dir)))
		goto out;
	abs_path(c->workdir ? c->workdir : dir, work, sizeof(work));
	o->workdir = work;
	abs_path(dir, rdir, sizeof(rdir));	/* the results channel's stream */
	o->results_dir = rdir;

	if (!c->accel || !strcmp(c->accel, "auto"))
		o->accel = kvm_works(&run, dir, why, sizeof(why)) ? "kvm" : "tcg";
	else
		o->accel = c->accel;
	if (!*why)
		snprintf(why, sizeof(why), "--accel %s", c->accel);
	fprintf(stderr, "devmemlab: topology %s, accel %s (%s)%s%s\n", t->name, o->accel, why,
		run.uri ? ", libvirt " : "", run.uri ? run.uri : "");
	fprintf(stderr, "devmemlab: results in %s\n", dir);

	if (run_interrupted || run.be->make_files(&run))
		goto out;
	if (c->shell) {
		ret = run.be->shell(&run, dir);
		goto out;
	}

	r = malloc(sizeof(*r));
	if (!r)
		goto out;
	snprintf(path, sizeof(path), "%s/console.log", dir);
	bo.console_log = strdup(path);
	snprintf(path, sizeof(path), "%s/%s", dir, run.be->emulator_log);
	bo.qemu_stderr = strdup(path);
	bo.files_dir = dir;
	if (run.be->boot(&run, t, o, dir, 0, &bo, r, err, sizeof(err)))
		die_usage("%s", err);	/* checked before anything was created */
	results_unpack(dir);
	write_json(dir, &run, why, r);
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
	run.be->close(&run);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: turn a topology file into a QEMU command line, boot it, watch
 * the console and judge the run. See docs/launcher.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json.h>
#include <libgen.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"
#include "lava_job.h"

char lab_root[LAB_ROOT_MAX];	/* the checkout: parent of qemu/ */


static void usage(FILE *f)
{
	fputs("usage: devmemlab list [--topologies DIR]\n"
	      "       devmemlab check FILE...\n"
	      "       devmemlab modules\n"
	      "       devmemlab describe -t TOPO\n"
	      "       devmemlab qemu-cmd -t TOPO [options] [-- guest command]\n"
	      "       devmemlab run -t TOPO [options] [-- guest command]\n"
	      "       devmemlab libvirt-xml -t TOPO [options] [-- guest command]\n"
	      "       devmemlab qmp [--wait-event NAME] [--timeout S] SOCKET COMMAND [ARGS-JSON]\n"
	      "       devmemlab lava-job -t TOPO [--suite NAME] --kernel-url URL --initrd-url URL\n"
	      "                [--disk-url URL] [--qemu-image IMAGE] [--accel tcg|kvm] [--timeout S]\n"
	      "                [-- suite arguments]\n"
	      "options:\n"
	      "  -t, --topology NAME|FILE  topology name (topologies/NAME.ini) or file\n"
	      "  --kernel FILE             guest kernel (default build/kernel/vmlinuz)\n"
	      "  --initrd FILE             initramfs (default build/initramfs.cpio.zst)\n"
	      "  --accel kvm|tcg|auto      run, libvirt-xml: default auto (KVM only if a probe\n"
	      "                            boot works);\n"
	      "                            qemu-cmd: default tcg\n"
	      "  --timeout SECONDS         run: deadline, then the guest is killed (default 300)\n"
	      "  --cpus N                  override the topology's vCPU count\n"
	      "  --results DIR             run: results root (default results/)\n"
	      "  --script GUEST_PATH       workload script inside the guest (default: inventory)\n"
	      "  --append PARAMS           extra kernel parameters (lab.shell=1 for a shell); again: added\n"
	      "  --shell                   run: interactive guest shell on this terminal\n"
	      "  --shm-prefix PATH         lab-managed ivshmem files are PATH-ID\n"
	      "  --workdir DIR             where NVMe disk images live (run: the results dir;\n"
	      "                            libvirt-xml: also serial.log; default: .)\n"
	      "  --qemu BINARY             emulator (default qemu-system-x86_64; for a topology\n"
	      "                            with an accel device build/qemu/qemu-system-x86_64)\n"
	      "  -v, --verbose             run: echo every console line\n"
	      "  --libvirt                 run: start the VM through libvirt, not QEMU directly\n"
	      "  --connect URI             libvirt URI (default qemu:///system)\n"
	      "  --qmp PATH                run, qemu-cmd: QMP socket at PATH (QEMU backend)\n"
	      "  --wait-event NAME         qmp: then wait for event NAME (of the command's \"id\")\n"
	      "  --suite NAME              lava-job: the in-VM suite tests/vm/NAME.sh (one per job)\n"
	      "  --kernel-url, --initrd-url URL  lava-job: where the worker downloads them\n"
	      "  --disk-url URL            lava-job: NVMe disk images at URL/ID.img\n"
	      "  --qemu-image IMAGE        lava-job: container image with the lab's QEMU\n"
	      "                            (topologies with the lab's device)\n"
	      "exit status of run: 0 pass, 1 workload failed, 2 bad input, 3 kernel problem,\n"
	      "4 deadline passed, 5 QEMU or libvirt failed, 6 out of memory (OOM kill),\n"
	      "128+N interrupted by signal N (141: the reader of the output went away)\n", f);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("devmemlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static void find_lab_root(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0) {
		strcpy(lab_root, ".");
		return;
	}
	exe[n] = '\0';
	/* the binary lives in qemu/ of the checkout */
	if (snprintf(lab_root, sizeof(lab_root), "%s", dirname(dirname(exe))) >= (int)sizeof(lab_root))
		die_usage("the checkout's path is too long (at most %d characters)", LAB_ROOT_MAX - 1);
}

static void topo_path(const struct cli *c, char *buf, size_t len)
{
	int n;

	if (strchr(c->topo, '/') || strstr(c->topo, ".ini"))
		n = snprintf(buf, len, "%s", c->topo);
	else if (c->topo_dir)
		n = snprintf(buf, len, "%s/%s.ini", c->topo_dir, c->topo);
	else
		n = snprintf(buf, len, "%s/topologies/%s.ini", lab_root, c->topo);
	if (n < 0 || (size_t)n >= len)
		die_usage("topology path too long (at most %zu characters)", len - 1);
}

static void load_topology(const struct cli *c, struct topology *t)
{
	char path[PATH_MAX], err[1024];

	if (!c->topo)
		die_usage("no topology given (-t NAME); 'devmemlab list' shows them");
	topo_path(c, path, sizeof(path));
	if (access(path, R_OK) && !strchr(c->topo, '/'))
		die_usage("unknown topology '%s' (%s); 'devmemlab list' shows them", c->topo, path);
	if (topo_load(path, t, err, sizeof(err)))
		die_usage("%s", err);
	if (c->cpus)
		t->cpus = c->cpus;
}

static int cmd_list(const struct cli *c)
{
	char dir[PATH_MAX], path[PATH_MAX * 2], err[1024];
	struct dirent **ents;
	struct topology *t = malloc(sizeof(*t));
	int n, bad = 0;

	snprintf(dir, sizeof(dir), "%s", c->topo_dir ? c->topo_dir : "");
	if (!*dir)
		snprintf(dir, sizeof(dir), "%s/topologies", lab_root);
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0 || !t)
		die_usage("%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);

		if (l > 4 && !strcmp(ents[i]->d_name + l - 4, ".ini")) {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			if (topo_load(path, t, err, sizeof(err))) {
				fprintf(stderr, "devmemlab: %s\n", err);
				bad = 1;
			} else {
				printf("%-12s %s\n", t->name, t->description);
			}
		}
		free(ents[i]);
	}
	free(ents);
	free(t);
	return bad ? EXIT_USAGE : 0;
}

static int cmd_check(int argc, char **argv)
{
	struct topology *t = malloc(sizeof(*t));
	char err[1024];
	int bad = 0;

	if (!t)
		return EXIT_INFRA;
	if (optind >= argc)
		die_usage("check: no topology files given");
	for (int i = optind; i < argc; i++) {
		if (topo_load(argv[i], t, err, sizeof(err))) {
			fprintf(stderr, "devmemlab: %s\n", err);
			bad = 1;
		} else {
			printf("%s: ok (%d devices)\n", argv[i], t->ndev);
		}
	}
	free(t);
	return bad ? EXIT_USAGE : 0;
}

/*
 * Which QEMU: --qemu if given; the lab's own build (make qemu) for a
 * topology with a device only it has; Debian's qemu-system-x86_64 from PATH
 * for every other topology.
 */
static const char *default_qemu(const struct topology *t, char *buf)
{
	if (!topo_needs_lab_qemu(t))
		return "qemu-system-x86_64";
	snprintf(buf, PATH_MAX, "%s/build/qemu/qemu-system-x86_64", lab_root);
	return buf;
}

static void fill_qemu_opts(const struct cli *c, const struct topology *t, struct qemu_opts *o,
			   const char *accel, char *kernel, char *initrd, char *shm, char *append,
			   char *qemu)
{
	if (!c->kernel)
		snprintf(kernel, PATH_MAX, "%s/build/kernel/vmlinuz", lab_root);
	if (!c->initrd)
		snprintf(initrd, PATH_MAX, "%s/build/initramfs.cpio.zst", lab_root);
	if (!c->shm_prefix)
		snprintf(shm, PATH_MAX, "/dev/shm/devmemlab-%d", (int)getpid());
	if (c->shm_prefix && strlen(c->shm_prefix) > QEMU_PREFIX_MAX)
		die_usage("--shm-prefix is too long (at most %d characters)", QEMU_PREFIX_MAX);
	if (c->workdir && strlen(c->workdir) > QEMU_PREFIX_MAX)
		die_usage("--workdir is too long (at most %d characters)", QEMU_PREFIX_MAX);
	if (snprintf(append, 4096, "%s%s%s%s", c->script ? "lab.run=" : "", c->script ? c->script : "",
		     c->script && c->append ? " " : "", c->append ? c->append : "") >= 4096)
		die_usage("--script and --append are too long for the kernel command line");
	*o = (struct qemu_opts){
		.qemu = c->qemu ? c->qemu : default_qemu(t, qemu),
		.kernel = c->kernel ? c->kernel : kernel,
		.initrd = c->initrd ? c->initrd : initrd,
		.accel = accel,
		.shm_prefix = c->shm_prefix ? c->shm_prefix : shm,
		.workdir = c->workdir ? c->workdir : ".",
		.append = *append ? append : NULL,
		.guest_cmd = c->guest_cmd,
		.qmp = c->qmp,
	};
}

static int cmd_qemu_cmd(const struct cli *c)
{
	char kernel[PATH_MAX], initrd[PATH_MAX], shm[PATH_MAX], append[4096], err[1024];
	char qemu[PATH_MAX];
	struct topology *t = malloc(sizeof(*t));
	struct qemu_opts o;
	struct argv a = { 0 };

	if (!t)
		return EXIT_INFRA;
	load_topology(c, t);
	if (c->accel && strcmp(c->accel, "kvm") && strcmp(c->accel, "tcg"))
		die_usage("qemu-cmd: --accel must be kvm or tcg (auto needs a probe boot)");
	fill_qemu_opts(c, t, &o, c->accel ? c->accel : "tcg", kernel, initrd, shm, append, qemu);
	if (qemu_build_argv(t, &o, &a, err, sizeof(err)))
		die_usage("%s", err);
	argv_print(&a, stdout);
	argv_free(&a);
	free(t);
	return 0;
}

/* A LAVA job for a topology and one suite, on stdout (lava_job.c) */
static int cmd_lava_job(const struct cli *c)
{
	struct lava_opts lo = {
		.suite = c->suite, .suite_args = c->guest_cmd, .kernel_url = c->kernel_url, .initrd_url = c->initrd_url,
		.disk_url = c->disk_url, .qemu_image = c->qemu_image,
		.accel = c->accel ? c->accel : "tcg", .timeout = c->timeout,
	};
	struct topology *t = malloc(sizeof(*t));
	char err[1024];

	if (!t)
		return EXIT_INFRA;
	load_topology(c, t);
	if (!c->kernel_url || !c->initrd_url)
		die_usage("lava-job: --kernel-url and --initrd-url are needed (where the worker downloads them)");
	if (!c->disk_url && topo_has_kind(t, DEV_NVME))
		die_usage("lava-job: topology '%s' has NVMe drives: --disk-url (its images are URL/ID.img)", t->name);
	if (c->script || (c->guest_cmd && !c->suite))
		die_usage("lava-job: the workload is --suite NAME [-- its arguments] (tests/vm/NAME.sh)");
	if (c->suite && !strchr(c->suite, '/')) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/tests/vm/%s.sh", lab_root, c->suite);
		if (access(path, R_OK))
			die_usage("lava-job: unknown suite '%s' (no tests/vm/%s.sh)", c->suite, c->suite);
	}
	if (lava_job_write(t, &lo, stdout, err, sizeof(err)))
		die_usage("lava-job: %s", err);
	free(t);
	return 0;
}

/* One line per device, for tests and scripts: ID KIND size=N cmb=N bus=ID */
static int cmd_describe(const struct cli *c)
{
	struct topology *t = malloc(sizeof(*t));

	if (!t)
		return EXIT_INFRA;
	load_topology(c, t);
	printf("machine memory=%llu cpus=%d\n", (unsigned long long)t->memory, t->cpus);
	for (int i = 0; i < t->ndev; i++) {
		const struct topo_device *d = &t->dev[i];

		printf("%s %s size=%llu cmb=%llu bus=%s\n", d->id, topo_kind_name(d->kind),
		       (unsigned long long)d->size, (unsigned long long)d->cmb,
		       d->bus < 0 ? "pcie.0" : t->dev[d->bus].id);
	}
	free(t);
	return 0;
}

static void print_modules(void)
{
	char *m = qemu_all_modules();

	printf("%s\n", m);
	free(m);
}

/* --qmp: QEMU backend only; QEMU replaces a socket there, nothing else. */
static void check_qmp(const struct cli *c, const char *cmd)
{
	struct stat st;

	if (c->libvirt || !strcmp(cmd, "libvirt-xml"))
		die_usage("--qmp works with the QEMU backend only (under libvirt: virsh qemu-monitor-command)");
	if (!strcmp(cmd, "run") && !lstat(c->qmp, &st) && !S_ISSOCK(st.st_mode))
		die_usage("--qmp %s: exists and is not a socket", c->qmp);
	if (!strcmp(cmd, "run"))
		cleanup_register(c->qmp);	/* QEMU removes it, unless it is killed */
}

static void parse_args(int argc, char **argv, struct cli *c)
{
	enum { OPT_KERNEL = 256, OPT_INITRD, OPT_ACCEL, OPT_TIMEOUT, OPT_RESULTS, OPT_SCRIPT, OPT_APPEND,
	       OPT_SHM, OPT_WORKDIR, OPT_QEMU, OPT_TOPODIR, OPT_SHELL, OPT_CPUS, OPT_LIBVIRT,
	       OPT_CONNECT, OPT_QMP, OPT_WAIT_EVENT, OPT_SUITE, OPT_KERNEL_URL, OPT_INITRD_URL,
	       OPT_DISK_URL, OPT_QEMU_IMAGE };
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "topologies", required_argument, NULL, OPT_TOPODIR },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "accel", required_argument, NULL, OPT_ACCEL },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "script", required_argument, NULL, OPT_SCRIPT },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "shm-prefix", required_argument, NULL, OPT_SHM },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "qemu", required_argument, NULL, OPT_QEMU },
		{ "shell", no_argument, NULL, OPT_SHELL },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "libvirt", no_argument, NULL, OPT_LIBVIRT },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "wait-event", required_argument, NULL, OPT_WAIT_EVENT },
		{ "suite", required_argument, NULL, OPT_SUITE },
		{ "kernel-url", required_argument, NULL, OPT_KERNEL_URL },
		{ "initrd-url", required_argument, NULL, OPT_INITRD_URL },
		{ "disk-url", required_argument, NULL, OPT_DISK_URL },
		{ "qemu-image", required_argument, NULL, OPT_QEMU_IMAGE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "+t:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 't': c->topo = optarg; break;
		case OPT_TOPODIR: c->topo_dir = optarg; break;
		case OPT_KERNEL: c->kernel = optarg; break;
		case OPT_INITRD: c->initrd = optarg; break;
		case OPT_ACCEL: c->accel = optarg; break;
		case OPT_RESULTS: c->results = optarg; break;
		case OPT_SCRIPT: c->script = optarg; break;
		case OPT_APPEND:
			if (c->append) {	/* again: the parameters add up, in order */
				static char *joined;
				char *j = xasprintf("%s %s", c->append, optarg);

				free(joined);
				c->append = joined = j;
			} else {
				c->append = optarg;
			}
			break;
		case OPT_SHM: c->shm_prefix = optarg; break;
		case OPT_WORKDIR: c->workdir = optarg; break;
		case OPT_QEMU: c->qemu = optarg; break;
		case OPT_SHELL: c->shell = 1; break;
		case OPT_LIBVIRT: c->libvirt = 1; break;
		case OPT_CONNECT: c->connect = optarg; break;
		case OPT_QMP: c->qmp = optarg; break;
		case OPT_WAIT_EVENT: c->wait_event = optarg; break;
		case OPT_SUITE:
			if (c->suite)
				die_usage("one --suite per LAVA job (a farm runs one job per topology and suite)");
			c->suite = optarg;
			break;
		case OPT_KERNEL_URL: c->kernel_url = optarg; break;
		case OPT_INITRD_URL: c->initrd_url = optarg; break;
		case OPT_DISK_URL: c->disk_url = optarg; break;
		case OPT_QEMU_IMAGE: c->qemu_image = optarg; break;
		case 'v': c->verbose = 1; break;
		case OPT_CPUS:
			errno = 0;
			c->cpus = strtol(optarg, &end, 10);
			if (errno || *end || c->cpus < 1 || c->cpus > 64)
				die_usage("--cpus must be 1..64, not '%s'", optarg);
			break;
		case OPT_TIMEOUT:
			errno = 0;
			c->timeout = strtol(optarg, &end, 10);
			if (errno || *end || c->timeout <= 0 || c->timeout > 86400)
				die_usage("--timeout must be 1..86400 seconds, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--"))
		c->guest_cmd = &argv[optind];
}

int main(int argc, char **argv)
{
	struct cli c = { .timeout = 300, .connect = "qemu:///system" };
	const char *cmd;

	find_lab_root();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	optind = 2;
	parse_args(argc, argv, &c);
	if (c.guest_cmd && c.script)
		die_usage("give either --script or a guest command after --, not both");
	if (!strcmp(cmd, "list"))
		return cmd_list(&c);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc, argv);
	if (!strcmp(cmd, "modules")) {
		print_modules();
		return 0;
	}
	if (!strcmp(cmd, "qmp"))
		return qmp_main(&c, argc, argv);
	if (c.qmp)
		check_qmp(&c, cmd);
	if (!strcmp(cmd, "qemu-cmd"))
		return cmd_qemu_cmd(&c);
	if (!strcmp(cmd, "describe"))
		return cmd_describe(&c);
	if (!strcmp(cmd, "lava-job"))
		return cmd_lava_job(&c);
	if (!strcmp(cmd, "run") || !strcmp(cmd, "libvirt-xml")) {
		char kernel[PATH_MAX], initrd[PATH_MAX], shm[PATH_MAX], append[4096], qemu[PATH_MAX];
		struct topology *t = malloc(sizeof(*t));
		struct qemu_opts o;
		int ret;

		if (!t)
			return EXIT_INFRA;
		load_topology(&c, t);
		fill_qemu_opts(&c, t, &o, "tcg", kernel, initrd, shm, append, qemu);
		if (!strcmp(cmd, "run") && !c.qemu && topo_needs_lab_qemu(t) && access(o.qemu, X_OK))
			die_usage("topology '%s' needs the lab's own QEMU, %s: build it with 'make qemu'",
				  t->name, o.qemu);
		ret = strcmp(cmd, "run") ? libvirt_xml_main(&c, t, &o) : run_main(&c, t, &o);
		free(t);
		return ret;
	}
	die_usage("unknown command '%s' (list, check, modules, describe, qemu-cmd, run, libvirt-xml, lava-job)", cmd);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * dml-p2p: PCI peer-to-peer DMA between a P2PDMA provider's memory and NVMe
 * clients, from userspace (KTAP).
 *
 * Theory of operation: the provider's memory is mapped from
 * /sys/bus/pci/devices/BDF/p2pmem/allocate; a pattern written there is sent
 * with an O_DIRECT pwrite() to a client NVMe namespace, read back with an
 * O_DIRECT pread() into a second p2pmem buffer and compared byte for byte.
 * The kernel allows this only when client and provider share an upstream
 * bridge; each client is given the outcome it must have ("ok" or "einval"),
 * so both the allowed and the refused case are asserted. After unmapping,
 * p2pmem/available must be back at its starting value.
 *
 * With -U, instead: a child maps and writes p2pmem, the provider's driver is
 * unbound, and the child touches the mapping again: it must get SIGBUS (the
 * mapping is zapped) or a clean error, and the provider is bound again.
 *
 *   dml-p2p -p PROVIDER [-s KIB] CLIENT:ok|einval ...
 *   dml-p2p -p PROVIDER -U
 *   dml-p2p -p PROVIDER -K /dev/devmemlabN   the module's in-kernel
 *            pci_alloc_p2pmem / virt_to_bus / free self-test on its BAR
 * PROVIDER and CLIENT are topology ids of NVMe devices (serial "dml-<id>"),
 * or a provider's PCI address.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "dml.h"

static char *read_attr(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	for (size_t n = strlen(buf); n && buf[n - 1] == ' '; n--)
		buf[n - 1] = '\0';	/* NVMe serials are space-padded */
	return buf;
}

/* PCI address and block device of the NVMe controller with serial dml-<id> */
static int find_nvme(const char *id, char *bdf, size_t blen, char *blk, size_t klen)
{
	char want[64], path[512], buf[128];
	struct dirent *e;
	DIR *d;
	int found = 0;

	/* NVMe serials are 20 bytes: "dml-" and an id of at most 16 (the launcher refuses longer) */
	if (strlen(id) > 16)
		return -1;
	snprintf(want, sizeof(want), "dml-%s", id);
	d = opendir("/sys/class/nvme");
	while (d && !found && (e = readdir(d))) {
		if (strncmp(e->d_name, "nvme", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/class/nvme/%s/serial", e->d_name);
		if (strcmp(read_attr(path, buf, sizeof(buf)), want))
			continue;
		snprintf(path, sizeof(path), "/sys/class/nvme/%s/device", e->d_name);
		if (!realpath(path, buf))
			break;
		snprintf(bdf, blen, "%s", strrchr(buf, '/') + 1);
		snprintf(blk, klen, "/dev/%.32sn1", e->d_name);
		found = 1;
	}
	if (d)
		closedir(d);
	return found ? 0 : -1;
}

static long p2p_available(const char *bdf)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/available", bdf);
	return *read_attr(path, buf, sizeof(buf)) ? atol(buf) : -1;
}

/* one provider -> client round trip; returns 0 or -errno of the failing step */
static int transfer(const char *pbdf, const char *blk, size_t len, double *secs)
{
	char path[256];
	int pfd, bfd, ret = 0;
	char *src, *dst;
	double t0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate", pbdf);
	pfd = open(path, O_RDWR);
	bfd = open(blk, O_RDWR | O_DIRECT);
	if (pfd < 0 || bfd < 0) {
		ret = -errno;
		ktap_diag("open %s: %s", pfd < 0 ? path : blk, strerror(errno));
		goto out;
	}
	src = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
	if (src == MAP_FAILED) {
		ret = -errno;
		ktap_diag("mmap p2pmem: %s", strerror(errno));
		goto out;
	}
	dst = src + len;
	for (size_t i = 0; i < len; i++)
		src[i] = (char)(i * 7 + (i >> 12));
	memset(dst, 0, len);
	t0 = dml_now();
	if (pwrite(bfd, src, len, 0) != (ssize_t)len || pread(bfd, dst, len, 0) != (ssize_t)len) {
		ret = -errno;
	} else {
		*secs = dml_now() - t0;
		if (memcmp(src, dst, len)) {
			ktap_diag("data read back through %s differs", blk);
			ret = -EIO;
		}
	}
	munmap(src, 2 * len);
out:
	if (pfd >= 0)
		close(pfd);
	if (bfd >= 0)
		close(bfd);
	return ret;
}


static void on_sigbus(int sig)
{
	(void)sig;
	_exit(0);	/* the zapped mapping faulted: what we want */
}

static int write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ok = fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -errno;
}

/* unbind the provider under a live p2pmem mapping, then bind it again */
static int unbind_test(const char *pbdf, size_t len)
{
	char path[PATH_MAX + 16], drv[PATH_MAX], link[PATH_MAX];
	int go[2], st = 0, r;
	volatile char *p;
	pid_t pid;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", pbdf);
	if (!realpath(path, link)) {
		ktap_result(0, "unbind: %s has no driver", pbdf);
		return 1;
	}
	snprintf(drv, sizeof(drv), "%s", link);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate", pbdf);
	fd = open(path, O_RDWR);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || pipe(go)) {
		ktap_result(0, "unbind: map %s: %s", path, strerror(errno));
		return 1;
	}
	close(fd);
	memset((char *)p, 0x3c, len);
	pid = fork();
	if (pid == 0) {
		char c;

		signal(SIGBUS, on_sigbus);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;	/* must fault: the pages are gone */
		_exit(2);
	}
	ktap_result(p[len - 1] == 0x3c, "unbind: p2pmem of %s mapped and written", pbdf);
	munmap((void *)p, len);
	snprintf(path, sizeof(path), "%s/unbind", drv);
	r = write_sysfs(path, pbdf);
	ktap_result(!r, "unbind: %s unbound from %s while a child maps its p2pmem", pbdf,
		    strrchr(drv, '/') + 1);
	if (write(go[1], "g", 1) != 1)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ktap_result(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "unbind: the child's next access gets SIGBUS (status %#x)", st);
	snprintf(path, sizeof(path), "%s/bind", drv);
	r = write_sysfs(path, pbdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/available", pbdf);
	for (int i = 0; i < 100 && access(path, F_OK); i++)
		usleep(100000);
	ktap_result(!r && !access(path, F_OK), "unbind: %s bound again, p2pmem back", pbdf);
	return 0;
}

/* the module's in-kernel self-test; available must come back */
static void kernel_test(const char *pbdf, const char *dev)
{
	struct dml_p2p_test t = { .bytes = 1 << 20 };
	long before = p2p_available(pbdf);
	int fd = dml_open_dev(dev);
	int r = dml_ioctl(fd, DML_IOC_P2P_TEST, &t);

	close(fd);
	ktap_result(!r, "kernel: pci_alloc_p2pmem + virt_to_bus + free of 1 MiB on %s: %s", pbdf,
		    r ? strerror(-r) : "ok");
	char path[256], buf[64];
	unsigned long long tail;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/size", pbdf);
	tail = t.bar_end + 1 - strtoull(read_attr(path, buf, sizeof(buf)), NULL, 0);
	ktap_result(!r && t.bus_addr >= tail && t.bus_addr + t.bytes - 1 <= t.bar_end,
		    "kernel: bus address %#llx lies in BAR2's P2PDMA part %#llx-%#llx",
		    (unsigned long long)t.bus_addr, tail, (unsigned long long)t.bar_end);
	ktap_result(p2p_available(pbdf) == before, "kernel: p2pmem/available back at %ld (now %ld)",
		    before, p2p_available(pbdf));
}

int main(int argc, char **argv)
{
	const char *provider = NULL;
	char pbdf[64], blk[64], cbdf[64];
	size_t len = 1 << 20;
	const char *kdev = NULL;
	long avail0;
	int opt, unbind = 0;

	while ((opt = getopt(argc, argv, "p:s:UK:")) != -1) {
		if (opt == 'p')
			provider = optarg;
		else if (opt == 'K')
			kdev = optarg;
		else if (opt == 'U')
			unbind = 1;
		else if (opt == 's' && atol(optarg) > 0 && atol(optarg) % 4 == 0)
			len = atol(optarg) << 10;
		else
			goto usage;
	}
	if (!provider || (optind >= argc && !unbind && !kdev))
		goto usage;
	if (strchr(provider, ':'))
		snprintf(pbdf, sizeof(pbdf), "%s", provider);
	else if (find_nvme(provider, pbdf, sizeof(pbdf), blk, sizeof(blk))) {
		fprintf(stderr, "dml-p2p: no NVMe with serial dml-%s\n", provider);
		return 1;
	}
	avail0 = p2p_available(pbdf);
	if (avail0 < 0) {
		fprintf(stderr, "dml-p2p: %s has no p2pmem (not a P2PDMA provider)\n", pbdf);
		return 1;
	}
	if (kdev) {
		ktap_header(3);
		kernel_test(pbdf, kdev);
		return ktap_exit();
	}
	if (unbind) {
		ktap_header(4);
		unbind_test(pbdf, len);
		return ktap_exit();
	}
	ktap_header(argc - optind + 1);
	for (int i = optind; i < argc; i++) {
		char *want = strchr(argv[i], ':');
		double secs = 0;
		int r;

		if (!want || (strcmp(want, ":ok") && strcmp(want, ":einval"))) {
			ktap_result(0, "%s: expectation must be :ok or :einval", argv[i]);
			continue;
		}
		*want++ = '\0';
		if (find_nvme(argv[i], cbdf, sizeof(cbdf), blk, sizeof(blk))) {
			ktap_result(0, "%s: no NVMe with serial dml-%s", argv[i], argv[i]);
			continue;
		}
		r = transfer(pbdf, blk, len, &secs);
		if (!strcmp(want, "ok"))
			ktap_result(!r, "p2p %s (%s) -> %s (%s): %zu KiB written and read back intact, %.1f MB/s%s%s",
				    provider, pbdf, argv[i], cbdf, len >> 10, r ? 0 : 2 * len / secs / 1e6,
				    r ? ": " : "", r ? strerror(-r) : "");
		else
			ktap_result(r == -EINVAL, "p2p %s (%s) -> %s (%s): refused with EINVAL (got %s)",
				    provider, pbdf, argv[i], cbdf, r ? strerror(-r) : "success");
	}
	ktap_result(p2p_available(pbdf) == avail0, "p2pmem/available of %s back at %ld after unmap (now %ld)",
		    pbdf, avail0, p2p_available(pbdf));
	return ktap_exit();
usage:
	fprintf(stderr, "usage: dml-p2p -p PROVIDER [-s KIB] CLIENT:ok|einval ... | -p PROVIDER -U | -p PROVIDER -K DEV\n");
	return 2;
}

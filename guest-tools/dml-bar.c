// SPDX-License-Identifier: GPL-2.0
/*
 * dml-bar: read and write a PCI BAR from the guest through sysfs
 * (/sys/bus/pci/devices/BDF/resourceN), used by in-VM tests to show that
 * what the guest writes into an ivshmem BAR lands in the host's file.
 *
 *   dml-bar [-d BDF] [-b BAR] info
 *   dml-bar [-d BDF] [-b BAR] write OFFSET TEXT
 *   dml-bar [-d BDF] [-b BAR] read OFFSET LEN
 *   dml-bar [-d BDF] [-b BAR] stamp        write "dml-page-N" into every
 *                                          4 KiB page, verify, print MiB/s
 * Without -d, the first ivshmem-plain device (1af4:1110) is used.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul

static int read_hex(const char *bdf, const char *attr)
{
	char path[512], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return (int)strtol(buf, NULL, 16);
}

static int find_ivshmem(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int found = 0;

	if (!d)
		return -1;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (read_hex(e->d_name, "vendor") == 0x1af4 && read_hex(e->d_name, "device") == 0x1110) {
			snprintf(bdf, len, "%s", e->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_ul(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || *end || !*s ? -1 : 0;
}

static int stamp(unsigned char *bar, size_t size)
{
	size_t pages = size / PAGE, bad = 0;
	double t0 = now(), t1;

	for (size_t i = 0; i < pages; i++)
		snprintf((char *)bar + i * PAGE, 32, "dml-page-%zu", i);
	t1 = now();
	for (size_t i = 0; i < pages; i++) {
		char want[32];

		snprintf(want, sizeof(want), "dml-page-%zu", i);
		if (strcmp((char *)bar + i * PAGE, want) && bad++ < 5)
			fprintf(stderr, "dml-bar: page %zu reads back '%.31s'\n", i, bar + i * PAGE);
	}
	printf("stamped %zu pages, %zu mismatches, %.0f pages/s\n", pages, bad,
	       pages / (t1 - t0 + 1e-9));
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	char bdf[256] = "", path[512];
	unsigned long off = 0, len = 0, bar_no = 2;
	unsigned char *bar;
	struct stat st;
	int fd, opt, ret = 0;

	while ((opt = getopt(argc, argv, "d:b:")) != -1) {
		if (opt == 'd') {
			snprintf(bdf, sizeof(bdf), "%s", optarg);
		} else if (opt == 'b' && !parse_ul(optarg, &bar_no) && bar_no < 6) {
			continue;
		} else {
			fprintf(stderr, "usage: dml-bar [-d BDF] [-b BAR] info|write OFF TEXT|read OFF LEN|stamp\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "dml-bar: no command (info, write, read, stamp)\n");
		return 2;
	}
	if (!*bdf && find_ivshmem(bdf, sizeof(bdf))) {
		fprintf(stderr, "dml-bar: no ivshmem-plain device (1af4:1110) found\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%lu", bdf, bar_no);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "dml-bar: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!strcmp(argv[optind], "info")) {
		printf("%s bar%lu %lld\n", bdf, bar_no, (long long)st.st_size);
		close(fd);
		return 0;
	}
	bar = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (bar == MAP_FAILED) {
		fprintf(stderr, "dml-bar: mmap %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!strcmp(argv[optind], "stamp") && argc == optind + 1) {
		ret = stamp(bar, st.st_size);
	} else if (!strcmp(argv[optind], "write") && argc == optind + 3 &&
		   !parse_ul(argv[optind + 1], &off)) {
		len = strlen(argv[optind + 2]);
		if (off > (unsigned long)st.st_size || len > st.st_size - off) {
			fprintf(stderr, "dml-bar: %lu bytes at offset %lu do not fit in the %lld-byte BAR\n",
				len, off, (long long)st.st_size);
			ret = 2;
		} else {
			memcpy(bar + off, argv[optind + 2], len);
			msync(bar, st.st_size, MS_SYNC);
		}
	} else if (!strcmp(argv[optind], "read") && argc == optind + 3 &&
		   !parse_ul(argv[optind + 1], &off) && !parse_ul(argv[optind + 2], &len)) {
		if (off > (unsigned long)st.st_size || len > st.st_size - off) {
			fprintf(stderr, "dml-bar: %lu bytes at offset %lu do not fit in the %lld-byte BAR\n",
				len, off, (long long)st.st_size);
			ret = 2;
		} else {
			fwrite(bar + off, 1, len, stdout);
			putchar('\n');
		}
	} else {
		fprintf(stderr, "dml-bar: bad command or arguments: %s\n", argv[optind]);
		ret = 2;
	}
	munmap(bar, st.st_size);
	return ret;
}

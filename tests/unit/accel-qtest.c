// SPDX-License-Identifier: GPL-2.0
/*
 * accel-qtest: the devmemlab-accel device (qemu/device/) against the lab's
 * QEMU build, through QEMU's qtest protocol (-qtest stdio, accel=qtest: no
 * guest code runs; this program is the "driver" and owns virtual time).
 * It sets the device up like firmware would (BARs, command register, MSI-X),
 * then checks the registers, copies both ways and device to device, the
 * completion write-back and MSI-X messages, the error status and guest-error
 * log line of bad descriptors, fault injection, and the link model's
 * completion time in virtual nanoseconds. Then devmemlab-cxl-accel, the
 * type-2 personality, in a CXL machine (a second and third QEMU, with a QMP
 * socket for system_reset and "info mtree"): with firmware-commit=on its
 * memory is a RAM alias at the start of the window after every reset, and
 * what is written there stays; with firmware-commit=off nothing is mapped.
 * Prints KTAP.
 *
 *   accel-qtest QEMU LOGFILE
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* the device under test, as qemu/device/devmemlab-accel.c defines it */
#define DEVFN           (4 << 3)        /* 00:04.0 on pcie.0 */
#define MEM_SIZE        (1 << 20)
#define BANDWIDTH	16000000000ULL	/* 16 GB/s: more than 32 bits */
#define LATENCY         10000ULL        /* 10 us */

#define BAR0            0xc0000000ULL
#define BAR2            0xc0100000ULL
#define BAR4            0xc0200000ULL
#define RING            0x10000ULL
#define RING_SIZE       16
#define MSG_DONE        0x8000ULL
#define MSG_ERROR       0x8004ULL
#define BUF_A           0x100000ULL
#define BUF_B           0x200000ULL
#define BIG             (200 * 1024)    /* several 64 KiB chunks */

#define REG_MAGIC       0x00
#define REG_VERSION     0x04
#define REG_CAPS        0x08
#define REG_MEM_SIZE    0x10
#define REG_LINK_BW     0x18
#define REG_LINK_LAT    0x20
#define REG_RING_BASE   0x40
#define REG_RING_SIZE   0x48
#define REG_CTRL        0x50
#define REG_STATUS      0x54
#define REG_HEAD        0x58
#define REG_DOORBELL    0x5c
#define REG_COMPLETED   0x60
#define REG_IRQ_STATUS  0x68
#define REG_ERR_COUNT   0x80
#define REG_ERR_CODE    0x84
#define REG_ERR_INDEX   0x88
#define REG_ERR_ADDR    0x90
#define REG_DBG_FAIL    0xc0
#define REG_DBG_STALL   0xc4
#define REG_POISON_OFF  0xc8
#define REG_POISON_LEN  0xd0

#define F_SRC_DEV       1u
#define F_DST_DEV       2u
#define F_IRQ           4u
#define DONE            0x80000000u

static FILE *to_qemu, *from_qemu;
static pid_t qemu_pid;
static int test_n, test_failed;
static char *line;
static size_t line_cap;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", cond ? "" : "not ", ++test_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		test_failed++;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void bail(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(1);
}

/* One qtest command; returns its reply after "OK " (asynchronous IRQ lines skipped) */
static const char *qt(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(to_qemu, fmt, ap);
	va_end(ap);
	fputc('\n', to_qemu);
	fflush(to_qemu);
	for (;;) {
		if (getline(&line, &line_cap, from_qemu) < 0)
			bail("QEMU closed the qtest channel");
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "IRQ", 3) == 0)
			continue;
		if (strncmp(line, "OK", 2) != 0) {
			printf("# qtest reply: %s\n", line);
			bail("qtest command failed");
		}
		return line[2] ? line + 3 : "";
	}
}

static uint32_t readl(uint64_t a) { return strtoul(qt("readl 0x%" PRIx64, a), NULL, 0); }
static uint64_t readq(uint64_t a) { return strtoull(qt("readq 0x%" PRIx64, a), NULL, 0); }
static void writel(uint64_t a, uint32_t v) { qt("writel 0x%" PRIx64 " 0x%x", a, v); }
static void writeq(uint64_t a, uint64_t v) { qt("writeq 0x%" PRIx64 " 0x%" PRIx64, a, v); }
static uint32_t reg(unsigned r) { return readl(BAR0 + r); }
static uint64_t reg64(unsigned r) { return readq(BAR0 + r); }
static void wreg(unsigned r, uint32_t v) { writel(BAR0 + r, v); }

static uint32_t cfg_read(unsigned off, unsigned size)
{
	uint32_t v;

	qt("outl 0xcf8 0x%x", 0x80000000u | DEVFN << 8 | (off & ~3u));
	v = strtoul(qt("inl 0xcfc"), NULL, 0) >> (off & 3) * 8;
	return size == 4 ? v : v & ((1u << size * 8) - 1);
}

static void cfg_write(unsigned off, uint32_t v)
{
	qt("outl 0xcf8 0x%x", 0x80000000u | DEVFN << 8 | off);
	qt("outl 0xcfc 0x%x", v);
}

static void mem_write(uint64_t a, const uint8_t *buf, size_t n)
{
	char *hex = malloc(2 * n + 1);
	size_t i;

	if (!hex)
		bail("out of memory");
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", buf[i]);
	qt("write 0x%" PRIx64 " 0x%zx 0x%s", a, n, hex);
	free(hex);
}

static void mem_read(uint64_t a, uint8_t *buf, size_t n)
{
	const char *r = qt("read 0x%" PRIx64 " 0x%zx", a, n);
	size_t i;

	if (strlen(r) != 2 + 2 * n)
		bail("short qtest read");
	for (i = 0; i < n; i++)
		sscanf(r + 2 + 2 * i, "%2hhx", &buf[i]);
}

static void pattern(uint8_t *buf, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 + seed + (i >> 12));
}

static uint64_t vclock;		/* virtual ns, as the last clock_step said */

static void clock_step(uint64_t ns) { vclock = strtoull(qt("clock_step %" PRIu64, ns), NULL, 0); }

static unsigned tail;
static unsigned msix_cap;	/* config-space offset of the MSI-X capability */

/* Queue one descriptor at the tail and ring the doorbell; returns its slot */
static unsigned submit(uint64_t src, uint64_t dst, uint32_t len, uint32_t flags)
{
	uint8_t d[32] = { 0 };
	unsigned slot = tail;
	int i;

	for (i = 0; i < 8; i++) {
		d[i] = src >> 8 * i;
		d[8 + i] = dst >> 8 * i;
	}
	for (i = 0; i < 4; i++) {
		d[16 + i] = len >> 8 * i;
		d[20 + i] = flags >> 8 * i;
	}
	mem_write(RING + 32 * slot, d, sizeof(d));
	tail = (tail + 1) % RING_SIZE;
	wreg(REG_DOORBELL, tail);
	return slot;
}

static uint32_t desc_status(unsigned slot) { return readl(RING + 32 * slot + 0x18); }

/* Let the engine work (virtual time in 100 us steps) until COMPLETED reaches n */
static int wait_completed(uint64_t n)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (reg64(REG_COMPLETED) >= n)
			return 1;
		clock_step(100000);
	}
	diag("COMPLETED stays at %" PRIu64 ", waited for %" PRIu64, reg64(REG_COMPLETED), n);
	return 0;
}

/* lines of the QEMU log holding what */
static int log_count(const char *path, const char *what)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		n += strstr(buf, what) != NULL;
	fclose(f);
	return n;
}

static int log_has(const char *path, const char *what) { return log_count(path, what) > 0; }

/* QEMU with -qtest on our pipes; argv: its arguments after the binary, NULL-terminated */
static void start_qemu_argv(const char *qemu, char *const *argv)
{
	int in[2], out[2];

	if (pipe(in) || pipe(out))
		bail("pipe");
	qemu_pid = fork();
	if (qemu_pid < 0)
		bail("fork");
	if (qemu_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execv(qemu, argv);
		fprintf(stderr, "accel-qtest: cannot run %s: %s\n", qemu, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_qemu = fdopen(in[1], "w");
	from_qemu = fdopen(out[0], "r");
	if (!to_qemu || !from_qemu)
		bail("fdopen");
}

static void start_qemu(const char *qemu, const char *log)
{
	char dev[256];
	char *argv[] = { (char *)qemu, "-machine", "q35,accel=qtest", "-qtest", "stdio",
			 "-display", "none", "-nodefaults", "-m", "64M",
			 "-object", "memory-backend-ram,id=dm,size=1M", "-device", dev,
			 "-d", "guest_errors", "-D", (char *)log, "-qtest-log", "/dev/null", NULL };

	snprintf(dev, sizeof(dev), "devmemlab-accel,memdev=dm,addr=04.0,bandwidth=%llu,latency=%llu",
		 BANDWIDTH, LATENCY);
	start_qemu_argv(qemu, argv);
}

static void stop_qemu(int *status)
{
	kill(qemu_pid, SIGTERM);
	waitpid(qemu_pid, status, 0);
	fclose(to_qemu);
	fclose(from_qemu);
}

/* --- devmemlab-cxl-accel: a CXL machine, and QMP beside qtest --- */
static FILE *qmp_f;
static char *qmp_line;
static size_t qmp_cap;

/* one QMP command; returns its reply line (events skipped) */
static const char *qmp(const char *cmd)
{
	fprintf(qmp_f, "%s\n", cmd);
	fflush(qmp_f);
	while (getline(&qmp_line, &qmp_cap, qmp_f) > 0)
		if (strstr(qmp_line, "\"return\"") || strstr(qmp_line, "\"error\""))
			return qmp_line;
	bail("QMP closed");
	return NULL;
}

static void qmp_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = -1, i;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (i = 0; i < 100; i++) {	/* the socket appears once QEMU is up */
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		usleep(50000);
	}
	if (fd < 0)
		bail("QMP socket");
	qmp_f = fdopen(fd, "r+");
	if (!qmp_f || getline(&qmp_line, &qmp_cap, qmp_f) < 0)
		bail("QMP greeting");
	qmp("{\"execute\":\"qmp_capabilities\"}");
}

/*
 * Start address of the first "info mtree" line naming what (in the JSON
 * string, lines end in "\n"), or -1: where an alias or region is mapped.
 */
static int64_t mtree_addr(const char *what)
{
	const char *r = qmp("{\"execute\":\"human-monitor-command\","
			    "\"arguments\":{\"command-line\":\"info mtree\"}}");
	const char *at = strstr(r, what), *l;

	if (!at)
		return -1;
	for (l = at; l > r && strncmp(l - 2, "\\n", 2); l--)
		;
	while (*l == ' ')
		l++;
	return strtoll(l, NULL, 16);
}

static void start_cxl_qemu(const char *qemu, const char *log, const char *sock, int commit)
{
	char dev[256], qmpopt[300];
	char *argv[] = { (char *)qemu, "-machine",
			 "q35,accel=qtest,cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
			 "-qtest", "stdio", "-display", "none", "-nodefaults", "-m", "64M",
			 "-device", "pxb-cxl,id=cxl.1,bus_nr=12,bus=pcie.0,hdm_for_passthrough=on",
			 "-device", "cxl-rp,id=rp0,port=0,bus=cxl.1,chassis=1,slot=0",
			 "-object", "memory-backend-ram,id=dm,size=256M", "-device", dev,
			 "-qmp", qmpopt, "-d", "guest_errors", "-D", (char *)log,
			 "-qtest-log", "/dev/null", NULL };

	snprintf(dev, sizeof(dev), "devmemlab-cxl-accel,memdev=dm,bus=rp0,firmware-commit=%s",
		 commit ? "on" : "off");
	snprintf(qmpopt, sizeof(qmpopt), "unix:%s,server=on,wait=off", sock);
	unlink(sock);
	start_qemu_argv(qemu, argv);
	qmp_connect(sock);
}

static void cxl_cases(const char *qemu, const char *log)
{
	char sock[256];
	uint8_t a[4096], b[4096];
	int64_t win, hdm;
	int status;

	snprintf(sock, sizeof(sock), "%s.qmp", log);
	start_cxl_qemu(qemu, log, sock, 1);
	win = mtree_addr("cxl-fixed-memory-region");
	hdm = mtree_addr("devmemlab-cxl-accel-hdm");
	ok(win > 0 && hdm == win,
	   "cxl-accel, firmware-commit=on: after reset its memory is mapped at the window's start "
	   "(window 0x%" PRIx64 ", HDM 0x%" PRIx64 ")", win, hdm);
	pattern(a, sizeof(a), 7);
	if (win > 0) {
		mem_write(win + 0x0ffff000, a, sizeof(a));	/* the last page of 256 MiB */
		mem_read(win + 0x0ffff000, b, sizeof(b));
	}
	ok(win > 0 && !memcmp(a, b, sizeof(a)),
	   "what the CPU writes at the window's HPA reads back (RAM, not the window's MMIO path)");
	qmp("{\"execute\":\"system_reset\"}");
	hdm = mtree_addr("devmemlab-cxl-accel-hdm");
	memset(b, 0, sizeof(b));
	if (win > 0)
		mem_read(win + 0x0ffff000, b, sizeof(b));
	ok(hdm == win && !memcmp(a, b, sizeof(a)),
	   "after system_reset firmware commits again: mapped at 0x%" PRIx64 ", data still there",
	   hdm);
	stop_qemu(&status);
	fclose(qmp_f);

	start_cxl_qemu(qemu, log, sock, 0);
	win = mtree_addr("cxl-fixed-memory-region");
	hdm = mtree_addr("devmemlab-cxl-accel-hdm");
	if (win > 0) {
		mem_write(win, a, sizeof(a));
		mem_read(win, b, sizeof(b));
	}
	ok(win > 0 && hdm < 0 && memcmp(a, b, sizeof(a)),
	   "cxl-accel, firmware-commit=off: nothing mapped, a write at the window does not stick");
	stop_qemu(&status);
	fclose(qmp_f);
	unlink(sock);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the CXL QEMU exits cleanly on SIGTERM (wait status 0x%x)", status);
}

/* Firmware's job: BARs, memory decoding and bus mastering, MSI-X on */
static void setup_device(void)
{
	unsigned cap = cfg_read(0x34, 1), msix = 0;


	cfg_write(0x10, (uint32_t)BAR0);
	cfg_write(0x18, (uint32_t)BAR2);
	cfg_write(0x1c, 0);
	cfg_write(0x20, (uint32_t)BAR4);
	cfg_write(0x04, 0x6);
	while (cap && !msix) {
		if (cfg_read(cap, 1) == 0x11)
			msix = cap;
		else
			cap = cfg_read(cap + 1, 1);
	}
	if (!msix)
		bail("no MSI-X capability");
	msix_cap = msix;
	cfg_write(msix, (cfg_read(msix, 4) & 0xffff) | 0x80000000u);
	/* vector 0 -> MSG_DONE, vector 1 -> MSG_ERROR: messages land in guest RAM */
	writeq(BAR4 + 0x00, MSG_DONE);
	writel(BAR4 + 0x08, 0xd0e00000);
	writel(BAR4 + 0x0c, 0);
	writeq(BAR4 + 0x10, MSG_ERROR);
	writel(BAR4 + 0x18, 0xe0000000);
	writel(BAR4 + 0x1c, 0);
}

/* BAR size as firmware probes it */
static uint64_t bar_size(unsigned off, int is64)
{
	uint32_t old = cfg_read(off, 4), oldhi = is64 ? cfg_read(off + 4, 4) : 0;
	uint64_t mask;

	cfg_write(off, 0xffffffff);
	mask = cfg_read(off, 4) & ~0xfULL;
	if (is64) {
		cfg_write(off + 4, 0xffffffff);
		mask |= (uint64_t)cfg_read(off + 4, 4) << 32;
		cfg_write(off + 4, oldhi);
	} else {
		mask |= 0xffffffff00000000ULL;
	}
	cfg_write(off, old);
	return ~mask + 1;
}

static uint64_t rng_state;

static uint64_t rnd(uint64_t n)	/* xorshift64, 0 <= rnd(n) < n */
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/* a random address: guest RAM, device memory by offset or bus address, our own
 * registers, or nothing at all (not the ring, the messages or other devices) */
static uint64_t rnd_addr(uint32_t flag, uint32_t flags, uint32_t len)
{
	if (flags & flag)	/* a device-memory offset, mostly in range */
		return rnd(4) ? rnd(MEM_SIZE - len + 1) : rnd(2 * MEM_SIZE);
	switch (rnd(8)) {
	case 0: return BAR2 + rnd(MEM_SIZE - len + 1);
	case 1: return BAR0 + rnd(0x100);
	case 2: return 0x8000000 + rnd(0x1000000);	/* above RAM: nothing */
	case 3: return 0x4000000000ULL + rnd(1 << 20);
	}
	return BUF_A + rnd(32 << 20);
}

/*
 * Random descriptors and fault injection: each completes, each failure is
 * one guest-error line in the log, the engine never halts, QEMU stays up.
 */
static void fuzz(unsigned count, uint64_t seed, const char *log)
{
	unsigned i, done = 0, failed = 0;
	int before = log_count(log, "failed: error");

	rng_state = (seed + 1) * 0x9e3779b97f4a7c15ULL | 1;	/* spread small seeds */
	for (i = 0; i < count; i++) {
		uint32_t flags = rnd(8) | (rnd(20) ? 0 : 8), len = rnd(8) ? rnd(128 << 10) : rnd(16);
		unsigned slot;
		uint64_t src = rnd_addr(1, flags, len), dst = rnd_addr(2, flags, len);

		switch (rnd(10)) {
		case 0: wreg(REG_DBG_FAIL, 1); break;
		case 1: writeq(BAR0 + REG_POISON_OFF, rnd(MEM_SIZE));
			writeq(BAR0 + REG_POISON_LEN, rnd(MEM_SIZE)); break;
		case 2: wreg(REG_DBG_STALL, 1); break;
		}
		slot = submit(src, dst, len, flags);
		wreg(REG_DBG_STALL, 0);
		done += wait_completed(i + 1);
		failed += desc_status(slot) != DONE;
	}
	writeq(BAR0 + REG_POISON_LEN, 0);
	ok(done == count && reg64(REG_COMPLETED) == count && !(reg(REG_STATUS) & 8) &&
	   log_count(log, "failed: error") - before == (int)failed,
	   "%u random descriptors and faults (ACCEL_SEED=%" PRIu64 "): each completes (%u failed, "
	   "each logged), no halt", count, seed, failed);
}

int main(int argc, char **argv)
{
	static uint8_t a[BIG], b[BIG];
	uint64_t t0, n = 0;
	unsigned slot;
	int status;

	if (argc != 3) {
		fprintf(stderr, "usage: accel-qtest QEMU LOGFILE\n");
		return 2;
	}
	printf("KTAP version 1\n1..29\n");
	fflush(stdout);
	start_qemu(argv[1], argv[2]);

	ok(cfg_read(0x00, 4) == 0x00de1b36 && cfg_read(0x08, 4) >> 8 == 0x120000,
	   "identity: 1b36:00de, class 1200 (vendor/device 0x%08x, class 0x%06x)",
	   cfg_read(0x00, 4), cfg_read(0x08, 4) >> 8);
	ok(bar_size(0x10, 0) == 0x1000 && (cfg_read(0x18, 4) & 0xf) == 0xc &&
	   bar_size(0x18, 1) == MEM_SIZE && bar_size(0x20, 0) > 0,
	   "BAR0 4 KiB registers, BAR2 64-bit prefetchable = memdev size, BAR4 MSI-X");
	setup_device();
	ok(reg(REG_MAGIC) == 0x414c4d44 && reg(REG_VERSION) == 0x00010000 && reg(REG_CAPS) == 0xf,
	   "ID, version and capabilities (0x%08x 0x%08x 0x%x)", reg(REG_MAGIC), reg(REG_VERSION),
	   reg(REG_CAPS));
	ok(reg64(REG_MEM_SIZE) == MEM_SIZE && reg64(REG_LINK_BW) == BANDWIDTH &&
	   reg64(REG_LINK_LAT) == LATENCY,
	   "memory size and link model registers follow the properties");

	wreg(REG_RING_SIZE, 12);
	ok(reg(REG_RING_SIZE) == 0 && log_has(argv[2], "RING_SIZE 12 is not a power of two"),
	   "a ring size that is not a power of two is refused and logged");
	writeq(BAR0 + REG_RING_BASE, RING);
	wreg(REG_RING_SIZE, RING_SIZE);
	wreg(REG_CTRL, 5);
	ok(reg(REG_STATUS) == 1 && reg64(REG_RING_BASE) == RING, "engine enabled with interrupts");

	/* system -> device, several chunks */
	pattern(a, BIG, 1);
	mem_write(BUF_A, a, BIG);
	slot = submit(BUF_A, 0x1000, BIG, F_DST_DEV | F_IRQ);
	wait_completed(++n);
	mem_read(BAR2 + 0x1000, b, BIG);
	ok(desc_status(slot) == DONE && !memcmp(a, b, BIG) && readl(MSG_DONE) == 0xd0e00000 &&
	   (reg(REG_IRQ_STATUS) & 1),
	   "system -> device copy of %d bytes: data, completion status, MSI-X vector 0", BIG);
	wreg(REG_IRQ_STATUS, 1);
	writel(MSG_DONE, 0);

	/* device -> device, then device -> system */
	slot = submit(0x1000, 0x80000, BIG, F_SRC_DEV | F_DST_DEV);
	wait_completed(++n);
	mem_read(BAR2 + 0x80000, b, BIG);
	ok(desc_status(slot) == DONE && !memcmp(a, b, BIG) && readl(MSG_DONE) == 0 &&
	   reg(REG_IRQ_STATUS) == 0,
	   "device -> device copy, no interrupt without the IRQ flag");
	slot = submit(0x80000, BUF_B, BIG, F_SRC_DEV | F_IRQ);
	wait_completed(++n);
	mem_read(BUF_B, b, BIG);
	ok(desc_status(slot) == DONE && !memcmp(a, b, BIG) && readl(MSG_DONE) == 0xd0e00000,
	   "device -> system copy");

	/* a masked vector: its PBA bit, no message; unmasking sends it */
	writel(MSG_DONE, 0);
	writel(BAR4 + 0x0c, 1);
	slot = submit(BUF_A, 0x1000, 4096, F_DST_DEV | F_IRQ);
	wait_completed(++n);
	status = readl(MSG_DONE) == 0 && (readl(BAR4 + (cfg_read(msix_cap + 8, 4) & ~7u)) & 1);
	writel(BAR4 + 0x0c, 0);
	ok(desc_status(slot) == DONE && status && readl(MSG_DONE) == 0xd0e00000,
	   "a masked vector sets its PBA bit and sends no message; unmasking sends it");

	/* bad descriptors: error status, error log, vector 1, a guest-error line */
	slot = submit(MEM_SIZE - 16, BUF_B, 64, F_SRC_DEV);
	wait_completed(++n);
	ok(desc_status(slot) == (DONE | 1) && reg(REG_ERR_COUNT) == 1 && reg(REG_ERR_CODE) == 1 &&
	   reg(REG_ERR_INDEX) == slot && reg64(REG_ERR_ADDR) == MEM_SIZE - 16 &&
	   readl(MSG_ERROR) == 0xe0000000 && log_has(argv[2], "failed: error 1"),
	   "a source beyond device memory: error 1, logged, vector 1 (status 0x%x)", desc_status(slot));
	slot = submit(0x4000000000ULL, 0x1000, 4096, F_DST_DEV);
	wait_completed(++n);
	ok(desc_status(slot) == (DONE | 1) && reg64(REG_ERR_ADDR) == 0x4000000000ULL,
	   "a source outside guest RAM: error 1 (status 0x%x)", desc_status(slot));
	slot = submit(0x1000, 0x4000000000ULL, 4096, F_SRC_DEV);
	wait_completed(++n);
	ok(desc_status(slot) == (DONE | 2) && reg(REG_STATUS) == 1,
	   "a destination outside guest RAM: error 2, the engine goes on");

	/* fault injection */
	wreg(REG_DBG_FAIL, 1);
	slot = submit(BUF_A, 0x1000, 4096, F_DST_DEV);
	submit(BUF_A, 0x2000, 4096, F_DST_DEV);
	n += 2;
	wait_completed(n);
	ok(desc_status(slot) == (DONE | 5) && desc_status(slot + 1) == DONE,
	   "DBG_FAIL fails the next descriptor only (error 5)");
	writeq(BAR0 + REG_POISON_OFF, 0x3000);
	writeq(BAR0 + REG_POISON_LEN, 0x1000);
	slot = submit(0x2800, BUF_B, 0x1000, F_SRC_DEV);
	wait_completed(++n);
	writeq(BAR0 + REG_POISON_LEN, 0);
	ok(desc_status(slot) == (DONE | 6), "a copy from poisoned device memory fails (error 6)");
	wreg(REG_DBG_STALL, 1);
	slot = submit(BUF_A, 0x1000, 4096, F_DST_DEV);
	clock_step(10000000);
	status = reg(REG_STATUS);
	ok(status == 5 && reg64(REG_COMPLETED) == n && desc_status(slot) == 0,
	   "DBG_STALL holds the engine (STATUS 0x%x)", status);
	wreg(REG_DBG_STALL, 0);
	wait_completed(++n);
	ok(desc_status(slot) == DONE, "the stalled descriptor completes after the stall");

	/* link model: 64 KiB at 16 GB/s + 10 us = 14096 ns of virtual time */
	t0 = vclock;
	slot = submit(BUF_A, 0x1000, 65536, F_DST_DEV);
	while (!(reg(REG_STATUS) & 2) && reg64(REG_COMPLETED) == n)
		;
	clock_step(LATENCY + 4096 - 1);
	status = desc_status(slot);
	clock_step(1);
	for (int i = 0; i < 1000 && reg64(REG_COMPLETED) == n; i++)
		;
	if (reg64(REG_COMPLETED) == n)		/* late: let it finish, the check fails */
		clock_step(1000000);
	wait_completed(++n);
	ok(status == 0 && desc_status(slot) == DONE && vclock - t0 == LATENCY + 4096,
	   "link model: a 64 KiB copy at 16 GB/s completes at latency + bytes/bandwidth (14096 ns), not before (took %llu ns)",
	   (unsigned long long)(vclock - t0));

	/* bus mastering off: the descriptor cannot be fetched, the engine halts */
	cfg_write(0x04, 0x2);
	submit(BUF_A, 0x1000, 4096, F_DST_DEV);
	for (status = 0; status < 100 && !(reg(REG_STATUS) & 8); status++)
		clock_step(100000);
	ok(reg(REG_STATUS) & 8 && reg(REG_ERR_CODE) == 7,
	   "without bus mastering the engine halts with error 7 (STATUS 0x%x)", reg(REG_STATUS));

	/* CTRL.RESET: a halted engine back to its reset state, then usable */
	cfg_write(0x04, 0x6);
	wreg(REG_CTRL, 2);
	ok(reg(REG_STATUS) == 0 && reg(REG_RING_SIZE) == 0 && reg64(REG_COMPLETED) == 0 &&
	   reg(REG_ERR_COUNT) == 0 && reg(REG_HEAD) == 0,
	   "CTRL.RESET clears a halted engine, its ring and its error log");
	writeq(BAR0 + REG_RING_BASE, RING);
	wreg(REG_RING_SIZE, RING_SIZE);
	wreg(REG_CTRL, 5);
	tail = 0;
	slot = submit(BUF_A, 0x1000, 4096, F_DST_DEV);
	wait_completed(1);
	ok(desc_status(slot) == DONE, "after the reset the engine copies again");
	wreg(REG_CTRL, 2);
	writeq(BAR0 + REG_RING_BASE, RING);
	wreg(REG_RING_SIZE, RING_SIZE);
	wreg(REG_CTRL, 5);
	tail = 0;
	ok(log_count(argv[2], "failed: error") == 5,
	   "one guest-error line per descriptor failed so far (5)");
	fuzz(300, getenv("ACCEL_SEED") ? strtoull(getenv("ACCEL_SEED"), NULL, 0) : (uint64_t)time(NULL),
	     argv[2]);

	/* as libqtest ends its QEMU: SIGTERM, a clean exit */
	stop_qemu(&status);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "QEMU survived it all and exits cleanly on SIGTERM (wait status 0x%x)", status);
	cxl_cases(argv[1], argv[2]);
	printf("# %d of %d failed\n", test_failed, test_n);
	return test_failed ? 1 : 0;
}

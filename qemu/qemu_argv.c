// SPDX-License-Identifier: GPL-2.0
/*
 * Topology -> QEMU command line. A pure function of the topology and the
 * options (no I/O), so that tests/unit can compare it with golden files.
 * One emit_*() function per device kind.
 */
#define _GNU_SOURCE	/* vasprintf */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_argv.h"

/* The kernel's COMMAND_LINE_SIZE on x86 is 2048 including the NUL. */
#define CMDLINE_MAX 2047

/* The emitters build strings of any length: out of memory is the only failure. */
static void *must(void *p)
{
	if (!p) {
		perror("devmemlab");
		exit(1);
	}
	return p;
}

static void argv_take(struct argv *a, char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = must(realloc(a->v, a->cap * sizeof(*a->v)));
	}
	a->v[a->n] = s;
	a->v[++a->n] = NULL;
}

void argv_add(struct argv *a, const char *s)
{
	argv_take(a, must(strdup(s)));
}

__attribute__((format(printf, 1, 0)))
static char *vxasprintf(const char *fmt, va_list ap)
{
	char *s;

	return must(vasprintf(&s, fmt, ap) < 0 ? NULL : s);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vxasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void argv_addf(struct argv *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	argv_take(a, vxasprintf(fmt, ap));
	va_end(ap);
}

/* A string stream for the emitters: mem_open(), fprintf(), mem_close() */
static FILE *mem_open(char **buf, size_t *len)
{
	return must(open_memstream(buf, len));
}

static char *mem_close(FILE *f, char **buf)
{
	if (fclose(f))
		must(NULL);
	return *buf;
}

void argv_free(struct argv *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	*a = (struct argv){ 0 };
}

void argv_print(const struct argv *a, FILE *f)
{
	for (int i = 0; i < a->n; i++) {
		const char *s = a->v[i];

		fputs(i ? " " : "", f);
		if (*s && !s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._+:@%/=-")]) {
			fputs(s, f);
			continue;
		}
		fputc('\'', f);
		for (; *s; s++)
			if (*s == '\'')
				fputs("'\\''", f);
			else
				fputc(*s, f);
		fputc('\'', f);
	}
	fputc('\n', f);
}

/* QEMU size syntax: the largest exact unit. */
const char *qemu_size(unsigned long long v, char *buf)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		sprintf(buf, "%llu", v);
	else
		sprintf(buf, "%llu%c", v, units[u]);
	return buf;
}

static void bus_opt(const struct topology *t, const struct topo_device *d,
		    char *buf, size_t len)
{
	snprintf(buf, len, ",bus=%s", d->bus < 0 ? "pcie.0" : t->dev[d->bus].id);
}

/* o->shm_prefix is at most QEMU_PREFIX_MAX (main.c refuses longer): a PATH_MAX buffer holds it */
void qemu_ivshmem_path(const struct topo_device *d, const struct qemu_opts *o,
		       char *buf, size_t len)
{
	if (d->backing[0])
		snprintf(buf, len, "%s", d->backing);
	else
		snprintf(buf, len, "%s-%s", o->shm_prefix, d->id);
}

void qemu_results_path(const struct qemu_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", o->results_dir ? o->results_dir : o->workdir, RESULTS_STREAM);
}

static void emit_root_port(const struct topology *t, const struct topo_device *d,
			   const struct qemu_opts *o, struct argv *a)
{
	char bus[64];

	(void)o;
	bus_opt(t, d, bus, sizeof(bus));
	argv_add(a, "-device");
	argv_addf(a, "pcie-root-port,id=%s%s,chassis=%d,slot=0", d->id, bus, d->chassis);
}

static void emit_switch(const struct topology *t, const struct topo_device *d,
			const struct qemu_opts *o, struct argv *a)
{
	char bus[64];

	(void)o;
	bus_opt(t, d, bus, sizeof(bus));
	argv_add(a, "-device");
	argv_addf(a, "x3130-upstream,id=%s%s", d->id, bus);
}

static void emit_switch_port(const struct topology *t, const struct topo_device *d,
			     const struct qemu_opts *o, struct argv *a)
{
	char bus[64];

	(void)o;
	bus_opt(t, d, bus, sizeof(bus));
	argv_add(a, "-device");
	argv_addf(a, "xio3130-downstream,id=%s%s,chassis=%d,slot=0", d->id, bus, d->chassis);
}

static void emit_ivshmem(const struct topology *t, const struct topo_device *d,
			 const struct qemu_opts *o, struct argv *a)
{
	char bus[64], path[PATH_MAX], sz[32];

	bus_opt(t, d, bus, sizeof(bus));
	argv_add(a, "-object");
	if (o->farm) {
		argv_addf(a, "memory-backend-ram,id=mem-%s,size=%s,share=on", d->id, qemu_size(d->size, sz));
	} else {
		qemu_ivshmem_path(d, o, path, sizeof(path));
		argv_addf(a, "memory-backend-file,id=mem-%s,size=%s,mem-path=%s,share=on",
			  d->id, qemu_size(d->size, sz), path);
	}
	argv_add(a, "-device");
	argv_addf(a, "ivshmem-plain,id=%s,memdev=mem-%s%s", d->id, d->id, bus);
}

static void emit_nvme(const struct topology *t, const struct topo_device *d,
		      const struct qemu_opts *o, struct argv *a)
{
	char bus[64], cmb[40] = "";

	bus_opt(t, d, bus, sizeof(bus));
	if (d->cmb)
		snprintf(cmb, sizeof(cmb), ",cmb_size_mb=%llu", (unsigned long long)(d->cmb >> 20));
	if (!o->farm) {
		argv_add(a, "-drive");
		argv_addf(a, "file=%s/%s.img,if=none,id=drv-%s,format=raw", o->workdir, d->id, d->id);
	}
	argv_add(a, "-device");
	/* the id fits the 20-byte NVMe serial: checked by the parser */
	argv_addf(a, "nvme,id=%s,serial=dml-%s,drive=drv-%s%s%s", d->id, d->id, d->id, cmb, bus);
}

static void emit_cxl_host_bridge(const struct topology *t, const struct topo_device *d,
				 const struct qemu_opts *o, struct argv *a)
{
	(void)o;
	argv_add(a, "-device");
	argv_addf(a, "pxb-cxl,id=%s,bus_nr=%d,bus=pcie.0%s", d->id, d->bus_nr,
		  topo_hb_keeps_hdm(t, d) ? ",hdm_for_passthrough=on" : "");
}

void qemu_cxl_rp_numbers(const struct topology *t, const struct topo_device *d,
			 int *port, int *chassis)
{
	*port = 0;
	*chassis = 100;
	/* port numbers count per host bridge; chassis/slot pairs must be unique */
	for (const struct topo_device *p = t->dev; p < d; p++)
		if (p->kind == DEV_CXL_ROOT_PORT) {
			(*chassis)++;
			*port += p->bus == d->bus;
		}
}

static void emit_cxl_root_port(const struct topology *t, const struct topo_device *d,
			       const struct qemu_opts *o, struct argv *a)
{
	int port, chassis;

	(void)o;
	qemu_cxl_rp_numbers(t, d, &port, &chassis);
	argv_add(a, "-device");
	argv_addf(a, "cxl-rp,id=%s,port=%d,bus=%s,chassis=%d,slot=%d",
		  d->id, port, t->dev[d->bus].id, chassis, 0);
}

static void emit_cxl_type3(const struct topology *t, const struct topo_device *d,
			   const struct qemu_opts *o, struct argv *a)
{
	char sz[32];

	(void)o;
	argv_add(a, "-object");
	argv_addf(a, "memory-backend-ram,id=mem-%s,share=on,size=%s", d->id, qemu_size(d->size, sz));
	argv_add(a, "-device");
	argv_addf(a, "cxl-type3,id=%s,bus=%s,volatile-memdev=mem-%s", d->id, t->dev[d->bus].id, d->id);
}

/* the lab's device: its memory a RAM backend, its link model from the topology */
static void emit_accel(const struct topology *t, const struct topo_device *d,
		       const struct qemu_opts *o, struct argv *a)
{
	char bus[64], sz[32];

	(void)o;
	bus_opt(t, d, bus, sizeof(bus));
	argv_add(a, "-object");
	argv_addf(a, "memory-backend-ram,id=mem-%s,size=%s", d->id, qemu_size(d->size, sz));
	argv_add(a, "-device");
	argv_addf(a, "devmemlab-accel,id=%s,memdev=mem-%s,bandwidth=%llu,latency=%llu%s", d->id, d->id,
		  (unsigned long long)d->bandwidth, (unsigned long long)d->latency, bus);
}

/* the same as a CXL type-2 device below a CXL root port; memory through HDM */
static void emit_cxl_accel(const struct topology *t, const struct topo_device *d,
			   const struct qemu_opts *o, struct argv *a)
{
	char sz[32];

	(void)o;
	argv_add(a, "-object");
	argv_addf(a, "memory-backend-ram,id=mem-%s,size=%s", d->id, qemu_size(d->size, sz));
	argv_add(a, "-device");
	argv_addf(a, "devmemlab-cxl-accel,id=%s,memdev=mem-%s,bandwidth=%llu,latency=%llu,firmware-commit=%s,bus=%s",
		  d->id, d->id, (unsigned long long)d->bandwidth, (unsigned long long)d->latency,
		  d->fw_commit ? "on" : "off", t->dev[d->bus].id);
}

typedef void (*emit_fn)(const struct topology *, const struct topo_device *,
			const struct qemu_opts *, struct argv *);

static const emit_fn emitters[DEV_KIND_COUNT] = {
	[DEV_ROOT_PORT] = emit_root_port,
	[DEV_SWITCH] = emit_switch,
	[DEV_SWITCH_PORT] = emit_switch_port,
	[DEV_IVSHMEM] = emit_ivshmem,
	[DEV_NVME] = emit_nvme,
	[DEV_CXL_HOST_BRIDGE] = emit_cxl_host_bridge,
	[DEV_CXL_ROOT_PORT] = emit_cxl_root_port,
	[DEV_CXL_TYPE3] = emit_cxl_type3,
	[DEV_ACCEL] = emit_accel,
	[DEV_CXL_ACCEL] = emit_cxl_accel,
	/* DEV_CXL_WINDOW is a machine property, see qemu_cxl_machine_opts() */
};

/* Parents before children: QEMU needs a bus to exist before its devices. */
static void emit_tree(const struct topology *t, int i, const struct qemu_opts *o,
		      struct argv *a, char *done)
{
	if (done[i])
		return;
	done[i] = 1;
	if (t->dev[i].bus >= 0)
		emit_tree(t, t->dev[i].bus, o, a, done);
	if (emitters[t->dev[i].kind])
		emitters[t->dev[i].kind](t, &t->dev[i], o, a);
}

char *qemu_cxl_machine_opts(const struct topology *t)
{
	char *buf = NULL, sz[32];
	size_t len = 0;
	FILE *f = mem_open(&buf, &len);
	int w = 0;

	if (topo_has_kind(t, DEV_CXL_HOST_BRIDGE))
		fputs("cxl=on", f);
	for (int i = 0; i < t->ndev; i++) {
		const struct topo_device *d = &t->dev[i];

		if (d->kind != DEV_CXL_WINDOW)
			continue;
		for (int k = 0; k < d->ntargets; k++)
			fprintf(f, ",cxl-fmw.%d.targets.%d=%s", w, k, t->dev[d->targets[k]].id);
		fprintf(f, ",cxl-fmw.%d.size=%s", w, qemu_size(d->size, sz));
		w++;
	}
	return mem_close(f, &buf);
}

char *qemu_all_modules(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = mem_open(&buf, &len);
	const char *sep = "";

	for (int k = 0; k < DEV_KIND_COUNT; k++) {
		const char *m = topo_kind_modules(k);

		if (*m) {
			fprintf(f, "%s%s", sep, m);
			sep = " ";
		}
	}
	return mem_close(f, &buf);
}

int qemu_kernel_cmdline(const struct topology *t, const struct qemu_opts *o,
			char *buf, size_t len, char *err, size_t errlen)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = mem_open(&s, &n);
	const char *sep = " lab.mods=";
	int ret = 0;

	/*
	 * loglevel=5 puts WARNING-level lines on the console, where the verdict
	 * reads them. Under TCG an SMP guest's MWAIT is a PAUSE: the idle loop
	 * spins, and takes QEMU's big lock on every exit, starving the bottom
	 * halves of the accelerator's engine (256 MiB sys->dev through it: 4.9
	 * GB/s, 5.6 with idle=halt); with idle=halt an idle vCPU sleeps. Only
	 * there: it changes every suite's timing (make check, 2026-12-01: three
	 * suites elsewhere failed with it).
	 */
	fprintf(f, "console=ttyS0 loglevel=5 printk.time=1 panic=-1%s%s lab.topology=%s",
		topo_has_accel(t) && !(o->accel && !strcmp(o->accel, "kvm")) ?
		" idle=halt" : "", t->iommu ? " intel_iommu=on" : "", t->name);
	for (int k = 0; k < DEV_KIND_COUNT; k++) {
		const char *km = topo_kind_modules(k);

		if (!*km || !topo_has_kind(t, k))
			continue;
		fputs(sep, f);
		for (; *km; km++)
			fputc(*km == ' ' ? ',' : *km, f);
		sep = ",";
	}
	if (o->append)
		fprintf(f, " %s", o->append);
	if (o->guest_cmd && o->guest_cmd[0]) {
		fputs(" --", f);
		for (char *const *arg = o->guest_cmd; *arg; arg++) {
			const char *q = strpbrk(*arg, " \t") || !**arg ? "\"" : "";

			if (strpbrk(*arg, "\"\n")) {
				ret = errline(err, errlen, "guest command argument '%s' contains '\"' or a newline, which the kernel command line cannot carry",
					      *arg);
				break;
			}
			fprintf(f, " %s%s%s", q, *arg, q);
		}
	}
	mem_close(f, &s);
	if (!ret && (n > CMDLINE_MAX || n >= len))
		ret = errline(err, errlen, "kernel command line too long (%zu bytes, at most %d)",
			      n, CMDLINE_MAX);
	if (!ret)
		memcpy(buf, s, n + 1);
	free(s);
	return ret;
}

int qemu_build_argv(const struct topology *t, const struct qemu_opts *o,
		    struct argv *a, char *err, size_t errlen)
{
	char *cxlm, cmdline[4096], mem[32], path[PATH_MAX + 32];
	char done[TOPO_MAX_DEVICES] = { 0 };
	int cxl = topo_has_kind(t, DEV_CXL_HOST_BRIDGE);

	if (qemu_kernel_cmdline(t, o, cmdline, sizeof(cmdline), err, errlen))
		return -1;
	cxlm = qemu_cxl_machine_opts(t);
	argv_add(a, o->qemu);
	argv_add(a, "-M");
	/* intel-iommu wants the IOAPIC in QEMU (under KVM; TCG's always is) */
	argv_addf(a, "q35%s%s%s", t->iommu ? ",kernel-irqchip=split" : "", *cxlm ? "," : "", cxlm);
	free(cxlm);
	argv_add(a, "-accel");
	argv_add(a, o->accel);
	argv_add(a, "-cpu");
	/* CXL region commit needs cache invalidation, which x86 refuses under a hypervisor bit */
	argv_add(a, cxl ? "max,hypervisor=off" : "max");
	argv_add(a, "-m");
	argv_add(a, qemu_size(t->memory, mem));
	argv_add(a, "-smp");
	argv_addf(a, "%d", t->cpus);
	/* -nodefaults: no CD-ROM for SeaBIOS to stall on, no NIC, no VGA */
	argv_add(a, "-nodefaults");
	argv_add(a, "-display");
	argv_add(a, "none");
	argv_add(a, "-no-reboot");
	argv_add(a, "-serial");
	argv_add(a, "stdio");
	argv_add(a, "-kernel");
	argv_add(a, o->kernel);
	argv_add(a, "-initrd");
	argv_add(a, o->initrd);
	argv_add(a, "-append");
	argv_add(a, cmdline);
	/*
	 * Before any PCI device it translates for. DMA remapping only: with
	 * interrupt remapping on, the guest kernel panics under TCG ("timer
	 * doesn't work through Interrupt-remapped IO-APIC").
	 */
	if (t->iommu) {
		argv_add(a, "-device");
		argv_add(a, "intel-iommu,intremap=off");
	}
	for (int i = 0; i < t->ndev; i++)
		emit_tree(t, i, o, a, done);
	if (o->farm)
		return 0;
	/* after the topology's devices: the next free slot on pcie.0, as under libvirt */
	qemu_results_path(o, path, sizeof(path));
	argv_add(a, "-device");
	argv_add(a, "virtio-serial-pci,id=" LAB_ID_PREFIX "vser,bus=pcie.0");
	argv_add(a, "-chardev");
	argv_addf(a, "file,id=" LAB_ID_PREFIX "results,path=%s", path);
	argv_add(a, "-device");
	argv_add(a, "virtserialport,bus=" LAB_ID_PREFIX "vser.0,chardev=" LAB_ID_PREFIX
		 "results,name=" RESULTS_PORT);
	if (o->qmp) {
		argv_add(a, "-qmp");
		argv_addf(a, "unix:%s,server=on,wait=off", o->qmp);
	}
	return 0;
}

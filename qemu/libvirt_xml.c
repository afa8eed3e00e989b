// SPDX-License-Identifier: GPL-2.0
/*
 * Topology -> libvirt domain XML. Like qemu_argv.c a pure function of the
 * topology and the options, so tests/unit compares it with golden files and
 * validates it with virt-xml-validate.
 *
 * Native libvirt elements wherever libvirt has them: PCIe root ports and
 * switch ports are <controller type='pci'> (user aliases "ua-ID", which are
 * also their QEMU bus names), ivshmem on lab-managed /dev/shm memory is
 * <shmem> with ivshmem-plain, the CXL CPU quirk is a <cpu> <feature>. The
 * rest (NVMe with CMB, CXL host bridge/root port/type-3, fixed memory
 * windows, ivshmem on a user's backing file) goes to <qemu:commandline> in
 * JSON syntax: QEMU creates legacy -device options before libvirt's JSON
 * ones, so a legacy nvme would take a slot libvirt had already assigned.
 * Every native PCI device gets an explicit address, so the guest's tree
 * matches the topology (and the QEMU backend's), not libvirt's defaults.
 */
#include <json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_xml.h"

/* Text and single-quoted attribute values: JSON's '"' stays readable. */
static void xml_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		/* attribute values would read these back as spaces */
		case '\n': fputs("&#10;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\t': fputs("&#9;", f); break;
		default: fputc(*s, f);
		}
	}
}

struct lvgen {
	const struct topology *t;
	const struct qemu_opts *o;
	const struct lv_opts *lo;
	FILE *f;			/* <devices> body */
	struct argv cmd;		/* <qemu:commandline> arguments */
	int index[TOPO_MAX_DEVICES];	/* pci controller index of a port, 0 = none */
	int nctrl;
	int root_slot;			/* next free slot on pcie.0 */
};

/* A libvirt user alias may hold letters, digits, '_' and '-' only. */
void libvirt_alias(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "ua-%s", id);
	for (char *c = buf; *c; c++)
		if (*c == '.')
			*c = '_';
}

/* QEMU bus name of device d's parent: pcie.0, a controller alias, or a QEMU id. */
static void bus_name(const struct lvgen *g, const struct topo_device *d, char *buf, size_t len)
{
	if (d->bus < 0)
		snprintf(buf, len, "pcie.0");
	else if (g->index[d->bus])
		libvirt_alias(g->t->dev[d->bus].id, buf, len);
	else
		snprintf(buf, len, "%s", g->t->dev[d->bus].id);
}

/* <address> for a native device: the next slot on pcie.0, or under its port. */
static void address(struct lvgen *g, const struct topo_device *d)
{
	int bus = d->bus < 0 ? 0 : g->index[d->bus], slot = 0;

	if (bus == 0) {
		slot = g->root_slot++;
	} else {
		/* a switch's downstream ports take slots 0, 1, ... in file order */
		for (const struct topo_device *p = g->t->dev; p < d; p++)
			slot += p->bus == d->bus;
	}
	fprintf(g->f, "      <address type='pci' domain='0x0000' bus='0x%02x' slot='0x%02x' function='0x0'/>\n",
		bus, slot);
}

/*
 * "bus" of a JSON device, and on pcie.0 its "addr" from the same slot count
 * as the native devices: QEMU would otherwise put it after all of them, not
 * in file order as the QEMU backend does.
 */
static void jbus(struct lvgen *g, const struct topo_device *d, json_object *j)
{
	char bus[64], addr[16];

	bus_name(g, d, bus, sizeof(bus));
	json_object_object_add(j, "bus", json_object_new_string(bus));
	if (d->bus < 0) {
		snprintf(addr, sizeof(addr), "0x%x", g->root_slot++);
		json_object_object_add(j, "addr", json_object_new_string(addr));
	}
}

static void add_json(struct lvgen *g, const char *opt, json_object *j)
{
	argv_add(&g->cmd, opt);
	argv_add(&g->cmd, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static json_object *jdev(const char *driver, const char *id)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "driver", json_object_new_string(driver));
	json_object_object_add(j, "id", json_object_new_string(id));
	return j;
}

static void jstr(json_object *j, const char *key, const char *val)
{
	json_object_object_add(j, key, json_object_new_string(val));
}

static void jint(json_object *j, const char *key, long long val)
{
	json_object_object_add(j, key, json_object_new_int64(val));
}

static void controller(struct lvgen *g, const struct topo_device *d, const char *model)
{
	char alias[TOPO_ID_MAX + 8];

	libvirt_alias(d->id, alias, sizeof(alias));
	fprintf(g->f, "    <controller type='pci' index='%d' model='%s'>\n", g->index[d - g->t->dev], model);
	fprintf(g->f, "      <alias name='%s'/>\n", alias);
	address(g, d);
	fputs("    </controller>\n", g->f);
}

static void emit_root_port(struct lvgen *g, const struct topo_device *d)
{
	controller(g, d, "pcie-root-port");
}

static void emit_switch(struct lvgen *g, const struct topo_device *d)
{
	controller(g, d, "pcie-switch-upstream-port");
}

static void emit_switch_port(struct lvgen *g, const struct topo_device *d)
{
	controller(g, d, "pcie-switch-downstream-port");
}

const char *libvirt_shmem_name(const struct topo_device *d, const struct qemu_opts *o,
			       char *path, size_t len)
{
	qemu_ivshmem_path(d, o, path, len);
	if (!d->backing[0] && !strncmp(path, "/dev/shm/", 9) && !strchr(path + 9, '/'))
		return path + 9;
	return NULL;
}

static void emit_ivshmem(struct lvgen *g, const struct topo_device *d)
{
	char path[PATH_MAX], memid[TOPO_ID_MAX + 8];
	const char *name = libvirt_shmem_name(d, g->o, path, sizeof(path));
	json_object *j;

	if (name && !g->lo->remote) {
		/* libvirt creates /dev/shm/NAME itself; the launcher removes it */
		fputs("    <shmem name='", g->f);
		xml_esc(g->f, name);
		fprintf(g->f, "'>\n      <model type='ivshmem-plain'/>\n      <size unit='M'>%llu</size>\n",
			(unsigned long long)(d->size >> 20));
		address(g, d);
		fputs("    </shmem>\n", g->f);
		return;
	}
	/*
	 * <shmem> knows only /dev/shm/NAME: a user's backing file goes by hand,
	 * and so does lab memory on a remote host, as a memfd: a /dev/shm file
	 * there could not be removed from here.
	 */
	snprintf(memid, sizeof(memid), "mem-%s", d->id);
	j = json_object_new_object();
	jstr(j, "qom-type", name ? "memory-backend-memfd" : "memory-backend-file");
	jstr(j, "id", memid);
	jint(j, "size", d->size);
	if (!name)
		jstr(j, "mem-path", path);
	json_object_object_add(j, "share", json_object_new_boolean(1));
	add_json(g, "-object", j);
	j = jdev("ivshmem-plain", d->id);
	jstr(j, "memdev", memid);
	jbus(g, d, j);
	add_json(g, "-device", j);
}

static void emit_nvme(struct lvgen *g, const struct topo_device *d)
{
	char drv[TOPO_ID_MAX + 8], serial[TOPO_ID_MAX + 8];
	char *img = xasprintf("%s/%s.img", g->o->workdir, d->id);
	json_object *j = json_object_new_object(), *file = json_object_new_object();

	snprintf(drv, sizeof(drv), "drv-%s", d->id);
	jstr(file, "driver", "file");
	jstr(file, "filename", img);
	free(img);
	jstr(j, "driver", "raw");
	jstr(j, "node-name", drv);
	json_object_object_add(j, "file", file);
	add_json(g, "-blockdev", j);

	j = jdev("nvme", d->id);
	/* the id fits the 20-byte NVMe serial: checked by the parser */
	snprintf(serial, sizeof(serial), "dml-%s", d->id);
	jstr(j, "serial", serial);
	jstr(j, "drive", drv);
	if (d->cmb)
		jint(j, "cmb_size_mb", d->cmb >> 20);
	jbus(g, d, j);
	add_json(g, "-device", j);
}

static void emit_cxl_host_bridge(struct lvgen *g, const struct topo_device *d)
{
	json_object *j = jdev("pxb-cxl", d->id);

	jint(j, "bus_nr", d->bus_nr);
	if (topo_hb_keeps_hdm(g->t, d))
		json_object_object_add(j, "hdm_for_passthrough", json_object_new_boolean(1));
	jbus(g, d, j);		/* a host bridge always sits on pcie.0 */
	add_json(g, "-device", j);
}

static void emit_cxl_root_port(struct lvgen *g, const struct topo_device *d)
{
	json_object *j = jdev("cxl-rp", d->id);
	int port, chassis;

	qemu_cxl_rp_numbers(g->t, d, &port, &chassis);
	jint(j, "port", port);
	jstr(j, "bus", g->t->dev[d->bus].id);
	jint(j, "chassis", chassis);
	jint(j, "slot", 0);
	add_json(g, "-device", j);
}

/* -object memory-backend-ram for device d's memory, id "mem-ID" (into memid) */
static void ram_backend(struct lvgen *g, const struct topo_device *d, int share, char *memid,
			size_t len)
{
	json_object *j = json_object_new_object();

	snprintf(memid, len, "mem-%s", d->id);
	jstr(j, "qom-type", "memory-backend-ram");
	jstr(j, "id", memid);
	if (share)
		json_object_object_add(j, "share", json_object_new_boolean(1));
	jint(j, "size", d->size);
	add_json(g, "-object", j);
}

static void emit_cxl_type3(struct lvgen *g, const struct topo_device *d)
{
	char memid[TOPO_ID_MAX + 8];
	json_object *j;

	ram_backend(g, d, 1, memid, sizeof(memid));
	j = jdev("cxl-type3", d->id);
	jstr(j, "bus", g->t->dev[d->bus].id);
	jstr(j, "volatile-memdev", memid);
	add_json(g, "-device", j);
}

/* the lab's device, which only the lab's QEMU (the domain's <emulator>) has */
static json_object *accel_json(struct lvgen *g, const struct topo_device *d, const char *driver)
{
	char memid[TOPO_ID_MAX + 8];
	json_object *j;

	ram_backend(g, d, 0, memid, sizeof(memid));
	j = jdev(driver, d->id);
	jstr(j, "memdev", memid);
	jint(j, "bandwidth", d->bandwidth);
	jint(j, "latency", d->latency);
	return j;
}

static void emit_accel(struct lvgen *g, const struct topo_device *d)
{
	json_object *j = accel_json(g, d, "devmemlab-accel");

	jbus(g, d, j);
	add_json(g, "-device", j);
}

/* the same as a CXL type-2 device below a CXL root port */
static void emit_cxl_accel(struct lvgen *g, const struct topo_device *d)
{
	json_object *j = accel_json(g, d, "devmemlab-cxl-accel");

	json_object_object_add(j, "firmware-commit", json_object_new_boolean(d->fw_commit));
	jstr(j, "bus", g->t->dev[d->bus].id);
	add_json(g, "-device", j);
}

typedef void (*lv_emit_fn)(struct lvgen *, const struct topo_device *);

static const lv_emit_fn emitters[DEV_KIND_COUNT] = {
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
	/* DEV_CXL_WINDOW is a machine property: -machine cxl-fmw... */
};

static int is_port(enum dev_kind k)
{
	return k == DEV_ROOT_PORT || k == DEV_SWITCH || k == DEV_SWITCH_PORT;
}

/* Parents first: controller indices grow down the tree, as libvirt wants. */
static void walk(struct lvgen *g, int i, char *done, int emit)
{
	const struct topo_device *d = &g->t->dev[i];

	if (done[i])
		return;
	done[i] = 1;
	if (d->bus >= 0)
		walk(g, d->bus, done, emit);
	if (!emit && is_port(d->kind))
		g->index[i] = ++g->nctrl;
	else if (emit && emitters[d->kind])
		emitters[d->kind](g, d);
}

static int check_aliases(const struct topology *t, char *err, size_t errlen)
{
	char a[TOPO_ID_MAX + 8], b[TOPO_ID_MAX + 8];

	for (int i = 0; i < t->ndev; i++)
		for (int k = 0; k < i && is_port(t->dev[i].kind); k++) {
			if (!is_port(t->dev[k].kind))
				continue;
			libvirt_alias(t->dev[i].id, a, sizeof(a));
			libvirt_alias(t->dev[k].id, b, sizeof(b));
			if (!strcmp(a, b))
				return errline(err, errlen, "%s:%d: ports '%s' and '%s' map to the same libvirt alias '%s' ('.' becomes '_')",
					       t->path, t->dev[i].line, t->dev[k].id, t->dev[i].id, a);
		}
	return 0;
}

/* What only libvirt refuses; the kernel command line is checked beside it. */
static int check_libvirt(const struct topology *t, const struct qemu_opts *o,
			 char *err, size_t errlen)
{
	if (check_aliases(t, err, errlen))
		return -1;
	if (strchr(o->qemu, '/') && o->qemu[0] != '/')
		return errline(err, errlen, "--qemu must be an absolute path for libvirt, not '%s'", o->qemu);
	return 0;
}

int libvirt_xml_check(const struct topology *t, const struct qemu_opts *o,
		      char *err, size_t errlen)
{
	char cmdline[4096];

	return qemu_kernel_cmdline(t, o, cmdline, sizeof(cmdline), err, errlen) ||
	       check_libvirt(t, o, err, errlen) ? -1 : 0;
}

int libvirt_build_xml(const struct topology *t, const struct qemu_opts *o,
		      const struct lv_opts *lo, char **xml, char *err, size_t errlen)
{
	struct lvgen g = { .t = t, .o = o, .lo = lo, .root_slot = 1 };
	char cmdline[4096], done[TOPO_MAX_DEVICES] = { 0 }, results[PATH_MAX + 32];
	char *devices = NULL, *out = NULL, *cxlm;
	size_t dlen = 0, olen = 0;
	FILE *f;

	*xml = NULL;
	if (qemu_kernel_cmdline(t, o, cmdline, sizeof(cmdline), err, errlen) ||
	    check_libvirt(t, o, err, errlen))
		return -1;
	for (int i = 0; i < t->ndev; i++)
		walk(&g, i, done, 0);
	memset(done, 0, sizeof(done));
	g.f = open_memstream(&devices, &dlen);
	f = g.f ? open_memstream(&out, &olen) : NULL;
	if (!f) {
		if (g.f) {
			fclose(g.f);
			free(devices);
		}
		return errline(err, errlen, "out of memory");
	}
	cxlm = qemu_cxl_machine_opts(t);
	if (*cxlm) {	/* QEMU merges it into libvirt's -machine */
		argv_add(&g.cmd, "-machine");
		argv_add(&g.cmd, cxlm);
	}
	free(cxlm);
	for (int i = 0; i < t->ndev; i++)
		walk(&g, i, done, 1);
	fclose(g.f);

	fprintf(f, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
		strcmp(o->accel, "kvm") ? "qemu" : "kvm");
	fputs("  <name>", f);
	xml_esc(f, lo->name);
	fputs("</name>\n  <description>devmemlab topology ", f);
	xml_esc(f, t->name);
	fputs(": ", f);
	xml_esc(f, t->description);
	fprintf(f, "</description>\n  <memory unit='KiB'>%llu</memory>\n  <vcpu>%d</vcpu>\n",
		(unsigned long long)(t->memory >> 10), t->cpus);
	fputs("  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n    <kernel>", f);
	xml_esc(f, o->kernel);
	fputs("</kernel>\n    <initrd>", f);
	xml_esc(f, o->initrd);
	fputs("</initrd>\n    <cmdline>", f);
	xml_esc(f, cmdline);
	/* without <acpi/> there is no MCFG: no extended config space, no CXL DVSECs */
	fputs("</cmdline>\n  </os>\n  <features>\n    <acpi/>\n    <apic/>\n", f);
	if (t->iommu)	/* kernel-irqchip=split, as for the QEMU backend */
		fputs("    <ioapic driver='qemu'/>\n", f);
	fputs("  </features>\n", f);
	if (topo_has_kind(t, DEV_CXL_HOST_BRIDGE))
		/* CXL region commit needs cache invalidation, refused under a hypervisor bit */
		fputs("  <cpu mode='maximum' check='none'>\n"
		      "    <feature policy='disable' name='hypervisor'/>\n  </cpu>\n", f);
	else
		fputs("  <cpu mode='maximum' check='none'/>\n", f);
	fputs("  <clock offset='utc'/>\n  <on_poweroff>destroy</on_poweroff>\n"
	      "  <on_reboot>destroy</on_reboot>\n  <on_crash>destroy</on_crash>\n  <devices>\n", f);
	if (o->qemu[0] == '/') {
		fputs("    <emulator>", f);
		xml_esc(f, o->qemu);
		fputs("</emulator>\n", f);
	}
	fputs("    <controller type='usb' model='none'/>\n"
	      "    <controller type='pci' index='0' model='pcie-root'/>\n", f);
	fputs(devices, f);
	fputs("    <serial type='file'>\n      <source path='", f);
	xml_esc(f, lo->serial);
	fputs("'/>\n      <target port='0'/>\n    </serial>\n", f);
	/* the results channel, its controller on the next free slot of pcie.0 as under QEMU */
	fputs("    <controller type='virtio-serial' index='0'>\n", f);
	fprintf(f, "      <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' function='0x0'/>\n",
		g.root_slot);
	fputs("    </controller>\n    <channel type='file'>\n      <source path='", f);
	qemu_results_path(o, results, sizeof(results));
	xml_esc(f, results);
	fputs("'/>\n      <target type='virtio' name='" RESULTS_PORT "'/>\n    </channel>\n"
	      "    <memballoon model='none'/>\n", f);
	if (t->iommu)
		fputs("    <iommu model='intel'>\n      <driver intremap='off'/>\n    </iommu>\n", f);
	fputs("  </devices>\n", f);
	if (g.cmd.n) {
		fputs("  <qemu:commandline>\n", f);
		for (int i = 0; i < g.cmd.n; i++) {
			fputs("    <qemu:arg value='", f);
			xml_esc(f, g.cmd.v[i]);
			fputs("'/>\n", f);
		}
		fputs("  </qemu:commandline>\n", f);
	}
	fputs("</domain>\n", f);
	fclose(f);
	free(devices);
	argv_free(&g.cmd);
	*xml = out;
	return 0;
}

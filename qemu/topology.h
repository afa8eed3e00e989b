/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Topology model: what a topology file describes, after validation.
 * See docs/topology-format.md for the file format.
 */
#ifndef DEVMEMLAB_TOPOLOGY_H
#define DEVMEMLAB_TOPOLOGY_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

/* Each size includes the terminating NUL; longer input is refused, never cut. */
#define TOPO_MAX_DEVICES 32
#define TOPO_ID_MAX 32
#define TOPO_NAME_MAX 64		/* file name without .ini */
#define TOPO_TEXT_MAX 256		/* description, backing path */
#define TOPO_LINE_MAX 1023		/* characters of a line, without its newline */
/* An NVMe serial is 20 bytes (QEMU pads or cuts it): "dml-" + at most 16 */
#define TOPO_NVME_ID_MAX 16
/* ids of the launcher's own QEMU devices (results channel); refused in files */
#define LAB_ID_PREFIX "devmemlab-"

enum dev_kind {
	DEV_ROOT_PORT,		/* pcie-root-port on pcie.0 */
	DEV_SWITCH,		/* x3130-upstream (a switch's upstream port) */
	DEV_SWITCH_PORT,	/* xio3130-downstream */
	DEV_IVSHMEM,		/* ivshmem-plain: BAR2 backed by a host file */
	DEV_NVME,		/* nvme controller + one namespace, optional CMB */
	DEV_CXL_HOST_BRIDGE,	/* pxb-cxl */
	DEV_CXL_ROOT_PORT,	/* cxl-rp */
	DEV_CXL_TYPE3,		/* cxl-type3, volatile memory */
	DEV_CXL_WINDOW,		/* fixed memory window (-M cxl-fmw.N...) */
	DEV_ACCEL,		/* devmemlab-accel: the lab's QEMU build only */
	DEV_CXL_ACCEL,		/* devmemlab-cxl-accel (CXL type 2): likewise */
	DEV_KIND_COUNT
};

struct topo_device {
	enum dev_kind kind;
	char id[TOPO_ID_MAX];
	int line;			/* line of the [kind id] header */
	int bus;			/* index of parent device, -1 = pcie.0 */
	uint64_t size;			/* BAR, disk, type-3 or window size */
	uint64_t cmb;			/* nvme: CMB size, 0 = none */
	char backing[TOPO_TEXT_MAX];		/* ivshmem: "" = lab-managed /dev/shm */
	uint64_t bandwidth;		/* accel: link bytes per second, 0 = unlimited */
	uint64_t latency;		/* accel: link latency in ns */
	int fw_commit;			/* cxl-accel: firmware commits its HDM decoders */
	int targets[4];			/* cxl-window: host bridge indices */
	int ntargets;
	int chassis;			/* assigned to ports */
	int bus_nr;			/* cxl host bridge bus number */
};

struct topology {
	char name[TOPO_NAME_MAX];	/* file name without .ini */
	char path[PATH_MAX];
	char description[TOPO_TEXT_MAX];
	uint64_t memory;
	int cpus;
	int iommu;			/* 1: intel-iommu (DMA remapping), 0: none */
	int ndev;
	struct topo_device dev[TOPO_MAX_DEVICES];
};

const char *topo_kind_name(enum dev_kind kind);
/* Guest modules a device kind needs, space separated ("" if none). */
const char *topo_kind_modules(enum dev_kind kind);
int topo_has_kind(const struct topology *t, enum dev_kind kind);
/* Whether the topology needs the lab's own QEMU build (an accel device). */
int topo_has_accel(const struct topology *t);
/*
 * Whether CXL host bridge hb keeps its HDM decoders with a single root
 * port (pxb-cxl hdm_for_passthrough): it does when a type-2 device sits
 * below it, whose decoders firmware (or the guest) commits through it.
 */
int topo_hb_keeps_hdm(const struct topology *t, const struct topo_device *hb);
int topo_needs_lab_qemu(const struct topology *t);

/*
 * Parse and validate a topology file. On error returns -1 and writes one
 * line "FILE:LINE: problem" into err.
 */
int topo_load(const char *path, struct topology *t, char *err, size_t errlen);
/* The same from an open stream f, named path in errors (tests/fuzz). */
int topo_read(FILE *f, const char *path, struct topology *t, char *err, size_t errlen);

/*
 * One error line into err, like snprintf; a line too long for err ends in
 * "..." so that a cut is never silent. Returns -1.
 */
int errline(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parse "1G", "256M", "4096", "64K"; returns -1 on a malformed size. */
int topo_parse_size(const char *s, uint64_t *out);

#endif

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * devmemlab: ioctl interface of /dev/devmemlabN. Shared, not copied, by the
 * module and the guest tools (guest-tools/ include it from here).
 *
 * Offsets and PFNs are device-relative page numbers: device PFN i keeps its
 * data at BAR2 offset i * 4 KiB.
 */
#ifndef _UAPI_DEVMEMLAB_H
#define _UAPI_DEVMEMLAB_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DML_MAX_ORDER		9
#define DML_ANY_OFFSET		(~0ULL)

/* DML_IOC_ALLOC / DML_IOC_FREE: device folios held by the open file */
struct dml_alloc {
	__u64 offset;		/* head page, aligned to 1 << order; or DML_ANY_OFFSET */
	__u32 order;		/* 0..DML_MAX_ORDER */
	__u32 pad;
};

/* Invariant numbers, as in docs/device-private.md */
enum dml_invariant {
	DML_I_FREE_REFCOUNT = 1,	/* I-1: free pages have refcount 0 */
	DML_I_LAYOUT = 2,		/* I-2: head/tail/folio/order/nr_pages/pgmap */
	DML_I_ALLOCATOR = 3,		/* I-3: allocator records agree with live folios */
	DML_I_REF_BALANCE = 5,		/* I-5: inits - frees == live pages */
	DML_I_LEAKED_REF = 7,		/* I-7: references beyond its owners' (file + mappings) */
	DML_I_MAPCOUNT = 9,		/* unmapped folio has mapcounts */
};

/* which check failed (struct dml_violation.what) */
enum dml_check_what {
	DML_W_FREE_REF = 1,	/* a page outside any live folio has references */
	DML_W_HEAD_FLAG,	/* PG_head wrong on a live head */
	DML_W_HEAD_IS_TAIL,	/* a live head is marked as a tail */
	DML_W_HEAD_REF,		/* live head refcount < 1 */
	DML_W_PGMAP,		/* head's pgmap is not ours */
	DML_W_ORDER,		/* folio_order differs from the allocation */
	DML_W_NR_PAGES,		/* folio_nr_pages differs */
	DML_W_RMAPPABLE,	/* large folio without large_rmappable */
	DML_W_TAIL_FLAG,	/* a page inside a live folio is not a tail */
	DML_W_TAIL_HEAD,	/* a tail resolves to another head */
	DML_W_TAIL_REF,		/* a tail has references */
	DML_W_BLOCK,		/* the allocator has no block under a live folio */
	DML_W_BALANCE,		/* inits - frees != live pages */
	DML_W_TOTAL,		/* free + allocated != device pages */
	DML_W_LEAKED,		/* refcount != held by a file + mapcount */
	DML_W_MAPPED,		/* unmapped (no mapping) folio has mapcounts */
	DML_W_BLOCK_LIVE,	/* a block's live count != pages of its recorded folios */
};

struct dml_violation {
	__u64 pfn;
	__u32 invariant;	/* enum dml_invariant */
	__u32 what;		/* enum dml_check_what */
	__s64 got;
	__s64 want;
};

#define DML_CHECK_REPORT 8	/* the first violation of each kind, up to 8 kinds */
struct dml_check {
	__u64 pages_checked;
	__u64 folios_checked;
	__u32 violations;
	__u32 nreported;
	struct dml_violation v[DML_CHECK_REPORT];
};

struct dml_stats {
	__u64 npages;		/* device pages */
	__u64 free_pages;	/* free in the buddy allocator */
	__u64 live_pages;	/* in live folios */
	__u64 live_folios;
	__u64 init_pages;	/* total pages initialised (zone_device_folio_init) */
	__u64 freed_pages;	/* total pages through folio_free */
	__u64 frees;		/* folio_free calls */
	__u64 splits;		/* folio_split callbacks for new folios */
	__u64 faults;		/* migrate_to_ram calls */
	__u64 to_dev_pages;
	__u64 to_sys_pages;
	__u64 evicted_pages;
	__u64 order9_fallbacks;	/* order-9 device allocation failed, used order 0 */
	__u64 engine;		/* 1: copies go through the device's DMA engine (accel) */
	__u64 engine_descs;	/* descriptors the engine completed */
	__u64 engine_errors;	/* copies failed by an engine error */
	__u64 engine_timeouts;	/* copies that timed out (engine reset) */
	/*
	 * Device folios freed or re-allocated while the engine still owned a
	 * descriptor on their memory (read from the ring and HEAD): must be 0.
	 */
	__u64 dma_busy_frees;
	__u64 coherent;		/* 1: MEMORY_DEVICE_COHERENT (module parameter coherent=1) */
	__u64 base_pfn;		/* PFN of device page 0 */
};

/* DML_IOC_TO_DEV / DML_IOC_TO_SYS: migrate [addr, addr + npages * 4K) */
#define DML_MIGRATE_COMPOUND	0x1	/* order-9 folios where possible */
#define DML_MIGRATE_CPU_COPY	0x2	/* copy with the CPU through BAR2 even with an engine */

/* where a migration's time goes (struct dml_migrate.phase_nsec) */
enum dml_phase {
	DML_PH_SETUP,		/* migrate_vma_setup(): collect, isolate, unmap */
	DML_PH_ALLOC,		/* destination allocation (+ device folio init) */
	DML_PH_COPY,		/* the copy: CPU, or DMA map + engine + unmap */
	DML_PH_PAGES,		/* migrate_vma_pages() */
	DML_PH_FINALIZE,	/* migrate_vma_finalize() */
	DML_PHASES
};

struct dml_migrate {
	__u64 addr;
	__u64 npages;
	__u32 flags;
	__u32 pad;
	__u64 migrated;		/* out: pages that migrated */
	__u64 nsec;		/* out: time spent in the kernel */
	__u64 phase_nsec[DML_PHASES];	/* out: nsec by phase (the rest is the walk) */
};

enum dml_fault_mode {
	DML_FI_NONE = 0,
	DML_FI_STALE_TAILS,	/* upper-buddy re-init keeps the old tails' head pointer */
	DML_FI_SKIP_REINIT,	/* recycled block handed out without re-initialisation */
	DML_FI_LEAK_REF,	/* free leaks a reference: folio_free never runs */
	DML_FI_EXTRA_REF,	/* DML_IOC_ALLOC takes a reference nobody owns */
	DML_FI_DROP_SPLIT,	/* the split callback forgets the new folio's order */
	DML_FI_FAIL_SYS_ALLOC,	/* system folio allocations fail from the nth on */
	DML_FI_FAIL_DEV_ALLOC,	/* device block allocations fail from the nth on */
	DML_FI_FAIL_SYS_LARGE,	/* large system folio allocations fail: order-0 fallbacks */
	DML_FI_ENGINE_NOWAIT,	/* an engine timeout releases the pages without a reset */
	DML_FI_COUNT
};

/*
 * DML_IOC_FAULT: one mode at a time for the whole device. DML_FI_NONE
 * repairs what the previous mode left (leaked and extra references).
 */
struct dml_fault {
	__u32 mode;		/* enum dml_fault_mode */
	__u32 nth;		/* FAIL_*_ALLOC: 1 = the next allocation fails; else 0 */
};

/* DML_IOC_DUMP: struct page state of up to DML_DUMP_MAX pages */
#define DML_DUMP_MAX 64
struct dml_page_state {
	__u64 flags;		/* page->flags & 0xff */
	__s64 folio;		/* page_folio(page) - device PFN 0, as a device PFN */
	__s32 refcount;
	__u32 head;		/* PageHead */
	__u32 tail;		/* PageTail */
	__u32 pgmap_ok;		/* the page's pgmap word is this device's pgmap */
};

struct dml_dump {
	__u64 offset;
	__u64 npages;
	__u64 ptr;		/* struct dml_page_state[npages] */
};

/*
 * DML_IOC_KCOPY: the copy routine migration uses, on the same bytes, no
 * migration. The range [0, bytes) of device memory is taken from the
 * allocator for the copy: EBUSY if any of it holds a live folio.
 */
#define DML_KCOPY_TO_BAR	0
#define DML_KCOPY_FROM_BAR	1
#define DML_KCOPY_CPU		0x1	/* flags: the CPU copy even with an engine */
struct dml_kcopy {
	__u64 bytes;		/* multiple of 2 MiB, at most the BAR */
	__u32 direction;
	__u32 flags;
	__u64 nsec;		/* out */
};

/*
 * DML_IOC_SCAN: what migrate_device_range() collects over [offset, +npages)
 * (whole order-9 blocks; EBUSY while a fault-injection mode is set or an
 * injected fault is live: those struct pages are corrupt on purpose).
 */
struct dml_scan {
	__u64 offset;		/* multiple of 512 */
	__u64 npages;		/* multiple of 512, at most 4096 */
	__u64 collected;	/* out: folios collected (then restored) */
	__u64 collected_pages;	/* out: pages in them */
};

/* DML_IOC_P2P_TEST: pci_alloc_p2pmem / virt_to_bus / free on our BAR's p2pmem */
struct dml_p2p_test {
	__u64 bytes;		/* in: how much to allocate */
	__u64 bus_addr;		/* out: bus address of the allocation */
	__u64 bar_start;	/* out: BAR2 bus address range */
	__u64 bar_end;
};

/*
 * DML_IOC_ENGINE: the accelerator's fault injection (its debug registers);
 * ENODEV on a device without an engine.
 */
enum dml_engine_op {
	DML_ENG_STALL = 1,	/* arg 1: the engine stops taking and completing work; 0 resumes */
	DML_ENG_FAIL,		/* the next arg descriptors fail with an error */
	DML_ENG_POISON,		/* copies from device bytes [off, off + len) fail; len 0 clears */
};

struct dml_engine {
	__u32 op;		/* enum dml_engine_op */
	__u32 arg;
	__u64 off;
	__u64 len;
};

#define DML_IOC_MAGIC		'D'
#define DML_IOC_ALLOC		_IOWR(DML_IOC_MAGIC, 1, struct dml_alloc)
#define DML_IOC_FREE		_IOW(DML_IOC_MAGIC, 2, struct dml_alloc)
#define DML_IOC_CHECK		_IOR(DML_IOC_MAGIC, 3, struct dml_check)
#define DML_IOC_STATS		_IOR(DML_IOC_MAGIC, 4, struct dml_stats)
#define DML_IOC_TO_DEV		_IOWR(DML_IOC_MAGIC, 5, struct dml_migrate)
#define DML_IOC_TO_SYS		_IOWR(DML_IOC_MAGIC, 6, struct dml_migrate)
#define DML_IOC_FAULT		_IOW(DML_IOC_MAGIC, 7, struct dml_fault)
#define DML_IOC_DUMP		_IOW(DML_IOC_MAGIC, 8, struct dml_dump)
#define DML_IOC_KCOPY		_IOWR(DML_IOC_MAGIC, 9, struct dml_kcopy)
#define DML_IOC_SCAN		_IOWR(DML_IOC_MAGIC, 10, struct dml_scan)
/*
 * DML_IOC_EVICT: migrate every mapped device folio to system memory; 0, or
 * EBUSY if some stayed after the retries (folios held through DML_IOC_ALLOC
 * are a file's, not a mapping's, and stay)
 */
#define DML_IOC_EVICT		_IO(DML_IOC_MAGIC, 11)
#define DML_IOC_P2P_TEST	_IOWR(DML_IOC_MAGIC, 12, struct dml_p2p_test)
#define DML_IOC_ENGINE		_IOW(DML_IOC_MAGIC, 13, struct dml_engine)

#endif /* _UAPI_DEVMEMLAB_H */

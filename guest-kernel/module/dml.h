/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devmemlab: internal interfaces. One struct dml_dev per bound ivshmem
 * device; every symbol carries the dml_ prefix.
 */
#ifndef DML_H
#define DML_H

#include <linux/gpu_buddy.h>
#include <linux/kref.h>
#include <linux/memremap.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/xarray.h>

#include "devmemlab_uapi.h"

struct dml_dev;

/*
 * One copy of migration, eviction or kcopy: @len bytes between the
 * physically contiguous system pages from @sys (NULL: zeroes into the
 * device) and device memory at byte offset @dev_off.
 */
struct dml_xfer {
	struct page *sys;
	u64 dev_off;
	u32 len;
	bool to_dev;
};

/*
 * A device backend: what differs between the devices the module binds.
 * Device memory is BAR2 for both; @init runs once BAR2 is set up, @fini
 * before it goes (after eviction). @copy runs a batch of copies and
 * returns only when none is in flight: 0, or an errno with nothing to
 * rely on in the destinations. Optional: @dma_busy (any context, may not
 * sleep): does the device still own a transfer touching device bytes
 * [off, off + len)? @engine: DML_IOC_ENGINE.
 */
struct dml_backend {
	const char *name;
	int (*init)(struct dml_dev *dev);
	void (*fini)(struct dml_dev *dev);
	int (*copy)(struct dml_dev *dev, const struct dml_xfer *x, unsigned int n);
	bool (*dma_busy)(struct dml_dev *dev, u64 off, u64 len);
	int (*engine)(struct dml_dev *dev, struct dml_engine *e);
	/* the device memory is CXL HDM (type 2), not BAR2 */
	bool cxl_hdm;
};

extern const struct dml_backend dml_ivshmem_backend;
extern const struct dml_backend dml_accel_backend;
extern const struct dml_backend dml_cxl_accel_backend;

/* dml_cxl.c: the type-2 acceptance sequence; the HPA range of the region */
int dml_cxl_probe(struct dml_dev *dev, struct range *hpa);

struct dml_dev {
	const struct dml_backend *ops;
	void *priv;			/* the backend's */
	struct pci_dev *pdev;		/* NULL: a range (module parameter range=) */
	void *bar;			/* the device memory, memremap()ed write-back */
	phys_addr_t mem_start;		/* where it is: BAR2, or the CXL region (HDM) */
	u64 mem_len;			/* all of it: BAR2's length, or the region's */
	u64 size;			/* bytes of device memory (below the p2p part) */
	u64 p2p_size;			/* bytes at the end of BAR2 given to P2PDMA */
	/*
	 * MEMORY_DEVICE_COHERENT: the struct pages are the device memory's own
	 * PFNs, mapped into user page tables like system memory; else
	 * MEMORY_DEVICE_PRIVATE on a free physical range (@res).
	 */
	bool coherent;
	unsigned long npages;
	unsigned long base_pfn;		/* first PFN of the pagemap (device page 0) */
	struct resource *res;
	struct dev_pagemap pgmap;
	struct miscdevice misc;
	char name[32];
	int id;

	/* allocator: gpu_buddy under @lock (it allocates with GFP_KERNEL) */
	struct mutex lock;
	struct gpu_buddy mm;
	/*
	 * Allocator records, indexed by device page. They, never struct page,
	 * say how big a block or folio is (I-3).
	 * @blk:  the buddy block covering the page, NULL when free
	 * @live: at a block's first page: pages of it not yet freed
	 * @ford: order + 1 at the head of a live folio, else 0
	 * @held: at a head: the folio is held by a file (DML_IOC_ALLOC), not
	 *        by mappings; set and cleared under @lock
	 */
	struct gpu_buddy_block **blk;
	atomic_t *live;
	u8 *ford;
	unsigned long *held;
	/*
	 * Eviction against the release of held folios: a file's folio is
	 * never collected for eviction while its owner drops it (a migrated
	 * folio nobody maps would reach the LRU uncharged). Taken before @lock.
	 */
	struct mutex evict_lock;
	/* blocks whose last page was freed, waiting for @lock (folio_free is IRQ-safe) */
	spinlock_t pending_lock;
	struct list_head pending;

	/* fault injection and what it must repair */
	u32 fault_mode;
	u32 fault_nth;			/* FAIL_*_ALLOC: the first allocation to fail */
	atomic_t fault_allocs;		/* allocations counted since the mode was set */
	struct xarray fi_heads;		/* held heads with an injected fault -> mode */
	/*
	 * heads with a reference nobody owns (LEAK_REF, EXTRA_REF) -> count:
	 * dropped when the mode is reset. Repair only: the checker never
	 * reads it, it finds such references from refcount and owners alone.
	 */
	struct xarray fi_refs;
	struct mutex fi_lock;		/* mode changes and repairs; DML_IOC_SCAN */

	/* statistics (struct dml_stats) */
	atomic64_t init_pages, freed_pages, frees, splits, faults;
	atomic64_t to_dev_pages, to_sys_pages, evicted_pages, order9_fallbacks;
	atomic64_t engine_descs, engine_errors, engine_timeouts, dma_busy_frees;
	bool dying;

	/*
	 * Open files outlive an unbind: each holds a reference on the
	 * dml_dev. Every ioctl and mmap runs inside dml_enter()/dml_exit(),
	 * an SRCU read section: remove() sets @removed, then
	 * synchronize_srcu() waits for those in flight, and later ones fail
	 * with -ENODEV. An SRCU reader never waits for remove(), so taking
	 * mmap_lock inside one (migration) and entering one under mmap_lock
	 * (mmap) cannot deadlock, unlike a rwsem (drm_dev_enter() is the
	 * same pattern).
	 */
	struct kref ref;
	struct srcu_struct srcu;
	bool removed;
	struct mutex files_lock;	/* @files; never held across mmap_lock */
	struct list_head files;		/* struct dml_file */
};

/* per open file: device folios allocated through DML_IOC_ALLOC */
struct dml_file {
	struct dml_dev *dev;
	struct file *file;
	struct list_head node;		/* in dev->files */
	struct xarray held;		/* head page -> order + 1 */
};

/* Messages about a device: its PCI device's, or the module's for a range */
__printf(3, 4) void dml_printk(struct dml_dev *dev, bool err, const char *fmt, ...);
#define dml_err(dev, fmt, ...) dml_printk(dev, true, fmt, ##__VA_ARGS__)
#define dml_info(dev, fmt, ...) dml_printk(dev, false, fmt, ##__VA_ARGS__)

static inline struct dml_dev *dml_pgmap_dev(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct dml_dev, pgmap);
}

static inline unsigned long dml_page_index(struct dml_dev *dev, struct page *page)
{
	return page_to_pfn(page) - dev->base_pfn;
}

static inline struct page *dml_index_page(struct dml_dev *dev, unsigned long i)
{
	return pfn_to_page(dev->base_pfn + i);
}

/* dml_mem.c: pagemap, allocator, folio lifecycle, fault injection */
int dml_mem_init(struct dml_dev *dev);
void dml_mem_fini(struct dml_dev *dev);
struct folio *dml_folio_alloc(struct dml_dev *dev, unsigned int order, u64 offset, int *err);
unsigned int dml_evictable(struct dml_dev *dev, unsigned long i);
int dml_reserve(struct dml_dev *dev, u64 bytes, struct list_head *blocks);
void dml_unreserve(struct dml_dev *dev, struct list_head *blocks);
void dml_drain_pending(struct dml_dev *dev);
void dml_drain_pending_locked(struct dml_dev *dev);
int dml_user_alloc(struct dml_file *f, struct dml_alloc *a);
int dml_user_free(struct dml_file *f, struct dml_alloc *a);
void dml_user_release(struct dml_file *f);
int dml_set_fault(struct dml_dev *dev, u32 mode, u32 nth);
bool dml_fail_alloc(struct dml_dev *dev, u32 mode);
void dml_stats(struct dml_dev *dev, struct dml_stats *s);
void dml_copy(void *dst, const void *src, size_t len);
int dml_cpu_copy(struct dml_dev *dev, const struct dml_xfer *x, unsigned int n);
int dml_xfer_run(struct dml_dev *dev, const struct dml_xfer *x, unsigned int n, bool cpu);
void dml_dma_busy_check(struct dml_dev *dev, unsigned long i, unsigned long n, const char *what);

/* eviction: passes of the ioctl, and of remove() before memunmap_pages() */
#define DML_EVICT_PASSES	4
#define DML_REMOVE_PASSES	12

/* dml_migrate.c */
vm_fault_t dml_migrate_to_ram(struct vm_fault *vmf);
int dml_migrate_to_dev(struct dml_dev *dev, struct dml_migrate *m);
int dml_migrate_to_sys(struct dml_dev *dev, struct dml_migrate *m);
int dml_evict_all(struct dml_dev *dev, unsigned int passes);
int dml_scan(struct dml_dev *dev, struct dml_scan *s);
int dml_kcopy(struct dml_dev *dev, struct dml_kcopy *k);

/* dml_check.c */
int dml_check(struct dml_dev *dev, struct dml_check *c);
int dml_dump(struct dml_dev *dev, struct dml_dump *d);

#endif

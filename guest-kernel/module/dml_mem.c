// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: the device-private pagemap, its allocator and the folio
 * lifecycle (alloc -> zone_device_folio_init -> ... -> folio_free).
 *
 * The allocator is the kernel's gpu_buddy (the one Xe and amdgpu use for
 * VRAM) over the device's pages. It allocates with GFP_KERNEL, so it lives
 * under a mutex; folio_free() may run in any context (I-7: the last put can
 * come from a speculative reference holder with IRQs off), so it only
 * updates counters and queues a fully freed block on an IRQ-safe list that
 * the next allocation drains.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/percpu-refcount.h>
#include <linux/slab.h>

#include "dml.h"

static void dml_folio_free(struct folio *folio)
{
	struct dml_dev *dev = dml_pgmap_dev(folio->pgmap);
	unsigned long i = dml_page_index(dev, &folio->page);
	/* everything needed is read before the pages are published as free (I-3) */
	unsigned long nr = folio_nr_pages(folio);
	struct gpu_buddy_block *block = dev->blk[i];
	unsigned long flags, bi;

	dml_dma_busy_check(dev, i, nr, "freed");
	folio->page.zone_device_data = NULL;
	WRITE_ONCE(dev->ford[i], 0);
	clear_bit(i, dev->held);
	atomic64_add(nr, &dev->freed_pages);
	atomic64_inc(&dev->frees);
	if (WARN_ON_ONCE(!block))
		return;
	bi = gpu_buddy_block_offset(block) >> PAGE_SHIFT;
	/* sub-folios of a split block come back one by one (I-4) */
	if (atomic_sub_and_test(nr, &dev->live[bi])) {
		spin_lock_irqsave(&dev->pending_lock, flags);
		list_add_tail(&block->link, &dev->pending);
		spin_unlock_irqrestore(&dev->pending_lock, flags);
	}
}

/* The core splits a large device folio: keep pgmap and our records right. */
static void dml_folio_split(struct folio *head, struct folio *tail)
{
	struct dml_dev *dev = dml_pgmap_dev(head->pgmap);

	if (!tail) {
		/* the original head, now of the split's order */
		WRITE_ONCE(dev->ford[dml_page_index(dev, &head->page)], folio_order(head) + 1);
		return;
	}
	tail->pgmap = head->pgmap;
	tail->page.mapping = head->page.mapping;
	tail->page.zone_device_data = dev;
	if (READ_ONCE(dev->fault_mode) != DML_FI_DROP_SPLIT)
		WRITE_ONCE(dev->ford[dml_page_index(dev, &tail->page)], folio_order(tail) + 1);
	atomic64_inc(&dev->splits);
}

static const struct dev_pagemap_ops dml_pgmap_ops = {
	.folio_free = dml_folio_free,
	.folio_split = dml_folio_split,
	.migrate_to_ram = dml_migrate_to_ram,
};

/*
 * The one copy routine of migration, eviction and the kcopy ceiling: whole
 * pages with copy_page(), as the kernel's own folio_copy() does.
 */
void dml_copy(void *dst, const void *src, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += PAGE_SIZE)
		copy_page(dst + off, (void *)src + off);
}

/* The CPU backend's copy: through the write-back mapping of BAR2. */
int dml_cpu_copy(struct dml_dev *dev, const struct dml_xfer *x, unsigned int n)
{
	unsigned int k;
	u32 off;

	for (k = 0; k < n; k++) {
		void *bar = dev->bar + x[k].dev_off;

		if (!x[k].to_dev)
			dml_copy(page_address(x[k].sys), bar, x[k].len);
		else if (x[k].sys)
			dml_copy(bar, page_address(x[k].sys), x[k].len);
		else
			for (off = 0; off < x[k].len; off += PAGE_SIZE)
				clear_page(bar + off);
	}
	return 0;
}

/* Run a batch of copies on the device's backend, or with the CPU (@cpu). */
int dml_xfer_run(struct dml_dev *dev, const struct dml_xfer *x, unsigned int n, bool cpu)
{
	if (!n)
		return 0;
	return cpu ? dml_cpu_copy(dev, x, n) : dev->ops->copy(dev, x, n);
}

/*
 * A witness for "no device folio is freed or re-allocated while a DMA to
 * or from it is in flight": the backend reads what the device still owns
 * (accel: its ring from HEAD on). Any context.
 */
void dml_dma_busy_check(struct dml_dev *dev, unsigned long i, unsigned long n, const char *what)
{
	if (!dev->ops->dma_busy ||
	    !dev->ops->dma_busy(dev, (u64)i << PAGE_SHIFT, (u64)n << PAGE_SHIFT))
		return;
	atomic64_inc(&dev->dma_busy_frees);
	pr_err_ratelimited("%s: device pages %lu-%lu %s while a DMA on them is in flight\n",
			   dev->name, i, i + n - 1, what);
}

/* Return fully freed blocks to the buddy allocator. Called with dev->lock. */
void dml_drain_pending_locked(struct dml_dev *dev)
{
	struct gpu_buddy_block *block, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	lockdep_assert_held(&dev->lock);
	spin_lock_irqsave(&dev->pending_lock, flags);
	list_splice_init(&dev->pending, &list);
	spin_unlock_irqrestore(&dev->pending_lock, flags);
	list_for_each_entry_safe(block, tmp, &list, link) {
		unsigned long i = gpu_buddy_block_offset(block) >> PAGE_SHIFT;
		unsigned long n = gpu_buddy_block_size(&dev->mm, block) >> PAGE_SHIFT;
		unsigned long j;

		for (j = 0; j < n; j++)
			dev->blk[i + j] = NULL;
		list_del(&block->link);
		gpu_buddy_free_block(&dev->mm, block);
	}
}

void dml_drain_pending(struct dml_dev *dev)
{
	mutex_lock(&dev->lock);
	dml_drain_pending_locked(dev);
	mutex_unlock(&dev->lock);
}

/*
 * Take a block of 1 << order pages from the buddy allocator, at @offset
 * (device page) or anywhere. Returns its first page index or an errno.
 */
static long dml_block_alloc(struct dml_dev *dev, unsigned int order, u64 offset, bool held)
{
	u64 size = PAGE_SIZE << order;
	struct gpu_buddy_block *block;
	unsigned long i, j, n = 1ul << order;
	LIST_HEAD(blocks);
	int ret;

	if (dml_fail_alloc(dev, DML_FI_FAIL_DEV_ALLOC))
		return -ENOMEM;
	mutex_lock(&dev->lock);
	if (dev->dying) {
		mutex_unlock(&dev->lock);
		return -ENODEV;
	}
	dml_drain_pending_locked(dev);
	if (offset == DML_ANY_OFFSET)
		ret = gpu_buddy_alloc_blocks(&dev->mm, 0, dev->size, size, size, &blocks, 0);
	else
		ret = gpu_buddy_alloc_blocks(&dev->mm, offset << PAGE_SHIFT,
					     (offset << PAGE_SHIFT) + size, size, size, &blocks,
					     GPU_BUDDY_RANGE_ALLOCATION);
	if (ret) {
		mutex_unlock(&dev->lock);
		/* a taken range is "busy"; no block of that order anywhere is "no space" */
		return offset == DML_ANY_OFFSET ? -ENOSPC : -EBUSY;
	}
	block = list_first_entry(&blocks, struct gpu_buddy_block, link);
	i = gpu_buddy_block_offset(block) >> PAGE_SHIFT;
	/* I-1: a block is free only if every page's refcount is 0 */
	for (j = 0; j < n; j++) {
		if (page_ref_count(dml_index_page(dev, i + j))) {
			pr_err("%s: refusing to re-init pfn %lu: refcount %d (I-1)\n", dev->name,
			       i + j, page_ref_count(dml_index_page(dev, i + j)));
			list_del(&block->link);
			gpu_buddy_free_block(&dev->mm, block);
			mutex_unlock(&dev->lock);
			return -EBUSY;
		}
	}
	dml_dma_busy_check(dev, i, n, "re-allocated");
	for (j = 0; j < n; j++)
		dev->blk[i + j] = block;
	atomic_set(&dev->live[i], n);
	if (held)
		set_bit(i, dev->held);	/* before eviction can see the folio */
	list_del_init(&block->link);
	mutex_unlock(&dev->lock);
	return i;
}

/* Take device pages [0, bytes) from the allocator (DML_IOC_KCOPY); -EBUSY if any is live. */
int dml_reserve(struct dml_dev *dev, u64 bytes, struct list_head *blocks)
{
	int ret;

	mutex_lock(&dev->lock);
	dml_drain_pending_locked(dev);
	ret = gpu_buddy_alloc_blocks(&dev->mm, 0, bytes, bytes, PAGE_SIZE, blocks,
				     GPU_BUDDY_RANGE_ALLOCATION);
	mutex_unlock(&dev->lock);
	return ret ? -EBUSY : 0;
}

void dml_unreserve(struct dml_dev *dev, struct list_head *blocks)
{
	mutex_lock(&dev->lock);
	gpu_buddy_free_list(&dev->mm, blocks, 0);
	mutex_unlock(&dev->lock);
}

/*
 * A device folio of 1 << order pages, initialised and locked with one
 * reference (what migrate_vma_pages() wants as a destination).
 */
static struct folio *__dml_folio_alloc(struct dml_dev *dev, unsigned int order, u64 offset,
				       bool held, int *err)
{
	long i = dml_block_alloc(dev, order, offset, held);
	struct folio *folio;

	if (i < 0) {
		*err = i;
		return NULL;
	}
	/* a plain cast: never page_folio() on a page not yet re-initialised (I-3) */
	folio = (struct folio *)dml_index_page(dev, i);
	zone_device_folio_init(folio, &dev->pgmap, order);
	folio->page.zone_device_data = dev;
	WRITE_ONCE(dev->ford[i], order + 1);
	atomic64_add(1ul << order, &dev->init_pages);
	return folio;
}

/* A migration destination: mappings will own it. */
struct folio *dml_folio_alloc(struct dml_dev *dev, unsigned int order, u64 offset, int *err)
{
	return __dml_folio_alloc(dev, order, offset, false, err);
}

/* DML_FI_SKIP_REINIT: hand out a block with only a refcount, no re-init */
static struct folio *dml_folio_alloc_noinit(struct dml_dev *dev, unsigned int order,
					    u64 offset, int *err)
{
	long i = dml_block_alloc(dev, order, offset, true);

	if (i < 0) {
		*err = i;
		return NULL;
	}
	set_page_count(dml_index_page(dev, i), 1);
	percpu_ref_get_many(&dev->pgmap.ref, 1ul << order);
	WRITE_ONCE(dev->ford[i], order + 1);
	atomic64_add(1ul << order, &dev->init_pages);
	return (struct folio *)dml_index_page(dev, i);
}

/* DML_FI_STALE_TAILS: the upper buddy's tails keep pointing at the old head */
static void dml_inject_stale_tails(struct dml_dev *dev, unsigned long i, unsigned int order)
{
	struct page *old_head = dml_index_page(dev, i - (1ul << order));
	unsigned long j;

	for (j = 1; j < (1ul << order); j++)
		set_compound_head(dml_index_page(dev, i + j), old_head, order + 1);
}

/* Undo an injected fault on a held folio before it is put. */
static void dml_repair(struct dml_dev *dev, unsigned long i, unsigned int order, u32 mode)
{
	struct folio *folio = (struct folio *)dml_index_page(dev, i);
	unsigned long j;

	switch (mode) {
	case DML_FI_STALE_TAILS:
		for (j = 1; j < (1ul << order); j++)
			set_compound_head(dml_index_page(dev, i + j), &folio->page, order);
		break;
	case DML_FI_SKIP_REINIT:
		/* give back what noinit took, then initialise it properly */
		set_page_count(&folio->page, 0);
		percpu_ref_put_many(&dev->pgmap.ref, 1ul << order);
		atomic64_sub(1ul << order, &dev->init_pages);
		zone_device_folio_init(folio, &dev->pgmap, order);
		folio->page.zone_device_data = dev;
		atomic64_add(1ul << order, &dev->init_pages);
		folio_unlock(folio);
		break;
	}
}

/* Record one reference nobody owns at head @i (repaired by DML_FI_NONE). */
static int dml_fi_ref(struct dml_dev *dev, unsigned long i)
{
	void *old = xa_load(&dev->fi_refs, i);

	return xa_err(xa_store(&dev->fi_refs, i, xa_mk_value(old ? xa_to_value(old) + 1 : 1),
			       GFP_KERNEL));
}

/*
 * Drop a file's reference on a held folio (repairing injected faults),
 * never while eviction looks at it.
 */
static void dml_put_held(struct dml_dev *dev, unsigned long i, unsigned int order, bool may_leak)
{
	struct folio *folio = (struct folio *)dml_index_page(dev, i);
	void *mode = xa_erase(&dev->fi_heads, i);

	mutex_lock(&dev->evict_lock);
	clear_bit(i, dev->held);
	if (mode)
		dml_repair(dev, i, order, xa_to_value(mode));
	/* DML_FI_LEAK_REF: the reference is "lost", folio_free never runs */
	if (!(may_leak && READ_ONCE(dev->fault_mode) == DML_FI_LEAK_REF && !dml_fi_ref(dev, i)))
		folio_put(folio);
	mutex_unlock(&dev->evict_lock);
}

/*
 * May eviction take the live folio at head @i (not a file's, nor a
 * leak's)? Its order + 1 if so, read once (folio_free may clear it any
 * time), else 0.
 */
unsigned int dml_evictable(struct dml_dev *dev, unsigned long i)
{
	unsigned int f = READ_ONCE(dev->ford[i]);

	lockdep_assert_held(&dev->evict_lock);
	if (!f || test_bit(i, dev->held) || xa_load(&dev->fi_refs, i))
		return 0;
	return f;
}

int dml_user_alloc(struct dml_file *f, struct dml_alloc *a)
{
	struct dml_dev *dev = f->dev;
	u32 mode = READ_ONCE(dev->fault_mode);
	struct folio *folio;
	unsigned long i;
	int err = 0;

	if (a->pad || a->order > DML_MAX_ORDER)
		return -EINVAL;
	if (a->offset != DML_ANY_OFFSET) {
		if (a->offset & ((1ull << a->order) - 1))
			return -EINVAL;
		if (a->offset >= dev->npages || dev->npages - a->offset < (1ull << a->order))
			return -ERANGE;
	}
	if (mode == DML_FI_SKIP_REINIT)
		folio = dml_folio_alloc_noinit(dev, a->order, a->offset, &err);
	else
		folio = __dml_folio_alloc(dev, a->order, a->offset, true, &err);
	if (!folio)
		return err;
	i = dml_page_index(dev, &folio->page);
	if (mode != DML_FI_SKIP_REINIT)
		folio_unlock(folio);	/* I-8: held, not migrating */
	if (mode == DML_FI_STALE_TAILS && a->order < DML_MAX_ORDER && (i & (1ul << a->order)))
		dml_inject_stale_tails(dev, i, a->order);
	else if (mode != DML_FI_SKIP_REINIT && mode != DML_FI_EXTRA_REF)
		mode = DML_FI_NONE;
	if (mode == DML_FI_EXTRA_REF) {
		/* the reference before its record: a reset between them must not put it */
		folio_get(folio);
		if (dml_fi_ref(dev, i))
			folio_put(folio);
		mode = DML_FI_NONE;
	}
	if (mode != DML_FI_NONE)
		xa_store(&dev->fi_heads, i, xa_mk_value(mode), GFP_KERNEL);
	err = xa_err(xa_store(&f->held, i, xa_mk_value(a->order), GFP_KERNEL));
	if (err) {
		dml_put_held(dev, i, a->order, false);
		return err;
	}
	a->offset = i;
	return 0;
}

int dml_user_free(struct dml_file *f, struct dml_alloc *a)
{
	void *entry;
	int ret = 0;

	if (a->pad || a->order > DML_MAX_ORDER || a->offset >= f->dev->npages)
		return -EINVAL;
	/* look up and take the handle in one step: two frees cannot both win */
	xa_lock(&f->held);
	entry = xa_load(&f->held, a->offset);
	if (!entry)
		ret = -ENOENT;		/* not allocated through this file */
	else if (xa_to_value(entry) != a->order)
		ret = -EINVAL;
	else
		__xa_erase(&f->held, a->offset);
	xa_unlock(&f->held);
	if (!ret)
		dml_put_held(f->dev, a->offset, a->order, true);
	return ret;
}

void dml_user_release(struct dml_file *f)
{
	unsigned long i;
	void *entry;

	xa_for_each(&f->held, i, entry) {
		xa_erase(&f->held, i);
		dml_put_held(f->dev, i, xa_to_value(entry), false);
	}
}

/* Drop the references fault injection left (LEAK_REF, EXTRA_REF). */
static void dml_put_fi_refs(struct dml_dev *dev)
{
	unsigned long i, n;
	void *entry;

	mutex_lock(&dev->evict_lock);
	xa_for_each(&dev->fi_refs, i, entry) {
		xa_erase(&dev->fi_refs, i);
		for (n = xa_to_value(entry); n; n--)
			folio_put((struct folio *)dml_index_page(dev, i));
	}
	mutex_unlock(&dev->evict_lock);
}

int dml_set_fault(struct dml_dev *dev, u32 mode, u32 nth)
{
	bool counted = mode == DML_FI_FAIL_SYS_ALLOC || mode == DML_FI_FAIL_DEV_ALLOC;

	if (mode >= DML_FI_COUNT || counted != !!nth ||
	    (mode == DML_FI_ENGINE_NOWAIT && !dev->ops->engine))
		return -EINVAL;
	mutex_lock(&dev->fi_lock);
	atomic_set(&dev->fault_allocs, 0);
	WRITE_ONCE(dev->fault_nth, nth);
	WRITE_ONCE(dev->fault_mode, mode);
	if (mode == DML_FI_NONE)
		dml_put_fi_refs(dev);
	mutex_unlock(&dev->fi_lock);
	return 0;
}

/* DML_FI_FAIL_*_ALLOC: the nth allocation from the mode's start on fails */
bool dml_fail_alloc(struct dml_dev *dev, u32 mode)
{
	return READ_ONCE(dev->fault_mode) == mode &&
	       atomic_inc_return(&dev->fault_allocs) >= READ_ONCE(dev->fault_nth);
}

void dml_stats(struct dml_dev *dev, struct dml_stats *s)
{
	unsigned long i;

	memset(s, 0, sizeof(*s));
	mutex_lock(&dev->lock);
	dml_drain_pending_locked(dev);
	s->free_pages = dev->mm.avail >> PAGE_SHIFT;
	mutex_unlock(&dev->lock);
	for (i = 0; i < dev->npages; i++)
		s->live_folios += !!READ_ONCE(dev->ford[i]);
	s->npages = dev->npages;
	s->init_pages = atomic64_read(&dev->init_pages);
	s->freed_pages = atomic64_read(&dev->freed_pages);
	s->live_pages = s->init_pages - s->freed_pages;
	s->frees = atomic64_read(&dev->frees);
	s->splits = atomic64_read(&dev->splits);
	s->faults = atomic64_read(&dev->faults);
	s->to_dev_pages = atomic64_read(&dev->to_dev_pages);
	s->to_sys_pages = atomic64_read(&dev->to_sys_pages);
	s->evicted_pages = atomic64_read(&dev->evicted_pages);
	s->order9_fallbacks = atomic64_read(&dev->order9_fallbacks);
	s->engine = !!dev->ops->engine;
	s->engine_descs = atomic64_read(&dev->engine_descs);
	s->engine_errors = atomic64_read(&dev->engine_errors);
	s->engine_timeouts = atomic64_read(&dev->engine_timeouts);
	s->dma_busy_frees = atomic64_read(&dev->dma_busy_frees);
	s->coherent = dev->coherent;
	s->base_pfn = dev->base_pfn;
}

/*
 * memremap_pages() of a coherent range WARNs on System RAM and on a memory
 * section (128 MiB on x86-64) shared with another pagemap (test_hmm's
 * coherent devices, say, which claim no resource): refuse all here, with
 * one line, before anything is registered.
 */
static int dml_coherent_range_ok(struct dml_dev *dev)
{
	u64 sect = 1ull << SECTION_SIZE_BITS, off;

	if (!IS_ALIGNED(dev->mem_start, sect) || !IS_ALIGNED(dev->size, sect)) {
		dml_err(dev, "coherent=1: %pa + %llu MiB is not whole %llu MiB memory sections (another pagemap could share one)\n",
			&dev->mem_start, dev->size >> 20, sect >> 20);
		return -EINVAL;
	}
	if (region_intersects(dev->mem_start, dev->size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		dml_err(dev, "coherent=1: %pa + %llu MiB overlaps System RAM\n",
			&dev->mem_start, dev->size >> 20);
		return -EINVAL;
	}
	/* pagemaps are 2 MiB (subsection) granular: look at every 2 MiB */
	for (off = 0; off < dev->size; off += PMD_SIZE) {
		struct dev_pagemap *other = get_dev_pagemap(PHYS_PFN(dev->mem_start + off));

		if (other) {
			put_dev_pagemap(other);
			dml_err(dev, "coherent=1: %pa + %llu MiB overlaps another pagemap at +%llu MiB\n",
				&dev->mem_start, dev->size >> 20, off >> 20);
			return -EBUSY;
		}
	}
	return 0;
}

int dml_mem_init(struct dml_dev *dev)
{
	void *addr;
	int ret;

	dev->npages = dev->size >> PAGE_SHIFT;
	dev->blk = kvcalloc(dev->npages, sizeof(*dev->blk), GFP_KERNEL);
	dev->live = kvcalloc(dev->npages, sizeof(*dev->live), GFP_KERNEL);
	dev->ford = kvzalloc(dev->npages, GFP_KERNEL);
	dev->held = kvcalloc(BITS_TO_LONGS(dev->npages), sizeof(long), GFP_KERNEL);
	if (!dev->blk || !dev->live || !dev->ford || !dev->held) {
		ret = -ENOMEM;
		goto err_free;
	}
	mutex_init(&dev->lock);
	mutex_init(&dev->fi_lock);
	mutex_init(&dev->evict_lock);
	spin_lock_init(&dev->pending_lock);
	INIT_LIST_HEAD(&dev->pending);
	xa_init(&dev->fi_heads);
	xa_init(&dev->fi_refs);
	ret = gpu_buddy_init(&dev->mm, dev->size, PAGE_SIZE);
	if (ret)
		goto err_free;

	if (dev->coherent) {
		/* struct pages of the device memory itself, mapped like RAM */
		ret = dml_coherent_range_ok(dev);
		if (ret)
			goto err_buddy;
		dev->res = NULL;
		dev->pgmap.type = MEMORY_DEVICE_COHERENT;
		dev->pgmap.range.start = dev->mem_start;
		dev->pgmap.range.end = dev->mem_start + dev->size - 1;
	} else {
		/* struct pages on a free physical range; the data lives in BAR2 */
		dev->res = request_free_mem_region(&iomem_resource, dev->size, dev->name);
		if (IS_ERR(dev->res)) {
			ret = PTR_ERR(dev->res);
			goto err_buddy;
		}
		dev->pgmap.type = MEMORY_DEVICE_PRIVATE;
		dev->pgmap.range.start = dev->res->start;
		dev->pgmap.range.end = dev->res->end;
	}
	dev->pgmap.nr_range = 1;
	dev->pgmap.ops = &dml_pgmap_ops;
	dev->pgmap.owner = dev;
	addr = memremap_pages(&dev->pgmap, dev->pdev ? dev_to_node(&dev->pdev->dev) : NUMA_NO_NODE);
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		goto err_region;
	}
	dev->base_pfn = PHYS_PFN(dev->pgmap.range.start);
	return 0;

err_region:
	if (dev->res)
		release_mem_region(dev->res->start, resource_size(dev->res));
err_buddy:
	gpu_buddy_fini(&dev->mm);
err_free:
	kvfree(dev->blk);
	kvfree(dev->live);
	kvfree(dev->ford);
	kvfree(dev->held);
	return ret;
}

void dml_mem_fini(struct dml_dev *dev)
{
	dml_set_fault(dev, DML_FI_NONE, 0);
	/* memunmap_pages() waits until every device page is free (I-5) */
	memunmap_pages(&dev->pgmap);
	if (dev->res)
		release_mem_region(dev->res->start, resource_size(dev->res));
	dml_drain_pending(dev);
	gpu_buddy_fini(&dev->mm);
	xa_destroy(&dev->fi_heads);
	xa_destroy(&dev->fi_refs);
	kvfree(dev->blk);
	kvfree(dev->live);
	kvfree(dev->ford);
	kvfree(dev->held);
}

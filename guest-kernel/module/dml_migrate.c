// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: migration between system memory and the device's BAR-backed
 * device-private pages. Every byte crosses dml_copy() into or out of the
 * BAR mapping, once.
 */
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/ktime.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "dml.h"

static void *dml_bar_addr(struct dml_dev *dev, struct page *dpage)
{
	return dev->bar + (dml_page_index(dev, dpage) << PAGE_SHIFT);
}

/* Copy @nr pages of @spage (contiguous, or NULL for zeroes) into device folio @dfolio. */
static void dml_fill_dev(struct dml_dev *dev, struct folio *dfolio, struct page *spage,
			 unsigned long nr)
{
	void *dst = dml_bar_addr(dev, &dfolio->page);
	unsigned long j;

	if (spage) {
		dml_copy(dst, page_address(spage), nr << PAGE_SHIFT);
		return;
	}
	for (j = 0; j < nr; j++)
		clear_page(dst + (j << PAGE_SHIFT));
}

static void dml_release_dst(unsigned long *dst, unsigned long nr)
{
	unsigned long j;

	for (j = 0; j < nr; j++) {
		struct page *p = migrate_pfn_to_page(dst[j]);

		if (p) {
			unlock_page(p);
			put_page(p);
		}
		dst[j] = 0;
	}
}

/* Destinations for one source entry: one order-9 folio, else nr order-0 pages. */
static void dml_dev_fill_entry(struct dml_dev *dev, struct migrate_vma *args, unsigned long i,
			       unsigned long nr, bool compound)
{
	struct page *spage = migrate_pfn_to_page(args->src[i]);
	unsigned long write = args->src[i] & MIGRATE_PFN_WRITE;
	struct folio *dfolio;
	unsigned long j;
	int err;

	if (compound) {
		dfolio = dml_folio_alloc(dev, HPAGE_PMD_ORDER, DML_ANY_OFFSET, &err);
		if (dfolio) {
			dml_fill_dev(dev, dfolio, spage, nr);
			args->dst[i] = migrate_pfn(folio_pfn(dfolio)) | write |
				       MIGRATE_PFN_COMPOUND;
			return;
		}
		atomic64_inc(&dev->order9_fallbacks);
	}
	/* all nr entries need a page: the core dereferences every one (I-9) */
	for (j = 0; j < nr; j++) {
		dfolio = dml_folio_alloc(dev, 0, DML_ANY_OFFSET, &err);
		if (!dfolio) {
			dml_release_dst(&args->dst[i], j);
			return;
		}
		dml_fill_dev(dev, dfolio, spage ? spage + j : NULL, 1);
		args->dst[i + j] = migrate_pfn(folio_pfn(dfolio)) | write;
	}
}

static void dml_dev_alloc_and_copy(struct dml_dev *dev, struct migrate_vma *args)
{
	unsigned long i = 0;

	while (i < args->npages) {
		unsigned long s = args->src[i];
		struct page *spage = migrate_pfn_to_page(s);
		unsigned long nr = 1;

		if (!(s & MIGRATE_PFN_MIGRATE)) {
			i++;
			continue;
		}
		if (s & MIGRATE_PFN_COMPOUND)
			nr = spage ? folio_nr_pages(page_folio(spage)) : HPAGE_PMD_NR;
		dml_dev_fill_entry(dev, args, i, nr, s & MIGRATE_PFN_COMPOUND);
		i += nr;
	}
}

/* System destinations for device pages; used by the ioctl and the CPU fault. */
static int dml_sys_alloc_and_copy(struct dml_dev *dev, struct migrate_vma *args)
{
	unsigned long i = 0, addr = args->start;

	while (i < args->npages) {
		unsigned long s = args->src[i];
		struct page *spage = migrate_pfn_to_page(s);
		unsigned long write = s & MIGRATE_PFN_WRITE;
		unsigned int order = 0;
		struct folio *dfolio = NULL;
		unsigned long j, nr;

		if (!spage || !(s & MIGRATE_PFN_MIGRATE)) {
			i++;
			addr += PAGE_SIZE;
			continue;
		}
		if (s & MIGRATE_PFN_COMPOUND)
			order = folio_order(page_folio(spage));
		nr = 1ul << order;
		if (order)
			dfolio = vma_alloc_folio(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, order,
						 args->vma, addr);
		if (dfolio) {
			folio_lock(dfolio);
			dml_copy(folio_address(dfolio), dml_bar_addr(dev, spage), nr << PAGE_SHIFT);
			args->dst[i] = migrate_pfn(folio_pfn(dfolio)) | write |
				       MIGRATE_PFN_COMPOUND;
		} else {
			/* order 0, or the fallback: the core splits the device folio */
			for (j = 0; j < nr; j++) {
				struct page *dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE, args->vma,
								    addr + (j << PAGE_SHIFT));

				if (!dpage) {
					dml_release_dst(&args->dst[i], j);
					return -ENOMEM;
				}
				lock_page(dpage);
				dml_copy(page_address(dpage), dml_bar_addr(dev, spage + j),
					 PAGE_SIZE);
				args->dst[i + j] = migrate_pfn(page_to_pfn(dpage)) | write;
			}
		}
		i += nr;
		addr += nr << PAGE_SHIFT;
	}
	return 0;
}

static unsigned long dml_migrated_pages(struct migrate_vma *args)
{
	unsigned long i, n = 0;

	for (i = 0; i < args->npages; i++)
		if (args->src[i] & MIGRATE_PFN_MIGRATE)
			n += (args->src[i] & MIGRATE_PFN_COMPOUND) ? HPAGE_PMD_NR : 1;
	return n;
}

/* Walk [addr, addr + npages) in 2 MiB-aligned windows, one migrate_vma each. */
static int dml_migrate_range(struct dml_dev *dev, struct dml_migrate *m, bool to_dev)
{
	struct mm_struct *mm = current->mm;
	unsigned long start = m->addr, end, addr, next;
	struct migrate_vma args = { 0 };
	unsigned long *src, *dst;
	u64 t0 = ktime_get_ns();
	int ret = 0;

	if (m->pad || (m->flags & ~DML_MIGRATE_COMPOUND) || !m->npages || !mm ||
	    offset_in_page(start) || m->npages > (TASK_SIZE >> PAGE_SHIFT))
		return -EINVAL;
	end = start + (m->npages << PAGE_SHIFT);
	if (end < start || end > TASK_SIZE)
		return -EINVAL;
	src = kvcalloc(PTRS_PER_PMD, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(PTRS_PER_PMD, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst) {
		ret = -ENOMEM;
		goto out_free;
	}
	m->migrated = 0;
	mmap_read_lock(mm);
	for (addr = start; addr < end; addr = next) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (!vma || !(vma->vm_flags & VM_READ)) {
			ret = -EFAULT;
			break;
		}
		next = min3(end, ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE, vma->vm_end);
		args = (struct migrate_vma) {
			.vma = vma, .src = src, .dst = dst, .start = addr, .end = next,
			.pgmap_owner = dev,
			.flags = to_dev ? MIGRATE_VMA_SELECT_SYSTEM :
					  MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		};
		if (m->flags & DML_MIGRATE_COMPOUND)
			args.flags |= MIGRATE_VMA_SELECT_COMPOUND;
		ret = migrate_vma_setup(&args);
		if (ret)
			break;
		if (to_dev) {
			dml_dev_alloc_and_copy(dev, &args);
		} else if (dml_sys_alloc_and_copy(dev, &args)) {
			migrate_vma_finalize(&args);
			ret = -ENOMEM;
			break;
		}
		migrate_vma_pages(&args);
		m->migrated += dml_migrated_pages(&args);
		migrate_vma_finalize(&args);
	}
	mmap_read_unlock(mm);
	atomic64_add(m->migrated, to_dev ? &dev->to_dev_pages : &dev->to_sys_pages);
out_free:
	kvfree(src);
	kvfree(dst);
	m->nsec = ktime_get_ns() - t0;
	return ret;
}

int dml_migrate_to_dev(struct dml_dev *dev, struct dml_migrate *m)
{
	return dml_migrate_range(dev, m, true);
}

int dml_migrate_to_sys(struct dml_dev *dev, struct dml_migrate *m)
{
	return dml_migrate_range(dev, m, false);
}

/* CPU fault on a device-private PTE or PMD entry. */
vm_fault_t dml_migrate_to_ram(struct vm_fault *vmf)
{
	struct dml_dev *dev = dml_pgmap_dev(page_pgmap(vmf->page));
	/* a PTE-mapped large folio may be partly unmapped: fault one page */
	unsigned int order = vmf->pte ? 0 : folio_order(page_folio(vmf->page));
	struct migrate_vma args = {
		.vma = vmf->vma,
		.start = ALIGN_DOWN(vmf->address, PAGE_SIZE << order),
		.pgmap_owner = dev,
		.fault_page = vmf->page,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE |
			 (order ? MIGRATE_VMA_SELECT_COMPOUND : 0),
	};
	vm_fault_t ret = 0;

	args.end = args.start + (PAGE_SIZE << order);
	args.src = kcalloc(1ul << order, sizeof(*args.src), GFP_KERNEL);
	args.dst = kcalloc(1ul << order, sizeof(*args.dst), GFP_KERNEL);
	if (!args.src || !args.dst) {
		ret = VM_FAULT_OOM;
		goto out;
	}
	if (migrate_vma_setup(&args)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	if (dml_sys_alloc_and_copy(dev, &args)) {
		migrate_vma_finalize(&args);
		ret = VM_FAULT_OOM;
		goto out;
	}
	migrate_vma_pages(&args);
	atomic64_add(dml_migrated_pages(&args), &dev->to_sys_pages);
	migrate_vma_finalize(&args);
	atomic64_inc(&dev->faults);
out:
	kfree(args.src);
	kfree(args.dst);
	return ret;
}

/* An order-9 system folio for eviction: there is no vma to split against. */
static struct folio *dml_evict_folio(unsigned int order)
{
	int tries;

	for (tries = 0; tries < 20; tries++) {
		struct folio *f = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_RETRY_MAYFAIL |
					      __GFP_NOWARN, order);

		if (f)
			return f;
		schedule_timeout_uninterruptible(msecs_to_jiffies(50));
	}
	return NULL;
}

/*
 * Evict one allocated block. migrate_device_pfns() gets exactly the block's
 * pages, one slot each, so a large head's nr - 1 following slots are its
 * own tails, and no free page's stale compound state is read (I-6).
 */
static unsigned long dml_evict_block(struct dml_dev *dev, unsigned long bi, unsigned long n,
				     unsigned long *src, unsigned long *dst)
{
	unsigned long j, moved = 0;

	for (j = 0; j < n; j++) {
		src[j] = dev->base_pfn + bi + j;
		dst[j] = 0;
	}
	migrate_device_pfns(src, n);
	for (j = 0; j < n; j++) {
		struct page *spage = migrate_pfn_to_page(src[j]);
		unsigned int order;
		struct folio *dfolio;

		if (!spage || !(src[j] & MIGRATE_PFN_MIGRATE))
			continue;
		order = (src[j] & MIGRATE_PFN_COMPOUND) ? folio_order(page_folio(spage)) : 0;
		dfolio = order ? dml_evict_folio(order) :
			 page_folio(alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOFAIL));
		if (!dfolio) {
			pr_err("%s: no order-%u system folio to evict pfn %lu into\n",
			       dev->name, order, bi + j);
			continue;
		}
		folio_lock(dfolio);
		dml_copy(folio_address(dfolio), dml_bar_addr(dev, spage), PAGE_SIZE << order);
		dst[j] = migrate_pfn(folio_pfn(dfolio)) | (src[j] & MIGRATE_PFN_WRITE) |
			 (order ? MIGRATE_PFN_COMPOUND : 0);
		moved += 1ul << order;
	}
	migrate_device_pages(src, dst, n);
	migrate_device_finalize(src, dst, n);
	return moved;
}

/* Migrate every live device folio back to system memory (unbind, rmmod). */
int dml_evict_all(struct dml_dev *dev)
{
	unsigned long *src = kvcalloc(HPAGE_PMD_NR, sizeof(*src), GFP_KERNEL);
	unsigned long *dst = kvcalloc(HPAGE_PMD_NR, sizeof(*dst), GFP_KERNEL);
	unsigned long i = 0, moved = 0;

	if (!src || !dst) {
		kvfree(src);
		kvfree(dst);
		return -ENOMEM;
	}
	dml_drain_pending(dev);
	while (i < dev->npages) {
		struct gpu_buddy_block *block;
		unsigned long bi, n;

		mutex_lock(&dev->lock);
		block = dev->blk[i];
		if (!block) {
			mutex_unlock(&dev->lock);
			i++;
			continue;
		}
		bi = gpu_buddy_block_offset(block) >> PAGE_SHIFT;
		n = gpu_buddy_block_size(&dev->mm, block) >> PAGE_SHIFT;
		mutex_unlock(&dev->lock);
		moved += dml_evict_block(dev, bi, n, src, dst);
		i = bi + n;
	}
	atomic64_add(moved, &dev->evicted_pages);
	kvfree(src);
	kvfree(dst);
	return 0;
}

/*
 * What migrate_device_range() collects over a device range, then put
 * everything back unmigrated: shows the 7.3.4 scan hazard (I-6).
 */
int dml_scan(struct dml_dev *dev, struct dml_scan *s)
{
	unsigned long *src, *dst, j;

	if (!s->npages || s->npages > HPAGE_PMD_NR * 8 || s->offset >= dev->npages ||
	    dev->npages - s->offset < s->npages)
		return -EINVAL;
	src = kvcalloc(s->npages, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(s->npages, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst) {
		kvfree(src);
		kvfree(dst);
		return -ENOMEM;
	}
	s->collected = 0;
	s->collected_pages = 0;
	migrate_device_range(src, dev->base_pfn + s->offset, s->npages);
	for (j = 0; j < s->npages; j++) {
		if (!(src[j] & MIGRATE_PFN_MIGRATE))
			continue;
		s->collected++;
		s->collected_pages += (src[j] & MIGRATE_PFN_COMPOUND) ?
			folio_nr_pages(page_folio(migrate_pfn_to_page(src[j]))) : 1;
	}
	/* no destinations: nothing migrates, finalize restores every entry */
	migrate_device_pages(src, dst, s->npages);
	migrate_device_finalize(src, dst, s->npages);
	kvfree(src);
	kvfree(dst);
	return 0;
}

/* The migration copy routine alone, on system folios and the BAR: the ceiling. */
int dml_kcopy(struct dml_dev *dev, struct dml_kcopy *k)
{
	const unsigned long chunk = PAGE_SIZE << HPAGE_PMD_ORDER;
	unsigned long nbuf, b, done;
	struct folio **buf;
	u64 t0;

	if (k->pad || k->direction > DML_KCOPY_FROM_BAR || !k->bytes ||
	    k->bytes % chunk || k->bytes > dev->size)
		return -EINVAL;
	/* up to 64 MiB of system folios, reused: larger than any cache */
	nbuf = min_t(unsigned long, k->bytes / chunk, 32);
	buf = kcalloc(nbuf, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (b = 0; b < nbuf; b++) {
		buf[b] = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, HPAGE_PMD_ORDER);
		if (!buf[b])
			goto out;
	}
	t0 = ktime_get_ns();
	for (done = 0; done < k->bytes; done += chunk) {
		void *sys = folio_address(buf[(done / chunk) % nbuf]);

		if (k->direction == DML_KCOPY_TO_BAR)
			dml_copy(dev->bar + done, sys, chunk);
		else
			dml_copy(sys, dev->bar + done, chunk);
	}
	k->nsec = ktime_get_ns() - t0;
out:
	for (b = 0; b < nbuf && buf[b]; b++)
		folio_put(buf[b]);
	kfree(buf);
	return b == nbuf ? 0 : -ENOMEM;
}

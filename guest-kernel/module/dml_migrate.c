// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: migration between system memory and the device's BAR-backed
 * device-private pages. Allocation queues the copies of a window (struct
 * dml_xfer), the backend runs them as one batch (the CPU through the BAR
 * mapping, or the accelerator's DMA engine), then migrate_vma_pages().
 */
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/memcontrol.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "dml.h"

/*
 * A device folio no memcg is charged for: its system copy would be
 * uncharged too, and 7.3's folio_lruvec_lock_irqsave() retries forever on
 * an uncharged folio on the LRU. Mapped device folios are always charged
 * (from their source); one that is not stays on the device, said once in
 * a while.
 */
static bool dml_uncharged(struct dml_dev *dev, struct page *dpage)
{
	struct folio *folio = page_folio(dpage);

	if (mem_cgroup_disabled() || folio_memcg_charged(folio))
		return false;
	pr_warn_ratelimited("%s: device folio at pfn %lu is not charged to a memcg: left on the device\n",
			    dev->name, dml_page_index(dev, &folio->page));
	return true;
}

/* Queue the copy of @nr pages between @sys (NULL: zeroes) and device page @di. */
static void dml_xfer_add(struct dml_xfer *x, unsigned int *n, struct page *sys,
			 unsigned long di, unsigned long nr, bool to_dev)
{
	unsigned long j;

	if (sys) {
		x[(*n)++] = (struct dml_xfer){ sys, (u64)di << PAGE_SHIFT, nr << PAGE_SHIFT,
					       to_dev };
		return;
	}
	/* zero-fills page by page: an engine reads them from the zero page */
	for (j = 0; j < nr; j++)
		x[(*n)++] = (struct dml_xfer){ NULL, (u64)(di + j) << PAGE_SHIFT, PAGE_SIZE, true };
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

/*
 * Destinations for one source entry: one order-9 folio, else nr order-0
 * pages; false if there were none (the entry stays in system memory).
 */
static bool dml_dev_fill_entry(struct dml_dev *dev, struct migrate_vma *args, unsigned long i,
			       unsigned long nr, bool compound, struct dml_xfer *x,
			       unsigned int *nx)
{
	struct page *spage = migrate_pfn_to_page(args->src[i]);
	unsigned long write = args->src[i] & MIGRATE_PFN_WRITE;
	struct folio *dfolio;
	unsigned long j;
	int err;

	if (compound) {
		dfolio = dml_folio_alloc(dev, HPAGE_PMD_ORDER, DML_ANY_OFFSET, &err);
		if (dfolio) {
			dml_xfer_add(x, nx, spage, dml_page_index(dev, &dfolio->page), nr, true);
			args->dst[i] = migrate_pfn(folio_pfn(dfolio)) | write |
				       MIGRATE_PFN_COMPOUND;
			return true;
		}
		atomic64_inc(&dev->order9_fallbacks);
	}
	/* all nr entries need a page: the core dereferences every one (I-9) */
	for (j = 0; j < nr; j++) {
		dfolio = dml_folio_alloc(dev, 0, DML_ANY_OFFSET, &err);
		if (!dfolio) {
			dml_release_dst(&args->dst[i], j);
			*nx -= j;
			return false;
		}
		dml_xfer_add(x, nx, spage ? spage + j : NULL, dml_page_index(dev, &dfolio->page),
			     1, true);
		args->dst[i + j] = migrate_pfn(folio_pfn(dfolio)) | write;
	}
	return true;
}

/*
 * Fill args->dst until device memory runs out: -ENOMEM then, the rest
 * stays. The copies are queued in @x (at most one per page).
 */
static int dml_dev_alloc(struct dml_dev *dev, struct migrate_vma *args, struct dml_xfer *x,
			 unsigned int *nx)
{
	unsigned long i = 0;

	while (i < args->npages) {
		unsigned long s = args->src[i];
		struct page *spage = migrate_pfn_to_page(s);
		unsigned long nr = 1;

		if (s & MIGRATE_PFN_COMPOUND)
			nr = spage ? folio_nr_pages(page_folio(spage)) : HPAGE_PMD_NR;
		/*
		 * Not system memory: a PMD-mapped coherent THP is collected by
		 * MIGRATE_VMA_SELECT_SYSTEM like a system one. It stays.
		 */
		if (!(s & MIGRATE_PFN_MIGRATE) || (spage && is_zone_device_page(spage))) {
			i += s & MIGRATE_PFN_MIGRATE ? nr : 1;
			continue;
		}
		if (!dml_dev_fill_entry(dev, args, i, nr, s & MIGRATE_PFN_COMPOUND, x, nx))
			return -ENOMEM;
		i += nr;
	}
	return 0;
}

/*
 * System destinations for device pages; used by the ioctl and the CPU
 * fault. When memory runs out, -ENOMEM: the entries from there on have no
 * destination and stay on the device; the caller still copies, runs
 * migrate_vma_pages() and migrate_vma_finalize() for the ones before.
 */
static int dml_sys_alloc(struct dml_dev *dev, struct migrate_vma *args, struct dml_xfer *x,
			 unsigned int *nx)
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
		if (dml_uncharged(dev, spage)) {
			i += nr;
			addr += nr << PAGE_SHIFT;
			continue;
		}
		if (order && !dml_fail_alloc(dev, DML_FI_FAIL_SYS_ALLOC) &&
		    READ_ONCE(dev->fault_mode) != DML_FI_FAIL_SYS_LARGE)
			dfolio = vma_alloc_folio(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, order,
						 args->vma, addr);
		if (dfolio) {
			folio_lock(dfolio);
			dml_xfer_add(x, nx, &dfolio->page, dml_page_index(dev, spage), nr, false);
			args->dst[i] = migrate_pfn(folio_pfn(dfolio)) | write |
				       MIGRATE_PFN_COMPOUND;
		} else {
			/* order 0, or the fallback: the core splits the device folio */
			for (j = 0; j < nr; j++) {
				struct page *dpage = NULL;

				if (!dml_fail_alloc(dev, DML_FI_FAIL_SYS_ALLOC))
					dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE, args->vma,
							       addr + (j << PAGE_SHIFT));

				if (!dpage) {
					/* the whole entry stays: release its first j pages */
					dml_release_dst(&args->dst[i], j);
					*nx -= j;
					return -ENOMEM;
				}
				lock_page(dpage);
				dml_xfer_add(x, nx, dpage, dml_page_index(dev, spage + j), 1,
					     false);
				args->dst[i + j] = migrate_pfn(page_to_pfn(dpage)) | write;
			}
		}
		i += nr;
		addr += nr << PAGE_SHIFT;
	}
	return 0;
}

/*
 * Copy what the allocation queued. If the copy fails, no destination is
 * kept: migrate_vma_pages() migrates nothing, every page stays where it
 * was (the backend returns only with nothing in flight).
 */
static int dml_copy_or_release(struct dml_dev *dev, struct migrate_vma *args,
			       const struct dml_xfer *x, unsigned int nx, bool cpu)
{
	int ret = dml_xfer_run(dev, x, nx, cpu);

	if (ret)
		dml_release_dst(args->dst, args->npages);
	return ret;
}

static unsigned long dml_migrated_pages(struct migrate_vma *args)
{
	unsigned long i, n = 0;

	for (i = 0; i < args->npages; i++)
		if (args->src[i] & MIGRATE_PFN_MIGRATE)
			n += (args->src[i] & MIGRATE_PFN_COMPOUND) ? HPAGE_PMD_NR : 1;
	return n;
}

static u64 dml_lap(u64 *t)
{
	u64 now = ktime_get_ns(), d = now - *t;

	*t = now;
	return d;
}

static unsigned long dml_evict_one(struct dml_dev *dev, unsigned long i, unsigned int order,
				   unsigned long *src, unsigned long *dst, struct dml_xfer *x);
static void dml_evict_collect(struct dml_dev *dev, unsigned long i, unsigned int order,
			      unsigned long *src);

/*
 * The device page index of the order-9 folio of ours PMD-mapped at @addr
 * (PMD-aligned), or -1. GUP-fast: no fault, no lock; the reference is
 * dropped at once, the allocator's records decide under @lock later.
 */
static long dml_pmd_folio_at(struct dml_dev *dev, unsigned long addr)
{
	struct page *page;
	long i = -1;

	if (get_user_pages_fast_only(addr, 1, 0, &page) != 1)
		return -1;
	if (is_zone_device_page(page) && page_pgmap(page) == &dev->pgmap)
		i = ALIGN_DOWN(dml_page_index(dev, page), HPAGE_PMD_NR);
	put_page(page);
	return i;
}

/*
 * A PMD-mapped order-9 coherent folio back to system memory as a whole:
 * 7.3.4's migrate_vma collects a present huge PMD only for SELECT_SYSTEM,
 * and then splits the folio like a system THP when it cannot set the PMD
 * migration entry (a kernel BUG on a coherent folio, known_split). Instead
 * the folio at device page @i is migrated by PFN, as eviction does; the
 * records say under @lock whether it still is a mapped order-9 folio.
 * Called without mmap_lock. Returns the pages that moved.
 */
static unsigned long dml_pmd_folio_to_sys(struct dml_dev *dev, unsigned long i,
					  unsigned long *src, unsigned long *dst,
					  struct dml_xfer *x)
{
	unsigned long moved = 0;
	bool found;

	mutex_lock(&dev->evict_lock);
	mutex_lock(&dev->lock);
	found = dml_evictable(dev, i) == HPAGE_PMD_ORDER + 1;
	if (found)
		dml_evict_collect(dev, i, HPAGE_PMD_ORDER, src);
	mutex_unlock(&dev->lock);
	if (found)
		moved = dml_evict_one(dev, i, HPAGE_PMD_ORDER, src, dst, x);
	mutex_unlock(&dev->evict_lock);
	return moved;
}

/* Walk [addr, addr + npages) in 2 MiB-aligned windows, one migrate_vma each. */
static int dml_migrate_range(struct dml_dev *dev, struct dml_migrate *m, bool to_dev)
{
	struct mm_struct *mm = current->mm;
	unsigned long start = m->addr, end, addr, next;
	struct migrate_vma args = { 0 };
	bool cpu = m->flags & DML_MIGRATE_CPU_COPY;
	unsigned long *src, *dst;
	struct dml_xfer *x;
	unsigned int nx;
	u64 t0 = ktime_get_ns(), t;
	int ret = 0, r;

	if (m->pad || (m->flags & ~(DML_MIGRATE_COMPOUND | DML_MIGRATE_CPU_COPY)) ||
	    !m->npages || !mm || offset_in_page(start) || m->npages > (TASK_SIZE >> PAGE_SHIFT))
		return -EINVAL;
	end = start + (m->npages << PAGE_SHIFT);
	if (end < start || end > TASK_SIZE)
		return -EINVAL;
	memset(m->phase_nsec, 0, sizeof(m->phase_nsec));
	src = kvcalloc(PTRS_PER_PMD, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(PTRS_PER_PMD, sizeof(*dst), GFP_KERNEL);
	x = kvcalloc(PTRS_PER_PMD, sizeof(*x), GFP_KERNEL);
	if (!src || !dst || !x) {
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
				 dev->coherent ? MIGRATE_VMA_SELECT_DEVICE_COHERENT :
						 MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		};
		if (m->flags & DML_MIGRATE_COMPOUND)
			args.flags |= MIGRATE_VMA_SELECT_COMPOUND;
		/*
		 * 7.3.4 collects a present (PMD-mapped) THP only with SELECT_SYSTEM,
		 * and when it cannot set the PMD migration entry (a GUP reference,
		 * a busy folio) it splits the folio like a system THP: on a coherent
		 * folio a kernel BUG (docs/device-coherent.md). So no SELECT_SYSTEM
		 * here: a PMD-mapped coherent folio is migrated by PFN below.
		 */
		t = ktime_get_ns();
		ret = migrate_vma_setup(&args);
		m->phase_nsec[DML_PH_SETUP] += dml_lap(&t);
		if (ret)
			break;
		/*
		 * Entries without a destination are restored by the core: never
		 * finalize without migrate_vma_pages() (finalize would treat the
		 * ones with destinations as migrated, unmigrated).
		 */
		nx = 0;
		ret = to_dev ? dml_dev_alloc(dev, &args, x, &nx) :
			       dml_sys_alloc(dev, &args, x, &nx);
		m->phase_nsec[DML_PH_ALLOC] += dml_lap(&t);
		r = dml_copy_or_release(dev, &args, x, nx, cpu);
		ret = ret ?: r;
		m->phase_nsec[DML_PH_COPY] += dml_lap(&t);
		migrate_vma_pages(&args);
		m->migrated += dml_migrated_pages(&args);
		m->phase_nsec[DML_PH_PAGES] += dml_lap(&t);
		migrate_vma_finalize(&args);
		m->phase_nsec[DML_PH_FINALIZE] += dml_lap(&t);
		if (ret)
			break;
		/*
		 * Nothing collected in a whole 2 MiB window of coherent memory:
		 * a PMD-mapped order-9 folio, migrated by PFN (not in part: a
		 * smaller window leaves it where it is).
		 */
		if (!to_dev && dev->coherent && !args.cpages && next - addr == PMD_SIZE) {
			long i = dml_pmd_folio_at(dev, addr);

			if (i < 0)
				continue;
			mmap_read_unlock(mm);
			m->migrated += dml_pmd_folio_to_sys(dev, i, src, dst, x);
			m->phase_nsec[DML_PH_PAGES] += dml_lap(&t);
			mmap_read_lock(mm);
		}
	}
	mmap_read_unlock(mm);
	atomic64_add(m->migrated, to_dev ? &dev->to_dev_pages : &dev->to_sys_pages);
out_free:
	kvfree(src);
	kvfree(dst);
	kvfree(x);
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
	struct dml_xfer *x;
	unsigned int nx = 0;
	int r;

	args.end = args.start + (PAGE_SIZE << order);
	args.src = kcalloc(1ul << order, sizeof(*args.src), GFP_KERNEL);
	args.dst = kcalloc(1ul << order, sizeof(*args.dst), GFP_KERNEL);
	x = kcalloc(1ul << order, sizeof(*x), GFP_KERNEL);
	if (!args.src || !args.dst || !x) {
		ret = VM_FAULT_OOM;
		goto out;
	}
	atomic64_inc(&dev->faults);
	if (migrate_vma_setup(&args)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	/* no memory: the page stays on the device and the fault is retried */
	if (dml_sys_alloc(dev, &args, x, &nx))
		ret = VM_FAULT_OOM;
	/*
	 * A copy that failed leaves the page on the device: an engine error
	 * (the data cannot be read) is SIGBUS, a timeout (the engine was
	 * reset) is retried.
	 */
	r = dml_copy_or_release(dev, &args, x, nx, false);
	if (r)
		ret = r == -ETIMEDOUT ? 0 : VM_FAULT_SIGBUS;
	migrate_vma_pages(&args);
	atomic64_add(dml_migrated_pages(&args), &dev->to_sys_pages);
	migrate_vma_finalize(&args);
out:
	kfree(args.src);
	kfree(args.dst);
	kfree(x);
	return ret;
}

/*
 * A system folio of @order for eviction, or NULL. There is no vma, so
 * migrate_device_pages() cannot split a large device folio into order-0
 * destinations (it drops a compound source with a small destination when
 * it has no migrate_vma), and splitting one is not exported to modules:
 * an order-9 folio needs an order-9 destination. Retries are the
 * caller's passes.
 */
static struct folio *dml_evict_dst(struct dml_dev *dev, unsigned int order)
{
	if (dml_fail_alloc(dev, DML_FI_FAIL_SYS_ALLOC))
		return NULL;
	if (!order)
		return page_folio(alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOFAIL));
	return folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_RETRY_MAYFAIL | __GFP_NOWARN, order);
}

/*
 * Evict the live folio at device page @i, collected by the caller under
 * @lock (dml_evict_collect). Returns the pages that moved.
 */
static unsigned long dml_evict_one(struct dml_dev *dev, unsigned long i, unsigned int order,
				   unsigned long *src, unsigned long *dst, struct dml_xfer *x)
{
	unsigned long j, n = 1ul << order, moved = 0;
	unsigned int nx = 0;

	for (j = 0; j < n; j++) {
		struct page *spage = migrate_pfn_to_page(src[j]);
		unsigned int o;
		struct folio *dfolio;

		dst[j] = 0;
		if (!spage || !(src[j] & MIGRATE_PFN_MIGRATE))
			continue;
		/*
		 * Never a file's folio, nor an uncharged one: collected
		 * (locked, referenced) under @evict_lock, that is stable.
		 */
		if (test_bit(i + j, dev->held) || xa_load(&dev->fi_refs, i + j) ||
		    dml_uncharged(dev, spage))
			continue;
		o = (src[j] & MIGRATE_PFN_COMPOUND) ? folio_order(page_folio(spage)) : 0;
		dfolio = dml_evict_dst(dev, o);
		if (!dfolio)
			continue;	/* stays on the device for the next pass */
		folio_lock(dfolio);
		dml_xfer_add(x, &nx, &dfolio->page, dml_page_index(dev, spage), 1ul << o, false);
		dst[j] = migrate_pfn(folio_pfn(dfolio)) | (src[j] & MIGRATE_PFN_WRITE) |
			 (o ? MIGRATE_PFN_COMPOUND : 0);
	}
	/* a failed copy: nothing moves, the folio stays for the next pass */
	if (dml_xfer_run(dev, x, nx, false))
		dml_release_dst(dst, n);
	migrate_device_pages(src, dst, n);
	/* what really moved: the core clears MIGRATE where it could not */
	for (j = 0; j < n; j++)
		if (dst[j] && (src[j] & MIGRATE_PFN_MIGRATE))
			moved += folio_nr_pages(page_folio(migrate_pfn_to_page(dst[j])));
	migrate_device_finalize(src, dst, n);
	return moved;
}

/*
 * migrate_device_pfns() over exactly the folio's pages, one slot each, so
 * a large head's nr - 1 following slots are its own tails, and no free
 * page's stale compound state is read (I-6). Under @lock, so that no block
 * is re-initialised meanwhile: 7.3.4's migrate_device_pfns() and
 * migrate_device_range() take page_folio() before their reference and put
 * that folio when the range ends inside it, the wrong one if the page
 * became another folio's head in between (dml-stress: a free page at
 * refcount -1, then a GPF in remove_migration_ptes()).
 */
static void dml_evict_collect(struct dml_dev *dev, unsigned long i, unsigned int order,
			      unsigned long *src)
{
	unsigned long j, n = 1ul << order;

	lockdep_assert_held(&dev->lock);
	for (j = 0; j < n; j++)
		src[j] = dev->base_pfn + i + j;
	migrate_device_pfns(src, n);
}

/* Device pages in folios eviction should take and has not (yet). */
static unsigned long dml_evict_left(struct dml_dev *dev)
{
	unsigned long i, left = 0;
	unsigned int f;

	mutex_lock(&dev->evict_lock);
	for (i = 0; i < dev->npages; i++) {
		f = dml_evictable(dev, i);
		if (f)
			left += 1ul << (f - 1);
	}
	mutex_unlock(&dev->evict_lock);
	return left;
}

/*
 * One pass over the device. Folios are found in the allocator's records
 * (never in struct pages, I-3); a file's folios are not a mapping's and
 * stay (I-8); @evict_lock keeps their release out while one is collected.
 */
static unsigned long dml_evict_pass(struct dml_dev *dev, unsigned long *src, unsigned long *dst,
				    struct dml_xfer *x)
{
	unsigned long i = 0, moved = 0;
	unsigned int f = 0;

	while (i < dev->npages) {
		mutex_lock(&dev->evict_lock);
		mutex_lock(&dev->lock);
		for (; i < dev->npages; i++) {
			f = dml_evictable(dev, i);
			if (f)
				break;
		}
		if (f)
			dml_evict_collect(dev, i, f - 1, src);
		mutex_unlock(&dev->lock);
		if (f)
			moved += dml_evict_one(dev, i, f - 1, src, dst, x);
		mutex_unlock(&dev->evict_lock);
		i += f ? 1ul << (f - 1) : 1;
	}
	return moved;
}

/*
 * Migrate every mapped device folio back to system memory (DML_IOC_EVICT,
 * unbind, rmmod), in up to @passes passes with growing pauses between
 * them (memory for order-9 destinations may come back). 0, or -EBUSY, said
 * on the console, with what stayed.
 */
int dml_evict_all(struct dml_dev *dev, unsigned int passes)
{
	unsigned long *src = kvcalloc(HPAGE_PMD_NR, sizeof(*src), GFP_KERNEL);
	unsigned long *dst = kvcalloc(HPAGE_PMD_NR, sizeof(*dst), GFP_KERNEL);
	struct dml_xfer *x = kvcalloc(HPAGE_PMD_NR, sizeof(*x), GFP_KERNEL);
	unsigned long left = 0;
	unsigned int p;

	if (!src || !dst || !x) {
		kvfree(src);
		kvfree(dst);
		kvfree(x);
		return -ENOMEM;
	}
	dml_drain_pending(dev);
	for (p = 0; p < passes; p++) {
		if (p)
			msleep(25 << min(p, 6u));
		atomic64_add(dml_evict_pass(dev, src, dst, x), &dev->evicted_pages);
		left = dml_evict_left(dev);
		if (!left)
			break;
	}
	kvfree(src);
	kvfree(dst);
	kvfree(x);
	if (left) {
		pr_err("%s: eviction: %lu device pages still mapped after %u passes (no system memory for them, or pinned)\n",
		       dev->name, left, passes);
		return -EBUSY;
	}
	return 0;
}

/* Are [i, i + n) free pages and folios files hold only? Under @lock. */
static bool dml_scan_quiet(struct dml_dev *dev, unsigned long i, unsigned long n)
{
	unsigned long end = i + n;

	lockdep_assert_held(&dev->lock);
	while (i < end) {
		unsigned int f = READ_ONCE(dev->ford[i]);

		if (f && !test_bit(i, dev->held))
			return false;	/* mapped, or on its way */
		if (!f && dev->blk[i])
			return false;	/* allocated, not (yet) a recorded folio */
		i += f ? 1ul << (f - 1) : 1;
	}
	return true;
}

/*
 * What migrate_device_range() collects over a device range, then put
 * everything back unmigrated: shows the 7.3.4 scan hazard (I-6).
 */
int dml_scan(struct dml_dev *dev, struct dml_scan *s)
{
	unsigned long *src, *dst, j;
	int ret = 0;

	if (!s->npages || s->npages > HPAGE_PMD_NR * 8 || s->offset >= dev->npages ||
	    dev->npages - s->offset < s->npages || s->offset % HPAGE_PMD_NR ||
	    s->npages % HPAGE_PMD_NR)
		return -EINVAL;
	src = kvcalloc(s->npages, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(s->npages, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * Injected faults leave struct pages corrupt on purpose; the core's
	 * walk would take and drop references by them. Not while a mode is
	 * set or its folios live; nor beside the release of held folios.
	 * And only over free pages and folios files hold, with allocations
	 * held off (@lock): the walk puts a folio it read before taking its
	 * reference (see dml_evict_collect), which a folio being
	 * initialised, split or mapped meanwhile would turn into a put of
	 * the wrong one.
	 */
	mutex_lock(&dev->fi_lock);
	mutex_lock(&dev->evict_lock);
	mutex_lock(&dev->lock);
	dml_drain_pending_locked(dev);
	if (READ_ONCE(dev->fault_mode) != DML_FI_NONE || !xa_empty(&dev->fi_heads) ||
	    !dml_scan_quiet(dev, s->offset, s->npages)) {
		ret = -EBUSY;
		goto unlock;
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
unlock:
	mutex_unlock(&dev->lock);
	mutex_unlock(&dev->evict_lock);
	mutex_unlock(&dev->fi_lock);
out:
	kvfree(src);
	kvfree(dst);
	return ret;
}

/*
 * The migration copy routine alone, on system folios and device memory:
 * the ceiling. The device's backend (engine or CPU), or the CPU with
 * DML_KCOPY_CPU; one batch of 2 MiB copies.
 */
int dml_kcopy(struct dml_dev *dev, struct dml_kcopy *k)
{
	const unsigned long chunk = PAGE_SIZE << HPAGE_PMD_ORDER;
	unsigned long nbuf, b, n, c;
	struct dml_xfer *x = NULL;
	struct folio **buf;
	LIST_HEAD(range);
	int ret;
	u64 t0;

	if ((k->flags & ~DML_KCOPY_CPU) || k->direction > DML_KCOPY_FROM_BAR || !k->bytes ||
	    k->bytes % chunk || k->bytes > dev->size)
		return -EINVAL;
	/* [0, bytes) is the allocator's for the copy: no live folio is overwritten */
	ret = dml_reserve(dev, k->bytes, &range);
	if (ret)
		return ret;
	/* up to 64 MiB of system folios, reused: larger than any cache */
	n = k->bytes / chunk;
	nbuf = min_t(unsigned long, n, 32);
	buf = kcalloc(nbuf, sizeof(*buf), GFP_KERNEL);
	x = kvcalloc(n, sizeof(*x), GFP_KERNEL);
	ret = -ENOMEM;
	if (!buf || !x)
		goto out;
	for (b = 0; b < nbuf; b++) {
		buf[b] = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, HPAGE_PMD_ORDER);
		if (!buf[b])
			goto out;
	}
	for (c = 0; c < n; c++)
		x[c] = (struct dml_xfer){ &buf[c % nbuf]->page, c * chunk, chunk,
					  k->direction == DML_KCOPY_TO_BAR };
	t0 = ktime_get_ns();
	ret = dml_xfer_run(dev, x, n, k->flags & DML_KCOPY_CPU);
	k->nsec = ktime_get_ns() - t0;
out:
	for (b = 0; buf && b < nbuf && buf[b]; b++)
		folio_put(buf[b]);
	kfree(buf);
	kvfree(x);
	dml_unreserve(dev, &range);
	return ret;
}

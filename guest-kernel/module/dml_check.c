// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: the checker. Every device page's struct page state against the
 * allocator's own records (invariants of docs/device-private.md), and a raw
 * per-page dump for userspace assertions. Meant for quiescent points: it
 * does not stop concurrent faults or frees.
 */
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/slab.h>

#include "dml.h"

static const char *const dml_what_names[] = {
	[DML_W_FREE_REF] = "free page refcount",
	[DML_W_HEAD_FLAG] = "PG_head",
	[DML_W_HEAD_IS_TAIL] = "head is a tail",
	[DML_W_HEAD_REF] = "head refcount",
	[DML_W_PGMAP] = "pgmap",
	[DML_W_ORDER] = "folio_order",
	[DML_W_NR_PAGES] = "folio_nr_pages",
	[DML_W_RMAPPABLE] = "large_rmappable",
	[DML_W_TAIL_FLAG] = "tail flag",
	[DML_W_TAIL_HEAD] = "tail's head",
	[DML_W_TAIL_REF] = "tail refcount",
	[DML_W_BLOCK] = "allocator block",
	[DML_W_BALANCE] = "inits - frees vs live pages",
	[DML_W_TOTAL] = "free + allocated vs device pages",
	[DML_W_LEAKED] = "references beyond its file's and mappings'",
	[DML_W_MAPPED] = "mapcount of an unmapped folio",
	[DML_W_BLOCK_LIVE] = "block's live pages vs its recorded folios",
};

static void dml_viol(struct dml_dev *dev, struct dml_check *c, unsigned long pfn,
		     u32 inv, u32 what, s64 got, s64 want)
{
	unsigned int k;

	/* the first violation of each kind is reported */
	for (k = 0; k < c->nreported && c->v[k].what != what; k++)
		;
	if (k == c->nreported && k < DML_CHECK_REPORT)
		c->v[c->nreported++] = (struct dml_violation) {
			.pfn = pfn, .invariant = inv, .what = what, .got = got, .want = want,
		};
	/* ratelimited: a check beside running migrations finds many (not quiescent) */
	if (c->violations < 8)
		pr_err_ratelimited("%s: check: I-%u (%s) violated at device pfn %lu: got %lld, want %lld\n",
				   dev->name, inv, dml_what_names[what], pfn, got, want);
	c->violations++;
}

static long dml_head_index(struct dml_dev *dev, struct page *page)
{
	return (long)(page_to_pfn(compound_head(page)) - dev->base_pfn);
}

static void dml_check_folio(struct dml_dev *dev, struct dml_check *c, unsigned long i,
			    unsigned int order)
{
	struct page *page = dml_index_page(dev, i);
	struct folio *folio = (struct folio *)page;
	unsigned long n = 1ul << order, j;

	c->folios_checked++;
	if (!!PageHead(page) != !!order)
		dml_viol(dev, c, i, DML_I_LAYOUT, DML_W_HEAD_FLAG, !!PageHead(page), !!order);
	if (PageTail(page))
		dml_viol(dev, c, i, DML_I_LAYOUT, DML_W_HEAD_IS_TAIL, 1, 0);
	if (page_ref_count(page) < 1)
		dml_viol(dev, c, i, DML_I_LAYOUT, DML_W_HEAD_REF, page_ref_count(page), 1);
	if (folio->pgmap != &dev->pgmap)
		dml_viol(dev, c, i, DML_I_LAYOUT, DML_W_PGMAP, 0, 1);
	if (order && PageHead(page) && !PageTail(page)) {
		if (folio_order(folio) != order)
			dml_viol(dev, c, i, DML_I_LAYOUT, DML_W_ORDER, folio_order(folio), order);
		if (folio_nr_pages(folio) != n)
			dml_viol(dev, c, i, DML_I_LAYOUT, DML_W_NR_PAGES, folio_nr_pages(folio), n);
		if (!folio_test_large_rmappable(folio))
			dml_viol(dev, c, i, DML_I_LAYOUT, DML_W_RMAPPABLE, 0, 1);
		if (!folio->mapping && folio_mapped(folio))
			dml_viol(dev, c, i, DML_I_MAPCOUNT, DML_W_MAPPED, folio_mapcount(folio), 0);
	}
	/* I-7: every reference has an owner: the file that holds it, or a mapping */
	if (!PageTail(page) && (!order || PageHead(page))) {
		int want = test_bit(i, dev->held) + folio_mapcount(folio);

		int got = page_ref_count(page);

		if (got > 0 && got != want)
			dml_viol(dev, c, i, DML_I_LEAKED_REF, DML_W_LEAKED, got, want);
	}
	for (j = 1; j < n; j++) {
		struct page *tp = page + j;

		if (!PageTail(tp))
			dml_viol(dev, c, i + j, DML_I_LAYOUT, DML_W_TAIL_FLAG, 0, 1);
		else if (compound_head(tp) != page)
			dml_viol(dev, c, i + j, DML_I_LAYOUT, DML_W_TAIL_HEAD,
				 dml_head_index(dev, tp), i);
		if (page_ref_count(tp))
			dml_viol(dev, c, i + j, DML_I_LAYOUT, DML_W_TAIL_REF,
				 page_ref_count(tp), 0);
	}
	for (j = 0; j < n; j++) {
		if (!dev->blk[i + j] || dev->blk[i + j] != dev->blk[i]) {
			dml_viol(dev, c, i + j, DML_I_ALLOCATOR, DML_W_BLOCK, 0, 1);
			break;
		}
	}
}

int dml_check(struct dml_dev *dev, struct dml_check *c)
{
	unsigned long i = 0, live = 0, allocated = 0, j;
	s64 balance;

	memset(c, 0, sizeof(*c));
	mutex_lock(&dev->lock);
	dml_drain_pending_locked(dev);
	while (i < dev->npages) {
		unsigned int k1 = READ_ONCE(dev->ford[i]);
		struct page *page = dml_index_page(dev, i);

		if (!k1) {
			/* I-1: outside live folios, nothing may hold a reference */
			if (page_ref_count(page))
				dml_viol(dev, c, i, DML_I_FREE_REFCOUNT, DML_W_FREE_REF,
					 page_ref_count(page), 0);
			c->pages_checked++;
			i++;
			continue;
		}
		dml_check_folio(dev, c, i, k1 - 1);
		c->pages_checked += 1ul << (k1 - 1);
		live += 1ul << (k1 - 1);
		i += 1ul << (k1 - 1);
	}
	for (j = 0; j < dev->npages; j++) {
		struct gpu_buddy_block *b = dev->blk[j];
		unsigned long n, k, recorded = 0;

		if (!b)
			continue;
		allocated++;
		if (gpu_buddy_block_offset(b) >> PAGE_SHIFT != j)
			continue;
		/* I-3: at a block's first page, what is live of it; the folios say the same */
		n = gpu_buddy_block_size(&dev->mm, b) >> PAGE_SHIFT;
		for (k = j; k < j + n; k++) {
			unsigned int f = READ_ONCE(dev->ford[k]);

			if (f)
				recorded += 1ul << (f - 1);
		}
		if (recorded != atomic_read(&dev->live[j]))
			dml_viol(dev, c, j, DML_I_ALLOCATOR, DML_W_BLOCK_LIVE, recorded,
				 atomic_read(&dev->live[j]));
	}
	if (allocated + (dev->mm.avail >> PAGE_SHIFT) != dev->npages)
		dml_viol(dev, c, 0, DML_I_ALLOCATOR, DML_W_TOTAL,
			 allocated + (dev->mm.avail >> PAGE_SHIFT), dev->npages);
	mutex_unlock(&dev->lock);
	/* I-5: pages initialised minus pages freed are exactly the live pages */
	balance = atomic64_read(&dev->init_pages) - atomic64_read(&dev->freed_pages);
	if (balance != live)
		dml_viol(dev, c, 0, DML_I_REF_BALANCE, DML_W_BALANCE, balance, live);
	return 0;
}

int dml_dump(struct dml_dev *dev, struct dml_dump *d)
{
	struct dml_page_state __user *out = u64_to_user_ptr(d->ptr);
	struct dml_page_state *st;
	unsigned long j;
	int ret = 0;

	if (!d->npages || d->npages > DML_DUMP_MAX || d->offset >= dev->npages ||
	    dev->npages - d->offset < d->npages)
		return -EINVAL;
	st = kcalloc(d->npages, sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	for (j = 0; j < d->npages; j++) {
		struct page *page = dml_index_page(dev, d->offset + j);

		st[j] = (struct dml_page_state) {
			.flags = page->flags.f & 0xff,
			.folio = dml_head_index(dev, page),
			.refcount = page_ref_count(page),
			.head = !!PageHead(page),
			.tail = !!PageTail(page),
			.pgmap_ok = !PageTail(page) &&
				    ((struct folio *)page)->pgmap == &dev->pgmap,
		};
	}
	if (copy_to_user(out, st, d->npages * sizeof(st[0])))
		ret = -EFAULT;
	kfree(st);
	return ret;
}

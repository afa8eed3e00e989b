// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: the backend of the lab's accelerator (devmemlab-accel,
 * 1b36:00de, docs/accel-datasheet.md). Every copy goes through its DMA
 * engine: the system pages are DMA-mapped (an IOVA under an IOMMU), the
 * descriptors queued on the ring, the doorbell rung, and the caller
 * sleeps until the engine's COMPLETED count reaches the batch (MSI-X
 * vector 0 on the last descriptor, vector 1 on any error), with a
 * timeout. A batch that fails or times out leaves nothing in flight: a
 * timeout resets the engine before the pages are unmapped and released.
 */
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "dml.h"

#define ACC_MAGIC		0x00
#define ACC_VERSION		0x04
#define ACC_CAPS		0x08
#define ACC_MEM_SIZE		0x10
#define ACC_RING_BASE		0x40
#define ACC_RING_SIZE		0x48
#define ACC_CTRL		0x50
#define  ACC_CTRL_ENABLE	BIT(0)
#define  ACC_CTRL_RESET		BIT(1)
#define  ACC_CTRL_IRQ_ENABLE	BIT(2)
#define ACC_STATUS		0x54
#define  ACC_STATUS_BUSY	BIT(1)
#define  ACC_STATUS_HALTED	BIT(3)
#define ACC_HEAD		0x58
#define ACC_DOORBELL		0x5c
#define ACC_COMPLETED		0x60
#define ACC_IRQ_STATUS		0x68
#define ACC_ERR_COUNT		0x80
#define ACC_ERR_CODE		0x84
#define ACC_ERR_INDEX		0x88
#define ACC_ERR_ADDR		0x90
#define ACC_DBG_FAIL		0xc0
#define ACC_DBG_STALL		0xc4
#define ACC_DBG_POISON_OFF	0xc8
#define ACC_DBG_POISON_LEN	0xd0

#define ACC_MAGIC_VALUE		0x414c4d44	/* "DMLA" */
#define ACC_CAP_ENGINE		BIT(0)

#define ACC_DESC_SRC_DEV	BIT(0)
#define ACC_DESC_DST_DEV	BIT(1)
#define ACC_DESC_IRQ		BIT(2)
#define ACC_DESC_DONE		BIT(31)

#define ACC_RING		1024	/* descriptors; one slot always stays empty */

static unsigned int engine_timeout_ms = 10000;
module_param(engine_timeout_ms, uint, 0644);
MODULE_PARM_DESC(engine_timeout_ms,
		 "accel: a copy batch not completed after this many ms fails, the engine is reset (default 10000)");

struct acc_desc {
	__le64 src;
	__le64 dst;
	__le32 len;
	__le32 flags;
	__le32 status;
	__le32 tag;
};

struct dml_accel {
	void __iomem *regs;
	struct acc_desc *ring;
	dma_addr_t ring_dma;
	struct mutex lock;		/* one batch on the engine at a time */
	/*
	 * @tail and the ring's contents as the device may read them; taken
	 * by dml_dma_busy() from any context, so IRQ-safe and innermost.
	 */
	spinlock_t ring_lock;
	u32 tail;
	u64 submitted;			/* descriptors rung since the engine's reset */
	bool orphans;			/* DML_FI_ENGINE_NOWAIT left descriptors behind */
	wait_queue_head_t wq;
	struct page *zero;		/* source of zero-fills */
	dma_addr_t zero_dma;
	dma_addr_t dma[ACC_RING - 1];	/* a batch's system side, under @lock */
};

static struct dml_accel *acc(struct dml_dev *dev)
{
	return dev->priv;
}

static irqreturn_t dml_accel_irq(int irq, void *data)
{
	struct dml_accel *a = data;
	u32 st = readl(a->regs + ACC_IRQ_STATUS);

	if (!st)
		return IRQ_NONE;
	writel(st, a->regs + ACC_IRQ_STATUS);
	wake_up(&a->wq);
	return IRQ_HANDLED;
}

/* Program an engine that was just reset: an empty ring, enabled, interrupts on. */
static void dml_accel_start(struct dml_accel *a)
{
	unsigned long flags;

	spin_lock_irqsave(&a->ring_lock, flags);
	memset(a->ring, 0, ACC_RING * sizeof(*a->ring));
	a->tail = 0;
	a->submitted = 0;
	a->orphans = false;
	spin_unlock_irqrestore(&a->ring_lock, flags);
	lo_hi_writeq(a->ring_dma, a->regs + ACC_RING_BASE);
	writel(ACC_RING, a->regs + ACC_RING_SIZE);
	writel(ACC_CTRL_ENABLE | ACC_CTRL_IRQ_ENABLE, a->regs + ACC_CTRL);
}

/*
 * Reset the engine: it drops what it holds, and once a read shows the
 * reset done, nothing of the old ring is in flight any more.
 */
static void dml_accel_reset(struct dml_accel *a)
{
	writel(ACC_CTRL_RESET, a->regs + ACC_CTRL);
	if (readl(a->regs + ACC_STATUS) & ACC_STATUS_BUSY)
		pr_warn("devmemlab: accel engine still busy after its reset\n");
	dml_accel_start(a);
}

static bool dml_accel_done(struct dml_accel *a, u64 target)
{
	return lo_hi_readq(a->regs + ACC_COMPLETED) >= target ||
	       (readl(a->regs + ACC_STATUS) & ACC_STATUS_HALTED);
}

static void dml_accel_log_error(struct dml_dev *dev, struct dml_accel *a, u32 code)
{
	pr_err_ratelimited("%s: accel engine error %u (last: code %u, ring index %u, address %#llx)\n",
			   dev->name, code, readl(a->regs + ACC_ERR_CODE),
			   readl(a->regs + ACC_ERR_INDEX), lo_hi_readq(a->regs + ACC_ERR_ADDR));
}

/*
 * Up to ACC_RING - 1 copies, on an empty ring: queue, ring, wait, check.
 * The caller has mapped the system side: @dma[k] for x[k].
 */
static int dml_accel_batch(struct dml_dev *dev, const struct dml_xfer *x, const dma_addr_t *dma,
			   unsigned int n)
{
	struct dml_accel *a = acc(dev);
	unsigned long flags, left;
	unsigned int k, first = a->tail;
	u64 target;
	int ret = 0;

	spin_lock_irqsave(&a->ring_lock, flags);
	for (k = 0; k < n; k++) {
		struct acc_desc *d = &a->ring[(first + k) % ACC_RING];
		u32 fl = x[k].to_dev ? ACC_DESC_DST_DEV : ACC_DESC_SRC_DEV;

		if (k == n - 1)
			fl |= ACC_DESC_IRQ;
		d->src = cpu_to_le64(x[k].to_dev ? dma[k] : x[k].dev_off);
		d->dst = cpu_to_le64(x[k].to_dev ? x[k].dev_off : dma[k]);
		d->len = cpu_to_le32(x[k].len);
		d->flags = cpu_to_le32(fl);
		d->status = 0;
		d->tag = cpu_to_le32(k);
	}
	a->tail = (first + n) % ACC_RING;
	a->submitted += n;
	target = a->submitted;
	/* the descriptors before the doorbell (writel orders them on x86 and elsewhere) */
	dma_wmb();
	writel(a->tail, a->regs + ACC_DOORBELL);
	spin_unlock_irqrestore(&a->ring_lock, flags);

	left = wait_event_timeout(a->wq, dml_accel_done(a, target),
				  msecs_to_jiffies(engine_timeout_ms));
	if (!left && !dml_accel_done(a, target)) {
		atomic64_inc(&dev->engine_timeouts);
		if (READ_ONCE(dev->fault_mode) == DML_FI_ENGINE_NOWAIT) {
			/* the bug this mode emulates: release with the DMA still queued */
			a->orphans = true;
			return -ETIMEDOUT;
		}
		pr_err_ratelimited("%s: accel engine: %u descriptors not completed after %u ms: reset\n",
				   dev->name, n, engine_timeout_ms);
		dml_accel_reset(a);
		return -ETIMEDOUT;
	}
	if (readl(a->regs + ACC_STATUS) & ACC_STATUS_HALTED) {
		atomic64_inc(&dev->engine_errors);
		dml_accel_log_error(dev, a, 7);
		dml_accel_reset(a);
		return -EIO;
	}
	dma_rmb();
	for (k = 0; k < n; k++) {
		u32 st = le32_to_cpu(READ_ONCE(a->ring[(first + k) % ACC_RING].status));

		if (st == ACC_DESC_DONE)
			continue;
		if (!ret) {
			atomic64_inc(&dev->engine_errors);
			dml_accel_log_error(dev, a, st & 0xff);
		}
		ret = -EIO;
	}
	atomic64_add(n, &dev->engine_descs);
	return ret;
}

static int dml_accel_copy(struct dml_dev *dev, const struct dml_xfer *x, unsigned int n)
{
	struct dml_accel *a = acc(dev);
	struct device *dmadev = &dev->pdev->dev;
	unsigned int k, m, done = 0;
	int ret = 0;

	mutex_lock(&a->lock);
	if (a->orphans)
		dml_accel_reset(a);	/* what DML_FI_ENGINE_NOWAIT left goes now */
	while (done < n && !ret) {
		m = min(n - done, ACC_RING - 1u);
		for (k = 0; k < m; k++) {
			const struct dml_xfer *t = &x[done + k];

			if (!t->sys) {
				/* zero-fill: one descriptor per page from the zero page */
				a->dma[k] = a->zero_dma;
				continue;
			}
			a->dma[k] = dma_map_page(dmadev, t->sys, 0, t->len,
						 t->to_dev ? DMA_TO_DEVICE : DMA_FROM_DEVICE);
			if (dma_mapping_error(dmadev, a->dma[k])) {
				ret = -EIO;
				break;
			}
		}
		if (!ret)
			ret = dml_accel_batch(dev, &x[done], a->dma, m);
		/* nothing in flight any more (or NOWAIT's bug): unmap what was mapped */
		while (k--) {
			const struct dml_xfer *t = &x[done + k];

			if (t->sys)
				dma_unmap_page(dmadev, a->dma[k], t->len,
					       t->to_dev ? DMA_TO_DEVICE : DMA_FROM_DEVICE);
		}
		done += m;
	}
	mutex_unlock(&a->lock);
	return ret;
}

/* Does the engine still own a descriptor on device bytes [off, off + len)? */
static bool dml_accel_dma_busy(struct dml_dev *dev, u64 off, u64 len)
{
	struct dml_accel *a = acc(dev);
	unsigned long flags;
	bool busy = false;
	u32 i;

	if (!a)
		return false;
	spin_lock_irqsave(&a->ring_lock, flags);
	i = readl(a->regs + ACC_HEAD);
	for (; i < ACC_RING && i != a->tail && !busy; i = (i + 1) % ACC_RING) {
		struct acc_desc *d = &a->ring[i];
		u32 fl = le32_to_cpu(d->flags), dlen = le32_to_cpu(d->len);

		if (fl & ACC_DESC_SRC_DEV)
			busy |= le64_to_cpu(d->src) < off + len && off < le64_to_cpu(d->src) + dlen;
		if (fl & ACC_DESC_DST_DEV)
			busy |= le64_to_cpu(d->dst) < off + len && off < le64_to_cpu(d->dst) + dlen;
	}
	spin_unlock_irqrestore(&a->ring_lock, flags);
	return busy;
}

static int dml_accel_engine(struct dml_dev *dev, struct dml_engine *e)
{
	struct dml_accel *a = acc(dev);

	switch (e->op) {
	case DML_ENG_STALL:
		if (e->arg > 1 || e->off || e->len)
			return -EINVAL;
		writel(e->arg, a->regs + ACC_DBG_STALL);
		return 0;
	case DML_ENG_FAIL:
		if (e->off || e->len)
			return -EINVAL;
		writel(e->arg, a->regs + ACC_DBG_FAIL);
		return 0;
	case DML_ENG_POISON:
		if (e->arg || e->off > dev->size || e->len > dev->size - e->off)
			return -EINVAL;
		lo_hi_writeq(e->off, a->regs + ACC_DBG_POISON_OFF);
		lo_hi_writeq(e->len, a->regs + ACC_DBG_POISON_LEN);
		return 0;
	}
	return -EINVAL;
}

static void dml_accel_free(struct dml_dev *dev, struct dml_accel *a, int irqs)
{
	struct pci_dev *pdev = dev->pdev;

	while (irqs-- > 0)
		free_irq(pci_irq_vector(pdev, irqs), a);
	pci_free_irq_vectors(pdev);
	if (a->zero_dma && !dma_mapping_error(&pdev->dev, a->zero_dma))
		dma_unmap_page(&pdev->dev, a->zero_dma, PAGE_SIZE, DMA_TO_DEVICE);
	if (a->ring)
		dma_free_coherent(&pdev->dev, ACC_RING * sizeof(*a->ring), a->ring, a->ring_dma);
	pci_clear_master(pdev);
	if (a->regs)
		pci_iounmap(pdev, a->regs);
	pci_release_region(pdev, 0);
	kfree(a);
}

static int dml_accel_init(struct dml_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	struct dml_accel *a;
	int ret, v = 0;

	a = kzalloc_obj(*a);
	if (!a)
		return -ENOMEM;
	mutex_init(&a->lock);
	spin_lock_init(&a->ring_lock);
	init_waitqueue_head(&a->wq);
	ret = pci_request_region(pdev, 0, dev->name);
	if (ret) {
		kfree(a);
		return ret;
	}
	a->regs = pci_iomap(pdev, 0, 0);
	if (!a->regs || readl(a->regs + ACC_MAGIC) != ACC_MAGIC_VALUE ||
	    readl(a->regs + ACC_VERSION) >> 16 != 1 ||
	    !(readl(a->regs + ACC_CAPS) & ACC_CAP_ENGINE) ||
	    lo_hi_readq(a->regs + ACC_MEM_SIZE) != dev->mem_len) {
		pci_err(pdev, "not a devmemlab accelerator of version 1 with an engine and %llu MiB of memory\n",
			dev->mem_len >> 20);
		ret = -ENODEV;
		goto err;
	}
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err;
	pci_set_master(pdev);
	a->ring = dma_alloc_coherent(&pdev->dev, ACC_RING * sizeof(*a->ring), &a->ring_dma,
				     GFP_KERNEL);
	a->zero = ZERO_PAGE(0);
	a->zero_dma = dma_map_page(&pdev->dev, a->zero, 0, PAGE_SIZE, DMA_TO_DEVICE);
	if (!a->ring || dma_mapping_error(&pdev->dev, a->zero_dma)) {
		ret = -ENOMEM;
		goto err;
	}
	ret = pci_alloc_irq_vectors(pdev, 2, 2, PCI_IRQ_MSIX);
	if (ret < 0)
		goto err;
	for (v = 0; v < 2; v++) {
		ret = request_irq(pci_irq_vector(pdev, v), dml_accel_irq, 0, dev->name, a);
		if (ret)
			goto err;
	}
	writel(ACC_CTRL_RESET, a->regs + ACC_CTRL);
	dml_accel_start(a);
	dev->priv = a;
	pci_info(pdev, "%s: accel engine: ring of %u descriptors, MSI-X, timeout %u ms\n",
		 dev->name, ACC_RING, engine_timeout_ms);
	return 0;

err:
	dml_accel_free(dev, a, v);
	return ret;
}

/*
 * Once every device page is free (memunmap_pages() returned): stop the
 * engine, read back that nothing is in flight, give back what it used.
 */
static void dml_accel_fini(struct dml_dev *dev)
{
	struct dml_accel *a = acc(dev);

	writel(ACC_CTRL_RESET, a->regs + ACC_CTRL);
	readl(a->regs + ACC_STATUS);
	dev->priv = NULL;
	dml_accel_free(dev, a, 2);
}

const struct dml_backend dml_accel_backend = {
	.name = "accel",
	.init = dml_accel_init,
	.fini = dml_accel_fini,
	.copy = dml_accel_copy,
	.dma_busy = dml_accel_dma_busy,
	.engine = dml_accel_engine,
};

/* the same engine; the memory is the device's HDM in a CXL region */
const struct dml_backend dml_cxl_accel_backend = {
	.name = "cxl-accel",
	.init = dml_accel_init,
	.fini = dml_accel_fini,
	.copy = dml_accel_copy,
	.dma_busy = dml_accel_dma_busy,
	.engine = dml_accel_engine,
	.cxl_hdm = true,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: device memory as ZONE_DEVICE pages.
 *
 * Binds QEMU's ivshmem-plain device (1af4:1110) and the lab's accelerator
 * (1b36:00de) and uses their BAR2 as the memory of a device: a
 * MEMORY_DEVICE_PRIVATE pagemap over a free physical range of the same
 * size, where device PFN i keeps its data at BAR2 offset i * 4 KiB. What
 * differs between the two is a backend (struct dml_backend): on ivshmem
 * the CPU copies, on the accelerator its DMA engine (dml_accel.c). Folios
 * of order 0..9 come from the kernel's buddy allocator for GPU memory
 * (gpu_buddy). /dev/devmemlabN drives migration, direct
 * allocation (for free/realloc tests), the checker and fault injection.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dml.h"

static DEFINE_IDA(dml_ida);

static unsigned int p2p_mib;
module_param(p2p_mib, uint, 0444);
MODULE_PARM_DESC(p2p_mib, "MiB at the end of BAR2 to publish as P2PDMA memory (default 0)");
static bool coherent;
module_param(coherent, bool, 0444);
MODULE_PARM_DESC(coherent, "serve the device memory as MEMORY_DEVICE_COHERENT, not DEVICE_PRIVATE (default 0)");

/* In-kernel P2PDMA self-test: allocate, translate to a bus address, use, free. */
static int dml_p2p_test(struct dml_dev *dev, struct dml_p2p_test *t)
{
	struct pci_dev *pdev = dev->pdev;
	u8 *p;

	if (!dev->p2p_size)
		return -ENODEV;
	if (!t->bytes || t->bytes > dev->p2p_size)
		return -EINVAL;
	p = pci_alloc_p2pmem(pdev, t->bytes);
	if (!p)
		return -ENOMEM;
	t->bus_addr = pci_p2pmem_virt_to_bus(pdev, p);
	t->bar_start = pci_bus_address(pdev, 2);
	t->bar_end = t->bar_start + pci_resource_len(pdev, 2) - 1;
	memset(p, 0xa5, t->bytes);
	if (p[0] != 0xa5 || p[t->bytes - 1] != 0xa5)
		t->bus_addr = 0;
	pci_free_p2pmem(pdev, p, t->bytes);
	return t->bus_addr ? 0 : -EIO;
}

/* ivshmem: a passive RAM BAR, the CPU copies */
const struct dml_backend dml_ivshmem_backend = {
	.name = "ivshmem",
	.copy = dml_cpu_copy,
};

static int dml_engine(struct dml_dev *dev, struct dml_engine *e)
{
	return dev->ops->engine ? dev->ops->engine(dev, e) : -ENODEV;
}

static void dml_dev_free(struct kref *ref)
{
	struct dml_dev *dev = container_of(ref, struct dml_dev, ref);

	cleanup_srcu_struct(&dev->srcu);
	kfree(dev);
}

/* Enter the device (0) or -ENODEV once remove() has begun. */
static int dml_enter(struct dml_dev *dev, int *idx)
{
	*idx = srcu_read_lock(&dev->srcu);
	if (READ_ONCE(dev->removed)) {
		srcu_read_unlock(&dev->srcu, *idx);
		return -ENODEV;
	}
	return 0;
}

static void dml_exit(struct dml_dev *dev, int idx)
{
	srcu_read_unlock(&dev->srcu, idx);
}

/* misc_open() calls this under misc_mtx: remove() deregisters first */
static int dml_open(struct inode *inode, struct file *file)
{
	struct dml_dev *dev = container_of(file->private_data, struct dml_dev, misc);
	struct dml_file *f = kzalloc_obj(*f);

	if (!f)
		return -ENOMEM;
	f->dev = dev;
	f->file = file;
	xa_init(&f->held);
	kref_get(&dev->ref);
	mutex_lock(&dev->files_lock);
	list_add(&f->node, &dev->files);
	mutex_unlock(&dev->files_lock);
	file->private_data = f;
	return 0;
}

/*
 * No ioctl of this file is in flight (it holds a file reference). Its
 * folios go back here, or went in remove() already: then @held is empty.
 */
static int dml_release(struct inode *inode, struct file *file)
{
	struct dml_file *f = file->private_data;
	struct dml_dev *dev = f->dev;

	mutex_lock(&dev->files_lock);
	list_del(&f->node);
	dml_user_release(f);
	mutex_unlock(&dev->files_lock);
	kref_put(&dev->ref, dml_dev_free);
	kfree(f);
	return 0;
}

/*
 * copy in, run, copy out: one shape for every ioctl argument. Out also on
 * an error: a migration that stopped part-way says how far it got.
 */
#define DML_IOCTL(type, call) ({					\
	type arg;							\
	long r = -EFAULT;						\
	if (!copy_from_user(&arg, uarg, sizeof(arg))) {		\
		r = (call);						\
		if ((_IOC_DIR(cmd) & _IOC_READ) &&			\
		    copy_to_user(uarg, &arg, sizeof(arg)))		\
			r = -EFAULT;					\
	}								\
	r; })

static long dml_ioctl_locked(struct file *file, unsigned int cmd, unsigned long uarg_l)
{
	struct dml_file *f = file->private_data;
	struct dml_dev *dev = f->dev;
	void __user *uarg = (void __user *)uarg_l;

	switch (cmd) {
	case DML_IOC_ALLOC:
		return DML_IOCTL(struct dml_alloc, dml_user_alloc(f, &arg));
	case DML_IOC_FREE:
		return DML_IOCTL(struct dml_alloc, dml_user_free(f, &arg));
	case DML_IOC_TO_DEV:
		return DML_IOCTL(struct dml_migrate, dml_migrate_to_dev(dev, &arg));
	case DML_IOC_TO_SYS:
		return DML_IOCTL(struct dml_migrate, dml_migrate_to_sys(dev, &arg));
	case DML_IOC_FAULT:
		return DML_IOCTL(struct dml_fault, dml_set_fault(dev, arg.mode, arg.nth));
	case DML_IOC_DUMP:
		return DML_IOCTL(struct dml_dump, dml_dump(dev, &arg));
	case DML_IOC_KCOPY:
		return DML_IOCTL(struct dml_kcopy, dml_kcopy(dev, &arg));
	case DML_IOC_SCAN:
		return DML_IOCTL(struct dml_scan, dml_scan(dev, &arg));
	case DML_IOC_EVICT:
		return dml_evict_all(dev, DML_EVICT_PASSES);
	case DML_IOC_P2P_TEST:
		return DML_IOCTL(struct dml_p2p_test, dml_p2p_test(dev, &arg));
	case DML_IOC_ENGINE:
		return DML_IOCTL(struct dml_engine, dml_engine(dev, &arg));
	case DML_IOC_CHECK: {
		struct dml_check *c = kzalloc_obj(*c);
		long r;

		if (!c)
			return -ENOMEM;
		r = dml_check(dev, c);
		if (!r && copy_to_user(uarg, c, sizeof(*c)))
			r = -EFAULT;
		kfree(c);
		return r;
	}
	case DML_IOC_STATS: {
		struct dml_stats s;

		dml_stats(dev, &s);
		return copy_to_user(uarg, &s, sizeof(s)) ? -EFAULT : 0;
	}
	}
	return -ENOTTY;
}

static long dml_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct dml_dev *dev = ((struct dml_file *)file->private_data)->dev;
	int idx;
	long r;

	r = dml_enter(dev, &idx);
	if (r)
		return r;
	r = dml_ioctl_locked(file, cmd, uarg);
	dml_exit(dev, idx);
	return r;
}

/*
 * BAR2 itself, for the benchmark's userspace memcpy ceiling. It is the
 * device pages' data: writing it behind live device folios corrupts them.
 * remove() zaps these mappings: a later access gets SIGBUS.
 */
static int dml_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct dml_dev *dev = ((struct dml_file *)file->private_data)->dev;
	int idx, r;

	/* under mmap_lock: an SRCU read section, never a lock remove() holds */
	r = dml_enter(dev, &idx);
	if (r)
		return r;
	r = vm_iomap_memory(vma, dev->mem_start, dev->size);
	dml_exit(dev, idx);
	return r;
}

static const struct file_operations dml_fops = {
	.owner = THIS_MODULE,
	.open = dml_open,
	.release = dml_release,
	.unlocked_ioctl = dml_ioctl,
	.mmap = dml_mmap,
};

/*
 * Where the device memory is: BAR2 ([0, size) device-private data, the
 * last p2p_mib MiB P2PDMA), or a type-2 device's HDM, the CXL region the
 * kernel assembled from the decoders firmware committed.
 */
static int dml_find_memory(struct dml_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	struct range hpa;
	int ret;

	dev->p2p_size = (u64)p2p_mib << 20;
	dev->coherent = coherent;
	if (coherent && dev->p2p_size) {
		/* both are pagemaps over the BAR: they would share memory sections */
		pci_err(pdev, "coherent=1 with p2p_mib=%u: the P2PDMA tail is a pagemap of its own in the same BAR\n",
			p2p_mib);
		return -EINVAL;
	}
	if (dev->ops->cxl_hdm) {
		if (dev->p2p_size) {
			pci_err(pdev, "p2p_mib=%u: P2PDMA is BAR memory, a type-2 device has HDM\n",
				p2p_mib);
			return -EINVAL;
		}
		ret = dml_cxl_probe(dev, &hpa);
		if (ret)
			return ret;
		dev->mem_start = hpa.start;
		dev->mem_len = range_len(&hpa);
		dev->size = ALIGN_DOWN(dev->mem_len, PMD_SIZE);
		return dev->size ? 0 : -ENODEV;
	}
	ret = pci_request_region(pdev, 2, dev->name);
	if (ret)
		return ret;
	dev->mem_start = pci_resource_start(pdev, 2);
	dev->mem_len = pci_resource_len(pdev, 2);
	if (dev->p2p_size > dev->mem_len / 2) {
		pci_err(pdev, "p2p_mib=%u is more than half of BAR2\n", p2p_mib);
		ret = -EINVAL;
		goto err;
	}
	dev->size = ALIGN_DOWN(dev->mem_len - dev->p2p_size, PMD_SIZE);
	if (!(pci_resource_flags(pdev, 2) & IORESOURCE_MEM) || !dev->size) {
		pci_err(pdev, "BAR2 is not a memory BAR of at least 2 MiB\n");
		ret = -ENODEV;
		goto err;
	}
	return 0;
err:
	pci_release_region(pdev, 2);
	return ret;
}

void dml_printk(struct dml_dev *dev, bool err, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (dev->pdev && err)
		pci_err(dev->pdev, "%pV", &vaf);
	else if (dev->pdev)
		pci_info(dev->pdev, "%pV", &vaf);
	else if (err)
		pr_err("devmemlab: %pV", &vaf);
	else
		pr_info("devmemlab: %pV", &vaf);
	va_end(args);
}

/* A device without memory yet: name, id, reference, SRCU. */
static struct dml_dev *dml_dev_new(struct pci_dev *pdev, const struct dml_backend *ops)
{
	struct dml_dev *dev = kzalloc_obj(*dev);
	int ret;

	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev->pdev = pdev;
	dev->ops = ops;
	kref_init(&dev->ref);
	mutex_init(&dev->files_lock);
	INIT_LIST_HEAD(&dev->files);
	ret = init_srcu_struct(&dev->srcu);
	if (ret)
		goto err_free;
	dev->id = ida_alloc(&dml_ida, GFP_KERNEL);
	if (dev->id < 0) {
		ret = dev->id;
		goto err_srcu;
	}
	snprintf(dev->name, sizeof(dev->name), "devmemlab%d", dev->id);
	return dev;

err_srcu:
	cleanup_srcu_struct(&dev->srcu);
err_free:
	kfree(dev);
	return ERR_PTR(ret);
}

/* Undo dml_dev_new(): open files keep the rest until their release */
static void dml_dev_put(struct dml_dev *dev)
{
	ida_free(&dml_ida, dev->id);
	kref_put(&dev->ref, dml_dev_free);
}

/*
 * The device memory at [mem_start, + size) is found and claimed: map it,
 * start the backend, the pagemap, P2PDMA and the device file.
 */
static int dml_dev_start(struct dml_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	int ret;

	dev->bar = memremap(dev->mem_start, dev->size, MEMREMAP_WB);
	if (!dev->bar)
		return -ENOMEM;
	if (dev->ops->init) {
		ret = dev->ops->init(dev);
		if (ret)
			goto err_unmap;
	}
	ret = dml_mem_init(dev);
	if (ret)
		goto err_backend;
	dev->misc = (struct miscdevice) {
		.minor = MISC_DYNAMIC_MINOR, .name = dev->name, .fops = &dml_fops,
		.parent = pdev ? &pdev->dev : NULL,
	};
	if (dev->p2p_size) {
		/* devm: torn down after remove(), which zaps p2pmem mappings */
		ret = pci_p2pdma_add_resource(pdev, 2, dev->p2p_size,
					      pci_resource_len(pdev, 2) - dev->p2p_size);
		if (ret) {
			pci_err(pdev, "P2PDMA on BAR2: %d\n", ret);
			goto err_mem;
		}
		pci_p2pmem_publish(pdev, true);
	}
	ret = misc_register(&dev->misc);
	if (ret)
		goto err_mem;
	dml_info(dev, "%s: %s %llu MiB as device-%s pfns %#lx-%#lx, copies by %s\n",
		 dev->name, dev->ops->cxl_hdm ? "CXL HDM" : pdev ? "BAR2" : "range",
		 dev->size >> 20, dev->coherent ? "coherent" : "private",
		 dev->base_pfn, dev->base_pfn + dev->npages - 1,
		 dev->ops->engine ? "the DMA engine" : "the CPU");
	if (dev->p2p_size)
		pci_info(pdev, "%s: BAR2 last %llu MiB published as P2PDMA memory\n", dev->name,
			 dev->p2p_size >> 20);
	return 0;

err_mem:
	dml_mem_fini(dev);
err_backend:
	if (dev->ops->fini)
		dev->ops->fini(dev);
err_unmap:
	memunmap(dev->bar);
	return ret;
}

/* Undo dml_dev_start(): every folio back to system memory first. */
static void dml_dev_stop(struct dml_dev *dev)
{
	struct dml_file *f;
	struct dml_stats s;

	misc_deregister(&dev->misc);	/* no new opens */
	/*
	 * Files still open: their ioctls and mmaps fail from now on, once
	 * those in flight are done; their folios are freed, their BAR
	 * mappings zapped.
	 */
	WRITE_ONCE(dev->removed, true);
	synchronize_srcu(&dev->srcu);
	mutex_lock(&dev->files_lock);
	list_for_each_entry(f, &dev->files, node) {
		dml_user_release(f);
		unmap_mapping_range(f->file->f_mapping, 0, 0, 1);
	}
	mutex_unlock(&dev->files_lock);
	/* every live folio goes back to system memory, so memunmap_pages returns */
	if (dml_evict_all(dev, DML_REMOVE_PASSES))
		dml_err(dev, "%s: memunmap_pages() now waits for the owners of what stayed\n",
			dev->name);
	mutex_lock(&dev->lock);
	dev->dying = true;
	mutex_unlock(&dev->lock);
	dml_stats(dev, &s);
	dml_info(dev, "%s: evicted %llu pages, %llu still live\n", dev->name,
		 s.evicted_pages, s.live_pages);
	dml_mem_fini(dev);	/* every device page free: no copy to come */
	if (dev->ops->fini)
		dev->ops->fini(dev);
	memunmap(dev->bar);
}

static int dml_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct dml_dev *dev;
	int ret;

	dev = dml_dev_new(pdev, (const struct dml_backend *)id->driver_data);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto err_put;
	ret = dml_find_memory(dev);
	if (ret)
		goto err_disable;
	ret = dml_dev_start(dev);
	if (ret)
		goto err_region;
	pci_set_drvdata(pdev, dev);
	return 0;

err_region:
	if (!dev->ops->cxl_hdm)
		pci_release_region(pdev, 2);
err_disable:
	pci_disable_device(pdev);
err_put:
	dml_dev_put(dev);
	return ret;
}

static void dml_remove(struct pci_dev *pdev)
{
	struct dml_dev *dev = pci_get_drvdata(pdev);

	dml_dev_stop(dev);
	if (!dev->ops->cxl_hdm)
		pci_release_region(pdev, 2);
	pci_disable_device(pdev);
	/* a type-2 device's memdev and region go after this, with its devres */
	dml_dev_put(dev);
}

static const struct pci_device_id dml_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110),	/* ivshmem */
	  .driver_data = (kernel_ulong_t)&dml_ivshmem_backend },
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT, 0x00de),		/* devmemlab-accel */
	  .driver_data = (kernel_ulong_t)&dml_accel_backend },
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT, 0x00df),		/* devmemlab-cxl-accel */
	  .driver_data = (kernel_ulong_t)&dml_cxl_accel_backend },
	{ }
};
MODULE_DEVICE_TABLE(pci, dml_pci_ids);

static struct pci_driver dml_pci_driver = {
	.name = "devmemlab",
	.id_table = dml_pci_ids,
	.probe = dml_probe,
	.remove = dml_remove,
};

/*
 * range=SIZE@START: memory no PCI device of ours has, such as a CXL type-3
 * ram region that cxl-cli or dml-cxl-region committed and no dax driver
 * took. The CPU copies; the range is claimed (request_mem_region) while
 * the module is loaded.
 */
static char *range;
module_param(range, charp, 0444);
MODULE_PARM_DESC(range, "SIZE@START: serve this physical range too, e.g. a CXL ram region (default none)");
static struct dml_dev *dml_range_dev;

static const struct dml_backend dml_range_backend = {
	.name = "range",
	.copy = dml_cpu_copy,
};

static int dml_range_add(void)
{
	struct dml_dev *dev;
	char *end;
	u64 size, start;
	int ret;

	size = memparse(range, &end);
	if (*end != '@' || !size) {
		pr_err("devmemlab: range=%s: not SIZE@START\n", range);
		return -EINVAL;
	}
	start = memparse(end + 1, &end);
	if (*end || start + size < start) {
		pr_err("devmemlab: range=%s: not SIZE@START\n", range);
		return -EINVAL;
	}
	if (!IS_ALIGNED(start, PMD_SIZE) || !IS_ALIGNED(size, PMD_SIZE)) {
		pr_err("devmemlab: range=%s: start and size must be multiples of 2 MiB\n", range);
		return -EINVAL;
	}
	if (region_intersects(start, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT) {
		pr_err("devmemlab: range=%s overlaps System RAM\n", range);
		return -EINVAL;
	}
	dev = dml_dev_new(NULL, &dml_range_backend);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	dev->coherent = coherent;
	dev->mem_start = start;
	dev->mem_len = size;
	dev->size = size;
	if (!request_mem_region(start, size, dev->name)) {
		pr_err("devmemlab: range=%s is busy (a driver holds part of it: /proc/iomem)\n",
		       range);
		ret = -EBUSY;
		goto err_put;
	}
	ret = dml_dev_start(dev);
	if (ret)
		goto err_release;
	dml_range_dev = dev;
	return 0;

err_release:
	release_mem_region(start, size);
err_put:
	dml_dev_put(dev);
	return ret;
}

static void dml_range_del(void)
{
	struct dml_dev *dev = dml_range_dev;

	dml_dev_stop(dev);
	release_mem_region(dev->mem_start, dev->size);
	dml_dev_put(dev);
}

static int __init dml_init(void)
{
	int ret;

	if (range) {
		ret = dml_range_add();
		if (ret)
			return ret;
	}
	ret = pci_register_driver(&dml_pci_driver);
	if (ret && dml_range_dev)
		dml_range_del();
	return ret;
}
module_init(dml_init);

static void __exit dml_exit_module(void)
{
	pci_unregister_driver(&dml_pci_driver);
	if (dml_range_dev)
		dml_range_del();
}
module_exit(dml_exit_module);

MODULE_DESCRIPTION("devmemlab: PCI BAR memory as device-private large folios, copied by the CPU or a DMA engine");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("CXL");

// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: the accelerator's CXL type-2 personality (devmemlab-cxl-accel).
 *
 * The device memory is the device's HDM, reached through a CXL region. Linux
 * 7.3 gives a type-2 driver that region only if platform firmware committed
 * the decoders on the path (devm_cxl_probe_mem() finds the region the CXL
 * core assembled from them, it does not create one). The sequence is the
 * kernel's own (sfc's efx_cxl.c, tools/testing/cxl/test/accel.c); each step
 * is logged, "type-2: " and the step, so that a test can check how far the
 * kernel accepted the device.
 *
 * Everything here is devres of the PCI device: the memdev, its endpoint and
 * the region go away after remove(), when the driver is unbound.
 */
#include <linux/pci.h>
#include <cxl/cxl.h>
#include <cxl/pci.h>

#include "dml.h"

struct dml_cxl {
	struct cxl_dev_state cxlds;	/* first: devm_cxl_dev_state_create() */
	struct cxl_memdev *cxlmd;
};

/* DVSEC range 1: how much memory the device says it has */
static u64 dml_cxl_range_size(struct pci_dev *pdev, u16 dvsec)
{
	u32 hi, lo;

	pci_read_config_dword(pdev, dvsec + PCI_DVSEC_CXL_RANGE_SIZE_HIGH(0), &hi);
	pci_read_config_dword(pdev, dvsec + PCI_DVSEC_CXL_RANGE_SIZE_LOW(0), &lo);
	return (u64)hi << 32 | (lo & GENMASK(31, 28));
}

int dml_cxl_probe(struct dml_dev *dev, struct range *hpa)
{
	struct pci_dev *pdev = dev->pdev;
	struct dml_cxl *cxl;
	u64 capacity;
	u16 dvsec;
	int ret;

	if (!pcie_is_cxl(pdev)) {
		pci_err(pdev, "type-2: link not trained as CXL (Flex Bus DVSEC)\n");
		return -ENODEV;
	}
	dvsec = pci_find_dvsec_capability(pdev, PCI_VENDOR_ID_CXL, PCI_DVSEC_CXL_DEVICE);
	capacity = dvsec ? dml_cxl_range_size(pdev, dvsec) : 0;
	if (!capacity) {
		pci_err(pdev, "type-2: no CXL device DVSEC with a memory range\n");
		return -ENODEV;
	}
	cxl = devm_cxl_dev_state_create(&pdev->dev, CXL_DEVTYPE_DEVMEM, pci_get_dsn(pdev),
					dvsec, struct dml_cxl, cxlds, false);
	if (!cxl)
		return -ENOMEM;
	ret = cxl_pci_setup_regs(pdev, CXL_REGLOC_RBI_COMPONENT, &cxl->cxlds.reg_map);
	if (ret) {
		pci_err(pdev, "type-2: no component registers: %d\n", ret);
		return ret;
	}
	if (!cxl->cxlds.reg_map.component_map.hdm_decoder.valid ||
	    !cxl->cxlds.reg_map.component_map.ras.valid) {
		pci_err(pdev, "type-2: component registers without %s\n",
			cxl->cxlds.reg_map.component_map.hdm_decoder.valid ? "RAS" : "HDM decoder");
		return -ENODEV;
	}
	pci_info(pdev, "type-2: component registers: HDM decoder, RAS\n");
	/* no mailbox to ask: the memory is ready when the device is */
	cxl->cxlds.media_ready = true;
	ret = cxl_set_capacity(&cxl->cxlds, capacity);
	if (ret) {
		pci_err(pdev, "type-2: capacity of %llu MiB refused: %d\n", capacity >> 20, ret);
		return ret;
	}
	pci_info(pdev, "type-2: capacity %llu MiB (DVSEC range 1)\n", capacity >> 20);
	cxl->cxlmd = devm_cxl_probe_mem(&cxl->cxlds, hpa);
	if (IS_ERR(cxl->cxlmd)) {
		ret = PTR_ERR(cxl->cxlmd);
		pci_err(pdev, "type-2: devm_cxl_probe_mem: %d%s\n", ret, ret != -ENXIO ? "" :
			" (no committed region: did firmware commit the decoders?)");
		return ret;
	}
	if (range_len(hpa) != capacity) {
		pci_err(pdev, "type-2: region %pra is not the device's %llu MiB\n", hpa,
			capacity >> 20);
		return -ENXIO;
	}
	pci_info(pdev, "type-2: memdev attached to committed region %pra\n", hpa);
	return 0;
}

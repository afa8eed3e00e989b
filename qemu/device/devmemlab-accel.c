// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmemlab-accel: a PCIe "processing accelerator" with device memory and a
 * DMA copy engine, for testing Linux device-memory (ZONE_DEVICE) drivers.
 *
 * BAR0: registers; BAR2: device memory (a memory backend, 64-bit
 * prefetchable); BAR4: MSI-X table and PBA. The copy engine walks a ring of
 * descriptors in guest memory, copies with pci_dma_read/pci_dma_write (so bus
 * mastering and an IOMMU apply), writes a completion status back into each
 * descriptor and raises MSI-X vector 0 (vector 1 on an error). A copy is done
 * in chunks from a bottom half, at most ACCEL_BUDGET bytes per run, and
 * completes no earlier than latency + len / bandwidth of virtual time after it
 * started (the link model).
 *
 * The register-level description is docs/accel-datasheet.md in devmemlab.
 *
 * Copyright (c) 2026 the devmemlab authors
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qemu/host-utils.h"
#include "qemu/bitops.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/hostmem.h"
#include "qom/object.h"

#define TYPE_DEVMEMLAB_ACCEL "devmemlab-accel"
OBJECT_DECLARE_SIMPLE_TYPE(AccelState, DEVMEMLAB_ACCEL)

#define ACCEL_DEVICE_ID     0x00de
#define ACCEL_CLASS         0x1200      /* processing accelerator */
#define ACCEL_MAGIC         0x414c4d44  /* "DMLA" */
#define ACCEL_VERSION       0x00010000  /* 1.0 */
#define ACCEL_MMIO_SIZE     0x1000
#define ACCEL_VECTORS       2
#define ACCEL_VEC_DONE      0
#define ACCEL_VEC_ERROR     1
#define ACCEL_CHUNK         (256 * KiB)     /* one DMA access */
#define ACCEL_BUDGET        (2 * MiB)       /* bytes copied per bottom-half run */
#define ACCEL_RUN_DESCS     64              /* descriptors taken per run */
#define ACCEL_RING_MAX      4096
#define ACCEL_DESC_SIZE     32

/* registers (BAR0) */
#define REG_MAGIC           0x00
#define REG_VERSION         0x04
#define REG_CAPS            0x08
#define REG_MEM_SIZE        0x10        /* 64-bit */
#define REG_LINK_BW         0x18        /* 64-bit, bytes per second, 0: none */
#define REG_LINK_LAT        0x20        /* ns */
#define REG_RING_BASE       0x40        /* 64-bit */
#define REG_RING_SIZE       0x48
#define REG_CTRL            0x50
#define REG_STATUS          0x54
#define REG_HEAD            0x58
#define REG_DOORBELL        0x5c        /* the tail */
#define REG_COMPLETED       0x60        /* 64-bit */
#define REG_IRQ_STATUS      0x68        /* write 1 to clear */
#define REG_ERR_COUNT       0x80        /* any write clears the error log */
#define REG_ERR_CODE        0x84
#define REG_ERR_INDEX       0x88
#define REG_ERR_ADDR        0x90        /* 64-bit */
#define REG_DBG_FAIL        0xc0
#define REG_DBG_STALL       0xc4
#define REG_DBG_POISON_OFF  0xc8        /* 64-bit */
#define REG_DBG_POISON_LEN  0xd0        /* 64-bit; writing it sets the range */

#define CAP_ENGINE          (1u << 0)
#define CAP_LINK_MODEL      (1u << 1)
#define CAP_FAULT_INJECT    (1u << 2)
#define CAP_MSIX            (1u << 3)

#define CTRL_ENABLE         (1u << 0)
#define CTRL_RESET          (1u << 1)
#define CTRL_IRQ_ENABLE     (1u << 2)

#define STATUS_ENABLED      (1u << 0)
#define STATUS_BUSY         (1u << 1)
#define STATUS_STALLED      (1u << 2)
#define STATUS_HALTED       (1u << 3)

#define IRQ_DONE            (1u << 0)
#define IRQ_ERROR           (1u << 1)

/* descriptor: src, dst (u64), len, flags, status, tag (u32) */
#define DESC_STATUS         0x18
#define DFLAG_SRC_DEV       (1u << 0)
#define DFLAG_DST_DEV       (1u << 1)
#define DFLAG_IRQ           (1u << 2)
#define DFLAG_MASK          (DFLAG_SRC_DEV | DFLAG_DST_DEV | DFLAG_IRQ)

#define DSTATUS_DONE        (1u << 31)
enum {
    ERR_OK = 0,
    ERR_SRC = 1,        /* source outside device memory or not reachable */
    ERR_DST = 2,        /* destination likewise */
    ERR_LEN = 3,        /* zero length */
    ERR_FLAGS = 4,      /* unknown flag bits */
    ERR_INJECTED = 5,   /* DBG_FAIL */
    ERR_POISON = 6,     /* source overlaps the poisoned range */
    ERR_RING = 7,       /* descriptor fetch or write-back failed: halted */
    ERR_DOORBELL = 8,   /* doorbell >= ring size, or ring set up wrongly */
};

typedef struct AccelDesc {
    uint64_t src;
    uint64_t dst;
    uint32_t len;
    uint32_t flags;
    uint32_t status;
    uint32_t tag;
} AccelDesc;

struct AccelState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    HostMemoryBackend *hostmem;
    MemoryRegion *devmem;
    uint8_t *devmem_ptr;
    uint64_t devmem_size;

    /* link model: properties */
    uint64_t bandwidth;         /* bytes per second, 0: unlimited */
    uint64_t latency;           /* ns */

    QEMUBH *bh;
    QEMUTimer timer;

    /* engine: from ring_base to the end, all zero after a reset */
    uint64_t ring_base;
    uint32_t ring_size;
    uint32_t ctrl;
    uint32_t halted;
    uint32_t head;
    uint32_t tail;
    uint64_t completed;
    uint32_t irq_status;
    bool active;                /* cur holds a descriptor in flight */
    AccelDesc cur;
    uint64_t done;              /* bytes of cur copied */
    int64_t deadline;           /* virtual ns: link model's completion time */
    int64_t link_free;          /* virtual ns: when the link is free again */

    /* error log */
    uint32_t err_count;
    uint32_t err_code;
    uint32_t err_index;
    uint64_t err_addr;

    /* fault injection */
    uint32_t dbg_fail;
    uint32_t dbg_stall;
    uint64_t poison_off;
    uint64_t poison_len;
};

static void accel_irq(AccelState *s, uint32_t bit, unsigned vector)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    s->irq_status |= bit;
    if ((s->ctrl & CTRL_IRQ_ENABLE) && msix_enabled(pdev)) {
        msix_notify(pdev, vector);
    }
}

static void accel_log_error(AccelState *s, uint32_t code, uint64_t addr)
{
    s->err_count++;
    s->err_code = code;
    s->err_index = s->head;
    s->err_addr = addr;
}

/* [off, off + len) inside device memory, without overflow */
static bool accel_in_devmem(AccelState *s, uint64_t off, uint64_t len)
{
    return off <= s->devmem_size && len <= s->devmem_size - off;
}

/* [off, off + len), already inside device memory, meets the poisoned range */
static bool accel_poisoned(AccelState *s, uint64_t off, uint64_t len)
{
    uint64_t plen = MIN(s->poison_len, UINT64_MAX - s->poison_off);

    return plen && off < s->poison_off + plen && s->poison_off < off + len;
}

/*
 * virtual ns the link needs for len bytes: len * 10^9 / bandwidth in 128
 * bits (muldiv64() takes a 32-bit divisor, and links are faster than 4 GB/s)
 */
static int64_t accel_link_ns(AccelState *s, uint64_t len)
{
    uint64_t lo, hi;

    if (!s->bandwidth) {
        return 0;
    }
    mulu64(&lo, &hi, len, NANOSECONDS_PER_SECOND);
    divu128(&lo, &hi, s->bandwidth);
    return hi ? INT64_MAX : MIN(lo, INT64_MAX);
}

/* Check a loaded descriptor; ERR_OK or why it fails without copying */
static uint32_t accel_check(AccelState *s, AccelDesc *d, uint64_t *addr)
{
    if (d->flags & ~DFLAG_MASK) {
        *addr = d->flags;
        return ERR_FLAGS;
    }
    if (!d->len) {
        *addr = 0;
        return ERR_LEN;
    }
    if ((d->flags & DFLAG_SRC_DEV) && !accel_in_devmem(s, d->src, d->len)) {
        *addr = d->src;
        return ERR_SRC;
    }
    if ((d->flags & DFLAG_DST_DEV) && !accel_in_devmem(s, d->dst, d->len)) {
        *addr = d->dst;
        return ERR_DST;
    }
    if ((d->flags & DFLAG_SRC_DEV) && accel_poisoned(s, d->src, d->len)) {
        *addr = d->src;
        return ERR_POISON;
    }
    if (s->dbg_fail) {
        s->dbg_fail--;
        *addr = 0;
        return ERR_INJECTED;
    }
    return ERR_OK;
}

/*
 * Copy one chunk of the current descriptor; ERR_OK or the failing side.
 * Device memory is read or written in place: one copy per chunk, and a
 * bounce buffer only between two bus addresses.
 */
static uint32_t accel_copy_chunk(AccelState *s, uint64_t *addr, uint64_t *copied)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    AccelDesc *d = &s->cur;
    uint64_t n = MIN(ACCEL_CHUNK, d->len - s->done);
    uint64_t src = d->src + s->done, dst = d->dst + s->done;
    g_autofree uint8_t *buf = NULL;

    *copied = n;
    switch (d->flags & (DFLAG_SRC_DEV | DFLAG_DST_DEV)) {
    case DFLAG_SRC_DEV | DFLAG_DST_DEV:
        memmove(s->devmem_ptr + dst, s->devmem_ptr + src, n);
        break;
    case DFLAG_SRC_DEV:
        if (pci_dma_write(pdev, dst, s->devmem_ptr + src, n) != MEMTX_OK) {
            *addr = dst;
            return ERR_DST;
        }
        break;
    case DFLAG_DST_DEV:
        if (pci_dma_read(pdev, src, s->devmem_ptr + dst, n) != MEMTX_OK) {
            *addr = src;
            return ERR_SRC;
        }
        break;
    default:
        buf = g_malloc(n);
        if (pci_dma_read(pdev, src, buf, n) != MEMTX_OK) {
            *addr = src;
            return ERR_SRC;
        }
        if (pci_dma_write(pdev, dst, buf, n) != MEMTX_OK) {
            *addr = dst;
            return ERR_DST;
        }
    }
    s->done += n;
    return ERR_OK;
}

/* Finish the current descriptor: status written back, head moves, IRQ */
static void accel_complete(AccelState *s, uint32_t code, uint64_t addr)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t at = s->ring_base + (uint64_t)s->head * ACCEL_DESC_SIZE;

    s->active = false;
    if (code != ERR_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: descriptor %u (src 0x%" PRIx64
                      " dst 0x%" PRIx64 " len %u flags 0x%x) failed: "
                      "error %u at 0x%" PRIx64 "\n", TYPE_DEVMEMLAB_ACCEL,
                      s->head, s->cur.src, s->cur.dst, s->cur.len,
                      s->cur.flags, code, addr);
        accel_log_error(s, code, addr);
    }
    if (stl_le_pci_dma(pdev, at + DESC_STATUS, DSTATUS_DONE | code,
                       MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: completion write-back to 0x%"
                      PRIx64 " failed: engine halted\n",
                      TYPE_DEVMEMLAB_ACCEL, at + DESC_STATUS);
        accel_log_error(s, ERR_RING, at + DESC_STATUS);
        s->halted = 1;
        accel_irq(s, IRQ_ERROR, ACCEL_VEC_ERROR);
        return;
    }
    s->head = (s->head + 1) % s->ring_size;
    s->completed++;
    if (code != ERR_OK) {
        accel_irq(s, IRQ_ERROR, ACCEL_VEC_ERROR);
    } else if (s->cur.flags & DFLAG_IRQ) {
        accel_irq(s, IRQ_DONE, ACCEL_VEC_DONE);
    }
}

/* Fetch the descriptor at head; false if the engine halted */
static bool accel_fetch(AccelState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t at = s->ring_base + (uint64_t)s->head * ACCEL_DESC_SIZE;
    uint8_t raw[ACCEL_DESC_SIZE];
    uint64_t addr;
    uint32_t code;

    if (pci_dma_read(pdev, at, raw, sizeof(raw)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: descriptor fetch from 0x%" PRIx64
                      " failed: engine halted\n", TYPE_DEVMEMLAB_ACCEL, at);
        accel_log_error(s, ERR_RING, at);
        s->halted = 1;
        accel_irq(s, IRQ_ERROR, ACCEL_VEC_ERROR);
        return false;
    }
    s->cur.src = ldq_le_p(raw);
    s->cur.dst = ldq_le_p(raw + 8);
    s->cur.len = ldl_le_p(raw + 16);
    s->cur.flags = ldl_le_p(raw + 20);
    s->active = true;
    s->done = 0;
    code = accel_check(s, &s->cur, &addr);
    if (code != ERR_OK) {
        accel_complete(s, code, addr);
        return !s->halted;
    }
    /* the link carries one descriptor after the other */
    s->link_free = MAX(s->link_free, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL)) +
                   s->latency + accel_link_ns(s, s->cur.len);
    s->deadline = s->link_free;
    return true;
}

/*
 * The engine: up to ACCEL_BUDGET bytes and ACCEL_RUN_DESCS descriptors per
 * run, then yield to the main loop (the bottom half runs again), so a long
 * copy never holds the vCPUs for long. A copied descriptor completes once
 * its link-model deadline has passed; the timer is armed only if it has not
 * passed yet.
 */
static void accel_run(void *opaque)
{
    AccelState *s = opaque;
    uint64_t budget = ACCEL_BUDGET, addr, n;
    unsigned descs = ACCEL_RUN_DESCS;
    uint32_t code;

    for (;;) {
        if (!(s->ctrl & CTRL_ENABLE) || s->halted || s->dbg_stall) {
            return;
        }
        if (!s->active) {
            if (s->head == s->tail) {
                return;
            }
            if (!descs-- || !budget) {
                qemu_bh_schedule(s->bh);
                return;
            }
            if (!accel_fetch(s)) {
                return;
            }
            continue;       /* copy it, or it failed its checks: the next */
        }
        if (s->done < s->cur.len) {
            if (!budget) {
                qemu_bh_schedule(s->bh);
                return;
            }
            code = accel_copy_chunk(s, &addr, &n);
            budget -= MIN(budget, n);
            if (code != ERR_OK) {
                accel_complete(s, code, addr);
            }
            continue;
        }
        if (qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) < s->deadline) {
            timer_mod(&s->timer, s->deadline);
            return;
        }
        accel_complete(s, ERR_OK, 0);
    }
}

static void accel_engine_reset(AccelState *s)
{
    qemu_bh_cancel(s->bh);
    timer_del(&s->timer);
    memset(&s->ring_base, 0, sizeof(*s) - offsetof(AccelState, ring_base));
}

static void accel_doorbell(AccelState *s, uint32_t tail)
{
    if (!s->ring_size || tail >= s->ring_size) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: doorbell %u with ring size %u: "
                      "engine halted\n", TYPE_DEVMEMLAB_ACCEL, tail,
                      s->ring_size);
        accel_log_error(s, ERR_DOORBELL, tail);
        s->halted = 1;
        accel_irq(s, IRQ_ERROR, ACCEL_VEC_ERROR);
        return;
    }
    s->tail = tail;
    qemu_bh_schedule(s->bh);
}

static uint64_t accel_reg_read(AccelState *s, hwaddr reg)
{
    switch (reg) {
    case REG_MAGIC:
        return ACCEL_MAGIC | ((uint64_t)ACCEL_VERSION << 32);
    case REG_CAPS:
        return CAP_ENGINE | CAP_LINK_MODEL | CAP_FAULT_INJECT | CAP_MSIX;
    case REG_MEM_SIZE:
        return s->devmem_size;
    case REG_LINK_BW:
        return s->bandwidth;
    case REG_LINK_LAT:
        return s->latency;
    case REG_RING_BASE:
        return s->ring_base;
    case REG_RING_SIZE:
        return s->ring_size;
    case REG_CTRL:
        return s->ctrl |
               ((uint64_t)((s->ctrl & CTRL_ENABLE ? STATUS_ENABLED : 0) |
                           (s->active ? STATUS_BUSY : 0) |
                           (s->dbg_stall ? STATUS_STALLED : 0) |
                           (s->halted ? STATUS_HALTED : 0)) << 32);
    case REG_HEAD:
        return s->head | ((uint64_t)s->tail << 32);
    case REG_COMPLETED:
        return s->completed;
    case REG_IRQ_STATUS:
        return s->irq_status;
    case REG_ERR_COUNT:
        return s->err_count | ((uint64_t)s->err_code << 32);
    case REG_ERR_INDEX:
        return s->err_index;
    case REG_ERR_ADDR:
        return s->err_addr;
    case REG_DBG_FAIL:
        return s->dbg_fail | ((uint64_t)s->dbg_stall << 32);
    case REG_DBG_POISON_OFF:
        return s->poison_off;
    case REG_DBG_POISON_LEN:
        return s->poison_len;
    }
    return 0;
}

/* Registers are read as aligned 64-bit words; a 32-bit read takes a half. */
static uint64_t accel_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    uint64_t val = accel_reg_read(opaque, addr & ~7ULL);

    if (size == 4) {
        return addr & 4 ? val >> 32 : (uint32_t)val;
    }
    return addr & 4 ? 0 : val;
}

/* a 64-bit register written whole or one half at a time */
static void accel_write64(uint64_t *reg, hwaddr addr, uint64_t val,
                          unsigned size)
{
    if (size == 8) {
        *reg = val;
    } else if (addr & 4) {
        *reg = deposit64(*reg, 32, 32, val);
    } else {
        *reg = deposit64(*reg, 0, 32, val);
    }
}

static void accel_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    AccelState *s = opaque;

    if (size == 8 && (addr & 4)) {
        return;
    }
    switch (addr) {
    case REG_RING_BASE:
    case REG_RING_BASE + 4:
        if (s->ctrl & CTRL_ENABLE) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: RING_BASE written while "
                          "enabled: ignored\n", TYPE_DEVMEMLAB_ACCEL);
            return;
        }
        accel_write64(&s->ring_base, addr, val, size);
        return;
    case REG_RING_SIZE:
        if (s->ctrl & CTRL_ENABLE) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: RING_SIZE written while "
                          "enabled: ignored\n", TYPE_DEVMEMLAB_ACCEL);
            return;
        }
        if (!is_power_of_2(val) || val > ACCEL_RING_MAX) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: RING_SIZE %" PRIu64 " is not a"
                          " power of two up to %d: ignored\n",
                          TYPE_DEVMEMLAB_ACCEL, val, ACCEL_RING_MAX);
            return;
        }
        s->ring_size = val;
        s->head = s->tail = 0;
        return;
    case REG_CTRL:
        if (val & CTRL_RESET) {
            accel_engine_reset(s);
            return;
        }
        if ((val & CTRL_ENABLE) && !s->ring_size) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: enabled without a ring\n",
                          TYPE_DEVMEMLAB_ACCEL);
            accel_log_error(s, ERR_DOORBELL, 0);
            return;
        }
        s->ctrl = val & (CTRL_ENABLE | CTRL_IRQ_ENABLE);
        qemu_bh_schedule(s->bh);
        return;
    case REG_DOORBELL:
        accel_doorbell(s, val);
        return;
    case REG_IRQ_STATUS:
        s->irq_status &= ~val;
        return;
    case REG_ERR_COUNT:
        s->err_count = 0;
        s->err_code = 0;
        s->err_index = 0;
        s->err_addr = 0;
        return;
    case REG_DBG_FAIL:
        s->dbg_fail = val;
        return;
    case REG_DBG_STALL:
        s->dbg_stall = !!val;
        if (!s->dbg_stall) {
            qemu_bh_schedule(s->bh);
        }
        return;
    case REG_DBG_POISON_OFF:
    case REG_DBG_POISON_OFF + 4:
        accel_write64(&s->poison_off, addr, val, size);
        return;
    case REG_DBG_POISON_LEN:
    case REG_DBG_POISON_LEN + 4:
        accel_write64(&s->poison_len, addr, val, size);
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: write of 0x%" PRIx64 " to read-only "
                  "or unknown register 0x%" HWADDR_PRIx "\n",
                  TYPE_DEVMEMLAB_ACCEL, val, addr);
}

static const MemoryRegionOps accel_mmio_ops = {
    .read = accel_mmio_read,
    .write = accel_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
};

static void accel_timer(void *opaque)
{
    accel_run(opaque);
}

static void accel_realize(PCIDevice *pdev, Error **errp)
{
    AccelState *s = DEVMEMLAB_ACCEL(pdev);
    int i;

    if (!s->hostmem) {
        error_setg(errp, "devmemlab-accel needs a 'memdev'");
        return;
    }
    if (host_memory_backend_is_mapped(s->hostmem)) {
        error_setg(errp, "can't use already busy memdev: %s",
                   object_get_canonical_path_component(OBJECT(s->hostmem)));
        return;
    }
    s->devmem = host_memory_backend_get_memory(s->hostmem);
    s->devmem_size = memory_region_size(s->devmem);
    if (!is_power_of_2(s->devmem_size)) {
        error_setg(errp, "devmemlab-accel: memdev size 0x%" PRIx64
                   " is not a power of two", s->devmem_size);
        return;
    }
    s->devmem_ptr = memory_region_get_ram_ptr(s->devmem);
    host_memory_backend_set_mapped(s->hostmem, true);

    pci_config_set_interrupt_pin(pdev->config, 1);
    if (pci_is_express(pdev)) {
        pcie_endpoint_cap_init(pdev, 0x80);
    }
    memory_region_init_io(&s->mmio, OBJECT(s), &accel_mmio_ops, s,
                          "devmemlab-accel-mmio", ACCEL_MMIO_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
    pci_register_bar(pdev, 2, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_PREFETCH |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, s->devmem);
    if (msix_init_exclusive_bar(pdev, ACCEL_VECTORS, 4, errp)) {
        host_memory_backend_set_mapped(s->hostmem, false);
        return;
    }
    for (i = 0; i < ACCEL_VECTORS; i++) {
        msix_vector_use(pdev, i);
    }
    s->bh = qemu_bh_new_guarded(accel_run, s,
                                &DEVICE(pdev)->mem_reentrancy_guard);
    timer_init_ns(&s->timer, QEMU_CLOCK_VIRTUAL, accel_timer, s);
}

static void accel_exit(PCIDevice *pdev)
{
    AccelState *s = DEVMEMLAB_ACCEL(pdev);

    timer_del(&s->timer);
    qemu_bh_delete(s->bh);
    msix_unuse_all_vectors(pdev);
    msix_uninit_exclusive_bar(pdev);
    host_memory_backend_set_mapped(s->hostmem, false);
}

static void accel_reset(DeviceState *dev)
{
    accel_engine_reset(DEVMEMLAB_ACCEL(dev));
}

static const Property accel_properties[] = {
    DEFINE_PROP_LINK("memdev", AccelState, hostmem, TYPE_MEMORY_BACKEND,
                     HostMemoryBackend *),
    DEFINE_PROP_UINT64("bandwidth", AccelState, bandwidth, 0),
    DEFINE_PROP_UINT64("latency", AccelState, latency, 0),
};

static const VMStateDescription accel_vmstate = {
    .name = TYPE_DEVMEMLAB_ACCEL,
    .unmigratable = 1,
};

static void accel_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = accel_realize;
    k->exit = accel_exit;
    k->vendor_id = PCI_VENDOR_ID_REDHAT;
    k->device_id = ACCEL_DEVICE_ID;
    k->class_id = ACCEL_CLASS;
    k->revision = 1;
    device_class_set_legacy_reset(dc, accel_reset);
    device_class_set_props(dc, accel_properties);
    dc->vmsd = &accel_vmstate;
    dc->desc = "devmemlab accelerator (device memory, DMA copy engine)";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo accel_info = {
    .name          = TYPE_DEVMEMLAB_ACCEL,
    .parent        = TYPE_PCI_DEVICE,
    .instance_size = sizeof(AccelState),
    .class_init    = accel_class_init,
    .interfaces    = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void accel_register_types(void)
{
    type_register_static(&accel_info);
}

type_init(accel_register_types)

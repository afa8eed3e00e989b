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
 * devmemlab-cxl-accel is the same device with a CXL type-2 personality: a
 * CXL.mem device below a cxl-rp whose device memory is reached through one
 * HDM decoder in a CXL fixed memory window instead of BAR2 (which holds the
 * CXL component registers then). With firmware-commit=on it does what
 * platform firmware does for a type-2 device at boot: after every reset it
 * programs and commits (and with firmware-lock=on, locks) a decoder of its
 * host bridge and its own decoder 0 so that the memory sits at the start of
 * the window's free space. While decoder 0 is committed, the decoded range
 * is a RAM alias of the backing memory inside the window: guest accesses run
 * at memory speed, not through the window's per-access MMIO path.
 *
 * The register-level description is docs/accel-datasheet.md and
 * docs/cxl-type2.md in devmemlab.
 *
 * Copyright (c) 2026 the devmemlab authors
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
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
#include "hw/pci/pci_bridge.h"
#include "hw/pci/pcie_port.h"
#include "hw/cxl/cxl.h"
#include "hw/i386/pc.h"
#include "migration/vmstate.h"
#include "system/hostmem.h"
#include "qom/object.h"

#define TYPE_DEVMEMLAB_ACCEL "devmemlab-accel"
OBJECT_DECLARE_SIMPLE_TYPE(AccelState, DEVMEMLAB_ACCEL)
#define TYPE_DEVMEMLAB_CXL_ACCEL "devmemlab-cxl-accel"

#define ACCEL_CXL_DEVICE_ID 0x00df
#define ACCEL_CXL_ROOT_PORT "cxl-rp"          /* QEMU's TYPE_CXL_ROOT_PORT */
#define ACCEL_CXL_COMPONENT_BAR 2           /* the type-2 personality's */
#define ACCEL_CXL_GRANULE   (256 * MiB)     /* HDM decoder granularity */
#define DVSEC_CTRL_MEM_ENABLE   (1u << 2)

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

    /* CXL type-2 personality (devmemlab-cxl-accel) */
    bool cxl;
    bool fw_commit;             /* property firmware-commit */
    bool fw_lock;               /* property firmware-lock */
    CXLComponentState cxl_cstate;
    MemoryRegion hdm_alias;     /* the whole device memory, as RAM */
    MemoryRegion *hdm_window;   /* the window it is mapped in, or NULL */

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

/*
 * CXL type-2 personality. Only decoder 0 exists; its range is the device
 * memory from DPA 0 (no skip), the configuration firmware leaves.
 */
static uint64_t accel_hdm_reg64(uint32_t *regs, int lo)
{
    return ((uint64_t)regs[lo + 1] << 32) | (regs[lo] & 0xf0000000);
}

static CXLFixedWindow *accel_cxl_window(hwaddr base, uint64_t size)
{
    Object *m = object_dynamic_cast(qdev_get_machine(), TYPE_PC_MACHINE);
    GList *it;

    for (it = m ? PC_MACHINE(m)->cxl_devices_state.fixed_windows : NULL;
         it; it = it->next) {
        CXLFixedWindow *fw = it->data;

        if (base >= fw->base && size <= fw->size &&
            base - fw->base <= fw->size - size) {
            return fw;
        }
    }
    return NULL;
}

/* Map the device memory where committed decoder 0 decodes it, or unmap it. */
static void accel_cxl_map_hdm(AccelState *s)
{
    uint32_t *regs = s->cxl_cstate.crb.cache_mem_registers;
    uint32_t ctrl = regs[R_CXL_HDM_DECODER0_CTRL];
    hwaddr base = accel_hdm_reg64(regs, R_CXL_HDM_DECODER0_BASE_LO);
    uint64_t size = accel_hdm_reg64(regs, R_CXL_HDM_DECODER0_SIZE_LO);
    uint64_t skip = accel_hdm_reg64(regs, R_CXL_HDM_DECODER0_DPA_SKIP_LO);
    CXLFixedWindow *fw;

    if (s->hdm_window) {
        memory_region_del_subregion(s->hdm_window, &s->hdm_alias);
        s->hdm_window = NULL;
    }
    if (!FIELD_EX32(ctrl, CXL_HDM_DECODER0_CTRL, COMMITTED) ||
        !ARRAY_FIELD_EX32(regs, CXL_HDM_DECODER_GLOBAL_CONTROL,
                          HDM_DECODER_ENABLE)) {
        return;
    }
    if (size != s->devmem_size || skip ||
        FIELD_EX32(ctrl, CXL_HDM_DECODER0_CTRL, IW)) {
        qemu_log_mask(LOG_UNIMP, "%s: decoder 0 committed with size 0x%"
                      PRIx64 ", skip 0x%" PRIx64 ", ways %u: only the whole "
                      "device memory, no skip, no interleave is mapped\n",
                      TYPE_DEVMEMLAB_CXL_ACCEL, size, skip,
                      (unsigned)FIELD_EX32(ctrl, CXL_HDM_DECODER0_CTRL, IW));
        return;
    }
    fw = accel_cxl_window(base, size);
    if (!fw) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: decoder 0 committed at 0x%"
                      HWADDR_PRIx " (0x%" PRIx64 " bytes), outside every CXL "
                      "fixed memory window: not mapped\n",
                      TYPE_DEVMEMLAB_CXL_ACCEL, base, size);
        return;
    }
    memory_region_add_subregion_overlap(&fw->mr, base - fw->base,
                                        &s->hdm_alias, 1);
    s->hdm_window = &fw->mr;
}

static void accel_cxl_reg_write(void *opaque, hwaddr offset, uint64_t value,
                                unsigned size)
{
    CXLComponentState *cstate = opaque;
    AccelState *s = container_of(cstate, AccelState, cxl_cstate);
    uint32_t *regs = cstate->crb.cache_mem_registers;
    uint32_t ctrl = regs[R_CXL_HDM_DECODER0_CTRL];
    bool commit;

    if (offset >= A_CXL_HDM_DECODER0_BASE_LO &&
        offset <= A_CXL_HDM_DECODER0_DPA_SKIP_HI &&
        FIELD_EX32(ctrl, CXL_HDM_DECODER0_CTRL, COMMITTED) &&
        FIELD_EX32(ctrl, CXL_HDM_DECODER0_CTRL, LOCK_ON_COMMIT)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write 0x%" PRIx64 " to 0x%"
                      HWADDR_PRIx ": HDM decoder 0 is locked\n",
                      TYPE_DEVMEMLAB_CXL_ACCEL, value, offset);
        return;
    }
    if (offset == A_CXL_HDM_DECODER0_CTRL) {
        commit = FIELD_EX32(value, CXL_HDM_DECODER0_CTRL, COMMIT);
        value = FIELD_DP32(value, CXL_HDM_DECODER0_CTRL, ERR, 0);
        value = FIELD_DP32(value, CXL_HDM_DECODER0_CTRL, COMMITTED, commit);
    }
    regs[offset / 4] = value;
    if (offset == A_CXL_HDM_DECODER0_CTRL ||
        offset == A_CXL_HDM_DECODER_GLOBAL_CONTROL) {
        accel_cxl_map_hdm(s);
    }
}

static void accel_hdm_program(uint32_t *regs, int n, hwaddr base,
                              uint64_t size, uint32_t target_or_skip,
                              bool lock)
{
    int inc = R_CXL_HDM_DECODER1_BASE_LO - R_CXL_HDM_DECODER0_BASE_LO;
    uint32_t ctrl = 0;

    regs[R_CXL_HDM_DECODER0_BASE_LO + n * inc] = base & 0xf0000000;
    regs[R_CXL_HDM_DECODER0_BASE_HI + n * inc] = base >> 32;
    regs[R_CXL_HDM_DECODER0_SIZE_LO + n * inc] = size & 0xf0000000;
    regs[R_CXL_HDM_DECODER0_SIZE_HI + n * inc] = size >> 32;
    regs[R_CXL_HDM_DECODER0_TARGET_LIST_LO + n * inc] = target_or_skip;
    regs[R_CXL_HDM_DECODER0_TARGET_LIST_HI + n * inc] = 0;
    /* 1 way, 256 B granularity, device-coherent target (HDM-D: type 2) */
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DECODER0_CTRL, LOCK_ON_COMMIT, lock);
    ctrl = FIELD_DP32(ctrl, CXL_HDM_DECODER0_CTRL, COMMITTED, 1);
    regs[R_CXL_HDM_DECODER0_CTRL + n * inc] = ctrl;
    ARRAY_FIELD_DP32(regs, CXL_HDM_DECODER_GLOBAL_CONTROL,
                     HDM_DECODER_ENABLE, 1);
}

/*
 * What platform firmware does for a type-2 device at boot: the device's
 * memory at the first free address of the window over its host bridge,
 * decoded by a host-bridge decoder (target: the root port) and the
 * endpoint's decoder 0, both committed. Runs in the reset's exit phase,
 * after every device (the host bridge too) has reset its registers.
 */
static void accel_cxl_firmware_commit(AccelState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    PCIDevice *rp = pci_bridge_get_device(pci_get_bus(pdev));
    int inc = R_CXL_HDM_DECODER1_BASE_LO - R_CXL_HDM_DECODER0_BASE_LO;
    uint32_t *hb_regs, *regs = s->cxl_cstate.crb.cache_mem_registers;
    uint16_t dvsec = range_lob(&s->cxl_cstate.dvsecs[PCIE_CXL_DEVICE_DVSEC]);
    CXLFixedWindow *fw = NULL;
    Object *host = NULL;
    CXLHost *hb;
    hwaddr base;
    GList *it;
    Object *m;
    int n;

    if (rp && object_dynamic_cast(OBJECT(rp), ACCEL_CXL_ROOT_PORT)) {
        host = object_dynamic_cast(OBJECT(BUS(pci_get_bus(rp))->parent),
                                   TYPE_PXB_CXL_HOST);
    }
    if (!host) {
        warn_report_once("%s: firmware commit: not below a CXL root port of "
                         "a CXL host bridge: nothing committed",
                         TYPE_DEVMEMLAB_CXL_ACCEL);
        return;
    }
    hb = PXB_CXL_HOST(host);
    if (hb->passthrough) {
        warn_report_once("%s: firmware commit: the host bridge has no HDM "
                         "decoders (pxb-cxl needs hdm_for_passthrough=on): "
                         "nothing committed", TYPE_DEVMEMLAB_CXL_ACCEL);
        return;
    }
    m = object_dynamic_cast(qdev_get_machine(), TYPE_PC_MACHINE);
    for (it = m ? PC_MACHINE(m)->cxl_devices_state.fixed_windows : NULL;
         it && !fw; it = it->next) {
        CXLFixedWindow *w = it->data;

        if (w->num_targets == 1 && w->target_hbs[0]->cxl_host_bridge == hb) {
            fw = w;
        }
    }
    if (!fw) {
        warn_report_once("%s: firmware commit: no non-interleaved CXL fixed "
                         "memory window over its host bridge: nothing "
                         "committed", TYPE_DEVMEMLAB_CXL_ACCEL);
        return;
    }
    /* the host bridge's next free decoder, above what is committed */
    hb_regs = hb->cxl_cstate.crb.cache_mem_registers;
    base = fw->base;
    for (n = 0; n < CXL_HDM_DECODER_COUNT; n++) {
        if (!FIELD_EX32(hb_regs[R_CXL_HDM_DECODER0_CTRL + n * inc],
                        CXL_HDM_DECODER0_CTRL, COMMITTED)) {
            break;
        }
        base = accel_hdm_reg64(hb_regs, R_CXL_HDM_DECODER0_BASE_LO + n * inc) +
               accel_hdm_reg64(hb_regs, R_CXL_HDM_DECODER0_SIZE_LO + n * inc);
    }
    if (n == CXL_HDM_DECODER_COUNT || base < fw->base ||
        base - fw->base > fw->size || fw->base + fw->size - base <
        s->devmem_size) {
        warn_report_once("%s: firmware commit: no free decoder or no room "
                         "for 0x%" PRIx64 " bytes in the window at 0x%"
                         HWADDR_PRIx ": nothing committed",
                         TYPE_DEVMEMLAB_CXL_ACCEL, s->devmem_size, fw->base);
        return;
    }
    accel_hdm_program(hb_regs, n, base, s->devmem_size,
                      PCIE_PORT(rp)->port, s->fw_lock);
    accel_hdm_program(regs, 0, base, s->devmem_size, 0, s->fw_lock);
    /* CXL.mem enabled; DVSEC range 1 says where, as firmware leaves it */
    pci_set_word(pdev->config + dvsec + offsetof(CXLDVSECDevice, ctrl),
                 pci_get_word(pdev->config + dvsec +
                              offsetof(CXLDVSECDevice, ctrl)) |
                 DVSEC_CTRL_MEM_ENABLE);
    pci_set_long(pdev->config + dvsec + offsetof(CXLDVSECDevice, range1_base_hi),
                 base >> 32);
    pci_set_long(pdev->config + dvsec + offsetof(CXLDVSECDevice, range1_base_lo),
                 base & 0xf0000000);
    accel_cxl_map_hdm(s);
}

static void accel_cxl_build_dvsecs(AccelState *s)
{
    CXLComponentState *cstate = &s->cxl_cstate;
    uint64_t size = s->devmem_size;

    /*
     * CXL device: Cache, IO and Mem capable, HwInit, one HDM range; range 1
     * = the device memory, info valid and active (class and type as
     * QEMU's cxl-type3 says them).
     */
    cxl_component_create_dvsec(cstate, CXL2_DEVICE,
                               PCIE_CXL_DEVICE_DVSEC_LENGTH,
                               PCIE_CXL_DEVICE_DVSEC,
                               PCIE_CXL31_DEVICE_DVSEC_REVID,
                               (uint8_t *)&(CXLDVSECDevice){
        .cap = 0x1f,
        .ctrl = 0x2,
        .status2 = 0x2,
        .range1_size_hi = size >> 32,
        .range1_size_lo = (2 << 5) | (2 << 2) | 0x3 | (size & 0xf0000000),
    });
    cxl_component_create_dvsec(cstate, CXL2_DEVICE, REG_LOC_DVSEC_LENGTH,
                               REG_LOC_DVSEC, REG_LOC_DVSEC_REVID,
                               (uint8_t *)&(CXLDVSECRegisterLocator){
        .reg0_base_lo = RBI_COMPONENT_REG | ACCEL_CXL_COMPONENT_BAR,
    });
    /* Flex Bus port: Cache, IO, Mem, 68B flit, trained as such */
    cxl_component_create_dvsec(cstate, CXL2_DEVICE,
                               PCIE_CXL3_FLEXBUS_PORT_DVSEC_LENGTH,
                               PCIE_FLEXBUS_PORT_DVSEC,
                               PCIE_CXL3_FLEXBUS_PORT_DVSEC_REVID,
                               (uint8_t *)&(CXLDVSECPortFlexBus){
        .cap = 0x27,
        .ctrl = 0x07,
        .status = 0x27,
    });
}

static bool accel_cxl_realize(AccelState *s, Error **errp)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    ComponentRegisters *cregs = &s->cxl_cstate.crb;

    if (s->devmem_size % ACCEL_CXL_GRANULE) {
        error_setg(errp, "%s: memdev size 0x%" PRIx64 " is not a multiple "
                   "of 256 MiB (an HDM decoder's granularity)",
                   TYPE_DEVMEMLAB_CXL_ACCEL, s->devmem_size);
        return false;
    }
    s->cxl_cstate.pdev = pdev;
    s->cxl_cstate.dvsec_offset = 0x100;
    accel_cxl_build_dvsecs(s);
    cregs->special_ops = g_new0(MemoryRegionOps, 1);
    cregs->special_ops->write = accel_cxl_reg_write;
    cxl_component_register_block_init(OBJECT(s), &s->cxl_cstate,
                                      TYPE_DEVMEMLAB_CXL_ACCEL);
    pci_register_bar(pdev, ACCEL_CXL_COMPONENT_BAR,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64,
                     &cregs->component_registers);
    memory_region_init_alias(&s->hdm_alias, OBJECT(s),
                             "devmemlab-cxl-accel-hdm", s->devmem, 0,
                             s->devmem_size);
    return true;
}

static void accel_cxl_reset(AccelState *s)
{
    uint32_t *regs = s->cxl_cstate.crb.cache_mem_registers;

    /* RAS, link and HDM capabilities (the type-3 layout), one decoder */
    cxl_component_register_init_common(regs,
                                       s->cxl_cstate.crb.cache_mem_regs_write_mask,
                                       CXL2_TYPE3_DEVICE);
    ARRAY_FIELD_DP32(regs, CXL_HDM_DECODER_CAPABILITY, DECODER_COUNT,
                     cxl_decoder_count_enc(1));
    accel_cxl_map_hdm(s);
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
    if (s->cxl) {
        /* BAR2: component registers; the memory is reached through HDM */
        if (!pci_is_express(pdev)) {
            error_setg(errp, "%s must sit on a PCIe (CXL) port",
                       TYPE_DEVMEMLAB_CXL_ACCEL);
            host_memory_backend_set_mapped(s->hostmem, false);
            return;
        }
        if (!accel_cxl_realize(s, errp)) {
            host_memory_backend_set_mapped(s->hostmem, false);
            return;
        }
    } else {
        pci_register_bar(pdev, 2, PCI_BASE_ADDRESS_SPACE_MEMORY |
                         PCI_BASE_ADDRESS_MEM_PREFETCH |
                         PCI_BASE_ADDRESS_MEM_TYPE_64, s->devmem);
    }
    if (msix_init_exclusive_bar(pdev, ACCEL_VECTORS, 4, errp)) {
        g_free(s->cxl_cstate.crb.special_ops);
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
    if (s->hdm_window) {
        memory_region_del_subregion(s->hdm_window, &s->hdm_alias);
        s->hdm_window = NULL;
    }
    g_free(s->cxl_cstate.crb.special_ops);
    host_memory_backend_set_mapped(s->hostmem, false);
}

static void accel_reset_hold(Object *obj, ResetType type)
{
    AccelState *s = DEVMEMLAB_ACCEL(obj);

    accel_engine_reset(s);
    if (s->cxl) {
        accel_cxl_reset(s);
    }
}

/* after every device's hold phase: the host bridge's registers are reset */
static void accel_reset_exit(Object *obj, ResetType type)
{
    AccelState *s = DEVMEMLAB_ACCEL(obj);

    if (s->cxl && s->fw_commit) {
        accel_cxl_firmware_commit(s);
    }
}

static const Property accel_properties[] = {
    DEFINE_PROP_LINK("memdev", AccelState, hostmem, TYPE_MEMORY_BACKEND,
                     HostMemoryBackend *),
    DEFINE_PROP_UINT64("bandwidth", AccelState, bandwidth, 0),
    DEFINE_PROP_UINT64("latency", AccelState, latency, 0),
};

static const Property accel_cxl_properties[] = {
    DEFINE_PROP_BOOL("firmware-commit", AccelState, fw_commit, false),
    DEFINE_PROP_BOOL("firmware-lock", AccelState, fw_lock, true),
};

static const VMStateDescription accel_vmstate = {
    .name = TYPE_DEVMEMLAB_ACCEL,
    .unmigratable = 1,
};

static void accel_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = accel_realize;
    k->exit = accel_exit;
    k->vendor_id = PCI_VENDOR_ID_REDHAT;
    k->device_id = ACCEL_DEVICE_ID;
    k->class_id = ACCEL_CLASS;
    k->revision = 1;
    rc->phases.hold = accel_reset_hold;
    rc->phases.exit = accel_reset_exit;
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

static void accel_cxl_instance_init(Object *obj)
{
    DEVMEMLAB_ACCEL(obj)->cxl = true;
}

static void accel_cxl_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->device_id = ACCEL_CXL_DEVICE_ID;
    device_class_set_props(dc, accel_cxl_properties);
    dc->desc = "devmemlab accelerator, CXL type-2 (HDM memory, DMA copy "
               "engine)";
}

static const TypeInfo accel_cxl_info = {
    .name          = TYPE_DEVMEMLAB_CXL_ACCEL,
    .parent        = TYPE_DEVMEMLAB_ACCEL,
    .instance_init = accel_cxl_instance_init,
    .class_init    = accel_cxl_class_init,
    .interfaces    = (InterfaceInfo[]) {
        { INTERFACE_CXL_DEVICE },
        { }
    },
};

static void accel_register_types(void)
{
    type_register_static(&accel_info);
    type_register_static(&accel_cxl_info);
}

type_init(accel_register_types)

/* fault.c — the supervisor's page-fault handler, frame replacement and the swap file.
 *
 * A fault is served in supervisor mode, in this order: a demand-zero page gets a zeroed
 * frame; a swapped page gets a frame and its bytes back from the swap file (its slot is then
 * free again); anything else is a true fault for the hook (not present, or a protection
 * violation), which runs in the mode the access was made in.
 *
 * When no frame is free, a victim is chosen among the resident user frames (never a page
 * table, never a frame pinned by a recent hm_span):
 *   fifo   the oldest mapped frame;
 *   clock  the resident list as a circle with a hand: a frame whose A bit is set gets a second
 *          chance (A cleared, its TLB entry dropped so the next access walks and sets A again);
 *          the first frame found with A clear is the victim;
 *   lru    an approximation by aging: at every eviction each frame's 8-bit age is shifted
 *          right and A moved into its top bit (then cleared, entry dropped); the frame with the
 *          lowest age, oldest first on ties, is the victim.
 * The victim's bytes go to a free slot of the swap file (an unlinked temporary file, grown a
 * page at a time), its PTE becomes "swapped, slot N" with its permissions kept, and its TLB
 * entry is dropped. When nothing can be evicted, or the swap file cannot be written, the hook
 * is called with HM_FAULT_OUT_OF_MEMORY.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hm_int.h"
#include "trace.h"

void hm__swap_init(hmachine *m)
{
    m->swap = calloc(1, sizeof *m->swap);
    if (m->swap)
        m->swap->fd = -1;
}

void hm__swap_destroy(hmachine *m)
{
    struct hm_swap *s = m->swap;
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->free);
    free(s);
    m->swap = NULL;
}

/* A free slot (the file grows by one page when none is free); false when none can be had. */
static bool slot_take(hmachine *m, uint64_t *slot)
{
    struct hm_swap *s = m->swap;
    if (!s)
        return false;
    if (s->nfree) {
        *slot = s->free[--s->nfree];
        return true;
    }
    if (s->fd < 0) {
        FILE *f = tmpfile();
        if (!f)
            return false;
        s->fd = dup(fileno(f));
        fclose(f);
        if (s->fd < 0)
            return false;
    }
    if (s->nslots >= PTE_ADDR >> HM_PAGE_SHIFT)
        return false;
    *slot = s->nslots++;
    return true;
}

static void slot_give(hmachine *m, uint64_t slot)
{
    struct hm_swap *s = m->swap;
    if (s->nfree == s->cap) {
        uint64_t cap = s->cap ? 2 * s->cap : 64;
        uint64_t *p = realloc(s->free, cap * sizeof *p);
        if (!p)
            return; /* the slot is lost to reuse; the file only grows a little more */
        s->free = p;
        s->cap = cap;
    }
    s->free[s->nfree++] = slot;
}

void hm__swap_drop(hmachine *m, uint64_t pte) { slot_give(m, (pte & PTE_ADDR) >> HM_PAGE_SHIFT); }

/* Write `len` bytes at `off` of the swap file, or read them; false on any failure. */
static bool swap_io(int fd, bool write, uint8_t *p, uint64_t off)
{
    uint64_t done = 0;
    while (done < HM_PAGE_SIZE) {
        ssize_t r = write ? pwrite(fd, p + done, HM_PAGE_SIZE - done, (off_t)(off + done))
                          : pread(fd, p + done, HM_PAGE_SIZE - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        done += (uint64_t)r;
    }
    return true;
}

/* Take the A bit of a resident frame's PTE (clearing it and dropping the TLB entry, so the
 * next access walks and sets it again). */
static bool take_accessed(hmachine *m, uint64_t pfn)
{
    uint64_t vpn = m->phys->f[pfn].vpn;
    uint64_t *e = hm__leaf(m, vpn, false);
    if (!e || !(*e & PTE_A))
        return false;
    *e &= ~PTE_A;
    hm_invlpg(m, vpn << HM_PAGE_SHIFT);
    return true;
}

static uint64_t victim_fifo(hmachine *m)
{
    struct hm_phys *p = m->phys;
    for (uint32_t f = p->f[0].next; f; f = p->f[f].next)
        if (!p->f[f].pins)
            return f;
    return 0;
}

static uint64_t victim_clock(hmachine *m)
{
    struct hm_phys *p = m->phys;
    /* Two full turns: the first may only clear A bits. */
    for (uint64_t step = 0; step <= 2 * p->resident + 1; step++) {
        uint32_t f = p->hand ? p->hand : p->f[0].next;
        if (!f)
            return 0;
        p->hand = p->f[f].next;
        if (p->f[f].pins || take_accessed(m, f))
            continue;
        return f;
    }
    return 0;
}

static uint64_t victim_lru(hmachine *m)
{
    struct hm_phys *p = m->phys;
    uint64_t best = 0;
    unsigned best_age = 256;
    for (uint32_t f = p->f[0].next; f; f = p->f[f].next) {
        hm_frame *fr = &p->f[f];
        fr->age = (uint8_t)(fr->age >> 1 | (take_accessed(m, f) ? 0x80 : 0));
        if (!fr->pins && fr->age < best_age) {
            best_age = fr->age;
            best = f;
        }
    }
    return best;
}

/* Write one resident frame to swap and free it. False when the swap file failed. */
static bool evict(hmachine *m, uint64_t pfn)
{
    uint64_t vpn = m->phys->f[pfn].vpn, slot;
    uint64_t *e = hm__leaf(m, vpn, false);
    if (!e || !slot_take(m, &slot))
        return false;
    if (!swap_io(m->swap->fd, true, hm__frame(m, pfn), slot << HM_PAGE_SHIFT)) {
        slot_give(m, slot);
        return false;
    }
    *e = (slot << HM_PAGE_SHIFT) | PTE_SWAP | (*e & PTE_PERM);
    hm_invlpg(m, vpn << HM_PAGE_SHIFT);
    hm__frame_free(m, pfn);
    m->stats[HM_STAT_swap_outs]++;
    return true;
}

uint64_t hm__frame_get(hmachine *m, hm_frame_kind kind, uint64_t vpn)
{
    uint64_t pfn = hm__frame_take(m, kind, vpn);
    if (pfn)
        return pfn;
    uint64_t victim;
    switch (m->cfg.policy) {
    case HM_SWAP_FIFO:
        victim = victim_fifo(m);
        break;
    case HM_SWAP_LRU:
        victim = victim_lru(m);
        break;
    default:
        victim = victim_clock(m);
        break;
    }
    if (!victim || !evict(m, victim))
        return 0;
    return hm__frame_take(m, kind, vpn);
}

/* Hand a fault the supervisor cannot serve to the hook, in the mode of the access. */
static void to_hook(hmachine *m, gaddr a, hm_access access, hm_fault_kind kind, hm_mode mode)
{
    m->mode = mode;
    if (m->fault && m->fault(m->fault_ctx, a, access, kind))
        return;
    /* The hook neither retried nor threw: nothing safe is left to do. */
    fprintf(stderr, "holt: internal error: unhandled page fault at 0x%llx\n", (unsigned long long)a);
    abort();
}

void hm__fault(hmachine *m, gaddr a, hm_access access, uint64_t *pte)
{
    hm_mode mode = m->mode;
    m->mode = HM_SUPER_MODE;
    m->stats[HM_STAT_page_faults]++;
    uint64_t v = pte ? *pte : 0, vpn = a >> HM_PAGE_SHIFT;
    /* Observers first (trace.h), then the Holt supervisor for the program's range; after Holt
     * code ran the tables may have changed, so the entry is looked up again. */
    const uint64_t ev[4] = {a, access, v & PTE_P ? HM_FAULT_PROTECTION : HM_FAULT_NOT_PRESENT, mode};
    hm_trace(m, HM_TRACE_FAULT, ev);
    if (m->super_fault && a >= HM_USER_BASE && a < HM_USER_END) {
        if (m->super_fault(m->super_ctx, a, access, (hm_fault_kind)ev[2])) {
            m->mode = mode;
            return;
        }
        pte = hm__leaf(m, vpn, false);
        v = pte ? *pte : 0;
    }
    if (!(v & PTE_P) && (v & (PTE_DZ | PTE_SWAP))) {
        uint64_t pfn = hm__frame_get(m, HM_FRAME_USER, vpn);
        if (!pfn) {
            to_hook(m, a, access, HM_FAULT_OUT_OF_MEMORY, mode);
            return;
        }
        if (v & PTE_SWAP) {
            uint64_t slot = (v & PTE_ADDR) >> HM_PAGE_SHIFT;
            if (!swap_io(m->swap->fd, false, hm__frame(m, pfn), slot << HM_PAGE_SHIFT)) {
                hm__frame_free(m, pfn);
                to_hook(m, a, access, HM_FAULT_OUT_OF_MEMORY, mode);
                return;
            }
            slot_give(m, slot);
            m->stats[HM_STAT_swap_ins]++;
            m->stats[HM_STAT_faults_swap]++;
        } else {
            m->stats[HM_STAT_faults_demand_zero]++;
        }
        *pte = (pfn << HM_PAGE_SHIFT) | PTE_P | (v & PTE_PERM);
        m->mode = mode;
        return;
    }
    if (v & PTE_P) {
        m->stats[HM_STAT_faults_protection]++;
        to_hook(m, a, access, HM_FAULT_PROTECTION, mode);
    } else {
        m->stats[HM_STAT_faults_unmapped]++;
        to_hook(m, a, access, HM_FAULT_NOT_PRESENT, mode);
    }
}

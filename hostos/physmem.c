/* physmem.c — guest physical memory: `--mem` bytes of 4 KiB frames carved from one host
 * reservation, a free stack, and per-frame owner information (what a frame holds, the virtual
 * page mapping it, its place in the resident list the replacement policies walk).
 *
 * The reservation is anonymous, private and MAP_NORESERVE: the host backs a frame only when it
 * is first touched, so a VM with a large --mem that uses little stays small. A frame never
 * used is known to be zero; a frame that held data is zeroed when it is handed out again.
 * Frame 0 is never handed out, so a PTE whose address bits are 0 is never a real mapping, and
 * its slot in the frame table serves as the head of the resident list.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "hm_int.h"

/* The frame table costs 24 bytes per frame; this bounds it (and the host reservation). */
#define MAX_MEM (64ull << 30)

int hm__phys_init(hmachine *m, uint64_t bytes)
{
    if (bytes > MAX_MEM)
        return -ENOMEM;
    struct hm_phys *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->nframes = bytes >> HM_PAGE_SHIFT;
    p->f = calloc(p->nframes, sizeof *p->f);
    p->free = malloc(p->nframes * sizeof *p->free);
    void *host = mmap(NULL, p->nframes << HM_PAGE_SHIFT, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (!p->f || !p->free || host == MAP_FAILED) {
        if (host != MAP_FAILED)
            munmap(host, p->nframes << HM_PAGE_SHIFT);
        free(p->f);
        free(p->free);
        free(p);
        return -ENOMEM;
    }
    p->host = host;
    /* The lowest frames are handed out first: pushed last. */
    for (uint64_t i = p->nframes - 1; i >= 1; i--)
        p->free[p->nfree++] = (uint32_t)i;
    p->map_hint = HM_USER_BASE;
    m->phys = p;
    return 0;
}

void hm__phys_destroy(hmachine *m)
{
    struct hm_phys *p = m->phys;
    if (!p)
        return;
    munmap(p->host, p->nframes << HM_PAGE_SHIFT);
    free(p->f);
    free(p->free);
    free(p);
    m->phys = NULL;
}

uint64_t hm__frame_take(hmachine *m, hm_frame_kind kind, uint64_t vpn)
{
    struct hm_phys *p = m->phys;
    if (!p->nfree)
        return 0;
    uint32_t pfn = p->free[--p->nfree];
    hm_frame *f = &p->f[pfn];
    if (f->dirty)
        memset(hm__frame(m, pfn), 0, HM_PAGE_SIZE);
    f->dirty = 1;
    f->kind = (uint8_t)kind;
    f->vpn = vpn;
    f->age = 0;
    if (kind == HM_FRAME_USER) {
        /* Append to the resident list: the head's prev is the newest frame. */
        hm_frame *head = &p->f[0];
        f->next = 0;
        f->prev = head->prev;
        p->f[head->prev].next = pfn;
        head->prev = pfn;
        p->resident++;
    }
    return pfn;
}

void hm__frame_free(hmachine *m, uint64_t pfn)
{
    struct hm_phys *p = m->phys;
    hm_frame *f = &p->f[pfn];
    if (pfn == 0 || pfn >= p->nframes || f->kind == HM_FRAME_FREE)
        return;
    if (f->kind == HM_FRAME_USER) {
        if (p->hand == pfn)
            p->hand = f->next;
        p->f[f->prev].next = f->next;
        p->f[f->next].prev = f->prev;
        p->resident--;
    }
    f->kind = HM_FRAME_FREE;
    p->free[p->nfree++] = (uint32_t)pfn;
}

void hm__pin(hmachine *m, uint64_t pfn)
{
    struct hm_phys *p = m->phys;
    uint32_t old = p->pins[p->pin_next];
    if (old)
        p->f[old].pins--;
    p->pins[p->pin_next] = (uint32_t)pfn;
    p->f[pfn].pins++;
    p->pin_next = (p->pin_next + 1) % HM_PINS;
}

uint64_t hm_frames_used(const hmachine *m)
{
    return m->phys->nframes - 1 - m->phys->nfree;
}

uint64_t hm_frames_total(const hmachine *m) { return m->phys->nframes - 1; }

/* mmu.c — the address space: x86-64 4-level page tables in guest frames, rooted at cr3, and the
 * calls that change them (map, unmap, protect, the heap's growth and shrinking).
 *
 * A virtual address splits into four 9-bit table indexes (bits 47..39, 38..30, 29..21,
 * 20..12) and a 12-bit offset. Non-leaf entries are always P|RW|US, so the leaf alone decides
 * what an access may do. Only the lower, canonical half of the 48-bit space is ever mapped;
 * an address at or above 2^47 reaches no table and faults as not present. Tables are created
 * when a mapping first needs them and stay until the machine is destroyed (they are a few
 * frames for the whole heap).
 */
#include <errno.h>

#include "hm_int.h"

static inline uint64_t *table(hmachine *m, uint64_t entry_or_cr3)
{
    return (uint64_t *)(void *)hm__frame(m, (entry_or_cr3 & PTE_ADDR) >> HM_PAGE_SHIFT);
}

uint64_t *hm__leaf(hmachine *m, uint64_t vpn, bool create)
{
    if (vpn >= HM_VA_LIMIT >> HM_PAGE_SHIFT)
        return NULL;
    uint64_t *t = table(m, m->cr3);
    for (int level = 3; level > 0; level--) {
        uint64_t *e = &t[(vpn >> (9 * level)) & 511];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t pfn = hm__frame_get(m, HM_FRAME_TABLE, 0);
            if (!pfn)
                return NULL;
            *e = (pfn << HM_PAGE_SHIFT) | PTE_TABLE;
        }
        t = table(m, *e);
    }
    return &t[vpn & 511];
}

uint64_t hm_pte(hmachine *m, gaddr va)
{
    uint64_t *e = hm__leaf(m, va >> HM_PAGE_SHIFT, false);
    return e ? *e : 0;
}

/* The permission bits of a leaf for HM_PERM_* (user pages). */
static uint64_t perm_bits(unsigned perm)
{
    return PTE_US | (perm & HM_PERM_W ? PTE_RW : 0) | (perm & HM_PERM_X ? 0 : PTE_NX);
}

/* Does the PTE map the page at all (present, demand-zero or swapped)? */
static inline bool is_mapped(uint64_t pte) { return pte & (PTE_P | PTE_DZ | PTE_SWAP); }

/* Drop whatever the page holds (frame or swap slot) and leave `keep` in its PTE. */
static void drop_page(hmachine *m, uint64_t vpn, uint64_t *e, uint64_t keep)
{
    uint64_t v = *e;
    if (v & PTE_P)
        hm__frame_free(m, (v & PTE_ADDR) >> HM_PAGE_SHIFT);
    else if (v & PTE_SWAP)
        hm__swap_drop(m, v);
    *e = keep;
    hm_invlpg(m, vpn << HM_PAGE_SHIFT);
}

/* Is [va, va + pages pages) page aligned and inside the program's own range? */
static bool user_range(gaddr va, uint64_t pages)
{
    return !(va & (HM_PAGE_SIZE - 1)) && pages && va >= HM_USER_BASE && va < HM_USER_END &&
           pages <= (HM_USER_END - va) >> HM_PAGE_SHIFT;
}

/* The first page in [vpn, end) whose PTE maps it, or `end`. Absent tables are skipped whole
 * (a missing PD entry skips 512 pages, a missing PDPT entry 2^18, ...), so scanning a huge,
 * sparsely mapped range costs what is mapped, not what is asked. */
static uint64_t next_mapped(hmachine *m, uint64_t vpn, uint64_t end)
{
    while (vpn < end && vpn < HM_VA_LIMIT >> HM_PAGE_SHIFT) {
        uint64_t *t = table(m, m->cr3);
        int level = 3;
        for (; level > 0; level--) {
            uint64_t e = t[(vpn >> (9 * level)) & 511];
            if (!(e & PTE_P))
                break;
            t = table(m, e);
        }
        if (level > 0) {
            /* No table below this entry: skip to the next entry of that level. */
            uint64_t span = 1ull << (9 * level);
            vpn = (vpn & ~(span - 1)) + span;
            continue;
        }
        for (; vpn < end; vpn++) {
            if (is_mapped(t[vpn & 511]))
                return vpn;
            if ((vpn & 511) == 511) {
                vpn++;
                break;
            }
        }
    }
    return end;
}

/* Is every page of the range unmapped? */
static bool range_free(hmachine *m, gaddr va, uint64_t pages)
{
    uint64_t vpn = va >> HM_PAGE_SHIFT;
    return next_mapped(m, vpn, vpn + pages) == vpn + pages;
}

/* A free range of `pages` pages in the program's range, first fit from the hint; 0 if none
 * was found within a bounded search. */
static gaddr find_free(hmachine *m, uint64_t pages)
{
    gaddr va = m->phys->map_hint;
    for (int tries = 0; tries < 4096; tries++) {
        if (!user_range(va, pages))
            va = HM_USER_BASE;
        if (!user_range(va, pages))
            return 0;
        uint64_t vpn = va >> HM_PAGE_SHIFT;
        uint64_t hit = next_mapped(m, vpn, vpn + pages);
        if (hit == vpn + pages)
            return va;
        va = (hit + 1) << HM_PAGE_SHIFT;
    }
    return 0;
}

/* Make `pages` demand-zero leaves from va with `bits`; on failure undo and return -ENOMEM. */
static int map_dz(hmachine *m, gaddr va, uint64_t pages, uint64_t bits)
{
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t *e = hm__leaf(m, (va >> HM_PAGE_SHIFT) + i, true);
        if (!e) {
            for (uint64_t j = 0; j < i; j++)
                *hm__leaf(m, (va >> HM_PAGE_SHIFT) + j, false) = 0;
            return -ENOMEM;
        }
        *e = PTE_DZ | bits;
    }
    return 0;
}

int64_t hm_map(hmachine *m, gaddr va, uint64_t pages, unsigned perm)
{
    if (!(perm & HM_PERM_R) || (perm & ~7u) || pages == 0 || pages > (HM_USER_END - HM_USER_BASE) >> HM_PAGE_SHIFT)
        return -EINVAL;
    if (va == 0) {
        va = find_free(m, pages);
        if (!va)
            return -ENOMEM;
    } else if (!user_range(va, pages)) {
        return -EINVAL;
    } else if (!range_free(m, va, pages)) {
        return -EEXIST;
    }
    /* Each 512 pages need a page-table frame: a request whose tables alone cannot fit in the
     * free frames fails now rather than after building (and undoing) millions of entries. */
    if (pages / 512 > m->phys->nfree)
        return -ENOMEM;
    int rc = map_dz(m, va, pages, perm_bits(perm));
    if (rc < 0)
        return rc;
    m->phys->map_hint = va + (pages << HM_PAGE_SHIFT);
    return (int64_t)va;
}

int hm_unmap(hmachine *m, gaddr va, uint64_t pages)
{
    if (!user_range(va, pages))
        return -EINVAL;
    uint64_t end = (va >> HM_PAGE_SHIFT) + pages;
    for (uint64_t vpn = next_mapped(m, va >> HM_PAGE_SHIFT, end); vpn < end;
         vpn = next_mapped(m, vpn + 1, end))
        drop_page(m, vpn, hm__leaf(m, vpn, false), 0);
    return 0;
}

int hm_protect(hmachine *m, gaddr va, uint64_t pages, unsigned perm)
{
    if (!(perm & HM_PERM_R) || (perm & ~7u) || !user_range(va, pages))
        return -EINVAL;
    /* Every page must be mapped: the mapped run from va must reach the end. Checking page by
     * page stops at the first hole, so a huge request over a small mapping is cheap. */
    for (uint64_t i = 0; i < pages; i++)
        if (!is_mapped(hm_pte(m, va + (i << HM_PAGE_SHIFT))))
            return -ENOENT;
    uint64_t bits = perm_bits(perm);
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t vpn = (va >> HM_PAGE_SHIFT) + i;
        uint64_t *e = hm__leaf(m, vpn, false);
        *e = (*e & ~PTE_PERM) | bits;
        hm_invlpg(m, vpn << HM_PAGE_SHIFT);
    }
    return 0;
}

/* ---- the heap ------------------------------------------------------------------------------ */

static inline uint64_t page_up(uint64_t n) { return (n + HM_PAGE_SIZE - 1) & ~(uint64_t)(HM_PAGE_SIZE - 1); }

int hm_map_heap(hmachine *m, uint64_t bytes)
{
    if (bytes > m->size)
        return -ENOMEM;
    uint64_t want = page_up(bytes);
    if (want <= m->mapped)
        return 0;
    int rc = map_dz(m, m->base + m->mapped, (want - m->mapped) >> HM_PAGE_SHIFT,
                    PTE_RW | PTE_US | PTE_NX);
    if (rc < 0)
        return rc;
    m->mapped = want;
    return 0;
}

void hm_shrink_heap(hmachine *m, uint64_t bytes)
{
    uint64_t want = page_up(bytes);
    if (want >= m->mapped)
        return;
    for (uint64_t off = want; off < m->mapped; off += HM_PAGE_SIZE) {
        uint64_t vpn = (m->base + off) >> HM_PAGE_SHIFT;
        uint64_t *e = hm__leaf(m, vpn, false);
        if (e)
            drop_page(m, vpn, e, 0);
    }
    m->mapped = want;
}

void hm_release(hmachine *m, gaddr a, uint64_t n)
{
    /* Only the heap's mapped part: the collector is the caller. */
    if (a < m->base || a - m->base >= m->mapped || n > m->mapped - (a - m->base))
        return;
    uint64_t lo = page_up(a - m->base), hi = (a - m->base + n) & ~(uint64_t)(HM_PAGE_SIZE - 1);
    for (uint64_t off = lo; off < hi; off += HM_PAGE_SIZE) {
        uint64_t vpn = (m->base + off) >> HM_PAGE_SHIFT;
        uint64_t *e = hm__leaf(m, vpn, false);
        if (e && (*e & (PTE_P | PTE_SWAP)))
            drop_page(m, vpn, e, PTE_DZ | (*e & PTE_PERM));
    }
}

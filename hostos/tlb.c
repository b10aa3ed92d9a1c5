/* tlb.c — the software TLB and every guest access that leaves the inlined hit path:
 * the other ways of a set, the page walk and its A/D bits, faults, page-crossing accesses,
 * the bulk copies and hm_span.
 *
 * The TLB has sets x ways entries, a set chosen by the low bits of the virtual page number.
 * Way 0 of a set is its most recently used entry, so machine.h's inlined hit path compares
 * one tag. A hit in another way moves that entry to way 0 and shifts the ones before it down
 * (each set is kept in LRU order); a fill puts the new entry in way 0 and drops the last way.
 * An entry allows reads when its rtag matches and writes when its wtag matches; wtag is set
 * only when the page is writable and already dirty, so the first write to a page walks and
 * sets D, as a processor does. With the TLB off there is one entry whose tags never match:
 * every access walks.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hm_int.h"
#include "trace.h"

#define MAX_TLB_ENTRIES (1u << 20)

static inline bool pow2(uint32_t x) { return x && !(x & (x - 1)); }

int hm__tlb_init(hmachine *m)
{
    uint32_t entries = m->cfg.tlb_entries, ways = m->cfg.tlb_ways;
    m->tlb_on = !m->cfg.tlb_off && entries > 0;
    if (m->tlb_on && (!pow2(entries) || !pow2(ways) || ways > entries || entries > MAX_TLB_ENTRIES))
        return -1;
    uint32_t n = m->tlb_on ? entries : 1;
    m->tlb = malloc(n * sizeof *m->tlb);
    if (!m->tlb)
        return -2;
    m->tlb_set_mask = m->tlb_on ? entries / ways - 1 : 0;
    m->tlb_way_shift = m->tlb_on ? (uint32_t)__builtin_ctz(ways) : 0;
    for (uint32_t i = 0; i < n; i++)
        m->tlb[i] = (hm_tlbe){HM_TLB_NONE, HM_TLB_NONE, NULL, 0};
    return 0;
}

void hm__tlb_destroy(hmachine *m)
{
    free(m->tlb);
    m->tlb = NULL;
}

static inline uint32_t ways(const hmachine *m) { return m->tlb_on ? 1u << m->tlb_way_shift : 0; }

void hm_flush_tlb(hmachine *m)
{
    uint64_t n = m->tlb_on ? (m->tlb_set_mask + 1) << m->tlb_way_shift : 1;
    for (uint64_t i = 0; i < n; i++)
        m->tlb[i] = (hm_tlbe){HM_TLB_NONE, HM_TLB_NONE, NULL, 0};
    m->stats[HM_STAT_tlb_flushes]++;
}

void hm_invlpg(hmachine *m, gaddr va)
{
    uint64_t vpn = va >> HM_PAGE_SHIFT;
    hm_tlbe *set = hm_tlb_way0(m, va);
    for (uint32_t w = 0; w < ways(m); w++)
        if (set[w].rtag == vpn || set[w].wtag == vpn)
            set[w] = (hm_tlbe){HM_TLB_NONE, HM_TLB_NONE, NULL, 0};
}

/* Move way w of the set to way 0, shifting ways 0..w-1 down one. */
static inline void promote(hm_tlbe *set, uint32_t w)
{
    hm_tlbe e = set[w];
    memmove(set + 1, set, w * sizeof *set);
    set[0] = e;
}

/* Does a leaf PTE allow the access in the current mode? */
static inline bool allows(const hmachine *m, uint64_t pte, hm_access access)
{
    if (!(pte & PTE_P))
        return false;
    if (m->mode == HM_USER_MODE && !(pte & PTE_US))
        return false;
    if (access == HM_WRITE && !(pte & PTE_RW))
        return false;
    if (access == HM_EXEC && (pte & PTE_NX))
        return false;
    return true;
}

uint8_t *hm__slow(hmachine *m, gaddr a, unsigned n, hm_access access)
{
    (void)n;
    uint64_t vpn = a >> HM_PAGE_SHIFT, off = a & (HM_PAGE_SIZE - 1);
    hm_tlbe *set = hm_tlb_way0(m, a);
    if (m->tlb_on && access != HM_EXEC) {
        for (uint32_t w = 0; w < ways(m); w++) {
            uint64_t tag = access == HM_WRITE ? set[w].wtag : set[w].rtag;
            if (tag == vpn) {
                promote(set, w);
                m->stats[HM_STAT_tlb_hits]++;
                return set[0].host + off;
            }
        }
    }
    m->stats[HM_STAT_tlb_misses]++;
    if (m->trace && !(m->stats[HM_STAT_tlb_misses] & (HM_TRACE_TLB_EVERY - 1)))
        hm_trace(m, HM_TRACE_TLB, NULL); /* a sample for --trace=tlb */
    for (;;) {
        m->stats[HM_STAT_page_walks]++;
        uint64_t *e = hm__leaf(m, vpn, false);
        uint64_t pte = e ? *e : 0;
        if (!allows(m, pte, access)) {
            hm__fault(m, a, access, e);
            continue;
        }
        pte |= PTE_A | (access == HM_WRITE ? PTE_D : 0);
        *e = pte;
        uint8_t *host = hm__frame(m, (pte & PTE_ADDR) >> HM_PAGE_SHIFT);
        /* Only user pages are cached: a supervisor-only page must walk again in user mode. */
        if (m->tlb_on && (pte & PTE_US)) {
            uint32_t w = 0;
            while (w + 1 < ways(m) && set[w].rtag != vpn)
                w++;
            promote(set, w); /* the old entry for this page, else the least recent */
            set[0] = (hm_tlbe){vpn, (pte & PTE_RW) && (pte & PTE_D) ? vpn : HM_TLB_NONE, host,
                               (pte & PTE_ADDR) >> HM_PAGE_SHIFT};
        }
        return host + off;
    }
}

/* The host address of a guest byte range within one page, by the hit path or the slow one. */
static inline uint8_t *xlate(hmachine *m, gaddr a, unsigned n, hm_access access)
{
    hm_tlbe *e = hm_tlb_way0(m, a);
    uint64_t tag = access == HM_WRITE ? e->wtag : access == HM_READ ? e->rtag : HM_TLB_NONE;
    if (tag == a >> HM_PAGE_SHIFT) {
        m->stats[HM_STAT_tlb_hits]++;
        return e->host + (a & (HM_PAGE_SIZE - 1));
    }
    return hm__slow(m, a, n, access);
}

static inline uint64_t page_left(gaddr a) { return HM_PAGE_SIZE - (a & (HM_PAGE_SIZE - 1)); }

/* Fault in every page of [a, a + n) for the access before any byte moves, so an access that
 * faults on a later page has changed nothing (a range within one page needs no probe). */
static void probe(hmachine *m, gaddr a, uint64_t n, hm_access access)
{
    if (n <= page_left(a))
        return;
    if (a + n < a) {
        /* Wraps around the address space: fault at the first address past the top. */
        hm__fault(m, 0, access, NULL);
        return;
    }
    for (gaddr p = a; p < a + n; p = (p | (HM_PAGE_SIZE - 1)) + 1)
        (void)xlate(m, p, 1, access);
}

uint64_t hm__ld_cross(hmachine *m, gaddr a, unsigned n)
{
    uint8_t b[8] = {0};
    hm_read(m, a, b, n);
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | b[i];
    return v;
}

void hm__st_cross(hmachine *m, gaddr a, unsigned n, uint64_t v)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> 8 * i);
    hm_write(m, a, b, n);
}

bool hm_ok(hmachine *m, gaddr a, uint64_t n)
{
    if (n == 0)
        return true;
    if (a + n < a)
        return false;
    for (gaddr p = a & ~(gaddr)(HM_PAGE_SIZE - 1); p < a + n; p += HM_PAGE_SIZE) {
        uint64_t pte = hm_pte(m, p);
        if (!(pte & (PTE_P | PTE_DZ | PTE_SWAP)) || (m->mode == HM_USER_MODE && !(pte & PTE_US)))
            return false;
        if (p + HM_PAGE_SIZE < p)
            break;
    }
    return true;
}

/* The copies below translate each page once. A read needs no probe: what it has copied
 * before a fault is host memory only, so it changes nothing the program can see. A write
 * or fill that crosses a page is probed first (every page checked for the write), so a
 * store that faults on a later page has changed nothing; within one page the translation
 * itself is the check. */
static void read_pages(hmachine *m, gaddr a, uint8_t *d, uint64_t n)
{
    while (n) {
        uint64_t len = n < page_left(a) ? n : page_left(a);
        memcpy(d, xlate(m, a, (unsigned)len, HM_READ), len);
        d += len, a += len, n -= len;
    }
}

static void write_pages(hmachine *m, gaddr a, const uint8_t *s, uint64_t n)
{
    while (n) {
        uint64_t len = n < page_left(a) ? n : page_left(a);
        memcpy(xlate(m, a, (unsigned)len, HM_WRITE), s, len);
        s += len, a += len, n -= len;
    }
}

void hm_read(hmachine *m, gaddr a, void *dst, uint64_t n)
{
    if (!dst) {
        probe(m, a, n, HM_READ); /* a check only (rt_str_dup): fault before anything moves */
        return;
    }
    if (a + n < a)
        probe(m, a, n, HM_READ); /* wraps: faults at the top, before any byte is copied */
    read_pages(m, a, dst, n);
}

void hm_write(hmachine *m, gaddr a, const void *src, uint64_t n)
{
    probe(m, a, n, HM_WRITE);
    write_pages(m, a, src, n);
}

void hm_fill(hmachine *m, gaddr a, uint8_t byte, uint64_t n)
{
    probe(m, a, n, HM_WRITE);
    while (n) {
        uint64_t len = n < page_left(a) ? n : page_left(a);
        memset(xlate(m, a, (unsigned)len, HM_WRITE), byte, len);
        a += len, n -= len;
    }
}

void hm_move(hmachine *m, gaddr dst, gaddr src, uint64_t n)
{
    uint8_t buf[1024];
    /* A source that faults after some chunks were written would leave a partial move, so a
     * move of more than one chunk checks its source first; one chunk is read whole before
     * any byte is written. */
    if (n > sizeof buf || src + n < src)
        probe(m, src, n, HM_READ);
    probe(m, dst, n, HM_WRITE);
    /* Through a bounce buffer, a chunk at a time, in the direction that is safe for overlap;
     * the destination was probed whole above, so the chunks are not probed again. */
    bool backward = dst > src && dst < src + n;
    uint64_t done = 0;
    while (done < n) {
        uint64_t len = n - done < sizeof buf ? n - done : sizeof buf;
        uint64_t at = backward ? n - done - len : done;
        read_pages(m, src + at, buf, len);
        write_pages(m, dst + at, buf, len);
        done += len;
    }
}

void *hm_span(hmachine *m, gaddr a, uint64_t n, hm_access access, void *scratch)
{
    if (n == 0)
        return scratch ? scratch : (void *)m;
    if (n <= page_left(a)) {
        uint8_t *p = xlate(m, a, (unsigned)n, access);
        hm__pin(m, (uint64_t)(p - m->phys->host) >> HM_PAGE_SHIFT);
        return p;
    }
    /* Across pages: a copy, which a writer writes back (so a writer's pages are all
     * checked for the write first). */
    if (access != HM_READ)
        probe(m, a, n, access);
    read_pages(m, a, scratch, n);
    return scratch;
}

/* heap.c — the one allocation funnel (rt.h: rt_alloc) and the allocator's side of the
 * collector: free lists, the object-start bitmap and the sweep (gc.h has the layout).
 *
 * Allocation has three ways, fastest first:
 *   1. an exact free list: sizes up to GC_SMALL_MAX have one list per 8 bytes, so a box or a
 *      short string of a size freed before is one pop;
 *   2. the bump region: a pointer carved forward through either a free block taken from the
 *      lists or the top of the heap (the "wilderness" above every object);
 *   3. the slow path: a new bump region (the largest free block for a small object, the first
 *      block that fits for a larger one, split), else the top of the heap, growing the mapped
 *      memory by GROW_STEP bytes at a time (hm_map_heap).
 * Collections never run here (docs/objects.md: only at the interpreter's safepoints), so a
 * caller never sees an object move or vanish during an allocation; when nothing fits, the
 * preallocated OutOfMemoryError is thrown. Growing near the memory limit makes a collection
 * due at the next safepoint, so memory full of garbage is reclaimed before it runs out.
 *
 * The sweep walks the heap by the start bitmap, merges every run of dead objects and free
 * blocks into one free block and, when the heap ends in free space, lowers the top and unmaps
 * what lies above it in GROW_STEP units (hm_shrink_heap). Then gc__release gives the whole
 * pages inside large free blocks back to the host (hm_release), all but as much as the next
 * budget will allocate anyway (handing those back would only fault them in again): the heap
 * grows and shrinks with live data.
 */
#include <stdlib.h>

#include "gc.h"
#include "rt.h"
#include "state.h"

#define GROW_STEP (1ull << 20)

/* Throwing the preallocated error never allocates, so running out of memory while throwing
 * cannot recurse. */
static _Noreturn void out_of_memory(holt_vm *vm)
{
    if (vm->heap.oom)
        rt_throw_obj(vm, vm->heap.oom);
    /* Only rt_init allocates before the object exists; its own catcher turns this into
     * -ENOMEM. */
    rt_throw(vm, RT_E_OutOfMemoryError, "guest memory limit of %llu bytes reached",
             (unsigned long long)vm->m.size);
}

/* ---- the start bitmap ---------------------------------------------------------------------- */

/* Every guest word the allocator touches goes through the machine (TLB, faults, swap). */
static inline uint64_t ld64(holt_vm *vm, gaddr a) { return hm_ld64(&vm->m, a); }
static inline void st64(holt_vm *vm, gaddr a, uint64_t v) { hm_st64(&vm->m, a, v); }

static inline uint64_t granule(const gc_state *g, gaddr a) { return (a - g->start) >> 3; }

static inline void set_start(gc_state *g, gaddr a)
{
    uint64_t i = granule(g, a);
    g->starts[i >> 6] |= 1ull << (i & 63);
}

static inline void clear_start(gc_state *g, gaddr a)
{
    uint64_t i = granule(g, a);
    g->starts[i >> 6] &= ~(1ull << (i & 63));
}

/* Clear the start bits of [a, b). */
static void clear_starts(gc_state *g, gaddr a, gaddr b)
{
    uint64_t i = granule(g, a), end = granule(g, b);
    while (i < end && (i & 63)) {
        g->starts[i >> 6] &= ~(1ull << (i & 63));
        i++;
    }
    while (i + 64 <= end) {
        g->starts[i >> 6] = 0;
        i += 64;
    }
    while (i < end) {
        g->starts[i >> 6] &= ~(1ull << (i & 63));
        i++;
    }
}

/* The start after the one at `a`, or `top` when there is none below it. */
static gaddr next_start(const gc_state *g, gaddr a, gaddr top)
{
    uint64_t i = granule(g, a) + 1, end = granule(g, top);
    while (i < end) {
        uint64_t w = g->starts[i >> 6] >> (i & 63);
        if (w) {
            i += (uint64_t)__builtin_ctzll(w);
            return i < end ? g->start + 8 * i : top;
        }
        i = (i | 63) + 1;
    }
    return top;
}

uint64_t gc__size(holt_vm *vm, gaddr a)
{
    gc_state *g = vm->heap.gc;
    return next_start(g, a, vm->heap.top) - a;
}

/* Make the bitmap cover [start, limit). False when the host is out of memory. */
static bool cover(gc_state *g, gaddr limit)
{
    uint64_t want = ((limit - g->start) / 8 + 63) / 64 + 1;
    if (want <= g->nstarts)
        return true;
    uint64_t *p = realloc(g->starts, want * sizeof *p);
    if (!p)
        return false;
    memset(p + g->nstarts, 0, (want - g->nstarts) * sizeof *p);
    g->starts = p;
    g->nstarts = want;
    return true;
}

/* ---- free lists ---------------------------------------------------------------------------- */

static inline unsigned bin_of(uint64_t size)
{
    if (size <= GC_SMALL_MAX)
        return (unsigned)(size >> 3);
    return 65 + (unsigned)(63 - __builtin_clzll(size)) - 9;
}

static inline uint64_t free_size(holt_vm *vm, unsigned bin, gaddr blk)
{
    return bin <= GC_SMALL_MAX / 8 ? (uint64_t)bin * 8 : ld64(vm, blk + 16);
}

/* Make [a, a + size) a free block and, when it can hold a link, put it in its list. */
static void add_free(holt_vm *vm, gc_state *g, gaddr a, uint64_t size)
{
    set_start(g, a);
    st64(vm, a, 0); /* type RT_T_NONE, GC word 0 */
    if (size < 16)
        return; /* too small for a link: a filler until its neighbours are freed */
    unsigned b = bin_of(size);
    st64(vm, a + 8, g->bins[b]);
    if (size >= 24)
        st64(vm, a + 16, size);
    g->bins[b] = a;
    g->nonempty[b >> 6] |= 1ull << (b & 63);
    g->free_bytes += size;
}

static inline void bin_emptied(gc_state *g, unsigned b)
{
    if (!g->bins[b])
        g->nonempty[b >> 6] &= ~(1ull << (b & 63));
}

/* The highest non-empty size class, or -1. */
static int highest_bin(const gc_state *g)
{
    if (g->nonempty[1])
        return 64 + 63 - __builtin_clzll(g->nonempty[1]);
    if (g->nonempty[0])
        return 63 - __builtin_clzll(g->nonempty[0]);
    return -1;
}

/* The lowest non-empty size class at or above b, or -1. */
static int bin_at_or_above(const gc_state *g, unsigned b)
{
    for (unsigned w = b >> 6; w < 2; w++) {
        uint64_t bits = g->nonempty[w];
        if (w == b >> 6)
            bits &= ~0ull << (b & 63);
        if (bits)
            return (int)(w * 64 + (unsigned)__builtin_ctzll(bits));
    }
    return -1;
}

/* Take a free block of at least n bytes out of the lists: the largest there is when
 * `largest`, else the first that fits. Returns its address and size, or 0. */
static gaddr take_block(holt_vm *vm, gc_state *g, uint64_t n, bool largest, uint64_t *size)
{
    int b = largest ? highest_bin(g) : bin_at_or_above(g, bin_of(n));
    while (b >= 0) {
        gaddr prev = 0;
        for (gaddr blk = g->bins[b]; blk; blk = ld64(vm, blk + 8)) {
            uint64_t sz = free_size(vm, (unsigned)b, blk);
            if (sz >= n) {
                gaddr next = ld64(vm, blk + 8);
                if (prev)
                    st64(vm, prev + 8, next);
                else
                    g->bins[b] = next;
                bin_emptied(g, (unsigned)b);
                g->free_bytes -= sz;
                *size = sz;
                return blk;
            }
            prev = blk;
        }
        /* Only a large class can hold blocks smaller than n; try the next one up. */
        if (largest || (unsigned)b + 1 >= GC_NBINS)
            return 0;
        b = bin_at_or_above(g, (unsigned)b + 1);
    }
    return 0;
}

/* ---- allocation ---------------------------------------------------------------------------- */

gc_state *gc__state(holt_vm *vm)
{
    rt_heap *h = &vm->heap;
    if (h->gc)
        return h->gc;
    gc_state *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (h->top == 0)
        h->top = h->limit = vm->m.base + vm->m.mapped;
    g->start = h->top;
    if (!cover(g, h->limit > g->start ? h->limit : g->start)) {
        free(g);
        return NULL;
    }
    h->gc = g;
    h->budget = vm->cfg.gc_stress ? 1 : GC_MIN_BUDGET;
    return g;
}

void gc__destroy(holt_vm *vm)
{
    gc_state *g = vm->heap.gc;
    if (g) {
        free(g->starts);
        free(g->stack);
        free(g);
    }
    vm->heap.gc = NULL;
    free(vm->roots);
    vm->roots = NULL;
    vm->nroots = vm->roots_cap = 0;
}

/* Put what is left of the bump region back as a free block. */
void gc__retire(holt_vm *vm)
{
    gc_state *g = vm->heap.gc;
    if (!g)
        return;
    if (g->bp && !g->wild && g->bend > g->bp)
        add_free(vm, g, g->bp, g->bend - g->bp);
    g->bp = g->bend = 0;
    g->wild = false;
}

/* Make the top of the heap the bump region, with room for n bytes. */
static void bump_at_top(holt_vm *vm, gc_state *g, uint64_t n)
{
    rt_heap *h = &vm->heap;
    hmachine *m = &vm->m;
    uint64_t end_of_memory = m->base + m->size;
    if (n > end_of_memory - h->top)
        out_of_memory(vm);
    if (n > h->limit - h->top) {
        uint64_t want = h->top + n - m->base;
        want = (want + GROW_STEP - 1) / GROW_STEP * GROW_STEP;
        if (want > m->size)
            want = m->size;
        if (!cover(g, m->base + want) || hm_map_heap(m, want) < 0)
            out_of_memory(vm);
        h->limit = m->base + m->mapped;
        /* Close to the limit: collect at the next safepoint rather than run out with
         * garbage still in the heap. */
        if (h->limit - g->start > m->size / 4 * 3 && h->since_gc < h->budget)
            h->since_gc = h->budget;
    }
    g->bp = h->top;
    g->bend = h->limit;
    g->wild = true;
}

/* Everything but the two fast ways: a new bump region, or a block for a larger object. */
static gaddr alloc_slow(holt_vm *vm, gc_state *g, uint64_t n)
{
    gc__retire(vm);
    uint64_t size = 0;
    if (n <= GC_SMALL_MAX) {
        /* Small objects are carved from the largest free block, so the lists of odd sizes
         * left by a sweep do not turn into a scan per allocation. */
        gaddr blk = take_block(vm, g, n, true, &size);
        if (blk) {
            g->bp = blk;
            g->bend = blk + size;
        } else {
            bump_at_top(vm, g, n);
        }
    } else {
        gaddr blk = take_block(vm, g, n, false, &size);
        if (blk) {
            if (size > n)
                add_free(vm, g, blk + n, size - n);
            return blk;
        }
        bump_at_top(vm, g, n);
    }
    gaddr obj = g->bp;
    g->bp += n;
    if (g->wild)
        vm->heap.top = g->bp;
    return obj;
}

/* Zero [a, a + n) of memory just allocated, one translation per page. No probe first: if a
 * later page faults (out of memory), the object is never handed out, so a partial fill is
 * seen by nobody. */
static void zero_fresh(holt_vm *vm, gaddr a, uint64_t n)
{
    while (n) {
        uint64_t len = HM_PAGE_SIZE - (a & (HM_PAGE_SIZE - 1));
        if (len > n)
            len = n;
        memset(hm_host(&vm->m, a, (unsigned)len, HM_WRITE), 0, len);
        a += len, n -= len;
    }
}

gaddr rt_alloc(holt_vm *vm, rt_typeid type, uint64_t bytes)
{
    rt_heap *h = &vm->heap;
    gc_state *g = h->gc ? h->gc : gc__state(vm);
    if (!g || bytes > vm->m.size)
        out_of_memory(vm);
    uint64_t n = bytes < 8 ? 8 : (bytes + 7) & ~7ull;
    gaddr obj;
    uint8_t *p = NULL; /* the object on the host when it lies within one page */
    if (n <= GC_SMALL_MAX && g->bins[n >> 3]) {
        unsigned b = (unsigned)(n >> 3);
        obj = g->bins[b];
        /* One translation serves the link read here and the zeroing below. */
        p = hm_host(&vm->m, obj, (unsigned)n, HM_WRITE);
        uint64_t next;
        if (p)
            memcpy(&next, p + 8, sizeof next);
        else
            next = ld64(vm, obj + 8);
        g->bins[b] = next;
        bin_emptied(g, b);
        g->free_bytes -= n;
    } else if (g->bp && n <= g->bend - g->bp) {
        obj = g->bp;
        g->bp += n;
        if (g->wild)
            h->top = g->bp;
    } else {
        obj = alloc_slow(vm, g, n);
    }
    set_start(g, obj);
    h->since_gc += n;
    h->bytes_allocated += n;
    vm->m.stats[HM_STAT_gc_bytes_allocated] += n;
    if (h->top - g->start > vm->m.stats[HM_STAT_gc_peak_heap])
        vm->m.stats[HM_STAT_gc_peak_heap] = h->top - g->start;
    /* Reused memory holds old objects: zero here, in the one place every object comes from,
     * with the header (type id, then GC word 0, little-endian) in the same translation when
     * the object lies within one page. */
    if (!p && n <= HM_PAGE_SIZE)
        p = hm_host(&vm->m, obj, (unsigned)n, HM_WRITE);
    if (p) {
        uint64_t hdr = type;
        memcpy(p, &hdr, sizeof hdr);
        memset(p + 8, 0, n - 8);
    } else {
        zero_fresh(vm, obj + 8, n - 8);
        st64(vm, obj, type);
    }
    return obj;
}

/* A box: an int, float or bool stored where an any is expected. The header carries the type
 * of the value inside (RT_T_INT, RT_T_FLOAT or RT_T_BOOL), which is what `is` and str() read. */
gaddr rt_box(holt_vm *vm, rt_typeid type, uint64_t v)
{
    gaddr b = rt_alloc(vm, type, 16);
    hm_st64(&vm->m, b + 8, v);
    return b;
}

/* ---- sweeping ------------------------------------------------------------------------------ */

void gc__release(holt_vm *vm, uint64_t keep)
{
    gc_state *g = vm->heap.gc;
    /* The largest blocks are used first (alloc_slow), so they are the ones kept. */
    uint64_t kept = 0;
    for (int b = (int)GC_NBINS - 1; b > (int)(GC_SMALL_MAX / 8); b--) {
        for (gaddr blk = g->bins[b]; blk; blk = ld64(vm, blk + 8)) {
            uint64_t size = ld64(vm, blk + 16);
            if (kept < keep) {
                kept += size;
                continue;
            }
            if (size >= 2 * HM_PAGE_SIZE)
                hm_release(&vm->m, blk + 24, size - 24);
        }
    }
}

uint64_t gc__sweep(holt_vm *vm)
{
    rt_heap *h = &vm->heap;
    gc_state *g = h->gc;
    memset(g->bins, 0, sizeof g->bins);
    g->nonempty[0] = g->nonempty[1] = 0;
    g->free_bytes = 0;
    uint64_t live = 0;
    gaddr top = h->top, run = 0;
    for (gaddr a = g->start; a < top;) {
        gaddr next = next_start(g, a, top);
        uint64_t hdr = ld64(vm, a);
        uint32_t type = (uint32_t)hdr, gcw = (uint32_t)(hdr >> 32);
        if (type != RT_T_NONE && (gcw & GC_MARK)) {
            hm_st32(&vm->m, a + 4, gcw & ~GC_MARK);
            live += next - a;
            if (run) {
                add_free(vm, g, run, a - run);
                run = 0;
            }
        } else if (!run) {
            run = a;
        } else {
            clear_start(g, a); /* merged into the run that started before it */
        }
        a = next;
    }
    if (run) {
        /* The heap ends in free space: lower the top, and give back the memory above it. */
        clear_start(g, run);
        clear_starts(g, run, top);
        h->top = run;
        uint64_t keep = (run - vm->m.base + GROW_STEP - 1) / GROW_STEP * GROW_STEP;
        if (keep < g->start - vm->m.base)
            keep = g->start - vm->m.base;
        if (vm->m.base + keep < h->limit) {
            hm_shrink_heap(&vm->m, keep);
            h->limit = vm->m.base + vm->m.mapped;
        }
        hm_release(&vm->m, run, h->limit - run);
    }
    return live;
}

/* gc.c — the collector: marking from the roots, tracing objects by their run-time types, and
 * the temporary roots of natives (rt.h: rt_root_push). The allocator's half (free lists,
 * sweeping) is in heap.c, the roots of the vm layer in vm/gcroots.c; gc.h has the layout.
 *
 * Marking is precise: an object's references are found from its run-time type (rt.h layouts),
 * never by guessing. It uses an explicit stack on the host heap, so deep lists and long
 * cycles cost memory, not recursion. Every value taken for a reference is still checked to be
 * the start of an object in the heap (gc__is_object) before it is touched, so a damaged or
 * hand-made object can make the collector keep too much, but never read outside the heap.
 * Should the mark stack fail to grow, the objects it could not hold stay marked but untraced;
 * the heap is then walked for marked objects and traced again until nothing is left over.
 */
#include <stdlib.h>

#include "gc.h"
#include "rt.h"
#include "state.h"

/* Every guest word the collector touches goes through the machine (TLB, faults, swap); only
 * its bitmap and mark stack are host memory. */
static inline uint64_t ld64(holt_vm *vm, gaddr a) { return hm_ld64(&vm->m, a); }
static inline uint32_t ld32(holt_vm *vm, gaddr a) { return hm_ld32(&vm->m, a); }

/* Is a value of type t a reference (so a slot of that type must be traced)? */
static inline bool type_is_ref(holt_vm *vm, rt_typeid t)
{
    return t < vm->types.n && vm->types.v[t].is_ref;
}

/* Does an object of exact type t hold references? Strings, boxes and raw arrays do not. */
static inline bool has_refs(rt_typeid t)
{
    return !(t == RT_T_STR || t == RT_T_INT || t == RT_T_FLOAT || t == RT_T_BOOL ||
             t == RT_T_ARRAY_RAW);
}

static void push(gc_state *g, gaddr a)
{
    if (g->sp == g->scap) {
        uint64_t cap = g->scap ? 2 * g->scap : 1024;
        gaddr *s = realloc(g->stack, cap * sizeof *s);
        if (!s) {
            g->overflow = true;
            return;
        }
        g->stack = s;
        g->scap = cap;
    }
    g->stack[g->sp++] = a;
}

/* Set the mark bit of an object; false when it was already set. */
static inline bool set_mark(holt_vm *vm, gaddr a)
{
    uint32_t gcw = hm_ld32(&vm->m, a + 4);
    if (gcw & GC_MARK)
        return false;
    hm_st32(&vm->m, a + 4, gcw | GC_MARK);
    return true;
}

/* Is a, a value taken for a reference, the start of a block in the heap (object or free)?
 * The host-side half of gc__is_object: the bitmap only. */
static inline bool is_start(holt_vm *vm, gaddr a)
{
    const gc_state *g = vm->heap.gc;
    if (a < g->start || a >= vm->heap.top || (a & 7))
        return false;
    uint64_t i = (a - g->start) >> 3;
    return g->starts[i >> 6] & (1ull << (i & 63));
}

void gc__mark(holt_vm *vm, gaddr ref)
{
    if (!ref || !vm->heap.gc || !is_start(vm, ref))
        return;
    /* The header is one word: one translation reads the type and the GC word, and a second
     * (for the write) sets the mark only when it is not set yet. Objects start 8-aligned, so
     * the header never crosses a page. */
    const uint8_t *p = hm_host(&vm->m, ref, 8, HM_READ);
    uint32_t type, gcw;
    memcpy(&type, p, sizeof type);
    memcpy(&gcw, p + 4, sizeof gcw);
    if (type == RT_T_NONE || (gcw & GC_MARK))
        return;
    gcw |= GC_MARK;
    memcpy(hm_host(&vm->m, ref + 4, 4, HM_WRITE), &gcw, sizeof gcw);
    if (has_refs(type))
        push(vm->heap.gc, ref);
}

/* Trace `n` consecutive slots starting at a, slot i only when `types` is NULL or
 * types[i] is a reference type: one pinned span per page, so the slots of a page cost one
 * translation, and the marking in between (which may fault and evict frames) cannot take
 * the page away. */
static void mark_typed_slots(holt_vm *vm, gaddr a, uint64_t n, const rt_typeid *types)
{
    while (n) {
        uint64_t fit = (HM_PAGE_SIZE - (a & (HM_PAGE_SIZE - 1))) / 8;
        uint64_t k = n < fit ? n : fit;
        if (k == 0) {
            /* A slot across a page boundary (only an unaligned hand-made object). */
            if (!types || type_is_ref(vm, *types))
                gc__mark(vm, ld64(vm, a));
            a += 8, n--, types = types ? types + 1 : NULL;
            continue;
        }
        const uint8_t *p = hm_span(&vm->m, a, 8 * k, HM_READ, NULL);
        for (uint64_t i = 0; i < k; i++) {
            if (types && !type_is_ref(vm, types[i]))
                continue;
            gaddr ref;
            memcpy(&ref, p + 8 * i, sizeof ref);
            gc__mark(vm, ref);
        }
        a += 8 * k, n -= k, types = types ? types + k : NULL;
    }
}

static void mark_slots(holt_vm *vm, gaddr a, uint64_t n) { mark_typed_slots(vm, a, n, NULL); }

/* The number of 8-byte slots an object of `size` bytes has after `header` bytes. */
static inline uint64_t slots_after(uint64_t size, uint64_t header)
{
    return size > header ? (size - header) / 8 : 0;
}

static inline uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* A list: its items array, and the first `len` items when they are references. */
static void trace_list(holt_vm *vm, gaddr list)
{
    gaddr items = ld64(vm, list + RT_LIST_ITEMS);
    if (!gc__is_object(vm, items))
        return;
    set_mark(vm, items);
    if (ld32(vm, items) != RT_T_ARRAY_REF)
        return;
    uint64_t room = slots_after(gc__size(vm, items), RT_ARRAY_SLOTS);
    if (room == 0)
        return;
    uint64_t n = min64(ld64(vm, list + RT_LIST_LEN), ld64(vm, items + 8));
    mark_slots(vm, items + RT_ARRAY_SLOTS, min64(n, room));
}

/* A map: its two arrays, and the keys and values of live entries by the map's types. */
static void trace_map(holt_vm *vm, gaddr map, const rt_type *t)
{
    gaddr entries = ld64(vm, map + RT_MAP_ENTRIES), index = ld64(vm, map + RT_MAP_INDEX);
    if (gc__is_object(vm, index))
        set_mark(vm, index);
    if (!gc__is_object(vm, entries))
        return;
    set_mark(vm, entries);
    bool keys = type_is_ref(vm, t->key), values = type_is_ref(vm, t->elem);
    uint64_t room = slots_after(gc__size(vm, entries), RT_ARRAY_SLOTS) / 3;
    if ((!keys && !values) || room == 0)
        return;
    uint64_t used = min64(ld64(vm, map + RT_MAP_USED), ld64(vm, entries + 8) / 3);
    used = min64(used, room);
    for (uint64_t e = 0; e < used; e++) {
        gaddr at = entries + RT_ARRAY_SLOTS + 24 * e;
        if (ld64(vm, at) == RT_MAP_DEAD)
            continue;
        if (keys)
            gc__mark(vm, ld64(vm, at + 8));
        if (values)
            gc__mark(vm, ld64(vm, at + 16));
    }
}

/* Does the object at a have at least `bytes` bytes? The runtime always allocates its kinds
 * whole; this only keeps a hand-made short one from being read past its end. */
static inline bool has_bytes(holt_vm *vm, gaddr a, uint64_t bytes)
{
    return gc__size(vm, a) >= bytes;
}

/* Trace the references of one marked object. */
static void trace(holt_vm *vm, gaddr a)
{
    rt_typeid id = ld32(vm, a);
    if (id >= vm->types.n)
        return;
    const rt_type *t = &vm->types.v[id];
    switch (t->kind) {
    case RK_ARRAY:
        if (id == RT_T_ARRAY_REF) {
            uint64_t room = slots_after(gc__size(vm, a), RT_ARRAY_SLOTS);
            if (room)
                mark_slots(vm, a + RT_ARRAY_SLOTS, min64(ld64(vm, a + 8), room));
        }
        break;
    case RK_LIST:
        if (has_bytes(vm, a, RT_LIST_ITEMS + 8))
            trace_list(vm, a);
        break;
    case RK_MAP:
        if (has_bytes(vm, a, RT_MAP_INDEX + 8))
            trace_map(vm, a, t);
        break;
    case RK_CLASS: {
        /* Without field types (a class registered before its definition), every field is
         * tried: the check in gc__mark keeps that safe. */
        uint64_t n = min64(t->nfields, slots_after(gc__size(vm, a), 8));
        mark_typed_slots(vm, a + 8, n, t->field_types);
        break;
    }
    case RK_FN: {
        /* A closure: 8 fnid · 16 ncaps · 24 cells[ncaps], every cell a reference. */
        uint64_t room = slots_after(gc__size(vm, a), 24);
        if (room)
            mark_slots(vm, a + 24, min64(ld64(vm, a + 16), room));
        break;
    }
    case RK_CELL:
        if (type_is_ref(vm, t->elem) && has_bytes(vm, a, 16))
            gc__mark(vm, ld64(vm, a + 8));
        break;
    default:
        break;
    }
}

static void drain(holt_vm *vm)
{
    gc_state *g = vm->heap.gc;
    while (g->sp)
        trace(vm, g->stack[--g->sp]);
}

/* After the mark stack failed to grow: trace every marked object again (those whose fields
 * are all marked already cost a little time), until no push fails. */
static void recover_overflow(holt_vm *vm)
{
    gc_state *g = vm->heap.gc;
    while (g->overflow) {
        g->overflow = false;
        for (gaddr a = g->start; a < vm->heap.top; a += gc__size(vm, a)) {
            if (ld32(vm, a) != RT_T_NONE && (ld32(vm, a + 4) & GC_MARK)) {
                trace(vm, a);
                drain(vm);
            }
        }
    }
}

bool gc__begin(holt_vm *vm)
{
    gc_state *g = vm->heap.gc;
    if (!g)
        return false;
    g->t0 = hm_clock_ns();
    gc__retire(vm);
    g->sp = 0;
    g->overflow = false;
    return true;
}

void gc__end(holt_vm *vm)
{
    rt_heap *h = &vm->heap;
    gc_state *g = h->gc;
    gc__mark(vm, vm->exc);
    gc__mark(vm, vm->outbuf);
    gc__mark(vm, vm->inbuf);
    gc__mark(vm, h->oom);
    for (uint32_t i = 0; i < vm->nroots; i++)
        gc__mark(vm, *vm->roots[i]);
    drain(vm);
    recover_overflow(vm);
    uint64_t live = gc__sweep(vm);
    g->live = live;

    /* The next collection comes after as much allocation as is live now (at least
     * GC_MIN_BUDGET), so the heap stays within a small multiple of the live data; but never
     * after more than half of the memory still free, so garbage is found before the limit. */
    uint64_t budget = live > GC_MIN_BUDGET ? live : GC_MIN_BUDGET;
    uint64_t headroom = vm->m.size > live ? vm->m.size - live : 0;
    if (budget > headroom / 2)
        budget = headroom / 2 > 4096 ? headroom / 2 : 4096;
    h->budget = vm->cfg.gc_stress ? 1 : budget;
    h->since_gc = 0;
    gc__release(vm, budget);

    uint64_t t1 = hm_clock_ns();
    g->pause_ns += t1 - g->t0;
    vm->m.stats[HM_STAT_gc_cycles]++;
    vm->m.stats[HM_STAT_gc_pause_us] = g->pause_ns / 1000;
    vm->m.stats[HM_STAT_gc_live] = live;
}

/* ---- temporary roots ------------------------------------------------------------------------ */

void rt_root_push(holt_vm *vm, gaddr *slot)
{
    if (vm->nroots == vm->roots_cap) {
        uint32_t cap = vm->roots_cap ? 2 * vm->roots_cap : 16;
        gaddr **r = realloc(vm->roots, cap * sizeof *r);
        if (!r)
            rt_throw_obj(vm, vm->heap.oom);
        vm->roots = r;
        vm->roots_cap = cap;
    }
    vm->roots[vm->nroots++] = slot;
}

void rt_root_pop(holt_vm *vm, uint32_t n)
{
    vm->nroots = n > vm->nroots ? 0 : vm->nroots - n;
}

/* heap.c — the one allocation funnel (rt.h: rt_alloc).
 *
 * Today the heap is a bump allocator over guest memory: objects are laid out one after the
 * other from the machine's base, 8-byte aligned, each starting with its header. The region
 * [base, top) is therefore a sequence of objects that a collector can walk: the header's type
 * id says the kind, and the kind's layout (rt.h) gives the size (STR 24 + len + 1, ARRAY
 * 16 + 8 * cap, LIST 40, MAP 56, BOX 16, OBJECT 8 + 8 * nfields, all rounded up to 8). Every
 * allocation of the runtime uses exactly those sizes. The header's GC word is left 0 for the
 * collector's mark bits or forwarding state; a collector will also need the roots (the value
 * stack, globals, module constants, vm->exc, vm->outbuf, vm->inbuf and heap.oom).
 *
 * Memory is handed to the heap by the machine in steps of GROW_STEP bytes (hm_map_heap) as
 * `top` passes `limit`, so accesses above the top fault even inside the reservation.
 */
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

gaddr rt_alloc(holt_vm *vm, rt_typeid type, uint64_t bytes)
{
    hmachine *m = &vm->m;
    rt_heap *h = &vm->heap;
    if (h->top == 0) {
        /* First use: start the heap at the bottom of guest memory. */
        h->top = h->limit = m->base + m->mapped;
    }
    if (bytes < 8)
        bytes = 8;
    uint64_t end_of_memory = m->base + m->size;
    if (bytes > m->size || bytes + 7 > end_of_memory - h->top)
        out_of_memory(vm);
    bytes = (bytes + 7) & ~7ull;
    gaddr obj = h->top;
    if (obj + bytes > h->limit) {
        uint64_t want = obj + bytes - m->base;
        want = (want + GROW_STEP - 1) / GROW_STEP * GROW_STEP;
        if (want > m->size)
            want = m->size;
        if (hm_map_heap(m, want) < 0)
            out_of_memory(vm);
        h->limit = m->base + m->mapped;
    }
    h->top = obj + bytes;
    h->bytes_allocated += bytes;
    /* Fresh memory is zero today, but a collector will hand out reused memory: zero it here,
     * in the one place every object comes from. */
    hm_fill(m, obj + 8, 0, bytes - 8);
    hm_st32(m, obj, type);
    hm_st32(m, obj + 4, 0);
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

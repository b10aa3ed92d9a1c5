/* gc.h — the collector's private interface, shared by the allocator (heap.c), the marker and
 * sweeper (gc.c) and the roots of the vm layer (vm/gcroots.c). docs/objects.md, "The
 * collector", describes the design; the public face is rt.h (rt_alloc, rt_gc_due,
 * rt_root_push) and vm.h (vm_collect).
 *
 * The heap is [start, heap.top) of guest memory: a sequence of objects and free blocks, each
 * 8-aligned, with no gap. A bitmap on the host has one bit per 8-byte granule, set where an
 * object or free block starts, so the heap can be walked and any object's size is the distance
 * to the next set bit (objects need not describe their own size). A free block has type id 0
 * (RT_T_NONE, never the type of an object); when it is at least 16 bytes it is linked into
 * the free list of its size class through its word at +8, and when at least 24 bytes its size
 * is at +16. The mark bit is bit 0 of the header's GC word; sweeping clears it again, so
 * outside a collection every GC word is 0.
 */
#ifndef HOLT_GC_H
#define HOLT_GC_H

#include <stdbool.h>
#include <stdint.h>

#include "rt.h"
#include "state.h"

#define GC_MARK 1u                /* bit of the GC word: reached in this collection */
#define GC_SMALL_MAX 512u         /* sizes up to this have one free list per 8 bytes */
#define GC_NBINS 120u             /* 65 exact lists (0..512 by 8), then one per power of two */
#define GC_MIN_BUDGET (1ull << 20) /* never collect more often than every MiB allocated */

typedef struct gc_state {
    gaddr start;                  /* first byte of the heap */
    uint64_t *starts;             /* bit per 8-byte granule from start: an object or free
                                     block starts there */
    uint64_t nstarts;             /* words in starts (covers [start, heap.limit)) */
    gaddr bp, bend;               /* the bump region [bp, bend) allocations are carved from;
                                     bp == 0 when there is none */
    bool wild;                    /* the bump region is the top of the heap (bp == heap.top) */
    gaddr bins[GC_NBINS];         /* free-list heads by size class, 0 when empty */
    uint64_t nonempty[2];         /* bit per size class whose list is not empty */
    uint64_t free_bytes;          /* bytes held in free lists */
    gaddr *stack;                 /* mark stack: marked objects whose fields are not yet
                                     traced */
    uint64_t sp, scap;            /* entries in use, capacity */
    bool overflow;                /* the mark stack could not grow: rescan the heap */
    uint64_t live;                /* bytes of objects that survived the last collection */
    uint64_t pause_ns;            /* time spent collecting, in total */
    uint64_t t0;                  /* when the current collection started */
} gc_state;

/* The collector's state, created on first use. NULL when the host is out of memory. */
gc_state *gc__state(holt_vm *vm);
/* Free the collector's host memory (rt_destroy calls it). Guest memory goes with the
 * machine. */
void gc__destroy(holt_vm *vm);

/* The size of the object or free block at `a` (its start bit is set): up to the next start
 * or the top of the heap. */
uint64_t gc__size(holt_vm *vm, gaddr a);
/* Is `a` the start of an object (not a free block) in the heap? Any 64-bit value is fine.
 * Inline: the marker asks this of every reference it meets. */
static inline bool gc__is_object(holt_vm *vm, gaddr a)
{
    const gc_state *g = vm->heap.gc;
    if (!g || a < g->start || a >= vm->heap.top || (a & 7))
        return false;
    uint64_t i = (a - g->start) >> 3;
    if (!(g->starts[i >> 6] & (1ull << (i & 63))))
        return false;
    return hm_ld32(&vm->m, a) != RT_T_NONE;
}

/* One collection, in three steps: gc__begin (false when nothing was ever allocated: then
 * there is nothing to do), gc__mark of every root the caller knows, gc__end (the runtime's own
 * roots, tracing, sweeping, the next budget, the counters). */
bool gc__begin(holt_vm *vm);
void gc__mark(holt_vm *vm, gaddr ref);
void gc__end(holt_vm *vm);

/* The allocator's part of a collection (heap.c). gc__retire puts the bump region back as a
 * free block so the heap can be walked; gc__sweep frees every unmarked object, clears the
 * marks, rebuilds the free lists and lowers the top (unmapping above it) when the heap ends
 * in free space. Returns the bytes still live. */
void gc__retire(holt_vm *vm);
uint64_t gc__sweep(holt_vm *vm);
/* After a sweep: give the whole pages inside free blocks back to the host, except in the
 * largest blocks holding `keep` bytes, which the next allocations will use. */
void gc__release(holt_vm *vm, uint64_t keep);

#endif

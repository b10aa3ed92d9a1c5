/* machine.h — the virtual machine Holt programs run on: guest memory, the trap table and the
 * counters. Everything above hostos/ reaches memory and the outside world only through here.
 *
 * Guest memory (today: a flat mapping; page tables and the TLB come behind the same calls).
 *   A guest virtual address (gaddr) names every byte a program owns. The heap occupies
 *   [HM_HEAP_BASE, HM_HEAP_BASE + mem_bytes). Address 0 is null and never mapped.
 *   Loads and stores of 1, 2, 4 and 8 bytes are little-endian. An access outside mapped
 *   memory calls the fault hook, which does not return (the runtime turns it into a
 *   MemoryFault error). Host pointers into guest memory (mem_span) are valid only until the
 *   next safepoint: allocation, call or trap.
 *
 * Traps. trap_call() is the only door to the host: it counts the trap, checks the policy and
 * runs the handler installed for that trap number (trap.def); embedders may replace handlers.
 */
#ifndef HOLT_MACHINE_H
#define HOLT_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t gaddr;

#define HM_HEAP_BASE 0x0000000010000000ull /* below the program's own range (0x1000_0000_0000) */
#define HM_PAGE_SIZE 4096u

typedef enum {
#define STAT(name, doc) HM_STAT_##name,
#include "stats.def"
#undef STAT
    HM_STAT__COUNT
} hm_stat;
extern const char *const hm_stat_names[HM_STAT__COUNT];

typedef enum {
#define TRAP(NAME, name, doc) TRAP_##NAME,
#include "trap.def"
#undef TRAP
    TRAP__COUNT
} trap_nr;
extern const char *const trap_names[TRAP__COUNT];

typedef enum { HM_READ, HM_WRITE, HM_EXEC } hm_access;

typedef struct hmachine hmachine;

/* A trap handler: performs trap `nr` with arguments a[0..3]; returns its result. */
typedef int64_t (*trap_handler)(hmachine *m, void *ctx, const uint64_t a[4]);

/* Called on an access the machine cannot serve; must not return (it longjmps). */
typedef void (*hm_fault_hook)(void *ctx, gaddr addr, hm_access access);

struct hmachine {
    uint8_t *host;                        /* host mapping of the heap's first byte */
    gaddr base;                           /* guest address of host[0]: HM_HEAP_BASE */
    uint64_t size;                        /* bytes of guest memory (the --mem limit) */
    uint64_t mapped;                      /* bytes at the bottom handed to the allocator so far */
    hm_fault_hook fault;                  /* set by the runtime */
    void *fault_ctx;
    struct {
        trap_handler fn;
        void *ctx;
    } traps[TRAP__COUNT];                 /* the trap table */
    uint64_t trap_counts[TRAP__COUNT];    /* per-kind counts, for --stats */
    uint64_t stats[HM_STAT__COUNT];       /* language.md 14 counters */
    int exit_status;                      /* set by the EXIT trap */
    bool exit_requested;                  /* the EXIT trap ran: the VM must stop */
};

/* Reserve `mem_bytes` of guest memory (rounded up to pages) and install the default trap
 * handlers. Returns 0 or a negative errno. Frames are host pages touched on demand, so an
 * idle VM stays small. */
int hm_init(hmachine *m, uint64_t mem_bytes);
void hm_destroy(hmachine *m);

/* Grow the mapped region to at least `bytes` from the base (the heap calls this). Returns 0,
 * or -ENOMEM when the limit would be exceeded. */
int hm_map_heap(hmachine *m, uint64_t bytes);

/* Give the host back the whole pages inside [a, a + n) of mapped guest memory: they stay
 * mapped and read as zero afterwards, but hold no host memory until touched again (the
 * collector calls this for large free blocks). Partial pages at either end are kept. */
void hm_release(hmachine *m, gaddr a, uint64_t n);
/* Shrink the mapped region to `bytes` from the base (rounded up to pages) and give the pages
 * above back to the host; accesses above fault again. Never grows it. */
void hm_shrink_heap(hmachine *m, uint64_t bytes);
/* The host's monotonic clock in nanoseconds, for the collector's pause counter. */
uint64_t hm_clock_ns(void);

/* Replace the handler of one trap; returns the previous one through *old (may be NULL). */
void trap_set(hmachine *m, trap_nr nr, trap_handler fn, void *ctx);
/* Enter the supervisor: count, check, perform. */
int64_t trap_call(hmachine *m, trap_nr nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* ---- guest memory access: the hot path ---------------------------------------------------- */

static inline bool hm_ok(const hmachine *m, gaddr a, uint64_t n)
{
    uint64_t off = a - m->base;
    return off < m->mapped && n <= m->mapped - off;
}

#define HM_DEFINE_ACCESS(bits)                                                                 \
    static inline uint##bits##_t hm_ld##bits(hmachine *m, gaddr a)                             \
    {                                                                                          \
        if (__builtin_expect(!hm_ok(m, a, bits / 8), 0))                                       \
            m->fault(m->fault_ctx, a, HM_READ);                                                \
        uint##bits##_t v;                                                                      \
        memcpy(&v, m->host + (a - m->base), sizeof v);                                         \
        return v;                                                                              \
    }                                                                                          \
    static inline void hm_st##bits(hmachine *m, gaddr a, uint##bits##_t v)                     \
    {                                                                                          \
        if (__builtin_expect(!hm_ok(m, a, bits / 8), 0))                                       \
            m->fault(m->fault_ctx, a, HM_WRITE);                                               \
        memcpy(m->host + (a - m->base), &v, sizeof v);                                         \
    }
HM_DEFINE_ACCESS(8)
HM_DEFINE_ACCESS(16)
HM_DEFINE_ACCESS(32)
HM_DEFINE_ACCESS(64)
#undef HM_DEFINE_ACCESS

/* Copy n bytes out of / into guest memory. */
void hm_read(hmachine *m, gaddr a, void *dst, uint64_t n);
void hm_write(hmachine *m, gaddr a, const void *src, uint64_t n);
void hm_fill(hmachine *m, gaddr a, uint8_t byte, uint64_t n);
void hm_move(hmachine *m, gaddr dst, gaddr src, uint64_t n);

/* A host pointer to n contiguous guest bytes at a, for reading or writing in place. When the
 * range is not contiguous on the host (later: it crosses a page boundary), the bytes are
 * copied into `scratch` (n bytes) and that is returned; a caller that writes must then
 * hm_write it back. Valid only until the next safepoint. */
void *hm_span(hmachine *m, gaddr a, uint64_t n, hm_access access, void *scratch);

#endif

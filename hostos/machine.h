/* machine.h — the virtual machine Holt programs run on: physical frames, x86-64 page tables,
 * a TLB, page faults and swap, two privilege levels, the trap table and the counters.
 * Everything above hostos/ reaches memory and the outside world only through here; the
 * format of the page tables and the fault kinds are tabled in docs/machine.md.
 *
 * Physical memory: `--mem` bytes of 4 KiB frames (hostos/physmem.c), one host reservation
 *   touched on demand. Frame 0 is never handed out. Page-table pages are frames too.
 * Virtual memory: one 48-bit address space described by 4-level x86-64 page tables (PML4 ->
 *   PDPT -> PD -> PT, 512 8-byte entries each; bits P RW US A D NX) rooted at `cr3`, walked by
 *   hostos/mmu.c, which sets A on every walk and D on writes. A not-present PTE may carry
 *   software bits (docs/machine.md): "demand-zero with permissions" (mapped, no frame yet) or
 *   "swapped out to slot N". The heap lives at [HM_HEAP_BASE, HM_HEAP_BASE + size) and is
 *   mapped (demand-zero, user, RW, NX) as it grows; the program's own range
 *   [HM_USER_BASE, HM_USER_END) holds only what machine.map maps there.
 * TLB: set-associative (`--tlb=ENTRIESxWAYS`, powers of two; entries 0 = none: every access
 *   walks). Way 0 of each set holds the set's most recently used entry, so the inlined hit
 *   path below compares one tag; the other ways are searched out of line (still a hit). Every
 *   access counts one tlb_hit or one tlb_miss. Unmapping or protecting a page invalidates its
 *   entry (hm_invlpg); hm_flush_tlb empties the TLB and counts a flush.
 * Faults: a miss whose walk finds no usable translation is a page fault, served by the
 *   supervisor's handler (hostos/fault.c) in this order: a demand-zero page gets a zeroed
 *   frame; a swapped page is read back; when no frame is free a victim chosen by the policy
 *   (`--swap=fifo|clock|lru`; clock and lru use the A bits) is written to the swap file first;
 *   anything else (no mapping, or a protection violation) goes to the fault hook, which either
 *   asks for a retry (a user handler mapped the page) or throws MemoryFault (does not return).
 * Privilege: the machine runs in user mode (ring 3) except while the supervisor handles a
 *   trap or a fault (ring 0). Privileged instructions (port I/O, TLB flush) and system calls
 *   (console, clock, exit, page mapping) go through trap_call, counted per kind.
 * Host pointers into guest memory (hm_span, the TLB's own) are valid only until the next
 *   safepoint; the frames of the last HM_PINS spans are never chosen as swap victims.
 */
#ifndef HOLT_MACHINE_H
#define HOLT_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t gaddr;

#define HM_HEAP_BASE 0x0000000010000000ull /* below the program's own range */
#define HM_USER_BASE 0x0000100000000000ull /* the program's own range (language.md 14) */
#define HM_USER_END 0x0000200000000000ull
#define HM_PAGE_SIZE 4096u
#define HM_PAGE_SHIFT 12
#define HM_PINS 8                          /* recent hm_span frames kept resident */

/* Page permissions, as machine.map's "r" "rw" "rx" "rwx" give them. */
enum { HM_PERM_R = 1, HM_PERM_W = 2, HM_PERM_X = 4 };

/* HM_SWAP_DEFAULT (0, so a zeroed hm_config takes the default) means clock. */
typedef enum { HM_SWAP_DEFAULT, HM_SWAP_FIFO, HM_SWAP_CLOCK, HM_SWAP_LRU } hm_policy;

typedef enum { HM_USER_MODE = 3, HM_SUPER_MODE = 0 } hm_mode;

/* The shape of a machine, from the command line or the embedder. Zero fields take defaults. */
typedef struct {
    uint64_t mem_bytes;                   /* physical memory; 0 = 256 MiB */
    uint64_t heap_bytes;                  /* the heap's virtual size limit; 0 = 4 x mem_bytes */
    uint32_t tlb_entries, tlb_ways;       /* 0 x 0 = the default (docs/machine.md);
                                             tlb_off = 1 forces every access to walk */
    bool tlb_off;
    hm_policy policy;                     /* victim choice when frames run out; default clock */
} hm_config;

/* One TLB entry. Tags are virtual page numbers; HM_TLB_NONE never matches. */
#define HM_TLB_NONE UINT64_MAX
typedef struct {
    uint64_t rtag;                        /* vpn when reads through this entry are allowed */
    uint64_t wtag;                        /* vpn when writes are allowed and D is already set */
    uint8_t *host;                        /* host address of the frame's first byte */
    uint64_t pfn;                         /* the frame, for invalidation and accounting */
} hm_tlbe;

/* A page fault as the fault hook sees it. */
/* HM_FAULT_OUT_OF_MEMORY: no frame is free and none can be evicted (all pinned or page
 * tables, or the swap file cannot grow); the hook must throw OutOfMemoryError. */
typedef enum { HM_FAULT_NOT_PRESENT, HM_FAULT_PROTECTION, HM_FAULT_OUT_OF_MEMORY } hm_fault_kind;

typedef enum {
#define STAT(name, doc) HM_STAT_##name,
#include "stats.def"
#undef STAT
    HM_STAT__COUNT
} hm_stat;
extern const char *const hm_stat_names[HM_STAT__COUNT];

/* trap.def's kind column: a system call (counted in `traps` and `syscalls`) or a privileged
 * instruction (counted in `traps` only), which traps when executed in user mode and runs
 * directly, uncounted, in supervisor mode. trap_kinds[] is defined in trap.c. */
typedef enum { TRAP_SYSCALL, TRAP_PRIVILEGED } trap_kind;

typedef enum {
#define TRAP(NAME, name, kind, doc) TRAP_##NAME,
#include "trap.def"
#undef TRAP
    TRAP__COUNT
} trap_nr;
extern const char *const trap_names[TRAP__COUNT];
extern const trap_kind trap_kinds[TRAP__COUNT];

typedef enum { HM_READ, HM_WRITE, HM_EXEC } hm_access;

typedef struct hmachine hmachine;

/* A trap handler: performs trap `nr` with arguments a[0..3]; returns its result. */
typedef int64_t (*trap_handler)(hmachine *m, void *ctx, const uint64_t a[4]);

/* Called on a fault the supervisor's built-in handler cannot serve. Returns true to retry the
 * access (a handler mapped or unprotected the page); otherwise it must not return (it throws
 * MemoryFault, a longjmp). */
typedef bool (*hm_fault_hook)(void *ctx, gaddr addr, hm_access access, hm_fault_kind kind);

struct hm_phys;                           /* physmem.c */
struct hm_swap;                           /* fault.c */

struct hmachine {
    gaddr base;                           /* the heap's first address: HM_HEAP_BASE */
    uint64_t size;                        /* the heap's virtual size limit (heap_bytes) */
    uint64_t mapped;                      /* bytes at the bottom of the heap mapped so far */
    hm_config cfg;                        /* as given, defaults filled in */
    hm_mode mode;                         /* current privilege level */
    uint64_t cr3;                         /* physical address of the PML4 */
    struct hm_phys *phys;                 /* frames: host memory, free list, owners */
    struct hm_swap *swap;                 /* swap file, slots, the policy's state */
    hm_tlbe *tlb;                         /* sets x ways entries, way 0 the most recent */
    uint64_t tlb_set_mask;                /* sets - 1 (sets a power of two) */
    uint32_t tlb_way_shift;               /* log2(ways) */
    bool tlb_on;                          /* false: every access walks (tlb_off, or 0 entries) */
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
    /* Observers, NULL when off, so each costs one branch where it is called. The events and
     * their arguments are tabled in hostos/trace.h (HM_TRACE_FAULT from the fault handler,
     * HM_TRACE_TRAP from trap_call, HM_TRACE_TLB from the TLB miss path every 4096 misses,
     * HM_TRACE_GC_BEGIN/END from the collector); callers use hm_trace() from there. */
    void (*trace)(hmachine *m, int event, const uint64_t *args); /* --trace (trace.c) */
    void *trace_ctx;                      /* the tracer's state */
    /* The Holt supervisor (--supervisor, vm/supervisor.c): asked first, before the built-in
     * handler, about every fault on the program's range [HM_USER_BASE, HM_USER_END). True =
     * handled: retry the access once; a fault on the retry goes to the built-in handler
     * without asking again. False = pass the fault on. It may run Holt code. */
    hm_fault_hook super_fault;
    void *super_ctx;                      /* the supervisor's state */
};

/* Build a machine: physical frames, an empty address space with its PML4, the TLB, the swap
 * state, the default trap handlers; user mode. Returns 0 or a negative errno (-EINVAL for a
 * bad shape: TLB not powers of two or ways > entries, mem below 64 KiB). Frames are host
 * pages touched on demand, so an idle VM stays small. */
int hm_init(hmachine *m, const hm_config *cfg);
void hm_destroy(hmachine *m);

/* ---- address space (mmu.c): system calls of the machine module and the heap -------------- */

/* Map `pages` pages at va (page aligned; 0 = the machine picks a free place in the program's
 * range) as demand-zero with permissions perm (HM_PERM_*; user pages). Returns the address, or
 * -EINVAL (unaligned, outside the program's range, pages 0), -EEXIST (overlaps a mapping) or
 * -ENOMEM. */
int64_t hm_map(hmachine *m, gaddr va, uint64_t pages, unsigned perm);
/* Unmap pages (frames and swap slots freed, TLB entries invalidated). 0 or -EINVAL. */
int hm_unmap(hmachine *m, gaddr va, uint64_t pages);
/* Change the permissions of mapped pages (entries invalidated). 0, -EINVAL or -ENOENT (a page
 * in the range is not mapped). */
int hm_protect(hmachine *m, gaddr va, uint64_t pages, unsigned perm);
/* Empty the whole TLB (counted in tlb_flushes) / drop one page's entry. */
void hm_flush_tlb(hmachine *m);
void hm_invlpg(hmachine *m, gaddr va);
/* Walk the tables for va without faulting: the PTE value (0 when no table reaches it), for
 * tests, the machine module's study tools and --trace. */
uint64_t hm_pte(hmachine *m, gaddr va);
/* Resident frames in use (page tables included) and free, for stats and traces. */
uint64_t hm_frames_used(const hmachine *m);
uint64_t hm_frames_total(const hmachine *m);

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

/* Out of line (tlb.c): the other ways, the walk, faults (which may not return), fills way 0;
 * returns the host address of a[0] for an access of n bytes within one page. */
uint8_t *hm__slow(hmachine *m, gaddr a, unsigned n, hm_access access);
/* Accesses that cross a page boundary, byte by byte through the above. */
uint64_t hm__ld_cross(hmachine *m, gaddr a, unsigned n);
void hm__st_cross(hmachine *m, gaddr a, unsigned n, uint64_t v);

/* The TLB's way 0 for va: one tag compare on the hit path. */
static inline hm_tlbe *hm_tlb_way0(hmachine *m, gaddr a)
{
    return &m->tlb[((a >> HM_PAGE_SHIFT) & m->tlb_set_mask) << m->tlb_way_shift];
}

/* Is [a, a + n) mapped and readable by the program now (no fault taken, no counter moved)?
 * For trap handlers checking guest buffers. */
bool hm_ok(hmachine *m, gaddr a, uint64_t n);

#define HM_DEFINE_ACCESS(bits)                                                                 \
    static inline uint##bits##_t hm_ld##bits(hmachine *m, gaddr a)                             \
    {                                                                                          \
        uint##bits##_t v;                                                                      \
        hm_tlbe *e = hm_tlb_way0(m, a);                                                        \
        if (__builtin_expect(e->rtag == a >> HM_PAGE_SHIFT &&                                   \
                                 (a & (HM_PAGE_SIZE - 1)) <= HM_PAGE_SIZE - bits / 8, 1)) {      \
            m->stats[HM_STAT_tlb_hits]++;                                                      \
            memcpy(&v, e->host + (a & (HM_PAGE_SIZE - 1)), sizeof v);                          \
            return v;                                                                          \
        }                                                                                      \
        if ((a & (HM_PAGE_SIZE - 1)) > HM_PAGE_SIZE - bits / 8)                                \
            return (uint##bits##_t)hm__ld_cross(m, a, bits / 8);                               \
        memcpy(&v, hm__slow(m, a, bits / 8, HM_READ), sizeof v);                               \
        return v;                                                                              \
    }                                                                                          \
    static inline void hm_st##bits(hmachine *m, gaddr a, uint##bits##_t v)                     \
    {                                                                                          \
        hm_tlbe *e = hm_tlb_way0(m, a);                                                        \
        if (__builtin_expect(e->wtag == a >> HM_PAGE_SHIFT &&                                   \
                                 (a & (HM_PAGE_SIZE - 1)) <= HM_PAGE_SIZE - bits / 8, 1)) {      \
            m->stats[HM_STAT_tlb_hits]++;                                                      \
            memcpy(e->host + (a & (HM_PAGE_SIZE - 1)), &v, sizeof v);                          \
            return;                                                                            \
        }                                                                                      \
        if ((a & (HM_PAGE_SIZE - 1)) > HM_PAGE_SIZE - bits / 8) {                              \
            hm__st_cross(m, a, bits / 8, v);                                                   \
            return;                                                                            \
        }                                                                                      \
        memcpy(hm__slow(m, a, bits / 8, HM_WRITE), &v, sizeof v);                              \
    }
HM_DEFINE_ACCESS(8)
HM_DEFINE_ACCESS(16)
HM_DEFINE_ACCESS(32)
HM_DEFINE_ACCESS(64)
#undef HM_DEFINE_ACCESS

/* One translation for n bytes at a that lie within one page: the host address of a[0],
 * counted as one access (a hit, or a miss and its walk, which may fault and not return), or
 * NULL without counting anything when [a, a + n) crosses a page boundary (the caller then
 * takes the byte-range path: hm_ld*, hm_read...). The pointer is valid only until the next
 * guest access, which may fault and evict the frame: read or write through it, then drop it.
 * This is how a caller that touches several words of one object pays for one translation. */
static inline uint8_t *hm_host(hmachine *m, gaddr a, unsigned n, hm_access access)
{
    uint64_t off = a & (HM_PAGE_SIZE - 1);
    if (__builtin_expect(off + n > HM_PAGE_SIZE, 0))
        return NULL;
    hm_tlbe *e = hm_tlb_way0(m, a);
    uint64_t tag = access == HM_WRITE ? e->wtag : e->rtag;
    if (__builtin_expect(tag == a >> HM_PAGE_SHIFT && access != HM_EXEC, 1)) {
        m->stats[HM_STAT_tlb_hits]++;
        return e->host + off;
    }
    return hm__slow(m, a, n, access);
}

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

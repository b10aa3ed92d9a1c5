/* hm_int.h — what the machine's own files share and nothing above hostos/ sees: the page-table
 * entry bits, the frame table and the swap state, and the calls between physmem.c, mmu.c,
 * tlb.c and fault.c. docs/machine.md tables the PTE layout.
 */
#ifndef HOLT_HM_INT_H
#define HOLT_HM_INT_H

#include "machine.h"

/* Page-table entry bits (x86-64). Hardware bits first, then the software bits this machine
 * keeps in not-present entries, where the processor ignores every bit but P. */
#define PTE_P (1ull << 0)              /* present: the address bits name a frame */
#define PTE_RW (1ull << 1)             /* writable */
#define PTE_US (1ull << 2)             /* user mode may access */
#define PTE_A (1ull << 5)              /* accessed: set by every walk that uses the entry */
#define PTE_D (1ull << 6)              /* dirty: set by a walk for a write */
#define PTE_DZ (1ull << 9)             /* software, P = 0: mapped demand-zero, no frame yet */
#define PTE_SWAP (1ull << 10)          /* software, P = 0: swapped out, slot in bits 12..51 */
#define PTE_NX (1ull << 63)            /* no execute */
#define PTE_ADDR 0x000ffffffffff000ull /* frame address (P = 1) or swap slot << 12 (SWAP) */
#define PTE_PERM (PTE_RW | PTE_US | PTE_NX) /* kept across demand-zero, present and swapped */
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US) /* a non-leaf entry: the leaf decides */

/* The lower half of a 48-bit address space: the only canonical addresses a program has. */
#define HM_VA_LIMIT (1ull << 47)

/* What a frame holds. */
typedef enum { HM_FRAME_FREE, HM_FRAME_TABLE, HM_FRAME_USER } hm_frame_kind;

typedef struct {
    uint64_t vpn;                      /* the virtual page mapping it (user frames) */
    uint32_t prev, next;               /* resident user frames in mapping order (frame 0 is
                                          the list head: it is never handed out) */
    uint8_t kind;                      /* hm_frame_kind */
    uint8_t pins;                      /* entries of the pin ring naming this frame */
    uint8_t age;                       /* lru: A bits sampled, newest in bit 7 */
    uint8_t dirty;                     /* the host page may hold old bytes: zero before use */
} hm_frame;

struct hm_phys {
    uint8_t *host;                     /* the reservation: frame p is host + p * 4096 */
    uint64_t nframes;                  /* frames, frame 0 included */
    hm_frame *f;                       /* per-frame owner information */
    uint32_t *free;                    /* stack of free frame numbers */
    uint64_t nfree;                    /* entries in free */
    uint64_t resident;                 /* user frames on the list */
    uint32_t hand;                     /* clock: the next frame to look at, 0 = the head */
    uint32_t pins[HM_PINS];            /* frames of the last hm_span calls, 0 = none */
    unsigned pin_next;                 /* the ring slot to replace next */
    gaddr map_hint;                    /* where hm_map(0, ...) starts looking */
};

struct hm_swap {
    int fd;                            /* the swap file (unlinked), -1 until first used */
    uint64_t nslots;                   /* slots the file has grown to */
    uint64_t *free;                    /* stack of free slots */
    uint64_t nfree, cap;               /* entries in free, its capacity */
};

/* ---- physmem.c ---- */
int hm__phys_init(hmachine *m, uint64_t bytes);
void hm__phys_destroy(hmachine *m);
static inline uint8_t *hm__frame(const hmachine *m, uint64_t pfn)
{
    return m->phys->host + (pfn << HM_PAGE_SHIFT);
}
/* A free frame for `kind` (user frames go on the resident list as `vpn`), zeroed; 0 when no
 * frame is free (no eviction here: fault.c's hm__frame_get does that). */
uint64_t hm__frame_take(hmachine *m, hm_frame_kind kind, uint64_t vpn);
void hm__frame_free(hmachine *m, uint64_t pfn);
/* Keep the frame resident until HM_PINS more pins are made. */
void hm__pin(hmachine *m, uint64_t pfn);

/* ---- mmu.c ---- */
/* The leaf PTE of vpn, or NULL when a table on the way is missing; with create, missing
 * tables are made (NULL then means no frame could be had). */
uint64_t *hm__leaf(hmachine *m, uint64_t vpn, bool create);

/* ---- tlb.c ---- */
int hm__tlb_init(hmachine *m);
void hm__tlb_destroy(hmachine *m);

/* ---- fault.c ---- */
void hm__swap_init(hmachine *m);
void hm__swap_destroy(hmachine *m);
/* A frame, evicting a victim by the policy when none is free; 0 when none can be had. */
uint64_t hm__frame_get(hmachine *m, hm_frame_kind kind, uint64_t vpn);
/* Serve a page fault on a (the walk found `pte`, NULL when no table reaches it). Returns when
 * the access should be retried; the hook may not return. */
void hm__fault(hmachine *m, gaddr a, hm_access access, uint64_t *pte);
/* Give back the swap slot of a swapped PTE. */
void hm__swap_drop(hmachine *m, uint64_t pte);

#endif

/* machine.c — building and tearing down a machine (machine.h): the shape's defaults and
 * checks, the frames, the PML4, the TLB and the swap state, and the name tables of the
 * counters and traps. The parts live in physmem.c, mmu.c, tlb.c and fault.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hm_int.h"

#define DEFAULT_MEM (256ull << 20)
#define MIN_MEM (64ull << 10)
#define DEFAULT_TLB_ENTRIES 256u
#define DEFAULT_TLB_WAYS 4u

const char *const hm_stat_names[HM_STAT__COUNT] = {
#define STAT(name, doc) #name,
#include "stats.def"
#undef STAT
};

const char *const trap_names[TRAP__COUNT] = {
#define TRAP(NAME, name, kind, doc) name,
#include "trap.def"
#undef TRAP
};

/* The hook in place until the runtime installs its own. Reaching it means an access faulted
 * before anything could turn it into a MemoryFault: a bug in the VM, never in a program. */
static bool default_fault(void *ctx, gaddr addr, hm_access access, hm_fault_kind kind)
{
    (void)ctx, (void)kind;
    static const char *const kinds[] = {"read", "write", "exec"};
    fprintf(stderr, "holt: internal error: guest %s at 0x%llx with no fault handler\n",
            (unsigned)access < 3 ? kinds[access] : "access", (unsigned long long)addr);
    abort();
}

int hm_init(hmachine *m, const hm_config *cfg)
{
    memset(m, 0, sizeof *m);
    m->fault = default_fault;
    if (cfg)
        m->cfg = *cfg;
    hm_config *c = &m->cfg;
    if (!c->mem_bytes)
        c->mem_bytes = DEFAULT_MEM;
    if (c->mem_bytes < MIN_MEM)
        return -EINVAL;
    c->mem_bytes &= ~(uint64_t)(HM_PAGE_SIZE - 1);
    if (!c->heap_bytes)
        c->heap_bytes = c->mem_bytes > (HM_USER_BASE - HM_HEAP_BASE) / 4
                            ? HM_USER_BASE - HM_HEAP_BASE
                            : 4 * c->mem_bytes;
    if (c->heap_bytes > HM_USER_BASE - HM_HEAP_BASE)
        return -ENOMEM;
    c->heap_bytes = (c->heap_bytes + HM_PAGE_SIZE - 1) & ~(uint64_t)(HM_PAGE_SIZE - 1);
    if (!c->tlb_entries && !c->tlb_ways && !c->tlb_off) {
        c->tlb_entries = DEFAULT_TLB_ENTRIES;
        c->tlb_ways = DEFAULT_TLB_WAYS;
    }
    if (c->policy == HM_SWAP_DEFAULT)
        c->policy = HM_SWAP_CLOCK;
    if ((unsigned)c->policy > HM_SWAP_LRU)
        return -EINVAL;
    int rc = hm__tlb_init(m);
    if (rc < 0) {
        hm_destroy(m);
        return rc == -1 ? -EINVAL : -ENOMEM;
    }
    rc = hm__phys_init(m, c->mem_bytes);
    if (rc < 0) {
        hm_destroy(m);
        return rc;
    }
    hm__swap_init(m);
    uint64_t pml4 = hm__frame_take(m, HM_FRAME_TABLE, 0);
    if (!m->swap || !pml4) {
        hm_destroy(m);
        return -ENOMEM;
    }
    m->cr3 = pml4 << HM_PAGE_SHIFT;
    m->base = HM_HEAP_BASE;
    m->size = c->heap_bytes;
    m->mapped = 0;
    m->mode = HM_USER_MODE;
    /* A NULL handler installs the default one (trap.c). */
    for (int nr = 0; nr < TRAP__COUNT; nr++)
        trap_set(m, (trap_nr)nr, NULL, NULL);
    return 0;
}

void hm_destroy(hmachine *m)
{
    hm__swap_destroy(m);
    hm__phys_destroy(m);
    hm__tlb_destroy(m);
    m->size = 0;
    m->mapped = 0;
    m->cr3 = 0;
}

uint64_t hm_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

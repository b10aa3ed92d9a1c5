/* machine.c — guest memory of the machine (machine.h): one flat host reservation, the checked
 * bulk accessors and the name tables of the counters and traps.
 *
 * The whole guest memory limit is reserved up front as one anonymous private mapping with
 * MAP_NORESERVE: the host gives a page only when it is first touched, so a VM with a large
 * --mem that allocates little stays small. `mapped` is the prefix the heap has been handed so
 * far; every access is checked against it, not against the reservation, so a stray address
 * inside the reservation but above the heap's top still faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "machine.h"

#define DEFAULT_MEM (256ull << 20)
/* The heap must end below the program's own range (language.md 14). */
#define PROGRAM_RANGE_START 0x0000100000000000ull

const char *const hm_stat_names[HM_STAT__COUNT] = {
#define STAT(name, doc) #name,
#include "stats.def"
#undef STAT
};

const char *const trap_names[TRAP__COUNT] = {
#define TRAP(NAME, name, doc) name,
#include "trap.def"
#undef TRAP
};

/* The hook in place until the runtime installs its own. Reaching it means an access was made
 * before anything could turn it into a MemoryFault: a bug in the VM, never in a program. */
static void default_fault(void *ctx, gaddr addr, hm_access access)
{
    (void)ctx;
    static const char *const kinds[] = {"read", "write", "exec"};
    fprintf(stderr, "holt: internal error: guest %s at 0x%llx with no fault handler\n",
            (unsigned)access < 3 ? kinds[access] : "access", (unsigned long long)addr);
    abort();
}

int hm_init(hmachine *m, uint64_t mem_bytes)
{
    memset(m, 0, sizeof *m);
    m->fault = default_fault;
    if (mem_bytes == 0)
        mem_bytes = DEFAULT_MEM;
    if (mem_bytes > PROGRAM_RANGE_START - HM_HEAP_BASE)
        return -ENOMEM;
    uint64_t size = (mem_bytes + HM_PAGE_SIZE - 1) & ~(uint64_t)(HM_PAGE_SIZE - 1);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    m->host = p;
    m->base = HM_HEAP_BASE;
    m->size = size;
    m->mapped = 0;
    /* A NULL handler installs the default one (trap.c). */
    for (int nr = 0; nr < TRAP__COUNT; nr++)
        trap_set(m, (trap_nr)nr, NULL, NULL);
    return 0;
}

void hm_destroy(hmachine *m)
{
    if (m->host)
        munmap(m->host, m->size);
    m->host = NULL;
    m->size = 0;
    m->mapped = 0;
}

int hm_map_heap(hmachine *m, uint64_t bytes)
{
    if (bytes > m->size)
        return -ENOMEM;
    uint64_t want = (bytes + HM_PAGE_SIZE - 1) & ~(uint64_t)(HM_PAGE_SIZE - 1);
    if (want > m->size)
        want = m->size;
    if (want > m->mapped)
        m->mapped = want;
    return 0;
}

void hm_release(hmachine *m, gaddr a, uint64_t n)
{
    uint64_t off = a - m->base;
    if (off >= m->mapped || n > m->mapped - off)
        return;
    uint64_t lo = (off + HM_PAGE_SIZE - 1) & ~(uint64_t)(HM_PAGE_SIZE - 1);
    uint64_t hi = (off + n) & ~(uint64_t)(HM_PAGE_SIZE - 1);
    /* MADV_DONTNEED on a private anonymous mapping drops the frames at once; the range reads
     * as zero afterwards. A failure only means the host keeps the memory. */
    if (hi > lo)
        (void)madvise(m->host + lo, hi - lo, MADV_DONTNEED);
}

void hm_shrink_heap(hmachine *m, uint64_t bytes)
{
    uint64_t want = (bytes + HM_PAGE_SIZE - 1) & ~(uint64_t)(HM_PAGE_SIZE - 1);
    if (want >= m->mapped)
        return;
    (void)madvise(m->host + want, m->mapped - want, MADV_DONTNEED);
    m->mapped = want;
}

uint64_t hm_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The first byte of [a, a+n) that is not mapped: the address a fault reports. */
static gaddr first_bad(const hmachine *m, gaddr a)
{
    uint64_t off = a - m->base;
    return off < m->mapped ? m->base + m->mapped : a;
}

/* Check [a, a+n) and fault on a bad range. The hook does not return; if a broken hook does,
 * stopping here is the only safe thing left. */
static void check(hmachine *m, gaddr a, uint64_t n, hm_access access)
{
    if (__builtin_expect(n == 0 || hm_ok(m, a, n), 1))
        return;
    m->fault(m->fault_ctx, first_bad(m, a), access);
    fprintf(stderr, "holt: internal error: the fault hook returned\n");
    abort();
}

void hm_read(hmachine *m, gaddr a, void *dst, uint64_t n)
{
    check(m, a, n, HM_READ);
    if (n)
        memcpy(dst, m->host + (a - m->base), n);
}

void hm_write(hmachine *m, gaddr a, const void *src, uint64_t n)
{
    check(m, a, n, HM_WRITE);
    if (n)
        memcpy(m->host + (a - m->base), src, n);
}

void hm_fill(hmachine *m, gaddr a, uint8_t byte, uint64_t n)
{
    check(m, a, n, HM_WRITE);
    if (n)
        memset(m->host + (a - m->base), byte, n);
}

void hm_move(hmachine *m, gaddr dst, gaddr src, uint64_t n)
{
    check(m, src, n, HM_READ);
    check(m, dst, n, HM_WRITE);
    if (n)
        memmove(m->host + (dst - m->base), m->host + (src - m->base), n);
}

void *hm_span(hmachine *m, gaddr a, uint64_t n, hm_access access, void *scratch)
{
    /* The mapping is flat, so every range is contiguous on the host and scratch is unused. */
    (void)scratch;
    check(m, a, n, access);
    if (n == 0)
        return scratch ? scratch : (void *)m->host;
    return m->host + (a - m->base);
}

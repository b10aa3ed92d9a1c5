/* tlb_cost.c — the cost of one guest memory access on the machine's hit path and on a page
 * walk, in nanoseconds, measured on the machine itself (hostos/machine.h), without the
 * interpreter around it.
 *
 *   cc -O2 -D_GNU_SOURCE -Iinclude -Ihostos bench/tlb_cost.c build/libholt.a -lm -o tlb_cost
 *   ./tlb_cost [ACCESSES]
 *
 * Each measurement reads 64-bit words spread over PAGES pages of the program's range (so the
 * set index changes from one access to the next), summing them so nothing is optimised away:
 *   hit   the default TLB, every page already cached: the inlined one-compare path;
 *   way   a 1-set TLB with as many ways as pages: each access hits in another way, out of line;
 *   walk  --tlb=off: every access walks the four levels of page tables and sets the A bit;
 *   host  the same loop over a plain host array: the loop's own cost, to subtract.
 * It prints one line per case with the nanoseconds per access and the counters that prove
 * which path ran (hits, misses, walks per access).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "machine.h"

#define PAGES 16u

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int measure(const char *name, hm_config cfg, uint64_t accesses)
{
    hmachine m;
    if (hm_init(&m, &cfg) < 0) {
        fprintf(stderr, "tlb_cost: cannot build the machine for '%s'\n", name);
        return 1;
    }
    int64_t base = hm_map(&m, 0, PAGES, HM_PERM_R | HM_PERM_W);
    if (base < 0) {
        fprintf(stderr, "tlb_cost: cannot map pages\n");
        hm_destroy(&m);
        return 1;
    }
    gaddr a = (gaddr)base;
    for (unsigned p = 0; p < PAGES; p++)
        hm_st64(&m, a + p * HM_PAGE_SIZE, p);
    /* Warm up, then count from zero. */
    uint64_t sum = 0;
    for (unsigned i = 0; i < 4 * PAGES; i++)
        sum += hm_ld64(&m, a + (i % PAGES) * HM_PAGE_SIZE + 8 * (i % 8));
    uint64_t h0 = m.stats[HM_STAT_tlb_hits], m0 = m.stats[HM_STAT_tlb_misses], w0 = m.stats[HM_STAT_page_walks];
    double t0 = now();
    for (uint64_t i = 0; i < accesses; i++)
        sum += hm_ld64(&m, a + (i % PAGES) * HM_PAGE_SIZE + 8 * (i & 7));
    double t1 = now();
    double n = (double)accesses;
    printf("%-5s %6.2f ns/access   hits %.2f  misses %.2f  walks %.2f per access   (sum %llu)\n", name,
           (t1 - t0) * 1e9 / n, (double)(m.stats[HM_STAT_tlb_hits] - h0) / n,
           (double)(m.stats[HM_STAT_tlb_misses] - m0) / n, (double)(m.stats[HM_STAT_page_walks] - w0) / n,
           (unsigned long long)sum);
    hm_destroy(&m);
    return 0;
}

/* The loop alone, on host memory. */
static void measure_host(uint64_t accesses)
{
    uint64_t *words = calloc(PAGES * HM_PAGE_SIZE / 8, 8);
    if (!words)
        return;
    for (unsigned p = 0; p < PAGES; p++)
        words[p * HM_PAGE_SIZE / 8] = p;
    volatile uint64_t *v = words;
    uint64_t sum = 0;
    double t0 = now();
    for (uint64_t i = 0; i < accesses; i++)
        sum += v[(i % PAGES) * HM_PAGE_SIZE / 8 + (i & 7)];
    double t1 = now();
    printf("%-5s %6.2f ns/access   (plain host loads, volatile)                (sum %llu)\n", "host",
           (t1 - t0) * 1e9 / (double)accesses, (unsigned long long)sum);
    free(words);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000ull;
    if (n == 0)
        n = 50000000ull;
    int rc = 0;
    rc |= measure("hit", (hm_config){.mem_bytes = 16u << 20}, n);
    rc |= measure("way", (hm_config){.mem_bytes = 16u << 20, .tlb_entries = PAGES, .tlb_ways = PAGES}, n);
    rc |= measure("walk", (hm_config){.mem_bytes = 16u << 20, .tlb_off = true}, n);
    measure_host(n);
    return rc;
}

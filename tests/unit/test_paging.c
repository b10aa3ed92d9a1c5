/* test_paging.c — the machine's memory (hostos/physmem.c, mmu.c, tlb.c, fault.c): the page
 * walker and every PTE bit, fault kinds, the TLB's sets and ways and counters, swap under each
 * policy, Belady's anomaly under FIFO, and frame accounting. */
#include <criterion/criterion.h>
#include <errno.h>
#include <setjmp.h>
#include <string.h>

#include "machine_fixture.h"

#define P (1ull << 0)
#define RW (1ull << 1)
#define US (1ull << 2)
#define A (1ull << 5)
#define D (1ull << 6)
#define DZ (1ull << 9)
#define SWAPPED (1ull << 10)
#define NX (1ull << 63)
#define PG HM_PAGE_SIZE

/* ---- shapes -------------------------------------------------------------------------------- */

Test(paging, bad_shapes_are_refused)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &(hm_config){.mem_bytes = 4096}), -EINVAL);
    cr_assert_eq(hm_init(&m, &(hm_config){.tlb_entries = 3, .tlb_ways = 1}), -EINVAL);
    cr_assert_eq(hm_init(&m, &(hm_config){.tlb_entries = 4, .tlb_ways = 8}), -EINVAL);
    cr_assert_eq(hm_init(&m, &(hm_config){.tlb_entries = 4, .tlb_ways = 0}), -EINVAL);
    cr_assert_eq(hm_init(&m, &(hm_config){.policy = (hm_policy)9}), -EINVAL);
    cr_assert_eq(hm_init(&m, &(hm_config){.heap_bytes = 1ull << 50}), -ENOMEM);
    cr_assert_eq(hm_init(&m, &(hm_config){.mem_bytes = 1ull << 40}), -ENOMEM);
    cr_assert_eq(hm_init(&m, &(hm_config){.tlb_entries = 1, .tlb_ways = 1}), 0);
    cr_assert(m.tlb_on);
    hm_destroy(&m);
    cr_assert_eq(hm_init(&m, &(hm_config){.tlb_off = true}), 0);
    cr_assert_not(m.tlb_on);
    hm_destroy(&m);
}

Test(paging, frames_are_counted_page_tables_included)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 0);
    cr_assert_eq(hm_frames_total(&m), 255); /* frame 0 is never handed out */
    cr_assert_eq(hm_frames_used(&m), 1);    /* the PML4 */
    cr_assert_eq(hm_map_heap(&m, 8 * PG), 0);
    cr_assert_eq(hm_frames_used(&m), 4);    /* + PDPT, PD, PT; no frame for the pages yet */
    hm_st8(&m, m.base, 1);
    hm_st8(&m, m.base + 5 * PG, 1);
    cr_assert_eq(hm_frames_used(&m), 6);
    cr_assert_eq(m.stats[HM_STAT_faults_demand_zero], 2);
    hm_release(&m, m.base, 8 * PG);
    cr_assert_eq(hm_frames_used(&m), 4);
    cr_assert_eq(hm_pte(&m, m.base) & (P | DZ), DZ);
    cr_assert_eq(hm_ld8(&m, m.base + 5 * PG), 0);
    cr_assert_eq(hm_frames_used(&m), 5);
    hm_shrink_heap(&m, 2 * PG);
    cr_assert_eq(hm_frames_used(&m), 4); /* page 5 gone again */
    cr_assert_eq(hm_pte(&m, m.base + 5 * PG), 0);
    hm_destroy(&m);
}

/* ---- the walker ---------------------------------------------------------------------------- */

Test(paging, walker_sets_present_accessed_and_dirty)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 0);
    cr_assert_eq(hm_map(&m, HM_USER_BASE, 3, HM_PERM_R | HM_PERM_W), (int64_t)HM_USER_BASE);
    uint64_t pte = hm_pte(&m, HM_USER_BASE);
    cr_assert_eq(pte, DZ | RW | US | NX, "demand-zero with permissions: %llx", (unsigned long long)pte);
    cr_assert_eq(hm_ld8(&m, HM_USER_BASE + 7), 0);
    pte = hm_pte(&m, HM_USER_BASE);
    cr_assert_eq(pte & (P | RW | US | A | D | NX | DZ), P | RW | US | A | NX);
    cr_assert_neq(pte & 0x000ffffffffff000ull, 0);
    hm_st8(&m, HM_USER_BASE + 7, 9);
    cr_assert(hm_pte(&m, HM_USER_BASE) & D);
    /* A page only written has both. */
    hm_st8(&m, HM_USER_BASE + PG, 1);
    cr_assert_eq(hm_pte(&m, HM_USER_BASE + PG) & (A | D), A | D);
    /* The untouched third page is still demand-zero. */
    cr_assert_eq(hm_pte(&m, HM_USER_BASE + 2 * PG), DZ | RW | US | NX);
    cr_assert_eq(log.faults, 0);
    hm_destroy(&m);
}

Test(paging, permissions_become_rw_and_nx_bits)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 0);
    gaddr r = (gaddr)hm_map(&m, 0, 1, HM_PERM_R);
    gaddr rx = (gaddr)hm_map(&m, 0, 1, HM_PERM_R | HM_PERM_X);
    gaddr rwx = (gaddr)hm_map(&m, 0, 1, HM_PERM_R | HM_PERM_W | HM_PERM_X);
    cr_assert(r >= HM_USER_BASE && rx >= HM_USER_BASE && rwx >= HM_USER_BASE);
    cr_assert(r != rx && rx != rwx);
    cr_assert_eq(hm_pte(&m, r), DZ | US | NX);
    cr_assert_eq(hm_pte(&m, rx), DZ | US);
    cr_assert_eq(hm_pte(&m, rwx), DZ | US | RW);
    char buf[8];
    cr_assert_not(FAULTS(&log, hm_span(&m, rx, 4, HM_EXEC, buf)));
    cr_assert(FAULTS(&log, hm_span(&m, r, 4, HM_EXEC, buf)));
    cr_assert_eq(log.kind, HM_FAULT_PROTECTION);
    cr_assert_eq(log.access, HM_EXEC);
    hm_destroy(&m);
}

Test(paging, each_fault_kind_reaches_the_hook)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 0);
    gaddr r = (gaddr)hm_map(&m, HM_USER_BASE, 1, HM_PERM_R);
    cr_assert_eq(hm_ld64(&m, r), 0);
    cr_assert(FAULTS(&log, hm_st64(&m, r + 8, 1)));
    cr_assert_eq(log.kind, HM_FAULT_PROTECTION);
    cr_assert_eq(log.addr, r + 8);
    cr_assert_eq(log.access, HM_WRITE);
    cr_assert_eq(m.stats[HM_STAT_faults_protection], 1);
    /* Not mapped, below, between and above the ranges. */
    const gaddr bad[] = {0, 8, HM_HEAP_BASE, r + PG, HM_USER_END, 1ull << 47,
                         0xffff800000000000ull, UINT64_MAX - 7};
    for (volatile size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert(FAULTS(&log, hm_ld64(&m, bad[i])), "0x%llx", (unsigned long long)bad[i]);
        cr_assert_eq(log.kind, HM_FAULT_NOT_PRESENT);
        cr_assert_eq(log.addr, bad[i]);
    }
    EXPECT_STATS(&m, {HM_STAT_faults_unmapped, sizeof bad / sizeof *bad},
                 {HM_STAT_page_faults, 2 + sizeof bad / sizeof *bad});
    cr_assert_eq(m.mode, HM_USER_MODE); /* back in user mode after each */
    hm_destroy(&m);
}

/* A hook that maps the page and asks for a retry. */
static bool map_and_retry(void *ctx, gaddr addr, hm_access access, hm_fault_kind kind)
{
    (void)access;
    hmachine *m = ctx;
    cr_assert_eq(kind, HM_FAULT_NOT_PRESENT);
    cr_assert_eq(m->mode, HM_USER_MODE);
    return hm_map(m, addr & ~(gaddr)(PG - 1), 1, HM_PERM_R | HM_PERM_W) >= 0;
}

Test(paging, a_hook_that_maps_the_page_gets_a_retry)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &(hm_config){.mem_bytes = 1 << 20}), 0);
    m.fault = map_and_retry;
    m.fault_ctx = &m;
    hm_st32(&m, HM_USER_BASE + 5 * PG + 12, 77);
    cr_assert_eq(hm_ld32(&m, HM_USER_BASE + 5 * PG + 12), 77);
    cr_assert_eq(m.stats[HM_STAT_faults_unmapped], 1);
    hm_destroy(&m);
}

Test(paging, map_unmap_protect_errors)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 0);
    cr_assert_eq(hm_map(&m, HM_USER_BASE + 1, 1, HM_PERM_R), -EINVAL);
    cr_assert_eq(hm_map(&m, HM_HEAP_BASE, 1, HM_PERM_R), -EINVAL);
    cr_assert_eq(hm_map(&m, HM_USER_END, 1, HM_PERM_R), -EINVAL);
    cr_assert_eq(hm_map(&m, HM_USER_END - PG, 2, HM_PERM_R), -EINVAL);
    cr_assert_eq(hm_map(&m, HM_USER_BASE, 0, HM_PERM_R), -EINVAL);
    cr_assert_eq(hm_map(&m, HM_USER_BASE, 1, 0), -EINVAL);
    cr_assert_eq(hm_map(&m, HM_USER_BASE, UINT64_MAX, HM_PERM_R), -EINVAL);
    cr_assert_eq(hm_map(&m, HM_USER_BASE + PG, 2, HM_PERM_R), (int64_t)(HM_USER_BASE + PG));
    cr_assert_eq(hm_map(&m, HM_USER_BASE, 2, HM_PERM_R), -EEXIST);
    /* The machine's own choice avoids what is mapped. */
    gaddr a = (gaddr)hm_map(&m, 0, 4, HM_PERM_R | HM_PERM_W);
    cr_assert(a >= HM_USER_BASE + 3 * PG || a + 4 * PG <= HM_USER_BASE + PG);
    cr_assert_eq(hm_protect(&m, HM_USER_BASE, 2, HM_PERM_R), -ENOENT);
    cr_assert_eq(hm_protect(&m, HM_USER_BASE + 3, 1, HM_PERM_R), -EINVAL);
    cr_assert_eq(hm_unmap(&m, HM_USER_BASE + 3, 1), -EINVAL);
    cr_assert_eq(hm_unmap(&m, HM_HEAP_BASE, 1), -EINVAL);
    /* Unmapping frees the frame and the page faults again. */
    hm_st8(&m, a, 1);
    uint64_t used = hm_frames_used(&m);
    cr_assert_eq(hm_unmap(&m, a, 4), 0);
    cr_assert_eq(hm_frames_used(&m), used - 1);
    cr_assert(FAULTS(&log, hm_ld8(&m, a)));
    cr_assert_eq(log.kind, HM_FAULT_NOT_PRESENT);
    hm_destroy(&m);
}

Test(paging, protect_invalidates_the_tlb_entry)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 0);
    gaddr a = (gaddr)hm_map(&m, 0, 1, HM_PERM_R | HM_PERM_W);
    hm_st8(&m, a, 1);
    hm_st8(&m, a, 2); /* now a TLB hit for writes */
    cr_assert_eq(hm_protect(&m, a, 1, HM_PERM_R), 0);
    cr_assert_eq(hm_pte(&m, a) & (P | RW), P);
    cr_assert(FAULTS(&log, hm_st8(&m, a, 3)));
    cr_assert_eq(log.kind, HM_FAULT_PROTECTION);
    cr_assert_eq(hm_ld8(&m, a), 2);
    cr_assert_eq(hm_protect(&m, a, 1, HM_PERM_R | HM_PERM_W), 0);
    hm_st8(&m, a, 3);
    cr_assert_eq(hm_ld8(&m, a), 3);
    hm_destroy(&m);
}

Test(paging, hm_ok_sees_mappings_without_faulting_or_counting)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 2 * PG);
    cr_assert(hm_ok(&m, m.base, 2 * PG));
    cr_assert(hm_ok(&m, m.base + PG - 4, 8));
    cr_assert_not(hm_ok(&m, m.base + PG, PG + 1));
    cr_assert_not(hm_ok(&m, 0, 1));
    cr_assert_not(hm_ok(&m, UINT64_MAX, 2));
    cr_assert(hm_ok(&m, 0, 0));
    cr_assert_eq(m.stats[HM_STAT_page_faults] + m.stats[HM_STAT_tlb_misses] + m.stats[HM_STAT_tlb_hits], 0);
    cr_assert_eq(hm_frames_used(&m), 4);
    hm_destroy(&m);
}

/* ---- the TLB ------------------------------------------------------------------------------- */

static void touch(hmachine *m, gaddr a) { (void)hm_ld8(m, a); }

Test(paging, tlb_hits_misses_and_the_first_write)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 4 * PG);
    touch(&m, m.base);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], 1);
    cr_assert_eq(m.stats[HM_STAT_page_walks], 2); /* the fault, then the walk again */
    touch(&m, m.base + 8);
    cr_assert_eq(m.stats[HM_STAT_tlb_hits], 1);
    /* The entry allows reads only until D is set: the first write walks. */
    hm_st8(&m, m.base, 1);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], 2);
    hm_st8(&m, m.base + 1, 1);
    touch(&m, m.base + 2);
    EXPECT_STATS(&m, {HM_STAT_tlb_misses, 2}, {HM_STAT_tlb_hits, 3});
    hm_destroy(&m);
}

Test(paging, tlb_set_associativity_eviction_and_promotion)
{
    hmachine m;
    fault_log log;
    /* One set of four ways. */
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20, .tlb_entries = 4, .tlb_ways = 4},
                     8 * PG);
    for (int i = 0; i < 4; i++)
        touch(&m, m.base + i * PG);
    uint64_t miss = m.stats[HM_STAT_tlb_misses];
    for (int i = 0; i < 4; i++)
        touch(&m, m.base + i * PG);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], miss, "four pages fit four ways");
    /* The last touched is way 0. */
    cr_assert_eq(m.tlb[0].rtag, (m.base >> HM_PAGE_SHIFT) + 3);
    touch(&m, m.base + PG); /* promoted from another way */
    cr_assert_eq(m.tlb[0].rtag, (m.base >> HM_PAGE_SHIFT) + 1);
    /* A fifth page evicts the least recent: page 0. */
    touch(&m, m.base + 4 * PG);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], miss + 1);
    touch(&m, m.base + 3 * PG);
    touch(&m, m.base + PG);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], miss + 1);
    touch(&m, m.base);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], miss + 2);
    hm_destroy(&m);
}

Test(paging, tlb_direct_mapped_conflicts)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20, .tlb_entries = 4, .tlb_ways = 1},
                     8 * PG);
    touch(&m, m.base);
    touch(&m, m.base + 4 * PG);
    uint64_t miss = m.stats[HM_STAT_tlb_misses];
    /* Pages 0 and 4 share set 0: alternating always misses; pages 0 and 1 do not. */
    for (int i = 0; i < 10; i++)
        touch(&m, m.base + (i & 1) * 4 * PG);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], miss + 10);
    touch(&m, m.base + PG);
    miss = m.stats[HM_STAT_tlb_misses];
    for (int i = 0; i < 10; i++)
        touch(&m, m.base + (i & 1) * PG);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], miss + 1);
    hm_destroy(&m);
}

Test(paging, invlpg_and_flush)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 4 * PG);
    touch(&m, m.base);
    touch(&m, m.base + PG);
    uint64_t miss = m.stats[HM_STAT_tlb_misses];
    hm_invlpg(&m, m.base);
    touch(&m, m.base + PG);
    touch(&m, m.base);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], miss + 1);
    hm_flush_tlb(&m);
    cr_assert_eq(m.stats[HM_STAT_tlb_flushes], 1);
    touch(&m, m.base);
    touch(&m, m.base + PG);
    cr_assert_eq(m.stats[HM_STAT_tlb_misses], miss + 3);
    hm_destroy(&m);
}

Test(paging, tlb_off_walks_every_access)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20, .tlb_off = true}, PG);
    hm_st64(&m, m.base, 42);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(hm_ld64(&m, m.base), 42);
    EXPECT_STATS(&m, {HM_STAT_tlb_hits, 0}, {HM_STAT_tlb_misses, 101}, {HM_STAT_page_walks, 102});
    hm_destroy(&m);
}

Test(paging, accesses_across_a_page_boundary)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, (hm_config){.mem_bytes = 1 << 20}, 2 * PG);
    hm_st64(&m, m.base + PG - 3, 0x1122334455667788ull);
    cr_assert_eq(hm_ld64(&m, m.base + PG - 3), 0x1122334455667788ull);
    cr_assert_eq(hm_ld8(&m, m.base + PG - 3), 0x88);
    cr_assert_eq(hm_ld8(&m, m.base + PG), 0x55);
    hm_st32(&m, m.base + PG - 1, 0xa1b2c3d4);
    cr_assert_eq(hm_ld32(&m, m.base + PG - 1), 0xa1b2c3d4);
    /* A store that crosses into an unmapped page changes nothing. */
    hm_st8(&m, m.base + 2 * PG - 2, 0x5a);
    cr_assert(FAULTS(&log, hm_st32(&m, m.base + 2 * PG - 2, 0)));
    cr_assert_eq(log.addr, m.base + 2 * PG);
    cr_assert_eq(hm_ld8(&m, m.base + 2 * PG - 2), 0x5a);
    /* A span across pages is a copy of the bytes. */
    char scratch[16];
    const char *s = hm_span(&m, m.base + PG - 3, 8, HM_READ, scratch);
    cr_assert_eq(s, scratch);
    cr_assert_eq((uint8_t)s[0], 0x88);
    hm_destroy(&m);
}

/* ---- swap ---------------------------------------------------------------------------------- */

static uint8_t pattern(uint64_t page, uint64_t i) { return (uint8_t)(page * 131 + i * 7 + (i >> 8)); }

static void round_trip(hm_policy policy, bool tlb_off)
{
    hmachine m;
    fault_log log;
    /* 64 KiB: 15 frames, 4 of them page tables; 300 pages of data. */
    enum { PAGES = 300 };
    machine_with_log(&m, &log,
                     (hm_config){.mem_bytes = 64 << 10, .heap_bytes = 4 << 20, .policy = policy,
                                 .tlb_off = tlb_off},
                     PAGES * PG);
    for (uint64_t p = 0; p < PAGES; p++)
        for (uint64_t i = 0; i < PG; i += 8) {
            uint64_t v = 0;
            for (int b = 7; b >= 0; b--)
                v = v << 8 | pattern(p, i + (uint64_t)b);
            hm_st64(&m, m.base + p * PG + i, v);
        }
    cr_assert_gt(m.stats[HM_STAT_swap_outs], PAGES - 15);
    /* Every byte back, forwards, backwards and strided. */
    for (uint64_t p = 0; p < PAGES; p++)
        for (uint64_t i = 0; i < PG; i++)
            cr_assert_eq(hm_ld8(&m, m.base + p * PG + i), pattern(p, i), "page %llu byte %llu",
                         (unsigned long long)p, (unsigned long long)i);
    for (uint64_t p = PAGES; p-- > 0;)
        for (uint64_t i = 0; i < PG; i += 97)
            cr_assert_eq(hm_ld8(&m, m.base + p * PG + i), pattern(p, i));
    for (uint64_t k = 0; k < 3 * PAGES; k++) {
        uint64_t p = k * 37 % PAGES, i = k * 53 % PG;
        cr_assert_eq(hm_ld8(&m, m.base + p * PG + i), pattern(p, i));
    }
    cr_assert_gt(m.stats[HM_STAT_swap_ins], PAGES);
    cr_assert_eq(m.stats[HM_STAT_swap_ins], m.stats[HM_STAT_faults_swap]);
    cr_assert_leq(hm_frames_used(&m), hm_frames_total(&m));
    cr_assert_eq(log.faults, 0);
    /* A swapped page that is released reads as zero, and so does one dropped by a shrink. */
    uint64_t pte = hm_pte(&m, m.base);
    cr_assert(pte & SWAPPED, "page 0 should be out: %llx", (unsigned long long)pte);
    cr_assert_eq(pte & (P | RW | US | NX), RW | US | NX);
    hm_release(&m, m.base, PG);
    cr_assert_eq(hm_ld8(&m, m.base + 5), 0);
    hm_destroy(&m);
}

Test(paging, swap_round_trip_fifo) { round_trip(HM_SWAP_FIFO, false); }
Test(paging, swap_round_trip_clock) { round_trip(HM_SWAP_CLOCK, false); }
Test(paging, swap_round_trip_lru) { round_trip(HM_SWAP_LRU, false); }
Test(paging, swap_round_trip_without_tlb) { round_trip(HM_SWAP_CLOCK, true); }

/* A machine where exactly `frames` frames are left for the reference pages: 64 KiB is 15
 * frames, 4 go to the page tables, and pinned spans of filler pages hold the rest. */
static void with_free_frames(hmachine *m, fault_log *log, hm_policy policy, int frames)
{
    machine_with_log(m, log,
                     (hm_config){.mem_bytes = 64 << 10, .heap_bytes = 16 << 20, .policy = policy},
                     64 * PG);
    char scratch[8];
    for (int i = 0; i < 11 - frames; i++)
        (void)hm_span(m, m->base + (uint64_t)(32 + i) * PG, 8, HM_WRITE, scratch);
    cr_assert_eq(hm_frames_used(m), hm_frames_total(m) - (uint64_t)frames);
}

static uint64_t faults_for(hm_policy policy, int frames, const int *refs, int n)
{
    hmachine m;
    fault_log log;
    with_free_frames(&m, &log, policy, frames);
    uint64_t before = m.stats[HM_STAT_page_faults];
    for (int i = 0; i < n; i++)
        hm_st8(&m, m.base + (uint64_t)refs[i] * PG, (uint8_t)refs[i]);
    for (int i = 0; i < n; i++)
        cr_assert_eq(hm_ld8(&m, m.base + (uint64_t)refs[i] * PG), refs[i]);
    uint64_t faults = m.stats[HM_STAT_page_faults] - before;
    hm_destroy(&m);
    return faults;
}

Test(paging, fifo_shows_beladys_anomaly)
{
    /* Faults are counted over the first pass only: the check pass adds its own. */
    static const int refs[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
    int n = sizeof refs / sizeof *refs;
    hmachine m;
    fault_log log;
    uint64_t got[2];
    for (int k = 0; k < 2; k++) {
        with_free_frames(&m, &log, HM_SWAP_FIFO, 3 + k);
        uint64_t before = m.stats[HM_STAT_page_faults];
        for (int i = 0; i < n; i++)
            hm_st8(&m, m.base + (uint64_t)refs[i] * PG, (uint8_t)refs[i]);
        got[k] = m.stats[HM_STAT_page_faults] - before;
        for (int p = 1; p <= 5; p++)
            cr_assert_eq(hm_ld8(&m, m.base + (uint64_t)p * PG), p);
        hm_destroy(&m);
    }
    cr_assert_eq(got[0], 9);
    cr_assert_eq(got[1], 10);
}

Test(paging, pinned_spans_stay_put_under_pressure)
{
    static const int refs[] = {1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7};
    for (hm_policy p = HM_SWAP_FIFO; p <= HM_SWAP_LRU; p++)
        cr_assert_geq(faults_for(p, 3, refs, 14), 14);
    hmachine m;
    fault_log log;
    with_free_frames(&m, &log, HM_SWAP_CLOCK, 3);
    char scratch[8];
    char *pinned = hm_span(&m, m.base + 40 * PG, 8, HM_WRITE, scratch);
    memcpy(pinned, "pinned!", 8);
    for (int i = 0; i < 20; i++)
        hm_st8(&m, m.base + (uint64_t)i * PG, 1);
    cr_assert_str_eq(pinned, "pinned!");
    cr_assert(hm_pte(&m, m.base + 40 * PG) & P);
    hm_destroy(&m);
}

Test(paging, no_evictable_frame_is_out_of_memory)
{
    hmachine m;
    fault_log log;
    with_free_frames(&m, &log, HM_SWAP_CLOCK, 3);
    /* Page tables for four more 2 MiB regions: three are had, the fourth is not... */
    cr_assert_eq(hm_map_heap(&m, 5 * 512 * PG), -ENOMEM);
    cr_assert_eq(m.mapped, 64 * PG);
    cr_assert_eq(hm_frames_used(&m), hm_frames_total(&m), "%llu", (unsigned long long)hm_frames_used(&m));
    cr_assert_eq(hm_map(&m, HM_USER_BASE, 1, HM_PERM_R), -ENOMEM);
    cr_assert_eq(hm_map(&m, 0, 1, HM_PERM_R), -ENOMEM);
    /* ...and with every frame a table or pinned, a fault cannot be served. */
    cr_assert(FAULTS(&log, hm_ld8(&m, m.base)));
    cr_assert_eq(log.kind, HM_FAULT_OUT_OF_MEMORY);
    hm_destroy(&m);
}

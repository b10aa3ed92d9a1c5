/* test_machine.c — the machine (hostos/): guest memory, its checks and faults, the trap table
 * and the default trap handlers. Paging itself (walker, TLB, swap) is in test_paging.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "machine_fixture.h"

/* A machine whose heap limit is `heap` bytes (physical memory at least the 64 KiB minimum),
 * as the flat machine these tests were written for had. */
#define MEM(heap)                                                                              \
    ((hm_config){.mem_bytes = (heap) < (64u << 10) ? (64u << 10) : (heap), .heap_bytes = (heap)})

/* ---- initialisation ------------------------------------------------------------------------ */

Test(machine, init_tiny_rounds_up_to_a_page)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(1)), 0);
    cr_assert_eq(m.size, HM_PAGE_SIZE);
    cr_assert_eq(m.base, HM_HEAP_BASE);
    cr_assert_eq(m.mapped, 0);
    cr_assert_not_null(m.phys);
    cr_assert_not_null(m.fault);
    hm_destroy(&m);
    cr_assert_null(m.phys);
}

Test(machine, init_default_is_256_mib_of_frames_and_a_1_gib_heap)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, NULL), 0);
    cr_assert_eq(m.cfg.mem_bytes, 256ull << 20);
    cr_assert_eq(hm_frames_total(&m), (256u << 20) / HM_PAGE_SIZE - 1);
    cr_assert_eq(m.size, 1ull << 30);
    cr_assert_eq(m.cfg.tlb_entries, 256);
    cr_assert_eq(m.cfg.tlb_ways, 4);
    cr_assert_eq(m.cfg.policy, HM_SWAP_CLOCK);
    cr_assert_eq(m.mode, HM_USER_MODE);
    /* The whole reservation is usable once mapped; untouched pages cost nothing. */
    cr_assert_eq(hm_map_heap(&m, m.size), 0);
    hm_st8(&m, m.base + m.size - 1, 0xab);
    cr_assert_eq(hm_ld8(&m, m.base + m.size - 1), 0xab);
    hm_destroy(&m);
}

Test(machine, init_refuses_a_limit_reaching_the_program_range)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(1ull << 62)), -ENOMEM);
    cr_assert_null(m.phys);
}

Test(machine, init_installs_every_default_trap)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(4096)), 0);
    for (int i = 0; i < TRAP__COUNT; i++)
        cr_assert_not_null(m.traps[i].fn, "trap %s has no handler", trap_names[i]);
    cr_assert_eq(m.exit_requested, false);
    hm_destroy(&m);
}

Test(machine, name_tables_follow_the_def_files)
{
    EXPECT_NAMES(trap_names, {TRAP_WRITE, "write"}, {TRAP_READ, "read"}, {TRAP_EXIT, "exit"});
    EXPECT_NAMES(hm_stat_names, {HM_STAT_instructions, "instructions"}, {HM_STAT_traps, "traps"},
                 {HM_STAT_jit_compiles, "jit_compiles"});
}

Test(machine, map_heap_grows_in_pages_up_to_the_limit)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(5 * HM_PAGE_SIZE)), 0);
    cr_assert_eq(hm_map_heap(&m, 1), 0);
    cr_assert_eq(m.mapped, HM_PAGE_SIZE);
    cr_assert_eq(hm_map_heap(&m, 3 * HM_PAGE_SIZE + 5), 0);
    cr_assert_eq(m.mapped, 4 * HM_PAGE_SIZE);
    /* Never shrinks. */
    cr_assert_eq(hm_map_heap(&m, 10), 0);
    cr_assert_eq(m.mapped, 4 * HM_PAGE_SIZE);
    cr_assert_eq(hm_map_heap(&m, 5 * HM_PAGE_SIZE), 0);
    cr_assert_eq(hm_map_heap(&m, 5 * HM_PAGE_SIZE + 1), -ENOMEM);
    cr_assert_eq(m.mapped, 5 * HM_PAGE_SIZE);
    hm_destroy(&m);
}

/* ---- loads and stores ---------------------------------------------------------------------- */

Test(machine, every_width_is_little_endian)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), 1 << 16);
    gaddr a = m.base + 64;
    hm_st64(&m, a, 0x0807060504030201ull);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(hm_ld8(&m, a + i), i + 1);
    cr_assert_eq(hm_ld16(&m, a), 0x0201);
    cr_assert_eq(hm_ld16(&m, a + 6), 0x0807);
    cr_assert_eq(hm_ld32(&m, a + 1), 0x05040302);
    cr_assert_eq(hm_ld64(&m, a), 0x0807060504030201ull);
    hm_st16(&m, a, 0xbeef);
    cr_assert_eq(hm_ld8(&m, a), 0xef);
    cr_assert_eq(hm_ld8(&m, a + 1), 0xbe);
    hm_st32(&m, a + 3, 0xdeadbeef); /* unaligned is fine */
    cr_assert_eq(hm_ld32(&m, a + 3), 0xdeadbeef);
    cr_assert_eq(hm_ld8(&m, a + 3), 0xef);
    hm_st8(&m, a, 0x7f);
    cr_assert_eq(hm_ld8(&m, a), 0x7f);
    cr_assert_eq(log.faults, 0);
    hm_destroy(&m);
}

Test(machine, last_mapped_bytes_are_reachable_at_every_width)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    gaddr end = m.base + m.mapped;
    hm_st8(&m, end - 1, 1);
    hm_st16(&m, end - 2, 2);
    hm_st32(&m, end - 4, 4);
    hm_st64(&m, end - 8, 8);
    cr_assert_eq(hm_ld64(&m, end - 8), 8);
    cr_assert_eq(log.faults, 0);
    hm_destroy(&m);
}

Test(machine, out_of_range_loads_and_stores_fault)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    gaddr end = m.base + m.mapped;
    cr_assert(FAULTS(&log, hm_ld8(&m, 0)));
    cr_assert_eq(log.addr, 0);
    cr_assert_eq(log.access, HM_READ);
    cr_assert(FAULTS(&log, hm_ld8(&m, m.base - 1)));
    cr_assert_eq(log.addr, m.base - 1);
    cr_assert(FAULTS(&log, hm_ld8(&m, end)));
    cr_assert(FAULTS(&log, hm_ld16(&m, end - 1)));
    cr_assert(FAULTS(&log, hm_ld32(&m, end - 3)));
    cr_assert(FAULTS(&log, hm_ld64(&m, end - 7)));
    cr_assert_eq(log.addr, end); /* the first byte not mapped, as a processor reports it */
    cr_assert(FAULTS(&log, hm_st64(&m, end - 4, 1)));
    cr_assert_eq(log.access, HM_WRITE);
    cr_assert(FAULTS(&log, hm_st8(&m, end, 1)));
    cr_assert(FAULTS(&log, hm_st16(&m, UINT64_MAX, 1)));
    cr_assert(FAULTS(&log, hm_st32(&m, 0x100000000000ull, 1)));
    /* Inside the reservation but above what the heap was given: still a fault. */
    cr_assert(FAULTS(&log, hm_ld8(&m, end + HM_PAGE_SIZE)));
    cr_assert_eq(log.faults, 11);
    hm_destroy(&m);
}

Test(machine, bulk_access_checks_the_whole_range)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    gaddr end = m.base + m.mapped;
    char buf[64] = "hello guest";
    hm_write(&m, m.base + 100, buf, 12);
    char back[64] = {0};
    hm_read(&m, m.base + 100, back, 12);
    cr_assert_str_eq(back, "hello guest");

    /* A range that starts inside and runs past the end faults at the first bad byte. */
    cr_assert(FAULTS(&log, hm_read(&m, end - 8, back, 16)));
    cr_assert_eq(log.addr, end);
    cr_assert_eq(log.access, HM_READ);
    cr_assert(FAULTS(&log, hm_write(&m, end - 8, buf, 9)));
    cr_assert_eq(log.access, HM_WRITE);
    cr_assert(FAULTS(&log, hm_fill(&m, m.base, 0, m.mapped + 1)));
    cr_assert(FAULTS(&log, hm_move(&m, m.base, end - 4, 8)));
    cr_assert_eq(log.access, HM_READ);
    cr_assert(FAULTS(&log, hm_move(&m, end - 4, m.base, 8)));
    cr_assert_eq(log.access, HM_WRITE);
    /* A length that wraps around the address space. */
    cr_assert(FAULTS(&log, hm_read(&m, m.base + 8, back, UINT64_MAX)));
    cr_assert(FAULTS(&log, hm_read(&m, 0, back, 1)));
    cr_assert_eq(log.addr, 0);
    cr_assert_eq(log.faults, 7);
    hm_destroy(&m);
}

Test(machine, zero_length_accesses_never_fault)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    char buf[4];
    cr_assert_not(FAULTS(&log, hm_read(&m, 0, buf, 0)));
    cr_assert_not(FAULTS(&log, hm_write(&m, UINT64_MAX, buf, 0)));
    cr_assert_not(FAULTS(&log, hm_fill(&m, 5, 1, 0)));
    cr_assert_not(FAULTS(&log, hm_move(&m, 0, 8, 0)));
    cr_assert_not(FAULTS(&log, hm_span(&m, 0, 0, HM_READ, buf)));
    cr_assert_eq(log.faults, 0);
    hm_destroy(&m);
}

Test(machine, fill_and_overlapping_move)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    gaddr a = m.base + 200;
    hm_fill(&m, a, 'x', 10);
    hm_write(&m, a, "0123456789", 10);
    hm_move(&m, a + 2, a, 6); /* overlapping, forwards */
    char back[11] = {0};
    hm_read(&m, a, back, 10);
    cr_assert_str_eq(back, "0101234589");
    hm_fill(&m, a + 1, '-', 3);
    hm_read(&m, a, back, 10);
    cr_assert_str_eq(back, "0---234589");
    hm_destroy(&m);
}

Test(machine, span_is_a_live_view_of_guest_bytes)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    char scratch[16];
    char *p = hm_span(&m, m.base + 32, 16, HM_WRITE, scratch);
    memcpy(p, "in place", 9);
    if (p == scratch)
        hm_write(&m, m.base + 32, scratch, 9);
    cr_assert_eq(hm_ld8(&m, m.base + 32), 'i');
    const char *q = hm_span(&m, m.base + 32, 9, HM_READ, scratch);
    cr_assert_str_eq(q, "in place");
    cr_assert(FAULTS(&log, hm_span(&m, m.base + m.mapped - 4, 16, HM_READ, scratch)));
    cr_assert_eq(log.access, HM_READ);
    cr_assert(FAULTS(&log, hm_span(&m, 8, 1, HM_WRITE, scratch)));
    cr_assert_eq(log.access, HM_WRITE);
    hm_destroy(&m);
}

/* Before the runtime installs its hook, a bad access is a VM bug: it must stop the process. */
Test(machine, default_fault_hook_aborts, .signal = SIGABRT)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(4096)), 0);
    hm_ld64(&m, 0);
}

/* ---- traps ----------------------------------------------------------------------------------- */

typedef struct {
    int calls;
    uint64_t a[4];
    void *ctx;
} trap_log;

static int64_t logging_trap(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)m;
    trap_log *log = ctx;
    log->calls++;
    memcpy(log->a, a, sizeof log->a);
    log->ctx = ctx;
    return 1234;
}

Test(machine, traps_are_counted_and_replaceable)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(4096)), 0);
    trap_log log = {0};
    trap_set(&m, TRAP_CLOCK, logging_trap, &log);
    cr_assert_eq(trap_call(&m, TRAP_CLOCK, 1, 2, 3, 4), 1234);
    cr_assert_eq(trap_call(&m, TRAP_CLOCK, 5, 6, 7, 8), 1234);
    cr_assert_eq(log.calls, 2);
    cr_assert_eq(log.a[0], 5);
    cr_assert_eq(log.a[3], 8);
    cr_assert_eq(log.ctx, &log);
    cr_assert_eq(m.trap_counts[TRAP_CLOCK], 2);
    cr_assert_eq(m.trap_counts[TRAP_TIME], 0);
    cr_assert_eq(m.stats[HM_STAT_traps], 2);
    cr_assert_eq(m.stats[HM_STAT_syscalls], 2);
    /* NULL puts the default back: a real clock again. */
    trap_set(&m, TRAP_CLOCK, NULL, NULL);
    cr_assert_gt(trap_call(&m, TRAP_CLOCK, 0, 0, 0, 0), 0);
    cr_assert_eq(log.calls, 2);
    cr_assert_eq(m.trap_counts[TRAP_CLOCK], 3);
    hm_destroy(&m);
}

Test(machine, unknown_trap_numbers_are_refused)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(4096)), 0);
    cr_assert_eq(trap_call(&m, TRAP__COUNT, 0, 0, 0, 0), -ENOSYS);
    cr_assert_eq(trap_call(&m, (trap_nr)-1, 0, 0, 0, 0), -ENOSYS);
    cr_assert_eq(m.stats[HM_STAT_traps], 2);
    trap_set(&m, TRAP__COUNT, logging_trap, NULL); /* ignored, no write out of the table */
    for (int i = 0; i < TRAP__COUNT; i++)
        cr_assert_eq(m.trap_counts[i], 0);
    hm_destroy(&m);
}

Test(machine, clock_and_time_traps)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(4096)), 0);
    int64_t t0 = trap_call(&m, TRAP_CLOCK, 0, 0, 0, 0);
    int64_t t1 = trap_call(&m, TRAP_CLOCK, 0, 0, 0, 0);
    cr_assert_geq(t1, t0);
    int64_t wall = trap_call(&m, TRAP_TIME, 0, 0, 0, 0);
    int64_t now = (int64_t)time(NULL);
    cr_assert_leq(llabs(wall / 1000000000 - now), 2);
    hm_destroy(&m);
}

Test(machine, exit_trap_records_and_returns)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &MEM(4096)), 0);
    cr_assert_eq(trap_call(&m, TRAP_EXIT, 7, 0, 0, 0), 0);
    cr_assert_eq(m.exit_status, 7);
    cr_assert(m.exit_requested);
    cr_assert_eq(m.trap_counts[TRAP_EXIT], 1);
    hm_destroy(&m);
}

/* Point fd `fd` at the write end of a new pipe; returns the read end, saves the old fd. */
static int redirect_to_pipe(int fd, int *saved)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    *saved = dup(fd);
    cr_assert_eq(dup2(p[1], fd), fd);
    close(p[1]);
    return p[0];
}

Test(machine, write_trap_copies_guest_bytes_to_the_host)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 20), 1 << 20);
    gaddr buf = m.base + 4096;
    /* More than one copy step, with a pattern that shows misplaced bytes. */
    enum { N = 40000 };
    for (int i = 0; i < N; i++)
        hm_st8(&m, buf + i, (uint8_t)(i * 7 + i / 251));
    int saved;
    int rd = redirect_to_pipe(2, &saved);
    /* The pipe holds 64 KiB by default, so the write completes without a reader. */
    int64_t w = trap_call(&m, TRAP_WRITE, 2, buf, N, 0);
    dup2(saved, 2);
    close(saved);
    cr_assert_eq(w, N);
    static uint8_t got[N];
    size_t have = 0;
    while (have < N) {
        ssize_t r = read(rd, got + have, N - have);
        cr_assert_gt(r, 0);
        have += (size_t)r;
    }
    close(rd);
    for (int i = 0; i < N; i++)
        cr_assert_eq(got[i], (uint8_t)(i * 7 + i / 251), "byte %d", i);
    cr_assert_eq(m.trap_counts[TRAP_WRITE], 1);
    hm_destroy(&m);
}

Test(machine, write_trap_refuses_other_fds_and_bad_buffers)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    cr_assert_eq(trap_call(&m, TRAP_WRITE, 0, m.base, 1, 0), -EBADF);
    cr_assert_eq(trap_call(&m, TRAP_WRITE, 3, m.base, 1, 0), -EBADF);
    cr_assert_eq(trap_call(&m, TRAP_WRITE, 1, 0, 1, 0), -EFAULT);
    cr_assert_eq(trap_call(&m, TRAP_WRITE, 1, m.base + m.mapped - 1, 2, 0), -EFAULT);
    cr_assert_eq(trap_call(&m, TRAP_WRITE, 1, m.base, 0, 0), 0);
    cr_assert_eq(log.faults, 0);
    hm_destroy(&m);
}

Test(machine, write_trap_to_a_closed_pipe_reports_the_error)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    signal(SIGPIPE, SIG_IGN);
    int saved;
    int rd = redirect_to_pipe(1, &saved);
    close(rd);
    int64_t w = trap_call(&m, TRAP_WRITE, 1, m.base, 10, 0);
    dup2(saved, 1);
    close(saved);
    cr_assert_eq(w, -EPIPE);
    hm_destroy(&m);
}

Test(machine, read_trap_fills_the_guest_buffer)
{
    hmachine m;
    fault_log log;
    machine_with_log(&m, &log, MEM(1 << 16), HM_PAGE_SIZE);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int saved = dup(0);
    dup2(p[0], 0);
    close(p[0]);
    cr_assert_eq(write(p[1], "line one\n", 9), 9);
    close(p[1]);
    gaddr buf = m.base + 512;
    int64_t r = trap_call(&m, TRAP_READ, 0, buf, 100, 0);
    cr_assert_eq(r, 9);
    char back[10] = {0};
    hm_read(&m, buf, back, 9);
    cr_assert_str_eq(back, "line one\n");
    cr_assert_eq(trap_call(&m, TRAP_READ, 0, buf, 100, 0), 0); /* end of input */
    cr_assert_eq(trap_call(&m, TRAP_READ, 1, buf, 100, 0), -EBADF);
    cr_assert_eq(trap_call(&m, TRAP_READ, 0, 16, 100, 0), -EFAULT);
    cr_assert_eq(trap_call(&m, TRAP_READ, 0, buf, 0, 0), 0);
    dup2(saved, 0);
    close(saved);
    cr_assert_eq(m.trap_counts[TRAP_READ], 5);
    cr_assert_eq(log.faults, 0);
    hm_destroy(&m);
}

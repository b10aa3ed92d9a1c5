/* test_machine_traps.c — the trap table (hostos/trap.c, trap.def): kinds, counting, the switch
 * to supervisor mode and back, replacement with trap_set, the emulated address-space calls and
 * ports; and the runtime's side of it: the serial console joining print's buffer and the fault
 * hook's messages and retry bound (runtime/error.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bare_vm.h"
#include "machine_fixture.h"
#include "rt.h"
#include "state.h"

static void new_machine(hmachine *m)
{
    cr_assert_eq(hm_init(m, &(hm_config){.mem_bytes = 1 << 20}), 0);
}

/* ---- the table ------------------------------------------------------------------------------ */

Test(traps, every_trap_has_a_name_and_a_kind)
{
    EXPECT_NAMES(trap_names, {TRAP_WRITE, "write"}, {TRAP_MAP, "map"}, {TRAP_UNMAP, "unmap"},
                 {TRAP_PROTECT, "protect"}, {TRAP_FLUSH_TLB, "flush_tlb"}, {TRAP_OUT, "out"},
                 {TRAP_IN, "in"});
    const trap_nr syscalls[] = {TRAP_WRITE, TRAP_READ, TRAP_CLOCK, TRAP_TIME,
                                TRAP_EXIT, TRAP_MAP, TRAP_UNMAP, TRAP_PROTECT};
    for (size_t i = 0; i < sizeof syscalls / sizeof syscalls[0]; i++)
        cr_assert_eq(trap_kinds[syscalls[i]], TRAP_SYSCALL, "%s", trap_names[syscalls[i]]);
    cr_assert_eq(trap_kinds[TRAP_FLUSH_TLB], TRAP_PRIVILEGED);
    cr_assert_eq(trap_kinds[TRAP_OUT], TRAP_PRIVILEGED);
    cr_assert_eq(trap_kinds[TRAP_IN], TRAP_PRIVILEGED);
    for (int i = 0; i < TRAP__COUNT; i++)
        cr_assert(trap_names[i] && trap_names[i][0], "trap %d has no name", i);
}

typedef struct {
    int calls;                    /* handler invocations */
    uint64_t a[4];                /* the last arguments */
    hm_mode mode;                 /* the machine's mode during the last call */
    void *ctx;                    /* the ctx the last call saw */
    trap_nr nested;               /* a trap to make from inside the handler, or TRAP__COUNT */
} trap_log;

static int64_t logging_trap(hmachine *m, void *ctx, const uint64_t a[4])
{
    trap_log *log = ctx;
    log->calls++;
    memcpy(log->a, a, sizeof log->a);
    log->mode = m->mode;
    log->ctx = ctx;
    if (log->nested != TRAP__COUNT) {
        trap_nr nr = log->nested;
        log->nested = TRAP__COUNT;
        trap_call(m, nr, 0, 0, 0, 0);
        /* The inner trap came back to the supervisor, not to user mode. */
        cr_assert_eq(m->mode, HM_SUPER_MODE);
    }
    return 77;
}

/* A new machine whose trap nr is logging_trap, logging into log; the handler makes the trap
 * `nested` from inside (TRAP__COUNT: none). */
static void machine_with_trap(hmachine *m, trap_log *log, trap_nr nr, trap_nr nested)
{
    new_machine(m);
    *log = (trap_log){.nested = nested};
    trap_set(m, nr, logging_trap, log);
}

Test(traps, system_calls_count_traps_and_syscalls)
{
    hmachine m;
    trap_log log;
    machine_with_trap(&m, &log, TRAP_MAP, TRAP__COUNT);
    cr_assert_eq(trap_call(&m, TRAP_MAP, 1, 2, 3, 4), 77);
    cr_assert_eq(trap_call(&m, TRAP_CLOCK, 0, 0, 0, 0) > 0, true);
    EXPECT_STATS(&m, {HM_STAT_traps, 2}, {HM_STAT_syscalls, 2});
    EXPECT_TRAP_COUNTS(&m, {TRAP_MAP, 1}, {TRAP_CLOCK, 1});
    cr_assert_eq(log.a[0], 1);
    cr_assert_eq(log.a[3], 4);
    cr_assert_eq(log.ctx, &log);
    hm_destroy(&m);
}

Test(traps, privileged_instructions_count_traps_only)
{
    hmachine m;
    new_machine(&m);
    cr_assert_eq(m.mode, HM_USER_MODE);
    cr_assert_eq(trap_call(&m, TRAP_IN, 0x3FD, 0, 0, 0), 0x60);
    cr_assert_eq(trap_call(&m, TRAP_OUT, 0x80, 1, 0, 0), 0);
    cr_assert_eq(trap_call(&m, TRAP_FLUSH_TLB, 0, 0, 0, 0), 0);
    EXPECT_STATS(&m, {HM_STAT_traps, 3}, {HM_STAT_syscalls, 0}, {HM_STAT_tlb_flushes, 1});
    EXPECT_TRAP_COUNTS(&m, {TRAP_IN, 1}, {TRAP_OUT, 1}, {TRAP_FLUSH_TLB, 1});
    hm_destroy(&m);
}

Test(traps, privileged_instructions_in_supervisor_mode_do_not_trap)
{
    hmachine m;
    trap_log log;
    machine_with_trap(&m, &log, TRAP_OUT, TRAP__COUNT);
    m.mode = HM_SUPER_MODE;
    cr_assert_eq(trap_call(&m, TRAP_OUT, 0x3F8, 65, 0, 0), 77);
    cr_assert_eq(trap_call(&m, TRAP_FLUSH_TLB, 0, 0, 0, 0), 0);
    /* Executed, not trapped: nothing counted but the flush itself. */
    cr_assert_eq(log.calls, 1);
    EXPECT_STATS(&m, {HM_STAT_traps, 0}, {HM_STAT_tlb_flushes, 1});
    EXPECT_TRAP_COUNTS(&m, {TRAP_OUT, 0});
    /* A system call from the supervisor still enters the trap table. */
    cr_assert_gt(trap_call(&m, TRAP_CLOCK, 0, 0, 0, 0), 0);
    EXPECT_STATS(&m, {HM_STAT_traps, 1}, {HM_STAT_syscalls, 1});
    cr_assert_eq(m.mode, HM_SUPER_MODE);
    hm_destroy(&m);
}

Test(traps, handlers_run_in_supervisor_mode_and_return_to_the_caller)
{
    hmachine m;
    trap_log log;
    machine_with_trap(&m, &log, TRAP_TIME, TRAP_IN);
    cr_assert_eq(m.mode, HM_USER_MODE);
    cr_assert_eq(trap_call(&m, TRAP_TIME, 0, 0, 0, 0), 77);
    cr_assert_eq(log.mode, HM_SUPER_MODE);
    cr_assert_eq(m.mode, HM_USER_MODE);
    /* The IN made inside the handler ran in supervisor mode: executed, not a trap. */
    EXPECT_TRAP_COUNTS(&m, {TRAP_IN, 0});
    EXPECT_STATS(&m, {HM_STAT_traps, 1});
    /* A system call made inside a handler is a trap of its own, and returns to it. */
    log.nested = TRAP_CLOCK;
    cr_assert_eq(trap_call(&m, TRAP_TIME, 0, 0, 0, 0), 77);
    EXPECT_TRAP_COUNTS(&m, {TRAP_CLOCK, 1});
    EXPECT_STATS(&m, {HM_STAT_traps, 3});
    cr_assert_eq(m.mode, HM_USER_MODE);
    hm_destroy(&m);
}

Test(traps, trap_set_replaces_and_null_restores_the_default)
{
    hmachine m;
    trap_log log;
    machine_with_trap(&m, &log, TRAP_IN, TRAP__COUNT);
    cr_assert_eq(trap_call(&m, TRAP_IN, 0x3FD, 0, 0, 0), 77);
    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.a[0], 0x3FD);
    trap_set(&m, TRAP_IN, NULL, &log);
    cr_assert_eq(trap_call(&m, TRAP_IN, 0x3FD, 0, 0, 0), 0x60);
    cr_assert_eq(m.traps[TRAP_IN].ctx, NULL);
    cr_assert_eq(log.calls, 1);
    cr_assert_eq(m.trap_counts[TRAP_IN], 2);
    /* Out of the table: ignored, refused, counted as a bad system call. */
    trap_set(&m, TRAP__COUNT, logging_trap, &log);
    cr_assert_eq(trap_call(&m, TRAP__COUNT, 0, 0, 0, 0), -ENOSYS);
    cr_assert_eq(trap_call(&m, (trap_nr)-1, 0, 0, 0, 0), -ENOSYS);
    cr_assert_eq(m.stats[HM_STAT_traps], 4);
    cr_assert_eq(log.calls, 1);
    hm_destroy(&m);
}

/* ---- the address space through the table ------------------------------------------------- */

Test(traps, map_unmap_and_protect_reach_the_address_space)
{
    hmachine m;
    new_machine(&m);
    gaddr va = HM_USER_BASE + 8 * HM_PAGE_SIZE;
    cr_assert_eq(trap_call(&m, TRAP_MAP, va, 2, HM_PERM_R | HM_PERM_W, 0), (int64_t)va);
    cr_assert_neq(hm_pte(&m, va), 0);
    hm_st64(&m, va + HM_PAGE_SIZE, 5);
    cr_assert_eq(hm_ld64(&m, va + HM_PAGE_SIZE), 5);
    cr_assert_eq(trap_call(&m, TRAP_MAP, va + HM_PAGE_SIZE, 1, HM_PERM_R, 0), -EEXIST);
    cr_assert_eq(trap_call(&m, TRAP_PROTECT, va, 2, HM_PERM_R, 0), 0);
    cr_assert(hm_ok(&m, va, 2 * HM_PAGE_SIZE));
    cr_assert_eq(trap_call(&m, TRAP_PROTECT, va, 3, HM_PERM_R, 0), -ENOENT);
    cr_assert_eq(trap_call(&m, TRAP_UNMAP, va, 2, 0, 0), 0);
    cr_assert(!hm_ok(&m, va, 1));
    /* Permission bits the machine does not have are refused before the address space. */
    cr_assert_eq(trap_call(&m, TRAP_MAP, va, 1, 8, 0), -EINVAL);
    cr_assert_eq(trap_call(&m, TRAP_PROTECT, va, 1, 1u << 31, 0), -EINVAL);
    /* Outside the program's range and unaligned. */
    cr_assert_eq(trap_call(&m, TRAP_MAP, HM_HEAP_BASE, 1, HM_PERM_R, 0), -EINVAL);
    cr_assert_eq(trap_call(&m, TRAP_MAP, va + 1, 1, HM_PERM_R, 0), -EINVAL);
    cr_assert_eq(trap_call(&m, TRAP_UNMAP, HM_USER_END, 1, 0, 0), -EINVAL);
    /* address 0: the machine chooses. */
    int64_t got = trap_call(&m, TRAP_MAP, 0, 3, HM_PERM_R, 0);
    cr_assert_geq(got, (int64_t)HM_USER_BASE);
    cr_assert_lt(got, (int64_t)HM_USER_END);
    EXPECT_STATS(&m, {HM_STAT_syscalls, 11});
    EXPECT_TRAP_COUNTS(&m, {TRAP_MAP, 6});
    hm_destroy(&m);
}

/* ---- the emulated ports ---------------------------------------------------------------------- */

Test(traps, ports_read_and_write_as_documented)
{
    hmachine m;
    new_machine(&m);
    cr_assert_eq(trap_call(&m, TRAP_IN, 0x3FD, 0, 0, 0), 0x60);
    cr_assert_eq(trap_call(&m, TRAP_IN, 0x3F8, 0, 0, 0), 0xFF);
    cr_assert_eq(trap_call(&m, TRAP_IN, 0, 0, 0, 0), 0xFF);
    cr_assert_eq(trap_call(&m, TRAP_IN, 0xFFFF, 0, 0, 0), 0xFF);
    cr_assert_eq(trap_call(&m, TRAP_IN, 0x10000, 0, 0, 0), -EINVAL);
    cr_assert_eq(trap_call(&m, TRAP_OUT, 0x10000, 0, 0, 0), -EINVAL);
    cr_assert_eq(trap_call(&m, TRAP_OUT, 0x80, 0x41, 0, 0), 0);
    hm_destroy(&m);
}

Test(traps, a_bare_machine_serial_port_writes_to_fd_1)
{
    hmachine m;
    new_machine(&m);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int saved = dup(1);
    cr_assert_geq(saved, 0);
    cr_assert_geq(dup2(p[1], 1), 0);
    trap_call(&m, TRAP_OUT, 0x3F8, 'o', 0, 0);
    trap_call(&m, TRAP_OUT, 0x3F9, 'x', 0, 0); /* not the data port: ignored */
    trap_call(&m, TRAP_OUT, 0x3F8, 0x100 | 'k', 0, 0); /* only the low byte goes out */
    dup2(saved, 1);
    close(saved);
    close(p[1]);
    char got[8] = {0};
    cr_assert_eq(read(p[0], got, sizeof got), 2);
    close(p[0]);
    cr_assert_str_eq(got, "ok");
    hm_destroy(&m);
}

/* ---- the runtime's side --------------------------------------------------------------------- */

static holt_vm *new_vm(void)
{
    holt_config cfg;
    holt_config_init(&cfg);
    cfg.mem_bytes = 4 << 20;
    return bare_vm_new(cfg);
}

/* The bytes waiting in the VM's stdout buffer. */
static void expect_stdout_buffer(holt_vm *vm, const char *want)
{
    size_t n = strlen(want);
    cr_assert_eq(vm->outlen, n);
    char got[64] = {0};
    hm_read(&vm->m, vm->outbuf + RT_ARRAY_SLOTS, got, n);
    cr_assert_str_eq(got, want);
}

Test(serial, a_vm_serial_port_joins_the_stdout_buffer_in_order)
{
    holt_vm *vm = new_vm();
    cr_assert_eq(vm->m.traps[TRAP_OUT].fn, rt_serial_out);
    rt_out_write(vm, 1, "ab", 2);
    cr_assert_eq(trap_call(&vm->m, TRAP_OUT, 0x3F8, 'c', 0, 0), 0);
    rt_out_write(vm, 1, "d", 1);
    trap_call(&vm->m, TRAP_OUT, 0x3FD, 'x', 0, 0);
    trap_call(&vm->m, TRAP_OUT, 0x3F8, 0x100 | 'e', 0, 0);
    expect_stdout_buffer(vm, "abcde");
    cr_assert_eq(trap_call(&vm->m, TRAP_OUT, 0x10000, 'x', 0, 0), -EINVAL);
    cr_assert_eq(vm->m.trap_counts[TRAP_OUT], 4);
    vm->outlen = 0; /* not for the test's own stdout */
    holt_free(vm);
}

/* Call the machine's fault hook as the fault handler would; the error's message. */
static void expect_fault(holt_vm *vm, gaddr a, hm_access access, hm_fault_kind kind, const char *cls,
                         const char *msg)
{
    int st = CATCH(vm, vm->m.fault(vm->m.fault_ctx, a, access, kind));
    cr_assert_eq(st, RT_THROWN);
    const rt_type *t = rt_type_get(vm, rt_obj_type(vm, vm->exc));
    cr_assert_str_eq(t->name, cls);
    if (msg)
        expect_str(vm, rt_err_message(vm, vm->exc), msg);
    cr_assert_eq(vm->m.mode, HM_USER_MODE);
}

Test(fault_hook, messages_name_address_access_and_kind)
{
    holt_vm *vm = new_vm();
    expect_fault(vm, 0x100000001000ull, HM_WRITE, HM_FAULT_NOT_PRESENT, "MemoryFault",
                 "write at 0x100000001000: not-present");
    vm->m.mode = HM_SUPER_MODE; /* the error goes to the program, in user mode */
    expect_fault(vm, 0x100000000008ull, HM_READ, HM_FAULT_PROTECTION, "MemoryFault",
                 "read at 0x100000000008: protection");
    expect_fault(vm, 0x40, HM_EXEC, HM_FAULT_NOT_PRESENT, "MemoryFault", "exec at 0x40: not-present");
    expect_fault(vm, 0x40, HM_READ, HM_FAULT_OUT_OF_MEMORY, "OutOfMemoryError", NULL);
    cr_assert_eq(vm->exc, vm->heap.oom);
    holt_free(vm);
}

Test(fault_hook, the_program_handler_is_asked_a_bounded_number_of_times)
{
    holt_vm *vm = new_vm();
    /* A dispatcher is registered, but this access has used up its retries: the hook throws
     * without calling it (a bare VM could not call it anyway). */
    vm->fault_dispatch = 0x10000008;
    vm->fault_retries = 16;
    expect_fault(vm, 0x100000002000ull, HM_READ, HM_FAULT_NOT_PRESENT, "MemoryFault",
                 "read at 0x100000002000: not-present (the fault handler kept asking to retry)");
    /* Faults outside the program's range never reach the program's handler. */
    vm->fault_retries = 0;
    expect_fault(vm, vm->m.base + 8, HM_WRITE, HM_FAULT_PROTECTION, "MemoryFault", NULL);
    expect_fault(vm, HM_USER_END, HM_WRITE, HM_FAULT_NOT_PRESENT, "MemoryFault", NULL);
    cr_assert_eq(vm->fault_retries, 0);
    vm->fault_dispatch = 0;
    holt_free(vm);
}

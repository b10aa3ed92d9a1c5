/* bare_vm.c — a VM built by hand for the unit tests (see bare_vm.h). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bare_vm.h"

holt_vm *bare_vm_new(holt_config cfg)
{
    holt_vm *vm = calloc(1, sizeof *vm);
    cr_assert_not_null(vm);
    vm->cfg = cfg;
    buf_init(&vm->trace);
    /* Unit tests size the heap by mem_bytes, as they did before paging: heap = memory. */
    hm_config mc = {.mem_bytes = cfg.mem_bytes,
                    .heap_bytes = cfg.heap_bytes ? cfg.heap_bytes : cfg.mem_bytes,
                    .tlb_entries = cfg.tlb_entries,
                    .tlb_ways = cfg.tlb_ways,
                    .tlb_off = cfg.tlb_off != 0,
                    .policy = (hm_policy)cfg.swap_policy};
    cr_assert_eq(hm_init(&vm->m, &mc), 0);
    cr_assert_eq(rt_init(vm), 0);
    return vm;
}

void expect_str(holt_vm *vm, gaddr s, const char *want)
{
    cr_assert_neq(s, 0, "expected \"%s\", found null", want);
    uint64_t n;
    char *got = rt_str_dup(vm, s, &n);
    cr_assert_eq(n, strlen(want), "expected \"%s\", found \"%s\"", want, got);
    cr_assert_str_eq(got, want);
    free(got);
}

/* machine_fixture.c — a machine built by hand for the unit tests (see machine_fixture.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "machine_fixture.h"

static bool log_fault(void *ctx, gaddr addr, hm_access access, hm_fault_kind kind)
{
    fault_log *log = ctx;
    log->addr = addr;
    log->access = access;
    log->kind = kind;
    log->faults++;
    longjmp(log->jb, 1);
}

void machine_with_log(hmachine *m, fault_log *log, hm_config cfg, uint64_t mapped)
{
    memset(log, 0, sizeof *log);
    cr_assert_eq(hm_init(m, &cfg), 0);
    cr_assert_eq(hm_map_heap(m, mapped), 0);
    m->fault = log_fault;
    m->fault_ctx = log;
}

void expect_counts(const uint64_t *counts, const char *const *names, const count_row *rows,
                   size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(counts[rows[i].at], rows[i].n, "%s: expected %llu, found %llu",
                     names[rows[i].at], (unsigned long long)rows[i].n,
                     (unsigned long long)counts[rows[i].at]);
}

void expect_names(const char *const *names, const name_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(names[rows[i].at], rows[i].name, "entry %d", rows[i].at);
}

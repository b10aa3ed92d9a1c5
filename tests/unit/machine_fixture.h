/* machine_fixture.h — a machine built by hand for the unit tests of hostos/ (test_machine.c,
 * test_paging.c, test_machine_traps.c): a fault hook that records the fault and jumps back into
 * the test, and checks of the machine's kind-indexed tables (counters, names) written as one
 * table per check. Free the machine with hm_destroy. */
#ifndef HOLT_TESTS_MACHINE_FIXTURE_H
#define HOLT_TESTS_MACHINE_FIXTURE_H

#include <setjmp.h>
#include <stddef.h>

#include "machine.h"

/* What the fault hook saw last, and where it jumps back to. */
typedef struct {
    jmp_buf jb;          /* set by FAULTS; the hook longjmps here */
    gaddr addr;          /* the faulting address */
    hm_access access;    /* read, write or exec */
    hm_fault_kind kind;  /* not-present, protection, ... */
    int faults;          /* how many faults the hook saw */
} fault_log;

/* A machine with configuration cfg, its heap mapped up to `mapped` bytes (0: none), whose
 * fault hook records into log (cleared first) and jumps back into the test; the test fails when
 * the machine cannot be set up. */
void machine_with_log(hmachine *m, fault_log *log, hm_config cfg, uint64_t mapped);

/* Run `stmt`; true when it faulted (the hook jumped back). */
#define FAULTS(log, stmt)                                                                      \
    ({                                                                                         \
        volatile bool faulted_ = true;                                                         \
        if (setjmp((log)->jb) == 0) {                                                          \
            stmt;                                                                              \
            faulted_ = false;                                                                  \
        }                                                                                      \
        faulted_;                                                                              \
    })

/* One expected entry of a kind-indexed table: counts[at] == n, or names[at] == name. */
typedef struct {
    int at;
    uint64_t n;
} count_row;
typedef struct {
    int at;
    const char *name;
} name_row;

/* Every row of rows holds in counts; a failure names the entry by names[at]. */
void expect_counts(const uint64_t *counts, const char *const *names, const count_row *rows,
                   size_t n);
/* Every row of rows holds in names. */
void expect_names(const char *const *names, const name_row *rows, size_t n);

/* A table of rows as the pointer and count the checks take. */
#define ROWS_(type, ...)                                                                       \
    (const type[]){__VA_ARGS__}, sizeof((const type[]){__VA_ARGS__}) / sizeof(type)

/* EXPECT_STATS(&m, {HM_STAT_traps, 3}, {HM_STAT_syscalls, 0}): the machine's counters. */
#define EXPECT_STATS(m, ...) expect_counts((m)->stats, hm_stat_names, ROWS_(count_row, __VA_ARGS__))
/* EXPECT_TRAP_COUNTS(&m, {TRAP_IN, 1}): how often each trap was taken. */
#define EXPECT_TRAP_COUNTS(m, ...)                                                             \
    expect_counts((m)->trap_counts, trap_names, ROWS_(count_row, __VA_ARGS__))
/* EXPECT_NAMES(trap_names, {TRAP_WRITE, "write"}): a name table follows its .def file. */
#define EXPECT_NAMES(names, ...) expect_names(names, ROWS_(name_row, __VA_ARGS__))

#endif

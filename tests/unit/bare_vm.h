/* bare_vm.h — a VM built by hand for the unit tests: a machine and a runtime, no modules, no
 * frames and no interpreter hook (test_runtime.c, test_gc.c, and under bc_asm.c the VM of the
 * interpreter tests). Free it with holt_free, which releases exactly what is there. */
#ifndef HOLT_TESTS_BARE_VM_H
#define HOLT_TESTS_BARE_VM_H

#include <setjmp.h>

#include "holt.h"
#include "rt.h"
#include "state.h"

/* A VM with configuration cfg taken as is (no defaults filled in); the test fails when the
 * machine or the runtime cannot be set up. */
holt_vm *bare_vm_new(holt_config cfg);

/* Run the statement inside a protected region; the status (RT_OK, RT_THROWN or RT_EXITED).
 * The statement may be a block with commas in it. */
#define CATCH(vm, ...)                                                                         \
    ({                                                                                         \
        rt_catch c_ = {.prev = (vm)->catcher};                                                 \
        (vm)->catcher = &c_;                                                                   \
        if (setjmp(c_.jb) == 0) {                                                              \
            __VA_ARGS__;                                                                       \
        }                                                                                      \
        (vm)->catcher = c_.prev;                                                               \
        c_.status;                                                                             \
    })

/* The guest string s equals want (NUL-free), length included. */
void expect_str(holt_vm *vm, gaddr s, const char *want);

#endif

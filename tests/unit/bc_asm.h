/* bc_asm.h — a small bytecode assembler and a harness for running what it builds, shared by
 * the linker and interpreter tests (test_interp.c, test_interp_obj.c).
 *
 * A module is built function by function: as_fn (or as_main) begins one, E emits its
 * instructions, labels stand for jump targets until as_end patches them, and as_done hands over
 * the bc_module. Constants are added on demand; STR, TYPE and MODULE constants are shared, the
 * others never are. The harness makes a VM that captures what the program writes, links modules
 * through the verifier, and calls functions expecting a result or a given error. */
#ifndef HOLT_TESTS_BC_ASM_H
#define HOLT_TESTS_BC_ASM_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

/* ---- the assembler ------------------------------------------------------------------------- */

#define AS_MAX_LABELS 64
#define AS_MAX_FIXUPS 256

typedef struct {
    bc_module *m;
    uint32_t kcap;                /* consts allocated */
    uint16_t fcap;                /* funcs allocated */
    int cur;                      /* function being assembled, -1 when none */
    holt_buf code;                /* its code */
    bc_line *lines;               /* its line table */
    uint32_t nlines;
    uint32_t line;                /* current source line */
    uint16_t max_stack;           /* max_stack to record */
    uint32_t label_at[AS_MAX_LABELS];
    int nlabels;
    struct {
        uint32_t insn, at;        /* the jump's opcode offset and its operand offset */
        int label;
    } fix[AS_MAX_FIXUPS];
    int nfix;
} as_t;

as_t *as_new(const char *name, const char *path);
/* A module with an empty <main> (it just returns), ready for more functions. */
as_t *as_module(const char *name, const char *path);
/* The module "t" (t.holt) of as_module. */
as_t *mod_t(void);

uint16_t as_const(as_t *a, bc_const c);
uint16_t as_str(as_t *a, const char *s);
/* A STR constant with arbitrary bytes (NUL and high bytes allowed); never shared. */
uint16_t as_bytes(as_t *a, const char *s, uint32_t len);
uint16_t as_type(as_t *a, const char *desc);
uint16_t as_int(as_t *a, int64_t v);
uint16_t as_flt(as_t *a, double v);
uint16_t as_mod(as_t *a, const char *name);
/* A FUNC, GLOBAL or NATIVE constant; mod NULL is this module. */
uint16_t as_ref(as_t *a, int tag, const char *mod, const char *name, const char *desc);
#define as_func(a, mod, name, desc) as_ref(a, BC_K_FUNC, mod, name, desc)
#define as_glob(a, mod, name, desc) as_ref(a, BC_K_GLOBAL, mod, name, desc)
#define as_native(a, name, desc) as_ref(a, BC_K_NATIVE, NULL, name, desc)
/* A FIELD or METHOD constant: class TYPE, name, type. */
uint16_t as_member(as_t *a, int tag, const char *cls, const char *name, const char *desc);
#define as_fieldk(a, cls, name, desc) as_member(a, BC_K_FIELD, cls, name, desc)
#define as_methodk(a, cls, name, desc) as_member(a, BC_K_METHOD, cls, name, desc)

uint16_t as_global(as_t *a, const char *name, const char *desc, uint16_t flags);

/* Begin a function; `locals` lists every local's descriptor (parameters first), separated by
 * spaces. Returns its index. */
uint16_t as_fn(as_t *a, const char *name, const char *desc, uint16_t nparams, const char *locals);
/* Begin the module's <main>. */
uint16_t as_main(as_t *a);
/* Instructions emitted from now on are on source line `line`. */
void as_line(as_t *a, uint32_t line);
int as_label(as_t *a);
void as_bind(as_t *a, int label);
/* Emit one instruction; x and y are its operands in order (a label for j). */
void as_emit(as_t *a, int op, int64_t x, int64_t y, ...);
#define E(a, ...) as_emit(a, __VA_ARGS__, 0, 0)
/* End the function: patch its jumps and store its code, lines and max_stack. */
void as_end(as_t *a);
/* The module built; the assembler is freed. */
bc_module *as_done(as_t *a);

/* Add a class (or interface) to the module's class section; returns its index. */
int as_class(as_t *a, const char *desc, uint16_t flags, const char *super);
void as_cfield(as_t *a, int ci, const char *name, const char *desc);
void as_cmethod(as_t *a, int ci, const char *name, const char *sig, uint16_t func);
void as_ciface(as_t *a, int ci, const char *desc);
/* An exception-table entry of function fi over labels [from, to) landing at `at`, catching
 * class `type` (NULL: everything). Call right after as_end of that function. */
void as_handler(as_t *a, uint16_t fi, int from, int to, int at, const char *type);

/* ---- a VM for tests ------------------------------------------------------------------------ */

typedef struct {
    holt_buf out;                 /* what the program wrote to fd 1 */
    holt_buf err;                 /* ... and to fd 2 */
} captured;

/* A VM whose writes are captured; sw forces the switch dispatch. */
holt_vm *vm_new_cfg(int sw, uint32_t stack_slots, uint32_t max_frames);
holt_vm *vm_new(int sw);
captured *vm_captured(holt_vm *vm);
/* Everything the program printed so far. */
const char *vm_out(holt_vm *vm);
void vm_free(holt_vm *vm);

/* Link a module; `verify` says whether it goes through the verifier first. */
vm_module *link_v(holt_vm *vm, as_t *a, bool verify);
/* Link a module the verifier admits: what the tests run is what the verifier admits, as
 * nothing else ever reaches the interpreter. */
vm_module *link_ok(holt_vm *vm, as_t *a);
/* Link a module verified with env, as the loader verifies it (classes of other modules known). */
vm_module *link_with_env(holt_vm *vm, as_t *a, const verify_env *env);
/* Link a module that must fail to link, with exactly this message; `verify` says whether it
 * passes the verifier first (a module the verifier would reject tests the linker's own
 * defences). */
void link_fails_v(holt_vm *vm, as_t *a, const char *msg, bool verify);
void link_fails(holt_vm *vm, as_t *a, const char *msg);

vm_function *fn_named(vm_module *m, const char *name);
/* Call function `name` of m, which must return normally; its result. */
uint64_t call_ok(holt_vm *vm, vm_module *m, const char *name, const uint64_t *args);
/* The last error must be of class `kind` with message `msg`. */
void check_error(holt_vm *vm, rt_err kind, const char *msg);
/* Call `name`, which must throw kind/msg; the VM must be back to no frames. */
void call_throws(holt_vm *vm, vm_module *m, const char *name, const uint64_t *args, rt_err kind, const char *msg);

/* A guest string as a C string (malloc'd), NULL for null. */
char *str_of(holt_vm *vm, gaddr s);
/* A value's bits as a float. */
static inline double as_d(uint64_t v) { return rt_f_of(v); }

/* A test body run under both dispatch methods. */
#define BOTH(name)                                                                             \
    static void name##_body(int sw);                                                           \
    Test(interp, name)                                                                         \
    {                                                                                          \
        name##_body(0);                                                                        \
        name##_body(1);                                                                        \
    }                                                                                          \
    static void name##_body(int sw)

#endif

/* test_interp.c — the linker (vm/link.c) and the interpreter (vm/interp.c).
 *
 * Modules are assembled by hand with the small assembler of bc_asm.h, linked into a VM and run.
 * Every interpreter test runs twice, with computed-goto and with switch dispatch (BOTH). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bc_asm.h"

/* ---- linking --------------------------------------------------------------------------------- */

Test(link, binds_constants_globals_and_functions)
{
    holt_vm *vm = vm_new(0);
    as_t *a = as_new("app", "app.holt");
    uint16_t ki = as_int(a, -42), kf = as_flt(a, 2.5), ks = as_str(a, "hello"), kt = as_type(a, "[I");
    uint16_t kself = as_mod(a, "app");
    as_global(a, "count", "I", BC_GLOBAL_MUTABLE);
    as_global(a, "names", "[S", 0);
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "add", "(II)I", 2, "I I S F");
    as_line(a, 7);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_IADD);
    E(a, OP_RETV);
    a->max_stack = 2;
    as_end(a);
    vm_module *m = link_ok(vm, a);

    cr_assert_eq(vm->nmodules, 1);
    cr_assert_eq(vm->modules[0], m);
    cr_assert_eq(vm_find_module(vm, "app"), m);
    cr_assert_null(vm_find_module(vm, "nope"));
    cr_assert_str_eq(m->name, "app");
    cr_assert_eq((int64_t)m->k[ki], -42);
    cr_assert_eq(as_d(m->k[kf]), 2.5);
    char *s = str_of(vm, m->k[ks]);
    cr_assert_str_eq(s, "hello");
    free(s);
    cr_assert_eq(m->k[kt], rt_type_intern(vm, "[I"));
    cr_assert_eq(m->kp[kself], m);
    cr_assert_eq(m->globals[0], 0);
    cr_assert_eq(m->globals[1], 0);
    cr_assert_eq(m->global_types[0], RT_T_INT);
    cr_assert_eq(m->global_types[1], rt_type_intern(vm, "[S"));
    vm_function *f = fn_named(m, "add");
    cr_assert_eq(f->mod, m);
    cr_assert_eq(f->bc, &m->bc->funcs[1]);
    cr_assert_eq(f->nparams, 2);
    cr_assert_eq(f->nlocals, 4);
    cr_assert_eq(f->max_stack, 2);
    cr_assert(f->returns);
    cr_assert_eq(f->local_types[2], RT_T_STR);
    cr_assert_eq(f->local_types[3], RT_T_FLOAT);
    cr_assert_not(fn_named(m, "<main>")->returns);
    vm_free(vm);
}

Test(link, binds_functions_globals_and_natives_of_other_modules)
{
    holt_vm *vm = vm_new(0);
    as_t *u = as_new("util", "util.holt");
    as_global(u, "g", "I", BC_GLOBAL_MUTABLE);
    as_main(u);
    E(u, OP_RET);
    as_end(u);
    as_fn(u, "f", "(I)I", 1, "I");
    E(u, OP_LOAD, 0);
    E(u, OP_RETV);
    as_end(u);
    vm_module *um = link_ok(vm, u);

    as_t *a = as_new("app", "app.holt");
    uint16_t kf = as_func(a, "util", "f", "(I)I");
    uint16_t kg = as_glob(a, "util", "g", "I");
    uint16_t kn = as_native(a, "math.abs", "(I)I");
    uint16_t kp = as_native(a, "print", "(S)V");
    uint16_t kmod = as_mod(a, "util");
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    vm_module *m = link_ok(vm, a);
    cr_assert_eq(m->kp[kmod], um);
    cr_assert_eq(m->kp[kf], fn_named(um, "f"));
    cr_assert_eq(m->kp[kg], &um->globals[0]);
    const vm_native_site *site = m->kp[kn];
    cr_assert_str_eq(site->native->name, "math.abs");
    cr_assert_eq(site->nargs, 1);
    cr_assert(site->returns);
    cr_assert_eq(site->ret, RT_T_INT);
    site = m->kp[kp];
    cr_assert_str_eq(site->native->name, "print");
    cr_assert_not(site->returns);
    cr_assert_eq(site->ret, RT_T_VOID);
    cr_assert_eq(vm->nmodules, 2);
    vm_free(vm);
}

/* A module "util" with a public f: (I)I, a private _p: ()I, a var g: I and a let c: S. */
static vm_module *link_util(holt_vm *vm)
{
    as_t *u = as_new("util", "util.holt");
    as_global(u, "g", "I", BC_GLOBAL_MUTABLE);
    as_global(u, "c", "S", 0);
    as_global(u, "_h", "I", BC_GLOBAL_MUTABLE | BC_PRIVATE);
    as_main(u);
    E(u, OP_RET);
    as_end(u);
    as_fn(u, "f", "(I)I", 1, "I");
    E(u, OP_LOAD, 0);
    E(u, OP_RETV);
    as_end(u);
    as_fn(u, "_p", "()I", 0, "");
    u->m->funcs[2].flags = BC_PRIVATE;
    E(u, OP_IIMM, 1);
    E(u, OP_RETV);
    as_end(u);
    return link_ok(vm, u);
}

/* An "app" module to add constants to; finish_main gives it a <main> that only returns. */
static as_t *as_app(void) { return as_new("app", "app.holt"); }

static void finish_main(as_t *a)
{
    as_main(a);
    E(a, OP_RET);
    as_end(a);
}

Test(link, errors_name_what_is_missing)
{
    holt_vm *vm = vm_new(0);
    as_t *a = as_app();
    as_func(a, "util", "f", "(I)I");
    finish_main(a);
    link_fails(vm, a, "link: module app: module 'util' is not loaded");

    link_util(vm);
    a = as_app();
    as_func(a, "util", "g", "(I)I");
    finish_main(a);
    link_fails(vm, a, "link: module app: no function util.g of type (I)I");

    a = as_app();
    as_func(a, "util", "f", "(F)I");
    finish_main(a);
    link_fails(vm, a, "link: module app: no function util.f of type (F)I");

    a = as_app();
    as_func(a, "util", "_p", "()I");
    finish_main(a);
    link_fails(vm, a, "link: module app: no function util._p of type ()I");

    a = as_app();
    as_glob(a, "util", "nope", "I");
    finish_main(a);
    link_fails(vm, a, "link: module app: no global util.nope of type I");

    a = as_app();
    as_glob(a, "util", "g", "F");
    finish_main(a);
    link_fails(vm, a, "link: module app: no global util.g of type F");

    a = as_app();
    as_glob(a, "util", "_h", "I");
    finish_main(a);
    link_fails(vm, a, "link: module app: no global util._h of type I");

    a = as_app();
    as_native(a, "str.foo", "(S)I");
    finish_main(a);
    link_fails(vm, a, "link: module app: no native str.foo of type (S)I");

    a = as_app();
    as_native(a, "math.abs", "(S)S");
    finish_main(a);
    link_fails(vm, a, "link: module app: no native math.abs of type (S)S");

    a = as_new("util", "util2.holt");
    finish_main(a);
    link_fails(vm, a, "link: module util: a module of that name is already loaded");

    a = as_app();
    as_type(a, "Q");
    finish_main(a);
    link_fails_v(vm, a, "link: module app: bad type descriptor 'Q'", false);

    /* Nothing of the failed links stayed behind. */
    cr_assert_eq(vm->nmodules, 1);
    cr_assert_null(vm_find_module(vm, "app"));
    vm_free(vm);
}

Test(link, a_let_global_of_another_module_cannot_be_stored)
{
    holt_vm *vm = vm_new(0);
    link_util(vm);
    as_t *a = as_app();
    uint16_t kc = as_glob(a, "util", "c", "S");
    as_main(a);
    E(a, OP_NULL, as_type(a, "S"));
    E(a, OP_XSTORE, kc);
    E(a, OP_RET);
    as_end(a);
    link_fails(vm, a, "link: module app: global util.c is not mutable");

    /* Reading it is fine, and so is storing the var. */
    a = as_app();
    kc = as_glob(a, "util", "c", "S");
    uint16_t kg = as_glob(a, "util", "g", "I");
    as_main(a);
    E(a, OP_XLOAD, kc);
    E(a, OP_POP);
    E(a, OP_IIMM, 5);
    E(a, OP_XSTORE, kg);
    E(a, OP_RET);
    as_end(a);
    vm_module *m = link_ok(vm, a);
    cr_assert_eq(interp_run_module(vm, m), RT_OK);
    cr_assert_eq(vm_find_module(vm, "util")->globals[0], 5);
    vm_free(vm);
}

Test(link, a_module_may_refer_to_its_own_private_members)
{
    holt_vm *vm = vm_new(0);
    as_t *a = as_new("app", "app.holt");
    uint16_t kf = as_func(a, "app", "_twice", "(I)I");
    uint16_t kg = as_glob(a, "app", "_g", "I");
    as_global(a, "_g", "I", BC_GLOBAL_MUTABLE | BC_PRIVATE);
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "_twice", "(I)I", 1, "I");
    a->m->funcs[1].flags = BC_PRIVATE;
    E(a, OP_LOAD, 0);
    E(a, OP_DUP);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "go", "()I", 0, "");
    E(a, OP_IIMM, 21);
    E(a, OP_CALLX, kf);
    E(a, OP_XSTORE, kg);
    E(a, OP_XLOAD, kg);
    E(a, OP_RETV);
    as_end(a);
    vm_module *m = link_ok(vm, a);
    cr_assert_eq(call_ok(vm, m, "go", NULL), 42);
    cr_assert_eq(m->globals[0], 42);
    vm_free(vm);
}

/* ---- integer operations ----------------------------------------------------------------------- */

typedef struct {
    int op;
    int nargs;                    /* 1 or 2 operands */
    int64_t a, b;
    int64_t want;
} int_case;

static const int_case int_cases[] = {
    {OP_IADD, 2, 2, 3, 5},
    {OP_IADD, 2, INT64_MAX, 1, INT64_MIN},
    {OP_IADD, 2, INT64_MIN, -1, INT64_MAX},
    {OP_ISUB, 2, 2, 3, -1},
    {OP_ISUB, 2, INT64_MIN, 1, INT64_MAX},
    {OP_IMUL, 2, -6, 7, -42},
    {OP_IMUL, 2, INT64_MAX, 2, -2},
    {OP_IMUL, 2, INT64_MIN, -1, INT64_MIN},
    {OP_IDIV, 2, 7, 2, 3},
    {OP_IDIV, 2, -7, 2, -3},
    {OP_IDIV, 2, 7, -2, -3},
    {OP_IDIV, 2, -7, -2, 3},
    {OP_IDIV, 2, INT64_MIN, -1, INT64_MIN},
    {OP_IDIV, 2, INT64_MIN, 1, INT64_MIN},
    {OP_IDIV, 2, 5, -1, -5},
    {OP_IMOD, 2, 7, 3, 1},
    {OP_IMOD, 2, -7, 3, -1},
    {OP_IMOD, 2, 7, -3, 1},
    {OP_IMOD, 2, -7, -3, -1},
    {OP_IMOD, 2, INT64_MIN, -1, 0},
    {OP_IMOD, 2, 5, -1, 0},
    {OP_IMOD, 2, INT64_MIN, 3, -2},
    {OP_INEG, 1, 5, 0, -5},
    {OP_INEG, 1, INT64_MIN, 0, INT64_MIN},
    {OP_IAND, 2, 12, 10, 8},
    {OP_IOR, 2, 12, 10, 14},
    {OP_IXOR, 2, 12, 10, 6},
    {OP_INOT, 1, 0, 0, -1},
    {OP_INOT, 1, 5, 0, -6},
    {OP_ISHL, 2, 1, 3, 8},
    {OP_ISHL, 2, 1, 63, INT64_MIN},
    {OP_ISHL, 2, 1, 64, 1},
    {OP_ISHL, 2, 1, 65, 2},
    {OP_ISHL, 2, 1, -1, INT64_MIN},
    {OP_ISHL, 2, 3, 62, INT64_MIN | (1ll << 62)},
    {OP_ISHR, 2, 16, 2, 4},
    {OP_ISHR, 2, -16, 2, -4},
    {OP_ISHR, 2, -1, 63, -1},
    {OP_ISHR, 2, INT64_MIN, 63, -1},
    {OP_ISHR, 2, INT64_MAX, 63, 0},
    {OP_ISHR, 2, -16, 64, -16},
    {OP_ISHR, 2, -16, 66, -4},
    {OP_IEQ, 2, 3, 3, 1},
    {OP_IEQ, 2, 3, 4, 0},
    {OP_INE, 2, 3, 4, 1},
    {OP_INE, 2, 3, 3, 0},
    {OP_ILT, 2, -1, 0, 1},
    {OP_ILT, 2, 0, 0, 0},
    {OP_ILT, 2, INT64_MIN, INT64_MAX, 1},
    {OP_ILE, 2, 0, 0, 1},
    {OP_ILE, 2, 1, 0, 0},
    {OP_IGT, 2, 0, -1, 1},
    {OP_IGT, 2, INT64_MIN, 0, 0},
    {OP_IGE, 2, 0, 0, 1},
    {OP_IGE, 2, -1, 0, 0},
};

BOTH(int_operations)
{
    as_t *a = mod_t();
    size_t n = sizeof int_cases / sizeof int_cases[0];
    for (size_t i = 0; i < n; i++) {
        const int_case *c = &int_cases[i];
        bool cmp = c->op >= OP_IEQ && c->op <= OP_IGE;
        as_fn(a, "f", cmp ? "()Z" : "()I", 0, "");
        E(a, OP_KINT, as_int(a, c->a));
        if (c->nargs == 2)
            E(a, OP_KINT, as_int(a, c->b));
        E(a, c->op);
        E(a, OP_RETV);
        as_end(a);
    }
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    for (size_t i = 0; i < n; i++) {
        const int_case *c = &int_cases[i];
        uint64_t r = 0;
        cr_assert_eq(interp_call(vm, &m->funcs[i + 1], NULL, &r), RT_OK);
        cr_assert_eq((int64_t)r, c->want, "%s %lld %lld: got %lld, want %lld (switch=%d)", bc_ops[c->op].name,
                     (long long)c->a, (long long)c->b, (long long)r, (long long)c->want, sw);
    }
    vm_free(vm);
}

BOTH(int_division_by_zero_throws)
{
    as_t *a = mod_t();
    as_fn(a, "div", "(II)I", 2, "I I");
    as_line(a, 3);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    as_line(a, 4);
    E(a, OP_IDIV);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "mod", "(II)I", 2, "I I");
    as_line(a, 8);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_IMOD);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    uint64_t args[2] = {7, 0};
    call_throws(vm, m, "div", args, RT_E_ArithmeticError, "division by zero");
    cr_assert_str_eq(vm->trace.data, "  at div (t.holt:4)\n");
    call_throws(vm, m, "mod", args, RT_E_ArithmeticError, "modulo by zero");
    cr_assert_str_eq(vm->trace.data, "  at mod (t.holt:8)\n");
    args[0] = (uint64_t)INT64_MIN;
    call_throws(vm, m, "div", args, RT_E_ArithmeticError, "division by zero");
    /* The VM is still usable after an error. */
    args[1] = 2;
    cr_assert_eq((int64_t)call_ok(vm, m, "div", args), INT64_MIN / 2);
    vm_free(vm);
}

BOTH(immediates_constants_and_stack_operations)
{
    as_t *a = mod_t();
    as_fn(a, "imm", "()I", 0, "");
    E(a, OP_IIMM, -123456);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "immax", "()I", 0, "");
    E(a, OP_IIMM, INT32_MIN);
    E(a, OP_IIMM, INT32_MAX);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "kint", "()I", 0, "");
    E(a, OP_KINT, as_int(a, INT64_MIN + 7));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "kflt", "()F", 0, "");
    E(a, OP_KFLT, as_flt(a, -0.0));
    E(a, OP_RETV);
    as_end(a);
    /* (true == true) != false, through NOP, POP and DUP. */
    as_fn(a, "bools", "()Z", 0, "");
    E(a, OP_TRUE);
    E(a, OP_NOP);
    E(a, OP_DUP);
    E(a, OP_ZEQ);
    E(a, OP_FALSE);
    E(a, OP_ZNE);
    E(a, OP_IIMM, 5);
    E(a, OP_POP);
    E(a, OP_RETV);
    as_end(a);
    /* The value under the top survives POP: false. */
    as_fn(a, "under", "()Z", 0, "");
    E(a, OP_FALSE);
    E(a, OP_TRUE);
    E(a, OP_POP);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "null", "()S", 0, "");
    E(a, OP_NULL, as_type(a, "S"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "not", "(Z)Z", 1, "Z");
    E(a, OP_LOAD, 0);
    E(a, OP_NOT);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "zeq", "(ZZ)Z", 2, "Z Z");
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_ZEQ);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "zne", "(ZZ)Z", 2, "Z Z");
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_ZNE);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    cr_assert_eq((int64_t)call_ok(vm, m, "imm", NULL), -123456);
    cr_assert_eq((int64_t)call_ok(vm, m, "immax", NULL), -1);
    cr_assert_eq((int64_t)call_ok(vm, m, "kint", NULL), INT64_MIN + 7);
    uint64_t negzero = call_ok(vm, m, "kflt", NULL);
    cr_assert_eq(negzero, 0x8000000000000000ull);
    cr_assert_eq(call_ok(vm, m, "bools", NULL), 1);
    cr_assert_eq(call_ok(vm, m, "under", NULL), 0);
    cr_assert_eq(call_ok(vm, m, "null", NULL), 0);
    uint64_t t = 1, f = 0, tt[2] = {1, 1}, tf[2] = {1, 0}, ff[2] = {0, 0};
    cr_assert_eq(call_ok(vm, m, "not", &t), 0);
    cr_assert_eq(call_ok(vm, m, "not", &f), 1);
    cr_assert_eq(call_ok(vm, m, "zeq", tt), 1);
    cr_assert_eq(call_ok(vm, m, "zeq", tf), 0);
    cr_assert_eq(call_ok(vm, m, "zeq", ff), 1);
    cr_assert_eq(call_ok(vm, m, "zne", tf), 1);
    cr_assert_eq(call_ok(vm, m, "zne", ff), 0);
    vm_free(vm);
}

/* ---- float operations ---------------------------------------------------------------------- */

typedef struct {
    int op;
    int nargs;
    double a, b;
    double want;                  /* for comparisons: 0 or 1 */
} flt_case;

static const flt_case flt_cases[] = {
    {OP_FADD, 2, 1.5, 2.25, 3.75},
    {OP_FSUB, 2, 1.5, 2.25, -0.75},
    {OP_FMUL, 2, 1.5, -2.0, -3.0},
    {OP_FDIV, 2, 1.0, 4.0, 0.25},
    {OP_FDIV, 2, 1.0, 0.0, INFINITY},
    {OP_FDIV, 2, -1.0, 0.0, -INFINITY},
    {OP_FDIV, 2, 0.0, 0.0, NAN},
    {OP_FMOD, 2, 7.5, 2.0, 1.5},
    {OP_FMOD, 2, -7.5, 2.0, -1.5},
    {OP_FMOD, 2, 7.5, -2.0, 1.5},
    {OP_FMOD, 2, 1.0, 0.0, NAN},
    {OP_FNEG, 1, 2.5, 0, -2.5},
    {OP_FNEG, 1, 0.0, 0, -0.0},
    {OP_FEQ, 2, 1.0, 1.0, 1},
    {OP_FEQ, 2, NAN, NAN, 0},
    {OP_FEQ, 2, 0.0, -0.0, 1},
    {OP_FNE, 2, NAN, NAN, 1},
    {OP_FNE, 2, 1.0, 1.0, 0},
    {OP_FLT, 2, 1.0, 2.0, 1},
    {OP_FLT, 2, NAN, 2.0, 0},
    {OP_FLE, 2, 2.0, 2.0, 1},
    {OP_FLE, 2, NAN, NAN, 0},
    {OP_FGT, 2, 2.0, 1.0, 1},
    {OP_FGT, 2, 2.0, NAN, 0},
    {OP_FGE, 2, 2.0, 2.0, 1},
    {OP_FGE, 2, -INFINITY, 0.0, 0},
};

BOTH(float_operations)
{
    as_t *a = mod_t();
    size_t n = sizeof flt_cases / sizeof flt_cases[0];
    for (size_t i = 0; i < n; i++) {
        const flt_case *c = &flt_cases[i];
        bool cmp = c->op >= OP_FEQ && c->op <= OP_FGE;
        as_fn(a, "f", cmp ? "()Z" : "()F", 0, "");
        E(a, OP_KFLT, as_flt(a, c->a));
        if (c->nargs == 2)
            E(a, OP_KFLT, as_flt(a, c->b));
        E(a, c->op);
        E(a, OP_RETV);
        as_end(a);
    }
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    for (size_t i = 0; i < n; i++) {
        const flt_case *c = &flt_cases[i];
        bool cmp = c->op >= OP_FEQ && c->op <= OP_FGE;
        uint64_t r = 0;
        cr_assert_eq(interp_call(vm, &m->funcs[i + 1], NULL, &r), RT_OK);
        if (cmp) {
            cr_assert_eq(r, (uint64_t)c->want, "%s %g %g (switch=%d)", bc_ops[c->op].name, c->a, c->b, sw);
        } else if (isnan(c->want)) {
            cr_assert(isnan(as_d(r)), "%s %g %g: got %g, want nan", bc_ops[c->op].name, c->a, c->b, as_d(r));
        } else {
            cr_assert(as_d(r) == c->want && signbit(as_d(r)) == signbit(c->want), "%s %g %g: got %g, want %g",
                      bc_ops[c->op].name, c->a, c->b, as_d(r), c->want);
        }
    }
    vm_free(vm);
}

BOTH(int_float_conversions)
{
    as_t *a = mod_t();
    as_fn(a, "i2f", "(I)F", 1, "I");
    E(a, OP_LOAD, 0);
    E(a, OP_I2F);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "f2i", "(F)I", 1, "F");
    as_line(a, 11);
    E(a, OP_LOAD, 0);
    E(a, OP_F2I);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    uint64_t v = (uint64_t)-3;
    cr_assert_eq(as_d(call_ok(vm, m, "i2f", &v)), -3.0);
    v = (uint64_t)INT64_MIN;
    cr_assert_eq(as_d(call_ok(vm, m, "i2f", &v)), -0x1p63);

    static const struct {
        double in;
        int64_t out;
    } ok[] = {{2.9, 2}, {-2.9, -2}, {-0.5, 0}, {0x1p62, 1ll << 62}, {-0x1p63, INT64_MIN}, {9.2233720368547748e18, 9223372036854774784}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        memcpy(&v, &ok[i].in, 8);
        cr_assert_eq((int64_t)call_ok(vm, m, "f2i", &v), ok[i].out, "int(%g)", ok[i].in);
    }
    static const struct {
        double in;
        const char *msg;
    } bad[] = {
        {NAN, "cannot convert nan to int"},
        {1e300, "float 1e+300 out of range for int"},
        {INFINITY, "float inf out of range for int"},
        {-INFINITY, "float -inf out of range for int"},
        {0x1p63, "float 9.223372036854776e+18 out of range for int"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(&v, &bad[i].in, 8);
        call_throws(vm, m, "f2i", &v, RT_E_ValueError, bad[i].msg);
        cr_assert_str_eq(vm->trace.data, "  at f2i (t.holt:11)\n");
    }
    vm_free(vm);
}

/* ---- variables and jumps --------------------------------------------------------------------- */

BOTH(locals_globals_and_loops)
{
    as_t *a = mod_t();
    as_global(a, "total", "I", BC_GLOBAL_MUTABLE);
    /* sum(n): var s = 0; var i = 1; while i <= n { s += i; i += 1 }; total = s; return s */
    as_fn(a, "sum", "(I)I", 1, "I I I");
    int top = as_label(a), done = as_label(a);
    E(a, OP_IIMM, 1);
    E(a, OP_STORE, 2);
    as_bind(a, top);
    E(a, OP_LOAD, 2);
    E(a, OP_LOAD, 0);
    E(a, OP_ILE);
    E(a, OP_JF, done);
    E(a, OP_LOAD, 1);
    E(a, OP_LOAD, 2);
    E(a, OP_IADD);
    E(a, OP_STORE, 1);
    E(a, OP_LOAD, 2);
    E(a, OP_IIMM, 1);
    E(a, OP_IADD);
    E(a, OP_STORE, 2);
    E(a, OP_JMP, top);
    as_bind(a, done);
    E(a, OP_LOAD, 1);
    E(a, OP_GSTORE, 0);
    E(a, OP_GLOAD, 0);
    E(a, OP_RETV);
    as_end(a);
    /* pick(c): if c { return 10 } return 20 — with JT */
    as_fn(a, "pick", "(Z)I", 1, "Z");
    int yes = as_label(a);
    E(a, OP_LOAD, 0);
    E(a, OP_JT, yes);
    E(a, OP_IIMM, 20);
    E(a, OP_RETV);
    as_bind(a, yes);
    E(a, OP_IIMM, 10);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    uint64_t n = 100;
    cr_assert_eq(call_ok(vm, m, "sum", &n), 5050);
    cr_assert_eq(m->globals[0], 5050);
    n = 0;
    cr_assert_eq(call_ok(vm, m, "sum", &n), 0);
    uint64_t t = 1, f = 0;
    cr_assert_eq(call_ok(vm, m, "pick", &t), 10);
    cr_assert_eq(call_ok(vm, m, "pick", &f), 20);
    vm_free(vm);
}

BOTH(globals_of_other_modules)
{
    holt_vm *vm = vm_new(sw);
    vm_module *um = link_util(vm);
    as_t *a = mod_t();
    uint16_t kg = as_glob(a, "util", "g", "I");
    as_fn(a, "bump", "()I", 0, "");
    E(a, OP_XLOAD, kg);
    E(a, OP_IIMM, 3);
    E(a, OP_IADD);
    E(a, OP_XSTORE, kg);
    E(a, OP_XLOAD, kg);
    E(a, OP_RETV);
    as_end(a);
    vm_module *m = link_ok(vm, a);
    cr_assert_eq(call_ok(vm, m, "bump", NULL), 3);
    cr_assert_eq(call_ok(vm, m, "bump", NULL), 6);
    cr_assert_eq(um->globals[0], 6);
    vm_free(vm);
}

/* ---- strings ----------------------------------------------------------------------------------- */

/* A function (SS)Z or (SS)S applying op to its two parameters. */
static void str_binary(as_t *a, const char *name, int op, const char *desc)
{
    as_fn(a, name, desc, 2, "S S");
    as_line(a, 20);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, op);
    E(a, OP_RETV);
    as_end(a);
}

BOTH(string_operations)
{
    as_t *a = mod_t();
    str_binary(a, "seq", OP_SEQ, "(SS)Z");
    str_binary(a, "sne", OP_SNE, "(SS)Z");
    str_binary(a, "slt", OP_SLT, "(SS)Z");
    str_binary(a, "sle", OP_SLE, "(SS)Z");
    str_binary(a, "sgt", OP_SGT, "(SS)Z");
    str_binary(a, "sge", OP_SGE, "(SS)Z");
    str_binary(a, "scat", OP_SCAT, "(SS)S");
    as_fn(a, "slen", "(S)I", 1, "S");
    as_line(a, 30);
    E(a, OP_LOAD, 0);
    E(a, OP_SLEN);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "sget", "(SI)I", 2, "S I");
    as_line(a, 40);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_SGET);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "scatn", "(SSS)S", 3, "S S S");
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_LOAD, 2);
    E(a, OP_SCATN, 3);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "konst", "()S", 0, "");
    E(a, OP_KSTR, as_bytes(a, "a\0\xff", 3));
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    gaddr ab = rt_str_cstr(vm, "ab"), ab2 = rt_str_cstr(vm, "ab"), abc = rt_str_cstr(vm, "abc"),
          b = rt_str_cstr(vm, "b"), empty = rt_str_cstr(vm, "");
    uint64_t x[3];
#define PAIR(p, q) (x[0] = (p), x[1] = (q), x)
    cr_assert_eq(call_ok(vm, m, "seq", PAIR(ab, ab2)), 1);
    cr_assert_eq(call_ok(vm, m, "seq", PAIR(ab, abc)), 0);
    cr_assert_eq(call_ok(vm, m, "seq", PAIR(0, 0)), 1);
    cr_assert_eq(call_ok(vm, m, "seq", PAIR(ab, 0)), 0);
    cr_assert_eq(call_ok(vm, m, "seq", PAIR(0, empty)), 0);
    cr_assert_eq(call_ok(vm, m, "sne", PAIR(ab, abc)), 1);
    cr_assert_eq(call_ok(vm, m, "sne", PAIR(0, 0)), 0);
    cr_assert_eq(call_ok(vm, m, "sne", PAIR(0, ab)), 1);
    cr_assert_eq(call_ok(vm, m, "slt", PAIR(ab, abc)), 1);
    cr_assert_eq(call_ok(vm, m, "slt", PAIR(abc, b)), 1);
    cr_assert_eq(call_ok(vm, m, "slt", PAIR(ab, ab2)), 0);
    cr_assert_eq(call_ok(vm, m, "sle", PAIR(ab, ab2)), 1);
    cr_assert_eq(call_ok(vm, m, "sle", PAIR(b, ab)), 0);
    cr_assert_eq(call_ok(vm, m, "sgt", PAIR(b, abc)), 1);
    cr_assert_eq(call_ok(vm, m, "sgt", PAIR(ab, ab)), 0);
    cr_assert_eq(call_ok(vm, m, "sge", PAIR(ab, ab2)), 1);
    cr_assert_eq(call_ok(vm, m, "sge", PAIR(empty, ab)), 0);
    const char *order_ops[] = {"slt", "sle", "sgt", "sge"};
    for (int i = 0; i < 4; i++) {
        uint64_t args[2] = {ab, 0};
        vm->trace_done = false;
        cr_assert_eq(interp_call(vm, fn_named(m, order_ops[i]), args, NULL), RT_THROWN);
        cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_NullError), "%s with null", order_ops[i]);
        char want[64];
        snprintf(want, sizeof want, "  at %s (t.holt:20)\n", order_ops[i]);
        cr_assert_str_eq(vm->trace.data, want);
    }
    char *s = str_of(vm, call_ok(vm, m, "scat", PAIR(ab, abc)));
    cr_assert_str_eq(s, "ababc");
    free(s);
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "scat"), PAIR(0, ab), NULL), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_NullError));
    x[0] = ab, x[1] = 0, x[2] = b;
    s = str_of(vm, call_ok(vm, m, "scatn", x));
    cr_assert_str_eq(s, "abnullb");
    free(s);
    x[0] = abc;
    cr_assert_eq(call_ok(vm, m, "slen", x), 3);
    x[0] = empty;
    cr_assert_eq(call_ok(vm, m, "slen", x), 0);
    x[0] = 0;
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "slen"), x, NULL), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_NullError));
    cr_assert_str_eq(vm->trace.data, "  at slen (t.holt:30)\n");
    cr_assert_eq(call_ok(vm, m, "sget", PAIR(abc, 2)), 'c');
    cr_assert_eq(call_ok(vm, m, "sget", PAIR(abc, 0)), 'a');
    call_throws(vm, m, "sget", PAIR(abc, 3), RT_E_IndexError, "index 3 out of range for length 3");
    cr_assert_str_eq(vm->trace.data, "  at sget (t.holt:40)\n");
    call_throws(vm, m, "sget", PAIR(abc, (uint64_t)-1), RT_E_IndexError, "index -1 out of range for length 3");
    call_throws(vm, m, "sget", PAIR(empty, 0), RT_E_IndexError, "index 0 out of range for length 0");
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "sget"), PAIR(0, 0), NULL), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_NullError));
    /* Bytes are 0..255, NUL included. */
    gaddr k = call_ok(vm, m, "konst", NULL);
    cr_assert_eq(call_ok(vm, m, "slen", &k), 3);
    cr_assert_eq(call_ok(vm, m, "sget", PAIR(k, 1)), 0);
    cr_assert_eq(call_ok(vm, m, "sget", PAIR(k, 2)), 255);
#undef PAIR
    vm_free(vm);
}

BOTH(tostr_formats_by_static_type)
{
    as_t *a = mod_t();
    static const char *descs[] = {"I", "F", "Z", "S"};
    for (int i = 0; i < 4; i++) {
        char sig[8];
        snprintf(sig, sizeof sig, "(%s)S", descs[i]);
        as_fn(a, descs[i], sig, 1, descs[i]);
        E(a, OP_LOAD, 0);
        E(a, OP_TOSTR, as_type(a, descs[i]));
        E(a, OP_RETV);
        as_end(a);
    }
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    struct {
        const char *fn;
        uint64_t v;
        const char *want;
    } cases[] = {
        {"I", (uint64_t)-42, "-42"}, {"F", 0x3ff0000000000000ull, "1.0"}, {"F", 0x3fb999999999999aull, "0.1"},
        {"Z", 1, "true"},  {"Z", 0, "false"}, {"S", 0, "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = str_of(vm, call_ok(vm, m, cases[i].fn, &cases[i].v));
        cr_assert_str_eq(s, cases[i].want);
        free(s);
    }
    gaddr hi = rt_str_cstr(vm, "hi");
    cr_assert_eq(call_ok(vm, m, "S", &hi), hi);
    vm_free(vm);
}

/* ---- lists ------------------------------------------------------------------------------------- */

/* The ints of list `l` as "1,2,3". */
static void list_text(holt_vm *vm, gaddr l, char *out, size_t cap)
{
    out[0] = 0;
    uint64_t n = rt_list_len(vm, l);
    for (uint64_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%lld", i ? "," : "", (long long)rt_list_get(vm, l, (int64_t)i));
    }
}

BOTH(list_operations)
{
    as_t *a = mod_t();
    uint16_t tl = as_type(a, "[I");
    as_fn(a, "make", "()[I", 0, "");
    E(a, OP_IIMM, 10);
    E(a, OP_IIMM, 20);
    E(a, OP_IIMM, 30);
    E(a, OP_NEWLIST, tl, 3);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "empty", "()[I", 0, "");
    E(a, OP_NEWLIST, tl, 0);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "len", "([I)I", 1, "[I");
    as_line(a, 5);
    E(a, OP_LOAD, 0);
    E(a, OP_LLEN);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "get", "([II)I", 2, "[I I");
    as_line(a, 6);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_LGET);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "set", "([III)V", 3, "[I I I");
    as_line(a, 7);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_LOAD, 2);
    E(a, OP_LSET);
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "push", "([II)V", 2, "[I I");
    as_line(a, 8);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_LPUSH);
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "rep", "(II)[I", 2, "I I");
    as_line(a, 9);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_LISTREP, tl);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    char text[256];
    gaddr l = call_ok(vm, m, "make", NULL);
    cr_assert_eq(rt_obj_type(vm, l), rt_type_intern(vm, "[I"));
    list_text(vm, l, text, sizeof text);
    cr_assert_str_eq(text, "10,20,30");
    cr_assert_eq(call_ok(vm, m, "len", &l), 3);
    gaddr e = call_ok(vm, m, "empty", NULL);
    cr_assert_eq(call_ok(vm, m, "len", &e), 0);
    uint64_t x[3] = {l, 2, 0};
    cr_assert_eq(call_ok(vm, m, "get", x), 30);
    x[1] = 0;
    cr_assert_eq(call_ok(vm, m, "get", x), 10);
    x[1] = 1, x[2] = (uint64_t)-5;
    call_ok(vm, m, "set", x);
    list_text(vm, l, text, sizeof text);
    cr_assert_str_eq(text, "10,-5,30");
    x[1] = 99;
    call_ok(vm, m, "push", x);
    list_text(vm, l, text, sizeof text);
    cr_assert_str_eq(text, "10,-5,30,99");

    x[1] = 4;
    call_throws(vm, m, "get", x, RT_E_IndexError, "index 4 out of range for length 4");
    cr_assert_str_eq(vm->trace.data, "  at get (t.holt:6)\n");
    x[1] = (uint64_t)-1;
    call_throws(vm, m, "get", x, RT_E_IndexError, "index -1 out of range for length 4");
    x[1] = (uint64_t)INT64_MIN;
    call_throws(vm, m, "get", x, RT_E_IndexError, "index -9223372036854775808 out of range for length 4");
    x[1] = 4;
    call_throws(vm, m, "set", x, RT_E_IndexError, "index 4 out of range for length 4");
    cr_assert_str_eq(vm->trace.data, "  at set (t.holt:7)\n");
    x[1] = (uint64_t)-1;
    call_throws(vm, m, "set", x, RT_E_IndexError, "index -1 out of range for length 4");
    list_text(vm, l, text, sizeof text);
    cr_assert_str_eq(text, "10,-5,30,99");

    const char *on_null[] = {"len", "get", "set", "push"};
    for (int i = 0; i < 4; i++) {
        uint64_t nx[3] = {0, 0, 0};
        vm->trace_done = false;
        cr_assert_eq(interp_call(vm, fn_named(m, on_null[i]), nx, NULL), RT_THROWN, "%s of null", on_null[i]);
        cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_NullError), "%s of null", on_null[i]);
        cr_assert_eq(vm->nframes, 0);
    }

    x[0] = 7, x[1] = 3;
    gaddr r = call_ok(vm, m, "rep", x);
    list_text(vm, r, text, sizeof text);
    cr_assert_str_eq(text, "7,7,7");
    cr_assert_eq(rt_obj_type(vm, r), rt_type_intern(vm, "[I"));
    x[1] = 0;
    r = call_ok(vm, m, "rep", x);
    cr_assert_eq(rt_list_len(vm, r), 0);
    /* A repeated list is an ordinary list: it grows. */
    uint64_t px[2] = {r, 1};
    call_ok(vm, m, "push", px);
    cr_assert_eq(rt_list_len(vm, r), 1);
    x[1] = 1000;
    r = call_ok(vm, m, "rep", x);
    cr_assert_eq(rt_list_len(vm, r), 1000);
    cr_assert_eq(rt_list_get(vm, r, 999), 7);
    x[1] = (uint64_t)-1;
    call_throws(vm, m, "rep", x, RT_E_ValueError, "negative count -1");
    cr_assert_str_eq(vm->trace.data, "  at rep (t.holt:9)\n");
    x[1] = (uint64_t)INT64_MAX;
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "rep"), x, NULL), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_OutOfMemoryError));
    vm_free(vm);
}

/* sum(xs): var s = 0; for x in xs { s += x; if x == mark { action } }; return s. Locals:
 * 0 xs, 1 s, 2..4 the loop's hidden locals (list, index, modification count), 5 x. `action`
 * is 0 (none), 1 (push onto xs) or 2 (set xs[0] = 100). */
static void emit_list_sum(as_t *a, const char *name, int action)
{
    as_fn(a, name, "([II)I", 2, "[I I [I I I I");
    as_line(a, 50);
    int top = as_label(a), done = as_label(a), skip = as_label(a);
    E(a, OP_IIMM, 0);
    E(a, OP_STORE, 1);
    E(a, OP_LOAD, 0);
    E(a, OP_LITER, 2);
    as_bind(a, top);
    as_line(a, 51);
    E(a, OP_LNEXT, 2, done);
    E(a, OP_STORE, 5);
    E(a, OP_LOAD, 1);
    E(a, OP_LOAD, 5);
    E(a, OP_IADD);
    E(a, OP_STORE, 1);
    if (action) {
        E(a, OP_LOAD, 5);
        E(a, OP_IIMM, 2);
        E(a, OP_IEQ);
        E(a, OP_JF, skip);
        E(a, OP_LOAD, 0);
        if (action == 1) {
            E(a, OP_IIMM, 1);
            E(a, OP_LPUSH);
        } else {
            E(a, OP_IIMM, 0);
            E(a, OP_IIMM, 100);
            E(a, OP_LSET);
        }
    }
    as_bind(a, skip);
    E(a, OP_JMP, top);
    as_bind(a, done);
    E(a, OP_LOAD, 1);
    E(a, OP_RETV);
    as_end(a);
}

BOTH(list_iteration)
{
    as_t *a = mod_t();
    /* The second parameter of the sums is unused; it keeps the signatures alike. */
    emit_list_sum(a, "sum", 0);
    emit_list_sum(a, "sum_push", 1);
    emit_list_sum(a, "sum_set", 2);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    gaddr l = rt_list_new(vm, rt_type_intern(vm, "[I"), 0);
    uint64_t x[2] = {l, 0};
    cr_assert_eq(call_ok(vm, m, "sum", x), 0);
    for (int i = 1; i <= 4; i++)
        rt_list_push(vm, l, (uint64_t)i);
    cr_assert_eq(call_ok(vm, m, "sum", x), 10);
    /* Assigning an element is not a modification; later elements see the new value only if
     * they have not been visited (xs[0] is behind the loop). */
    cr_assert_eq(call_ok(vm, m, "sum_set", x), 10);
    cr_assert_eq(rt_list_get(vm, l, 0), 100);
    call_throws(vm, m, "sum_push", x, RT_E_ValueError, "list modified during iteration");
    cr_assert_str_eq(vm->trace.data, "  at sum_push (t.holt:51)\n");
    x[0] = 0;
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "sum"), x, NULL), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_NullError));
    cr_assert_str_eq(vm->trace.data, "  at sum (t.holt:50)\n");
    vm_free(vm);
}

/* A loop whose last round shrinks the list: that is a modification too, so LNEXT checks the
 * modification count before it tests for the end. */
BOTH(list_modified_in_the_last_round)
{
    as_t *a = mod_t();
    uint16_t kpop = as_native(a, "list.pop", "([I)I");
    as_fn(a, "count", "([I)I", 1, "[I I [I I I I");
    int top = as_label(a), done = as_label(a);
    E(a, OP_LOAD, 0);
    E(a, OP_LITER, 2);
    as_bind(a, top);
    E(a, OP_LNEXT, 2, done);
    E(a, OP_POP);
    E(a, OP_LOAD, 1);
    E(a, OP_IIMM, 1);
    E(a, OP_IADD);
    E(a, OP_STORE, 1);
    E(a, OP_LOAD, 1);
    E(a, OP_IIMM, 2);
    E(a, OP_IEQ);
    E(a, OP_JF, top);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLN, kpop);
    E(a, OP_POP);
    E(a, OP_JMP, top);
    as_bind(a, done);
    E(a, OP_LOAD, 1);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    gaddr l = rt_list_new(vm, rt_type_intern(vm, "[I"), 0);
    for (int i = 0; i < 3; i++)
        rt_list_push(vm, l, (uint64_t)i);
    /* Two rounds, then pop: length 2 and index 2, but the list was modified. */
    call_throws(vm, m, "count", &l, RT_E_ValueError, "list modified during iteration");
    cr_assert_eq(rt_list_len(vm, l), 2);
    /* A list of one never reaches the pop: the loop ends normally. */
    gaddr two = rt_list_new(vm, rt_type_intern(vm, "[I"), 0);
    rt_list_push(vm, two, 5);
    cr_assert_eq(call_ok(vm, m, "count", &two), 1);
    vm_free(vm);
}

/* ---- maps -------------------------------------------------------------------------------------- */

BOTH(map_operations)
{
    as_t *a = mod_t();
    uint16_t tm = as_type(a, "{SI");
    as_fn(a, "make", "(){SI", 0, "");
    E(a, OP_KSTR, as_str(a, "a"));
    E(a, OP_IIMM, 1);
    E(a, OP_KSTR, as_str(a, "b"));
    E(a, OP_IIMM, 2);
    E(a, OP_KSTR, as_str(a, "a"));
    E(a, OP_IIMM, 3);
    E(a, OP_NEWMAP, tm, 3);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "len", "({SI)I", 1, "{SI");
    E(a, OP_LOAD, 0);
    E(a, OP_MLEN);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "get", "({SIS)I", 2, "{SI S");
    as_line(a, 60);
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_MGET);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "set", "({SISI)V", 3, "{SI S I");
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_LOAD, 2);
    E(a, OP_MSET);
    E(a, OP_RET);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    gaddr mp = call_ok(vm, m, "make", NULL);
    cr_assert_eq(rt_obj_type(vm, mp), rt_type_intern(vm, "{SI"));
    /* A repeated key in a literal keeps its first place and its last value. */
    cr_assert_eq(call_ok(vm, m, "len", &mp), 2);
    uint64_t x[3] = {mp, rt_str_cstr(vm, "a"), 0};
    cr_assert_eq(call_ok(vm, m, "get", x), 3);
    x[1] = rt_str_cstr(vm, "b");
    cr_assert_eq(call_ok(vm, m, "get", x), 2);
    x[1] = rt_str_cstr(vm, "c");
    x[2] = 9;
    call_ok(vm, m, "set", x);
    cr_assert_eq(call_ok(vm, m, "len", &mp), 3);
    cr_assert_eq(call_ok(vm, m, "get", x), 9);
    x[1] = rt_str_cstr(vm, "zz");
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "get"), x, NULL), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_KeyError));
    cr_assert_str_eq(vm->trace.data, "  at get (t.holt:60)\n");
    const char *on_null[] = {"len", "get", "set"};
    for (int i = 0; i < 3; i++) {
        uint64_t nx[3] = {0, rt_str_cstr(vm, "a"), 0};
        vm->trace_done = false;
        cr_assert_eq(interp_call(vm, fn_named(m, on_null[i]), nx, NULL), RT_THROWN, "%s of null", on_null[i]);
        cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_NullError), "%s of null", on_null[i]);
    }
    vm_free(vm);
}

/* walk(m, mark, action): s = 0; for k, v in m { s = s * 10 + k + v; if k == mark { action } }.
 * Locals: 0 m, 1 mark, 2 s, 3..5 hidden, 6 k, 7 v. action: 0 none, 1 set a new key 100,
 * 2 replace the value of key 1, 3 remove key 3 (map.remove). */
static void emit_map_walk(as_t *a, const char *name, int action)
{
    uint16_t krm = as_native(a, "map.remove", "({III)Z");
    as_fn(a, name, "({III)I", 2, "{II I I {II I I I I");
    as_line(a, 70);
    int top = as_label(a), done = as_label(a), skip = as_label(a);
    E(a, OP_LOAD, 0);
    E(a, OP_MITER, 3);
    as_bind(a, top);
    as_line(a, 71);
    E(a, OP_MNEXT, 3, done);
    E(a, OP_STORE, 7);
    E(a, OP_STORE, 6);
    E(a, OP_LOAD, 2);
    E(a, OP_IIMM, 10);
    E(a, OP_IMUL);
    E(a, OP_LOAD, 6);
    E(a, OP_IADD);
    E(a, OP_LOAD, 7);
    E(a, OP_IADD);
    E(a, OP_STORE, 2);
    if (action) {
        E(a, OP_LOAD, 6);
        E(a, OP_LOAD, 1);
        E(a, OP_IEQ);
        E(a, OP_JF, skip);
        E(a, OP_LOAD, 0);
        switch (action) {
        case 1:
            E(a, OP_IIMM, 100);
            E(a, OP_IIMM, 0);
            E(a, OP_MSET);
            break;
        case 2:
            E(a, OP_IIMM, 1);
            E(a, OP_IIMM, 5);
            E(a, OP_MSET);
            break;
        default:
            E(a, OP_IIMM, 3);
            E(a, OP_CALLN, krm);
            E(a, OP_POP);
            break;
        }
    }
    as_bind(a, skip);
    E(a, OP_JMP, top);
    as_bind(a, done);
    E(a, OP_LOAD, 2);
    E(a, OP_RETV);
    as_end(a);
}

BOTH(map_iteration)
{
    as_t *a = mod_t();
    emit_map_walk(a, "walk", 0);
    emit_map_walk(a, "walk_add", 1);
    emit_map_walk(a, "walk_replace", 2);
    emit_map_walk(a, "walk_remove", 3);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    gaddr mp = rt_map_new(vm, rt_type_intern(vm, "{II"), 0);
    uint64_t x[2] = {mp, 0};
    cr_assert_eq(call_ok(vm, m, "walk", x), 0);
    /* Insertion order: 3, 1, 2 (keys), values 0. */
    rt_map_set(vm, mp, 3, 0);
    rt_map_set(vm, mp, 1, 0);
    rt_map_set(vm, mp, 2, 0);
    cr_assert_eq(call_ok(vm, m, "walk", x), 312);
    /* Replacing the value of an existing key is not a modification (key 1 gets 5 after it
     * has been visited, so the walk still gives 312). */
    x[1] = 1;
    cr_assert_eq(call_ok(vm, m, "walk_replace", x), 312);
    cr_assert_eq(rt_map_get_or_throw(vm, mp, 1), 5);
    x[1] = 3;
    call_throws(vm, m, "walk_add", x, RT_E_ValueError, "map modified during iteration");
    cr_assert_str_eq(vm->trace.data, "  at walk_add (t.holt:71)\n");
    cr_assert(rt_map_remove(vm, mp, 100));
    call_throws(vm, m, "walk_remove", x, RT_E_ValueError, "map modified during iteration");
    /* Removing in the last round is a modification too: key 3 comes back last (order 1, 2,
     * 3) and removes itself, leaving no entry after it. */
    rt_map_set(vm, mp, 3, 0);
    x[1] = 3;
    call_throws(vm, m, "walk_remove", x, RT_E_ValueError, "map modified during iteration");
    cr_assert_str_eq(vm->trace.data, "  at walk_remove (t.holt:71)\n");
    x[0] = 0;
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "walk"), x, NULL), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_NullError));
    cr_assert_str_eq(vm->trace.data, "  at walk (t.holt:70)\n");
    vm_free(vm);
}

/* ---- any and references -------------------------------------------------------------------- */

BOTH(boxes_and_references)
{
    as_t *a = mod_t();
    as_fn(a, "boxi", "(I)A", 1, "I");
    E(a, OP_LOAD, 0);
    E(a, OP_BOXI);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "boxf", "(F)A", 1, "F");
    E(a, OP_LOAD, 0);
    E(a, OP_BOXF);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "boxz", "(Z)A", 1, "Z");
    E(a, OP_LOAD, 0);
    E(a, OP_BOXZ);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "toany", "(S)A", 1, "S");
    E(a, OP_LOAD, 0);
    E(a, OP_TOANY);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "req", "([I[I)Z", 2, "[I [I");
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_REQ);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "rne", "(S[I)Z", 2, "S [I");
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_RNE);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    uint64_t v = (uint64_t)-7;
    gaddr b = call_ok(vm, m, "boxi", &v);
    cr_assert_eq(rt_obj_type(vm, b), RT_T_INT);
    cr_assert_eq(hm_ld64(&vm->m, b + 8), v);
    v = 0x400921fb54442d18ull;
    b = call_ok(vm, m, "boxf", &v);
    cr_assert_eq(rt_obj_type(vm, b), RT_T_FLOAT);
    cr_assert_eq(hm_ld64(&vm->m, b + 8), v);
    v = 1;
    b = call_ok(vm, m, "boxz", &v);
    cr_assert_eq(rt_obj_type(vm, b), RT_T_BOOL);
    cr_assert_eq(hm_ld64(&vm->m, b + 8), 1);
    gaddr s = rt_str_cstr(vm, "s");
    cr_assert_eq(call_ok(vm, m, "toany", &s), s);
    gaddr l1 = rt_list_new(vm, rt_type_intern(vm, "[I"), 0), l2 = rt_list_new(vm, rt_type_intern(vm, "[I"), 0);
    uint64_t x[2] = {l1, l1};
    cr_assert_eq(call_ok(vm, m, "req", x), 1);
    x[1] = l2;
    cr_assert_eq(call_ok(vm, m, "req", x), 0);
    x[1] = 0;
    cr_assert_eq(call_ok(vm, m, "req", x), 0);
    x[0] = 0;
    cr_assert_eq(call_ok(vm, m, "req", x), 1);
    cr_assert_eq(call_ok(vm, m, "rne", x), 0);
    x[0] = s;
    cr_assert_eq(call_ok(vm, m, "rne", x), 1);
    vm_free(vm);
}

/* ---- calls ------------------------------------------------------------------------------------- */

/* fib(n): if n < 2 { return n } return fib(n - 1) + fib(n - 2) */
static void emit_fib(as_t *a)
{
    uint16_t self = as_fn(a, "fib", "(I)I", 1, "I");
    int rec = as_label(a);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 2);
    E(a, OP_ILT);
    E(a, OP_JF, rec);
    E(a, OP_LOAD, 0);
    E(a, OP_RETV);
    as_bind(a, rec);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 1);
    E(a, OP_ISUB);
    E(a, OP_CALL, self);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 2);
    E(a, OP_ISUB);
    E(a, OP_CALL, self);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
}

BOTH(calls_and_recursion)
{
    as_t *a = mod_t();
    emit_fib(a);
    /* mix(a, b, c) = a * 100 + b * 10 + c: parameters arrive in order. */
    as_fn(a, "mix", "(III)I", 3, "I I I");
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 100);
    E(a, OP_IMUL);
    E(a, OP_LOAD, 1);
    E(a, OP_IIMM, 10);
    E(a, OP_IMUL);
    E(a, OP_IADD);
    E(a, OP_LOAD, 2);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    /* user(): 7 + mix(1, 2, 3) with an operand below the arguments that must survive. */
    as_fn(a, "user", "()I", 0, "");
    E(a, OP_IIMM, 7);
    E(a, OP_IIMM, 1);
    E(a, OP_IIMM, 2);
    E(a, OP_IIMM, 3);
    E(a, OP_CALL, 2);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    /* dirty(): leaves garbage where the next callee's locals will lie; fresh() reads a local
     * it never wrote, which must be zero. */
    as_fn(a, "dirty", "()V", 0, "I I I I");
    for (int i = 0; i < 4; i++) {
        E(a, OP_IIMM, 99);
        E(a, OP_STORE, i);
    }
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "fresh", "(I)I", 1, "I I S");
    E(a, OP_LOAD, 1);
    E(a, OP_LOAD, 0);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "both", "()I", 0, "");
    E(a, OP_CALL, 4);
    E(a, OP_IIMM, 1);
    E(a, OP_CALL, 5);
    E(a, OP_RETV);
    as_end(a);
    /* noret(): a call to a function without a result leaves the stack as it was. */
    as_fn(a, "noret", "()I", 0, "");
    E(a, OP_IIMM, 5);
    E(a, OP_CALL, 4);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    uint64_t n = 20;
    cr_assert_eq(call_ok(vm, m, "fib", &n), 6765);
    cr_assert_eq(call_ok(vm, m, "user", NULL), 130);
    cr_assert_eq(call_ok(vm, m, "both", NULL), 1);
    cr_assert_eq(call_ok(vm, m, "noret", NULL), 5);
    uint64_t r = 1234;
    cr_assert_eq(interp_call(vm, fn_named(m, "dirty"), NULL, &r), RT_OK);
    cr_assert_eq(vm->nframes, 0);
    vm_free(vm);
}

BOTH(calls_across_modules_and_natives)
{
    holt_vm *vm = vm_new(sw);
    link_util(vm);
    as_t *a = mod_t();
    uint16_t kf = as_func(a, "util", "f", "(I)I");
    uint16_t kabs = as_native(a, "math.abs", "(I)I");
    uint16_t kprint = as_native(a, "print", "(S)V");
    as_fn(a, "go", "(I)I", 1, "I");
    E(a, OP_IIMM, 1000);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLX, kf);
    E(a, OP_CALLN, kabs);
    E(a, OP_KSTR, as_str(a, "hello"));
    E(a, OP_CALLN, kprint);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    vm_module *m = link_ok(vm, a);
    uint64_t v = (uint64_t)-5;
    cr_assert_eq(call_ok(vm, m, "go", &v), 1005);
    cr_assert_str_eq(vm_out(vm), "hello\n");
    vm_free(vm);
}

BOTH(deep_recursion_is_a_stack_overflow_error)
{
    as_t *a = mod_t();
    /* down(n) = down(n + 1): never returns. */
    as_fn(a, "down", "(I)I", 1, "I");
    as_line(a, 3);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 1);
    E(a, OP_IADD);
    E(a, OP_CALL, 1);
    E(a, OP_RETV);
    as_end(a);
    emit_fib(a);
    holt_vm *vm = vm_new_cfg(sw, 1u << 20, 5000);
    cr_assert_null(vm->stack);
    cr_assert_null(vm->frames);
    vm_module *m = link_ok(vm, a);
    uint64_t n = 0;
    call_throws(vm, m, "down", &n, RT_E_StackOverflowError, "stack overflow (5000 frames)");
    cr_assert_not_null(vm->stack);
    cr_assert_eq(vm->stack_end - vm->stack, 1u << 20);
    cr_assert_eq(vm->max_frames, 5000);
    /* The trace names the frames but does not print thousands of identical lines. */
    cr_assert(strstr(vm->trace.data, "  at down (t.holt:3)\n"));
    cr_assert(strstr(vm->trace.data, "more"));
    cr_assert_lt(vm->trace.len, 8000);
    /* And the VM goes on working. */
    n = 15;
    cr_assert_eq(call_ok(vm, m, "fib", &n), 610);
    vm_free(vm);

    /* The value stack can run out before the frame limit does. */
    a = mod_t();
    as_fn(a, "down", "(I)I", 1, "I I I I I I I I");
    E(a, OP_LOAD, 0);
    E(a, OP_CALL, 1);
    E(a, OP_RETV);
    as_end(a);
    vm = vm_new_cfg(sw, 1000, 100000);
    m = link_ok(vm, a);
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "down"), &n, NULL), RT_THROWN);
    /* Each frame takes 8 slots (its locals; the argument is the caller's operand), and the
     * last needs room for its 16 operand slots too: 122 * 8 + 24 <= 1000 < 123 * 8 + 24. */
    check_error(vm, RT_E_StackOverflowError, "stack overflow (123 frames)");
    cr_assert_eq(vm->nframes, 0);
    vm_free(vm);

    /* The default limits: two hundred thousand frames do not exhaust the host's stack. */
    a = mod_t();
    as_fn(a, "down", "(I)I", 1, "I");
    E(a, OP_LOAD, 0);
    E(a, OP_CALL, 1);
    E(a, OP_RETV);
    as_end(a);
    vm = vm_new_cfg(sw, 1u << 20, 200000);
    m = link_ok(vm, a);
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "down"), &n, NULL), RT_THROWN);
    check_error(vm, RT_E_StackOverflowError, "stack overflow (200000 frames)");
    vm_free(vm);
}

/* ---- errors and stack traces ------------------------------------------------------------------ */

BOTH(traces_name_function_path_and_line_of_every_frame)
{
    holt_vm *vm = vm_new(sw);
    /* lib.util: get(xs, i) { return xs[i] } at line 12 */
    as_t *u = as_new("lib.util", "lib/util.holt");
    as_main(u);
    E(u, OP_RET);
    as_end(u);
    as_fn(u, "get", "([II)I", 2, "[I I");
    as_line(u, 11);
    E(u, OP_LOAD, 0);
    E(u, OP_LOAD, 1);
    as_line(u, 12);
    E(u, OP_LGET);
    as_line(u, 13);
    E(u, OP_RETV);
    as_end(u);
    link_ok(vm, u);

    as_t *a = as_new("app", "app.holt");
    uint16_t kget = as_func(a, "lib.util", "get", "([II)I");
    uint16_t tl = as_type(a, "[I");
    as_main(a);
    as_line(a, 19);
    E(a, OP_IIMM, 1);
    E(a, OP_IIMM, 2);
    E(a, OP_IIMM, 3);
    E(a, OP_NEWLIST, tl, 3);
    as_line(a, 20);
    E(a, OP_CALL, 1);
    as_line(a, 21);
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "outer", "([I)V", 1, "[I");
    as_line(a, 4);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 5);
    as_line(a, 5);
    E(a, OP_CALLX, kget);
    E(a, OP_POP);
    as_line(a, 6);
    E(a, OP_RET);
    as_end(a);
    vm_module *m = link_ok(vm, a);
    cr_assert_eq(interp_run_module(vm, m), RT_THROWN);
    check_error(vm, RT_E_IndexError, "index 5 out of range for length 3");
    cr_assert_str_eq(vm->trace.data, "  at get (lib/util.holt:12)\n"
                                     "  at outer (app.holt:5)\n"
                                     "  at <main> (app.holt:20)\n");
    cr_assert(vm->trace_done);
    cr_assert_eq(vm->nframes, 0);
    cr_assert_null(vm->catcher);
    vm_free(vm);
}

BOTH(long_traces_are_folded)
{
    as_t *a = mod_t();
    /* down(n): if n == 0 { 1 / 0 } else { down(n - 1) }, lines 2 and 3. */
    uint16_t self = as_fn(a, "down", "(I)I", 1, "I");
    int rec = as_label(a);
    as_line(a, 2);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 0);
    E(a, OP_INE);
    E(a, OP_JT, rec);
    E(a, OP_IIMM, 1);
    E(a, OP_LOAD, 0);
    E(a, OP_IDIV);
    E(a, OP_RETV);
    as_bind(a, rec);
    as_line(a, 3);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 1);
    E(a, OP_ISUB);
    E(a, OP_CALL, self);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    uint64_t n = 10;
    call_throws(vm, m, "down", &n, RT_E_ArithmeticError, "division by zero");
    holt_buf want;
    buf_init(&want);
    buf_puts(&want, "  at down (t.holt:2)\n");
    for (int i = 0; i < 10; i++)
        buf_puts(&want, "  at down (t.holt:3)\n");
    cr_assert_str_eq(vm->trace.data, want.data);
    /* Thirteen identical lines: ten shown, the rest counted. */
    n = 13;
    call_throws(vm, m, "down", &n, RT_E_ArithmeticError, "division by zero");
    buf_puts(&want, "  ... the line above repeated 3 more times\n");
    cr_assert_str_eq(vm->trace.data, want.data);
    buf_free(&want);
    vm_free(vm);
}

/* A native that calls back into Holt: it calls the function in its site's target with its
 * argument, and passes errors and exits on. */
typedef struct {
    rt_native native;             /* what the site points at */
    vm_function *target;          /* the Holt function to call back */
} callback;

static callback *callback_of(holt_vm *vm)
{
    return (callback *)vm->argv;  /* the tests keep it there: argv is unused by them */
}

static uint64_t call_back(holt_vm *vm, uint64_t *args, rt_typeid ret)
{
    (void)ret;
    uint64_t before = args[0], r = 0;
    uint32_t frames = vm->nframes;
    int st = interp_call(vm, callback_of(vm)->target, args, &r);
    cr_assert_eq(vm->nframes, frames, "a nested call must leave the frames as it found them");
    cr_assert_eq(args[0], before, "a nested call must not overwrite its caller's operands");
    if (st == RT_THROWN) {
        /* Pass the error on as it is, trace included (rt_throw_obj would start a new trace
         * here): jump to the invocation below, as rt.h's protocol says. */
        rt_catch *c = vm->catcher;
        c->status = RT_THROWN;
        longjmp(c->jb, RT_THROWN);
    }
    if (st == RT_EXITED)
        rt_exit(vm, vm->m.exit_status);
    return r;
}

BOTH(natives_may_call_back_into_holt)
{
    as_t *a = mod_t();
    uint16_t kn = as_native(a, "math.abs", "(I)I");
    /* outer(x) = 1000 + native(x), the native calling inner(x) = x * 2, or 10 / x. */
    as_fn(a, "outer", "(I)I", 1, "I I I");
    as_line(a, 30);
    E(a, OP_IIMM, 1000);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLN, kn);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "inner", "(I)I", 1, "I I I I I");
    as_line(a, 40);
    E(a, OP_IIMM, 10);
    E(a, OP_LOAD, 0);
    E(a, OP_IDIV);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 2);
    E(a, OP_IMUL);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    callback cb = {{"test.callback", "(I)I", call_back}, fn_named(m, "inner")};
    vm->argv = (char **)&cb;
    ((vm_native_site *)m->kp[kn])->native = &cb.native;
    uint64_t x = 5;
    cr_assert_eq(call_ok(vm, m, "outer", &x), 1012);
    x = 0;
    call_throws(vm, m, "outer", &x, RT_E_ArithmeticError, "division by zero");
    /* The trace was taken where the error happened, with the frames of both invocations. */
    cr_assert_str_eq(vm->trace.data, "  at inner (t.holt:40)\n"
                                     "  at outer (t.holt:30)\n");
    vm->argv = NULL;
    vm_free(vm);
}

/* ---- modules ----------------------------------------------------------------------------------- */

/* A module whose <main> prints its name, after running the modules it names. */
static vm_module *link_printer(holt_vm *vm, const char *name, const char *const *uses)
{
    char path[64];
    snprintf(path, sizeof path, "%s.holt", name);
    as_t *a = as_new(name, path);
    for (; *uses; uses++)
        as_mod(a, *uses);
    uint16_t kp = as_native(a, "print", "(S)V");
    as_main(a);
    E(a, OP_KSTR, as_str(a, name));
    E(a, OP_CALLN, kp);
    E(a, OP_RET);
    as_end(a);
    return link_ok(vm, a);
}

BOTH(imports_run_once_in_order)
{
    holt_vm *vm = vm_new(sw);
    static const char *const none[] = {NULL}, *const b_uses[] = {"c", NULL}, *const a_uses[] = {"c", "a", NULL},
                             *const app_uses[] = {"b", "a", "c", NULL};
    vm_module *c = link_printer(vm, "c", none);
    vm_module *b = link_printer(vm, "b", b_uses);
    vm_module *a = link_printer(vm, "a", a_uses); /* names itself too */
    vm_module *app = link_printer(vm, "app", app_uses);
    cr_assert_not(c->ran);
    cr_assert_eq(interp_run_module(vm, app), RT_OK);
    cr_assert_str_eq(vm_out(vm), "c\nb\na\napp\n");
    cr_assert(c->ran && b->ran && a->ran && app->ran);
    /* Running a module again runs its own main but not the imports. */
    cr_assert_eq(interp_run_module(vm, app), RT_OK);
    cr_assert_str_eq(vm_out(vm), "c\nb\na\napp\napp\n");
    vm_free(vm);
}

BOTH(an_error_in_an_import_stops_the_program)
{
    holt_vm *vm = vm_new(sw);
    as_t *u = as_new("bad", "bad.holt");
    as_main(u);
    as_line(u, 2);
    E(u, OP_IIMM, 1);
    E(u, OP_IIMM, 0);
    E(u, OP_IMOD);
    E(u, OP_POP);
    E(u, OP_RET);
    as_end(u);
    vm_module *bad = link_ok(vm, u);
    static const char *const uses[] = {"bad", NULL};
    vm_module *app = link_printer(vm, "app", uses);
    cr_assert_eq(interp_run_module(vm, app), RT_THROWN);
    check_error(vm, RT_E_ArithmeticError, "modulo by zero");
    cr_assert_str_eq(vm->trace.data, "  at <main> (bad.holt:2)\n");
    cr_assert_str_eq(vm_out(vm), "");
    cr_assert(bad->ran);
    vm_free(vm);
}

BOTH(os_exit_stops_everything)
{
    holt_vm *vm = vm_new(sw);
    as_t *a = as_new("app", "app.holt");
    uint16_t kexit = as_native(a, "os.exit", "(I)V");
    uint16_t kp = as_native(a, "print", "(S)V");
    as_main(a);
    E(a, OP_KSTR, as_str(a, "before"));
    E(a, OP_CALLN, kp);
    E(a, OP_IIMM, 3);
    E(a, OP_CALL, 1);
    E(a, OP_KSTR, as_str(a, "after"));
    E(a, OP_CALLN, kp);
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "quit", "(I)V", 1, "I");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLN, kexit);
    E(a, OP_KSTR, as_str(a, "not reached"));
    E(a, OP_CALLN, kp);
    E(a, OP_RET);
    as_end(a);
    vm_module *m = link_ok(vm, a);
    cr_assert_eq(interp_run_module(vm, m), RT_EXITED);
    cr_assert_eq(vm->m.exit_status, 3);
    cr_assert_eq(vm->nframes, 0);
    cr_assert_null(vm->catcher);
    cr_assert_str_eq(vm_out(vm), "before\n");
    vm_free(vm);
}

/* ---- counting -------------------------------------------------------------------------------- */

BOTH(instructions_are_counted_exactly)
{
    as_t *a = mod_t();
    as_fn(a, "four", "()I", 0, "");
    E(a, OP_IIMM, 1);
    E(a, OP_IIMM, 2);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    /* loop(n): while n > 0 { n -= 1 }: 2 + 7 per round + 4 at the end... counted below. */
    as_fn(a, "loop", "(I)V", 1, "I");
    int top = as_label(a), done = as_label(a);
    as_bind(a, top);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 0);
    E(a, OP_IGT);
    E(a, OP_JF, done);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 1);
    E(a, OP_ISUB);
    E(a, OP_STORE, 0);
    E(a, OP_JMP, top);
    as_bind(a, done);
    E(a, OP_RET);
    as_end(a);
    /* thrower(): 3 instructions, the third throws. */
    as_fn(a, "thrower", "()I", 0, "");
    E(a, OP_IIMM, 1);
    E(a, OP_IIMM, 0);
    E(a, OP_IDIV);
    E(a, OP_RETV);
    as_end(a);
    /* calls(): CALL four (4) twice + 2 CALLs + IADD + RETV. */
    as_fn(a, "calls", "()I", 0, "");
    E(a, OP_CALL, 1);
    E(a, OP_CALL, 1);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    uint64_t *count = &vm->m.stats[HM_STAT_instructions];
    uint64_t before = *count;
    call_ok(vm, m, "four", NULL);
    cr_assert_eq(*count - before, 4);
    before = *count;
    uint64_t n = 10;
    call_ok(vm, m, "loop", &n);
    /* 10 rounds of 9, then LOAD IIMM IGT JF RET. */
    cr_assert_eq(*count - before, 10 * 9 + 5);
    before = *count;
    vm->trace_done = false;
    cr_assert_eq(interp_call(vm, fn_named(m, "thrower"), NULL, NULL), RT_THROWN);
    cr_assert_eq(*count - before, 3);
    before = *count;
    call_ok(vm, m, "calls", NULL);
    cr_assert_eq(*count - before, 12);
    vm_free(vm);
}

BOTH(very_deep_traces_show_both_ends)
{
    as_t *a = mod_t();
    /* ping(n) calls pong(n) calls ping(n + 1) ...: alternating lines never fold, so only the
     * innermost 100 and the outermost 20 frames are shown. */
    uint16_t ping = (uint16_t)a->m->nfuncs, pong = (uint16_t)(ping + 1);
    as_fn(a, "ping", "(I)I", 1, "I");
    as_line(a, 2);
    E(a, OP_LOAD, 0);
    E(a, OP_CALL, pong);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "pong", "(I)I", 1, "I");
    as_line(a, 5);
    E(a, OP_LOAD, 0);
    E(a, OP_CALL, ping);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new_cfg(sw, 1u << 16, 1000);
    vm_module *m = link_ok(vm, a);
    uint64_t n = 0;
    call_throws(vm, m, "ping", &n, RT_E_StackOverflowError, "stack overflow (1000 frames)");
    int lines = 0;
    for (const char *p = vm->trace.data; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 100 + 1 + 20);
    cr_assert(strstr(vm->trace.data, "  ... 880 more frames\n"));
    /* Innermost first: the 1000th frame is a pong, which could not call ping. */
    cr_assert(strncmp(vm->trace.data, "  at pong (t.holt:5)\n  at ping (t.holt:2)\n", 42) == 0);
    vm_free(vm);
}

BOTH(an_exit_inside_a_nested_call_ends_every_invocation)
{
    as_t *a = mod_t();
    uint16_t kn = as_native(a, "math.abs", "(I)I");
    uint16_t kexit = as_native(a, "os.exit", "(I)V");
    as_fn(a, "outer", "(I)I", 1, "I");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLN, kn);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "inner", "(I)I", 1, "I");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLN, kexit);
    E(a, OP_LOAD, 0);
    E(a, OP_RETV);
    as_end(a);
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, a);
    callback cb = {{"test.callback", "(I)I", call_back}, fn_named(m, "inner")};
    vm->argv = (char **)&cb;
    ((vm_native_site *)m->kp[kn])->native = &cb.native;
    uint64_t x = 7;
    cr_assert_eq(interp_call(vm, fn_named(m, "outer"), &x, NULL), RT_EXITED);
    cr_assert_eq(vm->m.exit_status, 7);
    cr_assert_eq(vm->nframes, 0);
    cr_assert_null(vm->catcher);
    vm->argv = NULL;
    vm_free(vm);
}

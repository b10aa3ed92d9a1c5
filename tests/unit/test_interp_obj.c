/* test_interp_obj.c — linking and running objects (docs/objects.md): classes, vtables and
 * itables, fields, closures and cells, is/as, exceptions with handlers, traces kept across
 * rethrows, to_str, and the link errors of classes.
 *
 * Modules are assembled by hand with the assembler of bc_asm.h (shared with test_interp.c):
 * class sections, exception tables, member constants and captures. Interpreter tests run with
 * both dispatch methods (BOTH). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bare_vm.h"
#include "bc_asm.h"

/* The loader's answer to the verifier about classes of other modules: their run-time types. */
static bool env_is_subtype(void *ctx, const char *sub, const char *super)
{
    holt_vm *vm = ctx;
    return strcmp(sub, super) == 0 || rt_type_is(vm, rt_type_intern(vm, sub), rt_type_intern(vm, super));
}

/* Verify with the classes linked so far known, as the loader does, then link. */
static vm_module *link_env(holt_vm *vm, as_t *a)
{
    verify_env env = {vm, env_is_subtype};
    return link_with_env(vm, a, &env);
}

/* The error's `$trace` text (slot 1), or "" when it has none. */
static char *trace_of(holt_vm *vm, gaddr err)
{
    gaddr t = hm_ld64(&vm->m, err + 16);
    char *s = t ? rt_str_dup(vm, t, NULL) : NULL;
    return s ? s : calloc(1, 1);
}

/* ---- shapes: an interface, a class, a subclass overriding a method ----------------------------- */

/* Module "app":
 *   interface Shape { area() -> float }
 *   class Rect : Shape { w: float  h: float  area() = w * h  name() = "rect" }
 *   class Square : Rect { area() = w + 100 }      (overrides in place)
 *   class Circle : Shape { r: float  area() = r }
 * and functions to make them, call them virtually and through the interface. */
static as_t *shapes(void)
{
    as_t *a = as_module("app", "app.holt");
    uint16_t fw = as_fieldk(a, "Lapp.Rect;", "w", "F"), fh = as_fieldk(a, "Lapp.Rect;", "h", "F");
    uint16_t fr = as_fieldk(a, "Lapp.Circle;", "r", "F");
    uint16_t rect_area = as_fn(a, "Rect.area", "(Lapp.Rect;)F", 1, "Lapp.Rect;");
    as_line(a, 3);
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fw);
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fh);
    E(a, OP_FMUL);
    E(a, OP_RETV);
    as_end(a);
    uint16_t rect_name = as_fn(a, "Rect.name", "(Lapp.Rect;)S", 1, "Lapp.Rect;");
    E(a, OP_KSTR, as_str(a, "rect"));
    E(a, OP_RETV);
    as_end(a);
    uint16_t sq_area = as_fn(a, "Square.area", "(Lapp.Square;)F", 1, "Lapp.Square;");
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fw);
    E(a, OP_KFLT, as_flt(a, 100));
    E(a, OP_FADD);
    E(a, OP_RETV);
    as_end(a);
    uint16_t c_area = as_fn(a, "Circle.area", "(Lapp.Circle;)F", 1, "Lapp.Circle;");
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fr);
    E(a, OP_RETV);
    as_end(a);

    int shape = as_class(a, "Lapp.Shape;", BC_CLASS_INTERFACE, NULL);
    as_cmethod(a, shape, "area", "()F", BC_NO_FUNC);
    int rect = as_class(a, "Lapp.Rect;", 0, NULL);
    as_ciface(a, rect, "Lapp.Shape;");
    as_cfield(a, rect, "w", "F");
    as_cfield(a, rect, "h", "F");
    as_cmethod(a, rect, "area", "()F", rect_area);
    as_cmethod(a, rect, "name", "()S", rect_name);
    int sq = as_class(a, "Lapp.Square;", 0, "Lapp.Rect;");
    as_cmethod(a, sq, "area", "()F", sq_area);
    int circ = as_class(a, "Lapp.Circle;", 0, NULL);
    as_ciface(a, circ, "Lapp.Shape;");
    as_cfield(a, circ, "r", "F");
    as_cmethod(a, circ, "area", "()F", c_area);

    /* make_rect(w, h), make_square(w) as a Rect, make_circle(r) as a Shape */
    as_fn(a, "make_rect", "(FF)Lapp.Rect;", 2, "F F Lapp.Rect;");
    E(a, OP_NEW, as_type(a, "Lapp.Rect;"));
    E(a, OP_STORE, 2);
    E(a, OP_LOAD, 2);
    E(a, OP_LOAD, 0);
    E(a, OP_SETF, fw);
    E(a, OP_LOAD, 2);
    E(a, OP_LOAD, 1);
    E(a, OP_SETF, fh);
    E(a, OP_LOAD, 2);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "make_square", "(F)Lapp.Rect;", 1, "F");
    E(a, OP_NEW, as_type(a, "Lapp.Square;"));
    E(a, OP_DUP);
    E(a, OP_LOAD, 0);
    E(a, OP_SETF, fw);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "make_circle", "(F)Lapp.Shape;", 1, "F");
    E(a, OP_NEW, as_type(a, "Lapp.Circle;"));
    E(a, OP_DUP);
    E(a, OP_LOAD, 0);
    E(a, OP_SETF, fr);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "vt", "(Lapp.Rect;)F", 1, "Lapp.Rect;");
    as_line(a, 20);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLVT, as_methodk(a, "Lapp.Rect;", "area", "()F"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "itf", "(Lapp.Shape;)F", 1, "Lapp.Shape;");
    as_line(a, 21);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLIF, as_methodk(a, "Lapp.Shape;", "area", "()F"));
    E(a, OP_KFLT, as_flt(a, 0.5));
    E(a, OP_FADD); /* the call's result, then more work: the return resumed right */
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "getw", "(Lapp.Rect;)F", 1, "Lapp.Rect;");
    as_line(a, 22);
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fw);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "setw", "(Lapp.Rect;)V", 1, "Lapp.Rect;");
    as_line(a, 23);
    E(a, OP_LOAD, 0);
    E(a, OP_KFLT, as_flt(a, 1));
    E(a, OP_SETF, fw);
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "name_of", "(Lapp.Rect;)S", 1, "Lapp.Rect;");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLVT, as_methodk(a, "Lapp.Rect;", "name", "()S"));
    E(a, OP_RETV);
    as_end(a);
    /* is / as: fn name(x: any) = x is type, or x as type (on line `line`) */
    static const struct {
        const char *name, *desc;
        int op;
        const char *type;
        uint32_t line;
    } checks[] = {
        {"is_rect", "(A)Z", OP_IS, "Lapp.Rect;", 1},
        {"is_shape", "(A)Z", OP_IS, "Lapp.Shape;", 1},
        {"is_int", "(A)Z", OP_IS, "I", 1},
        {"as_rect", "(A)Lapp.Rect;", OP_CAST, "Lapp.Rect;", 30},
        {"as_int", "(A)I", OP_CAST, "I", 31},
    };
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
        as_fn(a, checks[i].name, checks[i].desc, 1, "A");
        as_line(a, checks[i].line);
        E(a, OP_LOAD, 0);
        E(a, checks[i].op, as_type(a, checks[i].type));
        E(a, OP_RETV);
        as_end(a);
    }
    as_fn(a, "box", "(I)A", 1, "I");
    E(a, OP_LOAD, 0);
    E(a, OP_BOXI);
    E(a, OP_RETV);
    as_end(a);
    return a;
}

static uint64_t fbits(double d) { return rt_bits_of(d); }

Test(link_class, classes_become_run_time_types)
{
    holt_vm *vm = vm_new(0);
    vm_module *m = link_ok(vm, shapes());
    const rt_type *shape = rt_type_get(vm, rt_type_intern(vm, "Lapp.Shape;"));
    const rt_type *rect = rt_type_get(vm, rt_type_intern(vm, "Lapp.Rect;"));
    const rt_type *sq = rt_type_get(vm, rt_type_intern(vm, "Lapp.Square;"));
    cr_assert(shape->defined && shape->is_iface);
    cr_assert(rect->defined && !rect->is_iface);
    cr_assert_str_eq(rect->name, "Rect");
    cr_assert_eq(rect->nfields, 2);
    cr_assert_str_eq(rect->field_names[1], "h");
    cr_assert_eq(rect->field_types[1], RT_T_FLOAT);
    cr_assert_eq(sq->nfields, 2, "fields are the base's");
    cr_assert_eq(sq->parent, rt_type_intern(vm, "Lapp.Rect;"));
    /* area overridden in place, name inherited */
    cr_assert_eq(sq->nvtable, 2);
    cr_assert_str_eq(sq->vnames[0], "area");
    cr_assert_eq(sq->vtable[0], fn_named(m, "Square.area"));
    cr_assert_eq(rect->vtable[0], fn_named(m, "Rect.area"));
    cr_assert_eq(sq->vtable[1], fn_named(m, "Rect.name"));
    /* interfaces are inherited, each with its itable */
    cr_assert_eq(sq->nifaces, 1);
    cr_assert_eq(sq->ifaces[0], rt_type_intern(vm, "Lapp.Shape;"));
    cr_assert_eq(sq->itables[0].slots[0], 0);
    cr_assert(rt_type_is(vm, rt_type_intern(vm, "Lapp.Square;"), rt_type_intern(vm, "Lapp.Shape;")));
    cr_assert_null(rect->to_str);
    /* every function has its id */
    for (uint16_t i = 0; i < m->bc->nfuncs; i++)
        cr_assert_eq(vm->fntab[m->funcs[i].id], &m->funcs[i]);
    vm_free(vm);
}

BOTH(fields_and_virtual_calls)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, shapes());
    uint64_t wh[] = {fbits(2), fbits(3)};
    gaddr r = call_ok(vm, m, "make_rect", wh);
    cr_assert_eq(rt_obj_type(vm, r), rt_type_intern(vm, "Lapp.Rect;"));
    cr_assert_eq(as_d(call_ok(vm, m, "getw", &r)), 2.0);
    cr_assert_eq(as_d(call_ok(vm, m, "vt", &r)), 6.0);
    cr_assert_eq(as_d(call_ok(vm, m, "itf", &r)), 6.5);
    uint64_t w = fbits(5);
    gaddr s = call_ok(vm, m, "make_square", &w);
    cr_assert_eq(as_d(call_ok(vm, m, "vt", &s)), 105.0, "the override runs");
    cr_assert_eq(as_d(call_ok(vm, m, "itf", &s)), 105.5, "the itable follows the override");
    char *n = str_of(vm, call_ok(vm, m, "name_of", &s));
    cr_assert_str_eq(n, "rect");
    free(n);
    gaddr c = call_ok(vm, m, "make_circle", &w);
    cr_assert_eq(as_d(call_ok(vm, m, "itf", &c)), 5.5);
    call_ok(vm, m, "setw", &s);
    cr_assert_eq(as_d(call_ok(vm, m, "getw", &s)), 1.0);
    vm_free(vm);
}

BOTH(null_receivers_name_what_was_null)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, shapes());
    uint64_t null = 0;
    call_throws(vm, m, "getw", &null, RT_E_NullError, "cannot read field 'w' of null Rect");
    cr_assert_str_eq(vm->trace.data, "  at getw (app.holt:22)\n");
    call_throws(vm, m, "setw", &null, RT_E_NullError, "cannot write field 'w' of null Rect");
    call_throws(vm, m, "vt", &null, RT_E_NullError, "cannot call 'area' on null Rect");
    cr_assert_str_eq(vm->trace.data, "  at vt (app.holt:20)\n");
    call_throws(vm, m, "itf", &null, RT_E_NullError, "cannot call 'area' on null Shape");
    vm_free(vm);
}

BOTH(is_and_as)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, shapes());
    uint64_t w = fbits(5), null = 0, seven = 7;
    gaddr s = call_ok(vm, m, "make_square", &w);
    gaddr c = call_ok(vm, m, "make_circle", &w);
    gaddr b = call_ok(vm, m, "box", &seven);
    cr_assert_eq(call_ok(vm, m, "is_rect", &s), 1, "a subclass is its base");
    cr_assert_eq(call_ok(vm, m, "is_rect", &c), 0);
    cr_assert_eq(call_ok(vm, m, "is_rect", &null), 0);
    cr_assert_eq(call_ok(vm, m, "is_rect", &b), 0);
    cr_assert_eq(call_ok(vm, m, "is_shape", &s), 1, "interfaces through the base");
    cr_assert_eq(call_ok(vm, m, "is_shape", &c), 1);
    cr_assert_eq(call_ok(vm, m, "is_shape", &b), 0);
    cr_assert_eq(call_ok(vm, m, "is_int", &b), 1);
    cr_assert_eq(call_ok(vm, m, "is_int", &s), 0);
    cr_assert_eq(call_ok(vm, m, "as_rect", &s), s);
    cr_assert_eq(call_ok(vm, m, "as_rect", &null), 0, "null as a reference type is null");
    cr_assert_eq(call_ok(vm, m, "as_int", &b), 7);
    call_throws(vm, m, "as_rect", &c, RT_E_CastError, "cannot cast Circle to Rect");
    cr_assert_str_eq(vm->trace.data, "  at as_rect (app.holt:30)\n");
    call_throws(vm, m, "as_int", &null, RT_E_CastError, "cannot cast null to int");
    call_throws(vm, m, "as_int", &c, RT_E_CastError, "cannot cast Circle to int");
    vm_free(vm);
}

/* ---- closures and cells ------------------------------------------------------------------------ */

/* Module "c":
 *   fn counter() -> fn() -> int { var n = 0; return fn() { n = n + 1; return n } }
 *   fn twice(f) = f(); f()             fn add3(x, y) via a closure of a named function
 *   fn call_null() calls a null function value */
static as_t *closures(void)
{
    as_t *a = as_module("c", "c.holt");
    uint16_t inc = as_fn(a, "<fn>", "()I", 0, "^I");
    a->m->funcs[inc].ncaps = 1;
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 0);
    E(a, OP_CGET);
    E(a, OP_IIMM, 1);
    E(a, OP_IADD);
    E(a, OP_CSET);
    E(a, OP_LOAD, 0);
    E(a, OP_CGET);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "counter", "()()I", 0, "^I");
    E(a, OP_IIMM, 0);
    E(a, OP_CELL);
    E(a, OP_STORE, 0);
    E(a, OP_LOAD, 0);
    E(a, OP_CLOSURE, inc, 1);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "twice", "(()I)I", 1, "()I");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLV, 0);
    E(a, OP_POP);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLV, 0);
    E(a, OP_IIMM, 1000);
    E(a, OP_IADD); /* work after a 2-byte call: the return resumed right */
    E(a, OP_RETV);
    as_end(a);
    uint16_t add = as_fn(a, "add", "(II)I", 2, "I I");
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_ISUB);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "add_value", "()(II)I", 0, "");
    E(a, OP_CLOSURE, add, 0);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "apply", "((II)I)I", 1, "(II)I");
    E(a, OP_IIMM, 5);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 10);
    E(a, OP_IIMM, 3);
    E(a, OP_CALLV, 2);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "call_null", "()I", 0, "");
    as_line(a, 9);
    E(a, OP_NULL, as_type(a, "()I"));
    E(a, OP_CALLV, 0);
    E(a, OP_RETV);
    as_end(a);
    return a;
}

BOTH(closures_share_their_cells)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, closures());
    gaddr f = call_ok(vm, m, "counter", NULL);
    cr_assert_eq(rt_obj_type(vm, f), rt_type_intern(vm, "()I"));
    cr_assert_eq(call_ok(vm, m, "twice", &f), 1002);
    cr_assert_eq(call_ok(vm, m, "twice", &f), 1004, "the cell outlives the call that made it");
    gaddr g = call_ok(vm, m, "counter", NULL);
    cr_assert_eq(call_ok(vm, m, "twice", &g), 1002, "each call of counter has its own cell");
    gaddr h = call_ok(vm, m, "add_value", NULL);
    cr_assert_eq(call_ok(vm, m, "apply", &h), 12);
    call_throws(vm, m, "call_null", NULL, RT_E_NullError, "cannot call a null function");
    cr_assert_str_eq(vm->trace.data, "  at call_null (c.holt:9)\n");
    /* Natives call function values back (rt_call_value); str() names the function. */
    int st = CATCH(vm, {
        cr_assert_eq(rt_call_value(vm, f, NULL, 0), 5);
        uint64_t args[] = {20, 4};
        cr_assert_eq(rt_call_value(vm, h, args, 2), 16);
        expect_str(vm, rt_tostr(vm, f, rt_type_intern(vm, "()I")), "<fn>");
        expect_str(vm, rt_tostr(vm, h, RT_T_ANY), "<fn add>");
    });
    cr_assert_eq(st, RT_OK, "threw");
    vm_free(vm);
}

Test(link_class, a_cell_goes_straight_into_a_cell_local)
{
    holt_vm *vm = vm_new(0);
    as_t *a = mod_t();
    as_fn(a, "bad", "()V", 0, "^I");
    E(a, OP_IIMM, 1);
    E(a, OP_CELL);
    E(a, OP_POP);
    E(a, OP_RET);
    as_end(a);
    link_fails_v(vm, a, "link: module t: function bad, at 5: CELL is not followed by STORE into a cell local", false);
    vm_free(vm);
}

/* ---- exceptions ---------------------------------------------------------------------------------- */

/* A function with no parameters whose code between try_begin and try_catch is covered by one
 * handler, whose code follows try_catch; try_end ends the function and adds the handler. */
typedef struct {
    uint16_t f;                   /* the function */
    int start, end, handler;      /* its labels: the covered range [start, end) and the handler */
} try_fn;

static try_fn try_begin(as_t *a, const char *name, const char *desc, const char *locals)
{
    try_fn t;
    t.f = as_fn(a, name, desc, 0, locals);
    t.start = as_label(a);
    t.end = as_label(a);
    t.handler = as_label(a);
    as_bind(a, t.start);
    return t;
}

static void try_catch(as_t *a, try_fn t)
{
    as_bind(a, t.end);
    as_bind(a, t.handler);
}

/* `type` is the class caught, NULL for everything. */
static void try_end(as_t *a, try_fn t, const char *type)
{
    as_end(a);
    as_handler(a, t.f, t.start, t.end, t.handler, type);
}

/* fn name() -> int { try { callee(); return -1 } catch type { return value } }, the call on
 * line `line`. */
static void call_or_catch(as_t *a, const char *name, uint32_t line, uint16_t callee, int value, const char *type)
{
    try_fn t = try_begin(a, name, "()I", "");
    as_line(a, line);
    E(a, OP_CALL, callee);
    E(a, OP_IIMM, -1);
    E(a, OP_RETV);
    try_catch(a, t);
    E(a, OP_POP);
    E(a, OP_IIMM, value);
    E(a, OP_RETV);
    try_end(a, t, type);
}

/* Module "x" (file x.holt):
 *   fn thrower()          throws ValueError("bad") at line 5
 *   fn middle()           calls thrower (line 7)
 *   fn catch_here()       try { 1 / 0 } catch ArithmeticError -> 42
 *   fn catch_below()      try { middle() } catch e: Error -> len(e.message)   (two frames down)
 *   fn wrong_type()       try { middle() } catch IndexError -> 0: the error goes on
 *   fn fin()              try { middle() } finally-style catch-all: rethrow (line 12)
 *   fn recurse()          deep recursion
 *   fn overflow()         try { recurse() } catch StackOverflowError -> 7
 *   fn rethrow_caught()   try { middle() } catch e -> throw e (line 14) */
static as_t *excs(void)
{
    as_t *a = as_module("x", "x.holt");
    uint16_t fmsg = as_fieldk(a, "LError;", "message", "S");
    uint16_t thrower = as_fn(a, "thrower", "()V", 0, "");
    as_line(a, 4);
    E(a, OP_NEW, as_type(a, "LValueError;"));
    E(a, OP_DUP);
    E(a, OP_KSTR, as_str(a, "bad"));
    E(a, OP_SETF, fmsg);
    as_line(a, 5);
    E(a, OP_THROW);
    as_end(a);
    uint16_t middle = as_fn(a, "middle", "()V", 0, "");
    as_line(a, 7);
    E(a, OP_CALL, thrower);
    E(a, OP_RET);
    as_end(a);

    try_fn t = try_begin(a, "catch_here", "()I", "");
    E(a, OP_IIMM, 1);
    E(a, OP_IIMM, 0);
    E(a, OP_IDIV);
    E(a, OP_RETV);
    try_catch(a, t);
    E(a, OP_POP);
    E(a, OP_IIMM, 42);
    E(a, OP_RETV);
    try_end(a, t, "LArithmeticError;");

    t = try_begin(a, "catch_below", "()I", "LError;");
    E(a, OP_CALL, middle);
    E(a, OP_IIMM, -1);
    E(a, OP_RETV);
    try_catch(a, t);
    E(a, OP_STORE, 0);
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fmsg);
    E(a, OP_SLEN);
    E(a, OP_RETV);
    try_end(a, t, "LError;");

    call_or_catch(a, "wrong_type", 9, middle, 0, "LIndexError;");

    t = try_begin(a, "fin", "()V", "LError;");
    as_line(a, 11);
    E(a, OP_CALL, middle);
    E(a, OP_RET);
    try_catch(a, t);
    E(a, OP_STORE, 0);
    as_line(a, 12);
    E(a, OP_LOAD, 0);
    E(a, OP_THROW);
    try_end(a, t, NULL);

    uint16_t rec = as_fn(a, "recurse", "()V", 0, "");
    E(a, OP_CALL, rec);
    E(a, OP_RET);
    as_end(a);
    call_or_catch(a, "overflow", 1, rec, 7, "LStackOverflowError;");

    t = try_begin(a, "rethrow_caught", "()V", "");
    as_line(a, 13);
    E(a, OP_CALL, middle);
    E(a, OP_RET);
    try_catch(a, t);
    as_line(a, 14);
    E(a, OP_THROW);
    try_end(a, t, "LValueError;");

    as_fn(a, "throw_null", "()V", 0, "");
    as_line(a, 16);
    E(a, OP_NULL, as_type(a, "LError;"));
    E(a, OP_THROW);
    as_end(a);
    return a;
}

BOTH(handlers_catch_in_the_frame_and_below)
{
    holt_vm *vm = vm_new_cfg(sw, 1u << 16, 200);
    vm_module *m = link_ok(vm, excs());
    cr_assert_eq(call_ok(vm, m, "catch_here", NULL), 42);
    cr_assert_eq(call_ok(vm, m, "catch_below", NULL), 3);
    cr_assert_eq(call_ok(vm, m, "overflow", NULL), 7, "StackOverflowError is catchable");
    call_throws(vm, m, "wrong_type", NULL, RT_E_ValueError, "bad");
    cr_assert_str_eq(vm->trace.data, "  at thrower (x.holt:5)\n  at middle (x.holt:7)\n  at wrong_type (x.holt:9)\n");
    char *t = trace_of(vm, vm->exc);
    cr_assert_str_eq(t, vm->trace.data, "the error keeps its trace in $trace");
    free(t);
    call_throws(vm, m, "throw_null", NULL, RT_E_NullError, "throw of null");
    vm_free(vm);
}

BOTH(a_rethrow_keeps_the_first_trace)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_ok(vm, excs());
    const char *want = "  at thrower (x.holt:5)\n  at middle (x.holt:7)\n  at fin (x.holt:11)\n";
    call_throws(vm, m, "fin", NULL, RT_E_ValueError, "bad");
    cr_assert_str_eq(vm->trace.data, want);
    call_throws(vm, m, "rethrow_caught", NULL, RT_E_ValueError, "bad");
    cr_assert_str_eq(vm->trace.data, "  at thrower (x.holt:5)\n  at middle (x.holt:7)\n  at rethrow_caught (x.holt:13)\n");
    vm_free(vm);
}

/* ---- link errors of classes ------------------------------------------------------------------------ */

/* A module "bad" with one class, its base and its interfaces, for the link errors. */
static as_t *one_class(const char *super, const char *iface, const char *method, const char *sig)
{
    as_t *a = mod_t();
    a->m->name[0] = 'b'; /* module "b" */
    int shape = as_class(a, "Lb.Shape;", BC_CLASS_INTERFACE, NULL);
    as_cmethod(a, shape, "area", "()F", BC_NO_FUNC);
    int base = as_class(a, "Lb.Base;", 0, NULL);
    uint16_t bf = as_fn(a, "Base.area", "(Lb.Base;)F", 1, "Lb.Base;");
    E(a, OP_KFLT, as_flt(a, 1));
    E(a, OP_RETV);
    as_end(a);
    as_cmethod(a, base, "area", "()F", bf);
    int c = as_class(a, "Lb.C;", 0, super);
    if (iface)
        as_ciface(a, c, iface);
    if (method) {
        char d[64];
        snprintf(d, sizeof d, "(Lb.C;%s", sig + 1);
        uint16_t f = as_fn(a, "C.m", d, 1, "Lb.C;");
        E(a, sig[2] == 'F' ? OP_KFLT : OP_IIMM, sig[2] == 'F' ? as_flt(a, 2) : 2);
        E(a, OP_RETV);
        as_end(a);
        as_cmethod(a, c, method, sig, f);
    }
    return a;
}

Test(link_class, errors_name_the_class_and_the_rule)
{
    holt_vm *vm = vm_new(0);
    link_fails_v(vm, one_class("Lb.Nope;", NULL, NULL, NULL), "link: module b: class C: unknown base class Lb.Nope;",
                 false);
    link_fails_v(vm, one_class("Lb.Shape;", NULL, NULL, NULL), "link: module b: class C: base Shape is an interface",
                 false);
    link_fails_v(vm, one_class(NULL, "Lb.Shape;", NULL, NULL), "link: module b: class C does not implement Shape.area",
                 false);
    link_fails_v(vm, one_class(NULL, "Lb.Shape;", "area", "()I"),
                 "link: module b: class C implements Shape.area with another signature (()I, expected ()F)", false);
    link_fails_v(vm, one_class("Lb.Base;", NULL, "area", "()I"),
                 "link: module b: class C: method area()I overrides area()F with another signature", false);
    link_fails_v(vm, one_class(NULL, "Lb.Base;", NULL, NULL), "link: module b: class C: class Base is not an interface",
                 false);
    /* A failed link leaves every class it defined undefined again. */
    cr_assert_not(rt_type_get(vm, rt_type_intern(vm, "Lb.Base;"))->defined);
    /* Correct, it links; NEW of an interface does not. */
    as_t *a = one_class("Lb.Base;", "Lb.Shape;", "area", "()F");
    vm_module *m = link_v(vm, a, false);
    cr_assert_eq(rt_type_get(vm, rt_type_intern(vm, "Lb.C;"))->vtable[0], fn_named(m, "C.m"));
    as_t *n = as_new("n", "n.holt");
    as_main(n);
    E(n, OP_NEW, as_type(n, "Lb.Shape;"));
    E(n, OP_POP);
    E(n, OP_RET);
    as_end(n);
    link_fails_v(vm, n, "link: module n: function <main>, at 0: NEW of interface Shape", false);
    vm_free(vm);
}

/* ---- across modules: overrides, generic instances, to_str, errors ------------------------------------ */

/* Module "lib": class Base { v: int  get() -> int = 1  to_str() -> str = "Base!" }; call_get(b)
 * calls get virtually. Module "app": class Derived : lib.Base { get() -> int = 2 }, and a
 * generic instance Box<int> that both modules define alike. */
static as_t *lib_mod(bool box_field_int)
{
    as_t *a = as_module("lib", "lib.holt");
    uint16_t g = as_fn(a, "Base.get", "(Llib.Base;)I", 1, "Llib.Base;");
    E(a, OP_IIMM, 1);
    E(a, OP_RETV);
    as_end(a);
    uint16_t ts = as_fn(a, "Base.to_str", "(Llib.Base;)S", 1, "Llib.Base;");
    E(a, OP_KSTR, as_str(a, "Base!"));
    E(a, OP_RETV);
    as_end(a);
    int b = as_class(a, "Llib.Base;", 0, NULL);
    as_cfield(a, b, "v", "I");
    as_cmethod(a, b, "get", "()I", g);
    as_cmethod(a, b, "to_str", "()S", ts);
    int box = as_class(a, "Lcommon.Box<int>;", 0, NULL);
    as_cfield(a, box, "item", box_field_int ? "I" : "S");
    as_fn(a, "call_get", "(Llib.Base;)I", 1, "Llib.Base;");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLVT, as_methodk(a, "Llib.Base;", "get", "()I"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "make", "()Llib.Base;", 0, "");
    E(a, OP_NEW, as_type(a, "Llib.Base;"));
    E(a, OP_RETV);
    as_end(a);
    return a;
}

static as_t *app_mod(void)
{
    as_t *a = as_new("app", "app.holt");
    as_mod(a, "lib");
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    uint16_t g = as_fn(a, "Derived.get", "(Lapp.Derived;)I", 1, "Lapp.Derived;");
    E(a, OP_IIMM, 2);
    E(a, OP_RETV);
    as_end(a);
    int d = as_class(a, "Lapp.Derived;", 0, "Llib.Base;");
    as_cfield(a, d, "w", "I");
    as_cmethod(a, d, "get", "()I", g);
    int box = as_class(a, "Lcommon.Box<int>;", 0, NULL);
    as_cfield(a, box, "item", "I");
    as_fn(a, "make", "()Lapp.Derived;", 0, "");
    E(a, OP_NEW, as_type(a, "Lapp.Derived;"));
    E(a, OP_DUP);
    E(a, OP_IIMM, 9);
    E(a, OP_SETF, as_fieldk(a, "Lapp.Derived;", "v", "I"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "boxed", "()I", 0, "");
    E(a, OP_NEW, as_type(a, "Lcommon.Box<int>;"));
    E(a, OP_DUP);
    E(a, OP_IIMM, 4);
    E(a, OP_SETF, as_fieldk(a, "Lcommon.Box<int>;", "item", "I"));
    E(a, OP_GETF, as_fieldk(a, "Lcommon.Box<int>;", "item", "I"));
    E(a, OP_RETV);
    as_end(a);
    return a;
}

BOTH(overrides_across_modules_and_generic_instances)
{
    holt_vm *vm = vm_new(sw);
    vm_module *lib = link_ok(vm, lib_mod(true));
    rt_typeid box = rt_type_intern(vm, "Lcommon.Box<int>;");
    const void *first = rt_type_get(vm, box)->field_names;
    vm_module *app = link_env(vm, app_mod());
    cr_assert_eq(rt_type_get(vm, box)->field_names, first, "the first definition is kept");
    cr_assert_str_eq(rt_type_get(vm, box)->name, "Box<int>");
    gaddr d = call_ok(vm, app, "make", NULL);
    cr_assert_eq(call_ok(vm, lib, "call_get", &d), 2, "lib's virtual call reaches app's override");
    gaddr b = call_ok(vm, lib, "make", NULL);
    cr_assert_eq(call_ok(vm, lib, "call_get", &b), 1);
    cr_assert_eq(call_ok(vm, app, "boxed", NULL), 4);
    /* to_str is inherited and str() calls it, inside containers too */
    int st = CATCH(vm, {
        expect_str(vm, rt_tostr(vm, d, RT_T_ANY), "Base!");
        gaddr list = rt_list_new(vm, rt_type_intern(vm, "[Llib.Base;"), 2);
        rt_list_push(vm, list, d);
        rt_list_push(vm, list, 0);
        expect_str(vm, rt_tostr(vm, list, rt_type_intern(vm, "[Llib.Base;")), "[Base!, null]");
        gaddr e = rt_alloc(vm, rt_err_type(vm, RT_E_KeyError), 24);
        expect_str(vm, rt_tostr(vm, e, RT_T_ANY), "<KeyError>");
    });
    cr_assert_eq(st, RT_OK, "threw");
    vm_free(vm);
}

Test(link_class, a_generic_instance_defined_differently_is_refused)
{
    holt_vm *vm = vm_new(0);
    link_ok(vm, lib_mod(false));
    link_fails_v(vm, app_mod(), "link: module app: class Box<int> is already defined differently", false);
    cr_assert_not(rt_type_get(vm, rt_type_intern(vm, "Lapp.Derived;"))->defined);
    vm_free(vm);
}

/* An error thrown by Holt code that a native called back (rt_call_value) reaches the
 * native's catcher with rt_rethrow, its first trace intact, and the VM is back to the frames
 * it had. */
BOTH(errors_cross_a_call_back_with_their_trace)
{
    holt_vm *vm = vm_new(sw);
    as_t *a = mod_t();
    uint16_t thrower = as_fn(a, "boom", "(I)I", 1, "I");
    as_line(a, 3);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 0);
    E(a, OP_IDIV);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "get", "()(I)I", 0, "");
    E(a, OP_CLOSURE, thrower, 0);
    E(a, OP_RETV);
    as_end(a);
    vm_module *m = link_ok(vm, a);
    gaddr f = call_ok(vm, m, "get", NULL);
    vm->trace_done = false;
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    volatile bool threw = false;
    if (setjmp(c.jb) == 0) {
        uint64_t arg = 5;
        rt_call_value(vm, f, &arg, 1);
    } else {
        threw = true;
    }
    vm->catcher = c.prev;
    cr_assert(threw);
    cr_assert_eq(c.status, RT_THROWN);
    check_error(vm, RT_E_ArithmeticError, "division by zero");
    cr_assert_str_eq(vm->trace.data, "  at boom (t.holt:3)\n");
    char *t = trace_of(vm, vm->exc);
    cr_assert_str_eq(t, "  at boom (t.holt:3)\n");
    free(t);
    cr_assert_eq(vm->nframes, 0);
    cr_assert_eq(vm->call_depth, 0);
    vm_free(vm);
}

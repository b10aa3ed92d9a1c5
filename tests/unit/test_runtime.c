/* test_runtime.c — the runtime core: run-time types, the allocation funnel, the throw path,
 * strings, str() formatting and the buffered standard streams. Each test builds a VM by hand
 * (machine + runtime, no interpreter) and objects directly in guest memory from the layouts of
 * rt.h. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bare_vm.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

/* A VM of `mem` bytes with room for a few frames (bare_vm.h); free it with holt_free. */
static holt_vm *new_vm(uint64_t mem)
{
    return bare_vm_new((holt_config){.mem_bytes = mem, .stack_slots = 1024, .max_frames = 100});
}

/* The thrown error is of class `cls` with message `msg`. */
static void expect_error(holt_vm *vm, const char *cls, const char *msg)
{
    cr_assert_neq(vm->exc, 0);
    const rt_type *t = rt_type_get(vm, rt_obj_type(vm, vm->exc));
    cr_assert_not_null(t);
    cr_assert_str_eq(t->name, cls);
    expect_str(vm, rt_err_message(vm, vm->exc), msg);
}

static gaddr make_list(holt_vm *vm, const char *desc, uint64_t n, const uint64_t *items)
{
    rt_typeid t = rt_type_intern(vm, desc);
    cr_assert_neq(t, RT_T_NONE);
    const rt_type *lt = rt_type_get(vm, t);
    bool ref = rt_type_get(vm, lt->elem)->is_ref;
    gaddr list = rt_alloc(vm, t, 40);
    gaddr arr = 0;
    if (n) {
        arr = rt_alloc(vm, ref ? RT_T_ARRAY_REF : RT_T_ARRAY_RAW, RT_ARRAY_SLOTS + 8 * n);
        hm_st64(&vm->m, arr + 8, n);
        for (uint64_t i = 0; i < n; i++)
            hm_st64(&vm->m, arr + RT_ARRAY_SLOTS + 8 * i, items[i]);
    }
    hm_st64(&vm->m, list + RT_LIST_LEN, n);
    hm_st64(&vm->m, list + RT_LIST_CAP, n);
    hm_st64(&vm->m, list + RT_LIST_ITEMS, arr);
    return list;
}

/* A map whose entries are filled in order; entries with dead[i] set are removed ones. */
static gaddr make_map(holt_vm *vm, const char *desc, uint64_t n, const uint64_t *keys,
                      const uint64_t *values, const bool *dead)
{
    rt_typeid t = rt_type_intern(vm, desc);
    cr_assert_neq(t, RT_T_NONE);
    gaddr map = rt_alloc(vm, t, 56);
    gaddr entries = rt_alloc(vm, RT_T_ARRAY_REF, RT_ARRAY_SLOTS + 24 * (n ? n : 1));
    hm_st64(&vm->m, entries + 8, 3 * n);
    uint64_t live = 0;
    for (uint64_t i = 0; i < n; i++) {
        gaddr e = entries + RT_ARRAY_SLOTS + 24 * i;
        bool d = dead && dead[i];
        hm_st64(&vm->m, e, d ? RT_MAP_DEAD : 12345);
        hm_st64(&vm->m, e + 8, keys[i]);
        hm_st64(&vm->m, e + 16, values[i]);
        live += !d;
    }
    hm_st64(&vm->m, map + RT_MAP_COUNT, live);
    hm_st64(&vm->m, map + RT_MAP_USED, n);
    hm_st64(&vm->m, map + RT_MAP_CAP, n);
    hm_st64(&vm->m, map + RT_MAP_ENTRIES, entries);
    return map;
}

static gaddr box(holt_vm *vm, rt_typeid t, uint64_t v)
{
    gaddr b = rt_alloc(vm, t, 16);
    hm_st64(&vm->m, b + 8, v);
    return b;
}

static uint64_t fbits(double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    return v;
}

static void expect_tostr(holt_vm *vm, uint64_t v, const char *desc, const char *want)
{
    rt_typeid t = rt_type_intern(vm, desc);
    cr_assert_neq(t, RT_T_NONE, "bad descriptor %s", desc);
    volatile gaddr s = 0;
    int st = CATCH(vm, s = rt_tostr(vm, v, t));
    cr_assert_eq(st, RT_OK);
    expect_str(vm, s, want);
}

/* ---- run-time types ----------------------------------------------------------------------------- */

Test(types, fixed_ids_come_first_in_order)
{
    holt_vm *vm = new_vm(1 << 20);
    cr_assert_eq(rt_type_intern(vm, "V"), RT_T_VOID);
    cr_assert_eq(rt_type_intern(vm, "I"), RT_T_INT);
    cr_assert_eq(rt_type_intern(vm, "F"), RT_T_FLOAT);
    cr_assert_eq(rt_type_intern(vm, "Z"), RT_T_BOOL);
    cr_assert_eq(rt_type_intern(vm, "S"), RT_T_STR);
    cr_assert_eq(rt_type_intern(vm, "A"), RT_T_ANY);
    cr_assert_str_eq(rt_type_get(vm, RT_T_INT)->name, "int");
    cr_assert_str_eq(rt_type_get(vm, RT_T_FLOAT)->name, "float");
    cr_assert_str_eq(rt_type_get(vm, RT_T_BOOL)->name, "bool");
    cr_assert_str_eq(rt_type_get(vm, RT_T_STR)->name, "str");
    cr_assert_str_eq(rt_type_get(vm, RT_T_ANY)->name, "any");
    cr_assert_eq(rt_type_get(vm, RT_T_ARRAY_RAW)->kind, RK_ARRAY);
    cr_assert(rt_type_get(vm, RT_T_ARRAY_REF)->is_ref);
    cr_assert_not(rt_type_get(vm, RT_T_INT)->is_ref);
    cr_assert_not(rt_type_get(vm, RT_T_BOOL)->is_ref);
    cr_assert(rt_type_get(vm, RT_T_STR)->is_ref);
    cr_assert(rt_type_get(vm, RT_T_ANY)->is_ref);
    cr_assert_null(rt_type_get(vm, RT_T_NONE));
    cr_assert_null(rt_type_get(vm, 1000000));
    holt_free(vm);
}

Test(types, compound_types_intern_once_with_source_names)
{
    holt_vm *vm = new_vm(1 << 20);
    static const struct {
        const char *desc, *name;
        rt_kind kind;
    } cases[] = {
        {"[I", "[int]", RK_LIST},
        {"[[S", "[[str]]", RK_LIST},
        {"{SI", "{str: int}", RK_MAP},
        {"{S[I", "{str: [int]}", RK_MAP},
        {"{I{ZF", "{int: {bool: float}}", RK_MAP},
        {"[A", "[any]", RK_LIST},
        {"(IS)S", "fn(int, str) -> str", RK_FN},
        {"()V", "fn()", RK_FN},
        {"(I)V", "fn(int)", RK_FN},
        {"([I(I)Z)[I", "fn([int], fn(int) -> bool) -> [int]", RK_FN},
        {"LPoint;", "Point", RK_CLASS},
        /* A class's name for messages is its source name, without the defining module. */
        {"Llib.util.Point;", "Point", RK_CLASS},
        {"Lapp.Pair<int, str>;", "Pair<int, str>", RK_CLASS},
        {"Lapp.Stack<lib.Foo>;", "Stack<lib.Foo>", RK_CLASS},
        {"^I", "^int", RK_CELL},
        {"^LPoint;", "^Point", RK_CELL},
        {"[LPoint;", "[Point]", RK_LIST},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rt_typeid id = rt_type_intern(vm, cases[i].desc);
        cr_assert_geq(id, RT_T__FIXED, "%s", cases[i].desc);
        const rt_type *t = rt_type_get(vm, id);
        cr_assert_str_eq(t->name, cases[i].name);
        cr_assert_str_eq(t->desc, cases[i].desc);
        cr_assert_eq(t->kind, cases[i].kind, "%s", cases[i].desc);
        cr_assert(t->is_ref);
        cr_assert_eq(rt_type_intern(vm, cases[i].desc), id, "%s interned twice", cases[i].desc);
    }
    const rt_type *m = rt_type_get(vm, rt_type_intern(vm, "{S[I"));
    cr_assert_eq(m->key, RT_T_STR);
    cr_assert_eq(m->elem, rt_type_intern(vm, "[I"));
    cr_assert_eq(rt_type_get(vm, m->elem)->elem, RT_T_INT);
    holt_free(vm);
}

Test(types, many_types_survive_table_growth)
{
    holt_vm *vm = new_vm(1 << 20);
    char desc[300];
    rt_typeid ids[200];
    for (int i = 0; i < 200; i++) {
        memset(desc, '[', (size_t)i + 1);
        desc[i + 1] = 'I';
        desc[i + 2] = '\0';
        ids[i] = rt_type_intern(vm, desc);
        cr_assert_neq(ids[i], RT_T_NONE);
    }
    for (int i = 199; i >= 0; i--) {
        memset(desc, '[', (size_t)i + 1);
        desc[i + 1] = 'I';
        desc[i + 2] = '\0';
        cr_assert_eq(rt_type_intern(vm, desc), ids[i]);
    }
    holt_free(vm);
}

Test(types, malformed_descriptors_are_refused)
{
    holt_vm *vm = new_vm(1 << 20);
    static const char *bad[] = {
        "", "X", "[", "{I", "(I", "(I)", "(V)I", "[V", "{VI", "II", "[II", "L;", "LFoo",
        "L;x", "T", "[T", "(T)V", ")", "I)", "^", "^V", "L",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(rt_type_intern(vm, bad[i]), RT_T_NONE, "\"%s\" accepted", bad[i]);
    cr_assert_eq(rt_type_intern(vm, NULL), RT_T_NONE);
    /* Too deep to be a real type: refused without deep recursion. */
    char deep[2000];
    memset(deep, '[', sizeof deep - 2);
    deep[sizeof deep - 2] = 'I';
    deep[sizeof deep - 1] = '\0';
    cr_assert_eq(rt_type_intern(vm, deep), RT_T_NONE);
    holt_free(vm);
}

Test(types, error_classes_form_a_hierarchy)
{
    holt_vm *vm = new_vm(1 << 20);
    rt_typeid err = rt_err_type(vm, RT_E_Error);
    rt_typeid idx = rt_err_type(vm, RT_E_IndexError);
    const rt_type *t = rt_type_get(vm, idx);
    cr_assert_eq(t->kind, RK_CLASS);
    cr_assert_str_eq(t->name, "IndexError");
    cr_assert_str_eq(t->desc, "LIndexError;");
    /* A real class: message, then the hidden trace of its first throw. */
    cr_assert_eq(t->nfields, 2);
    cr_assert(t->defined);
    cr_assert_str_eq(t->field_names[0], "message");
    cr_assert_str_eq(t->field_names[1], "$trace");
    cr_assert_eq(t->field_types[0], RT_T_STR);
    cr_assert_eq(t->field_types[1], RT_T_STR);
    cr_assert_eq(t->parent, err);
    cr_assert_eq(rt_type_get(vm, err)->parent, RT_T_NONE);
    cr_assert_eq(rt_type_intern(vm, "LIndexError;"), idx);
    cr_assert_str_eq(rt_type_get(vm, rt_err_type(vm, RT_E_TimeoutError))->name, "TimeoutError");
    for (int a = 0; a < RT_E__COUNT; a++) {
        cr_assert(rt_type_is(vm, rt_err_type(vm, (rt_err)a), err));
        for (int b = a + 1; b < RT_E__COUNT; b++)
            cr_assert_neq(rt_err_type(vm, (rt_err)a), rt_err_type(vm, (rt_err)b));
    }
    cr_assert(rt_type_is(vm, idx, idx));
    cr_assert_not(rt_type_is(vm, err, idx));
    cr_assert_not(rt_type_is(vm, idx, rt_err_type(vm, RT_E_KeyError)));
    cr_assert(rt_type_is(vm, RT_T_INT, RT_T_INT));
    cr_assert_not(rt_type_is(vm, RT_T_INT, RT_T_FLOAT));
    cr_assert_not(rt_type_is(vm, rt_type_intern(vm, "[I"), RT_T_ANY));
    cr_assert_not(rt_type_is(vm, RT_T_NONE, RT_T_NONE));
    /* A user class below a built-in one. */
    rt_typeid mine = rt_type_intern(vm, "LMyError;");
    vm->types.v[mine].parent = idx;
    cr_assert(rt_type_is(vm, mine, err));
    cr_assert(rt_type_is(vm, mine, idx));
    cr_assert_not(rt_type_is(vm, idx, mine));
    holt_free(vm);
}

/* rt_type_is follows base classes and the interface lists classes carry (inherited ones
 * included, as the linker builds them). */
Test(types, subtypes_through_interfaces)
{
    holt_vm *vm = new_vm(1 << 20);
    rt_typeid shape = rt_type_intern(vm, "Lapp.Shape;");
    rt_typeid named = rt_type_intern(vm, "Lapp.Named;");
    rt_typeid rect = rt_type_intern(vm, "Lapp.Rect;");
    rt_typeid square = rt_type_intern(vm, "Lapp.Square;");
    rt_typeid other = rt_type_intern(vm, "Lapp.Other;");
    vm->types.v[shape].is_iface = true;
    vm->types.v[named].is_iface = true;
    rt_typeid rect_ifaces[] = {shape};
    rt_typeid square_ifaces[] = {shape, named};
    vm->types.v[rect].ifaces = malloc(sizeof rect_ifaces);
    memcpy(vm->types.v[rect].ifaces, rect_ifaces, sizeof rect_ifaces);
    vm->types.v[rect].nifaces = 1;
    vm->types.v[square].parent = rect;
    vm->types.v[square].ifaces = malloc(sizeof square_ifaces);
    memcpy(vm->types.v[square].ifaces, square_ifaces, sizeof square_ifaces);
    vm->types.v[square].nifaces = 2;
    cr_assert(rt_type_is(vm, rect, shape));
    cr_assert(rt_type_is(vm, square, shape));
    cr_assert(rt_type_is(vm, square, named));
    cr_assert(rt_type_is(vm, square, rect));
    cr_assert_not(rt_type_is(vm, rect, named));
    cr_assert_not(rt_type_is(vm, other, shape));
    cr_assert_not(rt_type_is(vm, shape, rect));
    cr_assert(rt_type_is(vm, shape, shape));
    /* Not classes at all. */
    cr_assert_not(rt_type_is(vm, RT_T_INT, shape));
    cr_assert_not(rt_type_is(vm, rt_type_intern(vm, "[I"), shape));
    holt_free(vm);
}

Test(types, native_patterns_bind_variables_consistently)
{
    static const struct {
        const char *pattern, *inst;
        bool match;
    } cases[] = {
        {"(S)V", "(S)V", true},
        {"(S)V", "(I)V", false},
        {"(I)V", "(I)I", false},
        {"(I)V", "(II)V", false},
        {"(II)V", "(I)V", false},
        {"([TT)V", "([II)V", true},
        {"([TT)V", "([IS)V", false},
        {"([TT)V", "([[S[S)V", true},
        {"([TT)V", "([[S[I)V", false},
        {"([T)T", "([{SI){SI", true},
        {"([TII)[T", "([FII)[F", true},
        {"([TII)[T", "([FII)[I", false},
        {"({KEK)Z", "({SIS)Z", true},
        {"({KEK)Z", "({SII)Z", false},
        {"({KEKE)E", "({I[SI[S)[S", true},
        {"({KE)[K", "({ZF)[Z", true},
        {"({KE)[E", "({ZF)[Z", false},
        {"([T)I", "([LPoint;)I", true},
        {"(LTask;)V", "(LTask;)V", true},
        {"(LTask;)V", "(LTasx;)V", false},
        {"()T", "()V", false},
        {"(T)V", "()V", false},
        {"(T)V", "((I)S)V", true},
        {"(S)V", "(S)V ", false},
        {"(T)V", "([)V", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_assert_eq(rt_desc_match(cases[i].pattern, cases[i].inst), cases[i].match, "%s vs %s",
                     cases[i].pattern, cases[i].inst);
    cr_assert_not(rt_desc_match(NULL, "(S)V"));
    cr_assert_not(rt_desc_match("(S)V", NULL));
}

/* ---- allocation ------------------------------------------------------------------------------------ */

Test(heap, objects_are_aligned_zeroed_and_headed)
{
    holt_vm *vm = new_vm(1 << 20);
    uint64_t before = vm->heap.bytes_allocated;
    /* Dirty the memory above the top: a new object must still come out zeroed. */
    hm_fill(&vm->m, vm->heap.top, 0xff, 256);
    gaddr a = rt_alloc(vm, RT_T_STR, 9);
    gaddr b = rt_alloc(vm, RT_T_INT, 1);
    gaddr c = rt_alloc(vm, RT_T_ARRAY_RAW, 24);
    cr_assert_eq(a % 8, 0);
    cr_assert_eq(b - a, 16);
    cr_assert_eq(c - b, 8);
    cr_assert_eq(vm->heap.top, c + 24);
    cr_assert_eq(vm->heap.bytes_allocated - before, 48);
    cr_assert_eq(hm_ld32(&vm->m, a), RT_T_STR);
    cr_assert_eq(hm_ld32(&vm->m, a + 4), 0);
    cr_assert_eq(rt_obj_type(vm, b), RT_T_INT);
    cr_assert_eq(rt_obj_type(vm, c), RT_T_ARRAY_RAW);
    cr_assert_eq(hm_ld64(&vm->m, a + 8), 0);
    cr_assert_eq(hm_ld64(&vm->m, c + 8), 0);
    cr_assert_eq(hm_ld64(&vm->m, c + 16), 0);
    holt_free(vm);
}

Test(heap, grows_in_steps_and_faults_above_the_top)
{
    holt_vm *vm = new_vm(8 << 20);
    for (int i = 0; i < 48; i++)
        rt_alloc(vm, RT_T_ARRAY_RAW, 64 << 10);
    cr_assert_geq(vm->heap.top - vm->m.base, 3u << 20);
    cr_assert_eq(vm->heap.limit, vm->m.base + vm->m.mapped);
    cr_assert_eq((vm->heap.limit - vm->m.base) % (1 << 20), 0);
    cr_assert_lt(vm->heap.limit - vm->heap.top, 1 << 20);
    int st = CATCH(vm, hm_st64(&vm->m, vm->heap.limit, 1));
    cr_assert_eq(st, RT_THROWN);
    char want[64];
    snprintf(want, sizeof want, "write at 0x%llx: not-present", (unsigned long long)vm->heap.limit);
    expect_error(vm, "MemoryFault", want);
    holt_free(vm);
}

Test(heap, out_of_memory_throws_the_preallocated_error)
{
    holt_vm *vm = new_vm(64 << 10);
    int st = CATCH(vm, for (;;) rt_alloc(vm, RT_T_ARRAY_RAW, 4096));
    cr_assert_eq(st, RT_THROWN);
    cr_assert_eq(vm->exc, vm->heap.oom);
    expect_error(vm, "OutOfMemoryError", "guest memory limit of 65536 bytes reached");
    cr_assert_leq(vm->heap.top, vm->m.base + vm->m.size);
    /* Asking for more than could ever fit, or an absurd size, is the same error. */
    vm->exc = 0;
    cr_assert_eq(CATCH(vm, rt_alloc(vm, RT_T_ARRAY_RAW, UINT64_MAX)), RT_THROWN);
    cr_assert_eq(vm->exc, vm->heap.oom);
    vm->exc = 0;
    cr_assert_eq(CATCH(vm, rt_str_new(vm, NULL, UINT64_MAX - 3)), RT_THROWN);
    cr_assert_eq(vm->exc, vm->heap.oom);
    /* Small objects still fit in what is left. */
    cr_assert_eq(CATCH(vm, rt_alloc(vm, RT_T_INT, 8)), RT_OK);
    holt_free(vm);
}

Test(heap, init_fails_cleanly_when_memory_is_too_small)
{
    holt_vm *vm = calloc(1, sizeof *vm);
    buf_init(&vm->trace);
    cr_assert_eq(hm_init(&vm->m, &(hm_config){.mem_bytes = 64 << 10, .heap_bytes = 4096}), 0);
    cr_assert_eq(rt_init(vm), -ENOMEM);
    cr_assert_null(vm->catcher);
    cr_assert_eq(vm->types.n, 0);
    hm_destroy(&vm->m);
    free(vm);
}

/* ---- throwing ------------------------------------------------------------------------------------- */

Test(errors, throw_carries_class_and_message)
{
    holt_vm *vm = new_vm(1 << 20);
    buf_puts(&vm->trace, "  at stale (x.holt:1)\n");
    vm->trace_done = true;
    int st = CATCH(vm, rt_throw(vm, RT_E_ValueError, "invalid int \"%s\"", "abc"));
    cr_assert_eq(st, RT_THROWN);
    expect_error(vm, "ValueError", "invalid int \"abc\"");
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_ValueError));
    cr_assert_eq(vm->trace.len, 0);
    cr_assert_not(vm->trace_done);
    cr_assert_null(vm->catcher);
    holt_free(vm);
}

Test(errors, long_messages_are_kept_whole)
{
    holt_vm *vm = new_vm(1 << 20);
    char key[3000];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    int st = CATCH(vm, rt_throw(vm, RT_E_KeyError, "key \"%s\" not found", key));
    cr_assert_eq(st, RT_THROWN);
    gaddr msg = rt_err_message(vm, vm->exc);
    cr_assert_eq(rt_str_len(vm, msg), strlen(key) + 16);
    holt_free(vm);
}

Test(errors, nested_regions_catch_innermost_first)
{
    holt_vm *vm = new_vm(1 << 20);
    volatile int inner = -1;
    int outer = CATCH(vm, {
        inner = CATCH(vm, rt_throw(vm, RT_E_IndexError, "index %d out of range for length %d", 5, 3));
        expect_error(vm, "IndexError", "index 5 out of range for length 3");
        rt_throw_obj(vm, vm->exc);
    });
    cr_assert_eq(inner, RT_THROWN);
    cr_assert_eq(outer, RT_THROWN);
    expect_error(vm, "IndexError", "index 5 out of range for length 3");
    cr_assert_eq(rt_err_message(vm, 0), 0);
    holt_free(vm);
}

Test(errors, memory_faults_name_the_address_and_access)
{
    holt_vm *vm = new_vm(1 << 20);
    cr_assert_eq(CATCH(vm, hm_ld64(&vm->m, 8)), RT_THROWN);
    expect_error(vm, "MemoryFault", "read at 0x8: not-present");
    cr_assert_eq(CATCH(vm, hm_st8(&vm->m, 0x100000000000ull, 1)), RT_THROWN);
    expect_error(vm, "MemoryFault", "write at 0x100000000000: not-present");
    char buf[4];
    cr_assert_eq(CATCH(vm, hm_read(&vm->m, 0, buf, 4)), RT_THROWN);
    expect_error(vm, "MemoryFault", "read at 0x0: not-present");
    holt_free(vm);
}

Test(errors, throwing_outside_any_region_is_a_bug, .signal = SIGABRT)
{
    holt_vm *vm = new_vm(1 << 20);
    rt_throw(vm, RT_E_Error, "nobody catches this");
}

/* ---- strings --------------------------------------------------------------------------------------- */

Test(str, new_len_dup)
{
    holt_vm *vm = new_vm(1 << 20);
    gaddr s = rt_str_new(vm, "a\0b", 3);
    cr_assert_eq(rt_str_len(vm, s), 3);
    cr_assert_eq(hm_ld8(&vm->m, s + 24 + 3), 0); /* NUL after the bytes */
    uint64_t n;
    char *p = rt_str_dup(vm, s, &n);
    cr_assert_eq(n, 3);
    cr_assert(memcmp(p, "a\0b", 4) == 0);
    free(p);
    gaddr e = rt_str_cstr(vm, "");
    cr_assert_eq(rt_str_len(vm, e), 0);
    expect_str(vm, rt_str_cstr(vm, "hello"), "hello");
    cr_assert_eq(CATCH(vm, rt_str_len(vm, 0)), RT_THROWN);
    expect_error(vm, "NullError", "len() of null str");
    holt_free(vm);
}

Test(str, concat)
{
    holt_vm *vm = new_vm(1 << 20);
    gaddr a = rt_str_cstr(vm, "foo"), b = rt_str_cstr(vm, "bar"), e = rt_str_cstr(vm, "");
    expect_str(vm, rt_str_concat(vm, a, b), "foobar");
    expect_str(vm, rt_str_concat(vm, e, b), "bar");
    expect_str(vm, rt_str_concat(vm, a, e), "foo");
    cr_assert_eq(CATCH(vm, rt_str_concat(vm, a, 0)), RT_THROWN);
    expect_error(vm, "NullError", "+ of null str");
    cr_assert_eq(CATCH(vm, rt_str_concat(vm, 0, b)), RT_THROWN);
    expect_error(vm, "NullError", "+ of null str");
    gaddr parts[] = {a, 0, e, b};
    expect_str(vm, rt_str_concatn(vm, parts, 4), "foonullbar");
    expect_str(vm, rt_str_concatn(vm, parts, 0), "");
    holt_free(vm);
}

Test(str, equality_and_order)
{
    holt_vm *vm = new_vm(1 << 20);
    gaddr a1 = rt_str_cstr(vm, "abc"), a2 = rt_str_cstr(vm, "abc"), b = rt_str_cstr(vm, "abd");
    gaddr ab = rt_str_cstr(vm, "ab"), e = rt_str_cstr(vm, ""), hi = rt_str_cstr(vm, "\xff");
    cr_assert(rt_str_eq(vm, a1, a2));
    cr_assert(rt_str_eq(vm, a1, a1));
    cr_assert_not(rt_str_eq(vm, a1, b));
    cr_assert_not(rt_str_eq(vm, a1, ab));
    cr_assert(rt_str_eq(vm, 0, 0));
    cr_assert_not(rt_str_eq(vm, 0, e));
    cr_assert_not(rt_str_eq(vm, e, 0));
    rt_str_hash(vm, a1);
    cr_assert(rt_str_eq(vm, a1, a2)); /* one hash cached, the other not */
    cr_assert_eq(rt_str_cmp(vm, a1, a2), 0);
    cr_assert_lt(rt_str_cmp(vm, a1, b), 0);
    cr_assert_gt(rt_str_cmp(vm, b, a1), 0);
    cr_assert_lt(rt_str_cmp(vm, ab, a1), 0);
    cr_assert_gt(rt_str_cmp(vm, a1, ab), 0);
    cr_assert_lt(rt_str_cmp(vm, e, ab), 0);
    cr_assert_gt(rt_str_cmp(vm, hi, a1), 0); /* bytes compare unsigned */
    cr_assert_eq(CATCH(vm, rt_str_cmp(vm, a1, 0)), RT_THROWN);
    expect_error(vm, "NullError", "comparison of null str");
    holt_free(vm);
}

Test(str, long_strings_compare_past_one_chunk)
{
    holt_vm *vm = new_vm(1 << 20);
    char text[1000];
    memset(text, 'x', sizeof text);
    gaddr a = rt_str_new(vm, text, sizeof text);
    text[900] = 'y';
    gaddr b = rt_str_new(vm, text, sizeof text);
    gaddr c = rt_str_new(vm, text, sizeof text);
    cr_assert_not(rt_str_eq(vm, a, b));
    cr_assert(rt_str_eq(vm, b, c));
    cr_assert_lt(rt_str_cmp(vm, a, b), 0);
    cr_assert_neq(rt_str_hash(vm, a), rt_str_hash(vm, b));
    cr_assert_eq(rt_str_hash(vm, b), rt_str_hash(vm, c));
    holt_free(vm);
}

Test(str, hash_is_fnv1a_and_cached)
{
    holt_vm *vm = new_vm(1 << 20);
    gaddr s = rt_str_cstr(vm, "hello");
    cr_assert_eq(hm_ld64(&vm->m, s + 16), 0);
    cr_assert_eq(rt_str_hash(vm, s), 0xa430d84680aabd0bull);
    cr_assert_eq(hm_ld64(&vm->m, s + 16), 0xa430d84680aabd0bull);
    /* The cache is what is returned from then on. */
    hm_st64(&vm->m, s + 16, 77);
    cr_assert_eq(rt_str_hash(vm, s), 77);
    cr_assert_eq(rt_str_hash(vm, rt_str_cstr(vm, "")), 0xcbf29ce484222325ull);
    cr_assert_eq(rt_str_hash(vm, rt_str_cstr(vm, "hello")), 0xa430d84680aabd0bull);
    cr_assert_eq(rt_str_hash(vm, 0), 1);
    holt_free(vm);
}

/* ---- float formatting ----------------------------------------------------------------------------- */

/* Expected texts computed with Python's repr(). */
static const struct {
    double f;
    const char *text;
} float_cases[] = {
    {0x0.0p+0, "0.0"},
    {-0x0.0p+0, "-0.0"},
    {0x1.0000000000000p+0, "1.0"},
    {-0x1.0000000000000p+0, "-1.0"},
    {0x1.999999999999ap-4, "0.1"},
    {0x1.999999999999ap-3, "0.2"},
    {0x1.3333333333334p-2, "0.30000000000000004"},
    {0x1.5555555555555p-2, "0.3333333333333333"},
    {0x1.5555555555555p-1, "0.6666666666666666"},
    {0x1.9000000000000p+6, "100.0"},
    {0x1.1c37937e08000p+53, "1e+16"},
    {0x1.c6bf526340000p+49, "1000000000000000.0"},
    {0x1.1c37937e07fffp+53, "9999999999999998.0"},
    {0x1.c12218377de40p+46, "123456789012345.0"},
    {0x1.18b54f22aeb00p+50, "1234567890123456.0"},
    {0x1.5ee2a2eb5a5c4p+53, "1.2345678901234568e+16"},
    {0x1.f75104d551d69p-17, "1.5e-05"},
    {0x1.4f8b588e368f1p-17, "1e-05"},
    {0x1.a36e2eb1c432dp-14, "0.0001"},
    {0x1.02e4b6ce5dc68p-13, "0.00012345"},
    {0x1.a302cee759401p-14, "9.99e-05"},
    {0x1.8000000000000p+0, "1.5"},
    {0x1.4000000000000p+1, "2.5"},
    {0x1.921f9f01b866ep+1, "3.14159"},
    {0x1.921fb54442d18p+1, "3.141592653589793"},
    {0x1.5bf0a8b145769p+1, "2.718281828459045"},
    {0x1.0f0cf064dd592p+73, "1e+22"},
    {0x1.52d02c7e14af6p+76, "1e+23"},
    {0x1.249ad2594c37dp+332, "1e+100"},
    {0x1.bff2ee48e0530p-333, "1e-100"},
    {0x0.0000000000001p-1022, "5e-324"},
    {0x1.0000000000000p-1022, "2.2250738585072014e-308"},
    {0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
    {0x1.0000000000000p+53, "9007199254740992.0"},
    {0x1.0000000000001p+53, "9007199254740994.0"},
    {0x1.0000000000000p+63, "9.223372036854776e+18"},
    {0x1.0000000000000p-20, "9.5367431640625e-07"},
    {0x1.0000000000000p-1, "0.5"},
    {0x1.0000000000000p-2, "0.25"},
    {0x1.0000000000000p-3, "0.125"},
    {INFINITY, "inf"},
    {-INFINITY, "-inf"},
    {NAN, "nan"},
    {0x1.edd2f1a9fbe77p+6, "123.456"},
    {-0x1.edd2f1a9fbe77p+6, "-123.456"},
    {0x1.ad7f29abcaf48p-24, "1e-07"},
    {0x1.1666666666666p+2, "4.35"},
    {0x1.9999999999999p-1, "0.7999999999999999"},
    {0x1.b1ae4d6e2ef50p+69, "1e+21"},
    {0x0.0000000000002p-1022, "1e-323"},
    {0x1.80d43de9cc603p-31, "7e-10"},
    {0x1.1de784a000000p+28, "299792458.0"},
    {0x1.fe185ca57c517p+78, "6.02214076e+23"},
    {0x1.0000000000001p+0, "1.0000000000000002"},
    {0x1.fffffffffffffp-1, "0.9999999999999999"},
    {0x1.091b5aeffdb8ep-23, "1.2345e-07"},
    {0x1.0000000000000p+16, "65536.0"},
    {-0x1.a36e2eb1c432dp-16, "-2.5e-05"},
};

Test(format, floats_print_as_python_repr)
{
    holt_buf b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof float_cases / sizeof *float_cases; i++) {
        buf_reset(&b);
        rt_fmt_float(&b, float_cases[i].f);
        cr_assert_str_eq(b.data, float_cases[i].text, "case %zu: %a", i, float_cases[i].f);
    }
    /* Appends, does not replace. */
    buf_reset(&b);
    buf_puts(&b, "x=");
    rt_fmt_float(&b, 2.0);
    cr_assert_str_eq(b.data, "x=2.0");
    buf_free(&b);
}

Test(format, scalars)
{
    holt_vm *vm = new_vm(1 << 20);
    expect_tostr(vm, 0, "I", "0");
    expect_tostr(vm, (uint64_t)-42, "I", "-42");
    expect_tostr(vm, (uint64_t)INT64_MIN, "I", "-9223372036854775808");
    expect_tostr(vm, (uint64_t)INT64_MAX, "I", "9223372036854775807");
    expect_tostr(vm, 1, "Z", "true");
    expect_tostr(vm, 0, "Z", "false");
    expect_tostr(vm, fbits(0.1), "F", "0.1");
    expect_tostr(vm, fbits(-1e300 * 1e10), "F", "-inf");
    expect_tostr(vm, 0, "S", "null");
    expect_tostr(vm, 0, "[I", "null");
    expect_tostr(vm, 0, "{SI", "null");
    expect_tostr(vm, 0, "A", "null");
    expect_tostr(vm, 0, "(I)I", "null");
    /* A closure whose function id names no linked function prints as anonymous. */
    gaddr clo = rt_alloc(vm, rt_type_intern(vm, "(I)I"), 24);
    hm_st64(&vm->m, clo + 8, 7);
    expect_tostr(vm, clo, "(I)I", "<fn>");
    holt_free(vm);
}

Test(format, a_str_is_itself_at_the_top)
{
    holt_vm *vm = new_vm(1 << 20);
    gaddr s = rt_str_cstr(vm, "a\"b\n");
    cr_assert_eq(rt_tostr(vm, s, RT_T_STR), s);
    cr_assert_eq(rt_tostr(vm, s, RT_T_ANY), s);
    holt_free(vm);
}

Test(format, lists)
{
    holt_vm *vm = new_vm(1 << 20);
    uint64_t ints[] = {1, 2, 3};
    gaddr l123 = make_list(vm, "[I", 3, ints);
    expect_tostr(vm, l123, "[I", "[1, 2, 3]");
    expect_tostr(vm, make_list(vm, "[I", 0, NULL), "[I", "[]");
    uint64_t fl[] = {fbits(1.0), fbits(0.5), fbits(1e16)};
    expect_tostr(vm, make_list(vm, "[F", 3, fl), "[F", "[1.0, 0.5, 1e+16]");
    uint64_t bl[] = {1, 0};
    expect_tostr(vm, make_list(vm, "[Z", 2, bl), "[Z", "[true, false]");
    uint64_t strs[] = {rt_str_cstr(vm, "a\"b\n"), 0, rt_str_cstr(vm, "")};
    expect_tostr(vm, make_list(vm, "[S", 3, strs), "[S", "[\"a\\\"b\\n\", null, \"\"]");
    uint64_t inner2[] = {3};
    uint64_t nested[] = {l123, make_list(vm, "[I", 1, inner2), 0};
    expect_tostr(vm, make_list(vm, "[[I", 3, nested), "[[I", "[[1, 2, 3], [3], null]");
    holt_free(vm);
}

Test(format, escapes_inside_containers)
{
    holt_vm *vm = new_vm(1 << 20);
    static const char raw[] = "\\\t\r\0\x01\x1f\x7f\xc3\xa9 ok";
    uint64_t s[] = {rt_str_new(vm, raw, sizeof raw - 1)};
    expect_tostr(vm, make_list(vm, "[S", 1, s), "[S", "[\"\\\\\\t\\r\\0\\u{1}\\u{1f}\\u{7f}\xc3\xa9 ok\"]");
    holt_free(vm);
}

Test(format, maps_in_insertion_order)
{
    holt_vm *vm = new_vm(1 << 20);
    uint64_t keys[] = {rt_str_cstr(vm, "a"), rt_str_cstr(vm, "gone"), rt_str_cstr(vm, "b")};
    uint64_t vals[] = {1, 99, 2};
    bool dead[] = {false, true, false};
    expect_tostr(vm, make_map(vm, "{SI", 3, keys, vals, dead), "{SI", "{\"a\": 1, \"b\": 2}");
    expect_tostr(vm, make_map(vm, "{SI", 0, keys, vals, NULL), "{SI", "{}");
    uint64_t x[] = {rt_str_cstr(vm, "x")};
    uint64_t ik[] = {2, 1};
    uint64_t lv[] = {make_list(vm, "[S", 1, x), make_list(vm, "[S", 0, NULL)};
    expect_tostr(vm, make_map(vm, "{I[S", 2, ik, lv, NULL), "{I[S", "{2: [\"x\"], 1: []}");
    uint64_t bk[] = {1};
    uint64_t fv[] = {fbits(1.5)};
    expect_tostr(vm, make_map(vm, "{ZF", 1, bk, fv, NULL), "{ZF", "{true: 1.5}");
    /* A map inside a list. */
    uint64_t maps[] = {make_map(vm, "{ZF", 1, bk, fv, NULL)};
    expect_tostr(vm, make_list(vm, "[{ZF", 1, maps), "[{ZF", "[{true: 1.5}]");
    holt_free(vm);
}

Test(format, any_uses_the_dynamic_type)
{
    holt_vm *vm = new_vm(1 << 20);
    uint64_t one[] = {1};
    gaddr err = rt_alloc(vm, rt_err_type(vm, RT_E_IndexError), 16);
    uint64_t items[] = {box(vm, RT_T_INT, 1),        box(vm, RT_T_FLOAT, fbits(2.0)),
                        box(vm, RT_T_BOOL, 1),       rt_str_cstr(vm, "s"),
                        0,                           make_list(vm, "[I", 1, one),
                        err};
    expect_tostr(vm, make_list(vm, "[A", 7, items), "[A", "[1, 2.0, true, \"s\", null, [1], <IndexError>]");
    expect_tostr(vm, box(vm, RT_T_INT, (uint64_t)-5), "A", "-5");
    expect_tostr(vm, box(vm, RT_T_FLOAT, fbits(1e-05)), "A", "1e-05");
    expect_tostr(vm, err, "A", "<IndexError>");
    expect_tostr(vm, err, "LError;", "<IndexError>");
    holt_free(vm);
}

Test(format, deep_nesting_is_bounded)
{
    holt_vm *vm = new_vm(4 << 20);
    gaddr inner = make_list(vm, "[A", 0, NULL);
    for (int i = 0; i < 1100; i++) {
        uint64_t item[] = {inner};
        inner = make_list(vm, "[A", 1, item);
    }
    volatile gaddr s = 0;
    cr_assert_eq(CATCH(vm, s = rt_tostr(vm, inner, rt_type_intern(vm, "[A"))), RT_OK);
    uint64_t n;
    char *text = rt_str_dup(vm, s, &n);
    cr_assert_eq(n, 1001 + 3 + 1001);
    for (int i = 0; i < 1001; i++)
        cr_assert_eq(text[i], '[');
    cr_assert(memcmp(text + 1001, "...", 3) == 0);
    cr_assert_eq(text[n - 1], ']');
    free(text);
    holt_free(vm);
}

Test(format, containers_holding_themselves)
{
    holt_vm *vm = new_vm(1 << 20);
    uint64_t two[] = {0, 0};
    gaddr l = make_list(vm, "[A", 2, two);
    gaddr items = hm_ld64(&vm->m, l + RT_LIST_ITEMS);
    hm_st64(&vm->m, items + RT_ARRAY_SLOTS, l);
    hm_st64(&vm->m, items + RT_ARRAY_SLOTS + 8, l);
    expect_tostr(vm, l, "[A", "[[...], [...]]");
    uint64_t k[] = {rt_str_cstr(vm, "me")}, v[] = {0};
    gaddr m = make_map(vm, "{SA", 1, k, v, NULL);
    gaddr entries = hm_ld64(&vm->m, m + RT_MAP_ENTRIES);
    hm_st64(&vm->m, entries + RT_ARRAY_SLOTS + 16, m);
    expect_tostr(vm, m, "{SA", "{\"me\": {...}}");
    holt_free(vm);
}

Test(format, a_broken_reference_faults_without_leaking)
{
    holt_vm *vm = new_vm(1 << 20);
    uint64_t bad[] = {0x40};
    int st = CATCH(vm, rt_tostr(vm, make_list(vm, "[S", 1, bad), rt_type_intern(vm, "[S")));
    cr_assert_eq(st, RT_THROWN);
    expect_error(vm, "MemoryFault", "read at 0x48: not-present");
    holt_free(vm);
}

/* ---- standard streams -------------------------------------------------------------------------- */

typedef struct {
    holt_buf out[3];              /* bytes per fd */
    holt_buf events;              /* "fd:len " per trap, in order */
    int calls;
    int64_t fail;                 /* when non-zero, every write returns it */
} capture;

static int64_t capture_write(hmachine *m, void *ctx, const uint64_t a[4])
{
    capture *c = ctx;
    c->calls++;
    if (c->fail)
        return c->fail;
    char *tmp = malloc(a[2] + 1);
    hm_read(m, a[1], tmp, a[2]);
    buf_put(&c->out[a[0]], tmp, a[2]);
    free(tmp);
    buf_printf(&c->events, "%d:%d ", (int)a[0], (int)a[2]);
    return (int64_t)a[2];
}

static void capture_init(holt_vm *vm, capture *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 3; i++)
        buf_init(&c->out[i]);
    buf_init(&c->events);
    trap_set(&vm->m, TRAP_WRITE, capture_write, c);
}

static void capture_free(capture *c)
{
    for (int i = 0; i < 3; i++)
        buf_free(&c->out[i]);
    buf_free(&c->events);
}

Test(stream, stdout_is_buffered_until_flush_or_full)
{
    holt_vm *vm = new_vm(1 << 20);
    capture c;
    capture_init(vm, &c);
    rt_out_write(vm, 1, "hello ", 6);
    rt_out_write(vm, 1, "world\n", 6);
    cr_assert_eq(c.calls, 0);
    rt_out_flush(vm);
    cr_assert_eq(c.calls, 1);
    cr_assert_str_eq(c.out[1].data, "hello world\n");
    rt_out_flush(vm);
    cr_assert_eq(c.calls, 1); /* nothing left: no trap */

    static char big[20000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    rt_out_write(vm, 1, big, sizeof big);
    cr_assert_eq(c.calls, 3); /* two full buffers went out on the way */
    rt_out_flush(vm);
    cr_assert_eq(c.out[1].len, 12 + sizeof big);
    cr_assert(memcmp(c.out[1].data + 12, big, sizeof big) == 0);
    cr_assert_eq(vm->m.trap_counts[TRAP_WRITE], 4);
    capture_free(&c);
    holt_free(vm);
}

Test(stream, stderr_flushes_stdout_first)
{
    holt_vm *vm = new_vm(1 << 20);
    capture c;
    capture_init(vm, &c);
    rt_out_write(vm, 1, "out", 3);
    rt_out_write(vm, 2, "err", 3);
    cr_assert_str_eq(c.events.data, "1:3 2:3 ");
    static char big[10000];
    memset(big, 'e', sizeof big);
    rt_out_write(vm, 2, big, sizeof big);
    cr_assert_eq(c.out[2].len, 3 + sizeof big);
    rt_out_write(vm, 7, "nowhere", 7); /* no such stream: ignored */
    rt_out_flush(vm);
    cr_assert_eq(c.out[1].len, 3);
    capture_free(&c);
    holt_free(vm);
}

Test(stream, a_refused_write_drops_the_bytes)
{
    holt_vm *vm = new_vm(1 << 20);
    capture c;
    capture_init(vm, &c);
    c.fail = -EPIPE;
    rt_out_write(vm, 1, "lost", 4);
    rt_out_flush(vm);
    cr_assert_eq(vm->outlen, 0);
    c.fail = 0;
    rt_out_write(vm, 1, "kept", 4);
    rt_out_flush(vm);
    cr_assert_str_eq(c.out[1].data, "kept");
    capture_free(&c);
    holt_free(vm);
}

Test(stream, exit_flushes_and_unwinds)
{
    holt_vm *vm = new_vm(1 << 20);
    capture c;
    capture_init(vm, &c);
    rt_out_write(vm, 1, "bye\n", 4);
    int st = CATCH(vm, rt_exit(vm, 3));
    cr_assert_eq(st, RT_EXITED);
    cr_assert_eq(vm->m.exit_status, 3);
    cr_assert(vm->m.exit_requested);
    cr_assert_eq(vm->m.trap_counts[TRAP_EXIT], 1);
    cr_assert_str_eq(c.out[1].data, "bye\n");
    capture_free(&c);
    holt_free(vm);
}

typedef struct {
    const char *data;
    size_t len, pos;
    size_t step;                  /* bytes handed out per read, at most */
    int reads;
} feeder;

static int64_t feed_read(hmachine *m, void *ctx, const uint64_t a[4])
{
    feeder *f = ctx;
    f->reads++;
    size_t n = f->len - f->pos;
    if (n > f->step)
        n = f->step;
    if (n > a[2])
        n = a[2];
    hm_write(m, a[1], f->data + f->pos, n);
    f->pos += n;
    return (int64_t)n;
}

static void expect_line(holt_vm *vm, const char *want)
{
    volatile gaddr s = 0;
    cr_assert_eq(CATCH(vm, s = rt_in_line(vm)), RT_OK);
    if (!want)
        cr_assert_eq(s, 0, "expected end of input");
    else
        expect_str(vm, s, want);
}

Test(stream, lines_without_their_newlines)
{
    for (size_t step = 1; step <= 9; step += 4) {
        holt_vm *vm = new_vm(1 << 20);
        static const char input[] = "ab\r\ncd\n\nx\ry\nlast";
        feeder f = {input, sizeof input - 1, 0, step, 0};
        trap_set(&vm->m, TRAP_READ, feed_read, &f);
        expect_line(vm, "ab");
        expect_line(vm, "cd");
        expect_line(vm, "");
        expect_line(vm, "x\ry");
        expect_line(vm, "last");
        expect_line(vm, NULL);
        int reads = f.reads;
        expect_line(vm, NULL);
        cr_assert_eq(f.reads, reads); /* end of input is remembered */
        holt_free(vm);
    }
}

Test(stream, lines_longer_than_the_buffer)
{
    holt_vm *vm = new_vm(1 << 20);
    static char input[50000];
    memset(input, 'q', 30000);
    input[30000] = '\n';
    memcpy(input + 30001, "tail\n", 5);
    feeder f = {input, 30006, 0, 1 << 20, 0};
    trap_set(&vm->m, TRAP_READ, feed_read, &f);
    gaddr s = rt_in_line(vm);
    cr_assert_eq(rt_str_len(vm, s), 30000);
    cr_assert_eq(hm_ld8(&vm->m, s + 24 + 29999), 'q');
    expect_line(vm, "tail");
    expect_line(vm, NULL);
    holt_free(vm);
}

Test(stream, reading_flushes_stdout_first)
{
    holt_vm *vm = new_vm(1 << 20);
    capture c;
    capture_init(vm, &c);
    feeder f = {"", 0, 0, 10, 0};
    trap_set(&vm->m, TRAP_READ, feed_read, &f);
    rt_out_write(vm, 1, "name? ", 6);
    expect_line(vm, NULL);
    cr_assert_str_eq(c.out[1].data, "name? ");
    capture_free(&c);
    holt_free(vm);
}

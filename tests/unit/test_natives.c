/* test_natives.c — lists, maps and the native functions (runtime/list.c, map.c, natives.c,
 * lib_str.c, lib_list.c, lib_map.c, lib_math.c).
 *
 * Each test sets up a VM by hand (machine, then runtime), with the WRITE and READ traps
 * replaced so that output is captured and input is fed from a string. Natives are called
 * through rt_native_find with an instantiated descriptor, exactly as the linker binds them,
 * and every call that may throw runs inside an rt_catch. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natives_int.h"

/* ---- a VM by hand ------------------------------------------------------------------------- */

static holt_vm *vm;
static holt_buf out;              /* what the program wrote to fd 1 */
static const char *feed;          /* what input() reads */
static size_t feed_pos;
static char *test_argv[] = {"alpha", "", "ünï", NULL};

static int64_t capture_write(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx;
    char *tmp = malloc(a[2] ? a[2] : 1);
    hm_read(m, a[1], tmp, a[2]);
    if (a[0] == 1)
        buf_put(&out, tmp, a[2]);
    free(tmp);
    return (int64_t)a[2];
}

static int64_t feed_read(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx;
    size_t left = feed ? strlen(feed) - feed_pos : 0;
    size_t n = left < a[2] ? left : a[2];
    if (n)
        hm_write(m, a[1], feed + feed_pos, n);
    feed_pos += n;
    return (int64_t)n;
}

static void setup(void)
{
    vm = calloc(1, sizeof *vm);
    vm->cfg.mem_bytes = 64u << 20;
    vm->cfg.stack_slots = 1u << 16;
    vm->cfg.max_frames = 1000;
    buf_init(&vm->trace);
    buf_init(&out);
    cr_assert_eq(hm_init(&vm->m, &(hm_config){.mem_bytes = vm->cfg.mem_bytes}), 0);
    trap_set(&vm->m, TRAP_WRITE, capture_write, NULL);
    trap_set(&vm->m, TRAP_READ, feed_read, NULL);
    cr_assert_eq(rt_init(vm), 0);
    vm->argc = 3;
    vm->argv = test_argv;
}

static void teardown(void)
{
    rt_destroy(vm);
    hm_destroy(&vm->m);
    buf_free(&vm->trace);
    buf_free(&out);
    free(vm);
}

TestSuite(natives, .init = setup, .fini = teardown);

/* Run a statement in a protected region; the status (RT_OK, RT_THROWN, RT_EXITED). */
#define TRY(stmt)                                                                              \
    ({                                                                                         \
        rt_catch c_ = {.prev = vm->catcher};                                                   \
        vm->catcher = &c_;                                                                     \
        if (setjmp(c_.jb) == 0) {                                                              \
            stmt;                                                                              \
        }                                                                                      \
        vm->catcher = c_.prev;                                                                 \
        c_.status;                                                                             \
    })

/* The statement must throw an error of class `kind` whose message is exactly `msg`. */
#define THROWS(kind, msg, stmt)                                                                \
    do {                                                                                       \
        int st_ = TRY(stmt);                                                                   \
        cr_assert_eq(st_, RT_THROWN, "line %d: expected a throw", __LINE__);                   \
        check_error(kind, msg, __LINE__);                                                      \
    } while (0)

#define OK(stmt) cr_assert_eq(TRY(stmt), RT_OK, "line %d: threw %s", __LINE__, last_message())

static char msgbuf[1024];

static const char *last_message(void)
{
    gaddr m = vm->exc ? rt_err_message(vm, vm->exc) : 0;
    if (!m)
        return "(no message)";
    char *t = rt_str_dup(vm, m, NULL);
    snprintf(msgbuf, sizeof msgbuf, "%s", t);
    free(t);
    return msgbuf;
}

static void check_error(rt_err kind, const char *msg, int line)
{
    cr_assert_neq(vm->exc, 0);
    rt_typeid t = rt_obj_type(vm, vm->exc);
    cr_assert_eq(t, rt_err_type(vm, kind), "line %d: error class: expected %s, found %s", line,
                 rt_type_get(vm, rt_err_type(vm, kind))->name, rt_type_get(vm, t)->name);
    cr_assert_str_eq(last_message(), msg, "line %d", line);
}

/* Call native `name` with instantiated descriptor `desc`, as a CALLN site would. */
static uint64_t call_native(const char *name, const char *desc, uint64_t *args)
{
    const rt_native *n = rt_native_find(name, desc);
    cr_assert_not_null(n, "no native %s %s", name, desc);
    rt_typeid ret = rt_type_intern(vm, strchr(desc, ')') + 1);
    cr_assert_neq(ret, RT_T_NONE, "bad result type in %s", desc);
    return n->fn(vm, args, ret);
}

#define NAT(name, desc, ...) call_native(name, desc, (uint64_t[]){__VA_ARGS__})

static gaddr S(const char *s)
{
    return rt_str_cstr(vm, s);
}

static gaddr SN(const char *s, uint64_t n)
{
    return rt_str_new(vm, s, n);
}

/* The str equals the n bytes at want. */
static void str_is_n(gaddr s, const char *want, uint64_t n, int line)
{
    cr_assert_neq(s, 0, "line %d: null str", line);
    uint64_t len;
    char *t = rt_str_dup(vm, s, &len);
    cr_assert(len == n && memcmp(t, want, n) == 0, "line %d: got \"%s\" (%llu bytes), want \"%s\"", line, t,
              (unsigned long long)len, want);
    free(t);
}
#define STR_IS(s, want) str_is_n((s), (want), strlen(want), __LINE__)

static double F(uint64_t bits)
{
    return rt_f_of(bits);
}

static uint64_t FB(double d)
{
    return rt_bits_of(d);
}

static rt_typeid T(const char *desc)
{
    rt_typeid t = rt_type_intern(vm, desc);
    cr_assert_neq(t, RT_T_NONE, "%s", desc);
    return t;
}

static gaddr ints(size_t n, const int64_t *v)
{
    gaddr l = rt_list_new(vm, T("[I"), 0);
    for (size_t i = 0; i < n; i++)
        rt_list_push(vm, l, (uint64_t)v[i]);
    return l;
}
#define INTS(...) ints(sizeof((int64_t[]){__VA_ARGS__}) / 8, (int64_t[]){__VA_ARGS__})

static gaddr floats(int n, const double *v)
{
    gaddr l = rt_list_new(vm, T("[F"), 0);
    for (int i = 0; i < n; i++)
        rt_list_push(vm, l, FB(v[i]));
    return l;
}

static gaddr strs(int n, const char *const *v)
{
    gaddr l = rt_list_new(vm, T("[S"), 0);
    for (int i = 0; i < n; i++)
        rt_list_push(vm, l, v[i] ? S(v[i]) : 0);
    return l;
}
#define STRS(...) strs(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *), (const char *[]){__VA_ARGS__})

/* str() of a value, as the program would print it. */
static void shows(uint64_t v, const char *desc, const char *want, int line)
{
    gaddr s = rt_tostr(vm, v, T(desc));
    char *t = rt_str_dup(vm, s, NULL);
    cr_assert_str_eq(t, want, "line %d", line);
    free(t);
}
#define SHOWS(v, desc, want) shows((v), (desc), (want), __LINE__)

static uint64_t mods(gaddr obj, uint64_t off)
{
    return hm_ld64(&vm->m, obj + off);
}

/* ---- the table ------------------------------------------------------------------------------ */

Test(natives, table_matches_def_and_finds_by_signature)
{
    uint32_t n = 0;
#define NATIVE(cname, name, sig) n++;
#include "natives.def"
#undef NATIVE
    cr_assert_eq(rt_nnatives, n);
    for (uint32_t i = 0; i < rt_nnatives; i++) {
        cr_assert_not_null(rt_natives[i].fn);
        cr_assert_not_null(rt_natives[i].name);
    }
    cr_assert_eq(rt_native_find("math.abs", "(I)I")->fn, rt_n_math_abs_i);
    cr_assert_eq(rt_native_find("math.abs", "(F)F")->fn, rt_n_math_abs_f);
    cr_assert_eq(rt_native_find("math.max", "(FF)F")->fn, rt_n_math_max_f);
    cr_assert_eq(rt_native_find("list.push", "([II)V")->fn, rt_n_list_push);
    cr_assert_eq(rt_native_find("list.push", "([[SS)V"), NULL, "T bound twice differently");
    cr_assert_eq(rt_native_find("list.push", "([[S[S)V")->fn, rt_n_list_push);
    cr_assert_eq(rt_native_find("map.get", "({SISI)I")->fn, rt_n_map_get);
    cr_assert_eq(rt_native_find("map.get", "({SIIS)I"), NULL);
    cr_assert_eq(rt_native_find("list.join", "([SS)S")->fn, rt_n_list_join);
    cr_assert_eq(rt_native_find("list.join", "([IS)S"), NULL);
    cr_assert_eq(rt_native_find("str.nope", "(S)I"), NULL);
    cr_assert_eq(rt_native_find("print", "(I)V"), NULL);
    cr_assert_eq(rt_native_find(NULL, "(S)V"), NULL);
}

/* ---- lists: the core ------------------------------------------------------------------------ */

Test(natives, list_push_get_set_and_growth)
{
    gaddr l = rt_list_new(vm, T("[I"), 0);
    cr_assert_eq(hm_ld64(&vm->m, l + RT_LIST_ITEMS), 0, "no store while cap is 0");
    cr_assert_eq(rt_list_len(vm, l), 0);
    for (int64_t i = 0; i < 1000; i++) {
        rt_list_push(vm, l, (uint64_t)(i * i));
        uint64_t len = hm_ld64(&vm->m, l + RT_LIST_LEN), cap = hm_ld64(&vm->m, l + RT_LIST_CAP);
        cr_assert_eq(len, (uint64_t)i + 1);
        cr_assert(cap >= len && cap <= 2 * len + 4, "cap %llu for len %llu", (unsigned long long)cap,
                  (unsigned long long)len);
        gaddr items = hm_ld64(&vm->m, l + RT_LIST_ITEMS);
        cr_assert_eq(hm_ld64(&vm->m, items + 8), cap, "the ARRAY records its capacity");
    }
    cr_assert_eq(mods(l, RT_LIST_MODS), 1000, "every push bumps mods");
    for (int64_t i = 0; i < 1000; i++)
        cr_assert_eq(rt_list_get(vm, l, i), (uint64_t)(i * i));
    rt_list_set(vm, l, 999, 7);
    cr_assert_eq(rt_list_get(vm, l, 999), 7);
    cr_assert_eq(mods(l, RT_LIST_MODS), 1000, "element assignment does not bump mods");

    gaddr pre = rt_list_new(vm, T("[I"), 5);
    cr_assert_eq(hm_ld64(&vm->m, pre + RT_LIST_CAP), 5);
    cr_assert_eq(rt_list_len(vm, pre), 0);
}

Test(natives, list_backing_store_type_follows_the_element_type)
{
    struct { const char *desc; rt_typeid array; } cases[] = {
        {"[I", RT_T_ARRAY_RAW}, {"[F", RT_T_ARRAY_RAW}, {"[Z", RT_T_ARRAY_RAW},
        {"[S", RT_T_ARRAY_REF}, {"[[I", RT_T_ARRAY_REF}, {"[{SI", RT_T_ARRAY_REF},
        {"[A", RT_T_ARRAY_REF},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gaddr l = rt_list_new(vm, T(cases[i].desc), 2);
        cr_assert_eq(rt_obj_type(vm, hm_ld64(&vm->m, l + RT_LIST_ITEMS)), cases[i].array, "%s",
            cases[i].desc);
        cr_assert_eq(rt_obj_type(vm, l), T(cases[i].desc));
        /* Growth keeps the kind of store. */
        for (int k = 0; k < 9; k++)
            rt_list_push(vm, l, 0);
        cr_assert_eq(rt_obj_type(vm, hm_ld64(&vm->m, l + RT_LIST_ITEMS)), cases[i].array, "%s",
            cases[i].desc);
    }
}

Test(natives, list_index_errors)
{
    gaddr l = INTS(1, 2, 3);
    THROWS(RT_E_IndexError, "index 5 out of range for length 3", rt_list_get(vm, l, 5));
    THROWS(RT_E_IndexError, "index 3 out of range for length 3", rt_list_get(vm, l, 3));
    THROWS(RT_E_IndexError, "index -1 out of range for length 3", rt_list_get(vm, l, -1));
    THROWS(RT_E_IndexError, "index -9223372036854775808 out of range for length 3",
           rt_list_get(vm, l, INT64_MIN));
    THROWS(RT_E_IndexError, "index 3 out of range for length 3", rt_list_set(vm, l, 3, 0));
    THROWS(RT_E_IndexError, "index -2 out of range for length 3", rt_list_set(vm, l, -2, 0));
    gaddr e = rt_list_new(vm, T("[S"), 4);
    THROWS(RT_E_IndexError, "index 0 out of range for length 0", rt_list_get(vm, e, 0));
    THROWS(RT_E_NullError, "index of null list", rt_list_get(vm, 0, 0));
    THROWS(RT_E_NullError, "index assignment of null list", rt_list_set(vm, 0, 0, 1));
    THROWS(RT_E_NullError, "push() of null list", rt_list_push(vm, 0, 1));
    THROWS(RT_E_NullError, "len() of null list", rt_list_len(vm, 0));
    cr_assert_eq(rt_list_len(vm, l), 3, "failed accesses change nothing");
}

/* ---- lists: the methods ----------------------------------------------------------------------- */

Test(natives, list_len_push_pop)
{
    gaddr l = INTS(4, 5);
    cr_assert_eq(NAT("list.len", "([I)I", l), 2);
    NAT("list.push", "([II)V", l, 6);
    SHOWS(l, "[I", "[4, 5, 6]");
    uint64_t m0 = mods(l, RT_LIST_MODS);
    cr_assert_eq(NAT("list.pop", "([I)I", l), 6);
    cr_assert_eq(mods(l, RT_LIST_MODS), m0 + 1);
    gaddr items = hm_ld64(&vm->m, l + RT_LIST_ITEMS);
    cr_assert_eq(hm_ld64(&vm->m, items + RT_ARRAY_SLOTS + 16), 0, "the vacated slot is cleared");
    cr_assert_eq(NAT("list.pop", "([I)I", l), 5);
    cr_assert_eq(NAT("list.pop", "([I)I", l), 4);
    THROWS(RT_E_IndexError, "pop from empty list", NAT("list.pop", "([I)I", l));
    THROWS(RT_E_NullError, "len() of null list", NAT("list.len", "([I)I", 0));
    THROWS(RT_E_NullError, "push() of null list", NAT("list.push", "([II)V", 0, 1));
    THROWS(RT_E_NullError, "pop() of null list", NAT("list.pop", "([I)I", 0));

    gaddr fl = floats(1, (double[]){2.5});
    cr_assert_eq(F(NAT("list.pop", "([F)F", fl)), 2.5);
}

Test(natives, list_insert_and_remove_at)
{
    gaddr l = INTS(1, 2, 3);
    uint64_t m0 = mods(l, RT_LIST_MODS);
    NAT("list.insert", "([III)V", l, 0, 0);
    NAT("list.insert", "([III)V", l, 2, 9);
    NAT("list.insert", "([III)V", l, 5, 4);
    SHOWS(l, "[I", "[0, 1, 9, 2, 3, 4]");
    cr_assert_eq(mods(l, RT_LIST_MODS), m0 + 3);
    THROWS(RT_E_IndexError, "index 7 out of range for length 6", NAT("list.insert", "([III)V", l, 7, 0));
    THROWS(RT_E_IndexError, "index -1 out of range for length 6", NAT("list.insert", "([III)V", l, -1, 0));
    cr_assert_eq(NAT("list.remove_at", "([II)I", l, 2), 9);
    cr_assert_eq(NAT("list.remove_at", "([II)I", l, 0), 0);
    cr_assert_eq(NAT("list.remove_at", "([II)I", l, 3), 4);
    SHOWS(l, "[I", "[1, 2, 3]");
    cr_assert_eq(mods(l, RT_LIST_MODS), m0 + 6);
    gaddr items = hm_ld64(&vm->m, l + RT_LIST_ITEMS);
    cr_assert_eq(hm_ld64(&vm->m, items + RT_ARRAY_SLOTS + 24), 0, "slots past len are cleared");
    THROWS(RT_E_IndexError, "index 3 out of range for length 3", NAT("list.remove_at", "([II)I", l, 3));
    THROWS(RT_E_IndexError, "index -1 out of range for length 3", NAT("list.remove_at", "([II)I", l, -1));
    THROWS(RT_E_NullError, "insert() of null list", NAT("list.insert", "([III)V", 0, 0, 0));
    THROWS(RT_E_NullError, "remove_at() of null list", NAT("list.remove_at", "([II)I", 0, 0));

    /* Inserting into an empty list with no store, and growing by inserts. */
    gaddr e = rt_list_new(vm, T("[S"), 0);
    for (int i = 0; i < 20; i++)
        NAT("list.insert", "([SIS)V", e, 0, S(i % 2 ? "odd" : "even"));
    cr_assert_eq(rt_list_len(vm, e), 20);
    STR_IS(rt_list_get(vm, e, 0), "odd");
    STR_IS(rt_list_get(vm, e, 19), "even");
}

Test(natives, list_clear_and_reverse)
{
    gaddr l = INTS(1, 2, 3, 4);
    uint64_t m0 = mods(l, RT_LIST_MODS);
    NAT("list.reverse", "([I)V", l);
    SHOWS(l, "[I", "[4, 3, 2, 1]");
    cr_assert_eq(mods(l, RT_LIST_MODS), m0 + 1);
    gaddr odd = INTS(1, 2, 3);
    NAT("list.reverse", "([I)V", odd);
    SHOWS(odd, "[I", "[3, 2, 1]");
    gaddr empty = rt_list_new(vm, T("[I"), 0);
    NAT("list.reverse", "([I)V", empty);
    SHOWS(empty, "[I", "[]");
    NAT("list.clear", "([I)V", l);
    cr_assert_eq(rt_list_len(vm, l), 0);
    cr_assert_eq(mods(l, RT_LIST_MODS), m0 + 2);
    gaddr items = hm_ld64(&vm->m, l + RT_LIST_ITEMS);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(hm_ld64(&vm->m, items + RT_ARRAY_SLOTS + 8 * i), 0);
    NAT("list.push", "([II)V", l, 5);
    SHOWS(l, "[I", "[5]");
    THROWS(RT_E_NullError, "clear() of null list", NAT("list.clear", "([I)V", 0));
    THROWS(RT_E_NullError, "reverse() of null list", NAT("list.reverse", "([I)V", 0));
}

Test(natives, list_contains_and_index_of_by_element_type)
{
    gaddr l = INTS(5, 3, 8, 3);
    cr_assert_eq(NAT("list.contains", "([II)Z", l, 8), 1);
    cr_assert_eq(NAT("list.contains", "([II)Z", l, 4), 0);
    cr_assert_eq((int64_t)NAT("list.index_of", "([II)I", l, 3), 1);
    cr_assert_eq((int64_t)NAT("list.index_of", "([II)I", l, 7), -1);

    /* Floats compare as doubles: -0.0 finds 0.0, nan finds nothing. */
    gaddr f = floats(3, (double[]){1.5, 0.0, NAN});
    cr_assert_eq((int64_t)NAT("list.index_of", "([FF)I", f, FB(-0.0)), 1);
    cr_assert_eq((int64_t)NAT("list.index_of", "([FF)I", f, FB(NAN)), -1);
    cr_assert_eq(NAT("list.contains", "([FF)Z", f, FB(1.5)), 1);

    /* Strs compare by contents; null finds null. */
    gaddr s = STRS("a", "bc", NULL);
    cr_assert_eq((int64_t)NAT("list.index_of", "([SS)I", s, S("bc")), 1);
    cr_assert_eq((int64_t)NAT("list.index_of", "([SS)I", s, 0), 2);
    cr_assert_eq(NAT("list.contains", "([SS)Z", s, S("b")), 0);

    gaddr b = rt_list_new(vm, T("[Z"), 0);
    rt_list_push(vm, b, 0);
    rt_list_push(vm, b, 1);
    cr_assert_eq((int64_t)NAT("list.index_of", "([ZZ)I", b, 1), 1);

    /* Other references by identity. */
    gaddr inner = INTS(1), twin = INTS(1);
    gaddr nested = rt_list_new(vm, T("[[I"), 0);
    rt_list_push(vm, nested, inner);
    cr_assert_eq(NAT("list.contains", "([[I[I)Z", nested, inner), 1);
    cr_assert_eq(NAT("list.contains", "([[I[I)Z", nested, twin), 0);

    THROWS(RT_E_NullError, "contains() of null list", NAT("list.contains", "([II)Z", 0, 1));
    THROWS(RT_E_NullError, "index_of() of null list", NAT("list.index_of", "([II)I", 0, 1));
}

Test(natives, list_slice_and_copy)
{
    gaddr l = INTS(0, 1, 2, 3, 4);
    gaddr s = NAT("list.slice", "([III)[I", l, 1, 3);
    SHOWS(s, "[I", "[1, 2]");
    cr_assert_eq(rt_obj_type(vm, s), T("[I"));
    SHOWS(NAT("list.slice", "([III)[I", l, 0, 5), "[I", "[0, 1, 2, 3, 4]");
    SHOWS(NAT("list.slice", "([III)[I", l, 2, 2), "[I", "[]");
    SHOWS(NAT("list.slice", "([III)[I", l, 5, 5), "[I", "[]");
    rt_list_set(vm, s, 0, 99);
    SHOWS(l, "[I", "[0, 1, 2, 3, 4]");
    THROWS(RT_E_IndexError, "slice(3, 2) out of range for length 5", NAT("list.slice", "([III)[I", l, 3, 2));
    THROWS(RT_E_IndexError, "slice(-1, 2) out of range for length 5",
        NAT("list.slice", "([III)[I", l, -1, 2));
    THROWS(RT_E_IndexError, "slice(0, 6) out of range for length 5", NAT("list.slice", "([III)[I", l, 0, 6));
    THROWS(RT_E_NullError, "slice() of null list", NAT("list.slice", "([III)[I", 0, 0, 0));

    gaddr c = NAT("list.copy", "([I)[I", l);
    cr_assert_neq(c, l);
    NAT("list.push", "([II)V", c, 5);
    cr_assert_eq(rt_list_len(vm, l), 5);
    SHOWS(c, "[I", "[0, 1, 2, 3, 4, 5]");
    gaddr ss = STRS("x", NULL);
    gaddr sc = NAT("list.copy", "([S)[S", ss);
    cr_assert_eq(rt_obj_type(vm, sc), T("[S"));
    cr_assert_eq(rt_obj_type(vm, hm_ld64(&vm->m, sc + RT_LIST_ITEMS)), RT_T_ARRAY_REF);
    SHOWS(sc, "[S", "[\"x\", null]");
    gaddr ec = NAT("list.copy", "([S)[S", rt_list_new(vm, T("[S"), 0));
    cr_assert_eq(rt_list_len(vm, ec), 0);
    THROWS(RT_E_NullError, "copy() of null list", NAT("list.copy", "([I)[I", 0));
}

Test(natives, list_sort_ints)
{
    gaddr l = INTS(5, -3, 0, INT64_MIN, INT64_MAX, -1);
    uint64_t m0 = mods(l, RT_LIST_MODS);
    NAT("list.sort", "([I)V", l);
    SHOWS(l, "[I", "[-9223372036854775808, -3, -1, 0, 5, 9223372036854775807]");
    cr_assert_eq(mods(l, RT_LIST_MODS), m0 + 1);
    gaddr e = rt_list_new(vm, T("[I"), 0);
    NAT("list.sort", "([I)V", e);
    SHOWS(e, "[I", "[]");
    THROWS(RT_E_NullError, "sort() of null list", NAT("list.sort", "([I)V", 0));

    /* Many pseudo-random values, with duplicates, against a simple check. */
    gaddr big = rt_list_new(vm, T("[I"), 0);
    uint64_t seed = 12345, sum = 0;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int64_t v = (int64_t)(seed >> 40) % 5000 - 2500;
        sum += (uint64_t)v;
        rt_list_push(vm, big, (uint64_t)v);
    }
    NAT("list.sort", "([I)V", big);
    uint64_t sum2 = 0;
    for (int i = 0; i < 20000; i++) {
        sum2 += rt_list_get(vm, big, i);
        if (i)
            cr_assert((int64_t)rt_list_get(vm, big, i - 1) <= (int64_t)rt_list_get(vm, big, i));
    }
    cr_assert_eq(sum, sum2, "sorting keeps every element");
}

Test(natives, list_sort_floats_nan_last_and_stable)
{
    gaddr l = floats(6, (double[]){2.5, NAN, -1.0, INFINITY, -INFINITY, 0.5});
    NAT("list.sort", "([F)V", l);
    SHOWS(l, "[F", "[-inf, -1.0, 0.5, 2.5, inf, nan]");
    /* 0.0 and -0.0 are equal: a stable sort keeps their order. */
    gaddr z = floats(5, (double[]){0.0, -0.0, -1.0, 0.0, -0.0});
    NAT("list.sort", "([F)V", z);
    SHOWS(z, "[F", "[-1.0, 0.0, -0.0, 0.0, -0.0]");
    /* Stability over runs longer than the insertion-sort cutoff: every fourth element is a
     * zero, alternately 0.0 and -0.0, among descending numbers; the zeros must come first in
     * their original order. */
    double v[100];
    for (int i = 0; i < 100; i++)
        v[i] = i % 4 ? (double)(100 - i) : i % 8 ? -0.0 : 0.0;
    gaddr zz = floats(100, v);
    NAT("list.sort", "([F)V", zz);
    for (int i = 0; i < 25; i++)
        cr_assert_eq(signbit(F(rt_list_get(vm, zz, i))) != 0, i % 2, "zero %d moved", i);
    for (int i = 26; i < 100; i++)
        cr_assert(F(rt_list_get(vm, zz, i - 1)) < F(rt_list_get(vm, zz, i)));
}

Test(natives, list_sort_strs_by_bytes)
{
    gaddr l = STRS("pear", "Apple", "apple", "banana", "", "ap", "\xc3\xa9", "b\0");
    NAT("list.sort", "([S)V", l);
    SHOWS(l, "[S", "[\"\", \"Apple\", \"ap\", \"apple\", \"b\", \"banana\", \"pear\", \"é\"]");
    gaddr n = STRS("b", NULL, "a");
    THROWS(RT_E_NullError, "sort() of a list holding null at index 1", NAT("list.sort", "([S)V", n));
    /* Long strs that differ only late. */
    char a[300], b[300];
    memset(a, 'x', sizeof a);
    memset(b, 'x', sizeof b);
    a[299] = b[298] = 0;
    b[297] = 'a';
    gaddr ll = STRS(a, b);
    NAT("list.sort", "([S)V", ll);
    cr_assert_eq(rt_str_len(vm, rt_list_get(vm, ll, 0)), 298);
}

Test(natives, list_join)
{
    STR_IS(NAT("list.join", "([SS)S", STRS("a", "b", "c"), S(", ")), "a, b, c");
    STR_IS(NAT("list.join", "([SS)S", STRS("solo"), S("-")), "solo");
    STR_IS(NAT("list.join", "([SS)S", rt_list_new(vm, T("[S"), 0), S(",")), "");
    STR_IS(NAT("list.join", "([SS)S", STRS("x", "", "y"), S("")), "xy");
    STR_IS(NAT("list.join", "([SS)S", STRS("a", NULL, "b"), S("+")), "a+null+b");
    THROWS(RT_E_NullError, "join() of null list", NAT("list.join", "([SS)S", 0, S(",")));
    THROWS(RT_E_NullError, "join() with a null str argument", NAT("list.join", "([SS)S", STRS("a"), 0));
}

/* ---- maps: the core ----------------------------------------------------------------------------- */

/* Check a map's structural invariants and that it holds exactly keys[i] -> vals[i] in order. */
static void check_map(gaddr m, const uint64_t *keys, const uint64_t *vals, uint64_t n, int line)
{
    hmachine *hm = &vm->m;
    uint64_t count = hm_ld64(hm, m + RT_MAP_COUNT), used = hm_ld64(hm, m + RT_MAP_USED);
    uint64_t cap = hm_ld64(hm, m + RT_MAP_CAP);
    cr_assert_eq(count, n, "line %d: count", line);
    cr_assert(count <= used && used <= cap, "line %d: count %llu used %llu cap %llu", line,
              (unsigned long long)count, (unsigned long long)used, (unsigned long long)cap);
    gaddr index = hm_ld64(hm, m + RT_MAP_INDEX);
    if (cap) {
        uint64_t isize = hm_ld64(hm, index + 8);
        cr_assert(isize >= 2 * cap && (isize & (isize - 1)) == 0, "line %d: index size %llu for cap %llu",
                  line, (unsigned long long)isize, (unsigned long long)cap);
        cr_assert_eq(rt_obj_type(vm, index), RT_T_ARRAY_RAW);
        cr_assert_eq(rt_obj_type(vm, hm_ld64(hm, m + RT_MAP_ENTRIES)), RT_T_ARRAY_RAW);
        gaddr entries = hm_ld64(hm, m + RT_MAP_ENTRIES);
        cr_assert_eq(hm_ld64(hm, entries + 8), 3 * cap);
        /* Dead entries hold nothing a collector could mistake for a live reference. */
        uint64_t dead = 0;
        for (uint64_t e = 0; e < used; e++) {
            gaddr at = entries + RT_ARRAY_SLOTS + 24 * e;
            if (hm_ld64(hm, at) != RT_MAP_DEAD)
                continue;
            dead++;
            cr_assert_eq(hm_ld64(hm, at + 8), 0, "line %d: key of dead entry %llu", line,
                (unsigned long long)e);
            cr_assert_eq(hm_ld64(hm, at + 16), 0, "line %d: value of dead entry", line);
        }
        cr_assert_eq(dead, used - count, "line %d: dead entries", line);
    }
    uint64_t pos = 0, k, v, i = 0;
    while (rt_map_next(vm, m, &pos, &k, &v)) {
        cr_assert(i < n, "line %d: too many entries", line);
        cr_assert_eq(k, keys[i], "line %d: key %llu", line, (unsigned long long)i);
        cr_assert_eq(v, vals[i], "line %d: value %llu", line, (unsigned long long)i);
        i++;
    }
    cr_assert_eq(i, n, "line %d: iteration saw %llu entries", line, (unsigned long long)i);
    cr_assert(!rt_map_next(vm, m, &pos, &k, &v), "line %d: iteration restarts", line);
    for (i = 0; i < n; i++) {
        uint64_t got = 0;
        cr_assert(rt_map_get(vm, m, keys[i], &got), "line %d: key %llu not found", line,
            (unsigned long long)i);
        cr_assert_eq(got, vals[i]);
    }
}
#define CHECK_MAP(m, k, v, n) check_map((m), (k), (v), (n), __LINE__)

Test(natives, map_int_keys_grow_compact_and_keep_order)
{
    gaddr m = rt_map_new(vm, T("{II"), 0);
    cr_assert_eq(hm_ld64(&vm->m, m + RT_MAP_ENTRIES), 0);
    uint64_t v;
    cr_assert(!rt_map_get(vm, m, 1, &v), "an empty map has nothing");
    cr_assert(!rt_map_remove(vm, m, 1));
    uint64_t pos = 0, k;
    cr_assert(!rt_map_next(vm, m, &pos, &k, &v));

    /* Expected contents, kept alongside: keys in insertion order. */
    static uint64_t keys[6000], vals[6000];
    uint64_t n = 0, caps_seen = 0, last_cap = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        rt_map_set(vm, m, i * 31, i);
        keys[n] = i * 31, vals[n] = i, n++;
        if (hm_ld64(&vm->m, m + RT_MAP_CAP) != last_cap)
            caps_seen++, last_cap = hm_ld64(&vm->m, m + RT_MAP_CAP);
    }
    cr_assert(caps_seen >= 5, "the map resized %llu times", (unsigned long long)caps_seen);
    CHECK_MAP(m, keys, vals, n);

    /* Remove the even ones: order of the rest unchanged. */
    uint64_t mods0 = mods(m, RT_MAP_MODS);
    for (uint64_t i = 0; i < 1000; i += 2)
        cr_assert(rt_map_remove(vm, m, i * 31));
    cr_assert_eq(mods(m, RT_MAP_MODS), mods0 + 500);
    cr_assert(!rt_map_remove(vm, m, 0), "already removed");
    cr_assert_eq(mods(m, RT_MAP_MODS), mods0 + 500, "removing an absent key changes nothing");
    n = 0;
    for (uint64_t i = 1; i < 1000; i += 2)
        keys[n] = i * 31, vals[n] = i, n++;
    CHECK_MAP(m, keys, vals, n);

    /* Insert past several more resizes, removing now and then; re-inserted keys go last. */
    for (uint64_t i = 1000; i < 4000; i++) {
        rt_map_set(vm, m, i * 31, i);
        keys[n] = i * 31, vals[n] = i, n++;
        if (i % 7 == 0) {
            uint64_t victim = keys[n / 2];
            cr_assert(rt_map_remove(vm, m, victim));
            memmove(keys + n / 2, keys + n / 2 + 1, (n - n / 2 - 1) * 8);
            memmove(vals + n / 2, vals + n / 2 + 1, (n - n / 2 - 1) * 8);
            n--;
        }
    }
    CHECK_MAP(m, keys, vals, n);
    cr_assert_eq(hm_ld64(&vm->m, m + RT_MAP_COUNT), n);

    /* Replacing a value keeps the position and does not bump mods. */
    uint64_t mods1 = mods(m, RT_MAP_MODS);
    rt_map_set(vm, m, keys[3], 777);
    vals[3] = 777;
    cr_assert_eq(mods(m, RT_MAP_MODS), mods1);
    CHECK_MAP(m, keys, vals, n);
    /* A removed key set again goes to the end. */
    uint64_t k0 = keys[0];
    rt_map_remove(vm, m, k0);
    rt_map_set(vm, m, k0, 5);
    memmove(keys, keys + 1, (n - 1) * 8);
    memmove(vals, vals + 1, (n - 1) * 8);
    keys[n - 1] = k0, vals[n - 1] = 5;
    CHECK_MAP(m, keys, vals, n);
    cr_assert_eq(mods(m, RT_MAP_MODS), mods1 + 2);
}

Test(natives, map_compaction_reuses_space)
{
    /* Churn: insert and remove one key at a time. The map must not grow without bound. */
    gaddr m = rt_map_new(vm, T("{II"), 4);
    for (uint64_t i = 0; i < 10000; i++) {
        rt_map_set(vm, m, i, i);
        if (i)
            cr_assert(rt_map_remove(vm, m, i - 1));
    }
    cr_assert_eq(rt_map_len(vm, m), 1);
    cr_assert(hm_ld64(&vm->m, m + RT_MAP_CAP) <= 8, "cap %llu",
        (unsigned long long)hm_ld64(&vm->m, m + RT_MAP_CAP));
    uint64_t k[] = {9999}, v[] = {9999};
    CHECK_MAP(m, k, v, 1);
    /* Extreme keys hash like any other. */
    rt_map_set(vm, m, (uint64_t)INT64_MIN, 1);
    rt_map_set(vm, m, (uint64_t)INT64_MAX, 2);
    rt_map_set(vm, m, (uint64_t)-1, 3);
    rt_map_set(vm, m, 0, 4);
    uint64_t k2[] = {9999, (uint64_t)INT64_MIN, (uint64_t)INT64_MAX, (uint64_t)-1, 0};
    uint64_t v2[] = {9999, 1, 2, 3, 4};
    CHECK_MAP(m, k2, v2, 5);
}

Test(natives, map_str_keys_compare_by_contents)
{
    gaddr m = rt_map_new(vm, T("{SI"), 2);
    gaddr a = S("abc");
    rt_map_set(vm, m, a, 1);
    uint64_t v = 0;
    cr_assert(rt_map_get(vm, m, S("abc"), &v), "an equal str is the same key");
    cr_assert_eq(v, 1);
    rt_map_set(vm, m, S("abc"), 2);
    cr_assert_eq(rt_map_len(vm, m), 1);
    cr_assert_eq(rt_map_get_or_throw(vm, m, a), 2);
    cr_assert(!rt_map_get(vm, m, S("ab"), &v));
    /* null is a key like any other. */
    rt_map_set(vm, m, 0, 9);
    cr_assert(rt_map_get(vm, m, 0, &v));
    cr_assert_eq(v, 9);
    cr_assert_eq(rt_map_len(vm, m), 2);
    SHOWS(m, "{SI", "{\"abc\": 2, null: 9}");

    /* Many keys, built fresh each time so that no two are the same object. */
    for (int i = 0; i < 2000; i++) {
        char k[32];
        snprintf(k, sizeof k, "key%d", i);
        rt_map_set(vm, m, S(k), (uint64_t)i);
        if (i % 3 == 0) {
            snprintf(k, sizeof k, "key%d", i / 2);
            rt_map_remove(vm, m, S(k));
        }
    }
    for (int i = 0; i < 2000; i++) {
        char k[32];
        snprintf(k, sizeof k, "key%d", i);
        /* key i was removed when some j, a multiple of 3, has j / 2 == i (j >= i: after it
         * was set, and it is never set again). */
        bool has = rt_map_get(vm, m, S(k), &v);
        if (has)
            cr_assert_eq(v, (uint64_t)i);
        bool gone = false;
        for (int j = 0; j < 2000; j += 3)
            if (j / 2 == i && j >= i)
                gone = true;
        cr_assert_eq(has, !gone, "key%d", i);
    }
    /* The first keys keep their order ahead of the rest. */
    uint64_t pos = 0, k, val;
    cr_assert(rt_map_next(vm, m, &pos, &k, &val));
    STR_IS(k, "abc");
    cr_assert(rt_map_next(vm, m, &pos, &k, &val));
    cr_assert_eq(k, 0);
}

Test(natives, map_bool_keys)
{
    gaddr m = rt_map_new(vm, T("{ZS"), 0);
    rt_map_set(vm, m, 1, S("yes"));
    rt_map_set(vm, m, 0, S("no"));
    rt_map_set(vm, m, 1, S("YES"));
    cr_assert_eq(rt_map_len(vm, m), 2);
    SHOWS(m, "{ZS", "{true: \"YES\", false: \"no\"}");
    cr_assert(rt_map_remove(vm, m, 1));
    THROWS(RT_E_KeyError, "key true not found", rt_map_get_or_throw(vm, m, 1));
}

Test(natives, map_errors)
{
    gaddr ms = rt_map_new(vm, T("{SI"), 0);
    rt_map_set(vm, ms, S("a"), 1);
    THROWS(RT_E_KeyError, "key \"x\" not found", rt_map_get_or_throw(vm, ms, S("x")));
    THROWS(RT_E_KeyError, "key \"say \\\"hi\\\"\\n\" not found",
        rt_map_get_or_throw(vm, ms, S("say \"hi\"\n")));
    THROWS(RT_E_KeyError, "key null not found", rt_map_get_or_throw(vm, ms, 0));
    gaddr mi = rt_map_new(vm, T("{IS"), 0);
    THROWS(RT_E_KeyError, "key 5 not found", rt_map_get_or_throw(vm, mi, 5));
    THROWS(RT_E_KeyError, "key -9223372036854775808 not found",
        rt_map_get_or_throw(vm, mi, (uint64_t)INT64_MIN));
    gaddr mb = rt_map_new(vm, T("{ZI"), 0);
    THROWS(RT_E_KeyError, "key false not found", rt_map_get_or_throw(vm, mb, 0));
    uint64_t v, pos = 0, k;
    THROWS(RT_E_NullError, "index of null map", rt_map_get(vm, 0, 1, &v));
    THROWS(RT_E_NullError, "index of null map", rt_map_get_or_throw(vm, 0, 1));
    THROWS(RT_E_NullError, "index assignment of null map", rt_map_set(vm, 0, 1, 1));
    THROWS(RT_E_NullError, "remove() of null map", rt_map_remove(vm, 0, 1));
    THROWS(RT_E_NullError, "len() of null map", rt_map_len(vm, 0));
    THROWS(RT_E_NullError, "iteration of null map", rt_map_next(vm, 0, &pos, &k, &v));
}

Test(natives, map_mods_rules)
{
    gaddr m = rt_map_new(vm, T("{IF"), 1);
    uint64_t m0 = mods(m, RT_MAP_MODS);
    rt_map_set(vm, m, 1, FB(1.0));
    cr_assert_eq(mods(m, RT_MAP_MODS), m0 + 1, "a new key bumps mods");
    rt_map_set(vm, m, 1, FB(2.0));
    cr_assert_eq(mods(m, RT_MAP_MODS), m0 + 1, "replacing a value does not");
    rt_map_set(vm, m, 2, FB(3.0)); /* grows */
    cr_assert_eq(mods(m, RT_MAP_MODS), m0 + 2);
    rt_map_remove(vm, m, 1);
    cr_assert_eq(mods(m, RT_MAP_MODS), m0 + 3, "removing bumps mods");
    NAT("map.clear", "({IF)V", m);
    cr_assert_eq(mods(m, RT_MAP_MODS), m0 + 4, "clear bumps mods");
}

/* ---- maps: the methods -------------------------------------------------------------------------- */

Test(natives, map_methods)
{
    gaddr m = rt_map_new(vm, T("{SI"), 3);
    rt_map_set(vm, m, S("a"), 1);
    rt_map_set(vm, m, S("b"), 2);
    rt_map_set(vm, m, S("c"), 3);
    cr_assert_eq(NAT("map.len", "({SI)I", m), 3);
    cr_assert_eq(NAT("map.has", "({SIS)Z", m, S("a")), 1);
    cr_assert_eq(NAT("map.has", "({SIS)Z", m, S("z")), 0);
    cr_assert_eq(NAT("map.get", "({SISI)I", m, S("b"), 0), 2);
    cr_assert_eq((int64_t)NAT("map.get", "({SISI)I", m, S("z"), (uint64_t)-1), -1);
    cr_assert_eq(NAT("map.remove", "({SIS)Z", m, S("b")), 1);
    cr_assert_eq(NAT("map.remove", "({SIS)Z", m, S("b")), 0);
    SHOWS(m, "{SI", "{\"a\": 1, \"c\": 3}");
    rt_map_set(vm, m, S("b"), 4);
    gaddr ks = NAT("map.keys", "({SI)[S", m);
    gaddr vs = NAT("map.values", "({SI)[I", m);
    cr_assert_eq(rt_obj_type(vm, ks), T("[S"));
    cr_assert_eq(rt_obj_type(vm, vs), T("[I"));
    SHOWS(ks, "[S", "[\"a\", \"c\", \"b\"]");
    SHOWS(vs, "[I", "[1, 3, 4]");
    NAT("list.push", "([SS)V", ks, S("not in the map"));
    cr_assert_eq(rt_map_len(vm, m), 3, "keys() is a new list");
    NAT("map.clear", "({SI)V", m);
    cr_assert_eq(NAT("map.len", "({SI)I", m), 0);
    cr_assert_eq(NAT("map.has", "({SIS)Z", m, S("a")), 0);
    SHOWS(m, "{SI", "{}");
    SHOWS(NAT("map.keys", "({SI)[S", m), "[S", "[]");
    rt_map_set(vm, m, S("again"), 1);
    SHOWS(m, "{SI", "{\"again\": 1}");

    gaddr fm = rt_map_new(vm, T("{IF"), 0);
    rt_map_set(vm, fm, 1, FB(0.5));
    cr_assert_eq(F(NAT("map.get", "({IFIF)F", fm, 2, FB(3.0))), 3.0);
    cr_assert_eq(F(NAT("map.get", "({IFIF)F", fm, 1, FB(3.0))), 0.5);
    SHOWS(NAT("map.values", "({IF)[F", fm), "[F", "[0.5]");
    NAT("map.clear", "({IF)V", rt_map_new(vm, T("{IF"), 0)); /* clearing an empty map */

    THROWS(RT_E_NullError, "len() of null map", NAT("map.len", "({SI)I", 0));
    THROWS(RT_E_NullError, "has() of null map", NAT("map.has", "({SIS)Z", 0, S("a")));
    THROWS(RT_E_NullError, "get() of null map", NAT("map.get", "({SISI)I", 0, S("a"), 0));
    THROWS(RT_E_NullError, "remove() of null map", NAT("map.remove", "({SIS)Z", 0, S("a")));
    THROWS(RT_E_NullError, "keys() of null map", NAT("map.keys", "({SI)[S", 0));
    THROWS(RT_E_NullError, "values() of null map", NAT("map.values", "({SI)[I", 0));
    THROWS(RT_E_NullError, "clear() of null map", NAT("map.clear", "({SI)V", 0));
}

/* ---- str ------------------------------------------------------------------------------------------ */

Test(natives, str_len_sub)
{
    cr_assert_eq(NAT("str.len", "(S)I", S("hello")), 5);
    cr_assert_eq(NAT("str.len", "(S)I", S("")), 0);
    cr_assert_eq(NAT("str.len", "(S)I", S("é")), 2);
    gaddr s = S("hello world");
    STR_IS(NAT("str.sub", "(SII)S", s, 0, 5), "hello");
    STR_IS(NAT("str.sub", "(SII)S", s, 6, 11), "world");
    STR_IS(NAT("str.sub", "(SII)S", s, 3, 3), "");
    STR_IS(NAT("str.sub", "(SII)S", s, 11, 11), "");
    STR_IS(NAT("str.sub", "(SII)S", S("héllo"), 0, 3), "hé");
    THROWS(RT_E_IndexError, "sub(-1, 2) out of range for length 11", NAT("str.sub", "(SII)S", s, -1, 2));
    THROWS(RT_E_IndexError, "sub(5, 4) out of range for length 11", NAT("str.sub", "(SII)S", s, 5, 4));
    THROWS(RT_E_IndexError, "sub(0, 12) out of range for length 11", NAT("str.sub", "(SII)S", s, 0, 12));
    THROWS(RT_E_NullError, "len() of null str", NAT("str.len", "(S)I", 0));
    THROWS(RT_E_NullError, "sub() of null str", NAT("str.sub", "(SII)S", 0, 0, 0));
}

Test(natives, str_find_contains_starts_ends)
{
    gaddr s = S("the cat sat on the mat");
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", s, S("cat")), 4);
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", s, S("the")), 0);
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", s, S("dog")), -1);
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", s, S("mat")), 19);
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", s, S("")), 0);
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", S(""), S("")), 0);
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", S(""), S("a")), -1);
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", S("ab"), S("abc")), -1);
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", SN("a\0b", 3), SN("\0b", 2)), 1);
    cr_assert_eq(NAT("str.contains", "(SS)Z", s, S("sat")), 1);
    cr_assert_eq(NAT("str.contains", "(SS)Z", s, S("sit")), 0);
    cr_assert_eq(NAT("str.contains", "(SS)Z", s, S("")), 1);
    cr_assert_eq(NAT("str.starts_with", "(SS)Z", s, S("the ")), 1);
    cr_assert_eq(NAT("str.starts_with", "(SS)Z", s, S("cat")), 0);
    cr_assert_eq(NAT("str.starts_with", "(SS)Z", S("ab"), S("abc")), 0);
    cr_assert_eq(NAT("str.starts_with", "(SS)Z", S("ab"), S("")), 1);
    cr_assert_eq(NAT("str.ends_with", "(SS)Z", s, S("mat")), 1);
    cr_assert_eq(NAT("str.ends_with", "(SS)Z", s, S("the")), 0);
    cr_assert_eq(NAT("str.ends_with", "(SS)Z", S("ab"), S("ab")), 1);
    cr_assert_eq(NAT("str.ends_with", "(SS)Z", S("b"), S("ab")), 0);
    /* Long haystacks (beyond the small scratch). */
    char big[5001];
    memset(big, 'a', 5000);
    big[5000] = 0;
    big[4990] = 'b';
    cr_assert_eq((int64_t)NAT("str.find", "(SS)I", S(big), S("ba")), 4990);
    cr_assert_eq(NAT("str.ends_with", "(SS)Z", S(big), S(big + 4000)), 1);
    THROWS(RT_E_NullError, "find() of null str", NAT("str.find", "(SS)I", 0, S("a")));
    THROWS(RT_E_NullError, "find() with a null str argument", NAT("str.find", "(SS)I", s, 0));
    THROWS(RT_E_NullError, "contains() with a null str argument", NAT("str.contains", "(SS)Z", s, 0));
    THROWS(RT_E_NullError, "starts_with() of null str", NAT("str.starts_with", "(SS)Z", 0, s));
    THROWS(RT_E_NullError, "ends_with() with a null str argument", NAT("str.ends_with", "(SS)Z", s, 0));
}

Test(natives, str_split_like_python)
{
    SHOWS(NAT("str.split", "(SS)[S", S("a,b,c"), S(",")), "[S", "[\"a\", \"b\", \"c\"]");
    SHOWS(NAT("str.split", "(SS)[S", S("a,b,,c"), S(",")), "[S", "[\"a\", \"b\", \"\", \"c\"]");
    SHOWS(NAT("str.split", "(SS)[S", S("no separator"), S(",")), "[S", "[\"no separator\"]");
    SHOWS(NAT("str.split", "(SS)[S", S("a::b::c"), S("::")), "[S", "[\"a\", \"b\", \"c\"]");
    SHOWS(NAT("str.split", "(SS)[S", S(",x,"), S(",")), "[S", "[\"\", \"x\", \"\"]");
    SHOWS(NAT("str.split", "(SS)[S", S(""), S(",")), "[S", "[\"\"]");
    SHOWS(NAT("str.split", "(SS)[S", S("aaa"), S("aa")), "[S", "[\"\", \"a\"]");
    gaddr parts = NAT("str.split", "(SS)[S", S("k=v"), S("="));
    cr_assert_eq(rt_obj_type(vm, parts), T("[S"));
    cr_assert_eq(rt_obj_type(vm, hm_ld64(&vm->m, parts + RT_LIST_ITEMS)), RT_T_ARRAY_REF);
    /* Many pieces. */
    char text[20001];
    for (int i = 0; i < 20000; i++)
        text[i] = i % 2 ? 'b' : 'a';
    text[20000] = 0;
    gaddr many = NAT("str.split", "(SS)[S", S(text), S("b"));
    cr_assert_eq(rt_list_len(vm, many), 10001);
    STR_IS(rt_list_get(vm, many, 0), "a");
    STR_IS(rt_list_get(vm, many, 10000), "");
    THROWS(RT_E_ValueError, "empty separator", NAT("str.split", "(SS)[S", S("abc"), S("")));
    THROWS(RT_E_NullError, "split() of null str", NAT("str.split", "(SS)[S", 0, S(",")));
    THROWS(RT_E_NullError, "split() with a null str argument", NAT("str.split", "(SS)[S", S("a"), 0));
}

Test(natives, str_trim_upper_lower)
{
    STR_IS(NAT("str.trim", "(S)S", S("  hi there \t\n\r\v\f")), "hi there");
    STR_IS(NAT("str.trim", "(S)S", S("nothing")), "nothing");
    STR_IS(NAT("str.trim", "(S)S", S("   ")), "");
    STR_IS(NAT("str.trim", "(S)S", S("")), "");
    STR_IS(NAT("str.trim", "(S)S", S("\xc2\xa0x\xc2\xa0")), "\xc2\xa0x\xc2\xa0"); /* only ASCII */
    STR_IS(NAT("str.upper", "(S)S", S("Hello, World 42! é")), "HELLO, WORLD 42! é");
    STR_IS(NAT("str.lower", "(S)S", S("Hello, World 42! É")), "hello, world 42! É");
    STR_IS(NAT("str.upper", "(S)S", S("")), "");
    gaddr s = S("abc");
    NAT("str.upper", "(S)S", s);
    STR_IS(s, "abc"); /* strings are immutable */
    /* Longer than one chunk. */
    char big[10001];
    for (int i = 0; i < 10000; i++)
        big[i] = (char)('a' + i % 26);
    big[10000] = 0;
    gaddr up = NAT("str.upper", "(S)S", S(big));
    for (int i = 0; i < 10000; i++)
        big[i] = (char)('A' + i % 26);
    STR_IS(up, big);
    THROWS(RT_E_NullError, "trim() of null str", NAT("str.trim", "(S)S", 0));
    THROWS(RT_E_NullError, "upper() of null str", NAT("str.upper", "(S)S", 0));
    THROWS(RT_E_NullError, "lower() of null str", NAT("str.lower", "(S)S", 0));
}

Test(natives, str_replace_repeat)
{
    STR_IS(NAT("str.replace", "(SSS)S", S("aaa"), S("a"), S("b")), "bbb");
    STR_IS(NAT("str.replace", "(SSS)S", S("abcabc"), S("bc"), S("X")), "aXaX");
    STR_IS(NAT("str.replace", "(SSS)S", S("hello"), S("z"), S("y")), "hello");
    STR_IS(NAT("str.replace", "(SSS)S", S("a-b-c"), S("-"), S("")), "abc");
    STR_IS(NAT("str.replace", "(SSS)S", S("x"), S("x"), S("xx")), "xx");
    STR_IS(NAT("str.replace", "(SSS)S", S("aaa"), S("aa"), S("b")), "ba");
    STR_IS(NAT("str.replace", "(SSS)S", S(""), S("a"), S("b")), "");
    THROWS(RT_E_ValueError, "empty pattern", NAT("str.replace", "(SSS)S", S("abc"), S(""), S("x")));
    THROWS(RT_E_NullError, "replace() of null str", NAT("str.replace", "(SSS)S", 0, S("a"), S("b")));
    THROWS(RT_E_NullError, "replace() with a null str argument",
        NAT("str.replace", "(SSS)S", S("a"), 0, S("b")));
    THROWS(RT_E_NullError, "replace() with a null str argument",
        NAT("str.replace", "(SSS)S", S("a"), S("a"), 0));

    STR_IS(NAT("str.repeat", "(SI)S", S("ab"), 3), "ababab");
    STR_IS(NAT("str.repeat", "(SI)S", S("ab"), 0), "");
    STR_IS(NAT("str.repeat", "(SI)S", S(""), INT64_MAX), "");
    STR_IS(NAT("str.repeat", "(SI)S", S("-"), 10), "----------");
    gaddr r = NAT("str.repeat", "(SI)S", S("xyz"), 100001);
    cr_assert_eq(rt_str_len(vm, r), 300003);
    STR_IS(NAT("str.sub", "(SII)S", r, 300000, 300003), "xyz");
    THROWS(RT_E_ValueError, "negative count -1", NAT("str.repeat", "(SI)S", S("ab"), (uint64_t)-1));
    cr_assert_eq(TRY(NAT("str.repeat", "(SI)S", S("ab"), INT64_MAX)), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_OutOfMemoryError));
    cr_assert_eq(TRY(NAT("str.repeat", "(SI)S", S("abc"), 1ull << 62)), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_OutOfMemoryError));
    THROWS(RT_E_NullError, "repeat() of null str", NAT("str.repeat", "(SI)S", 0, 1));
}

Test(natives, str_to_int)
{
    cr_assert_eq(NAT("str.to_int", "(S)I", S("42")), 42);
    cr_assert_eq((int64_t)NAT("str.to_int", "(S)I", S("-17")), -17);
    cr_assert_eq(NAT("str.to_int", "(S)I", S("+5")), 5);
    cr_assert_eq(NAT("str.to_int", "(S)I", S("007")), 7);
    cr_assert_eq(NAT("str.to_int", "(S)I", S("-0")), 0);
    cr_assert_eq((int64_t)NAT("str.to_int", "(S)I", S("9223372036854775807")), INT64_MAX);
    cr_assert_eq((int64_t)NAT("str.to_int", "(S)I", S("-9223372036854775808")), INT64_MIN);
    THROWS(RT_E_ValueError, "invalid int \" 12\"", NAT("str.to_int", "(S)I", S(" 12")));
    THROWS(RT_E_ValueError, "invalid int \"12 \"", NAT("str.to_int", "(S)I", S("12 ")));
    THROWS(RT_E_ValueError, "invalid int \"abc\"", NAT("str.to_int", "(S)I", S("abc")));
    THROWS(RT_E_ValueError, "invalid int \"\"", NAT("str.to_int", "(S)I", S("")));
    THROWS(RT_E_ValueError, "invalid int \"-\"", NAT("str.to_int", "(S)I", S("-")));
    THROWS(RT_E_ValueError, "invalid int \"1.5\"", NAT("str.to_int", "(S)I", S("1.5")));
    THROWS(RT_E_ValueError, "invalid int \"12abc\"", NAT("str.to_int", "(S)I", S("12abc")));
    THROWS(RT_E_ValueError, "invalid int \"0x10\"", NAT("str.to_int", "(S)I", S("0x10")));
    THROWS(RT_E_ValueError, "invalid int \"1\\n\"", NAT("str.to_int", "(S)I", S("1\n")));
    THROWS(RT_E_ValueError, "invalid int \"1\\0\"", NAT("str.to_int", "(S)I", SN("1\0", 2)));
    THROWS(RT_E_ValueError, "\"9223372036854775808\" out of range for int",
           NAT("str.to_int", "(S)I", S("9223372036854775808")));
    THROWS(RT_E_ValueError, "\"-9223372036854775809\" out of range for int",
           NAT("str.to_int", "(S)I", S("-9223372036854775809")));
    THROWS(RT_E_ValueError, "\"99999999999999999999\" out of range for int",
           NAT("str.to_int", "(S)I", S("99999999999999999999")));
    THROWS(RT_E_NullError, "to_int() of null str", NAT("str.to_int", "(S)I", 0));
}

Test(natives, str_to_float)
{
    cr_assert_eq(F(NAT("str.to_float", "(S)F", S("2.5"))), 2.5);
    cr_assert_eq(F(NAT("str.to_float", "(S)F", S("-2.5"))), -2.5);
    cr_assert_eq(F(NAT("str.to_float", "(S)F", S("1e5"))), 1e5);
    cr_assert_eq(F(NAT("str.to_float", "(S)F", S("3"))), 3.0);
    cr_assert_eq(F(NAT("str.to_float", "(S)F", S("inf"))), INFINITY);
    cr_assert_eq(F(NAT("str.to_float", "(S)F", S("-inf"))), -INFINITY);
    cr_assert(isnan(F(NAT("str.to_float", "(S)F", S("nan")))));
    cr_assert_eq(F(NAT("str.to_float", "(S)F", S("0.1"))), 0.1);
    cr_assert(signbit(F(NAT("str.to_float", "(S)F", S("-0.0")))));
    THROWS(RT_E_ValueError, "invalid float \"x\"", NAT("str.to_float", "(S)F", S("x")));
    THROWS(RT_E_ValueError, "invalid float \"x1\"", NAT("str.to_float", "(S)F", S("x1")));
    THROWS(RT_E_ValueError, "invalid float \"\"", NAT("str.to_float", "(S)F", S("")));
    THROWS(RT_E_ValueError, "invalid float \" 1\"", NAT("str.to_float", "(S)F", S(" 1")));
    THROWS(RT_E_ValueError, "invalid float \"1 \"", NAT("str.to_float", "(S)F", S("1 ")));
    THROWS(RT_E_ValueError, "invalid float \"1.5abc\"", NAT("str.to_float", "(S)F", S("1.5abc")));
    THROWS(RT_E_ValueError, "invalid float \"1\\0\"", NAT("str.to_float", "(S)F", SN("1\0", 2)));
    char big[400];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cr_assert_eq(F(NAT("str.to_float", "(S)F", S(big))), strtod(big, NULL), "long texts too");
    THROWS(RT_E_NullError, "to_float() of null str", NAT("str.to_float", "(S)F", 0));
}

Test(natives, str_hash_is_the_map_hash)
{
    uint64_t a = NAT("str.hash", "(S)I", S("abc")), b = NAT("str.hash", "(S)I", S("ab"));
    cr_assert_eq(NAT("str.hash", "(S)I", S("abc")), a, "equal contents, equal hashes");
    cr_assert_neq(a, b);
    cr_assert_eq(a, rt__key_hash(vm, S("abc"), true));
    cr_assert_eq(NAT("str.hash", "(S)I", S("")), NAT("str.hash", "(S)I", S("")));
    THROWS(RT_E_NullError, "hash() of null str", NAT("str.hash", "(S)I", 0));
}

/* ---- built-in functions ------------------------------------------------------------------------ */

Test(natives, print_writes_the_str_and_a_newline)
{
    NAT("print", "(S)V", S("text"));
    NAT("print", "(S)V", S(""));
    NAT("print", "(S)V", 0);
    NAT("print", "(S)V", S("a\nb"));
    NAT("print", "(S)V", SN("z\0z", 3));
    rt_out_flush(vm);
    cr_assert_eq(out.len, 19);
    cr_assert(memcmp(out.data, "text\n\nnull\na\nb\nz\0z\n", 19) == 0);
    /* Longer than the copy buffer. */
    buf_reset(&out);
    char big[10001];
    memset(big, 'q', 10000);
    big[10000] = 0;
    NAT("print", "(S)V", S(big));
    rt_out_flush(vm);
    cr_assert_eq(out.len, 10001);
    cr_assert_eq(out.data[9999], 'q');
    cr_assert_eq(out.data[10000], '\n');
}

Test(natives, chr_encodes_utf8)
{
    STR_IS(NAT("chr", "(I)S", 65), "A");
    STR_IS(NAT("chr", "(I)S", 233), "é");
    STR_IS(NAT("chr", "(I)S", 0x20AC), "€");
    STR_IS(NAT("chr", "(I)S", 0x1F600), "😀");
    str_is_n(NAT("chr", "(I)S", 0), "\0", 1, __LINE__);
    cr_assert_eq(rt_str_len(vm, NAT("chr", "(I)S", 0x7F)), 1);
    cr_assert_eq(rt_str_len(vm, NAT("chr", "(I)S", 0x80)), 2);
    cr_assert_eq(rt_str_len(vm, NAT("chr", "(I)S", 0x7FF)), 2);
    cr_assert_eq(rt_str_len(vm, NAT("chr", "(I)S", 0x800)), 3);
    cr_assert_eq(rt_str_len(vm, NAT("chr", "(I)S", 0xFFFF)), 3);
    STR_IS(NAT("chr", "(I)S", 0x10FFFF), "\xf4\x8f\xbf\xbf");
    STR_IS(NAT("chr", "(I)S", 0xD7FF), "\xed\x9f\xbf");
    STR_IS(NAT("chr", "(I)S", 0xE000), "\xee\x80\x80");
    THROWS(RT_E_ValueError, "code point -1 out of range for chr()", NAT("chr", "(I)S", (uint64_t)-1));
    THROWS(RT_E_ValueError, "code point 1114112 out of range for chr()", NAT("chr", "(I)S", 0x110000));
    THROWS(RT_E_ValueError, "code point 55296 is a surrogate", NAT("chr", "(I)S", 0xD800));
    THROWS(RT_E_ValueError, "code point 57343 is a surrogate", NAT("chr", "(I)S", 0xDFFF));
}

Test(natives, assert_throws_its_message)
{
    OK(NAT("assert", "(ZS)V", 1, S("never")));
    OK(NAT("assert", "(ZS)V", 1, 0));
    THROWS(RT_E_AssertionError, "n must be positive, got -3",
        NAT("assert", "(ZS)V", 0, S("n must be positive, got -3")));
    cr_assert_eq(TRY(NAT("assert", "(ZS)V", 0, 0)), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_AssertionError));
    cr_assert_eq(rt_err_message(vm, vm->exc), 0, "a null message stays null");
}

Test(natives, input_reads_lines)
{
    feed = "first line\n\nthird  line  \nlast";
    STR_IS(NAT("input", "()S", 0), "first line");
    STR_IS(NAT("input", "()S", 0), "");
    STR_IS(NAT("input", "()S", 0), "third  line  ");
    STR_IS(NAT("input", "()S", 0), "last");
    cr_assert_eq(NAT("input", "()S", 0), 0);
    cr_assert_eq(NAT("input", "()S", 0), 0);
}

Test(natives, clock_is_monotonic_seconds)
{
    double t0 = F(NAT("clock", "()F", 0));
    double t1 = F(NAT("clock", "()F", 0));
    cr_assert(t0 > 0 && t1 >= t0 && t1 - t0 < 60);
    cr_assert(vm->m.trap_counts[TRAP_CLOCK] >= 2, "time comes through the CLOCK trap");
}

/* ---- math ---------------------------------------------------------------------------------------- */

static double f1(const char *name, double x)
{
    return F(call_native(name, "(F)F", (uint64_t[]){FB(x)}));
}

static double f2(const char *name, double x, double y)
{
    return F(call_native(name, "(FF)F", (uint64_t[]){FB(x), FB(y)}));
}

static int64_t i1(const char *name, int64_t x)
{
    return (int64_t)call_native(name, "(I)I", (uint64_t[]){(uint64_t)x});
}

static int64_t i2(const char *name, int64_t x, int64_t y)
{
    return (int64_t)call_native(name, "(II)I", (uint64_t[]){(uint64_t)x, (uint64_t)y});
}

Test(natives, math_float_functions)
{
    cr_assert_eq(f1("math.sqrt", 16), 4.0);
    cr_assert_eq(f1("math.sqrt", 2), sqrt(2.0));
    cr_assert(isnan(f1("math.sqrt", -1)));
    cr_assert_eq(f1("math.sin", 0), 0.0);
    cr_assert_eq(f1("math.cos", 0), 1.0);
    cr_assert_eq(f1("math.tan", 0), 0.0);
    cr_assert_eq(f1("math.atan", 1), atan(1.0));
    cr_assert_eq(f2("math.atan2", 0, -1), M_PI);
    cr_assert_eq(f2("math.atan2", 1, 1), atan2(1.0, 1.0));
    cr_assert_eq(f1("math.exp", 0), 1.0);
    cr_assert_eq(f1("math.exp", 1000), INFINITY);
    cr_assert_eq(f1("math.log", 1), 0.0);
    cr_assert_eq(f1("math.log", 0), -INFINITY);
    cr_assert_eq(f2("math.pow", 2, 10), 1024.0);
    cr_assert_eq(f2("math.pow", 10, -2), 0.01);
    cr_assert_eq(f1("math.floor", 2.7), 2.0);
    cr_assert_eq(f1("math.floor", -2.5), -3.0);
    cr_assert_eq(f1("math.floor", INFINITY), INFINITY);
    cr_assert_eq(f1("math.ceil", 2.1), 3.0);
    cr_assert_eq(f1("math.ceil", -2.1), -2.0);
}

Test(natives, math_abs_min_max)
{
    cr_assert_eq(i1("math.abs", -5), 5);
    cr_assert_eq(i1("math.abs", 5), 5);
    cr_assert_eq(i1("math.abs", INT64_MIN), INT64_MIN, "wraps to itself");
    cr_assert_eq(i1("math.abs", INT64_MAX), INT64_MAX);
    cr_assert_eq(f1("math.abs", -2.5), 2.5);
    cr_assert(!signbit(f1("math.abs", -0.0)));
    cr_assert_eq(i2("math.min", 3, 7), 3);
    cr_assert_eq(i2("math.max", 3, 7), 7);
    cr_assert_eq(i2("math.min", INT64_MIN, 0), INT64_MIN);
    cr_assert_eq(i2("math.max", -1, INT64_MIN), -1);
    cr_assert_eq(f2("math.min", -1.5, 2.5), -1.5);
    cr_assert_eq(f2("math.max", -1.5, 2.5), 2.5);
    cr_assert_eq(f2("math.min", 2.5, -1.5), -1.5);
    cr_assert_eq(f2("math.max", 2.5, -1.5), 2.5);
    cr_assert(isnan(f2("math.min", NAN, 1)));
    cr_assert(isnan(f2("math.max", 1, NAN)));
    cr_assert(signbit(f2("math.min", 0.0, -0.0)));
    cr_assert(signbit(f2("math.min", -0.0, 0.0)));
    cr_assert(!signbit(f2("math.max", -0.0, 0.0)));
    cr_assert(!signbit(f2("math.max", 0.0, -0.0)));
    cr_assert_eq(f2("math.max", -INFINITY, -1e308), -1e308);
}

/* ---- os ------------------------------------------------------------------------------------------- */

Test(natives, os_args_are_the_program_arguments)
{
    gaddr a = NAT("os._args", "()[S", 0);
    cr_assert_eq(rt_obj_type(vm, a), T("[S"));
    SHOWS(a, "[S", "[\"alpha\", \"\", \"ünï\"]");
    vm->argc = 0;
    vm->argv = NULL;
    SHOWS(NAT("os._args", "()[S", 0), "[S", "[]");
}

Test(natives, os_exit_unwinds_with_the_status)
{
    NAT("print", "(S)V", S("before"));
    cr_assert_eq(TRY(NAT("os.exit", "(I)V", 3)), RT_EXITED);
    cr_assert_eq(vm->m.exit_status, 3);
    cr_assert_str_eq(out.data, "before\n", "stdout is flushed first");
}

Test(natives, os_env_needs_permission)
{
    setenv("HOLT_TEST_VAR", "value=1", 1);
    unsetenv("HOLT_TEST_UNSET");
    THROWS(RT_E_PermissionError, "os.env needs --allow-env", NAT("os.env", "(S)S", S("HOLT_TEST_VAR")));
    vm->cfg.allow_env = 1;
    STR_IS(NAT("os.env", "(S)S", S("HOLT_TEST_VAR")), "value=1");
    cr_assert_eq(NAT("os.env", "(S)S", S("HOLT_TEST_UNSET")), 0);
    cr_assert_eq(NAT("os.env", "(S)S", S("")), 0);
    cr_assert_eq(NAT("os.env", "(S)S", S("HOLT_TEST_VAR=value")), 0);
    cr_assert_eq(NAT("os.env", "(S)S", SN("HOLT_TEST_VAR\0x", 15)), 0);
    THROWS(RT_E_NullError, "os.env() with a null str argument", NAT("os.env", "(S)S", 0));
}

/* ---- memory --------------------------------------------------------------------------------------- */

Test(natives, out_of_memory_is_an_error_not_a_crash)
{
    /* Huge requests never wrap around in size computations. */
    cr_assert_eq(TRY(rt_list_new(vm, T("[I"), UINT64_MAX / 4)), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_OutOfMemoryError));
    cr_assert_eq(TRY(rt_list_new(vm, T("[I"), UINT64_MAX)), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_OutOfMemoryError));
    cr_assert_eq(TRY(rt_map_new(vm, T("{II"), UINT64_MAX / 3)), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_OutOfMemoryError));
    cr_assert_eq(TRY(rt_map_new(vm, T("{II"), (1ull << 62) + 1)), RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_OutOfMemoryError));
    /* Filling memory with lists ends in OutOfMemoryError and leaves the list consistent. */
    gaddr keep = rt_list_new(vm, T("[[I"), 0);
    volatile uint64_t pushed = 0;
    int st = TRY(for (;;) {
        gaddr chunk = rt_list_new(vm, T("[I"), 100000);
        rt_list_push(vm, keep, chunk);
        pushed++;
    });
    cr_assert_eq(st, RT_THROWN);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, RT_E_OutOfMemoryError));
    cr_assert_eq(hm_ld64(&vm->m, keep + RT_LIST_LEN), pushed);
    cr_assert(pushed > 10);
}

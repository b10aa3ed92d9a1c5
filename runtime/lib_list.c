/* lib_list.c — the methods of [T] (language.md 9) that are natives, sort_by, map and filter
 * included: they call a function value back through rt_call_value.
 *
 * Element equality (contains, index_of) follows the element type: str by contents, float as
 * doubles (so nan is never found and 0.0 finds -0.0), int and bool by value, every other
 * reference by identity. sort orders ints and floats numerically (nan after every number)
 * and strs by bytes; it is a stable merge sort.
 */
#include <math.h>
#include <stdlib.h>

#include "natives_int.h"

#define SLOT(items, i) ((items) + RT_ARRAY_SLOTS + 8 * (uint64_t)(i))

static gaddr items_of(holt_vm *vm, gaddr list)
{
    return hm_ld64(&vm->m, list + RT_LIST_ITEMS);
}

static uint64_t len_of(holt_vm *vm, gaddr list)
{
    return hm_ld64(&vm->m, list + RT_LIST_LEN);
}

static void set_len(holt_vm *vm, gaddr list, uint64_t len)
{
    hm_st64(&vm->m, list + RT_LIST_LEN, len);
}

static _Noreturn void index_error(holt_vm *vm, int64_t i, uint64_t len)
{
    rt_throw(vm, RT_E_IndexError, "index %lld out of range for length %llu", (long long)i,
             (unsigned long long)len);
}

RT_NATIVE(list_len)
{
    return rt_list_len(vm, args[0]);
}

RT_NATIVE(list_push)
{
    rt_list_push(vm, args[0], args[1]);
    return 0;
}

RT_NATIVE(list_pop)
{
    gaddr list = args[0];
    rt__list_check(vm, list, "pop()");
    uint64_t len = len_of(vm, list);
    if (len == 0)
        rt_throw(vm, RT_E_IndexError, "pop from empty list");
    gaddr slot = SLOT(items_of(vm, list), len - 1);
    uint64_t v = hm_ld64(&vm->m, slot);
    hm_st64(&vm->m, slot, 0);
    set_len(vm, list, len - 1);
    rt__list_touch(vm, list);
    return v;
}

RT_NATIVE(list_insert)
{
    gaddr list = args[0];
    int64_t i = (int64_t)args[1];
    rt__list_check(vm, list, "insert()");
    uint64_t len = len_of(vm, list);
    if (i < 0 || (uint64_t)i > len)
        index_error(vm, i, len);
    rt__list_reserve(vm, list, len + 1);
    gaddr items = items_of(vm, list);
    if ((uint64_t)i < len)
        hm_move(&vm->m, SLOT(items, i + 1), SLOT(items, i), 8 * (len - (uint64_t)i));
    hm_st64(&vm->m, SLOT(items, i), args[2]);
    set_len(vm, list, len + 1);
    rt__list_touch(vm, list);
    return 0;
}

RT_NATIVE(list_remove_at)
{
    gaddr list = args[0];
    int64_t i = (int64_t)args[1];
    rt__list_check(vm, list, "remove_at()");
    uint64_t len = len_of(vm, list);
    if (i < 0 || (uint64_t)i >= len)
        index_error(vm, i, len);
    gaddr items = items_of(vm, list);
    uint64_t v = hm_ld64(&vm->m, SLOT(items, i));
    if ((uint64_t)i + 1 < len)
        hm_move(&vm->m, SLOT(items, i), SLOT(items, i + 1), 8 * (len - (uint64_t)i - 1));
    hm_st64(&vm->m, SLOT(items, len - 1), 0);
    set_len(vm, list, len - 1);
    rt__list_touch(vm, list);
    return v;
}

RT_NATIVE(list_clear)
{
    gaddr list = args[0];
    rt__list_check(vm, list, "clear()");
    uint64_t len = len_of(vm, list);
    if (len)
        hm_fill(&vm->m, SLOT(items_of(vm, list), 0), 0, 8 * len);
    set_len(vm, list, 0);
    rt__list_touch(vm, list);
    return 0;
}

/* The index of the first element equal to x, or -1. */
static int64_t index_of(holt_vm *vm, gaddr list, uint64_t x, const char *method)
{
    rt__list_check(vm, list, method);
    rt_kind kind = rt__elem_kind(vm, rt_obj_type(vm, list));
    uint64_t len = len_of(vm, list);
    gaddr items = items_of(vm, list);
    for (uint64_t i = 0; i < len; i++) {
        uint64_t v = hm_ld64(&vm->m, SLOT(items, i));
        bool eq;
        if (kind == RK_STR)
            eq = rt_str_eq(vm, v, x);
        else if (kind == RK_FLOAT)
            eq = rt_f_of(v) == rt_f_of(x);
        else
            eq = v == x;
        if (eq)
            return (int64_t)i;
    }
    return -1;
}

RT_NATIVE(list_contains)
{
    return index_of(vm, args[0], args[1], "contains()") >= 0;
}

RT_NATIVE(list_index_of)
{
    return (uint64_t)index_of(vm, args[0], args[1], "index_of()");
}

/* A new list of the same type holding elements [start, end) of list. */
static gaddr sublist(holt_vm *vm, gaddr list, uint64_t start, uint64_t end)
{
    uint64_t n = end - start;
    gaddr r = rt_list_new(vm, rt_obj_type(vm, list), n);
    if (n) {
        hm_move(&vm->m, SLOT(items_of(vm, r), 0), SLOT(items_of(vm, list), start), 8 * n);
        set_len(vm, r, n);
    }
    return r;
}

RT_NATIVE(list_slice)
{
    gaddr list = args[0];
    int64_t start = (int64_t)args[1], end = (int64_t)args[2];
    rt__list_check(vm, list, "slice()");
    uint64_t len = len_of(vm, list);
    if (start < 0 || start > end || (uint64_t)end > len)
        rt_throw(vm, RT_E_IndexError, "slice(%lld, %lld) out of range for length %llu",
                 (long long)start, (long long)end, (unsigned long long)len);
    return sublist(vm, list, (uint64_t)start, (uint64_t)end);
}

RT_NATIVE(list_copy)
{
    gaddr list = args[0];
    rt__list_check(vm, list, "copy()");
    return sublist(vm, list, 0, len_of(vm, list));
}

RT_NATIVE(list_reverse)
{
    gaddr list = args[0];
    rt__list_check(vm, list, "reverse()");
    uint64_t len = len_of(vm, list);
    gaddr items = items_of(vm, list);
    for (uint64_t i = 0, j = len; i + 1 < j; i++, j--) {
        uint64_t a = hm_ld64(&vm->m, SLOT(items, i));
        hm_st64(&vm->m, SLOT(items, i), hm_ld64(&vm->m, SLOT(items, j - 1)));
        hm_st64(&vm->m, SLOT(items, j - 1), a);
    }
    rt__list_touch(vm, list);
    return 0;
}

/* ---- sort ----------------------------------------------------------------------------------- */

struct cb_job;

typedef struct {
    holt_vm *vm;
    rt_kind kind;                 /* RK_INT, RK_FLOAT or RK_STR, when job is NULL */
    struct cb_job *job;           /* sort_by: order by calling its comparator */
} sorter;

static int call_order(struct cb_job *j, uint64_t a, uint64_t b);

/* Byte order of two non-null strs, read in small chunks so that no host memory is held. */
static int str_order(holt_vm *vm, gaddr a, gaddr b)
{
    uint64_t la = hm_ld64(&vm->m, a + RT__STR_LEN), lb = hm_ld64(&vm->m, b + RT__STR_LEN);
    uint64_t n = la < lb ? la : lb;
    char ca[64], cb[64];
    for (uint64_t off = 0; off < n; off += sizeof ca) {
        uint64_t c = n - off < sizeof ca ? n - off : sizeof ca;
        hm_read(&vm->m, a + RT__STR_BYTES + off, ca, c);
        hm_read(&vm->m, b + RT__STR_BYTES + off, cb, c);
        int r = memcmp(ca, cb, c);
        if (r)
            return r;
    }
    return (la > lb) - (la < lb);
}

static int order(const sorter *s, uint64_t a, uint64_t b)
{
    if (s->job)
        return call_order(s->job, a, b);
    switch (s->kind) {
    case RK_INT:
        return ((int64_t)a > (int64_t)b) - ((int64_t)a < (int64_t)b);
    case RK_FLOAT: {
        double x = rt_f_of(a), y = rt_f_of(b);
        bool nx = isnan(x), ny = isnan(y);
        if (nx || ny)
            return (int)nx - (int)ny; /* nan after every number */
        return (x > y) - (x < y);
    }
    default:
        return str_order(s->vm, a, b);
    }
}

/* Stable merge sort of v[0..n) using tmp[0..n). Short runs use insertion sort. */
static void merge_sort(const sorter *s, uint64_t *v, uint64_t *tmp, uint64_t n)
{
    if (n <= 16) {
        for (uint64_t i = 1; i < n; i++) {
            uint64_t x = v[i], j = i;
            for (; j > 0 && order(s, v[j - 1], x) > 0; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
        return;
    }
    uint64_t h = n / 2;
    merge_sort(s, v, tmp, h);
    merge_sort(s, v + h, tmp, n - h);
    if (order(s, v[h - 1], v[h]) <= 0)
        return; /* already in order */
    memcpy(tmp, v, h * sizeof *v);
    uint64_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        v[k++] = order(s, v[j], tmp[i]) < 0 ? v[j++] : tmp[i++];
    while (i < h)
        v[k++] = tmp[i++];
}

RT_NATIVE(list_sort)
{
    gaddr list = args[0];
    rt__list_check(vm, list, "sort()");
    sorter s = {vm, rt__elem_kind(vm, rt_obj_type(vm, list)), NULL};
    if (s.kind != RK_INT && s.kind != RK_FLOAT && s.kind != RK_STR)
        rt_throw(vm, RT_E_ValueError, "sort() needs a list of int, float or str");
    uint64_t len = len_of(vm, list);
    gaddr items = items_of(vm, list);
    /* Check everything that could throw before taking host memory. */
    if (s.kind == RK_STR)
        for (uint64_t i = 0; i < len; i++)
            if (hm_ld64(&vm->m, SLOT(items, i)) == 0)
                rt_throw(vm, RT_E_NullError, "sort() of a list holding null at index %llu",
                         (unsigned long long)i);
    if (len > 1) {
        uint64_t *v = xmalloc(8 * len), *tmp = xmalloc(8 * (len / 2 + 1));
        hm_read(&vm->m, SLOT(items, 0), v, 8 * len);
        merge_sort(&s, v, tmp, len);
        hm_write(&vm->m, SLOT(items, 0), v, 8 * len);
        free(tmp);
        free(v);
    }
    rt__list_touch(vm, list);
    return 0;
}

/* ---- sort_by, map, filter: calling back into Holt ------------------------------------------ */

/* What one of these natives holds while Holt code runs. The callback may collect, so every
 * object held only here is a temporary root; it may throw or exit, so the work runs inside a
 * protected region of the native's own, which frees the host arrays and pops the roots before
 * the error or the exit goes on. It may also change the list: the modification count is
 * checked after every call, and a change throws ValueError (sort_by and map/filter read the
 * list's items again after each call, so a change that the count misses, an element store,
 * is seen, never a stale buffer). */
typedef struct cb_job {
    holt_vm *vm;
    gaddr list;                   /* the receiver (a root) */
    gaddr fn;                     /* the function value (a root) */
    gaddr out;                    /* the result list, or sort_by's copy of the elements, which
                                     keeps every element alive while the host arrays hold them
                                     (a root) */
    uint64_t mods;                /* the list's modification count at the start */
    const char *what;             /* "sort", "map()", "filter()" for messages */
    uint64_t *v, *tmp;            /* sort_by's host arrays, freed on every path */
    rt_typeid ret;                /* the result list's type (map, filter) */
} cb_job;

/* Call the function value with the given arguments, then insist the list is unchanged. */
static uint64_t call_back(cb_job *j, const uint64_t *args, uint32_t n)
{
    uint64_t r = rt_call_value(j->vm, j->fn, args, n);
    if (hm_ld64(&j->vm->m, j->list + RT_LIST_MODS) != j->mods)
        rt_throw(j->vm, RT_E_ValueError, "list modified during %s", j->what);
    return r;
}

static int call_order(cb_job *j, uint64_t a, uint64_t b)
{
    uint64_t args[2] = {a, b};
    int64_t r = (int64_t)call_back(j, args, 2);
    return (r > 0) - (r < 0);
}

/* Run work(j) with j's objects rooted and the host arrays freed whatever happens. */
static void run_job(holt_vm *vm, cb_job *j, void (*work)(cb_job *))
{
    uint32_t base = vm->nroots;
    rt_root_push(vm, &j->list);
    rt_root_push(vm, &j->fn);
    rt_root_push(vm, &j->out);
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0)
        work(j);
    vm->catcher = c.prev;
    /* A callback that threw may have left roots of its own natives behind: drop them too. */
    rt_root_pop(vm, vm->nroots - base);
    free(j->v);
    free(j->tmp);
    j->v = j->tmp = NULL;
    if (c.status == RT_EXITED)
        rt_exit(vm, vm->m.exit_status);
    if (c.status)
        rt_rethrow(vm);
}

static void sort_by_work(cb_job *j)
{
    holt_vm *vm = j->vm;
    uint64_t len = len_of(vm, j->list);
    if (len < 2)
        return;
    j->out = sublist(vm, j->list, 0, len); /* a safepoint: before anything is held */
    j->mods = hm_ld64(&vm->m, j->list + RT_LIST_MODS);
    j->v = xmalloc(8 * len);
    j->tmp = xmalloc(8 * (len / 2 + 1));
    hm_read(&vm->m, SLOT(items_of(vm, j->out), 0), j->v, 8 * len);
    sorter s = {vm, RK_INT, j};
    merge_sort(&s, j->v, j->tmp, len);
    /* Unchanged length and count: the items array is the one the sort began with. */
    hm_write(&vm->m, SLOT(items_of(vm, j->list), 0), j->v, 8 * len);
    rt__list_touch(vm, j->list);
}

RT_NATIVE(list_sort_by)
{
    (void)ret;
    rt__list_check(vm, args[0], "sort_by()");
    cb_job j = {.vm = vm, .list = args[0], .fn = args[1], .what = "sort"};
    run_job(vm, &j, sort_by_work);
    return 0;
}

/* map (keep = false) and filter (keep = true). The result has room for every element from
 * the start, so no allocation happens between a callback's return and the store of what it
 * returned. */
static void map_filter_work(cb_job *j, bool filter)
{
    holt_vm *vm = j->vm;
    uint64_t len = len_of(vm, j->list);
    j->out = rt_list_new(vm, j->ret, len);
    j->mods = hm_ld64(&vm->m, j->list + RT_LIST_MODS);
    uint64_t n = 0;
    for (uint64_t i = 0; i < len; i++) {
        uint64_t x = hm_ld64(&vm->m, SLOT(items_of(vm, j->list), i));
        uint64_t r = call_back(j, &x, 1);
        if (filter && !r)
            continue;
        hm_st64(&vm->m, SLOT(items_of(vm, j->out), n), filter ? x : r);
        n++;
        set_len(vm, j->out, n);
    }
}

static void map_work(cb_job *j) { map_filter_work(j, false); }
static void filter_work(cb_job *j) { map_filter_work(j, true); }

RT_NATIVE(list_map)
{
    rt__list_check(vm, args[0], "map()");
    cb_job j = {.vm = vm, .list = args[0], .fn = args[1], .what = "map()", .ret = ret};
    run_job(vm, &j, map_work);
    return j.out;
}

RT_NATIVE(list_filter)
{
    rt__list_check(vm, args[0], "filter()");
    cb_job j = {.vm = vm, .list = args[0], .fn = args[1], .what = "filter()", .ret = ret};
    run_job(vm, &j, filter_work);
    return j.out;
}

/* ---- join ----------------------------------------------------------------------------------- */

RT_NATIVE(list_join)
{
    gaddr list = args[0], sep = args[1];
    rt__list_check(vm, list, "join()");
    if (sep == 0)
        rt_throw(vm, RT_E_NullError, "join() with a null str argument");
    hmachine *m = &vm->m;
    uint64_t len = len_of(vm, list), k = hm_ld64(m, sep + RT__STR_LEN);
    gaddr items = items_of(vm, list);
    /* Each piece is in guest memory already, so the sum cannot wrap; clamp anyway. */
    uint64_t total = len ? k * (len - 1) : 0;
    for (uint64_t i = 0; i < len && total < RT__HUGE; i++) {
        gaddr s = hm_ld64(m, SLOT(items, i));
        total += s ? hm_ld64(m, s + RT__STR_LEN) : 4;
    }
    gaddr r = rt__str_alloc(vm, total < RT__HUGE ? total : RT__HUGE);
    /* The allocation was a safepoint: read the list again. */
    len = len_of(vm, list);
    items = items_of(vm, list);
    uint64_t w = 0;
    for (uint64_t i = 0; i < len; i++) {
        if (i && k) {
            hm_move(m, r + RT__STR_BYTES + w, sep + RT__STR_BYTES, k);
            w += k;
        }
        gaddr s = hm_ld64(m, SLOT(items, i));
        uint64_t n = s ? hm_ld64(m, s + RT__STR_LEN) : 4;
        if (s)
            hm_move(m, r + RT__STR_BYTES + w, s + RT__STR_BYTES, n);
        else
            hm_write(m, r + RT__STR_BYTES + w, "null", 4);
        w += n;
    }
    return r;
}

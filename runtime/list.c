/* list.c — growable lists in guest memory (layout in rt.h).
 *
 * A LIST object holds len, cap, mods and the address of an ARRAY of cap slots (0 while cap is
 * 0). The ARRAY's type tells a collector whether its slots are references: RT_T_ARRAY_REF
 * when the list's element type is a reference type, else RT_T_ARRAY_RAW. Slots at and beyond
 * len are kept zero, so that a collector scanning a whole ARRAY never sees stale values.
 *
 * mods counts changes of length or order (push, pop, insert, remove_at, clear, reverse,
 * sort); a `for` loop compares it to detect a list modified during iteration. Assigning an
 * element does not count.
 */
#include "natives_int.h"

#define LIST_BYTES 40 /* header + len, cap, mods, items */
#define LIST_MIN_CAP 4

rt_kind rt__elem_kind(holt_vm *vm, rt_typeid t)
{
    const rt_type *lt = rt_type_get(vm, t);
    if (!lt || lt->elem == RT_T_NONE)
        return RK_VOID;
    const rt_type *et = rt_type_get(vm, lt->elem);
    return et ? et->kind : RK_VOID;
}

/* The ARRAY type for the backing store of lists of type `list_type`. */
static rt_typeid array_type(holt_vm *vm, rt_typeid list_type)
{
    const rt_type *lt = rt_type_get(vm, list_type);
    if (!lt || lt->elem == RT_T_NONE)
        return RT_T_ARRAY_REF;
    const rt_type *et = rt_type_get(vm, lt->elem);
    return et && !et->is_ref ? RT_T_ARRAY_RAW : RT_T_ARRAY_REF;
}

static uint64_t array_bytes(uint64_t cap)
{
    return cap > (RT__HUGE - RT_ARRAY_SLOTS) / 8 ? RT__HUGE : RT_ARRAY_SLOTS + 8 * cap;
}

/* A zeroed ARRAY of `cap` slots for a list of type `list_type`. */
static gaddr array_new(holt_vm *vm, rt_typeid list_type, uint64_t cap)
{
    gaddr a = rt_alloc(vm, array_type(vm, list_type), array_bytes(cap));
    hm_st64(&vm->m, a + 8, cap);
    return a;
}

gaddr rt_list_new(holt_vm *vm, rt_typeid list_type, uint64_t cap)
{
    gaddr list = rt_alloc(vm, list_type, LIST_BYTES);
    if (cap) {
        gaddr items = array_new(vm, list_type, cap);
        hm_st64(&vm->m, list + RT_LIST_CAP, cap);
        hm_st64(&vm->m, list + RT_LIST_ITEMS, items);
    }
    return list;
}

void rt__list_check(holt_vm *vm, gaddr list, const char *what)
{
    if (__builtin_expect(list == 0, 0))
        rt_throw(vm, RT_E_NullError, "%s of null list", what);
}

void rt__list_touch(holt_vm *vm, gaddr list)
{
    hm_st64(&vm->m, list + RT_LIST_MODS, hm_ld64(&vm->m, list + RT_LIST_MODS) + 1);
}

void rt__list_reserve(holt_vm *vm, gaddr list, uint64_t need)
{
    hmachine *m = &vm->m;
    uint64_t cap = hm_ld64(m, list + RT_LIST_CAP);
    if (need <= cap)
        return;
    uint64_t ncap = cap < LIST_MIN_CAP ? LIST_MIN_CAP : cap;
    while (ncap < need)
        ncap = ncap > UINT64_MAX / 2 ? need : ncap * 2;
    gaddr items = array_new(vm, rt_obj_type(vm, list), ncap);
    /* The allocation was a safepoint: read the old store's address and length only now. */
    gaddr old = hm_ld64(m, list + RT_LIST_ITEMS);
    uint64_t len = hm_ld64(m, list + RT_LIST_LEN);
    if (len)
        hm_move(m, items + RT_ARRAY_SLOTS, old + RT_ARRAY_SLOTS, 8 * len);
    hm_st64(m, list + RT_LIST_ITEMS, items);
    hm_st64(m, list + RT_LIST_CAP, ncap);
}

void rt_list_push(holt_vm *vm, gaddr list, uint64_t v)
{
    rt__list_check(vm, list, "push()");
    hmachine *m = &vm->m;
    uint64_t len = hm_ld64(m, list + RT_LIST_LEN);
    if (len == hm_ld64(m, list + RT_LIST_CAP))
        rt__list_reserve(vm, list, len + 1);
    gaddr items = hm_ld64(m, list + RT_LIST_ITEMS);
    hm_st64(m, items + RT_ARRAY_SLOTS + 8 * len, v);
    hm_st64(m, list + RT_LIST_LEN, len + 1);
    rt__list_touch(vm, list);
}

/* Throw the IndexError of an element access at i of a list of length len. */
static _Noreturn void index_error(holt_vm *vm, int64_t i, uint64_t len)
{
    rt_throw(vm, RT_E_IndexError, "index %lld out of range for length %llu", (long long)i,
             (unsigned long long)len);
}

uint64_t rt_list_get(holt_vm *vm, gaddr list, int64_t i)
{
    rt__list_check(vm, list, "index");
    uint64_t len = hm_ld64(&vm->m, list + RT_LIST_LEN);
    if (i < 0 || (uint64_t)i >= len)
        index_error(vm, i, len);
    gaddr items = hm_ld64(&vm->m, list + RT_LIST_ITEMS);
    return hm_ld64(&vm->m, items + RT_ARRAY_SLOTS + 8 * (uint64_t)i);
}

void rt_list_set(holt_vm *vm, gaddr list, int64_t i, uint64_t v)
{
    rt__list_check(vm, list, "index assignment");
    uint64_t len = hm_ld64(&vm->m, list + RT_LIST_LEN);
    if (i < 0 || (uint64_t)i >= len)
        index_error(vm, i, len);
    gaddr items = hm_ld64(&vm->m, list + RT_LIST_ITEMS);
    hm_st64(&vm->m, items + RT_ARRAY_SLOTS + 8 * (uint64_t)i, v);
}

uint64_t rt_list_len(holt_vm *vm, gaddr list)
{
    rt__list_check(vm, list, "len()");
    return hm_ld64(&vm->m, list + RT_LIST_LEN);
}

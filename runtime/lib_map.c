/* lib_map.c — the methods of {K: E} (language.md 9). keys() and values() return new lists
 * (of the types the call site instantiated, `ret`) in insertion order.
 */
#include "natives_int.h"

RT_NATIVE(map_len)
{
    return rt_map_len(vm, args[0]);
}

RT_NATIVE(map_has)
{
    rt__map_check(vm, args[0], "has()");
    return rt_map_get(vm, args[0], args[1], NULL);
}

RT_NATIVE(map_get)
{
    rt__map_check(vm, args[0], "get()");
    uint64_t v;
    return rt_map_get(vm, args[0], args[1], &v) ? v : args[2];
}

RT_NATIVE(map_remove)
{
    return rt_map_remove(vm, args[0], args[1]);
}

/* A new list of type lt holding every key (want_keys) or every value, in order. */
static gaddr entries_list(holt_vm *vm, gaddr map, rt_typeid lt, bool want_keys)
{
    gaddr list = rt_list_new(vm, lt, hm_ld64(&vm->m, map + RT_MAP_COUNT));
    uint64_t pos = 0, key, value;
    /* rt_list_push never needs to grow here (the list has room for count elements), but
     * rt_map_next reads the map afresh at every step all the same. */
    while (rt_map_next(vm, map, &pos, &key, &value))
        rt_list_push(vm, list, want_keys ? key : value);
    return list;
}

RT_NATIVE(map_keys)
{
    rt__map_check(vm, args[0], "keys()");
    return entries_list(vm, args[0], ret, true);
}

RT_NATIVE(map_values)
{
    rt__map_check(vm, args[0], "values()");
    return entries_list(vm, args[0], ret, false);
}

RT_NATIVE(map_clear)
{
    rt__map_check(vm, args[0], "clear()");
    rt__map_clear(vm, args[0]);
    return 0;
}

/* map.c — insertion-ordered hash maps in guest memory (layout in rt.h).
 *
 * Entries live in insertion order in an ARRAY of cap triples (hash, key, value); `used` of
 * them have ever been filled and `count` of those are live. Removing a key marks its entry
 * dead (hash RT_MAP_DEAD, key and value zeroed) and leaves it in place, so iteration order is
 * never disturbed. The index is an open-addressing table (linear probing) whose slots hold 0
 * for empty or an entry number + 1; it has a power-of-two size of at least 2 * cap, so it is
 * never more than half full and every probe ends at an empty slot. A slot that points at a
 * dead entry stays as a tombstone (its hash matches no live key) until the next rebuild.
 *
 * When a new key finds every entry used, the map is rebuilt: live entries are compacted, in
 * order, into fresh arrays sized for twice the live count, and the index is built again.
 * Both arrays are RT_T_ARRAY_RAW: a collector traces keys and values through the MAP object,
 * whose type says whether they are references, since an entry's hash is never one.
 *
 * Keys: str by contents (null is a key like any other), int and bool by value. mods counts
 * insertions of new keys and removals; replacing the value of a present key does not count.
 */
#include "natives_int.h"

#define MAP_BYTES 56 /* header + count, used, cap, mods, entries, index */
#define MAP_MIN_CAP 4
#define E_HASH(e) (RT_ARRAY_SLOTS + 24 * (e))
#define E_KEY(e) (RT_ARRAY_SLOTS + 24 * (e) + 8)
#define E_VALUE(e) (RT_ARRAY_SLOTS + 24 * (e) + 16)
#define NOT_FOUND UINT64_MAX

/* The finaliser of splitmix64: a bijection that spreads every input bit over the whole
 * word, so that consecutive ints land far apart in the index. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t rt__key_hash(holt_vm *vm, uint64_t key, bool is_str)
{
    uint64_t h;
    if (is_str)
        h = key ? mix(rt_str_hash(vm, key)) : 0x6e756c6c6b657921ull; /* any fixed value */
    else
        h = mix(key);
    return h == RT_MAP_DEAD ? RT_MAP_DEAD - 1 : h;
}

/* Whether the keys of `map` are strs (else ints or bools). */
static bool str_keys(holt_vm *vm, gaddr map)
{
    const rt_type *mt = rt_type_get(vm, rt_obj_type(vm, map));
    if (!mt)
        return false;
    const rt_type *kt = rt_type_get(vm, mt->key);
    return kt && kt->kind == RK_STR;
}

void rt__map_check(holt_vm *vm, gaddr map, const char *what)
{
    if (__builtin_expect(map == 0, 0))
        rt_throw(vm, RT_E_NullError, "%s of null map", what);
}

static uint64_t index_size(uint64_t cap)
{
    /* Capacities that large never get here (their entries cannot be allocated); the bound
     * only keeps the loop finite. */
    uint64_t n = 8;
    while (n < 2 * cap && n < ((uint64_t)1 << 60))
        n *= 2;
    return n;
}

/* Sizes beyond any guest memory are clamped so that rt_alloc fails cleanly. */
static uint64_t slots_bytes(uint64_t slots)
{
    return slots > (RT__HUGE - RT_ARRAY_SLOTS) / 8 ? RT__HUGE : RT_ARRAY_SLOTS + 8 * slots;
}

static gaddr raw_array(holt_vm *vm, uint64_t slots)
{
    gaddr a = rt_alloc(vm, RT_T_ARRAY_RAW, slots_bytes(slots));
    hm_st64(&vm->m, a + 8, slots);
    return a;
}

/* Put entry number e with hash h into the index (which has room). */
static void index_put(hmachine *m, gaddr index, uint64_t h, uint64_t e)
{
    uint64_t mask = hm_ld64(m, index + 8) - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        gaddr slot = index + RT_ARRAY_SLOTS + 8 * i;
        if (hm_ld64(m, slot) == 0) {
            hm_st64(m, slot, e + 1);
            return;
        }
    }
}

/* The entry number of `key` (hash h) in map, or NOT_FOUND. Never allocates. */
static uint64_t lookup(holt_vm *vm, gaddr map, uint64_t key, uint64_t h, bool is_str)
{
    hmachine *m = &vm->m;
    gaddr index = hm_ld64(m, map + RT_MAP_INDEX);
    if (!index)
        return NOT_FOUND;
    gaddr entries = hm_ld64(m, map + RT_MAP_ENTRIES);
    uint64_t mask = hm_ld64(m, index + 8) - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t slot = hm_ld64(m, index + RT_ARRAY_SLOTS + 8 * i);
        if (slot == 0)
            return NOT_FOUND;
        uint64_t e = slot - 1;
        if (hm_ld64(m, entries + E_HASH(e)) != h)
            continue;
        uint64_t k = hm_ld64(m, entries + E_KEY(e));
        if (k == key || (is_str && rt_str_eq(vm, k, key)))
            return e;
    }
}

/* Rebuild map with room for `cap` entries: live entries compacted in order, a fresh index. */
static void rebuild(holt_vm *vm, gaddr map, uint64_t cap)
{
    hmachine *m = &vm->m;
    gaddr nentries = raw_array(vm, cap > RT__HUGE / 3 ? RT__HUGE : 3 * cap);
    gaddr nindex = raw_array(vm, index_size(cap));
    /* Both allocations were safepoints: read the old arrays' addresses only now. */
    gaddr entries = hm_ld64(m, map + RT_MAP_ENTRIES);
    uint64_t used = hm_ld64(m, map + RT_MAP_USED), j = 0;
    for (uint64_t e = 0; e < used; e++) {
        uint64_t h = hm_ld64(m, entries + E_HASH(e));
        if (h == RT_MAP_DEAD)
            continue;
        hm_move(m, nentries + E_HASH(j), entries + E_HASH(e), 24);
        index_put(m, nindex, h, j);
        j++;
    }
    hm_st64(m, map + RT_MAP_ENTRIES, nentries);
    hm_st64(m, map + RT_MAP_INDEX, nindex);
    hm_st64(m, map + RT_MAP_CAP, cap);
    hm_st64(m, map + RT_MAP_USED, j);
    hm_st64(m, map + RT_MAP_COUNT, j);
}

gaddr rt_map_new(holt_vm *vm, rt_typeid map_type, uint64_t cap)
{
    gaddr map = rt_alloc(vm, map_type, MAP_BYTES);
    if (cap)
        rebuild(vm, map, cap);
    return map;
}

bool rt_map_get(holt_vm *vm, gaddr map, uint64_t key, uint64_t *value)
{
    rt__map_check(vm, map, "index");
    bool is_str = str_keys(vm, map);
    uint64_t e = lookup(vm, map, key, rt__key_hash(vm, key, is_str), is_str);
    if (e == NOT_FOUND)
        return false;
    if (value)
        *value = hm_ld64(&vm->m, hm_ld64(&vm->m, map + RT_MAP_ENTRIES) + E_VALUE(e));
    return true;
}

uint64_t rt_map_get_or_throw(holt_vm *vm, gaddr map, uint64_t key)
{
    uint64_t v;
    if (rt_map_get(vm, map, key, &v))
        return v;
    const rt_type *mt = rt_type_get(vm, rt_obj_type(vm, map));
    const rt_type *kt = mt ? rt_type_get(vm, mt->key) : NULL;
    rt_kind kind = kt ? kt->kind : RK_INT;
    if (kind == RK_BOOL)
        rt_throw(vm, RT_E_KeyError, "key %s not found", key ? "true" : "false");
    if (kind != RK_STR)
        rt_throw(vm, RT_E_KeyError, "key %lld not found", (long long)key);
    gaddr parts[3] = {rt_str_cstr(vm, "key "), 0, 0};
    parts[1] = rt__str_quoted(vm, key);
    parts[2] = rt_str_cstr(vm, " not found");
    rt__throw_str(vm, RT_E_KeyError, rt_str_concatn(vm, parts, 3));
}

void rt_map_set(holt_vm *vm, gaddr map, uint64_t key, uint64_t value)
{
    rt__map_check(vm, map, "index assignment");
    hmachine *m = &vm->m;
    bool is_str = str_keys(vm, map);
    uint64_t h = rt__key_hash(vm, key, is_str);
    uint64_t e = lookup(vm, map, key, h, is_str);
    if (e != NOT_FOUND) {
        hm_st64(m, hm_ld64(m, map + RT_MAP_ENTRIES) + E_VALUE(e), value);
        return;
    }
    uint64_t used = hm_ld64(m, map + RT_MAP_USED);
    if (used == hm_ld64(m, map + RT_MAP_CAP)) {
        uint64_t count = hm_ld64(m, map + RT_MAP_COUNT);
        rebuild(vm, map, count < MAP_MIN_CAP / 2 ? MAP_MIN_CAP : 2 * count);
        used = hm_ld64(m, map + RT_MAP_USED);
    }
    gaddr entries = hm_ld64(m, map + RT_MAP_ENTRIES);
    hm_st64(m, entries + E_HASH(used), h);
    hm_st64(m, entries + E_KEY(used), key);
    hm_st64(m, entries + E_VALUE(used), value);
    index_put(m, hm_ld64(m, map + RT_MAP_INDEX), h, used);
    hm_st64(m, map + RT_MAP_USED, used + 1);
    hm_st64(m, map + RT_MAP_COUNT, hm_ld64(m, map + RT_MAP_COUNT) + 1);
    hm_st64(m, map + RT_MAP_MODS, hm_ld64(m, map + RT_MAP_MODS) + 1);
}

bool rt_map_remove(holt_vm *vm, gaddr map, uint64_t key)
{
    rt__map_check(vm, map, "remove()");
    hmachine *m = &vm->m;
    bool is_str = str_keys(vm, map);
    uint64_t e = lookup(vm, map, key, rt__key_hash(vm, key, is_str), is_str);
    if (e == NOT_FOUND)
        return false;
    gaddr entries = hm_ld64(m, map + RT_MAP_ENTRIES);
    hm_st64(m, entries + E_HASH(e), RT_MAP_DEAD);
    hm_st64(m, entries + E_KEY(e), 0);
    hm_st64(m, entries + E_VALUE(e), 0);
    hm_st64(m, map + RT_MAP_COUNT, hm_ld64(m, map + RT_MAP_COUNT) - 1);
    hm_st64(m, map + RT_MAP_MODS, hm_ld64(m, map + RT_MAP_MODS) + 1);
    return true;
}

void rt__map_clear(holt_vm *vm, gaddr map)
{
    hmachine *m = &vm->m;
    gaddr entries = hm_ld64(m, map + RT_MAP_ENTRIES);
    gaddr index = hm_ld64(m, map + RT_MAP_INDEX);
    uint64_t used = hm_ld64(m, map + RT_MAP_USED);
    if (used)
        hm_fill(m, entries + RT_ARRAY_SLOTS, 0, 24 * used);
    if (index)
        hm_fill(m, index + RT_ARRAY_SLOTS, 0, 8 * hm_ld64(m, index + 8));
    hm_st64(m, map + RT_MAP_USED, 0);
    hm_st64(m, map + RT_MAP_COUNT, 0);
    hm_st64(m, map + RT_MAP_MODS, hm_ld64(m, map + RT_MAP_MODS) + 1);
}

uint64_t rt_map_len(holt_vm *vm, gaddr map)
{
    rt__map_check(vm, map, "len()");
    return hm_ld64(&vm->m, map + RT_MAP_COUNT);
}

bool rt_map_next(holt_vm *vm, gaddr map, uint64_t *pos, uint64_t *key, uint64_t *value)
{
    rt__map_check(vm, map, "iteration");
    hmachine *m = &vm->m;
    uint64_t used = hm_ld64(m, map + RT_MAP_USED);
    gaddr entries = hm_ld64(m, map + RT_MAP_ENTRIES);
    for (uint64_t e = *pos; e < used; e++) {
        if (hm_ld64(m, entries + E_HASH(e)) == RT_MAP_DEAD)
            continue;
        *key = hm_ld64(m, entries + E_KEY(e));
        *value = hm_ld64(m, entries + E_VALUE(e));
        *pos = e + 1;
        return true;
    }
    if (*pos < used)
        *pos = used;
    return false;
}

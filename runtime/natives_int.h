/* natives_int.h — private to the runtime library: the native functions of natives.def and the
 * helpers that lists, maps and the natives share (list.c, map.c, lib_*.c).
 *
 * Rules every native follows:
 *   - args[0] is the receiver of a method; a null receiver or a null str argument throws
 *     NullError naming the method ("sub() of null str", "find() with a null str argument").
 *   - floats travel as the bits of a double (rt__f / rt__fbits), bools as 0 or 1.
 *   - a host pointer into guest memory (hm_span) is dead at the next safepoint (allocation,
 *     call, trap), so natives keep guest addresses and offsets across allocations and read
 *     bytes again afterwards.
 *   - nothing allocated on the host may be held across a call that can throw (rt_alloc,
 *     rt_throw, rt_str_*): a throw longjmps past the code that would free it.
 */
#ifndef HOLT_NATIVES_INT_H
#define HOLT_NATIVES_INT_H

#include <string.h>

#include "rt.h"
#include "state.h"

/* Every native has this shape; the attribute keeps -Wextra quiet about the arguments a
 * particular native does not need. */
#define RT_NATIVE(cname)                                                                       \
    uint64_t rt_n_##cname(holt_vm *vm __attribute__((unused)),                                 \
                          uint64_t *args __attribute__((unused)),                              \
                          rt_typeid ret __attribute__((unused)))

#define NATIVE(cname, name, sig) RT_NATIVE(cname);
#include "natives.def"
#undef NATIVE

/* ---- value helpers ------------------------------------------------------------------------ */

/* The kind of the element type of list type `t` (RK_INT, RK_STR ...). */
rt_kind rt__elem_kind(holt_vm *vm, rt_typeid t);

/* A request of this many bytes can never be served: sizes that would overflow are clamped to
 * it, so that rt_alloc reports OutOfMemoryError instead of wrapping around. */
#define RT__HUGE (UINT64_MAX >> 2)

/* ---- strings (layout in rt.h) ------------------------------------------------------------ */

#define RT__STR_LEN 8
#define RT__STR_BYTES 24

/* A new str of `len` bytes, all zero (the caller fills them in with hm_write or hm_move);
 * OutOfMemoryError for any length guest memory cannot hold. */
gaddr rt__str_alloc(holt_vm *vm, uint64_t len);
/* The length of str `s`; throws NullError "<what> of null str" when s is null. */
uint64_t rt__str_len_or_throw(holt_vm *vm, gaddr s, const char *what);
/* `s` as str() shows it inside a container: "\"a\\\"b\"" for a"b, null for null. */
gaddr rt__str_quoted(holt_vm *vm, gaddr s);
/* Throw an error of class `kind` whose message is the guest str `msg`. */
_Noreturn void rt__throw_str(holt_vm *vm, rt_err kind, gaddr msg);

/* ---- lists --------------------------------------------------------------------------------- */

/* Throw NullError "<what> of null list" when list is null. */
void rt__list_check(holt_vm *vm, gaddr list, const char *what);
/* Make room for at least `need` elements (amortised doubling). A safepoint. */
void rt__list_reserve(holt_vm *vm, gaddr list, uint64_t need);
/* Bump the list's modification count (every change of length or order). */
void rt__list_touch(holt_vm *vm, gaddr list);

/* ---- maps ---------------------------------------------------------------------------------- */

/* The hash maps use for a key; is_str says whether the key is a str reference (hashed by
 * contents, null allowed) or an int/bool (hashed by value). Never RT_MAP_DEAD. */
uint64_t rt__key_hash(holt_vm *vm, uint64_t key, bool is_str);
/* Throw NullError "<what> of null map" when map is null. */
void rt__map_check(holt_vm *vm, gaddr map, const char *what);
/* Remove every entry (bumps mods). */
void rt__map_clear(holt_vm *vm, gaddr map);

#endif

/* lib_str.c — the methods of str (language.md 9) and the string helpers the other natives
 * share.
 *
 * Strings are immutable byte strings; offsets are byte offsets. A method that reads bytes
 * opens a view (a host span of guest bytes, or a copy in scratch space), does all its
 * scanning, and closes it before anything that can allocate or throw. Work that produces a
 * new string first measures (counting matches), then allocates the result, then copies guest
 * to guest (hm_move) or through a second view, so no host pointer outlives a safepoint and no
 * host memory is lost to a throw.
 */
#include <ctype.h>
#include <stdlib.h>

#include "natives_int.h"

/* ---- views of guest bytes --------------------------------------------------------------- */

typedef struct {
    const char *p;                /* the bytes: host span or scratch copy */
    uint64_t n;                   /* their count */
    char *heap;                   /* scratch on the host heap, for long ranges */
    char small[256];              /* scratch for short ranges */
} view;

/* Open a view of n bytes at guest address a. Close it before the next safepoint. */
static void view_open(holt_vm *vm, view *v, gaddr a, uint64_t n)
{
    v->n = n;
    v->heap = NULL;
    if (n == 0) {
        v->p = "";
        return;
    }
    void *scratch = v->small;
    if (n > sizeof v->small)
        scratch = v->heap = xmalloc(n);
    v->p = hm_span(&vm->m, a, n, HM_READ, scratch);
}

static void view_close(view *v)
{
    free(v->heap);
    v->heap = NULL;
}

/* The bytes of str s start here. */
static gaddr bytes_of(gaddr s)
{
    return s + RT__STR_BYTES;
}

static uint64_t slen(holt_vm *vm, gaddr s)
{
    return hm_ld64(&vm->m, s + RT__STR_LEN);
}

/* Offset of the first occurrence of needle (k bytes) in hay[from, n), or -1. */
static int64_t search(const view *hay, uint64_t from, const view *needle)
{
    if (needle->n > hay->n || from > hay->n - needle->n)
        return -1;
    if (needle->n == 0)
        return (int64_t)from;
    const char *hit = memmem(hay->p + from, hay->n - from, needle->p, needle->n);
    return hit ? hit - hay->p : -1;
}

/* ---- helpers shared with the other natives ----------------------------------------------- */

gaddr rt__str_alloc(holt_vm *vm, uint64_t len)
{
    /* rt_str_new with no bytes leaves them zero; a length beyond guest memory is its
     * OutOfMemoryError. */
    return rt_str_new(vm, NULL, len);
}

uint64_t rt__str_len_or_throw(holt_vm *vm, gaddr s, const char *what)
{
    if (__builtin_expect(s == 0, 0))
        rt_throw(vm, RT_E_NullError, "%s of null str", what);
    return slen(vm, s);
}

/* A new str holding bytes [off, off + n) of str s. */
static gaddr substr(holt_vm *vm, gaddr s, uint64_t off, uint64_t n)
{
    gaddr r = rt__str_alloc(vm, n);
    if (n)
        hm_move(&vm->m, bytes_of(r), bytes_of(s) + off, n);
    return r;
}

gaddr rt__str_quoted(holt_vm *vm, gaddr s)
{
    /* str() of a one-element [str] quotes exactly as containers do; dropping the brackets
     * keeps the quoting rules in one place (format.c). */
    rt_typeid lt = rt_type_intern(vm, "[S");
    gaddr list = rt_list_new(vm, lt, 1);
    rt_list_push(vm, list, s);
    gaddr text = rt_tostr(vm, list, lt);
    uint64_t n = slen(vm, text);
    return n >= 2 ? substr(vm, text, 1, n - 2) : text;
}

_Noreturn void rt__throw_str(holt_vm *vm, rt_err kind, gaddr msg)
{
    rt_typeid t = rt_err_type(vm, kind);
    const rt_type *et = rt_type_get(vm, t);
    uint64_t nfields = et && et->nfields ? et->nfields : 1;
    gaddr err = rt_alloc(vm, t, 8 + 8 * nfields);
    hm_st64(&vm->m, err + 8, msg);
    rt_throw_obj(vm, err);
}

/* Throw `kind` with message prefix + quoted(s) + suffix. */
static _Noreturn void throw_quoted(holt_vm *vm, rt_err kind, const char *prefix, gaddr s,
                                   const char *suffix)
{
    gaddr parts[3] = {0, 0, 0};
    parts[0] = rt_str_cstr(vm, prefix);
    parts[1] = rt__str_quoted(vm, s);
    parts[2] = rt_str_cstr(vm, suffix);
    rt__throw_str(vm, kind, rt_str_concatn(vm, parts, 3));
}

/* The receiver's length, NullError when it is null. */
static uint64_t recv_len(holt_vm *vm, gaddr s, const char *method)
{
    if (__builtin_expect(s == 0, 0))
        rt_throw(vm, RT_E_NullError, "%s() of null str", method);
    return slen(vm, s);
}

/* A str argument's length, NullError when it is null. */
static uint64_t arg_len(holt_vm *vm, gaddr s, const char *method)
{
    if (__builtin_expect(s == 0, 0))
        rt_throw(vm, RT_E_NullError, "%s() with a null str argument", method);
    return slen(vm, s);
}

/* First occurrence of t in s at or after `from`, or -1. */
static int64_t find_in(holt_vm *vm, gaddr s, uint64_t n, gaddr t, uint64_t k, uint64_t from)
{
    view hay, needle;
    view_open(vm, &hay, bytes_of(s), n);
    view_open(vm, &needle, bytes_of(t), k);
    int64_t at = search(&hay, from, &needle);
    view_close(&needle);
    view_close(&hay);
    return at;
}

/* Occurrences of t (k > 0 bytes) in s, not overlapping, left to right; when `out` is not 0 it
 * is an ARRAY whose slots receive their offsets. */
static uint64_t occurrences(holt_vm *vm, gaddr s, uint64_t n, gaddr t, uint64_t k, gaddr out)
{
    view hay, needle;
    view_open(vm, &hay, bytes_of(s), n);
    view_open(vm, &needle, bytes_of(t), k);
    uint64_t count = 0;
    for (int64_t at = search(&hay, 0, &needle); at >= 0;
         at = search(&hay, (uint64_t)at + k, &needle)) {
        if (out)
            hm_st64(&vm->m, out + RT_ARRAY_SLOTS + 8 * count, (uint64_t)at);
        count++;
    }
    view_close(&needle);
    view_close(&hay);
    return count;
}

/* ---- the methods -------------------------------------------------------------------------- */

RT_NATIVE(str_len)
{
    return recv_len(vm, args[0], "len");
}

RT_NATIVE(str_sub)
{
    uint64_t n = recv_len(vm, args[0], "sub");
    int64_t start = (int64_t)args[1], end = (int64_t)args[2];
    if (start < 0 || start > end || (uint64_t)end > n)
        rt_throw(vm, RT_E_IndexError, "sub(%lld, %lld) out of range for length %llu",
                 (long long)start, (long long)end, (unsigned long long)n);
    return substr(vm, args[0], (uint64_t)start, (uint64_t)(end - start));
}

RT_NATIVE(str_find)
{
    uint64_t n = recv_len(vm, args[0], "find");
    uint64_t k = arg_len(vm, args[1], "find");
    return (uint64_t)find_in(vm, args[0], n, args[1], k, 0);
}

RT_NATIVE(str_contains)
{
    uint64_t n = recv_len(vm, args[0], "contains");
    uint64_t k = arg_len(vm, args[1], "contains");
    return find_in(vm, args[0], n, args[1], k, 0) >= 0;
}

/* Whether the k bytes of t equal the k bytes of s at offset off. */
static bool same_at(holt_vm *vm, gaddr s, uint64_t off, gaddr t, uint64_t k)
{
    view a, b;
    view_open(vm, &a, bytes_of(s) + off, k);
    view_open(vm, &b, bytes_of(t), k);
    bool eq = k == 0 || memcmp(a.p, b.p, k) == 0;
    view_close(&b);
    view_close(&a);
    return eq;
}

RT_NATIVE(str_starts_with)
{
    uint64_t n = recv_len(vm, args[0], "starts_with");
    uint64_t k = arg_len(vm, args[1], "starts_with");
    return k <= n && same_at(vm, args[0], 0, args[1], k);
}

RT_NATIVE(str_ends_with)
{
    uint64_t n = recv_len(vm, args[0], "ends_with");
    uint64_t k = arg_len(vm, args[1], "ends_with");
    return k <= n && same_at(vm, args[0], n - k, args[1], k);
}

RT_NATIVE(str_split)
{
    gaddr s = args[0], sep = args[1];
    uint64_t n = recv_len(vm, s, "split");
    uint64_t k = arg_len(vm, sep, "split");
    if (k == 0)
        rt_throw(vm, RT_E_ValueError, "empty separator");
    rt_typeid lt = ret ? ret : rt_type_intern(vm, "[S");
    /* Count the separators, then record their offsets in a scratch ARRAY in guest memory
     * (it survives the allocations of the pieces; a host array would leak on a throw). */
    uint64_t count = occurrences(vm, s, n, sep, k, 0);
    gaddr list = rt_list_new(vm, lt, count + 1);
    if (count == 0) {
        rt_list_push(vm, list, s);
        return list;
    }
    gaddr offs = rt_alloc(vm, RT_T_ARRAY_RAW, RT_ARRAY_SLOTS + 8 * count);
    hm_st64(&vm->m, offs + 8, count);
    occurrences(vm, s, n, sep, k, offs);
    uint64_t pos = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = hm_ld64(&vm->m, offs + RT_ARRAY_SLOTS + 8 * i);
        rt_list_push(vm, list, substr(vm, s, pos, at - pos));
        pos = at + k;
    }
    rt_list_push(vm, list, substr(vm, s, pos, n - pos));
    return list;
}

static bool ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

RT_NATIVE(str_trim)
{
    gaddr s = args[0];
    uint64_t n = recv_len(vm, s, "trim");
    view v;
    view_open(vm, &v, bytes_of(s), n);
    uint64_t start = 0, end = n;
    while (start < end && ascii_space(v.p[start]))
        start++;
    while (end > start && ascii_space(v.p[end - 1]))
        end--;
    view_close(&v);
    if (start == 0 && end == n)
        return s; /* strings are immutable: the same one will do */
    return substr(vm, s, start, end - start);
}

/* A copy of s with every ASCII letter mapped through `upper` or lower case. */
static gaddr map_case(holt_vm *vm, gaddr s, bool upper)
{
    uint64_t n = slen(vm, s);
    gaddr r = rt__str_alloc(vm, n);
    char chunk[4096];
    for (uint64_t off = 0; off < n; off += sizeof chunk) {
        uint64_t c = n - off < sizeof chunk ? n - off : sizeof chunk;
        hm_read(&vm->m, bytes_of(s) + off, chunk, c);
        for (uint64_t i = 0; i < c; i++) {
            char ch = chunk[i];
            if (upper && ch >= 'a' && ch <= 'z')
                chunk[i] = (char)(ch - 'a' + 'A');
            else if (!upper && ch >= 'A' && ch <= 'Z')
                chunk[i] = (char)(ch - 'A' + 'a');
        }
        hm_write(&vm->m, bytes_of(r) + off, chunk, c);
    }
    return r;
}

RT_NATIVE(str_upper)
{
    recv_len(vm, args[0], "upper");
    return map_case(vm, args[0], true);
}

RT_NATIVE(str_lower)
{
    recv_len(vm, args[0], "lower");
    return map_case(vm, args[0], false);
}

RT_NATIVE(str_replace)
{
    gaddr s = args[0], old = args[1], new = args[2];
    uint64_t n = recv_len(vm, s, "replace");
    uint64_t k = arg_len(vm, old, "replace");
    uint64_t kn = arg_len(vm, new, "replace");
    if (k == 0)
        rt_throw(vm, RT_E_ValueError, "empty pattern");
    uint64_t count = occurrences(vm, s, n, old, k, 0);
    if (count == 0)
        return s;
    /* count <= n / k, so count * k <= n; the added bytes may be huge: clamp them. */
    uint64_t rest = n - count * k;
    uint64_t total = kn && count > (RT__HUGE - rest) / kn ? RT__HUGE : rest + count * kn;
    gaddr r = rt__str_alloc(vm, total);
    view hay, needle;
    view_open(vm, &hay, bytes_of(s), n);
    view_open(vm, &needle, bytes_of(old), k);
    uint64_t pos = 0, w = 0;
    for (int64_t at = search(&hay, 0, &needle); at >= 0; at = search(&hay, pos, &needle)) {
        uint64_t a = (uint64_t)at;
        hm_write(&vm->m, bytes_of(r) + w, hay.p + pos, a - pos);
        w += a - pos;
        if (kn)
            hm_move(&vm->m, bytes_of(r) + w, bytes_of(new), kn);
        w += kn;
        pos = a + k;
    }
    hm_write(&vm->m, bytes_of(r) + w, hay.p + pos, n - pos);
    view_close(&needle);
    view_close(&hay);
    return r;
}

RT_NATIVE(str_repeat)
{
    gaddr s = args[0];
    uint64_t n = recv_len(vm, s, "repeat");
    int64_t times = (int64_t)args[1];
    if (times < 0)
        rt_throw(vm, RT_E_ValueError, "negative count %lld", (long long)times);
    uint64_t t = (uint64_t)times;
    uint64_t total = n && t > RT__HUGE / n ? RT__HUGE : n * t;
    gaddr r = rt__str_alloc(vm, total);
    if (total == 0)
        return r;
    /* Copy once, then double what is already there. */
    hm_move(&vm->m, bytes_of(r), bytes_of(s), n);
    for (uint64_t done = n; done < total;) {
        uint64_t c = total - done < done ? total - done : done;
        hm_move(&vm->m, bytes_of(r) + done, bytes_of(r), c);
        done += c;
    }
    return r;
}

RT_NATIVE(str_to_int)
{
    gaddr s = args[0];
    uint64_t n = recv_len(vm, s, "to_int");
    view v;
    view_open(vm, &v, bytes_of(s), n);
    uint64_t i = 0;
    bool neg = false;
    if (n && (v.p[0] == '-' || v.p[0] == '+')) {
        neg = v.p[0] == '-';
        i = 1;
    }
    /* Accumulate the magnitude; a negative number may reach 2^63. */
    uint64_t limit = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1, acc = 0;
    bool ok = i < n, range = true;
    for (; ok && i < n; i++) {
        char c = v.p[i];
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        uint64_t d = (uint64_t)(c - '0');
        if (acc > (limit - d) / 10)
            range = false;
        else
            acc = acc * 10 + d;
    }
    view_close(&v);
    if (!ok)
        throw_quoted(vm, RT_E_ValueError, "invalid int ", s, "");
    if (!range)
        throw_quoted(vm, RT_E_ValueError, "", s, " out of range for int");
    return neg ? (uint64_t)0 - acc : acc;
}

RT_NATIVE(str_to_float)
{
    gaddr s = args[0];
    uint64_t n = recv_len(vm, s, "to_float");
    /* strtod needs a NUL-terminated copy; an embedded NUL then stops it short, which the
     * "whole text consumed" rule rejects. */
    char small[256];
    char *text = n < sizeof small ? small : xmalloc(n + 1);
    hm_read(&vm->m, bytes_of(s), text, n);
    text[n] = 0;
    char *end = text;
    double d = 0;
    bool ok = n > 0 && !isspace((unsigned char)text[0]);
    if (ok) {
        d = strtod(text, &end);
        ok = end == text + n;
    }
    if (text != small)
        free(text);
    if (!ok)
        throw_quoted(vm, RT_E_ValueError, "invalid float ", s, "");
    return rt_bits_of(d);
}

RT_NATIVE(str_hash)
{
    recv_len(vm, args[0], "hash");
    return rt__key_hash(vm, args[0], true);
}

/* str.c — strings in guest memory (the STR layout of rt.h):
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      8    header (type RT_T_STR)
 *   8      8    len: byte length
 *   16     8    hash: FNV-1a 64 of the bytes, 0 until first asked for (never 0 once cached)
 *   24     len  bytes, then a NUL that is not counted
 *
 * Strings are immutable, so the hash can be cached in place. Bytes are moved guest to guest
 * (hm_move) or compared in bounded chunks, never through a host pointer held across an
 * allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "state.h"

#define STR_LEN 8
#define STR_HASH 16
#define STR_BYTES 24
#define CHUNK 256u

/* Checked length of a non-null string; the message says what was null. */
static uint64_t len_of(holt_vm *vm, gaddr s, const char *what)
{
    if (!s)
        rt_throw(vm, RT_E_NullError, "%s of null str", what);
    return hm_ld64(&vm->m, s + STR_LEN);
}

/* A new string of len bytes; with bytes NULL they are zero for the caller to fill in. */
gaddr rt_str_new(holt_vm *vm, const char *bytes, uint64_t len)
{
    /* A length beyond the memory limit asks for more than any heap has: OutOfMemoryError. */
    gaddr s = rt_alloc(vm, RT_T_STR, len > vm->m.size ? UINT64_MAX : STR_BYTES + len + 1);
    hm_st64(&vm->m, s + STR_LEN, len);
    if (bytes && len)
        hm_write(&vm->m, s + STR_BYTES, bytes, len);
    return s;
}

gaddr rt_str_cstr(holt_vm *vm, const char *s)
{
    return rt_str_new(vm, s, strlen(s));
}

uint64_t rt_str_len(holt_vm *vm, gaddr s)
{
    return len_of(vm, s, "len()");
}

char *rt_str_dup(holt_vm *vm, gaddr s, uint64_t *len)
{
    uint64_t n = len_of(vm, s, "use");
    /* Check first, so that a corrupt string faults before anything is allocated on the host. */
    if (n && !hm_ok(&vm->m, s + STR_BYTES, n))
        hm_read(&vm->m, s + STR_BYTES, NULL, n);
    char *out = xmalloc((size_t)n + 1);
    hm_read(&vm->m, s + STR_BYTES, out, n);
    out[n] = '\0';
    if (len)
        *len = n;
    return out;
}

gaddr rt_str_concat(holt_vm *vm, gaddr a, gaddr b)
{
    uint64_t na = len_of(vm, a, "+");
    uint64_t nb = len_of(vm, b, "+");
    uint64_t total = na + nb < na ? UINT64_MAX : na + nb;
    if (na == 0)
        return b;
    if (nb == 0)
        return a;
    gaddr r = rt_str_new(vm, NULL, total);
    hm_move(&vm->m, r + STR_BYTES, a + STR_BYTES, na);
    hm_move(&vm->m, r + STR_BYTES + na, b + STR_BYTES, nb);
    return r;
}

gaddr rt_str_concatn(holt_vm *vm, const gaddr *parts, int n)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        uint64_t len = parts[i] ? hm_ld64(&vm->m, parts[i] + STR_LEN) : 4;
        total = total + len < total ? UINT64_MAX : total + len;
    }
    gaddr r = rt_str_new(vm, NULL, total);
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        if (!parts[i]) {
            hm_write(&vm->m, r + STR_BYTES + at, "null", 4);
            at += 4;
            continue;
        }
        uint64_t len = hm_ld64(&vm->m, parts[i] + STR_LEN);
        hm_move(&vm->m, r + STR_BYTES + at, parts[i] + STR_BYTES, len);
        at += len;
    }
    return r;
}

/* memcmp of n bytes at two guest addresses, in bounded steps. */
static int cmp_bytes(holt_vm *vm, gaddr a, gaddr b, uint64_t n)
{
    char sa[CHUNK], sb[CHUNK];
    for (uint64_t off = 0; off < n; off += CHUNK) {
        uint64_t len = n - off < CHUNK ? n - off : CHUNK;
        const char *pa = hm_span(&vm->m, a + off, len, HM_READ, sa);
        const char *pb = hm_span(&vm->m, b + off, len, HM_READ, sb);
        int c = memcmp(pa, pb, len);
        if (c)
            return c;
    }
    return 0;
}

bool rt_str_eq(holt_vm *vm, gaddr a, gaddr b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    uint64_t n = hm_ld64(&vm->m, a + STR_LEN);
    if (n != hm_ld64(&vm->m, b + STR_LEN))
        return false;
    uint64_t ha = hm_ld64(&vm->m, a + STR_HASH), hb = hm_ld64(&vm->m, b + STR_HASH);
    if (ha && hb && ha != hb)
        return false;
    return cmp_bytes(vm, a + STR_BYTES, b + STR_BYTES, n) == 0;
}

int rt_str_cmp(holt_vm *vm, gaddr a, gaddr b)
{
    uint64_t na = len_of(vm, a, "comparison");
    uint64_t nb = len_of(vm, b, "comparison");
    int c = cmp_bytes(vm, a + STR_BYTES, b + STR_BYTES, na < nb ? na : nb);
    if (c)
        return c < 0 ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

/* The hash of null is a constant, so that maps may treat null like any other key. */
uint64_t rt_str_hash(holt_vm *vm, gaddr s)
{
    if (!s)
        return 1;
    uint64_t h = hm_ld64(&vm->m, s + STR_HASH);
    if (h)
        return h;
    uint64_t n = hm_ld64(&vm->m, s + STR_LEN);
    h = 14695981039346656037ull;
    char scratch[CHUNK];
    for (uint64_t off = 0; off < n; off += CHUNK) {
        uint64_t len = n - off < CHUNK ? n - off : CHUNK;
        const uint8_t *p = hm_span(&vm->m, s + STR_BYTES + off, len, HM_READ, scratch);
        for (uint64_t i = 0; i < len; i++)
            h = (h ^ p[i]) * 1099511628211ull;
    }
    if (h == 0)
        h = 1;
    hm_st64(&vm->m, s + STR_HASH, h);
    return h;
}

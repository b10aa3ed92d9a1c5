/* format.c — str(x) of language.md 8: the text of a value, given its static type.
 *
 * Values carry no tags, so the caller says what a slot holds. References of static type any
 * (or a class) are formatted by their dynamic type, read from the object header; boxes hold
 * an int, float or bool and carry that type id. Lists and maps are read straight from their
 * layouts in rt.h. A str is itself at the top level and quoted with escapes inside a
 * container. Nesting deeper than MAX_DEPTH prints "..." instead of recursing further, and a
 * container met again inside itself (possible through any) prints "[...]" or "{...}" as in
 * Python.
 *
 * Floats print as Python's repr does: the shortest digit string that reads back as the same
 * double, laid out positionally when the decimal exponent is in [-4, 16) ("0.0001", "1.0",
 * "123456789012345.0") and in scientific notation otherwise ("1e-05", "1.5e+16").
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "state.h"

#define MAX_DEPTH 1000
#define STR_LEN 8
#define STR_BYTES 24
#define CHUNK 256u
#define FLOAT_TEXT_MAX 32

/* ---- floats ---------------------------------------------------------------------------------- */

/* Does the decimal d[0..n) x 10^(exp - n + 1) (d[0] the leading digit) read back as f? */
static bool reads_back(const char *d, int n, int exp, double f)
{
    char text[48];
    snprintf(text, sizeof text, "%c.%.*se%d", d[0], n - 1, d + 1, exp);
    return strtod(text, NULL) == f;
}

/* Step the n-digit decimal d by one unit in its last place, up or down, keeping n digits;
 * false when that would change the digit count (999 up, 100 down). */
static bool step(char *d, int n, int dir)
{
    for (int i = n - 1; i >= 0; i--) {
        if (dir > 0 && d[i] < '9') {
            d[i]++;
            return true;
        }
        if (dir < 0 && d[i] > (i == 0 ? '1' : '0')) {
            d[i]--;
            return true;
        }
        d[i] = dir > 0 ? '0' : '9';
    }
    return false;
}

/* The correctly rounded prec-digit decimal of finite f > 0 in d (NUL-terminated) and its
 * exponent; true when it, or a neighbour at the same length, reads back as f (then that one is
 * in d). The neighbours matter when the doubles around f are unevenly spaced (f a power of
 * two): the nearest decimal may fall just outside on the narrow side while the next one on the
 * wide side still reads back. */
static bool round_trip(double f, int prec, char d[24], int *exp)
{
    char text[48];
    snprintf(text, sizeof text, "%.*e", prec - 1, f);
    /* text is "D.DDDDe+XX", or "De+XX" for one digit. */
    int n = 0;
    const char *p = text;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            d[n++] = *p;
    d[n] = '\0';
    *exp = atoi(p + 1);
    if (reads_back(d, n, *exp, f))
        return true;
    for (int dir = -1; dir <= 1; dir += 2) {
        char alt[24];
        memcpy(alt, d, (size_t)n + 1);
        if (step(alt, n, dir) && reads_back(alt, n, *exp, f)) {
            memcpy(d, alt, (size_t)n + 1);
            return true;
        }
    }
    return false;
}

/* The shortest round-trip digits of finite f > 0 (no trailing zeros) and the decimal exponent
 * of the first. If p digits read back, so do p + 1 (the p-digit answer is one of them), so the
 * shortest length is found by bisection over 1..17; 17 digits always read back. */
static void shortest(double f, char d[24], int *exp)
{
    int lo = 1, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (round_trip(f, mid, d, exp))
            hi = mid;
        else
            lo = mid + 1;
    }
    round_trip(f, lo, d, exp);
    int n = (int)strlen(d);
    while (n > 1 && d[n - 1] == '0')
        d[--n] = '\0';
}

/* The repr text of f into out (NUL-terminated); its length. The longest is 24 bytes
 * ("-2.2250738585072014e-308"). */
static size_t float_text(double f, char out[FLOAT_TEXT_MAX])
{
    char *o = out;
    if (isnan(f))
        return (size_t)sprintf(out, "nan");
    if (signbit(f))
        *o++ = '-';
    f = fabs(f);
    if (isinf(f))
        return (size_t)(o - out) + (size_t)sprintf(o, "inf");
    if (f == 0)
        return (size_t)(o - out) + (size_t)sprintf(o, "0.0");
    char d[24];
    int e;
    shortest(f, d, &e);
    int n = (int)strlen(d);
    if (e < -4 || e >= 16) {
        *o++ = d[0];
        if (n > 1)
            o += sprintf(o, ".%s", d + 1);
        o += sprintf(o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e < 0) {
        o += sprintf(o, "0.");
        for (int i = 0; i < -e - 1; i++)
            *o++ = '0';
        o += sprintf(o, "%s", d);
    } else {
        /* e + 1 digits before the point, padded with zeros; at least one after it. */
        for (int i = 0; i <= e; i++)
            *o++ = i < n ? d[i] : '0';
        o += sprintf(o, ".%s", n > e + 1 ? d + e + 1 : "0");
    }
    *o = '\0';
    return (size_t)(o - out);
}

void rt_fmt_float(holt_buf *b, double f)
{
    char text[FLOAT_TEXT_MAX];
    buf_put(b, text, float_text(f, text));
}

/* ---- values ----------------------------------------------------------------------------------- */

typedef struct {
    holt_vm *vm;
    holt_buf *out;
    gaddr path[MAX_DEPTH + 1];    /* the containers being formatted, outermost first */
    int npath;
} fmt;

/* Is container c already being formatted further out? Then it contains itself (through
 * any), and it prints as "[...]" or "{...}" as in Python instead of recursing. */
static bool on_path(const fmt *f, gaddr c)
{
    for (int i = 0; i < f->npath; i++)
        if (f->path[i] == c)
            return true;
    return false;
}

static void put_str(fmt *f, gaddr s, bool quoted)
{
    hmachine *m = &f->vm->m;
    uint64_t n = hm_ld64(m, s + STR_LEN);
    char scratch[CHUNK];
    if (quoted)
        buf_putc(f->out, '"');
    for (uint64_t off = 0; off < n; off += CHUNK) {
        uint64_t len = n - off < CHUNK ? n - off : CHUNK;
        const unsigned char *p = hm_span(m, s + STR_BYTES + off, len, HM_READ, scratch);
        if (!quoted) {
            buf_put(f->out, p, len);
            continue;
        }
        for (uint64_t i = 0; i < len; i++) {
            unsigned char c = p[i];
            switch (c) {
            case '"': buf_puts(f->out, "\\\""); break;
            case '\\': buf_puts(f->out, "\\\\"); break;
            case '\n': buf_puts(f->out, "\\n"); break;
            case '\t': buf_puts(f->out, "\\t"); break;
            case '\r': buf_puts(f->out, "\\r"); break;
            case '\0': buf_puts(f->out, "\\0"); break;
            default:
                if (c < 0x20 || c == 0x7f)
                    buf_printf(f->out, "\\u{%x}", c);
                else
                    buf_putc(f->out, (char)c);
                break;
            }
        }
    }
    if (quoted)
        buf_putc(f->out, '"');
}

static void put_value(fmt *f, uint64_t v, rt_typeid type, int depth, bool top);

/* An object whose class has `fn to_str() -> str`: its text is what that returns (null prints
 * as null). The call may run a collection; what is being formatted stays reachable from the
 * value the caller holds, and the containers re-read their layout after each element. */
static void put_to_str(fmt *f, gaddr obj, const rt_type *t)
{
    holt_vm *vm = f->vm;
    uint64_t arg = obj;
    gaddr s = rt_call_fn(vm, t->to_str, &arg);
    if (!s) {
        buf_puts(f->out, "null");
        return;
    }
    put_str(f, s, false);
}

static void put_list(fmt *f, gaddr list, const rt_type *t, int depth)
{
    hmachine *m = &f->vm->m;
    if (on_path(f, list)) {
        buf_puts(f->out, "[...]");
        return;
    }
    f->path[f->npath++] = list;
    buf_putc(f->out, '[');
    /* Length and items are read again for every element: an element's to_str may change
     * the list. */
    for (uint64_t i = 0; i < hm_ld64(m, list + RT_LIST_LEN); i++) {
        if (i)
            buf_puts(f->out, ", ");
        gaddr items = hm_ld64(m, list + RT_LIST_ITEMS);
        put_value(f, hm_ld64(m, items + RT_ARRAY_SLOTS + 8 * i), t->elem, depth + 1, false);
    }
    buf_putc(f->out, ']');
    f->npath--;
}

/* Entries in insertion order: the entry array in fill order, dead ones skipped. */
static void put_map(fmt *f, gaddr map, const rt_type *t, int depth)
{
    hmachine *m = &f->vm->m;
    if (on_path(f, map)) {
        buf_puts(f->out, "{...}");
        return;
    }
    f->path[f->npath++] = map;
    buf_putc(f->out, '{');
    bool first = true;
    /* As for lists, the layout is read again for every entry. */
    for (uint64_t i = 0; i < hm_ld64(m, map + RT_MAP_USED); i++) {
        gaddr e = hm_ld64(m, map + RT_MAP_ENTRIES) + RT_ARRAY_SLOTS + 24 * i;
        if (hm_ld64(m, e) == RT_MAP_DEAD)
            continue;
        if (!first)
            buf_puts(f->out, ", ");
        first = false;
        uint64_t value = hm_ld64(m, e + 16);
        put_value(f, hm_ld64(m, e + 8), t->key, depth + 1, false);
        buf_puts(f->out, ": ");
        put_value(f, value, t->elem, depth + 1, false);
    }
    buf_putc(f->out, '}');
    f->npath--;
}

static void put_value(fmt *f, uint64_t v, rt_typeid type, int depth, bool top)
{
    holt_vm *vm = f->vm;
    if (depth > MAX_DEPTH) {
        buf_puts(f->out, "...");
        return;
    }
    /* Shared sublists can make the text exponentially long: stop before the host buffer
     * outgrows what a guest string could hold. */
    if (f->out->len > vm->m.size)
        rt_throw(vm, RT_E_OutOfMemoryError, "guest memory limit of %llu bytes reached",
                 (unsigned long long)vm->m.size);
    const rt_type *t = rt_type_get(vm, type);
    if (!t) {
        buf_puts(f->out, "<?>");
        return;
    }
    if (t->is_ref && v == 0) {
        buf_puts(f->out, "null");
        return;
    }
    switch (t->kind) {
    case RK_VOID:
        break;
    case RK_INT:
        buf_printf(f->out, "%" PRId64, (int64_t)v);
        break;
    case RK_FLOAT: {
        double d;
        memcpy(&d, &v, sizeof d);
        rt_fmt_float(f->out, d);
        break;
    }
    case RK_BOOL:
        buf_puts(f->out, v ? "true" : "false");
        break;
    case RK_STR:
        put_str(f, v, !top);
        break;
    case RK_ANY:
    case RK_CLASS: {
        /* The dynamic type decides. A box's header carries the type of the value inside. */
        rt_typeid dyn = rt_obj_type(vm, v);
        if (dyn == RT_T_INT || dyn == RT_T_FLOAT || dyn == RT_T_BOOL) {
            put_value(f, hm_ld64(&vm->m, v + 8), dyn, depth, top);
            break;
        }
        const rt_type *dt = rt_type_get(vm, dyn);
        if (!dt || dt->kind == RK_ANY) {
            buf_puts(f->out, "<?>");
            break;
        }
        if (dt->kind == RK_CLASS) {
            if (dt->to_str) {
                put_to_str(f, v, dt);
                break;
            }
            buf_printf(f->out, "<%s>", dt->name);
            break;
        }
        put_value(f, v, dyn, depth, top);
        break;
    }
    case RK_LIST:
        put_list(f, v, t, depth);
        break;
    case RK_MAP:
        put_map(f, v, t, depth);
        break;
    case RK_FN: {
        /* A closure: 8 its function's id in vm->fntab. Anonymous functions are "<fn>". */
        uint64_t id = hm_ld64(&vm->m, v + 8);
        const char *name = vm->fn_name_hook && id <= UINT32_MAX ? vm->fn_name_hook(vm, (uint32_t)id) : NULL;
        if (!name || strcmp(name, "<fn>") == 0)
            buf_puts(f->out, "<fn>");
        else
            buf_printf(f->out, "<fn %s>", name);
        break;
    }
    case RK_ARRAY:
        buf_puts(f->out, "<array>");
        break;
    case RK_CELL:
        buf_puts(f->out, "<cell>");
        break;
    }
}

gaddr rt_tostr(holt_vm *vm, uint64_t v, rt_typeid type)
{
    /* A non-null str at the top level is its own text. */
    const rt_type *t = rt_type_get(vm, type);
    if (v && t && (t->kind == RK_STR || ((t->kind == RK_ANY || t->kind == RK_CLASS) &&
                                         rt_obj_type(vm, v) == RT_T_STR)))
        return v;
    /* Scalars, the common case of interpolation, need neither the host heap nor protection. */
    if (t && !t->is_ref && t->kind != RK_ARRAY) {
        char text[FLOAT_TEXT_MAX];
        size_t n = 0;
        if (t->kind == RK_INT) {
            n = (size_t)snprintf(text, sizeof text, "%" PRId64, (int64_t)v);
        } else if (t->kind == RK_BOOL) {
            n = (size_t)snprintf(text, sizeof text, "%s", v ? "true" : "false");
        } else if (t->kind == RK_FLOAT) {
            double d;
            memcpy(&d, &v, sizeof d);
            n = float_text(d, text);
        }
        return rt_str_new(vm, text, n);
    }
    /* Formatting reads guest memory, which may fault, and allocating the result may throw:
     * the host buffer (on the host heap, so the longjmp leaves it intact) is freed on both
     * paths before the error goes on. */
    holt_buf *out = xmalloc(sizeof *out);
    buf_init(out);
    fmt *f = xmalloc(sizeof *f);
    f->vm = vm;
    f->out = out;
    f->npath = 0;
    volatile gaddr s = 0;
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0) {
        put_value(f, v, type, 0, true);
        s = rt_str_new(vm, out->data ? out->data : "", out->len);
    }
    vm->catcher = c.prev;
    buf_free(out);
    free(out);
    free(f);
    /* A to_str may throw (the error goes on with the trace of its first throw) or exit. */
    if (c.status == RT_EXITED)
        rt_exit(vm, vm->m.exit_status);
    if (c.status)
        rt_rethrow(vm);
    return s;
}

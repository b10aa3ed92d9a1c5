/* lib_math.c — the built-in functions (language.md 8) and the natives of the standard modules
 * math and os (language.md 14).
 *
 * Everything that reaches outside the VM goes through the machine: output through
 * rt_out_write, input through rt_in_line, time through the CLOCK trap, the exit through
 * rt_exit. os.env reads the host environment only when the configuration allows it.
 */
#include <math.h>
#include <stdlib.h>

#include "natives_int.h"

/* ---- built-in functions -------------------------------------------------------------------- */

RT_NATIVE(print)
{
    gaddr s = args[0];
    /* str(null) is "null", so a null str prints as that rather than failing. */
    if (!s) {
        rt_out_write(vm, 1, "null\n", 5);
        return 0;
    }
    /* Copy out through a small buffer: rt_out_write may trap, so no span may be held. */
    char chunk[4096];
    uint64_t n = hm_ld64(&vm->m, s + RT__STR_LEN);
    for (uint64_t off = 0; off < n; off += sizeof chunk) {
        uint64_t c = n - off < sizeof chunk ? n - off : sizeof chunk;
        hm_read(&vm->m, s + RT__STR_BYTES + off, chunk, c);
        rt_out_write(vm, 1, chunk, c);
    }
    rt_out_write(vm, 1, "\n", 1);
    return 0;
}

RT_NATIVE(chr)
{
    int64_t c = (int64_t)args[0];
    if (c < 0 || c > 0x10FFFF)
        rt_throw(vm, RT_E_ValueError, "code point %lld out of range for chr()", (long long)c);
    if (c >= 0xD800 && c <= 0xDFFF)
        rt_throw(vm, RT_E_ValueError, "code point %lld is a surrogate", (long long)c);
    char b[4];
    uint64_t n;
    if (c < 0x80) {
        b[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xC0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xE0 | (c >> 12));
        b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (c >> 18));
        b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    return rt_str_new(vm, b, n);
}

RT_NATIVE(assert)
{
    /* The message is already a guest str: the error takes it as it is (null included). */
    if (!args[0])
        rt__throw_str(vm, RT_E_AssertionError, args[1]);
    return 0;
}

RT_NATIVE(input)
{
    return rt_in_line(vm);
}

RT_NATIVE(clock)
{
    int64_t ns = trap_call(&vm->m, TRAP_CLOCK, 0, 0, 0, 0);
    return rt_bits_of((double)ns / 1e9);
}

/* ---- math ------------------------------------------------------------------------------------ */

#define FLOAT1(cname, expr)                                                                    \
    RT_NATIVE(cname)                                                                           \
    {                                                                                          \
        double x = rt_f_of(args[0]);                                                             \
        return rt_bits_of(expr);                                                                \
    }
#define FLOAT2(cname, expr)                                                                    \
    RT_NATIVE(cname)                                                                           \
    {                                                                                          \
        double x = rt_f_of(args[0]), y = rt_f_of(args[1]);                                         \
        return rt_bits_of(expr);                                                                \
    }

FLOAT1(math_sqrt, sqrt(x))
FLOAT1(math_sin, sin(x))
FLOAT1(math_cos, cos(x))
FLOAT1(math_tan, tan(x))
FLOAT1(math_atan, atan(x))
FLOAT1(math_exp, exp(x))
FLOAT1(math_log, log(x))
FLOAT1(math_floor, floor(x))
FLOAT1(math_ceil, ceil(x))
FLOAT1(math_abs_f, fabs(x))
FLOAT2(math_atan2, atan2(x, y))
FLOAT2(math_pow, pow(x, y))

RT_NATIVE(math_abs_i)
{
    /* Negate in unsigned arithmetic: the int minimum wraps to itself, as `-x` does. */
    int64_t x = (int64_t)args[0];
    return x < 0 ? (uint64_t)0 - args[0] : args[0];
}

RT_NATIVE(math_min_i)
{
    return (int64_t)args[0] <= (int64_t)args[1] ? args[0] : args[1];
}

RT_NATIVE(math_max_i)
{
    return (int64_t)args[0] >= (int64_t)args[1] ? args[0] : args[1];
}

/* min and max of floats: nan when either is nan, and -0.0 below 0.0 (as Kotlin's). */
static double fminmax(double x, double y, bool want_max)
{
    if (isnan(x) || isnan(y))
        return NAN;
    if (x == y)
        return (signbit(x) != 0) == want_max ? y : x;
    return (x < y) != want_max ? x : y;
}

RT_NATIVE(math_min_f)
{
    return rt_bits_of(fminmax(rt_f_of(args[0]), rt_f_of(args[1]), false));
}

RT_NATIVE(math_max_f)
{
    return rt_bits_of(fminmax(rt_f_of(args[0]), rt_f_of(args[1]), true));
}

/* ---- os --------------------------------------------------------------------------------------- */

RT_NATIVE(os_args)
{
    rt_typeid lt = ret ? ret : rt_type_intern(vm, "[S");
    uint64_t n = vm->argc > 0 && vm->argv ? (uint64_t)vm->argc : 0;
    gaddr list = rt_list_new(vm, lt, n);
    for (uint64_t i = 0; i < n; i++)
        rt_list_push(vm, list, rt_str_cstr(vm, vm->argv[i] ? vm->argv[i] : ""));
    return list;
}

RT_NATIVE(os_exit)
{
    rt_exit(vm, (int)(int64_t)args[0]);
}

RT_NATIVE(os_env)
{
    if (!vm->cfg.allow_env)
        rt_throw(vm, RT_E_PermissionError, "os.env needs --allow-env");
    gaddr name = args[0];
    if (!name)
        rt_throw(vm, RT_E_NullError, "os.env() with a null str argument");
    uint64_t n = hm_ld64(&vm->m, name + RT__STR_LEN);
    /* A name no environment variable can have (empty, holding '=' or NUL) is unset. */
    char small[256];
    char *text = n < sizeof small ? small : xmalloc(n + 1);
    hm_read(&vm->m, name + RT__STR_BYTES, text, n);
    text[n] = 0;
    const char *value = NULL;
    if (n && strlen(text) == n && !strchr(text, '='))
        value = getenv(text);
    if (text != small)
        free(text);
    return value ? rt_str_cstr(vm, value) : 0;
}

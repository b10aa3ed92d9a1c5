/* types.c — the run-time type table (rt.h): descriptors interned to small ids.
 *
 * An id indexes vm->types.v. The table fills itself with the fixed ids of rt.h on first use,
 * so ids 1..RT_T__FIXED-1 are the same in every VM. After them come the types the runtime and
 * the linker intern: the error classes (rt_init), then every descriptor a module names. A
 * descriptor is canonical (one spelling per type), so interning is a hash lookup of the
 * string; a new compound type interns its parts first, which gives elem and key ids.
 *
 * Descriptor grammar (vm/bytecode.h):
 *   type := I | F | Z | S | A | [type | {type type | (type*)ret | Lname;
 *   ret  := type | V
 * "V" alone names RT_T_VOID. Nesting is bounded so a hostile descriptor cannot recurse deep.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rt.h"
#include "state.h"

#define MAX_DEPTH 256

/* ---- the table ---------------------------------------------------------------------------- */

static uint32_t hash_str(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* The id of descriptor s[0..n), or RT_T_NONE when it is not interned. */
static rt_typeid lookup(rt_types *t, const char *s, size_t n)
{
    if (!t->index_cap)
        return RT_T_NONE;
    uint32_t mask = t->index_cap - 1;
    for (uint32_t i = hash_str(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t id = t->index[i];
        if (!id)
            return RT_T_NONE;
        const char *d = t->v[id].desc;
        if (strncmp(d, s, n) == 0 && d[n] == '\0')
            return id;
    }
}

static void index_put(rt_types *t, rt_typeid id)
{
    uint32_t mask = t->index_cap - 1;
    const char *d = t->v[id].desc;
    uint32_t i = hash_str(d, strlen(d)) & mask;
    while (t->index[i])
        i = (i + 1) & mask;
    t->index[i] = id;
}

/* Keep the index at most half full, counting the type about to be added. */
static void index_grow(rt_types *t)
{
    if ((t->n + 1) * 2 <= t->index_cap)
        return;
    free(t->index);
    t->index_cap = t->index_cap ? t->index_cap * 2 : 64;
    t->index = xcalloc(t->index_cap, sizeof *t->index);
    for (rt_typeid id = 1; id < t->n; id++)
        if (id >= RT_T__FIXED || (id != RT_T_ARRAY_RAW && id != RT_T_ARRAY_REF))
            index_put(t, id);
}

/* Append a type; `desc` and `name` are copied. Internal types (arrays) stay out of the index,
 * so no descriptor reaches them. */
static rt_typeid add(rt_types *t, rt_type proto, const char *desc, size_t dlen, const char *name,
                     bool indexed)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    index_grow(t);
    rt_typeid id = t->n++;
    proto.desc = xmalloc(dlen + 1);
    memcpy(proto.desc, desc, dlen);
    proto.desc[dlen] = '\0';
    proto.name = xstrdup(name);
    t->v[id] = proto;
    if (indexed)
        index_put(t, id);
    return id;
}

/* The fixed ids, in the order of rt.h. */
static void init_fixed(rt_types *t)
{
    static const struct {
        rt_kind kind;
        const char *desc, *name;
        bool is_ref;
    } fixed[RT_T__FIXED] = {
        [RT_T_NONE] = {RK_VOID, "", "<none>", false},
        [RT_T_VOID] = {RK_VOID, "V", "void", false},
        [RT_T_INT] = {RK_INT, "I", "int", false},
        [RT_T_FLOAT] = {RK_FLOAT, "F", "float", false},
        [RT_T_BOOL] = {RK_BOOL, "Z", "bool", false},
        [RT_T_STR] = {RK_STR, "S", "str", true},
        [RT_T_ANY] = {RK_ANY, "A", "any", true},
        [RT_T_ARRAY_RAW] = {RK_ARRAY, "<array>", "<array>", true},
        [RT_T_ARRAY_REF] = {RK_ARRAY, "<array of references>", "<array>", true},
    };
    for (int i = 0; i < RT_T__FIXED; i++) {
        rt_type proto = {.kind = fixed[i].kind, .is_ref = fixed[i].is_ref};
        bool indexed = i != RT_T_NONE && i != RT_T_ARRAY_RAW && i != RT_T_ARRAY_REF;
        add(t, proto, fixed[i].desc, strlen(fixed[i].desc), fixed[i].name, indexed);
    }
}

/* ---- parsing ------------------------------------------------------------------------------ */

typedef struct {
    rt_types *t;
    const char *p;                /* next character */
    int depth;
} reader;

static rt_typeid read_type(reader *r, bool allow_void);

/* A compound type whose parts have been read: intern desc[start..r->p) under `name`. */
static rt_typeid intern_compound(reader *r, const char *start, rt_type proto, const char *name)
{
    size_t n = (size_t)(r->p - start);
    rt_typeid id = lookup(r->t, start, n);
    return id ? id : add(r->t, proto, start, n, name, true);
}

static rt_typeid read_fn(reader *r, const char *start)
{
    holt_buf name;
    buf_init(&name);
    buf_puts(&name, "fn(");
    rt_typeid res = RT_T_NONE;
    for (int i = 0; *r->p != ')'; i++) {
        rt_typeid p = read_type(r, false);
        if (!p)
            goto out;
        if (i)
            buf_puts(&name, ", ");
        buf_puts(&name, r->t->v[p].name);
    }
    r->p++;
    rt_typeid ret = read_type(r, true);
    if (!ret)
        goto out;
    buf_putc(&name, ')');
    if (ret != RT_T_VOID)
        buf_printf(&name, " -> %s", r->t->v[ret].name);
    res = intern_compound(r, start, (rt_type){.kind = RK_FN, .elem = ret, .is_ref = true}, name.data);
out:
    buf_free(&name);
    return res;
}

/* A class name is any bytes but ';' and NUL ("app.Stack<int>"). Its source name, for messages
 * and `<ClassName>`, drops the defining module: what follows the last '.' before any '<'
 * ("Stack<int>" of "app.Stack<int>", "Shape" of "lib.util.Shape"). */
static rt_typeid read_class(reader *r, const char *start)
{
    const char *s = r->p;
    while (*r->p && *r->p != ';')
        r->p++;
    if (r->p == s || *r->p != ';')
        return RT_T_NONE;
    size_t n = (size_t)(r->p - s);
    r->p++;
    const char *src = s;
    for (const char *q = s; q < s + n && *q != '<'; q++)
        if (*q == '.')
            src = q + 1;
    size_t sn = (size_t)(s + n - src);
    char *name = xmalloc(sn + 1);
    memcpy(name, src, sn);
    name[sn] = '\0';
    rt_typeid id = intern_compound(r, start, (rt_type){.kind = RK_CLASS, .is_ref = true}, name);
    free(name);
    return id;
}

/* "^x": the cell of a captured variable of type x. */
static rt_typeid read_cell(reader *r, const char *start)
{
    rt_typeid e = read_type(r, false);
    if (!e)
        return RT_T_NONE;
    holt_buf name;
    buf_init(&name);
    buf_printf(&name, "^%s", r->t->v[e].name);
    rt_typeid id = intern_compound(r, start, (rt_type){.kind = RK_CELL, .elem = e, .is_ref = true}, name.data);
    buf_free(&name);
    return id;
}

static rt_typeid read_type(reader *r, bool allow_void)
{
    if (++r->depth > MAX_DEPTH)
        return RT_T_NONE;
    const char *start = r->p;
    rt_typeid res = RT_T_NONE;
    char c = *r->p;
    if (c)
        r->p++;
    switch (c) {
    case 'I': res = RT_T_INT; break;
    case 'F': res = RT_T_FLOAT; break;
    case 'Z': res = RT_T_BOOL; break;
    case 'S': res = RT_T_STR; break;
    case 'A': res = RT_T_ANY; break;
    case 'V': res = allow_void ? RT_T_VOID : RT_T_NONE; break;
    case '[': {
        rt_typeid e = read_type(r, false);
        if (!e)
            break;
        holt_buf name;
        buf_init(&name);
        buf_printf(&name, "[%s]", r->t->v[e].name);
        res = intern_compound(r, start, (rt_type){.kind = RK_LIST, .elem = e, .is_ref = true}, name.data);
        buf_free(&name);
        break;
    }
    case '{': {
        rt_typeid k = read_type(r, false);
        rt_typeid v = k ? read_type(r, false) : RT_T_NONE;
        if (!v)
            break;
        holt_buf name;
        buf_init(&name);
        buf_printf(&name, "{%s: %s}", r->t->v[k].name, r->t->v[v].name);
        res = intern_compound(r, start, (rt_type){.kind = RK_MAP, .key = k, .elem = v, .is_ref = true},
                              name.data);
        buf_free(&name);
        break;
    }
    case '(': res = read_fn(r, start); break;
    case 'L': res = read_class(r, start); break;
    case '^': res = read_cell(r, start); break;
    default: break;
    }
    r->depth--;
    return res;
}

rt_typeid rt_type_intern(holt_vm *vm, const char *desc)
{
    rt_types *t = &vm->types;
    if (t->n == 0)
        init_fixed(t);
    if (!desc || !*desc)
        return RT_T_NONE;
    rt_typeid id = lookup(t, desc, strlen(desc));
    if (id)
        return id;
    reader r = {.t = t, .p = desc};
    id = read_type(&r, true);
    return id && *r.p == '\0' ? id : RT_T_NONE;
}

const rt_type *rt_type_get(holt_vm *vm, rt_typeid id)
{
    if (id == RT_T_NONE || id >= vm->types.n)
        return NULL;
    return &vm->types.v[id];
}

bool rt_type_is(holt_vm *vm, rt_typeid t, rt_typeid id)
{
    if (t == id)
        return t != RT_T_NONE;
    if (id == RT_T_NONE || id >= vm->types.n || vm->types.v[id].kind != RK_CLASS)
        return false;
    /* Every class lists all the interfaces it implements, inherited ones included, so an
     * interface target needs one scan of t's list; a class target walks the base classes
     * (finite; the bound guards a corrupt table). An interface's own list holds the
     * interfaces it extends, if any. */
    if (vm->types.v[id].is_iface) {
        if (t == RT_T_NONE || t >= vm->types.n || vm->types.v[t].kind != RK_CLASS)
            return false;
        const rt_type *tt = &vm->types.v[t];
        for (uint32_t i = 0; i < tt->nifaces; i++)
            if (tt->ifaces[i] == id)
                return true;
        return false;
    }
    for (uint32_t steps = 0; steps < vm->types.n; steps++) {
        if (t == RT_T_NONE || t >= vm->types.n || vm->types.v[t].kind != RK_CLASS)
            return false;
        t = vm->types.v[t].parent;
        if (t == id)
            return t != RT_T_NONE;
    }
    return false;
}

/* ---- generic native patterns -------------------------------------------------------------- */

/* The end of the one value type at p, or NULL when p does not start with one. */
static const char *skip_type(const char *p, int depth)
{
    if (depth > MAX_DEPTH)
        return NULL;
    switch (*p) {
    case 'I': case 'F': case 'Z': case 'S': case 'A':
        return p + 1;
    case '[':
        return skip_type(p + 1, depth + 1);
    case '{':
        p = skip_type(p + 1, depth + 1);
        return p ? skip_type(p, depth + 1) : NULL;
    case '(':
        p++;
        while (p && *p != ')')
            p = skip_type(p, depth + 1);
        if (!p)
            return NULL;
        p++;
        return *p == 'V' ? p + 1 : skip_type(p, depth + 1);
    case 'L': {
        const char *s = ++p;
        while (*p && *p != ';')
            p++;
        return p > s && *p == ';' ? p + 1 : NULL;
    }
    case '^':
        return skip_type(p + 1, depth + 1);
    default:
        return NULL;
    }
}

const char *rt_desc_skip(const char *desc) { return skip_type(desc, 0); }

typedef struct {
    const char *at[26];           /* where the binding of variable 'A'+i starts, or NULL */
    size_t len[26];
} bindings;

static bool is_var(char c) { return c == 'T' || c == 'U' || c == 'K' || c == 'E'; }

/* Match one type of the pattern at *pp against one of the instance at *ip; advance both. */
static bool match(const char **pp, const char **ip, bindings *b, int depth)
{
    const char *p = *pp, *i = *ip;
    if (depth > MAX_DEPTH)
        return false;
    char c = *p;
    if (is_var(c)) {
        const char *end = skip_type(i, depth);
        if (!end)
            return false;
        size_t n = (size_t)(end - i);
        int v = c - 'A';
        if (b->at[v]) {
            if (b->len[v] != n || memcmp(b->at[v], i, n) != 0)
                return false;
        } else {
            b->at[v] = i;
            b->len[v] = n;
        }
        *pp = p + 1;
        *ip = end;
        return true;
    }
    if (c == '\0' || *i != c)
        return false;
    p++, i++;
    switch (c) {
    case 'I': case 'F': case 'Z': case 'S': case 'A': case 'V':
        break;
    case '[':
        if (!match(&p, &i, b, depth + 1))
            return false;
        break;
    case '{':
        if (!match(&p, &i, b, depth + 1) || !match(&p, &i, b, depth + 1))
            return false;
        break;
    case '(':
        while (*p != ')') {
            if (*p == '\0' || !match(&p, &i, b, depth + 1))
                return false;
        }
        if (*i != ')')
            return false;
        p++, i++;
        if (!match(&p, &i, b, depth + 1))
            return false;
        break;
    case 'L':
        /* A class name is compared literally: its letters are not type variables. */
        while (*p && *p != ';' && *p == *i)
            p++, i++;
        if (*p != ';' || *i != ';')
            return false;
        p++, i++;
        break;
    default:
        return false;
    }
    *pp = p;
    *ip = i;
    return true;
}

bool rt_desc_match(const char *pattern, const char *inst)
{
    if (!pattern || !inst)
        return false;
    bindings b;
    memset(&b, 0, sizeof b);
    const char *p = pattern, *i = inst;
    return match(&p, &i, &b, 0) && *p == '\0' && *i == '\0';
}

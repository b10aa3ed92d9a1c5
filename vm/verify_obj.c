/* verify_obj.c — the verifier's knowledge of classes (docs/bytecode.md, "The class section"):
 * the checks of a module's class section, and the subtype relation and member lookups that
 * the typing rules of verify.c ask for.
 *
 * Three sources of classes: the module's own class section, the built-in error classes of
 * runtime/errors.def (each extends its parent, all of them Error), and, through verify_env,
 * the run-time types of modules linked before this one. A class named with this module's name
 * ("Lapp.X;" in module app) must be in the class section; a class of another module is known
 * only through the environment. Descriptors are passed as slices (pointer and length, 'L' and
 * ';' included), since the verifier's types are slices of larger descriptors.
 */
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* The built-in error classes, in errors.def order (a parent before its children). */
static const struct {
    const char *name;             /* "IndexError" */
    const char *parent;           /* "Error"; "NONE" for Error itself */
} builtin[] = {
#define ERR(name, parent) {#name, #parent},
#include "errors.def"
#undef ERR
};
#define NBUILTIN ((int32_t)(sizeof builtin / sizeof builtin[0]))

struct verify_classes {
    const bc_module *m;
    const verify_env *env;
    uint32_t *hash;               /* open addressing over class indexes + 1, 0 empty */
    uint32_t cap;                 /* power of two */
    uint32_t *mark;               /* per class: visit generation of the walks below */
    uint32_t gen;                 /* the current walk's generation */
};

/* ---- names ----------------------------------------------------------------------------------- */

static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* The descriptor of TYPE constant k when it is a class descriptor; its length in *len. */
static const char *class_desc(const bc_module *m, uint32_t k, size_t *len)
{
    if (k == 0 || k >= m->nconsts || m->consts[k].tag != BC_K_TYPE)
        return NULL;
    uint32_t s = m->consts[k].u.desc;
    if (s == 0 || s >= m->nconsts || m->consts[s].tag != BC_K_STR || !m->consts[s].u.s.bytes)
        return NULL;
    const bc_const *c = &m->consts[s];
    if (c->u.s.len < 3 || c->u.s.bytes[0] != 'L')
        return NULL;
    *len = c->u.s.len;
    return c->u.s.bytes;
}

bool verify__class_name(const char *d, size_t len, size_t *modlen, bool *generic)
{
    /* The class name follows the last '.' outside '<...>': "Lapp.Stack<lib.Item>;" is class
     * "Stack<lib.Item>" of module "app"; module names hold dots ("Llib.util.Circle;"). */
    int depth = 0;
    size_t dot = 0;
    *generic = false;
    for (size_t i = 1; i + 1 < len; i++) {
        if (d[i] == '<') {
            depth++;
            *generic = true;
        } else if (d[i] == '>' && depth > 0) {
            depth--;
        } else if (d[i] == '.' && depth == 0) {
            dot = i;
        }
    }
    if (dot <= 1 || dot + 2 >= len)
        return false;
    *modlen = dot - 1;
    return true;
}

/* Is the class descriptor d named as a class of module m ("Lapp.X;" in module "app")? A
 * generic instance may be defined by any module that uses it, so it never is. */
static bool names_this_module(const bc_module *m, const char *d, size_t len)
{
    size_t modlen;
    bool generic;
    return m->name && verify__class_name(d, len, &modlen, &generic) && !generic &&
           same(d + 1, modlen, m->name, strlen(m->name));
}

static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

/* The index in m->classes of the class described by d, or -1. */
static int32_t find(const verify_classes *c, const char *d, size_t len)
{
    if (!c->cap)
        return -1;
    uint32_t mask = c->cap - 1;
    for (uint32_t i = hash_bytes(d, len) & mask; c->hash[i]; i = (i + 1) & mask) {
        size_t l = 0;
        const char *e = class_desc(c->m, c->m->classes[c->hash[i] - 1].type, &l);
        if (same(e, l, d, len))
            return (int32_t)(c->hash[i] - 1);
    }
    return -1;
}

/* The index in `builtin` of the class named n[0..len) (no 'L', no ';'), or -1. */
static int32_t builtin_named(const char *n, size_t len)
{
    for (int32_t i = 0; i < NBUILTIN; i++)
        if (same(builtin[i].name, strlen(builtin[i].name), n, len))
            return i;
    return -1;
}

static int32_t find_builtin(const char *d, size_t len) { return builtin_named(d + 1, len - 2); }

verify_classes *verify__classes_new(const bc_module *m, const verify_env *env)
{
    verify_classes *c = xcalloc(1, sizeof *c);
    c->m = m;
    c->env = env;
    uint32_t n = m->classes ? m->nclasses : 0;
    if (n) {
        c->cap = 16;
        while (c->cap < 2 * n)
            c->cap *= 2;
        c->hash = xcalloc(c->cap, sizeof *c->hash);
        c->mark = xcalloc(n, sizeof *c->mark);
        for (uint32_t i = 0; i < n; i++) {
            size_t len;
            const char *d = class_desc(m, m->classes[i].type, &len);
            if (!d || find(c, d, len) >= 0)
                continue; /* not a class, or a duplicate: verify__classes_check says so */
            uint32_t mask = c->cap - 1, h = hash_bytes(d, len) & mask;
            while (c->hash[h])
                h = (h + 1) & mask;
            c->hash[h] = i + 1;
        }
    }
    return c;
}

void verify__classes_free(verify_classes *c)
{
    if (!c)
        return;
    free(c->hash);
    free(c->mark);
    free(c);
}

int verify__class_kind(const verify_classes *c, const char *d, size_t len, int32_t *index)
{
    int32_t i = find(c, d, len);
    if (index)
        *index = i;
    if (i >= 0)
        return c->m->classes[i].flags & BC_CLASS_INTERFACE ? VC_INTERFACE : VC_CLASS;
    if (find_builtin(d, len) >= 0)
        return VC_BUILTIN;
    return names_this_module(c->m, d, len) ? VC_MISSING : VC_FOREIGN;
}

/* ---- subtypes -------------------------------------------------------------------------------- */

/* Ask the environment, with NUL-terminated copies of the two descriptors. */
static bool ask_env(const verify_classes *c, const char *a, size_t alen, const char *b, size_t blen)
{
    if (!c->env || !c->env->is_subtype)
        return false;
    char *x = xmalloc(alen + blen + 2);
    memcpy(x, a, alen);
    x[alen] = '\0';
    memcpy(x + alen + 1, b, blen);
    x[alen + 1 + blen] = '\0';
    bool r = c->env->is_subtype(c->env->ctx, x, x + alen + 1);
    free(x);
    return r;
}

/* Does the class d reach sup through its bases and interfaces? Local classes are marked with
 * the walk's generation, so a cycle (rejected by the class checks, but this may run first on
 * hostile input) ends the walk instead of looping. The recursion follows only local classes,
 * each at most once, and the depth of that is at most the number of classes; it is bounded
 * below anyway so that no input can exhaust the host stack. */
static bool reaches(verify_classes *c, const char *d, size_t len, const char *sup, size_t suplen, int depth)
{
    if (same(d, len, sup, suplen))
        return true;
    if (depth > 4096)
        return false;
    int32_t i = find(c, d, len);
    if (i >= 0) {
        if (c->mark[i] == c->gen)
            return false;
        c->mark[i] = c->gen;
        const bc_class *k = &c->m->classes[i];
        size_t l;
        const char *s = k->super ? class_desc(c->m, k->super, &l) : NULL;
        if (s && reaches(c, s, l, sup, suplen, depth + 1))
            return true;
        for (uint32_t j = 0; j < k->nifaces && k->ifaces; j++) {
            s = class_desc(c->m, k->ifaces[j], &l);
            if (s && reaches(c, s, l, sup, suplen, depth + 1))
                return true;
        }
        return false;
    }
    /* Built-in errors form a chain up to Error. */
    for (int32_t b = find_builtin(d, len); b >= 0;) {
        const char *n = builtin[b].name;
        if (suplen == strlen(n) + 2 && memcmp(sup + 1, n, suplen - 2) == 0)
            return true;
        b = builtin_named(builtin[b].parent, strlen(builtin[b].parent));
        if (b < 0)
            return false;
    }
    return ask_env(c, d, len, sup, suplen);
}

bool verify__subclass(verify_classes *c, const char *sub, size_t sublen, const char *sup, size_t suplen)
{
    if (same(sub, sublen, sup, suplen))
        return true;
    if (c->mark && ++c->gen == 0) {
        memset(c->mark, 0, (size_t)c->m->nclasses * sizeof *c->mark);
        c->gen = 1;
    }
    return reaches(c, sub, sublen, sup, suplen, 0);
}

/* ---- members --------------------------------------------------------------------------------- */

/* Is STR constant k exactly the bytes n[0..nlen)? */
static bool str_is(const bc_module *m, uint32_t k, const char *n, size_t nlen)
{
    return k && k < m->nconsts && m->consts[k].tag == BC_K_STR && m->consts[k].u.s.bytes &&
           same(m->consts[k].u.s.bytes, m->consts[k].u.s.len, n, nlen);
}

/* Is TYPE constant k exactly the descriptor t[0..tlen)? */
static bool type_is(const bc_module *m, uint32_t k, const char *t, size_t tlen)
{
    return k && k < m->nconsts && m->consts[k].tag == BC_K_TYPE && str_is(m, m->consts[k].u.desc, t, tlen);
}

/* Look a member up along the bases (and, for methods, the interfaces) of class d: 1 found,
 * 0 absent from a hierarchy known all the way up, -1 the hierarchy leaves what this module
 * knows (a class of another module: the linker resolves it). */
static int member(verify_classes *c, bool field, const char *d, size_t len, const char *n, size_t nlen, const char *t,
                  size_t tlen, int depth)
{
    if (depth > 4096)
        return -1;
    int32_t i = find(c, d, len);
    if (i >= 0) {
        if (c->mark[i] == c->gen)
            return 0;
        c->mark[i] = c->gen;
        const bc_class *k = &c->m->classes[i];
        if (field) {
            for (uint32_t j = 0; j < k->nfields && k->fields; j++)
                if (str_is(c->m, k->fields[j].name, n, nlen) && type_is(c->m, k->fields[j].type, t, tlen))
                    return 1;
        } else {
            for (uint32_t j = 0; j < k->nmethods && k->methods; j++)
                if (str_is(c->m, k->methods[j].name, n, nlen) && type_is(c->m, k->methods[j].type, t, tlen))
                    return 1;
        }
        int r = 0;
        size_t l;
        const char *s = k->super ? class_desc(c->m, k->super, &l) : NULL;
        if (s) {
            int q = member(c, field, s, l, n, nlen, t, tlen, depth + 1);
            if (q == 1)
                return 1;
            r = q < 0 ? -1 : r;
        }
        for (uint32_t j = 0; !field && j < k->nifaces && k->ifaces; j++) {
            s = class_desc(c->m, k->ifaces[j], &l);
            int q = s ? member(c, field, s, l, n, nlen, t, tlen, depth + 1) : 0;
            if (q == 1)
                return 1;
            r = q < 0 ? -1 : r;
        }
        return r;
    }
    if (find_builtin(d, len) >= 0) {
        /* Every built-in error has exactly Error's fields and no methods. */
        return field && tlen == 1 && t[0] == 'S' &&
               (same(n, nlen, "message", 7) || same(n, nlen, "$trace", 6));
    }
    return names_this_module(c->m, d, len) ? 0 : -1;
}

int verify__member(verify_classes *c, bool field, const char *cls, size_t clen, const char *name, size_t nlen,
                   const char *type, size_t tlen)
{
    if (c->mark && ++c->gen == 0) {
        memset(c->mark, 0, (size_t)c->m->nclasses * sizeof *c->mark);
        c->gen = 1;
    }
    return member(c, field, cls, clen, name, nlen, type, tlen, 0);
}

/* ---- the class section ----------------------------------------------------------------------- */

/* A name from the module, with control bytes shown as '?' so the message stays one line. */
static void put_name(holt_buf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(b, (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i]);
}

static int bad(const verify_classes *c, holt_buf *err, uint32_t i, const char *what)
{
    buf_puts(err, "verify: module ");
    put_name(err, c->m->name ? c->m->name : "?", c->m->name ? strlen(c->m->name) : 1);
    size_t len;
    const char *d = class_desc(c->m, c->m->classes[i].type, &len);
    if (d) {
        buf_puts(err, ", class ");
        put_name(err, d + 1, len - 2);
    } else {
        buf_printf(err, ", class #%u", i);
    }
    buf_puts(err, ": ");
    buf_puts(err, what);
    return -1;
}

/* The descriptor of TYPE constant k whatever it holds (verify__const has checked it). */
static const char *any_desc(const bc_module *m, uint32_t k, size_t *len)
{
    if (k == 0 || k >= m->nconsts || m->consts[k].tag != BC_K_TYPE)
        return NULL;
    const bc_const *s = &m->consts[m->consts[k].u.desc];
    *len = s->u.s.len;
    return s->u.s.bytes;
}

/* Colours of the cycle search over interfaces: 0 unvisited, 1 on the path, 2 done. */
static bool iface_cycle(verify_classes *c, uint8_t *colour, uint32_t i, int depth)
{
    if (colour[i] == 1 || depth > 4096)
        return true;
    if (colour[i] == 2)
        return false;
    colour[i] = 1;
    const bc_class *k = &c->m->classes[i];
    for (uint32_t j = 0; j < k->nifaces; j++) {
        size_t l;
        const char *s = class_desc(c->m, k->ifaces[j], &l);
        int32_t t = s ? find(c, s, l) : -1;
        if (t >= 0 && iface_cycle(c, colour, (uint32_t)t, depth + 1))
            return true;
    }
    colour[i] = 2;
    return false;
}

static int check_class(verify_classes *c, uint32_t i, holt_buf *err)
{
    const bc_module *m = c->m;
    const bc_class *k = &m->classes[i];
    size_t len, l;
    const char *d = class_desc(m, k->type, &len);
    if (!d)
        return bad(c, err, i, "type is not a TYPE holding a class descriptor");
    size_t modlen;
    bool generic;
    if (!verify__class_name(d, len, &modlen, &generic))
        return bad(c, err, i, "name is not of the form module.Class");
    if (!generic && !names_this_module(m, d, len))
        return bad(c, err, i, "class is not named after this module");
    if (find(c, d, len) != (int32_t)i)
        return bad(c, err, i, "class defined twice");
    if (k->flags & ~(BC_PRIVATE | BC_CLASS_INTERFACE))
        return bad(c, err, i, "unknown flags");
    bool iface = k->flags & BC_CLASS_INTERFACE;
    if (k->super) {
        const char *s = class_desc(m, k->super, &l);
        if (!s)
            return bad(c, err, i, "base is not a TYPE holding a class descriptor");
        if (iface)
            return bad(c, err, i, "an interface has no base class");
        int32_t b;
        int kind = verify__class_kind(c, s, l, &b);
        if (kind == VC_MISSING)
            return bad(c, err, i, "base class is not defined by this module");
        if (kind == VC_INTERFACE)
            return bad(c, err, i, "base class is an interface");
        if (b >= (int32_t)i)
            return bad(c, err, i, "base class comes after it in the class section");
    }
    if (k->nifaces && !k->ifaces)
        return bad(c, err, i, "no interface table");
    for (uint32_t j = 0; j < k->nifaces; j++) {
        const char *s = class_desc(m, k->ifaces[j], &l);
        if (!s)
            return bad(c, err, i, "interface is not a TYPE holding a class descriptor");
        int kind = verify__class_kind(c, s, l, NULL);
        if (kind == VC_MISSING)
            return bad(c, err, i, "interface is not defined by this module");
        if (kind == VC_CLASS || kind == VC_BUILTIN)
            return bad(c, err, i, "interface names a class");
    }
    if (iface && k->nfields)
        return bad(c, err, i, "an interface has no fields");
    if (k->nfields && !k->fields)
        return bad(c, err, i, "no field table");
    for (uint32_t j = 0; j < k->nfields; j++) {
        const bc_field *f = &k->fields[j];
        const bc_const *n = f->name && f->name < m->nconsts && m->consts[f->name].tag == BC_K_STR ? &m->consts[f->name] : NULL;
        if (!n || !n->u.s.bytes || memchr(n->u.s.bytes, 0, n->u.s.len))
            return bad(c, err, i, "field name is not a STR without NUL");
        const char *t = any_desc(m, f->type, &l);
        if (!t)
            return bad(c, err, i, "field type is not a TYPE");
        if (t[0] == '^')
            return bad(c, err, i, "field type is a cell");
        for (uint32_t q = 0; q < j; q++)
            if (str_is(m, k->fields[q].name, n->u.s.bytes, n->u.s.len))
                return bad(c, err, i, "field defined twice");
    }
    if (k->nmethods && !k->methods)
        return bad(c, err, i, "no method table");
    for (uint32_t j = 0; j < k->nmethods; j++) {
        const bc_method *mt = &k->methods[j];
        const bc_const *n = mt->name && mt->name < m->nconsts && m->consts[mt->name].tag == BC_K_STR ? &m->consts[mt->name] : NULL;
        if (!n || !n->u.s.bytes || memchr(n->u.s.bytes, 0, n->u.s.len))
            return bad(c, err, i, "method name is not a STR without NUL");
        const char *t = any_desc(m, mt->type, &l);
        if (!t || t[0] != '(')
            return bad(c, err, i, "method type is not a function TYPE");
        for (uint32_t q = 0; q < j; q++)
            if (str_is(m, k->methods[q].name, n->u.s.bytes, n->u.s.len))
                return bad(c, err, i, "method defined twice");
        if (iface) {
            if (mt->func != BC_NO_FUNC)
                return bad(c, err, i, "an interface method has a function");
            continue;
        }
        if (mt->func >= m->nfuncs || !m->funcs)
            return bad(c, err, i, "method function out of range");
        const bc_function *fn = &m->funcs[mt->func];
        if (fn->ncaps)
            return bad(c, err, i, "method function has captures");
        /* The function's type is the signature with this class's receiver first. */
        size_t fl;
        const char *ft = any_desc(m, fn->type, &fl);
        if (!ft || fl != l + len || ft[0] != '(' || memcmp(ft + 1, d, len) != 0 ||
            memcmp(ft + 1 + len, t + 1, l - 1) != 0)
            return bad(c, err, i, "method function's type is not the signature with this class's receiver");
    }
    return 0;
}

int verify__classes_check(verify_classes *c, holt_buf *err)
{
    const bc_module *m = c->m;
    if (m->nclasses && !m->classes) {
        buf_puts(err, "verify: module ");
        put_name(err, m->name ? m->name : "?", m->name ? strlen(m->name) : 1);
        buf_puts(err, ": no class section");
        return -1;
    }
    for (uint32_t i = 0; i < m->nclasses; i++)
        if (check_class(c, i, err) < 0)
            return -1;
    uint8_t *colour = xcalloc(m->nclasses ? m->nclasses : 1, 1);
    for (uint32_t i = 0; i < m->nclasses; i++) {
        if (iface_cycle(c, colour, i, 0)) {
            free(colour);
            return bad(c, err, i, "interfaces extend each other in a cycle");
        }
    }
    free(colour);
    return 0;
}

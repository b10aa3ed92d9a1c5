/* types.c — the interned type table of types.h.
 *
 * Every type is created once per table and found again through its key, a string that is
 * the canonical descriptor for real types ("[I", "{SI", "(IS)Z") and a private spelling
 * that no descriptor can take for the checker's pseudo types (error, null, module, type
 * variable). Because composite keys are built from the keys of their parts, equal keys mean
 * equal types, and pointer equality is type equality.
 */
#include "types.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* A table entry: the public htype first, so a `const htype *` handed out by the table can
 * be viewed as its entry (ty_name needs the spelling without a table argument). */
typedef struct ty_entry {
    htype t;                      /* what callers see */
    char *key;                    /* interning key; equals t.desc */
    char *spelling;               /* source spelling for messages */
    const htype **params;         /* owned copy of FN parameters */
    const htype **supers;         /* owned copy of CLASS supertypes */
} ty_entry;

struct ty_table {
    ty_entry **slots;             /* open-addressed hash of entries by key */
    size_t cap;                   /* power of two */
    size_t n;                     /* entries in use */
    const htype *basic[TY_TYPEVAR + 1]; /* the basic types, by kind */
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static void grow(ty_table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 64;
    ty_entry **ns = xcalloc(ncap, sizeof *ns);
    for (size_t i = 0; i < t->cap; i++) {
        ty_entry *e = t->slots[i];
        if (!e)
            continue;
        size_t j = hash_str(e->key) & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = e;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
}

/* The entry with this key, or NULL; *at receives the slot where it is or would go. */
static ty_entry *find(ty_table *t, const char *key, size_t *at)
{
    size_t j = hash_str(key) & (t->cap - 1);
    while (t->slots[j]) {
        if (strcmp(t->slots[j]->key, key) == 0) {
            *at = j;
            return t->slots[j];
        }
        j = (j + 1) & (t->cap - 1);
    }
    *at = j;
    return NULL;
}

/* Intern a type described by `proto` under `key`. The key and spelling are copied; the
 * parameter array of a function type is copied too. */
static const htype *intern(ty_table *t, const htype *proto, const char *key, const char *spelling)
{
    if ((t->n + 1) * 2 > t->cap)
        grow(t);
    size_t at;
    ty_entry *e = find(t, key, &at);
    if (e)
        return &e->t;
    e = xcalloc(1, sizeof *e);
    e->t = *proto;
    e->key = xstrdup(key);
    e->spelling = xstrdup(spelling);
    e->t.desc = e->key;
    if (proto->nparams > 0) {
        e->params = xmalloc((size_t)proto->nparams * sizeof *e->params);
        memcpy(e->params, proto->params, (size_t)proto->nparams * sizeof *e->params);
    }
    e->t.params = e->params;
    t->slots[at] = e;
    t->n++;
    return &e->t;
}

static const htype *basic(ty_table *t, ty_kind k, const char *key, const char *spelling)
{
    htype proto = {.kind = k};
    return intern(t, &proto, key, spelling);
}

ty_table *ty_table_new(void)
{
    ty_table *t = xcalloc(1, sizeof *t);
    grow(t);
    /* Pseudo types get keys beginning with '!', which no descriptor can contain. */
    t->basic[TY_ERROR] = basic(t, TY_ERROR, "!error", "<error>");
    t->basic[TY_VOID] = basic(t, TY_VOID, "V", "void");
    t->basic[TY_NULL] = basic(t, TY_NULL, "!null", "null");
    t->basic[TY_INT] = basic(t, TY_INT, "I", "int");
    t->basic[TY_FLOAT] = basic(t, TY_FLOAT, "F", "float");
    t->basic[TY_BOOL] = basic(t, TY_BOOL, "Z", "bool");
    t->basic[TY_STR] = basic(t, TY_STR, "S", "str");
    t->basic[TY_ANY] = basic(t, TY_ANY, "A", "any");
    t->basic[TY_MODULE] = basic(t, TY_MODULE, "!module", "module");
    return t;
}

void ty_table_free(ty_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->cap; i++) {
        ty_entry *e = t->slots[i];
        if (!e)
            continue;
        free(e->key);
        free(e->spelling);
        free(e->params);
        free(e->supers);
        free(e);
    }
    free(t->slots);
    free(t);
}

const htype *ty_basic(ty_table *t, ty_kind k)
{
    if ((int)k < 0 || (int)k > TY_TYPEVAR || !t->basic[k])
        return t->basic[TY_ERROR];
    return t->basic[k];
}

static const char *spell(const htype *ty)
{
    return ((const ty_entry *)ty)->spelling;
}

const htype *ty_list(ty_table *t, const htype *elem)
{
    holt_buf key, sp;
    buf_init(&key);
    buf_init(&sp);
    buf_printf(&key, "[%s", elem->desc);
    buf_printf(&sp, "[%s]", spell(elem));
    htype proto = {.kind = TY_LIST, .elem = elem};
    const htype *r = intern(t, &proto, key.data, sp.data);
    buf_free(&key);
    buf_free(&sp);
    return r;
}

const htype *ty_cell(ty_table *t, const htype *elem)
{
    holt_buf key, sp;
    buf_init(&key);
    buf_init(&sp);
    buf_printf(&key, "^%s", elem->desc);
    buf_printf(&sp, "^%s", spell(elem));
    htype proto = {.kind = TY_CELL, .elem = elem};
    const htype *r = intern(t, &proto, key.data, sp.data);
    buf_free(&key);
    buf_free(&sp);
    return r;
}

const htype *ty_map(ty_table *t, const htype *key_ty, const htype *value)
{
    holt_buf key, sp;
    buf_init(&key);
    buf_init(&sp);
    buf_printf(&key, "{%s%s", key_ty->desc, value->desc);
    buf_printf(&sp, "{%s: %s}", spell(key_ty), spell(value));
    htype proto = {.kind = TY_MAP, .key = key_ty, .elem = value};
    const htype *r = intern(t, &proto, key.data, sp.data);
    buf_free(&key);
    buf_free(&sp);
    return r;
}

const htype *ty_fn(ty_table *t, const htype *const *params, int nparams, const htype *ret)
{
    holt_buf key, sp;
    buf_init(&key);
    buf_init(&sp);
    buf_putc(&key, '(');
    buf_puts(&sp, "fn(");
    for (int i = 0; i < nparams; i++) {
        buf_puts(&key, params[i]->desc);
        if (i)
            buf_puts(&sp, ", ");
        buf_puts(&sp, spell(params[i]));
    }
    buf_putc(&key, ')');
    buf_puts(&key, ret->desc);
    buf_putc(&sp, ')');
    if (ret->kind != TY_VOID)
        buf_printf(&sp, " -> %s", spell(ret));
    htype proto = {.kind = TY_FN, .params = (const htype **)params, .nparams = nparams, .ret = ret};
    const htype *r = intern(t, &proto, key.data, sp.data);
    buf_free(&key);
    buf_free(&sp);
    return r;
}

const htype *ty_class(ty_table *t, const char *qual, const char *spelling, void *cls)
{
    holt_buf key;
    buf_init(&key);
    buf_printf(&key, "L%s;", qual);
    htype proto = {.kind = TY_CLASS, .name = spelling, .cls = cls};
    const htype *r = intern(t, &proto, key.data, spelling);
    buf_free(&key);
    /* The name points at the table's own copy, which lives as long as the table. */
    ((ty_entry *)r)->t.name = ((ty_entry *)r)->spelling;
    return r;
}

void ty_set_supers(ty_table *t, const htype *cls, const htype *const *supers, int n)
{
    (void)t;
    ty_entry *e = (ty_entry *)cls;
    free(e->supers);
    e->supers = NULL;
    if (n > 0) {
        e->supers = xmalloc((size_t)n * sizeof *e->supers);
        memcpy(e->supers, supers, (size_t)n * sizeof *e->supers);
    }
    e->t.supers = e->supers;
    e->t.nsupers = n;
}

/* The base class chain (first supertype) is followed in a loop, so a long chain costs no host
 * stack; only interfaces recurse. The step bound stops a cycle the checker has not refused. */
static bool subclass_at(const htype *sub, const htype *sup, int depth)
{
    for (; sub; depth++) {
        if (sub == sup)
            return true;
        if (depth > 1000000 || sub->kind != TY_CLASS || sub->nsupers == 0)
            return false;
        for (int i = 1; i < sub->nsupers; i++)
            if (subclass_at(sub->supers[i], sup, depth + 1))
                return true;
        sub = sub->supers[0];
    }
    return false;
}

bool ty_subclass(const htype *sub, const htype *sup) { return subclass_at(sub, sup, 0); }

/* ---- descriptors ---------------------------------------------------------------------------- */

typedef struct {
    ty_table *t;                  /* where the types are interned */
    const char *p;                /* next character */
    const htype *const *vars;     /* type variable bindings, or NULL */
    int depth;                    /* nesting, bounded so a hostile descriptor cannot recurse deep */
} desc_reader;

static const htype *read_type(desc_reader *r, bool allow_void)
{
    if (++r->depth > 256)
        return NULL;
    const htype *res = NULL;
    char ch = *r->p;
    if (ch)
        r->p++;
    switch (ch) {
    case 'I': res = r->t->basic[TY_INT]; break;
    case 'F': res = r->t->basic[TY_FLOAT]; break;
    case 'Z': res = r->t->basic[TY_BOOL]; break;
    case 'S': res = r->t->basic[TY_STR]; break;
    case 'A': res = r->t->basic[TY_ANY]; break;
    case 'V': res = allow_void ? r->t->basic[TY_VOID] : NULL; break;
    case 'T': case 'U': case 'K': case 'E':
        res = r->vars ? r->vars[ch - 'A'] : NULL;
        break;
    case '[': {
        const htype *e = read_type(r, false);
        res = e ? ty_list(r->t, e) : NULL;
        break;
    }
    case '{': {
        const htype *k = read_type(r, false);
        const htype *v = k ? read_type(r, false) : NULL;
        res = v ? ty_map(r->t, k, v) : NULL;
        break;
    }
    case '(': {
        const htype **ps = NULL;
        int n = 0, cap = 0;
        bool ok = true;
        while (ok && *r->p && *r->p != ')') {
            const htype *p = read_type(r, false);
            if (!p) {
                ok = false;
                break;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                ps = xrealloc(ps, (size_t)cap * sizeof *ps);
            }
            ps[n++] = p;
        }
        if (ok && *r->p == ')') {
            r->p++;
            const htype *ret = read_type(r, true);
            if (ret)
                res = ty_fn(r->t, ps, n, ret);
        }
        free(ps);
        break;
    }
    case 'L': {
        /* A class descriptor names a class the table already knows; none is made up here. */
        const char *end = strchr(r->p, ';');
        if (end && end > r->p) {
            holt_buf key;
            buf_init(&key);
            buf_putc(&key, 'L');
            buf_put(&key, r->p, (size_t)(end - r->p) + 1);
            size_t at;
            ty_entry *e = find(r->t, key.data, &at);
            res = e && e->t.kind == TY_CLASS ? &e->t : NULL;
            buf_free(&key);
            r->p = end + 1;
        }
        break;
    }
    default:
        res = NULL;
        break;
    }
    r->depth--;
    return res;
}

const htype *ty_from_desc(ty_table *t, const char *desc, const htype *const vars[26])
{
    if (!desc)
        return NULL;
    desc_reader r = {.t = t, .p = desc, .vars = vars};
    const htype *ty = read_type(&r, true);
    if (!ty || *r.p)
        return NULL;
    return ty;
}

/* ---- questions ------------------------------------------------------------------------------- */

const char *ty_name(const htype *ty)
{
    return ty ? spell(ty) : "<none>";
}

bool ty_is_ref(const htype *ty)
{
    switch (ty->kind) {
    case TY_ERROR:
    case TY_NULL:
    case TY_STR:
    case TY_ANY:
    case TY_LIST:
    case TY_MAP:
    case TY_FN:
    case TY_CLASS:
        return true;
    default:
        return false;
    }
}

bool ty_assignable(const htype *from, const htype *to)
{
    if (from == to || from->kind == TY_ERROR || to->kind == TY_ERROR)
        return true;
    if (from->kind == TY_VOID || to->kind == TY_VOID || from->kind == TY_MODULE ||
        to->kind == TY_MODULE)
        return false;
    if (from->kind == TY_INT && to->kind == TY_FLOAT)
        return true;
    if (to->kind == TY_ANY)
        return true;
    if (from->kind == TY_NULL)
        return ty_is_ref(to) && to->kind != TY_NULL;
    if (from->kind == TY_CLASS && to->kind == TY_CLASS)
        return ty_subclass(from, to);
    return false;
}

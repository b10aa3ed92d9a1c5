/* verify.c — the bytecode verifier (docs/bytecode.md, "Verifier rules").
 *
 * A module is checked on its own, as the JVM's type-inferring verifier checks a class: first
 * the constant pool, the globals and each function's header; then, per function, a decoding
 * pass (every instruction, its operands, its constant, local, global and function indexes,
 * its jump targets), and finally an abstract interpretation that gives every operand-stack
 * slot a type at every reachable instruction.
 *
 * Types are descriptors, interned into small ids so that two types are equal exactly when
 * their ids are. Operand stacks are interned too, as hash-consed cons cells (type, below), so
 * a whole stack state is one id and comparing two states at a join is one integer compare.
 * Because a state reaching an instruction a second time must be identical to the first one,
 * no state ever changes once set: each instruction is interpreted at most once and the pass
 * is linear in code size, and its memory is linear too (one state id per code byte plus at
 * most two cells per instruction interpreted).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* Descriptors nest at most this deep: enough for any real type, and it bounds the recursion
 * of every descriptor walk on hostile input. */
#define DESC_MAX_DEPTH 255

#define NONE UINT32_MAX

/* ---- descriptors --------------------------------------------------------------------------- */

/* Check one descriptor starting at d[*i], advancing *i past it. `result` allows V (a
 * function's result); `cell` allows ^x (only the whole type of a local or of a cell operand
 * is a cell, so a cell never nests). */
static bool desc_one(const char *d, size_t len, size_t *i, int depth, bool result, bool cell)
{
    if (depth > DESC_MAX_DEPTH || *i >= len)
        return false;
    char c = d[(*i)++];
    switch (c) {
    case 'I': case 'F': case 'Z': case 'S': case 'A':
        return true;
    case 'V':
        return result;
    case '^':
        return cell && desc_one(d, len, i, depth + 1, false, false);
    case '[':
        return desc_one(d, len, i, depth + 1, false, false);
    case '{':
        /* Map keys are int, str or bool (language.md 2). */
        if (*i >= len || (d[*i] != 'I' && d[*i] != 'S' && d[*i] != 'Z'))
            return false;
        (*i)++;
        return desc_one(d, len, i, depth + 1, false, false);
    case '(':
        while (*i < len && d[*i] != ')')
            if (!desc_one(d, len, i, depth + 1, false, false))
                return false;
        if (*i >= len)
            return false;
        (*i)++;
        return desc_one(d, len, i, depth + 1, true, false);
    case 'L': {
        /* Any bytes but ';' and NUL: generic instances are named by their source spelling,
         * "Lapp.Stack<int>;". */
        size_t start = *i;
        while (*i < len && d[*i] != ';' && d[*i] != '\0')
            (*i)++;
        if (*i == start || *i >= len || d[*i] != ';')
            return false;
        (*i)++;
        return true;
    }
    default:
        return false;
    }
}

bool verify__desc(const char *d, size_t len)
{
    size_t i = 0;
    return d && desc_one(d, len, &i, 0, false, true) && i == len;
}

/* The length of the well-formed descriptor at d (already checked by verify__desc). */
static uint32_t desc_len(const char *d)
{
    switch (d[0]) {
    case '[':
    case '^':
        return 1 + desc_len(d + 1);
    case '{':
        return 2 + desc_len(d + 2);
    case '(': {
        uint32_t i = 1;
        while (d[i] != ')')
            i += desc_len(d + i);
        i++;
        return i + desc_len(d + i);
    }
    case 'L': {
        uint32_t i = 1;
        while (d[i] != ';')
            i++;
        return i + 1;
    }
    default:
        return 1;
    }
}

/* ---- constants ----------------------------------------------------------------------------- */

static const bc_const *kget(const bc_module *m, uint32_t k, int tag)
{
    if (k == 0 || k >= m->nconsts || !m->consts || m->consts[k].tag != tag)
        return NULL;
    return &m->consts[k];
}

/* A STR usable as a name: present and free of NUL bytes (names are compared as C strings). */
static bool name_ok(const bc_module *m, uint32_t k)
{
    const bc_const *s = kget(m, k, BC_K_STR);
    return s && s->u.s.bytes && !memchr(s->u.s.bytes, 0, s->u.s.len);
}

/* The descriptor bytes of TYPE constant k when it is a TYPE whose desc is a STR. */
static const bc_const *type_str(const bc_module *m, uint32_t k)
{
    const bc_const *t = kget(m, k, BC_K_TYPE);
    if (!t)
        return NULL;
    const bc_const *s = kget(m, t->u.desc, BC_K_STR);
    return s && s->u.s.bytes ? s : NULL;
}

/* What is wrong with a TYPE reference k from another constant (fn: it must be a function). */
enum { TREF_OK, TREF_NOT_TYPE, TREF_BAD_DESC, TREF_NOT_FN, TREF_CELL };

static int type_ref(const bc_module *m, uint32_t k, bool fn)
{
    const bc_const *s = type_str(m, k);
    if (!s)
        return TREF_NOT_TYPE;
    if (!verify__desc(s->u.s.bytes, s->u.s.len))
        return TREF_BAD_DESC;
    if (fn && s->u.s.bytes[0] != '(')
        return TREF_NOT_FN;
    if (s->u.s.bytes[0] == '^')
        return TREF_CELL;
    return TREF_OK;
}

const char *verify__const(const bc_module *m, uint32_t k)
{
    /* Indexed by [FUNC, GLOBAL, NATIVE, FIELD, METHOD][TREF_*]. */
    static const char *const tref_msg[5][5] = {
        {NULL, "FUNC type is not a TYPE", "FUNC type is not a well-formed descriptor", "FUNC type is not a function type", NULL},
        {NULL, "GLOBAL type is not a TYPE", "GLOBAL type is not a well-formed descriptor", NULL, "GLOBAL type is a cell"},
        {NULL, "NATIVE type is not a TYPE", "NATIVE type is not a well-formed descriptor", "NATIVE type is not a function type", NULL},
        {NULL, "FIELD type is not a TYPE", "FIELD type is not a well-formed descriptor", NULL, "FIELD type is a cell"},
        {NULL, "METHOD type is not a TYPE", "METHOD type is not a well-formed descriptor", "METHOD type is not a function type", NULL},
    };
    if (k == 0 || k >= m->nconsts || !m->consts)
        return "index out of range";
    const bc_const *c = &m->consts[k];
    switch (c->tag) {
    case BC_K_INT:
    case BC_K_FLOAT:
        return NULL;
    case BC_K_STR:
        return c->u.s.bytes ? NULL : "STR has no bytes";
    case BC_K_TYPE: {
        const bc_const *s = kget(m, c->u.desc, BC_K_STR);
        if (!s || !s->u.s.bytes)
            return "TYPE desc is not a STR";
        if (!verify__desc(s->u.s.bytes, s->u.s.len))
            return "TYPE desc is not a well-formed descriptor";
        return NULL;
    }
    case BC_K_MODULE:
        return name_ok(m, c->u.mod.name) ? NULL : "MODULE name is not a STR without NUL";
    case BC_K_FUNC:
        if (!kget(m, c->u.ref.module, BC_K_MODULE))
            return "FUNC module is not a MODULE";
        if (!name_ok(m, c->u.ref.name))
            return "FUNC name is not a STR without NUL";
        return tref_msg[0][type_ref(m, c->u.ref.type, true)];
    case BC_K_GLOBAL:
        if (!kget(m, c->u.ref.module, BC_K_MODULE))
            return "GLOBAL module is not a MODULE";
        if (!name_ok(m, c->u.ref.name))
            return "GLOBAL name is not a STR without NUL";
        return tref_msg[1][type_ref(m, c->u.ref.type, false)];
    case BC_K_NATIVE:
        if (!name_ok(m, c->u.ref.name))
            return "NATIVE name is not a STR without NUL";
        return tref_msg[2][type_ref(m, c->u.ref.type, true)];
    case BC_K_FIELD:
    case BC_K_METHOD: {
        bool field = c->tag == BC_K_FIELD;
        const bc_const *cls = type_str(m, c->u.ref.module);
        if (!cls || !verify__desc(cls->u.s.bytes, cls->u.s.len) || cls->u.s.bytes[0] != 'L')
            return field ? "FIELD class is not a TYPE holding a class descriptor"
                         : "METHOD class is not a TYPE holding a class descriptor";
        if (!name_ok(m, c->u.ref.name))
            return field ? "FIELD name is not a STR without NUL" : "METHOD name is not a STR without NUL";
        return tref_msg[field ? 3 : 4][type_ref(m, c->u.ref.type, !field)];
    }
    default:
        return "unknown tag";
    }
}

/* ---- the verifier's state ------------------------------------------------------------------ */

/* An interned type. Its descriptor is a slice of some TYPE constant's string. */
typedef struct {
    const char *d;                /* descriptor bytes (not NUL-terminated in general) */
    uint32_t len;                 /* descriptor length */
    char kind;                    /* d[0]: I F Z S A V [ { ( L ^ */
    uint32_t elem;                /* list element, map value, the value of a cell */
    uint32_t key;                 /* map key */
    uint32_t ret;                 /* function result (TY_V for none) */
    uint32_t nparams;             /* function parameter count */
    uint32_t *params;             /* function parameter types */
    uint32_t cellty;              /* the type ^x of a cell holding this type, once built */
} vtype;

/* Fixed type ids, interned first in this order. */
enum { TY_I, TY_F, TY_Z, TY_S, TY_A, TY_V };

/* One operand-stack cell: the stack `below` with `type` pushed on it. Cell 0 is the empty
 * stack. Cells are hash-consed, so equal stacks are equal ids. */
typedef struct {
    uint32_t type;                /* type of the top slot */
    uint32_t below;               /* the rest of the stack */
    uint32_t depth;               /* slots in the stack, this one included */
} vcell;

/* A remembered answer of the subtype relation. */
typedef struct {
    uint32_t sub, super;          /* type ids; sub == NONE for an empty entry */
    bool yes;                     /* sub is assignable to super */
} vmemo;

typedef struct {
    const bc_module *m;
    holt_buf *err;
    const verify_env *env;        /* NULL: classes of other modules match only themselves */
    verify_classes *classes;      /* the module's classes, the built-in errors, the env */
    bool trust;                   /* the module has been verified: every assignment holds
                                     (stack maps are computed without the environment) */
    vmemo *memo;                  /* open addressing, memo_cap entries */
    uint32_t memo_cap, nmemo;     /* power of two; entries used */
    char **made;                  /* descriptors the verifier built ("^I", "LError;" copies) */
    uint32_t nmade;
    uint32_t ty_error;            /* the type id of "LError;" */
    vtype *ty;                    /* interned types, by id */
    uint32_t nty, capty;
    uint32_t *tyhash;             /* open addressing: type id + 1, 0 empty */
    uint32_t tyhash_cap;          /* power of two */
    uint32_t *kty;                /* per constant: the type id of a TYPE constant, else NONE */
    vcell *cell;                  /* stack cells, by id */
    uint32_t ncell, capcell;
    uint32_t *cellhash;           /* open addressing: cell id + 1, 0 empty */
    uint32_t cellhash_cap;        /* power of two */
    /* the function being checked */
    const bc_function *f;         /* NULL while checking module-level parts */
    uint32_t fidx;                /* its index */
    uint32_t *local;              /* type ids of its locals */
    uint32_t ret;                 /* its result type */
    uint32_t *state;              /* per code byte: stack cell id + 1 on entry, 0 unreached */
    uint8_t *start;               /* per code byte: 1 at an instruction start */
    uint32_t *work;               /* instruction offsets waiting to be interpreted */
    uint32_t nwork;
    bool keep_state;              /* leave `state` for verify_stack_map */
} verifier;

/* ---- messages ------------------------------------------------------------------------------ */

/* A name from the module, with control bytes shown as '?' so the message stays one line. */
static void put_name(holt_buf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n && p[i]; i++)
        buf_putc(b, (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i]);
}

/* "verify: module M[, function F][, at PC (OP)]: " */
static void where(verifier *v, uint32_t pc)
{
    buf_puts(v->err, "verify: module ");
    put_name(v->err, v->m->name ? v->m->name : "?", SIZE_MAX);
    if (v->f) {
        const bc_const *s = kget(v->m, v->f->name, BC_K_STR);
        if (s && s->u.s.bytes) {
            buf_puts(v->err, ", function ");
            put_name(v->err, s->u.s.bytes, s->u.s.len);
        } else {
            buf_printf(v->err, ", function #%u", v->fidx);
        }
        if (pc != NONE) {
            buf_printf(v->err, ", at %u", pc);
            if (pc < v->f->code_len && v->f->code[pc] < OP__COUNT)
                buf_printf(v->err, " (%s)", bc_ops[v->f->code[pc]].name);
        }
    }
    buf_puts(v->err, ": ");
}

static int fail(verifier *v, uint32_t pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(verifier *v, uint32_t pc, const char *fmt, ...)
{
    where(v, pc);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(v->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Append the source spelling of a type: "int", "[str]", "{str: int}", "fn(int) -> str". */
static void tname(verifier *v, uint32_t t)
{
    const vtype *y = &v->ty[t];
    switch (y->kind) {
    case 'I': buf_puts(v->err, "int"); break;
    case 'F': buf_puts(v->err, "float"); break;
    case 'Z': buf_puts(v->err, "bool"); break;
    case 'S': buf_puts(v->err, "str"); break;
    case 'A': buf_puts(v->err, "any"); break;
    case 'V': buf_puts(v->err, "nothing"); break;
    case '[':
        buf_putc(v->err, '[');
        tname(v, y->elem);
        buf_putc(v->err, ']');
        break;
    case '{':
        buf_putc(v->err, '{');
        tname(v, y->key);
        buf_puts(v->err, ": ");
        tname(v, y->elem);
        buf_putc(v->err, '}');
        break;
    case '(':
        buf_puts(v->err, "fn(");
        for (uint32_t i = 0; i < y->nparams; i++) {
            if (i)
                buf_puts(v->err, ", ");
            tname(v, y->params[i]);
        }
        buf_putc(v->err, ')');
        if (y->ret != TY_V) {
            buf_puts(v->err, " -> ");
            tname(v, y->ret);
        }
        break;
    case '^':
        buf_puts(v->err, "cell of ");
        tname(v, y->elem);
        break;
    default: /* L...; */
        put_name(v->err, y->d + 1, y->len - 2);
        break;
    }
}

/* "<ctx>expected <want>, found <found>"; want is a type id, or NONE with want_text. */
static int mismatch(verifier *v, uint32_t pc, const char *ctx, uint32_t want, const char *want_text, uint32_t found)
{
    where(v, pc);
    buf_printf(v->err, "%sexpected ", ctx);
    if (want != NONE)
        tname(v, want);
    else
        buf_puts(v->err, want_text);
    buf_puts(v->err, ", found ");
    tname(v, found);
    return -1;
}

/* ---- interned types ------------------------------------------------------------------------ */

static uint32_t hash_bytes(const char *p, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

static void tyhash_insert(verifier *v, uint32_t id)
{
    uint32_t mask = v->tyhash_cap - 1;
    uint32_t i = hash_bytes(v->ty[id].d, v->ty[id].len) & mask;
    while (v->tyhash[i])
        i = (i + 1) & mask;
    v->tyhash[i] = id + 1;
}

/* The id of the well-formed descriptor d[0..len), interning it and its parts. */
static uint32_t intern(verifier *v, const char *d, uint32_t len)
{
    uint32_t mask = v->tyhash_cap - 1;
    for (uint32_t i = hash_bytes(d, len) & mask; v->tyhash[i]; i = (i + 1) & mask) {
        const vtype *y = &v->ty[v->tyhash[i] - 1];
        if (y->len == len && memcmp(y->d, d, len) == 0)
            return v->tyhash[i] - 1;
    }
    if (v->nty == v->capty) {
        v->capty = v->capty ? 2 * v->capty : 64;
        v->ty = xrealloc(v->ty, v->capty * sizeof *v->ty);
    }
    uint32_t id = v->nty++;
    v->ty[id] = (vtype){.d = d, .len = len, .kind = d[0], .elem = NONE, .key = NONE, .ret = NONE, .cellty = NONE};
    if (2 * v->nty > v->tyhash_cap) {
        free(v->tyhash);
        v->tyhash_cap = v->tyhash_cap ? 2 * v->tyhash_cap : 128;
        v->tyhash = xcalloc(v->tyhash_cap, sizeof *v->tyhash);
        for (uint32_t t = 0; t < v->nty; t++)
            tyhash_insert(v, t);
    } else {
        tyhash_insert(v, id);
    }
    /* The parts, interned after the entry exists (v->ty may move meanwhile). */
    uint32_t a, b;
    switch (d[0]) {
    case '[':
    case '^':
        a = intern(v, d + 1, len - 1);
        v->ty[id].elem = a;
        break;
    case '{':
        a = intern(v, d + 1, 1);
        b = intern(v, d + 2, len - 2);
        v->ty[id].key = a;
        v->ty[id].elem = b;
        break;
    case '(': {
        uint32_t n = 0, i = 1;
        while (d[i] != ')') {
            i += desc_len(d + i);
            n++;
        }
        uint32_t *params = xmalloc((n ? n : 1) * sizeof *params);
        i = 1;
        for (uint32_t p = 0; p < n; p++) {
            uint32_t l = desc_len(d + i);
            params[p] = intern(v, d + i, l);
            i += l;
        }
        i++;
        b = intern(v, d + i, len - i);
        v->ty[id].params = params;
        v->ty[id].nparams = n;
        v->ty[id].ret = b;
        break;
    }
    default:
        break;
    }
    return id;
}

/* A reference: a pointer the collector traces (cells included). */
static bool is_ref(const verifier *v, uint32_t t)
{
    char k = v->ty[t].kind;
    return k == 'S' || k == 'A' || k == '[' || k == '{' || k == '(' || k == 'L' || k == '^';
}

/* A reference a program may hold as a value: not a cell. */
static bool is_value_ref(const verifier *v, uint32_t t) { return is_ref(v, t) && v->ty[t].kind != '^'; }

/* The id of a descriptor the verifier spells itself; the bytes are kept until it ends. */
static uint32_t intern_made(verifier *v, const char *prefix, const char *d, uint32_t len)
{
    size_t n = strlen(prefix);
    char *x = xmalloc(n + len + 1);
    memcpy(x, prefix, n);
    memcpy(x + n, d, len);
    x[n + len] = '\0';
    v->made = xrealloc(v->made, (v->nmade + 1) * sizeof *v->made);
    v->made[v->nmade++] = x;
    return intern(v, x, (uint32_t)(n + len));
}

/* Can a value of type `from` be stored where `to` is expected? The same type, or a class
 * type that is `to` or one of its subtypes (no other subtyping: lists, maps and functions
 * are invariant, and reaching `any` takes TOANY or a BOX). Answers are remembered, so each
 * pair of classes walks the hierarchy once. */
static bool assignable(verifier *v, uint32_t from, uint32_t to)
{
    if (from == to || v->trust)
        return true;
    if (v->ty[from].kind != 'L' || v->ty[to].kind != 'L')
        return false;
    uint32_t mask = v->memo_cap - 1;
    uint32_t i = (uint32_t)(((uint64_t)from << 32 | to) * 0x9E3779B97F4A7C15ull >> 40) & mask;
    for (; v->memo[i].sub != NONE; i = (i + 1) & mask)
        if (v->memo[i].sub == from && v->memo[i].super == to)
            return v->memo[i].yes;
    bool yes = verify__subclass(v->classes, v->ty[from].d, v->ty[from].len, v->ty[to].d, v->ty[to].len);
    v->memo[i] = (vmemo){from, to, yes};
    if (2 * ++v->nmemo > v->memo_cap) {
        vmemo *old = v->memo;
        uint32_t oldcap = v->memo_cap;
        v->memo_cap *= 2;
        v->memo = xmalloc(v->memo_cap * sizeof *v->memo);
        for (uint32_t j = 0; j < v->memo_cap; j++)
            v->memo[j].sub = NONE;
        mask = v->memo_cap - 1;
        for (uint32_t j = 0; j < oldcap; j++) {
            if (old[j].sub == NONE)
                continue;
            uint32_t h = (uint32_t)(((uint64_t)old[j].sub << 32 | old[j].super) * 0x9E3779B97F4A7C15ull >> 40) & mask;
            while (v->memo[h].sub != NONE)
                h = (h + 1) & mask;
            v->memo[h] = old[j];
        }
        free(old);
    }
    return yes;
}

/* ---- stack cells --------------------------------------------------------------------------- */

static uint32_t cell_hash(uint32_t type, uint32_t below)
{
    uint64_t x = ((uint64_t)type << 32 | below) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32);
}

static void cellhash_insert(verifier *v, uint32_t id)
{
    uint32_t mask = v->cellhash_cap - 1;
    uint32_t i = cell_hash(v->cell[id].type, v->cell[id].below) & mask;
    while (v->cellhash[i])
        i = (i + 1) & mask;
    v->cellhash[i] = id + 1;
}

/* The stack `below` with `type` pushed on it (the caller has checked max_stack). */
static uint32_t cons(verifier *v, uint32_t below, uint32_t type)
{
    uint32_t mask = v->cellhash_cap - 1;
    for (uint32_t i = cell_hash(type, below) & mask; v->cellhash[i]; i = (i + 1) & mask) {
        const vcell *c = &v->cell[v->cellhash[i] - 1];
        if (c->type == type && c->below == below)
            return v->cellhash[i] - 1;
    }
    if (v->ncell == v->capcell) {
        v->capcell = 2 * v->capcell;
        v->cell = xrealloc(v->cell, v->capcell * sizeof *v->cell);
    }
    uint32_t id = v->ncell++;
    v->cell[id] = (vcell){type, below, v->cell[below].depth + 1};
    if (2 * v->ncell > v->cellhash_cap) {
        free(v->cellhash);
        v->cellhash_cap *= 2;
        v->cellhash = xcalloc(v->cellhash_cap, sizeof *v->cellhash);
        for (uint32_t c = 1; c < v->ncell; c++)
            cellhash_insert(v, c);
    } else {
        cellhash_insert(v, id);
    }
    return id;
}

/* Push `type` onto *s at pc, failing beyond max_stack. */
static int push(verifier *v, uint32_t pc, uint32_t *s, uint32_t type)
{
    if (v->cell[*s].depth >= v->f->max_stack)
        return fail(v, pc, "stack overflow: depth %u exceeds max_stack %u", v->cell[*s].depth + 1,
                    v->f->max_stack);
    *s = cons(v, *s, type);
    return 0;
}

static int need(verifier *v, uint32_t pc, uint32_t s, uint32_t n)
{
    if (v->cell[s].depth < n)
        return fail(v, pc, "stack underflow: needs %u value%s, has %u", n, n == 1 ? "" : "s", v->cell[s].depth);
    return 0;
}

/* Append a stack as "(int, str)", bottom first. */
static void stack_name(verifier *v, uint32_t s)
{
    uint32_t n = v->cell[s].depth;
    uint32_t *slots = xmalloc((n ? n : 1) * sizeof *slots);
    for (uint32_t i = n; i-- > 0; s = v->cell[s].below)
        slots[i] = v->cell[s].type;
    buf_putc(v->err, '(');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            buf_puts(v->err, ", ");
        tname(v, slots[i]);
    }
    buf_putc(v->err, ')');
    free(slots);
}

/* ---- type patterns of opcodes.def ---------------------------------------------------------- */

typedef struct {
    uint32_t T, K, E;             /* bound type variables, NONE while unbound */
} binds;

static uint32_t *var_of(binds *b, char c)
{
    return c == 'T' ? &b->T : c == 'K' ? &b->K : &b->E;
}

/* Length of one pattern element. */
static uint32_t pat_len(const char *p)
{
    return p[0] == '[' || p[0] == '^' ? 1 + pat_len(p + 1)
           : p[0] == '{'            ? 1 + pat_len(p + 1) + pat_len(p + 1 + pat_len(p + 1))
                                    : 1;
}

static uint32_t basic_of(char c)
{
    switch (c) {
    case 'I': return TY_I;
    case 'F': return TY_F;
    case 'Z': return TY_Z;
    case 'S': return TY_S;
    default: return TY_A;
    }
}

/* Does type t match pattern element p, binding variables? A variable is bound by the
 * container that mentions it first (every pattern puts the list, map or cell first); a later
 * slot of that variable is a value stored into it and may be a subclass. */
static bool match(verifier *v, const char *p, uint32_t t, binds *b)
{
    switch (p[0]) {
    case 'T': case 'K': case 'E': {
        uint32_t *var = var_of(b, p[0]);
        if (*var == NONE)
            *var = t;
        return assignable(v, t, *var);
    }
    case '[':
    case '^':
        return v->ty[t].kind == p[0] && match(v, p + 1, v->ty[t].elem, b);
    case '{':
        return v->ty[t].kind == '{' && match(v, p + 1, v->ty[t].key, b) &&
               match(v, p + 1 + pat_len(p + 1), v->ty[t].elem, b);
    default:
        return t == basic_of(p[0]);
    }
}

/* Pop the values of pattern `pat` (bottom first) off *s. */
static int pop_pattern(verifier *v, uint32_t pc, uint32_t *s, const char *pat, binds *b)
{
    uint32_t n = 0;
    for (const char *p = pat; *p; p += pat_len(p))
        n++;
    if (n > 8)
        return fail(v, pc, "pattern \"%s\" of opcodes.def is too long", pat);
    if (need(v, pc, *s, n) < 0)
        return -1;
    uint32_t slots[8];
    uint32_t cur = *s;
    for (uint32_t i = n; i-- > 0; cur = v->cell[cur].below)
        slots[i] = v->cell[cur].type;
    const char *p = pat;
    for (uint32_t i = 0; i < n; i++, p += pat_len(p)) {
        if (match(v, p, slots[i], b))
            continue;
        if (p[0] == '[')
            return mismatch(v, pc, "", NONE, "a list", slots[i]);
        if (p[0] == '{')
            return mismatch(v, pc, "", NONE, "a map", slots[i]);
        if (p[0] == '^')
            return mismatch(v, pc, "", NONE, "a cell", slots[i]);
        if (p[0] == 'T' || p[0] == 'K' || p[0] == 'E')
            return mismatch(v, pc, "", *var_of(b, p[0]), NULL, slots[i]);
        return mismatch(v, pc, "", basic_of(p[0]), NULL, slots[i]);
    }
    *s = cur;
    return 0;
}

static int push_pattern(verifier *v, uint32_t pc, uint32_t *s, const char *pat, binds *b)
{
    for (const char *p = pat; *p; p++) {
        uint32_t t = (*p == 'T' || *p == 'K' || *p == 'E') ? *var_of(b, *p) : basic_of(*p);
        if (push(v, pc, s, t) < 0)
            return -1;
    }
    return 0;
}

/* Pop one value that must be assignable to type `want`. */
static int pop_exact(verifier *v, uint32_t pc, uint32_t *s, uint32_t want, const char *ctx)
{
    if (need(v, pc, *s, 1) < 0)
        return -1;
    if (!assignable(v, v->cell[*s].type, want))
        return mismatch(v, pc, ctx, want, NULL, v->cell[*s].type);
    *s = v->cell[*s].below;
    return 0;
}

/* Pop n values assignable to the types want[0..n) (bottom first), e.g. call arguments. */
static int pop_args(verifier *v, uint32_t pc, uint32_t *s, const uint32_t *want, uint32_t n)
{
    if (need(v, pc, *s, n) < 0)
        return -1;
    uint32_t cur = *s;
    for (uint32_t i = n; i-- > 0; cur = v->cell[cur].below) {
        if (!assignable(v, v->cell[cur].type, want[i])) {
            char ctx[32];
            snprintf(ctx, sizeof ctx, "argument %u: ", i + 1);
            return mismatch(v, pc, ctx, want[i], NULL, v->cell[cur].type);
        }
    }
    *s = cur;
    return 0;
}

static int pop_ref(verifier *v, uint32_t pc, uint32_t *s)
{
    if (need(v, pc, *s, 1) < 0)
        return -1;
    if (!is_value_ref(v, v->cell[*s].type))
        return mismatch(v, pc, "", NONE, "a reference", v->cell[*s].type);
    *s = v->cell[*s].below;
    return 0;
}

/* ---- decoding ------------------------------------------------------------------------------ */

static const char *tag_name(int tag)
{
    switch (tag) {
#define X(name, val, doc) case val: return #name;
        BC_CONST_TAGS(X)
#undef X
    default: return "unknown";
    }
}

/* Offset from the opcode byte of the first operand written with letter c. */
static uint32_t opnd_off(const bc_opinfo *oi, char c)
{
    uint32_t off = 1;
    for (const char *p = oi->operands; *p && *p != c; p++)
        off += *p == 'b' ? 1 : (*p == 'h' || *p == 'k') ? 2 : 4;
    return off;
}

static bool is_terminator(int op) { return op == OP_JMP || op == OP_RET || op == OP_RETV || op == OP_THROW; }

/* The constant tag operand k of op must have, or 0 when any constant would do. */
static int k_tag(int op)
{
    switch (op) {
    case OP_KINT: return BC_K_INT;
    case OP_KFLT: return BC_K_FLOAT;
    case OP_KSTR: return BC_K_STR;
    case OP_NULL: case OP_TOSTR: case OP_NEWLIST: case OP_LISTREP: case OP_NEWMAP: return BC_K_TYPE;
    case OP_NEW: case OP_IS: case OP_CAST: return BC_K_TYPE;
    case OP_GETF: case OP_SETF: case OP_LOADF: return BC_K_FIELD;
    case OP_CALLVT: case OP_CALLIF: return BC_K_METHOD;
    case OP_XLOAD: case OP_XSTORE: return BC_K_GLOBAL;
    case OP_CALLX: return BC_K_FUNC;
    case OP_CALLN: return BC_K_NATIVE;
    default: return 0;
    }
}

/* Append a descriptor slice of the module (a class name) to the message. */
static void put_desc(verifier *v, uint32_t t) { tname(v, t); }

/* NEW k: k names a class, not an interface, and one that exists when it is this module's. */
static int check_new(verifier *v, uint32_t pc, uint32_t k)
{
    uint32_t t = v->kty[k];
    if (v->ty[t].kind != 'L')
        return mismatch(v, pc, "", NONE, "a class type", t);
    int kind = verify__class_kind(v->classes, v->ty[t].d, v->ty[t].len, NULL);
    if (kind == VC_INTERFACE || kind == VC_MISSING) {
        where(v, pc);
        buf_puts(v->err, kind == VC_INTERFACE ? "cannot instantiate interface " : "unknown class ");
        put_desc(v, t);
        return -1;
    }
    return 0;
}

/* GETF SETF CALLVT CALLIF k: the FIELD or METHOD exists when its class's hierarchy is known;
 * CALLVT names a class's method, CALLIF an interface's. */
static int check_member(verifier *v, uint32_t pc, int op, uint32_t k)
{
    const bc_const *c = &v->m->consts[k];
    uint32_t cls = v->kty[c->u.ref.module], ty = v->kty[c->u.ref.type];
    const bc_const *n = &v->m->consts[c->u.ref.name];
    bool field = op == OP_GETF || op == OP_SETF || op == OP_LOADF;
    int kind = verify__class_kind(v->classes, v->ty[cls].d, v->ty[cls].len, NULL);
    if (kind == VC_MISSING) {
        where(v, pc);
        buf_puts(v->err, "unknown class ");
        put_desc(v, cls);
        return -1;
    }
    if ((op == OP_CALLVT && kind == VC_INTERFACE) || (op == OP_CALLIF && (kind == VC_CLASS || kind == VC_BUILTIN))) {
        where(v, pc);
        buf_puts(v->err, op == OP_CALLVT ? "CALLVT of a method of interface " : "CALLIF of a method of class ");
        put_desc(v, cls);
        return -1;
    }
    if (verify__member(v->classes, field, v->ty[cls].d, v->ty[cls].len, n->u.s.bytes, n->u.s.len, v->ty[ty].d,
                       v->ty[ty].len) == 0) {
        where(v, pc);
        buf_printf(v->err, "class ");
        put_name(v->err, v->ty[cls].d + 1, v->ty[cls].len - 2);
        buf_printf(v->err, " has no %s ", field ? "field" : "method");
        put_name(v->err, n->u.s.bytes, n->u.s.len);
        buf_puts(v->err, " of type ");
        tname(v, ty);
        return -1;
    }
    return 0;
}

/* Local l of the function exists and, unless want is NONE, has exactly type want: the fused
 * instructions that read (or write) a local as an int, a float or a bool. */
static int typed_local(verifier *v, uint32_t pc, uint32_t l, uint32_t want)
{
    if (l >= v->f->nlocals)
        return fail(v, pc, "local %u out of range (function has %u locals)", l, v->f->nlocals);
    if (want != NONE && v->local[l] != want) {
        char ctx[32];
        snprintf(ctx, sizeof ctx, "local %u: ", l);
        return mismatch(v, pc, ctx, want, NULL, v->local[l]);
    }
    return 0;
}

/* The checks of one instruction that need no stack: its constant, local, global and function
 * indexes and the kinds of types its operands name. */
static int check_operands(verifier *v, uint32_t pc)
{
    const bc_module *m = v->m;
    const bc_function *f = v->f;
    int op = f->code[pc];
    const bc_opinfo *oi = &bc_ops[op];
    if (strchr(oi->operands, 'k')) {
        uint32_t k = bc_u16(f->code + pc + opnd_off(oi, 'k'));
        if (k == 0 || k >= m->nconsts)
            return fail(v, pc, "constant index %u out of range (pool has %u constants)", k,
                        m->nconsts ? m->nconsts - 1 : 0);
        int tag = k_tag(op);
        if (tag && m->consts[k].tag != tag)
            return fail(v, pc, "constant %u has tag %s, expected %s", k, tag_name(m->consts[k].tag), tag_name(tag));
        if (op == OP_NULL && !is_value_ref(v, v->kty[k]))
            return mismatch(v, pc, "", NONE, "a reference type", v->kty[k]);
        if ((op == OP_TOSTR || op == OP_IS || op == OP_CAST) && v->ty[v->kty[k]].kind == '^')
            return mismatch(v, pc, "", NONE, "a value type", v->kty[k]);
        if (op == OP_NEW && check_new(v, pc, k) < 0)
            return -1;
        if ((op == OP_GETF || op == OP_SETF || op == OP_LOADF || op == OP_CALLVT || op == OP_CALLIF) &&
            check_member(v, pc, op, k) < 0)
            return -1;
        if ((op == OP_NEWLIST || op == OP_LISTREP) && v->ty[v->kty[k]].kind != '[')
            return mismatch(v, pc, "", NONE, "a list type", v->kty[k]);
        if (op == OP_NEWMAP && v->ty[v->kty[k]].kind != '{')
            return mismatch(v, pc, "", NONE, "a map type", v->kty[k]);
    }
    if (strchr(oi->operands, 'h')) {
        uint32_t h = bc_u16(f->code + pc + opnd_off(oi, 'h'));
        switch (op) {
        case OP_LOAD2:
            if (typed_local(v, pc, bc_u16(f->code + pc + 3), NONE) < 0)
                return -1;
            /* fall through */
        case OP_LOAD:
        case OP_STORE:
        case OP_LOADF:
            if (typed_local(v, pc, h, NONE) < 0)
                return -1;
            break;
        case OP_JTL:
        case OP_JFL:
            if (typed_local(v, pc, h, TY_Z) < 0)
                return -1;
            break;
        case OP_IINC:
        case OP_IADDL:
        case OP_ISUBL:
        case OP_FADDL:
        case OP_FSUBL:
        case OP_FMULL:
        case OP_FDIVL:
        case OP_IADD3:
        case OP_ISUB3:
        case OP_FADD3:
        case OP_FSUB3:
        case OP_FMUL3:
        case OP_FDIV3: {
            /* The fused arithmetic reads (and the three-local forms write) its locals as
             * exactly the operand type it computes on. */
            bool ints = op == OP_IINC || op == OP_IADDL || op == OP_ISUBL || op == OP_IADD3 || op == OP_ISUB3;
            uint32_t want = ints ? TY_I : TY_F;
            int n = strlen(oi->operands) == 3 ? 3 : 1;
            for (int i = 0; i < n; i++)
                if (typed_local(v, pc, bc_u16(f->code + pc + 1 + 2 * i), want) < 0)
                    return -1;
            break;
        }
        case OP_GLOAD:
        case OP_GSTORE:
            if (h >= m->nglobals)
                return fail(v, pc, "global %u out of range (module has %u globals)", h, m->nglobals);
            break;
        case OP_CALL:
        case OP_CLOSURE:
            if (h >= m->nfuncs)
                return fail(v, pc, "function %u out of range (module has %u functions)", h, m->nfuncs);
            if (op == OP_CALL && m->funcs[h].ncaps)
                return fail(v, pc, "function %u has captures: it is called only through a closure (CALLV)", h);
            if (op == OP_CLOSURE && m->funcs[h].ncaps != f->code[pc + 3])
                return fail(v, pc, "function %u has %u captures, CLOSURE gives %u", h, m->funcs[h].ncaps,
                            f->code[pc + 3]);
            break;
        case OP_LITER:
        case OP_LNEXT:
        case OP_MITER:
        case OP_MNEXT: {
            bool list = op == OP_LITER || op == OP_LNEXT;
            if (h + 2 >= f->nlocals)
                return fail(v, pc, "locals %u..%u out of range (function has %u locals)", h, h + 2, f->nlocals);
            if (v->ty[v->local[h]].kind != (list ? '[' : '{')) {
                char ctx[32];
                snprintf(ctx, sizeof ctx, "local %u: ", h);
                return mismatch(v, pc, ctx, NONE, list ? "a list" : "a map", v->local[h]);
            }
            for (uint32_t i = h + 1; i <= h + 2; i++) {
                if (v->local[i] != TY_I) {
                    char ctx[32];
                    snprintf(ctx, sizeof ctx, "local %u: ", i);
                    return mismatch(v, pc, ctx, TY_I, NULL, v->local[i]);
                }
            }
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

/* Decode every instruction, mark instruction starts, then check every jump target. */
static int decode(verifier *v)
{
    const bc_function *f = v->f;
    uint32_t pc = 0, last = 0;
    while (pc < f->code_len) {
        int op = f->code[pc];
        if (op >= OP__COUNT)
            return fail(v, pc, "unknown opcode 0x%02x", op);
        if (bc_ops[op].size > f->code_len - pc)
            return fail(v, pc, "operands run past the end of the code (%u bytes)", f->code_len);
        v->start[pc] = 1;
        if (check_operands(v, pc) < 0)
            return -1;
        last = pc;
        pc += bc_ops[op].size;
    }
    if (!is_terminator(f->code[last]))
        return fail(v, last, "code falls off the end");
    for (pc = 0; pc < f->code_len; pc += bc_ops[f->code[pc]].size) {
        const bc_opinfo *oi = &bc_ops[f->code[pc]];
        if (!strchr(oi->operands, 'j'))
            continue;
        int64_t t = (int64_t)pc + bc_i32(f->code + pc + opnd_off(oi, 'j'));
        if (t < 0 || t >= f->code_len)
            return fail(v, pc, "jump target %lld is outside the function", (long long)t);
        if (!v->start[t])
            return fail(v, pc, "jump target %lld is not an instruction start", (long long)t);
    }
    return 0;
}

/* ---- abstract interpretation --------------------------------------------------------------- */

/* Control reaches `to` from `from` with stack s. */
static int flow(verifier *v, uint32_t from, uint32_t to, uint32_t s)
{
    if (!v->state[to]) {
        v->state[to] = s + 1;
        v->work[v->nwork++] = to;
        return 0;
    }
    uint32_t old = v->state[to] - 1;
    if (old == s)
        return 0;
    where(v, to);
    buf_puts(v->err, "stack mismatch at join: ");
    stack_name(v, s);
    buf_printf(v->err, " from %u, ", from);
    stack_name(v, old);
    buf_puts(v->err, " before");
    return -1;
}

/* The type carried by FUNC, GLOBAL or NATIVE constant k. */
static uint32_t ref_type(verifier *v, uint32_t k) { return v->kty[v->m->consts[k].u.ref.type]; }

/* Interpret the instruction at pc on its entry state and pass the result to its successors. */
static int step(verifier *v, uint32_t pc)
{
    const uint8_t *code = v->f->code;
    int op = code[pc];
    const bc_opinfo *oi = &bc_ops[op];
    uint32_t s = v->state[pc] - 1;
    binds b = {NONE, NONE, NONE};
    uint32_t u = oi->operands[0] == 'h' || oi->operands[0] == 'k' ? bc_u16(code + pc + 1) : 0;
    uint32_t target = 0, t, n;
    if (strchr(oi->operands, 'j'))
        target = (uint32_t)((int64_t)pc + bc_i32(code + pc + opnd_off(oi, 'j')));
    if (strchr(oi->operands, 'b'))
        n = code[pc + opnd_off(oi, 'b')];
    else
        n = 0;

    if (strcmp(oi->pops, "*") != 0 && pop_pattern(v, pc, &s, oi->pops, &b) < 0)
        return -1;
    switch (op) {
    case OP_NULL:
        if (push(v, pc, &s, v->kty[u]) < 0)
            return -1;
        break;
    case OP_POP:
        if (need(v, pc, s, 1) < 0)
            return -1;
        s = v->cell[s].below;
        break;
    case OP_DUP:
        if (need(v, pc, s, 1) < 0 || push(v, pc, &s, v->cell[s].type) < 0)
            return -1;
        break;
    case OP_LOAD:
        if (push(v, pc, &s, v->local[u]) < 0)
            return -1;
        break;
    case OP_LOAD2:
        if (push(v, pc, &s, v->local[u]) < 0 || push(v, pc, &s, v->local[bc_u16(code + pc + 3)]) < 0)
            return -1;
        break;
    case OP_LOADF: {
        /* LOAD h; GETF k, checked as the two. */
        const bc_const *c = &v->m->consts[bc_u16(code + pc + 3)];
        if (push(v, pc, &s, v->local[u]) < 0 || pop_exact(v, pc, &s, v->kty[c->u.ref.module], "object: ") < 0 ||
            push(v, pc, &s, v->kty[c->u.ref.type]) < 0)
            return -1;
        break;
    }
    case OP_JNULL:
    case OP_JNNULL:
        if (pop_ref(v, pc, &s) < 0 || flow(v, pc, target, s) < 0)
            return -1;
        break;
    case OP_STORE:
    case OP_LITER:
    case OP_MITER:
        if (pop_exact(v, pc, &s, v->local[u], "") < 0)
            return -1;
        break;
    case OP_GLOAD:
        if (push(v, pc, &s, v->kty[v->m->globals[u].type]) < 0)
            return -1;
        break;
    case OP_GSTORE:
        if (pop_exact(v, pc, &s, v->kty[v->m->globals[u].type], "") < 0)
            return -1;
        break;
    case OP_XLOAD:
        if (push(v, pc, &s, ref_type(v, u)) < 0)
            return -1;
        break;
    case OP_XSTORE:
        if (pop_exact(v, pc, &s, ref_type(v, u), "") < 0)
            return -1;
        break;
    case OP_REQ:
    case OP_RNE:
        if (need(v, pc, s, 2) < 0 || pop_ref(v, pc, &s) < 0 || pop_ref(v, pc, &s) < 0)
            return -1;
        break;
    case OP_SCATN:
        if (need(v, pc, s, n) < 0)
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (pop_exact(v, pc, &s, TY_S, "") < 0)
                return -1;
        break;
    case OP_TOSTR:
        if (pop_exact(v, pc, &s, v->kty[u], "") < 0)
            return -1;
        break;
    case OP_TOANY:
        if (pop_ref(v, pc, &s) < 0)
            return -1;
        break;
    case OP_NEWLIST:
        t = v->kty[u];
        if (need(v, pc, s, n) < 0)
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (pop_exact(v, pc, &s, v->ty[t].elem, "") < 0)
                return -1;
        if (push(v, pc, &s, t) < 0)
            return -1;
        break;
    case OP_LISTREP:
        t = v->kty[u];
        if (need(v, pc, s, 2) < 0 || pop_exact(v, pc, &s, TY_I, "count: ") < 0 ||
            pop_exact(v, pc, &s, v->ty[t].elem, "") < 0 || push(v, pc, &s, t) < 0)
            return -1;
        break;
    case OP_NEWMAP:
        t = v->kty[u];
        if (need(v, pc, s, 2 * n) < 0)
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (pop_exact(v, pc, &s, v->ty[t].elem, "value: ") < 0 || pop_exact(v, pc, &s, v->ty[t].key, "key: ") < 0)
                return -1;
        if (push(v, pc, &s, t) < 0)
            return -1;
        break;
    case OP_LNEXT:
        if (flow(v, pc, target, s) < 0 || push(v, pc, &s, v->ty[v->local[u]].elem) < 0)
            return -1;
        break;
    case OP_MNEXT:
        t = v->local[u];
        if (flow(v, pc, target, s) < 0 || push(v, pc, &s, v->ty[t].key) < 0 || push(v, pc, &s, v->ty[t].elem) < 0)
            return -1;
        break;
    case OP_CALL:
    case OP_CALLX:
    case OP_CALLN:
        t = op == OP_CALL ? v->kty[v->m->funcs[u].type] : ref_type(v, u);
        if (pop_args(v, pc, &s, v->ty[t].params, v->ty[t].nparams) < 0)
            return -1;
        if (v->ty[t].ret != TY_V && push(v, pc, &s, v->ty[t].ret) < 0)
            return -1;
        break;
    case OP_RET:
        if (v->ret != TY_V) {
            where(v, pc);
            buf_puts(v->err, "RET in a function that returns ");
            tname(v, v->ret);
            return -1;
        }
        if (v->cell[s].depth != 0)
            return fail(v, pc, "RET needs an empty stack, found %u value%s", v->cell[s].depth,
                        v->cell[s].depth == 1 ? "" : "s");
        return 0;
    case OP_RETV:
        if (v->ret == TY_V)
            return fail(v, pc, "RETV in a function that returns nothing");
        if (need(v, pc, s, 1) < 0)
            return -1;
        if (v->cell[s].depth != 1)
            return fail(v, pc, "RETV needs exactly the result on the stack, found %u values", v->cell[s].depth);
        return pop_exact(v, pc, &s, v->ret, "result: ");
    case OP_NEW:
        if (push(v, pc, &s, v->kty[u]) < 0)
            return -1;
        break;
    case OP_GETF:
    case OP_SETF: {
        const bc_const *c = &v->m->consts[u];
        if (op == OP_SETF && (need(v, pc, s, 2) < 0 || pop_exact(v, pc, &s, v->kty[c->u.ref.type], "value: ") < 0))
            return -1;
        if (pop_exact(v, pc, &s, v->kty[c->u.ref.module], "object: ") < 0)
            return -1;
        if (op == OP_GETF && push(v, pc, &s, v->kty[c->u.ref.type]) < 0)
            return -1;
        break;
    }
    case OP_CALLVT:
    case OP_CALLIF: {
        const bc_const *c = &v->m->consts[u];
        t = v->kty[c->u.ref.type];
        if (need(v, pc, s, v->ty[t].nparams + 1) < 0 || pop_args(v, pc, &s, v->ty[t].params, v->ty[t].nparams) < 0 ||
            pop_exact(v, pc, &s, v->kty[c->u.ref.module], "receiver: ") < 0)
            return -1;
        if (v->ty[t].ret != TY_V && push(v, pc, &s, v->ty[t].ret) < 0)
            return -1;
        break;
    }
    case OP_CALLV: {
        if (need(v, pc, s, n + 1) < 0)
            return -1;
        uint32_t fs = s;
        for (uint32_t i = 0; i < n; i++)
            fs = v->cell[fs].below;
        t = v->cell[fs].type;
        if (v->ty[t].kind != '(')
            return mismatch(v, pc, "callee: ", NONE, "a function", t);
        if (v->ty[t].nparams != n)
            return fail(v, pc, "the function value takes %u argument%s, CALLV passes %u", v->ty[t].nparams,
                        v->ty[t].nparams == 1 ? "" : "s", n);
        if (pop_args(v, pc, &s, v->ty[t].params, n) < 0)
            return -1;
        s = v->cell[s].below;
        if (v->ty[t].ret != TY_V && push(v, pc, &s, v->ty[t].ret) < 0)
            return -1;
        break;
    }
    case OP_CLOSURE: {
        const bc_function *fn = &v->m->funcs[u];
        uint32_t *caps = xmalloc((n ? n : 1) * sizeof *caps);
        for (uint32_t i = 0; i < n; i++)
            caps[i] = v->kty[fn->local_types[i]];
        int rc = pop_args(v, pc, &s, caps, n);
        free(caps);
        if (rc < 0 || push(v, pc, &s, v->kty[fn->type]) < 0)
            return -1;
        break;
    }
    case OP_CELL:
        if (need(v, pc, s, 1) < 0)
            return -1;
        t = v->cell[s].type;
        if (v->ty[t].kind == '^')
            return mismatch(v, pc, "", NONE, "a value", t);
        if (v->ty[t].cellty == NONE) {
            uint32_t c = intern_made(v, "^", v->ty[t].d, v->ty[t].len);
            v->ty[t].cellty = c;
        }
        s = v->cell[s].below;
        if (push(v, pc, &s, v->ty[t].cellty) < 0)
            return -1;
        break;
    case OP_IS:
        if (pop_ref(v, pc, &s) < 0)
            return -1;
        break;
    case OP_CAST:
        if (pop_ref(v, pc, &s) < 0 || push(v, pc, &s, v->kty[u]) < 0)
            return -1;
        break;
    case OP_THROW:
        return pop_exact(v, pc, &s, v->ty_error, "");
    case OP_JMP:
        return flow(v, pc, target, s);
    case OP_JT:
    case OP_JF:
    case OP_JIEQ:
    case OP_JINE:
    case OP_JILT:
    case OP_JILE:
    case OP_JIGT:
    case OP_JIGE:
    case OP_JTL:
    case OP_JFL:
    case OP_JIEQI:
    case OP_JINEI:
    case OP_JILTI:
    case OP_JILEI:
    case OP_JIGTI:
    case OP_JIGEI:
        if (flow(v, pc, target, s) < 0)
            return -1;
        break;
    default:
        break;
    }
    if (strcmp(oi->pushes, "*") != 0 && push_pattern(v, pc, &s, oi->pushes, &b) < 0)
        return -1;
    return flow(v, pc, pc + oi->size, s);
}

/* ---- functions and the module -------------------------------------------------------------- */

/* Everything about function f except its code. Sets v->local and v->ret. */
static int check_header(verifier *v)
{
    const bc_module *m = v->m;
    const bc_function *f = v->f;
    if (!name_ok(m, f->name))
        return fail(v, NONE, "name is not a STR without NUL");
    if (!kget(m, f->type, BC_K_TYPE) || v->ty[v->kty[f->type]].kind != '(')
        return fail(v, NONE, "type is not a function TYPE");
    const vtype *ft = &v->ty[v->kty[f->type]];
    if (f->flags & ~BC_PRIVATE)
        return fail(v, NONE, "unknown flags 0x%x", f->flags);
    if (f->nparams != ft->nparams)
        return fail(v, NONE, "nparams %u does not match its type %.*s", f->nparams, (int)ft->len, ft->d);
    if ((uint32_t)f->ncaps + f->nparams > f->nlocals)
        return fail(v, NONE, "ncaps %u + nparams %u exceed nlocals %u", f->ncaps, f->nparams, f->nlocals);
    if (v->fidx == m->main && (ft->len != 3 || memcmp(ft->d, "()V", 3) != 0))
        return fail(v, NONE, "the main function must have type ()V, not %.*s", (int)ft->len, ft->d);
    if (v->fidx == m->main && f->ncaps)
        return fail(v, NONE, "the main function has captures");
    if (f->nlocals && !f->local_types)
        return fail(v, NONE, "no local types");
    free(v->local);
    v->local = xmalloc((f->nlocals ? f->nlocals : 1) * sizeof *v->local);
    for (uint32_t i = 0; i < f->nlocals; i++) {
        if (!kget(m, f->local_types[i], BC_K_TYPE))
            return fail(v, NONE, "local %u: type is not a TYPE", i);
        v->local[i] = v->kty[f->local_types[i]];
    }
    for (uint32_t i = 0; i < f->ncaps; i++) {
        if (v->ty[v->local[i]].kind != '^') {
            char ctx[40];
            snprintf(ctx, sizeof ctx, "local %u (capture %u): ", i, i + 1);
            return mismatch(v, NONE, ctx, NONE, "a cell", v->local[i]);
        }
    }
    for (uint32_t i = 0; i < f->nparams; i++) {
        uint32_t l = f->ncaps + i;
        if (v->local[l] != ft->params[i]) {
            char ctx[40];
            snprintf(ctx, sizeof ctx, "local %u (parameter %u): ", l, i + 1);
            return mismatch(v, NONE, ctx, ft->params[i], NULL, v->local[l]);
        }
    }
    v->ret = ft->ret;
    if (!f->code || f->code_len == 0)
        return fail(v, NONE, "no code");
    if (f->code_len > INT32_MAX)
        return fail(v, NONE, "code of %u bytes is too long", f->code_len);
    if (f->nlines && !f->lines)
        return fail(v, NONE, "no line table");
    for (uint32_t i = 0; i < f->nlines; i++) {
        if (i == 0 && f->lines[0].pc != 0)
            return fail(v, NONE, "line table does not start at pc 0");
        if (i > 0 && f->lines[i].pc < f->lines[i - 1].pc)
            return fail(v, NONE, "line table entry %u is out of order", i);
        if (f->lines[i].pc > f->code_len)
            return fail(v, NONE, "line table entry %u is beyond the code", i);
    }
    return 0;
}

/* The exception table of f, after decoding: ranges and handlers on instruction starts, the
 * type caught an Error class. Every handler is then typed as reached with the caught error
 * alone on the stack, whether or not its range is reachable: its entry state does not depend
 * on the range, and typing it regardless keeps the pass linear in handlers plus code. */
static int check_handlers(verifier *v)
{
    const bc_function *f = v->f;
    if (f->nhandlers && !f->handlers)
        return fail(v, NONE, "no exception table");
    for (uint32_t i = 0; i < f->nhandlers; i++) {
        const bc_handler *h = &f->handlers[i];
        if (h->start >= h->end || h->end > f->code_len)
            return fail(v, NONE, "handler %u: range %u..%u is empty or outside the code (%u bytes)", i, h->start,
                        h->end, f->code_len);
        if (!v->start[h->start] || (h->end < f->code_len && !v->start[h->end]))
            return fail(v, NONE, "handler %u: range %u..%u does not lie on instruction starts", i, h->start, h->end);
        if (h->handler >= f->code_len || !v->start[h->handler])
            return fail(v, NONE, "handler %u: handler %u is not an instruction start", i, h->handler);
        uint32_t t = v->ty_error;
        if (h->type) {
            if (!kget(v->m, h->type, BC_K_TYPE) || v->ty[v->kty[h->type]].kind != 'L')
                return fail(v, NONE, "handler %u: type is not a TYPE holding a class descriptor", i);
            t = v->kty[h->type];
            int kind = verify__class_kind(v->classes, v->ty[t].d, v->ty[t].len, NULL);
            if (!assignable(v, t, v->ty_error) && (kind != VC_FOREIGN || v->env)) {
                where(v, NONE);
                buf_printf(v->err, "handler %u: catches ", i);
                tname(v, t);
                buf_puts(v->err, ", which is not an Error");
                return -1;
            }
        }
        uint32_t s = 0;
        if (push(v, h->handler, &s, t) < 0 || flow(v, h->start, h->handler, s) < 0)
            return -1;
    }
    return 0;
}

/* Decode and interpret the code of function f. */
static int check_code(verifier *v)
{
    uint32_t n = v->f->code_len;
    v->state = xcalloc(n, sizeof *v->state);
    v->start = xcalloc(n, 1);
    /* Every instruction start enters the worklist at most once. */
    v->work = xmalloc(n * sizeof *v->work);
    v->nwork = 0;
    int rc = decode(v);
    if (rc == 0) {
        v->state[0] = 1; /* the empty stack, cell 0 */
        v->work[v->nwork++] = 0;
        rc = check_handlers(v);
        while (rc == 0 && v->nwork)
            rc = step(v, v->work[--v->nwork]);
    }
    if (!v->keep_state || rc < 0) {
        free(v->state);
        v->state = NULL;
    }
    free(v->start);
    free(v->work);
    v->start = NULL;
    v->work = NULL;
    return rc;
}

/* The constant pool, the globals and the class section: what every function relies on. */
static int check_pool(verifier *v)
{
    const bc_module *m = v->m;
    if (m->nconsts > 65536)
        return fail(v, NONE, "constant pool has %u entries, at most 65536", m->nconsts);
    if (m->nconsts && !m->consts)
        return fail(v, NONE, "no constant pool");
    for (uint32_t k = 1; k < m->nconsts; k++) {
        const char *p = verify__const(m, k);
        if (p)
            return fail(v, NONE, "constant %u: %s", k, p);
    }
    v->kty = xmalloc((m->nconsts ? m->nconsts : 1) * sizeof *v->kty);
    for (uint32_t k = 0; k < m->nconsts; k++) {
        const bc_const *s = k ? type_str(m, k) : NULL;
        v->kty[k] = s ? intern(v, s->u.s.bytes, s->u.s.len) : NONE;
    }
    v->classes = verify__classes_new(m, v->env);
    if (m->nglobals && !m->globals)
        return fail(v, NONE, "no globals table");
    for (uint32_t g = 0; g < m->nglobals; g++) {
        if (!name_ok(m, m->globals[g].name))
            return fail(v, NONE, "global %u: name is not a STR without NUL", g);
        if (!kget(m, m->globals[g].type, BC_K_TYPE))
            return fail(v, NONE, "global %u: type is not a TYPE", g);
        if (v->ty[v->kty[m->globals[g].type]].kind == '^')
            return fail(v, NONE, "global %u: type is a cell", g);
        if (m->globals[g].flags & ~(BC_GLOBAL_MUTABLE | BC_PRIVATE))
            return fail(v, NONE, "global %u: unknown flags 0x%x", g, m->globals[g].flags);
    }
    if (!m->nfuncs || !m->funcs)
        return fail(v, NONE, "no functions");
    if (m->main >= m->nfuncs)
        return fail(v, NONE, "main function %u out of range (module has %u functions)", m->main, m->nfuncs);
    return verify__classes_check(v->classes, v->err);
}

static int check_module(verifier *v)
{
    const bc_module *m = v->m;
    if (check_pool(v) < 0)
        return -1;
    /* Every header first: CALL and CLOSURE take their callee's type from its header. */
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        v->f = &m->funcs[i];
        v->fidx = i;
        if (check_header(v) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        v->f = &m->funcs[i];
        v->fidx = i;
        if (check_header(v) < 0 || check_code(v) < 0)
            return -1;
    }
    return 0;
}

static void verifier_init(verifier *v, const bc_module *m, const verify_env *env, holt_buf *err)
{
    *v = (verifier){.m = m, .err = err, .env = env};
    static const char basic[] = "IFZSAV";
    v->tyhash_cap = 128;
    v->tyhash = xcalloc(v->tyhash_cap, sizeof *v->tyhash);
    for (int i = 0; i < 6; i++)
        intern(v, basic + i, 1);
    v->ty_error = intern(v, "LError;", 7);
    v->capcell = 256;
    v->cell = xmalloc(v->capcell * sizeof *v->cell);
    v->cell[0] = (vcell){NONE, NONE, 0};
    v->ncell = 1;
    v->cellhash_cap = 512;
    v->cellhash = xcalloc(v->cellhash_cap, sizeof *v->cellhash);
    v->memo_cap = 64;
    v->memo = xmalloc(v->memo_cap * sizeof *v->memo);
    for (uint32_t i = 0; i < v->memo_cap; i++)
        v->memo[i].sub = NONE;
}

static void verifier_free(verifier *v)
{
    for (uint32_t t = 0; t < v->nty; t++)
        free(v->ty[t].params);
    free(v->ty);
    free(v->tyhash);
    free(v->kty);
    free(v->cell);
    free(v->cellhash);
    free(v->local);
    free(v->memo);
    free(v->state);
    for (uint32_t i = 0; i < v->nmade; i++)
        free(v->made[i]);
    free(v->made);
    verify__classes_free(v->classes);
}

int verify_module_env(const bc_module *m, const verify_env *env, holt_buf *err)
{
    verifier v;
    verifier_init(&v, m, env, err);
    int rc = check_module(&v);
    verifier_free(&v);
    return rc;
}

int verify_module(const bc_module *m, holt_buf *err) { return verify_module_env(m, NULL, err); }

/* ---- stack maps ---------------------------------------------------------------------------- */

int verify_stack_map(const bc_module *m, uint16_t fi, vm_stackmap *out)
{
    *out = (vm_stackmap){0};
    holt_buf err;
    buf_init(&err);
    verifier v;
    verifier_init(&v, m, NULL, &err);
    /* The module has been verified with its environment; without it, assignments between
     * classes of other modules would not be provable here, so they are trusted. */
    v.trust = true;
    v.keep_state = true;
    int rc = -1;
    if (fi < m->nfuncs && check_pool(&v) == 0) {
        rc = 0;
        for (uint32_t i = 0; i < m->nfuncs && rc == 0; i++) {
            v.f = &m->funcs[i];
            v.fidx = i;
            rc = check_header(&v);
        }
        v.f = &m->funcs[fi];
        v.fidx = fi;
        if (rc == 0)
            rc = check_header(&v);
        if (rc == 0)
            rc = check_code(&v);
    }
    if (rc == 0) {
        uint32_t n = v.f->code_len;
        out->code_len = n;
        out->at = xmalloc((n ? n : 1) * sizeof *out->at);
        /* States are hash-consed cells: each distinct state is written once. */
        uint32_t *index = xmalloc(v.ncell * sizeof *index);
        for (uint32_t c = 0; c < v.ncell; c++)
            index[c] = UINT32_MAX;
        uint32_t cap = 64;
        out->words = xmalloc(cap * sizeof *out->words);
        for (uint32_t pc = 0; pc < n; pc++) {
            out->at[pc] = UINT32_MAX;
            if (!v.state[pc])
                continue;
            uint32_t s = v.state[pc] - 1;
            if (index[s] == UINT32_MAX) {
                uint32_t d = v.cell[s].depth, nw = 1 + (d + 31) / 32;
                while (out->nwords + nw > cap) {
                    cap *= 2;
                    out->words = xrealloc(out->words, cap * sizeof *out->words);
                }
                uint32_t *w = out->words + out->nwords;
                memset(w, 0, nw * sizeof *w);
                w[0] = d;
                uint32_t c = s;
                for (uint32_t slot = d; slot-- > 0; c = v.cell[c].below)
                    if (is_ref(&v, v.cell[c].type))
                        w[1 + slot / 32] |= 1u << (slot % 32);
                index[s] = out->nwords;
                out->nwords += nw;
            }
            out->at[pc] = index[s];
        }
        free(index);
    }
    verifier_free(&v);
    buf_free(&err);
    return rc;
}

void vm_stackmap_free(vm_stackmap *sm)
{
    if (!sm)
        return;
    free(sm->at);
    free(sm->words);
    *sm = (vm_stackmap){0};
}

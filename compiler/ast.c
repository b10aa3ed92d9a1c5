/* ast.c — the syntax tree's arena, node constructors, name interning and the tree dump. */
#include "ast.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lexer.h"

const char *const ast_kind_names[AST__COUNT] = {
#define X(k) #k,
    AST_KINDS(X)
#undef X
};

/* ---- arena ------------------------------------------------------------------------------ */

/* Most allocations are small nodes, so memory comes in big chunks; a request larger than a
 * quarter chunk gets a chunk of its own so that little is wasted at a chunk's end. */
#define CHUNK_SIZE (64 * 1024)

typedef struct chunk {
    struct chunk *next;           /* the previously filled chunk */
    size_t used;                  /* bytes handed out from data */
    size_t size;                  /* bytes in data */
    _Alignas(8) unsigned char data[]; /* the memory itself */
} chunk;

struct ast_arena {
    chunk *head;                  /* the chunk being filled; others are on its next list */
    const char **interned;        /* open-addressing hash set of interned names (host heap) */
    size_t ninterned;             /* names in the set */
    size_t cap;                   /* slots in the set, a power of two */
};

ast_arena *ast_arena_new(void)
{
    return xcalloc(1, sizeof(ast_arena));
}

void ast_arena_free(ast_arena *a)
{
    if (!a)
        return;
    chunk *c = a->head;
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a->interned);
    free(a);
}

static chunk *chunk_new(size_t size)
{
    chunk *c = xmalloc(sizeof(chunk) + size);
    c->next = NULL;
    c->used = 0;
    c->size = size;
    return c;
}

void *ast_alloc(ast_arena *a, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if (size == 0)
        size = 8;
    if (size > CHUNK_SIZE / 4) {
        /* A dedicated chunk goes behind the current one so the current keeps filling. */
        chunk *c = chunk_new(size);
        if (a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            a->head = c;
        }
        c->used = size;
        memset(c->data, 0, size);
        return c->data;
    }
    chunk *h = a->head;
    if (!h || h->size - h->used < size) {
        h = chunk_new(CHUNK_SIZE);
        h->next = a->head;
        a->head = h;
    }
    void *p = h->data + h->used;
    h->used += size;
    memset(p, 0, size);
    return p;
}

void *ast_grow(ast_arena *a, void *items, int n, int *cap, size_t elem)
{
    if (n < *cap)
        return items;
    *cap = *cap ? 2 * *cap : 4;
    void *v = ast_alloc(a, (size_t)*cap * elem);
    if (n)
        memcpy(v, items, (size_t)n * elem);
    return v;
}

const char *ast_strdup(ast_arena *a, const char *s, size_t len)
{
    char *p = ast_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603u;   /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

static void intern_grow(ast_arena *a)
{
    size_t ncap = a->cap ? a->cap * 2 : 256;
    const char **slots = xcalloc(ncap, sizeof(*slots));
    for (size_t i = 0; i < a->cap; i++) {
        const char *s = a->interned[i];
        if (!s)
            continue;
        size_t j = hash_bytes(s, strlen(s)) & (ncap - 1);
        while (slots[j])
            j = (j + 1) & (ncap - 1);
        slots[j] = s;
    }
    free(a->interned);
    a->interned = slots;
    a->cap = ncap;
}

const char *ast_intern(ast_arena *a, const char *s, size_t len)
{
    if (a->ninterned * 2 >= a->cap)
        intern_grow(a);
    size_t j = hash_bytes(s, len) & (a->cap - 1);
    bool has_nul = len && memchr(s, '\0', len) != NULL;
    for (;;) {
        const char *t = a->interned[j];
        if (!t)
            break;
        /* With no NUL in s, strncmp == 0 means t is at least len long, so t[len] is valid. */
        if (!has_nul && strncmp(t, s, len) == 0 && t[len] == '\0')
            return t;
        j = (j + 1) & (a->cap - 1);
    }
    const char *copy = ast_strdup(a, s, len);
    a->interned[j] = copy;
    a->ninterned++;
    return copy;
}

ast_node *ast_new(ast_arena *a, ast_kind kind, int line, int col)
{
    ast_node *n = ast_alloc(a, sizeof(ast_node));
    n->kind = (uint8_t)kind;
    n->line = line;
    n->col = col;
    return n;
}

void ast_list_push(ast_arena *a, ast_list *l, ast_node *n)
{
    /* A list built by hand may have cap 0 with items set: treat it as full. */
    if (l->n >= l->cap) {
        int ncap = l->n < 4 ? 8 : l->n * 2;
        ast_node **items = ast_alloc(a, (size_t)ncap * sizeof(*items));
        if (l->n)
            memcpy(items, l->items, (size_t)l->n * sizeof(*items));
        l->items = items;
        l->cap = ncap;
    }
    l->items[l->n++] = n;
}

/* ---- dump ------------------------------------------------------------------------------- */

/* The dump is an S-expression: `(KIND attributes` and then each child on its own line,
 * indented two more spaces, and `)` right after the last child. Attributes are the names,
 * literal values and operator spellings; optional children that are absent are left out,
 * so tests can compare whole trees as text. */

static void dump(const ast_node *n, holt_buf *o, int ind);

static void put_quoted(holt_buf *o, const char *s, size_t len)
{
    buf_putc(o, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\n': buf_puts(o, "\\n"); break;
        case '\t': buf_puts(o, "\\t"); break;
        case '\r': buf_puts(o, "\\r"); break;
        case '"': buf_puts(o, "\\\""); break;
        case '\\': buf_puts(o, "\\\\"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                buf_printf(o, "\\x%02x", c);
            else
                buf_putc(o, (char)c);
        }
    }
    buf_putc(o, '"');
}

static void child(const ast_node *n, holt_buf *o, int ind)
{
    if (!n)
        return;
    buf_putc(o, '\n');
    dump(n, o, ind);
}

static void children(const ast_list *l, holt_buf *o, int ind)
{
    for (int i = 0; i < l->n; i++)
        child(l->items[i], o, ind);
}

static const char *op_spelling(int op)
{
    if (op >= 0 && op < TOK__COUNT)
        return tok_spellings[op];
    return "?";
}

static void dump_fn(const ast_fn *fn, holt_buf *o, int ind)
{
    if (!fn)
        return;
    if (fn->name)
        buf_printf(o, " %s", fn->name);
    if (fn->is_static)
        buf_puts(o, " static");
    if (fn->is_native)
        buf_puts(o, " native");
    if (fn->type_params.n) {
        buf_puts(o, " <");
        for (int i = 0; i < fn->type_params.n; i++)
            buf_printf(o, "%s%s", i ? " " : "", fn->type_params.items[i]->name);
        buf_putc(o, '>');
    }
    for (int i = 0; i < fn->nparams; i++) {
        buf_putc(o, '\n');
        buf_printf(o, "%*s(param %s", ind, "", fn->params[i].name);
        child(fn->params[i].type, o, ind + 2);
        buf_putc(o, ')');
    }
    if (fn->result) {
        buf_printf(o, "\n%*s(result", ind, "");
        child(fn->result, o, ind + 2);
        buf_putc(o, ')');
    }
    child(fn->body, o, ind);
}

static void dump_class(const ast_class *cls, holt_buf *o, int ind)
{
    if (!cls)
        return;
    buf_printf(o, " %s", cls->name);
    if (cls->type_params.n) {
        buf_puts(o, " <");
        for (int i = 0; i < cls->type_params.n; i++)
            buf_printf(o, "%s%s", i ? " " : "", cls->type_params.items[i]->name);
        buf_putc(o, '>');
    }
    if (cls->bases.n) {
        buf_printf(o, "\n%*s(bases", ind, "");
        children(&cls->bases, o, ind + 2);
        buf_putc(o, ')');
    }
    children(&cls->members, o, ind);
}

static void dump(const ast_node *n, holt_buf *o, int ind)
{
    buf_printf(o, "%*s(", ind, "");
    if (n->kind >= AST__COUNT) {
        buf_puts(o, "?)");
        return;
    }
    buf_puts(o, ast_kind_names[n->kind]);
    int in = ind + 2;
    switch ((ast_kind)n->kind) {
    case E_INT: buf_printf(o, " %" PRId64, n->u.i); break;
    case E_FLOAT: {
        char num[40];
        snprintf(num, sizeof num, "%.17g", n->u.f);
        /* Keep floats recognisable: 1.0 dumps as 1.0, not 1. */
        buf_printf(o, " %s%s", num, strpbrk(num, ".eninf") ? "" : ".0");
        break;
    }
    case E_STR:
        buf_putc(o, ' ');
        put_quoted(o, n->u.s.str ? n->u.s.str : "", n->u.s.str ? n->u.s.len : 0);
        break;
    case E_BOOL: buf_puts(o, n->u.b ? " true" : " false"); break;
    case E_NAME:
        buf_printf(o, " %s", n->name ? n->name : "?");
        children(&n->list, o, in);
        break;
    case E_UNARY:
    case E_BINARY:
        buf_printf(o, " %s", op_spelling(n->op));
        child(n->a, o, in);
        child(n->b, o, in);
        break;
    case E_MEMBER:
        buf_printf(o, " %s", n->name ? n->name : "?");
        child(n->a, o, in);
        children(&n->list, o, in);
        break;
    case E_FN:
    case D_FN: dump_fn(n->u.fn, o, in); break;
    case D_CLASS:
    case D_INTERFACE: dump_class(n->u.cls, o, in); break;
    case E_IS:
    case E_AS:
    case E_CONV:
        child(n->a, o, in);
        child(n->type, o, in);
        break;
    case S_LET:
        buf_printf(o, " %s %s", n->is_var ? "var" : "let", n->name ? n->name : "?");
        child(n->type, o, in);
        child(n->a, o, in);
        break;
    case S_ASSIGN:
        buf_printf(o, " %s", op_spelling(n->op));
        child(n->a, o, in);
        child(n->b, o, in);
        break;
    case S_FOR:
        buf_printf(o, " %s", n->name ? n->name : "?");
        if (n->name2)
            buf_printf(o, " %s", n->name2);
        child(n->a, o, in);
        child(n->c, o, in);
        child(n->b, o, in);
        break;
    case S_CATCH:
    case D_FIELD:
        buf_printf(o, " %s", n->name ? n->name : "?");
        child(n->type, o, in);
        child(n->a, o, in);
        child(n->b, o, in);
        break;
    case S_TRY:
        child(n->b, o, in);
        children(&n->list, o, in);
        child(n->c, o, in);
        break;
    case S_IMPORT:
        buf_printf(o, " %s", n->name ? n->name : "?");
        if (n->name2)
            buf_printf(o, " as %s", n->name2);
        break;
    case T_NAME:
        buf_printf(o, " %s", n->name ? n->name : "?");
        children(&n->list, o, in);
        break;
    case T_QUAL:
        buf_printf(o, " %s.%s", n->name ? n->name : "?", n->name2 ? n->name2 : "?");
        children(&n->list, o, in);
        break;
    case T_FN:
        children(&n->list, o, in);
        if (n->a) {
            buf_printf(o, "\n%*s(result", in, "");
            child(n->a, o, in + 2);
            buf_putc(o, ')');
        }
        break;
    default:
        /* Everything else is its children in the order a, b, c, type, list. */
        child(n->a, o, in);
        child(n->b, o, in);
        child(n->c, o, in);
        child(n->type, o, in);
        children(&n->list, o, in);
        break;
    }
    buf_putc(o, ')');
}

void ast_dump(const ast_node *n, holt_buf *out)
{
    if (!n) {
        buf_puts(out, "()\n");
        return;
    }
    dump(n, out, 0);
    buf_putc(out, '\n');
}

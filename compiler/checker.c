/* checker.c — scopes, declarations and statements (checker.h). Expressions, operators and
 * calls are in check_expr.c.
 *
 * A module is checked in three passes:
 *   1. declare every top-level name: imported modules, functions (with their signatures,
 *      so calls may come before the declaration) and globals (typed later);
 *   2. check the top-level statements in order as the body of "<main>"; a global becomes
 *      visible to top-level code once its declaration has been checked;
 *   3. check every function body, which sees all globals with their types by now.
 * Diagnostics are collected and reported sorted by position, so the order of the passes
 * does not show in the output.
 */
#include "checker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker_int.h"
#include "lexer.h"
#include "rt.h"

/* Limits of the bytecode format: slots, globals and functions are u16 indexes. */
#define MAX_INDEX 65535

/* ---- diagnostics ----------------------------------------------------------------------------- */

void check__error(check_cx *cx, int line, int col, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    char *msg = ast_alloc(cx->arena, (size_t)len + 1);
    if ((size_t)len < sizeof small) {
        memcpy(msg, small, (size_t)len + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    if (cx->nerrs == cx->errcap) {
        cx->errcap = cx->errcap ? cx->errcap * 2 : 16;
        cx->errs = xrealloc(cx->errs, (size_t)cx->errcap * sizeof *cx->errs);
    }
    check_err e = {.line = line, .col = col, .seq = cx->nerrs, .msg = msg, .opaque = cx->opaque && !cx->inst};
    if (cx->inst) {
        /* line:col is inside the generic (maybe another file): report at the instantiation. */
        e = (check_err){.line = cx->inst->line, .col = cx->inst->col, .seq = cx->nerrs, .inst = cx->inst,
                        .gline = line, .gcol = col};
        int nl = (int)strlen(cx->inst->name);
        bool cut = nl > 80; /* A<[[[[...]]]]> after runaway instantiation */
        size_t n = (size_t)nl + (size_t)len + 8;
        char *full = ast_alloc(cx->arena, n);
        snprintf(full, n, "in %.*s%s: %s", cut ? 77 : nl, cx->inst->name, cut ? "..." : "", msg);
        e.msg = full;
    }
    cx->errs[cx->nerrs++] = e;
}

static int err_cmp(const void *pa, const void *pb)
{
    const check_err *a = pa, *b = pb;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Whether the generic declarations of m, checked on their own, had an error at line:col. */
static bool generic_err_at(const cmodule *m, int line, int col)
{
    for (int i = 0; i < m->ngeneric_errs; i++)
        if (m->generic_errs[2 * i] == line && m->generic_errs[2 * i + 1] == col)
            return true;
    return false;
}

/* Report the held diagnostics; returns how many. An error inside a generic instance at a
 * position where the generic, checked on its own, already had one is not reported again. */
static int flush_errors(check_cx *cx)
{
    cmodule *m = cx->m;
    m->generic_errs = ast_alloc(cx->arena, (size_t)(2 * cx->nerrs + 1) * sizeof *m->generic_errs);
    m->ngeneric_errs = 0;
    for (int i = 0; i < cx->nerrs; i++) {
        if (!cx->errs[i].opaque)
            continue;
        m->generic_errs[2 * m->ngeneric_errs] = cx->errs[i].line;
        m->generic_errs[2 * m->ngeneric_errs++ + 1] = cx->errs[i].col;
    }
    if (cx->nerrs > 1)
        qsort(cx->errs, (size_t)cx->nerrs, sizeof *cx->errs, err_cmp);
    int n = 0;
    for (int i = 0; i < cx->nerrs; i++) {
        const check_err *e = &cx->errs[i];
        if (e->inst && generic_err_at(e->inst->home, e->gline, e->gcol))
            continue;
        diag_error(&m->diag, e->line, e->col, "%s", e->msg);
        n++;
        if (e->inst) {
            diag_ctx at = e->inst->home->diag; /* the generic's file, written to this one's output */
            at.out = m->diag.out;
            diag_note(&at, e->gline, e->gcol, "in generic %s", e->inst->generic);
        }
    }
    free(cx->errs);
    cx->errs = NULL;
    return n;
}

/* ---- scopes ---------------------------------------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static scope *new_scope(check_cx *cx, scope_kind kind, scope *parent, fn_cx *fn)
{
    scope *s = ast_alloc(cx->arena, sizeof *s);
    s->kind = kind;
    s->parent = parent;
    s->fn = fn;
    return s;
}

sym *check__scope_find(const scope *s, const char *name)
{
    if (!s || s->cap == 0)
        return NULL;
    uint32_t j = name_hash(name) & (uint32_t)(s->cap - 1);
    while (s->tab[j]) {
        if (strcmp(s->tab[j]->name, name) == 0)
            return s->tab[j];
        j = (j + 1) & (uint32_t)(s->cap - 1);
    }
    return NULL;
}

static void scope_insert(check_cx *cx, scope *s, sym *y)
{
    if ((s->n + 1) * 2 > s->cap) {
        /* The arena keeps the old table; tables double, so the waste stays bounded. */
        int ncap = s->cap ? s->cap * 2 : 8;
        sym **nt = ast_alloc(cx->arena, (size_t)ncap * sizeof *nt);
        for (int i = 0; i < s->cap; i++) {
            if (!s->tab[i])
                continue;
            uint32_t j = name_hash(s->tab[i]->name) & (uint32_t)(ncap - 1);
            while (nt[j])
                j = (j + 1) & (uint32_t)(ncap - 1);
            nt[j] = s->tab[i];
        }
        s->tab = nt;
        s->cap = ncap;
    }
    uint32_t j = name_hash(y->name) & (uint32_t)(s->cap - 1);
    while (s->tab[j])
        j = (j + 1) & (uint32_t)(s->cap - 1);
    s->tab[j] = y;
    s->n++;
}

/* Declare y in s; a name already declared there is an error reported at line:col. */
static bool declare(check_cx *cx, scope *s, sym *y, int line, int col)
{
    if (check__scope_find(s, y->name)) {
        check__error(cx, line, col, "'%s' is already declared in this block", y->name);
        return false;
    }
    scope_insert(cx, s, y);
    return true;
}

sym *check__lookup(check_cx *cx, const char *name)
{
    for (scope *s = cx->cur; s; s = s->parent) {
        sym *y = check__scope_find(s, name);
        if (!y)
            continue;
        /* Top-level code sees a global only once its declaration has run; so do the
         * functions nested in it, which may run before later declarations have. */
        fn_cx *root = cx->fn;
        while (root && root->outer)
            root = root->outer;
        if (s->kind == SC_MODULE && y->kind == SYM_GLOBAL && root == &cx->main &&
            y->index >= cx->visible_globals)
            continue;
        /* A local of an enclosing function is captured (check_fn.c). */
        if (y->kind == SYM_LOCAL && s->fn && s->fn != cx->fn)
            return check__capture(cx, y, s->fn);
        return y;
    }
    return NULL;
}

static sym *new_sym(check_cx *cx, sym_kind kind, const char *name, const htype *ty, ast_node *decl)
{
    sym *y = ast_alloc(cx->arena, sizeof *y);
    y->kind = kind;
    y->name = name;
    y->ty = ty;
    y->decl = decl;
    y->module = cx->m;
    return y;
}

/* The built-in functions of language.md 8, with the types they are documented with. */
static void make_universe(check_cx *cx)
{
    static const struct {
        const char *name;
        builtin_id id;
        const char *desc;
    } bis[] = {
        {"print", BI_PRINT, "(A)V"}, {"str", BI_STR, "(A)S"},     {"int", BI_INT, "(F)I"},
        {"float", BI_FLOAT, "(I)F"}, {"chr", BI_CHR, "(I)S"},     {"assert", BI_ASSERT, "(ZS)V"},
        {"input", BI_INPUT, "()S"},  {"clock", BI_CLOCK, "()F"},
    };
    cx->universe = new_scope(cx, SC_UNIVERSE, NULL, NULL);
    for (size_t i = 0; i < sizeof bis / sizeof bis[0]; i++) {
        sym *y = new_sym(cx, SYM_BUILTIN, bis[i].name, ty_from_desc(cx->types, bis[i].desc, NULL), NULL);
        y->builtin = bis[i].id;
        y->module = NULL;
        y->index = -1;
        scope_insert(cx, cx->universe, y);
    }
    check__universe_classes(cx);
}

/* ---- types and locals ------------------------------------------------------------------------ */

bool check__key_ok(const htype *k)
{
    return k->kind == TY_INT || k->kind == TY_STR || k->kind == TY_BOOL || k->kind == TY_ERROR;
}

const htype *check__type(check_cx *cx, ast_node *t)
{
    if (!t)
        return cx->t_error;
    switch (t->kind) {
    case T_NAME: {
        static const struct {
            const char *name;
            ty_kind k;
        } names[] = {{"int", TY_INT}, {"float", TY_FLOAT}, {"bool", TY_BOOL}, {"str", TY_STR}, {"any", TY_ANY}};
        const htype *ct = check__class_type(cx, t); /* a class, interface or generic instance */
        if (ct)
            return ct;
        if (t->list.n > 0) {
            check__error(cx, t->line, t->col, "unknown type '%s'", t->name); /* no generic of that name */
            return cx->t_error;
        }
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(t->name, names[i].name) == 0)
                return ty_basic(cx->types, names[i].k);
        check__error(cx, t->line, t->col, "unknown type '%s'", t->name);
        return cx->t_error;
    }
    case T_LIST: {
        const htype *e = check__type(cx, t->a);
        return e->kind == TY_ERROR ? e : ty_list(cx->types, e);
    }
    case T_MAP: {
        const htype *k = check__type(cx, t->a);
        const htype *v = check__type(cx, t->b);
        if (!check__key_ok(k)) {
            check__error(cx, t->a->line, t->a->col, "map keys must be int, str or bool");
            return cx->t_error;
        }
        if (k->kind == TY_ERROR || v->kind == TY_ERROR)
            return cx->t_error;
        return ty_map(cx->types, k, v);
    }
    case T_FN: {
        const htype **ps = t->list.n ? xmalloc((size_t)t->list.n * sizeof *ps) : NULL;
        bool bad = false;
        for (int i = 0; i < t->list.n; i++) {
            ps[i] = check__type(cx, t->list.items[i]);
            bad |= ps[i]->kind == TY_ERROR;
        }
        const htype *r = t->a ? check__type(cx, t->a) : cx->t_void;
        bad |= r->kind == TY_ERROR;
        const htype *f = bad ? cx->t_error : ty_fn(cx->types, ps, t->list.n, r);
        free(ps);
        return f;
    }
    case T_QUAL: {
        const htype *ct = check__class_type(cx, t); /* util.Point */
        if (ct)
            return ct;
        check__error(cx, t->line, t->col, "unknown type '%s.%s'", t->name, t->name2);
        return cx->t_error;
    }
    default:
        check__error(cx, t->line, t->col, "expected a type");
        return cx->t_error;
    }
}

void check__add_fn(check_cx *cx, ast_fn *fn)
{
    cmodule *m = cx->m;
    if (cx->opaque) {
        fn->index = -1; /* part of a generic checked on its own: never generated */
        return;
    }
    if (m->nfuncs == m->funcs_cap) {
        /* The arena cannot grow a block in place: copy into a bigger one. */
        int cap = m->funcs_cap ? m->funcs_cap * 2 : 8;
        ast_fn **v = ast_alloc(cx->arena, (size_t)cap * sizeof *v);
        if (m->nfuncs)
            memcpy(v, m->funcs, (size_t)m->nfuncs * sizeof *v);
        m->funcs = v;
        m->funcs_cap = cap;
    }
    fn->index = m->nfuncs;
    m->funcs[m->nfuncs++] = fn;
}

int check__new_local(check_cx *cx, const htype *ty)
{
    fn_cx *f = cx->fn;
    if (f->nlocals == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->local_types = xrealloc(f->local_types, (size_t)f->cap * sizeof *f->local_types);
    }
    f->local_types[f->nlocals] = ty;
    return f->nlocals++;
}

/* Move the slot types of a finished function into the arena. */
static void finish_locals(check_cx *cx, fn_cx *f, ast_node *at)
{
    ast_fn *fn = f->fn;
    fn->nlocals = f->nlocals;
    fn->local_types = ast_alloc(cx->arena, (size_t)(f->nlocals ? f->nlocals : 1) * sizeof *fn->local_types);
    if (f->nlocals)
        memcpy(fn->local_types, f->local_types, (size_t)f->nlocals * sizeof *fn->local_types);
    free(f->local_types);
    f->local_types = NULL;
    if (f->nlocals > MAX_INDEX)
        check__error(cx, at ? at->line : 1, at ? at->col : 1, "'%s' has too many local variables (%d, the limit is %d)",
                     f->name, f->nlocals, MAX_INDEX);
}

/* ---- statements ------------------------------------------------------------------------------ */

static void stmt(check_cx *cx, ast_node *n);

static void push_scope(check_cx *cx)
{
    cx->cur = new_scope(cx, SC_BLOCK, cx->cur, cx->fn);
}

static void pop_scope(check_cx *cx)
{
    cx->cur = cx->cur->parent;
}

static void block(check_cx *cx, ast_node *b)
{
    if (!b)
        return;
    if (b->kind != S_BLOCK) {
        stmt(cx, b);
        return;
    }
    push_scope(cx);
    for (int i = 0; i < b->list.n; i++)
        stmt(cx, b->list.items[i]);
    pop_scope(cx);
}

/* A condition: bool, nothing else (language.md 4). */
static void condition(check_cx *cx, ast_node **np)
{
    const htype *t = check__expr(cx, np, cx->t_bool);
    if (t->kind == TY_VOID || t->kind == TY_ERROR) {
        if (t->kind == TY_VOID)
            check__value(cx, np, cx->t_bool);
        return;
    }
    if (t != cx->t_bool)
        check__error(cx, (*np)->line, (*np)->col, "condition must be bool, found %s", ty_name(t));
}

/* Bind a local variable in the current scope. */
static sym *bind_local(check_cx *cx, const char *name, const htype *ty, bool mutable_, ast_node *decl, int *slot)
{
    sym *y = new_sym(cx, SYM_LOCAL, name, ty, decl);
    y->is_mutable = mutable_;
    y->index = check__new_local(cx, ty);
    *slot = y->index;
    declare(cx, cx->cur, y, decl->line, decl->col);
    return y;
}

static void let_stmt(check_cx *cx, ast_node *n)
{
    const htype *ty = n->type ? check__type(cx, n->type) : NULL;
    if (n->a) {
        if (ty)
            check__expect(cx, &n->a, ty);
        else
            ty = check__value(cx, &n->a, NULL);
    } else if (!ty) {
        check__error(cx, n->line, n->col, "'%s' needs a type or an initializer", n->name);
        ty = cx->t_error;
    }
    if (cx->cur == cx->top) {
        /* A module global, declared in pass 1; now it has a type and is visible. */
        sym *y = n->sym;
        y->ty = ty;
        n->slot = -1;
        if (y->index + 1 > cx->visible_globals)
            cx->visible_globals = y->index + 1;
        return;
    }
    n->sym = bind_local(cx, n->name, ty, n->is_var, n, &n->slot);
}

/* Why a symbol cannot be assigned to, or NULL when it can. */
static const char *immutable_reason(const sym *y)
{
    switch (y->kind) {
    case SYM_LOCAL:
    case SYM_GLOBAL:
        if (y->is_mutable)
            return NULL;
        /* Loop variables are immutable bindings, as if declared with let. A nested named
         * function's local is declared by its own D_FN, a parameter by its function's. */
        if (y->decl && y->decl->kind == D_FN)
            return y->decl->sym && y->decl->sym->name == y->name && y->decl->sym->ty == y->ty
                       ? "it is a function"
                       : "it is a parameter";
        return "it was declared with let";
    case SYM_FN:
        return "it is a function";
    case SYM_BUILTIN:
        return "it is a built-in function";
    case SYM_MODULE:
        return "it is a module";
    case SYM_CLASS:
        return "it is a class";
    }
    return "it cannot change";
}

/* Check an assignment target; returns its type (TY_ERROR after an error). */
static const htype *assign_target(check_cx *cx, ast_node **tp)
{
    ast_node *t = *tp;
    switch (t->kind) {
    case E_NAME: {
        sym *y = check__lookup(cx, t->name);
        if (!y) {
            check__error(cx, t->line, t->col, "undefined name '%s'", t->name);
            t->ty = cx->t_error;
            return t->ty;
        }
        t->sym = y;
        const char *why = immutable_reason(y);
        if (why) {
            if (y->kind != SYM_MODULE || y->module)
                check__error(cx, t->line, t->col, "cannot assign to '%s': %s", t->name, why);
            t->ty = cx->t_error;
            return t->ty;
        }
        t->ty = y->ty;
        return t->ty;
    }
    case E_INDEX: {
        const htype *r = check__expr(cx, tp, NULL);
        if (t->a->ty && t->a->ty->kind == TY_STR) {
            check__error(cx, t->line, t->col, "cannot assign to an index of str");
            return cx->t_error;
        }
        return r;
    }
    case E_MEMBER: {
        cx->assigning = true; /* check__class_member names a method as what is assigned to */
        const htype *r = check__expr(cx, tp, NULL);
        cx->assigning = false;
        if (r->kind == TY_ERROR || t->cmem) /* a class's field */
            return r;
        if (t->member) {
            const char *why = immutable_reason(t->member);
            if (why) {
                check__error(cx, t->line, t->col, "cannot assign to '%s': %s", t->name, why);
                return cx->t_error;
            }
            return r;
        }
        check__error(cx, t->line, t->col, "cannot assign to this expression");
        return cx->t_error;
    }
    default:
        check__error(cx, t->line, t->col, "cannot assign to this expression");
        return cx->t_error;
    }
}

static void assign_stmt(check_cx *cx, ast_node *n)
{
    n->hidden = -1;
    const htype *tt = assign_target(cx, &n->a);
    if (n->op == TOK_EQ || n->op == '=') {
        check__expect(cx, &n->b, tt);
        return;
    }
    int op = tok_compound_base(n->op);
    if (op < 0) {
        check__error(cx, n->line, n->col, "unknown assignment operator");
        return;
    }
    ast_node *t = n->a;
    if (t->kind == E_INDEX && tt->kind != TY_ERROR) {
        /* The container and the index are evaluated once, into two hidden slots. */
        n->hidden = check__new_local(cx, t->a->ty);
        check__new_local(cx, t->b->ty);
    }
    if (tt->kind == TY_ERROR) {
        check__expr(cx, &n->b, NULL);
        return;
    }
    /* `t op= v` is `t = t op v`: the operator decides, the result must fit t. The target
     * must not itself be converted (it is also where the result goes), so it is typed
     * through a copy of the pointer. */
    ast_node *tcopy = t;
    const htype *r = check__binary(cx, op, &tcopy, &n->b, n, op);
    if (r->kind != TY_ERROR && r != tt)
        check__error(cx, n->b->line, n->b->col, "type mismatch: expected %s, found %s", ty_name(tt), ty_name(r));
}

static void for_stmt(check_cx *cx, ast_node *n)
{
    push_scope(cx);
    n->slot2 = -1;
    n->hidden = -1;
    if (n->c) {
        /* for i in a..b: the end is evaluated once, into a hidden slot. */
        check__expect(cx, &n->a, cx->t_int);
        check__expect(cx, &n->c, cx->t_int);
        n->hidden = check__new_local(cx, cx->t_int);
        n->sym = bind_local(cx, n->name, cx->t_int, false, n, &n->slot);
        if (n->name2) {
            check__error(cx, n->line, n->col, "a loop over a range takes one variable");
            bind_local(cx, n->name2, cx->t_error, false, n, &n->slot2);
        }
    } else {
        const htype *t = check__value(cx, &n->a, NULL);
        const htype *first = cx->t_error, *second = cx->t_error;
        if (t->kind == TY_LIST) {
            first = n->name2 ? cx->t_int : t->elem;
            second = t->elem;
        } else if (t->kind == TY_MAP) {
            first = t->key;
            second = t->elem;
        } else if (t->kind != TY_ERROR) {
            check__error(cx, n->a->line, n->a->col, "cannot iterate over %s", ty_name(t));
        }
        if (t->kind == TY_LIST || t->kind == TY_MAP) {
            /* LITER/MITER state: the container, the position and the modification count. */
            n->hidden = check__new_local(cx, t);
            check__new_local(cx, cx->t_int);
            check__new_local(cx, cx->t_int);
        }
        n->sym = bind_local(cx, n->name, first, false, n, &n->slot);
        if (n->name2)
            n->member = bind_local(cx, n->name2, second, false, n, &n->slot2);
    }
    cx->fn->loops++;
    block(cx, n->b);
    cx->fn->loops--;
    pop_scope(cx);
}

static void return_stmt(check_cx *cx, ast_node *n)
{
    const htype *ret = cx->fn->ret;
    if (n->a) {
        if (ret->kind == TY_VOID) {
            check__error(cx, n->line, n->col, "'return' with a value in a function that returns nothing");
            check__expr(cx, &n->a, NULL);
            return;
        }
        check__expect(cx, &n->a, ret);
    } else if (ret->kind != TY_VOID && (ret->kind != TY_ERROR || cx->opaque)) {
        check__error(cx, n->line, n->col, "missing return value");
    }
}

static void stmt(check_cx *cx, ast_node *n)
{
    if (!n)
        return;
    switch (n->kind) {
    case S_LET:
        let_stmt(cx, n);
        break;
    case S_ASSIGN:
        assign_stmt(cx, n);
        break;
    case S_EXPR: {
        const htype *t = check__expr(cx, &n->a, NULL);
        if (t->kind == TY_NULL)
            check__value(cx, &n->a, NULL);
        break;
    }
    case S_IF:
        /* An else-if chain can be long (the parser builds it in a loop): walk it in one. */
        for (ast_node *k = n;;) {
            condition(cx, &k->a);
            block(cx, k->b);
            if (k->c && k->c->kind == S_IF) {
                k = k->c;
                continue;
            }
            if (k->c)
                block(cx, k->c);
            break;
        }
        break;
    case S_WHILE:
        condition(cx, &n->a);
        cx->fn->loops++;
        block(cx, n->b);
        cx->fn->loops--;
        break;
    case S_FOR:
        for_stmt(cx, n);
        break;
    case S_BREAK:
        if (cx->fn->loops == 0)
            check__error(cx, n->line, n->col, "'break' outside a loop");
        break;
    case S_CONTINUE:
        if (cx->fn->loops == 0)
            check__error(cx, n->line, n->col, "'continue' outside a loop");
        break;
    case S_RETURN:
        return_stmt(cx, n);
        break;
    case S_BLOCK:
        block(cx, n);
        break;
    case S_THROW:
        check__throw(cx, n);
        break;
    case S_TRY:
        check__try(cx, n);
        break;
    case S_IMPORT:
        /* Top-level imports were bound in pass 1. */
        if (cx->cur != cx->top)
            check__error(cx, n->line, n->col, "'import' must be at the top level of a file");
        break;
    case D_FN:
        if (cx->cur != cx->top)
            check__nested_fn(cx, n);
        break;
    case D_CLASS:
    case D_INTERFACE:
        /* Top-level ones were declared in pass 1 (check_class.c). */
        if (cx->cur != cx->top)
            check__error(cx, n->line, n->col, "%s must be declared at the top level of a file",
                         n->kind == D_CLASS ? "classes" : "interfaces");
        break;
    default:
        if (n->kind <= E_CONV) {
            /* An expression where a statement belongs: check it all the same. */
            ast_node *e = n;
            check__expr(cx, &e, NULL);
        }
        break;
    }
}

/* ---- functions ------------------------------------------------------------------------------- */

/* Whether a `break` inside n (not inside a nested loop) leaves the loop around n. */
static bool has_break(const ast_node *n)
{
    if (!n)
        return false;
    switch (n->kind) {
    case S_BREAK:
        return true;
    case S_WHILE:
    case S_FOR:
        return false;
    case S_BLOCK:
        for (int i = 0; i < n->list.n; i++)
            if (has_break(n->list.items[i]))
                return true;
        return false;
    case S_IF:
        for (const ast_node *k = n; k; k = k->c) {
            if (k->kind != S_IF)
                return has_break(k);
            if (has_break(k->b))
                return true;
        }
        return false;
    case S_TRY:
        for (int i = 0; i < n->list.n; i++)
            if (has_break(n->list.items[i]))
                return true;
        return has_break(n->b) || has_break(n->c);
    case S_CATCH:
        return has_break(n->b);
    default:
        return false;
    }
}

/* The structural rule for functions with a result: the body must end in a return, an
 * if/else whose every branch ends so, a throw, or a `while true` loop without break. */
static bool ends_in_return(const ast_node *n)
{
    if (!n)
        return false;
    switch (n->kind) {
    case S_RETURN:
    case S_THROW:
        return true;
    case S_BLOCK:
        return n->list.n > 0 && ends_in_return(n->list.items[n->list.n - 1]);
    case S_IF:
        for (const ast_node *k = n;; k = k->c) {
            if (!k->c || !ends_in_return(k->b))
                return false;
            if (k->c->kind != S_IF)
                return ends_in_return(k->c);
        }
    case S_WHILE:
        return n->a && n->a->kind == E_BOOL && n->a->u.b && !has_break(n->b);
    case S_TRY:
        /* A finally that ends so always does; else the body and every catch must. */
        if (n->c && ends_in_return(n->c))
            return true;
        if (!ends_in_return(n->b))
            return false;
        for (int i = 0; i < n->list.n; i++)
            if (!ends_in_return(n->list.items[i]->b))
                return false;
        return true;
    default:
        return false;
    }
}

/* Slot information for a function whose body is not checked. */
static void finish_empty(check_cx *cx, ast_fn *fn)
{
    fn->nlocals = 0;
    fn->local_types = ast_alloc(cx->arena, sizeof *fn->local_types);
}

static void fn_body(check_cx *cx, ast_node *decl)
{
    ast_fn *fn = decl->u.fn;
    if (fn->is_native || !fn->body || !fn->ty || fn->ty->kind != TY_FN || fn->type_params.n > 0) {
        /* Natives have no body; a generic one was reported and is not looked into. */
        if (!fn->is_native)
            finish_empty(cx, fn);
        return;
    }
    fn_cx f = {.fn = fn, .name = fn->name, .ret = fn->ty->ret};
    cx->fn = &f;
    cx->cur = new_scope(cx, SC_FN, cx->top, &f);
    int first = check__self_param(cx, fn, decl); /* a method's receiver comes first */
    for (int i = 0; i < fn->nparams; i++) {
        ast_param *p = &fn->params[i];
        sym *y = new_sym(cx, SYM_LOCAL, p->name, fn->ty->params[first + i], decl);
        y->index = check__new_local(cx, y->ty);
        declare(cx, cx->cur, y, p->line, p->col);
    }
    block(cx, fn->body);
    /* In a generic checked on its own, a result of type T is the error type, and still needed. */
    if (f.ret->kind != TY_VOID && (f.ret->kind != TY_ERROR || cx->opaque) && !ends_in_return(fn->body))
        check__error(cx, decl->line, decl->col, "missing return in '%s'", fn->name);
    finish_locals(cx, &f, decl);
    cx->cur = cx->top;
    cx->fn = &cx->main;
}

void check__fn_body(check_cx *cx, ast_node *decl) { fn_body(cx, decl); }

bool check__declare(check_cx *cx, scope *s, sym *y, int line, int col) { return declare(cx, s, y, line, col); }

sym *check__new_sym(check_cx *cx, sym_kind kind, const char *name, const htype *ty, ast_node *decl)
{
    return new_sym(cx, kind, name, ty, decl);
}

void check__block(check_cx *cx, ast_node *b) { block(cx, b); }

sym *check__bind_local(check_cx *cx, const char *name, const htype *ty, bool mutable_, ast_node *decl, int *slot)
{
    return bind_local(cx, name, ty, mutable_, decl, slot);
}

bool check__ends_in_return(const ast_node *n) { return ends_in_return(n); }

void check__finish_locals(check_cx *cx, fn_cx *f, ast_node *at) { finish_locals(cx, f, at); }

/* The native a `@native fn` stands for must exist with exactly its type. */
static void check_native_decl(check_cx *cx, ast_node *decl, const htype *ty)
{
    const char *name = decl->u.fn->name;
    size_t mlen = strlen(cx->m->name);
    for (uint32_t i = 0; i < rt_nnatives; i++) {
        const char *nn = rt_natives[i].name;
        if (strncmp(nn, cx->m->name, mlen) == 0 && nn[mlen] == '.' && strcmp(nn + mlen + 1, name) == 0 &&
            strcmp(rt_natives[i].sig, ty->desc) == 0)
            return;
    }
    check__error(cx, decl->line, decl->col, "no native '%s.%s' of type %s", cx->m->name, name, ty_name(ty));
}

/* Pass 1 for a top-level function: its signature, index and name. */
static void declare_fn(check_cx *cx, ast_node *n)
{
    ast_fn *fn = n->u.fn;
    if (fn->type_params.n > 0 && !fn->is_native) {
        check__declare_generic_fn(cx, n); /* instances are made at calls */
        return;
    }
    /* A generic function is reported once; its parameters and result (which name its
     * type parameters) then take the error type, which accepts anything silently. */
    bool generic = fn->type_params.n > 0;
    bool bad = generic;
    if (generic)
        check__error(cx, n->line, n->col, "generic functions are not supported yet");
    const htype **ps = fn->nparams ? xmalloc((size_t)fn->nparams * sizeof *ps) : NULL;
    for (int i = 0; i < fn->nparams; i++) {
        ps[i] = generic ? cx->t_error : check__type(cx, fn->params[i].type);
        bad |= ps[i]->kind == TY_ERROR;
    }
    const htype *ret = !fn->result ? cx->t_void : generic ? cx->t_error : check__type(cx, fn->result);
    bad |= ret->kind == TY_ERROR;
    fn->ty = ty_fn(cx->types, ps, fn->nparams, ret);
    free(ps);

    sym *y = new_sym(cx, SYM_FN, fn->name, fn->ty, n);
    y->is_native = fn->is_native;
    if (fn->is_native) {
        fn->index = -1;
        y->index = -1;
        if (!bad)
            check_native_decl(cx, n, fn->ty);
    } else {
        check__add_fn(cx, fn);
        y->index = fn->index;
    }
    sym *old = check__scope_find(cx->top, fn->name);
    if (old && old->kind == SYM_FN && old->is_native && y->is_native) {
        /* Natives of one name with different parameter types are overloads (math.abs). */
        sym *last = old;
        for (sym *o = old; o; o = o->overload) {
            const htype *a = o->ty, *b = y->ty;
            bool same = a->nparams == b->nparams;
            for (int i = 0; same && i < a->nparams; i++)
                same = a->params[i] == b->params[i];
            if (same) {
                check__error(cx, n->line, n->col, "'%s' is already declared in this block", fn->name);
                return;
            }
            last = o;
        }
        last->overload = y;
        return;
    }
    declare(cx, cx->top, y, n->line, n->col);
}

static void declare_top(check_cx *cx)
{
    cmodule *m = cx->m;
    ast_list *top = &m->root->list;
    int nfn = 1, nglob = 0;
    for (int i = 0; i < top->n; i++) {
        ast_node *n = top->items[i];
        nfn += n->kind == D_FN;
        nglob += n->kind == S_LET;
    }
    m->funcs = ast_alloc(cx->arena, (size_t)nfn * sizeof *m->funcs);
    m->funcs_cap = nfn;
    m->globals = ast_alloc(cx->arena, (size_t)(nglob ? nglob : 1) * sizeof *m->globals);
    m->funcs[0] = m->main_fn;
    m->nfuncs = 1;
    m->nglobals = 0;
    check__declare_classes(cx); /* function signatures may name classes declared after them */
    for (int i = 0; i < top->n; i++) {
        ast_node *n = top->items[i];
        switch (n->kind) {
        case S_IMPORT: {
            sym *y = n->sym;
            if (!y) {
                /* Not bound by the driver: a module that could not be loaded. */
                const char *last = strrchr(n->name, '.');
                y = new_sym(cx, SYM_MODULE, n->name2 ? n->name2 : last ? last + 1 : n->name, NULL, n);
                y->module = NULL;
                n->sym = y;
            }
            declare(cx, cx->top, y, n->line, n->col);
            break;
        }
        case D_FN:
            declare_fn(cx, n);
            break;
        case S_LET: {
            sym *y = new_sym(cx, SYM_GLOBAL, n->name, cx->t_error, n);
            y->is_mutable = n->is_var;
            y->index = m->nglobals;
            m->globals[m->nglobals++] = n;
            n->sym = y;
            n->slot = -1;
            declare(cx, cx->top, y, n->line, n->col);
            break;
        }
        default:
            break;
        }
    }
    check__resolve_classes(cx);
    if (m->nglobals > MAX_INDEX)
        check__error(cx, 1, 1, "too many globals (%d, the limit is %d)", m->nglobals, MAX_INDEX);
    if (m->nfuncs > MAX_INDEX)
        check__error(cx, 1, 1, "too many functions (%d, the limit is %d)", m->nfuncs, MAX_INDEX);
}

int check_module(compiler *c, cmodule *m)
{
    check_cx cx = {.c = c, .m = m, .types = c->types, .arena = c->arena};
    cx.t_error = ty_basic(c->types, TY_ERROR);
    cx.t_void = ty_basic(c->types, TY_VOID);
    cx.t_null = ty_basic(c->types, TY_NULL);
    cx.t_int = ty_basic(c->types, TY_INT);
    cx.t_float = ty_basic(c->types, TY_FLOAT);
    cx.t_bool = ty_basic(c->types, TY_BOOL);
    cx.t_str = ty_basic(c->types, TY_STR);
    cx.t_any = ty_basic(c->types, TY_ANY);

    if (!m->root) {
        m->root = ast_new(c->arena, S_BLOCK, 1, 1);
    }
    make_universe(&cx);
    cx.top = new_scope(&cx, SC_MODULE, cx.universe, NULL);
    m->top = cx.top;

    ast_fn *main_fn = ast_alloc(c->arena, sizeof *main_fn);
    main_fn->name = "<main>";
    main_fn->body = m->root;
    main_fn->ty = ty_fn(c->types, NULL, 0, cx.t_void);
    main_fn->index = 0;
    m->main_fn = main_fn;
    cx.main = (fn_cx){.fn = main_fn, .name = "<main>", .ret = cx.t_void};
    cx.fn = &cx.main;
    cx.cur = cx.top;

    declare_top(&cx);

    /* Pass 2: the top level, in order. */
    ast_list *top = &m->root->list;
    for (int i = 0; i < top->n; i++)
        stmt(&cx, top->items[i]);
    cx.visible_globals = m->nglobals;

    /* Pass 3: function bodies. */
    for (int i = 0; i < top->n; i++)
        if (top->items[i]->kind == D_FN)
            fn_body(&cx, top->items[i]);
    check__generic_decls(&cx);
    check__class_bodies(&cx);
    finish_locals(&cx, &cx.main, NULL);

    int n = flush_errors(&cx);
    m->checked = true;
    return n;
}

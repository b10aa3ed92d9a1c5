/* check_fn.c — function values, closures, exceptions and the list methods that take
 * functions (language.md 2, 4, 5, 7, 9; docs/objects.md "Function values and closures" and
 * "Exceptions").
 *
 * Closures. A function nested in another (an anonymous `fn` expression or a named `fn`
 * inside a block) is checked on the spot, inside its enclosing function. Before its body is
 * checked, its free names are collected: every name used anywhere inside it (nested functions
 * included) that resolves, from where the function is written, to a local of an enclosing
 * function. Each becomes a capture: slots 0 .. ncaps-1 of the nested function hold the cells,
 * so the parameters come after them, as the bytecode requires. Collecting ahead of the body
 * may capture a name the body then shadows with a local of its own; that costs a cell and
 * changes nothing else.
 *
 * A captured variable lives in a cell in its declaring function too (sym.captured, with the
 * cell in sym.cell_slot, a new slot of type ^T); its ordinary slot only receives the value
 * where the variable is bound (a `let`, a loop variable, a catch variable, a parameter on
 * entry), and the code generator moves it into a fresh cell there. Inside the nested function
 * the captured variable is a symbol of its own whose cell is capture slot i. Since captures
 * are found after earlier uses of a variable were checked, the code generator, which runs
 * after the whole module is checked, decides per access.
 */
#include <stdlib.h>
#include <string.h>

#include "checker_int.h"

static bool is_err(const htype *t) { return t->kind == TY_ERROR; }

/* ---- errors ------------------------------------------------------------------------------------ */

/* Whether t is an error class (Error or a subclass). */
static bool is_error_class(check_cx *cx, const htype *t)
{
    const htype *err = check__error_class(cx, "Error");
    return t->kind == TY_CLASS && !is_err(err) && ty_assignable(t, err);
}

/* ---- captures -------------------------------------------------------------------------------- */

/* One captured variable of the function being checked. */
typedef struct capture {
    sym *root;                    /* the variable as declared (its owner's symbol) */
    fn_cx *owner;                 /* the function declaring it */
    sym *inner;                   /* the capture inside the nested function: cell slot i */
} capture;

/* The captures of a nested function while its body is checked, on the stack cx->caps. */
typedef struct fn_caps {
    fn_cx *f;                     /* the nested function */
    capture *v;                   /* host heap */
    int n, cap;                   /* used and allocated entries */
    struct fn_caps *outer;        /* the next enclosing nested function's */
} fn_caps;

/* The captures of f when it is a nested function being checked, else NULL. */
static fn_caps *caps_of(const check_cx *cx, const fn_cx *f)
{
    for (fn_caps *c = cx->caps; c; c = c->outer)
        if (c->f == f)
            return c;
    return NULL;
}

/* The scope whose symbol `name` is, as seen from scope s, or NULL. Unlike check__lookup this
 * returns the declared symbol itself, never a capture. */
static sym *raw_lookup(const scope *s, const char *name, const scope **where)
{
    for (; s; s = s->parent) {
        sym *y = check__scope_find(s, name);
        if (y) {
            *where = s;
            return y;
        }
    }
    return NULL;
}

/* Whether the variable's declaring function binds it where it is declared (a statement),
 * rather than on entry (a parameter, or `self`). */
static bool bound_by_statement(const sym *y, const fn_cx *owner)
{
    const ast_node *d = y->decl;
    if (!d)
        return false;
    if (d->kind == S_LET || d->kind == S_FOR || d->kind == S_CATCH)
        return true;
    /* A nested named function's local names its own D_FN; parameters name their function's. */
    return d->kind == D_FN && d->u.fn != owner->fn;
}

/* Put root in a cell in its declaring function (once). */
static void make_cell(check_cx *cx, sym *root, fn_cx *owner)
{
    if (root->captured)
        return;
    root->captured = true;
    fn_cx *saved = cx->fn;
    cx->fn = owner;
    root->cell_slot = check__new_local(cx, ty_cell(cx->types, root->ty));
    cx->fn = saved;
    if (!bound_by_statement(root, owner)) {
        ast_fn *fn = owner->fn;
        fn->param_cells = ast_grow(cx->arena, fn->param_cells, fn->nparam_cells, &fn->param_cells_cap,
                                   sizeof *fn->param_cells);
        fn->param_cells[fn->nparam_cells++] = root;
    }
}

/* Add root (declared in function owner) to the captures c (once). */
static void add_capture(fn_caps *c, sym *root, fn_cx *owner)
{
    for (int i = 0; i < c->n; i++)
        if (c->v[i].root == root)
            return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4;
        c->v = xrealloc(c->v, (size_t)c->cap * sizeof *c->v);
    }
    c->v[c->n++] = (capture){.root = root, .owner = owner, .inner = NULL};
}

/* Collect into c the captures of a nested function from the names used in n, resolved from
 * scope s (where the function is written). */
static void scan(check_cx *cx, fn_caps *c, const scope *s, ast_node *n, int depth)
{
    if (!n || depth > 10000)
        return;
    const char *name = n->kind == E_NAME ? n->name : n->kind == E_SELF ? "self" : NULL;
    if (name) {
        const scope *where = NULL;
        sym *y = raw_lookup(s, name, &where);
        if (y && y->kind == SYM_LOCAL && where->fn) {
            make_cell(cx, y, where->fn);
            add_capture(c, y, where->fn);
        }
    }
    scan(cx, c, s, n->a, depth + 1);
    scan(cx, c, s, n->b, depth + 1);
    scan(cx, c, s, n->c, depth + 1);
    for (int i = 0; i < n->list.n; i++)
        scan(cx, c, s, n->list.items[i], depth + 1);
    if ((n->kind == E_FN || n->kind == D_FN) && n->u.fn)
        scan(cx, c, s, n->u.fn->body, depth + 1);
}

/* y (declared in owner) as function f sees it: y itself in its owner, else f's capture. */
static sym *seen_from(const check_cx *cx, fn_cx *f, sym *y, const fn_cx *owner)
{
    if (f == owner)
        return y;
    fn_caps *c = caps_of(cx, f);
    if (c)
        for (int j = 0; j < c->n; j++)
            if (c->v[j].root == y && c->v[j].inner)
                return c->v[j].inner;
    return NULL;
}

sym *check__capture(check_cx *cx, sym *y, fn_cx *owner)
{
    sym *in = seen_from(cx, cx->fn, y, owner);
    if (!in) {
        /* Not reachable: every nested function collected its names before its body. */
        check__error(cx, y->decl ? y->decl->line : 1, y->decl ? y->decl->col : 1,
                     "internal error: '%s' is not captured", y->name);
        return y;
    }
    return in;
}

/* ---- nested functions ------------------------------------------------------------------------ */

/* The type of a function from its syntax; *bad when part of it is in error. */
static const htype *fn_type(check_cx *cx, ast_fn *fn, bool *bad)
{
    const htype **ps = fn->nparams ? xmalloc((size_t)fn->nparams * sizeof *ps) : NULL;
    *bad = false;
    for (int i = 0; i < fn->nparams; i++) {
        ps[i] = check__type(cx, fn->params[i].type);
        *bad |= is_err(ps[i]);
    }
    const htype *ret = fn->result ? check__type(cx, fn->result) : cx->t_void;
    *bad |= is_err(ret);
    const htype *t = ty_fn(cx->types, ps, fn->nparams, ret);
    free(ps);
    return t;
}

/* Check the body of nested function fn (declared by node decl) where it is written. */
static void nested_body(check_cx *cx, ast_fn *fn, ast_node *decl)
{
    fn_cx f = {.fn = fn, .name = fn->name ? fn->name : "<fn>", .ret = fn->ty->ret, .outer = cx->fn};
    fn_caps caps = {.f = &f, .outer = cx->caps};
    fn_cx *saved_fn = cx->fn;
    scope *saved_cur = cx->cur;

    /* Captures first, resolved from where the function is written; each is loaded by the
     * enclosing function from the variable itself or from its own capture of it. */
    scan(cx, &caps, cx->cur, fn->body, 0);
    cx->caps = &caps;
    cx->fn = &f;
    fn->ncaps = caps.n;
    fn->caps = ast_alloc(cx->arena, (size_t)(caps.n ? caps.n : 1) * sizeof *fn->caps);
    for (int i = 0; i < caps.n; i++) {
        capture *k = &caps.v[i];
        sym *outer = seen_from(cx, saved_fn, k->root, k->owner);
        fn->caps[i] = outer ? outer : k->root;
        sym *in = ast_alloc(cx->arena, sizeof *in);
        *in = *k->root;
        in->overload = NULL;
        in->captured = true;
        in->index = check__new_local(cx, ty_cell(cx->types, k->root->ty));
        in->cell_slot = in->index;
        k->inner = in;
    }

    scope *ps = ast_alloc(cx->arena, sizeof *ps);
    ps->kind = SC_FN;
    ps->parent = saved_cur;
    ps->fn = &f;
    cx->cur = ps;
    for (int i = 0; i < fn->nparams; i++) {
        ast_param *p = &fn->params[i];
        sym *y = ast_alloc(cx->arena, sizeof *y);
        y->kind = SYM_LOCAL;
        y->name = p->name;
        y->ty = fn->ty->params[i];
        y->decl = decl;
        y->module = cx->m;
        y->index = check__new_local(cx, y->ty);
        check__declare(cx, ps, y, p->line, p->col);
    }
    check__block(cx, fn->body);
    const htype *ret = f.ret;
    if (ret->kind != TY_VOID && !is_err(ret) && !check__ends_in_return(fn->body)) {
        if (fn->name)
            check__error(cx, decl->line, decl->col, "missing return in '%s'", fn->name);
        else
            check__error(cx, decl->line, decl->col, "missing return in anonymous function");
    }
    check__finish_locals(cx, &f, decl);
    free(caps.v);
    cx->caps = caps.outer;
    cx->cur = saved_cur;
    cx->fn = saved_fn;
}

const htype *check__fn_expr(check_cx *cx, ast_node *n)
{
    ast_fn *fn = n->u.fn;
    if (fn->type_params.n > 0) {
        check__error(cx, n->line, n->col, "an anonymous function cannot be generic");
        return cx->t_error;
    }
    bool bad;
    fn->ty = fn_type(cx, fn, &bad);
    check__add_fn(cx, fn);
    nested_body(cx, fn, n);
    return bad ? cx->t_error : fn->ty;
}

void check__nested_fn(check_cx *cx, ast_node *n)
{
    ast_fn *fn = n->u.fn;
    if (fn->type_params.n > 0) {
        check__error(cx, n->line, n->col, "a nested function cannot be generic");
        return;
    }
    if (fn->is_native || !fn->body) {
        check__error(cx, n->line, n->col, "a nested function needs a body");
        return;
    }
    bool bad;
    fn->ty = fn_type(cx, fn, &bad);
    check__add_fn(cx, fn);
    /* The name is bound before the body is checked, so the function can call itself. */
    int slot;
    sym *y = check__bind_local(cx, fn->name, bad ? cx->t_error : fn->ty, false, n, &slot);
    n->sym = y;
    n->slot = slot;
    nested_body(cx, fn, n);
}

/* ---- function values and calls --------------------------------------------------------------- */

const htype *check__fn_value(check_cx *cx, ast_node *at, sym *y)
{
    if (y->overload) {
        check__error(cx, at->line, at->col, "'%s' has several signatures: it cannot be used as a value", y->name);
        return cx->t_error;
    }
    if (!y->ty || y->ty->kind != TY_FN)
        return cx->t_error;
    if (y->module == cx->m && !y->is_native)
        return y->ty;
    /* Another module's function or a native: CLOSURE names only functions of this module,
     * so a function of the same name and type here calls on to it (one per target). */
    for (int i = 0; i < cx->m->nfuncs; i++)
        if (cx->m->funcs[i]->forward == y)
            return y->ty;
    ast_fn *fw = ast_alloc(cx->arena, sizeof *fw);
    fw->name = y->name;
    fw->ty = y->ty;
    fw->forward = y;
    fw->nparams = y->ty->nparams;
    fw->nlocals = y->ty->nparams;
    fw->local_types = ast_alloc(cx->arena, (size_t)(fw->nlocals ? fw->nlocals : 1) * sizeof *fw->local_types);
    for (int i = 0; i < fw->nlocals; i++)
        fw->local_types[i] = y->ty->params[i];
    check__add_fn(cx, fw);
    return y->ty;
}

/* Arguments of a call against parameter types. */
static void call_args(check_cx *cx, ast_node *n, const htype *const *params, int np)
{
    if (n->list.n != np) {
        check__error(cx, n->line, n->col, "function value expects %d argument%s, found %d", np, np == 1 ? "" : "s",
                     n->list.n);
        for (int i = 0; i < n->list.n; i++)
            check__expr(cx, &n->list.items[i], NULL);
        return;
    }
    for (int i = 0; i < np; i++)
        check__expect(cx, &n->list.items[i], params[i]);
}

const htype *check__value_call(check_cx *cx, ast_node *n, const htype *t)
{
    call_info *ci = ast_alloc(cx->arena, sizeof *ci);
    ci->kind = CALL_VALUE;
    ci->sig = t;
    n->call = ci;
    call_args(cx, n, t->params, t->nparams);
    return t->ret;
}

const htype *check__list_fn_method(check_cx *cx, ast_node *n, ast_node *callee, const htype *rt)
{
    const char *name = callee->name;
    const htype *elem = rt->elem;
    call_info *ci = ast_alloc(cx->arena, sizeof *ci);
    ci->kind = CALL_METHOD;
    ci->receiver = callee->a;
    n->call = ci;
    if (n->list.n != 1) {
        check__error(cx, callee->line, callee->col, "'%s' expects 1 argument, found %d", name, n->list.n);
        for (int i = 0; i < n->list.n; i++)
            check__expr(cx, &n->list.items[i], NULL);
        return cx->t_error;
    }
    const htype *want, *result;
    if (strcmp(name, "sort_by") == 0) {
        const htype *ps[2] = {elem, elem};
        want = ty_fn(cx->types, ps, 2, cx->t_int);
        result = cx->t_void;
        ci->native = "list.sort_by";
    } else if (strcmp(name, "filter") == 0) {
        want = ty_fn(cx->types, &elem, 1, cx->t_bool);
        result = rt;
        ci->native = "list.filter";
    } else {
        /* map: U comes from the function argument's result type. */
        ci->native = "list.map";
        const htype *ft = check__value(cx, &n->list.items[0], NULL);
        if (is_err(ft))
            return cx->t_error;
        if (ft->kind != TY_FN || ft->nparams != 1 || ft->params[0] != elem || ft->ret->kind == TY_VOID) {
            check__error(cx, n->list.items[0]->line, n->list.items[0]->col,
                         "map() needs a fn(%s) -> U, found %s", ty_name(elem), ty_name(ft));
            return cx->t_error;
        }
        result = ty_list(cx->types, ft->ret);
        const htype *ps[2] = {rt, ft};
        ci->sig = ty_fn(cx->types, ps, 2, result);
        callee->ty = ci->sig;
        return result;
    }
    const htype *ps[2] = {rt, want};
    ci->sig = ty_fn(cx->types, ps, 2, result);
    callee->ty = ci->sig;
    check__expect(cx, &n->list.items[0], want);
    return result;
}

/* ---- exceptions ------------------------------------------------------------------------------ */

void check__throw(check_cx *cx, ast_node *n)
{
    const htype *t = check__value(cx, &n->a, NULL);
    if (is_err(t))
        return;
    if (!is_error_class(cx, t))
        check__error(cx, n->a->line, n->a->col, "'throw' needs an Error, found %s", ty_name(t));
}

void check__try(check_cx *cx, ast_node *n)
{
    check__block(cx, n->b);
    int nc = n->list.n;
    const htype **seen = nc ? xmalloc((size_t)nc * sizeof *seen) : NULL;
    for (int i = 0; i < nc; i++) {
        ast_node *c = n->list.items[i];
        const htype *t = check__type(cx, c->type);
        seen[i] = t;
        if (!is_err(t) && !is_error_class(cx, t)) {
            check__error(cx, c->type->line, c->type->col, "catch type must be an error class, found %s", ty_name(t));
            t = seen[i] = cx->t_error;
        }
        for (int j = 0; j < i && !is_err(t); j++) {
            if (!is_err(seen[j]) && ty_assignable(t, seen[j])) {
                /* As in Java: a clause after one of its superclass can never run. */
                check__error(cx, c->type->line, c->type->col, "unreachable catch: %s is already caught by the catch of %s",
                             ty_name(t), ty_name(seen[j]));
                break;
            }
        }
        /* The catch variable is bound in a scope of its own, around the body. */
        scope *s = ast_alloc(cx->arena, sizeof *s);
        s->kind = SC_BLOCK;
        s->parent = cx->cur;
        s->fn = cx->fn;
        cx->cur = s;
        c->sym = check__bind_local(cx, c->name, t, false, c, &c->slot);
        check__block(cx, c->b);
        cx->cur = s->parent;
    }
    free(seen);
    n->hidden = -1;
    n->slot2 = -1;
    if (n->c) {
        check__block(cx, n->c);
        /* The catch-all handler keeps the error here while the finally copy runs; a return
         * inside the try keeps its value in slot2 while the finally copies run. */
        const htype *err = check__error_class(cx, "Error");
        n->hidden = check__new_local(cx, is_err(err) ? cx->t_any : err);
        const htype *ret = cx->fn->ret;
        if (ret && ret->kind != TY_VOID && !is_err(ret))
            n->slot2 = check__new_local(cx, ret);
    }
}

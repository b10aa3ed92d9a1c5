/* generic.c — generic classes, interfaces and functions (language.md 11), specialised as
 * docs/objects.md "Generics" says: every distinct list of type arguments gets its own copy of
 * the declaration, checked with the type parameters bound to the arguments, so an instance is
 * typed and generated exactly like hand-written code.
 *
 * The checker annotates the tree in place, so each instance works on a deep copy of the
 * generic declaration (copy_node). A class instance is made and resolved as soon as its type is
 * named; its bodies are checked in pass 3 with the other classes. A function instance is made
 * at a call, once per module and list of type arguments, and its body waits in a queue that
 * pass 3 empties (bodies may make further instances). Names inside an instance resolve in the
 * generic's own module, whichever module made the instance.
 *
 * Errors. Each generic declaration is also checked once on its own, in its module's pass 3, on
 * a copy with its type parameters bound to the error type (check__generic_decls): the error
 * type accepts anything silently, so what is found there does not depend on the type
 * arguments, and it is reported in the generic's own file whether or not it is instantiated.
 * That copy is never emitted (cx->opaque: its functions get no index, its class is not listed).
 * An error found inside an instance at a position where that check found none depends on the
 * type arguments: it is reported at the place that made the instance, with a note at the
 * position inside the generic (inst_site, checker.c flush_errors).
 *
 * Inference: the arguments that have a type of their own (not `null`, not an empty literal)
 * are typed first and matched against the syntactic parameter types; a type parameter met twice
 * must get the same type both times. Type arguments nothing binds must be written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker_int.h"

/* Instances per compilation are bounded: a generic that instantiates itself with ever larger
 * arguments (class A<T> { x: A<[T]> }) would otherwise never stop. */
#define MAX_INSTANCES 2000

typedef struct fn_inst {
    ast_fn *gen;                  /* the generic function */
    const htype **targs;          /* its type arguments */
    int n;                        /* entries of targs */
    sym *y;                       /* the instance as a callable symbol */
    ast_node *decl;               /* the instance's D_FN (a copy) */
    cmodule *home;                /* the generic's module: where its names resolve */
    bool checked;                 /* body done */
    const inst_site *site;        /* where its errors are reported */
} fn_inst;

typedef struct gen_state {
    fn_inst *fns;                 /* function instances of this module (host heap) */
    int nfns, capfns;             /* used and allocated entries of fns */
    int total;                    /* instances made while checking this module */
} gen_state;

static gen_state *state(check_cx *cx)
{
    if (!cx->gen)
        cx->gen = ast_alloc(cx->arena, sizeof(gen_state));
    return cx->gen;
}

/* ---- copies -------------------------------------------------------------------------------- */

static ast_node *copy_node(check_cx *cx, const ast_node *n);

static void copy_list(check_cx *cx, ast_list *to, const ast_list *from)
{
    *to = (ast_list){0};
    for (int i = 0; i < from->n; i++)
        ast_list_push(cx->arena, to, copy_node(cx, from->items[i]));
}

static ast_fn *copy_fn(check_cx *cx, const ast_fn *f)
{
    ast_fn *c = ast_alloc(cx->arena, sizeof *c);
    c->name = f->name;
    c->nparams = f->nparams;
    if (f->nparams) {
        c->params = ast_alloc(cx->arena, (size_t)f->nparams * sizeof *c->params);
        for (int i = 0; i < f->nparams; i++) {
            c->params[i] = f->params[i];
            c->params[i].type = copy_node(cx, f->params[i].type);
        }
    }
    c->result = copy_node(cx, f->result);
    c->body = copy_node(cx, f->body);
    c->is_static = f->is_static;
    c->is_native = f->is_native;
    copy_list(cx, &c->type_params, &f->type_params);
    return c;
}

/* A copy of the syntax of n, without any checker annotation. */
static ast_node *copy_node(check_cx *cx, const ast_node *n)
{
    if (!n)
        return NULL;
    ast_node *c = ast_new(cx->arena, (ast_kind)n->kind, n->line, n->col);
    c->op = n->op;
    c->is_var = n->is_var;
    c->name = n->name;
    c->name2 = n->name2;
    c->a = copy_node(cx, n->a);
    c->b = copy_node(cx, n->b);
    c->c = copy_node(cx, n->c);
    c->type = copy_node(cx, n->type);
    copy_list(cx, &c->list, &n->list);
    switch (n->kind) {
    case D_FN:
    case E_FN:
        c->u.fn = n->u.fn ? copy_fn(cx, n->u.fn) : NULL;
        break;
    case D_CLASS:
    case D_INTERFACE: {
        ast_class *k = ast_alloc(cx->arena, sizeof *k);
        k->name = n->u.cls->name;
        copy_list(cx, &k->bases, &n->u.cls->bases);
        copy_list(cx, &k->members, &n->u.cls->members);
        copy_list(cx, &k->type_params, &n->u.cls->type_params);
        c->u.cls = k;
        break;
    }
    default:
        c->u = n->u;
        break;
    }
    return c;
}

/* ---- bindings ------------------------------------------------------------------------------ */

typedef struct {
    const char **names;
    const htype **types;
    int n;
    scope *top;                   /* lookups of the generic's module */
} bindings;

static void bind_enter(check_cx *cx, const bindings *b, bindings *saved, scope **saved_cur)
{
    *saved = (bindings){cx->tp_names, cx->tp_types, cx->ntp, cx->top};
    *saved_cur = cx->cur;
    cx->tp_names = b->names;
    cx->tp_types = b->types;
    cx->ntp = b->n;
    if (b->top)
        cx->top = b->top;
    cx->cur = cx->top;
}

static void bind_leave(check_cx *cx, const bindings *saved, scope *saved_cur)
{
    cx->tp_names = saved->names;
    cx->tp_types = saved->types;
    cx->ntp = saved->n;
    cx->top = saved->top;
    cx->cur = saved_cur;
}

static const char **param_names(check_cx *cx, const ast_list *tps)
{
    const char **v = ast_alloc(cx->arena, ((size_t)tps->n + 1) * sizeof *v);
    for (int i = 0; i < tps->n; i++)
        v[i] = tps->items[i]->name;
    return v;
}

void check__with_bindings(check_cx *cx, cls_info *ci, void (*f)(check_cx *, void *), void *arg)
{
    bindings b = {0}, saved;
    scope *saved_cur;
    if (ci && ci->generic) {
        b.names = param_names(cx, &ci->generic->decl->u.cls->type_params);
        b.types = ci->targs;
        b.n = ci->ntargs;
        b.top = ci->generic->module ? ci->generic->module->top : NULL;
    } else {
        b.top = NULL;
    }
    const inst_site *inst = cx->inst;
    if (ci && ci->generic)
        cx->inst = ci->site;
    bind_enter(cx, &b, &saved, &saved_cur);
    f(cx, arg);
    bind_leave(cx, &saved, saved_cur);
    cx->inst = inst;
}

/* "Stack<int>", "Pair<str, [int]>". */
static const char *instance_name(check_cx *cx, const char *base, const htype *const *targs, int n)
{
    holt_buf b;
    buf_init(&b);
    buf_printf(&b, "%s<", base);
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", ty_name(targs[i]));
    buf_putc(&b, '>');
    const char *r = ast_intern(cx->arena, b.data, b.len);
    buf_free(&b);
    return r;
}

/* Where the errors of a new instance `name` of the generic `kind` `gen` of module `home`, made
 * at `at`, are reported: at `at`, or where the instance being checked, which makes this one,
 * was made (only positions of the module being checked can be shown as its errors). */
static const inst_site *new_site(check_cx *cx, const char *name, const char *kind, const char *gen, cmodule *home,
                                 ast_node *at)
{
    inst_site *s = ast_alloc(cx->arena, sizeof *s);
    s->name = name;
    size_t n = strlen(kind) + strlen(gen) + 4;
    char *g = ast_alloc(cx->arena, n);
    snprintf(g, n, "%s '%s'", kind, gen);
    s->generic = g;
    s->home = home ? home : cx->m;
    s->line = cx->inst ? cx->inst->line : at->line;
    s->col = cx->inst ? cx->inst->col : at->col;
    return s;
}

static bool same_args(const htype *const *a, const htype *const *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static bool args_ok(check_cx *cx, const htype *const *targs, int n, ast_node *at)
{
    for (int i = 0; i < n; i++) {
        if (targs[i]->kind == TY_ERROR)
            return false;
        if (targs[i]->kind == TY_VOID || targs[i]->kind == TY_NULL || targs[i]->kind == TY_MODULE) {
            check__error(cx, at->line, at->col, "%s cannot be a type argument", ty_name(targs[i]));
            return false;
        }
    }
    return true;
}

/* ---- class instances ----------------------------------------------------------------------- */

static void resolve_instance(check_cx *cx, void *arg) { check__resolve_class(cx, arg); }

const htype *check__instance(check_cx *cx, cls_info *gen, const htype *const *targs, int n, ast_node *at)
{
    int want = gen->decl->u.cls->type_params.n;
    if (n != want) {
        check__error(cx, at->line, at->col, "'%s' expects %d type argument%s, found %d", gen->name, want,
                     want == 1 ? "" : "s", n);
        return cx->t_error;
    }
    if (!args_ok(cx, targs, n, at))
        return cx->t_error;
    for (int i = 0; i < gen->ninstances; i++)
        if (same_args(gen->instances[i]->targs, targs, n))
            return gen->instances[i]->ty;
    gen_state *g = state(cx);
    if (++g->total > MAX_INSTANCES) {
        check__error(cx, at->line, at->col, "too many generic instances (more than %d)", MAX_INSTANCES);
        return cx->t_error;
    }
    const char *name = instance_name(cx, gen->name, targs, n);
    cls_info *ci = check__new_class(cx, name, cx->m, copy_node(cx, gen->decl));
    ci->decl->u.cls->type_params.n = 0;
    ci->generic = gen;
    ci->ntargs = n;
    ci->targs = ast_alloc(cx->arena, (size_t)n * sizeof *ci->targs);
    memcpy(ci->targs, targs, (size_t)n * sizeof *ci->targs);
    holt_buf q;
    buf_init(&q);
    buf_printf(&q, "%s.%s", gen->module ? gen->module->name : cx->m->name, name);
    ci->ty = ty_class(cx->types, q.data, name, ci);
    buf_free(&q);
    gen->instances = ast_grow(cx->arena, gen->instances, gen->ninstances, &gen->capinstances, sizeof *gen->instances);
    gen->instances[gen->ninstances++] = ci;
    ci->site = new_site(cx, name, gen->is_interface ? "interface" : "class", gen->name, gen->module, at);
    /* Registered before it is resolved, so that its members may name it again. A real instance
     * made inside a generic checked on its own is emitted like any other. */
    bool opaque = cx->opaque;
    cx->opaque = false;
    check__with_bindings(cx, ci, resolve_instance, ci);
    cx->opaque = opaque;
    return ci->ty;
}

const htype *check__instance_of(check_cx *cx, cls_info *gen, ast_list *list, ast_node *at)
{
    const htype **targs = xmalloc(((size_t)list->n + 1) * sizeof *targs);
    for (int i = 0; i < list->n; i++)
        targs[i] = check__type(cx, list->items[i]);
    const htype *t = check__instance(cx, gen, targs, list->n, at);
    free(targs);
    return t;
}

/* ---- inference ----------------------------------------------------------------------------- */

/* Match syntactic type `p` (which may name the type parameters `names`) against the type `t`
 * an argument has; binds found[i]. False on a conflict (reported at `at`). */
static bool unify(check_cx *cx, ast_node *p, const htype *t, const char **names, const htype **found, int n,
                  ast_node *at, int depth)
{
    if (!p || !t || t->kind == TY_ERROR || t->kind == TY_NULL || depth > 100)
        return true;
    switch (p->kind) {
    case T_NAME:
        if (p->list.n == 0) {
            for (int i = 0; i < n; i++) {
                if (strcmp(names[i], p->name) != 0)
                    continue;
                if (!found[i]) {
                    found[i] = t;
                } else if (found[i] != t) {
                    check__error(cx, at->line, at->col,
                                 "conflicting types for type parameter '%s': %s and %s", names[i],
                                 ty_name(found[i]), ty_name(t));
                    return false;
                }
                return true;
            }
            return true;
        }
        if (t->kind == TY_CLASS && t->cls) {
            /* Stack<T> against an instance of Stack: match the type arguments. */
            cls_info *ci = t->cls;
            if (ci->generic && strcmp(ci->generic->name, p->name) == 0 && ci->ntargs == p->list.n) {
                for (int i = 0; i < ci->ntargs; i++)
                    if (!unify(cx, p->list.items[i], ci->targs[i], names, found, n, at, depth + 1))
                        return false;
            }
        }
        return true;
    case T_QUAL:
        if (t->kind == TY_CLASS && t->cls) {
            cls_info *ci = t->cls;
            if (ci->generic && strcmp(ci->generic->name, p->name2) == 0 && ci->ntargs == p->list.n)
                for (int i = 0; i < ci->ntargs; i++)
                    if (!unify(cx, p->list.items[i], ci->targs[i], names, found, n, at, depth + 1))
                        return false;
        }
        return true;
    case T_LIST:
        return t->kind != TY_LIST || unify(cx, p->a, t->elem, names, found, n, at, depth + 1);
    case T_MAP:
        return t->kind != TY_MAP || (unify(cx, p->a, t->key, names, found, n, at, depth + 1) &&
                                     unify(cx, p->b, t->elem, names, found, n, at, depth + 1));
    case T_FN:
        if (t->kind != TY_FN || t->nparams != p->list.n)
            return true;
        for (int i = 0; i < p->list.n; i++)
            if (!unify(cx, p->list.items[i], t->params[i], names, found, n, at, depth + 1))
                return false;
        return !p->a || unify(cx, p->a, t->ret, names, found, n, at, depth + 1);
    default:
        return true;
    }
}

/* Whether an argument takes its type from its parameter: null and empty literals. */
static bool context_typed(const ast_node *a)
{
    return a->kind == E_NULL || ((a->kind == E_LIST || a->kind == E_MAP) && a->list.n == 0);
}

/* Infer the type arguments of a call n against params (syntactic) of a generic with type
 * parameters tps; false after a message. */
static bool infer(check_cx *cx, ast_node *n, const ast_param *params, int np, const ast_list *tps, const char *what,
                  const htype **found)
{
    const char **names = param_names(cx, tps);
    if (n->list.n != np) {
        check__error(cx, n->line, n->col, "'%s' expects %d argument%s, found %d", what, np, np == 1 ? "" : "s",
                     n->list.n);
        for (int i = 0; i < n->list.n; i++)
            check__expr(cx, &n->list.items[i], NULL);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < np; i++) {
        ast_node **ap = &n->list.items[i];
        if (context_typed(*ap))
            continue;
        const htype *t = check__value(cx, ap, NULL);
        if (t->kind == TY_ERROR)
            ok = false;
        else if (!unify(cx, params[i].type, t, names, found, tps->n, *ap, 0))
            return false;
    }
    if (!ok)
        return false;
    for (int i = 0; i < tps->n; i++) {
        if (!found[i]) {
            /* In a generic checked on its own, an argument may be of an opaque instance. */
            if (!cx->opaque)
                check__error(cx, n->line, n->col,
                             "cannot infer type parameter '%s' of '%s'; write it: %s<...>(...)", names[i], what, what);
            return false;
        }
    }
    return true;
}

const htype *check__generic_construct(check_cx *cx, ast_node *n, cls_info *gen)
{
    ast_class *c = gen->decl->u.cls;
    ast_fn *init = NULL;
    for (int i = 0; i < c->members.n; i++)
        if (c->members.items[i]->kind == D_FN && strcmp(c->members.items[i]->u.fn->name, "init") == 0)
            init = c->members.items[i]->u.fn;
    const htype **found = ast_alloc(cx->arena, ((size_t)c->type_params.n + 1) * sizeof *found);
    if (!infer(cx, n, init ? init->params : NULL, init ? init->nparams : 0, &c->type_params, gen->name, found))
        return cx->t_error;
    const htype *t = check__instance(cx, gen, found, c->type_params.n, n);
    if (t->kind != TY_CLASS)
        return t;
    return check__construct(cx, n, t->cls);
}

/* ---- function instances -------------------------------------------------------------------- */

void check__declare_generic_fn(check_cx *cx, ast_node *n)
{
    ast_fn *fn = n->u.fn;
    fn->index = -1;
    sym *y = check__new_sym(cx, SYM_FN, fn->name, cx->t_error, n);
    y->index = -1;
    check__declare(cx, cx->top, y, n->line, n->col);
}

static void sig_of(check_cx *cx, void *arg)
{
    ast_fn *fn = arg;
    const htype **ps = xmalloc(((size_t)fn->nparams + 1) * sizeof *ps);
    for (int i = 0; i < fn->nparams; i++)
        ps[i] = check__type(cx, fn->params[i].type);
    const htype *ret = fn->result ? check__type(cx, fn->result) : cx->t_void;
    fn->ty = ty_fn(cx->types, ps, fn->nparams, ret);
    free(ps);
}

/* The instance of generic function `gen` (declared by y) for targs: made on first use. */
static sym *fn_instance(check_cx *cx, sym *y, const htype *const *targs, int n, ast_node *at)
{
    ast_fn *gen = y->decl->u.fn;
    gen_state *g = state(cx);
    for (int i = 0; i < g->nfns; i++)
        if (g->fns[i].gen == gen && same_args(g->fns[i].targs, targs, n))
            return g->fns[i].y;
    if (++g->total > MAX_INSTANCES) {
        check__error(cx, at->line, at->col, "too many generic instances (more than %d)", MAX_INSTANCES);
        return NULL;
    }
    ast_node *decl = copy_node(cx, y->decl);
    ast_fn *fn = decl->u.fn;
    fn->type_params.n = 0;
    fn->bc_name = instance_name(cx, gen->name, targs, n);
    bindings b = {param_names(cx, &gen->type_params), ast_alloc(cx->arena, (size_t)n * sizeof(htype *)), n,
                  y->module && y->module->top ? y->module->top : NULL};
    memcpy(b.types, targs, (size_t)n * sizeof *b.types);
    const inst_site *site = new_site(cx, fn->bc_name, "function", gen->name, y->module, at);
    const inst_site *inst = cx->inst;
    bool opaque = cx->opaque;
    cx->inst = site;
    cx->opaque = false;
    bindings saved;
    scope *saved_cur;
    bind_enter(cx, &b, &saved, &saved_cur);
    sig_of(cx, fn);
    bind_leave(cx, &saved, saved_cur);
    check__add_fn(cx, fn);
    cx->inst = inst;
    cx->opaque = opaque;
    sym *isym = check__new_sym(cx, SYM_FN, fn->bc_name, fn->ty, decl);
    isym->index = fn->index;
    if (g->nfns == g->capfns) {
        g->capfns = g->capfns ? g->capfns * 2 : 8;
        g->fns = xrealloc(g->fns, (size_t)g->capfns * sizeof *g->fns);
    }
    g->fns[g->nfns++] = (fn_inst){gen, b.types, n, isym, decl, y->module, false, site};
    return isym;
}

static void args_against(check_cx *cx, ast_node *n, const char *name, const htype *const *params, int np)
{
    if (n->list.n != np) {
        check__error(cx, n->line, n->col, "'%s' expects %d argument%s, found %d", name, np, np == 1 ? "" : "s",
                     n->list.n);
        for (int i = 0; i < n->list.n; i++)
            check__expr(cx, &n->list.items[i], NULL);
        return;
    }
    for (int i = 0; i < np; i++)
        check__expect(cx, &n->list.items[i], params[i]);
}

const htype *check__generic_call(check_cx *cx, ast_node *n, sym *y, ast_list *targ_nodes)
{
    ast_fn *gen = y->decl->u.fn;
    int ntp = gen->type_params.n;
    const htype **targs = ast_alloc(cx->arena, ((size_t)ntp + 1) * sizeof *targs);
    if (targ_nodes) {
        if (targ_nodes->n != ntp) {
            check__error(cx, n->line, n->col, "'%s' expects %d type argument%s, found %d", gen->name, ntp,
                         ntp == 1 ? "" : "s", targ_nodes->n);
            for (int i = 0; i < n->list.n; i++)
                check__expr(cx, &n->list.items[i], NULL);
            return cx->t_error;
        }
        for (int i = 0; i < ntp; i++)
            targs[i] = check__type(cx, targ_nodes->items[i]);
    } else if (!infer(cx, n, gen->params, gen->nparams, &gen->type_params, gen->name, targs)) {
        return cx->t_error;
    }
    if (!args_ok(cx, targs, ntp, n)) {
        for (int i = 0; i < n->list.n; i++)
            check__expr(cx, &n->list.items[i], NULL);
        return cx->t_error;
    }
    sym *inst = fn_instance(cx, y, targs, ntp, n);
    if (!inst || !inst->ty || inst->ty->kind != TY_FN)
        return cx->t_error;
    n->a->ty = inst->ty;
    n->a->sym = inst;
    call_info *ci = ast_alloc(cx->arena, sizeof *ci);
    ci->kind = CALL_FN;
    ci->target = inst;
    n->call = ci;
    args_against(cx, n, gen->name, inst->ty->params, inst->ty->nparams);
    return inst->ty->ret;
}

bool check__explicit_call(check_cx *cx, ast_node *n, const htype **res)
{
    ast_node *f = n->a;
    sym *y = NULL;
    if (f->kind == E_NAME) {
        y = check__lookup(cx, f->name);
    } else if (f->kind == E_MEMBER && f->a->kind == E_NAME) {
        sym *ms = check__lookup(cx, f->a->name);
        if (ms && ms->kind == SYM_MODULE && ms->module && ms->module->top) {
            y = check__scope_find(ms->module->top, f->name);
            if (y && y->module != ms->module)
                y = NULL;
            if (y) {
                f->a->sym = ms;
                f->a->ty = ty_basic(cx->types, TY_MODULE);
                f->member = y;
            }
        }
    }
    if (!y)
        return false;
    f->sym = y;
    if (y->kind == SYM_FN && y->decl && y->decl->kind == D_FN && y->decl->u.fn->type_params.n > 0) {
        *res = check__generic_call(cx, n, y, &f->list);
        return true;
    }
    if (y->kind == SYM_CLASS && y->cls && !y->cls->ty && y->cls->decl) {
        const htype *t = check__instance_of(cx, y->cls, &f->list, f);
        f->ty = t;
        if (t->kind != TY_CLASS) {
            for (int i = 0; i < n->list.n; i++)
                check__expr(cx, &n->list.items[i], NULL);
            *res = cx->t_error;
            return true;
        }
        *res = check__construct(cx, n, t->cls);
        return true;
    }
    check__error(cx, f->line, f->col, "'%s' is not generic: it takes no type arguments", f->name);
    for (int i = 0; i < n->list.n; i++)
        check__expr(cx, &n->list.items[i], NULL);
    f->ty = cx->t_error;
    *res = cx->t_error;
    return true;
}

static void inst_body(check_cx *cx, void *arg) { check__fn_body(cx, arg); }

bool check__generic_bodies(check_cx *cx)
{
    gen_state *g = cx->gen;
    bool any = false;
    for (int i = 0; g && i < g->nfns; i++) {
        if (g->fns[i].checked)
            continue;
        g->fns[i].checked = true;
        any = true;
        fn_inst fi = g->fns[i]; /* the array may move while the body makes instances */
        bindings b = {param_names(cx, &fi.gen->type_params), fi.targs, fi.n,
                      fi.home && fi.home->top ? fi.home->top : NULL};
        bindings saved;
        scope *saved_cur;
        bind_enter(cx, &b, &saved, &saved_cur);
        fn_cx *saved_fn = cx->fn;
        const inst_site *inst = cx->inst;
        cx->inst = fi.site;
        inst_body(cx, fi.decl);
        cx->inst = inst;
        cx->fn = saved_fn;
        bind_leave(cx, &saved, saved_cur);
    }
    return any;
}

/* ---- generic declarations checked on their own ---------------------------------------------- */

/* Bindings of the type parameters tps to the error type. */
static bindings opaque_bindings(check_cx *cx, const ast_list *tps)
{
    bindings b = {param_names(cx, tps), ast_alloc(cx->arena, ((size_t)tps->n + 1) * sizeof(htype *)), tps->n, NULL};
    for (int i = 0; i < tps->n; i++)
        b.types[i] = cx->t_error;
    return b;
}

static void opaque_fn(check_cx *cx, ast_node *n)
{
    ast_node *decl = copy_node(cx, n);
    ast_fn *fn = decl->u.fn;
    fn->type_params.n = 0;
    bindings b = opaque_bindings(cx, &n->u.fn->type_params), saved;
    scope *saved_cur;
    bind_enter(cx, &b, &saved, &saved_cur);
    sig_of(cx, fn);
    check__add_fn(cx, fn);
    fn_cx *saved_fn = cx->fn;
    inst_body(cx, decl);
    cx->fn = saved_fn;
    bind_leave(cx, &saved, saved_cur);
}

static void opaque_class(check_cx *cx, cls_info *gen)
{
    ast_class *c = gen->decl->u.cls;
    bindings b = opaque_bindings(cx, &c->type_params);
    holt_buf q;
    buf_init(&q);
    buf_printf(&q, "%s<", gen->name);
    for (int i = 0; i < b.n; i++)
        buf_printf(&q, "%s%s", i ? ", " : "", b.names[i]);
    buf_putc(&q, '>');
    const char *name = ast_intern(cx->arena, q.data, q.len);
    cls_info *ci = check__new_class(cx, name, cx->m, copy_node(cx, gen->decl));
    ci->decl->u.cls->type_params.n = 0;
    ci->generic = gen;
    ci->targs = b.types;
    ci->ntargs = b.n;
    buf_reset(&q);
    buf_printf(&q, "%s.%s<>", cx->m->name, gen->name); /* no instance can be spelled so */
    ci->ty = ty_class(cx->types, q.data, name, ci);
    buf_free(&q);
    if (ci->ty->cls != ci)
        return;
    check__with_bindings(cx, ci, resolve_instance, ci);
    /* A base that names a type parameter is unknown here, and so are the members it would
     * bring: the bodies are then left to the instances. */
    if (!ci->is_interface && ci->nifaces + (ci->base ? 1 : 0) == c->bases.n)
        check__class_body(cx, ci);
}

void check__generic_decls(check_cx *cx)
{
    ast_list *top = &cx->m->root->list;
    cx->opaque = true;
    for (int i = 0; i < top->n; i++) {
        ast_node *n = top->items[i];
        if (n->kind == D_FN && n->u.fn->type_params.n > 0 && !n->u.fn->is_native) {
            opaque_fn(cx, n);
        } else if ((n->kind == D_CLASS || n->kind == D_INTERFACE) && n->u.cls->type_params.n > 0) {
            sym *y = check__scope_find(cx->top, n->u.cls->name);
            if (y && y->kind == SYM_CLASS && y->cls && y->cls->decl == n)
                opaque_class(cx, y->cls);
        }
    }
    cx->opaque = false;
}

void check__generic_done(check_cx *cx)
{
    if (cx->gen) {
        free(cx->gen->fns);
        cx->gen = NULL;
    }
}

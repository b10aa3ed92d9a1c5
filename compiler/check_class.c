/* check_class.c — classes and interfaces (language.md 6), the built-in error classes as types
 * (7), `self`, `super`, construction, field access and method calls, `is`/`as` (2).
 *
 * A class goes through states (cls_info.state): declared (its name is known, pass 1), bases
 * known, members known (fields, signatures, function indexes, the rules that need no bodies),
 * bodies checked (pass 3). Resolving a class first resolves its base classes and interfaces of
 * the same module, so a base's members are always known when a subclass's overrides are
 * compared with them, and m->classes lists bases before subclasses, as the class section of
 * the bytecode needs.
 *
 * Constructors: every `init` (declared, or made up for a class without one) has its body
 * rewritten once, before any body is checked, to begin with the class's own field initializers
 * (`self.f = e` in declaration order) and, when the body never calls `super.init(...)` and the
 * base's init takes no arguments, with `super.init()`. A class without `init` whose base's init
 * takes arguments gets an init with the same parameters that passes them on
 * (docs/language-notes.md). The rewritten statements are ordinary nodes: they are checked and
 * generated like anything the programmer wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker_int.h"
#include "lexer.h"

/* ---- records --------------------------------------------------------------------------------- */

static cls_info *new_cls(check_cx *cx, const char *name, cmodule *m, ast_node *decl)
{
    cls_info *ci = ast_alloc(cx->arena, sizeof *ci);
    ci->name = name;
    ci->module = m;
    ci->decl = decl;
    ci->is_interface = decl && decl->kind == D_INTERFACE;
    return ci;
}

cls_info *check__new_class(check_cx *cx, const char *name, cmodule *m, ast_node *decl)
{
    return new_cls(cx, name, m, decl);
}

static void add_member(check_cx *cx, cls_info *ci, cls_member *mb)
{
    /* Members are few; the array is copied on growth (the arena cannot grow in place). */
    if ((ci->nmembers & (ci->nmembers - 1)) == 0) {
        int cap = ci->nmembers ? ci->nmembers * 2 : 4;
        cls_member **v = ast_alloc(cx->arena, (size_t)cap * sizeof *v);
        if (ci->nmembers)
            memcpy(v, ci->members, (size_t)ci->nmembers * sizeof *v);
        ci->members = v;
    }
    ci->members[ci->nmembers++] = mb;
}

static cls_member *own_member(const cls_info *ci, const char *name)
{
    for (int i = 0; i < ci->nmembers; i++)
        if (strcmp(ci->members[i]->name, name) == 0)
            return ci->members[i];
    return NULL;
}

/* The member `name` of ci or, failing that, of its base classes; interfaces search their base
 * interfaces too. Bounded so that a cycle (already reported) cannot loop. */
static cls_member *find_member_at(const cls_info *ci, const char *name, int depth)
{
    if (depth > 1000)
        return NULL;
    if (!ci->is_interface) {
        /* Classes: along the base chain, in a loop (chains may be long). */
        for (int steps = 0; ci && steps < 1000000; ci = ci->base, steps++) {
            cls_member *m = own_member(ci, name);
            if (m)
                return m;
        }
        return NULL;
    }
    cls_member *m = own_member(ci, name);
    if (m)
        return m;
    for (int i = 0; i < ci->nifaces; i++)
        if ((m = find_member_at(ci->ifaces[i], name, depth + 1)))
            return m;
    return NULL;
}

static cls_member *find_member(const cls_info *ci, const char *name) { return ci ? find_member_at(ci, name, 0) : NULL; }

static void module_add_class(check_cx *cx, cls_info *ci)
{
    cmodule *m = cx->m;
    if (m->nclasses == m->classes_cap) {
        int cap = m->classes_cap ? m->classes_cap * 2 : 8;
        cls_info **v = ast_alloc(cx->arena, (size_t)cap * sizeof *v);
        if (m->nclasses)
            memcpy(v, m->classes, (size_t)m->nclasses * sizeof *v);
        m->classes = v;
        m->classes_cap = cap;
    }
    m->classes[m->nclasses++] = ci;
}

static const char *arena_concat(check_cx *cx, const char *a, const char *sep, const char *b)
{
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    char *s = ast_alloc(cx->arena, la + ls + lb + 1);
    memcpy(s, a, la);
    memcpy(s + la, sep, ls);
    memcpy(s + la + ls, b, lb + 1);
    return s;
}

/* ---- built-in errors ------------------------------------------------------------------------- */

static const struct {
    const char *name, *parent;
} builtin_errors[] = {
#define ERR(name, parent) {#name, #parent},
#include "errors.def"
#undef ERR
};

/* The built-in error class `name`, or NULL. */
static const htype *builtin_error(check_cx *cx, const char *name)
{
    holt_buf d;
    buf_init(&d);
    buf_printf(&d, "L%s;", name);
    const htype *t = ty_from_desc(cx->types, d.data, NULL);
    buf_free(&d);
    if (!t || t->kind != TY_CLASS || !t->cls || !((cls_info *)t->cls)->is_builtin)
        return NULL;
    return t;
}

const htype *check__error_class(check_cx *cx, const char *name)
{
    const htype *t = builtin_error(cx, name);
    return t ? t : cx->t_error;
}

/* The built-in classes are made once per compilation (their types live in the shared type
 * table, which keeps the record of the first call) and declared in every module's universe. */
void check__universe_classes(check_cx *cx)
{
    size_t n = sizeof builtin_errors / sizeof builtin_errors[0];
    for (size_t i = 0; i < n; i++) {
        const char *name = builtin_errors[i].name;
        const htype *t = builtin_error(cx, name);
        if (!t) {
            cls_info *ci = new_cls(cx, ast_intern(cx->arena, name, strlen(name)), NULL, NULL);
            ci->is_builtin = true;
            ci->state = 4;
            t = ty_class(cx->types, name, name, ci);
            ci->ty = t;
            const htype *parent = strcmp(builtin_errors[i].parent, "NONE") == 0
                                      ? NULL
                                      : builtin_error(cx, builtin_errors[i].parent);
            if (parent) {
                ci->base = parent->cls;
                ty_set_supers(cx->types, t, &parent, 1);
            } else {
                cls_member *msg = ast_alloc(cx->arena, sizeof *msg);
                msg->name = "message";
                msg->ty = cx->t_str;
                msg->owner = ci;
                add_member(cx, ci, msg);
            }
        }
        sym *y = check__new_sym(cx, SYM_CLASS, ((cls_info *)t->cls)->name, t, NULL);
        y->cls = t->cls;
        y->module = NULL;
        y->index = -1;
        check__declare(cx, cx->universe, y, 1, 1);
    }
}

/* Parameters of a class's constructor, without the receiver. */
static const htype *const *init_params(check_cx *cx, const cls_info *ci, int *n)
{
    if (ci->is_builtin) {
        *n = 1;
        return &cx->t_str;
    }
    if (!ci->init || !ci->init->ty || ci->init->ty->kind != TY_FN || ci->init->ty->nparams < 1) {
        *n = 0;
        return NULL;
    }
    *n = ci->init->ty->nparams - 1;
    return ci->init->ty->params + 1;
}

/* ---- declaration and resolution -------------------------------------------------------------- */

void check__declare_classes(check_cx *cx)
{
    ast_list *top = &cx->m->root->list;
    for (int i = 0; i < top->n; i++) {
        ast_node *n = top->items[i];
        if (n->kind != D_CLASS && n->kind != D_INTERFACE)
            continue;
        ast_class *c = n->u.cls;
        cls_info *ci = new_cls(cx, c->name, cx->m, n);
        if (c->type_params.n > 0) {
            ci->state = 4; /* a template: only its instances are resolved and checked */
        } else {
            const char *qual = arena_concat(cx, cx->m->name, ".", c->name);
            ci->ty = ty_class(cx->types, qual, c->name, ci);
            if (ci->ty->cls != ci) {
                /* The same module compiled twice in one compilation: keep the first record. */
                ci = (cls_info *)ci->ty->cls;
            }
        }
        sym *y = check__new_sym(cx, SYM_CLASS, c->name, ci->ty ? ci->ty : cx->t_error, n);
        y->cls = ci;
        y->index = -1;
        check__declare(cx, cx->top, y, n->line, n->col);
    }
}

static void resolve(check_cx *cx, cls_info *ci);

/* Bases: the base class first, then interfaces (an interface's bases are interfaces). */
static void resolve_bases(check_cx *cx, cls_info *ci)
{
    ast_class *c = ci->decl->u.cls;
    ci->ifaces = c->bases.n ? ast_alloc(cx->arena, (size_t)c->bases.n * sizeof *ci->ifaces) : NULL;
    const htype **supers = xmalloc(((size_t)c->bases.n + 1) * sizeof *supers);
    int ns = 0;
    for (int i = 0; i < c->bases.n; i++) {
        ast_node *bn = c->bases.items[i];
        const htype *bt = check__type(cx, bn);
        if (bt->kind == TY_ERROR)
            continue;
        if (bt->kind != TY_CLASS || !bt->cls) {
            check__error(cx, bn->line, bn->col, "'%s' is not a class or interface", ty_name(bt));
            continue;
        }
        cls_info *b = bt->cls;
        if (b == ci || b->state == 1) {
            check__error(cx, bn->line, bn->col, "cyclic inheritance: '%s' is its own base", ci->name);
            continue;
        }
        if (b->module == cx->m && b->state == 0)
            resolve(cx, b);
        if (b->state == 1) {
            check__error(cx, bn->line, bn->col, "cyclic inheritance: '%s' is its own base", ci->name);
            continue;
        }
        if (ci->is_interface) {
            if (!b->is_interface) {
                check__error(cx, bn->line, bn->col, "an interface can only extend interfaces; '%s' is a class",
                             b->name);
                continue;
            }
            ci->ifaces[ci->nifaces++] = b;
        } else if (b->is_interface) {
            ci->ifaces[ci->nifaces++] = b;
        } else if (i > 0) {
            if (ci->base)
                check__error(cx, bn->line, bn->col, "a class can have only one base class ('%s' and '%s')",
                             ci->base->name, b->name);
            else
                check__error(cx, bn->line, bn->col, "the base class '%s' must come first, before the interfaces",
                             b->name);
            continue;
        } else {
            ci->base = b;
        }
        supers[ns++] = bt;
    }
    ty_set_supers(cx->types, ci->ty, supers, ns);
    free(supers);
}

/* The signature of a method without its receiver; *bad when a type was in error. A generic
 * method was reported: its parameters and result (which may name its type parameters) take
 * the error type, and its body is not looked into (check__fn_body). */
static const htype *signature(check_cx *cx, ast_fn *fn, const htype *self, bool *bad)
{
    bool generic = fn->type_params.n > 0;
    int np = fn->nparams + (self ? 1 : 0);
    const htype **ps = xmalloc(((size_t)np + 1) * sizeof *ps);
    int k = 0;
    if (self)
        ps[k++] = self;
    for (int i = 0; i < fn->nparams; i++) {
        ps[k] = generic ? cx->t_error : check__type(cx, fn->params[i].type);
        *bad |= ps[k]->kind == TY_ERROR;
        k++;
    }
    const htype *ret = !fn->result ? cx->t_void : generic ? cx->t_error : check__type(cx, fn->result);
    *bad |= ret->kind == TY_ERROR;
    const htype *t = ty_fn(cx->types, ps, np, ret);
    free(ps);
    return t;
}

/* A method's signature without the receiver, from its full function type. */
static const htype *drop_receiver(check_cx *cx, const htype *ft)
{
    return ty_fn(cx->types, ft->params + 1, ft->nparams - 1, ft->ret);
}

/* Whether n (a statement or expression tree) calls super.init anywhere. */
static bool calls_super_init(const ast_node *n, int depth)
{
    if (!n || depth > 200)
        return false;
    if (n->kind == E_MEMBER && n->a && n->a->kind == E_SUPER && strcmp(n->name, "init") == 0)
        return true;
    if (n->kind == E_FN || n->kind == D_FN)
        return false;
    if (calls_super_init(n->a, depth + 1) || calls_super_init(n->b, depth + 1) || calls_super_init(n->c, depth + 1))
        return true;
    for (int i = 0; i < n->list.n; i++)
        if (calls_super_init(n->list.items[i], depth + 1))
            return true;
    return false;
}

static ast_node *node(check_cx *cx, ast_kind k, int line, int col)
{
    return ast_new(cx->arena, k, line, col);
}

/* `super.init(args)` as a statement. */
static ast_node *super_init_call(check_cx *cx, int line, int col, ast_fn *fn)
{
    ast_node *sup = node(cx, E_SUPER, line, col);
    ast_node *mem = node(cx, E_MEMBER, line, col);
    mem->a = sup;
    mem->name = ast_intern(cx->arena, "init", 4);
    ast_node *call = node(cx, E_CALL, line, col);
    call->a = mem;
    for (int i = 0; fn && i < fn->nparams; i++) {
        ast_node *arg = node(cx, E_NAME, line, col);
        arg->name = fn->params[i].name;
        ast_list_push(cx->arena, &call->list, arg);
    }
    ast_node *st = node(cx, S_EXPR, line, col);
    st->a = call;
    return st;
}

/* A made-up init for a class without one: no parameters, or those of the base's init, which
 * it passes on. */
static ast_node *make_init(check_cx *cx, cls_info *ci)
{
    ast_node *decl = ci->decl;
    ast_fn *fn = ast_alloc(cx->arena, sizeof *fn);
    fn->name = ast_intern(cx->arena, "init", 4);
    fn->body = node(cx, S_BLOCK, decl->line, decl->col);
    int np = 0;
    const htype *const *ps = ci->base ? init_params(cx, ci->base, &np) : NULL;
    const htype **all = xmalloc(((size_t)np + 1) * sizeof *all);
    all[0] = ci->ty;
    if (np > 0) {
        fn->params = ast_alloc(cx->arena, (size_t)np * sizeof *fn->params);
        fn->nparams = np;
        for (int i = 0; i < np; i++) {
            char nm[32];
            snprintf(nm, sizeof nm, "$%d", i);
            if (ci->base->is_builtin)
                snprintf(nm, sizeof nm, "message");
            fn->params[i] = (ast_param){ast_intern(cx->arena, nm, strlen(nm)), NULL, decl->line, decl->col};
            all[i + 1] = ps[i];
        }
        ast_list_push(cx->arena, &fn->body->list, super_init_call(cx, decl->line, decl->col, fn));
    }
    fn->ty = ty_fn(cx->types, all, np + 1, cx->t_void);
    free(all);
    ast_node *d = node(cx, D_FN, decl->line, decl->col);
    d->u.fn = fn;
    return d;
}

/* Prefix init's body with the field initializers and, where the rules ask, `super.init()`. */
static void init_prologue(check_cx *cx, cls_info *ci, ast_node *decl)
{
    ast_fn *fn = decl->u.fn;
    ast_node *old = fn->body;
    ast_node *body = node(cx, S_BLOCK, old ? old->line : decl->line, old ? old->col : decl->col);
    ast_class *c = ci->decl->u.cls;
    for (int i = 0; i < c->members.n; i++) {
        ast_node *f = c->members.items[i];
        if (f->kind != D_FIELD || !f->a)
            continue;
        ast_node *self = node(cx, E_SELF, f->line, f->col);
        ast_node *mem = node(cx, E_MEMBER, f->line, f->col);
        mem->a = self;
        mem->name = f->name;
        ast_node *as = node(cx, S_ASSIGN, f->line, f->col);
        as->op = TOK_EQ;
        as->a = mem;
        as->b = f->a;
        ast_list_push(cx->arena, &body->list, as);
    }
    if (ci->base && !calls_super_init(old, 0)) {
        int np = 0;
        init_params(cx, ci->base, &np);
        if (np == 0)
            ast_list_push(cx->arena, &body->list, super_init_call(cx, decl->line, decl->col, NULL));
        else
            check__error(cx, decl->line, decl->col,
                         "'init' of '%s' must call super.init(...): the init of '%s' takes arguments", ci->name,
                         ci->base->name);
    }
    for (int i = 0; old && i < old->list.n; i++)
        ast_list_push(cx->arena, &body->list, old->list.items[i]);
    fn->body = body;
}

static const char *kind_word(const cls_info *ci) { return ci->is_interface ? "interface" : "class"; }

/* An override must keep the signature; static and instance methods do not mix. */
static void check_override(check_cx *cx, cls_info *ci, cls_member *mb, cls_member *old)
{
    ast_node *d = mb->decl;
    if (!old->is_method || !mb->is_method) {
        check__error(cx, d->line, d->col, "'%s' is already a member of base %s '%s'", mb->name, kind_word(old->owner),
                     old->owner->name);
        return;
    }
    if (old->is_static != mb->is_static) {
        check__error(cx, d->line, d->col, "'%s.%s' cannot override %s method '%s.%s'", ci->name, mb->name,
                     old->is_static ? "static" : "instance", old->owner->name, old->name);
        return;
    }
    if (mb->ty != old->ty && mb->ty->kind != TY_ERROR && old->ty->kind != TY_ERROR)
        check__error(cx, d->line, d->col, "'%s.%s' overrides '%s.%s' with a different signature: expected %s, found %s",
                     ci->name, mb->name, old->owner->name, old->name, ty_name(old->ty), ty_name(mb->ty));
}

/* Every method of interface `in` (and of its base interfaces) must be implemented by ci. */
static void check_iface(check_cx *cx, cls_info *ci, cls_info *in, int depth)
{
    if (depth > 100)
        return;
    ast_node *d = ci->decl;
    for (int i = 0; i < in->nmembers; i++) {
        cls_member *im = in->members[i];
        cls_member *m = find_member(ci, im->name);
        if (!m || !m->is_method || m->owner->is_interface) {
            check__error(cx, d->line, d->col, "class '%s' does not implement '%s.%s' (%s)", ci->name, in->name, im->name,
                         ty_name(im->ty));
        } else if (m->is_static || (m->ty != im->ty && m->ty->kind != TY_ERROR && im->ty->kind != TY_ERROR)) {
            ast_node *at = m->decl ? m->decl : d;
            check__error(cx, at->line, at->col,
                         "'%s.%s' implements '%s.%s' with a different signature: expected %s, found %s%s", m->owner->name,
                         m->name, in->name, im->name, ty_name(im->ty), m->is_static ? "static " : "", ty_name(m->ty));
        }
    }
    for (int i = 0; i < in->nifaces; i++)
        check_iface(cx, ci, in->ifaces[i], depth + 1);
}

static void resolve_members(check_cx *cx, cls_info *ci)
{
    ast_class *c = ci->decl->u.cls;
    ast_node *init_decl = NULL;
    for (int i = 0; i < c->members.n; i++) {
        ast_node *d = c->members.items[i];
        const char *name = d->kind == D_FIELD ? d->name : d->u.fn->name;
        if (own_member(ci, name) || (init_decl && strcmp(name, "init") == 0)) {
            check__error(cx, d->line, d->col, "'%s' is already declared in %s '%s'", name, kind_word(ci), ci->name);
            continue;
        }
        if (d->kind == D_FIELD) {
            cls_member *mb = ast_alloc(cx->arena, sizeof *mb);
            mb->name = name;
            mb->ty = check__type(cx, d->type);
            mb->owner = ci;
            mb->decl = d;
            cls_member *old = ci->base ? find_member(ci->base, name) : NULL;
            if (old)
                check_override(cx, ci, mb, old);
            add_member(cx, ci, mb);
            continue;
        }
        ast_fn *fn = d->u.fn;
        if (fn->type_params.n > 0)
            check__error(cx, d->line, d->col, "generic methods are not supported");
        bool bad = false;
        if (strcmp(name, "init") == 0 && ci->is_interface) {
            check__error(cx, d->line, d->col, "an interface cannot declare 'init'");
            continue;
        }
        if (strcmp(name, "init") == 0) {
            if (fn->is_static)
                check__error(cx, d->line, d->col, "'init' cannot be static");
            fn->is_static = false;
            if (fn->result)
                check__error(cx, fn->result->line, fn->result->col, "'init' cannot have a result type");
            fn->result = NULL;
            fn->ty = signature(cx, fn, ci->ty, &bad);
            fn->bc_name = arena_concat(cx, ci->name, ".", "init");
            check__add_fn(cx, fn);
            init_decl = d;
            ci->init = fn;
            continue;
        }
        cls_member *mb = ast_alloc(cx->arena, sizeof *mb);
        mb->name = name;
        mb->is_method = true;
        mb->is_static = fn->is_static;
        mb->owner = ci;
        mb->decl = d;
        if (ci->is_interface) {
            const htype *ft = signature(cx, fn, NULL, &bad);
            mb->ty = ft;
            fn->ty = ft;
        } else {
            fn->ty = signature(cx, fn, fn->is_static ? NULL : ci->ty, &bad);
            mb->ty = fn->is_static ? fn->ty : drop_receiver(cx, fn->ty);
            mb->fn = fn;
            fn->bc_name = arena_concat(cx, ci->name, ".", name);
            check__add_fn(cx, fn);
        }
        if (bad)
            mb->ty = cx->t_error;
        cls_member *old = NULL;
        if (ci->base)
            old = find_member(ci->base, name);
        for (int k = 0; !old && ci->is_interface && k < ci->nifaces; k++)
            old = find_member(ci->ifaces[k], name);
        if (old)
            check_override(cx, ci, mb, old);
        add_member(cx, ci, mb);
    }
    if (ci->is_interface)
        return;
    if (!init_decl) {
        init_decl = make_init(cx, ci);
        ci->init = init_decl->u.fn;
        ci->init->bc_name = arena_concat(cx, ci->name, ".", "init");
        check__add_fn(cx, ci->init);
        ast_list_push(cx->arena, &c->members, init_decl);
    }
    init_prologue(cx, ci, init_decl);
    for (int i = 0; i < ci->nifaces; i++)
        check_iface(cx, ci, ci->ifaces[i], 0);
}

static void resolve(check_cx *cx, cls_info *ci)
{
    if (ci->state != 0 || !ci->decl)
        return;
    const inst_site *inst = cx->inst;
    if (!ci->generic)
        cx->inst = NULL; /* a declared class (a base met early) reports in its own right */
    ci->state = 1;
    resolve_bases(cx, ci);
    ci->state = 2;
    resolve_members(cx, ci);
    ci->state = 3;
    if (!cx->opaque) /* a generic checked on its own is not emitted */
        module_add_class(cx, ci);
    cx->inst = inst;
}

void check__resolve_class(check_cx *cx, cls_info *ci) { resolve(cx, ci); }

void check__resolve_classes(check_cx *cx)
{
    ast_list *top = &cx->m->root->list;
    for (int i = 0; i < top->n; i++) {
        ast_node *n = top->items[i];
        if (n->kind != D_CLASS && n->kind != D_INTERFACE)
            continue;
        sym *y = check__scope_find(cx->top, n->u.cls->name);
        if (y && y->kind == SYM_CLASS && y->cls && y->cls->decl == n)
            resolve(cx, y->cls);
    }
}

static void class_body(check_cx *cx, void *arg)
{
    cls_info *ci = arg;
    ast_class *c = ci->decl->u.cls;
    for (int k = 0; k < c->members.n; k++) {
        ast_node *d = c->members.items[k];
        if (d->kind != D_FN || !d->u.fn->ty || d->u.fn->index == 0)
            continue;
        cx->member_of = ci;
        check__fn_body(cx, d);
        cx->member_of = NULL;
    }
}

void check__class_body(check_cx *cx, cls_info *ci)
{
    ci->state = 4;
    check__with_bindings(cx, ci->generic ? ci : NULL, class_body, ci);
}

void check__class_bodies(check_cx *cx)
{
    /* Checking bodies can make generic instances, whose bodies are checked in turn. */
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < cx->m->nclasses; i++) {
            cls_info *ci = cx->m->classes[i];
            if (ci->state != 3 || ci->is_interface)
                continue;
            more = true;
            check__class_body(cx, ci);
        }
        more |= check__generic_bodies(cx);
    }
    check__generic_done(cx);
}

int check__self_param(check_cx *cx, ast_fn *fn, ast_node *decl)
{
    cls_info *ci = cx->member_of;
    cx->member_of = NULL;
    if (!ci)
        return 0;
    cx->fn->cls = ci;
    if (fn->is_static) {
        cx->fn->is_static = true;
        return 0;
    }
    cx->fn->name = fn->bc_name ? fn->bc_name : fn->name;
    sym *y = check__new_sym(cx, SYM_LOCAL, "self", ci->ty, decl);
    y->index = check__new_local(cx, ci->ty);
    check__declare(cx, cx->cur, y, decl->line, decl->col);
    return 1;
}

/* ---- names of classes -------------------------------------------------------------------------- */

/* The class a name or a module member names (`Rect`, `util.Point`), or NULL; reports nothing. */
/* The class a generic class named with type arguments at n stands for: its instance. */
static cls_info *instance_named(check_cx *cx, ast_node *n, cls_info *ci)
{
    if (ci->ty || !ci->decl || ci->decl->u.cls->type_params.n == 0)
        return ci;
    if (n->list.n == 0) {
        check__error(cx, n->line, n->col, "generic class '%s' needs type arguments: %s<...>", ci->name, ci->name);
        return ci;
    }
    const htype *t = check__instance_of(cx, ci, &n->list, n);
    return t->kind == TY_CLASS && t->cls ? t->cls : ci;
}

static cls_info *class_named(check_cx *cx, ast_node *n)
{
    if (n->kind == E_NAME) {
        sym *y = check__lookup(cx, n->name);
        if (y && y->kind == SYM_CLASS && y->cls) {
            n->sym = y;
            return instance_named(cx, n, y->cls);
        }
        return NULL;
    }
    if (n->kind == E_MEMBER && n->a && n->a->kind == E_NAME) {
        sym *ms = check__lookup(cx, n->a->name);
        if (!ms || ms->kind != SYM_MODULE || !ms->module || !ms->module->top)
            return NULL;
        sym *y = check__scope_find(ms->module->top, n->name);
        if (y && y->kind == SYM_CLASS && y->cls && y->module == ms->module) {
            n->a->sym = ms;
            n->a->ty = ty_basic(cx->types, TY_MODULE);
            n->member = y;
            return instance_named(cx, n, y->cls);
        }
    }
    return NULL;
}

const htype *check__class_type(check_cx *cx, ast_node *t)
{
    sym *y = NULL;
    if (t->kind == T_NAME) {
        for (int i = 0; i < cx->ntp; i++) {
            if (strcmp(cx->tp_names[i], t->name) == 0) {
                if (t->list.n > 0) {
                    check__error(cx, t->line, t->col, "type parameter '%s' takes no type arguments", t->name);
                    return cx->t_error;
                }
                return cx->tp_types[i];
            }
        }
        y = check__lookup(cx, t->name);
    } else if (t->kind == T_QUAL) {
        sym *ms = check__lookup(cx, t->name);
        if (!ms || ms->kind != SYM_MODULE || !ms->module || !ms->module->top)
            return NULL;
        y = check__scope_find(ms->module->top, t->name2);
        if (y && y->module != ms->module)
            y = NULL;
        if (y && y->kind == SYM_CLASS && t->name2[0] == '_') {
            check__error(cx, t->line, t->col, "'%s' is private to module '%s'", t->name2, ms->module->name);
            return cx->t_error;
        }
    }
    if (!y || y->kind != SYM_CLASS || !y->cls)
        return NULL;
    cls_info *ci = y->cls;
    if (!ci->ty) {
        if (t->list.n == 0) {
            check__error(cx, t->line, t->col, "generic %s '%s' needs type arguments: %s<...>", kind_word(ci), ci->name,
                         ci->name);
            return cx->t_error;
        }
        return check__instance_of(cx, ci, &t->list, t);
    }
    if (t->list.n > 0) {
        check__error(cx, t->line, t->col, "'%s' is not generic: it takes no type arguments", ci->name);
        return cx->t_error;
    }
    return ci->ty;
}

/* ---- self, super, members ---------------------------------------------------------------------- */

/* The function context of the method, init or static function the current code is in (through
 * enclosing anonymous and nested functions), or NULL. */
static fn_cx *method_cx(check_cx *cx)
{
    for (fn_cx *f = cx->fn; f; f = f->outer)
        if (f->cls)
            return f;
    return NULL;
}

/* Resolve `self` for node n (E_SELF or E_SUPER); NULL after a message. */
static sym *self_sym(check_cx *cx, ast_node *n, const char *word)
{
    fn_cx *f = method_cx(cx);
    if (!f) {
        check__error(cx, n->line, n->col, "'%s' can only be used inside a method", word);
        return NULL;
    }
    if (f->is_static) {
        check__error(cx, n->line, n->col, "'%s' cannot be used in a static function", word);
        return NULL;
    }
    sym *y = check__lookup(cx, "self");
    if (!y) {
        check__error(cx, n->line, n->col, "'%s' can only be used inside a method", word);
        return NULL;
    }
    n->sym = y;
    return y;
}

bool check__self_hint(check_cx *cx, ast_node *n)
{
    fn_cx *f = method_cx(cx);
    cls_member *m = f ? find_member(f->cls, n->name) : NULL;
    if (!m)
        return false;
    if (m->is_static)
        check__error(cx, n->line, n->col, "undefined name '%s': the static function is %s.%s", n->name, f->cls->name,
                     n->name);
    else if (m->is_method)
        check__error(cx, n->line, n->col, "undefined name '%s': a method of '%s' is called as self.%s(...)", n->name,
                     f->cls->name, n->name);
    else
        check__error(cx, n->line, n->col, "undefined name '%s': a field of '%s' is reached as self.%s", n->name,
                     f->cls->name, n->name);
    return true;
}

const htype *check__self(check_cx *cx, ast_node *n)
{
    if (n->kind == E_SUPER) {
        check__error(cx, n->line, n->col, "'super' must be followed by a call: super.init(...) or super.name(...)");
        return cx->t_error;
    }
    sym *y = self_sym(cx, n, "self");
    return y ? y->ty : cx->t_error;
}

static void loose(check_cx *cx, ast_node *call)
{
    for (int i = 0; i < call->list.n; i++)
        check__expr(cx, &call->list.items[i], NULL);
}

/* Arguments of a call against parameters params[0..np). */
static void args_against(check_cx *cx, ast_node *n, const char *name, const htype *const *params, int np)
{
    if (n->list.n != np) {
        check__error(cx, n->line, n->col, "'%s' expects %d argument%s, found %d", name, np, np == 1 ? "" : "s",
                     n->list.n);
        loose(cx, n);
        return;
    }
    for (int i = 0; i < np; i++)
        check__expect(cx, &n->list.items[i], params[i]);
}

/* The end of call n of method m named by callee (E_MEMBER): record the member and check the
 * arguments against its parameters; the call's type. */
static const htype *method_call(check_cx *cx, ast_node *n, ast_node *callee, cls_member *m)
{
    callee->cmem = m;
    callee->ty = m->ty;
    if (m->ty->kind != TY_FN) {
        loose(cx, n);
        return cx->t_error;
    }
    args_against(cx, n, m->name, m->ty->params, m->ty->nparams);
    return m->ty->ret;
}

static call_info *new_call(check_cx *cx, ast_node *n, call_kind kind, cls_info *ci, cls_member *m)
{
    call_info *c = ast_alloc(cx->arena, sizeof *c);
    c->kind = kind;
    c->cls = ci;
    c->method = m;
    n->call = c;
    return c;
}

const htype *check__construct(check_cx *cx, ast_node *n, cls_info *ci)
{
    if (ci->is_interface) {
        check__error(cx, n->line, n->col, "cannot construct interface '%s'", ci->name);
        loose(cx, n);
        return cx->t_error;
    }
    if (!ci->ty && ci->decl && ci->decl->u.cls->type_params.n > 0)
        return check__generic_construct(cx, n, ci);
    if (!ci->ty || ci->state == 1 || (!ci->is_builtin && !ci->init)) {
        loose(cx, n);
        return cx->t_error;
    }
    int np = 0;
    const htype *const *ps = init_params(cx, ci, &np);
    new_call(cx, n, CALL_NEW, ci, NULL);
    args_against(cx, n, ci->name, ps, np);
    return ci->ty;
}

/* super.name(args). */
static const htype *super_call(check_cx *cx, ast_node *n, ast_node *callee)
{
    ast_node *sup = callee->a;
    sym *self = self_sym(cx, sup, "super");
    if (!self) {
        loose(cx, n);
        return cx->t_error;
    }
    cls_info *ci = method_cx(cx)->cls;
    sup->ty = ci->ty;
    if (!ci->base) {
        check__error(cx, sup->line, sup->col, "'super' used in '%s', which has no base class", ci->name);
        loose(cx, n);
        return cx->t_error;
    }
    cls_info *b = ci->base;
    if (strcmp(callee->name, "init") == 0) {
        if (cx->fn->cls != ci || !cx->fn->fn || cx->fn->fn != ci->init) {
            check__error(cx, callee->line, callee->col, "super.init(...) can only be called in 'init'");
            loose(cx, n);
            return cx->t_error;
        }
        int np = 0;
        const htype *const *ps = init_params(cx, b, &np);
        call_info *c = new_call(cx, n, CALL_SUPER, b, NULL);
        c->receiver = sup;
        args_against(cx, n, "init", ps, np);
        return cx->t_void;
    }
    cls_member *m = find_member(b, callee->name);
    if (!m || !m->is_method) {
        check__error(cx, callee->line, callee->col, "'%s' has no method '%s'", b->name, callee->name);
        loose(cx, n);
        return cx->t_error;
    }
    if (m->is_static || !m->fn) {
        check__error(cx, callee->line, callee->col, "'%s.%s' cannot be called through super", m->owner->name, m->name);
        loose(cx, n);
        return cx->t_error;
    }
    call_info *c = new_call(cx, n, CALL_SUPER, m->owner, m);
    c->receiver = sup;
    return method_call(cx, n, callee, m);
}

bool check__class_call(check_cx *cx, ast_node *n, ast_node *callee, const htype **res)
{
    ast_node *a = callee->a;
    if (a->kind == E_SUPER) {
        *res = super_call(cx, n, callee);
        return true;
    }
    cls_info *named = a->ty ? NULL : class_named(cx, a);
    if (named) {
        a->ty = named->ty ? named->ty : cx->t_error;
        if (!named->ty) { /* a generic class without its type arguments: reported */
            loose(cx, n);
            *res = cx->t_error;
            return true;
        }
        cls_member *m = find_member(named, callee->name);
        if (!m || !m->is_method) {
            check__error(cx, callee->line, callee->col, "'%s' has no static function '%s'", named->name, callee->name);
            loose(cx, n);
            *res = cx->t_error;
            return true;
        }
        if (!m->is_static) {
            check__error(cx, callee->line, callee->col, "'%s.%s' is an instance method: call it on an instance, not on the class",
                         m->owner->name, m->name);
            loose(cx, n);
            *res = cx->t_error;
            return true;
        }
        new_call(cx, n, CALL_STATIC, m->owner, m);
        *res = method_call(cx, n, callee, m);
        return true;
    }
    const htype *t = check__value(cx, &callee->a, NULL);
    if (t->kind != TY_CLASS || !t->cls)
        return false;
    cls_info *ci = t->cls;
    cls_member *m = find_member(ci, callee->name);
    if (!m) {
        check__error(cx, callee->line, callee->col, "'%s' has no method '%s'", ci->name, callee->name);
        loose(cx, n);
        *res = cx->t_error;
        return true;
    }
    if (!m->is_method) {
        if (m->ty->kind == TY_FN || m->ty->kind == TY_ERROR)
            return false; /* a field holding a function: a call of its value */
        check__error(cx, callee->line, callee->col, "'%s' is a field of '%s', not a method", m->name, ci->name);
        loose(cx, n);
        *res = cx->t_error;
        return true;
    }
    if (m->is_static) {
        check__error(cx, callee->line, callee->col, "static function '%s.%s' must be called on the class, not on an instance",
                     m->owner->name, m->name);
        loose(cx, n);
        *res = cx->t_error;
        return true;
    }
    call_info *c = new_call(cx, n, CALL_VIRTUAL, ci, m);
    c->receiver = callee->a;
    *res = method_call(cx, n, callee, m);
    return true;
}

bool check__class_member(check_cx *cx, ast_node *n, const htype **res)
{
    bool assigning = cx->assigning;
    cx->assigning = false;
    ast_node *a = n->a;
    if (a->kind == E_SUPER) {
        check__error(cx, a->line, a->col, "'super' must be followed by a call: super.init(...) or super.name(...)");
        *res = cx->t_error;
        return true;
    }
    cls_info *named = a->ty ? NULL : class_named(cx, a);
    if (named) {
        a->ty = named->ty ? named->ty : cx->t_error;
        *res = cx->t_error;
        if (!named->ty) /* a generic class without its type arguments: reported */
            return true;
        cls_member *m = find_member(named, n->name);
        if (m && m->is_method && m->is_static)
            check__error(cx, n->line, n->col, "static function '%s.%s' must be called", named->name, n->name);
        else
            check__error(cx, n->line, n->col, "'%s' has no static member '%s'", named->name, n->name);
        return true;
    }
    const htype *t = check__value(cx, &n->a, NULL);
    if (t->kind != TY_CLASS || !t->cls)
        return false;
    cls_info *ci = t->cls;
    cls_member *m = find_member(ci, n->name);
    *res = cx->t_error;
    if (!m) {
        check__error(cx, n->line, n->col, "'%s' has no field '%s'", ci->name, n->name);
    } else if (m->is_method) {
        if (assigning)
            check__error(cx, n->line, n->col, "cannot assign to method '%s' of '%s'", m->name, ci->name);
        else
            check__error(cx, n->line, n->col, "method '%s' of '%s' must be called", m->name, ci->name);
    } else {
        n->cmem = m;
        *res = m->ty;
    }
    return true;
}

/* ---- is / as ----------------------------------------------------------------------------------- */

static bool is_value_kind(const htype *t) { return t->kind == TY_INT || t->kind == TY_FLOAT || t->kind == TY_BOOL; }

const htype *check__is_as(check_cx *cx, ast_node *n)
{
    bool is_as = n->kind == E_AS;
    const htype *to = check__type(cx, n->type);
    n->type->ty = to;
    const htype *from = check__expr(cx, &n->a, is_as ? to : NULL);
    if (from->kind == TY_NULL && is_as && ty_is_ref(to)) {
        n->a->ty = to;
        return to;
    }
    from = check__value(cx, &n->a, NULL);
    if (from->kind == TY_ERROR || to->kind == TY_ERROR)
        return is_as ? to : cx->t_bool;
    if (!is_as) {
        if (!ty_is_ref(from)) {
            check__error(cx, n->line, n->col, "'is' needs a reference or any value, found %s", ty_name(from));
            return cx->t_bool;
        }
        if (to->kind == TY_VOID)
            check__error(cx, n->type->line, n->type->col, "expected a type");
        return cx->t_bool;
    }
    if (from == to)
        return to;
    if (ty_assignable(from, to)) {
        /* An upcast, int to float, or a value into any: the implicit conversion, made explicit. */
        check__coerce(cx, &n->a, to);
        return to;
    }
    bool ok = false;
    if (from->kind == TY_ANY)
        ok = ty_is_ref(to) || is_value_kind(to);
    else if (from->kind == TY_CLASS && to->kind == TY_CLASS)
        /* A downcast, or a cast involving an interface, which some subclass may satisfy. */
        ok = ty_subclass(to, from) || ((cls_info *)from->cls)->is_interface || ((cls_info *)to->cls)->is_interface;
    if (!ok) {
        check__error(cx, n->line, n->col, "cannot cast %s to %s", ty_name(from), ty_name(to));
        return cx->t_error;
    }
    return to;
}

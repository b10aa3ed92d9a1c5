/* cg_class.c — code for classes (docs/objects.md "Classes", "any, is, as"): the class section,
 * construction, field access, virtual, interface, super and static calls, `is` and `as`.
 *
 * Calls of functions that belong to classes go by the function record the checker made: CALL
 * with its index when the class is of this module, else CALLX through a FUNC constant naming
 * the function by its bytecode name ("Rect.init") in the class's module. A built-in error
 * class has no init function: its construction and `super.init(msg)` store the message with
 * SETF LError;.message.
 */
#include <string.h>

#include "codegen_int.h"

/* The function of a class: CALL or CALLX, popping `pops` and pushing the result if any. */
static void call_class_fn(cg *g, const ast_fn *fn, const cmodule *mod)
{
    const htype *t = fn->ty;
    int pushes = t->ret && t->ret->kind != TY_VOID;
    if (mod == g->m)
        cg__op_u16(g, OP_CALL, (uint32_t)fn->index, t->nparams, pushes);
    else
        cg__op_u16(g, OP_CALLX, cg__k_ref(g, BC_K_FUNC, mod, fn->bc_name ? fn->bc_name : fn->name, t), t->nparams,
                   pushes);
}

/* Arguments, each typed as its parameter (null literals need the exact type). */
static void push_args(cg *g, ast_node *e, const htype *const *params, int np)
{
    for (int i = 0; i < e->list.n; i++)
        cg__expr_to(g, e->list.items[i], i < np ? params[i] : NULL);
}

/* SETF of Error.message: the object and the message are on the stack. */
static void set_message(cg *g)
{
    const htype *err = ty_from_desc(g->c->types, "LError;", NULL);
    if (!err) {
        cg__error(g, NULL, "internal error: %s is not known", "Error");
        return;
    }
    cg__op_u16(g, OP_SETF, cg__k_member(g, BC_K_FIELD, err, "message", ty_basic(g->c->types, TY_STR)), 2, 0);
}

static const htype *str_ty(cg *g) { return ty_basic(g->c->types, TY_STR); }

/* The init of a built-in error class on the object on the stack (e's one argument, the
 * message): there is no function to call, only the field to set. */
static void builtin_init(cg *g, ast_node *e)
{
    const htype *s = str_ty(g);
    push_args(g, e, &s, 1);
    if (cg__off(g))
        return;
    cg__at(g, e);
    set_message(g);
}

void cg__class_call(cg *g, ast_node *e)
{
    call_info *ci = e->call;
    cls_info *c = ci->cls;
    switch (ci->kind) {
    case CALL_NEW: {
        cg__at(g, e);
        cg__op_u16(g, OP_NEW, cg__k_type(g, c->ty), 0, 1);
        cg__op(g, OP_DUP, 0, 1);
        if (c->is_builtin) {
            builtin_init(g, e);
            return;
        }
        const htype *t = c->init->ty;
        push_args(g, e, t->params + 1, t->nparams - 1);
        if (cg__off(g))
            return;
        cg__at(g, e);
        call_class_fn(g, c->init, c->module);
        return;
    }
    case CALL_SUPER: {
        cg__expr(g, ci->receiver);
        if (!ci->method && c->is_builtin) {
            builtin_init(g, e);
            return;
        }
        const ast_fn *fn = ci->method ? ci->method->fn : c->init;
        const cmodule *mod = ci->method ? ci->method->owner->module : c->module;
        push_args(g, e, fn->ty->params + 1, fn->ty->nparams - 1);
        if (cg__off(g))
            return;
        cg__at(g, e);
        call_class_fn(g, fn, mod);
        return;
    }
    case CALL_STATIC: {
        const ast_fn *fn = ci->method->fn;
        push_args(g, e, fn->ty->params, fn->ty->nparams);
        if (cg__off(g))
            return;
        cg__at(g, e);
        call_class_fn(g, fn, ci->method->owner->module);
        return;
    }
    case CALL_VIRTUAL: {
        const htype *sig = ci->method->ty;
        cg__expr(g, ci->receiver);
        push_args(g, e, sig->params, sig->nparams);
        if (cg__off(g))
            return;
        cg__at(g, e);
        /* The METHOD constant names the receiver's static class: its vtable (or, for an
         * interface, the itable of that interface) has the method, inherited or not. */
        cls_info *owner = ci->method->owner;
        cls_info *where = c->is_interface ? owner : c;
        cg__op_u16(g, where->is_interface ? OP_CALLIF : OP_CALLVT,
                   cg__k_member(g, BC_K_METHOD, where->ty, ci->method->name, sig), 1 + sig->nparams,
                   sig->ret && sig->ret->kind != TY_VOID);
        return;
    }
    default:
        cg__error(g, e, "internal error: %s", "not a call of a class");
        return;
    }
}

static uint16_t field_const(cg *g, const cls_member *f)
{
    return cg__k_member(g, BC_K_FIELD, f->owner->ty, f->name, f->ty);
}

void cg__field_get(cg *g, ast_node *e)
{
    cg__expr(g, e->a);
    if (cg__off(g))
        return;
    cg__at(g, e);
    cg__op_u16(g, OP_GETF, field_const(g, e->cmem), 1, 1);
}

void cg__field_assign(cg *g, ast_node *s, int op)
{
    ast_node *t = s->a;
    const cls_member *f = t->cmem;
    cg__expr(g, t->a);
    if (op >= 0) {
        if (cg__off(g))
            return;
        cg__at(g, s);
        cg__op(g, OP_DUP, 0, 1);
        cg__op_u16(g, OP_GETF, field_const(g, f), 1, 1);
    }
    if (!cg__assign_rhs(g, s, op, f->ty))
        return;
    cg__op_u16(g, OP_SETF, field_const(g, f), 2, 0);
}

void cg__is_as(cg *g, ast_node *e)
{
    const htype *to = e->type ? e->type->ty : NULL;
    if (!to) {
        cg__error(g, e, "internal error: %s without a checked type", e->kind == E_IS ? "'is'" : "'as'");
        return;
    }
    if (e->kind == E_AS && e->a->kind == E_NULL) {
        cg__at(g, e);
        cg__op_u16(g, OP_NULL, cg__k_type(g, to), 0, 1);
        return;
    }
    cg__expr(g, e->a);
    if (cg__off(g))
        return;
    cg__at(g, e);
    if (e->kind == E_IS) {
        cg__op_u16(g, OP_IS, cg__k_type(g, to), 1, 1);
        return;
    }
    /* An upcast or a conversion the checker made explicit needs nothing more. */
    const htype *from = e->a->ty;
    if (from == to || ty_assignable(from, to))
        return;
    cg__op_u16(g, OP_CAST, cg__k_type(g, to), 1, 1);
}

/* ---- the class section ------------------------------------------------------------------- */

void cg__classes(cg *g, bc_module *bc)
{
    cmodule *m = g->m;
    int n = 0;
    for (int i = 0; i < m->nclasses; i++)
        n += m->classes[i]->ty != NULL;
    if (n > UINT16_MAX) {
        cg__error(g, m->root, "module '%s' has too many classes", m->name);
        return;
    }
    bc->classes = xcalloc(n ? (size_t)n : 1, sizeof *bc->classes);
    bc->nclasses = 0;
    for (int i = 0; i < m->nclasses; i++) {
        cls_info *ci = m->classes[i];
        if (!ci->ty)
            continue;
        bc_class *k = &bc->classes[bc->nclasses++];
        k->type = cg__k_type(g, ci->ty);
        k->flags = (uint16_t)((ci->name[0] == '_' ? BC_PRIVATE : 0) | (ci->is_interface ? BC_CLASS_INTERFACE : 0));
        k->super = ci->base ? cg__k_type(g, ci->base->ty) : 0;
        k->nifaces = (uint16_t)ci->nifaces;
        k->ifaces = xcalloc(ci->nifaces ? (size_t)ci->nifaces : 1, sizeof *k->ifaces);
        for (int j = 0; j < ci->nifaces; j++)
            k->ifaces[j] = cg__k_type(g, ci->ifaces[j]->ty);
        int nf = 0, nm = 0;
        for (int j = 0; j < ci->nmembers; j++) {
            nf += !ci->members[j]->is_method;
            nm += ci->members[j]->is_method && !ci->members[j]->is_static;
        }
        k->fields = xcalloc(nf ? (size_t)nf : 1, sizeof *k->fields);
        k->methods = xcalloc(nm ? (size_t)nm : 1, sizeof *k->methods);
        for (int j = 0; j < ci->nmembers; j++) {
            cls_member *mb = ci->members[j];
            if (!mb->is_method) {
                k->fields[k->nfields++] = (bc_field){cg__k_cstr(g, mb->name), cg__k_type(g, mb->ty)};
            } else if (!mb->is_static) {
                uint16_t fn = mb->fn ? (uint16_t)mb->fn->index : BC_NO_FUNC;
                k->methods[k->nmethods++] = (bc_method){cg__k_cstr(g, mb->name), cg__k_type(g, mb->ty), fn};
            }
        }
    }
}

/* cg_fn.c — function values and closures for the code generator (docs/objects.md "Function
 * values and closures"; the checker's side is check_fn.c).
 *
 * A captured variable lives in a cell. The checker marks its symbol `captured` and gives the
 * cell a slot (cell_slot): reading is LOAD cell_slot, CGET; writing is LOAD cell_slot, value,
 * CSET (CSET takes the cell below the value, so the cell is pushed first). Where a captured
 * variable is bound — a `let`, each iteration's loop variables, a catch variable, a parameter
 * on entry — a new cell is made with CELL, so each binding is a variable of its own and every
 * closure made from it shares that one.
 *
 * A closure is made with CLOSURE h b after pushing the b cells function h captures, each
 * loaded from the enclosing function's own slot for it (its variable's cell, or its own
 * capture). A named function used as a value is a closure without cells; a function of
 * another module gets a forwarding function in this module, since CLOSURE names only
 * functions of its own module.
 */
#include <string.h>

#include "codegen_int.h"

static void load(cg *g, int slot) { cg__op_u16(g, OP_LOAD, (uint32_t)slot, 0, 1); }
static void store(cg *g, int slot) { cg__op_u16(g, OP_STORE, (uint32_t)slot, 1, 0); }

/* CLOSURE h b: pops the b cells, pushes the closure. */
static void closure(cg *g, const ast_fn *fn)
{
    cg__op_u16(g, OP_CLOSURE, (uint32_t)fn->index, fn->ncaps, 1);
    buf_u8(&g->code, (uint8_t)fn->ncaps);
}

/* Push the cells fn captures, as the current function holds them. */
static void push_cells(cg *g, const ast_node *at, const ast_fn *fn)
{
    if (fn->ncaps > 255) {
        cg__error(g, at, "function '%s' captures more than 255 variables", fn->name ? fn->name : "<fn>");
        return;
    }
    for (int i = 0; i < fn->ncaps; i++) {
        const sym *c = fn->caps[i];
        if (!c->captured) {
            cg__error(g, at, "internal error: capture '%s' without a cell", c->name);
            return;
        }
        load(g, c->cell_slot);
    }
}

void cg__fn_value(cg *g, const ast_node *at, const sym *s)
{
    const ast_fn *target = NULL;
    if (s->module == g->m && !s->is_native && s->index >= 0 && s->index < g->m->nfuncs) {
        target = g->m->funcs[s->index];
    } else {
        for (int i = 0; i < g->m->nfuncs && !target; i++)
            if (g->m->funcs[i]->forward == s)
                target = g->m->funcs[i];
    }
    if (!target) {
        cg__error(g, at, "internal error: no function for the value '%s'", s->name);
        return;
    }
    cg__at(g, at);
    closure(g, target);
}

void cg__fn_expr(cg *g, ast_node *e)
{
    ast_fn *fn = e->u.fn;
    cg__at(g, e);
    push_cells(g, e, fn);
    if (cg__off(g))
        return;
    closure(g, fn);
}

void cg__nested_fn(cg *g, ast_node *s)
{
    ast_fn *fn = s->u.fn;
    const sym *v = s->sym;
    cg__at(g, s);
    if (!v->captured) {
        push_cells(g, s, fn);
        if (cg__off(g))
            return;
        closure(g, fn);
        store(g, v->index);
        return;
    }
    /* The function captures its own name (to call itself), or another closure does: the
     * cell exists before the closure that holds it. */
    cg__op_u16(g, OP_NULL, cg__k_type(g, v->ty), 0, 1);
    cg__op(g, OP_CELL, 1, 1);
    store(g, v->cell_slot);
    load(g, v->cell_slot);
    push_cells(g, s, fn);
    if (cg__off(g))
        return;
    closure(g, fn);
    cg__op(g, OP_CSET, 2, 0);
}

void cg__call_value(cg *g, ast_node *e)
{
    const htype *t = e->call->sig;
    if (e->list.n > 255) {
        cg__error(g, e, "a call of a function value takes at most 255 arguments%s", "");
        return;
    }
    cg__expr(g, e->a);
    for (int i = 0; i < e->list.n; i++)
        cg__expr_to(g, e->list.items[i], i < t->nparams ? t->params[i] : NULL);
    if (cg__off(g))
        return;
    cg__at(g, e);
    cg__op(g, OP_CALLV, e->list.n + 1, t->ret && t->ret->kind != TY_VOID);
    buf_u8(&g->code, (uint8_t)e->list.n);
}

void cg__assign_captured(cg *g, ast_node *s, const sym *v, int op)
{
    cg__at(g, s);
    load(g, v->cell_slot);
    if (op >= 0) {
        load(g, v->cell_slot);
        cg__op(g, OP_CGET, 1, 1);
    }
    if (!cg__assign_rhs(g, s, op, v->ty))
        return;
    cg__op(g, OP_CSET, 2, 0);
}

void cg__bind_cell(cg *g, const sym *v)
{
    if (!v || !v->captured || v->cell_slot == v->index || cg__off(g))
        return;
    load(g, v->index);
    cg__op(g, OP_CELL, 1, 1);
    store(g, v->cell_slot);
}

void cg__prologue(cg *g, ast_fn *fn)
{
    for (int i = 0; i < fn->nparam_cells; i++)
        cg__bind_cell(g, fn->param_cells[i]);
}

void cg__forward_body(cg *g, ast_fn *fn)
{
    const sym *t = fn->forward;
    const htype *ty = t->ty;
    for (int i = 0; i < ty->nparams; i++)
        load(g, i);
    bool value = ty->ret && ty->ret->kind != TY_VOID;
    uint16_t k = t->is_native ? cg__k_native_fn(g, t->module, t->name, ty)
                              : cg__k_ref(g, BC_K_FUNC, t->module, t->name, ty);
    cg__op_u16(g, t->is_native ? OP_CALLN : OP_CALLX, k, ty->nparams, value);
    cg__op(g, value ? OP_RETV : OP_RET, value, 0);
    g->dead = true;
}

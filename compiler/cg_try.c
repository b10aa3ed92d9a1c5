/* cg_try.c — throw and try/catch/finally for the code generator (docs/objects.md
 * "Exceptions").
 *
 * Layout of `try { B } catch e: T1 { C1 } ... finally { F }`:
 *
 *   start:  B                      catch clauses cover [start, body_end) minus holes
 *           JMP done
 *   h1:     STORE e; C1; JMP done  (entered with the error alone on the stack)
 *   ...
 *   hall:   STORE hidden; F; LOAD hidden; THROW
 *                                  the catch-all covers [start, catch_end) minus holes
 *   done:   F
 *
 * A jump out of the try (return, break, continue) runs a copy of F on its way; that copy lies
 * inside the try's range but must not be covered by the try's own handlers (an error in F
 * goes outwards), so the exit's code is a hole in the ranges of every try it leaves, and the
 * table gets one entry per remaining piece. Entries are appended when a try's code is done,
 * so a try nested inside another (in its body or a catch) comes first in the table, as the
 * search order requires.
 */
#include <stdlib.h>
#include <string.h>

#include "codegen_int.h"

typedef struct {
    uint32_t start, end;          /* a hole: code offsets, end exclusive */
} hole;

typedef struct try_cx {
    ast_node *node;               /* the S_TRY */
    struct try_cx *outer;         /* the enclosing try in this function */
    loop_cx *loop;                /* the innermost loop around the try */
    hole *holes;                  /* exits through this try's finally copies (host heap) */
    int nholes, cap;              /* used and allocated entries of holes */
} try_cx;

static void add_hole(try_cx *t, uint32_t start, uint32_t end)
{
    if (start >= end)
        return;
    if (t->nholes == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 4;
        t->holes = xrealloc(t->holes, (size_t)t->cap * sizeof *t->holes);
    }
    t->holes[t->nholes++] = (hole){start, end};
}

static void add_entry(cg *g, uint32_t start, uint32_t end, uint32_t handler, uint16_t type)
{
    if (g->nhandlers == g->caphandlers) {
        g->caphandlers = g->caphandlers ? 2 * g->caphandlers : 8;
        g->handlers = xrealloc(g->handlers, g->caphandlers * sizeof *g->handlers);
    }
    g->handlers[g->nhandlers++] = (bc_handler){.start = start, .end = end, .handler = handler, .type = type};
}

/* Call fn for each piece of [start, end) outside the holes of t, in order. Holes never
 * overlap one another (each is one exit's code), but are sorted here to be safe. */
static int pieces(const try_cx *t, uint32_t start, uint32_t end, uint32_t *ps, uint32_t *pe, int max)
{
    int n = 0;
    uint32_t at = start;
    while (at < end && n < max) {
        /* The first hole that ends after `at`. */
        const hole *next = NULL;
        for (int i = 0; i < t->nholes; i++)
            if (t->holes[i].end > at && t->holes[i].start < end && (!next || t->holes[i].start < next->start))
                next = &t->holes[i];
        uint32_t stop = next && next->start < end ? (next->start > at ? next->start : at) : end;
        if (stop > at) {
            ps[n] = at;
            pe[n] = stop;
            n++;
        }
        if (!next)
            break;
        at = next->end > at ? next->end : at + 1;
    }
    return n;
}

/* Make the current position a handler's entry: reachable, the error alone on the stack. */
static uint32_t enter_handler(cg *g, const ast_node *at)
{
    g->dead = false;
    g->depth = 1;
    if (g->max < 1)
        g->max = 1;
    g->label_pc = (uint32_t)g->code.len; /* no jump before it may be dropped as redundant */
    cg__at(g, at);
    return (uint32_t)g->code.len;
}

void cg__throw(cg *g, ast_node *s)
{
    cg__expr(g, s->a);
    if (cg__off(g))
        return;
    cg__at(g, s);
    cg__op(g, OP_THROW, 1, 0);
    g->dead = true;
}

/* The finally copy of t, generated as code outside t (its own jumps leave only the tries
 * and loops around t). */
static void finally_copy(cg *g, try_cx *t)
{
    try_cx *saved_try = g->try_;
    loop_cx *saved_loop = g->loop;
    g->try_ = t->outer;
    g->loop = t->loop;
    cg__stmt(g, t->node->c);
    g->try_ = saved_try;
    g->loop = saved_loop;
}

void cg__leave_tries(cg *g, try_cx *stop)
{
    uint32_t start = (uint32_t)g->code.len;
    for (try_cx *t = g->try_; t && t != stop && !cg__off(g); t = t->outer)
        if (t->node->c)
            finally_copy(g, t);
    uint32_t end = (uint32_t)g->code.len;
    for (try_cx *t = g->try_; t && t != stop; t = t->outer)
        add_hole(t, start, end);
}

bool cg__try_return(cg *g, ast_node *s)
{
    try_cx *fin = NULL;
    for (try_cx *t = g->try_; t && !fin; t = t->outer)
        if (t->node->c)
            fin = t;
    if (!fin)
        return false;
    int slot = fin->node->slot2;
    if (s->a) {
        if (slot < 0) {
            cg__error(g, s, "internal error: no slot for the value of '%s'", "return");
            return true;
        }
        cg__expr_to(g, s->a, g->ret);
        if (cg__off(g))
            return true;
        cg__at(g, s);
        cg__op_u16(g, OP_STORE, (uint32_t)slot, 1, 0);
    }
    cg__at(g, s);
    cg__leave_tries(g, NULL);
    if (cg__off(g))
        return true;
    cg__at(g, s);
    if (s->a) {
        cg__op_u16(g, OP_LOAD, (uint32_t)slot, 0, 1);
        cg__op(g, OP_RETV, 1, 0);
    } else {
        cg__op(g, OP_RET, 0, 0);
    }
    g->dead = true;
    return true;
}

void cg__try(cg *g, ast_node *s)
{
    try_cx t = {.node = s, .outer = g->try_, .loop = g->loop};
    jlist done = {0};
    enum { MAXP = 256 };
    uint32_t ps[MAXP], pe[MAXP];

    uint32_t start = (uint32_t)g->code.len;
    g->try_ = &t;
    cg__stmt(g, s->b);
    uint32_t body_end = (uint32_t)g->code.len;
    if (!cg__off(g)) {
        cg__at(g, s);
        cg__jump(g, OP_JMP, &done);
    }
    if (g->errors)
        goto out;

    /* Catch clauses, over the body: only if some of the body can throw. */
    int n = pieces(&t, start, body_end, ps, pe, MAXP);
    if (n == MAXP) {
        cg__error(g, s, "a try statement has too many exits through '%s'", "finally");
        goto out;
    }
    if (n > 0) {
        for (int i = 0; i < s->list.n && !g->errors; i++) {
            ast_node *c = s->list.items[i];
            const sym *v = c->sym;
            uint32_t h = enter_handler(g, c);
            uint16_t type = cg__k_type(g, v->ty);
            for (int j = 0; j < n; j++)
                add_entry(g, ps[j], pe[j], h, type);
            cg__op_u16(g, OP_STORE, (uint32_t)v->index, 1, 0);
            cg__bind_cell(g, v);
            cg__stmt(g, c->b);
            if (!cg__off(g)) {
                cg__at(g, c);
                cg__jump(g, OP_JMP, &done);
            }
        }
    }
    uint32_t catch_end = (uint32_t)g->code.len;

    /* The catch-all of finally, over the body and the catches. */
    if (s->c && !g->errors) {
        n = pieces(&t, start, catch_end, ps, pe, MAXP);
        if (n == MAXP) {
            cg__error(g, s, "a try statement has too many exits through '%s'", "finally");
            goto out;
        }
        if (n > 0) {
            uint32_t h = enter_handler(g, s->c);
            for (int j = 0; j < n; j++)
                add_entry(g, ps[j], pe[j], h, 0);
            cg__op_u16(g, OP_STORE, (uint32_t)s->hidden, 1, 0);
            finally_copy(g, &t);
            if (!cg__off(g)) {
                cg__at(g, s->c);
                cg__op_u16(g, OP_LOAD, (uint32_t)s->hidden, 0, 1);
                cg__op(g, OP_THROW, 1, 0);
                g->dead = true;
            }
        }
    }
    g->try_ = t.outer;
    cg__place(g, &done);
    if (s->c && !cg__off(g))
        cg__stmt(g, s->c);
out:
    g->try_ = t.outer;
    free(done.fix);
    free(t.holes);
}

/* checker_int.h — structures shared by the checker's files (checker.c: scopes, declarations,
 * statements; check_expr.c: expressions, operators and calls). Nothing outside the checker
 * includes this header; compile.c only sees `struct scope` as the opaque cmodule.top.
 *
 * Scopes form a chain from the innermost block out to the universe of built-in names:
 *
 *   SC_BLOCK ... SC_BLOCK → SC_FN (parameters) → SC_MODULE (cmodule.top) → SC_UNIVERSE
 *
 * Every scope that holds locals knows the function (fn_cx) owning their slots. A lookup that
 * walks out of one function's scopes into an enclosing function's is where closures will
 * capture; a class scope (SC_CLASS) will sit between a method's SC_FN and the module.
 */
#ifndef HOLT_CHECKER_INT_H
#define HOLT_CHECKER_INT_H

#include <stdbool.h>

#include "checker.h"

typedef enum {
    SC_UNIVERSE,                  /* built-in functions */
    SC_MODULE,                    /* top-level functions, globals and imported module names */
    SC_FN,                        /* a function's parameters */
    SC_BLOCK,                     /* a block, or the variables of a for loop */
    SC_CLASS,                     /* members of a class (not used yet) */
} scope_kind;

typedef struct fn_cx fn_cx;

struct scope {
    scope_kind kind;              /* what declares names here */
    struct scope *parent;         /* enclosing scope; NULL for the universe */
    fn_cx *fn;                    /* function whose locals this scope binds; NULL outside */
    sym **tab;                    /* open-addressed hash of the names declared here */
    int cap;                      /* power of two (0 before the first declaration) */
    int n;                        /* names declared */
};
typedef struct scope scope;

/* The function whose body is being checked. */
struct fn_cx {
    ast_fn *fn;                   /* the function (main_fn for top-level code) */
    const char *name;             /* for messages: "f", "<main>" */
    const htype *ret;             /* result type, TY_VOID for none */
    const htype **local_types;    /* slot types so far (host heap, copied to the arena) */
    int nlocals;                  /* slots assigned so far */
    int cap;                      /* allocated entries of local_types */
    int loops;                    /* loops enclosing the current statement */
    fn_cx *outer;                 /* lexically enclosing function (closures, later) */
};

/* One diagnostic, held until the module is done so they come out in source order. */
typedef struct {
    int line, col;                /* where, 1-based */
    int seq;                      /* report order, to keep the sort stable */
    const char *msg;              /* in the arena */
} check_err;

typedef struct {
    compiler *c;                  /* the compilation (types, arena, other modules) */
    cmodule *m;                   /* the module being checked */
    ty_table *types;              /* c->types */
    ast_arena *arena;             /* c->arena: symbols, scopes, conversion nodes, messages */
    scope *universe;              /* print, str, int, ... */
    scope *top;                   /* the module scope (m->top) */
    scope *cur;                   /* innermost scope of the statement being checked */
    fn_cx *fn;                    /* function being checked */
    fn_cx main;                   /* the top level as "<main>" */
    int visible_globals;          /* top-level code sees globals with index below this */
    int depth;                    /* expression nesting, bounded against host stack overflow */
    check_err *errs;              /* held diagnostics (host heap), reported sorted at the end */
    int nerrs, errcap;            /* used and allocated entries of errs */
    /* shorthands for the basic types */
    const htype *t_error, *t_void, *t_null, *t_int, *t_float, *t_bool, *t_str, *t_any; /* basic types */
} check_cx;

/* ---- checker.c ------------------------------------------------------------------------------- */

void check__error(check_cx *cx, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The symbol `name` as seen from the current scope, or NULL. */
sym *check__lookup(check_cx *cx, const char *name);
/* The symbol `name` declared directly in scope s, or NULL. */
sym *check__scope_find(const scope *s, const char *name);
/* The type a syntactic type node denotes; reports unknown names (then TY_ERROR). */
const htype *check__type(check_cx *cx, ast_node *t);
/* A new local slot of type ty in the current function. */
int check__new_local(check_cx *cx, const htype *ty);
/* Whether a map key type is allowed (int, str, bool); error types pass. */
bool check__key_ok(const htype *k);

/* ---- check_expr.c ---------------------------------------------------------------------------- */

/* Type the expression at *np (which may be replaced by a conversion node later). `want` is
 * the type the context expects, or NULL: it types `null` and empty literals. A bare `null`
 * without a usable `want` comes back as TY_NULL without a message; a call of a function that
 * returns nothing as TY_VOID. */
const htype *check__expr(check_cx *cx, ast_node **np, const htype *want);
/* check__expr, then insist on a value: TY_NULL reports "cannot infer the type of null" and
 * TY_VOID "'f' returns no value"; both become TY_ERROR. */
const htype *check__value(check_cx *cx, ast_node **np, const htype *want);
/* Make the checked expression at *np fit `to`: type `null`, insert E_CONV for int→float and
 * value→any, or report "type mismatch". Returns false after an error. */
bool check__coerce(check_cx *cx, ast_node **np, const htype *to);
/* check__expr with `to` as the expectation, then check__coerce. */
bool check__expect(check_cx *cx, ast_node **np, const htype *to);
/* Wrap *np in an E_CONV node to type `to`. */
void check__conv(check_cx *cx, ast_node **np, const htype *to);
/* The result type of `a op b` for a binary operator token, with conversions inserted into
 * *ap and *bp; reports misuse at `at`, naming the operator `shown`. Shared by E_BINARY and
 * compound assignment (which names the binary operator: `s -= t` misuses '-'). */
const htype *check__binary(check_cx *cx, int op, ast_node **ap, ast_node **bp, ast_node *at, int shown);
/* The spelling of an operator token for messages. */
const char *check__op_name(int op);

#endif

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
    struct cls_info *cls;         /* a method's, init's or static function's class (cls) */
    bool is_static;               /* a static function of cls: no self */
};

/* Where the errors found inside a generic instance are reported (generic.c). The generic
 * declaration was checked on its own with its type parameters opaque, so what is left for an
 * instance depends on its type arguments: it is reported at the place that made the instance,
 * in the module being checked, with a note at the position inside the generic. */
typedef struct inst_site {
    const char *name;             /* the instance: "Box<int>", "first<str>" */
    const char *generic;          /* for the note: "class 'Box'", "function 'first'" */
    struct cmodule *home;         /* the generic's module, whose source the positions are in */
    int line, col;                /* the instantiation (of the outermost instance, for an
                                     instance made inside another) in the module checked */
} inst_site;

/* One diagnostic, held until the module is done so they come out in source order. */
typedef struct {
    int line, col;                /* where, 1-based */
    int seq;                      /* report order, to keep the sort stable */
    const char *msg;              /* in the arena */
    bool opaque;                  /* found in a generic declaration checked on its own */
    const inst_site *inst;        /* found inside this instance, at gline:gcol of its generic */
    int gline, gcol;              /* inst: the position inside the generic, for the note */
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
    struct fn_caps *caps;         /* check_fn.c: captures of the nested functions being
                                     checked, innermost first */
    check_err *errs;              /* held diagnostics (host heap), reported sorted at the end */
    int nerrs, errcap;            /* used and allocated entries of errs */
    bool assigning;               /* the expression being checked is an assignment's target */
    struct cls_info *member_of;   /* class whose member function check__fn_body is about to
                                     check (check_class.c sets it), else NULL */
    const char **tp_names;        /* type parameters bound while a generic instance is resolved
                                     or checked (generic.c) */
    const htype **tp_types;       /* their types */
    int ntp;                      /* entries of tp_names and tp_types */
    struct gen_state *gen;        /* generic function instances and pending bodies (generic.c) */
    const inst_site *inst;        /* the generic instance being resolved or checked, or NULL */
    bool opaque;                  /* checking a generic declaration on its own, its type
                                     parameters bound to the error type: the functions and
                                     classes of that copy are not emitted */
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
/* Give fn the next function index of the module (methods, nested and anonymous functions and
 * generic instances are added as they are checked). */
void check__add_fn(check_cx *cx, ast_fn *fn);
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

/* ---- check_class.c: classes, interfaces, any/is/as, generics --------------------------------- */

/* Check the body of a function declared by D_FN `decl` (a top-level function, or a class's
 * method, init or static function when cx->member_of is set), as pass 3 does. (checker.c) */
void check__fn_body(check_cx *cx, ast_node *decl);
/* Called by check__fn_body once the function's scope exists, before its parameters: for a
 * method or init of cx->member_of declares `self` (local 0) and returns 1; else returns 0. The
 * parameters then take fn->ty->params[returned + i]. */
int check__self_param(check_cx *cx, ast_fn *fn, ast_node *decl);
/* The class type of a built-in error ("Error", "ValueError", ...; runtime/errors.def), or
 * NULL for another name. */
const htype *check__error_class(check_cx *cx, const char *name);
/* Declare y in scope s; a name already declared there is reported at line:col. (checker.c) */
bool check__declare(check_cx *cx, scope *s, sym *y, int line, int col);
/* A new symbol of the current module. (checker.c) */
sym *check__new_sym(check_cx *cx, sym_kind kind, const char *name, const htype *ty, ast_node *decl);
/* Put the built-in error classes into the universe scope (make_universe calls it). */
void check__universe_classes(check_cx *cx);
/* Pass 1: declare every top-level class and interface name (before functions, whose
 * signatures may name them). */
void check__declare_classes(check_cx *cx);
/* Pass 1, after every top-level name is declared: bases, fields, method signatures, the rules
 * of language.md 6 that need no bodies; gives every method, init and static function its
 * function index. */
void check__resolve_classes(check_cx *cx);
/* Pass 3: the bodies of every class's methods, inits and static functions. */
void check__class_bodies(check_cx *cx);
/* The bodies of the methods, inits and static functions of resolved class ci. */
void check__class_body(check_cx *cx, cls_info *ci);
/* The class or interface type named by T_NAME/T_QUAL node t, or NULL when t names none
 * (nothing reported then, unless the name is a class used wrongly, e.g. with type args). */
const htype *check__class_type(check_cx *cx, ast_node *t);
/* Construction `C(args)` of the class a symbol names (call n, class cls). */
const htype *check__construct(check_cx *cx, ast_node *n, cls_info *cls);
/* `a.name(args)` when a is `super`, a class name, or a value of class type: sets *res and
 * returns true; false leaves the call to the other rules (the receiver may have been typed). */
bool check__class_call(check_cx *cx, ast_node *n, ast_node *callee, const htype **res);
/* `a.name` (not called) when a is `super`, a class name or a value of class type: field
 * access (annotates cmem); sets *res and returns true, or false when a is none of these. */
bool check__class_member(check_cx *cx, ast_node *n, const htype **res);
/* For an undefined name n inside a method that names a member of the class: report that
 * `self.` is missing and return true; else false (nothing reported). */
bool check__self_hint(check_cx *cx, ast_node *n);
/* `self` and `super` as expressions. */
const htype *check__self(check_cx *cx, ast_node *n);
/* `x is T` and `x as T`; the target type is left in n->type->ty. */
const htype *check__is_as(check_cx *cx, ast_node *n);
/* Resolve a class record made for a generic instance (bases, members), as pass 1 does for
 * declared classes; the caller has bound its type parameters. */
void check__resolve_class(check_cx *cx, cls_info *ci);
/* A class record for a declaration. */
cls_info *check__new_class(check_cx *cx, const char *name, cmodule *m, ast_node *decl);

/* ---- generic.c: generic classes, interfaces and functions (language.md 11) --------------------- */

/* The instance of generic class `gen` for type arguments targs[0..n), made (and resolved) on
 * first use; its type, or TY_ERROR after a message at `at`. */
const htype *check__instance(check_cx *cx, cls_info *gen, const htype *const *targs, int n, ast_node *at);
/* The type arguments written in `list` (T_ nodes) for generic class gen: its instance type. */
const htype *check__instance_of(check_cx *cx, cls_info *gen, ast_list *list, ast_node *at);
/* Pass 1: a generic top-level function: its symbol only (instances are made at calls). */
void check__declare_generic_fn(check_cx *cx, ast_node *n);
/* A call of generic function symbol y (explicit type arguments in `targs`, or NULL to infer). */
const htype *check__generic_call(check_cx *cx, ast_node *n, sym *y, ast_list *targs);
/* Construction of generic class gen with its type arguments inferred from the arguments. */
const htype *check__generic_construct(check_cx *cx, ast_node *n, cls_info *gen);
/* A call whose callee carries explicit type arguments: `f<int>(...)`, `Stack<int>(...)`. Sets
 * *res and returns true when the callee is a generic function or class. */
bool check__explicit_call(check_cx *cx, ast_node *n, const htype **res);
/* Check the bodies of generic instances made so far (and of those they make in turn); true
 * when there was anything to check. */
bool check__generic_bodies(check_cx *cx);
/* Pass 3, first: check every generic class, interface and function of the module once on its
 * own, its type parameters opaque (the error type, which accepts anything silently), so its
 * own errors are found whether or not it is instantiated, and reported in its own file. */
void check__generic_decls(check_cx *cx);
/* Release what generic.c kept for the module (after pass 3). */
void check__generic_done(check_cx *cx);
/* Run f(cx, arg) with the type parameters of instance class ci (or none) bound and the lookups
 * of its generic's module in effect. */
void check__with_bindings(check_cx *cx, cls_info *ci, void (*f)(check_cx *, void *), void *arg);

/* ---- checker.c, for the other checker files ----------------------------------------------- */

/* Check a block in a scope of its own (or a single statement). */
void check__block(check_cx *cx, ast_node *b);
/* Bind a new local variable in the current scope, with a new slot stored into *slot. */
sym *check__bind_local(check_cx *cx, const char *name, const htype *ty, bool mutable_, ast_node *decl, int *slot);
/* The structural rule for functions with a result: the body ends in a return (or throw...). */
bool check__ends_in_return(const ast_node *n);
/* Move the slot types of a finished function into the arena. */
void check__finish_locals(check_cx *cx, fn_cx *f, ast_node *at);

/* ---- check_fn.c: function values, closures, exceptions, closure-taking list methods ------ */

/* The class type of the built-in error `name` ("Error", "ValueError", ...), or TY_ERROR.
 * Defined with the classes (cls); check_fn.c uses it for throw and catch. */
const htype *check__error_class(check_cx *cx, const char *name);
/* E_FN: an anonymous function, checked on the spot as a function nested in the current one. */
const htype *check__fn_expr(check_cx *cx, ast_node *n);
/* D_FN inside a block: a local holding the function's closure, then its body. */
void check__nested_fn(check_cx *cx, ast_node *n);
/* Local y of the enclosing function `owner`, as the current function sees it: its capture. */
sym *check__capture(check_cx *cx, sym *y, fn_cx *owner);
/* A named function (SYM_FN) used as a value: its type, or TY_ERROR after a message. A function
 * of another module or a native gets a forwarding function in this module (ast_fn.forward). */
const htype *check__fn_value(check_cx *cx, ast_node *at, sym *y);
/* A call of the value n->a, already checked as type t: CALL_VALUE when t is a function type. */
const htype *check__value_call(check_cx *cx, ast_node *n, const htype *t);
/* list.sort_by(cmp), list.map(f), list.filter(f) on a receiver of list type rt. */
const htype *check__list_fn_method(check_cx *cx, ast_node *n, ast_node *callee, const htype *rt);
/* `throw e` and `try ... catch ... finally`. */
void check__throw(check_cx *cx, ast_node *n);
void check__try(check_cx *cx, ast_node *n);

#endif

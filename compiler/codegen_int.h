/* codegen_int.h — the code generator's state and the helpers its two files share
 * (codegen.c: constant pool, emission, statements, functions and the module; cg_expr.c:
 * expressions, calls and conditions). Nothing outside the code generator includes it.
 *
 * Emission keeps three facts current (codegen.c explains why): the operand-stack depth and
 * its maximum, the source line of the next instruction, and whether the current position is
 * reachable at all ("dead": nothing is emitted then).
 */
#ifndef HOLT_CODEGEN_INT_H
#define HOLT_CODEGEN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "checker.h"
#include "codegen.h"
#include "lexer.h"

/* How many of the last instructions the peephole remembers (codegen.c). */
#define CG_TAIL 4

/* A forward label: the jumps waiting for its address. */
typedef struct {
    struct cg_fix {
        uint32_t op;              /* offset of the jump's opcode byte (offsets are relative to it) */
        uint32_t opnd;            /* offset of its i32 operand */
    } *fix;
    int n, cap;
    int depth;                    /* stack depth every jump carries to the label */
} jlist;

typedef struct loop_cx {
    jlist brk;                    /* break jumps, placed after the loop */
    jlist cont;                   /* forward continue jumps (when cont_pc < 0) */
    int64_t cont_pc;              /* backward continue target, or -1 */
    struct loop_cx *outer;        /* enclosing loop */
    struct try_cx *try_;          /* innermost try around the loop (a jump out of the loop
                                     leaves the tries inside it: their finally code runs) */
} loop_cx;

typedef struct cg {
    compiler *c;
    cmodule *m;                   /* the module being generated */
    /* constant pool */
    bc_const *k;                  /* k[0] unused */
    uint32_t nk, capk;
    uint32_t *kh;                 /* open-addressed hash: constant index, 0 empty */
    uint32_t khcap;               /* power of two */
    int errors;                   /* reported problems; the module is dropped when non-zero */
    /* the function being generated */
    ast_fn *fn;
    const htype *ret;             /* its result type (TY_VOID for none; NULL in <main>) */
    holt_buf code;
    int depth, max;               /* operand-stack depth now and at most */
    bc_line *lines;
    uint32_t nlines, caplines;
    int line;                     /* source line of the next instruction */
    bool dead;                    /* no path reaches the current position */
    uint32_t label_pc;            /* latest position a jump targets: code before it is fixed */
    uint32_t tail[CG_TAIL];       /* opcode offsets of the last instructions emitted, the last
                                     first (UINT32_MAX: none): what the peephole may fuse */
    int tail_depth[CG_TAIL];      /* depth and max before each of them, restored when the */
    int tail_max[CG_TAIL];        /* peephole drops them, so max_stack stays exact */
    loop_cx *loop;                /* innermost loop */
    struct try_cx *try_;          /* innermost try statement being generated (cg_try.c) */
    bc_handler *handlers;         /* the function's exception table so far, innermost first */
    uint32_t nhandlers, caphandlers; /* used and allocated entries of handlers */
} cg;

/* Skip emission when nothing reaches here, or after an error (the output is dropped then). */
static inline bool cg__off(const cg *g) { return g->dead || g->errors; }

/* The line of node n applies to the instructions emitted next. */
static inline void cg__at(cg *g, const ast_node *n)
{
    if (n && n->line > 0)
        g->line = n->line;
}

/* ---- codegen.c ---------------------------------------------------------------------------- */

/* Report a problem at a node (fmt has one %s, filled with arg); the module is dropped. */
void cg__error(cg *g, const ast_node *at, const char *fmt, const char *arg);
/* The spelling of an operator token for messages ("?" when it is not one). */
const char *cg__tok_name(int tok);

/* Constants, interned: equal contents give the same index. */
uint16_t cg__k_type(cg *g, const htype *t);
uint16_t cg__k_ref(cg *g, int tag, const cmodule *mod, const char *name, const htype *ty);
uint16_t cg__k_native(cg *g, const char *name, const char *desc);
/* The NATIVE constant behind an @native function of a standard module: "<module>.<name>". */
uint16_t cg__k_native_fn(cg *g, const cmodule *mod, const char *name, const htype *ty);

/* Emit an opcode byte with its stack effect (pops, then pushes); operands follow. */
void cg__op(cg *g, bc_op o, int pops, int pushes);
void cg__op_u16(cg *g, bc_op o, uint32_t v, int pops, int pushes);
/* A forward jump (JMP, JT, JF) to label l; after JMP the position is dead. */
void cg__jump(cg *g, bc_op o, jlist *l);
/* Place label l here, resolving its jumps: code becomes reachable when some jump targets it. */
void cg__place(cg *g, jlist *l);
void cg__push_int(cg *g, int64_t v);
void cg__push_float(cg *g, double v);
void cg__push_str(cg *g, const char *s, size_t len);
/* Load or store a variable: local slot, global of this module, or another module's global. */
void cg__sym_access(cg *g, const ast_node *at, const sym *s, bool store);

uint16_t cg__k_cstr(cg *g, const char *s);
/* A FIELD or METHOD constant: the class's TYPE, the member's name and type. */
uint16_t cg__k_member(cg *g, int tag, const htype *cls, const char *name, const htype *ty);

/* ---- cg_class.c: classes, fields, methods, construction, is/as --------------------------- */

/* The class section of the module (bc->classes), from m->classes. */
void cg__classes(cg *g, bc_module *bc);
/* The calls of classes: CALL_NEW, CALL_VIRTUAL, CALL_SUPER, CALL_STATIC. */
void cg__class_call(cg *g, ast_node *e);
/* Reading a field (E_MEMBER with cmem): GETF. */
void cg__field_get(cg *g, ast_node *e);
/* `o.f = v` and `o.f op= v` (S_ASSIGN s whose target has cmem); `op` is the arithmetic opcode of
 * a compound assignment, or -1. */
void cg__field_assign(cg *g, ast_node *s, int op);
/* `x is T`, `x as T`. */
void cg__is_as(cg *g, ast_node *e);

/* ---- codegen.c, for cg_fn.c and cg_try.c ---------------------------------------------------- */

/* Generate a statement. */
void cg__stmt(cg *g, ast_node *s);
/* The value an assignment s stores: its right-hand side converted to ty, or, for a compound
 * one (op: its arithmetic opcode, else -1), the target's old value, already pushed, op the
 * right-hand side. False when code generation stopped. */
bool cg__assign_rhs(cg *g, ast_node *s, int op, const htype *ty);

/* ---- cg_fn.c: function values and closures -------------------------------------------------- */

/* Push a named function (SYM_FN) as a value: CLOSURE of it, or of its forwarding function. */
void cg__fn_value(cg *g, const ast_node *at, const sym *s);
/* E_FN: push the closure of an anonymous function. */
void cg__fn_expr(cg *g, ast_node *e);
/* D_FN in a block: store the closure of a nested named function into its local. */
void cg__nested_fn(cg *g, ast_node *s);
/* CALL_VALUE: the callee value, the arguments, CALLV. */
void cg__call_value(cg *g, ast_node *e);
/* `x = v` and `x op= v` for a captured local x: LOAD cell, value, CSET (op: opcode or -1). */
void cg__assign_captured(cg *g, ast_node *s, const sym *v, int op);
/* After a variable's value was stored into its ordinary slot (loop and catch variables),
 * move it into a new cell when closures capture it. NULL is fine. */
void cg__bind_cell(cg *g, const sym *v);
/* The start of a function: parameters that closures capture go into cells. */
void cg__prologue(cg *g, ast_fn *fn);
/* The body of a forwarding function (ast_fn.forward): call on with the same arguments. */
void cg__forward_body(cg *g, ast_fn *fn);

/* ---- cg_try.c: exceptions ------------------------------------------------------------------- */

void cg__throw(cg *g, ast_node *s);
void cg__try(cg *g, ast_node *s);
/* Leaving the tries from g->try_ out to `stop` (exclusive) by a jump: their finally code runs
 * here, and none of their handlers covers it. */
void cg__leave_tries(cg *g, struct try_cx *stop);
/* `return` inside a try with a finally; false when no finally lies between it and the
 * function's end (a plain return then). */
bool cg__try_return(cg *g, ast_node *s);

/* ---- cg_expr.c ---------------------------------------------------------------------------- */

/* Push the value of e. */
void cg__expr(cg *g, ast_node *e);
/* Push e as a value of type `want`: a null literal takes exactly that type. */
void cg__expr_to(cg *g, ast_node *e, const htype *want);
/* Jump to l when e evaluates to `sense`, fall through otherwise. */
void cg__branch(cg *g, ast_node *e, bool sense, jlist *l);
/* The arithmetic opcode of a binary operator token on operands of kind k, or -1. */
int cg__arith_op(int tok, ty_kind k);
/* The opcode reading a[i] for a container of kind k. */
bc_op cg__index_get(ty_kind k);

#endif

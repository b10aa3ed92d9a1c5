/* checker.h — name resolution and static types (language.md 2-5, 8-10, 13).
 *
 * The checker walks each module's tree after the modules it imports, gives every expression
 * its type, resolves every name to a symbol, decides how each call is made, assigns local
 * slots and function indexes, inserts E_CONV nodes for implicit conversions (int to float,
 * anything to any) and reports every independent error once (an expression whose type is
 * TY_ERROR reports nothing further).
 */
#ifndef HOLT_CHECKER_H
#define HOLT_CHECKER_H

#include <stdbool.h>

#include "ast.h"
#include "compile.h"
#include "types.h"

typedef enum {
    SYM_LOCAL,                    /* index = local slot in the current function */
    SYM_GLOBAL,                   /* index = global index in `module` */
    SYM_FN,                       /* index = function index in `module`; native: VM native */
    SYM_MODULE,                   /* an imported module's name; module = it */
    SYM_BUILTIN,                  /* print str int float chr assert input clock */
    SYM_CLASS,                    /* a class or interface (issue 3) */
} sym_kind;

typedef enum {
    BI_PRINT, BI_STR, BI_INT, BI_FLOAT,   /* compiled inline: TOSTR, F2I, I2F */
    BI_CHR, BI_ASSERT, BI_INPUT, BI_CLOCK /* calls of the natives "chr" "assert" "input" "clock" */
} builtin_id;

typedef struct sym {
    sym_kind kind;
    const char *name;
    const htype *ty;              /* LOCAL/GLOBAL: the variable's type; FN: the function's */
    bool is_mutable;              /* var, not let */
    int index;
    cmodule *module;              /* owner (GLOBAL, FN), or the module named (MODULE) */
    bool is_native;               /* FN: call the VM native "<module>.<name>" */
    builtin_id builtin;           /* BUILTIN */
    ast_node *decl;               /* the declaration, for messages */
    struct sym *overload;         /* next native of the same name with another signature */
} sym;

typedef enum {
    CALL_FN,                      /* a Holt function: target; CALL if target->module is the
                                     current module, else CALLX */
    CALL_NATIVE,                  /* CALLN native with signature sig */
    CALL_BUILTIN,                 /* builtin (print, str, int, float) */
    CALL_METHOD,                  /* method of a built-in type: receiver, then args; CALLN
                                     native ("str.split") with sig (receiver first) */
    CALL_VALUE,                   /* calling a function value (issue 3) */
} call_kind;

typedef struct call_info {
    call_kind kind;
    sym *target;                  /* CALL_FN */
    const char *native;           /* CALL_NATIVE, CALL_METHOD */
    const htype *sig;             /* CALL_NATIVE, CALL_METHOD: instantiated signature */
    builtin_id builtin;           /* CALL_BUILTIN */
    ast_node *receiver;           /* CALL_METHOD */
} call_info;

/* Check one parsed module whose imports are already checked. Errors go to m->diag. Returns
 * the number of errors. */
int check_module(compiler *c, cmodule *m);

#endif

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
    bool captured;                /* LOCAL: lives in a cell (some closure captures it, or it is
                                     a capture itself): every access is LOAD cell_slot, CGET/CSET */
    int cell_slot;                /* LOCAL, captured: the slot of type ^T holding the cell */
    struct cls_info *cls;         /* CLASS: the class or interface */
} sym;

typedef enum {
    CALL_FN,                      /* a Holt function: target; CALL if target->module is the
                                     current module, else CALLX */
    CALL_NATIVE,                  /* CALLN native with signature sig */
    CALL_BUILTIN,                 /* builtin (print, str, int, float) */
    CALL_METHOD,                  /* method of a built-in type: receiver, then args; CALLN
                                     native ("str.split") with sig (receiver first) */
    CALL_VALUE,                   /* calling a function value (issue 3) */
    /* classes (check_class.c, cg_class.c) */
    CALL_NEW,                     /* construct `cls`: NEW, DUP, args, CALL/CALLX of cls->init
                                     (a built-in error: SETF of LError;.message) */
    CALL_VIRTUAL,                 /* receiver.m(args): CALLVT (class) or CALLIF (interface)
                                     of METHOD (cls = the receiver's static class, method) */
    CALL_SUPER,                   /* super.m(args), super.init(args): self, args, direct
                                     CALL/CALLX of method->fn (or cls->init); a built-in
                                     error's init is SETF of LError;.message */
    CALL_STATIC,                  /* Rect.square(args): CALL/CALLX of method->fn */
} call_kind;

/* A field or method of a class or interface (check_class.c). */
typedef struct cls_member {
    const char *name;             /* source name */
    bool is_method;               /* a method (virtual or static); otherwise a field */
    bool is_static;               /* `static fn`: called on the class, without a receiver */
    const htype *ty;              /* field: its type; method: its signature without receiver */
    struct cls_info *owner;       /* the class or interface declaring it */
    ast_fn *fn;                   /* method: its function; NULL for interface methods */
    ast_node *decl;               /* D_FIELD or D_FN, for messages; NULL for built-ins */
} cls_member;

/* A class or interface as the checker knows it; TY_CLASS types point at it (htype.cls). */
typedef struct cls_info {
    const char *name;             /* source name: "Rect", "Stack<int>" */
    cmodule *module;              /* defining module; NULL for the built-in error classes */
    ast_node *decl;               /* D_CLASS or D_INTERFACE; NULL for built-ins */
    const htype *ty;              /* its TY_CLASS type */
    bool is_interface;            /* declared with `interface` */
    bool is_builtin;              /* a built-in error class of runtime/errors.def */
    struct cls_info *base;        /* base class, or NULL */
    struct cls_info **ifaces;     /* declared interfaces (of an interface: its base interfaces) */
    int nifaces;                  /* entries of ifaces */
    cls_member **members;         /* own fields and methods, in declaration order */
    int nmembers;                 /* entries of members */
    ast_fn *init;                 /* constructor, declared or made up; NULL for interfaces and
                                     built-ins */
    int state;                    /* 0 declared, 1 resolving its bases, 2 bases known, 3 members
                                     known, 4 bodies checked */
    struct cls_info *generic;     /* an instance: the generic class it instantiates */
    const htype **targs;          /* an instance: its type arguments */
    int ntargs;                   /* entries of targs */
    const struct inst_site *site; /* an instance: where its errors are reported (generic.c) */
    struct cls_info **instances;  /* a generic class: its instances so far */
    int ninstances, capinstances; /* used and allocated entries of instances */
} cls_info;

typedef struct call_info {
    call_kind kind;
    sym *target;                  /* CALL_FN */
    const char *native;           /* CALL_NATIVE, CALL_METHOD */
    const htype *sig;             /* CALL_NATIVE, CALL_METHOD: instantiated signature */
    builtin_id builtin;           /* CALL_BUILTIN */
    ast_node *receiver;           /* CALL_METHOD, CALL_VIRTUAL (CALL_SUPER: the E_SUPER node) */
    cls_info *cls;                /* CALL_NEW, CALL_VIRTUAL, CALL_SUPER, CALL_STATIC */
    cls_member *method;           /* CALL_VIRTUAL, CALL_SUPER (NULL for init), CALL_STATIC */
} call_info;

/* Check one parsed module whose imports are already checked. Errors go to m->diag. Returns
 * the number of errors. */
int check_module(compiler *c, cmodule *m);

#endif

/* types.h — Holt's static types inside the compiler.
 *
 * Types are interned in a type table (ty_table): two types are equal exactly when their
 * pointers are equal, so the checker compares with ==. Every type has a canonical descriptor
 * (bytecode.h), which is what the code generator writes into TYPE constants.
 */
#ifndef HOLT_TYPES_H
#define HOLT_TYPES_H

#include <stdbool.h>

typedef enum {
    TY_ERROR,      /* the type of an expression that already produced a diagnostic; it is
                      compatible with everything so one mistake reports once */
    TY_VOID,       /* the result of a function that returns nothing */
    TY_NULL,       /* the literal null before context gives it a reference type */
    TY_INT,
    TY_FLOAT,
    TY_BOOL,
    TY_STR,
    TY_ANY,
    TY_LIST,       /* elem */
    TY_MAP,        /* key, elem (the value type) */
    TY_FN,         /* params, nparams, ret */
    TY_CLASS,      /* name, cls (issue 3) */
    TY_MODULE,     /* the type of an imported module's name; never a value */
    TY_TYPEVAR,    /* a generic parameter (issue 3) */
    TY_CELL,       /* elem: the cell holding a captured variable ("^T"); only local slot types,
                      never a source type (closures, compiler/check_fn.c) */
} ty_kind;

typedef struct htype htype;
struct htype {
    ty_kind kind;
    const htype *elem;            /* LIST element, MAP value */
    const htype *key;             /* MAP key */
    const htype **params;         /* FN parameters */
    int nparams;
    const htype *ret;             /* FN result (TY_VOID for none) */
    const char *name;             /* CLASS / TYPEVAR / MODULE name */
    void *cls;                    /* CLASS: the checker's class record (struct cls_info) */
    const htype *const *supers;   /* CLASS: direct supertypes (base class, then interfaces) */
    int nsupers;                  /* entries of supers */
    const char *desc;             /* canonical descriptor, "[I", "(SI)V" */
};

typedef struct ty_table ty_table;

ty_table *ty_table_new(void);
void ty_table_free(ty_table *t);

/* The basic types of a table. */
const htype *ty_basic(ty_table *t, ty_kind k);
const htype *ty_list(ty_table *t, const htype *elem);
const htype *ty_map(ty_table *t, const htype *key, const htype *value);
const htype *ty_fn(ty_table *t, const htype *const *params, int nparams, const htype *ret);
/* The cell type "^T" of a captured variable of type elem. */
const htype *ty_cell(ty_table *t, const htype *elem);
/* The class or interface type of descriptor "L<qual>;" (qual is "app.Rect", "Error",
 * "app.Stack<int>"), spelled `spelling` in messages ("Rect", "util.Point"); `cls` is the
 * checker's record. The first call for a descriptor creates the type; later calls return it
 * unchanged (cls and spelling of the first call stay). */
const htype *ty_class(ty_table *t, const char *qual, const char *spelling, void *cls);
/* Record the direct supertypes of a class type (ty_assignable follows them). The checker
 * calls it once per class, after refusing cyclic inheritance; n entries are copied. */
void ty_set_supers(ty_table *t, const htype *cls, const htype *const *supers, int n);
/* Whether class type `sub` is `sup` or reaches it through supertypes. */
bool ty_subclass(const htype *sub, const htype *sup);
/* Parse a descriptor ("[I", "(SS)[S"); type variables T U K E map through `vars` when it is
 * non-NULL (vars['T'-'A'] ...), else they are an error. NULL on a malformed descriptor. */
const htype *ty_from_desc(ty_table *t, const char *desc, const htype *const vars[26]);

/* Source spelling for messages: "[int]", "{str: int}", "fn(int) -> str". */
const char *ty_name(const htype *ty);
/* A reference type: admits null. */
bool ty_is_ref(const htype *ty);
/* `from` can be stored where `to` is expected without an explicit cast (same type, int to
 * float, anything to any, null to a reference type, a class to its base classes and
 * interfaces, TY_ERROR either side). */
bool ty_assignable(const htype *from, const htype *to);

#endif

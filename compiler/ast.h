/* ast.h — the syntax tree the parser builds, the checker annotates and the code generator
 * walks. Nodes live in an arena (ast_arena) owned by the compilation; nothing is freed one by
 * one.
 *
 * Who writes what:
 *   parser   kind, line, col and the syntactic fields of each node
 *   checker  `ty` on every expression, `sym` on names, `call` on calls, `member` on member
 *            accesses, `slot` on declarations that bind locals, `fn->nlocals`/`local_types`,
 *            and inserts conversion nodes (E_CONV) where int widens to float or a value
 *            becomes `any`
 *   codegen  reads only; never re-derives a type
 */
#ifndef HOLT_AST_H
#define HOLT_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

typedef struct ast_node ast_node;

typedef struct {
    ast_node **items;
    int n;
    int cap;                      /* allocated entries (ast_list_push grows it; 0 is fine) */
} ast_list;

/* Node kinds. E_ expressions, S_ statements, D_ declarations, T_ syntactic types. */
#define AST_KINDS(X)                                                                           \
    X(E_INT)      /* i */                                                                      \
    X(E_FLOAT)    /* f */                                                                      \
    X(E_STR)      /* str, len: escapes already decoded */                                      \
    X(E_INTERP)   /* list: parts, E_STR pieces and expressions, in order */                    \
    X(E_BOOL)     /* b */                                                                      \
    X(E_NULL)                                                                                  \
    X(E_NAME)     /* name; list = explicit type args `Stack<int>(...)`; checker: sym */       \
    X(E_SELF)                                                                                  \
    X(E_SUPER)                                                                                 \
    X(E_UNARY)    /* op (TOK_MINUS, TOK_BANG, TOK_TILDE), a */                                 \
    X(E_BINARY)   /* op (tok_kind), a, b */                                                    \
    X(E_CALL)     /* a = callee, list = args; checker: call */                                 \
    X(E_INDEX)    /* a[b] */                                                                   \
    X(E_MEMBER)   /* a.name; list = explicit type args; checker: member */                     \
    X(E_LIST)     /* list = items */                                                           \
    X(E_REPEAT)   /* [a; b] */                                                                 \
    X(E_MAP)      /* list = k1 v1 k2 v2 ... */                                                 \
    X(E_FN)       /* fn = anonymous function */                                                \
    X(E_IS)       /* a is type */                                                              \
    X(E_AS)       /* a as type */                                                              \
    X(E_CONV)     /* checker only: a converted to ty (int->float, value->any) */               \
    X(S_LET)      /* name, is_var, type (may be NULL), a = init (may be NULL); checker: slot */\
    X(S_ASSIGN)   /* op ('=' or the compound tok_kind), a = target, b = value */               \
    X(S_EXPR)     /* a */                                                                      \
    X(S_IF)       /* a = cond, b = then (S_BLOCK), c = else (S_BLOCK, S_IF or NULL) */         \
    X(S_WHILE)    /* a = cond, b = body */                                                     \
    X(S_FOR)      /* name (, name2), a = iterable or range start, c = range end or NULL,      \
                     b = body; checker: slot (first var), slot2, hidden;               \
                     sym = first variable, member = second */                                  \
    X(S_BREAK)                                                                                 \
    X(S_CONTINUE)                                                                              \
    X(S_RETURN)   /* a (may be NULL) */                                                        \
    X(S_BLOCK)    /* list */                                                                   \
    X(S_THROW)    /* a */                                                                      \
    X(S_TRY)      /* b = body, list = catches (S_CATCH), c = finally block or NULL */          \
    X(S_CATCH)    /* name, type, b = body */                                                   \
    X(S_IMPORT)   /* name = dotted path "lib.util", name2 = alias or NULL */                  \
    X(D_FN)       /* fn */                                                                     \
    X(D_CLASS)    /* cls */                                                                    \
    X(D_INTERFACE)/* cls */                                                                    \
    X(D_FIELD)    /* name, type, a = initializer or NULL */                                    \
    X(T_NAME)     /* name: int float bool str any or a class; list = type args */             \
    X(T_LIST)     /* a = element */                                                            \
    X(T_MAP)      /* a = key, b = value */                                                     \
    X(T_FN)       /* list = params, a = result or NULL */                                      \
    X(T_QUAL)     /* name = module alias, name2 = type name: util.Point; list = type args */

typedef enum {
#define X(k) k,
    AST_KINDS(X)
#undef X
    AST__COUNT
} ast_kind;

/* What the parser builds, where the list above leaves a choice:
 *  - line/col is the node's first token, for operators too (E_BINARY: its left operand).
 *    Parentheses make no node.
 *  - `-9223372036854775808` (minus applied directly to that literal) is one E_INT holding
 *    INT64_MIN; every other negation is an E_UNARY.
 *  - E_INTERP: E_STR pieces (empty ones left out) and expressions in source order.
 *  - S_IF: `else if` is c = another S_IF. S_FOR: `for i, x in xs` has name = i, name2 = x;
 *    the parser also accepts two names with a range (`for i, x in 0..n`): the checker
 *    rejects it. S_RETURN with no value: a = NULL.
 *  - D_FN appears at the top level, in blocks (nested named functions) and as a class or
 *    interface member (D_CLASS/D_INTERFACE cls->members); a constructor is the D_FN named
 *    "init"; `static fn` sets is_static. Interface methods and `@native fn` have no body
 *    (fn->body NULL). E_FN is an anonymous function (fn->name NULL).
 *  - D_CLASS, D_INTERFACE and S_IMPORT occur only in the file's top-level block.
 *  - A statement with a syntax error is left out of the tree; run no later pass on a file
 *    whose parse reported errors. */

extern const char *const ast_kind_names[AST__COUNT];

typedef struct ast_param {
    const char *name;
    ast_node *type;               /* syntactic type */
    int line, col;
} ast_param;

/* A function: named (D_FN), method, init, or anonymous (E_FN). */
typedef struct ast_fn {
    const char *name;             /* NULL for anonymous; "init" for constructors */
    ast_param *params;
    int nparams;
    ast_node *result;             /* syntactic result type, NULL for none */
    ast_node *body;               /* S_BLOCK */
    bool is_static;               /* static fn inside a class */
    bool is_native;               /* `@native fn` in a standard-library source: no body; calls
                                     go to the VM native "module.name" */
    ast_list type_params;         /* generics: T_NAME nodes (names only) */
    /* checker */
    const htype *ty;              /* the function's type */
    int nlocals;                  /* parameters first, then every local and hidden slot */
    const htype **local_types;    /* nlocals entries */
    int index;                    /* function index in the module (bc_module.funcs) */
    /* closures (checker, compiler/check_fn.c) */
    int ncaps;                    /* captured variables: locals 0 .. ncaps-1 hold their cells */
    struct sym **caps;            /* ncaps entries: each captured variable as the enclosing
                                     function sees it, where CLOSURE's cells are loaded from */
    struct sym **param_cells;     /* parameters some closure captures: put in cells on entry */
    int nparam_cells;
    int param_cells_cap;          /* allocated entries of param_cells */
    struct sym *forward;          /* a function of another module (or a native) this one only
                                     calls on, so that it can be used as a value */
    const char *bc_name;          /* checker: name in bytecode when it is not `name`
                                     ("Rect.area", "first<int>"); NULL otherwise */
} ast_fn;

typedef struct ast_class {
    const char *name;
    ast_list bases;               /* syntactic types: base class first, then interfaces */
    ast_list members;             /* D_FIELD and D_FN */
    ast_list type_params;
} ast_class;

struct sym;                       /* checker.h */
struct call_info;                 /* checker.h */

struct ast_node {
    uint8_t kind;                 /* ast_kind */
    int line, col;                /* 1-based, of the node's first token */
    const htype *ty;              /* checker: the type of an expression */

    int op;                       /* operator token (tok_kind) for E_UNARY/E_BINARY/S_ASSIGN */
    bool is_var;                  /* S_LET: var (mutable) rather than let */
    const char *name;             /* names; interned in the arena */
    const char *name2;
    ast_node *a, *b, *c;          /* children, see AST_KINDS */
    ast_node *type;               /* syntactic type for S_LET, E_IS, E_AS, S_CATCH, D_FIELD */
    ast_list list;

    union {
        int64_t i;                /* E_INT */
        double f;                 /* E_FLOAT */
        bool b;                   /* E_BOOL */
        struct {
            const char *str;      /* E_STR: decoded bytes plus a NUL */
            size_t len;
        } s;
        ast_fn *fn;               /* D_FN, E_FN */
        ast_class *cls;           /* D_CLASS, D_INTERFACE */
    } u;

    /* checker annotations */
    struct sym *sym;              /* E_NAME, S_LET, S_FOR's variable: what it names */
    struct call_info *call;       /* E_CALL: how to call */
    struct sym *member;           /* E_MEMBER of a module or builtin type: what it names */
    int slot, slot2;              /* S_LET / S_FOR: local slots of the bound variables */
    int hidden;                   /* S_FOR, compound S_ASSIGN: first hidden local slot */
    struct cls_member *cmem;      /* E_MEMBER naming a field or method of a class (checker.h) */
};

/* ---- arena ------------------------------------------------------------------------------ */

typedef struct ast_arena ast_arena;

ast_arena *ast_arena_new(void);
void ast_arena_free(ast_arena *a);
/* Zeroed memory that lives as long as the arena. Never returns NULL (aborts on host OOM). */
void *ast_alloc(ast_arena *a, size_t size);
/* Room for one more item in the arena array items[0..n) of *cap items of size elem: items
 * itself, or a copy twice as large (4 items the first time), with *cap updated. */
void *ast_grow(ast_arena *a, void *items, int n, int *cap, size_t elem);
/* A NUL-terminated copy of s[0..len) in the arena. */
const char *ast_strdup(ast_arena *a, const char *s, size_t len);
/* The interned copy of s[0..len): equal strings give the same pointer. Every name the parser
 * stores (node name/name2, fn, param and class names) is interned, so names compare with ==
 * as well as with strcmp. */
const char *ast_intern(ast_arena *a, const char *s, size_t len);
ast_node *ast_new(ast_arena *a, ast_kind kind, int line, int col);
void ast_list_push(ast_arena *a, ast_list *l, ast_node *n);

/* Write the tree as an indented S-expression (for tests and `holt dis --ast`). */
struct holt_buf;
void ast_dump(const ast_node *n, struct holt_buf *out);

#endif

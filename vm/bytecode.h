/* bytecode.h — Holt bytecode modules in memory, as the compiler produces them, the .hbc reader
 * returns them, the verifier checks them and the linker binds them. The file format that
 * carries them is in docs/bytecode.md (OFFSET / SIZE / DESCRIPTION tables) and bcfile.c.
 *
 * A module is: its name, the source path its line tables refer to, a constant pool, a list of
 * globals, a list of functions and the index of its top-level function. Everything that names
 * something outside the module does so through the constant pool by name and type descriptor
 * (like the JVM's symbolic references), so modules link by name, not by position.
 *
 * Type descriptors (strings, also in docs/bytecode.md):
 *   I int · F float · Z bool · S str · A any · V nothing (function results only)
 *   [x  list of x            {kv  map from k to v        (a b ...)r  function
 *   Lname;  class or interface: "Lapp.Rect;" (defining module, '.', source name) for user
 *           classes, "LIndexError;" for the built-in error classes; a generic instance is
 *           named by its source spelling, "Lapp.Stack<int>;" (any bytes but ';' and NUL)
 *   ^x      a cell holding an x: the storage of a captured variable (never a source type)
 * A descriptor is canonical: the same type always has the same spelling.
 *
 * Invariants the verifier checks (vm/verify.h): every constant index is in range and of the
 * tag its use needs; every jump lands on an instruction start inside the function; stack depth
 * and types agree at every join; no path falls off the end; max_stack bounds the depth.
 */
#ifndef HOLT_BYTECODE_H
#define HOLT_BYTECODE_H

#include <stddef.h>
#include <stdint.h>

/* ---- opcodes ---------------------------------------------------------------------------- */

typedef enum {
#define OP(name, operands, pops, pushes, doc) OP_##name,
#include "opcodes.def"
#undef OP
    OP__COUNT
} bc_op;

typedef struct {
    const char *name;     /* "IADD" */
    const char *operands; /* operand letters, see opcodes.def */
    const char *pops;     /* type pattern popped, bottom first, or "*" */
    const char *pushes;   /* type pattern pushed, or "*" */
    const char *doc;      /* one line of semantics */
    uint8_t size;         /* 1 + the operand bytes */
} bc_opinfo;

extern const bc_opinfo bc_ops[OP__COUNT]; /* indexed by bc_op; defined in bytecode.c */

/* ---- constant pool ---------------------------------------------------------------------- */

#define BC_CONST_TAGS(X)                                                                       \
    X(INT, 1, "int: i")                                                                        \
    X(FLOAT, 2, "float: f")                                                                    \
    X(STR, 3, "UTF-8 bytes: s")                                                                \
    X(TYPE, 4, "a type descriptor: desc (index of a STR)")                                     \
    X(MODULE, 5, "a module this one uses: name (STR), version (0 = user module; std modules carry the std version)") \
    X(FUNC, 6, "a function of another module: module (MODULE), name (STR), type (TYPE)")       \
    X(GLOBAL, 7, "a global of another module: module (MODULE), name (STR), type (TYPE)")       \
    X(NATIVE, 8, "a VM native: name (STR, \"str.split\"), type (TYPE, instantiated signature)") \
    X(FIELD, 9, "a field of a class: class (TYPE), name (STR), type (TYPE)")                   \
    X(METHOD, 10, "a virtual method of a class or interface: class (TYPE), name (STR), type (TYPE, without the receiver)")

typedef enum {
#define X(name, val, doc) BC_K_##name = val,
    BC_CONST_TAGS(X)
#undef X
} bc_ktag;

typedef struct {
    uint8_t tag;                 /* bc_ktag */
    union {
        int64_t i;               /* INT */
        double f;                /* FLOAT */
        struct {
            uint32_t len;        /* byte length, no terminator counted */
            char *bytes;         /* len bytes plus a NUL, owned by the module */
        } s;                     /* STR */
        uint16_t desc;           /* TYPE: index of the STR holding the descriptor */
        struct {
            uint16_t name;       /* STR: "math", "lib.util" */
            uint16_t version;    /* 0 for user modules, HOLT_STD_VERSION for standard ones */
        } mod;                   /* MODULE */
        struct {
            uint16_t module;     /* MODULE constant; unused for NATIVE; the class's TYPE
                                    constant for FIELD and METHOD */
            uint16_t name;       /* STR */
            uint16_t type;       /* TYPE */
        } ref;                   /* FUNC, GLOBAL, NATIVE */
    } u;
} bc_const;

/* ---- globals and functions -------------------------------------------------------------- */

enum {
    BC_GLOBAL_MUTABLE = 1,       /* declared with var */
    BC_PRIVATE = 2,              /* name begins with '_': not visible to importers */
};

typedef struct {
    uint16_t name;               /* STR */
    uint16_t type;               /* TYPE */
    uint16_t flags;              /* BC_GLOBAL_MUTABLE | BC_PRIVATE */
} bc_global;

typedef struct {
    uint32_t pc;                 /* first instruction offset this entry covers */
    uint32_t line;               /* 1-based source line */
} bc_line;

/* An exception handler: a throw at a pc in [start, end) of its function whose error is of
 * class `type` or a subclass lands at `handler` with the operand stack holding only the error.
 * Entries are searched in order; the first match wins, so inner handlers come first. */
typedef struct {
    uint32_t start, end;         /* the protected range of code offsets, end exclusive */
    uint32_t handler;            /* code offset of the handler's first instruction */
    uint16_t type;               /* TYPE constant of the class caught; 0 catches every error
                                    (the handler sees it as LError;), as `finally` needs */
} bc_handler;

typedef struct {
    uint16_t name;               /* STR: "add", "<main>" for the top level, "Rect.area" for a
                                    method, "<fn>" for an anonymous function */
    uint16_t type;               /* TYPE: "(II)I" */
    uint16_t flags;              /* BC_PRIVATE */
    uint16_t ncaps;              /* captured cells: locals 0 .. ncaps-1, filled from the
                                    closure by CALLV; a function with captures is called only
                                    through a closure */
    uint16_t nparams;            /* parameters are locals ncaps .. ncaps+nparams-1 (a method's
                                    receiver is its first parameter) */
    uint16_t nlocals;            /* captures and parameters included */
    uint16_t *local_types;       /* nlocals TYPE constants; locals start as zero / null */
    uint16_t max_stack;          /* deepest operand stack, in slots */
    uint32_t code_len;
    uint8_t *code;
    uint32_t nlines;
    bc_line *lines;              /* sorted by pc; pc 0 is always covered */
    uint16_t nhandlers;
    bc_handler *handlers;        /* exception table, innermost first */
} bc_function;

/* A class or interface defined by this module. Its descriptor is the string of TYPE constant
 * `type`: "Lapp.Rect;" (module name, '.', source name). */
enum {
    BC_CLASS_INTERFACE = 4,      /* an interface: no fields, methods without code */
};

typedef struct {
    uint16_t name;               /* STR: the field's source name */
    uint16_t type;               /* TYPE */
} bc_field;

typedef struct {
    uint16_t name;               /* STR: the method's source name */
    uint16_t type;               /* TYPE: its signature without the receiver, "(F)F" */
    uint16_t func;               /* the function of this module implementing it (receiver
                                    first); BC_NO_FUNC for an interface method */
} bc_method;

#define BC_NO_FUNC 0xFFFF

typedef struct {
    uint16_t type;               /* TYPE constant naming this class */
    uint16_t flags;              /* BC_PRIVATE | BC_CLASS_INTERFACE */
    uint16_t super;              /* TYPE constant of the base class; 0 for none */
    uint16_t nifaces;
    uint16_t *ifaces;            /* TYPE constants of the interfaces it declares */
    uint16_t nfields;
    bc_field *fields;            /* its own fields; slots follow the base class's */
    uint16_t nmethods;
    bc_method *methods;          /* its own virtual methods, overrides included (not init,
                                    not static functions: those are plain functions) */
} bc_class;

typedef struct bc_module {
    char *name;                  /* "app", "lib.util" */
    char *path;                  /* source path used in stack traces: "lib/util.holt" */
    uint32_t nconsts;
    bc_const *consts;            /* index 0 is unused and never valid */
    uint16_t nglobals;
    bc_global *globals;
    uint16_t nfuncs;
    bc_function *funcs;
    uint16_t nclasses;
    bc_class *classes;           /* in an order where a base class of this module comes
                                    before its subclasses */
    uint16_t main;               /* index of the top-level function "<main>", type "()V" */
} bc_module;

/* A deployable program: the entry module first, then every user module it imports, each once,
 * in an order where a module comes after... nothing is assumed about order beyond entry first. */
typedef struct {
    uint32_t nmodules;
    bc_module **modules;
} bc_bundle;

/* ---- helpers (bytecode.c) -------------------------------------------------------------- */

/* Free a module and everything it owns. NULL is fine. */
void bc_module_free(bc_module *m);
void bc_bundle_free(bc_bundle *b);

/* Little-endian operand access. `at` points at the operand. */
static inline uint16_t bc_u16(const uint8_t *at) { return (uint16_t)(at[0] | at[1] << 8); }
static inline int32_t bc_i32(const uint8_t *at)
{
    return (int32_t)((uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24);
}

/* The string of STR constant k, or NULL when k is not a STR. */
const char *bc_str(const bc_module *m, uint32_t k);
/* The descriptor of TYPE constant k, or NULL when k is not a TYPE. */
const char *bc_type(const bc_module *m, uint32_t k);
/* The source line of pc in f (0 when f has no line table). */
uint32_t bc_line_of(const bc_function *f, uint32_t pc);

#endif

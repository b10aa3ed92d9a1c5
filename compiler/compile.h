/* compile.h — the compiler driver: from a source file to a bundle of verified-to-be modules.
 *
 * It reads the entry file, parses it, follows its imports (language.md 10: `import lib.util`
 * loads lib/util.holt relative to the importing file, else the standard module of that name),
 * reports an import cycle naming the whole cycle, checks every module in dependency order and
 * generates code for each. Every diagnostic goes to the buffer given at creation, formatted as
 * language.md 13 says.
 *
 * Module names: the entry module is named after its file ("app" for app.holt); an imported
 * user module is named by its path relative to the entry file's folder with '/' as '.' and
 * no extension ("lib.util"); standard modules by their own name ("math").
 */
#ifndef HOLT_COMPILE_H
#define HOLT_COMPILE_H

#include <stdbool.h>

#include "ast.h"
#include "buf.h"
#include "bytecode.h"
#include "diag.h"
#include "types.h"

typedef struct compiler compiler;
struct scope;

/* One module being compiled. */
typedef struct cmodule {
    const char *name;             /* "app", "lib.util", "math" */
    const char *path;             /* as shown in diagnostics and traces: "lib/util.holt" */
    bool is_std;                  /* a standard module (source embedded in the binary) */
    char *src;                    /* the source text, owned */
    diag_ctx diag;                /* this file's diagnostics context */
    ast_node *root;               /* S_BLOCK of the file */
    struct cmodule **imports;     /* modules this one imports, in import order */
    int nimports;
    /* checker */
    struct scope *top;            /* top-level names: what importers see */
    ast_fn *main_fn;              /* the top level as a function "<main>" (index 0) */
    ast_fn **funcs;               /* every function in index order; funcs[0] = main_fn */
    int nfuncs;
    int funcs_cap;                /* allocated entries of funcs (check__add_fn grows it) */
    struct cls_info **classes;    /* classes and interfaces to emit, bases first (generic
                                     instances included) */
    int nclasses, classes_cap;    /* used and allocated entries of classes */
    ast_node **globals;           /* S_LET nodes of module globals, in global-index order */
    int nglobals;
    int *generic_errs;            /* line, col pairs of the errors found in this module's generic
                                     declarations checked on their own: no instance reports
                                     them again (generic.c) */
    int ngeneric_errs;            /* pairs in generic_errs */
    bool checked;
    /* codegen */
    bc_module *bc;
} cmodule;

struct compiler {
    ast_arena *arena;             /* every module's nodes */
    ty_table *types;
    holt_buf *diag_out;           /* formatted diagnostics */
    cmodule **modules;            /* every module loaded, entry first */
    int nmodules;
    char *root_dir;               /* folder of the entry file */
    int nerrors;
};

compiler *compiler_new(holt_buf *diag_out);
void compiler_free(compiler *c);

/* Compile the program whose entry file is `path`. Returns the bundle of user modules (entry
 * first; standard modules are referred to by name and version, not included), or NULL when
 * any file had an error. */
bc_bundle *compile_program(compiler *c, const char *path);

/* Parse and check `src` as the entry file `path` (imports resolve as for compile_program),
 * without generating code. Diagnostics go to diag_out; returns the number of errors. The
 * checked tree is c->modules[0]->root. For tests and tools. */
int check_source(compiler *c, const char *path, const char *src);

/* Compile the standard module `name` from its embedded source; NULL when there is none. */
bc_module *compile_std(compiler *c, const char *name);

/* The embedded source of standard module `name` (stdlib/<name>.holt), or NULL. Generated at
 * build time. */
const char *stdlib_source(const char *name);

#endif

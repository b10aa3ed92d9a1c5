/* compile.c — the compiler driver (compile.h): read, parse, follow imports, check in
 * dependency order, generate code.
 *
 * Loading is a depth-first walk over imports. A module is parsed when first reached, its
 * imports are loaded in order, and then it is checked, so every module is checked after the
 * modules it imports. The modules on the walk's current path are "active": reaching one of
 * them again closes an import cycle, reported at the import that closes it with the whole
 * cycle named.
 *
 * Diagnostics of each file are collected in a buffer of its own (its diag_ctx points there)
 * and appended to the compiler's output in file order — the order files were first loaded,
 * entry first — once loading is over.
 */
#include "compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checker.h"
#include "codegen.h"
#include "parser.h"

typedef struct {
    compiler *c;                  /* where loaded modules are recorded */
    cmodule **active;             /* the current import path, outermost first */
    int nactive, cap;             /* entries of active in use and allocated */
} loader;

compiler *compiler_new(holt_buf *diag_out)
{
    compiler *c = xcalloc(1, sizeof *c);
    c->arena = ast_arena_new();
    c->types = ty_table_new();
    c->diag_out = diag_out;
    c->root_dir = xstrdup("");
    return c;
}

void compiler_free(compiler *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->nmodules; i++) {
        cmodule *m = c->modules[i];
        free(m->src);
        free(m->imports);
        if (m->diag.out) {
            buf_free(m->diag.out);
            free(m->diag.out);
        }
        /* m->bc belongs to whoever received it (a bundle or compile_std's caller). */
        free(m);
    }
    free(c->modules);
    free(c->root_dir);
    ty_table_free(c->types);
    ast_arena_free(c->arena);
    free(c);
}

/* ---- files and names ------------------------------------------------------------------------- */

/* "a/b/c.holt" -> "a/b"; "c.holt" -> "". */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup("");
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1;                    /* "/c.holt": the root folder */
    char *d = xmalloc(n + 1);
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

/* dir + "/" + rel in the arena ("" dir: rel itself). */
static const char *join(compiler *c, const char *dir, const char *rel)
{
    size_t ld = strlen(dir), lr = strlen(rel);
    if (ld == 0)
        return ast_strdup(c->arena, rel, lr);
    bool slash = dir[ld - 1] == '/';
    char *s = ast_alloc(c->arena, ld + lr + 2);
    memcpy(s, dir, ld);
    if (!slash)
        s[ld++] = '/';
    memcpy(s + ld, rel, lr + 1);
    return s;
}

/* The module name of the entry file: its base name without ".holt". */
static const char *entry_name(compiler *c, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".holt") == 0)
        n -= 5;
    return ast_strdup(c->arena, base, n);
}

static cmodule *find_module(compiler *c, const char *name, bool is_std)
{
    for (int i = 0; i < c->nmodules; i++)
        if (c->modules[i]->is_std == is_std && strcmp(c->modules[i]->name, name) == 0)
            return c->modules[i];
    return NULL;
}

static cmodule *new_module(compiler *c, const char *name, const char *path, bool is_std, char *src, size_t len)
{
    cmodule *m = xcalloc(1, sizeof *m);
    m->name = name;
    m->path = path;
    m->is_std = is_std;
    m->src = src;
    m->diag.path = path;
    m->diag.src = src;
    m->diag.len = len;
    m->diag.out = xcalloc(1, sizeof(holt_buf));
    buf_init(m->diag.out);
    c->modules = xrealloc(c->modules, (size_t)(c->nmodules + 1) * sizeof *c->modules);
    c->modules[c->nmodules++] = m;
    return m;
}

/* ---- loading --------------------------------------------------------------------------------- */

static void load(loader *ld, cmodule *m);

static bool is_active(loader *ld, const cmodule *m)
{
    for (int i = 0; i < ld->nactive; i++)
        if (ld->active[i] == m)
            return true;
    return false;
}

static void report_cycle(loader *ld, cmodule *from, ast_node *imp, cmodule *target)
{
    holt_buf b;
    buf_init(&b);
    int start = 0;
    while (start < ld->nactive && ld->active[start] != target)
        start++;
    for (int i = start; i < ld->nactive; i++)
        buf_printf(&b, "%s -> ", ld->active[i]->name);
    buf_puts(&b, target->name);
    diag_error(&from->diag, imp->line, imp->col, "import cycle: %s", b.data);
    buf_free(&b);
}

/* The folder, relative to the entry's folder, that a user module's imports start from. */
static const char *rel_dir(compiler *c, const cmodule *m)
{
    /* User module paths are the root folder joined with the module's relative path. */
    size_t lr = strlen(c->root_dir);
    const char *rel = m->path;
    if (m != c->modules[0] && lr > 0)
        rel += lr + (c->root_dir[lr - 1] == '/' ? 0 : 1);
    const char *slash = strrchr(rel, '/');
    if (!slash || m == c->modules[0])
        return "";
    return ast_strdup(c->arena, rel, (size_t)(slash - rel));
}

/* Resolve one top-level import of `from` and bind its name (imp->sym). */
static void resolve_import(loader *ld, cmodule *from, ast_node *imp)
{
    compiler *c = ld->c;
    const char *dotted = imp->name ? imp->name : "";
    const char *last = strrchr(dotted, '.');
    sym *y = ast_alloc(c->arena, sizeof *y);
    y->kind = SYM_MODULE;
    y->name = imp->name2 ? imp->name2 : last ? last + 1 : dotted;
    y->decl = imp;
    y->index = -1;
    imp->sym = y;

    cmodule *target = NULL;
    if (!from->is_std) {
        /* lib.util -> <folder of the importing file>/lib/util.holt */
        size_t n = strlen(dotted);
        char *rel = ast_alloc(c->arena, n + 6);
        for (size_t i = 0; i < n; i++)
            rel[i] = dotted[i] == '.' ? '/' : dotted[i];
        memcpy(rel + n, ".holt", 6);
        const char *rdir = rel_dir(c, from);
        const char *relpath = join(c, rdir, rel);
        const char *fspath = join(c, c->root_dir, relpath);
        struct stat st;
        if (stat(fspath, &st) == 0 && S_ISREG(st.st_mode)) {
            size_t rl = strlen(relpath) - 5;
            char *name = ast_alloc(c->arena, rl + 1);
            for (size_t i = 0; i < rl; i++)
                name[i] = relpath[i] == '/' ? '.' : relpath[i];
            target = find_module(c, name, false);
            if (!target) {
                size_t len;
                char *src = buf_read_file(fspath, &len);
                if (!src) {
                    diag_error(&from->diag, imp->line, imp->col, "cannot read '%s': %s", fspath, strerror(errno));
                    return;
                }
                target = new_module(c, name, fspath, false, src, len);
                load(ld, target);
            }
        }
    }
    if (!target) {
        target = find_module(c, dotted, true);
        if (!target) {
            const char *src = stdlib_source(dotted);
            if (!src) {
                diag_error(&from->diag, imp->line, imp->col, "no module named '%s'", dotted);
                return;
            }
            size_t len = strlen(src);
            char *copy = xmalloc(len + 1);
            memcpy(copy, src, len + 1);
            size_t pl = strlen(dotted);
            char *path = ast_alloc(c->arena, pl + 10);
            snprintf(path, pl + 10, "std/%s.holt", dotted);
            target = new_module(c, ast_strdup(c->arena, dotted, pl), path, true, copy, len);
            load(ld, target);
        }
    }
    if (is_active(ld, target)) {
        report_cycle(ld, from, imp, target);
        return;
    }
    y->module = target;
    from->imports = xrealloc(from->imports, (size_t)(from->nimports + 1) * sizeof *from->imports);
    from->imports[from->nimports++] = target;
}

/* Parse m, load its imports, check it. */
static void load(loader *ld, cmodule *m)
{
    compiler *c = ld->c;
    parse_opts opts = {.allow_native = m->is_std};
    m->root = parse_file(&m->diag, c->arena, &opts);
    int parse_errors = m->diag.nerrors;

    if (ld->nactive == ld->cap) {
        ld->cap = ld->cap ? ld->cap * 2 : 8;
        ld->active = xrealloc(ld->active, (size_t)ld->cap * sizeof *ld->active);
    }
    ld->active[ld->nactive++] = m;
    if (m->root) {
        for (int i = 0; i < m->root->list.n; i++) {
            ast_node *n = m->root->list.items[i];
            if (n && n->kind == S_IMPORT)
                resolve_import(ld, m, n);
        }
    }
    ld->nactive--;

    /* A file that did not parse is not checked: its tree is partial, and checking it would
     * report consequences of the syntax errors. Importers see no members (silently). */
    if (parse_errors == 0 && m->root)
        check_module(c, m);
}

/* Append every module's diagnostics to the output, in file order, and count them. */
static int flush_diags(compiler *c)
{
    int n = 0;
    for (int i = 0; i < c->nmodules; i++) {
        cmodule *m = c->modules[i];
        if (m->diag.out->len)
            buf_put(c->diag_out, m->diag.out->data, m->diag.out->len);
        buf_reset(m->diag.out);
        n += m->diag.nerrors;
        m->diag.nerrors = 0;
    }
    c->nerrors += n;
    return n;
}

static int load_entry(compiler *c, const char *path, char *src, size_t len)
{
    free(c->root_dir);
    c->root_dir = dir_of(path);
    cmodule *m = new_module(c, entry_name(c, path), ast_strdup(c->arena, path, strlen(path)), false, src, len);
    loader ld = {.c = c};
    load(&ld, m);
    free(ld.active);
    return flush_diags(c);
}

int check_source(compiler *c, const char *path, const char *src)
{
    size_t len = strlen(src);
    char *copy = xmalloc(len + 1);
    memcpy(copy, src, len + 1);
    return load_entry(c, path, copy, len);
}

bc_bundle *compile_program(compiler *c, const char *path)
{
    size_t len;
    char *src = buf_read_file(path, &len);
    if (!src) {
        buf_printf(c->diag_out, "holt: cannot read '%s': %s\n", path, strerror(errno));
        c->nerrors++;
        return NULL;
    }
    if (load_entry(c, path, src, len) > 0)
        return NULL;

    bc_bundle *b = xcalloc(1, sizeof *b);
    b->modules = xcalloc((size_t)c->nmodules, sizeof *b->modules);
    for (int i = 0; i < c->nmodules; i++) {
        cmodule *m = c->modules[i];
        if (m->is_std)
            continue;
        m->bc = cg_module(c, m);
        if (!m->bc) {
            /* cg_module says why (a module too large for the format) in the file's own
             * diagnostics; pass that on rather than a bare failure. */
            if (m->diag.out->len)
                buf_put(c->diag_out, m->diag.out->data, m->diag.out->len);
            else
                buf_printf(c->diag_out, "holt: %s: code generation failed\n", m->path);
            c->nerrors++;
            bc_bundle_free(b);
            return NULL;
        }
        b->modules[b->nmodules++] = m->bc;
    }
    return b;
}

bc_module *compile_std(compiler *c, const char *name)
{
    const char *src = stdlib_source(name);
    if (!src)
        return NULL;
    cmodule *m = find_module(c, name, true);
    if (!m) {
        size_t len = strlen(src);
        char *copy = xmalloc(len + 1);
        memcpy(copy, src, len + 1);
        size_t pl = strlen(name);
        char *path = ast_alloc(c->arena, pl + 10);
        snprintf(path, pl + 10, "std/%s.holt", name);
        m = new_module(c, ast_strdup(c->arena, name, pl), path, true, copy, len);
        loader ld = {.c = c};
        load(&ld, m);
        free(ld.active);
    }
    if (flush_diags(c) > 0 || !m->checked)
        return NULL;
    return cg_module(c, m);
}

/* test_checker.c — the type table, the checker and the compiler driver's loading: types of
 * expressions, local slots, inserted conversions, call decisions, module resolution and
 * every diagnostic with its position. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checker.h"
#include "compile.h"
#include "lexer.h"
#include "types.h"

/* ---- helpers --------------------------------------------------------------------------------- */

typedef struct {
    holt_buf out;                 /* diagnostics */
    compiler *c;
    int nerr;
    cmodule *m;                   /* the entry module */
} fx;

static void run_path(fx *f, const char *path, const char *src)
{
    buf_init(&f->out);
    f->c = compiler_new(&f->out);
    f->nerr = check_source(f->c, path, src);
    f->m = f->c->nmodules ? f->c->modules[0] : NULL;
    if (!f->out.data)
        buf_puts(&f->out, "");
}

static void run(fx *f, const char *src)
{
    run_path(f, "t.holt", src);
}

static void done(fx *f)
{
    compiler_free(f->c);
    buf_free(&f->out);
}

/* Pre-order search for the n-th node (0-based) of a kind. */
typedef struct {
    int kind;
    int want;
    const char *name;             /* when set, only nodes with this name count */
    ast_node *found;
} finder;

static void walk(ast_node *n, finder *fd);

static void walk_list(ast_list *l, finder *fd)
{
    for (int i = 0; i < l->n && !fd->found; i++)
        walk(l->items[i], fd);
}

static void walk(ast_node *n, finder *fd)
{
    if (!n || fd->found)
        return;
    if (n->kind == fd->kind && (!fd->name || (n->name && strcmp(n->name, fd->name) == 0))) {
        if (fd->want-- == 0) {
            fd->found = n;
            return;
        }
    }
    walk(n->a, fd);
    walk(n->b, fd);
    walk(n->c, fd);
    walk_list(&n->list, fd);
    if ((n->kind == D_FN || n->kind == E_FN) && n->u.fn)
        walk(n->u.fn->body, fd);
}

static ast_node *nth(fx *f, int kind, int i)
{
    finder fd = {.kind = kind, .want = i};
    walk(f->m->root, &fd);
    cr_assert(fd.found, "no %s #%d", ast_kind_names[kind], i);
    return fd.found;
}

static ast_node *named(fx *f, int kind, const char *name)
{
    finder fd = {.kind = kind, .name = name};
    walk(f->m->root, &fd);
    cr_assert(fd.found, "no %s named %s", ast_kind_names[kind], name);
    return fd.found;
}

static ast_fn *fn_named(fx *f, const char *name)
{
    for (int i = 0; i < f->m->nfuncs; i++)
        if (strcmp(f->m->funcs[i]->name, name) == 0)
            return f->m->funcs[i];
    cr_assert_fail("no function %s", name);
    return NULL;
}

/* The type of the variable a `let` declares, in source spelling. */
static const char *let_type(fx *f, const char *name)
{
    ast_node *n = named(f, S_LET, name);
    cr_assert(n->sym, "let %s has no symbol", name);
    return ty_name(n->sym->ty);
}

/* The source has no errors. */
static void ok(fx *f, const char *src)
{
    run(f, src);
    cr_assert_eq(f->nerr, 0, "unexpected errors:\n%s", f->out.data);
}

/* The source has exactly `n` errors and the output holds every message given (each a
 * whole "t.holt:L:C: error: ..." header line), in that order. */
static void errs(const char *src, int n, ...)
{
    fx f;
    run(&f, src);
    cr_expect_eq(f.nerr, n, "want %d errors, got %d:\n%s", n, f.nerr, f.out.data);
    va_list ap;
    va_start(ap, n);
    const char *at = f.out.data;
    for (const char *msg; (msg = va_arg(ap, const char *));) {
        char line[512];
        snprintf(line, sizeof line, "%s\n", msg);
        const char *hit = strstr(at, line);
        cr_expect(hit, "want \"%s\" (in order) in:\n%s", msg, f.out.data);
        if (hit)
            at = hit + strlen(line);
    }
    va_end(ap);
    done(&f);
}

#define ERR(src, ...) errs(src, 1, __VA_ARGS__, (const char *)NULL)
#define ERRS(src, n, ...) errs(src, n, __VA_ARGS__, (const char *)NULL)
#define OK(src) errs(src, 0, (const char *)NULL)

/* ---- the type table -------------------------------------------------------------------------- */

Test(types, interning_and_descriptors)
{
    ty_table *t = ty_table_new();
    const htype *i = ty_basic(t, TY_INT), *s = ty_basic(t, TY_STR), *z = ty_basic(t, TY_BOOL);
    const htype *v = ty_basic(t, TY_VOID), *fl = ty_basic(t, TY_FLOAT), *a = ty_basic(t, TY_ANY);
    cr_assert_eq(ty_list(t, i), ty_list(t, i));
    cr_assert_neq(ty_list(t, i), ty_list(t, s));
    cr_assert_str_eq(ty_list(t, i)->desc, "[I");
    cr_assert_str_eq(ty_name(ty_list(t, ty_list(t, s))), "[[str]]");
    const htype *m = ty_map(t, s, i);
    cr_assert_eq(m, ty_map(t, s, i));
    cr_assert_str_eq(m->desc, "{SI");
    cr_assert_str_eq(ty_name(m), "{str: int}");
    cr_assert_eq(m->key, s);
    cr_assert_eq(m->elem, i);
    const htype *ps[] = {i, s};
    const htype *f = ty_fn(t, ps, 2, z);
    cr_assert_eq(f, ty_fn(t, ps, 2, z));
    cr_assert_str_eq(f->desc, "(IS)Z");
    cr_assert_str_eq(ty_name(f), "fn(int, str) -> bool");
    cr_assert_eq(f->nparams, 2);
    cr_assert_eq(f->params[1], s);
    cr_assert_str_eq(ty_name(ty_fn(t, ps, 1, v)), "fn(int)");
    cr_assert_str_eq(ty_fn(t, NULL, 0, v)->desc, "()V");
    cr_assert_str_eq(ty_name(ty_fn(t, NULL, 0, v)), "fn()");
    cr_assert_str_eq(ty_name(fl), "float");
    cr_assert_str_eq(ty_name(a), "any");
    cr_assert_str_eq(a->desc, "A");
    cr_assert_str_eq(z->desc, "Z");
    cr_assert_str_eq(ty_name(ty_basic(t, TY_NULL)), "null");
    ty_table_free(t);
}

Test(types, from_desc)
{
    ty_table *t = ty_table_new();
    const htype *i = ty_basic(t, TY_INT), *s = ty_basic(t, TY_STR);
    cr_assert_eq(ty_from_desc(t, "I", NULL), i);
    cr_assert_eq(ty_from_desc(t, "[{SI", NULL), ty_list(t, ty_map(t, s, i)));
    const htype *f = ty_from_desc(t, "(SS)[S", NULL);
    cr_assert(f);
    cr_assert_eq(f->kind, TY_FN);
    cr_assert_eq(f->ret, ty_list(t, s));
    cr_assert_eq(ty_from_desc(t, "(I)V", NULL)->ret, ty_basic(t, TY_VOID));
    const htype *vars[26] = {0};
    vars['T' - 'A'] = i;
    const htype *push = ty_from_desc(t, "([TT)V", vars);
    cr_assert(push);
    cr_assert_str_eq(push->desc, "([II)V");
    vars['K' - 'A'] = s;
    vars['E' - 'A'] = ty_basic(t, TY_FLOAT);
    cr_assert_str_eq(ty_from_desc(t, "({KEKE)E", vars)->desc, "({SFSF)F");
    /* malformed: unbound variables, V outside a result, truncated or trailing text */
    cr_assert_null(ty_from_desc(t, "[T", NULL));
    cr_assert_null(ty_from_desc(t, "(U)V", vars));
    cr_assert_null(ty_from_desc(t, "(V)V", NULL));
    cr_assert_null(ty_from_desc(t, "[V", NULL));
    cr_assert_null(ty_from_desc(t, "[", NULL));
    cr_assert_null(ty_from_desc(t, "{S", NULL));
    cr_assert_null(ty_from_desc(t, "(II", NULL));
    cr_assert_null(ty_from_desc(t, "II", NULL));
    cr_assert_null(ty_from_desc(t, "", NULL));
    cr_assert_null(ty_from_desc(t, "X", NULL));
    cr_assert_null(ty_from_desc(t, "LFoo;", NULL));
    /* deep nesting is refused, not followed */
    char deep[2000];
    memset(deep, '[', sizeof deep - 2);
    deep[sizeof deep - 2] = 'I';
    deep[sizeof deep - 1] = '\0';
    cr_assert_null(ty_from_desc(t, deep, NULL));
    ty_table_free(t);
}

Test(types, assignable_and_ref)
{
    ty_table *t = ty_table_new();
    const htype *i = ty_basic(t, TY_INT), *fl = ty_basic(t, TY_FLOAT), *s = ty_basic(t, TY_STR);
    const htype *a = ty_basic(t, TY_ANY), *n = ty_basic(t, TY_NULL), *e = ty_basic(t, TY_ERROR);
    const htype *z = ty_basic(t, TY_BOOL), *v = ty_basic(t, TY_VOID);
    cr_assert(ty_assignable(i, i));
    cr_assert(ty_assignable(i, fl));
    cr_assert_not(ty_assignable(fl, i));
    cr_assert(ty_assignable(i, a));
    cr_assert(ty_assignable(s, a));
    cr_assert(ty_assignable(n, s));
    cr_assert(ty_assignable(n, ty_list(t, i)));
    cr_assert(ty_assignable(n, a));
    cr_assert_not(ty_assignable(n, i));
    cr_assert_not(ty_assignable(n, z));
    cr_assert_not(ty_assignable(s, i));
    cr_assert_not(ty_assignable(ty_list(t, i), ty_list(t, fl)));
    cr_assert_not(ty_assignable(ty_list(t, i), ty_list(t, a)));
    cr_assert(ty_assignable(e, i));
    cr_assert(ty_assignable(s, e));
    cr_assert_not(ty_assignable(v, a));
    cr_assert(ty_is_ref(s));
    cr_assert(ty_is_ref(a));
    cr_assert(ty_is_ref(ty_map(t, s, i)));
    cr_assert(ty_is_ref(ty_fn(t, NULL, 0, v)));
    cr_assert_not(ty_is_ref(i));
    cr_assert_not(ty_is_ref(fl));
    cr_assert_not(ty_is_ref(z));
    ty_table_free(t);
}

/* ---- declarations and inference -------------------------------------------------------------- */

Test(infer, let_types)
{
    fx f;
    ok(&f, "let a = 1\n"
           "let b = 2.5\n"
           "let c = \"s\"\n"
           "let d = true\n"
           "let e = [1, 2]\n"
           "let g = {\"a\": 1}\n"
           "let h = [1, 2.5]\n"
           "var k: float = 1\n"
           "let n = [[1], [2]]\n"
           "let r = [0; 3]\n"
           "let i = \"x{a}y\"\n"
           "var z: [str]\n");
    cr_assert_str_eq(let_type(&f, "a"), "int");
    cr_assert_str_eq(let_type(&f, "b"), "float");
    cr_assert_str_eq(let_type(&f, "c"), "str");
    cr_assert_str_eq(let_type(&f, "d"), "bool");
    cr_assert_str_eq(let_type(&f, "e"), "[int]");
    cr_assert_str_eq(let_type(&f, "g"), "{str: int}");
    cr_assert_str_eq(let_type(&f, "h"), "[float]");
    cr_assert_str_eq(let_type(&f, "k"), "float");
    cr_assert_str_eq(let_type(&f, "n"), "[[int]]");
    cr_assert_str_eq(let_type(&f, "r"), "[int]");
    cr_assert_str_eq(let_type(&f, "i"), "str");
    cr_assert_str_eq(let_type(&f, "z"), "[str]");
    /* the int in [1, 2.5] and the 1 stored into k are widened */
    ast_node *h = named(&f, S_LET, "h")->a;
    cr_assert_eq(h->list.items[0]->kind, E_CONV);
    cr_assert_eq(h->list.items[0]->ty->kind, TY_FLOAT);
    cr_assert_eq(h->list.items[0]->a->kind, E_INT);
    cr_assert_eq(h->list.items[1]->kind, E_FLOAT);
    ast_node *k = named(&f, S_LET, "k");
    cr_assert_eq(k->a->kind, E_CONV);
    cr_assert_eq(k->a->ty->kind, TY_FLOAT);
    /* interpolation formats by the value's own type: no conversion */
    ast_node *i = named(&f, S_LET, "i")->a;
    cr_assert_eq(i->kind, E_INTERP);
    for (int j = 0; j < i->list.n; j++)
        cr_assert_neq(i->list.items[j]->kind, E_CONV);
    done(&f);
}

Test(infer, globals_and_main)
{
    fx f;
    ok(&f, "let g = 1\n"
           "var h = \"x\"\n"
           "if true {\n"
           "    let z = 1.5\n"
           "}\n"
           "fn a() {}\n"
           "fn b() -> int { return g }\n");
    cr_assert_eq(f.m->nglobals, 2);
    cr_assert_eq(f.m->globals[0], named(&f, S_LET, "g"));
    cr_assert_eq(f.m->globals[1], named(&f, S_LET, "h"));
    sym *g = named(&f, S_LET, "g")->sym;
    cr_assert_eq(g->kind, SYM_GLOBAL);
    cr_assert_eq(g->index, 0);
    cr_assert_not(g->is_mutable);
    cr_assert(named(&f, S_LET, "h")->sym->is_mutable);
    cr_assert_eq(named(&f, S_LET, "h")->sym->index, 1);
    /* the top level is function 0, "<main>", of type ()V; z is its local */
    cr_assert_eq(f.m->nfuncs, 3);
    cr_assert_eq(f.m->funcs[0], f.m->main_fn);
    cr_assert_str_eq(f.m->main_fn->name, "<main>");
    cr_assert_str_eq(f.m->main_fn->ty->desc, "()V");
    cr_assert_eq(f.m->main_fn->index, 0);
    cr_assert_eq(f.m->main_fn->nlocals, 1);
    cr_assert_str_eq(ty_name(f.m->main_fn->local_types[0]), "float");
    ast_node *z = named(&f, S_LET, "z");
    cr_assert_eq(z->sym->kind, SYM_LOCAL);
    cr_assert_eq(z->slot, 0);
    cr_assert_eq(fn_named(&f, "a")->index, 1);
    cr_assert_eq(fn_named(&f, "b")->index, 2);
    cr_assert_str_eq(fn_named(&f, "b")->ty->desc, "()I");
    cr_assert_eq(f.m->funcs[2], fn_named(&f, "b"));
    /* a use of g inside b is the global */
    ast_node *use = named(&f, E_NAME, "g");
    cr_assert_eq(use->sym, g);
    done(&f);
}

Test(infer, empty_literals_and_null)
{
    fx f;
    ok(&f, "let xs: [int] = []\n"
           "let m: {str: int} = {}\n"
           "var s: str = null\n"
           "fn f(p: str) -> [str] { return null }\n"
           "f(null)\n"
           "print(s == null)\n"
           "print(null != s)\n"
           "print(null)\n"
           "var ys: [[float]] = [[]]\n"
           "ys = [[], [1]]\n");
    cr_assert_str_eq(let_type(&f, "xs"), "[int]");
    cr_assert_str_eq(ty_name(named(&f, S_LET, "xs")->a->ty), "[int]");
    cr_assert_str_eq(ty_name(named(&f, S_LET, "m")->a->ty), "{str: int}");
    cr_assert_str_eq(ty_name(named(&f, S_LET, "s")->a->ty), "str");
    cr_assert_str_eq(ty_name(nth(&f, E_NULL, 1)->ty), "[str]");  /* return null */
    cr_assert_str_eq(ty_name(nth(&f, E_NULL, 2)->ty), "str");    /* f(null) */
    cr_assert_str_eq(ty_name(nth(&f, E_NULL, 3)->ty), "str");    /* s == null */
    cr_assert_str_eq(ty_name(nth(&f, E_NULL, 4)->ty), "str");    /* null != s */
    cr_assert_str_eq(ty_name(nth(&f, E_NULL, 5)->ty), "any");    /* print(null) */
    cr_assert_str_eq(let_type(&f, "ys"), "[[float]]");
    done(&f);

    ERR("let xs = []\n", "t.holt:1:10: error: cannot infer the type of an empty literal");
    ERR("var m = {}\n", "t.holt:1:9: error: cannot infer the type of an empty literal");
    ERR("print([])\n", "t.holt:1:7: error: cannot infer the type of an empty literal");
    ERR("let x = null\n", "t.holt:1:9: error: cannot infer the type of null");
    ERR("print(null == null)\n", "t.holt:1:7: error: cannot infer the type of null");
    ERR("let x: int = null\n", "t.holt:1:14: error: type mismatch: expected int, found null");
    ERR("let x = 1\nprint(x == null)\n", "t.holt:2:7: error: operator '==' cannot be applied to int and null");
    ERR("let xs = [null, null]\n", "t.holt:1:11: error: cannot infer the type of null");
}

Test(infer, list_and_map_literals)
{
    fx f;
    ok(&f, "let a = [null, \"x\"]\n"
           "let b = [1.5, 2]\n"
           "let c = {1: 2.5, 2: 3}\n"
           "let d = {true: [1]}\n"
           "let e: [any] = [1, \"s\", null]\n"
           "let g: {str: float} = {\"a\": 1}\n"
           "let r: [float] = [0; 4]\n");
    cr_assert_str_eq(let_type(&f, "a"), "[str]");
    cr_assert_str_eq(ty_name(named(&f, S_LET, "a")->a->list.items[0]->ty), "str");
    cr_assert_str_eq(let_type(&f, "b"), "[float]");
    cr_assert_eq(named(&f, S_LET, "b")->a->list.items[1]->kind, E_CONV);
    cr_assert_str_eq(let_type(&f, "c"), "{int: float}");
    cr_assert_eq(named(&f, S_LET, "c")->a->list.items[3]->kind, E_CONV);
    cr_assert_eq(named(&f, S_LET, "c")->a->list.items[2]->kind, E_INT);
    cr_assert_str_eq(let_type(&f, "d"), "{bool: [int]}");
    ast_node *e = named(&f, S_LET, "e")->a;
    cr_assert_eq(e->list.items[0]->kind, E_CONV);
    cr_assert_eq(e->list.items[0]->ty->kind, TY_ANY);
    cr_assert_eq(e->list.items[1]->kind, E_CONV);
    cr_assert_eq(e->list.items[2]->kind, E_NULL);
    cr_assert_eq(e->list.items[2]->ty->kind, TY_ANY);
    cr_assert_eq(named(&f, S_LET, "g")->a->list.items[1]->kind, E_CONV);
    cr_assert_eq(named(&f, S_LET, "r")->a->a->kind, E_CONV);
    done(&f);

    ERR("let xs = [1, \"two\"]\n", "t.holt:1:14: error: type mismatch: expected int, found str");
    ERR("let m = {1.5: \"x\"}\n", "t.holt:1:10: error: map keys must be int, str or bool");
    ERR("let m = {[1]: 1}\n", "t.holt:1:10: error: map keys must be int, str or bool");
    ERR("var m: {float: int}\n", "t.holt:1:9: error: map keys must be int, str or bool");
    ERR("let m = {\"a\": 1, 2: 3}\n", "t.holt:1:18: error: type mismatch: expected str, found int");
    ERR("let r = [0; 2.5]\n", "t.holt:1:13: error: type mismatch: expected int, found float");
    ERR("let xs: [int] = [1, 2.5]\n", "t.holt:1:21: error: type mismatch: expected int, found float");
    ERR("let xs: [int] = [1, 2]\nlet ys: [float] = xs\n",
        "t.holt:2:19: error: type mismatch: expected [float], found [int]");
}

Test(infer, annotations)
{
    ERR("var a: int = 1\nvar f: Foo\n", "t.holt:2:8: error: unknown type 'Foo'");
    ERR("fn f(xs: [Widget]) {}\n", "t.holt:1:11: error: unknown type 'Widget'");
    ERR("let n = 1\nlet s: str = n\n", "t.holt:2:14: error: type mismatch: expected str, found int");
    ERR("let x: int = 2.5\n", "t.holt:1:14: error: type mismatch: expected int, found float");
    ERR("fn f() {}\nlet x: int = f()\n", "t.holt:2:14: error: 'f' returns no value");
    ERR("fn f() {}\nlet x = f()\n", "t.holt:2:9: error: 'f' returns no value");
    fx f;
    ok(&f, "let a: any = 1\nlet b: any = \"s\"\nlet c: fn(int) -> str = null\n");
    ast_node *a = named(&f, S_LET, "a")->a;
    cr_assert_eq(a->kind, E_CONV);
    cr_assert_eq(a->ty->kind, TY_ANY);
    cr_assert_eq(a->a->ty->kind, TY_INT);
    cr_assert_eq(named(&f, S_LET, "b")->a->kind, E_CONV);
    cr_assert_str_eq(let_type(&f, "c"), "fn(int) -> str");
    done(&f);
}

/* ---- scopes ---------------------------------------------------------------------------------- */

Test(scopes, visibility)
{
    fx f;
    ok(&f, "print(twice(2))\n"
           "fn twice(n: int) -> int { return n * 2 + later }\n"
           "let later = 1\n"
           "let x = 1\n"
           "if true {\n"
           "    let x = \"two\"\n"
           "    if true { let x = 3.0\n print(x) }\n"
           "}\n"
           "fn shadow(x: int) -> int {\n"
           "    if true { let x = 99\n return x }\n"
           "    return x\n"
           "}\n");
    /* the inner print(x) sees the float */
    ast_node *call = nth(&f, E_CALL, 2);
    cr_assert_str_eq(ty_name(call->list.items[0]->ty), "float");
    done(&f);

    ERR("print(later)\nlet later = 1\n", "t.holt:1:7: error: undefined name 'later'");
    ERR("let x = x + 1\n", "t.holt:1:9: error: undefined name 'x'");
    ERR("for i in 0..3 {\n}\nprint(i)\n", "t.holt:3:7: error: undefined name 'i'");
    ERR("if true { let y = 1 }\nprint(y)\n", "t.holt:2:7: error: undefined name 'y'");
    ERR("let a = 1\nlet a = 2\n", "t.holt:2:1: error: 'a' is already declared in this block");
    ERR("if true {\n    var b = 1\n    let b = \"x\"\n}\n",
        "t.holt:3:5: error: 'b' is already declared in this block");
    ERR("fn f() {}\nfn f() {}\n", "t.holt:2:1: error: 'f' is already declared in this block");
    ERR("fn f() {}\nlet f = 1\n", "t.holt:2:1: error: 'f' is already declared in this block");
    ERR("fn f(a: int, a: int) -> int { return a }\n", "t.holt:1:14: error: 'a' is already declared in this block");
    ERR("for k, k in {1: 2} {}\n", "t.holt:1:1: error: 'k' is already declared in this block");
    ERR("fn f() {\n    let total = 0\n    print(totl)\n}\n", "t.holt:3:11: error: undefined name 'totl'");
}

Test(scopes, slots)
{
    fx f;
    ok(&f, "fn f(a: int, b: str) {\n"
           "    let x = 1\n"
           "    for i in 0..3 { let y = i }\n"
           "    for v in [1.5] {}\n"
           "    for k, w in {\"a\": 1} {}\n"
           "    var xs = [1]\n"
           "    xs[0] += 2\n"
           "    for j, e in xs {}\n"
           "    var m = {\"k\": 1.0}\n"
           "    m[\"k\"] *= 2\n"
           "    for key in m {}\n"
           "    xs[0] = 1\n"
           "}\n");
    ast_fn *fn = fn_named(&f, "f");
    static const char *const want[] = {
        "int", "str",                        /* a b */
        "int",                               /* x */
        "int", "int", "int",                 /* range end, i, y */
        "[float]", "int", "int", "float",    /* hidden list state, v */
        "{str: int}", "int", "int", "str", "int", /* hidden map state, k, w */
        "[int]",                             /* xs */
        "[int]", "int",                      /* compound index: container, index */
        "[int]", "int", "int", "int", "int", /* hidden, j, e */
        "{str: float}",                      /* m */
        "{str: float}", "str",               /* compound index on a map */
        "{str: float}", "int", "int", "str", /* hidden, key */
    };
    int n = (int)(sizeof want / sizeof want[0]);
    cr_assert_eq(fn->nlocals, n, "nlocals %d", fn->nlocals);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(ty_name(fn->local_types[i]), want[i], "slot %d", i);
    cr_assert_eq(named(&f, S_LET, "x")->slot, 2);
    ast_node *range = nth(&f, S_FOR, 0);
    cr_assert_eq(range->hidden, 3);
    cr_assert_eq(range->slot, 4);
    cr_assert_eq(range->slot2, -1);
    cr_assert_eq(range->sym->index, 4);
    cr_assert_eq(named(&f, S_LET, "y")->slot, 5);
    ast_node *lf = nth(&f, S_FOR, 1);
    cr_assert_eq(lf->hidden, 6);
    cr_assert_eq(lf->slot, 9);
    cr_assert_eq(lf->slot2, -1);
    ast_node *mf = nth(&f, S_FOR, 2);
    cr_assert_eq(mf->hidden, 10);
    cr_assert_eq(mf->slot, 13);
    cr_assert_eq(mf->slot2, 14);
    cr_assert_eq(named(&f, S_LET, "xs")->slot, 15);
    ast_node *comp = nth(&f, S_ASSIGN, 0);
    cr_assert_eq(comp->hidden, 16);
    ast_node *pair = nth(&f, S_FOR, 3);
    cr_assert_eq(pair->hidden, 18);
    cr_assert_eq(pair->slot, 21);
    cr_assert_eq(pair->slot2, 22);
    cr_assert_eq(nth(&f, S_ASSIGN, 1)->hidden, 24);
    ast_node *keys = nth(&f, S_FOR, 4);
    cr_assert_eq(keys->hidden, 26);
    cr_assert_eq(keys->slot, 29);
    cr_assert_eq(nth(&f, S_ASSIGN, 2)->hidden, -1);
    /* parameters are the first locals */
    cr_assert_eq(named(&f, E_NAME, "i")->sym->index, 4);
    done(&f);
}

/* ---- operators and conversions --------------------------------------------------------------- */

static const char *expr_type(const char *decls, const char *expr)
{
    static char result[64];
    char src[512];
    snprintf(src, sizeof src, "%slet zz_ = %s\n", decls, expr);
    fx f;
    run(&f, src);
    if (f.nerr)
        snprintf(result, sizeof result, "error: %s", f.out.data);
    else
        snprintf(result, sizeof result, "%s", let_type(&f, "zz_"));
    done(&f);
    return result;
}

Test(operators, result_types)
{
    const char *d = "let i = 1\nlet x = 1.5\nlet s = \"a\"\nlet b = true\n";
    static const struct {
        const char *expr, *type;
    } cases[] = {
        {"i + i", "int"},   {"i - i", "int"},    {"i * i", "int"},    {"i / i", "int"},
        {"i % i", "int"},   {"i + x", "float"},  {"x * i", "float"},  {"x / x", "float"},
        {"x % i", "float"}, {"s + s", "str"},    {"i & i", "int"},    {"i | i", "int"},
        {"i ^ i", "int"},   {"i << i", "int"},   {"i >> i", "int"},   {"~i", "int"},
        {"-i", "int"},      {"-x", "float"},     {"!b", "bool"},      {"b && b", "bool"},
        {"b || b", "bool"}, {"i == x", "bool"},  {"s != s", "bool"},  {"b == b", "bool"},
        {"i < x", "bool"},  {"s <= s", "bool"},  {"x > i", "bool"},   {"i >= i", "bool"},
        {"[1] == [2]", "bool"}, {"s[0]", "int"}, {"[s][0]", "str"},   {"{s: x}[s]", "float"},
        {"1 + 2 * 3 - 4 / 2", "int"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        cr_expect_str_eq(expr_type(d, cases[k].expr), cases[k].type, "%s", cases[k].expr);
}

Test(operators, conversions)
{
    fx f;
    ok(&f, "let i = 1\nlet x = 1.5\n"
           "let a = i + x\n"
           "let c = x < i\n"
           "let e = i == x\n"
           "let p = i + i\n"
           "fn g(v: float) -> float { return 2 }\n"
           "g(i)\n");
    ast_node *a = named(&f, S_LET, "a")->a;
    cr_assert_eq(a->a->kind, E_CONV);
    cr_assert_eq(a->a->ty->kind, TY_FLOAT);
    cr_assert_eq(a->a->a->kind, E_NAME);
    cr_assert_eq(a->b->kind, E_NAME);
    ast_node *c = named(&f, S_LET, "c")->a;
    cr_assert_eq(c->a->kind, E_NAME);
    cr_assert_eq(c->b->kind, E_CONV);
    ast_node *e = named(&f, S_LET, "e")->a;
    cr_assert_eq(e->a->kind, E_CONV);
    ast_node *p = named(&f, S_LET, "p")->a;
    cr_assert_eq(p->a->kind, E_NAME);
    cr_assert_eq(p->b->kind, E_NAME);
    ast_node *ret = nth(&f, S_RETURN, 0);
    cr_assert_eq(ret->a->kind, E_CONV);
    ast_node *call = nth(&f, E_CALL, 0);
    cr_assert_eq(call->list.items[0]->kind, E_CONV);
    done(&f);
}

Test(operators, errors)
{
    ERR("let b = true + 1\n", "t.holt:1:9: error: operator '+' cannot be applied to bool and int");
    ERR("let s = \"a\" + 1\n", "t.holt:1:9: error: operator '+' cannot be applied to str and int");
    ERR("let s = \"a\" - \"b\"\n", "t.holt:1:9: error: operator '-' cannot be applied to str and str");
    ERR("let s = -\"a\"\n", "t.holt:1:9: error: operator '-' cannot be applied to str");
    ERR("let s = !1\n", "t.holt:1:9: error: operator '!' cannot be applied to int");
    ERR("let s = ~1.5\n", "t.holt:1:9: error: operator '~' cannot be applied to float");
    ERR("let s = 1 && true\n", "t.holt:1:9: error: operator '&&' cannot be applied to int and bool");
    ERR("let s = 1.5 & 1\n", "t.holt:1:9: error: operator '&' cannot be applied to float and int");
    ERR("let s = 1 << 1.5\n", "t.holt:1:9: error: operator '<<' cannot be applied to int and float");
    ERR("let s = true < false\n", "t.holt:1:9: error: operator '<' cannot be applied to bool and bool");
    ERR("let s = \"a\" < 1\n", "t.holt:1:9: error: operator '<' cannot be applied to str and int");
    ERR("let s = \"a\" == 1\n", "t.holt:1:9: error: operator '==' cannot be applied to str and int");
    ERR("let s = [1] + [2]\n", "t.holt:1:9: error: operator '+' cannot be applied to [int] and [int]");
    ERR("let s = [1] == [\"a\"]\n", "t.holt:1:9: error: operator '==' cannot be applied to [int] and [str]");
    ERR("let s = \"abc\"\nprint(s[\"a\"])\n", "t.holt:2:9: error: cannot index str with str");
    ERR("let xs = [1]\nprint(xs[\"a\"])\n", "t.holt:2:10: error: cannot index [int] with str");
    ERR("let m = {\"a\": 1}\nprint(m[1])\n", "t.holt:2:9: error: cannot index {str: int} with int");
    ERR("let n = 1\nprint(n[0])\n", "t.holt:2:7: error: cannot index int");
}

Test(statements, conditions)
{
    ERR("if 1 {\n}\n", "t.holt:1:4: error: condition must be bool, found int");
    ERR("var n = 3\nwhile n {\n}\n", "t.holt:2:7: error: condition must be bool, found int");
    ERRS("if \"s\" {\n} else if 2 {\n}\n", 2, "t.holt:1:4: error: condition must be bool, found str",
         "t.holt:2:11: error: condition must be bool, found int");
    fx f;
    ok(&f, "if true {\n} else if 1 < 2 {\n} else {\n}\nwhile false {\n}\n");
    done(&f);
}

/* ---- calls ----------------------------------------------------------------------------------- */

Test(calls, user_functions)
{
    fx f;
    ok(&f, "fn add(a: int, b: float) -> float { return a + b }\n"
           "let r = add(1, 2)\n");
    ast_node *call = named(&f, S_LET, "r")->a;
    cr_assert_eq(call->kind, E_CALL);
    cr_assert(call->call);
    cr_assert_eq(call->call->kind, CALL_FN);
    cr_assert_eq(call->call->target->kind, SYM_FN);
    cr_assert_eq(call->call->target->index, 1);
    cr_assert_eq(call->call->target->module, f.m);
    cr_assert_eq(call->list.items[0]->kind, E_INT);
    cr_assert_eq(call->list.items[1]->kind, E_CONV);
    cr_assert_str_eq(ty_name(call->ty), "float");
    done(&f);

    ERR("fn f(a: int, b: int) {}\nf(1, 2, 3)\n", "t.holt:2:1: error: 'f' expects 2 arguments, found 3");
    ERR("fn f(a: int, b: int) {}\nf(1)\n", "t.holt:2:1: error: 'f' expects 2 arguments, found 1");
    ERR("fn three() {\n    three(1)\n}\n", "t.holt:2:5: error: 'three' expects 0 arguments, found 1");
    ERR("fn f(s: str) {}\nf(1)\n", "t.holt:2:3: error: type mismatch: expected str, found int");
    ERR("fn f() -> int { return \"1\" }\n", "t.holt:1:24: error: type mismatch: expected int, found str");
    ERR("print(nope(1))\n", "t.holt:1:7: error: undefined name 'nope'");
    ERR("let x = 1\nprint(x())\n", "t.holt:2:7: error: cannot call a value of type int");
    ERR("fn f() {}\nlet g: fn(int) = f\n", "t.holt:2:18: error: type mismatch: expected fn(int), found fn()");
    /* arguments of a failed call are still checked, once */
    ERRS("print(nope(undefined_arg))\n", 2, "t.holt:1:7: error: undefined name 'nope'",
         "t.holt:1:12: error: undefined name 'undefined_arg'");
}

Test(calls, builtins)
{
    fx f;
    ok(&f, "print()\n"
           "print(1)\n"
           "let s = str(2.5)\n"
           "let i = int(2.5)\n"
           "let j = int(3)\n"
           "let x = float(2)\n"
           "let c = chr(65)\n"
           "assert(true, \"m\")\n"
           "let l = input()\n"
           "let t = clock()\n");
    ast_node *p0 = nth(&f, E_CALL, 0);
    cr_assert_eq(p0->call->kind, CALL_BUILTIN);
    cr_assert_eq(p0->call->builtin, BI_PRINT);
    cr_assert_eq(p0->list.n, 0);
    ast_node *p1 = nth(&f, E_CALL, 1);
    cr_assert_eq(p1->call->builtin, BI_PRINT);
    cr_assert_eq(p1->list.items[0]->kind, E_INT);   /* no conversion for print */
    ast_node *s = named(&f, S_LET, "s")->a;
    cr_assert_eq(s->call->kind, CALL_BUILTIN);
    cr_assert_eq(s->call->builtin, BI_STR);
    cr_assert_eq(s->list.items[0]->kind, E_FLOAT);
    cr_assert_str_eq(let_type(&f, "s"), "str");
    ast_node *i = named(&f, S_LET, "i")->a;
    cr_assert_eq(i->call->builtin, BI_INT);
    cr_assert_str_eq(let_type(&f, "i"), "int");
    ast_node *j = named(&f, S_LET, "j")->a;
    cr_assert_eq(j->list.items[0]->kind, E_CONV);   /* int(3): the int is widened first */
    cr_assert_eq(j->list.items[0]->ty->kind, TY_FLOAT);
    cr_assert_eq(named(&f, S_LET, "x")->a->call->builtin, BI_FLOAT);
    cr_assert_str_eq(let_type(&f, "x"), "float");
    ast_node *c = named(&f, S_LET, "c")->a;
    cr_assert_eq(c->call->kind, CALL_NATIVE);
    cr_assert_str_eq(c->call->native, "chr");
    cr_assert_str_eq(c->call->sig->desc, "(I)S");
    ast_node *a = nth(&f, E_CALL, 7);
    cr_assert_eq(a->call->kind, CALL_NATIVE);
    cr_assert_str_eq(a->call->native, "assert");
    cr_assert_str_eq(a->call->sig->desc, "(ZS)V");
    cr_assert_str_eq(named(&f, S_LET, "l")->a->call->native, "input");
    cr_assert_str_eq(let_type(&f, "l"), "str");
    cr_assert_str_eq(named(&f, S_LET, "t")->a->call->native, "clock");
    cr_assert_str_eq(let_type(&f, "t"), "float");
    done(&f);

    ERR("print(chr(65, 66))\n", "t.holt:1:7: error: 'chr' expects 1 argument, found 2");
    ERR("print(chr(\"A\"))\n", "t.holt:1:11: error: type mismatch: expected int, found str");
    ERR("let x = float(2.5)\n", "t.holt:1:15: error: type mismatch: expected int, found float");
    ERR("let x = int(\"2\")\n", "t.holt:1:13: error: type mismatch: expected float, found str");
    ERR("print(1, 2)\n", "t.holt:1:1: error: 'print' expects 1 argument, found 2");
    ERR("let s = str()\n", "t.holt:1:9: error: 'str' expects 1 argument, found 0");
    ERR("assert(1, \"m\")\n", "t.holt:1:8: error: type mismatch: expected bool, found int");
    ERR("fn f() {}\nprint(f())\n", "t.holt:2:7: error: 'f' returns no value");
    ERR("let p = print\n", "t.holt:1:9: error: built-in function 'print' cannot be used as a value");
}

Test(calls, methods)
{
    fx f;
    ok(&f, "let parts = \"a,b\".split(\",\")\n"
           "var xs = [1.5]\n"
           "xs.push(1)\n"
           "let m = {\"k\": 1}\n"
           "let g = m.get(\"k\", 0)\n"
           "let p = xs.pop()\n"
           "let n = parts.len()\n"
           "let ks = m.keys()\n"
           "let j = parts.join(\"-\")\n"
           "xs.sort()\n"
           "let sub = \"abc\".sub(0, 1)\n");
    ast_node *split = named(&f, S_LET, "parts")->a;
    cr_assert_eq(split->call->kind, CALL_METHOD);
    cr_assert_str_eq(split->call->native, "str.split");
    cr_assert_str_eq(split->call->sig->desc, "(SS)[S");
    cr_assert_eq(split->call->receiver, split->a->a);
    cr_assert_eq(split->call->receiver->kind, E_STR);
    cr_assert_str_eq(let_type(&f, "parts"), "[str]");
    ast_node *push = nth(&f, E_CALL, 1);
    cr_assert_str_eq(push->call->native, "list.push");
    cr_assert_str_eq(push->call->sig->desc, "([FF)V");
    cr_assert_eq(push->list.items[0]->kind, E_CONV);
    ast_node *get = named(&f, S_LET, "g")->a;
    cr_assert_str_eq(get->call->native, "map.get");
    cr_assert_str_eq(get->call->sig->desc, "({SISI)I");
    cr_assert_str_eq(let_type(&f, "g"), "int");
    cr_assert_str_eq(let_type(&f, "p"), "float");
    cr_assert_str_eq(let_type(&f, "n"), "int");
    cr_assert_str_eq(let_type(&f, "ks"), "[str]");
    cr_assert_str_eq(let_type(&f, "j"), "str");
    cr_assert_str_eq(let_type(&f, "sub"), "str");
    done(&f);

    ERR("let s = \"x\"\ns.foo()\n", "t.holt:2:1: error: str has no method 'foo'");
    ERR("let xs = [1]\nxs.foo()\n", "t.holt:2:1: error: [int] has no method 'foo'");
    ERR("let m = {\"a\": 1}\nprint(m.size())\n", "t.holt:2:7: error: {str: int} has no method 'size'");
    ERR("let n = 1\nn.len()\n", "t.holt:2:1: error: int has no method 'len'");
    ERR("let xs = [true]\nxs.sort()\n", "t.holt:2:1: error: sort() needs a list of int, float or str");
    ERR("let xs = [1]\nprint(xs.join(\",\"))\n", "t.holt:2:7: error: join() needs a list of str");
    ERR("let xs = [1]\nxs.push(\"a\")\n", "t.holt:2:9: error: type mismatch: expected int, found str");
    ERR("let s = \"abc\"\nprint(s.sub(1))\n", "t.holt:2:7: error: 'sub' expects 2 arguments, found 1");
    ERR("let xs = [1]\nlet ys = xs.map(1)\n", "t.holt:2:17: error: map() needs a fn(int) -> U, found int");
    ERR("let xs = [1]\nlet n = xs.len\n", "t.holt:2:9: error: method values are not supported yet");
    ERR("let m = {\"a\": 1}\nprint(m.get(1, 2))\n", "t.holt:2:13: error: type mismatch: expected str, found int");
}

/* ---- statements ------------------------------------------------------------------------------ */

Test(statements, loops)
{
    fx f;
    ok(&f, "for i, x in [\"a\"] { print(i + 1)\n print(x + \"!\") }\n"
           "for k, v in {\"a\": 1.5} { print(k + \"?\")\n print(v * 2) }\n"
           "for k in {1: true} { print(k + 1) }\n"
           "for x in [1] { if x > 0 { break }\n continue }\n"
           "while true { break }\n");
    ast_node *f0 = nth(&f, S_FOR, 0);
    cr_assert_str_eq(ty_name(f.m->main_fn->local_types[f0->slot]), "int");
    cr_assert_str_eq(ty_name(f.m->main_fn->local_types[f0->slot2]), "str");
    ast_node *f1 = nth(&f, S_FOR, 1);
    cr_assert_str_eq(ty_name(f.m->main_fn->local_types[f1->slot]), "str");
    cr_assert_str_eq(ty_name(f.m->main_fn->local_types[f1->slot2]), "float");
    ast_node *f2 = nth(&f, S_FOR, 2);
    cr_assert_str_eq(ty_name(f.m->main_fn->local_types[f2->slot]), "int");
    cr_assert_eq(f2->slot2, -1);
    done(&f);

    ERR("let n = 5\nfor x in n {\n}\n", "t.holt:2:10: error: cannot iterate over int");
    ERR("for x in true {\n}\n", "t.holt:1:10: error: cannot iterate over bool");
    ERR("for x in \"abc\" {\n}\n", "t.holt:1:10: error: cannot iterate over str");
    ERR("for i in 0..2.5 {\n}\n", "t.holt:1:13: error: type mismatch: expected int, found float");
    ERR("if true {\n    break\n}\n", "t.holt:2:5: error: 'break' outside a loop");
    ERR("fn f() {\n    continue\n}\n", "t.holt:2:5: error: 'continue' outside a loop");
    /* a loop in the caller does not make a function body a loop */
    ERR("while true {\n    if false { break }\n}\nfn f() { break }\n", "t.holt:4:10: error: 'break' outside a loop");
}

Test(statements, returns)
{
    fx f;
    ok(&f, "fn a(x: int) -> int { if x > 0 { return 1 } else { return 2 } }\n"
           "fn b(x: int) -> int { if x > 0 { return 1 } else if x < 0 { return 2 } else { return 3 } }\n"
           "fn c() -> int { while true { } }\n"
           "fn d() -> int { while true { while true { break } } }\n"
           "fn e() { return }\n"
           "return\n");
    done(&f);

    ERR("fn f(x: int) -> int {\n    if x > 0 {\n        return 1\n    }\n}\n", "t.holt:1:1: error: missing return in 'f'");
    ERR("fn g() -> str {\n}\n", "t.holt:1:1: error: missing return in 'g'");
    ERR("fn g() -> int {\n    while true { break }\n}\n", "t.holt:1:1: error: missing return in 'g'");
    ERR("fn g() -> int {\n    while 1 < 2 { return 1 }\n}\n", "t.holt:1:1: error: missing return in 'g'");
    ERR("fn f() -> int {\n    return\n}\n", "t.holt:2:5: error: missing return value");
    ERR("fn f() {\n    return 1\n}\n", "t.holt:2:5: error: 'return' with a value in a function that returns nothing");
    ERR("return 1\n", "t.holt:1:1: error: 'return' with a value in a function that returns nothing");
    ERR("fn f() -> str {\n    return 1\n}\n", "t.holt:2:12: error: type mismatch: expected str, found int");
}

Test(statements, assignment)
{
    fx f;
    ok(&f, "var f = 1.0\n"
           "f = 2\n"
           "f += 1\n"
           "var s = \"a\"\n"
           "s += \"b\"\n"
           "var xs = [1]\n"
           "xs[0] = 2\n"
           "var m = {\"a\": [1]}\n"
           "m[\"b\"] = [2]\n"
           "m[\"a\"][0] -= 1\n"
           "var a: any = 1\n"
           "a = \"x\"\n"
           "var i = 7\n"
           "i <<= 2\n"
           "i %= 3\n");
    cr_assert_eq(nth(&f, S_ASSIGN, 0)->b->kind, E_CONV);
    cr_assert_eq(nth(&f, S_ASSIGN, 1)->b->kind, E_CONV);
    cr_assert_eq(nth(&f, S_ASSIGN, 1)->a->kind, E_NAME); /* the target is never converted */
    cr_assert_eq(nth(&f, S_ASSIGN, 1)->hidden, -1);
    cr_assert_eq(nth(&f, S_ASSIGN, 2)->b->kind, E_STR);
    ast_node *nested = nth(&f, S_ASSIGN, 5);
    cr_assert_str_eq(ty_name(f.m->main_fn->local_types[nested->hidden]), "[int]");
    cr_assert_eq(nth(&f, S_ASSIGN, 6)->b->kind, E_CONV);
    cr_assert_eq(nth(&f, S_ASSIGN, 6)->b->ty->kind, TY_ANY);
    done(&f);

    ERR("let x = 1\nx = 2\n", "t.holt:2:1: error: cannot assign to 'x': it was declared with let");
    ERR("let count = 1\ncount += 1\n", "t.holt:2:1: error: cannot assign to 'count': it was declared with let");
    ERR("for i in 0..3 {\n    i = 5\n}\n", "t.holt:2:5: error: cannot assign to 'i': it was declared with let");
    ERR("fn f(n: int) {\n    n = 1\n}\n", "t.holt:2:5: error: cannot assign to 'n': it is a parameter");
    ERR("fn f() {}\nf = 1\n", "t.holt:2:1: error: cannot assign to 'f': it is a function");
    ERR("total = 1\n", "t.holt:1:1: error: undefined name 'total'");
    ERR("var s = \"abc\"\ns[0] = 1\n", "t.holt:2:1: error: cannot assign to an index of str");
    ERR("var i = 0\ni += 1.5\n", "t.holt:2:6: error: type mismatch: expected int, found float");
    ERR("var i = 0\ni = \"s\"\n", "t.holt:2:5: error: type mismatch: expected int, found str");
    ERR("var s = \"a\"\ns -= \"b\"\n", "t.holt:2:1: error: operator '-' cannot be applied to str and str");
    ERR("var xs = [1]\nxs[\"a\"] = 1\n", "t.holt:2:4: error: cannot index [int] with str");
}

/* ---- modules --------------------------------------------------------------------------------- */

Test(modules, std_math)
{
    fx f;
    ok(&f, "import math\n"
           "let r = math.sqrt(2)\n"
           "let a = math.abs(-3)\n"
           "let b = math.abs(2.5)\n"
           "let c = math.min(1, 2.5)\n"
           "let d = math.max(1, 2)\n"
           "let p = math.pi\n");
    ast_node *r = named(&f, S_LET, "r")->a;
    cr_assert_eq(r->call->kind, CALL_NATIVE);
    cr_assert_str_eq(r->call->native, "math.sqrt");
    cr_assert_str_eq(r->call->sig->desc, "(F)F");
    cr_assert_eq(r->list.items[0]->kind, E_CONV);
    cr_assert_str_eq(let_type(&f, "r"), "float");
    ast_node *a = named(&f, S_LET, "a")->a;
    cr_assert_str_eq(a->call->native, "math.abs");
    cr_assert_str_eq(a->call->sig->desc, "(I)I");
    cr_assert_str_eq(let_type(&f, "a"), "int");
    ast_node *b = named(&f, S_LET, "b")->a;
    cr_assert_str_eq(b->call->sig->desc, "(F)F");
    cr_assert_str_eq(let_type(&f, "b"), "float");
    ast_node *c = named(&f, S_LET, "c")->a;
    cr_assert_str_eq(c->call->sig->desc, "(FF)F");
    cr_assert_eq(c->list.items[0]->kind, E_CONV);
    cr_assert_eq(c->list.items[1]->kind, E_FLOAT);
    cr_assert_str_eq(named(&f, S_LET, "d")->a->call->sig->desc, "(II)I");
    /* the overloads are chained on the member's symbol */
    sym *abs = a->a->member;
    cr_assert(abs);
    cr_assert(abs->overload);
    cr_assert(abs->is_native);
    ast_node *p = named(&f, S_LET, "p")->a;
    cr_assert_eq(p->kind, E_MEMBER);
    cr_assert_eq(p->member->kind, SYM_GLOBAL);
    cr_assert_str_eq(p->member->module->name, "math");
    cr_assert(p->member->module->is_std);
    cr_assert_str_eq(let_type(&f, "p"), "float");
    cr_assert_eq(f.m->nimports, 1);
    cr_assert_eq(f.m->imports[0], p->member->module);
    cr_assert_eq(nth(&f, S_IMPORT, 0)->sym->kind, SYM_MODULE);
    done(&f);

    ERR("import math\nprint(math.foo(1.0))\n", "t.holt:2:7: error: module 'math' has no member 'foo'");
    ERR("import math\nprint(math.sqrt(\"x\"))\n", "t.holt:2:17: error: type mismatch: expected float, found str");
    ERR("import math\nprint(math.pow(2.0))\n", "t.holt:2:7: error: 'pow' expects 2 arguments, found 1");
    ERR("import math\nprint(math.abs(\"x\"))\n", "t.holt:2:16: error: type mismatch: expected int, found str");
    ERR("import math\nprint(math)\n", "t.holt:2:7: error: 'math' is a module, not a value");
    ERR("import math\nmath.pi = 3.0\n", "t.holt:2:1: error: cannot assign to 'pi': it was declared with let");
    ERR("import os\nprint(os._args())\n", "t.holt:2:7: error: '_args' is private to module 'os'");
    ERR("import os\nprint(os.args())\n", "t.holt:2:7: error: cannot call a value of type [str]");
    ERR("import nosuch\n", "t.holt:1:1: error: no module named 'nosuch'");
    ERR("import lib.nosuch\n", "t.holt:1:1: error: no module named 'lib.nosuch'");
    /* uses of a module that failed to load add nothing */
    ERR("import nosuch\nprint(nosuch.x)\nnosuch.f(1)\nlet y = nosuch.z + 1\n", "t.holt:1:1: error: no module named 'nosuch'");
    ERR("import math\nimport math\n", "t.holt:2:1: error: 'math' is already declared in this block");
    fx g;
    ok(&g, "import os\nlet a: [str] = os.args\nimport math as m\nprint(m.floor(1.5))\n");
    cr_assert_str_eq(named(&g, S_LET, "a")->a->member->module->name, "os");
    done(&g);
}

/* A scratch folder holding the given files (path, text pairs, NULL-terminated). */
static char *make_tree(const char *const *files)
{
    char *dir = strdup("/tmp/holt_checker_XXXXXX");
    cr_assert(mkdtemp(dir));
    for (int i = 0; files[i]; i += 2) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        for (char *p = path + strlen(dir) + 1; *p; p++) {
            if (*p == '/') {
                *p = '\0';
                mkdir(path, 0700);
                *p = '/';
            }
        }
        FILE *fp = fopen(path, "w");
        cr_assert(fp);
        fputs(files[i + 1], fp);
        fclose(fp);
    }
    return dir;
}

static void remove_tree(char *dir, const char *const *files)
{
    for (int i = 0; files[i]; i += 2) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
        for (char *p = strrchr(path, '/'); p && p > path + strlen(dir); p = strrchr(path, '/')) {
            *p = '\0';
            rmdir(path);
        }
    }
    rmdir(dir);
    free(dir);
}

static void run_tree(fx *f, const char *dir, const char *src)
{
    char path[512];
    snprintf(path, sizeof path, "%s/app.holt", dir);
    run_path(f, path, src);
}

Test(modules, user_files)
{
    static const char *const files[] = {
        "lib/util.holt",
        "let greeting = \"hi\"\nvar count = 0\nlet _secret = 42\n"
        "fn add(a: int, b: int) -> int { return a + b }\nfn _hidden() {}\n",
        "lib/uses.holt", "import util\nimport math\nfn hyp(a: float) -> float { return math.sqrt(a) + util.add(1, 2) }\n",
        "lib/deep/inner.holt", "let where = \"deep\"\n",
        "lib/bad.holt", "fn f() -> int {\n    return \"x\"\n}\n",
        "lib/cyc_a.holt", "import cyc_b\n",
        "lib/cyc_b.holt", "import cyc_a\n",
        "lib/self_cycle.holt", "import self_cycle\n",
        "lib/private_user.holt", "import util\n\nfn peek() -> int {\n    return util._secret\n}\n",
        "math.holt", "let pi = 3\n",
        "app.holt", "import app\n",
        NULL,
    };
    char *dir = make_tree(files);
    fx f;
    run_tree(&f, dir, "import lib.util\nimport lib.uses as u\nimport lib.deep.inner\n"
                      "print(util.add(1, 2))\nutil.count = 3\nutil.count += 1\n"
                      "print(u.hyp(2))\nprint(inner.where)\nlet p: int = util.greeting.len()\n");
    cr_assert_eq(f.nerr, 0, "%s", f.out.data);
    cr_assert_str_eq(f.m->name, "app");
    cr_assert_eq(f.m->nimports, 3);
    cr_assert_str_eq(f.m->imports[0]->name, "lib.util");
    cr_assert_str_eq(f.m->imports[1]->name, "lib.uses");
    cr_assert_str_eq(f.m->imports[2]->name, "lib.deep.inner");
    /* lib/uses.holt imports util beside it: the same module, loaded once */
    cr_assert_eq(f.m->imports[1]->imports[0], f.m->imports[0]);
    /* its `import math` falls back to the standard module only when no file is beside it */
    cr_assert(f.m->imports[1]->imports[1]->is_std);
    char want[600];
    snprintf(want, sizeof want, "%s/lib/util.holt", dir);
    cr_assert_str_eq(f.m->imports[0]->path, want);
    ast_node *add = nth(&f, E_CALL, 1);
    cr_assert_eq(add->call->kind, CALL_FN);
    cr_assert_eq(add->call->target->module, f.m->imports[0]);
    cr_assert_eq(add->call->target->index, 1);
    ast_node *count = nth(&f, S_ASSIGN, 0)->a;
    cr_assert_eq(count->member->kind, SYM_GLOBAL);
    cr_assert_eq(count->member->index, 1);
    done(&f);

    /* an entry file importing `math` with math.holt beside it gets the file */
    run_tree(&f, dir, "import math\nlet x: int = math.pi\n");
    cr_assert_eq(f.nerr, 0, "%s", f.out.data);
    cr_assert_not(f.m->imports[0]->is_std);
    done(&f);

    run_tree(&f, dir, "import lib.util\nprint(util._secret)\n");
    cr_assert_eq(f.nerr, 1);
    cr_assert(strstr(f.out.data, "app.holt:2:7: error: '_secret' is private to module 'lib.util'\n"), "%s", f.out.data);
    done(&f);

    run_tree(&f, dir, "import lib.util as u\nprint(u._hidden())\n");
    cr_assert(strstr(f.out.data, "app.holt:2:7: error: '_hidden' is private to module 'lib.util'\n"), "%s", f.out.data);
    done(&f);

    run_tree(&f, dir, "import lib.util\nprint(util.nope)\nutil.greeting = \"x\"\n");
    cr_assert_eq(f.nerr, 2);
    cr_assert(strstr(f.out.data, "app.holt:2:7: error: module 'lib.util' has no member 'nope'\n"), "%s", f.out.data);
    cr_assert(strstr(f.out.data, "app.holt:3:1: error: cannot assign to 'greeting': it was declared with let\n"),
              "%s", f.out.data);
    done(&f);

    /* errors in an imported file are reported with that file's path */
    run_tree(&f, dir, "import lib.bad\n");
    cr_assert_eq(f.nerr, 1);
    cr_assert(strstr(f.out.data, "lib/bad.holt:2:12: error: type mismatch: expected int, found str\n"), "%s", f.out.data);
    done(&f);

    run_tree(&f, dir, "import lib.private_user\n");
    cr_assert(strstr(f.out.data, "lib/private_user.holt:4:12: error: '_secret' is private to module 'lib.util'\n"),
              "%s", f.out.data);
    done(&f);

    run_tree(&f, dir, "import lib.cyc_a\n");
    cr_assert_eq(f.nerr, 1);
    cr_assert(strstr(f.out.data, "lib/cyc_b.holt:1:1: error: import cycle: lib.cyc_a -> lib.cyc_b -> lib.cyc_a\n"),
              "%s", f.out.data);
    done(&f);

    run_tree(&f, dir, "import lib.self_cycle\n");
    cr_assert_eq(f.nerr, 1);
    cr_assert(strstr(f.out.data, "error: import cycle: lib.self_cycle -> lib.self_cycle\n"), "%s", f.out.data);
    done(&f);

    run_tree(&f, dir, "import app\n");
    cr_assert(strstr(f.out.data, "app.holt:1:1: error: import cycle: app -> app\n"), "%s", f.out.data);
    done(&f);

    /* diagnostics come file by file, entry first */
    run_tree(&f, dir, "import lib.bad\nlet x: int = \"y\"\n");
    cr_assert_eq(f.nerr, 2);
    const char *e1 = strstr(f.out.data, "app.holt:2:14:"), *e2 = strstr(f.out.data, "lib/bad.holt:2:12:");
    cr_assert(e1 && e2 && e1 < e2, "%s", f.out.data);
    done(&f);
    remove_tree(dir, files);
}

/* ---- the driver ------------------------------------------------------------------------------ */

Test(driver, unreadable_entry)
{
    holt_buf out;
    buf_init(&out);
    compiler *c = compiler_new(&out);
    bc_bundle *b = compile_program(c, "/nonexistent/dir/x.holt");
    cr_assert_null(b);
    cr_assert_str_eq(out.data, "holt: cannot read '/nonexistent/dir/x.holt': No such file or directory\n");
    compiler_free(c);
    buf_free(&out);
}

Test(driver, errors_stop_compilation)
{
    static const char *const files[] = {"app.holt", "let x: int = \"no\"\n", NULL};
    char *dir = make_tree(files);
    char path[512];
    snprintf(path, sizeof path, "%s/app.holt", dir);
    holt_buf out;
    buf_init(&out);
    compiler *c = compiler_new(&out);
    cr_assert_null(compile_program(c, path));
    cr_assert(strstr(out.data, "app.holt:1:14: error: type mismatch: expected int, found str\n"), "%s", out.data);
    cr_assert(strstr(out.data, "let x: int = \"no\"\n             ^\n"), "%s", out.data);
    cr_assert_eq(c->nerrors, 1);
    compiler_free(c);
    buf_free(&out);
    remove_tree(dir, files);
}

Test(driver, std_module_checks)
{
    holt_buf out;
    buf_init(&out);
    compiler *c = compiler_new(&out);
    cr_assert_null(compile_std(c, "no_such_module"));
    cr_assert_eq(out.len, 0);
    compiler_free(c);
    buf_free(&out);
    /* every standard module checks cleanly */
    static const char *const names[] = {"math", "os"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char src[64];
        snprintf(src, sizeof src, "import %s\n", names[i]);
        fx f;
        ok(&f, src);
        cr_assert(f.m->imports[0]->checked);
        done(&f);
    }
}

/* ---- several errors, no cascades, features of a later stage ---------------------------------- */

Test(errors, independent_and_ordered)
{
    ERRS("let a: int = \"x\"\n"
         "print(undefined_one)\n"
         "fn f() {\n"
         "    break\n"
         "}\n"
         "fn g() -> int {\n"
         "    return true\n"
         "}\n"
         "let b = a + 1\n"
         "print(undefined_two)\n",
         5, "t.holt:1:14: error: type mismatch: expected int, found str",
         "t.holt:2:7: error: undefined name 'undefined_one'", "t.holt:4:5: error: 'break' outside a loop",
         "t.holt:7:12: error: type mismatch: expected int, found bool",
         "t.holt:10:7: error: undefined name 'undefined_two'");
    /* one mistake, one message */
    ERR("let x = missing\nlet y = x + 1\nprint(y * 2)\nprint(y.len())\nfor e in y {}\nif y {}\nlet z: str = y\n",
        "t.holt:1:9: error: undefined name 'missing'");
    ERR("let xs = [missing]\nxs.push(1)\nprint(xs[0] + 1)\n", "t.holt:1:11: error: undefined name 'missing'");
    ERR("fn f(x: Foo) -> int { return x + 1 }\nprint(f(1) + 2)\n", "t.holt:1:9: error: unknown type 'Foo'");
    ERR("let s = \"a\" + 1\nlet t = s + \"b\"\nprint(s < t)\n",
        "t.holt:1:9: error: operator '+' cannot be applied to str and int");
}

Test(errors, later_features)
{
    OK("class A {\n}\ninterface I {\n}\n");
    ERR("let x = 1\nlet b = x is int\n", "t.holt:2:9: error: 'is' needs a reference or any value, found int");
    OK("let x = 1\nlet b = x as int\n");
    OK("fn first<T>(xs: [T]) -> T { return xs[0] }\n");
    ERR("fn f() {}\nf<int>()\n", "t.holt:2:1: error: 'f' is not generic: it takes no type arguments");
    ERR("var s: Stack<int>\n", "t.holt:1:8: error: unknown type 'Stack'");
    ERR("print(self)\n", "t.holt:1:7: error: 'self' can only be used inside a method");
}

/* ---- limits ---------------------------------------------------------------------------------- */

Test(limits, long_chains_and_else_if)
{
    /* Left-leaning chains as long as the parser allows, and a long else-if chain, check
     * without deep recursion and without errors. */
    holt_buf src;
    buf_init(&src);
    buf_puts(&src, "let x = 1");
    for (int i = 0; i < 4000; i++)
        buf_puts(&src, " + 1");
    buf_puts(&src, "\nlet s = \"a\"");
    for (int i = 0; i < 2000; i++)
        buf_puts(&src, ".upper()");
    buf_puts(&src, ".len()\nfn f(n: int) -> int {\n    if n == 0 { return 0 }");
    for (int i = 1; i < 5000; i++)
        buf_printf(&src, " else if n == %d { return %d }", i, i);
    buf_puts(&src, " else { return -1 }\n}\nlet y = x + s + f(3)\n");
    fx f;
    ok(&f, src.data);
    cr_assert_str_eq(let_type(&f, "x"), "int");
    cr_assert_str_eq(let_type(&f, "s"), "int");
    done(&f);
    buf_free(&src);

    /* a mistake deep in a chain is reported once */
    buf_init(&src);
    buf_puts(&src, "let x = 1");
    for (int i = 0; i < 100; i++)
        buf_puts(&src, i == 50 ? " + \"s\"" : " + 1");
    buf_puts(&src, "\n");
    ERR(src.data, "t.holt:1:9: error: operator '+' cannot be applied to int and str");
    buf_free(&src);
}

/* ---- function values, closures, exceptions (check_fn.c) ------------------------------------- */

Test(closures, types_of_function_values)
{
    fx f;
    ok(&f, "fn add(a: int, b: int) -> int { return a + b }\nlet g = add\n"
           "let h = fn(x: float) -> str { return \"\" }\nlet k: fn(int) = fn(x: int) {}\nlet r = g(1, 2)\n");
    cr_expect_str_eq(let_type(&f, "g"), "fn(int, int) -> int");
    cr_expect_str_eq(let_type(&f, "h"), "fn(float) -> str");
    cr_expect_str_eq(let_type(&f, "k"), "fn(int)");
    cr_expect_str_eq(let_type(&f, "r"), "int");
    cr_expect_eq(nth(&f, E_CALL, 0)->call->kind, CALL_VALUE);
    done(&f);
}

Test(closures, captures_and_cells)
{
    fx f;
    ok(&f, "fn outer(p: int) -> fn() -> int {\n    var x = 0\n    let y = 1\n"
           "    let mid = fn() -> fn() -> int {\n        return fn() -> int { return x + p }\n    }\n"
           "    return mid()\n}\n");
    ast_fn *o = fn_named(&f, "outer");
    cr_expect_eq(o->nparam_cells, 1); /* p is captured: put in a cell on entry */
    ast_node *x = named(&f, S_LET, "x"), *y = named(&f, S_LET, "y");
    cr_expect(x->sym->captured);
    cr_expect(!y->sym->captured);
    cr_expect_str_eq(ty_name(o->local_types[x->sym->cell_slot]), "^int");
    /* The middle function captures x and p although only the inner one uses them. */
    ast_node *mid = nth(&f, E_FN, 0), *in = nth(&f, E_FN, 1);
    cr_expect_eq(mid->u.fn->ncaps, 2);
    cr_expect_eq(in->u.fn->ncaps, 2);
    /* The inner function loads its cells from the middle function's capture slots. */
    for (int i = 0; i < 2; i++)
        cr_expect(in->u.fn->caps[i]->captured && in->u.fn->caps[i]->cell_slot < 2);
    done(&f);
}

Test(closures, nested_named_functions)
{
    fx f;
    ok(&f, "fn f() -> int {\n    fn fact(n: int) -> int {\n        if n < 2 { return 1 }\n"
           "        return n * fact(n - 1)\n    }\n    return fact(5)\n}\n");
    ast_node *d = nth(&f, D_FN, 1); /* pre-order: f, then fact */
    cr_expect(d->sym && d->sym->kind == SYM_LOCAL && d->sym->captured);
    cr_expect_eq(d->u.fn->ncaps, 1); /* its own cell */
    done(&f);
    ERR("fn f() {\n    fn g() -> int {\n        print(1)\n    }\n}\n", "t.holt:2:5: error: missing return in 'g'");
    ERR("fn f() {\n    fn g() {}\n    fn g() {}\n}\n", "t.holt:3:5: error: 'g' is already declared in this block");
    ERR("fn f() {\n    fn g() { g = g }\n}\n", "t.holt:2:14: error: cannot assign to 'g': it is a function");
}

Test(closures, diagnostics)
{
    ERR("let f = fn(x: int) -> int { print(x) }\n", "t.holt:1:9: error: missing return in anonymous function");
    ERR("let f = fn(x: int) {}\nf(1, 2)\n", "t.holt:2:1: error: function value expects 1 argument, found 2");
    ERR("let f = fn(x: int) {}\nf(\"a\")\n", "t.holt:2:3: error: type mismatch: expected int, found str");
    ERR("fn f() {\n    let g = fn() -> int { return later }\n    let later = 1\n}\n",
        "t.holt:2:34: error: undefined name 'later'");
    ERR("fn f() {\n    let k = 1\n    let g = fn() { k = 2 }\n}\n",
        "t.holt:3:20: error: cannot assign to 'k': it was declared with let");
    ERR("while true {\n    let g = fn() { break }\n}\n", "t.holt:2:20: error: 'break' outside a loop");
    ERR("let g = fn() -> int { return \"s\" }\n", "t.holt:1:30: error: type mismatch: expected int, found str");
    ERR("let f = fn(x: Nope) {}\n", "t.holt:1:15: error: unknown type 'Nope'");
    ERR("let p = str\n", "t.holt:1:9: error: built-in function 'str' cannot be used as a value");
}

Test(closures, list_methods_taking_functions)
{
    fx f;
    ok(&f, "let xs = [1, 2]\nlet a = xs.map(fn(x: int) -> str { return \"\" })\n"
           "let b = xs.filter(fn(x: int) -> bool { return true })\nxs.sort_by(fn(p: int, q: int) -> int { return p - q })\n");
    cr_expect_str_eq(let_type(&f, "a"), "[str]");
    cr_expect_str_eq(let_type(&f, "b"), "[int]");
    done(&f);
    ERR("let xs = [1]\nlet ys = xs.map(fn(s: str) -> int { return 1 })\n",
        "t.holt:2:17: error: map() needs a fn(int) -> U, found fn(str) -> int");
    ERR("let xs = [1]\nlet ys = xs.filter(fn(x: int) -> int { return 1 })\n",
        "t.holt:2:20: error: type mismatch: expected fn(int) -> bool, found fn(int) -> int");
    ERR("let xs = [1]\nxs.sort_by(fn(x: int) -> int { return 1 })\n",
        "t.holt:2:12: error: type mismatch: expected fn(int, int) -> int, found fn(int) -> int");
    ERR("let xs = [1]\nxs.sort_by()\n", "t.holt:2:1: error: 'sort_by' expects 1 argument, found 0");
}

Test(exceptions, throw_and_catch_rules)
{
    fx f;
    ok(&f, "fn f() -> int {\n    try {\n        throw ValueError(\"x\")\n    } catch e: ValueError {\n"
           "        return 1\n    } catch e: Error {\n        print(e.message)\n    } finally {\n    }\n    return 0\n}\n");
    done(&f);
    /* A try whose body and catches all return (or whose finally returns) ends the function. */
    ok(&f, "fn f() -> int {\n    try {\n        return 1\n    } catch e: Error {\n        return 2\n    }\n}\n"
           "fn g() -> int {\n    try {\n        print(1)\n    } finally {\n        return 3\n    }\n}\n");
    done(&f);
    ERR("fn f() -> int {\n    try {\n        return 1\n    } catch e: Error {\n        print(2)\n    }\n}\n",
        "t.holt:1:1: error: missing return in 'f'");
    ERR("throw 3\n", "t.holt:1:7: error: 'throw' needs an Error, found int");
    ERR("throw \"boom\"\n", "t.holt:1:7: error: 'throw' needs an Error, found str");
    ERR("try {\n} catch e: int {\n}\n", "t.holt:2:12: error: catch type must be an error class, found int");
    ERR("try {\n} catch e: Error {\n} catch e: IndexError {\n}\n",
        "t.holt:3:12: error: unreachable catch: IndexError is already caught by the catch of Error");
    ERR("try {\n} catch e: KeyError {\n} catch e: KeyError {\n}\n",
        "t.holt:3:12: error: unreachable catch: KeyError is already caught by the catch of KeyError");
    ERR("try {\n} catch e: KeyError {\n    e = KeyError(\"k\")\n}\n",
        "t.holt:3:5: error: cannot assign to 'e': it was declared with let");
    ERR("try {\n} catch e: Error {\n}\nprint(e)\n", "t.holt:4:7: error: undefined name 'e'");
}

/* ---- classes, interfaces, is/as, generics (check_class.c, generic.c) -------------------------- */

Test(classes, well_formed_programs)
{
    OK("interface Shape { fn area() -> float }\n"
       "class Rect : Shape {\n    w: float\n    h: float = 1\n"
       "    init(w: float, h: float) { self.w = w; self.h = h }\n"
       "    fn area() -> float { return self.w * self.h }\n"
       "    static fn square(s: float) -> Rect { return Rect(s, s) }\n}\n"
       "class Box : Rect {\n    init(s: float) { super.init(s, s) }\n"
       "    fn area() -> float { return super.area() }\n    fn to_str() -> str { return \"Box\" }\n}\n"
       "let r = Rect(2, 3)\nlet s: Shape = r\nprint(Rect.square(2).area() + s.area())\n"
       "let b: Rect = Box(1)\nprint(b == r)\nprint(b)\n");
    /* classes are visible in the whole file; a field may have the class's own type */
    OK("fn mk() -> Node { return Node() }\nclass Node {\n    next: Node\n    v: int\n}\nlet n = mk()\n"
       "n.next = Node()\nn.next.v += 2\n");
    /* a class without init whose base's init takes arguments takes the same ones */
    OK("class E : ValueError {\n    extra: int = 1\n}\nlet e = E(\"m\")\nprint(e.message + str(e.extra))\n");
}

Test(classes, member_diagnostics)
{
    ERR("class A {\n    x: int\n    fn f() -> int { return x }\n}\n",
        "t.holt:3:28: error: undefined name 'x': a field of 'A' is reached as self.x");
    ERR("class A {\n    fn g() {}\n    fn f() { g() }\n}\n",
        "t.holt:3:14: error: undefined name 'g': a method of 'A' is called as self.g(...)");
    ERR("class A {\n    x: int\n}\nprint(A().y)\n", "t.holt:4:7: error: 'A' has no field 'y'");
    ERR("class A {}\nA().f()\n", "t.holt:2:1: error: 'A' has no method 'f'");
    ERR("class A {\n    x: int\n}\nA().x()\n", "t.holt:4:1: error: 'x' is a field of 'A', not a method");
    ERR("class A {\n    fn m() {}\n}\nlet a = A()\na.m = 1\n", "t.holt:5:1: error: cannot assign to method 'm' of 'A'");
    ERR("class A {\n    fn m() {}\n}\nlet f = A().m\n", "t.holt:4:9: error: method 'm' of 'A' must be called");
    ERR("class A {\n    x: int\n    x: str\n}\n", "t.holt:3:5: error: 'x' is already declared in class 'A'");
    ERR("class A {\n    x: int\n    fn x() {}\n}\n", "t.holt:3:5: error: 'x' is already declared in class 'A'");
    ERR("class A {\n    init() {}\n    init() {}\n}\n", "t.holt:3:5: error: 'init' is already declared in class 'A'");
    ERR("class A {\n    init() -> int { }\n}\n", "t.holt:2:15: error: 'init' cannot have a result type");
    ERR("class A {\n    x: int = \"s\"\n}\n", "t.holt:2:14: error: type mismatch: expected int, found str");
    ERR("class A {\n    x: int\n}\nclass B : A {\n    x: int\n}\n",
        "t.holt:5:5: error: 'x' is already a member of base class 'A'");
    ERR("class A {\n    fn m() -> int { return 1 }\n}\nA().m() + \"s\"\n",
        "t.holt:4:1: error: operator '+' cannot be applied to int and str");
}

Test(classes, self_super_static)
{
    ERR("fn f() { print(self) }\n", "t.holt:1:16: error: 'self' can only be used inside a method");
    ERR("class A {\n    static fn s() { print(self) }\n}\n", "t.holt:2:27: error: 'self' cannot be used in a static function");
    ERR("class A {\n    fn f() { super.f() }\n}\n", "t.holt:2:14: error: 'super' used in 'A', which has no base class");
    ERR("class A {}\nclass B : A {\n    fn f() { super.init() }\n}\n",
        "t.holt:3:14: error: super.init(...) can only be called in 'init'");
    ERR("class A {}\nclass B : A {\n    fn f() { super.g() }\n}\n", "t.holt:3:14: error: 'A' has no method 'g'");
    ERR("class A {}\nclass B : A {\n    fn f() { print(super) }\n}\n",
        "t.holt:3:20: error: 'super' must be followed by a call: super.init(...) or super.name(...)");
    ERR("class A {\n    static fn s() {}\n}\nA().s()\n",
        "t.holt:4:1: error: static function 'A.s' must be called on the class, not on an instance");
    ERR("class A {\n    fn m() {}\n}\nA.m()\n",
        "t.holt:4:1: error: 'A.m' is an instance method: call it on an instance, not on the class");
    ERR("class A {}\nA.nope()\n", "t.holt:2:1: error: 'A' has no static function 'nope'");
    ERR("class A {}\nlet a = A\n", "t.holt:2:9: error: 'A' is a class, not a value; construct it with A(...)");
}

Test(classes, construction)
{
    ERR("class A {\n    init(x: int) {}\n}\nlet a = A()\n", "t.holt:4:9: error: 'A' expects 1 argument, found 0");
    ERR("class A {\n    init(x: int) {}\n}\nlet a = A(\"s\")\n", "t.holt:4:11: error: type mismatch: expected int, found str");
    ERR("class A {}\nlet a = A(1)\n", "t.holt:2:9: error: 'A' expects 0 arguments, found 1");
    ERR("interface I {}\nlet i = I()\n", "t.holt:2:9: error: cannot construct interface 'I'");
    ERR("class A {\n    init(x: int) {}\n}\nclass B : A {\n    init() {}\n}\n",
        "t.holt:5:5: error: 'init' of 'B' must call super.init(...): the init of 'A' takes arguments");
    ERR("let e = ValueError(1)\n", "t.holt:1:20: error: type mismatch: expected str, found int");
    OK("let e: Error = IndexError(\"i\")\nprint(e.message)\nclass M : KeyError {\n    init() { super.init(\"k\") }\n}\n"
       "let k: KeyError = M()\n");
}

Test(classes, inheritance_rules)
{
    ERR("class A : int {}\n", "t.holt:1:11: error: 'int' is not a class or interface");
    ERR("class A {}\nclass B {}\nclass C : A, B {}\n", "t.holt:3:14: error: a class can have only one base class ('A' and 'B')");
    ERR("interface I {}\nclass A {}\nclass B : I, A {}\n",
        "t.holt:3:14: error: the base class 'A' must come first, before the interfaces");
    ERR("class A : B {}\nclass B : A {}\n", "t.holt:2:11: error: cyclic inheritance: 'B' is its own base");
    ERR("class A : A {}\n", "t.holt:1:11: error: cyclic inheritance: 'A' is its own base");
    ERR("class A {}\ninterface I : A {}\n", "t.holt:2:15: error: an interface can only extend interfaces; 'A' is a class");
    ERR("class A : Missing {}\n", "t.holt:1:11: error: unknown type 'Missing'");
    ERR("class A {\n    fn f() -> int { return 1 }\n}\nclass B : A {\n    fn f() -> str { return \"\" }\n}\n",
        "t.holt:5:5: error: 'B.f' overrides 'A.f' with a different signature: expected fn() -> int, found fn() -> str");
    ERR("class A {\n    fn f(x: int) {}\n}\nclass B : A {\n    fn f(x: float) {}\n}\n",
        "t.holt:5:5: error: 'B.f' overrides 'A.f' with a different signature: expected fn(int), found fn(float)");
    ERR("class A {\n    static fn f() {}\n}\nclass B : A {\n    fn f() {}\n}\n",
        "t.holt:5:5: error: 'B.f' cannot override static method 'A.f'");
    ERR("interface I { fn f() -> int }\nclass A : I {}\n",
        "t.holt:2:1: error: class 'A' does not implement 'I.f' (fn() -> int)");
    ERR("interface I { fn f() -> int }\nclass A : I {\n    fn f() -> str { return \"\" }\n}\n",
        "t.holt:3:5: error: 'A.f' implements 'I.f' with a different signature: expected fn() -> int, found fn() -> str");
    /* an inherited implementation counts; base interfaces must be implemented too */
    OK("interface I { fn f() -> int }\nclass A {\n    fn f() -> int { return 1 }\n}\nclass B : A, I {}\n"
       "let i: I = B()\nprint(i.f())\n");
    ERR("interface I { fn f() }\ninterface J : I { fn g() }\nclass A : J {\n    fn g() {}\n}\n",
        "t.holt:3:1: error: class 'A' does not implement 'I.f' (fn())");
}

Test(classes, subtyping_and_identity)
{
    OK("class A {}\nclass B : A {}\nlet a: A = B()\nlet xs: [A] = [B(), A()]\nfn f(a: A) {}\nf(B())\n"
       "print(a == B())\nlet x: any = a\n");
    ERR("class A {}\nclass B : A {}\nlet a: A = A()\nlet b: B = a\n", "t.holt:4:12: error: type mismatch: expected B, found A");
    ERR("class A {}\nclass B {}\nprint(A() == B())\n", "t.holt:3:7: error: operator '==' cannot be applied to A and B");
    /* invariance of containers */
    ERR("class A {}\nclass B : A {}\nlet bs: [B] = []\nlet as_: [A] = bs\n",
        "t.holt:4:16: error: type mismatch: expected [A], found [B]");
    ERR("class A {}\nlet x: any = A()\nlet a: A = x\n", "t.holt:3:12: error: type mismatch: expected A, found any");
}

Test(classes, is_and_as)
{
    OK("class A {}\nclass B : A {}\ninterface I {}\nlet x: any = 1\nlet n = (x as int) + 1\nprint(x is float)\n"
       "let a: A = B()\nlet b = a as B\nlet i = a as I\nlet s = x as str\nlet u = b as A\nlet y = null as A\n");
    ERR("let x = 1\nprint(x is int)\n", "t.holt:2:7: error: 'is' needs a reference or any value, found int");
    ERR("let x = 1\nprint(x as str)\n", "t.holt:2:7: error: cannot cast int to str");
    ERR("class A {}\nclass B {}\nprint(A() as B)\n", "t.holt:3:7: error: cannot cast A to B");
    ERR("let s = \"s\"\nprint(s as int)\n", "t.holt:2:7: error: cannot cast str to int");
    ERR("let x: any = 1\nprint(x is Nope)\n", "t.holt:2:12: error: unknown type 'Nope'");
    fx f;
    ok(&f, "let x: any = 2\nlet y = x as int\nlet z = 3 as float\n");
    cr_expect_str_eq(let_type(&f, "y"), "int");
    cr_expect_str_eq(let_type(&f, "z"), "float");
    done(&f);
}

Test(classes, modules)
{
    fx f = {0};
    char dir[] = "/tmp/holt_cls_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/util.holt", dir);
    FILE *u = fopen(path, "w");
    cr_assert_not_null(u);
    fputs("class Point {\n    x: int\n    init(x: int) { self.x = x }\n}\nclass _Hidden {}\n", u);
    fclose(u);
    snprintf(path, sizeof path, "%s/app.holt", dir);
    buf_init(&f.out);
    f.c = compiler_new(&f.out);
    f.nerr = check_source(f.c, path,
                          "import util\nlet p: util.Point = util.Point(1)\nclass P : util.Point {\n"
                          "    init() { super.init(2) }\n}\nlet q: util.Point = P()\nlet h = util._Hidden()\n"
                          "let t: util._Hidden = null\n");
    cr_expect_eq(f.nerr, 2, "%s", f.out.data);
    cr_expect(strstr(f.out.data, "app.holt:7:9: error: '_Hidden' is private to module 'util'"), "%s", f.out.data);
    cr_expect(strstr(f.out.data, "app.holt:8:8: error: '_Hidden' is private to module 'util'"), "%s", f.out.data);
    compiler_free(f.c);
    buf_free(&f.out);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(generics, inference_and_instances)
{
    fx f;
    ok(&f, "fn first<T>(xs: [T]) -> T { return xs[0] }\nfn pair<A, B>(a: A, b: B) -> {A: B} { return {a: b} }\n"
           "class Box<T> {\n    v: T\n    init(v: T) { self.v = v }\n    fn get() -> T { return self.v }\n}\n"
           "let a = first([1, 2])\nlet b = first([\"x\"])\nlet m = pair(\"k\", 2.5)\nlet bx = Box(3)\n"
           "let by = Box<[str]>([\"s\"])\nlet v = bx.get()\nlet w = by.get()\nlet e = first<float>([1])\n");
    cr_expect_str_eq(let_type(&f, "a"), "int");
    cr_expect_str_eq(let_type(&f, "b"), "str");
    cr_expect_str_eq(let_type(&f, "m"), "{str: float}");
    cr_expect_str_eq(let_type(&f, "bx"), "Box<int>");
    cr_expect_str_eq(let_type(&f, "by"), "Box<[str]>");
    cr_expect_str_eq(let_type(&f, "v"), "int");
    cr_expect_str_eq(let_type(&f, "w"), "[str]");
    cr_expect_str_eq(let_type(&f, "e"), "float");
    cr_expect_not_null(fn_named(&f, "first"));
    done(&f);
}

Test(generics, diagnostics)
{
    ERR("class Stack<T> {\n    items: [T] = []\n}\nlet s = Stack()\n",
        "t.holt:4:9: error: cannot infer type parameter 'T' of 'Stack'; write it: Stack<...>(...)");
    ERR("fn pick<T>(a: T, b: T) -> T { return a }\nprint(pick(1, \"one\"))\n",
        "t.holt:2:15: error: conflicting types for type parameter 'T': int and str");
    ERR("fn first<T>(xs: [T]) -> T { return xs[0] }\nprint(first(5))\n",
        "t.holt:2:7: error: cannot infer type parameter 'T' of 'first'; write it: first<...>(...)");
    ERR("class P<A, B> {}\nlet p = P<int>()\n", "t.holt:2:9: error: 'P' expects 2 type arguments, found 1");
    ERR("class B<T> {}\nlet b: B<any> = B<int>()\n", "t.holt:2:17: error: type mismatch: expected B<any>, found B<int>");
    ERR("class S<T> {}\nvar s: S\n", "t.holt:2:8: error: generic class 'S' needs type arguments: S<...>");
    ERR("class A {}\nvar a: A<int>\n", "t.holt:2:8: error: 'A' is not generic: it takes no type arguments");
    ERR("fn f<T>(x: T) -> T { return x }\nprint(f<int, int>(1))\n", "t.holt:2:7: error: 'f' expects 1 type argument, found 2");
    ERR("class S<T> {\n    fn push(x: T) {}\n}\nS<int>().push(\"s\")\n",
        "t.holt:4:15: error: type mismatch: expected int, found str");
    /* an error inside a generic body that only an instance has is reported where the instance
     * is made, with a note at its place in the generic */
    ERR("fn f<T>(x: T) -> T { return x + 1 }\nprint(f(\"s\"))\n",
        "t.holt:2:7: error: in f<str>: operator '+' cannot be applied to str and int",
        "t.holt:1:29: note: in generic function 'f'");
    ERR("class C<T> {\n    fn neg(x: T) -> T { return -x }\n}\nclass D<T> {\n    c: C<T> = C<T>()\n}\n"
        "let d = D<str>()\n",
        "t.holt:7:9: error: in C<str>: operator '-' cannot be applied to str", "t.holt:2:32: note: in generic class 'C'");
}

/* An imported generic's errors are its file's, whether or not the importer instantiates it. */
Test(generics, errors_of_an_imported_generic)
{
    char dir[] = "/tmp/holt_gen_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/lib.holt", dir);
    FILE *u = fopen(path, "w");
    cr_assert_not_null(u);
    fputs("class Box<T> {\n    v: T\n    fn map<U>(f: fn(T) -> U) -> U { return f(self.v) }\n}\n", u);
    fclose(u);
    static const char *const apps[] = {"import lib\nlet b = lib.Box<int>()\nprint(b.v)\n", "import lib\nprint(1)\n"};
    for (int i = 0; i < 2; i++) {
        fx f;
        snprintf(path, sizeof path, "%s/app.holt", dir);
        buf_init(&f.out);
        f.c = compiler_new(&f.out);
        f.nerr = check_source(f.c, path, apps[i]);
        cr_expect_eq(f.nerr, 1, "%s", f.out.data);
        cr_expect(strstr(f.out.data, "lib.holt:3:5: error: generic methods are not supported\n"
                                     "    fn map<U>(f: fn(T) -> U) -> U { return f(self.v) }\n    ^\n"),
                  "%s", f.out.data);
        cr_expect_null(strstr(f.out.data, "app.holt"), "%s", f.out.data);
        compiler_free(f.c);
        buf_free(&f.out);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A generic declaration is checked once on its own, its type parameters unknown, whether or
 * not anything instantiates it; its instances do not report those errors again. */
Test(generics, checked_on_their_own)
{
    ERR("class B<T> {\n    v: T\n    fn get() -> int { return self.w }\n}\n",
        "t.holt:3:30: error: 'B<T>' has no field 'w'");
    ERR("fn f<T>(x: T) -> int { return zz }\n", "t.holt:1:31: error: undefined name 'zz'");
    ERR("fn f<T>(x: T) -> T {\n}\n", "t.holt:1:1: error: missing return in 'f'");
    ERR("fn f<T>(x: T) -> T {\n    return\n}\n", "t.holt:2:5: error: missing return value");
    ERR("interface I<T> {\n    fn m<U>(u: U) -> T\n}\n", "t.holt:2:5: error: generic methods are not supported");
    /* found on its own and again in two instances (and the generic method's own type
     * parameter is not reported as unknown) */
    ERRS("class B<T> {\n    fn m() -> int { return nope }\n    fn n<U>(u: U) -> U { return u }\n}\n"
         "fn f<T>(x: T) -> int { return zz }\nlet b = B<int>()\nlet c = B<str>()\nprint(f(1))\n",
         3, "t.holt:2:28: error: undefined name 'nope'", "t.holt:3:5: error: generic methods are not supported",
         "t.holt:5:31: error: undefined name 'zz'");
    /* what depends on the type parameters is left to the instances */
    OK("class Base<T> {\n    v: T\n    fn get() -> T { return self.v }\n}\n"
       "class Sub<T> : Base<T> {\n    fn twice() -> T { return self.get() + self.v }\n}\n"
       "fn size<T>(b: Box<T>) -> int { return b.xs.len() }\n"
       "class Box<T> {\n    xs: [T] = []\n    fn n() -> int { return size(self) }\n"
       "    fn neg() -> T { return -self.xs[0] }\n    fn up() -> str { return self.xs[0].upper() }\n}\n"
       "fn add<A, B>(a: A, b: B) -> A { return a + b }\n");
}

Test(generics, type_arguments_outside_calls)
{
    ERR("class A {}\nlet a = A<int>()\n", "t.holt:2:9: error: 'A' is not generic: it takes no type arguments");
}

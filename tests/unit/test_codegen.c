/* test_codegen.c — the opcode table and module helpers (vm/bytecode.c) and the code generator
 * (compiler/codegen.c, cg_expr.c): instruction sequences for every construct, the constant
 * pool's order and deduplication, globals and function headers, exact max_stack, line tables,
 * byte-identical output, the error paths, and that everything generated verifies. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checker.h"
#include "codegen.h"
#include "compile.h"
#include "holt.h"
#include "vm.h"

/* ---- helpers --------------------------------------------------------------------------------- */

typedef struct {
    holt_buf diag;                /* diagnostics of the compilation */
    compiler *c;
    cmodule *m;                   /* the entry module */
    bc_module *bc;                /* its code */
    char dir[64];                 /* temporary folder for multi-file programs, or "" */
} fx;

/* Check `src` as the file `path` and generate its code; it must check cleanly, generate and
 * verify. */
static bc_module *gen_path(fx *f, const char *path, const char *src)
{
    buf_init(&f->diag);
    buf_puts(&f->diag, "");
    f->c = compiler_new(&f->diag);
    int n = check_source(f->c, path, src);
    cr_assert_eq(n, 0, "unexpected diagnostics:\n%s", f->diag.data);
    f->m = f->c->modules[0];
    f->bc = cg_module(f->c, f->m);
    cr_assert_not_null(f->bc, "code generation failed: %s", f->m->diag.out->data ? f->m->diag.out->data : "");
    holt_buf err;
    buf_init(&err);
    int rc = verify_module(f->bc, &err);
    cr_assert_eq(rc, 0, "does not verify: %s", err.data ? err.data : "");
    buf_free(&err);
    return f->bc;
}

static bc_module *gen(fx *f, const char *src) { return gen_path(f, "t.holt", src); }

static void done(fx *f)
{
    bc_module_free(f->bc);
    compiler_free(f->c);
    buf_free(&f->diag);
    if (f->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
        cr_assert_eq(system(cmd), 0);
    }
}

/* A temporary folder holding the given files (NULL-terminated name/source pairs). */
static void make_dir(fx *f, ...)
{
    strcpy(f->dir, "/tmp/holt_cg_XXXXXX");
    cr_assert_not_null(mkdtemp(f->dir));
    va_list ap;
    va_start(ap, f);
    for (const char *name; (name = va_arg(ap, const char *));) {
        const char *src = va_arg(ap, const char *);
        char path[256];
        snprintf(path, sizeof path, "%s/%s", f->dir, name);
        char *slash = strrchr(path, '/');
        *slash = 0;
        mkdir(path, 0700);
        *slash = '/';
        FILE *fp = fopen(path, "w");
        cr_assert_not_null(fp);
        fputs(src, fp);
        fclose(fp);
    }
    va_end(ap);
}

/* A constant as the listings show it: ints and floats by value, strings quoted, types by
 * descriptor, natives as name+type, FUNC module.name+type, GLOBAL module.name:type. */
static void put_const(const bc_module *m, uint32_t k, holt_buf *out)
{
    const bc_const *c = &m->consts[k];
    switch (c->tag) {
    case BC_K_INT: buf_printf(out, "%lld", (long long)c->u.i); break;
    case BC_K_FLOAT: buf_printf(out, "%g", c->u.f); break;
    case BC_K_STR: buf_printf(out, "\"%s\"", c->u.s.bytes); break;
    case BC_K_TYPE: buf_puts(out, bc_type(m, k)); break;
    case BC_K_MODULE: buf_printf(out, "%s", bc_str(m, c->u.mod.name)); break;
    case BC_K_NATIVE: buf_printf(out, "%s%s", bc_str(m, c->u.ref.name), bc_type(m, c->u.ref.type)); break;
    case BC_K_FUNC:
        buf_printf(out, "%s.%s%s", bc_str(m, m->consts[c->u.ref.module].u.mod.name), bc_str(m, c->u.ref.name),
                   bc_type(m, c->u.ref.type));
        break;
    case BC_K_GLOBAL:
        buf_printf(out, "%s.%s:%s", bc_str(m, m->consts[c->u.ref.module].u.mod.name), bc_str(m, c->u.ref.name),
                   bc_type(m, c->u.ref.type));
        break;
    case BC_K_FIELD:
    case BC_K_METHOD:
        buf_printf(out, "%s.%s:%s", bc_type(m, c->u.ref.module), bc_str(m, c->u.ref.name), bc_type(m, c->u.ref.type));
        break;
    default: buf_puts(out, "?"); break;
    }
}

/* The index of the instruction starting at pc, or -1. */
static int instr_index(const bc_function *fn, uint32_t pc)
{
    int i = 0;
    for (uint32_t at = 0; at < fn->code_len; at += bc_ops[fn->code[at]].size, i++)
        if (at == pc)
            return i;
    return -1;
}

/* A function's code as "OP operands; OP operands; ...": constants rendered by put_const,
 * jump targets as @<instruction index>. Owned by the caller. */
static char *listing(const bc_module *m, const bc_function *fn)
{
    holt_buf out;
    buf_init(&out);
    buf_puts(&out, "");
    for (uint32_t pc = 0; pc < fn->code_len;) {
        const bc_opinfo *oi = &bc_ops[fn->code[pc]];
        if (pc)
            buf_puts(&out, "; ");
        buf_puts(&out, oi->name);
        uint32_t at = pc + 1;
        for (const char *p = oi->operands; *p; p++) {
            buf_putc(&out, ' ');
            switch (*p) {
            case 'b': buf_printf(&out, "%u", fn->code[at]); at += 1; break;
            case 'h': buf_printf(&out, "%u", bc_u16(fn->code + at)); at += 2; break;
            case 'k': put_const(m, bc_u16(fn->code + at), &out); at += 2; break;
            case 'i': buf_printf(&out, "%d", bc_i32(fn->code + at)); at += 4; break;
            case 'j': buf_printf(&out, "@%d", instr_index(fn, (uint32_t)((int64_t)pc + bc_i32(fn->code + at)))); at += 4; break;
            }
        }
        pc += oi->size;
    }
    size_t len;
    return buf_take(&out, &len);
}

static const bc_function *find_fn(const bc_module *m, const char *name)
{
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (strcmp(bc_str(m, m->funcs[i].name), name) == 0)
            return &m->funcs[i];
    cr_assert_fail("no function %s", name);
    return NULL;
}

/* Assert that function `name` of the module lists as `want`. */
#define CODE(m, name, want)                                                                    \
    do {                                                                                       \
        char *got_ = listing((m), find_fn((m), (name)));                                       \
        cr_expect_str_eq(got_, (want), "function %s\n got: %s\nwant: %s", (name), got_, (want)); \
        free(got_);                                                                            \
    } while (0)

/* The constant pool as "TAG value, TAG value, ..." from index 1. Owned by the caller. */
static char *pool(const bc_module *m)
{
    static const char *const tags[] = {"?", "INT", "FLOAT", "STR", "TYPE", "MODULE", "FUNC", "GLOBAL", "NATIVE"};
    holt_buf out;
    buf_init(&out);
    buf_puts(&out, "");
    for (uint32_t k = 1; k < m->nconsts; k++) {
        if (k > 1)
            buf_puts(&out, ", ");
        buf_printf(&out, "%s ", tags[m->consts[k].tag]);
        put_const(m, k, &out);
    }
    size_t len;
    return buf_take(&out, &len);
}

/* ---- bytecode.c ------------------------------------------------------------------------------ */

Test(bytecode, op_sizes_follow_operand_letters)
{
    for (int op = 0; op < OP__COUNT; op++) {
        const bc_opinfo *oi = &bc_ops[op];
        cr_assert_not_null(oi->name);
        int size = 1;
        for (const char *p = oi->operands; *p; p++) {
            cr_assert(strchr("bhkij", *p), "%s: unknown operand letter %c", oi->name, *p);
            size += *p == 'b' ? 1 : (*p == 'h' || *p == 'k') ? 2 : 4;
        }
        cr_expect_eq(oi->size, size, "%s: size %d, expected %d", oi->name, oi->size, size);
    }
    cr_expect_str_eq(bc_ops[OP_NOP].name, "NOP");
    cr_expect_eq(bc_ops[OP_RET].size, 1);
    cr_expect_eq(bc_ops[OP_IIMM].size, 5);
    cr_expect_eq(bc_ops[OP_KSTR].size, 3);
    cr_expect_eq(bc_ops[OP_NEWLIST].size, 4);
    cr_expect_eq(bc_ops[OP_SCATN].size, 2);
    cr_expect_eq(bc_ops[OP_LNEXT].size, 7);
    cr_expect_eq(bc_ops[OP_JMP].size, 5);
    cr_expect_str_eq(bc_ops[OP_TOANY].name, "TOANY");
    cr_expect_str_eq(bc_ops[OP_IADD].pops, "II");
    cr_expect_str_eq(bc_ops[OP_IADD].pushes, "I");
}

Test(bytecode, lookups_and_line_table)
{
    bc_module *m = calloc(1, sizeof *m);
    m->name = strdup("t");
    m->path = strdup("t.holt");
    m->nconsts = 4;
    m->consts = calloc(4, sizeof *m->consts);
    m->consts[1] = (bc_const){.tag = BC_K_STR, .u.s = {2, strdup("[I")}};
    m->consts[2] = (bc_const){.tag = BC_K_TYPE, .u.desc = 1};
    m->consts[3] = (bc_const){.tag = BC_K_TYPE, .u.desc = 3}; /* not a STR */
    cr_expect_str_eq(bc_str(m, 1), "[I");
    cr_expect_null(bc_str(m, 0));
    cr_expect_null(bc_str(m, 2));
    cr_expect_null(bc_str(m, 4));
    cr_expect_null(bc_str(m, 1u << 20));
    cr_expect_str_eq(bc_type(m, 2), "[I");
    cr_expect_null(bc_type(m, 1));
    cr_expect_null(bc_type(m, 3));
    cr_expect_null(bc_type(m, 9));

    bc_function f = {0};
    cr_expect_eq(bc_line_of(&f, 0), 0);
    bc_line lines[] = {{0, 3}, {5, 4}, {9, 7}, {20, 2}};
    f.lines = lines;
    f.nlines = 4;
    cr_expect_eq(bc_line_of(&f, 0), 3);
    cr_expect_eq(bc_line_of(&f, 4), 3);
    cr_expect_eq(bc_line_of(&f, 5), 4);
    cr_expect_eq(bc_line_of(&f, 8), 4);
    cr_expect_eq(bc_line_of(&f, 9), 7);
    cr_expect_eq(bc_line_of(&f, 19), 7);
    cr_expect_eq(bc_line_of(&f, 20), 2);
    cr_expect_eq(bc_line_of(&f, 1000), 2);
    f.nlines = 1;
    cr_expect_eq(bc_line_of(&f, 1000), 3);
    cr_expect_eq(bc_line_of(NULL, 0), 0);

    /* A bundle whose entries were partly taken: freeing skips the NULLs. */
    bc_bundle *b = calloc(1, sizeof *b);
    b->nmodules = 2;
    b->modules = calloc(2, sizeof *b->modules);
    b->modules[1] = m;
    bc_bundle_free(b);
    bc_bundle_free(NULL);
    bc_module_free(NULL);
}

/* ---- literals and the constant pool ---------------------------------------------------------- */

Test(codegen, int_literals_iimm_or_kint)
{
    fx f = {0};
    bc_module *m = gen(&f, "var x = 2147483647\n"
                           "x = 2147483648\n"
                           "x = -2147483648\n"
                           "x = -2147483649\n"
                           "x = -9223372036854775808\n"
                           "x = 9223372036854775807\n"
                           "x = ~0\n"
                           "x = 2147483648\n");
    CODE(m, "<main>",
         "IIMM 2147483647; GSTORE 0; KINT 2147483648; GSTORE 0; IIMM -2147483648; GSTORE 0; "
         "KINT -2147483649; GSTORE 0; KINT -9223372036854775808; GSTORE 0; KINT 9223372036854775807; GSTORE 0; "
         "IIMM -1; GSTORE 0; KINT 2147483648; GSTORE 0; RET");
    done(&f);
}

Test(codegen, pool_order_and_dedup)
{
    fx f = {0};
    bc_module *m = gen(&f, "let a = \"x\"\n"
                           "let b = \"x\"\n"
                           "let c = 5000000000\n"
                           "let d = 5000000000\n"
                           "let e = 0.0\n"
                           "let g = -0.0\n"
                           "let h = 0.0\n"
                           "let i = 1.5\n");
    char *p = pool(m);
    cr_expect_str_eq(p,
                     "STR \"a\", STR \"S\", TYPE S, STR \"b\", STR \"c\", STR \"I\", TYPE I, STR \"d\", "
                     "STR \"e\", STR \"F\", TYPE F, STR \"g\", STR \"h\", STR \"i\", "
                     "STR \"<main>\", STR \"()V\", TYPE ()V, STR \"x\", INT 5000000000, FLOAT 0, FLOAT -0, FLOAT 1.5");
    free(p);
    CODE(m, "<main>",
         "KSTR \"x\"; GSTORE 0; KSTR \"x\"; GSTORE 1; KINT 5000000000; GSTORE 2; KINT 5000000000; GSTORE 3; "
         "KFLT 0; GSTORE 4; KFLT -0; GSTORE 5; KFLT 0; GSTORE 6; KFLT 1.5; GSTORE 7; RET");
    /* 0.0 and -0.0 are distinct constants: deduplication goes by bit pattern. */
    int zeros = 0;
    for (uint32_t k = 1; k < m->nconsts; k++)
        zeros += m->consts[k].tag == BC_K_FLOAT && m->consts[k].u.f == 0.0;
    cr_expect_eq(zeros, 2);
    done(&f);
}

Test(codegen, module_constants_come_first)
{
    fx f = {0};
    make_dir(&f, "lib/util.holt", "var counter = 1\nfn bump(n: int) -> int { counter += n\n return counter }\n",
             "main.holt",
             "import lib.util\nimport math\nimport lib.util as u\n"
             "print(util.bump(2))\nutil.counter = 5\nutil.counter += 1\nprint(math.pi)\nprint(math.sqrt(2.0))\n",
             NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/main.holt", f.dir);
    buf_init(&f.diag);
    buf_puts(&f.diag, "");
    f.c = compiler_new(&f.diag);
    bc_bundle *b = compile_program(f.c, path);
    cr_assert_not_null(b, "%s", f.diag.data);
    cr_assert_eq(b->nmodules, 2);
    bc_module *m = b->modules[0];
    cr_expect_str_eq(m->name, "main");
    cr_assert_eq(m->consts[1].tag, BC_K_MODULE);
    cr_expect_str_eq(bc_str(m, m->consts[1].u.mod.name), "lib.util");
    cr_expect_eq(m->consts[1].u.mod.version, 0);
    cr_assert_eq(m->consts[2].tag, BC_K_MODULE);
    cr_expect_str_eq(bc_str(m, m->consts[2].u.mod.name), "math");
    cr_expect_eq(m->consts[2].u.mod.version, HOLT_STD_VERSION);
    cr_expect_neq(m->consts[3].tag, BC_K_MODULE, "an import under two names gives one MODULE");
    CODE(m, "<main>",
         "IIMM 2; CALLX lib.util.bump(I)I; TOSTR I; CALLN print(S)V; IIMM 5; "
         "XSTORE lib.util.counter:I; XLOAD lib.util.counter:I; IADDI 1; "
         "XSTORE lib.util.counter:I; XLOAD math.pi:F; TOSTR F; CALLN print(S)V; KFLT 2; "
         "CALLN math.sqrt(F)F; TOSTR F; CALLN print(S)V; RET");
    /* The imported module has no imports: its pool starts with its own names. */
    bc_module *u = b->modules[1];
    cr_expect_str_eq(u->name, "lib.util");
    cr_expect_eq(u->consts[1].tag, BC_K_STR);
    CODE(u, "bump", "GLOAD 0; IADDL 0; GSTORE 0; GLOAD 0; RETV");
    for (uint32_t i = 0; i < b->nmodules; i++) {
        holt_buf err;
        buf_init(&err);
        cr_expect_eq(verify_module(b->modules[i], &err), 0, "%s", err.data);
        buf_free(&err);
    }
    bc_bundle_free(b);
    done(&f);
}

/* ---- globals and functions ------------------------------------------------------------------- */

Test(codegen, globals_and_function_headers)
{
    fx f = {0};
    bc_module *m = gen(&f, "let a = 1\n"
                           "var b: [str]\n"
                           "let _c = true\n"
                           "var _d = {1: 2.0}\n"
                           "fn add(x: int, y: float) -> float { let z = x + y\n return z }\n"
                           "fn _priv(s: str) { }\n");
    cr_assert_eq(m->nglobals, 4);
    const struct {
        const char *name, *type;
        int flags;
    } want[] = {
        {"a", "I", 0},
        {"b", "[S", BC_GLOBAL_MUTABLE},
        {"_c", "Z", BC_PRIVATE},
        {"_d", "{IF", BC_GLOBAL_MUTABLE | BC_PRIVATE},
    };
    for (int i = 0; i < 4; i++) {
        cr_expect_str_eq(bc_str(m, m->globals[i].name), want[i].name);
        cr_expect_str_eq(bc_type(m, m->globals[i].type), want[i].type);
        cr_expect_eq(m->globals[i].flags, want[i].flags, "global %s", want[i].name);
    }
    cr_assert_eq(m->nfuncs, 3);
    cr_expect_eq(m->main, 0);
    const bc_function *mainf = &m->funcs[0];
    cr_expect_str_eq(bc_str(m, mainf->name), "<main>");
    cr_expect_str_eq(bc_type(m, mainf->type), "()V");
    cr_expect_eq(mainf->nparams, 0);
    cr_expect_eq(mainf->flags, 0);

    const bc_function *add = &m->funcs[1];
    cr_expect_str_eq(bc_str(m, add->name), "add");
    cr_expect_str_eq(bc_type(m, add->type), "(IF)F");
    cr_expect_eq(add->nparams, 2);
    cr_expect_eq(add->nlocals, 3);
    cr_expect_str_eq(bc_type(m, add->local_types[0]), "I");
    cr_expect_str_eq(bc_type(m, add->local_types[1]), "F");
    cr_expect_str_eq(bc_type(m, add->local_types[2]), "F");
    cr_expect_eq(add->flags, 0);
    CODE(m, "add", "LOAD 0; I2F; FADDL 1; STORE 2; LOAD 2; RETV");

    const bc_function *priv = &m->funcs[2];
    cr_expect_str_eq(bc_str(m, priv->name), "_priv");
    cr_expect_eq(priv->flags, BC_PRIVATE);
    cr_expect_eq(priv->max_stack, 0);
    CODE(m, "_priv", "RET");
    CODE(m, "<main>",
         "IIMM 1; GSTORE 0; NULL [S; GSTORE 1; TRUE; GSTORE 2; IIMM 1; KFLT 2; NEWMAP {IF 1; GSTORE 3; RET");
    done(&f);
}

Test(codegen, zero_values_for_declarations_without_initializer)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f() {\n"
                           "  for i in 0..2 {\n"
                           "    var n: int\n    var x: float\n    var b: bool\n    var s: str\n    var m: {str: int}\n"
                           "    n += 1\n  }\n}\n");
    CODE(m, "f",
         "IIMM 0; STORE 1; IIMM 2; STORE 0; LOAD2 1 0; JIGE @20; IIMM 0; STORE 2; KFLT 0; "
         "STORE 3; FALSE; STORE 4; NULL S; STORE 5; NULL {SI; STORE 6; IINC 2 1; IINC 1 1; "
         "LOAD2 1 0; JILT @6; RET");
    done(&f);
}

Test(codegen, max_stack_is_exact)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f(a: int) -> int { return a + (a * (a - (a + a))) }\n"
                           "fn g(a: int, b: int, c: int) -> int { return a }\n"
                           "fn h() -> int { return g(1, g(2, 3, 4 + 5), 6) }\n"
                           "fn k() { print(\"x\") }\n"
                           "fn l() -> [int] { return [1, 2, 3, 4] }\n");
    /* LOAD2 a a; LOAD2 a a; LOAD a; IADDL a; ...: the fused local takes no slot. */
    cr_expect_eq(find_fn(m, "f")->max_stack, 4);
    cr_expect_eq(find_fn(m, "g")->max_stack, 1);
    /* 4 + 5 is IIMM 4; IADDI 5: the fused immediate takes no slot. */
    cr_expect_eq(find_fn(m, "h")->max_stack, 4);
    cr_expect_eq(find_fn(m, "k")->max_stack, 1);
    cr_expect_eq(find_fn(m, "l")->max_stack, 4);
    cr_expect_eq(find_fn(m, "<main>")->max_stack, 0);
    CODE(m, "h", "IIMM 1; IIMM 2; IIMM 3; IIMM 4; IADDI 5; CALL 2; IIMM 6; CALL 2; RETV");
    done(&f);
}

Test(codegen, line_table)
{
    fx f = {0};
    bc_module *m = gen(&f, "let a = 1\n"
                           "\n"
                           "let b = [\n"
                           "  a,\n"
                           "  a + 1]\n"
                           "print(b)\n"
                           "fn f() {\n"
                           "}\n");
    const bc_function *mf = find_fn(m, "<main>");
    CODE(m, "<main>", "IIMM 1; GSTORE 0; GLOAD 0; GLOAD 0; IADDI 1; NEWLIST [I 2; GSTORE 1; GLOAD 1; TOSTR [I; "
                      "CALLN print(S)V; RET");
    /* pc:   0 IIMM, 5 GSTORE, 8 GLOAD(l4), 11 GLOAD(l5), 14 IADDI, 19 NEWLIST(l3), 23 GSTORE,
     *       26 GLOAD(l6) ... */
    const bc_line want[] = {{0, 1}, {8, 4}, {11, 5}, {19, 3}, {26, 6}};
    cr_assert_eq(mf->nlines, 5);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(mf->lines[i].pc, want[i].pc, "entry %d", i);
        cr_expect_eq(mf->lines[i].line, want[i].line, "entry %d", i);
    }
    cr_expect_eq(bc_line_of(mf, 20), 3);
    /* An empty function still has its one RET covered from pc 0. */
    const bc_function *ff = find_fn(m, "f");
    cr_assert_eq(ff->nlines, 1);
    cr_expect_eq(ff->lines[0].pc, 0);
    cr_expect_eq(ff->lines[0].line, 7);
    done(&f);
}

static const char *const big_program =
    "import math\n"
    "let names = [\"a\", \"b\", \"c\"]\n"
    "var total = 0.0\n"
    "fn score(s: str, w: float) -> float {\n"
    "  var t = 0.0\n"
    "  for i in 0..s.len() { t += s[i] * w }\n"
    "  if t > 100.0 && w != 0.0 { return t / w } else if t < 0 { return -t }\n"
    "  return math.sqrt(t)\n"
    "}\n"
    "let m: {str: float} = {}\n"
    "for i, n in names { m[n] = score(n, i + 1) }\n"
    "for k, v in m { total += v; print(\"{k}: {v}\") }\n"
    "var j = 0\n"
    "while j < 10 || total < 5.0 { j += 1; if j % 2 == 0 { continue }; total += j }\n"
    "print(\"total {total} {[1; 3]} {names.slice(0, 2)}\")\n";

Test(codegen, output_is_byte_identical)
{
    holt_buf bytes[2];
    for (int r = 0; r < 2; r++) {
        fx f = {0};
        gen(&f, big_program);
        bc_bundle b = {1, &f.bc};
        buf_init(&bytes[r]);
        bc_write(&b, &bytes[r]);
        done(&f);
    }
    cr_assert_gt(bytes[0].len, 100);
    cr_assert_eq(bytes[0].len, bytes[1].len);
    cr_expect_eq(memcmp(bytes[0].data, bytes[1].data, bytes[0].len), 0);
    buf_free(&bytes[0]);
    buf_free(&bytes[1]);
}

/* ---- expressions ----------------------------------------------------------------------------- */

Test(codegen, arithmetic_by_type)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn i(a: int, b: int) -> int { return (a + b - a * b / a % b & a | b ^ a << b >> a) }\n"
                           "fn f(a: float, b: int) -> float { return a + b - a * b / a % b }\n"
                           "fn s(a: str, b: str) -> str { return a + b }\n"
                           "fn u(a: int, b: float, c: bool) -> bool { return -a < 0 && -b < 0.0 && !c && ~a == 0 }\n");
    /* Precedence: | below ^ below & below shifts below + -. */
    CODE(m, "i", "LOAD 0; IADDL 1; LOAD2 0 1; IMUL; LOAD 0; IDIV; LOAD 1; IMOD; ISUB; LOAD 0; "
                 "IAND; LOAD2 1 0; LOAD 1; ISHL; LOAD 0; ISHR; IXOR; IOR; RETV");
    CODE(m, "f", "LOAD2 0 1; I2F; FADD; LOAD2 0 1; I2F; FMUL; FDIVL 0; LOAD 1; I2F; FMOD; FSUB; "
                 "RETV");
    CODE(m, "s", "LOAD2 0 1; SCAT; RETV");
    CODE(m, "u", "LOAD 0; INEG; IIMM 0; ILT; DUP; JF @11; POP; LOAD 1; FNEG; KFLT 0; FLT; DUP; JF @16; POP; "
                 "LOAD 2; NOT; DUP; JF @23; POP; LOAD 0; INOT; IIMM 0; IEQ; RETV");
    done(&f);
}

Test(codegen, comparisons_by_type)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn c(i: int, x: float, s: str, b: bool, l: [int], a: any) {\n"
                           "  print(i == 1); print(i != 1); print(i < 1); print(i <= 1); print(i > 1); print(i >= 1)\n"
                           "  print(x == i); print(x < 2)\n"
                           "  print(s == \"a\"); print(s < \"a\"); print(s >= s); print(s != null)\n"
                           "  print(b == true); print(b != b)\n"
                           "  print(l == l); print(l != null); print(null == l); print(a == a)\n"
                           "}\n");
    CODE(m, "c",
         "LOAD 0; IIMM 1; IEQ; TOSTR Z; CALLN print(S)V; LOAD 0; IIMM 1; INE; TOSTR Z; "
         "CALLN print(S)V; LOAD 0; IIMM 1; ILT; TOSTR Z; CALLN print(S)V; LOAD 0; IIMM 1; ILE; "
         "TOSTR Z; CALLN print(S)V; LOAD 0; IIMM 1; IGT; TOSTR Z; CALLN print(S)V; LOAD 0; "
         "IIMM 1; IGE; TOSTR Z; CALLN print(S)V; LOAD2 1 0; I2F; FEQ; TOSTR Z; CALLN print(S)V; "
         "LOAD 1; KFLT 2; FLT; TOSTR Z; CALLN print(S)V; LOAD 2; KSTR \"a\"; SEQ; TOSTR Z; "
         "CALLN print(S)V; LOAD 2; KSTR \"a\"; SLT; TOSTR Z; CALLN print(S)V; LOAD2 2 2; SGE; "
         "TOSTR Z; CALLN print(S)V; LOAD 2; NULL S; RNE; TOSTR Z; CALLN print(S)V; LOAD 3; "
         "TRUE; ZEQ; TOSTR Z; CALLN print(S)V; LOAD2 3 3; ZNE; TOSTR Z; CALLN print(S)V; "
         "LOAD2 4 4; REQ; TOSTR Z; CALLN print(S)V; LOAD 4; NULL [I; RNE; TOSTR Z; "
         "CALLN print(S)V; NULL [I; LOAD 4; REQ; TOSTR Z; CALLN print(S)V; LOAD2 5 5; REQ; "
         "TOSTR Z; CALLN print(S)V; RET");
    done(&f);
}

Test(codegen, logical_values_leave_one_bool)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f(a: bool, b: bool, c: bool) -> bool { return a && b || c }\n"
                           "fn g(a: bool) -> bool { let x = a || true\n return x }\n");
    CODE(m, "f", "LOAD 0; DUP; JF @5; POP; LOAD 1; DUP; JT @9; POP; LOAD 2; RETV");
    CODE(m, "g", "LOAD 0; DUP; JT @5; POP; TRUE; STORE 1; LOAD 1; RETV");
    cr_expect_eq(find_fn(m, "f")->max_stack, 2);
    done(&f);
}

Test(codegen, conversions)
{
    fx f = {0};
    bc_module *m = gen(&f, "let a: any = 1\n"
                           "let l: [any] = [2, 2.5, true, \"s\", null, [1], a]\n"
                           "let x: float = 3\n"
                           "let y: float = -4\n"
                           "fn w(n: int) -> float { return n }\n"
                           "let m: {str: any} = {\"k\": false}\n");
    CODE(m, "<main>",
         "IIMM 1; BOXI; GSTORE 0; "
         "IIMM 2; BOXI; KFLT 2.5; BOXF; TRUE; BOXZ; KSTR \"s\"; TOANY; NULL A; IIMM 1; NEWLIST [I 1; TOANY; GLOAD 0; "
         "NEWLIST [A 7; GSTORE 1; "
         "KFLT 3; GSTORE 2; KFLT -4; GSTORE 3; KSTR \"k\"; FALSE; BOXZ; NEWMAP {SA 1; GSTORE 4; RET");
    CODE(m, "w", "LOAD 0; I2F; RETV");
    done(&f);
}

Test(codegen, null_takes_its_context_type)
{
    fx f = {0};
    bc_module *m = gen(&f, "var s: str = null\n"
                           "fn f(l: [int]) -> {str: int} { return null }\n"
                           "print(f(null))\n"
                           "s = null\n"
                           "let xs: [str] = [null, \"a\"]\n"
                           "print(null)\n");
    CODE(m, "<main>", "NULL S; GSTORE 0; NULL [I; CALL 1; TOSTR {SI; CALLN print(S)V; NULL S; GSTORE 0; "
                      "NULL S; KSTR \"a\"; NEWLIST [S 2; GSTORE 1; NULL A; TOSTR A; CALLN print(S)V; RET");
    CODE(m, "f", "NULL {SI; RETV");
    done(&f);
}

Test(codegen, interpolation)
{
    fx f = {0};
    bc_module *m = gen(&f, "let n = 3\n"
                           "let s = \"x\"\n"
                           "print(\"n={n} s={s}!\")\n"
                           "print(\"{n}\")\n"
                           "print(\"{s}\")\n"
                           "print(\"{1.5}{true}\")\n"
                           "let e = \"\"\n");
    CODE(m, "<main>",
         "IIMM 3; GSTORE 0; KSTR \"x\"; GSTORE 1; "
         "KSTR \"n=\"; GLOAD 0; TOSTR I; KSTR \" s=\"; GLOAD 1; KSTR \"!\"; SCATN 5; CALLN print(S)V; "
         "GLOAD 0; TOSTR I; CALLN print(S)V; "
         "GLOAD 1; TOSTR S; CALLN print(S)V; "
         "KFLT 1.5; TOSTR F; TRUE; TOSTR Z; SCATN 2; CALLN print(S)V; "
         "KSTR \"\"; GSTORE 2; RET");
    done(&f);
}

Test(codegen, interpolation_past_255_parts_chains)
{
    holt_buf src;
    buf_init(&src);
    buf_puts(&src, "let n = 1\nlet s = \"");
    for (int i = 0; i < 300; i++)
        buf_puts(&src, "{n}");
    buf_puts(&src, "\"\n");
    fx f = {0};
    bc_module *m = gen(&f, src.data);
    char *code = listing(m, find_fn(m, "<main>"));
    /* 255 pieces join into one; that one and the remaining 45 join next. */
    const char *first = strstr(code, "SCATN 255");
    cr_assert_not_null(first);
    cr_expect_null(strstr(first + 1, "SCATN 255"));
    cr_expect_not_null(strstr(code, "SCATN 46; GSTORE 1; RET"));
    free(code);
    cr_expect_eq(find_fn(m, "<main>")->max_stack, 255);
    buf_free(&src);
    done(&f);
}

Test(codegen, long_literals)
{
    holt_buf src;
    buf_init(&src);
    buf_puts(&src, "let l = [");
    for (int i = 0; i < 260; i++)
        buf_printf(&src, "%s%d", i ? ", " : "", i);
    buf_puts(&src, "]\nlet m = {");
    for (int i = 0; i < 257; i++)
        buf_printf(&src, "%s%d: \"v\"", i ? ", " : "", i);
    buf_puts(&src, "}\n");
    fx f = {0};
    bc_module *m = gen(&f, src.data);
    char *code = listing(m, find_fn(m, "<main>"));
    cr_expect_not_null(strstr(code, "IIMM 254; NEWLIST [I 255; DUP; IIMM 255; LPUSH; DUP; IIMM 256; LPUSH; "
                                    "DUP; IIMM 257; LPUSH; DUP; IIMM 258; LPUSH; DUP; IIMM 259; LPUSH; GSTORE 0"));
    cr_expect_not_null(strstr(code, "IIMM 254; KSTR \"v\"; NEWMAP {IS 255; DUP; IIMM 255; KSTR \"v\"; MSET; "
                                    "DUP; IIMM 256; KSTR \"v\"; MSET; GSTORE 1; RET"));
    free(code);
    cr_expect_eq(find_fn(m, "<main>")->max_stack, 510);
    buf_free(&src);
    done(&f);
}

Test(codegen, indexing_and_repeat)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f(s: str, l: [float], m: {int: str}) -> int {\n"
                           "  let r = [l[0]; s[1]]\n"
                           "  return s[0] + m[2].len() + r.len()\n}\n");
    CODE(m, "f", "LOAD 1; IIMM 0; LGET; LOAD 0; IIMM 1; SGET; LISTREP [F; STORE 3; "
                 "LOAD 0; IIMM 0; SGET; LOAD 2; IIMM 2; MGET; SLEN; IADD; LOAD 3; LLEN; IADD; RETV");
    done(&f);
}

/* ---- calls ----------------------------------------------------------------------------------- */

Test(codegen, builtins)
{
    fx f = {0};
    bc_module *m = gen(&f, "print()\n"
                           "print(1)\n"
                           "print(\"lit\")\n"
                           "let s = str(2.5) + str(\"a\")\n"
                           "let i = int(2.5) + int(3)\n"
                           "let x = float(4) + float(i)\n"
                           "print(chr(65))\n"
                           "assert(i > 0, \"msg\")\n"
                           "let line = input()\n"
                           "let t = clock()\n");
    CODE(m, "<main>",
         "KSTR \"\"; CALLN print(S)V; IIMM 1; TOSTR I; CALLN print(S)V; KSTR \"lit\"; "
         "CALLN print(S)V; KFLT 2.5; TOSTR F; KSTR \"a\"; SCAT; GSTORE 0; KFLT 2.5; F2I; IADDI 3; "
         "GSTORE 1; KFLT 4; GLOAD 1; I2F; FADD; GSTORE 2; IIMM 65; CALLN chr(I)S; TOSTR S; "
         "CALLN print(S)V; GLOAD 1; IIMM 0; IGT; KSTR \"msg\"; CALLN assert(ZS)V; CALLN input()S; "
         "GSTORE 3; CALLN clock()F; GSTORE 4; RET");
    done(&f);
}

Test(codegen, methods_of_builtin_types)
{
    fx f = {0};
    bc_module *m = gen(&f, "let xs = [3, 1]\n"
                           "xs.push(2)\n"
                           "xs.sort()\n"
                           "xs.pop()\n"
                           "let n = xs.len() + \"abc\".len() + {1: true}.len()\n"
                           "let ys = xs.slice(0, 1)\n"
                           "let g = {\"a\": 1.5}.get(\"b\", 0)\n"
                           "let parts = \"a,b\".split(\",\")\n");
    CODE(m, "<main>",
         "IIMM 3; IIMM 1; NEWLIST [I 2; GSTORE 0; "
         "GLOAD 0; IIMM 2; LPUSH; "
         "GLOAD 0; CALLN list.sort([I)V; "
         "GLOAD 0; CALLN list.pop([I)I; POP; "
         "GLOAD 0; LLEN; KSTR \"abc\"; SLEN; IADD; IIMM 1; TRUE; NEWMAP {IZ 1; MLEN; IADD; GSTORE 1; "
         "GLOAD 0; IIMM 0; IIMM 1; CALLN list.slice([III)[I; GSTORE 2; "
         "KSTR \"a\"; KFLT 1.5; NEWMAP {SF 1; KSTR \"b\"; KFLT 0; CALLN map.get({SFSF)F; GSTORE 3; "
         "KSTR \"a,b\"; KSTR \",\"; CALLN str.split(SS)[S; GSTORE 4; RET");
    done(&f);
}

Test(codegen, calls_of_functions_and_natives)
{
    fx f = {0};
    bc_module *m = gen(&f, "import math\n"
                           "fn v(a: int) { }\n"
                           "fn r(a: float) -> int { return 1 }\n"
                           "v(1)\n"
                           "r(2)\n"
                           "let a = math.abs(-3) + r(math.abs(-2.5))\n"
                           "let b = math.max(1, 2.0)\n");
    CODE(m, "<main>", "IIMM 1; CALL 1; KFLT 2; CALL 2; POP; "
                      "IIMM -3; CALLN math.abs(I)I; KFLT -2.5; CALLN math.abs(F)F; CALL 2; IADD; GSTORE 0; "
                      "KFLT 1; KFLT 2; CALLN math.max(FF)F; GSTORE 1; RET");
    done(&f);
}

/* ---- statements ------------------------------------------------------------------------------ */

Test(codegen, if_else_chains)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn sign(x: int) -> int {\n"
                           "  if x > 0 { return 1 } else if x < 0 { return -1 } else { return 0 }\n}\n"
                           "fn p(x: int) {\n"
                           "  if x > 0 { print(1) } else { print(2) }\n"
                           "  if x == 0 { print(3) }\n"
                           "  if x == 1 { print(4) } else { }\n}\n");
    /* Both branches return: no JMP over the else, and nothing after. */
    CODE(m, "sign", "LOAD 0; JILEI 0 @4; IIMM 1; RETV; LOAD 0; JIGEI 0 @8; IIMM -1; RETV; "
                    "IIMM 0; RETV");
    /* A then-block before an empty else needs no jump. */
    CODE(m, "p", "LOAD 0; JILEI 0 @6; IIMM 1; TOSTR I; CALLN print(S)V; JMP @9; IIMM 2; "
                 "TOSTR I; CALLN print(S)V; LOAD 0; JINEI 0 @14; IIMM 3; TOSTR I; "
                 "CALLN print(S)V; LOAD 0; JINEI 1 @19; IIMM 4; TOSTR I; CALLN print(S)V; RET");
    done(&f);
}

Test(codegen, conditions_become_jumps)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f(a: bool, b: bool, c: bool) {\n"
                           "  if a && b || !c { print(1) }\n"
                           "  if !(a || b) { print(2) }\n}\n");
    CODE(m, "f", "JFL 0 @2; JTL 1 @3; JTL 2 @6; IIMM 1; TOSTR I; CALLN print(S)V; JTL 0 @11; "
                 "JTL 1 @11; IIMM 2; TOSTR I; CALLN print(S)V; RET");
    done(&f);
}

Test(codegen, constant_conditions_emit_no_dead_code)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f() {\n"
                           "  if true { print(1) } else { print(2) }\n"
                           "  if false { print(3) }\n"
                           "  while false { print(4) }\n"
                           "  return\n"
                           "  print(6)\n}\n"
                           "fn g() -> int {\n  var i = 0\n  while true { i += 1; if i > 3 { return i } }\n}\n"
                           "fn h() {\n  while true { break }\n  print(7)\n}\n");
    CODE(m, "f", "IIMM 1; TOSTR I; CALLN print(S)V; RET");
    CODE(m, "g", "IIMM 0; STORE 0; IINC 0 1; LOAD 0; JILEI 3 @7; LOAD 0; RETV; JMP @2");
    /* `while true { break }` is a jump to the next instruction, which is dropped. */
    CODE(m, "h", "IIMM 7; TOSTR I; CALLN print(S)V; RET");
    done(&f);
}

Test(codegen, while_with_break_and_continue)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f(n: int) {\n"
                           "  var i = 0\n"
                           "  while i < n {\n"
                           "    i += 1\n"
                           "    if i == 2 { continue }\n"
                           "    if i == 5 { break }\n"
                           "    print(i)\n"
                           "  }\n}\n");
    /* The test runs before the loop and at its bottom (continue goes there); `if c { break }`
     * is a jump straight out. */
    CODE(m, "f", "IIMM 0; STORE 1; LOAD2 1 0; JIGE @14; IINC 1 1; LOAD 1; JIEQI 2 @12; LOAD 1; "
                 "JIEQI 5 @14; LOAD 1; TOSTR I; CALLN print(S)V; LOAD2 1 0; JILT @4; RET");
    done(&f);
}

Test(codegen, for_over_a_range)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f(a: int, b: int) {\n"
                           "  for i in a..b + 1 {\n"
                           "    if i == 3 { continue }\n"
                           "    print(i)\n"
                           "  }\n}\n");
    CODE(m, "f", "LOAD 0; STORE 3; LOAD 1; IADDI 1; STORE 2; LOAD2 3 2; JIGE @15; LOAD 3; "
                 "JIEQI 3 @12; LOAD 3; TOSTR I; CALLN print(S)V; IINC 3 1; LOAD2 3 2; JILT @7; "
                 "RET");
    done(&f);
}

Test(codegen, for_over_lists)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f(xs: [str]) {\n"
                           "  for x in xs { if x == \"\" { continue }\n print(x) }\n"
                           "  for i, x in xs { if i > 2 { break }\n print(i) }\n}\n");
    CODE(m, "f", "LOAD 0; LITER 1; LNEXT 1 @12; STORE 4; LOAD 4; KSTR \"\"; SEQ; JT @2; LOAD 4; "
                 "TOSTR S; CALLN print(S)V; JMP @2; LOAD 0; LITER 5; LNEXT 5 @25; STORE 9; "
                 "LOAD 6; IADDI -1; STORE 8; LOAD 8; JIGTI 2 @25; LOAD 8; TOSTR I; "
                 "CALLN print(S)V; JMP @14; RET");
    const bc_function *fn = find_fn(m, "f");
    cr_expect_str_eq(bc_type(m, fn->local_types[1]), "[S");
    cr_expect_str_eq(bc_type(m, fn->local_types[2]), "I");
    cr_expect_str_eq(bc_type(m, fn->local_types[3]), "I");
    done(&f);
}

Test(codegen, for_over_maps)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn f(m: {str: int}) {\n"
                           "  for k in m { print(k) }\n"
                           "  for k, v in m { print(v) }\n}\n");
    CODE(m, "f", "LOAD 0; MITER 1; MNEXT 1 @9; POP; STORE 4; LOAD 4; TOSTR S; CALLN print(S)V; JMP @2; "
                 "LOAD 0; MITER 5; MNEXT 5 @18; STORE 9; STORE 8; LOAD 9; TOSTR I; CALLN print(S)V; JMP @11; RET");
    done(&f);
}

Test(codegen, assignments)
{
    fx f = {0};
    bc_module *m = gen(&f, "var g = 1\n"
                           "var fl = 1.5\n"
                           "var s = \"a\"\n"
                           "fn f(xs: [int], m: {str: float}) {\n"
                           "  var x = 0\n"
                           "  x = 2\n  x += 3\n  x <<= 1\n"
                           "  g = x\n  g -= 1\n  fl *= 2\n  s += \"b\"\n"
                           "  xs[0] = 5\n  m[\"k\"] = 1\n"
                           "  xs[x] += 2\n  m[s] /= 2\n}\n");
    CODE(m, "f", "IIMM 0; STORE 2; IIMM 2; STORE 2; IINC 2 3; LOAD 2; IIMM 1; ISHL; STORE 2; "
                 "LOAD 2; GSTORE 0; GLOAD 0; IADDI -1; GSTORE 0; GLOAD 1; KFLT 2; FMUL; "
                 "GSTORE 1; GLOAD 2; KSTR \"b\"; SCAT; GSTORE 2; LOAD 0; IIMM 0; IIMM 5; LSET; "
                 "LOAD 1; KSTR \"k\"; KFLT 1; MSET; LOAD 0; STORE 3; LOAD 2; STORE 4; "
                 "LOAD2 3 4; LOAD2 3 4; LGET; IADDI 2; LSET; LOAD 1; STORE 5; GLOAD 2; STORE 6; "
                 "LOAD2 5 6; LOAD2 5 6; MGET; KFLT 2; FDIV; MSET; RET");
    const bc_function *fn = find_fn(m, "f");
    cr_expect_eq(fn->max_stack, 4);
    cr_expect_str_eq(bc_type(m, fn->local_types[3]), "[I");
    cr_expect_str_eq(bc_type(m, fn->local_types[4]), "I");
    cr_expect_str_eq(bc_type(m, fn->local_types[5]), "{SF");
    cr_expect_str_eq(bc_type(m, fn->local_types[6]), "S");
    done(&f);
}

Test(codegen, expression_statements_pop_values)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn r() -> int { return 1 }\n"
                           "fn v() { }\n"
                           "r()\nv()\n\"abc\".upper()\n");
    CODE(m, "<main>", "CALL 1; POP; CALL 2; KSTR \"abc\"; CALLN str.upper(S)S; POP; RET");
    done(&f);
}

Test(codegen, void_functions_end_in_ret)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn a(x: int) { if x > 0 { return }\n print(x) }\n"
                           "fn b(x: int) { while x > 0 { return } }\n");
    CODE(m, "a", "LOAD 0; JILEI 0 @3; RET; LOAD 0; TOSTR I; CALLN print(S)V; RET");
    CODE(m, "b", "LOAD 0; JILEI 0 @3; RET; RET");
    done(&f);
}

/* The verifier's question about classes of other modules, answered from the compiler's types
 * (the loader answers it from the linked run-time types). */
static bool corpus_subtype(void *ctx, const char *sub, const char *super)
{
    compiler *c = ctx;
    const htype *a = ty_from_desc(c->types, sub, NULL), *b = ty_from_desc(c->types, super, NULL);
    return a && b && ty_subclass(a, b);
}

/* Every language test and sample that checks without errors generates and verifies. */
Test(codegen, every_program_in_the_corpus_verifies)
{
    /* The repository root as the compiler saw this file, relative to the build folder where
     * the tests run. */
    char root[512], cmd[1200];
    snprintf(root, sizeof root, "%s", __FILE__);
    char *tail = strstr(root, "tests/unit/test_codegen.c");
    cr_assert_not_null(tail);
    *tail = 0;
    snprintf(cmd, sizeof cmd, "find '%stests/lang' '%ssamples' -name '*.holt' 2>/dev/null | sort", root, root);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char path[1024];
    int compiled = 0;
    while (fgets(path, sizeof path, p)) {
        path[strcspn(path, "\n")] = 0;
        holt_buf diag;
        buf_init(&diag);
        compiler *c = compiler_new(&diag);
        bc_bundle *b = compile_program(c, path);
        if (b) {
            compiled++;
            for (uint32_t i = 0; i < b->nmodules; i++) {
                holt_buf err;
                buf_init(&err);
                verify_env env = {c, corpus_subtype};
                cr_expect_eq(verify_module_env(b->modules[i], &env, &err), 0, "%s: %s", path, err.data);
                buf_free(&err);
            }
        } else {
            cr_expect_null(strstr(diag.data ? diag.data : "", "code generation"), "%s: %s", path, diag.data);
        }
        bc_bundle_free(b);
        compiler_free(c);
        buf_free(&diag);
    }
    pclose(p);
    cr_log_info("%d programs compiled and verified", compiled);
}

/* ---- error paths ----------------------------------------------------------------------------- */

Test(codegen, too_many_constants_is_reported)
{
    holt_buf src;
    buf_init(&src);
    for (int i = 0; i < 66000; i++)
        buf_printf(&src, "print(\"s%d\")\n", i);
    fx f = {0};
    buf_init(&f.diag);
    f.c = compiler_new(&f.diag);
    cr_assert_eq(check_source(f.c, "big.holt", src.data), 0);
    f.m = f.c->modules[0];
    cr_expect_null(cg_module(f.c, f.m));
    cr_expect_not_null(strstr(f.m->diag.out->data, "big.holt:1:1: error: module 'big' is too large: more than 65535 constants"),
                       "%s", f.m->diag.out->data);
    buf_free(&src);
    done(&f);
}

/* A tree the checker would have refused, built by hand: generation reports and fails cleanly. */
Test(codegen, unsupported_nodes_are_reported)
{
    holt_buf out;
    buf_init(&out);
    compiler *c = compiler_new(&out);
    cmodule m = {.name = "h", .path = "h.holt", .src = "x: int\n"};
    holt_buf dout;
    buf_init(&dout);
    m.diag = (diag_ctx){.path = "h.holt", .src = m.src, .len = strlen(m.src), .out = &dout};
    m.root = ast_new(c->arena, S_BLOCK, 1, 1);
    ast_node *t = ast_new(c->arena, D_FIELD, 1, 1); /* a field outside a class */
    ast_list_push(c->arena, &m.root->list, t);
    ast_fn mainf = {.name = "<main>", .body = m.root, .ty = ty_fn(c->types, NULL, 0, ty_basic(c->types, TY_VOID))};
    ast_fn *funcs[] = {&mainf};
    m.main_fn = &mainf;
    m.funcs = funcs;
    m.nfuncs = 1;
    cr_expect_null(cg_module(c, &m));
    cr_expect_not_null(strstr(dout.data, "h.holt:1:1: error: D_FIELD is not supported yet"), "%s", dout.data);
    buf_free(&dout);
    compiler_free(c);
    buf_free(&out);
}

/* ---- function values, closures, exceptions (cg_fn.c, cg_try.c) ----------------------------- */

/* A counter: the captured var lives in a cell in its maker; the closure's capture slot 0
 * holds the cell, read with CGET and written with CSET. */
Test(closures, captured_var_goes_through_a_cell)
{
    fx f = {0};
    const bc_module *m = gen(&f, "fn make() -> fn() -> int {\n    var n = 0\n    return fn() -> int {\n"
                                 "        n += 1\n        return n\n    }\n}\n");
    const bc_function *mk = find_fn(m, "make");
    char *l = listing(m, mk);
    cr_expect_str_eq(l, "IIMM 0; CELL; STORE 1; LOAD 1; CLOSURE 2 1; RETV");
    free(l);
    const bc_function *an = find_fn(m, "<fn>");
    cr_expect_eq(an->ncaps, 1);
    cr_expect_str_eq(bc_type(m, an->local_types[0]), "^I");
    l = listing(m, an);
    cr_expect_str_eq(l, "LOAD2 0 0; CGET; IADDI 1; CSET; LOAD 0; CGET; RETV");
    free(l);
    done(&f);
}

/* A named function as a value is a closure without cells; a call of a value is CALLV. */
Test(closures, named_function_value_and_callv)
{
    fx f = {0};
    const bc_module *m = gen(&f, "fn add(a: int, b: int) -> int { return a + b }\nlet g = add\nprint(g(1, 2))\n");
    char *l = listing(m, find_fn(m, "<main>"));
    cr_expect(strstr(l, "CLOSURE 1 0; GSTORE 0") != NULL, "%s", l);
    cr_expect(strstr(l, "GLOAD 0; IIMM 1; IIMM 2; CALLV 2") != NULL, "%s", l);
    free(l);
    done(&f);
}

/* A captured parameter is moved into a cell on entry; a nested named function captures its
 * own cell to call itself. */
Test(closures, captured_parameter_and_recursive_nested_fn)
{
    fx f = {0};
    const bc_module *m = gen(&f, "fn f(k: int) -> int {\n    fn go(i: int) -> int {\n        if i == 0 { return k }\n"
                                 "        return go(i - 1)\n    }\n    return go(3)\n}\n");
    const bc_function *fn = find_fn(m, "f");
    char *l = listing(m, fn);
    cr_expect(strncmp(l, "LOAD 0; CELL; STORE ", 20) == 0, "%s", l);
    cr_expect(strstr(l, "CELL; STORE") && strstr(l, "CLOSURE 2 2; CSET"), "%s", l);
    free(l);
    const bc_function *go = find_fn(m, "go");
    cr_expect_eq(go->ncaps, 2);
    cr_expect_eq(go->nparams, 1);
    done(&f);
}

/* Another module's function used as a value gets a forwarding function of the same name. */
Test(closures, forwarder_for_another_modules_function)
{
    fx f = {0};
    make_dir(&f, "util.holt", "fn twice(x: int) -> int { return 2 * x }\n", NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/app.holt", f.dir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs("import util\nlet t = util.twice\nprint(t(4))\n", fp);
    fclose(fp);
    buf_init(&f.diag);
    f.c = compiler_new(&f.diag);
    bc_bundle *b = compile_program(f.c, path);
    cr_assert_not_null(b, "%s", f.diag.data);
    const bc_module *m = b->modules[0];
    char *l = listing(m, find_fn(m, "twice"));
    cr_expect_str_eq(l, "LOAD 0; CALLX util.twice(I)I; RETV");
    free(l);
    bc_bundle_free(b);
    done(&f);
}

/* try/catch/finally: the catch covers the body, the catch-all covers body and catches, the
 * finally is copied onto the normal exit and the catch-all rethrows. */
Test(exceptions, handler_table_and_finally_copies)
{
    fx f = {0};
    const bc_module *m = gen(&f, "fn f() {\n    try {\n        print(\"a\")\n    } catch e: ValueError {\n"
                                 "        print(\"b\")\n    } finally {\n        print(\"c\")\n    }\n}\n");
    const bc_function *fn = find_fn(m, "f");
    cr_assert_eq(fn->nhandlers, 2);
    cr_expect_str_eq(bc_type(m, fn->handlers[0].type), "LValueError;");
    cr_expect_eq(fn->handlers[1].type, 0);
    cr_expect_eq(fn->handlers[0].start, 0);
    cr_expect_eq(fn->handlers[1].start, 0);
    cr_expect(fn->handlers[1].end > fn->handlers[0].end);
    char *l = listing(m, fn);
    /* three copies of print("c"): none (catch-all), one after the try: two in all, plus "a" "b". */
    int n = 0;
    for (const char *p = l; (p = strstr(p, "KSTR \"c\"")); p++)
        n++;
    cr_expect_eq(n, 2, "%s", l);
    cr_expect(strstr(l, "THROW") != NULL, "%s", l);
    free(l);
    done(&f);
}

/* A return inside a try with finally stores its value, runs the copy, and the copy is a hole
 * in the try's handler ranges. */
Test(exceptions, return_through_finally_is_a_hole)
{
    fx f = {0};
    const bc_module *m = gen(&f, "fn f(x: int) -> int {\n    try {\n        if x > 0 { return 1 }\n"
                                 "        print(\"x\")\n    } finally {\n        print(\"fin\")\n    }\n    return 2\n}\n");
    const bc_function *fn = find_fn(m, "f");
    cr_assert(fn->nhandlers >= 2, "%u", fn->nhandlers);
    for (uint16_t i = 0; i < fn->nhandlers; i++)
        cr_expect_eq(fn->handlers[i].type, 0);
    cr_expect(fn->handlers[0].end <= fn->handlers[1].start);
    done(&f);
}

/* ---- classes (cg_class.c) -------------------------------------------------------------------- */

static const char *const shapes_src =
    "interface Shape { fn area() -> float }\n"
    "class Rect : Shape {\n"
    "    w: float\n"
    "    h: float = 1.0\n"
    "    init(w: float, h: float) { self.w = w; self.h = h }\n"
    "    fn area() -> float { return self.w * self.h }\n"
    "    static fn square(s: float) -> Rect { return Rect(s, s) }\n"
    "}\n"
    "class Box : Rect {\n"
    "    n: int\n"
    "    init(s: float) { super.init(s, s) }\n"
    "    fn area() -> float { return super.area() }\n"
    "    fn bump() { self.n += 1 }\n"
    "}\n"
    "let r = Rect(2, 3)\n"
    "let s: Shape = r\n"
    "print(s.area() + r.area())\n"
    "let b = Rect.square(2)\n";

/* Construction is NEW, DUP, arguments, CALL of init; init runs the field initializers first. */
Test(classes, construction_and_init)
{
    fx f = {0};
    bc_module *m = gen(&f, shapes_src);
    CODE(m, "Rect.init", "LOAD 0; KFLT 1; SETF Lt.Rect;.h:F; LOAD2 0 1; SETF Lt.Rect;.w:F; "
                         "LOAD2 0 2; SETF Lt.Rect;.h:F; RET");
    /* Box.init: its base's init takes arguments and is called explicitly, directly. */
    CODE(m, "Box.init", "LOAD2 0 1; LOAD 1; CALL 1; RET");
    CODE(m, "Box.area", "LOAD 0; CALL 2; RETV");
    CODE(m, "Box.bump", "LOAD 0; LOADF 0 Lt.Box;.n:I; IADDI 1; SETF Lt.Box;.n:I; RET");
    CODE(m, "Rect.square", "NEW Lt.Rect;; DUP; LOAD2 0 0; CALL 1; RETV");
    CODE(m, "<main>", "NEW Lt.Rect;; DUP; KFLT 2; KFLT 3; CALL 1; GSTORE 0; GLOAD 0; GSTORE 1; "
                      "GLOAD 1; CALLIF Lt.Shape;.area:()F; GLOAD 0; CALLVT Lt.Rect;.area:()F; FADD; TOSTR F; "
                      "CALLN print(S)V; KFLT 2; CALL 3; GSTORE 2; RET");
    const bc_function *fn = find_fn(m, "Rect.area");
    cr_expect_str_eq(bc_type(m, fn->type), "(Lt.Rect;)F");
    cr_expect_eq(fn->nparams, 1);
    done(&f);
}

/* The class section lists bases first, with own fields and own virtual methods only. */
Test(classes, class_section)
{
    fx f = {0};
    bc_module *m = gen(&f, shapes_src);
    cr_assert_eq(m->nclasses, 3);
    cr_expect_str_eq(bc_type(m, m->classes[0].type), "Lt.Shape;");
    cr_expect_eq(m->classes[0].flags, BC_CLASS_INTERFACE);
    cr_assert_eq(m->classes[0].nmethods, 1);
    cr_expect_eq(m->classes[0].methods[0].func, BC_NO_FUNC);
    cr_expect_str_eq(bc_type(m, m->classes[0].methods[0].type), "()F");
    const bc_class *rect = &m->classes[1];
    cr_expect_str_eq(bc_type(m, rect->type), "Lt.Rect;");
    cr_expect_eq(rect->super, 0);
    cr_assert_eq(rect->nifaces, 1);
    cr_expect_str_eq(bc_type(m, rect->ifaces[0]), "Lt.Shape;");
    cr_assert_eq(rect->nfields, 2);
    cr_expect_str_eq(bc_str(m, rect->fields[0].name), "w");
    cr_expect_str_eq(bc_str(m, rect->fields[1].name), "h");
    cr_assert_eq(rect->nmethods, 1); /* init and static functions are not virtual methods */
    cr_expect_str_eq(bc_str(m, rect->methods[0].name), "area");
    cr_expect_str_eq(bc_str(m, m->funcs[rect->methods[0].func].name), "Rect.area");
    const bc_class *box = &m->classes[2];
    cr_expect_str_eq(bc_type(m, box->super), "Lt.Rect;");
    cr_expect_eq(box->nfields, 1);
    cr_expect_eq(box->nmethods, 2);
    done(&f);
}

/* A class whose base comes later in the file is still emitted after its base. */
Test(classes, bases_first_whatever_the_source_order)
{
    fx f = {0};
    bc_module *m = gen(&f, "class C : B {}\nclass B : A {}\nclass A {}\nclass _P {}\nlet c = C()\n");
    cr_assert_eq(m->nclasses, 4);
    cr_expect_str_eq(bc_type(m, m->classes[0].type), "Lt.A;");
    cr_expect_str_eq(bc_type(m, m->classes[1].type), "Lt.B;");
    cr_expect_str_eq(bc_type(m, m->classes[2].type), "Lt.C;");
    cr_expect_eq(m->classes[3].flags, BC_PRIVATE);
    /* made-up inits call their base's init with no arguments */
    CODE(m, "C.init", "LOAD 0; CALL 2; RET");
    CODE(m, "B.init", "LOAD 0; CALL 1; RET");
    CODE(m, "A.init", "RET");
    done(&f);
}

/* Built-in errors have no init function: the message is stored with SETF. */
Test(classes, builtin_error_construction)
{
    fx f = {0};
    bc_module *m = gen(&f, "class MyError : ValueError {\n    code: int = 3\n}\n"
                           "let e = ValueError(\"x\")\nlet g = MyError(\"y\")\nprint(g.message)\n");
    CODE(m, "MyError.init", "LOAD 0; IIMM 3; SETF Lt.MyError;.code:I; LOAD2 0 1; "
                            "SETF LError;.message:S; RET");
    CODE(m, "<main>", "NEW LValueError;; DUP; KSTR \"x\"; SETF LError;.message:S; GSTORE 0; NEW Lt.MyError;; DUP; "
                      "KSTR \"y\"; CALL 1; GSTORE 1; GLOAD 1; GETF LError;.message:S; TOSTR S; CALLN print(S)V; RET");
    cr_assert_eq(m->nclasses, 1);
    cr_expect_str_eq(bc_type(m, m->classes[0].super), "LValueError;");
    done(&f);
}

/* is and as: IS, CAST for downcasts and unboxing; nothing for an upcast; BOX/TOANY into any. */
Test(classes, is_and_as)
{
    fx f = {0};
    bc_module *m = gen(&f, "class A {}\nclass B : A {}\n"
                           "fn f(a: A, x: any) -> int {\n"
                           "    let b = a as B\n    let u = b as A\n    let y = 5 as any\n"
                           "    if a is B && x is int { return x as int }\n    return 0\n}\n");
    CODE(m, "f", "LOAD 0; CAST Lt.B;; STORE 2; LOAD 2; STORE 3; IIMM 5; BOXI; STORE 4; LOAD 0; IS Lt.B;; JF @17; "
                 "LOAD 1; IS I; JF @17; LOAD 1; CAST I; RETV; IIMM 0; RETV");
    done(&f);
}

/* Generic instances are functions and classes of their own, named by their type arguments. */
Test(classes, generic_instances)
{
    fx f = {0};
    bc_module *m = gen(&f, "class Box<T> {\n    v: T\n    fn get() -> T { return self.v }\n}\n"
                           "fn first<T>(xs: [T]) -> T { return xs[0] }\n"
                           "let a = first([1])\nlet b = first([\"s\"])\nlet c = first([2])\n"
                           "let x = Box<int>()\nlet y = Box<str>()\nprint(x.get() + a)\n");
    const bc_function *fi = find_fn(m, "first<int>");
    cr_expect_str_eq(bc_type(m, fi->type), "([I)I");
    find_fn(m, "first<str>");
    CODE(m, "Box<int>.get", "LOADF 0 Lt.Box<int>;.v:I; RETV");
    CODE(m, "Box<str>.get", "LOADF 0 Lt.Box<str>;.v:S; RETV");
    cr_expect_eq(m->nclasses, 2);
    int n = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        n += strcmp(bc_str(m, m->funcs[i].name), "first<int>") == 0;
    cr_expect_eq(n, 1, "one instance per list of type arguments");
    done(&f);
}

/* ---- superinstructions on locals (the peephole's second set) ------------------------------- */

static const char *const fused_fields_src =
    "class P {\n"
    "    x: int\n"
    "    y: float\n"
    "    next: P\n"
    "    fn getx() -> int { return self.x }\n"
    "    fn sum() -> float { return self.x + self.y }\n"
    "}\n"
    "class Q : P { }\n"
    "let gp = P()\n"
    "fn mk() -> P { return gp }\n"
    "fn local(p: P) -> int {\n    let q = p.next\n    return q.x\n}\n"
    "fn two(a: int, p: P) -> int { return a + p.x }\n"
    "fn two_rev(a: int, p: P) -> int { return p.x - a }\n"
    "fn chain(p: P) -> int { return p.next.x }\n"
    "fn glob() -> int { return gp.x + mk().x }\n"
    "fn sub(q: Q) -> float { return q.y }\n"
    "fn store(p: P, v: int) { p.x = v }\n";

/* LOAD h; GETF k -> LOADF h k: `self.x` in a method and a field of any local object; a LOAD2
 * a h before the GETF keeps its first half. A global, a call's result and a field of a field
 * are no local: plain GETF. */
Test(codegen, superinstructions_loadf)
{
    fx f = {0};
    bc_module *m = gen(&f, fused_fields_src);
    CODE(m, "P.getx", "LOADF 0 Lt.P;.x:I; RETV");
    CODE(m, "P.sum", "LOADF 0 Lt.P;.x:I; I2F; LOADF 0 Lt.P;.y:F; FADD; RETV");
    CODE(m, "local", "LOADF 0 Lt.P;.next:Lt.P;; STORE 1; LOADF 1 Lt.P;.x:I; RETV");
    /* LOAD2 0 1; GETF -> LOAD 0; LOADF 1; the IADD then follows a LOADF, not a LOAD. */
    CODE(m, "two", "LOAD 0; LOADF 1 Lt.P;.x:I; IADD; RETV");
    CODE(m, "two_rev", "LOADF 1 Lt.P;.x:I; ISUBL 0; RETV");
    CODE(m, "chain", "LOADF 0 Lt.P;.next:Lt.P;; GETF Lt.P;.x:I; RETV");
    CODE(m, "glob", "GLOAD 0; GETF Lt.P;.x:I; CALL 1; GETF Lt.P;.x:I; IADD; RETV");
    /* A subclass's local reads the inherited field by its declaring class. */
    CODE(m, "sub", "LOADF 0 Lt.P;.y:F; RETV");
    CODE(m, "store", "LOAD2 0 1; SETF Lt.P;.x:I; RET");
    cr_expect_eq(find_fn(m, "two")->max_stack, 2);
    cr_expect_eq(find_fn(m, "local")->max_stack, 1);
    cr_expect_eq(find_fn(m, "P.sum")->max_stack, 2);
    done(&f);
}

/* LOAD a; LOAD b -> LOAD2 a b; a third LOAD stays alone (LOAD2 is not fused again), a fourth
 * makes the next pair. */
Test(codegen, superinstructions_load2)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn g(a: int, b: int, c: int, d: int) -> int { return a * b }\n"
                           "fn f(a: int, b: int, c: int, d: int) -> int { return g(a, b, c, d) * g(a, a, b, 1) }\n"
                           "fn s(a: str, b: str) -> bool { return a < b }\n");
    CODE(m, "g", "LOAD2 0 1; IMUL; RETV");
    CODE(m, "f", "LOAD2 0 1; LOAD2 2 3; CALL 1; LOAD2 0 0; LOAD 1; IIMM 1; CALL 1; IMUL; RETV");
    CODE(m, "s", "LOAD2 0 1; SLT; RETV");
    cr_expect_eq(find_fn(m, "f")->max_stack, 5);
    done(&f);
}

/* No fusion reaches back over a jump target: `a && b` as a value ends in `LOAD b; end:`, and
 * a jump lands on what follows, so LOAD b and the next LOAD stay two instructions, and a LOAD
 * h; GETF after the label still fuses (the label is at its start). */
Test(codegen, superinstructions_stop_at_labels)
{
    fx f = {0};
    bc_module *m = gen(&f, "class P { x: int }\n"
                           "fn k(b: bool, n: int) -> int { return n }\n"
                           "fn eq(a: bool, b: bool, c: bool) -> bool { return (a && b) == c }\n"
                           "fn ne(a: bool, b: bool, c: bool) -> bool { return (a || b) != c }\n"
                           "fn fld(a: bool, b: bool, p: P) -> int { return k(a && b, p.x) }\n"
                           "fn add(a: bool, b: bool, i: int, j: int) -> int { return k(a || b, i + j) }\n");
    CODE(m, "eq", "LOAD 0; DUP; JF @5; POP; LOAD 1; LOAD 2; ZEQ; RETV");
    CODE(m, "ne", "LOAD 0; DUP; JT @5; POP; LOAD 1; LOAD 2; ZNE; RETV");
    CODE(m, "fld", "LOAD 0; DUP; JF @5; POP; LOAD 1; LOADF 2 Lt.P;.x:I; CALL 1; RETV");
    CODE(m, "add", "LOAD 0; DUP; JT @5; POP; LOAD 1; LOAD 2; IADDL 3; CALL 1; RETV");
    done(&f);
}

/* LOAD h; IADD / ISUB -> IADDL / ISUBL h for an int local h; the local is always the right
 * operand. An immediate keeps IADDI; IMUL, IDIV, IMOD have no fused form; a global, and a
 * captured var (a cell local, read through CGET), are no int local. */
Test(codegen, superinstructions_int_locals)
{
    fx f = {0};
    bc_module *m = gen(&f, "var gi = 1\n"
                           "fn ia(a: int, b: int) -> int { return a + b }\n"
                           "fn isb(a: int, b: int) -> int { return a - b }\n"
                           "fn ic(a: int) -> int { return 7 - a }\n"
                           "fn iimm(a: int) -> int { return a + 7 }\n"
                           "fn ichain(a: int, b: int) -> int { return a - b + a - b }\n"
                           "fn inone(a: int, b: int) -> int { return a * b / a % b }\n"
                           "fn ig(a: int) -> int { return gi + a - gi }\n"
                           "fn cell(a: int) -> int {\n    var n = 1\n    let f = fn() -> int { return n }\n"
                           "    return a + n\n}\n"
                           "fn loop(n: int, s: int) {\n    for i in 0..n { print(s - i) }\n}\n");
    CODE(m, "ia", "LOAD 0; IADDL 1; RETV");
    CODE(m, "isb", "LOAD 0; ISUBL 1; RETV");
    CODE(m, "ic", "IIMM 7; ISUBL 0; RETV");
    CODE(m, "iimm", "LOAD 0; IADDI 7; RETV");
    CODE(m, "ichain", "LOAD 0; ISUBL 1; IADDL 0; ISUBL 1; RETV");
    CODE(m, "inone", "LOAD2 0 1; IMUL; LOAD 0; IDIV; LOAD 1; IMOD; RETV");
    CODE(m, "ig", "GLOAD 0; IADDL 0; GLOAD 0; ISUB; RETV");
    CODE(m, "cell", "IIMM 1; CELL; STORE 2; LOAD 2; CLOSURE 10 1; STORE 3; LOAD2 0 2; CGET; IADD; RETV");
    /* The range loop's variable (slot 3; slot 2 holds the end) is an int local too. */
    CODE(m, "loop", "IIMM 0; STORE 3; LOAD 0; STORE 2; LOAD2 3 2; JIGE @13; LOAD 1; ISUBL 3; TOSTR I; "
                    "CALLN print(S)V; IINC 3 1; LOAD2 3 2; JILT @6; RET");
    cr_expect_eq(find_fn(m, "ia")->max_stack, 1);
    cr_expect_eq(find_fn(m, "ic")->max_stack, 1);
    done(&f);
}

/* LOAD h; FADD .. FDIV -> FADDL .. FDIVL h for a float local h. An int local converted with
 * I2F between them is not a float local; FMOD has no fused form; a global is no local; a
 * float local that was assigned an int is one. */
Test(codegen, superinstructions_float_locals)
{
    fx f = {0};
    bc_module *m = gen(&f, "var gf = 1.5\n"
                           "fn fa(x: float, y: float) -> float { return x + y }\n"
                           "fn fs(x: float, y: float) -> float { return x - y }\n"
                           "fn fm(x: float, y: float) -> float { return x * y }\n"
                           "fn fd(x: float, y: float) -> float { return x / y }\n"
                           "fn fk(x: float) -> float { return 1.0 / x - x * 2.0 }\n"
                           "fn fnone(x: float, y: float) -> float { return x % y }\n"
                           "fn fmix(x: float, i: int) -> float { return (x + i) * (i * x) - x / i + (i - x) }\n"
                           "fn fg(x: float) -> float { return gf * x + x * gf }\n"
                           "fn fconv(x: float, i: int) -> float {\n    let z: float = i\n    return x + z\n}\n"
                           "fn fchain(x: float, y: float) -> float { return x / y * y - x + y }\n");
    CODE(m, "fa", "LOAD 0; FADDL 1; RETV");
    CODE(m, "fs", "LOAD 0; FSUBL 1; RETV");
    CODE(m, "fm", "LOAD 0; FMULL 1; RETV");
    CODE(m, "fd", "LOAD 0; FDIVL 1; RETV");
    CODE(m, "fk", "KFLT 1; FDIVL 0; LOAD 0; KFLT 2; FMUL; FSUB; RETV");
    CODE(m, "fnone", "LOAD2 0 1; FMOD; RETV");
    CODE(m, "fmix", "LOAD2 0 1; I2F; FADD; LOAD 1; I2F; FMULL 0; FMUL; LOAD2 0 1; I2F; FDIV; FSUB; "
                    "LOAD 1; I2F; FSUBL 0; FADD; RETV");
    CODE(m, "fg", "GLOAD 0; FMULL 0; LOAD 0; GLOAD 0; FMUL; FADD; RETV");
    CODE(m, "fconv", "LOAD 1; I2F; STORE 2; LOAD 0; FADDL 2; RETV");
    CODE(m, "fchain", "LOAD 0; FDIVL 1; FMULL 1; FSUBL 0; FADDL 1; RETV");
    cr_expect_eq(find_fn(m, "fa")->max_stack, 1);
    cr_expect_eq(find_fn(m, "fmix")->max_stack, 3);
    done(&f);
}

/* `x == null` and `x != null` as conditions: NULL; REQ / RNE; JT / JF -> JNULL / JNNULL,
 * whatever the reference type, in if, else-if, &&, ||, ! and at a while's both tests. Not
 * for `null == x` (the NULL is not the last operand), not for two references, not where the
 * bool is a value. */
Test(codegen, superinstructions_null_jumps)
{
    fx f = {0};
    bc_module *m = gen(&f, "class P { next: P }\n"
                           "fn c(x: P, s: str, l: [int], a: any) {\n"
                           "    if x == null { print(1) }\n"
                           "    if x != null { print(2) }\n"
                           "    if s == null { print(3) } else if l != null { print(4) } else { print(5) }\n"
                           "    if a != null && x == null { print(6) }\n"
                           "    if !(a == null) || s != null { print(7) }\n"
                           "}\n"
                           "fn w(x: P) -> int {\n    var n = 0\n    var p = x\n"
                           "    while p != null {\n        n += 1\n        p = p.next\n    }\n    return n\n}\n"
                           "fn early(x: P) -> int {\n    if x == null { return 0 }\n    return 1\n}\n"
                           "fn not_fused(x: P, y: P) -> bool {\n"
                           "    if null == x { print(1) }\n"
                           "    if x == y { print(2) }\n"
                           "    let b = x == null\n"
                           "    print(x != null)\n"
                           "    return x == null\n}\n");
    CODE(m, "c", "LOAD 0; JNNULL @5; IIMM 1; TOSTR I; CALLN print(S)V; "
                 "LOAD 0; JNULL @10; IIMM 2; TOSTR I; CALLN print(S)V; "
                 "LOAD 1; JNNULL @16; IIMM 3; TOSTR I; CALLN print(S)V; JMP @25; "
                 "LOAD 2; JNULL @22; IIMM 4; TOSTR I; CALLN print(S)V; JMP @25; "
                 "IIMM 5; TOSTR I; CALLN print(S)V; "
                 "LOAD 3; JNULL @32; LOAD 0; JNNULL @32; IIMM 6; TOSTR I; CALLN print(S)V; "
                 "LOAD 3; JNNULL @36; LOAD 1; JNULL @39; IIMM 7; TOSTR I; CALLN print(S)V; RET");
    CODE(m, "w", "IIMM 0; STORE 1; LOAD 0; STORE 2; LOAD 2; JNULL @11; IINC 1 1; LOADF 2 Lt.P;.next:Lt.P;; "
                 "STORE 2; LOAD 2; JNNULL @6; LOAD 1; RETV");
    CODE(m, "early", "LOAD 0; JNNULL @4; IIMM 0; RETV; IIMM 1; RETV");
    CODE(m, "not_fused", "NULL Lt.P;; LOAD 0; REQ; JF @7; IIMM 1; TOSTR I; CALLN print(S)V; "
                         "LOAD2 0 1; REQ; JF @13; IIMM 2; TOSTR I; CALLN print(S)V; "
                         "LOAD 0; NULL Lt.P;; REQ; STORE 2; "
                         "LOAD 0; NULL Lt.P;; RNE; TOSTR Z; CALLN print(S)V; "
                         "LOAD 0; NULL Lt.P;; REQ; RETV");
    cr_expect_eq(find_fn(m, "early")->max_stack, 1);
    done(&f);
}

/* ---- superinstructions on locals: three locals, bool locals, immediates, field updates ----- */

/* LOAD a; IADDL b; STORE d -> IADD3 d a b, and ISUB3, FADD3 .. FDIV3 the same, from `c = a + b`
 * and `c += b` (LOAD c; IADDL b; STORE c). The operands keep their order (b - a is ISUB3 d b a)
 * and d may be a or b, or both (`c = c + c`). IMUL has no three-local form. A fused
 * statement leaves nothing on the operand stack: a function made only of them needs none. */
Test(codegen, superinstructions_three_locals)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn iadd(a: int, b: int) -> int {\n"
                           "    var c = a + b\n    c = b + a\n    c += b\n    c = c + a\n    c = a + c\n"
                           "    c = c + c\n    c = c * c\n    return c\n}\n"
                           "fn isub(a: int, b: int) -> int {\n"
                           "    var c = a - b\n    c = b - a\n    c -= b\n    c = c - a\n    c = a - c\n"
                           "    c = c - c\n    return c\n}\n"
                           "fn fops(x: float, y: float) -> float {\n"
                           "    var z = x + y\n    z = x - y\n    z = y - x\n    z = x * y\n    z = x / y\n"
                           "    z = y / x\n    z += x\n    z -= y\n    z *= x\n    z /= y\n    z = z * z\n"
                           "    z = x - z\n    z = z / z\n    return z\n}\n"
                           "fn only(a: int, b: int, x: float, y: float) {\n"
                           "    var c = a - b\n    var z = y / x\n}\n");
    CODE(m, "iadd", "IADD3 2 0 1; IADD3 2 1 0; IADD3 2 2 1; IADD3 2 2 0; IADD3 2 0 2; IADD3 2 2 2; "
                    "LOAD2 2 2; IMUL; STORE 2; LOAD 2; RETV");
    CODE(m, "isub", "ISUB3 2 0 1; ISUB3 2 1 0; ISUB3 2 2 1; ISUB3 2 2 0; ISUB3 2 0 2; ISUB3 2 2 2; "
                    "LOAD 2; RETV");
    CODE(m, "fops", "FADD3 2 0 1; FSUB3 2 0 1; FSUB3 2 1 0; FMUL3 2 0 1; FDIV3 2 0 1; FDIV3 2 1 0; "
                    "FADD3 2 2 0; FSUB3 2 2 1; FMUL3 2 2 0; FDIV3 2 2 1; FMUL3 2 2 2; FSUB3 2 0 2; "
                    "FDIV3 2 2 2; LOAD 2; RETV");
    CODE(m, "only", "ISUB3 4 0 1; FDIV3 5 3 2; RET");
    cr_expect_eq(find_fn(m, "iadd")->max_stack, 2);
    cr_expect_eq(find_fn(m, "isub")->max_stack, 1);
    cr_expect_eq(find_fn(m, "fops")->max_stack, 1);
    cr_expect_eq(find_fn(m, "only")->max_stack, 0);
    done(&f);
}

/* The three-local forms only where d, a and b are all locals of exactly the operation's type:
 * not into a float local from int locals (the sum is an IADDL then I2F), not for mixed int
 * and float operands (I2F in between), not into an any local (BOXI), a global (GSTORE), a
 * field (SETF) or a captured var (CSET), not from a global, a field, a cell (CGET) or an
 * immediate on the left; `k = k + 1` stays IINC, `k = j + 1` an IADDI. */
Test(codegen, superinstructions_three_locals_need_one_type)
{
    fx f = {0};
    bc_module *m = gen(&f, "var gi = 1\nvar gf = 1.5\n"
                           "class P {\n    n: int\n    f: float\n}\n"
                           "fn mixed(i: int, j: int, x: float, p: P) -> float {\n"
                           "    var z = 0.0\n    z = i + j\n    z = x + i\n    z = i + x\n    z = i - j\n"
                           "    var a: any = i + j\n    gi = i + j\n    gf = x * x\n    p.n = i + j\n"
                           "    p.f = x / x\n    var k = i * j\n    k = gi + j\n    k = 1 + j\n    k = j + 1\n"
                           "    k = k + 1\n    k = p.n + j\n    k = i - 1\n    return z\n}\n"
                           "fn cells(i: int, j: int) -> int {\n    var n = 0\n"
                           "    let f = fn() -> int { return n }\n    n = i + j\n    var k = n - i\n"
                           "    return k\n}\n");
    CODE(m, "mixed", "KFLT 0; STORE 4; LOAD 0; IADDL 1; I2F; STORE 4; LOAD2 2 0; I2F; FADD; STORE 4; "
                     "LOAD 0; I2F; FADDL 2; STORE 4; LOAD 0; ISUBL 1; I2F; STORE 4; "
                     "LOAD 0; IADDL 1; BOXI; STORE 5; LOAD 0; IADDL 1; GSTORE 0; LOAD 2; FMULL 2; GSTORE 1; "
                     "LOAD2 3 0; IADDL 1; SETF Lt.P;.n:I; LOAD2 3 2; FDIVL 2; SETF Lt.P;.f:F; "
                     "LOAD2 0 1; IMUL; STORE 6; GLOAD 0; IADDL 1; STORE 6; IIMM 1; IADDL 1; STORE 6; "
                     "LOAD 1; IADDI 1; STORE 6; IINC 6 1; LOADF 3 Lt.P;.n:I; IADDL 1; STORE 6; "
                     "LOAD 0; IADDI -1; STORE 6; LOAD 4; RETV");
    CODE(m, "cells", "IIMM 0; CELL; STORE 3; LOAD 3; CLOSURE 4 1; STORE 4; LOAD2 3 0; IADDL 1; CSET; "
                     "LOAD 3; CGET; ISUBL 0; STORE 5; LOAD 5; RETV");
    done(&f);
}

/* A jump back to the start of a fused sequence still runs it: the range loop's body starts
 * with `acc = acc + i`, which the loop's back edge (JILT) targets, and it fuses whole. */
Test(codegen, superinstructions_three_locals_at_a_label)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn loop(n: int, s: int) -> int {\n    var acc = 0\n"
                           "    for i in 0..n {\n        acc = acc + i\n        acc -= s\n    }\n"
                           "    return acc\n}\n");
    CODE(m, "loop", "IIMM 0; STORE 2; IIMM 0; STORE 4; LOAD 0; STORE 3; LOAD2 4 3; JIGE @13; "
                    "IADD3 2 2 4; ISUB3 2 2 1; IINC 4 1; LOAD2 4 3; JILT @8; LOAD 2; RETV");
    done(&f);
}

/* LOAD h; JT / JF -> JTL / JFL h for a bool local h (a parameter or a var): in if, `!`,
 * else-if, && and ||, and at both tests of a while, whose `continue` lands on the JFL. A
 * bool global, a bool field and a captured bool (a cell, read through CGET) are no bool
 * local: GLOAD / LOADF / CGET then JF. Not where the bool is a value (`a && b` stored: its
 * DUP; JF stays), nor after a comparison of bools (ZEQ). */
Test(codegen, superinstructions_bool_local_jumps)
{
    fx f = {0};
    bc_module *m = gen(&f, "var gb = true\n"
                           "class P {\n    b: bool\n}\n"
                           "fn k(n: int) { print(n) }\n"
                           "fn bools(flag: bool, other: bool, p: P) {\n"
                           "    if flag { k(1) }\n"
                           "    if !flag { k(2) }\n"
                           "    if flag { k(3) } else if other { k(4) } else { k(5) }\n"
                           "    if flag && other { k(6) }\n"
                           "    if flag || other { k(7) }\n"
                           "    if gb { k(8) }\n"
                           "    if p.b { k(9) }\n"
                           "    let v = flag && other\n"
                           "    if v == flag { k(10) }\n"
                           "}\n"
                           "fn loops(n: int) -> int {\n    var done = false\n    var i = 0\n"
                           "    while !done {\n        i += 1\n        if i < n { continue }\n"
                           "        done = true\n    }\n    return i\n}\n"
                           "fn spin(f: bool) {\n    while f { }\n}\n"
                           "fn cell(flag: bool) {\n    var c = flag\n    let f = fn() -> bool { return c }\n"
                           "    if c { k(1) }\n}\n");
    CODE(m, "bools", "JFL 0 @3; IIMM 1; CALL 1; JTL 0 @6; IIMM 2; CALL 1; "
                     "JFL 0 @10; IIMM 3; CALL 1; JMP @16; JFL 1 @14; IIMM 4; CALL 1; JMP @16; IIMM 5; CALL 1; "
                     "JFL 0 @20; JFL 1 @20; IIMM 6; CALL 1; JTL 0 @22; JFL 1 @24; IIMM 7; CALL 1; "
                     "GLOAD 0; JF @28; IIMM 8; CALL 1; LOADF 2 Lt.P;.b:Z; JF @32; IIMM 9; CALL 1; "
                     "LOAD 0; DUP; JF @37; POP; LOAD 1; STORE 3; LOAD2 3 0; ZEQ; JF @43; IIMM 10; CALL 1; RET");
    CODE(m, "loops", "FALSE; STORE 1; IIMM 0; STORE 2; JTL 1 @11; IINC 2 1; LOAD2 2 0; JILT @10; TRUE; "
                     "STORE 1; JFL 1 @5; LOAD 2; RETV");
    CODE(m, "spin", "JFL 0 @2; JTL 0 @1; RET");
    CODE(m, "cell", "LOAD 0; CELL; STORE 2; LOAD 2; CLOSURE 7 1; STORE 3; LOAD 2; CGET; JF @11; IIMM 1; "
                    "CALL 1; RET");
    cr_expect_eq(find_fn(m, "spin")->max_stack, 0);
    cr_expect_eq(find_fn(m, "loops")->max_stack, 2);
    done(&f);
}

/* IIMM c; JIEQ .. JIGE -> JIEQI c .. JIGEI c: each comparison with a constant on the right, as
 * an if (JF: the inverse comparison jumps to the else) and negated (JT: the comparison
 * itself), in || and at both tests of a while. The IIMM's operand is gone: one slot less. */
Test(codegen, superinstructions_immediate_jumps)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn k(n: int) { print(n) }\n"
                           "fn jf(x: int) {\n"
                           "    if x == 1 { k(1) }\n    if x != 2 { k(2) }\n    if x < 3 { k(3) }\n"
                           "    if x <= 4 { k(4) }\n    if x > 5 { k(5) }\n    if x >= 6 { k(6) }\n}\n"
                           "fn jt(x: int) {\n"
                           "    if !(x == 1) { k(1) }\n    if !(x != 2) { k(2) }\n    if !(x < 3) { k(3) }\n"
                           "    if !(x <= 4) { k(4) }\n    if !(x > 5) { k(5) }\n    if !(x >= 6) { k(6) }\n}\n"
                           "fn jor(x: int, y: int) {\n    if x < 0 || y > 9 { k(1) }\n}\n"
                           "fn w(n: int) -> int {\n    var i = n\n    while i >= 0 { i -= 2 }\n    return i\n}\n");
    CODE(m, "jf", "LOAD 0; JINEI 1 @4; IIMM 1; CALL 1; LOAD 0; JIEQI 2 @8; IIMM 2; CALL 1; "
                  "LOAD 0; JIGEI 3 @12; IIMM 3; CALL 1; LOAD 0; JIGTI 4 @16; IIMM 4; CALL 1; "
                  "LOAD 0; JILEI 5 @20; IIMM 5; CALL 1; LOAD 0; JILTI 6 @24; IIMM 6; CALL 1; RET");
    CODE(m, "jt", "LOAD 0; JIEQI 1 @4; IIMM 1; CALL 1; LOAD 0; JINEI 2 @8; IIMM 2; CALL 1; "
                  "LOAD 0; JILTI 3 @12; IIMM 3; CALL 1; LOAD 0; JILEI 4 @16; IIMM 4; CALL 1; "
                  "LOAD 0; JIGTI 5 @20; IIMM 5; CALL 1; LOAD 0; JIGEI 6 @24; IIMM 6; CALL 1; RET");
    CODE(m, "jor", "LOAD 0; JILTI 0 @4; LOAD 1; JILEI 9 @6; IIMM 1; CALL 1; RET");
    CODE(m, "w", "LOAD 0; STORE 1; LOAD 1; JILTI 0 @7; IINC 1 -2; LOAD 1; JIGEI 0 @4; LOAD 1; RETV");
    cr_expect_eq(find_fn(m, "jf")->max_stack, 1);
    cr_expect_eq(find_fn(m, "w")->max_stack, 1);
    done(&f);
}

/* The immediate is any i32: negative, 0, INT32_MIN and INT32_MAX fuse; one past either end is
 * a KINT, which stays a JIxx on two operands. A constant on the left (`3 < x`, `3 == x`) is
 * not the top of the stack: IIMM; LOAD; JIxx, unfused. Neither are two locals, a float
 * comparison (the int 10 against a float is a KFLT), nor a comparison kept as a value;
 * `x + 1 < 10` is IADDI then JIGEI. */
Test(codegen, superinstructions_immediate_jump_edges)
{
    fx f = {0};
    bc_module *m = gen(&f, "fn k(n: int) { print(n) }\n"
                           "fn edges(x: int) {\n"
                           "    if x == -5 { k(1) }\n    if x < -2147483648 { k(2) }\n"
                           "    if x > 2147483647 { k(3) }\n    if x < 2147483648 { k(4) }\n"
                           "    if x >= -2147483649 { k(5) }\n    if x == 0 { k(6) }\n}\n"
                           "fn left(x: int, y: int, f: float) {\n"
                           "    if 3 < x { k(1) }\n    if 3 == x { k(2) }\n    if x < y { k(3) }\n"
                           "    if x + 1 < 10 { k(4) }\n    if f < 10.0 { k(5) }\n    if f < 10 { k(6) }\n"
                           "    let b = x < 10\n}\n");
    CODE(m, "edges", "LOAD 0; JINEI -5 @4; IIMM 1; CALL 1; LOAD 0; JIGEI -2147483648 @8; IIMM 2; CALL 1; "
                     "LOAD 0; JILEI 2147483647 @12; IIMM 3; CALL 1; LOAD 0; KINT 2147483648; JIGE @17; IIMM 4; "
                     "CALL 1; LOAD 0; KINT -2147483649; JILT @22; IIMM 5; CALL 1; LOAD 0; JINEI 0 @26; IIMM 6; "
                     "CALL 1; RET");
    CODE(m, "left", "IIMM 3; LOAD 0; JIGE @5; IIMM 1; CALL 1; IIMM 3; LOAD 0; JINE @10; IIMM 2; CALL 1; "
                    "LOAD2 0 1; JIGE @14; IIMM 3; CALL 1; LOAD 0; IADDI 1; JIGEI 10 @19; IIMM 4; CALL 1; "
                    "LOAD 2; KFLT 10; FLT; JF @25; IIMM 5; CALL 1; LOAD 2; KFLT 10; FLT; JF @31; IIMM 6; "
                    "CALL 1; LOAD 0; IIMM 10; ILT; STORE 3; RET");
    done(&f);
}

/* `o.f op= x` with o a local: LOAD h; DUP; GETF k -> LOAD h; LOADF h k, the copy read from
 * the local again: `self.count += 1` in a method, another local, a float, a str (SCAT), the
 * field itself on the right, and the spelled-out `o.count = o.count + 1` alike. Not when the
 * object is a field of a field, a call's result, a global, a list element or a captured var:
 * those keep DUP; GETF. */
Test(codegen, superinstructions_compound_field)
{
    fx f = {0};
    bc_module *m = gen(&f, "class C {\n    count: int\n    x: float\n    s: str\n    next: C\n"
                           "    fn bump() { self.count += 1 }\n    fn add(k: int) { self.count += k }\n}\n"
                           "var gc = C()\n"
                           "fn mk() -> C { return C() }\n"
                           "fn others(o: C, d: float, k: int) {\n    let q = o\n    q.count += 1\n"
                           "    o.x -= d\n    o.s += \"x\"\n    o.count *= k\n    o.count += o.count\n"
                           "    o.count = o.count + 1\n}\n"
                           "fn not_fused(o: C, xs: [C]) {\n    o.next.count += 1\n    mk().count += 1\n"
                           "    gc.count += 1\n    xs[0].count += 1\n    var c = o\n"
                           "    let f = fn() -> C { return c }\n    c.count += 1\n}\n");
    CODE(m, "C.bump", "LOAD 0; LOADF 0 Lt.C;.count:I; IADDI 1; SETF Lt.C;.count:I; RET");
    CODE(m, "C.add", "LOAD 0; LOADF 0 Lt.C;.count:I; IADDL 1; SETF Lt.C;.count:I; RET");
    CODE(m, "others", "LOAD 0; STORE 3; LOAD 3; LOADF 3 Lt.C;.count:I; IADDI 1; SETF Lt.C;.count:I; "
                      "LOAD 0; LOADF 0 Lt.C;.x:F; FSUBL 1; SETF Lt.C;.x:F; "
                      "LOAD 0; LOADF 0 Lt.C;.s:S; KSTR \"x\"; SCAT; SETF Lt.C;.s:S; "
                      "LOAD 0; LOADF 0 Lt.C;.count:I; LOAD 2; IMUL; SETF Lt.C;.count:I; "
                      "LOAD 0; LOADF 0 Lt.C;.count:I; LOADF 0 Lt.C;.count:I; IADD; SETF Lt.C;.count:I; "
                      "LOAD 0; LOADF 0 Lt.C;.count:I; IADDI 1; SETF Lt.C;.count:I; RET");
    CODE(m, "not_fused", "LOADF 0 Lt.C;.next:Lt.C;; DUP; GETF Lt.C;.count:I; IADDI 1; SETF Lt.C;.count:I; "
                         "CALL 1; DUP; GETF Lt.C;.count:I; IADDI 1; SETF Lt.C;.count:I; "
                         "GLOAD 0; DUP; GETF Lt.C;.count:I; IADDI 1; SETF Lt.C;.count:I; "
                         "LOAD 1; IIMM 0; LGET; DUP; GETF Lt.C;.count:I; IADDI 1; SETF Lt.C;.count:I; "
                         "LOAD 0; CELL; STORE 3; LOAD 3; CLOSURE 7 1; STORE 4; "
                         "LOAD 3; CGET; DUP; GETF Lt.C;.count:I; IADDI 1; SETF Lt.C;.count:I; RET");
    cr_expect_eq(find_fn(m, "C.bump")->max_stack, 2);
    cr_expect_eq(find_fn(m, "others")->max_stack, 3);
    done(&f);
}

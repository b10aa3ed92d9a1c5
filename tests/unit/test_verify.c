/* test_verify.c — the bytecode verifier (and the disassembler), on hand-assembled modules. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* ---- a small assembler ------------------------------------------------------------------- */

typedef struct {
    bc_module *m;
    uint32_t capk;
} mb;

typedef struct {
    uint8_t b[1 << 20];
    uint32_t n;
} code;

static mb *mb_new(const char *name)
{
    mb *b = calloc(1, sizeof *b);
    b->m = calloc(1, sizeof *b->m);
    b->m->name = strdup(name);
    b->m->path = strdup("t.holt");
    b->capk = 16;
    b->m->consts = calloc(b->capk, sizeof *b->m->consts);
    b->m->nconsts = 1;
    return b;
}

static bc_const *knew(mb *b)
{
    if (b->m->nconsts == b->capk) {
        b->capk *= 2;
        b->m->consts = realloc(b->m->consts, b->capk * sizeof *b->m->consts);
    }
    bc_const *c = &b->m->consts[b->m->nconsts++];
    memset(c, 0, sizeof *c);
    return c;
}

static uint16_t kstrn(mb *b, const char *s, uint32_t n)
{
    for (uint32_t k = 1; k < b->m->nconsts; k++) {
        bc_const *c = &b->m->consts[k];
        if (c->tag == BC_K_STR && c->u.s.len == n && memcmp(c->u.s.bytes, s, n) == 0)
            return (uint16_t)k;
    }
    bc_const *c = knew(b);
    c->tag = BC_K_STR;
    c->u.s.len = n;
    c->u.s.bytes = malloc(n + 1);
    memcpy(c->u.s.bytes, s, n);
    c->u.s.bytes[n] = 0;
    return (uint16_t)(c - b->m->consts);
}

static uint16_t kstr(mb *b, const char *s) { return kstrn(b, s, (uint32_t)strlen(s)); }

static uint16_t kint(mb *b, int64_t i)
{
    bc_const *c = knew(b);
    c->tag = BC_K_INT;
    c->u.i = i;
    return (uint16_t)(c - b->m->consts);
}

static uint16_t kflt(mb *b, double f)
{
    bc_const *c = knew(b);
    c->tag = BC_K_FLOAT;
    c->u.f = f;
    return (uint16_t)(c - b->m->consts);
}

static uint16_t ktype(mb *b, const char *desc)
{
    uint16_t s = kstr(b, desc);
    for (uint32_t k = 1; k < b->m->nconsts; k++)
        if (b->m->consts[k].tag == BC_K_TYPE && b->m->consts[k].u.desc == s)
            return (uint16_t)k;
    bc_const *c = knew(b);
    c->tag = BC_K_TYPE;
    c->u.desc = s;
    return (uint16_t)(c - b->m->consts);
}

static uint16_t kmodule(mb *b, const char *name, uint16_t version)
{
    uint16_t s = kstr(b, name);
    bc_const *c = knew(b);
    c->tag = BC_K_MODULE;
    c->u.mod.name = s;
    c->u.mod.version = version;
    return (uint16_t)(c - b->m->consts);
}

static uint16_t kref(mb *b, int tag, uint16_t module, const char *name, const char *desc)
{
    uint16_t s = kstr(b, name), t = ktype(b, desc);
    bc_const *c = knew(b);
    c->tag = (uint8_t)tag;
    c->u.ref.module = module;
    c->u.ref.name = s;
    c->u.ref.type = t;
    return (uint16_t)(c - b->m->consts);
}

static uint16_t add_global(mb *b, const char *name, const char *desc, uint16_t flags)
{
    bc_module *m = b->m;
    m->globals = realloc(m->globals, (m->nglobals + 1u) * sizeof *m->globals);
    m->globals[m->nglobals] = (bc_global){kstr(b, name), ktype(b, desc), flags};
    return m->nglobals++;
}

static uint16_t count_params(const char *desc)
{
    /* Enough for the flat signatures the tests use, plus lists and maps. */
    uint16_t n = 0;
    for (const char *p = desc + 1; *p != ')'; p++) {
        while (*p == '[')
            p++;
        if (*p == '{')
            p += 2;
        n++;
    }
    return n;
}

/* Add a function; `locals` are descriptors separated by spaces (parameters first). */
static uint16_t add_fn(mb *b, const char *name, const char *desc, const char *locals, uint16_t max_stack,
                       const code *c)
{
    bc_module *m = b->m;
    m->funcs = realloc(m->funcs, (m->nfuncs + 1u) * sizeof *m->funcs);
    bc_function *f = &m->funcs[m->nfuncs];
    memset(f, 0, sizeof *f);
    f->name = kstr(b, name);
    f->type = ktype(b, desc);
    f->nparams = count_params(desc);
    f->local_types = malloc(64 * sizeof *f->local_types);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", locals);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " "))
        f->local_types[f->nlocals++] = ktype(b, tok);
    f->max_stack = max_stack;
    f->code_len = c->n;
    f->code = malloc(c->n ? c->n : 1);
    memcpy(f->code, c->b, c->n);
    f->nlines = 1;
    f->lines = malloc(sizeof *f->lines);
    f->lines[0] = (bc_line){0, 1};
    return m->nfuncs++;
}

/* Emit an instruction: one int argument per operand letter. Returns its offset. */
static uint32_t E(code *c, int op, ...)
{
    uint32_t at = c->n;
    c->b[c->n++] = (uint8_t)op;
    va_list ap;
    va_start(ap, op);
    for (const char *p = bc_ops[op].operands; *p; p++) {
        int32_t v = va_arg(ap, int32_t);
        int n = *p == 'b' ? 1 : (*p == 'h' || *p == 'k') ? 2 : 4;
        for (int i = 0; i < n; i++)
            c->b[c->n++] = (uint8_t)((uint32_t)v >> (8 * i));
    }
    va_end(ap);
    return at;
}

/* Point the jump operand of the instruction at `at` to `target`. */
static void patch(code *c, uint32_t at, uint32_t target)
{
    uint32_t off = 1;
    for (const char *p = bc_ops[c->b[at]].operands; *p != 'j'; p++)
        off += *p == 'b' ? 1 : (*p == 'h' || *p == 'k') ? 2 : 4;
    int32_t rel = (int32_t)(target - at);
    for (int i = 0; i < 4; i++)
        c->b[at + off + i] = (uint8_t)((uint32_t)rel >> (8 * i));
}

/* A module "t" whose main just returns, plus room for a function under test. */
static mb *with_main(void)
{
    mb *b = mb_new("t");
    static code c;
    c.n = 0;
    E(&c, OP_RET);
    add_fn(b, "<main>", "()V", "", 0, &c);
    return b;
}

static void done(mb *b)
{
    bc_module *m = b->m;
    for (uint32_t k = 1; k < m->nconsts; k++)
        if (m->consts[k].tag == BC_K_STR)
            free(m->consts[k].u.s.bytes);
    free(m->consts);
    free(m->globals);
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        free(m->funcs[i].local_types);
        free(m->funcs[i].code);
        free(m->funcs[i].lines);
    }
    free(m->funcs);
    free(m->name);
    free(m->path);
    free(m);
    free(b);
}

static void ok(mb *b)
{
    holt_buf err;
    buf_init(&err);
    int rc = verify_module(b->m, &err);
    cr_assert_eq(rc, 0, "unexpected: %s", err.data ? err.data : "");
    buf_free(&err);
    done(b);
}

/* The verifier rejects b with exactly `want` (or, when want ends in '*', a message starting
 * with the part before it). */
static void rejects(mb *b, const char *want)
{
    holt_buf err;
    buf_init(&err);
    int rc = verify_module(b->m, &err);
    cr_assert_eq(rc, -1, "accepted; wanted: %s", want);
    cr_assert(err.data && !strchr(err.data, '\n'), "one line: %s", err.data);
    size_t n = strlen(want);
    if (n && want[n - 1] == '*')
        cr_assert(strncmp(err.data, want, n - 1) == 0, "got:  %s\nwant: %s", err.data, want);
    else
        cr_assert_str_eq(err.data, want);
    buf_free(&err);
    done(b);
}

/* One function "f" of type desc with the given locals and code. */
static mb *fn1(const char *desc, const char *locals, uint16_t max_stack, const code *c)
{
    mb *b = with_main();
    add_fn(b, "f", desc, locals, max_stack, c);
    return b;
}

static code C; /* scratch code buffer */

static code *fresh(void)
{
    C.n = 0;
    return &C;
}

/* ---- accepted modules ------------------------------------------------------------------- */

Test(verify, minimal_main)
{
    ok(with_main());
}

Test(verify, add_and_call)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_LOAD, 1);
    E(c, OP_IADD);
    E(c, OP_RETV);
    uint16_t add = add_fn(b, "add", "(II)I", "I I", 2, c);
    c = fresh();
    E(c, OP_IIMM, 2);
    E(c, OP_KINT, kint(b, 40));
    E(c, OP_CALL, add);
    E(c, OP_TOSTR, ktype(b, "I"));
    E(c, OP_CALLN, kref(b, BC_K_NATIVE, 0, "print", "(S)V"));
    E(c, OP_RET);
    add_fn(b, "g", "()V", "", 2, c);
    ok(b);
}

/* A tour of most opcodes, with joins, loops and iteration, as the compiler would emit. */
Test(verify, many_opcodes)
{
    mb *b = with_main();
    uint16_t tI = ktype(b, "I"), tLI = ktype(b, "[I");
    uint16_t tmap = ktype(b, "{SI"), tLS = ktype(b, "[S");
    uint16_t math = kmodule(b, "math", 1);
    uint16_t gpi = kref(b, BC_K_GLOBAL, math, "pi", "F");
    uint16_t fsqrt = kref(b, BC_K_FUNC, math, "sqrt", "(F)F");
    uint16_t g = add_global(b, "count", "I", BC_GLOBAL_MUTABLE);
    code *c = fresh();
    /* locals: 0 xs [I, 1 i, 2 mods, 3 sum I, 4 m {SI, 5 pos, 6 mods2, 7 s S, 8 ys [S, 9 a A, 10 x I */
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 2);
    E(c, OP_KINT, kint(b, 3));
    E(c, OP_NEWLIST, tLI, 3);
    E(c, OP_DUP);
    E(c, OP_STORE, 0);
    E(c, OP_LITER, 0);
    uint32_t top = E(c, OP_LNEXT, 0, 0);
    E(c, OP_STORE, 10);
    E(c, OP_LOAD, 3);
    E(c, OP_LOAD, 10);
    E(c, OP_IADD);
    E(c, OP_STORE, 3);
    E(c, OP_JMP, (int32_t)(top - c->n));
    patch(c, top, c->n);
    /* a map literal, iterated */
    E(c, OP_KSTR, kstr(b, "a"));
    E(c, OP_IIMM, 1);
    E(c, OP_KSTR, kstr(b, "b"));
    E(c, OP_IIMM, 2);
    E(c, OP_NEWMAP, tmap, 2);
    E(c, OP_DUP);
    E(c, OP_STORE, 4);
    E(c, OP_MITER, 4);
    uint32_t mtop = E(c, OP_MNEXT, 4, 0);
    E(c, OP_POP); /* drop the value */
    E(c, OP_STORE, 7);
    E(c, OP_JMP, (int32_t)(mtop - c->n));
    patch(c, mtop, c->n);
    /* if sum > 3 { x = 1 } else { x = 2 }, with the value left on the stack across the join */
    E(c, OP_LOAD, 3);
    E(c, OP_IIMM, 3);
    E(c, OP_IGT);
    uint32_t jf = E(c, OP_JF, 0);
    E(c, OP_IIMM, 1);
    uint32_t jend = E(c, OP_JMP, 0);
    patch(c, jf, c->n);
    E(c, OP_IIMM, 2);
    patch(c, jend, c->n);
    E(c, OP_GSTORE, g);
    /* strings, lists of strings, any */
    E(c, OP_KSTR, kstr(b, "x"));
    E(c, OP_LOAD, 3);
    E(c, OP_TOSTR, tI);
    E(c, OP_NULL, ktype(b, "S"));
    E(c, OP_SCATN, 3);
    E(c, OP_IIMM, 4);
    E(c, OP_LISTREP, tLS);
    E(c, OP_STORE, 8);
    E(c, OP_LOAD, 8);
    E(c, OP_IIMM, 0);
    E(c, OP_LGET);
    E(c, OP_SLEN);
    E(c, OP_BOXI);
    E(c, OP_STORE, 9);
    E(c, OP_LOAD, 8);
    E(c, OP_TOANY);
    E(c, OP_LOAD, 9);
    E(c, OP_REQ);
    E(c, OP_NOT);
    E(c, OP_POP);
    E(c, OP_LOAD, 0);
    E(c, OP_LOAD, 4);
    E(c, OP_RNE);
    E(c, OP_POP);
    E(c, OP_LOAD, 0);
    E(c, OP_IIMM, 7);
    E(c, OP_LPUSH);
    E(c, OP_LOAD, 4);
    E(c, OP_KSTR, kstr(b, "a"));
    E(c, OP_MGET);
    E(c, OP_I2F);
    E(c, OP_XLOAD, gpi);
    E(c, OP_FADD);
    E(c, OP_CALLX, fsqrt);
    E(c, OP_XSTORE, gpi);
    E(c, OP_GLOAD, g);
    E(c, OP_RETV);
    add_fn(b, "tour", "()I", "[I I I I {SI I I S [S A I", 4, c);
    ok(b);
}

Test(verify, unreachable_code_is_decoded_but_not_typed)
{
    code *c = fresh();
    E(c, OP_RET);
    E(c, OP_IADD); /* would underflow, but nothing reaches it */
    E(c, OP_RET);
    ok(fn1("()V", "", 0, c));
}

Test(verify, long_code_verifies_in_linear_time)
{
    /* 20000 if/else diamonds, each joining with a value on the stack. */
    code *c = fresh();
    for (int i = 0; i < 20000; i++) {
        E(c, OP_LOAD, 0);
        uint32_t jf = E(c, OP_JF, 0);
        E(c, OP_IIMM, 1);
        uint32_t j = E(c, OP_JMP, 0);
        patch(c, jf, c->n);
        E(c, OP_IIMM, 2);
        patch(c, j, c->n);
        E(c, OP_STORE, 1);
    }
    E(c, OP_RET);
    ok(fn1("(Z)V", "Z I", 1, c));
}

/* ---- module-level checks ---------------------------------------------------------------- */

Test(verify, type_constant_whose_desc_is_not_a_str)
{
    mb *b = with_main();
    uint16_t i = kint(b, 1); /* #4 */
    bc_const *k = knew(b);   /* #5 */
    k->tag = BC_K_TYPE;
    k->u.desc = i;
    rejects(b, "verify: module t: constant 5: TYPE desc is not a STR");
}

Test(verify, malformed_descriptors)
{
    const char *bad[] = {"", "V", "[V", "[", "{FI", "{S", "(I", "(I)", "L;", "Lfoo", "Q", "II", "(V)V", "{[II",
                         "T", "L a;"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert(!verify__desc(bad[i], strlen(bad[i])), "accepted %s", bad[i]);
        mb *b = with_main();
        ktype(b, bad[i]);
        rejects(b, "verify: module t: constant *");
    }
    const char *good[] = {"I", "F", "Z", "S", "A", "[I", "[[S", "{SI", "{I[S", "{Z{SF", "()V", "(I[S)I",
                          "((I)V)(S)Z", "LFoo;", "Llib.util.Bar_2;", "[LFoo;"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_assert(verify__desc(good[i], strlen(good[i])), "rejected %s", good[i]);
}

Test(verify, descriptor_nesting_is_bounded)
{
    char d[600];
    memset(d, '[', 300);
    d[300] = 'I';
    cr_assert(!verify__desc(d, 301));
    memset(d, '[', 255);
    d[255] = 'I';
    cr_assert(verify__desc(d, 256));
    /* deep function nesting too */
    for (int i = 0; i < 300; i++)
        d[i] = '(', d[300 + i] = ')';
    cr_assert(!verify__desc(d, 600));
}

Test(verify, pool_references_of_the_wrong_tag)
{
    mb *b = with_main();
    uint16_t notmod = kint(b, 5), name = kstr(b, "f"); /* #4, #5 */
    bc_const *k = knew(b);                              /* #6 */
    k->tag = BC_K_FUNC;
    k->u.ref.module = notmod;
    k->u.ref.name = name;
    k->u.ref.type = 3;
    rejects(b, "verify: module t: constant 6: FUNC module is not a MODULE");

    b = with_main();
    kref(b, BC_K_FUNC, kmodule(b, "m", 0), "f", "I");
    rejects(b, "verify: module t: constant 9: FUNC type is not a function type");

    b = with_main();
    kref(b, BC_K_NATIVE, 0, "print", "S");
    rejects(b, "verify: module t: constant 7: NATIVE type is not a function type");

    b = with_main();
    uint16_t s = kstr(b, "x"), mod = kmodule(b, "m", 0); /* #4, #6 */
    k = knew(b);                                          /* #7 */
    k->tag = BC_K_GLOBAL;
    k->u.ref.module = mod;
    k->u.ref.name = s;
    k->u.ref.type = s;
    rejects(b, "verify: module t: constant 7: GLOBAL type is not a TYPE");

    b = with_main();
    kmodule(b, "", 0);
    b->m->consts[4].u.s.len = 3;
    memcpy(b->m->consts[4].u.s.bytes = realloc(b->m->consts[4].u.s.bytes, 4), "a\0b", 4);
    rejects(b, "verify: module t: constant 5: MODULE name is not a STR without NUL");

    b = with_main();
    knew(b)->tag = 99;
    rejects(b, "verify: module t: constant 4: unknown tag");
}

Test(verify, string_literals_may_hold_nul)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_KSTR, kstrn(b, "a\0b", 3));
    E(c, OP_POP);
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    ok(b);
}

Test(verify, globals)
{
    mb *b = with_main();
    add_global(b, "g", "I", 4);
    rejects(b, "verify: module t: global 0: unknown flags 0x4");
    b = with_main();
    add_global(b, "g", "I", 0);
    b->m->globals[0].type = b->m->globals[0].name;
    rejects(b, "verify: module t: global 0: type is not a TYPE");
}

Test(verify, function_headers)
{
    code *c = fresh();
    E(c, OP_RET);
    mb *b = fn1("(I)V", "S", 1, c);
    rejects(b, "verify: module t, function f: local 0 (parameter 1): expected int, found str");

    b = fn1("(I)V", "I", 1, c);
    b->m->funcs[1].nparams = 0;
    rejects(b, "verify: module t, function f: nparams 0 does not match its type (I)V");

    b = fn1("(I)V", "I", 1, c);
    b->m->funcs[1].nlocals = 0;
    rejects(b, "verify: module t, function f: nparams 1 exceeds nlocals 0");

    b = fn1("()V", "", 1, c);
    b->m->funcs[1].type = ktype(b, "I");
    rejects(b, "verify: module t, function f: type is not a function TYPE");

    b = fn1("()V", "", 1, c);
    b->m->main = 1;
    b->m->funcs[1].type = ktype(b, "(I)V");
    b->m->funcs[1].nparams = 1;
    b->m->funcs[1].nlocals = 1;
    b->m->funcs[1].local_types[0] = ktype(b, "I");
    rejects(b, "verify: module t, function f: the main function must have type ()V, not (I)V");

    b = fn1("()V", "", 1, c);
    b->m->main = 2;
    rejects(b, "verify: module t: main function 2 out of range (module has 2 functions)");

    b = fn1("()V", "I", 1, c);
    b->m->funcs[1].local_types[0] = kint(b, 3);
    rejects(b, "verify: module t, function f: local 0: type is not a TYPE");

    b = fn1("()V", "", 1, c);
    b->m->funcs[1].flags = 8;
    rejects(b, "verify: module t, function f: unknown flags 0x8");

    c = fresh();
    b = fn1("()V", "", 1, c);
    rejects(b, "verify: module t, function f: no code");
}

Test(verify, line_tables)
{
    code *c = fresh();
    E(c, OP_NOP);
    E(c, OP_RET);
    mb *b = fn1("()V", "", 0, c);
    b->m->funcs[1].lines[0].pc = 1;
    rejects(b, "verify: module t, function f: line table does not start at pc 0");

    b = fn1("()V", "", 0, c);
    bc_function *f = &b->m->funcs[1];
    f->lines = realloc(f->lines, 3 * sizeof *f->lines);
    f->lines[1] = (bc_line){1, 2};
    f->lines[2] = (bc_line){0, 3};
    f->nlines = 3;
    rejects(b, "verify: module t, function f: line table entry 2 is out of order");

    b = fn1("()V", "", 0, c);
    f = &b->m->funcs[1];
    f->lines = realloc(f->lines, 2 * sizeof *f->lines);
    f->lines[1] = (bc_line){9, 2};
    f->nlines = 2;
    rejects(b, "verify: module t, function f: line table entry 1 is beyond the code");
}

/* ---- decoding ----------------------------------------------------------------------------- */

Test(verify, bad_constant_index)
{
    code *c = fresh();
    E(c, OP_KINT, 99);
    E(c, OP_RETV);
    rejects(fn1("()I", "", 1, c), "verify: module t, function f, at 0 (KINT): constant index 99 out of range (pool has 6 constants)");
    c = fresh();
    E(c, OP_KINT, 0);
    E(c, OP_RETV);
    rejects(fn1("()I", "", 1, c), "verify: module t, function f, at 0 (KINT): constant index 0 out of range*");
}

Test(verify, constant_of_the_wrong_tag)
{
    struct {
        int op;
        const char *want;
    } cases[] = {
        {OP_KINT, "constant 1 has tag STR, expected INT"},      {OP_KFLT, "constant 1 has tag STR, expected FLOAT"},
        {OP_NULL, "constant 1 has tag STR, expected TYPE"},     {OP_XLOAD, "constant 1 has tag STR, expected GLOBAL"},
        {OP_XSTORE, "constant 1 has tag STR, expected GLOBAL"}, {OP_CALLX, "constant 1 has tag STR, expected FUNC"},
        {OP_CALLN, "constant 1 has tag STR, expected NATIVE"},  {OP_TOSTR, "constant 1 has tag STR, expected TYPE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        code *c = fresh();
        E(c, cases[i].op, 1);
        E(c, OP_RET);
        char want[200];
        snprintf(want, sizeof want, "verify: module t, function f, at 0 (%s): %s", bc_ops[cases[i].op].name,
                 cases[i].want);
        rejects(fn1("()V", "", 4, c), want);
    }
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_KSTR, kint(b, 4));
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    rejects(b, "verify: module t, function f, at 0 (KSTR): constant 4 has tag INT, expected STR");
    b = with_main();
    c = fresh();
    E(c, OP_CALLX, kref(b, BC_K_NATIVE, 0, "print", "(S)V"));
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    rejects(b, "verify: module t, function f, at 0 (CALLX): constant 7 has tag NATIVE, expected FUNC");
}

Test(verify, type_operands_of_the_wrong_kind)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_NULL, ktype(b, "I"));
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    rejects(b, "verify: module t, function f, at 0 (NULL): expected a reference type, found int");

    b = with_main();
    c = fresh();
    E(c, OP_NEWLIST, ktype(b, "{SI"), 0);
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    rejects(b, "verify: module t, function f, at 0 (NEWLIST): expected a list type, found {str: int}");

    b = with_main();
    c = fresh();
    E(c, OP_NEWMAP, ktype(b, "[S"), 0);
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    rejects(b, "verify: module t, function f, at 0 (NEWMAP): expected a map type, found [str]");

    b = with_main();
    c = fresh();
    E(c, OP_LISTREP, ktype(b, "S"));
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    rejects(b, "verify: module t, function f, at 0 (LISTREP): expected a list type, found str");
}

Test(verify, bad_local_global_function_index)
{
    code *c = fresh();
    E(c, OP_LOAD, 1);
    E(c, OP_RETV);
    rejects(fn1("(I)I", "I", 1, c), "verify: module t, function f, at 0 (LOAD): local 1 out of range (function has 1 locals)");
    c = fresh();
    E(c, OP_IIMM, 0);
    E(c, OP_STORE, 7);
    E(c, OP_RET);
    rejects(fn1("()V", "I", 1, c), "verify: module t, function f, at 5 (STORE): local 7 out of range (function has 1 locals)");
    c = fresh();
    E(c, OP_GLOAD, 0);
    E(c, OP_RETV);
    rejects(fn1("()I", "", 1, c), "verify: module t, function f, at 0 (GLOAD): global 0 out of range (module has 0 globals)");
    c = fresh();
    E(c, OP_IIMM, 0);
    E(c, OP_GSTORE, 3);
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (GSTORE): global 3 out of range (module has 0 globals)");
    c = fresh();
    E(c, OP_CALL, 2);
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 0 (CALL): function 2 out of range (module has 2 functions)");
}

Test(verify, iterator_locals)
{
    code *c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_LITER, 0);
    E(c, OP_RET);
    rejects(fn1("([I)V", "[I I", 1, c), "verify: module t, function f, at 3 (LITER): locals 0..2 out of range (function has 2 locals)");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_LITER, 0);
    E(c, OP_RET);
    rejects(fn1("(S)V", "S I I", 1, c), "verify: module t, function f, at 3 (LITER): local 0: expected a list, found str");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_MITER, 0);
    E(c, OP_RET);
    rejects(fn1("([I)V", "[I I I", 1, c), "verify: module t, function f, at 3 (MITER): local 0: expected a map, found [int]");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_LITER, 0);
    E(c, OP_RET);
    rejects(fn1("([I)V", "[I I F", 1, c), "verify: module t, function f, at 3 (LITER): local 2: expected int, found float");
    c = fresh();
    uint32_t at = E(c, OP_MNEXT, 0, 0);
    patch(c, at, 0);
    rejects(fn1("()V", "{SI S I", 2, c), "verify: module t, function f, at 0 (MNEXT): local 1: expected int, found str");
}

Test(verify, jumps)
{
    code *c = fresh();
    E(c, OP_JMP, 2); /* into the middle of itself */
    rejects(fn1("()V", "", 0, c), "verify: module t, function f, at 0 (JMP): jump target 2 is not an instruction start");
    c = fresh();
    E(c, OP_IIMM, 0);
    E(c, OP_JMP, -3); /* into the IIMM's immediate */
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (JMP): jump target 2 is not an instruction start");
    c = fresh();
    E(c, OP_JMP, -1);
    rejects(fn1("()V", "", 0, c), "verify: module t, function f, at 0 (JMP): jump target -1 is outside the function");
    c = fresh();
    E(c, OP_TRUE);
    E(c, OP_JT, 100);
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 1 (JT): jump target 101 is outside the function");
    c = fresh();
    E(c, OP_TRUE);
    E(c, OP_JT, INT32_MIN);
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 1 (JT): jump target -2147483647 is outside the function");
    c = fresh();
    E(c, OP_JMP, 0); /* an infinite loop is fine */
    ok(fn1("()V", "", 0, c));
}

Test(verify, falling_off_the_end)
{
    code *c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_POP);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (POP): code falls off the end");
    c = fresh();
    E(c, OP_TRUE);
    uint32_t at = E(c, OP_JT, 0);
    patch(c, at, 0);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 1 (JT): code falls off the end");
}

Test(verify, unknown_opcode_and_short_operands)
{
    code *c = fresh();
    c->b[c->n++] = 0xEE;
    E(c, OP_RET);
    rejects(fn1("()V", "", 0, c), "verify: module t, function f, at 0: unknown opcode 0xee");
    c = fresh();
    E(c, OP_NOP);
    c->b[c->n++] = OP_IIMM;
    c->b[c->n++] = 1;
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 1 (IIMM): operands run past the end of the code (3 bytes)");
}

/* ---- stack and types ---------------------------------------------------------------------- */

Test(verify, stack_underflow)
{
    code *c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_IADD);
    E(c, OP_RETV);
    rejects(fn1("()I", "", 2, c), "verify: module t, function f, at 5 (IADD): stack underflow: needs 2 values, has 1");
    c = fresh();
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("()V", "", 2, c), "verify: module t, function f, at 0 (POP): stack underflow: needs 1 value, has 0");
    c = fresh();
    E(c, OP_RETV);
    rejects(fn1("()I", "", 2, c), "verify: module t, function f, at 0 (RETV): stack underflow: needs 1 value, has 0");
}

Test(verify, stack_overflow)
{
    code *c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 2);
    E(c, OP_IADD);
    E(c, OP_RETV);
    rejects(fn1("()I", "", 1, c), "verify: module t, function f, at 5 (IIMM): stack overflow: depth 2 exceeds max_stack 1");
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_DUP);
    E(c, OP_IADD);
    E(c, OP_RETV);
    rejects(fn1("()I", "", 1, c), "verify: module t, function f, at 5 (DUP): stack overflow: depth 2 exceeds max_stack 1");
}

Test(verify, iadd_on_a_float)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_KFLT, kflt(b, 1.5));
    E(c, OP_IIMM, 1);
    E(c, OP_IADD);
    E(c, OP_RETV);
    add_fn(b, "f", "()I", "", 2, c);
    rejects(b, "verify: module t, function f, at 8 (IADD): expected int, found float");
}

Test(verify, lget_on_a_str)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_KSTR, kstr(b, "abc"));
    E(c, OP_IIMM, 0);
    E(c, OP_LGET);
    E(c, OP_RETV);
    add_fn(b, "f", "()I", "", 2, c);
    rejects(b, "verify: module t, function f, at 8 (LGET): expected a list, found str");
}

Test(verify, element_types_bind_from_the_first_slot)
{
    code *c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_IIMM, 0);
    E(c, OP_LOAD, 1);
    E(c, OP_LSET);
    E(c, OP_RET);
    rejects(fn1("([IS)V", "[I S", 3, c), "verify: module t, function f, at 11 (LSET): expected int, found str");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_LOAD, 1);
    E(c, OP_MGET);
    E(c, OP_RETV);
    rejects(fn1("({SF[I)F", "{SF [I", 2, c), "verify: module t, function f, at 6 (MGET): expected str, found [int]");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_IIMM, 0);
    E(c, OP_LGET);
    E(c, OP_RETV);
    rejects(fn1("([F)I", "[F", 2, c), "verify: module t, function f, at 9 (RETV): result: expected int, found float");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_MLEN);
    E(c, OP_RETV);
    rejects(fn1("([I)I", "[I", 2, c), "verify: module t, function f, at 3 (MLEN): expected a map, found [int]");
}

Test(verify, store_of_a_str_into_an_int_local)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_KSTR, kstr(b, "x"));
    E(c, OP_STORE, 0);
    E(c, OP_RET);
    add_fn(b, "f", "()V", "I", 1, c);
    rejects(b, "verify: module t, function f, at 3 (STORE): expected int, found str");
}

Test(verify, assignability_is_descriptor_equality)
{
    /* Storing an int into an any local needs BOXI; a [S into [A is not allowed either. */
    code *c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_STORE, 0);
    E(c, OP_RET);
    rejects(fn1("()V", "A", 1, c), "verify: module t, function f, at 5 (STORE): expected any, found int");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_STORE, 1);
    E(c, OP_RET);
    rejects(fn1("([S)V", "[S [A", 1, c), "verify: module t, function f, at 3 (STORE): expected [any], found [str]");
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_BOXI);
    E(c, OP_STORE, 0);
    E(c, OP_RET);
    ok(fn1("()V", "A", 1, c));
}

Test(verify, retv_of_the_wrong_type)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_KSTR, kstr(b, "x"));
    E(c, OP_RETV);
    add_fn(b, "f", "()I", "", 1, c);
    rejects(b, "verify: module t, function f, at 3 (RETV): result: expected int, found str");
}

Test(verify, ret_and_retv_rules)
{
    code *c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (RET): RET needs an empty stack, found 1 value");
    c = fresh();
    E(c, OP_RET);
    rejects(fn1("()S", "", 1, c), "verify: module t, function f, at 0 (RET): RET in a function that returns str");
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_RETV);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (RETV): RETV in a function that returns nothing");
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 1);
    E(c, OP_RETV);
    rejects(fn1("()I", "", 2, c), "verify: module t, function f, at 10 (RETV): RETV needs exactly the result on the stack, found 2 values");
}

Test(verify, call_with_wrong_argument_types)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_RETV);
    uint16_t callee = add_fn(b, "id", "(IS)I", "I S", 1, c);
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 2);
    E(c, OP_CALL, callee);
    E(c, OP_RETV);
    add_fn(b, "f", "()I", "", 2, c);
    rejects(b, "verify: module t, function f, at 10 (CALL): argument 2: expected str, found int");

    b = with_main();
    c = fresh();
    E(c, OP_KFLT, kflt(b, 2.0));
    E(c, OP_CALLN, kref(b, BC_K_NATIVE, 0, "str.len", "(S)I"));
    E(c, OP_RETV);
    add_fn(b, "f", "()I", "", 1, c);
    rejects(b, "verify: module t, function f, at 3 (CALLN): argument 1: expected str, found float");

    b = with_main();
    c = fresh();
    E(c, OP_CALLX, kref(b, BC_K_FUNC, kmodule(b, "m", 0), "g", "(I)I"));
    E(c, OP_RETV);
    add_fn(b, "f", "()I", "", 1, c);
    rejects(b, "verify: module t, function f, at 0 (CALLX): stack underflow: needs 1 value, has 0");

    /* a function returning nothing pushes nothing */
    b = with_main();
    c = fresh();
    E(c, OP_KSTR, kstr(b, "hi"));
    E(c, OP_CALLN, kref(b, BC_K_NATIVE, 0, "print", "(S)V"));
    E(c, OP_RETV);
    add_fn(b, "f", "()I", "", 1, c);
    rejects(b, "verify: module t, function f, at 6 (RETV): stack underflow: needs 1 value, has 0");
}

Test(verify, special_pops)
{
    code *c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 1);
    E(c, OP_REQ);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("()V", "", 2, c), "verify: module t, function f, at 10 (REQ): expected a reference, found int");
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_TOANY);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("()V", "", 2, c), "verify: module t, function f, at 5 (TOANY): expected a reference, found int");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_IIMM, 1);
    E(c, OP_SCATN, 2);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("(S)V", "S", 2, c), "verify: module t, function f, at 8 (SCATN): expected str, found int");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_SCATN, 2);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("(S)V", "S", 2, c), "verify: module t, function f, at 3 (SCATN): stack underflow: needs 2 values, has 1");

    mb *b = with_main();
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_TOSTR, ktype(b, "F"));
    E(c, OP_RETV);
    add_fn(b, "f", "()S", "", 1, c);
    rejects(b, "verify: module t, function f, at 5 (TOSTR): expected float, found int");

    b = with_main();
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_KSTR, kstr(b, "x"));
    E(c, OP_NEWLIST, ktype(b, "[I"), 2);
    E(c, OP_RETV);
    add_fn(b, "f", "()[I", "", 2, c);
    rejects(b, "verify: module t, function f, at 8 (NEWLIST): expected int, found str");

    b = with_main();
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 2);
    E(c, OP_NEWMAP, ktype(b, "{SI"), 1);
    E(c, OP_RETV);
    add_fn(b, "f", "(){SI", "", 2, c);
    rejects(b, "verify: module t, function f, at 10 (NEWMAP): key: expected str, found int");

    b = with_main();
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_KSTR, kstr(b, "n"));
    E(c, OP_LISTREP, ktype(b, "[I"));
    E(c, OP_RETV);
    add_fn(b, "f", "()[I", "", 2, c);
    rejects(b, "verify: module t, function f, at 8 (LISTREP): count: expected int, found str");

    b = with_main();
    add_global(b, "g", "S", BC_GLOBAL_MUTABLE);
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_GSTORE, 0);
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    rejects(b, "verify: module t, function f, at 5 (GSTORE): expected str, found int");

    b = with_main();
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_XSTORE, kref(b, BC_K_GLOBAL, kmodule(b, "m", 0), "g", "[I"));
    E(c, OP_RET);
    add_fn(b, "f", "()V", "", 1, c);
    rejects(b, "verify: module t, function f, at 5 (XSTORE): expected [int], found int");
}

Test(verify, mismatched_stack_at_a_join)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_LOAD, 0);
    uint32_t jf = E(c, OP_JF, 0);
    E(c, OP_IIMM, 1);
    uint32_t j = E(c, OP_JMP, 0);
    patch(c, jf, c->n);
    E(c, OP_KSTR, kstr(b, "x"));
    patch(c, j, c->n);
    E(c, OP_POP);
    E(c, OP_RET);
    add_fn(b, "f", "(Z)V", "Z", 1, c);
    rejects(b, "verify: module t, function f, at 21 (POP): stack mismatch at join: *");
}

Test(verify, loop_that_grows_the_stack)
{
    code *c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_JMP, -5);
    rejects(fn1("()V", "", 100, c), "verify: module t, function f, at 0 (IIMM): stack mismatch at join: (int) from 5, () before");
}

/* ---- the disassembler ---------------------------------------------------------------------- */

Test(dis, lists_constants_globals_and_code)
{
    mb *b = with_main();
    add_global(b, "count", "I", BC_GLOBAL_MUTABLE | BC_PRIVATE);
    code *c = fresh();
    E(c, OP_KSTR, kstr(b, "say \"hi\"\n"));
    E(c, OP_CALLN, kref(b, BC_K_NATIVE, 0, "print", "(S)V"));
    uint32_t j = E(c, OP_JMP, 0);
    patch(c, j, c->n);
    E(c, OP_CALL, 0);
    E(c, OP_RET);
    add_fn(b, "f", "()V", "I", 1, c);
    holt_buf out;
    buf_init(&out);
    dis_module(b->m, &out);
    const char *want[] = {
        "module t (t.holt)\n",
        "  #7     STR     \"say \\\"hi\\\"\\n\"\n",
        "  #11    NATIVE  print (S)V\n",
        "  0  count: I  var  private\n",
        "function 1 f ()V\n  params 0  locals 1  max_stack 1  code 15 bytes\n  local 0  I\n",
        "       0     1  KSTR #7  ; \"say \\\"hi\\\"\\n\"\n",
        "       3     1  CALLN #11  ; print (S)V\n",
        "       6     1  JMP +5  ; -> 11\n",
        "      11     1  CALL 0  ; <main> ()V\n",
        "      14     1  RET\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(out.data, want[i]), "missing %s in\n%s", want[i], out.data);
    buf_free(&out);
    done(b);
}

Test(dis, survives_bad_modules)
{
    mb *b = with_main();
    code *c = fresh();
    c->b[c->n++] = 0xEE;
    E(c, OP_KSTR, 999);
    E(c, OP_CALL, 77);
    E(c, OP_GLOAD, 5);
    c->b[c->n++] = OP_IIMM;
    add_fn(b, "f", "()V", "", 1, c);
    b->m->funcs[1].name = 999;
    holt_buf out;
    buf_init(&out);
    dis_module(b->m, &out);
    cr_assert(strstr(out.data, "??? 0xee"));
    cr_assert(strstr(out.data, "KSTR #999  ; <bad constant #999>"));
    cr_assert(strstr(out.data, "CALL 77  ; <bad function 77>"));
    cr_assert(strstr(out.data, "GLOAD 5  ; <bad global 5>"));
    cr_assert(strstr(out.data, "IIMM <operands past the end of the code>"));
    cr_assert(strstr(out.data, "function 1 <#999?> ()V"));
    buf_free(&out);
    done(b);
}

/* ---- docs/bytecode.md stays in step with opcodes.def ------------------------------------- */

static char *read_doc(void)
{
    /* The source tree's root, from this file's own path ("../tests/unit/test_verify.c" in a
     * meson build directory, "tests/unit/test_verify.c" from the root). */
    char path[1024];
    const char *me = __FILE__, *tail = strstr(me, "tests/unit/test_verify.c");
    if (!tail)
        return NULL;
    snprintf(path, sizeof path, "%.*sdocs/bytecode.md", (int)(tail - me), me);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char text[1 << 18];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    return text;
}

Test(docs, opcode_table_matches_opcodes_def)
{
    const char *doc = read_doc();
    if (!doc)
        cr_skip_test("docs/bytecode.md not found from %s", __FILE__);
    for (int op = 0; op < OP__COUNT; op++) {
        const bc_opinfo *oi = &bc_ops[op];
        char row[256], ops[16], pops[16], pushes[16];
        snprintf(ops, sizeof ops, *oi->operands ? "`%s`" : "–", oi->operands);
        snprintf(pops, sizeof pops, *oi->pops ? "`%s`" : "–", oi->pops);
        snprintf(pushes, sizeof pushes, *oi->pushes ? "`%s`" : "–", oi->pushes);
        snprintf(row, sizeof row, "\n| %d | `%s` | %s | %u | %s | %s | ", op, oi->name, ops, oi->size, pops, pushes);
        const char *at = strstr(doc, row);
        cr_assert(at, "docs/bytecode.md has no row %s", row + 1);
        /* ... and the semantics column ends the row with the text of opcodes.def. */
        const char *eol = strchr(at + 1, '\n');
        char want[300];
        size_t wl = 0;
        want[wl++] = '|';
        want[wl++] = ' ';
        for (const char *p = oi->doc; *p && wl < sizeof want - 8; p++) {
            if (*p == '|')
                want[wl++] = '\\'; /* a table cell escapes its bars */
            want[wl++] = *p;
        }
        memcpy(want + wl, " |", 3);
        wl += 2;
        cr_assert(eol && (size_t)(eol - at) > wl && strncmp(eol - wl, want, wl) == 0, "semantics of %s differ",
                  oi->name);
    }
}

Test(verify, messages_stay_on_one_line)
{
    mb *b = with_main();
    free(b->m->name);
    b->m->name = strdup("a\nb");
    code *c = fresh();
    E(c, OP_IADD);
    E(c, OP_RET);
    add_fn(b, "f\r", "()V", "", 2, c);
    rejects(b, "verify: module a?b, function f?, at 0 (IADD): stack underflow: needs 2 values, has 0");
}

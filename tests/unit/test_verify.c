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

/* The end of the descriptor that starts at p. */
static const char *skip_desc(const char *p)
{
    switch (*p) {
    case '[': case '^': return skip_desc(p + 1);
    case '{': return skip_desc(p + 2);
    case 'L': return strchr(p, ';') + 1;
    case '(':
        for (p++; *p != ')'; p = skip_desc(p))
            ;
        return skip_desc(p + 1);
    default: return p + 1;
    }
}

static uint16_t count_params(const char *desc)
{
    uint16_t n = 0;
    for (const char *p = desc + 1; *p != ')'; p = skip_desc(p))
        n++;
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
    bc_module_free(b->m);
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
                         "T", "L;a;", "^^I", "[^I", "(^I)V", "()^I", "{S^I", "^V", "^"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert(!verify__desc(bad[i], strlen(bad[i])), "accepted %s", bad[i]);
        mb *b = with_main();
        ktype(b, bad[i]);
        rejects(b, "verify: module t: constant *");
    }
    const char *good[] = {"I", "F", "Z", "S", "A", "[I", "[[S", "{SI", "{I[S", "{Z{SF", "()V", "(I[S)I",
                          "((I)V)(S)Z", "LFoo;", "Llib.util.Bar_2;", "[LFoo;",
                          "Lapp.Stack<int>;", "L a;", "^I", "^[S", "^(I)V", "^Lapp.Rect;"};
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
    rejects(b, "verify: module t, function f: ncaps 0 + nparams 1 exceed nlocals 0");

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

/* The superinstructions of the code generator's peephole: IINC names an int local; the
 * compare-and-branches pop two ints and flow to both successors. */
Test(verify, fused_instructions)
{
    code *c = fresh();
    E(c, OP_IINC, 0, -3);
    E(c, OP_LOAD, 0);
    E(c, OP_IADDI, 7);
    E(c, OP_LOAD, 0);
    uint32_t j = E(c, OP_JILT, 0);
    E(c, OP_LOAD, 0);
    E(c, OP_RETV);
    patch(c, j, c->n);
    E(c, OP_IIMM, 1);
    E(c, OP_RETV);
    ok(fn1("(I)I", "I", 2, c));
    c = fresh();
    E(c, OP_IINC, 1, 1);
    E(c, OP_RET);
    rejects(fn1("(I)V", "I", 1, c), "verify: module t, function f, at 0 (IINC): local 1 out of range (function has 1 locals)");
    c = fresh();
    E(c, OP_IINC, 0, 1);
    E(c, OP_RET);
    rejects(fn1("(F)V", "F", 1, c), "verify: module t, function f, at 0 (IINC): local 0: expected int, found float");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_IIMM, 0);
    j = E(c, OP_JIGE, 0);
    patch(c, j, c->n);
    E(c, OP_RET);
    rejects(fn1("(F)V", "F", 2, c), "verify: module t, function f, at 8 (JIGE): expected int, found float");
    c = fresh();
    E(c, OP_IIMM, 0);
    E(c, OP_IIMM, 0);
    E(c, OP_JIEQ, 100);
    E(c, OP_RET);
    rejects(fn1("()V", "", 2, c), "verify: module t, function f, at 10 (JIEQ): jump target 110 is outside the function");
}

/* The superinstructions on locals: LOAD2 pushes two locals, both in range, in order; IADDL
 * ISUBL read an int local and FADDL..FDIVL a float local, each onto a top of that same type
 * (the local is read as exactly the type computed on: no int converts to float here). */
Test(verify, fused_local_instructions)
{
    /* f(a: int, b: int, x: float) -> float */
    code *c = fresh();
    E(c, OP_LOAD2, 0, 1);
    E(c, OP_IADD);
    E(c, OP_ISUBL, 1);
    E(c, OP_IADDL, 0);
    E(c, OP_I2F);
    E(c, OP_FADDL, 2);
    E(c, OP_FSUBL, 2);
    E(c, OP_FMULL, 2);
    E(c, OP_FDIVL, 2);
    E(c, OP_LOAD2, 2, 2);
    E(c, OP_FADD);
    E(c, OP_FADD);
    E(c, OP_LOAD2, 2, 0); /* (float, int): the second local is on top */
    E(c, OP_I2F);
    E(c, OP_FSUB);
    E(c, OP_FADD);
    E(c, OP_RETV);
    ok(fn1("(IIF)F", "I I F", 3, c));

    c = fresh();
    E(c, OP_LOAD2, 0, 2);
    E(c, OP_I2F);
    E(c, OP_RET);
    rejects(fn1("(IIF)V", "I I F", 2, c), "verify: module t, function f, at 5 (I2F): expected int, found float");
    c = fresh();
    E(c, OP_LOAD2, 0, 1);
    E(c, OP_POP);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("(I)V", "I", 2, c), "verify: module t, function f, at 0 (LOAD2): local 1 out of range (function has 1 locals)");
    c = fresh();
    E(c, OP_LOAD2, 4, 0);
    E(c, OP_POP);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("(I)V", "I", 2, c), "verify: module t, function f, at 0 (LOAD2): local 4 out of range (function has 1 locals)");
    c = fresh();
    E(c, OP_LOAD2, 0, 0);
    E(c, OP_IADD);
    E(c, OP_RETV);
    rejects(fn1("(I)I", "I", 1, c), "verify: module t, function f, at 0 (LOAD2): stack overflow: depth 2 exceeds max_stack 1");

    /* The local of the wrong type: an int for the float forms, a float for the int forms. */
    static const int fops[] = {OP_FADDL, OP_FSUBL, OP_FMULL, OP_FDIVL}, iops[] = {OP_IADDL, OP_ISUBL};
    for (size_t i = 0; i < sizeof fops / sizeof *fops; i++) {
        c = fresh();
        E(c, OP_LOAD, 1);
        E(c, fops[i], 0);
        E(c, OP_RETV);
        char want[200];
        snprintf(want, sizeof want, "verify: module t, function f, at 3 (%s): local 0: expected float, found int",
                 bc_ops[fops[i]].name);
        rejects(fn1("(IF)F", "I F", 1, c), want);
    }
    for (size_t i = 0; i < sizeof iops / sizeof *iops; i++) {
        c = fresh();
        E(c, OP_LOAD, 0);
        E(c, iops[i], 1);
        E(c, OP_RETV);
        char want[200];
        snprintf(want, sizeof want, "verify: module t, function f, at 3 (%s): local 1: expected int, found float",
                 bc_ops[iops[i]].name);
        rejects(fn1("(IF)I", "I F", 1, c), want);
    }
    c = fresh();
    E(c, OP_LOAD, 1);
    E(c, OP_IADDL, 0);
    E(c, OP_RETV);
    rejects(fn1("([IF)I", "[I F", 1, c), "verify: module t, function f, at 3 (IADDL): local 0: expected int, found [int]");

    /* The top of the wrong type, the local right. */
    c = fresh();
    E(c, OP_LOAD, 1);
    E(c, OP_IADDL, 0);
    E(c, OP_RETV);
    rejects(fn1("(IF)I", "I F", 1, c), "verify: module t, function f, at 3 (IADDL): expected int, found float");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_FDIVL, 1);
    E(c, OP_RETV);
    rejects(fn1("(IF)F", "I F", 1, c), "verify: module t, function f, at 3 (FDIVL): expected float, found int");
    c = fresh();
    E(c, OP_LOAD, 1);
    E(c, OP_FMULL, 1);
    E(c, OP_RETV);
    rejects(fn1("(IF)I", "I F", 1, c), "verify: module t, function f, at 6 (RETV): result: expected int, found float");
    c = fresh();
    E(c, OP_ISUBL, 0);
    E(c, OP_RETV);
    rejects(fn1("(I)I", "I", 1, c), "verify: module t, function f, at 0 (ISUBL): stack underflow: needs 1 value, has 0");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_FADDL, 7);
    E(c, OP_RETV);
    rejects(fn1("(F)F", "F", 1, c), "verify: module t, function f, at 3 (FADDL): local 7 out of range (function has 1 locals)");
}

/* JNULL / JNNULL pop one reference of any reference type and flow to both successors with
 * the stack after the pop. */
Test(verify, null_jumps)
{
    /* f(s: str, l: [int], a: any): the jumps carry the empty stack, so RET is fine at both ends. */
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_LOAD, 0);
    uint32_t j1 = E(c, OP_JNULL, 0);
    E(c, OP_LOAD, 1);
    uint32_t j2 = E(c, OP_JNNULL, 0);
    patch(c, j1, c->n);
    patch(c, j2, c->n);
    E(c, OP_LOAD, 2);
    uint32_t j3 = E(c, OP_JNNULL, 0);
    E(c, OP_NULL, ktype(b, "[S"));
    uint32_t j4 = E(c, OP_JNULL, 0);
    E(c, OP_RET);
    patch(c, j3, c->n);
    patch(c, j4, c->n);
    E(c, OP_RET);
    add_fn(b, "f", "(S[IA)V", "S [I A", 1, c);
    ok(b);

    /* The target's stack map holds what stays below the popped reference. */
    b = with_main();
    c = fresh();
    E(c, OP_KSTR, kstr(b, "s"));
    E(c, OP_IIMM, 1);
    E(c, OP_LOAD, 0);
    uint32_t j = E(c, OP_JNNULL, 0);
    E(c, OP_POP);
    E(c, OP_POP);
    E(c, OP_RET);
    uint32_t target = c->n;
    patch(c, j, target);
    E(c, OP_POP);
    E(c, OP_POP);
    E(c, OP_RET);
    uint16_t fi = add_fn(b, "f", "(S)V", "S", 3, c);
    vm_stackmap sm;
    cr_assert_eq(verify_stack_map(b->m, fi, &sm), 0);
    cr_expect_eq(sm.words[sm.at[j]], 3);
    cr_expect_eq(sm.words[sm.at[j] + 1], 5); /* slots 0 and 2 are references */
    cr_expect_eq(sm.words[sm.at[j + 5]], 2);
    cr_expect_eq(sm.words[sm.at[target]], 2);
    cr_expect_eq(sm.words[sm.at[target] + 1], 1);
    vm_stackmap_free(&sm);
    ok(b);

    static const struct {
        const char *desc, *local, *want;
    } notref[] = {
        {"(I)V", "I", "expected a reference, found int"},
        {"(F)V", "F", "expected a reference, found float"},
        {"(Z)V", "Z", "expected a reference, found bool"},
    };
    for (size_t i = 0; i < sizeof notref / sizeof *notref; i++) {
        for (int op = OP_JNULL; op <= OP_JNNULL; op++) {
            c = fresh();
            E(c, OP_LOAD, 0);
            j = E(c, op, 0);
            patch(c, j, c->n);
            E(c, OP_RET);
            char want[200];
            snprintf(want, sizeof want, "verify: module t, function f, at 3 (%s): %s", bc_ops[op].name, notref[i].want);
            rejects(fn1(notref[i].desc, notref[i].local, 1, c), want);
        }
    }
    c = fresh();
    j = E(c, OP_JNULL, 0);
    patch(c, j, c->n);
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 0 (JNULL): stack underflow: needs 1 value, has 0");
    c = fresh();
    E(c, OP_LOAD, 0);
    j = E(c, OP_JNULL, 0);
    patch(c, j, 1); /* the LOAD's operand */
    E(c, OP_RET);
    rejects(fn1("(S)V", "S", 1, c), "verify: module t, function f, at 3 (JNULL): jump target 1 is not an instruction start");
    c = fresh();
    E(c, OP_LOAD, 0);
    j = E(c, OP_JNNULL, 0);
    patch(c, j, c->n + 2); /* inside the IIMM below */
    E(c, OP_IIMM, 0);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("(S)V", "S", 1, c), "verify: module t, function f, at 3 (JNNULL): jump target 10 is not an instruction start");
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_JNNULL, 100);
    E(c, OP_RET);
    rejects(fn1("(S)V", "S", 1, c), "verify: module t, function f, at 3 (JNNULL): jump target 103 is outside the function");
    c = fresh();
    E(c, OP_LOAD, 0);
    j = E(c, OP_JNULL, 0);
    patch(c, j, 0);
    rejects(fn1("(S)V", "S", 1, c), "verify: module t, function f, at 3 (JNULL): code falls off the end");
    /* Falling through with one more value than the jump carries. */
    c = fresh();
    E(c, OP_LOAD, 0);
    j = E(c, OP_JNULL, 0);
    E(c, OP_IIMM, 1);
    patch(c, j, c->n);
    E(c, OP_RET);
    rejects(fn1("(S)V", "S", 1, c), "verify: module t, function f, at 13 (RET): stack mismatch at join: *");
}

/* IADD3 ISUB3 FADD3..FDIV3 d a b: all three locals in range and of exactly the operation's
 * type (int for the int forms, float for the float ones), whichever position is wrong; they
 * neither pop nor push, so values below stay as they are. */
Test(verify, three_local_instructions)
{
    /* f(a: int, b: int, x: float, y: float) with locals 4 (int) and 5 (float). */
    code *c = fresh();
    E(c, OP_IADD3, 4, 0, 1);
    E(c, OP_ISUB3, 4, 4, 1);
    E(c, OP_ISUB3, 0, 1, 4); /* a parameter may be written */
    E(c, OP_IADD3, 1, 1, 1);
    E(c, OP_FADD3, 5, 2, 3);
    E(c, OP_FSUB3, 5, 5, 2);
    E(c, OP_FMUL3, 5, 3, 5);
    E(c, OP_FDIV3, 2, 5, 5);
    E(c, OP_LOAD, 5);
    E(c, OP_RETV);
    ok(fn1("(IIFF)F", "I I F F I F", 1, c));
    /* They need no operand stack at all. */
    c = fresh();
    E(c, OP_IADD3, 0, 0, 0);
    E(c, OP_FDIV3, 1, 1, 1);
    E(c, OP_RET);
    ok(fn1("(IF)V", "I F", 0, c));

    /* A str below them is still a reference in the stack map after each. */
    mb *b = with_main();
    c = fresh();
    E(c, OP_KSTR, kstr(b, "s"));
    uint32_t at1 = E(c, OP_IADD3, 0, 0, 0);
    uint32_t at2 = E(c, OP_FMUL3, 1, 1, 1);
    uint32_t at3 = E(c, OP_POP);
    E(c, OP_RET);
    uint16_t fi = add_fn(b, "f", "(IF)V", "I F", 1, c);
    vm_stackmap sm;
    cr_assert_eq(verify_stack_map(b->m, fi, &sm), 0);
    cr_expect_eq(sm.words[sm.at[at1]], 1);
    cr_expect_eq(sm.words[sm.at[at1] + 1], 1);
    cr_expect_eq(sm.words[sm.at[at2]], 1);
    cr_expect_eq(sm.words[sm.at[at2] + 1], 1);
    cr_expect_eq(sm.words[sm.at[at3]], 1);
    cr_expect_eq(sm.words[sm.at[at3] + 1], 1);
    vm_stackmap_free(&sm);
    ok(b);

    /* Each position out of range (the function has 3 locals). */
    static const int ops[] = {OP_IADD3, OP_ISUB3, OP_FADD3, OP_FSUB3, OP_FMUL3, OP_FDIV3};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        int right = i < 2 ? 0 : 1; /* local 0 is an int, 1 a float */
        for (int pos = 0; pos < 3; pos++) {
            int l[3] = {right, right, right};
            l[pos] = 3 + pos * 100;
            c = fresh();
            E(c, ops[i], l[0], l[1], l[2]);
            E(c, OP_RET);
            char want[200];
            snprintf(want, sizeof want,
                     "verify: module t, function f, at 0 (%s): local %d out of range (function has 3 locals)",
                     bc_ops[ops[i]].name, l[pos]);
            rejects(fn1("(IFZ)V", "I F Z", 0, c), want);
        }
    }

    /* Each position of the wrong type: locals 0 int, 1 float, 2 bool, 3 str, 4 any, 5 a cell. */
    static const char *const names[] = {"int", "float", "bool", "str", "any", "cell of int"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        int right = i < 2 ? 0 : 1;
        for (int wrong = 0; wrong < 6; wrong++) {
            if (wrong == right)
                continue;
            for (int pos = 0; pos < 3; pos++) {
                int l[3] = {right, right, right};
                l[pos] = wrong;
                c = fresh();
                E(c, ops[i], l[0], l[1], l[2]);
                E(c, OP_RET);
                char want[200];
                snprintf(want, sizeof want, "verify: module t, function f, at 0 (%s): local %d: expected %s, found %s",
                         bc_ops[ops[i]].name, wrong, names[right], names[wrong]);
                rejects(fn1("(IFZSA)V", "I F Z S A ^I", 0, c), want);
            }
        }
    }

    /* Cut short: the third local runs past the end. */
    c = fresh();
    E(c, OP_RET);
    E(c, OP_IADD3, 0, 0, 0);
    c->n -= 2;
    rejects(fn1("(I)V", "I", 0, c), "verify: module t, function f, at 1 (IADD3): operands run past the end of the code (6 bytes)");
}

/* JTL / JFL h: local h in range and a bool; they pop nothing, so both successors see the
 * stack they were entered with; the target is an instruction start inside the function. */
Test(verify, bool_local_jumps)
{
    /* f(flag: bool, other: bool) */
    code *c = fresh();
    uint32_t j1 = E(c, OP_JTL, 0, 0);
    uint32_t j2 = E(c, OP_JFL, 1, 0);
    uint32_t j3 = E(c, OP_JFL, 0, 0);
    patch(c, j3, j3); /* a loop onto itself */
    E(c, OP_RET);
    patch(c, j1, c->n);
    patch(c, j2, c->n);
    E(c, OP_RET);
    ok(fn1("(ZZ)V", "Z Z", 0, c));

    /* The int pushed before the jump is still there at its target and after it. */
    c = fresh();
    E(c, OP_IIMM, 7);
    uint32_t j = E(c, OP_JTL, 0, 0);
    E(c, OP_RETV);
    patch(c, j, c->n);
    E(c, OP_IADDI, 1);
    E(c, OP_RETV);
    ok(fn1("(Z)I", "Z", 1, c));
    for (int op = OP_JTL; op <= OP_JFL; op++) {
        mb *b = with_main();
        c = fresh();
        E(c, OP_KSTR, kstr(b, "s"));
        E(c, OP_IIMM, 1);
        j = E(c, op, 0, 0);
        E(c, OP_POP);
        E(c, OP_POP);
        E(c, OP_RET);
        uint32_t target = c->n;
        patch(c, j, target);
        E(c, OP_POP);
        E(c, OP_POP);
        E(c, OP_RET);
        uint16_t fi = add_fn(b, "f", "(Z)V", "Z", 2, c);
        vm_stackmap sm;
        cr_assert_eq(verify_stack_map(b->m, fi, &sm), 0);
        cr_expect_eq(sm.words[sm.at[j]], 2);
        cr_expect_eq(sm.words[sm.at[j] + 1], 1); /* slot 0, the str */
        cr_expect_eq(sm.words[sm.at[j + 7]], 2);
        cr_expect_eq(sm.words[sm.at[j + 7] + 1], 1);
        cr_assert_neq(sm.at[target], UINT32_MAX, "%s: the target has no state", bc_ops[op].name);
        cr_expect_eq(sm.words[sm.at[target]], 2);
        cr_expect_eq(sm.words[sm.at[target] + 1], 1);
        vm_stackmap_free(&sm);
        ok(b);
    }

    static const struct {
        const char *desc, *locals, *found;
    } notbool[] = {
        {"(I)V", "I", "int"},
        {"(F)V", "F", "float"},
        {"(S)V", "S", "str"},
        {"(A)V", "A", "any"},
        {"([Z)V", "[Z", "[bool]"},
        {"()V", "^Z", "cell of bool"},
    };
    for (size_t i = 0; i < sizeof notbool / sizeof *notbool; i++) {
        for (int op = OP_JTL; op <= OP_JFL; op++) {
            c = fresh();
            j = E(c, op, 0, 0);
            patch(c, j, c->n);
            E(c, OP_RET);
            char want[200];
            snprintf(want, sizeof want, "verify: module t, function f, at 0 (%s): local 0: expected bool, found %s",
                     bc_ops[op].name, notbool[i].found);
            rejects(fn1(notbool[i].desc, notbool[i].locals, 0, c), want);
        }
    }
    c = fresh();
    j = E(c, OP_JTL, 2, 0);
    patch(c, j, c->n);
    E(c, OP_RET);
    rejects(fn1("(ZZ)V", "Z Z", 0, c), "verify: module t, function f, at 0 (JTL): local 2 out of range (function has 2 locals)");
    c = fresh();
    j = E(c, OP_JFL, 0xFFFF, 0);
    patch(c, j, c->n);
    E(c, OP_RET);
    rejects(fn1("(Z)V", "Z", 0, c), "verify: module t, function f, at 0 (JFL): local 65535 out of range (function has 1 locals)");
    c = fresh();
    j = E(c, OP_JTL, 0, 0);
    patch(c, j, 3); /* inside its own operands */
    E(c, OP_RET);
    rejects(fn1("(Z)V", "Z", 0, c), "verify: module t, function f, at 0 (JTL): jump target 3 is not an instruction start");
    c = fresh();
    E(c, OP_NOP);
    j = E(c, OP_JFL, 0, 0);
    patch(c, j, c->n + 1); /* inside the IIMM below */
    E(c, OP_IIMM, 0);
    E(c, OP_RETV);
    rejects(fn1("(Z)I", "Z", 1, c), "verify: module t, function f, at 1 (JFL): jump target 9 is not an instruction start");
    c = fresh();
    E(c, OP_JFL, 0, 100);
    E(c, OP_RET);
    rejects(fn1("(Z)V", "Z", 0, c), "verify: module t, function f, at 0 (JFL): jump target 100 is outside the function");
    c = fresh();
    E(c, OP_NOP);
    E(c, OP_JTL, 0, -2);
    E(c, OP_RET);
    rejects(fn1("(Z)V", "Z", 0, c), "verify: module t, function f, at 1 (JTL): jump target -1 is outside the function");
    c = fresh();
    E(c, OP_JTL, 0, 8); /* one past the RET: the end of the code */
    E(c, OP_RET);
    rejects(fn1("(Z)V", "Z", 0, c), "verify: module t, function f, at 0 (JTL): jump target 8 is outside the function");
    c = fresh();
    E(c, OP_RET);
    j = E(c, OP_JTL, 0, 0);
    patch(c, j, 0);
    rejects(fn1("(Z)V", "Z", 0, c), "verify: module t, function f, at 1 (JTL): code falls off the end");
    /* The target is entered with what the jump had; falling through with one value less
     * than that is a mismatch at the join. */
    c = fresh();
    E(c, OP_IIMM, 1);
    j = E(c, OP_JFL, 0, 0);
    E(c, OP_POP);
    patch(c, j, c->n);
    E(c, OP_RET);
    rejects(fn1("(Z)V", "Z", 1, c), "verify: module t, function f, at 13 (RET): stack mismatch at join: *");
    /* ... and at the target the value is still there: RET finds it. */
    c = fresh();
    E(c, OP_IIMM, 1);
    j = E(c, OP_JTL, 0, 0);
    E(c, OP_POP);
    E(c, OP_RET);
    patch(c, j, c->n);
    E(c, OP_RET);
    rejects(fn1("(Z)V", "Z", 1, c), "verify: module t, function f, at 14 (RET): RET needs an empty stack, found 1 value");
}

/* JIEQI..JIGEI i: pop one int and flow to both successors with the stack after the pop; a
 * float, bool or str on top, or an empty stack, is rejected; the target is an instruction
 * start inside the function. */
Test(verify, immediate_jumps)
{
    static const int ops[] = {OP_JIEQI, OP_JINEI, OP_JILTI, OP_JILEI, OP_JIGTI, OP_JIGEI};
    code *c = fresh();
    uint32_t js[6];
    for (int i = 0; i < 6; i++) {
        E(c, OP_LOAD, 0);
        js[i] = E(c, ops[i], i == 0 ? INT32_MIN : i == 1 ? INT32_MAX : -i, 0);
    }
    E(c, OP_RET);
    for (int i = 0; i < 6; i++)
        patch(c, js[i], c->n);
    E(c, OP_RET);
    ok(fn1("(I)V", "I", 1, c));

    /* The stack map at the target and after the jump holds what stays below the popped int. */
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        mb *b = with_main();
        c = fresh();
        E(c, OP_KSTR, kstr(b, "s"));
        E(c, OP_LOAD, 0);
        uint32_t j = E(c, ops[i], 5, 0);
        uint32_t next = E(c, OP_POP);
        E(c, OP_RET);
        uint32_t target = c->n;
        patch(c, j, target);
        E(c, OP_POP);
        E(c, OP_RET);
        uint16_t fi = add_fn(b, "f", "(I)V", "I", 2, c);
        vm_stackmap sm;
        cr_assert_eq(verify_stack_map(b->m, fi, &sm), 0);
        cr_expect_eq(sm.words[sm.at[j]], 2);
        cr_expect_eq(sm.words[sm.at[j] + 1], 1);
        cr_expect_eq(sm.words[sm.at[next]], 1);
        cr_expect_eq(sm.words[sm.at[next] + 1], 1);
        cr_assert_neq(sm.at[target], UINT32_MAX, "%s: the target has no state", bc_ops[ops[i]].name);
        cr_expect_eq(sm.words[sm.at[target]], 1);
        cr_expect_eq(sm.words[sm.at[target] + 1], 1);
        vm_stackmap_free(&sm);
        ok(b);
    }

    static const struct {
        const char *desc, *found;
    } notint[] = {
        {"(F)V", "float"},
        {"(Z)V", "bool"},
        {"(S)V", "str"},
        {"(A)V", "any"},
    };
    for (size_t i = 0; i < sizeof notint / sizeof *notint; i++) {
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
            c = fresh();
            E(c, OP_LOAD, 0);
            uint32_t j = E(c, ops[o], 0, 0);
            patch(c, j, c->n);
            E(c, OP_RET);
            char want[200];
            snprintf(want, sizeof want, "verify: module t, function f, at 3 (%s): expected int, found %s",
                     bc_ops[ops[o]].name, notint[i].found);
            char locals[4] = {notint[i].desc[1], 0};
            rejects(fn1(notint[i].desc, locals, 1, c), want);
        }
    }
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        c = fresh();
        uint32_t j = E(c, ops[o], 0, 0);
        patch(c, j, c->n);
        E(c, OP_RET);
        char want[200];
        snprintf(want, sizeof want, "verify: module t, function f, at 0 (%s): stack underflow: needs 1 value, has 0",
                 bc_ops[ops[o]].name);
        rejects(fn1("()V", "", 1, c), want);
    }
    /* A jump taken with the int still on the stack would reach RET with one value. */
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 2);
    uint32_t j = E(c, OP_JINEI, 2, 0);
    E(c, OP_POP);
    E(c, OP_RET);
    patch(c, j, c->n);
    E(c, OP_POP);
    E(c, OP_RET);
    ok(fn1("()V", "", 2, c));
    c = fresh();
    E(c, OP_IIMM, 1);
    j = E(c, OP_JIEQI, 1, 0);
    patch(c, j, c->n);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 14 (POP): stack underflow: needs 1 value, has 0");
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 1);
    j = E(c, OP_JILTI, 1, 0);
    E(c, OP_IIMM, 3);
    patch(c, j, c->n);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("()V", "", 2, c), "verify: module t, function f, at 24 (POP): stack mismatch at join: *");

    c = fresh();
    E(c, OP_IIMM, 0);
    j = E(c, OP_JILEI, 0, 0);
    patch(c, j, j + 1); /* inside its own immediate */
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (JILEI): jump target 6 is not an instruction start");
    c = fresh();
    E(c, OP_IIMM, 0);
    E(c, OP_JIGTI, 0, 10); /* the end of the code, past the RET */
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (JIGTI): jump target 15 is outside the function");
    c = fresh();
    E(c, OP_IIMM, 0);
    E(c, OP_JIGEI, 0, -6);
    E(c, OP_RET);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (JIGEI): jump target -1 is outside the function");
    c = fresh();
    E(c, OP_IIMM, 0);
    j = E(c, OP_JINEI, 0, 0);
    patch(c, j, 0);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (JINEI): code falls off the end");
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

/* ---- objects: classes, fields, methods, closures, cells, casts, exceptions ----------------- */

static uint16_t kmember(mb *b, int tag, const char *cls, const char *name, const char *desc)
{
    uint16_t c = ktype(b, cls), s = kstr(b, name), t = ktype(b, desc);
    bc_const *k = knew(b);
    k->tag = (uint8_t)tag;
    k->u.ref.module = c;
    k->u.ref.name = s;
    k->u.ref.type = t;
    return (uint16_t)(k - b->m->consts);
}

/* Add a class; `super` may be NULL, `ifaces` descriptors separated by spaces. */
static uint16_t add_class(mb *b, const char *desc, uint16_t flags, const char *super, const char *ifaces)
{
    bc_module *m = b->m;
    m->classes = realloc(m->classes, (m->nclasses + 1u) * sizeof *m->classes);
    bc_class *c = &m->classes[m->nclasses];
    memset(c, 0, sizeof *c);
    c->type = ktype(b, desc);
    c->flags = flags;
    c->super = super ? ktype(b, super) : 0;
    c->ifaces = malloc(16 * sizeof *c->ifaces);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ifaces ? ifaces : "");
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " "))
        c->ifaces[c->nifaces++] = ktype(b, tok);
    c->fields = malloc(16 * sizeof *c->fields);
    c->methods = malloc(16 * sizeof *c->methods);
    return m->nclasses++;
}

static void add_field(mb *b, uint16_t ci, const char *name, const char *desc)
{
    uint16_t n = kstr(b, name), t = ktype(b, desc);
    bc_class *c = &b->m->classes[ci];
    c->fields[c->nfields++] = (bc_field){n, t};
}

static void add_method(mb *b, uint16_t ci, const char *name, const char *sig, uint16_t func)
{
    uint16_t n = kstr(b, name), t = ktype(b, sig);
    bc_class *c = &b->m->classes[ci];
    c->methods[c->nmethods++] = (bc_method){n, t, func};
}

static void add_handler(mb *b, uint16_t fi, uint32_t start, uint32_t end, uint32_t handler, const char *type)
{
    bc_function *f = &b->m->funcs[fi];
    uint16_t t = type ? ktype(b, type) : 0;
    f = &b->m->funcs[fi];
    f->handlers = realloc(f->handlers, (f->nhandlers + 1u) * sizeof *f->handlers);
    f->handlers[f->nhandlers++] = (bc_handler){start, end, handler, t};
}

/* Module "t" with: interface t.Shape { area() -> float }; class t.Rect : t.Shape { w: float;
 * area(); scale(float) }; class t.Sq : t.Rect; class t.Err : ValueError { code: int }. */
static mb *shapes(void)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_GETF, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
    E(c, OP_RETV);
    uint16_t area = add_fn(b, "Rect.area", "(Lt.Rect;)F", "Lt.Rect;", 1, c);
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_LOAD, 1);
    E(c, OP_SETF, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
    E(c, OP_RET);
    uint16_t scale = add_fn(b, "Rect.scale", "(Lt.Rect;F)V", "Lt.Rect; F", 2, c);
    uint16_t shape = add_class(b, "Lt.Shape;", BC_CLASS_INTERFACE, NULL, NULL);
    add_method(b, shape, "area", "()F", BC_NO_FUNC);
    uint16_t rect = add_class(b, "Lt.Rect;", 0, NULL, "Lt.Shape;");
    add_field(b, rect, "w", "F");
    add_method(b, rect, "area", "()F", area);
    add_method(b, rect, "scale", "(F)V", scale);
    add_class(b, "Lt.Sq;", 0, "Lt.Rect;", NULL);
    uint16_t err = add_class(b, "Lt.Err;", 0, "LValueError;", NULL);
    add_field(b, err, "code", "I");
    return b;
}

Test(verify_obj, classes_fields_and_methods)
{
    mb *b = shapes();
    uint16_t w = kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F");
    uint16_t area = kmember(b, BC_K_METHOD, "Lt.Rect;", "area", "()F");
    uint16_t iarea = kmember(b, BC_K_METHOD, "Lt.Shape;", "area", "()F");
    uint16_t scale = kmember(b, BC_K_METHOD, "Lt.Rect;", "scale", "(F)V");
    code *c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Sq;"));
    E(c, OP_STORE, 0);                 /* a t.Sq into a t.Shape local */
    E(c, OP_NEW, ktype(b, "Lt.Sq;"));
    E(c, OP_DUP);
    E(c, OP_KFLT, kflt(b, 2.0));
    E(c, OP_SETF, w);                  /* t.Sq is a t.Rect */
    E(c, OP_DUP);
    E(c, OP_IIMM, 3);
    E(c, OP_I2F);
    E(c, OP_CALLVT, scale);
    E(c, OP_DUP);
    E(c, OP_GETF, w);
    E(c, OP_POP);
    E(c, OP_CALLVT, area);
    E(c, OP_POP);
    E(c, OP_LOAD, 0);
    E(c, OP_CALLIF, iarea);
    E(c, OP_RETV);
    add_fn(b, "g", "()F", "Lt.Shape;", 3, c);
    ok(b);
}

Test(verify_obj, field_misuse)
{
    mb *b = shapes();
    uint16_t w = kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F");
    code *c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_GETF, w);
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Shape;)F", "Lt.Shape;", 1, c);
    rejects(b, "verify: module t, function g, at 3 (GETF): object: expected t.Rect, found t.Shape");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Rect;"));
    E(c, OP_IIMM, 1);
    E(c, OP_SETF, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
    E(c, OP_RET);
    add_fn(b, "g", "()V", "", 2, c);
    rejects(b, "verify: module t, function g, at 8 (SETF): value: expected float, found int");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Err;"));
    E(c, OP_GETF, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
    E(c, OP_RETV);
    add_fn(b, "g", "()F", "", 1, c);
    rejects(b, "verify: module t, function g, at 3 (GETF): object: expected t.Rect, found t.Err");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Rect;"));
    E(c, OP_GETF, kmember(b, BC_K_FIELD, "Lt.Nope;", "w", "F"));
    E(c, OP_RETV);
    add_fn(b, "g", "()F", "", 1, c);
    rejects(b, "verify: module t, function g, at 3 (GETF): unknown class t.Nope");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Sq;"));
    E(c, OP_GETF, kmember(b, BC_K_FIELD, "Lt.Sq;", "w", "I"));
    E(c, OP_RETV);
    add_fn(b, "g", "()I", "", 1, c);
    rejects(b, "verify: module t, function g, at 3 (GETF): class t.Sq has no field w of type int");

    /* Built-in errors have Error's message; a user error inherits it. */
    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Err;"));
    E(c, OP_GETF, kmember(b, BC_K_FIELD, "LError;", "message", "S"));
    E(c, OP_POP);
    E(c, OP_NEW, ktype(b, "Lt.Err;"));
    E(c, OP_GETF, kmember(b, BC_K_FIELD, "Lt.Err;", "message", "S"));
    E(c, OP_RETV);
    add_fn(b, "g", "()S", "", 1, c);
    ok(b);

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "LIndexError;"));
    E(c, OP_GETF, kmember(b, BC_K_FIELD, "LIndexError;", "code", "I"));
    E(c, OP_RETV);
    add_fn(b, "g", "()I", "", 1, c);
    rejects(b, "verify: module t, function g, at 3 (GETF): class IndexError has no field code of type int");
}

/* LOADF h k is LOAD h; GETF k checked as the two: k a FIELD of a known class, local h of that
 * class or a subclass; it pushes the field's type. */
Test(verify_obj, loadf)
{
    mb *b = shapes();
    uint16_t w = kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F");
    code *c = fresh();
    E(c, OP_LOADF, 0, w);
    E(c, OP_LOADF, 1, w); /* t.Sq is a t.Rect */
    E(c, OP_FADD);
    E(c, OP_FADDL, 3);
    E(c, OP_LOADF, 2, kmember(b, BC_K_FIELD, "LError;", "message", "S"));
    E(c, OP_POP);
    E(c, OP_LOADF, 2, kmember(b, BC_K_FIELD, "Lt.Err;", "code", "I"));
    E(c, OP_I2F);
    E(c, OP_FADD);
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Rect;Lt.Sq;Lt.Err;F)F", "Lt.Rect; Lt.Sq; Lt.Err; F", 2, c);
    ok(b);

    /* The pushed value is the field's: a str field is a reference in the next stack map, a
     * float field is not. */
    b = shapes();
    c = fresh();
    E(c, OP_LOADF, 0, kmember(b, BC_K_FIELD, "LError;", "message", "S"));
    uint32_t at1 = E(c, OP_LOADF, 1, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
    uint32_t at2 = E(c, OP_POP);
    E(c, OP_RETV);
    uint16_t g = add_fn(b, "g", "(Lt.Err;Lt.Rect;)S", "Lt.Err; Lt.Rect;", 2, c);
    vm_stackmap sm;
    cr_assert_eq(verify_stack_map(b->m, g, &sm), 0);
    cr_expect_eq(sm.words[sm.at[0]], 0);
    cr_expect_eq(sm.words[sm.at[at1]], 1);
    cr_expect_eq(sm.words[sm.at[at1] + 1], 1);
    cr_expect_eq(sm.words[sm.at[at2]], 2);
    cr_expect_eq(sm.words[sm.at[at2] + 1], 1);
    vm_stackmap_free(&sm);
    ok(b);

    static const struct {
        const char *locals, *want;
    } wrong[] = {
        {"I", "object: expected t.Rect, found int"},
        {"F", "object: expected t.Rect, found float"},
        {"Lt.Err;", "object: expected t.Rect, found t.Err"},
        {"Lt.Shape;", "object: expected t.Rect, found t.Shape"},
        {"[Lt.Rect;", "object: expected t.Rect, found [t.Rect]"},
        {"A", "object: expected t.Rect, found any"},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        b = shapes();
        c = fresh();
        E(c, OP_LOADF, 0, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
        E(c, OP_RETV);
        char desc[64], want[200];
        snprintf(desc, sizeof desc, "(%s)F", wrong[i].locals);
        add_fn(b, "g", desc, wrong[i].locals, 2, c);
        snprintf(want, sizeof want, "verify: module t, function g, at 0 (LOADF): %s", wrong[i].want);
        rejects(b, want);
    }

    /* A base class's local does not have its subclass's fields. */
    b = shapes();
    c = fresh();
    E(c, OP_LOADF, 0, kmember(b, BC_K_FIELD, "Lt.Err;", "code", "I"));
    E(c, OP_RETV);
    add_fn(b, "g", "(LValueError;)I", "LValueError;", 2, c);
    rejects(b, "verify: module t, function g, at 0 (LOADF): object: expected t.Err, found ValueError");

    b = shapes();
    c = fresh();
    E(c, OP_LOADF, 0, kmember(b, BC_K_METHOD, "Lt.Rect;", "area", "()F"));
    E(c, OP_RETV);
    uint16_t k = (uint16_t)(b->m->nconsts - 1);
    add_fn(b, "g", "(Lt.Rect;)F", "Lt.Rect;", 2, c);
    char want[200];
    snprintf(want, sizeof want, "verify: module t, function g, at 0 (LOADF): constant %u has tag METHOD, expected FIELD", k);
    rejects(b, want);

    b = shapes();
    c = fresh();
    k = kstr(b, "w");
    E(c, OP_LOADF, 0, k);
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Rect;)F", "Lt.Rect;", 2, c);
    snprintf(want, sizeof want, "verify: module t, function g, at 0 (LOADF): constant %u has tag STR, expected FIELD", k);
    rejects(b, want);

    b = shapes();
    c = fresh();
    E(c, OP_LOADF, 0, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "I"));
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Rect;)I", "Lt.Rect;", 2, c);
    rejects(b, "verify: module t, function g, at 0 (LOADF): class t.Rect has no field w of type int");

    b = shapes();
    c = fresh();
    E(c, OP_LOADF, 0, kmember(b, BC_K_FIELD, "Lt.Nope;", "w", "F"));
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Rect;)F", "Lt.Rect;", 2, c);
    rejects(b, "verify: module t, function g, at 0 (LOADF): unknown class t.Nope");

    b = shapes();
    c = fresh();
    E(c, OP_LOADF, 3, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Rect;)F", "Lt.Rect;", 2, c);
    rejects(b, "verify: module t, function g, at 0 (LOADF): local 3 out of range (function has 1 locals)");

    /* The float it pushes is no int. */
    b = shapes();
    c = fresh();
    E(c, OP_LOADF, 0, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
    E(c, OP_IADDL, 1);
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Rect;I)I", "Lt.Rect; I", 2, c);
    rejects(b, "verify: module t, function g, at 5 (IADDL): expected int, found float");

    b = shapes();
    c = fresh();
    E(c, OP_LOADF, 0, kmember(b, BC_K_FIELD, "Lt.Rect;", "w", "F"));
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Rect;)F", "Lt.Rect;", 0, c);
    rejects(b, "verify: module t, function g, at 0 (LOADF): stack overflow: depth 1 exceeds max_stack 0");
}

Test(verify_obj, method_misuse)
{
    mb *b = shapes();
    code *c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Rect;"));
    E(c, OP_IIMM, 2);
    E(c, OP_CALLVT, kmember(b, BC_K_METHOD, "Lt.Rect;", "scale", "(F)V"));
    E(c, OP_RET);
    add_fn(b, "g", "()V", "", 2, c);
    rejects(b, "verify: module t, function g, at 8 (CALLVT): argument 1: expected float, found int");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Rect;"));
    E(c, OP_CALLVT, kmember(b, BC_K_METHOD, "Lt.Rect;", "scale", "(F)V"));
    E(c, OP_RET);
    add_fn(b, "g", "()V", "", 2, c);
    rejects(b, "verify: module t, function g, at 3 (CALLVT): stack underflow: needs 2 values, has 1");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Err;"));
    E(c, OP_CALLVT, kmember(b, BC_K_METHOD, "Lt.Rect;", "area", "()F"));
    E(c, OP_RETV);
    add_fn(b, "g", "()F", "", 2, c);
    rejects(b, "verify: module t, function g, at 3 (CALLVT): receiver: expected t.Rect, found t.Err");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Rect;"));
    E(c, OP_CALLVT, kmember(b, BC_K_METHOD, "Lt.Rect;", "area", "()I"));
    E(c, OP_RETV);
    add_fn(b, "g", "()I", "", 2, c);
    rejects(b, "verify: module t, function g, at 3 (CALLVT): class t.Rect has no method area of type fn() -> int");

    b = shapes();
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_CALLVT, kmember(b, BC_K_METHOD, "Lt.Shape;", "area", "()F"));
    E(c, OP_RETV);
    add_fn(b, "g", "(Lt.Shape;)F", "Lt.Shape;", 2, c);
    rejects(b, "verify: module t, function g, at 3 (CALLVT): CALLVT of a method of interface t.Shape");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Rect;"));
    E(c, OP_CALLIF, kmember(b, BC_K_METHOD, "Lt.Rect;", "area", "()F"));
    E(c, OP_RETV);
    add_fn(b, "g", "()F", "", 2, c);
    rejects(b, "verify: module t, function g, at 3 (CALLIF): CALLIF of a method of class t.Rect");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Shape;"));
    E(c, OP_RET);
    add_fn(b, "g", "()V", "", 1, c);
    rejects(b, "verify: module t, function g, at 0 (NEW): cannot instantiate interface t.Shape");

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "[I"));
    E(c, OP_RET);
    add_fn(b, "g", "()V", "", 1, c);
    rejects(b, "verify: module t, function g, at 0 (NEW): expected a class type, found [int]");
}

Test(verify_obj, any_is_and_cast)
{
    mb *b = shapes();
    code *c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_IS, ktype(b, "Lt.Rect;"));
    E(c, OP_POP);
    E(c, OP_LOAD, 0);
    E(c, OP_IS, ktype(b, "I"));
    E(c, OP_POP);
    E(c, OP_LOAD, 0);
    E(c, OP_CAST, ktype(b, "Lt.Rect;"));
    E(c, OP_STORE, 1);
    E(c, OP_NEW, ktype(b, "Lt.Sq;"));
    E(c, OP_TOANY);
    E(c, OP_CAST, ktype(b, "I"));
    E(c, OP_RETV);
    add_fn(b, "g", "(A)I", "A Lt.Rect;", 1, c);
    ok(b);

    b = shapes();
    uint16_t k = ktype(b, "I");
    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_CAST, k);
    E(c, OP_RETV);
    add_fn(b, "g", "()I", "", 1, c);
    rejects(b, "verify: module t, function g, at 5 (CAST): expected a reference, found int");

    b = shapes();
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_CAST, ktype(b, "^I"));
    E(c, OP_RET);
    add_fn(b, "g", "(A)V", "A", 1, c);
    rejects(b, "verify: module t, function g, at 3 (CAST): expected a value type, found cell of int");

    b = shapes();
    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_CAST, ktype(b, "Lt.Rect;"));
    E(c, OP_RETV);
    add_fn(b, "g", "(A)I", "A", 1, c);
    rejects(b, "verify: module t, function g, at 6 (RETV): result: expected int, found t.Rect");
}

Test(verify_obj, closures_and_cells)
{
    mb *b = with_main();
    code *c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_CGET);
    E(c, OP_LOAD, 1);
    E(c, OP_IADD);
    E(c, OP_RETV);
    uint16_t adder = add_fn(b, "<fn>", "(I)I", "^I I", 2, c);
    b->m->funcs[adder].ncaps = 1;
    c = fresh();
    E(c, OP_IIMM, 5);
    E(c, OP_CELL);
    E(c, OP_DUP);
    E(c, OP_STORE, 0);
    E(c, OP_CLOSURE, adder, 1);
    E(c, OP_STORE, 1);
    E(c, OP_LOAD, 0);
    E(c, OP_IIMM, 7);
    E(c, OP_CSET);
    E(c, OP_LOAD, 1);
    E(c, OP_IIMM, 3);
    E(c, OP_CALLV, 1);
    E(c, OP_RETV);
    add_fn(b, "g", "()I", "^I (I)I", 2, c);
    ok(b);
}

/* A module with the adder closure of the test above and a function g with `code`. */
static mb *with_adder(const char *desc, const char *locals, const code *c)
{
    mb *b = with_main();
    code a = {.n = 0};
    E(&a, OP_LOAD, 0);
    E(&a, OP_CGET);
    E(&a, OP_LOAD, 1);
    E(&a, OP_IADD);
    E(&a, OP_RETV);
    uint16_t adder = add_fn(b, "<fn>", "(I)I", "^I I", 2, &a);
    b->m->funcs[adder].ncaps = 1;
    add_fn(b, "g", desc, locals, 3, c);
    return b;
}

Test(verify_obj, closure_misuse)
{
    code *c = fresh();
    E(c, OP_CLOSURE, 1, 0);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(with_adder("()V", "", c), "verify: module t, function g, at 0 (CLOSURE): function 1 has 1 captures, CLOSURE gives 0");

    c = fresh();
    E(c, OP_KFLT, 0);
    E(c, OP_CELL);
    E(c, OP_CLOSURE, 1, 1);
    E(c, OP_POP);
    E(c, OP_RET);
    mb *b = with_adder("()V", "", c);
    uint16_t k = kflt(b, 1.5);
    b->m->funcs[2].code[1] = (uint8_t)k, b->m->funcs[2].code[2] = (uint8_t)(k >> 8);
    rejects(b, "verify: module t, function g, at 4 (CLOSURE): argument 1: expected cell of int, found cell of float");

    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_CLOSURE, 1, 1);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(with_adder("()V", "", c), "verify: module t, function g, at 5 (CLOSURE): argument 1: expected cell of int, found int");

    c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_CALL, 1);
    E(c, OP_RETV);
    rejects(with_adder("()I", "", c),
            "verify: module t, function g, at 5 (CALL): function 1 has captures: it is called only through a closure (CALLV)");

    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_IIMM, 1);
    E(c, OP_IIMM, 2);
    E(c, OP_CALLV, 2);
    E(c, OP_RETV);
    rejects(with_adder("((I)I)I", "(I)I", c), "verify: module t, function g, at 13 (CALLV): the function value takes 1 argument, CALLV passes 2");

    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_KSTR, 0);
    E(c, OP_CALLV, 1);
    E(c, OP_RETV);
    b = with_adder("((I)I)I", "(I)I", c);
    k = kstr(b, "x");
    b->m->funcs[2].code[4] = (uint8_t)k, b->m->funcs[2].code[5] = (uint8_t)(k >> 8);
    rejects(b, "verify: module t, function g, at 6 (CALLV): argument 1: expected int, found str");

    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_IIMM, 1);
    E(c, OP_CALLV, 1);
    E(c, OP_RETV);
    rejects(with_adder("(S)I", "S", c), "verify: module t, function g, at 8 (CALLV): callee: expected a function, found str");

    /* A capture local must be a cell; a function's own captures come before its parameters. */
    c = fresh();
    E(c, OP_LOAD, 1);
    E(c, OP_RETV);
    b = with_adder("(I)I", "I I", c);
    b->m->funcs[2].ncaps = 1;
    rejects(b, "verify: module t, function g: local 0 (capture 1): expected a cell, found int");

    c = fresh();
    E(c, OP_LOAD, 1);
    E(c, OP_RETV);
    b = with_adder("(I)I", "^I", c);
    b->m->funcs[2].ncaps = 1;
    rejects(b, "verify: module t, function g: ncaps 1 + nparams 1 exceed nlocals 1");

    c = fresh();
    E(c, OP_RET);
    b = with_main();
    add_fn(b, "x", "()V", "", 0, c);
    b->m->funcs[0].ncaps = 1;
    b->m->funcs[0].local_types = realloc(b->m->funcs[0].local_types, sizeof(uint16_t));
    b->m->funcs[0].local_types[0] = ktype(b, "^I");
    b->m->funcs[0].nlocals = 1;
    rejects(b, "verify: module t, function <main>: the main function has captures");
}

Test(verify_obj, cell_misuse)
{
    code *c = fresh();
    E(c, OP_IIMM, 1);
    E(c, OP_CGET);
    E(c, OP_RETV);
    rejects(fn1("()I", "", 1, c), "verify: module t, function f, at 5 (CGET): expected a cell, found int");

    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_KFLT, 0);
    E(c, OP_CSET);
    E(c, OP_RET);
    mb *b = fn1("(I)V", "I ^I", 2, c);
    uint16_t k = kflt(b, 1.0);
    b->m->funcs[1].code[4] = (uint8_t)k, b->m->funcs[1].code[5] = (uint8_t)(k >> 8);
    b->m->funcs[1].code[1] = 1; /* LOAD 1: the cell */
    rejects(b, "verify: module t, function f, at 6 (CSET): expected int, found float");

    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_TOANY);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("()V", "^S", 1, c), "verify: module t, function f, at 3 (TOANY): expected a reference, found cell of str");

    c = fresh();
    E(c, OP_LOAD, 0);
    E(c, OP_CELL);
    E(c, OP_POP);
    E(c, OP_RET);
    rejects(fn1("()V", "^S", 2, c), "verify: module t, function f, at 3 (CELL): expected a value, found cell of str");

    /* Cells are never a global's, a field's or a parameter's type. */
    b = with_main();
    add_global(b, "g", "^I", 0);
    rejects(b, "verify: module t: global 0: type is a cell");
}

Test(verify_obj, throw_rules)
{
    mb *b = shapes();
    code *c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Err;"));
    E(c, OP_THROW);
    add_fn(b, "g", "()I", "", 1, c); /* THROW ends the code like RET */
    ok(b);

    b = shapes();
    c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Rect;"));
    E(c, OP_THROW);
    add_fn(b, "g", "()V", "", 1, c);
    rejects(b, "verify: module t, function g, at 3 (THROW): expected Error, found t.Rect");

    c = fresh();
    E(c, OP_IIMM, 3);
    E(c, OP_THROW);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 5 (THROW): expected Error, found int");

    c = fresh();
    E(c, OP_THROW);
    rejects(fn1("()V", "", 1, c), "verify: module t, function f, at 0 (THROW): stack underflow: needs 1 value, has 0");
}

#define G_TRY 3 /* the index of g in try_catch() */

/* g: try { throw t.Err } catch e: t.Err { return e.code } catch-all { rethrow } */
static mb *try_catch(uint32_t *h1, uint32_t *h2, uint32_t *end)
{
    mb *b = shapes();
    code *c = fresh();
    E(c, OP_NEW, ktype(b, "Lt.Err;"));
    E(c, OP_THROW);
    *end = c->n;
    *h1 = E(c, OP_GETF, kmember(b, BC_K_FIELD, "Lt.Err;", "code", "I"));
    E(c, OP_RETV);
    *h2 = E(c, OP_THROW);
    add_fn(b, "g", "()I", "", 1, c);
    return b;
}

Test(verify_obj, exception_tables)
{
    uint32_t h1, h2, end;
    mb *b = try_catch(&h1, &h2, &end);
    add_handler(b, G_TRY, 0, end, h1, "Lt.Err;");
    add_handler(b, G_TRY, 0, h2, h2, NULL);
    ok(b);

    struct {
        uint32_t start, end, handler;
        const char *type;
        const char *want;
    } bad[] = {
        {3, 3, 4, "Lt.Err;", "verify: module t, function g: handler 0: range 3..3 is empty or outside the code (9 bytes)"},
        {0, 12, 4, "Lt.Err;", "verify: module t, function g: handler 0: range 0..12 is empty or outside the code (9 bytes)"},
        {1, 3, 4, "Lt.Err;", "verify: module t, function g: handler 0: range 1..3 does not lie on instruction starts"},
        {0, 2, 4, "Lt.Err;", "verify: module t, function g: handler 0: range 0..2 does not lie on instruction starts"},
        {0, 3, 5, "Lt.Err;", "verify: module t, function g: handler 0: handler 5 is not an instruction start"},
        {0, 3, 40, "Lt.Err;", "verify: module t, function g: handler 0: handler 40 is not an instruction start"},
        {0, 3, 4, "I", "verify: module t, function g: handler 0: type is not a TYPE holding a class descriptor"},
        {0, 3, 4, "Lt.Rect;", "verify: module t, function g: handler 0: catches t.Rect, which is not an Error"},
        /* The catch-all handler sees an Error, which has no field code. */
        {0, 3, 4, NULL, "verify: module t, function g, at 4 (GETF): object: expected t.Err, found Error"},
        /* A handler entered with the error where code expects an empty stack. */
        {0, 3, 0, "Lt.Err;", "verify: module t, function g, at 0 (NEW): stack mismatch at join: (t.Err) from 0, () before"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = try_catch(&h1, &h2, &end);
        add_handler(b, G_TRY, bad[i].start, bad[i].end, bad[i].handler, bad[i].type);
        rejects(b, bad[i].want);
    }

    /* The same handler reached with two types. */
    b = try_catch(&h1, &h2, &end);
    add_handler(b, G_TRY, 0, end, h1, "Lt.Err;");
    add_handler(b, G_TRY, 0, end, h1, "LValueError;");
    rejects(b, "verify: module t, function g, at 4 (GETF): stack mismatch at join: (ValueError) from 0, (t.Err) before");

    /* The handler's stack needs room for the error. */
    b = try_catch(&h1, &h2, &end);
    add_handler(b, G_TRY, 0, end, h1, "Lt.Err;");
    b->m->funcs[G_TRY].max_stack = 0;
    rejects(b, "verify: module t, function g, at 4 (GETF): stack overflow: depth 1 exceeds max_stack 0");
}

/* ---- the class section -------------------------------------------------------------------- */

Test(verify_obj, class_section_rules)
{
    mb *b = shapes();
    b->m->classes[1].type = ktype(b, "Lother.Rect;");
    rejects(b, "verify: module t, class other.Rect: class is not named after this module");

    b = shapes();
    b->m->classes[1].type = ktype(b, "LRect;");
    rejects(b, "verify: module t, class Rect: name is not of the form module.Class");

    b = shapes();
    b->m->classes[1].type = ktype(b, "I");
    rejects(b, "verify: module t, class #1: type is not a TYPE holding a class descriptor");

    b = shapes();
    b->m->classes[2].type = b->m->classes[1].type;
    rejects(b, "verify: module t, class t.Rect: class defined twice");

    b = shapes();
    add_class(b, "Lt.Late;", 0, "Lt.Later;", NULL);
    add_class(b, "Lt.Later;", 0, NULL, NULL);
    rejects(b, "verify: module t, class t.Late: base class comes after it in the class section");

    b = shapes();
    add_class(b, "Lt.Bad;", 0, "Lt.Shape;", NULL);
    rejects(b, "verify: module t, class t.Bad: base class is an interface");

    b = shapes();
    add_class(b, "Lt.Bad;", 0, "Lt.Missing;", NULL);
    rejects(b, "verify: module t, class t.Bad: base class is not defined by this module");

    b = shapes();
    add_class(b, "Lt.Bad;", 0, NULL, "Lt.Rect;");
    rejects(b, "verify: module t, class t.Bad: interface names a class");

    b = shapes();
    add_class(b, "Lt.Bad;", 0, NULL, "LError;");
    rejects(b, "verify: module t, class t.Bad: interface names a class");

    b = shapes();
    add_field(b, 0, "x", "I");
    rejects(b, "verify: module t, class t.Shape: an interface has no fields");

    b = shapes();
    b->m->classes[0].methods[0].func = 1;
    rejects(b, "verify: module t, class t.Shape: an interface method has a function");

    b = shapes();
    b->m->classes[1].methods[0].func = 2; /* Rect.scale is not ()F */
    rejects(b, "verify: module t, class t.Rect: method function's type is not the signature with this class's receiver");

    b = shapes();
    b->m->classes[1].methods[0].func = 99;
    rejects(b, "verify: module t, class t.Rect: method function out of range");

    b = shapes();
    add_field(b, 1, "w", "I");
    rejects(b, "verify: module t, class t.Rect: field defined twice");

    b = shapes();
    add_method(b, 1, "area", "()F", 1);
    rejects(b, "verify: module t, class t.Rect: method defined twice");

    b = shapes();
    add_field(b, 1, "c", "^I");
    rejects(b, "verify: module t, class t.Rect: field type is a cell");

    b = shapes();
    b->m->classes[1].flags = 0x40;
    rejects(b, "verify: module t, class t.Rect: unknown flags");

    b = shapes();
    add_class(b, "Lt.A;", BC_CLASS_INTERFACE, NULL, "Lt.B;");
    add_class(b, "Lt.B;", BC_CLASS_INTERFACE, NULL, "Lt.A;");
    rejects(b, "verify: module t, class t.A: interfaces extend each other in a cycle");

    b = shapes();
    add_class(b, "Lt.I2;", BC_CLASS_INTERFACE, "Lt.Rect;", NULL);
    rejects(b, "verify: module t, class t.I2: an interface has no base class");

    /* Generic instances may carry another module's name; dots inside <...> do not count. */
    b = shapes();
    add_class(b, "Llib.Stack<u.Item>;", 0, NULL, NULL);
    add_class(b, "Lt.Box<a.b>;", 0, NULL, NULL);
    ok(b);

    b = shapes();
    add_class(b, "Lt.x.Y;", 0, NULL, NULL);
    rejects(b, "verify: module t, class t.x.Y: class is not named after this module");
}

Test(verify_obj, constants_field_and_method)
{
    char want[128];
    mb *b = with_main();
    uint16_t k = kmember(b, BC_K_FIELD, "I", "x", "I");
    snprintf(want, sizeof want, "verify: module t: constant %u: FIELD class is not a TYPE holding a class descriptor", k);
    rejects(b, want);
    b = with_main();
    k = kmember(b, BC_K_FIELD, "La.B;", "x", "^I");
    snprintf(want, sizeof want, "verify: module t: constant %u: FIELD type is a cell", k);
    rejects(b, want);
    b = with_main();
    k = kmember(b, BC_K_METHOD, "La.B;", "x", "I");
    snprintf(want, sizeof want, "verify: module t: constant %u: METHOD type is not a function type", k);
    rejects(b, want);
    b = with_main();
    k = kmember(b, BC_K_METHOD, "La.B;", "", "()V");
    b->m->consts[b->m->consts[k].u.ref.name].u.s.len = 1; /* the name holds its NUL */
    snprintf(want, sizeof want, "verify: module t: constant %u: METHOD name is not a STR without NUL", k);
    rejects(b, want);
}

/* ---- classes of other modules ------------------------------------------------------------- */

static bool env_subtype(void *ctx, const char *sub, const char *super)
{
    (void)ctx;
    return (strcmp(sub, "Lu.Circle;") == 0 && strcmp(super, "Lu.Shape;") == 0) ||
           (strcmp(sub, "Lu.Base;") == 0 && strcmp(super, "Lu.Shape;") == 0);
}

Test(verify_obj, environment_answers_for_other_modules)
{
    verify_env env = {NULL, env_subtype};
    for (int with = 0; with < 2; with++) {
        mb *b = with_main();
        add_class(b, "Lt.Mine;", 0, "Lu.Base;", NULL);
        code *c = fresh();
        E(c, OP_LOAD, 0);
        E(c, OP_STORE, 1);
        E(c, OP_NEW, ktype(b, "Lt.Mine;"));
        E(c, OP_STORE, 1); /* t.Mine extends u.Base, a u.Shape */
        E(c, OP_RET);
        add_fn(b, "f", "(Lu.Circle;)V", "Lu.Circle; Lu.Shape;", 1, c);
        holt_buf err;
        buf_init(&err);
        int rc = verify_module_env(b->m, with ? &env : NULL, &err);
        if (with)
            cr_assert_eq(rc, 0, "%s", err.data);
        else
            cr_assert_str_eq(err.data, "verify: module t, function f, at 3 (STORE): expected u.Shape, found u.Circle");
        buf_free(&err);
        done(b);
    }
}

/* ---- stack maps ----------------------------------------------------------------------------- */

Test(verify_obj, stack_maps)
{
    mb *b = shapes();
    code *c = fresh();
    E(c, OP_IIMM, 1);                          /* 0: () */
    E(c, OP_KSTR, kstr(b, "s"));               /* 5: (I) */
    uint32_t at = E(c, OP_NEW, ktype(b, "Lt.Rect;")); /* 8: (I S) */
    E(c, OP_POP);                              /* 11: (I S R) */
    E(c, OP_POP);
    E(c, OP_POP);
    E(c, OP_RET);
    E(c, OP_NOP);                              /* unreachable */
    E(c, OP_RET);
    uint16_t g = add_fn(b, "g", "()V", "", 3, c);
    holt_buf err;
    buf_init(&err);
    cr_assert_eq(verify_module(b->m, &err), 0, "%s", err.data);
    vm_stackmap sm;
    cr_assert_eq(verify_stack_map(b->m, g, &sm), 0);
    cr_assert_eq(sm.code_len, c->n);
    cr_assert_eq(sm.words[sm.at[0]], 0);
    cr_assert_eq(sm.words[sm.at[5]], 1);
    cr_assert_eq(sm.words[sm.at[5] + 1], 0);
    cr_assert_eq(sm.words[sm.at[at]], 2);
    cr_assert_eq(sm.words[sm.at[at] + 1], 2); /* slot 1, the str */
    cr_assert_eq(sm.words[sm.at[11]], 3);
    cr_assert_eq(sm.words[sm.at[11] + 1], 6);
    cr_assert_eq(sm.at[1], UINT32_MAX);      /* not an instruction start */
    cr_assert_eq(sm.at[c->n - 2], UINT32_MAX); /* unreachable */
    vm_stackmap_free(&sm);
    cr_assert_eq(verify_stack_map(b->m, 99, &sm), -1);
    vm_stackmap_free(&sm);
    buf_free(&err);
    done(b);
}

Test(verify_obj, stack_maps_cover_handlers_and_deep_stacks)
{
    uint32_t h1, h2, end;
    mb *b = try_catch(&h1, &h2, &end);
    add_handler(b, G_TRY, 0, end, h1, "Lt.Err;");
    vm_stackmap sm;
    cr_assert_eq(verify_stack_map(b->m, G_TRY, &sm), 0);
    cr_assert_eq(sm.words[sm.at[h1]], 1);
    cr_assert_eq(sm.words[sm.at[h1] + 1], 1);
    vm_stackmap_free(&sm);
    done(b);

    /* 40 slots: two words of bits; strings at the odd slots. */
    b = with_main();
    code *c = fresh();
    uint16_t s = kstr(b, "x");
    for (int i = 0; i < 40; i++)
        i % 2 ? E(c, OP_KSTR, s) : E(c, OP_IIMM, i);
    uint32_t last = c->n;
    for (int i = 0; i < 40; i++)
        E(c, OP_POP);
    E(c, OP_RET);
    uint16_t f = add_fn(b, "f", "()V", "", 40, c);
    cr_assert_eq(verify_stack_map(b->m, f, &sm), 0);
    const uint32_t *w = sm.words + sm.at[last];
    cr_assert_eq(w[0], 40);
    cr_assert_eq(w[1], 0xAAAAAAAAu);
    cr_assert_eq(w[2], 0xAAu);
    vm_stackmap_free(&sm);
    done(b);
}

/* test_bcfile.c — the .hbc file format: round trips, the header, and rejection of every kind
 * of bad input the reader checks (truncation anywhere, bad counts, tags and references). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* ---- helpers -------------------------------------------------------------------------------- */

/* CRC-32 written the slow way, independently of the reader's table. */
static uint32_t ref_crc(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) { return (uint32_t)bc_i32(p); }

/* Make the header's total length and CRC agree with the bytes, so that the structural checks
 * behind them are reached. */
static void fixup(holt_buf *b)
{
    if (b->len < 24)
        return;
    put32((uint8_t *)b->data + 12, (uint32_t)b->len);
    put32((uint8_t *)b->data + 16, ref_crc((uint8_t *)b->data + 20, b->len - 20));
}

/* Byte offsets of the fields of the hand-built image. */
typedef struct {
    size_t name, nconsts, k[16], nglobals, nfuncs, nlocals, code_len, code, nlines, nhandlers, nclasses, main, end;
} offs;

static void str16(holt_buf *b, const char *s)
{
    buf_u16(b, (uint16_t)strlen(s));
    buf_puts(b, s);
}

static void kstr(holt_buf *b, const char *s, uint32_t n)
{
    buf_u8(b, BC_K_STR);
    buf_u32(b, n);
    buf_put(b, s, n);
}

/* A small valid image written field by field, following docs/bytecode.md. */
static void build(holt_buf *b, offs *o)
{
    buf_init(b);
    buf_put(b, "HOLT\r\n\x1a\n", 8);
    buf_u16(b, 2);
    buf_u16(b, 1);
    buf_u32(b, 0);
    buf_u32(b, 0);
    buf_u32(b, 1);
    o->name = b->len;
    str16(b, "t");
    str16(b, "t.holt");
    o->nconsts = b->len;
    buf_u32(b, 14);
    o->k[1] = b->len;
    kstr(b, "<main>", 6);
    o->k[2] = b->len;
    kstr(b, "()V", 3);
    o->k[3] = b->len;
    buf_u8(b, BC_K_TYPE);
    buf_u16(b, 2);
    o->k[4] = b->len;
    buf_u8(b, BC_K_INT);
    buf_u64(b, (uint64_t)-7);
    o->k[5] = b->len;
    kstr(b, "m", 1);
    o->k[6] = b->len;
    buf_u8(b, BC_K_MODULE);
    buf_u16(b, 5);
    buf_u16(b, 0);
    o->k[7] = b->len;
    kstr(b, "f", 1);
    o->k[8] = b->len;
    buf_u8(b, BC_K_FUNC);
    buf_u16(b, 6);
    buf_u16(b, 7);
    buf_u16(b, 3);
    o->k[9] = b->len;
    buf_u8(b, BC_K_NATIVE);
    buf_u16(b, 7);
    buf_u16(b, 3);
    o->k[10] = b->len;
    kstr(b, "I", 1);
    o->k[11] = b->len;
    buf_u8(b, BC_K_TYPE);
    buf_u16(b, 10);
    o->k[12] = b->len;
    buf_u8(b, BC_K_GLOBAL);
    buf_u16(b, 6);
    buf_u16(b, 7);
    buf_u16(b, 11);
    o->k[13] = b->len;
    buf_u8(b, BC_K_FLOAT);
    buf_u64(b, 0x3FF8000000000000ull); /* 1.5 */
    o->nglobals = b->len;
    buf_u16(b, 1);
    buf_u16(b, 7);
    buf_u16(b, 11);
    buf_u16(b, BC_GLOBAL_MUTABLE);
    o->nfuncs = b->len;
    buf_u16(b, 1);
    buf_u16(b, 1); /* name */
    buf_u16(b, 3); /* type */
    buf_u16(b, 0); /* flags */
    buf_u16(b, 0); /* ncaps */
    buf_u16(b, 0); /* nparams */
    o->nlocals = b->len;
    buf_u16(b, 1);
    buf_u16(b, 11);
    buf_u16(b, 1); /* max_stack */
    o->code_len = b->len;
    buf_u32(b, 7);
    o->code = b->len;
    buf_u8(b, OP_KINT); /* KINT #4; STORE 0; RET */
    buf_u16(b, 4);
    buf_u8(b, OP_STORE);
    buf_u16(b, 0);
    buf_u8(b, OP_RET);
    o->nlines = b->len;
    buf_u32(b, 2);
    buf_u32(b, 0);
    buf_u32(b, 1);
    buf_u32(b, 3);
    buf_u32(b, 2);
    o->nhandlers = b->len;
    buf_u16(b, 0);
    o->nclasses = b->len;
    buf_u16(b, 0);
    o->main = b->len;
    buf_u16(b, 0);
    o->end = b->len;
    fixup(b);
}

/* Does s match pattern p, where '*' stands for any run of characters? */
static bool glob(const char *p, const char *s)
{
    if (!*p)
        return !*s;
    if (*p == '*')
        return glob(p + 1, s) || (*s && glob(p, s + 1));
    return *s == *p && glob(p + 1, s + 1);
}

/* bc_read must fail with a one-line message matching `want` ('*' matches anything). */
static void rejects(const void *p, size_t n, const char *want)
{
    holt_buf err;
    buf_init(&err);
    bc_bundle *bb = bc_read(p, n, &err);
    cr_assert_null(bb, "accepted; wanted %s", want);
    cr_assert(err.data && !strchr(err.data, '\n'), "one line: %s", err.data);
    cr_assert(glob(want, err.data), "got:  %s\nwant: %s", err.data, want);
    buf_free(&err);
}

static void rejects_fixed(holt_buf *b, const char *want)
{
    fixup(b);
    rejects(b->data, b->len, want);
    buf_free(b);
}

/* ---- valid images --------------------------------------------------------------------------- */

Test(bcfile, reads_the_hand_built_image)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    holt_buf err;
    buf_init(&err);
    bc_bundle *bb = bc_read((uint8_t *)b.data, b.len, &err);
    cr_assert_not_null(bb, "%s", err.data);
    cr_assert_eq(bb->nmodules, 1);
    bc_module *m = bb->modules[0];
    cr_assert_str_eq(m->name, "t");
    cr_assert_str_eq(m->path, "t.holt");
    cr_assert_eq(m->nconsts, 14);
    cr_assert_eq(m->consts[4].tag, BC_K_INT);
    cr_assert_eq(m->consts[4].u.i, -7);
    cr_assert_str_eq(m->consts[1].u.s.bytes, "<main>");
    cr_assert_eq(m->consts[3].u.desc, 2);
    cr_assert_eq(m->consts[6].u.mod.name, 5);
    cr_assert_eq(m->consts[8].u.ref.module, 6);
    cr_assert_eq(m->consts[8].u.ref.type, 3);
    cr_assert_eq(m->consts[9].u.ref.name, 7);
    cr_assert_eq(m->consts[13].u.f, 1.5);
    cr_assert_eq(m->nglobals, 1);
    cr_assert_eq(m->globals[0].flags, BC_GLOBAL_MUTABLE);
    cr_assert_eq(m->nfuncs, 1);
    cr_assert_eq(m->funcs[0].nlocals, 1);
    cr_assert_eq(m->funcs[0].code_len, 7);
    cr_assert_eq(m->funcs[0].code[6], OP_RET);
    cr_assert_eq(m->funcs[0].nlines, 2);
    cr_assert_eq(m->funcs[0].lines[1].line, 2);
    cr_assert_eq(verify_module(m, &err), 0, "%s", err.data);

    /* Writing what was read gives back the very same bytes. */
    holt_buf out;
    buf_init(&out);
    bc_write(bb, &out);
    cr_assert_eq(out.len, b.len);
    cr_assert(memcmp(out.data, b.data, b.len) == 0);
    buf_free(&out);
    bc_bundle_free(bb);
    buf_free(&err);
    buf_free(&b);
}

Test(bcfile, crc_is_crc32_ieee)
{
    cr_assert_eq(ref_crc((const uint8_t *)"123456789", 9), 0xCBF43926u);
    holt_buf b;
    offs o;
    build(&b, &o);
    holt_buf err;
    buf_init(&err);
    bc_bundle *bb = bc_read((uint8_t *)b.data, b.len, &err);
    cr_assert_not_null(bb);
    holt_buf out;
    buf_init(&out);
    bc_write(bb, &out);
    const uint8_t *p = (const uint8_t *)out.data;
    cr_assert(memcmp(p, "HOLT\r\n\x1a\n", 8) == 0);
    cr_assert_eq(bc_u16(p + 8), 2);
    cr_assert_eq(bc_u16(p + 10), 1);
    cr_assert_eq(get32(p + 12), out.len);
    cr_assert_eq(get32(p + 16), ref_crc(p + 20, out.len - 20));
    cr_assert_eq(get32(p + 20), 1);
    buf_free(&out);
    bc_bundle_free(bb);
    buf_free(&err);
    buf_free(&b);
}

/* A bundle of two modules using every constant tag, odd floats and strings with NUL. */
static bc_module *rich_module(const char *name, int variant)
{
    bc_module *m = calloc(1, sizeof *m);
    m->name = strdup(name);
    m->path = strdup(variant ? "lib/util.holt" : "app.holt");
    m->nconsts = 17;
    m->consts = calloc(m->nconsts, sizeof *m->consts);
    const char *strs[] = {"<main>", "()V", "math", "sqrt", "(F)F", "a\0b", "I", "x"};
    uint32_t lens[] = {6, 3, 4, 4, 4, 3, 1, 1};
    for (int i = 0; i < 8; i++) {
        m->consts[1 + i].tag = BC_K_STR;
        m->consts[1 + i].u.s.len = lens[i];
        m->consts[1 + i].u.s.bytes = malloc(lens[i] + 1);
        memcpy(m->consts[1 + i].u.s.bytes, strs[i], lens[i] + 1);
    }
    m->consts[9] = (bc_const){.tag = BC_K_TYPE, .u.desc = 2};
    m->consts[10] = (bc_const){.tag = BC_K_TYPE, .u.desc = 5};
    m->consts[11] = (bc_const){.tag = BC_K_MODULE, .u.mod = {3, 1}};
    m->consts[12] = (bc_const){.tag = BC_K_FUNC, .u.ref = {11, 4, 10}};
    m->consts[13] = (bc_const){.tag = BC_K_NATIVE, .u.ref = {0, 4, 10}};
    m->consts[14] = (bc_const){.tag = BC_K_FLOAT, .u.f = variant ? -0.0 : NAN};
    m->consts[15] = (bc_const){.tag = BC_K_INT, .u.i = INT64_MIN};
    m->consts[16] = (bc_const){.tag = BC_K_TYPE, .u.desc = 7};
    m->nglobals = 1;
    m->globals = calloc(1, sizeof *m->globals);
    m->globals[0] = (bc_global){8, 16, BC_PRIVATE};
    m->nfuncs = 2;
    m->funcs = calloc(2, sizeof *m->funcs);
    for (int i = 0; i < 2; i++) {
        bc_function *f = &m->funcs[i];
        f->name = 1;
        f->type = 9;
        f->nlocals = 2;
        f->local_types = calloc(2, sizeof *f->local_types);
        f->local_types[0] = f->local_types[1] = 16;
        f->max_stack = 3;
        f->code_len = 1;
        f->code = malloc(1);
        f->code[0] = OP_RET;
        f->nlines = 1;
        f->lines = malloc(sizeof *f->lines);
        f->lines[0] = (bc_line){0, 40 + (uint32_t)i};
    }
    m->main = 1;
    return m;
}

Test(bcfile, round_trip_is_byte_identical)
{
    bc_bundle b = {2, (bc_module *[]){rich_module("app", 0), rich_module("lib.util", 1)}};
    holt_buf a, c, err;
    buf_init(&a);
    buf_init(&c);
    buf_init(&err);
    bc_write(&b, &a);
    holt_buf again;
    buf_init(&again);
    bc_write(&b, &again);
    cr_assert(again.len == a.len && memcmp(again.data, a.data, a.len) == 0, "deterministic");
    bc_bundle *r = bc_read((uint8_t *)a.data, a.len, &err);
    cr_assert_not_null(r, "%s", err.data);
    cr_assert_eq(r->nmodules, 2);
    bc_module *m = r->modules[1];
    cr_assert_str_eq(m->name, "lib.util");
    cr_assert_str_eq(m->path, "lib/util.holt");
    cr_assert_eq(m->consts[6].u.s.len, 3);
    cr_assert(memcmp(m->consts[6].u.s.bytes, "a\0b", 4) == 0);
    cr_assert(signbit(m->consts[14].u.f) && m->consts[14].u.f == 0.0);
    cr_assert(isnan(r->modules[0]->consts[14].u.f));
    cr_assert_eq(m->consts[15].u.i, INT64_MIN);
    cr_assert_eq(m->consts[11].u.mod.version, 1);
    cr_assert_eq(m->main, 1);
    cr_assert_eq(m->funcs[1].lines[0].line, 41);
    bc_write(r, &c);
    cr_assert_eq(c.len, a.len);
    cr_assert(memcmp(c.data, a.data, a.len) == 0);
    bc_bundle_free(r);
    for (int i = 0; i < 2; i++)
        bc_module_free(b.modules[i]);
    buf_free(&a);
    buf_free(&again);
    buf_free(&c);
    buf_free(&err);
}

/* ---- the header ----------------------------------------------------------------------------- */

Test(bcfile, bad_magic)
{
    rejects("HOLX\r\n\x1a\n", 8, "bad .hbc file: not a Holt bytecode file (bad magic) at offset 0");
    rejects("HOLT\n\x1a\n\n____________________", 24, "bad .hbc file: not a Holt bytecode file (bad magic) at offset 0");
    rejects("PK", 2, "bad .hbc file: not a Holt bytecode file (bad magic) at offset 0");
    rejects("", 0, "bad .hbc file: truncated in the header at offset 0");
    rejects("HOLT\r", 5, "bad .hbc file: truncated in the header at offset 5");
}

Test(bcfile, unsupported_version)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    b.data[8] = 3;
    b.data[10] = 0;
    rejects_fixed(&b, "bad .hbc file: unsupported format version 3.0 (this VM reads version 2.1) at offset 8");
    build(&b, &o);
    b.data[8] = 1; /* the format before classes, handlers and captures */
    b.data[10] = 0;
    rejects_fixed(&b, "bad .hbc file: unsupported format version 1.0 (this VM reads version 2.1) at offset 8");
    build(&b, &o);
    b.data[10] = 2;
    rejects_fixed(&b, "bad .hbc file: unsupported format version 2.2 (this VM reads version 2.1) at offset 8");
    /* 2.0, without the superinstructions, is still read. */
    build(&b, &o);
    b.data[10] = 0;
    fixup(&b);
    holt_buf err;
    buf_init(&err);
    bc_bundle *old = bc_read((const uint8_t *)b.data, b.len, &err);
    cr_expect_not_null(old, "2.0 rejected: %s", err.data ? err.data : "");
    if (old)
        bc_bundle_free(old);
    buf_free(&err);
    buf_free(&b);
    build(&b, &o);
    b.data[8] = 0;
    b.data[10] = 0;
    rejects_fixed(&b, "bad .hbc file: unsupported format version 0.0*");
}

Test(bcfile, bad_crc)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    b.data[o.code] ^= 0x40; /* one bit of the code */
    rejects(b.data, b.len, "bad .hbc file: corrupted: CRC-32 is 0x*");
    b.data[o.code] ^= 0x40;
    b.data[17] ^= 1; /* the stored CRC itself */
    rejects(b.data, b.len, "bad .hbc file: corrupted: CRC-32 is 0x*");
    buf_free(&b);
}

Test(bcfile, length_field_and_trailing_bytes)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    char want[128];
    snprintf(want, sizeof want, "bad .hbc file: trailing bytes: the header says %zu bytes, the file has %zu at offset %zu",
             b.len, b.len + 1, b.len);
    buf_putc(&b, 0);
    rejects(b.data, b.len, want);
    /* With length and CRC made to agree, the extra byte is found after the last module. */
    snprintf(want, sizeof want, "bad .hbc file: trailing bytes after the last module at offset %zu", b.len - 1);
    rejects_fixed(&b, want);

    build(&b, &o);
    snprintf(want, sizeof want, "bad .hbc file: truncated: the header says %zu bytes, the file has %zu at offset %zu",
             b.len, b.len - 1, b.len - 1);
    rejects(b.data, b.len - 1, want);
    put32((uint8_t *)b.data + 12, 10);
    rejects(b.data, b.len, "bad .hbc file: bad total length: the header says 10 bytes*");
    buf_free(&b);
}

Test(bcfile, module_count)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    put32((uint8_t *)b.data + 20, 0);
    rejects_fixed(&b, "bad .hbc file: no modules at offset 20");
    build(&b, &o);
    put32((uint8_t *)b.data + 20, 0xFFFFFFFFu);
    rejects_fixed(&b, "bad .hbc file: module count 4294967295 exceeds the * bytes left in the header at offset 20");
    build(&b, &o);
    put32((uint8_t *)b.data + 20, 2);
    rejects_fixed(&b, "bad .hbc file: truncated in module 1 at offset *");
}

/* ---- truncation anywhere -------------------------------------------------------------------- */

Test(bcfile, truncation_at_every_byte)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    for (size_t n = 0; n < b.len; n++) {
        /* As cut: the header's length catches it. */
        holt_buf err;
        buf_init(&err);
        cr_assert_null(bc_read((uint8_t *)b.data, n, &err), "accepted a cut at %zu", n);
        cr_assert(strncmp(err.data, "bad .hbc file: truncated", 24) == 0, "cut %zu: %s", n, err.data);
        buf_free(&err);
        /* Cut with the header repaired: the structure itself must run short. */
        if (n >= 24) {
            holt_buf c;
            buf_init(&c);
            buf_put(&c, b.data, n);
            fixup(&c);
            buf_init(&err);
            cr_assert_null(bc_read((uint8_t *)c.data, n, &err), "accepted a repaired cut at %zu", n);
            cr_assert(strstr(err.data, "truncated in module 0") || strstr(err.data, "exceeds the"), "cut %zu: %s", n,
                      err.data);
            cr_assert(!strchr(err.data, '\n'));
            buf_free(&err);
            buf_free(&c);
        }
    }
    buf_free(&b);
}

Test(bcfile, truncation_message_names_the_item)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    b.len = o.k[7] + 3; /* inside the STR "f" of constant 7 */
    char want[128];
    snprintf(want, sizeof want, "bad .hbc file: truncated in module 0 constant 7 at offset %zu", o.k[7] + 1);
    rejects_fixed(&b, want);
    build(&b, &o);
    b.len = o.code + 5; /* inside the code of function 0 (and past the smallest function) */
    snprintf(want, sizeof want, "bad .hbc file: truncated in module 0 function 0 at offset %zu", o.code);
    rejects_fixed(&b, want);
    build(&b, &o);
    b.len = o.main + 1;
    snprintf(want, sizeof want, "bad .hbc file: truncated in module 0 at offset %zu", o.main);
    rejects_fixed(&b, want);
}

/* ---- counts --------------------------------------------------------------------------------- */

static void patch_u16(holt_buf *b, size_t at, uint16_t v)
{
    b->data[at] = (char)v;
    b->data[at + 1] = (char)(v >> 8);
}

Test(bcfile, counts_out_of_range)
{
    holt_buf b;
    offs o;
    char want[160];

    build(&b, &o);
    put32((uint8_t *)b.data + o.nconsts, 70000);
    snprintf(want, sizeof want, "bad .hbc file: module 0 constant count 70000 out of range (at most 65536) at offset %zu", o.nconsts);
    rejects_fixed(&b, want);

    build(&b, &o);
    put32((uint8_t *)b.data + o.nconsts, 60000);
    snprintf(want, sizeof want, "bad .hbc file: constant count 59999 exceeds the %zu bytes left in module 0 at offset %zu",
             b.len - o.nconsts - 4, o.nconsts);
    rejects_fixed(&b, want);

    build(&b, &o);
    patch_u16(&b, o.nglobals, 65535);
    rejects_fixed(&b, "bad .hbc file: global count 65535 exceeds the * bytes left in module 0 at offset *");

    build(&b, &o);
    patch_u16(&b, o.nfuncs, 9);
    rejects_fixed(&b, "bad .hbc file: function count 9 exceeds the * bytes left in module 0 at offset *");

    build(&b, &o);
    patch_u16(&b, o.nlocals, 60000);
    snprintf(want, sizeof want, "bad .hbc file: truncated in module 0 function 0 at offset %zu", o.nlocals + 2);
    rejects_fixed(&b, want);

    build(&b, &o);
    put32((uint8_t *)b.data + o.code_len, 0xFFFFFFF0u);
    snprintf(want, sizeof want, "bad .hbc file: truncated in module 0 function 0 at offset %zu", o.code);
    rejects_fixed(&b, want);

    build(&b, &o);
    put32((uint8_t *)b.data + o.nlines, 0x40000000u);
    snprintf(want, sizeof want, "bad .hbc file: line count 1073741824 exceeds the 22 bytes left in module 0 function 0 at offset %zu",
             o.nlines);
    rejects_fixed(&b, want);

    build(&b, &o);
    patch_u16(&b, o.name, 0);
    rejects_fixed(&b, "bad .hbc file: module 0 name is empty at offset 24");

    build(&b, &o);
    b.data[o.name + 2] = 0;
    rejects_fixed(&b, "bad .hbc file: module 0 name is not free of NUL bytes at offset 24");

    build(&b, &o);
    b.data[o.name + 5] = 0; /* inside the path */
    rejects_fixed(&b, "bad .hbc file: module 0 path is not free of NUL bytes at offset 27");
}

/* ---- constants ------------------------------------------------------------------------------ */

Test(bcfile, unknown_constant_tag)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    b.data[o.k[4]] = 11;
    char want[128];
    snprintf(want, sizeof want, "bad .hbc file: unknown tag 11 in module 0 constant 4 at offset %zu", o.k[4]);
    rejects_fixed(&b, want);
    build(&b, &o);
    b.data[o.k[4]] = 0;
    snprintf(want, sizeof want, "bad .hbc file: unknown tag 0 in module 0 constant 4 at offset %zu", o.k[4]);
    rejects_fixed(&b, want);
}

Test(bcfile, constant_references_of_the_wrong_tag)
{
    struct {
        int k;          /* constant */
        int at;         /* byte inside it (after the tag) */
        uint16_t value; /* new u16 */
        const char *why;
    } cases[] = {
        {3, 1, 4, "TYPE desc is not a STR"},
        {3, 1, 0, "TYPE desc is not a STR"},
        {3, 1, 200, "TYPE desc is not a STR"},
        {3, 1, 5, "TYPE desc is not a well-formed descriptor"}, /* "m" */
        {6, 1, 4, "MODULE name is not a STR without NUL"},
        {8, 1, 5, "FUNC module is not a MODULE"},
        {8, 3, 6, "FUNC name is not a STR without NUL"},
        {8, 5, 2, "FUNC type is not a TYPE"},
        {8, 5, 11, "FUNC type is not a function type"},
        {9, 1, 3, "NATIVE name is not a STR without NUL"},
        {9, 3, 11, "NATIVE type is not a function type"},
        {12, 1, 7, "GLOBAL module is not a MODULE"},
        {12, 5, 4, "GLOBAL type is not a TYPE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        holt_buf b;
        offs o;
        build(&b, &o);
        patch_u16(&b, o.k[cases[i].k] + (size_t)cases[i].at, cases[i].value);
        char want[160];
        snprintf(want, sizeof want, "bad .hbc file: module 0 constant %d: %s at offset %zu", cases[i].k, cases[i].why,
                 o.k[cases[i].k]);
        rejects_fixed(&b, want);
    }
}

Test(bcfile, malformed_type_descriptor)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    b.data[o.k[2] + 5 + 2] = '('; /* "()V" becomes "(((" */
    char want[160];
    snprintf(want, sizeof want, "bad .hbc file: module 0 constant 3: TYPE desc is not a well-formed descriptor at offset %zu",
             o.k[3]);
    rejects_fixed(&b, want);
}

Test(bcfile, names_must_be_free_of_nul_but_literals_need_not)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    b.data[o.k[7] + 5] = 0; /* "f" is a FUNC and NATIVE name */
    char want[160];
    snprintf(want, sizeof want, "bad .hbc file: module 0 constant 8: FUNC name is not a STR without NUL at offset %zu", o.k[8]);
    rejects_fixed(&b, want);

    build(&b, &o);
    b.data[o.k[1] + 5 + 3] = 0; /* "<main>" is only a function name: the verifier's business */
    fixup(&b);
    holt_buf err;
    buf_init(&err);
    bc_bundle *bb = bc_read((uint8_t *)b.data, b.len, &err);
    cr_assert_not_null(bb, "%s", err.data);
    cr_assert_eq(verify_module(bb->modules[0], &err), -1);
    cr_assert_str_eq(err.data, "verify: module t, function <ma: name is not a STR without NUL");
    bc_bundle_free(bb);
    buf_free(&err);
    buf_free(&b);
}

/* ---- anything goes in, nothing breaks -------------------------------------------------------- */

Test(bcfile, random_mutations_never_crash_and_accepted_images_are_canonical)
{
    holt_buf b;
    offs o;
    build(&b, &o);
    uint64_t seed = 88172645463325252ull;
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        holt_buf c;
        buf_init(&c);
        buf_put(&c, b.data, b.len);
        int edits = 1 + round % 4;
        for (int e = 0; e < edits; e++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            size_t at = 20 + (size_t)(seed % (c.len - 20));
            c.data[at] = (char)(seed >> 40);
        }
        if (round % 3 == 0)
            c.len -= (size_t)(seed >> 20) % 8;
        fixup(&c);
        holt_buf err, out;
        buf_init(&err);
        buf_init(&out);
        bc_bundle *bb = bc_read((uint8_t *)c.data, c.len, &err);
        if (bb) {
            for (uint32_t i = 0; i < bb->nmodules; i++) {
                verify_module(bb->modules[i], &err);
                dis_module(bb->modules[i], &out);
            }
            buf_reset(&out);
            bc_write(bb, &out);
            cr_assert(out.len == c.len && memcmp(out.data, c.data, c.len) == 0, "round %d not canonical", round);
            bc_bundle_free(bb);
            accepted++;
        } else {
            cr_assert(err.len && !strchr(err.data, '\n'));
        }
        buf_free(&err);
        buf_free(&out);
        buf_free(&c);
    }
    cr_assert_gt(accepted, 500, "only %d mutants were accepted", accepted);
    buf_free(&b);
}

/* ---- objects: FIELD and METHOD constants, captures, exception tables, the class section ------ */

/* A module "app" with a class section (an interface and a class), FIELD and METHOD constants, a
 * function with captures and one with an exception table. */
static bc_module *object_module(void)
{
    bc_module *m = calloc(1, sizeof *m);
    m->name = strdup("app");
    m->path = strdup("app.holt");
    const char *strs[] = {"<main>", "()V", "Lapp.Shape;", "Lapp.Rect;", "area", "()F", "w", "F", "(Lapp.Rect;)F",
                          "^I", "LValueError;"};
    enum { NS = 11 };
    m->nconsts = 1 + NS + 8 + 2;
    m->consts = calloc(m->nconsts, sizeof *m->consts);
    for (int i = 0; i < NS; i++) {
        m->consts[1 + i].tag = BC_K_STR;
        m->consts[1 + i].u.s.len = (uint32_t)strlen(strs[i]);
        m->consts[1 + i].u.s.bytes = strdup(strs[i]);
    }
    /* TYPEs 12..19 of strings 2, 3, 4, 6, 8, 9, 10, 11 */
    const uint16_t tdesc[] = {2, 3, 4, 6, 8, 9, 10, 11};
    for (int i = 0; i < 8; i++)
        m->consts[12 + i] = (bc_const){.tag = BC_K_TYPE, .u.desc = tdesc[i]};
    enum { T_MAIN = 12, T_SHAPE, T_RECT, T_SIG, T_F, T_AREA, T_CELL, T_VERR };
    m->consts[20] = (bc_const){.tag = BC_K_FIELD, .u.ref = {T_RECT, 7, T_F}};
    m->consts[21] = (bc_const){.tag = BC_K_METHOD, .u.ref = {T_SHAPE, 5, T_SIG}};
    m->nfuncs = 3;
    m->funcs = calloc(3, sizeof *m->funcs);
    for (int i = 0; i < 3; i++) {
        bc_function *f = &m->funcs[i];
        f->name = 1;
        f->type = i == 1 ? T_AREA : T_MAIN;
        f->nlocals = 1;
        f->local_types = calloc(1, sizeof *f->local_types);
        f->local_types[0] = i == 1 ? T_RECT : T_CELL;
        f->nparams = i == 1;
        f->ncaps = i == 2;
        f->max_stack = 1;
        f->code_len = 1;
        f->code = malloc(1);
        f->code[0] = OP_RET;
        f->nlines = 0;
        f->lines = malloc(1);
    }
    /* Rect.area: LOAD 0; GETF #20; RETV */
    const uint8_t area[] = {OP_LOAD, 0, 0, OP_GETF, 20, 0, OP_RETV};
    m->funcs[1].code_len = sizeof area;
    m->funcs[1].code = realloc(m->funcs[1].code, sizeof area);
    memcpy(m->funcs[1].code, area, sizeof area);
    /* main: RET; and a handler for ValueError over it: POP; RET */
    m->funcs[0].code_len = 3;
    m->funcs[0].code = realloc(m->funcs[0].code, 3);
    m->funcs[0].code[1] = OP_POP;
    m->funcs[0].code[2] = OP_RET;
    m->funcs[0].nhandlers = 2;
    m->funcs[0].handlers = calloc(2, sizeof *m->funcs[0].handlers);
    m->funcs[0].handlers[0] = (bc_handler){0, 1, 1, T_VERR};
    m->funcs[0].handlers[1] = (bc_handler){0x01020304u, 0xA0B0C0D0u, 0x7FFFFFFFu, 0};
    m->nclasses = 2;
    m->classes = calloc(2, sizeof *m->classes);
    bc_class *s = &m->classes[0];
    s->type = T_SHAPE;
    s->flags = BC_CLASS_INTERFACE;
    s->nmethods = 1;
    s->methods = calloc(1, sizeof *s->methods);
    s->methods[0] = (bc_method){5, T_SIG, BC_NO_FUNC};
    bc_class *r = &m->classes[1];
    r->type = T_RECT;
    r->flags = BC_PRIVATE;
    r->super = T_VERR;
    r->nifaces = 1;
    r->ifaces = calloc(1, sizeof *r->ifaces);
    r->ifaces[0] = T_SHAPE;
    r->nfields = 1;
    r->fields = calloc(1, sizeof *r->fields);
    r->fields[0] = (bc_field){7, T_F};
    r->nmethods = 1;
    r->methods = calloc(1, sizeof *r->methods);
    r->methods[0] = (bc_method){5, T_SIG, 1};
    m->main = 0;
    return m;
}

/* Write a one-module bundle. */
static void write_one(bc_module *m, holt_buf *out)
{
    bc_bundle b = {1, (bc_module *[]){m}};
    buf_init(out);
    bc_write(&b, out);
}

Test(bcfile, objects_round_trip)
{
    bc_module *m = object_module();
    holt_buf a, c, err;
    write_one(m, &a);
    buf_init(&err);
    bc_bundle *r = bc_read((uint8_t *)a.data, a.len, &err);
    cr_assert_not_null(r, "%s", err.data);
    bc_module *n = r->modules[0];
    cr_assert_eq(n->consts[20].tag, BC_K_FIELD);
    cr_assert_eq(n->consts[20].u.ref.module, m->consts[20].u.ref.module);
    cr_assert_eq(n->consts[20].u.ref.name, 7);
    cr_assert_eq(n->consts[21].tag, BC_K_METHOD);
    cr_assert_eq(n->consts[21].u.ref.type, m->consts[21].u.ref.type);
    cr_assert_eq(n->funcs[2].ncaps, 1);
    cr_assert_eq(n->funcs[1].nparams, 1);
    cr_assert_eq(n->funcs[0].nhandlers, 2);
    cr_assert_eq(n->funcs[0].handlers[0].type, m->funcs[0].handlers[0].type);
    cr_assert_eq(n->funcs[0].handlers[1].start, 0x01020304u);
    cr_assert_eq(n->funcs[0].handlers[1].end, 0xA0B0C0D0u);
    cr_assert_eq(n->funcs[0].handlers[1].handler, 0x7FFFFFFFu);
    cr_assert_eq(n->nclasses, 2);
    cr_assert_eq(n->classes[0].flags, BC_CLASS_INTERFACE);
    cr_assert_eq(n->classes[0].methods[0].func, BC_NO_FUNC);
    cr_assert_eq(n->classes[1].flags, BC_PRIVATE);
    cr_assert_eq(n->classes[1].super, m->classes[1].super);
    cr_assert_eq(n->classes[1].nifaces, 1);
    cr_assert_eq(n->classes[1].ifaces[0], m->classes[1].ifaces[0]);
    cr_assert_eq(n->classes[1].fields[0].name, 7);
    cr_assert_eq(n->classes[1].methods[0].func, 1);
    write_one(n, &c);
    cr_assert(c.len == a.len && memcmp(c.data, a.data, a.len) == 0, "byte-identical");
    /* The bogus handler keeps the module from verifying, but the rest of it is sound. */
    cr_assert_eq(verify_module(n, &err), -1);
    cr_assert(strstr(err.data, "handler 1: range"), "%s", err.data);
    n->funcs[0].nhandlers = 1;
    buf_reset(&err);
    cr_assert_eq(verify_module(n, &err), 0, "%s", err.data);
    holt_buf dis;
    buf_init(&dis);
    dis_module(n, &dis);
    cr_assert(strstr(dis.data, "FIELD"), "%s", dis.data);
    cr_assert(strstr(dis.data, "class app.Rect"), "%s", dis.data);
    cr_assert(strstr(dis.data, "handler"), "%s", dis.data);
    cr_assert(strstr(dis.data, "captures 1"), "%s", dis.data);
    buf_free(&dis);
    bc_bundle_free(r);
    bc_module_free(m);
    buf_free(&a);
    buf_free(&c);
    buf_free(&err);
}

Test(bcfile, truncated_class_sections_and_handler_tables)
{
    bc_module *m = object_module();
    holt_buf a;
    write_one(m, &a);
    /* Cut anywhere in the last function, its handlers or the class section, header repaired:
     * every cut is caught as a truncation or a count larger than the bytes left. */
    size_t from = a.len - 80;
    for (size_t n = from; n < a.len; n++) {
        holt_buf c, err;
        buf_init(&c);
        buf_put(&c, a.data, n);
        fixup(&c);
        buf_init(&err);
        cr_assert_null(bc_read((uint8_t *)c.data, n, &err), "accepted a cut at %zu", n);
        cr_assert(strstr(err.data, "truncated in module 0") || strstr(err.data, "exceeds the"), "cut %zu: %s", n,
                  err.data);
        buf_free(&err);
        buf_free(&c);
    }
    /* Counts: the class count, and each table inside the last class, made huge. */
    size_t main_at = a.len - 2;
    size_t methods_at = main_at - 2 - 6;           /* nmethods of class 1 */
    size_t fields_at = methods_at - 2 - 4;         /* nfields */
    size_t ifaces_at = fields_at - 2 - 2;          /* nifaces */
    struct {
        size_t at;
        const char *want;
    } cases[] = {
        {methods_at, "bad .hbc file: method count 65535 exceeds the 8 bytes left in module 0 class 1 at offset *"},
        {fields_at, "bad .hbc file: field count 65535 exceeds the 14 bytes left in module 0 class 1 at offset *"},
        {ifaces_at, "bad .hbc file: interface count 65535 exceeds the 18 bytes left in module 0 class 1 at offset *"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        holt_buf c;
        buf_init(&c);
        buf_put(&c, a.data, a.len);
        patch_u16(&c, cases[i].at, 65535);
        rejects_fixed(&c, cases[i].want);
    }
    /* The class count: find it as the u16 before the first class's TYPE. */
    holt_buf c;
    buf_init(&c);
    buf_put(&c, a.data, a.len);
    size_t classes_at = ifaces_at - 6 - (2 + 2 + 2 + 2 + 2 + 2 + 6) - 2;
    cr_assert_eq(bc_u16((uint8_t *)c.data + classes_at), 2, "found the class count");
    patch_u16(&c, classes_at, 9000);
    rejects_fixed(&c, "bad .hbc file: class count 9000 exceeds the * bytes left in module 0 at offset *");
    bc_module_free(m);
    buf_free(&a);
}

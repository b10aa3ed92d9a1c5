/* bcfile.c — the .hbc file format: writing a bundle of modules and reading it back.
 *
 * The layout is in docs/bytecode.md as OFFSET / SIZE / DESCRIPTION tables. In short: a
 * 24-byte header (magic, version, total length, CRC-32 of everything after the header's CRC
 * field, module count), then each module: name, source path, constant pool, globals,
 * functions (each with its exception table), the class section, main index. Every integer is little-endian and nothing depends on addresses or
 * on hash order, so the same bundle always gives the same bytes.
 *
 * The reader trusts nothing: every read is bounds-checked against the input, every count is
 * bounded by the bytes left before anything is allocated for it (a 20-byte file cannot make
 * it allocate gigabytes), and every failure is one line naming what was being read and the
 * byte offset: "bad .hbc file: truncated in module 0 constant 7 at offset 812". It checks
 * structure only (tags, references inside the constant pool, descriptors); the verifier
 * checks the code.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define HBC_MAGIC "HOLT\r\n\x1a\n" /* 8 bytes; the tail catches newline translation and text mode */
#define HBC_MAJOR 2
#define HBC_MINOR 1
#define HBC_HEADER 24              /* header bytes; the CRC covers [20, total) */
#define HBC_CRC_FROM 20

/* Lower bounds of encoded sizes, used to bound counts by the bytes left. */
#define MIN_MODULE 16              /* name len, path len, nconsts, nglobals, nfuncs, nclasses, main */
#define MIN_CONST 3                /* tag and the smallest payload (TYPE: u16) */
#define GLOBAL_SIZE 6
#define MIN_FUNCTION 24            /* the fixed fields of an empty function */
#define LINE_SIZE 8
#define HANDLER_SIZE 14            /* start, end, handler (u32 each), type (u16) */
#define MIN_CLASS 12               /* type, flags, super, nifaces, nfields, nmethods */
#define FIELD_SIZE 4               /* name, type */
#define METHOD_SIZE 6              /* name, type, func */

/* ---- CRC-32 (IEEE 802.3, as zlib and PNG) -------------------------------------------------- */

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    /* Half-byte table of the reflected polynomial 0xEDB88320. */
    static const uint32_t t[16] = {
        0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
        0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
    };
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ t[crc & 15];
        crc = (crc >> 4) ^ t[crc & 15];
    }
    return ~crc;
}

/* ---- writing ------------------------------------------------------------------------------- */

/* A string with a u16 length: module names and paths (longer ones are cut at 65535 bytes). */
static void put_name(holt_buf *out, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > UINT16_MAX)
        n = UINT16_MAX;
    buf_u16(out, (uint16_t)n);
    buf_put(out, s, n);
}

static void put_const(holt_buf *out, const bc_const *c)
{
    uint64_t bits;
    buf_u8(out, c->tag);
    switch (c->tag) {
    case BC_K_INT:
        buf_u64(out, (uint64_t)c->u.i);
        break;
    case BC_K_FLOAT:
        memcpy(&bits, &c->u.f, 8);
        buf_u64(out, bits);
        break;
    case BC_K_STR:
        buf_u32(out, c->u.s.len);
        buf_put(out, c->u.s.bytes, c->u.s.len);
        break;
    case BC_K_TYPE:
        buf_u16(out, c->u.desc);
        break;
    case BC_K_MODULE:
        buf_u16(out, c->u.mod.name);
        buf_u16(out, c->u.mod.version);
        break;
    case BC_K_FUNC:
    case BC_K_GLOBAL:
    case BC_K_FIELD:
    case BC_K_METHOD:
        buf_u16(out, c->u.ref.module);
        buf_u16(out, c->u.ref.name);
        buf_u16(out, c->u.ref.type);
        break;
    case BC_K_NATIVE:
        buf_u16(out, c->u.ref.name);
        buf_u16(out, c->u.ref.type);
        break;
    default:
        break; /* an unknown tag is written bare; the reader rejects it */
    }
}

static void put_function(holt_buf *out, const bc_function *f)
{
    buf_u16(out, f->name);
    buf_u16(out, f->type);
    buf_u16(out, f->flags);
    buf_u16(out, f->ncaps);
    buf_u16(out, f->nparams);
    buf_u16(out, f->nlocals);
    for (uint32_t i = 0; i < f->nlocals; i++)
        buf_u16(out, f->local_types[i]);
    buf_u16(out, f->max_stack);
    buf_u32(out, f->code_len);
    buf_put(out, f->code, f->code_len);
    buf_u32(out, f->nlines);
    for (uint32_t i = 0; i < f->nlines; i++) {
        buf_u32(out, f->lines[i].pc);
        buf_u32(out, f->lines[i].line);
    }
    buf_u16(out, f->nhandlers);
    for (uint32_t i = 0; i < f->nhandlers; i++) {
        buf_u32(out, f->handlers[i].start);
        buf_u32(out, f->handlers[i].end);
        buf_u32(out, f->handlers[i].handler);
        buf_u16(out, f->handlers[i].type);
    }
}

static void put_class(holt_buf *out, const bc_class *c)
{
    buf_u16(out, c->type);
    buf_u16(out, c->flags);
    buf_u16(out, c->super);
    buf_u16(out, c->nifaces);
    for (uint32_t i = 0; i < c->nifaces; i++)
        buf_u16(out, c->ifaces[i]);
    buf_u16(out, c->nfields);
    for (uint32_t i = 0; i < c->nfields; i++) {
        buf_u16(out, c->fields[i].name);
        buf_u16(out, c->fields[i].type);
    }
    buf_u16(out, c->nmethods);
    for (uint32_t i = 0; i < c->nmethods; i++) {
        buf_u16(out, c->methods[i].name);
        buf_u16(out, c->methods[i].type);
        buf_u16(out, c->methods[i].func);
    }
}

static void put_module(holt_buf *out, const bc_module *m)
{
    put_name(out, m->name);
    put_name(out, m->path);
    buf_u32(out, m->nconsts);
    for (uint32_t k = 1; k < m->nconsts; k++)
        put_const(out, &m->consts[k]);
    buf_u16(out, m->nglobals);
    for (uint32_t g = 0; g < m->nglobals; g++) {
        buf_u16(out, m->globals[g].name);
        buf_u16(out, m->globals[g].type);
        buf_u16(out, m->globals[g].flags);
    }
    buf_u16(out, m->nfuncs);
    for (uint32_t i = 0; i < m->nfuncs; i++)
        put_function(out, &m->funcs[i]);
    buf_u16(out, m->nclasses);
    for (uint32_t i = 0; i < m->nclasses; i++)
        put_class(out, &m->classes[i]);
    buf_u16(out, m->main);
}

static void patch_u32(holt_buf *out, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        out->data[at + i] = (char)(v >> (8 * i));
}

void bc_write(const bc_bundle *b, holt_buf *out)
{
    size_t base = out->len;
    buf_put(out, HBC_MAGIC, 8);
    buf_u16(out, HBC_MAJOR);
    buf_u16(out, HBC_MINOR);
    buf_u32(out, 0); /* total length, patched below */
    buf_u32(out, 0); /* CRC-32, patched below */
    buf_u32(out, b->nmodules);
    for (uint32_t i = 0; i < b->nmodules; i++)
        put_module(out, b->modules[i]);
    patch_u32(out, base + 12, (uint32_t)(out->len - base));
    patch_u32(out, base + 16,
              crc32_of((const uint8_t *)out->data + base + HBC_CRC_FROM, out->len - base - HBC_CRC_FROM));
}

/* ---- reading ------------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;             /* the image */
    size_t len;                   /* its length */
    size_t pos;                   /* next byte to read */
    holt_buf *err;                /* where the one-line reason goes */
    bool failed;                  /* a reason has been written; later reads return 0 */
    bool in_module;               /* reading module `mod` (else the header or the bundle) */
    uint32_t mod;                 /* index of the module being read */
    const char *what;             /* "constant", "global", "function", or NULL */
    uint32_t idx;                 /* index of that item */
} reader;

/* " in module 0 constant 7" (or " in the header"): what was being read. */
static void put_where(reader *r)
{
    if (!r->in_module) {
        buf_puts(r->err, " in the header");
        return;
    }
    buf_printf(r->err, " in module %u", r->mod);
    if (r->what)
        buf_printf(r->err, " %s %u", r->what, r->idx);
}

/* "bad .hbc file: <reason> at offset N". Only the first reason is kept. */
static bool bad(reader *r, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool bad(reader *r, size_t at, const char *fmt, ...)
{
    if (r->failed)
        return false;
    r->failed = true;
    buf_puts(r->err, "bad .hbc file: ");
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(r->err, fmt, ap);
    va_end(ap);
    buf_printf(r->err, " at offset %zu", at);
    return false;
}

static bool truncated(reader *r)
{
    if (r->failed)
        return false;
    r->failed = true;
    buf_puts(r->err, "bad .hbc file: truncated");
    put_where(r);
    buf_printf(r->err, " at offset %zu", r->pos);
    return false;
}

static bool avail(reader *r, size_t n)
{
    if (r->failed)
        return false;
    return r->len - r->pos >= n ? true : truncated(r);
}

static uint64_t rd(reader *r, int n)
{
    if (!avail(r, (size_t)n))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += (size_t)n;
    return v;
}

static uint8_t rd8(reader *r) { return (uint8_t)rd(r, 1); }
static uint16_t rd16(reader *r) { return (uint16_t)rd(r, 2); }
static uint32_t rd32(reader *r) { return (uint32_t)rd(r, 4); }
static uint64_t rd64(reader *r) { return rd(r, 8); }

/* A count of items of at least `unit` bytes each must fit in the bytes left. */
static bool fits(reader *r, size_t at, uint64_t count, size_t unit, const char *what)
{
    if (r->failed)
        return false;
    if (count <= (r->len - r->pos) / unit)
        return true;
    r->failed = true;
    buf_printf(r->err, "bad .hbc file: %s count %llu exceeds the %zu bytes left", what, (unsigned long long)count,
               r->len - r->pos);
    put_where(r);
    buf_printf(r->err, " at offset %zu", at);
    return false;
}

/* A module name or path: u16 length, bytes, no NUL. */
static char *rd_name(reader *r, const char *what, bool nonempty)
{
    size_t at = r->pos;
    uint16_t n = rd16(r);
    if (!avail(r, n))
        return NULL;
    if (memchr(r->p + r->pos, 0, n) || (nonempty && n == 0)) {
        bad(r, at, "module %u %s is %s", r->mod, what, n ? "not free of NUL bytes" : "empty");
        return NULL;
    }
    char *s = xmalloc((size_t)n + 1);
    memcpy(s, r->p + r->pos, n);
    s[n] = '\0';
    r->pos += n;
    return s;
}

static bool rd_const(reader *r, bc_module *m, uint32_t k)
{
    bc_const *c = &m->consts[k];
    size_t at = r->pos;
    uint8_t tag = rd8(r);
    if (r->failed)
        return false;
    switch (tag) {
    case BC_K_INT:
        c->u.i = (int64_t)rd64(r);
        break;
    case BC_K_FLOAT: {
        uint64_t bits = rd64(r);
        memcpy(&c->u.f, &bits, 8);
        break;
    }
    case BC_K_STR: {
        uint32_t n = rd32(r);
        if (!avail(r, n))
            return false;
        c->u.s.len = n;
        c->u.s.bytes = xmalloc((size_t)n + 1);
        memcpy(c->u.s.bytes, r->p + r->pos, n);
        c->u.s.bytes[n] = '\0';
        r->pos += n;
        break;
    }
    case BC_K_TYPE:
        c->u.desc = rd16(r);
        break;
    case BC_K_MODULE:
        c->u.mod.name = rd16(r);
        c->u.mod.version = rd16(r);
        break;
    case BC_K_FUNC:
    case BC_K_GLOBAL:
    case BC_K_FIELD:
    case BC_K_METHOD:
        c->u.ref.module = rd16(r);
        c->u.ref.name = rd16(r);
        c->u.ref.type = rd16(r);
        break;
    case BC_K_NATIVE:
        c->u.ref.name = rd16(r);
        c->u.ref.type = rd16(r);
        break;
    default:
        return bad(r, at, "unknown tag %u in module %u constant %u", tag, r->mod, k);
    }
    c->tag = tag; /* set last: a STR owns bytes only once they exist */
    return !r->failed;
}

static bool rd_function(reader *r, bc_function *f)
{
    f->name = rd16(r);
    f->type = rd16(r);
    f->flags = rd16(r);
    f->ncaps = rd16(r);
    f->nparams = rd16(r);
    f->nlocals = rd16(r);
    if (!avail(r, (size_t)f->nlocals * 2))
        return false;
    f->local_types = xmalloc((f->nlocals ? f->nlocals : 1) * sizeof *f->local_types);
    for (uint32_t i = 0; i < f->nlocals; i++)
        f->local_types[i] = rd16(r);
    f->max_stack = rd16(r);
    f->code_len = rd32(r);
    if (!avail(r, f->code_len))
        return false;
    f->code = xmalloc(f->code_len ? f->code_len : 1);
    memcpy(f->code, r->p + r->pos, f->code_len);
    r->pos += f->code_len;
    size_t at = r->pos;
    uint32_t nlines = rd32(r);
    if (!fits(r, at, nlines, LINE_SIZE, "line"))
        return false;
    f->lines = xmalloc((nlines ? nlines : 1) * sizeof *f->lines);
    f->nlines = nlines;
    for (uint32_t i = 0; i < nlines; i++) {
        f->lines[i].pc = rd32(r);
        f->lines[i].line = rd32(r);
    }
    at = r->pos;
    uint16_t nh = rd16(r);
    if (!fits(r, at, nh, HANDLER_SIZE, "handler"))
        return false;
    f->handlers = xmalloc((nh ? nh : 1) * sizeof *f->handlers);
    f->nhandlers = nh;
    for (uint32_t i = 0; i < nh; i++) {
        f->handlers[i].start = rd32(r);
        f->handlers[i].end = rd32(r);
        f->handlers[i].handler = rd32(r);
        f->handlers[i].type = rd16(r);
    }
    return !r->failed;
}

/* A u16 count of items of at least `unit` bytes each, bounded by the bytes left, and zeroed
 * room for them (NULL after a failure). */
static void *rd_table(reader *r, uint16_t *count, size_t unit, size_t size, const char *what)
{
    size_t at = r->pos;
    uint16_t n = rd16(r);
    if (!fits(r, at, n, unit, what))
        return NULL;
    *count = n;
    return xcalloc(n ? n : 1, size);
}

static bool rd_class(reader *r, bc_class *c)
{
    c->type = rd16(r);
    c->flags = rd16(r);
    c->super = rd16(r);
    if (!(c->ifaces = rd_table(r, &c->nifaces, 2, sizeof *c->ifaces, "interface")))
        return false;
    for (uint32_t i = 0; i < c->nifaces; i++)
        c->ifaces[i] = rd16(r);
    if (!(c->fields = rd_table(r, &c->nfields, FIELD_SIZE, sizeof *c->fields, "field")))
        return false;
    for (uint32_t i = 0; i < c->nfields; i++) {
        c->fields[i].name = rd16(r);
        c->fields[i].type = rd16(r);
    }
    if (!(c->methods = rd_table(r, &c->nmethods, METHOD_SIZE, sizeof *c->methods, "method")))
        return false;
    for (uint32_t i = 0; i < c->nmethods; i++) {
        c->methods[i].name = rd16(r);
        c->methods[i].type = rd16(r);
        c->methods[i].func = rd16(r);
    }
    return !r->failed;
}

static bc_module *rd_module(reader *r)
{
    bc_module *m = xcalloc(1, sizeof *m);
    r->what = NULL;
    m->name = rd_name(r, "name", true);
    if (r->failed)
        goto fail;
    m->path = rd_name(r, "path", false);
    if (r->failed)
        goto fail;

    size_t at = r->pos;
    uint32_t nconsts = rd32(r);
    if (r->failed)
        goto fail;
    if (nconsts > 65536) {
        bad(r, at, "module %u constant count %u out of range (at most 65536)", r->mod, nconsts);
        goto fail;
    }
    if (nconsts > 1 && !fits(r, at, nconsts - 1, MIN_CONST, "constant"))
        goto fail;
    m->consts = xcalloc(nconsts ? nconsts : 1, sizeof *m->consts);
    size_t *koff = xmalloc((nconsts ? nconsts : 1) * sizeof *koff);
    r->what = "constant";
    for (uint32_t k = 1; k < nconsts; k++) {
        r->idx = k;
        koff[k] = r->pos;
        m->nconsts = k + 1;
        if (!rd_const(r, m, k)) {
            free(koff);
            goto fail;
        }
    }
    m->nconsts = nconsts;
    /* References inside the pool may point forward, so they are checked once it is whole. */
    for (uint32_t k = 1; k < nconsts; k++) {
        const char *p = verify__const(m, k);
        if (p) {
            bad(r, koff[k], "module %u constant %u: %s", r->mod, k, p);
            free(koff);
            goto fail;
        }
    }
    free(koff);

    r->what = NULL;
    at = r->pos;
    uint16_t nglobals = rd16(r);
    if (!fits(r, at, nglobals, GLOBAL_SIZE, "global"))
        goto fail;
    m->globals = xcalloc(nglobals ? nglobals : 1, sizeof *m->globals);
    m->nglobals = nglobals;
    r->what = "global";
    for (uint32_t g = 0; g < nglobals; g++) {
        r->idx = g;
        m->globals[g].name = rd16(r);
        m->globals[g].type = rd16(r);
        m->globals[g].flags = rd16(r);
    }

    r->what = NULL;
    at = r->pos;
    uint16_t nfuncs = rd16(r);
    if (!fits(r, at, nfuncs, MIN_FUNCTION, "function"))
        goto fail;
    m->funcs = xcalloc(nfuncs ? nfuncs : 1, sizeof *m->funcs);
    r->what = "function";
    for (uint32_t i = 0; i < nfuncs; i++) {
        r->idx = i;
        m->nfuncs = (uint16_t)(i + 1);
        if (!rd_function(r, &m->funcs[i]))
            goto fail;
    }
    r->what = NULL;
    at = r->pos;
    uint16_t nclasses = rd16(r);
    if (!fits(r, at, nclasses, MIN_CLASS, "class"))
        goto fail;
    m->classes = xcalloc(nclasses ? nclasses : 1, sizeof *m->classes);
    r->what = "class";
    for (uint32_t i = 0; i < nclasses; i++) {
        r->idx = i;
        m->nclasses = (uint16_t)(i + 1);
        if (!rd_class(r, &m->classes[i]))
            goto fail;
    }
    r->what = NULL;
    m->main = rd16(r);
    if (r->failed)
        goto fail;
    return m;

fail:
    bc_module_free(m);
    return NULL;
}

bc_bundle *bc_read(const uint8_t *data, size_t len, holt_buf *err)
{
    reader r = {.p = data, .len = len, .err = err};
    if (len < 8 && (len == 0 || memcmp(data, HBC_MAGIC, len) == 0)) {
        r.pos = len;
        truncated(&r);
        return NULL;
    }
    if (len < 8 || memcmp(data, HBC_MAGIC, 8) != 0) {
        bad(&r, 0, "not a Holt bytecode file (bad magic)");
        return NULL;
    }
    r.pos = 8;
    uint16_t major = rd16(&r), minor = rd16(&r);
    if (r.failed)
        return NULL;
    if (major != HBC_MAJOR || minor > HBC_MINOR) {
        bad(&r, 8, "unsupported format version %u.%u (this VM reads version %u.%u)", major, minor, HBC_MAJOR,
            HBC_MINOR);
        return NULL;
    }
    uint32_t total = rd32(&r), crc = rd32(&r);
    if (r.failed)
        return NULL;
    if (len < total) {
        bad(&r, len, "truncated: the header says %u bytes, the file has %zu", total, len);
        return NULL;
    }
    if (len > total) {
        bad(&r, total < HBC_HEADER ? 12 : total, "%s: the header says %u bytes, the file has %zu",
            total < HBC_HEADER ? "bad total length" : "trailing bytes", total, len);
        return NULL;
    }
    if (len < HBC_HEADER) {
        bad(&r, 12, "bad total length %u (the header alone is %d bytes)", total, HBC_HEADER);
        return NULL;
    }
    uint32_t sum = crc32_of(data + HBC_CRC_FROM, len - HBC_CRC_FROM);
    if (sum != crc) {
        bad(&r, 16, "corrupted: CRC-32 is 0x%08x, the header says 0x%08x", sum, crc);
        return NULL;
    }
    size_t at = r.pos;
    uint32_t nmodules = rd32(&r);
    if (nmodules == 0) {
        bad(&r, at, "no modules");
        return NULL;
    }
    if (!fits(&r, at, nmodules, MIN_MODULE, "module"))
        return NULL;

    bc_bundle *b = xcalloc(1, sizeof *b);
    b->modules = xcalloc(nmodules, sizeof *b->modules);
    r.in_module = true;
    for (uint32_t i = 0; i < nmodules; i++) {
        r.mod = i;
        bc_module *m = rd_module(&r);
        if (!m)
            goto fail;
        b->modules[b->nmodules++] = m;
    }
    if (r.pos != len) {
        bad(&r, r.pos, "trailing bytes after the last module");
        goto fail;
    }
    return b;

fail:
    for (uint32_t i = 0; i < b->nmodules; i++)
        bc_module_free(b->modules[i]);
    free(b->modules);
    free(b);
    return NULL;
}

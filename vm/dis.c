/* dis.c — the disassembler: a readable listing of a module.
 *
 * It runs on modules straight from bc_read, before (or without) verification, so it trusts
 * nothing: bad constant indexes, unknown opcodes and operands running off the end of the
 * code are printed as such, never followed.
 *
 *   module app (app.holt)
 *   constants:
 *     #1  STR     "hello"
 *   ...
 *   function 1 add (II)I
 *     params 2  locals 2  max_stack 2  code 7 bytes      (and "captures N" when it has any)
 *     local 0  I
 *     local 1  I
 *          0     2  LOAD 0
 *          3     2  LOAD 1
 *          6     2  IADD
 *          7     2  RETV
 *     handler 0..7 -> 9  LValueError;       (its exception table, innermost first)
 *   classes: 1
 *     class app.Rect : LError;, Lapp.Shape;  (flags, base, interfaces, fields, methods)
 */
#include <stdio.h>
#include <string.h>

#include "vm.h"

static const bc_const *kget(const bc_module *m, uint32_t k)
{
    return k && k < m->nconsts && m->consts ? &m->consts[k] : NULL;
}

static const char *tag_name(int tag)
{
    switch (tag) {
#define X(name, val, doc) case val: return #name;
        BC_CONST_TAGS(X)
#undef X
    default: return "?";
    }
}

/* Bytes written readably: quotes and backslashes escaped, control bytes as \n or \xNN. */
static void put_quoted(holt_buf *out, const char *p, uint32_t n)
{
    buf_putc(out, '"');
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        switch (c) {
        case '"': buf_puts(out, "\\\""); break;
        case '\\': buf_puts(out, "\\\\"); break;
        case '\n': buf_puts(out, "\\n"); break;
        case '\t': buf_puts(out, "\\t"); break;
        case '\r': buf_puts(out, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                buf_printf(out, "\\x%02x", c);
            else
                buf_putc(out, (char)c);
        }
    }
    buf_putc(out, '"');
}

/* A STR constant written raw (names, descriptors), or <#k?> when k is not a STR. */
static void put_str(holt_buf *out, const bc_module *m, uint32_t k)
{
    const bc_const *c = kget(m, k);
    if (c && c->tag == BC_K_STR && c->u.s.bytes) {
        for (uint32_t i = 0; i < c->u.s.len; i++) {
            unsigned char ch = (unsigned char)c->u.s.bytes[i];
            if (ch < 0x20 || ch == 0x7f)
                buf_printf(out, "\\x%02x", ch);
            else
                buf_putc(out, (char)ch);
        }
    } else {
        buf_printf(out, "<#%u?>", k);
    }
}

/* The descriptor of TYPE constant k. */
static void put_type(holt_buf *out, const bc_module *m, uint32_t k)
{
    const bc_const *c = kget(m, k);
    if (c && c->tag == BC_K_TYPE)
        put_str(out, m, c->u.desc);
    else
        buf_printf(out, "<#%u?>", k);
}

/* The value of constant k as the listing shows it. */
static void put_const(holt_buf *out, const bc_module *m, uint32_t k)
{
    const bc_const *c = kget(m, k);
    if (!c) {
        buf_printf(out, "<bad constant #%u>", k);
        return;
    }
    switch (c->tag) {
    case BC_K_INT:
        buf_printf(out, "%lld", (long long)c->u.i);
        break;
    case BC_K_FLOAT:
        buf_printf(out, "%.17g", c->u.f);
        break;
    case BC_K_STR:
        if (c->u.s.bytes)
            put_quoted(out, c->u.s.bytes, c->u.s.len);
        break;
    case BC_K_TYPE:
        put_str(out, m, c->u.desc);
        break;
    case BC_K_MODULE:
        put_str(out, m, c->u.mod.name);
        buf_printf(out, " version %u", c->u.mod.version);
        break;
    case BC_K_FUNC:
    case BC_K_GLOBAL: {
        const bc_const *mod = kget(m, c->u.ref.module);
        if (mod && mod->tag == BC_K_MODULE)
            put_str(out, m, mod->u.mod.name);
        else
            buf_printf(out, "<#%u?>", c->u.ref.module);
        buf_putc(out, '.');
        put_str(out, m, c->u.ref.name);
        buf_putc(out, ' ');
        put_type(out, m, c->u.ref.type);
        break;
    }
    case BC_K_NATIVE:
        put_str(out, m, c->u.ref.name);
        buf_putc(out, ' ');
        put_type(out, m, c->u.ref.type);
        break;
    case BC_K_FIELD:
    case BC_K_METHOD:
        put_type(out, m, c->u.ref.module);
        buf_putc(out, '.');
        put_str(out, m, c->u.ref.name);
        buf_putc(out, ' ');
        put_type(out, m, c->u.ref.type);
        break;
    default:
        buf_printf(out, "<unknown tag %u>", c->tag);
        break;
    }
}

/* Bytes of an operand written with letter c (opcodes.def). */
static uint32_t operand_size(char c) { return c == 'b' ? 1 : (c == 'h' || c == 'k') ? 2 : 4; }

/* One instruction at pc; returns its size, or 0 when it cannot be decoded. */
static uint32_t put_insn(holt_buf *out, const bc_module *m, const bc_function *f, uint32_t pc, uint32_t line)
{
    int op = f->code[pc];
    buf_printf(out, "  %6u  %4u  ", pc, line);
    if (op >= OP__COUNT) {
        buf_printf(out, "??? 0x%02x\n", op);
        return 0;
    }
    const bc_opinfo *oi = &bc_ops[op];
    if (oi->size > f->code_len - pc) {
        buf_printf(out, "%s <operands past the end of the code>\n", oi->name);
        return 0;
    }
    buf_puts(out, oi->name);
    holt_buf note;
    buf_init(&note);
    uint32_t off = 1;
    for (const char *p = oi->operands; *p; off += operand_size(*p), p++) {
        const uint8_t *at = f->code + pc + off;
        if (note.len && (*p == 'k' || *p == 'j'))
            buf_puts(&note, ", ");
        switch (*p) {
        case 'b':
            buf_printf(out, " %u", at[0]);
            break;
        case 'i':
            buf_printf(out, " %d", bc_i32(at));
            break;
        case 'k':
            buf_printf(out, " #%u", bc_u16(at));
            put_const(&note, m, bc_u16(at));
            break;
        case 'j': {
            int32_t j = bc_i32(at);
            buf_printf(out, " %+d", j);
            buf_printf(&note, "-> %lld", (long long)pc + j);
            break;
        }
        case 'h': {
            uint16_t h = bc_u16(at);
            buf_printf(out, " %u", h);
            if (op == OP_CALL || op == OP_CLOSURE) {
                if (h < m->nfuncs && m->funcs) {
                    put_str(&note, m, m->funcs[h].name);
                    buf_putc(&note, ' ');
                    put_type(&note, m, m->funcs[h].type);
                } else {
                    buf_printf(&note, "<bad function %u>", h);
                }
            } else if (op == OP_GLOAD || op == OP_GSTORE) {
                if (h < m->nglobals && m->globals)
                    put_str(&note, m, m->globals[h].name);
                else
                    buf_printf(&note, "<bad global %u>", h);
            }
            break;
        }
        default:
            break;
        }
    }
    if (note.len)
        buf_printf(out, "  ; %s", note.data);
    buf_putc(out, '\n');
    buf_free(&note);
    return oi->size;
}

static void put_function(holt_buf *out, const bc_module *m, uint32_t i)
{
    const bc_function *f = &m->funcs[i];
    buf_printf(out, "\nfunction %u ", i);
    put_str(out, m, f->name);
    buf_putc(out, ' ');
    put_type(out, m, f->type);
    if (i == m->main)
        buf_puts(out, "  (main)");
    if (f->flags & BC_PRIVATE)
        buf_puts(out, "  private");
    buf_printf(out, "\n  params %u  locals %u  max_stack %u  code %u bytes", f->nparams, f->nlocals, f->max_stack,
               f->code_len);
    if (f->ncaps)
        buf_printf(out, "  captures %u", f->ncaps);
    buf_putc(out, '\n');
    for (uint32_t l = 0; l < f->nlocals && f->local_types; l++) {
        buf_printf(out, "  local %u  ", l);
        put_type(out, m, f->local_types[l]);
        buf_puts(out, l < f->ncaps                ? "  (capture)\n"
                      : l < f->ncaps + f->nparams ? "  (parameter)\n"
                                                  : "\n");
    }
    uint32_t li = 0, line = 0;
    for (uint32_t pc = 0; f->code && pc < f->code_len;) {
        while (f->lines && li < f->nlines && f->lines[li].pc <= pc)
            line = f->lines[li++].line;
        uint32_t n = put_insn(out, m, f, pc, line);
        if (!n) {
            if (f->code[pc] < OP__COUNT)
                break; /* operands run off the end */
            n = 1;
        }
        pc += n;
    }
    for (uint32_t h = 0; h < f->nhandlers && f->handlers; h++) {
        const bc_handler *e = &f->handlers[h];
        buf_printf(out, "  handler %u..%u -> %u  ", e->start, e->end, e->handler);
        if (e->type)
            put_type(out, m, e->type);
        else
            buf_puts(out, "(every error)");
        buf_putc(out, '\n');
    }
}

static void put_class(holt_buf *out, const bc_module *m, uint32_t i)
{
    const bc_class *c = &m->classes[i];
    buf_puts(out, "  ");
    buf_puts(out, c->flags & BC_CLASS_INTERFACE ? "interface " : "class ");
    const bc_const *k = kget(m, c->type);
    const bc_const *s = k && k->tag == BC_K_TYPE ? kget(m, k->u.desc) : NULL;
    if (s && s->tag == BC_K_STR && s->u.s.bytes && s->u.s.len >= 2 && s->u.s.bytes[0] == 'L')
        for (uint32_t b = 1; b + 1 < s->u.s.len; b++)
            buf_putc(out, (unsigned char)s->u.s.bytes[b] < 0x20 ? '?' : s->u.s.bytes[b]);
    else
        put_type(out, m, c->type);
    const char *sep = " : ";
    if (c->super) {
        buf_puts(out, sep);
        put_type(out, m, c->super);
        sep = ", ";
    }
    for (uint32_t j = 0; j < c->nifaces && c->ifaces; j++) {
        buf_puts(out, sep);
        put_type(out, m, c->ifaces[j]);
        sep = ", ";
    }
    if (c->flags & BC_PRIVATE)
        buf_puts(out, "  private");
    buf_putc(out, '\n');
    for (uint32_t j = 0; j < c->nfields && c->fields; j++) {
        buf_printf(out, "    field %u  ", j);
        put_str(out, m, c->fields[j].name);
        buf_puts(out, ": ");
        put_type(out, m, c->fields[j].type);
        buf_putc(out, '\n');
    }
    for (uint32_t j = 0; j < c->nmethods && c->methods; j++) {
        buf_puts(out, "    method ");
        put_str(out, m, c->methods[j].name);
        buf_putc(out, ' ');
        put_type(out, m, c->methods[j].type);
        if (c->methods[j].func == BC_NO_FUNC)
            buf_puts(out, "  (abstract)\n");
        else
            buf_printf(out, "  -> function %u\n", c->methods[j].func);
    }
}

void dis_module(const bc_module *m, holt_buf *out)
{
    buf_printf(out, "module %s (%s)\n", m->name ? m->name : "?", m->path ? m->path : "?");
    buf_printf(out, "constants: %u\n", m->nconsts ? m->nconsts - 1 : 0);
    for (uint32_t k = 1; k < m->nconsts && m->consts; k++) {
        buf_printf(out, "  #%-5u %-7s ", k, tag_name(m->consts[k].tag));
        put_const(out, m, k);
        buf_putc(out, '\n');
    }
    buf_printf(out, "globals: %u\n", m->nglobals);
    for (uint32_t g = 0; g < m->nglobals && m->globals; g++) {
        buf_printf(out, "  %u  ", g);
        put_str(out, m, m->globals[g].name);
        buf_puts(out, ": ");
        put_type(out, m, m->globals[g].type);
        if (m->globals[g].flags & BC_GLOBAL_MUTABLE)
            buf_puts(out, "  var");
        if (m->globals[g].flags & BC_PRIVATE)
            buf_puts(out, "  private");
        buf_putc(out, '\n');
    }
    buf_printf(out, "functions: %u\n", m->nfuncs);
    for (uint32_t i = 0; i < m->nfuncs && m->funcs; i++)
        put_function(out, m, i);
    if (m->nclasses) {
        buf_printf(out, "\nclasses: %u\n", m->nclasses);
        for (uint32_t i = 0; i < m->nclasses && m->classes; i++)
            put_class(out, m, i);
    }
}

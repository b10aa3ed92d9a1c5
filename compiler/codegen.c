/* codegen.c — from a checked module to a bc_module (codegen.h).
 *
 * The generator walks the annotated tree once per function and emits the opcodes of
 * opcodes.def. It never derives a type: every type it writes comes from the checker's
 * annotations (`ty` on expressions, `sym` on names and declarations, `call` on calls, the
 * slots and hidden slots of declarations and loops).
 *
 * Three invariants shape the code:
 *  - Stack depth is tracked at every instruction (pops, then pushes, as the verifier counts),
 *    so max_stack is exact and every label knows the depth its jumps carry.
 *  - No dead bytes: after an unconditional transfer (JMP, RET, RETV) the generator is "dead"
 *    and emits nothing until a label some jump targets is placed. Control flow is structured,
 *    so a statement that starts dead can never be entered and is skipped whole. As a
 *    consequence the last instruction of every function is a terminator.
 *  - Determinism: constants are numbered in order of first use and deduplicated through a
 *    hash of their contents, never of addresses; the same tree gives the same bytes.
 *
 * Control-flow layout:
 *   if      cond→JF else; then; JMP end; else: ...; end:
 *   while   cond→JF exit; top: body; cont: cond→JT top; exit:      (the test is duplicated
 *           so each iteration runs one conditional jump and no JMP)
 *   for a..b  i = a; hidden = b; i < hidden→JF exit; top: body; cont: i += 1;
 *           i < hidden→JT top; exit:
 *   for in list/map  LITER/MITER hidden; top: LNEXT/MNEXT hidden exit; store; body; JMP top
 * Conditions of if/while are compiled as jumps (&&, || and ! become control flow; a constant
 * condition becomes a JMP or nothing); a && or || whose value is needed is
 * `a DUP JF/JT end POP b end:`, which leaves one bool on both paths. Two small peepholes:
 * `if c { break }` / `if c { continue }` is one conditional jump to the loop's label, and a
 * JMP to the very next instruction is dropped.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_int.h"
#include "holt.h"

const char *cg__tok_name(int tok) { return tok >= 0 && tok < TOK__COUNT ? tok_spellings[tok] : "?"; }

void cg__error(cg *g, const ast_node *at, const char *fmt, const char *arg)
{
    diag_error(&g->m->diag, at ? at->line : 1, at ? at->col : 1, fmt, arg);
    g->errors++;
}

/* ---- constant pool --------------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }

static uint64_t khash(const bc_const *c)
{
    uint64_t h = mix(0xcbf29ce484222325ull, c->tag);
    switch (c->tag) {
    case BC_K_INT:
        return mix(h, (uint64_t)c->u.i);
    case BC_K_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &c->u.f, sizeof bits);
        return mix(h, bits);
    }
    case BC_K_STR:
        for (uint32_t i = 0; i < c->u.s.len; i++)
            h = mix(h, (uint8_t)c->u.s.bytes[i]);
        return mix(h, c->u.s.len);
    case BC_K_TYPE:
        return mix(h, c->u.desc);
    case BC_K_MODULE:
        return mix(mix(h, c->u.mod.name), c->u.mod.version);
    default:
        return mix(mix(mix(h, c->u.ref.module), c->u.ref.name), c->u.ref.type);
    }
}

static bool keq(const bc_const *a, const bc_const *b)
{
    if (a->tag != b->tag)
        return false;
    switch (a->tag) {
    case BC_K_INT:
        return a->u.i == b->u.i;
    case BC_K_FLOAT:
        /* By bit pattern: 0.0 and -0.0 differ, and every nan is itself. */
        return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case BC_K_STR:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.bytes, b->u.s.bytes, a->u.s.len) == 0;
    case BC_K_TYPE:
        return a->u.desc == b->u.desc;
    case BC_K_MODULE:
        return a->u.mod.name == b->u.mod.name && a->u.mod.version == b->u.mod.version;
    default:
        return a->u.ref.module == b->u.ref.module && a->u.ref.name == b->u.ref.name &&
               a->u.ref.type == b->u.ref.type;
    }
}

static void kh_insert(cg *g, uint32_t idx)
{
    uint32_t mask = g->khcap - 1;
    uint32_t i = (uint32_t)khash(&g->k[idx]) & mask;
    while (g->kh[i])
        i = (i + 1) & mask;
    g->kh[i] = idx;
}

/* Append constant c without looking for an equal one (its STR bytes are copied). */
static uint16_t kappend(cg *g, const bc_const *c)
{
    if (g->nk > UINT16_MAX) {
        if (!g->errors)
            cg__error(g, NULL, "module '%s' is too large: more than 65535 constants", g->m->name);
        return 0;
    }
    if (g->nk == g->capk) {
        g->capk = g->capk ? 2 * g->capk : 64;
        g->k = xrealloc(g->k, g->capk * sizeof *g->k);
    }
    uint32_t idx = g->nk++;
    g->k[idx] = *c;
    if (c->tag == BC_K_STR) {
        char *b = xmalloc(c->u.s.len + 1);
        memcpy(b, c->u.s.bytes, c->u.s.len);
        b[c->u.s.len] = 0;
        g->k[idx].u.s.bytes = b;
    }
    if (2 * g->nk > g->khcap) {
        free(g->kh);
        g->khcap = g->khcap ? 2 * g->khcap : 128;
        g->kh = xcalloc(g->khcap, sizeof *g->kh);
        for (uint32_t i = 1; i < g->nk; i++)
            kh_insert(g, i);
    } else {
        kh_insert(g, idx);
    }
    return (uint16_t)idx;
}

/* The index of a constant equal to c, added at the end of the pool if there is none. */
static uint16_t kintern(cg *g, const bc_const *c)
{
    if (g->khcap) {
        uint32_t mask = g->khcap - 1;
        for (uint32_t i = (uint32_t)khash(c) & mask; g->kh[i]; i = (i + 1) & mask)
            if (keq(&g->k[g->kh[i]], c))
                return (uint16_t)g->kh[i];
    }
    return kappend(g, c);
}

static uint16_t k_int(cg *g, int64_t v)
{
    bc_const c = {.tag = BC_K_INT, .u.i = v};
    return kintern(g, &c);
}

static uint16_t k_float(cg *g, double v)
{
    bc_const c = {.tag = BC_K_FLOAT, .u.f = v};
    return kintern(g, &c);
}

static uint16_t k_str(cg *g, const char *s, size_t len)
{
    bc_const c = {.tag = BC_K_STR, .u.s = {(uint32_t)len, (char *)s}};
    return kintern(g, &c);
}

static uint16_t k_cstr(cg *g, const char *s) { return k_str(g, s, strlen(s)); }

static uint16_t k_desc(cg *g, const char *desc)
{
    bc_const c = {.tag = BC_K_TYPE, .u.desc = k_cstr(g, desc)};
    return kintern(g, &c);
}

/* The TYPE constant of a checked type. `null` whose context gave it no reference type can
 * only meet reference comparisons and `any`, so it is typed as any. */
uint16_t cg__k_type(cg *g, const htype *t)
{
    if (!t || !t->desc || t->desc[0] == '!') {
        if (t && t->kind == TY_NULL)
            return k_desc(g, "A");
        cg__error(g, NULL, "internal error: a value of type '%s' reached code generation",
                 t && t->desc ? t->desc : "?");
        return 0;
    }
    return k_desc(g, t->desc);
}

static uint16_t k_module(cg *g, const cmodule *mod)
{
    bc_const c = {.tag = BC_K_MODULE,
                  .u.mod = {k_cstr(g, mod->name), mod->is_std ? HOLT_STD_VERSION : 0}};
    return kintern(g, &c);
}

uint16_t cg__k_ref(cg *g, int tag, const cmodule *mod, const char *name, const htype *ty)
{
    bc_const c = {.tag = (uint8_t)tag};
    c.u.ref.module = mod ? k_module(g, mod) : 0;
    c.u.ref.name = k_cstr(g, name);
    c.u.ref.type = cg__k_type(g, ty);
    return kintern(g, &c);
}

uint16_t cg__k_native(cg *g, const char *name, const char *desc)
{
    bc_const c = {.tag = BC_K_NATIVE};
    c.u.ref.name = k_cstr(g, name);
    c.u.ref.type = k_desc(g, desc);
    return kintern(g, &c);
}

/* The NATIVE constant behind an @native function of a standard module: "<module>.<name>". */
uint16_t cg__k_native_fn(cg *g, const cmodule *mod, const char *name, const htype *ty)
{
    holt_buf b;
    buf_init(&b);
    buf_printf(&b, "%s.%s", mod->name, name);
    bc_const c = {.tag = BC_K_NATIVE};
    c.u.ref.name = k_str(g, b.data, b.len);
    c.u.ref.type = cg__k_type(g, ty);
    buf_free(&b);
    return kintern(g, &c);
}

uint16_t cg__k_cstr(cg *g, const char *s) { return k_cstr(g, s); }

/* A FIELD or METHOD constant: the class's TYPE, the member's name and type. */
uint16_t cg__k_member(cg *g, int tag, const htype *cls, const char *name, const htype *ty)
{
    bc_const c = {.tag = (uint8_t)tag};
    c.u.ref.module = cg__k_type(g, cls);
    c.u.ref.name = k_cstr(g, name);
    c.u.ref.type = cg__k_type(g, ty);
    return kintern(g, &c);
}

/* ---- emission -------------------------------------------------------------------------- */

/* Record the current source line for the instruction about to be emitted at this pc. */
static void mark_line(cg *g)
{
    uint32_t pc = (uint32_t)g->code.len;
    uint32_t line = g->line > 0 ? (uint32_t)g->line : 1;
    if (g->nlines && g->lines[g->nlines - 1].line == line)
        return;
    if (g->nlines && g->lines[g->nlines - 1].pc == pc) {
        g->lines[g->nlines - 1].line = line; /* nothing was emitted under the old line */
        if (g->nlines > 1 && g->lines[g->nlines - 2].line == line)
            g->nlines--;
        return;
    }
    if (g->nlines == g->caplines) {
        g->caplines = g->caplines ? 2 * g->caplines : 16;
        g->lines = xrealloc(g->lines, g->caplines * sizeof *g->lines);
    }
    g->lines[g->nlines++] = (bc_line){pc, line};
}

static void stack(cg *g, int pops, int pushes)
{
    assert(g->errors || g->depth >= pops);
    if (g->depth < pops)
        g->depth = pops;
    g->depth += pushes - pops;
    if (g->depth > g->max)
        g->max = g->depth;
}

/* ---- the peephole ----------------------------------------------------------------------
 *
 * The interpreter pays one dispatch per instruction, so the commonest shapes of the stack code
 * are fused, as they are emitted, into one superinstruction (opcodes.def, the end):
 *
 *   IIMM c; IADD            ->  IADDI c         (and IIMM c; ISUB -> IADDI -c)
 *   LOAD h; IADDI c; STORE h ->  IINC h c        (h an int local: `i += 1`, the range loop's step)
 *   IEQ..IGE; JT / JF       ->  JIEQ..JIGE      (JF takes the inverse comparison: exact on ints)
 *   NULL; REQ / RNE; JT / JF ->  JNULL, JNNULL  (`x == null` and `x != null` as conditions)
 *   IIMM c; JIEQ .. JIGE    ->  JIEQI c .. JIGEI c  (a comparison with a constant)
 *   LOAD h; JT / JF         ->  JTL h, JFL h    (h a bool local)
 *   LOAD a; LOAD b          ->  LOAD2 a b
 *   LOAD h; GETF k          ->  LOADF h k       (and LOAD2 a h; GETF k -> LOAD a; LOADF h k;
 *                                                LOAD h; DUP; GETF k -> LOAD h; LOADF h k)
 *   LOAD h; IADD .. FDIV    ->  IADDL h ..      (h a local of exactly the operand type: int for
 *                                                IADD ISUB, float for FADD FSUB FMUL FDIV; a
 *                                                LOAD2 a h before them -> LOAD a; ..L h)
 *   LOAD a; IADDL b; STORE d ->  IADD3 d a b    (and ISUB3, FADD3 .. FDIV3: d, a and b all locals
 *                                                of the operation's type)
 *
 * An instruction can be fused with the ones before it only when they are still the last code
 * emitted (a dropped JMP or a rewrite leaves g->tail stale: the sizes then do not line up) and
 * no jump targets a position after the first of them (label_pc): the fused instruction starts
 * where the sequence started, so a jump to that start still runs the same operation. */

/* The offset of the instruction emitted n-th last (0: the last) when it is `op`, is followed
 * exactly by the n instructions after it, and is the earliest position a jump may target;
 * otherwise UINT32_MAX. */
static uint32_t tail_is(const cg *g, int n, bc_op op)
{
    if (g->errors)
        return UINT32_MAX;
    uint32_t end = (uint32_t)g->code.len;
    for (int i = 0; i <= n; i++) {
        uint32_t at = g->tail[i];
        if (at == UINT32_MAX || at >= end || at + bc_ops[(uint8_t)g->code.data[at]].size != end)
            return UINT32_MAX;
        end = at;
    }
    if ((uint8_t)g->code.data[end] != op || g->label_pc > end)
        return UINT32_MAX;
    return end;
}

/* Drop the last n + 1 instructions (tail_is(g, n, ...) gave the first of them), with the
 * line entries inside them and their stack effect; the next instruction starts there and
 * takes the line it is emitted under. */
static void cut_tail(cg *g, int n)
{
    uint32_t at = g->tail[n];
    g->code.len = at;
    while (g->nlines && g->lines[g->nlines - 1].pc > at)
        g->nlines--;
    g->depth = g->tail_depth[n];
    g->max = g->tail_max[n];
    for (int i = 0; i < CG_TAIL; i++) {
        bool kept = i + n + 1 < CG_TAIL;
        g->tail[i] = kept ? g->tail[i + n + 1] : UINT32_MAX;
        g->tail_depth[i] = kept ? g->tail_depth[i + n + 1] : 0;
        g->tail_max[i] = kept ? g->tail_max[i + n + 1] : 0;
    }
}

static void emit_op(cg *g, bc_op o, int pops, int pushes)
{
    /* After an error the output is dropped: emission may go on, consistent or not. */
    assert(g->errors || !g->dead);
    mark_line(g);
    memmove(g->tail + 1, g->tail, (CG_TAIL - 1) * sizeof g->tail[0]);
    memmove(g->tail_depth + 1, g->tail_depth, (CG_TAIL - 1) * sizeof g->tail_depth[0]);
    memmove(g->tail_max + 1, g->tail_max, (CG_TAIL - 1) * sizeof g->tail_max[0]);
    g->tail[0] = (uint32_t)g->code.len;
    g->tail_depth[0] = g->depth;
    g->tail_max[0] = g->max;
    buf_u8(&g->code, (uint8_t)o);
    stack(g, pops, pushes);
}

/* IIMM c; IADD -> IADDI c; IIMM c; ISUB -> IADDI -c. True when fused. */
static bool fuse_add_imm(cg *g, bc_op o)
{
    uint32_t at = tail_is(g, 0, OP_IIMM);
    if (at == UINT32_MAX)
        return false;
    int32_t c = bc_i32((const uint8_t *)g->code.data + at + 1);
    if (o == OP_ISUB) {
        if (c == INT32_MIN)
            return false;
        c = -c;
    }
    cut_tail(g, 0);
    emit_op(g, OP_IADDI, 1, 1);
    buf_u32(&g->code, (uint32_t)c);
    return true;
}

/* LOAD h; IADDI c; STORE h -> IINC h c, for an int local h. True when fused. */
static bool fuse_inc(cg *g, uint32_t slot)
{
    uint32_t add = tail_is(g, 0, OP_IADDI), at = tail_is(g, 1, OP_LOAD);
    if (add == UINT32_MAX || at == UINT32_MAX)
        return false;
    const uint8_t *code = (const uint8_t *)g->code.data;
    if (bc_u16(code + at + 1) != slot || !g->fn || (int)slot >= g->fn->nlocals ||
        g->fn->local_types[slot]->kind != TY_INT)
        return false;
    int32_t c = bc_i32(code + add + 1);
    cut_tail(g, 1);
    emit_op(g, OP_IINC, 0, 0);
    buf_u16(&g->code, (uint16_t)slot);
    buf_u32(&g->code, (uint32_t)c);
    return true;
}

/* The local whose LOAD is the last instruction, dropped so that the caller can emit the fused
 * instruction reading it in its place, or -1. A LOAD2 a h in that place becomes LOAD a and h
 * is returned. With `want` >= 0 the local must have exactly that type kind. */
static int take_loaded_local(cg *g, int want)
{
    uint32_t at = tail_is(g, 0, OP_LOAD);
    bool two = at == UINT32_MAX;
    if (two && (at = tail_is(g, 0, OP_LOAD2)) == UINT32_MAX)
        return -1;
    const uint8_t *code = (const uint8_t *)g->code.data;
    uint32_t first = bc_u16(code + at + 1), h = two ? bc_u16(code + at + 3) : first;
    if (want >= 0 && (!g->fn || (int)h >= g->fn->nlocals || (int)g->fn->local_types[h]->kind != want))
        return -1;
    cut_tail(g, 0);
    if (two) {
        emit_op(g, OP_LOAD, 0, 1);
        buf_u16(&g->code, (uint16_t)first);
    }
    return (int)h;
}

/* LOAD h; IADD .. FDIV -> IADDL h ..; true when fused. */
static bool fuse_local_arith(cg *g, bc_op o)
{
    static const struct {
        bc_op op, fused;
        int kind;
    } ops[] = {
        {OP_IADD, OP_IADDL, TY_INT},   {OP_ISUB, OP_ISUBL, TY_INT},   {OP_FADD, OP_FADDL, TY_FLOAT},
        {OP_FSUB, OP_FSUBL, TY_FLOAT}, {OP_FMUL, OP_FMULL, TY_FLOAT}, {OP_FDIV, OP_FDIVL, TY_FLOAT},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (ops[i].op != o)
            continue;
        int h = take_loaded_local(g, ops[i].kind);
        if (h < 0)
            return false;
        emit_op(g, ops[i].fused, 1, 1);
        buf_u16(&g->code, (uint16_t)h);
        return true;
    }
    return false;
}

/* Emit an opcode byte and account its stack effect; the operands follow. */
void cg__op(cg *g, bc_op o, int pops, int pushes)
{
    if ((o == OP_IADD || o == OP_ISUB) && fuse_add_imm(g, o))
        return;
    if (fuse_local_arith(g, o))
        return;
    emit_op(g, o, pops, pushes);
}

/* LOAD a; IADDL b; STORE d -> IADD3 d a b (and the other five), d a local of the same type as
 * a and b. True when fused. */
static bool fuse_three(cg *g, uint32_t d)
{
    static const bc_op two[] = {OP_IADDL, OP_ISUBL, OP_FADDL, OP_FSUBL, OP_FMULL, OP_FDIVL};
    static const bc_op three[] = {OP_IADD3, OP_ISUB3, OP_FADD3, OP_FSUB3, OP_FMUL3, OP_FDIV3};
    uint32_t load = tail_is(g, 1, OP_LOAD);
    if (load == UINT32_MAX || !g->fn || (int)d >= g->fn->nlocals)
        return false;
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++) {
        uint32_t at = tail_is(g, 0, two[i]);
        if (at == UINT32_MAX)
            continue;
        const uint8_t *code = (const uint8_t *)g->code.data;
        uint16_t a = bc_u16(code + load + 1), b = bc_u16(code + at + 1);
        int kind = i < 2 ? TY_INT : TY_FLOAT;
        if ((int)a >= g->fn->nlocals || (int)g->fn->local_types[a]->kind != kind ||
            (int)g->fn->local_types[d]->kind != kind)
            return false;
        cut_tail(g, 1);
        emit_op(g, three[i], 0, 0);
        buf_u16(&g->code, (uint16_t)d);
        buf_u16(&g->code, a);
        buf_u16(&g->code, b);
        return true;
    }
    return false;
}

void cg__op_u16(cg *g, bc_op o, uint32_t v, int pops, int pushes)
{
    if (o == OP_STORE && (fuse_inc(g, v) || fuse_three(g, v)))
        return;
    if (o == OP_LOAD) {
        uint32_t at = tail_is(g, 0, OP_LOAD);
        if (at != UINT32_MAX) {
            uint16_t a = bc_u16((const uint8_t *)g->code.data + at + 1);
            cut_tail(g, 0);
            emit_op(g, OP_LOAD2, 0, 2);
            buf_u16(&g->code, a);
            buf_u16(&g->code, (uint16_t)v);
            return;
        }
    }
    if (o == OP_GETF && tail_is(g, 0, OP_DUP) != UINT32_MAX && tail_is(g, 1, OP_LOAD) != UINT32_MAX) {
        /* LOAD h; DUP; GETF k (`o.f += x` with o a local): the copy is read from h again. */
        cut_tail(g, 0);
        uint16_t h = bc_u16((const uint8_t *)g->code.data + g->tail[0] + 1);
        emit_op(g, OP_LOADF, 0, 1);
        buf_u16(&g->code, h);
        buf_u16(&g->code, (uint16_t)v);
        return;
    }
    if (o == OP_GETF) {
        int h = take_loaded_local(g, -1);
        if (h >= 0) {
            emit_op(g, OP_LOADF, 0, 1);
            buf_u16(&g->code, (uint16_t)h);
            buf_u16(&g->code, (uint16_t)v);
            return;
        }
    }
    emit_op(g, o, pops, pushes);
    buf_u16(&g->code, (uint16_t)v);
}

static void put_i32(cg *g, uint32_t at_off, int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (int i = 0; i < 4; i++)
        g->code.data[at_off + i] = (char)(uint8_t)(u >> (8 * i));
}

static void jfix_add(cg *g, jlist *l, uint32_t op_at, uint32_t opnd_at, int depth)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4;
        l->fix = xrealloc(l->fix, (size_t)l->cap * sizeof *l->fix);
    }
    (void)g; /* read only by the assertion, which release builds drop */
    assert(g->errors || l->n == 0 || l->depth == depth);
    l->depth = depth;
    l->fix[l->n++] = (struct cg_fix){op_at, opnd_at};
}

/* A conditional jump (JT, JF) right after an int comparison becomes one compare-and-branch:
 * the comparison is dropped and the fused opcode returned, with the stack as it was before the
 * comparison (the caller then pops its two operands); after NULL; REQ / RNE, a null test.
 * Otherwise o. */
static bc_op fuse_cmp_jump(cg *g, bc_op o, int *pops)
{
    static const struct {
        bc_op cmp, jt, jf;
    } fused[] = {
        {OP_IEQ, OP_JIEQ, OP_JINE}, {OP_INE, OP_JINE, OP_JIEQ}, {OP_ILT, OP_JILT, OP_JIGE},
        {OP_ILE, OP_JILE, OP_JIGT}, {OP_IGT, OP_JIGT, OP_JILE}, {OP_IGE, OP_JIGE, OP_JILT},
    };
    if (o != OP_JT && o != OP_JF)
        return o;
    uint32_t eq = tail_is(g, 0, OP_REQ), ne = tail_is(g, 0, OP_RNE);
    if ((eq != UINT32_MAX || ne != UINT32_MAX) && tail_is(g, 1, OP_NULL) != UINT32_MAX) {
        /* NULL; REQ / RNE: the one reference left is compared with null. */
        cut_tail(g, 1);
        *pops = 1;
        return (eq != UINT32_MAX) == (o == OP_JT) ? OP_JNULL : OP_JNNULL;
    }
    for (size_t i = 0; i < sizeof fused / sizeof fused[0]; i++) {
        uint32_t at = tail_is(g, 0, fused[i].cmp);
        if (at == UINT32_MAX)
            continue;
        cut_tail(g, 0); /* the comparison's operands are back on the stack */
        *pops = 2;
        return o == OP_JT ? fused[i].jt : fused[i].jf;
    }
    return o;
}

/* A conditional jump as fuse_cond_jump makes it: the opcode, the operands it pops, and the
 * operand written before the jump offset (`hj` a local, `ij` an immediate) when it has one. */
typedef struct {
    bc_op op;
    int pops;
    int extra_size;               /* 0, 2 (a local) or 4 (an immediate) */
    uint32_t extra;
} cg_cjump;

/* JILT..JIGE after IIMM c: the immediate forms, JILTI c... */
static const struct {
    bc_op reg, imm;
} jump_imm[] = {
    {OP_JIEQ, OP_JIEQI}, {OP_JINE, OP_JINEI}, {OP_JILT, OP_JILTI},
    {OP_JILE, OP_JILEI}, {OP_JIGT, OP_JIGTI}, {OP_JIGE, OP_JIGEI},
};

/* The conditional jump o after fuse_cmp_jump: an IIMM right before the compare-and-branch
 * becomes its immediate, a LOAD of a bool local right before JT / JF the jump's local. */
static cg_cjump fuse_cond_jump(cg *g, bc_op o)
{
    cg_cjump j = {o, o == OP_JMP ? 0 : 1, 0, 0};
    j.op = fuse_cmp_jump(g, o, &j.pops);
    if (j.op == OP_JT || j.op == OP_JF) {
        uint32_t at = tail_is(g, 0, OP_LOAD);
        if (at != UINT32_MAX && g->fn) {
            uint16_t h = bc_u16((const uint8_t *)g->code.data + at + 1);
            if ((int)h < g->fn->nlocals && g->fn->local_types[h]->kind == TY_BOOL) {
                cut_tail(g, 0);
                return (cg_cjump){j.op == OP_JT ? OP_JTL : OP_JFL, 0, 2, h};
            }
        }
        return j;
    }
    for (size_t i = 0; i < sizeof jump_imm / sizeof jump_imm[0]; i++) {
        if (jump_imm[i].reg != j.op)
            continue;
        uint32_t at = tail_is(g, 0, OP_IIMM);
        if (at == UINT32_MAX)
            break;
        uint32_t c = (uint32_t)bc_i32((const uint8_t *)g->code.data + at + 1);
        cut_tail(g, 0);
        return (cg_cjump){jump_imm[i].imm, 1, 4, c};
    }
    return j;
}

/* Emit the conditional jump j up to its offset, which the caller writes. */
static uint32_t emit_cond_jump(cg *g, const cg_cjump *j)
{
    uint32_t op_at = (uint32_t)g->code.len;
    emit_op(g, j->op, j->pops, 0);
    if (j->extra_size == 2)
        buf_u16(&g->code, (uint16_t)j->extra);
    else if (j->extra_size == 4)
        buf_u32(&g->code, j->extra);
    return op_at;
}

/* A forward jump (JMP, JT, JF) to label l. */
void cg__jump(cg *g, bc_op o, jlist *l)
{
    cg_cjump j = fuse_cond_jump(g, o);
    uint32_t op_at = emit_cond_jump(g, &j);
    jfix_add(g, l, op_at, (uint32_t)g->code.len, g->depth);
    buf_u32(&g->code, 0);
    if (o == OP_JMP)
        g->dead = true;
}

/* A backward jump to an instruction already emitted at `target`. */
static void jump_back(cg *g, bc_op o, uint32_t target)
{
    cg_cjump j = fuse_cond_jump(g, o);
    uint32_t op_at = emit_cond_jump(g, &j);
    buf_u32(&g->code, (uint32_t)(int32_t)((int64_t)target - op_at));
    if (o == OP_JMP)
        g->dead = true;
}

/* The current position as the target of backward jumps to come. */
static uint32_t here(cg *g)
{
    g->label_pc = (uint32_t)g->code.len;
    return g->label_pc;
}

/* Resolve the jumps of l to `target`, and free the list. */
static void resolve(cg *g, jlist *l, uint32_t target)
{
    for (int i = 0; i < l->n; i++)
        put_i32(g, l->fix[i].opnd, (int32_t)((int64_t)target - l->fix[i].op));
    free(l->fix);
    *l = (jlist){0};
}

/* Place label l here: code becomes reachable when some jump targets it. */
void cg__place(cg *g, jlist *l)
{
    if (l->n && !g->errors) {
        /* A JMP to the very next instruction is dropped (the end of a then-block before an
         * empty else, a `continue` that ends a loop body), unless some label was placed
         * after it: a jump resolved to that address would then point past the code. */
        struct cg_fix *last = &l->fix[l->n - 1];
        if (last->opnd + 4 == g->code.len && (uint8_t)g->code.data[last->op] == OP_JMP &&
            g->label_pc <= last->op) {
            g->code.len = last->op;
            while (g->nlines && g->lines[g->nlines - 1].pc >= g->code.len)
                g->nlines--;
            l->n--;
            g->dead = false;
            g->depth = l->depth;
        }
    }
    if (l->n && !g->errors) {
        g->label_pc = (uint32_t)g->code.len;
        if (g->dead) {
            g->dead = false;
            g->depth = l->depth;
        }
        assert(g->depth == l->depth);
    }
    resolve(g, l, (uint32_t)g->code.len);
}

/* ---- small emitters -------------------------------------------------------------------- */

void cg__push_int(cg *g, int64_t v)
{
    if (v >= INT32_MIN && v <= INT32_MAX) {
        cg__op(g, OP_IIMM, 0, 1);
        buf_u32(&g->code, (uint32_t)(int32_t)v);
    } else {
        cg__op_u16(g, OP_KINT, k_int(g, v), 0, 1);
    }
}

void cg__push_float(cg *g, double v) { cg__op_u16(g, OP_KFLT, k_float(g, v), 0, 1); }

void cg__push_str(cg *g, const char *s, size_t len) { cg__op_u16(g, OP_KSTR, k_str(g, s, len), 0, 1); }

/* The zero value of a type (language.md 2). */
static void push_zero(cg *g, const htype *t)
{
    switch (t->kind) {
    case TY_INT:
        cg__push_int(g, 0);
        break;
    case TY_FLOAT:
        cg__push_float(g, 0.0);
        break;
    case TY_BOOL:
        cg__op(g, OP_FALSE, 0, 1);
        break;
    default:
        cg__op_u16(g, OP_NULL, cg__k_type(g, t), 0, 1);
        break;
    }
}

static void load_local(cg *g, int slot) { cg__op_u16(g, OP_LOAD, (uint32_t)slot, 0, 1); }
static void store_local(cg *g, int slot) { cg__op_u16(g, OP_STORE, (uint32_t)slot, 1, 0); }

/* Evaluate e once into a local slot, the store attributed to statement `at`. False when code
 * generation has already failed. */
static bool expr_into_local(cg *g, ast_node *e, const ast_node *at, int slot)
{
    cg__expr(g, e);
    if (cg__off(g))
        return false;
    cg__at(g, at);
    store_local(g, slot);
    return true;
}

/* Load or store a variable symbol: a local slot, a global of this module, or a global of
 * another module through a GLOBAL constant. */
void cg__sym_access(cg *g, const ast_node *at_node, const sym *s, bool store)
{
    switch (s->kind) {
    case SYM_LOCAL:
        if (s->captured) {
            /* A closure's variable: reading goes through its cell; a store here is its
             * binding (a declaration), which makes a new cell (cg_fn.c). Assignments to it
             * go through cg__assign_captured. */
            if (store) {
                cg__op(g, OP_CELL, 1, 1);
                cg__op_u16(g, OP_STORE, (uint32_t)s->cell_slot, 1, 0);
            } else {
                cg__op_u16(g, OP_LOAD, (uint32_t)s->cell_slot, 0, 1);
                cg__op(g, OP_CGET, 1, 1);
            }
            return;
        }
        cg__op_u16(g, store ? OP_STORE : OP_LOAD, (uint32_t)s->index, store, !store);
        return;
    case SYM_GLOBAL:
        if (s->module == g->m)
            cg__op_u16(g, store ? OP_GSTORE : OP_GLOAD, (uint32_t)s->index, store, !store);
        else
            cg__op_u16(g, store ? OP_XSTORE : OP_XLOAD, cg__k_ref(g, BC_K_GLOBAL, s->module, s->name, s->ty), store,
                   !store);
        return;
    case SYM_FN:
        if (!store) {
            cg__fn_value(g, at_node, s);
            return;
        }
        cg__error(g, at_node, "internal error: storing into function '%s'", s->name);
        return;
    default:
        cg__error(g, at_node, "'%s' used as a value is not supported yet", s->name);
        return;
    }
}

/* ---- statements ------------------------------------------------------------------------ */

static void stmt(cg *g, ast_node *s);

/* The variable an assignment target names: E_NAME's symbol or a module member's. */
static const sym *target_sym(const ast_node *t)
{
    if (t->kind == E_NAME)
        return t->sym;
    if (t->kind == E_MEMBER)
        return t->member;
    return NULL;
}

bool cg__assign_rhs(cg *g, ast_node *s, int op, const htype *ty)
{
    if (op >= 0)
        cg__expr(g, s->b);
    else
        cg__expr_to(g, s->b, ty);
    if (cg__off(g))
        return false;
    cg__at(g, s);
    if (op >= 0)
        cg__op(g, (bc_op)op, 2, 1);
    return true;
}

static void assign(cg *g, ast_node *s)
{
    ast_node *t = s->a;
    while (t->kind == E_CONV) /* a target is never converted; look through defensively */
        t = t->a;
    bool compound = s->op != TOK_EQ && s->op != '='; /* the token, or the character */
    int o = -1;
    if (compound) {
        o = cg__arith_op(tok_compound_base(s->op), t->ty->kind);
        if (o < 0) {
            cg__error(g, s, "operator '%s' is not supported by code generation", cg__tok_name(s->op));
            return;
        }
    }
    if (t->kind == E_INDEX) {
        ty_kind ck = t->a->ty->kind;
        if (ck != TY_LIST && ck != TY_MAP) {
            cg__error(g, s, "assigning to an element of %s is not supported", ty_name(t->a->ty));
            return;
        }
        const htype *elem = t->a->ty->elem;
        bc_op set = ck == TY_LIST ? OP_LSET : OP_MSET;
        if (!compound) {
            cg__expr(g, t->a);
            cg__expr(g, t->b);
            cg__expr_to(g, s->b, elem);
            if (cg__off(g))
                return;
            cg__at(g, s);
            cg__op(g, set, 3, 0);
            return;
        }
        /* Container and index are evaluated once, into the two hidden slots. */
        int h = s->hidden;
        if (!expr_into_local(g, t->a, s, h) || !expr_into_local(g, t->b, s, h + 1))
            return;
        load_local(g, h);
        load_local(g, h + 1);
        load_local(g, h);
        load_local(g, h + 1);
        cg__op(g, cg__index_get(ck), 2, 1);
        if (!cg__assign_rhs(g, s, o, elem))
            return;
        cg__op(g, set, 3, 0);
        return;
    }
    if (t->kind == E_MEMBER && t->cmem) {
        cg__field_assign(g, s, o); /* a field of a class: SETF */
        return;
    }
    const sym *v = target_sym(t);
    if (!v) {
        cg__error(g, s, "assigning to %s is not supported yet", ast_kind_names[t->kind]);
        return;
    }
    if (v->kind == SYM_LOCAL && v->captured) {
        cg__assign_captured(g, s, v, o); /* through its cell */
        return;
    }
    if (compound) {
        cg__at(g, s);
        cg__sym_access(g, t, v, false);
    }
    if (!cg__assign_rhs(g, s, o, v->ty))
        return;
    cg__sym_access(g, t, v, true);
}

static void let(cg *g, ast_node *s)
{
    const sym *v = s->sym;
    if (!v) {
        cg__error(g, s, "internal error: declaration of '%s' without a symbol", s->name);
        return;
    }
    if (s->a) {
        cg__expr_to(g, s->a, v->ty);
    } else {
        cg__at(g, s);
        push_zero(g, v->ty); /* inside a loop the variable must start at zero every time */
    }
    if (cg__off(g))
        return;
    cg__at(g, s);
    cg__sym_access(g, s, v, true);
}

/* The only statement of a block (or the statement itself), or NULL. */
static ast_node *single(ast_node *b)
{
    while (b && b->kind == S_BLOCK)
        b = b->list.n == 1 ? b->list.items[0] : NULL;
    return b;
}

/* A statement that emits nothing: an empty block, or blocks of them. */
static bool is_empty(const ast_node *b)
{
    if (!b)
        return true;
    if (b->kind != S_BLOCK)
        return false;
    for (int i = 0; i < b->list.n; i++)
        if (!is_empty(b->list.items[i]))
            return false;
    return true;
}

static void if_stmt(cg *g, ast_node *s)
{
    jlist els = {0};
    ast_node *els_stmt = is_empty(s->c) ? NULL : s->c; /* `else { }` is no else */
    ast_node *only = els_stmt ? NULL : single(s->b);
    if (only && g->loop && g->loop->try_ == g->try_ && (only->kind == S_BREAK || only->kind == S_CONTINUE)) {
        /* `if c { break }` and `if c { continue }` jump straight to the loop's label. */
        cg__at(g, only);
        if (only->kind == S_BREAK) {
            cg__branch(g, s->a, true, &g->loop->brk);
        } else if (g->loop->cont_pc < 0) {
            cg__branch(g, s->a, true, &g->loop->cont);
        } else {
            jlist back = {0};
            cg__branch(g, s->a, true, &back);
            resolve(g, &back, (uint32_t)g->loop->cont_pc);
        }
        return;
    }
    cg__branch(g, s->a, false, &els);
    stmt(g, s->b);
    if (els_stmt) {
        jlist end = {0};
        if (!cg__off(g)) {
            cg__at(g, s);
            cg__jump(g, OP_JMP, &end);
        }
        cg__place(g, &els);
        stmt(g, els_stmt);
        cg__place(g, &end);
    } else {
        cg__place(g, &els);
    }
}

static void enter_loop(cg *g, loop_cx *l, int64_t cont_pc)
{
    *l = (loop_cx){.cont_pc = cont_pc, .outer = g->loop, .try_ = g->try_};
    g->loop = l;
}

static void while_stmt(cg *g, ast_node *s)
{
    jlist exit = {0};
    cg__branch(g, s->a, false, &exit);
    if (!cg__off(g)) {
        loop_cx l;
        uint32_t top = here(g);
        enter_loop(g, &l, -1);
        stmt(g, s->b);
        g->loop = l.outer;
        cg__place(g, &l.cont);
        jlist again = {0};
        cg__branch(g, s->a, true, &again);
        resolve(g, &again, top);
        cg__place(g, &exit);
        cg__place(g, &l.brk);
    } else {
        cg__place(g, &exit);
    }
}

static void for_range(cg *g, ast_node *s)
{
    int i = s->slot, end = s->hidden;
    jlist exit = {0};
    loop_cx l;
    if (!expr_into_local(g, s->a, s, i) || !expr_into_local(g, s->c, s, end))
        return;
    load_local(g, i);
    load_local(g, end);
    cg__op(g, OP_ILT, 2, 1);
    cg__jump(g, OP_JF, &exit);
    uint32_t top = here(g);
    enter_loop(g, &l, -1);
    cg__bind_cell(g, s->sym); /* each iteration's variable is a new one (cg_fn.c) */
    stmt(g, s->b);
    g->loop = l.outer;
    cg__place(g, &l.cont);
    if (!cg__off(g)) {
        cg__at(g, s);
        load_local(g, i);
        cg__push_int(g, 1);
        cg__op(g, OP_IADD, 2, 1);
        store_local(g, i);
        load_local(g, i);
        load_local(g, end);
        cg__op(g, OP_ILT, 2, 1);
        jump_back(g, OP_JT, top);
    }
    cg__place(g, &exit);
    cg__place(g, &l.brk);
}

/* for over a list or a map: the iterator lives in the hidden slots (container, position,
 * modification count), as LITER/LNEXT and MITER/MNEXT define. */
static void for_each(cg *g, ast_node *s)
{
    bool is_map = s->a->ty->kind == TY_MAP;
    int h = s->hidden;
    jlist exit = {0};
    loop_cx l;
    cg__expr(g, s->a);
    if (cg__off(g))
        return;
    cg__at(g, s);
    cg__op_u16(g, is_map ? OP_MITER : OP_LITER, (uint32_t)h, 1, 0);
    uint32_t top = here(g);
    cg__op_u16(g, is_map ? OP_MNEXT : OP_LNEXT, (uint32_t)h, 0, 0);
    jfix_add(g, &exit, top, (uint32_t)g->code.len, g->depth);
    buf_u32(&g->code, 0);
    if (is_map) {
        stack(g, 0, 2);
        if (s->name2) {
            store_local(g, s->slot2);
            store_local(g, s->slot);
        } else {
            cg__op(g, OP_POP, 1, 0);
            store_local(g, s->slot);
        }
    } else {
        stack(g, 0, 1);
        if (s->name2) {
            /* for i, x: the element, then the index, which LNEXT has already advanced. */
            store_local(g, s->slot2);
            load_local(g, h + 1);
            cg__push_int(g, 1);
            cg__op(g, OP_ISUB, 2, 1);
            store_local(g, s->slot);
        } else {
            store_local(g, s->slot);
        }
    }
    cg__bind_cell(g, s->sym); /* each iteration's variables are new ones (cg_fn.c) */
    cg__bind_cell(g, s->member);
    enter_loop(g, &l, top);
    stmt(g, s->b);
    g->loop = l.outer;
    if (!cg__off(g)) {
        cg__at(g, s);
        jump_back(g, OP_JMP, top);
    }
    cg__place(g, &exit);
    cg__place(g, &l.brk);
}

static void stmt(cg *g, ast_node *s)
{
    if (cg__off(g) || !s)
        return;
    switch (s->kind) {
    case S_BLOCK:
        for (int i = 0; i < s->list.n && !cg__off(g); i++)
            stmt(g, s->list.items[i]);
        return;
    case S_LET:
        let(g, s);
        return;
    case S_ASSIGN:
        assign(g, s);
        return;
    case S_EXPR:
    expression: {
        int d = g->depth;
        cg__expr(g, s->kind == S_EXPR ? s->a : s);
        if (!cg__off(g) && g->depth > d) {
            cg__at(g, s);
            cg__op(g, OP_POP, 1, 0);
        }
        return;
    }
    case S_IF:
        if_stmt(g, s);
        return;
    case S_WHILE:
        while_stmt(g, s);
        return;
    case S_FOR:
        if (s->c)
            for_range(g, s);
        else
            for_each(g, s);
        return;
    case S_BREAK:
        if (!g->loop) {
            cg__error(g, s, "internal error: %s outside a loop", "break");
            return;
        }
        cg__at(g, s);
        if (g->try_ != g->loop->try_)
            cg__leave_tries(g, g->loop->try_);
        if (cg__off(g))
            return;
        cg__jump(g, OP_JMP, &g->loop->brk);
        return;
    case S_CONTINUE:
        if (!g->loop) {
            cg__error(g, s, "internal error: %s outside a loop", "continue");
            return;
        }
        cg__at(g, s);
        if (g->try_ != g->loop->try_)
            cg__leave_tries(g, g->loop->try_);
        if (cg__off(g))
            return;
        if (g->loop->cont_pc >= 0)
            jump_back(g, OP_JMP, (uint32_t)g->loop->cont_pc);
        else
            cg__jump(g, OP_JMP, &g->loop->cont);
        return;
    case S_RETURN:
        if (g->try_ && cg__try_return(g, s))
            return;
        if (s->a)
            cg__expr_to(g, s->a, g->ret);
        if (cg__off(g))
            return;
        cg__at(g, s);
        cg__op(g, s->a ? OP_RETV : OP_RET, s->a ? 1 : 0, 0);
        g->dead = true;
        return;
    case D_CLASS:   /* the class section and the functions of its members */
    case D_INTERFACE:
    case D_FN:      /* generated as a function of its own; a nested one is a local */
        if (s->sym && s->sym->kind == SYM_LOCAL)
            cg__nested_fn(g, s);
        return;
    case S_THROW:
        cg__throw(g, s);
        return;
    case S_TRY:
        cg__try(g, s);
        return;
    case S_IMPORT:  /* MODULE constants, first in the pool */
        return;
    default:
        if (s->kind <= E_CONV) /* an expression where a statement belongs */
            goto expression;
        cg__error(g, s, "%s is not supported yet", ast_kind_names[s->kind]);
        return;
    }
}

/* ---- functions and the module ---------------------------------------------------------- */

static void gen_fn(cg *g, ast_fn *fn, int index, bc_function *out)
{
    bool is_main = index == 0;
    const char *name = is_main ? "<main>" : fn->bc_name ? fn->bc_name : fn->name ? fn->name : "<fn>";
    const htype *ty = fn->ty;
    ast_node *body = is_main && !fn->body ? g->m->root : fn->body;

    out->name = k_cstr(g, name);
    out->type = is_main ? k_desc(g, "()V") : cg__k_type(g, ty);
    out->flags = name[0] == '_' ? BC_PRIVATE : 0;
    out->nparams = (uint16_t)(is_main || !ty ? 0 : ty->nparams);
    out->ncaps = (uint16_t)fn->ncaps; /* a closure's cells: locals 0 .. ncaps-1 */
    if (fn->nlocals > UINT16_MAX) {
        cg__error(g, body, "function '%s' has more than 65535 local variables", name);
        return;
    }
    out->nlocals = (uint16_t)fn->nlocals;
    out->local_types = xmalloc((fn->nlocals ? (size_t)fn->nlocals : 1) * sizeof *out->local_types);
    for (int i = 0; i < fn->nlocals; i++)
        out->local_types[i] = cg__k_type(g, fn->local_types[i]);

    g->fn = fn;
    g->ret = is_main || !ty ? NULL : ty->ret;
    buf_reset(&g->code);
    g->depth = g->max = 0;
    g->nlines = 0;
    g->line = body && body->line > 0 ? body->line : 1;
    g->dead = false;
    g->label_pc = 0;
    for (int i = 0; i < CG_TAIL; i++)
        g->tail[i] = UINT32_MAX;
    g->loop = NULL;
    g->try_ = NULL;
    g->nhandlers = 0;

    if (fn->is_native && !is_main) {
        cg__error(g, body, "internal error: native function '%s' among the module's functions", name);
    } else if (fn->forward) {
        cg__forward_body(g, fn);
    } else {
        cg__prologue(g, fn);
        stmt(g, body);
    }
    if (!cg__off(g)) {
        /* The end is reachable: a function that returns nothing returns here. (The checker
         * rejects a missing return elsewhere; the zero value keeps the output valid anyway.) */
        if (g->ret && g->ret->kind != TY_VOID) {
            push_zero(g, g->ret);
            cg__op(g, OP_RETV, 1, 0);
        } else {
            cg__op(g, OP_RET, 0, 0);
        }
    }
    if (g->errors)
        return;
    size_t len;
    out->max_stack = (uint16_t)g->max;
    if (g->max > UINT16_MAX)
        cg__error(g, body, "function '%s' needs more than 65535 operand stack slots", name);
    out->code = (uint8_t *)buf_take(&g->code, &len);
    out->code_len = (uint32_t)len;
    out->nlines = g->nlines;
    out->lines = xmalloc((g->nlines ? g->nlines : 1) * sizeof *out->lines);
    memcpy(out->lines, g->lines, g->nlines * sizeof *out->lines);
    if (g->nhandlers > UINT16_MAX)
        cg__error(g, body, "function '%s' has more than 65535 exception handlers", name);
    out->nhandlers = (uint16_t)g->nhandlers;
    if (g->nhandlers) {
        out->handlers = xmalloc(g->nhandlers * sizeof *out->handlers);
        memcpy(out->handlers, g->handlers, g->nhandlers * sizeof *out->handlers);
    }
}

void cg__stmt(cg *g, ast_node *s) { stmt(g, s); }

bc_module *cg_module(compiler *c, cmodule *m)
{
    cg g = {.c = c, .m = m, .nk = 1};
    buf_init(&g.code);

    /* One MODULE constant per import, in import order, before anything else: the interpreter
     * runs the imported modules' top levels in the order of the MODULE constants. Their name
     * strings follow them, so the names are filled in once the slots are taken, and the hash
     * (which saw the placeholders) is rebuilt. */
    g.capk = 64 + 2 * (uint32_t)(m->nimports > 0 ? m->nimports : 0);
    g.k = xcalloc(g.capk, sizeof *g.k);
    int *uniq = xmalloc((m->nimports > 0 ? (size_t)m->nimports : 1) * sizeof *uniq);
    int nuniq = 0;
    for (int i = 0; i < m->nimports && i < UINT16_MAX / 2; i++) {
        if (!m->imports[i])
            continue;
        bool seen = false;
        for (int j = 0; j < nuniq && !seen; j++)
            seen = m->imports[uniq[j]] == m->imports[i] || strcmp(m->imports[uniq[j]]->name, m->imports[i]->name) == 0;
        if (!seen)
            uniq[nuniq++] = i;
    }
    for (int i = 0; i < nuniq; i++)
        g.k[g.nk++] = (bc_const){.tag = BC_K_MODULE,
                                 .u.mod.version = m->imports[uniq[i]]->is_std ? HOLT_STD_VERSION : 0};
    for (int i = 0; i < nuniq; i++) {
        uint16_t name = k_cstr(&g, m->imports[uniq[i]]->name); /* may move g.k */
        g.k[1 + i].u.mod.name = name;
    }
    free(uniq);
    if (g.khcap) {
        memset(g.kh, 0, g.khcap * sizeof *g.kh);
        for (uint32_t i = 1; i < g.nk; i++)
            kh_insert(&g, i);
    }

    bc_module *bc = xcalloc(1, sizeof *bc);
    bc->name = xstrdup(m->name);
    bc->path = xstrdup(m->path ? m->path : m->name);

    if (m->nglobals > UINT16_MAX || m->nfuncs > UINT16_MAX || m->nfuncs < 1) {
        cg__error(&g, m->root, "module '%s' has too many globals or functions", m->name);
    } else {
        bc->nglobals = (uint16_t)m->nglobals;
        bc->globals = xcalloc(m->nglobals ? (size_t)m->nglobals : 1, sizeof *bc->globals);
        for (int i = 0; i < m->nglobals; i++) {
            ast_node *d = m->globals[i];
            const htype *t = d->sym ? d->sym->ty : d->ty;
            bc->globals[i].name = k_cstr(&g, d->name);
            bc->globals[i].type = cg__k_type(&g, t);
            bc->globals[i].flags = (uint16_t)((d->is_var ? BC_GLOBAL_MUTABLE : 0) | (d->name[0] == '_' ? BC_PRIVATE : 0));
        }
        bc->nfuncs = (uint16_t)m->nfuncs;
        bc->funcs = xcalloc((size_t)m->nfuncs, sizeof *bc->funcs);
        bc->main = 0;
        for (int i = 0; i < m->nfuncs && !g.errors; i++)
            gen_fn(&g, m->funcs[i], i, &bc->funcs[i]);
        if (!g.errors)
            cg__classes(&g, bc);
    }

    bc->nconsts = g.nk;
    bc->consts = g.k;
    free(g.kh);
    free(g.lines);
    free(g.handlers);
    buf_free(&g.code);
    if (g.errors) {
        bc_module_free(bc);
        return NULL;
    }
    return bc;
}

/* cg_expr.c — expressions, calls and conditions for the code generator (codegen.c).
 *
 * Every expression leaves exactly its value on the operand stack (nothing for a call of a
 * function that returns nothing), typed exactly as the checker typed it: the verifier
 * compares types exactly, so a null literal is emitted with the type its context needs, and
 * conversions happen only where the checker put an E_CONV node.
 */
#include <assert.h>
#include <string.h>

#include "codegen_int.h"

static bool is_ref_kind(ty_kind k)
{
    return k == TY_STR || k == TY_ANY || k == TY_LIST || k == TY_MAP || k == TY_FN || k == TY_CLASS ||
           k == TY_NULL;
}

/* ---- expressions ----------------------------------------------------------------------- */

/* The operator of an E_UNARY as a token kind (the parser may store the character itself). */
static int unary_tok(const ast_node *e)
{
    switch (e->op) {
    case '-': return TOK_MINUS;
    case '!': return TOK_BANG;
    case '~': return TOK_TILDE;
    default: return e->op;
    }
}

/* A literal int, possibly negated or complemented: folded so that `-1` is one IIMM and
 * -9223372036854775808 one KINT. Wrapping as INEG and INOT would. */
static bool const_int(const ast_node *e, int64_t *v)
{
    if (e->kind == E_INT) {
        *v = e->u.i;
        return true;
    }
    int tok = e->kind == E_UNARY ? unary_tok(e) : -1;
    if ((tok == TOK_MINUS || tok == TOK_TILDE) && e->ty && e->ty->kind == TY_INT && const_int(e->a, v)) {
        *v = tok == TOK_MINUS ? (int64_t)(0 - (uint64_t)*v) : ~*v;
        return true;
    }
    return false;
}

/* An expression of type `want` where `null` must take exactly that type (the verifier
 * compares stored and passed types exactly). */
void cg__expr_to(cg *g, ast_node *e, const htype *want)
{
    if (cg__off(g))
        return;
    if (e->kind == E_NULL && want && is_ref_kind(want->kind) && want->kind != TY_NULL) {
        cg__at(g, e);
        cg__op_u16(g, OP_NULL, cg__k_type(g, want), 0, 1);
        return;
    }
    cg__expr(g, e);
}

/* Whether e is an implicit conversion to any of a value that str() can print directly. */
static ast_node *strip_any(ast_node *e)
{
    if (e->kind == E_CONV && e->ty && e->ty->kind == TY_ANY && e->a->ty && e->a->ty->kind != TY_NULL)
        return e->a;
    return e;
}

/* A str expression that can never be null: a literal, an interpolation, a concatenation. */
static bool never_null(const ast_node *e)
{
    return e->ty && e->ty->kind == TY_STR &&
           (e->kind == E_STR || e->kind == E_INTERP || (e->kind == E_BINARY && e->op == TOK_PLUS));
}

/* str(x) of an expression, by its own type. A str is itself unless null (then "null"). */
static void to_str(cg *g, ast_node *x)
{
    x = strip_any(x);
    cg__expr(g, x);
    if (cg__off(g) || never_null(x))
        return;
    cg__at(g, x);
    cg__op_u16(g, OP_TOSTR, cg__k_type(g, x->ty), 1, 1);
}

static void conv(cg *g, ast_node *e)
{
    const htype *to = e->ty, *from = e->a->ty;
    int64_t v;
    if (e->a->kind == E_NULL) {
        cg__at(g, e);
        cg__op_u16(g, OP_NULL, cg__k_type(g, to), 0, 1);
        return;
    }
    if (from == to) {
        cg__expr(g, e->a);
        return;
    }
    if (to->kind == TY_FLOAT && from->kind == TY_INT) {
        if (const_int(e->a, &v)) {
            cg__at(g, e);
            cg__push_float(g, (double)v);
            return;
        }
        cg__expr(g, e->a);
        if (!cg__off(g)) {
            cg__at(g, e);
            cg__op(g, OP_I2F, 1, 1);
        }
        return;
    }
    if (to->kind == TY_ANY) {
        cg__expr(g, e->a);
        if (cg__off(g))
            return;
        cg__at(g, e);
        switch (from->kind) {
        case TY_INT: cg__op(g, OP_BOXI, 1, 1); break;
        case TY_FLOAT: cg__op(g, OP_BOXF, 1, 1); break;
        case TY_BOOL: cg__op(g, OP_BOXZ, 1, 1); break;
        default: cg__op(g, OP_TOANY, 1, 1); break;
        }
        return;
    }
    cg__error(g, e, "conversion to %s is not supported yet", ty_name(to));
}

static void interp(cg *g, ast_node *e)
{
    int parts = 0;
    for (int i = 0; i < e->list.n; i++)
        if (e->list.items[i]->kind != E_STR || e->list.items[i]->u.s.len > 0)
            parts++;
    if (parts <= 1) {
        /* A single expression still goes through TOSTR: "{s}" of a null s is "null". */
        for (int i = 0; i < e->list.n; i++) {
            ast_node *p = e->list.items[i];
            if (p->kind == E_STR && p->u.s.len == 0)
                continue;
            if (p->kind == E_STR) {
                cg__at(g, p);
                cg__push_str(g, p->u.s.str, p->u.s.len);
            } else {
                to_str(g, p);
            }
            return;
        }
        cg__at(g, e);
        cg__push_str(g, "", 0);
        return;
    }
    /* SCATN takes at most 255 pieces: every 255 on the stack are joined into one and the
     * joining goes on from there. A str piece needs no TOSTR: SCATN prints null as null. */
    int on_stack = 0;
    for (int i = 0; i < e->list.n && !cg__off(g); i++) {
        ast_node *p = strip_any(e->list.items[i]);
        if (p->kind == E_STR) {
            if (p->u.s.len == 0)
                continue;
            cg__at(g, p);
            cg__push_str(g, p->u.s.str, p->u.s.len);
        } else if (p->ty && p->ty->kind == TY_STR) {
            cg__expr(g, p);
        } else {
            to_str(g, p);
        }
        if (++on_stack == 255 && !cg__off(g)) {
            cg__at(g, e);
            cg__op(g, OP_SCATN, 255, 1);
            buf_u8(&g->code, 255);
            on_stack = 1;
        }
    }
    if (on_stack > 1 && !cg__off(g)) {
        cg__at(g, e);
        cg__op(g, OP_SCATN, on_stack, 1);
        buf_u8(&g->code, (uint8_t)on_stack);
    }
}

/* The arithmetic opcode of a binary operator token on operands of kind k, or -1. */
int cg__arith_op(int tok, ty_kind k)
{
    if (k == TY_INT) {
        switch (tok) {
        case TOK_PLUS: return OP_IADD;
        case TOK_MINUS: return OP_ISUB;
        case TOK_STAR: return OP_IMUL;
        case TOK_SLASH: return OP_IDIV;
        case TOK_PERCENT: return OP_IMOD;
        case TOK_AMP: return OP_IAND;
        case TOK_PIPE: return OP_IOR;
        case TOK_CARET: return OP_IXOR;
        case TOK_SHL: return OP_ISHL;
        case TOK_SHR: return OP_ISHR;
        default: return -1;
        }
    }
    if (k == TY_FLOAT) {
        switch (tok) {
        case TOK_PLUS: return OP_FADD;
        case TOK_MINUS: return OP_FSUB;
        case TOK_STAR: return OP_FMUL;
        case TOK_SLASH: return OP_FDIV;
        case TOK_PERCENT: return OP_FMOD;
        default: return -1;
        }
    }
    if (k == TY_STR && tok == TOK_PLUS)
        return OP_SCAT;
    return -1;
}

/* The comparison opcode of a token for operands a and b, or -1. */
static int compare_op(int tok, const ast_node *a, const ast_node *b)
{
    static const struct {
        int tok;
        int i, f, s, z, r;
    } tab[] = {
        {TOK_EQEQ, OP_IEQ, OP_FEQ, OP_SEQ, OP_ZEQ, OP_REQ},
        {TOK_NE, OP_INE, OP_FNE, OP_SNE, OP_ZNE, OP_RNE},
        {TOK_LT, OP_ILT, OP_FLT, OP_SLT, -1, -1},
        {TOK_LE, OP_ILE, OP_FLE, OP_SLE, -1, -1},
        {TOK_GT, OP_IGT, OP_FGT, OP_SGT, -1, -1},
        {TOK_GE, OP_IGE, OP_FGE, OP_SGE, -1, -1},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (tab[i].tok != tok)
            continue;
        /* A comparison with the null literal is one of identity, whatever the other side. */
        if (a->kind == E_NULL || b->kind == E_NULL)
            return tab[i].r;
        switch (a->ty->kind) {
        case TY_INT: return tab[i].i;
        case TY_FLOAT: return tab[i].f;
        case TY_STR: return tab[i].s;
        case TY_BOOL: return tab[i].z;
        default: return tab[i].r;
        }
    }
    return -1;
}

static void binary(cg *g, ast_node *e)
{
    if (e->op == TOK_ANDAND || e->op == TOK_OROR) {
        jlist end = {0};
        cg__expr(g, e->a);
        if (cg__off(g))
            return;
        cg__at(g, e);
        cg__op(g, OP_DUP, 0, 1);
        cg__jump(g, e->op == TOK_ANDAND ? OP_JF : OP_JT, &end);
        cg__op(g, OP_POP, 1, 0);
        cg__expr(g, e->b);
        cg__place(g, &end);
        return;
    }
    int o = compare_op(e->op, e->a, e->b);
    if (o < 0)
        o = cg__arith_op(e->op, e->ty->kind);
    if (o < 0) {
        cg__error(g, e, "operator '%s' is not supported by code generation", cg__tok_name(e->op));
        return;
    }
    /* The null literal of an identity comparison takes the other side's type when it has one. */
    cg__expr_to(g, e->a, e->a->kind == E_NULL ? e->b->ty : NULL);
    cg__expr_to(g, e->b, e->b->kind == E_NULL ? e->a->ty : NULL);
    if (cg__off(g))
        return;
    cg__at(g, e);
    cg__op(g, (bc_op)o, 2, 1);
}

static void unary(cg *g, ast_node *e)
{
    int64_t v;
    if (const_int(e, &v)) {
        cg__at(g, e);
        cg__push_int(g, v);
        return;
    }
    int tok = unary_tok(e);
    if (tok == TOK_MINUS && e->a->kind == E_FLOAT) {
        cg__at(g, e);
        cg__push_float(g, -e->a->u.f);
        return;
    }
    cg__expr(g, e->a);
    if (cg__off(g))
        return;
    cg__at(g, e);
    switch (tok) {
    case TOK_MINUS:
        cg__op(g, e->ty->kind == TY_FLOAT ? OP_FNEG : OP_INEG, 1, 1);
        break;
    case TOK_BANG:
        cg__op(g, OP_NOT, 1, 1);
        break;
    case TOK_TILDE:
        cg__op(g, OP_INOT, 1, 1);
        break;
    default:
        cg__error(g, e, "operator '%s' is not supported by code generation", cg__tok_name(tok));
        break;
    }
}

/* The opcode reading a[i] for a container of kind k. */
bc_op cg__index_get(ty_kind k) { return k == TY_STR ? OP_SGET : k == TY_MAP ? OP_MGET : OP_LGET; }

static void list_lit(cg *g, ast_node *e)
{
    const htype *elem = e->ty->elem;
    uint16_t k = cg__k_type(g, e->ty);
    int n = e->list.n, first = n < 255 ? n : 255;
    for (int i = 0; i < first; i++)
        cg__expr_to(g, e->list.items[i], elem);
    if (cg__off(g))
        return;
    cg__at(g, e);
    cg__op_u16(g, OP_NEWLIST, k, first, 1);
    buf_u8(&g->code, (uint8_t)first);
    /* NEWLIST counts to 255; longer literals push the rest one by one. */
    for (int i = first; i < n && !cg__off(g); i++) {
        cg__op(g, OP_DUP, 0, 1);
        cg__expr_to(g, e->list.items[i], elem);
        if (!cg__off(g)) {
            cg__at(g, e);
            cg__op(g, OP_LPUSH, 2, 0);
        }
    }
}

static void map_lit(cg *g, ast_node *e)
{
    const htype *key = e->ty->key, *val = e->ty->elem;
    uint16_t k = cg__k_type(g, e->ty);
    int pairs = e->list.n / 2, first = pairs < 255 ? pairs : 255;
    for (int i = 0; i < first; i++) {
        cg__expr_to(g, e->list.items[2 * i], key);
        cg__expr_to(g, e->list.items[2 * i + 1], val);
    }
    if (cg__off(g))
        return;
    cg__at(g, e);
    cg__op_u16(g, OP_NEWMAP, k, 2 * first, 1);
    buf_u8(&g->code, (uint8_t)first);
    for (int i = first; i < pairs && !cg__off(g); i++) {
        cg__op(g, OP_DUP, 0, 1);
        cg__expr_to(g, e->list.items[2 * i], key);
        cg__expr_to(g, e->list.items[2 * i + 1], val);
        if (!cg__off(g)) {
            cg__at(g, e);
            cg__op(g, OP_MSET, 3, 0);
        }
    }
}

/* Push call arguments, each as its parameter's type. `skip` parameters (a method's receiver)
 * are not among the arguments. */
static void args(cg *g, ast_node *e, const htype *fnty, int skip)
{
    for (int i = 0; i < e->list.n; i++) {
        int p = i + skip;
        cg__expr_to(g, e->list.items[i], fnty && p < fnty->nparams ? fnty->params[p] : NULL);
    }
}

/* CALL, CALLX or CALLN with the stack effect of function type t. */
static void call_op(cg *g, bc_op o, uint32_t operand, const htype *t)
{
    cg__op_u16(g, o, operand, t->nparams, t->ret && t->ret->kind != TY_VOID);
}

static void call_builtin(cg *g, ast_node *e, builtin_id b)
{
    ast_node *x = e->list.n > 0 ? e->list.items[0] : NULL;
    int64_t v;
    switch (b) {
    case BI_PRINT:
        if (x) {
            to_str(g, x);
        } else {
            cg__at(g, e);
            cg__push_str(g, "", 0);
        }
        if (cg__off(g))
            return;
        cg__at(g, e);
        cg__op_u16(g, OP_CALLN, cg__k_native(g, "print", "(S)V"), 1, 0);
        return;
    case BI_STR:
        if (x)
            to_str(g, x);
        return;
    case BI_INT:
        if (!x)
            return;
        if (x->kind == E_CONV && x->a->ty && x->a->ty->kind == TY_INT) {
            cg__expr(g, x->a); /* int() of an int is the int itself */
            return;
        }
        cg__expr(g, x);
        if (!cg__off(g)) {
            cg__at(g, e);
            cg__op(g, OP_F2I, 1, 1);
        }
        return;
    case BI_FLOAT:
        if (!x)
            return;
        if (const_int(x, &v)) {
            cg__at(g, e);
            cg__push_float(g, (double)v);
            return;
        }
        cg__expr(g, x);
        if (!cg__off(g) && x->ty && x->ty->kind == TY_INT) {
            cg__at(g, e);
            cg__op(g, OP_I2F, 1, 1);
        }
        return;
    default: {
        static const struct {
            builtin_id id;
            const char *name, *desc;
            int nparams, returns;
        } natives[] = {
            {BI_CHR, "chr", "(I)S", 1, 1},
            {BI_ASSERT, "assert", "(ZS)V", 2, 0},
            {BI_INPUT, "input", "()S", 0, 1},
            {BI_CLOCK, "clock", "()F", 0, 1},
        };
        for (size_t i = 0; i < sizeof natives / sizeof natives[0]; i++) {
            if (natives[i].id != b)
                continue;
            for (int a = 0; a < e->list.n; a++)
                cg__expr(g, e->list.items[a]);
            if (cg__off(g))
                return;
            cg__at(g, e);
            cg__op_u16(g, OP_CALLN, cg__k_native(g, natives[i].name, natives[i].desc), natives[i].nparams,
                   natives[i].returns);
            return;
        }
        cg__error(g, e, "built-in function '%s' is not supported by code generation", "?");
        return;
    }
    }
}

/* Methods of built-in types that have their own opcodes. */
static const struct {
    const char *native;
    bc_op op;
    int pops, pushes;
} method_ops[] = {
    {"str.len", OP_SLEN, 1, 1},
    {"list.len", OP_LLEN, 1, 1},
    {"list.push", OP_LPUSH, 2, 0},
    {"map.len", OP_MLEN, 1, 1},
};

static void call(cg *g, ast_node *e)
{
    call_info *ci = e->call;
    if (!ci) {
        cg__error(g, e, "internal error: call without %s", "call information");
        return;
    }
    switch (ci->kind) {
    case CALL_FN: {
        sym *t = ci->target;
        args(g, e, t->ty, 0);
        if (cg__off(g))
            return;
        cg__at(g, e);
        if (t->is_native)
            call_op(g, OP_CALLN, cg__k_native_fn(g, t->module, t->name, t->ty), t->ty);
        else if (t->module == g->m)
            call_op(g, OP_CALL, (uint32_t)t->index, t->ty);
        else
            call_op(g, OP_CALLX, cg__k_ref(g, BC_K_FUNC, t->module, t->name, t->ty), t->ty);
        return;
    }
    case CALL_NATIVE:
        args(g, e, ci->sig, 0);
        if (cg__off(g))
            return;
        cg__at(g, e);
        call_op(g, OP_CALLN, cg__k_native(g, ci->native, ci->sig->desc), ci->sig);
        return;
    case CALL_METHOD: {
        ast_node *recv = ci->receiver ? ci->receiver : (e->a && e->a->kind == E_MEMBER ? e->a->a : NULL);
        if (!recv) {
            cg__error(g, e, "internal error: method call without %s", "a receiver");
            return;
        }
        cg__expr(g, recv);
        args(g, e, ci->sig, 1);
        if (cg__off(g))
            return;
        cg__at(g, e);
        for (size_t i = 0; i < sizeof method_ops / sizeof method_ops[0]; i++) {
            if (strcmp(ci->native, method_ops[i].native) == 0) {
                cg__op(g, method_ops[i].op, method_ops[i].pops, method_ops[i].pushes);
                return;
            }
        }
        call_op(g, OP_CALLN, cg__k_native(g, ci->native, ci->sig->desc), ci->sig);
        return;
    }
    case CALL_BUILTIN:
        call_builtin(g, e, ci->builtin);
        return;
    case CALL_NEW:
    case CALL_VIRTUAL:
    case CALL_SUPER:
    case CALL_STATIC:
        cg__class_call(g, e);
        return;
    case CALL_VALUE:
        cg__call_value(g, e);
        return;
    default:
        cg__error(g, e, "calling a %s is not supported yet", "function value");
        return;
    }
}

void cg__expr(cg *g, ast_node *e)
{
    if (cg__off(g))
        return;
    switch (e->kind) {
    case E_INT:
        cg__at(g, e);
        cg__push_int(g, e->u.i);
        return;
    case E_FLOAT:
        cg__at(g, e);
        cg__push_float(g, e->u.f);
        return;
    case E_STR:
        cg__at(g, e);
        cg__push_str(g, e->u.s.str, e->u.s.len);
        return;
    case E_BOOL:
        cg__at(g, e);
        cg__op(g, e->u.b ? OP_TRUE : OP_FALSE, 0, 1);
        return;
    case E_NULL:
        cg__at(g, e);
        cg__op_u16(g, OP_NULL, cg__k_type(g, e->ty), 0, 1);
        return;
    case E_INTERP:
        interp(g, e);
        return;
    case E_NAME:
        if (!e->sym) {
            cg__error(g, e, "internal error: unresolved name '%s'", e->name);
            return;
        }
        cg__at(g, e);
        cg__sym_access(g, e, e->sym, false);
        return;
    case E_MEMBER:
        if (e->cmem) {
            cg__field_get(g, e);
            return;
        }
        if (!e->member) {
            cg__error(g, e, "member '%s' is not supported yet", e->name);
            return;
        }
        cg__at(g, e);
        cg__sym_access(g, e, e->member, false);
        return;
    case E_UNARY:
        unary(g, e);
        return;
    case E_BINARY:
        binary(g, e);
        return;
    case E_CALL:
        call(g, e);
        return;
    case E_INDEX:
        cg__expr(g, e->a);
        cg__expr(g, e->b);
        if (cg__off(g))
            return;
        cg__at(g, e);
        cg__op(g, cg__index_get(e->a->ty->kind), 2, 1);
        return;
    case E_LIST:
        list_lit(g, e);
        return;
    case E_REPEAT:
        cg__expr_to(g, e->a, e->ty->elem);
        cg__expr(g, e->b);
        if (cg__off(g))
            return;
        cg__at(g, e);
        cg__op_u16(g, OP_LISTREP, cg__k_type(g, e->ty), 2, 1);
        return;
    case E_MAP:
        map_lit(g, e);
        return;
    case E_CONV:
        conv(g, e);
        return;
    case E_FN:
        cg__fn_expr(g, e);
        return;
    case E_SELF:
    case E_SUPER:
        if (!e->sym) {
            cg__error(g, e, "internal error: unresolved '%s'", "self");
            return;
        }
        cg__at(g, e);
        cg__sym_access(g, e, e->sym, false);
        return;
    case E_IS:
    case E_AS:
        cg__is_as(g, e);
        return;
    default:
        cg__error(g, e, "%s is not supported yet", ast_kind_names[e->kind]);
        return;
    }
}

/* Jump to l when e evaluates to `sense`, fall through otherwise. &&, || and ! become control
 * flow; a constant condition becomes a JMP or nothing. */
void cg__branch(cg *g, ast_node *e, bool sense, jlist *l)
{
    if (cg__off(g))
        return;
    if (e->kind == E_BOOL) {
        if (e->u.b == sense) {
            cg__at(g, e);
            cg__jump(g, OP_JMP, l);
        }
        return;
    }
    if (e->kind == E_UNARY && unary_tok(e) == TOK_BANG) {
        cg__branch(g, e->a, !sense, l);
        return;
    }
    if (e->kind == E_BINARY && (e->op == TOK_ANDAND || e->op == TOK_OROR)) {
        bool is_and = e->op == TOK_ANDAND;
        if (is_and != sense) {
            /* a && b is false when either is; a || b is true when either is. */
            cg__branch(g, e->a, sense, l);
            cg__branch(g, e->b, sense, l);
        } else {
            jlist skip = {0};
            cg__branch(g, e->a, !sense, &skip);
            cg__branch(g, e->b, sense, l);
            cg__place(g, &skip);
        }
        return;
    }
    cg__expr(g, e);
    if (cg__off(g))
        return;
    cg__at(g, e);
    cg__jump(g, sense ? OP_JT : OP_JF, l);
}


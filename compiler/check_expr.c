/* check_expr.c — types of expressions, operators (language.md 4), calls of built-in
 * functions (8), methods of built-in types (9) and module members (10).
 *
 * Every expression gets `ty`. A type of TY_ERROR means a message was already given for it
 * (or for something it depends on): every rule below lets TY_ERROR through silently, so
 * each mistake is reported once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker_int.h"
#include "lexer.h"
#include "rt.h"

/* Deeper nesting than this is refused rather than risking the host stack. Long left-leaning
 * chains (a + b + c ..., s.f().g().h() ...) do not count: they are checked bottom-up in a
 * loop (see spine_next), so only true nesting, which the parser bounds, recurses. */
#define MAX_DEPTH 4096

static bool is_num(const htype *t)
{
    return t->kind == TY_INT || t->kind == TY_FLOAT;
}

static bool is_err(const htype *t)
{
    return t->kind == TY_ERROR;
}

const char *check__op_name(int op)
{
    switch (op) {
#define TOK(name, spelling) case TOK_##name: return spelling;
#include "tokens.def"
#undef TOK
    default: return "?";
    }
}

/* The operator of an E_UNARY: the token kind, or the character itself. */
static int unary_op(int op)
{
    switch (op) {
    case '-': return TOK_MINUS;
    case '!': return TOK_BANG;
    case '~': return TOK_TILDE;
    default: return op;
    }
}

void check__conv(check_cx *cx, ast_node **np, const htype *to)
{
    ast_node *n = *np;
    ast_node *c = ast_new(cx->arena, E_CONV, n->line, n->col);
    c->a = n;
    c->ty = to;
    *np = c;
}

/* A name for messages about what a call expression calls: 'f', 'split'. */
static const char *callee_name(const ast_node *call)
{
    const ast_node *f = call->a;
    if (f && (f->kind == E_NAME || f->kind == E_MEMBER) && f->name)
        return f->name;
    return "the call";
}

bool check__coerce(check_cx *cx, ast_node **np, const htype *to)
{
    ast_node *n = *np;
    const htype *from = n->ty;
    if (!from || is_err(from) || is_err(to) || from == to)
        return true;
    if (from->kind == TY_VOID) {
        check__value(cx, np, to);
        return false;
    }
    if (from->kind == TY_NULL) {
        if (ty_is_ref(to) && to->kind != TY_NULL) {
            n->ty = to;
            return true;
        }
    } else if (from->kind == TY_CLASS && to->kind == TY_CLASS && ty_subclass(from, to)) {
        return true; /* an upcast needs no instruction */
    } else if ((from->kind == TY_INT && to->kind == TY_FLOAT) ||
               (to->kind == TY_ANY && from->kind != TY_MODULE)) {
        check__conv(cx, np, to);
        return true;
    }
    check__error(cx, n->line, n->col, "type mismatch: expected %s, found %s", ty_name(to), ty_name(from));
    n->ty = cx->t_error;
    return false;
}

const htype *check__value(check_cx *cx, ast_node **np, const htype *want)
{
    ast_node *n = *np;
    const htype *t = n->ty ? n->ty : check__expr(cx, np, want);
    n = *np;
    if (t->kind == TY_NULL) {
        check__error(cx, n->line, n->col, "cannot infer the type of null");
        n->ty = cx->t_error;
    } else if (t->kind == TY_VOID) {
        if (n->kind == E_CALL)
            check__error(cx, n->line, n->col, "'%s' returns no value", callee_name(n));
        else
            check__error(cx, n->line, n->col, "expression has no value");
        n->ty = cx->t_error;
    }
    return n->ty;
}

bool check__expect(check_cx *cx, ast_node **np, const htype *to)
{
    check__expr(cx, np, to);
    return check__coerce(cx, np, to);
}

/* Check every argument of a call whose callee is already in error, so that independent
 * mistakes inside the arguments are still reported (a bare null says nothing). */
static void loose_args(check_cx *cx, ast_node *call)
{
    for (int i = 0; i < call->list.n; i++)
        check__expr(cx, &call->list.items[i], NULL);
}

static call_info *new_call(check_cx *cx, ast_node *n, call_kind kind)
{
    call_info *ci = ast_alloc(cx->arena, sizeof *ci);
    ci->kind = kind;
    n->call = ci;
    return ci;
}

static void arity_error(check_cx *cx, ast_node *n, const char *name, int want, int got)
{
    check__error(cx, n->line, n->col, "'%s' expects %d argument%s, found %d", name, want, want == 1 ? "" : "s", got);
}

/* Arguments against the parameters params[0..np): count, then each with conversions. */
static bool check_args(check_cx *cx, ast_node *n, const char *name, const htype *const *params, int np)
{
    if (n->list.n != np) {
        arity_error(cx, n, name, np, n->list.n);
        loose_args(cx, n);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < np; i++)
        ok &= check__expect(cx, &n->list.items[i], params[i]);
    return ok;
}

static const char *arena_printf(check_cx *cx, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = ast_alloc(cx->arena, la + lb + 2);
    memcpy(s, a, la);
    s[la] = '.';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

/* The signature pattern of the native called `name`, or NULL. */
static const char *native_sig(const char *name)
{
    for (uint32_t i = 0; i < rt_nnatives; i++)
        if (strcmp(rt_natives[i].name, name) == 0)
            return rt_natives[i].sig;
    return NULL;
}

/* ---- literals -------------------------------------------------------------------------------- */

/* The element type of a list literal without context: the first element's type, widened to
 * float when ints and floats mix; null elements take it afterwards. */
static const htype *infer_elems(check_cx *cx, ast_node **items, int n, int step, bool *bad)
{
    const htype *elem = NULL;
    bool has_float = false;
    for (int i = 0; i < n; i += step) {
        const htype *t = check__expr(cx, &items[i], NULL);
        if (t->kind == TY_VOID)
            t = check__value(cx, &items[i], NULL);
        if (is_err(t)) {
            *bad = true;
            continue;
        }
        if (t->kind == TY_NULL)
            continue;
        if (!elem)
            elem = t;
        has_float |= t->kind == TY_FLOAT;
    }
    if (elem && elem->kind == TY_INT && has_float)
        elem = cx->t_float;
    if (!elem && !*bad && n > 0) {
        check__value(cx, &items[0], NULL);
        *bad = true;
    }
    return elem;
}

static const htype *list_lit(check_cx *cx, ast_node *n, const htype *want)
{
    if (want && want->kind == TY_LIST) {
        bool ok = true;
        for (int i = 0; i < n->list.n; i++)
            ok &= check__expect(cx, &n->list.items[i], want->elem);
        return want;
    }
    if (want && is_err(want)) {
        /* An error context (or a generic's opaque parameter): each element is checked for its
         * own mistakes only; nulls and an empty literal are no new ones. */
        for (int i = 0; i < n->list.n; i++)
            check__expr(cx, &n->list.items[i], want);
        return cx->t_error;
    }
    if (n->list.n == 0) {
        check__error(cx, n->line, n->col, "cannot infer the type of an empty literal");
        return cx->t_error;
    }
    bool bad = false;
    const htype *elem = infer_elems(cx, n->list.items, n->list.n, 1, &bad);
    if (!elem)
        return cx->t_error;
    for (int i = 0; i < n->list.n; i++)
        bad |= !check__coerce(cx, &n->list.items[i], elem);
    return bad ? cx->t_error : ty_list(cx->types, elem);
}

static const htype *repeat_lit(check_cx *cx, ast_node *n, const htype *want)
{
    const htype *elem;
    bool ok = true;
    if (want && want->kind == TY_LIST) {
        ok = check__expect(cx, &n->a, want->elem);
        elem = want->elem;
    } else if (want && is_err(want)) {
        /* The context's type is already an error (or a generic's opaque parameter): check the
         * element for its own mistakes, but a bare null is no new one. */
        check__expr(cx, &n->a, want);
        elem = cx->t_error;
    } else {
        elem = check__value(cx, &n->a, NULL);
    }
    ok &= check__expect(cx, &n->b, cx->t_int);
    if (!ok || is_err(elem))
        return cx->t_error;
    return ty_list(cx->types, elem);
}

static const htype *map_lit(check_cx *cx, ast_node *n, const htype *want)
{
    int npairs = n->list.n / 2;
    ast_node **it = n->list.items;
    if (want && want->kind == TY_MAP) {
        for (int i = 0; i < npairs; i++) {
            check__expect(cx, &it[2 * i], want->key);
            check__expect(cx, &it[2 * i + 1], want->elem);
        }
        return want;
    }
    if (npairs == 0) {
        if (!want || !is_err(want))
            check__error(cx, n->line, n->col, "cannot infer the type of an empty literal");
        return cx->t_error;
    }
    bool bad = false;
    const htype *key = infer_elems(cx, it, 2 * npairs, 2, &bad);
    const htype *val = infer_elems(cx, it + 1, 2 * npairs - 1, 2, &bad);
    if (key && !check__key_ok(key)) {
        /* Report at the first key that has this type. */
        for (int i = 0; i < npairs; i++) {
            if (it[2 * i]->ty == key) {
                check__error(cx, it[2 * i]->line, it[2 * i]->col, "map keys must be int, str or bool");
                break;
            }
        }
        key = NULL;
        bad = true;
    }
    if (!key || !val)
        return cx->t_error;
    for (int i = 0; i < npairs; i++) {
        bad |= !check__coerce(cx, &it[2 * i], key);
        bad |= !check__coerce(cx, &it[2 * i + 1], val);
    }
    return bad ? cx->t_error : ty_map(cx->types, key, val);
}

/* ---- operators ------------------------------------------------------------------------------- */

static const htype *op_error(check_cx *cx, ast_node *at, int shown, const htype *a, const htype *b)
{
    if (b)
        check__error(cx, at->line, at->col, "operator '%s' cannot be applied to %s and %s", check__op_name(shown),
                     ty_name(a), ty_name(b));
    else
        check__error(cx, at->line, at->col, "operator '%s' cannot be applied to %s", check__op_name(shown), ty_name(a));
    return cx->t_error;
}

/* Widen the int side of an int/float pair; returns the common numeric type. */
static const htype *widen(check_cx *cx, ast_node **ap, ast_node **bp)
{
    const htype *a = (*ap)->ty, *b = (*bp)->ty;
    if (a == b)
        return a;
    if (a->kind == TY_INT)
        check__conv(cx, ap, cx->t_float);
    if (b->kind == TY_INT)
        check__conv(cx, bp, cx->t_float);
    return cx->t_float;
}

/* Whether an operand takes its type from the other operand: null and empty literals. A
 * complete operand is typed on its own, so `[1] == ["a"]` compares [int] with [str] rather
 * than checking "a" against int. */
static const htype *hint_for(const ast_node *n, const htype *other)
{
    if (n->kind == E_NULL || ((n->kind == E_LIST || n->kind == E_MAP) && n->list.n == 0))
        return other && other->kind != TY_NULL && other->kind != TY_ERROR ? other : NULL;
    return NULL;
}

/* == and !=: same types after int/float widening; null takes the other side's type. */
static const htype *equality(check_cx *cx, int shown, ast_node **ap, ast_node **bp, ast_node *at)
{
    const htype *a = check__expr(cx, ap, NULL);
    const htype *b = check__expr(cx, bp, hint_for(*bp, a));
    if (a->kind == TY_VOID)
        a = check__value(cx, ap, NULL);
    if (b->kind == TY_VOID)
        b = check__value(cx, bp, NULL);
    if (is_err(a) || is_err(b))
        return cx->t_bool;
    if (a->kind == TY_NULL && b->kind == TY_NULL) {
        check__value(cx, ap, NULL);
        return cx->t_bool;
    }
    if (a->kind == TY_NULL || b->kind == TY_NULL) {
        ast_node *nn = a->kind == TY_NULL ? *ap : *bp;
        const htype *other = a->kind == TY_NULL ? b : a;
        if (!ty_is_ref(other)) {
            op_error(cx, at, shown, a, b);
            return cx->t_bool;
        }
        nn->ty = other;
        return cx->t_bool;
    }
    if (a == b)
        return cx->t_bool;
    if (is_num(a) && is_num(b)) {
        widen(cx, ap, bp);
        return cx->t_bool;
    }
    if (a->kind == TY_CLASS && b->kind == TY_CLASS && (ty_subclass(a, b) || ty_subclass(b, a)))
        return cx->t_bool; /* identity of objects related by inheritance */
    op_error(cx, at, shown, a, b);
    return cx->t_bool;
}

const htype *check__binary(check_cx *cx, int op, ast_node **ap, ast_node **bp, ast_node *at, int shown)
{
    if (op == TOK_EQEQ || op == TOK_NE)
        return equality(cx, shown, ap, bp, at);
    const htype *a = (*ap)->ty ? (*ap)->ty : check__value(cx, ap, NULL);
    if (a->kind == TY_NULL || a->kind == TY_VOID)
        a = check__value(cx, ap, NULL);
    const htype *b = check__value(cx, bp, hint_for(*bp, a));
    bool logical = op == TOK_ANDAND || op == TOK_OROR;
    bool compare = op == TOK_LT || op == TOK_LE || op == TOK_GT || op == TOK_GE;
    if (is_err(a) || is_err(b))
        return logical || compare ? cx->t_bool : cx->t_error;
    switch (op) {
    case TOK_ANDAND:
    case TOK_OROR:
        if (a->kind == TY_BOOL && b->kind == TY_BOOL)
            return cx->t_bool;
        op_error(cx, at, shown, a, b);
        return cx->t_bool;
    case TOK_LT:
    case TOK_LE:
    case TOK_GT:
    case TOK_GE:
        if (is_num(a) && is_num(b)) {
            widen(cx, ap, bp);
            return cx->t_bool;
        }
        if (a->kind == TY_STR && b->kind == TY_STR)
            return cx->t_bool;
        op_error(cx, at, shown, a, b);
        return cx->t_bool;
    case TOK_PLUS:
        if (a->kind == TY_STR && b->kind == TY_STR)
            return cx->t_str;
        /* fallthrough */
    case TOK_MINUS:
    case TOK_STAR:
    case TOK_SLASH:
    case TOK_PERCENT:
        if (is_num(a) && is_num(b))
            return widen(cx, ap, bp);
        return op_error(cx, at, shown, a, b);
    case TOK_AMP:
    case TOK_PIPE:
    case TOK_CARET:
    case TOK_SHL:
    case TOK_SHR:
        if (a->kind == TY_INT && b->kind == TY_INT)
            return cx->t_int;
        return op_error(cx, at, shown, a, b);
    default:
        check__error(cx, at->line, at->col, "unknown operator '%s'", check__op_name(shown));
        return cx->t_error;
    }
}

static const htype *unary(check_cx *cx, ast_node *n)
{
    int op = unary_op(n->op);
    const htype *t = check__value(cx, &n->a, NULL);
    if (is_err(t))
        return t;
    switch (op) {
    case TOK_MINUS:
        if (is_num(t))
            return t;
        break;
    case TOK_BANG:
        if (t->kind == TY_BOOL)
            return t;
        break;
    case TOK_TILDE:
        if (t->kind == TY_INT)
            return t;
        break;
    default:
        check__error(cx, n->line, n->col, "unknown operator '%s'", check__op_name(op));
        return cx->t_error;
    }
    return op_error(cx, n, op, t, NULL);
}

/* ---- names, members, indexing ---------------------------------------------------------------- */

/* Report a symbol used as a value that is not one; returns its type or TY_ERROR. */
static const htype *sym_value(check_cx *cx, ast_node *at, sym *y, const char *name)
{
    switch (y->kind) {
    case SYM_LOCAL:
    case SYM_GLOBAL:
        return y->ty;
    case SYM_FN:
        return check__fn_value(cx, at, y);
    case SYM_BUILTIN:
        check__error(cx, at->line, at->col, "built-in function '%s' cannot be used as a value", name);
        return cx->t_error;
    case SYM_MODULE:
        if (y->module)
            check__error(cx, at->line, at->col, "'%s' is a module, not a value", name);
        return cx->t_error;
    case SYM_CLASS:
        check__error(cx, at->line, at->col, "'%s' is a class, not a value; construct it with %s(...)", name, name);
        return cx->t_error;
    }
    return cx->t_error;
}

static const htype *name_expr(check_cx *cx, ast_node *n)
{
    sym *y = check__lookup(cx, n->name);
    if (!y) {
        if (!check__self_hint(cx, n)) /* a member of the class without `self.` */
            check__error(cx, n->line, n->col, "undefined name '%s'", n->name);
        return cx->t_error;
    }
    n->sym = y;
    return sym_value(cx, n, y, n->name);
}

/* If n (the `a` of an E_MEMBER) names an imported module, its symbol. */
static sym *module_of(check_cx *cx, ast_node *n)
{
    if (n->kind != E_NAME)
        return NULL;
    sym *y = check__lookup(cx, n->name);
    if (!y || y->kind != SYM_MODULE)
        return NULL;
    n->sym = y;
    n->ty = ty_basic(cx->types, TY_MODULE);
    return y;
}

/* The member `mem->name` of imported module `ms`, or NULL after a message (none when the
 * module itself failed to load). */
static sym *module_member(check_cx *cx, ast_node *mem, sym *ms)
{
    cmodule *cm = ms->module;
    if (!cm || !cm->top)
        return NULL;
    sym *y = check__scope_find(cm->top, mem->name);
    if (!y || (y->kind != SYM_GLOBAL && y->kind != SYM_FN && y->kind != SYM_CLASS) || y->module != cm) {
        check__error(cx, mem->line, mem->col, "module '%s' has no member '%s'", cm->name, mem->name);
        return NULL;
    }
    if (mem->name[0] == '_') {
        check__error(cx, mem->line, mem->col, "'%s' is private to module '%s'", mem->name, cm->name);
        return NULL;
    }
    mem->member = y;
    return y;
}

/* The native prefix of a built-in receiver type ("str", "list", "map"), or NULL. */
static const char *method_prefix(const htype *t)
{
    switch (t->kind) {
    case TY_STR: return "str";
    case TY_LIST: return "list";
    case TY_MAP: return "map";
    default: return NULL;
    }
}

static bool needs_fn_value(const htype *recv, const char *name)
{
    return recv->kind == TY_LIST &&
           (strcmp(name, "map") == 0 || strcmp(name, "filter") == 0 || strcmp(name, "sort_by") == 0);
}

static const htype *member_expr(check_cx *cx, ast_node *n)
{
    sym *ms = module_of(cx, n->a);
    if (ms) {
        sym *y = module_member(cx, n, ms);
        if (!y)
            return cx->t_error;
        return sym_value(cx, n, y, n->name);
    }
    const htype *ct;
    if (check__class_member(cx, n, &ct)) /* a field of a class */
        return ct;
    const htype *t = check__value(cx, &n->a, NULL);
    if (is_err(t))
        return t;
    const char *prefix = method_prefix(t);
    if (needs_fn_value(t, n->name) ||
        (prefix && native_sig(arena_printf(cx, prefix, n->name)))) {
        check__error(cx, n->line, n->col, "method values are not supported yet");
        return cx->t_error;
    }
    check__error(cx, n->line, n->col, "%s has no member '%s'", ty_name(t), n->name);
    return cx->t_error;
}

static const htype *index_expr(check_cx *cx, ast_node *n)
{
    const htype *t = check__value(cx, &n->a, NULL);
    if (is_err(t)) {
        check__expr(cx, &n->b, NULL);
        return t;
    }
    if (t->kind == TY_STR || t->kind == TY_LIST) {
        const htype *i = check__value(cx, &n->b, cx->t_int);
        if (is_err(i))
            return t->kind == TY_STR ? cx->t_int : t->elem;
        if (i->kind != TY_INT) {
            check__error(cx, n->b->line, n->b->col, "cannot index %s with %s", ty_name(t), ty_name(i));
            return cx->t_error;
        }
        return t->kind == TY_STR ? cx->t_int : t->elem;
    }
    if (t->kind == TY_MAP) {
        const htype *k = check__expr(cx, &n->b, t->key);
        if (k->kind == TY_VOID)
            k = check__value(cx, &n->b, NULL);
        if (is_err(k))
            return t->elem;
        if (!ty_assignable(k, t->key)) {
            check__error(cx, n->b->line, n->b->col, "cannot index %s with %s", ty_name(t), ty_name(k));
            return cx->t_error;
        }
        check__coerce(cx, &n->b, t->key);
        return t->elem;
    }
    check__error(cx, n->line, n->col, "cannot index %s", ty_name(t));
    check__expr(cx, &n->b, NULL);
    return cx->t_error;
}

/* ---- calls ----------------------------------------------------------------------------------- */

/* A built-in of language.md 8. */
static const htype *builtin_call(check_cx *cx, ast_node *n, sym *b)
{
    int na = n->list.n;
    ast_node **args = n->list.items;
    switch (b->builtin) {
    case BI_PRINT:
    case BI_STR: {
        /* Formatting goes by the argument's own type: no conversion. A bare null has no type
         * of its own, so it is typed as any (and prints as null). */
        bool print = b->builtin == BI_PRINT;
        call_info *ci = new_call(cx, n, CALL_BUILTIN);
        ci->builtin = b->builtin;
        if (na > 1 || (!print && na == 0)) {
            arity_error(cx, n, b->name, 1, na);
            loose_args(cx, n);
        } else if (na == 1) {
            check__value(cx, &args[0], cx->t_any);
        }
        return print ? cx->t_void : cx->t_str;
    }
    case BI_INT:
    case BI_FLOAT: {
        call_info *ci = new_call(cx, n, CALL_BUILTIN);
        ci->builtin = b->builtin;
        const htype *param = b->builtin == BI_INT ? cx->t_float : cx->t_int;
        check_args(cx, n, b->name, &param, 1);
        return b->builtin == BI_INT ? cx->t_int : cx->t_float;
    }
    default: {
        const char *sig = native_sig(b->name);
        const htype *ft = sig ? ty_from_desc(cx->types, sig, NULL) : NULL;
        if (!ft || ft->kind != TY_FN) {
            check__error(cx, n->line, n->col, "no native '%s'", b->name);
            loose_args(cx, n);
            return cx->t_error;
        }
        call_info *ci = new_call(cx, n, CALL_NATIVE);
        ci->builtin = b->builtin;
        ci->native = b->name;
        ci->sig = ft;
        check_args(cx, n, b->name, ft->params, ft->nparams);
        return ft->ret;
    }
    }
}

/* How well the checked arguments fit a signature: 2 exactly, 1 with conversions, 0 not. */
static int fit(const htype *ft, ast_node *call)
{
    if (ft->kind != TY_FN || ft->nparams != call->list.n)
        return 0;
    int score = 2;
    for (int i = 0; i < ft->nparams; i++) {
        const htype *a = call->list.items[i]->ty, *p = ft->params[i];
        if (a == p || is_err(a) || (a->kind == TY_NULL && ty_is_ref(p)))
            continue;
        if (!ty_assignable(a, p))
            return 0;
        score = 1;
    }
    return score;
}

/* A call of a Holt function or a module's native function, overloads included. */
static const htype *fn_call(check_cx *cx, ast_node *n, sym *f)
{
    sym *chosen = f;
    if (f->overload) {
        /* Type the arguments first, then take the exact match, else the first that
         * widening reaches. */
        for (int i = 0; i < n->list.n; i++) {
            const htype *t = check__expr(cx, &n->list.items[i], NULL);
            if (t->kind == TY_VOID)
                check__value(cx, &n->list.items[i], NULL);
        }
        sym *exact = NULL, *loose = NULL, *counted = NULL;
        for (sym *o = f; o; o = o->overload) {
            int s = fit(o->ty, n);
            if (s == 2 && !exact)
                exact = o;
            if (s == 1 && !loose)
                loose = o;
            if (!counted && o->ty->nparams == n->list.n)
                counted = o;
        }
        chosen = exact ? exact : loose ? loose : counted;
        if (!chosen) {
            arity_error(cx, n, f->name, f->ty->nparams, n->list.n);
            return f->ty->ret;
        }
        /* Conversions (or, without a fit, the mismatch messages) against the choice. */
        for (int i = 0; i < n->list.n; i++)
            check__coerce(cx, &n->list.items[i], chosen->ty->params[i]);
    } else {
        if (f->ty->kind != TY_FN) {
            loose_args(cx, n);
            return cx->t_error;
        }
        check_args(cx, n, f->name, f->ty->params, f->ty->nparams);
    }
    call_info *ci;
    if (chosen->is_native) {
        ci = new_call(cx, n, CALL_NATIVE);
        ci->native = arena_printf(cx, chosen->module->name, chosen->name);
        ci->sig = chosen->ty;
    } else {
        ci = new_call(cx, n, CALL_FN);
    }
    ci->target = chosen;
    return chosen->ty->ret;
}

/* recv.name(args) on a str, list or map: a native "str.name" etc., instantiated. */
static const htype *method_call(check_cx *cx, ast_node *n, ast_node *callee)
{
    const htype *rt = check__value(cx, &callee->a, NULL);
    ast_node *recv = callee->a;
    const char *name = callee->name;
    if (is_err(rt)) {
        loose_args(cx, n);
        return rt;
    }
    if (needs_fn_value(rt, name))
        return check__list_fn_method(cx, n, callee, rt);
    const char *prefix = method_prefix(rt);
    const char *native = prefix ? arena_printf(cx, prefix, name) : NULL;
    const char *sig = native ? native_sig(native) : NULL;
    if (!sig) {
        check__error(cx, callee->line, callee->col, "%s has no method '%s'", ty_name(rt), name);
        loose_args(cx, n);
        return cx->t_error;
    }
    if (rt->kind == TY_LIST && strcmp(name, "sort") == 0 && rt->elem->kind != TY_INT &&
        rt->elem->kind != TY_FLOAT && rt->elem->kind != TY_STR) {
        check__error(cx, callee->line, callee->col, "sort() needs a list of int, float or str");
        loose_args(cx, n);
        return cx->t_void;
    }
    if (rt->kind == TY_LIST && strcmp(name, "join") == 0 && rt->elem->kind != TY_STR) {
        check__error(cx, callee->line, callee->col, "join() needs a list of str");
        loose_args(cx, n);
        return cx->t_str;
    }
    const htype *vars[26] = {0};
    if (rt->kind == TY_LIST) {
        vars['T' - 'A'] = rt->elem;
    } else if (rt->kind == TY_MAP) {
        vars['K' - 'A'] = rt->key;
        vars['E' - 'A'] = rt->elem;
    }
    const htype *ft = ty_from_desc(cx->types, sig, vars);
    if (!ft || ft->kind != TY_FN || ft->nparams < 1 || ft->params[0] != rt) {
        check__error(cx, callee->line, callee->col, "%s has no method '%s'", ty_name(rt), name);
        loose_args(cx, n);
        return cx->t_error;
    }
    call_info *ci = new_call(cx, n, CALL_METHOD);
    ci->native = native;
    ci->sig = ft;
    ci->receiver = recv;
    callee->ty = ft;
    check_args(cx, n, name, ft->params + 1, ft->nparams - 1);
    return ft->ret;
}

/* Calling something that is not a named function. */
static const htype *value_call(check_cx *cx, ast_node *n, const htype *t)
{
    if (t->kind == TY_FN)
        return check__value_call(cx, n, t);
    if (!is_err(t))
        check__error(cx, n->line, n->col, "cannot call a value of type %s", ty_name(t));
    loose_args(cx, n);
    return cx->t_error;
}

static const htype *call_expr(check_cx *cx, ast_node *n)
{
    ast_node *f = n->a;
    if ((f->kind == E_NAME || f->kind == E_MEMBER) && f->list.n > 0) {
        const htype *r;
        if (check__explicit_call(cx, n, &r)) /* f<int>(...), Stack<int>(...) */
            return r;
        return value_call(cx, n, check__expr(cx, &n->a, NULL));
    }
    if (f->kind == E_NAME) {
        sym *y = check__lookup(cx, f->name);
        if (!y) {
            if (!check__self_hint(cx, f)) /* a method of the class without `self.` */
                check__error(cx, f->line, f->col, "undefined name '%s'", f->name);
            f->ty = cx->t_error;
            loose_args(cx, n);
            return cx->t_error;
        }
        f->sym = y;
        switch (y->kind) {
        case SYM_BUILTIN:
            f->ty = y->ty;
            return builtin_call(cx, n, y);
        case SYM_FN:
            if (y->decl && y->decl->kind == D_FN && y->decl->u.fn->type_params.n > 0)
                return check__generic_call(cx, n, y, NULL); /* type arguments inferred */
            f->ty = y->ty;
            return fn_call(cx, n, y);
        case SYM_CLASS:
            f->ty = y->ty;
            return check__construct(cx, n, y->cls);
        case SYM_MODULE:
            f->ty = ty_basic(cx->types, TY_MODULE);
            if (y->module)
                check__error(cx, f->line, f->col, "'%s' is a module, not a function", f->name);
            loose_args(cx, n);
            return cx->t_error;
        default:
            f->ty = sym_value(cx, f, y, f->name);
            return value_call(cx, n, f->ty);
        }
    }
    if (f->kind == E_MEMBER) {
        sym *ms = module_of(cx, f->a);
        if (ms) {
            sym *y = module_member(cx, f, ms);
            if (!y) {
                f->ty = cx->t_error;
                loose_args(cx, n);
                return cx->t_error;
            }
            f->ty = y->ty;
            if (y->kind == SYM_FN && y->decl && y->decl->kind == D_FN && y->decl->u.fn->type_params.n > 0)
                return check__generic_call(cx, n, y, NULL);
            if (y->kind == SYM_FN)
                return fn_call(cx, n, y);
            if (y->kind == SYM_CLASS)
                return check__construct(cx, n, y->cls);
            return value_call(cx, n, y->ty);
        }
        const htype *r;
        if (check__class_call(cx, n, f, &r)) /* methods, super, static functions */
            return r;
        if (f->a->ty && f->a->ty->kind == TY_CLASS) /* a field holding a function */
            return value_call(cx, n, check__expr(cx, &n->a, NULL));
        return method_call(cx, n, f);
    }
    return value_call(cx, n, check__value(cx, &n->a, NULL));
}

/* ---- the dispatcher -------------------------------------------------------------------------- */

static const htype *interp_expr(check_cx *cx, ast_node *n)
{
    for (int i = 0; i < n->list.n; i++) {
        ast_node **p = &n->list.items[i];
        if ((*p)->kind == E_STR)
            (*p)->ty = cx->t_str;
        else
            check__value(cx, p, cx->t_any);
    }
    return cx->t_str;
}

static const htype *expr_kind(check_cx *cx, ast_node *n, const htype *want)
{
    switch (n->kind) {
    case E_INT: return cx->t_int;
    case E_FLOAT: return cx->t_float;
    case E_STR: return cx->t_str;
    case E_BOOL: return cx->t_bool;
    case E_NULL:
        if (want && is_err(want))
            return want;
        if (want && ty_is_ref(want) && want->kind != TY_NULL)
            return want;
        return cx->t_null;
    case E_INTERP: return interp_expr(cx, n);
    case E_NAME: return name_expr(cx, n);
    case E_SELF:
    case E_SUPER:
        return check__self(cx, n);
    case E_UNARY: return unary(cx, n);
    case E_BINARY: return check__binary(cx, n->op, &n->a, &n->b, n, n->op);
    case E_CALL: return call_expr(cx, n);
    case E_INDEX: return index_expr(cx, n);
    case E_MEMBER: return member_expr(cx, n);
    case E_LIST: return list_lit(cx, n, want);
    case E_REPEAT: return repeat_lit(cx, n, want);
    case E_MAP: return map_lit(cx, n, want);
    case E_FN:
        return check__fn_expr(cx, n);
    case E_IS:
    case E_AS:
        return check__is_as(cx, n);
    case E_CONV:
        return n->ty ? n->ty : cx->t_error;
    default:
        check__error(cx, n->line, n->col, "expected an expression");
        return cx->t_error;
    }
}

/* The operand of n that is checked first, with no expectation, as a value: the left side of
 * a binary operator, the indexed value, a member's owner, a method call's receiver. These
 * links form the spine of a left-leaning chain. */
static ast_node *spine_next(ast_node *n)
{
    switch (n->kind) {
    case E_BINARY:
    case E_INDEX:
        return n->a;
    case E_MEMBER:
        return n->list.n == 0 ? n->a : NULL;
    case E_CALL:
        return n->a->kind == E_MEMBER && n->a->list.n == 0 ? n->a->a : NULL;
    default:
        return NULL;
    }
}

/* Check the spine below n from its far end up, so that checking n recurses only one level
 * into it. Checking an operand ahead of its parent gives it the same type and messages it
 * would get from the parent: spine operands are checked without expectation either way. */
static void check_spine(check_cx *cx, ast_node *n)
{
    int len = 0;
    for (ast_node *k = spine_next(n); k && !k->ty && spine_next(k); k = spine_next(k))
        len++;
    if (len < 32)
        return;
    ast_node **stack = xmalloc((size_t)len * sizeof *stack);
    int top = 0;
    for (ast_node *k = spine_next(n); k && !k->ty && spine_next(k) && top < len; k = spine_next(k))
        stack[top++] = k;
    while (top > 0) {
        ast_node *k = stack[--top];
        check__expr(cx, &k, NULL);
    }
    free(stack);
}

const htype *check__expr(check_cx *cx, ast_node **np, const htype *want)
{
    ast_node *n = *np;
    if (n->ty)
        return n->ty;              /* already checked (a retried operand) */
    check_spine(cx, n);
    if ((n->kind == E_NAME || n->kind == E_MEMBER) && n->list.n > 0) {
        /* Explicit type arguments belong to a call: `f<int>(...)`, `Stack<int>(...)` (generic.c). */
        check__error(cx, n->line, n->col, "'%s' with type arguments must be called: %s<...>(...)", n->name, n->name);
        n->ty = cx->t_error;
        return n->ty;
    }
    if (cx->depth >= MAX_DEPTH) {
        check__error(cx, n->line, n->col, "expression nests too deeply");
        n->ty = cx->t_error;
        return n->ty;
    }
    cx->depth++;
    const htype *t = expr_kind(cx, n, want);
    cx->depth--;
    n->ty = t;
    return t;
}

/* parser.c — recursive descent over Holt's tokens (language.md 1-6, 10, 11).
 *
 * Tokens are pulled from the lexer into an array as the parser needs them, so the parser
 * can look ahead and backtrack: type arguments at a call, `Stack<int>()`, are tried
 * speculatively (with errors switched off) and abandoned when `<` turns out to be a
 * comparison. A `>>` (or `>=`, `>>=`) that closes type arguments is split in place: the
 * parser consumes its first '>' and sees the rest as the next token.
 *
 * Errors. A syntax error reports once and puts the parser in panic: every function returns
 * as soon as it sees the panic, and the statement loop that started the failed statement
 * skips to the next statement boundary (a NEWLINE or ';' outside braces opened in that
 * statement, or the '}' that closes the enclosing block) and carries on. An ERROR token was
 * already reported by the lexer, so meeting one panics silently. A statement that failed is
 * left out of the tree; every statement in the tree has all its required children, even
 * when the file had errors (but a file with errors should not be checked further).
 *
 * Limits: brackets, blocks, unary operators and types nest at most MAX_NEST deep, and a
 * chain of left-associative operators or postfix operations is at most MAX_CHAIN long, so
 * the tree handed to later passes is never deeper than a few thousand nodes.
 */
#include "parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lexer.h"

#define MAX_NEST 256
#define MAX_CHAIN 4096

typedef struct {
    diag_ctx *d;                  /* errors go here */
    ast_arena *A;                 /* the tree lives here */
    const parse_opts *opts;       /* what this source may use (@native) */
    lexer *lx;                    /* source of tokens, pulled on demand */
    token *toks;                  /* every token lexed so far; the last may be EOF */
    int ntoks, captoks;
    bool lexed_eof;               /* toks ends with EOF: nothing more to pull */
    int pos;                      /* the current token */
    int split_pos;                /* toks index whose first '>' was consumed, or -1 */
    token split_tok;              /* what remains of that token */
    bool panic;                   /* a syntax error was reported; unwinding to a boundary */
    bool spec;                    /* speculating: errors only mark spec_fail */
    bool spec_fail;               /* the speculation failed */
    int nest;                     /* current nesting of brackets, blocks, unary ops, types */
    int block_depth;              /* 0 at the top level of the file */
    bool eof_reported;            /* an error at the end of the file was reported: every
                                     later one there (each unclosed '}') is its echo */
} parser;

/* ---- tokens ----------------------------------------------------------------------------- */

static void pull(parser *p, int upto)
{
    while (p->ntoks <= upto && !p->lexed_eof) {
        if (p->ntoks == p->captoks) {
            p->captoks = p->captoks ? p->captoks * 2 : 256;
            p->toks = xrealloc(p->toks, (size_t)p->captoks * sizeof(token));
        }
        token t = lex_next(p->lx);
        p->toks[p->ntoks++] = t;
        if (t.kind == TOK_EOF)
            p->lexed_eof = true;
    }
}

/* The token i places after the current one (0: the current one). */
static const token *ahead(parser *p, int i)
{
    if (i == 0 && p->pos == p->split_pos)
        return &p->split_tok;
    int at = p->pos + i;
    pull(p, at);
    if (at >= p->ntoks)
        at = p->ntoks - 1;        /* past EOF: EOF */
    return &p->toks[at];
}

static const token *peek(parser *p)
{
    return ahead(p, 0);
}

static tok_kind kind(parser *p)
{
    return peek(p)->kind;
}

static bool check(parser *p, tok_kind k)
{
    return kind(p) == k;
}

static void advance(parser *p)
{
    if (p->pos == p->split_pos)
        p->split_pos = -1;
    if (p->toks[p->pos].kind != TOK_EOF) {
        p->pos++;
        pull(p, p->pos);
    }
}

static bool failed(const parser *p)
{
    return p->panic || p->spec_fail;
}

/* ---- errors ----------------------------------------------------------------------------- */

static bool is_word_kind(tok_kind k)
{
    return k == TOK_EOF || k == TOK_NEWLINE || k == TOK_ERROR || k == TOK_IDENT ||
           k == TOK_INT || k == TOK_FLOAT || k == TOK_STRING || k == TOK_STR_BEGIN ||
           k == TOK_STR_MID || k == TOK_STR_END;
}

/* How a token kind is named after "expected": 'x' for punctuation and keywords. */
static const char *kind_name(tok_kind k, char *buf, size_t n)
{
    if (is_word_kind(k))
        return tok_spellings[k];
    snprintf(buf, n, "'%s'", tok_spellings[k]);
    return buf;
}

/* How a token is named after "found". The remaining parts of an interpolated string start
 * with the '}' that closed the expression, and are named so. */
static const char *describe(const token *t, char *buf, size_t n)
{
    if (t->kind == TOK_STR_MID || t->kind == TOK_STR_END)
        return "'}'";
    if (t->kind == TOK_IDENT) {
        snprintf(buf, n, "identifier '%.*s'", t->len > 40 ? 40 : t->len, t->start);
        return buf;
    }
    return kind_name(t->kind, buf, n);
}

/* A syntax error at token t: report it (unless speculating, already panicking, or t is an
 * ERROR the lexer reported) and panic. */
static void fail_at(parser *p, const token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_at(parser *p, const token *t, const char *fmt, ...)
{
    if (p->spec) {
        p->spec_fail = true;
        return;
    }
    if (p->panic)
        return;
    p->panic = true;
    if (t->kind == TOK_ERROR || (t->kind == TOK_EOF && p->eof_reported))
        return;
    if (t->kind == TOK_EOF)
        p->eof_reported = true;
    va_list ap;
    va_start(ap, fmt);
    diag_verror(p->d, t->line, t->col, fmt, ap);
    va_end(ap);
}

static void expected(parser *p, const char *what)
{
    char buf[80];
    const token *t = peek(p);
    fail_at(p, t, "expected %s, found %s", what, describe(t, buf, sizeof buf));
}

/* An error that leaves the syntax intact: reported, but parsing goes on normally. */
static void report(parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(parser *p, int line, int col, const char *fmt, ...)
{
    if (p->spec) {
        p->spec_fail = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    diag_verror(p->d, line, col, fmt, ap);
    va_end(ap);
}

static bool accept(parser *p, tok_kind k)
{
    if (failed(p) || !check(p, k))
        return false;
    advance(p);
    return true;
}

static bool expect(parser *p, tok_kind k)
{
    if (failed(p))
        return false;
    if (check(p, k)) {
        advance(p);
        return true;
    }
    char buf[32];
    expected(p, kind_name(k, buf, sizeof buf));
    return false;
}

/* Consume one '>' closing type arguments or parameters, splitting `>>`, `>=` and `>>=`. */
static bool expect_gt(parser *p)
{
    if (failed(p))
        return false;
    tok_kind rest;
    switch (kind(p)) {
    case TOK_GT: advance(p); return true;
    case TOK_SHR: rest = TOK_GT; break;
    case TOK_GE: rest = TOK_EQ; break;
    case TOK_SHREQ: rest = TOK_GE; break;
    default: expected(p, "'>'"); return false;
    }
    token t = *peek(p);
    t.kind = rest;
    t.start++;
    t.len--;
    t.col++;
    p->split_tok = t;
    p->split_pos = p->pos;
    return true;
}

static bool enter(parser *p, const char *what)
{
    if (p->nest >= MAX_NEST) {
        fail_at(p, peek(p), "%s nested too deeply", what);
        return false;
    }
    p->nest++;
    return true;
}

static void leave(parser *p)
{
    p->nest--;
}

/* ---- small builders --------------------------------------------------------------------- */

static ast_node *node_at(parser *p, ast_kind k, const token *t)
{
    return ast_new(p->A, k, t->line, t->col);
}

static const char *tok_name(parser *p, const token *t)
{
    return ast_intern(p->A, t->start, (size_t)t->len);
}

/* An identifier; NULL (and an error) otherwise. */
static const char *expect_ident(parser *p)
{
    if (failed(p))
        return NULL;
    if (!check(p, TOK_IDENT)) {
        expected(p, "identifier");
        return NULL;
    }
    const char *s = tok_name(p, peek(p));
    advance(p);
    return s;
}

static bool is_keyword(tok_kind k)
{
    return k >= TOK_KW_LET && k <= TOK_KW_SPAWN;
}

static ast_node *parse_expr(parser *p);
static ast_node *parse_type(parser *p, bool in_expr);
static ast_node *parse_block(parser *p);
static ast_fn *parse_fn_rest(parser *p, const char *name, bool type_params, bool body);

/* ---- types ------------------------------------------------------------------------------ */

/* `<` type {, type} `>` into l. */
static bool parse_type_args(parser *p, ast_list *l)
{
    if (!expect(p, TOK_LT))
        return false;
    do {
        ast_node *t = parse_type(p, false);
        if (!t)
            return false;
        ast_list_push(p->A, l, t);
    } while (accept(p, TOK_COMMA));
    return expect_gt(p);
}

typedef struct {
    int pos, split_pos;
    token split_tok;
    bool spec, spec_fail;
} saved;

static saved save(parser *p)
{
    return (saved){p->pos, p->split_pos, p->split_tok, p->spec, p->spec_fail};
}

static void restore(parser *p, saved s)
{
    p->pos = s.pos;
    p->split_pos = s.split_pos;
    p->split_tok = s.split_tok;
    p->spec = s.spec;
    p->spec_fail = s.spec_fail;
}

/* Try `<types>`, followed by `(` or `.` when need_call (a call, `Stack<int>()`, or a static
 * function, `Stack<int>.make()`); on failure nothing is consumed. */
static bool try_type_args(parser *p, ast_list *l, bool need_call)
{
    saved s = save(p);
    ast_list tmp = {0};
    p->spec = true;
    p->spec_fail = false;
    bool ok = parse_type_args(p, &tmp) && !p->spec_fail &&
              (!need_call || check(p, TOK_LPAREN) || check(p, TOK_DOT));
    if (!ok) {
        restore(p, s);
        return false;
    }
    p->spec = s.spec;
    p->spec_fail = s.spec_fail;
    *l = tmp;
    return true;
}

/* Types (language.md 2): a name (with type arguments), module.Name, [T], {K: V},
 * fn(A, B) -> R. Inside an expression (after `is` or `as`) a `<` after a name is taken as
 * type arguments only if they parse, so `x as float < y` still compares. */
static ast_node *parse_type(parser *p, bool in_expr)
{
    if (failed(p) || !enter(p, "type"))
        return NULL;
    const token t = *peek(p);
    ast_node *n = NULL;
    switch (t.kind) {
    case TOK_IDENT:
        advance(p);
        if (check(p, TOK_DOT)) {
            advance(p);
            const char *name2 = expect_ident(p);
            if (!name2)
                break;
            n = node_at(p, T_QUAL, &t);
            n->name = tok_name(p, &t);
            n->name2 = name2;
        } else {
            n = node_at(p, T_NAME, &t);
            n->name = tok_name(p, &t);
        }
        if (check(p, TOK_LT)) {
            if (in_expr)
                try_type_args(p, &n->list, false);
            else if (!parse_type_args(p, &n->list))
                n = NULL;
        }
        break;
    case TOK_LBRACKET: {
        advance(p);
        ast_node *e = parse_type(p, false);
        if (e && expect(p, TOK_RBRACKET)) {
            n = node_at(p, T_LIST, &t);
            n->a = e;
        }
        break;
    }
    case TOK_LBRACE: {
        advance(p);
        ast_node *k = parse_type(p, false);
        if (!k || !expect(p, TOK_COLON))
            break;
        ast_node *v = parse_type(p, false);
        if (v && expect(p, TOK_RBRACE)) {
            n = node_at(p, T_MAP, &t);
            n->a = k;
            n->b = v;
        }
        break;
    }
    case TOK_KW_FN: {
        advance(p);
        if (!expect(p, TOK_LPAREN))
            break;
        n = node_at(p, T_FN, &t);
        while (!failed(p) && !check(p, TOK_RPAREN)) {
            ast_node *pt = parse_type(p, false);
            if (!pt)
                break;
            ast_list_push(p->A, &n->list, pt);
            if (!accept(p, TOK_COMMA))
                break;
        }
        if (!expect(p, TOK_RPAREN)) {
            n = NULL;
            break;
        }
        if (accept(p, TOK_ARROW)) {
            n->a = parse_type(p, in_expr);
            if (!n->a)
                n = NULL;
        }
        break;
    }
    default:
        expected(p, "type");
        break;
    }
    leave(p);
    return failed(p) ? NULL : n;
}

/* ---- expressions ------------------------------------------------------------------------ */

/* Binary precedence, language.md 4 (higher binds tighter); 0: not a binary operator. */
static int binary_prec(tok_kind k)
{
    switch (k) {
    case TOK_OROR: return 1;
    case TOK_ANDAND: return 2;
    case TOK_EQEQ: case TOK_NE: return 3;
    case TOK_LT: case TOK_LE: case TOK_GT: case TOK_GE: case TOK_KW_IS: return 4;
    case TOK_PIPE: return 5;
    case TOK_CARET: return 6;
    case TOK_AMP: return 7;
    case TOK_SHL: case TOK_SHR: return 8;
    case TOK_PLUS: case TOK_MINUS: return 9;
    case TOK_STAR: case TOK_SLASH: case TOK_PERCENT: return 10;
    default: return 0;
    }
}

/* Comma-separated expressions up to `close` (a trailing comma is allowed); the opening
 * bracket is already consumed. */
static bool parse_exprs(parser *p, ast_list *l, tok_kind close)
{
    while (!failed(p) && !check(p, close)) {
        ast_node *e = parse_expr(p);
        if (!e)
            return false;
        ast_list_push(p->A, l, e);
        if (!accept(p, TOK_COMMA))
            break;
    }
    return expect(p, close);
}

static ast_node *parse_interp(parser *p)
{
    const token *t = peek(p);
    ast_node *n = node_at(p, E_INTERP, t);
    for (;;) {
        t = peek(p);
        tok_kind k = t->kind;
        if (t->v.s.len > 0) {
            ast_node *s = node_at(p, E_STR, t);
            s->u.s.str = t->v.s.str;
            s->u.s.len = t->v.s.len;
            ast_list_push(p->A, &n->list, s);
        }
        advance(p);
        if (k == TOK_STR_END)
            return n;
        /* After STR_BEGIN or STR_MID: an expression, then the rest of the string. */
        if (check(p, TOK_STR_MID) || check(p, TOK_STR_END)) {
            const token *e = peek(p);
            report(p, e->line, e->col, "expected expression, found '}'");
            continue;
        }
        ast_node *e = parse_expr(p);
        if (!e)
            return NULL;
        ast_list_push(p->A, &n->list, e);
        if (!check(p, TOK_STR_MID) && !check(p, TOK_STR_END)) {
            expected(p, "'}'");
            return NULL;
        }
    }
}

static ast_node *parse_list_literal(parser *p)
{
    const token t = *peek(p);
    advance(p);
    if (accept(p, TOK_RBRACKET))
        return node_at(p, E_LIST, &t);
    ast_node *first = parse_expr(p);
    if (!first)
        return NULL;
    if (accept(p, TOK_SEMI)) {
        ast_node *n = node_at(p, E_REPEAT, &t);
        n->a = first;
        n->b = parse_expr(p);
        if (!n->b || !expect(p, TOK_RBRACKET))
            return NULL;
        return n;
    }
    ast_node *n = node_at(p, E_LIST, &t);
    ast_list_push(p->A, &n->list, first);
    if (accept(p, TOK_COMMA))
        return parse_exprs(p, &n->list, TOK_RBRACKET) ? n : NULL;
    return expect(p, TOK_RBRACKET) ? n : NULL;
}

static ast_node *parse_map_literal(parser *p)
{
    const token t = *peek(p);
    advance(p);
    ast_node *n = node_at(p, E_MAP, &t);
    while (!failed(p) && !check(p, TOK_RBRACE)) {
        ast_node *k = parse_expr(p);
        if (!k || !expect(p, TOK_COLON))
            return NULL;
        ast_node *v = parse_expr(p);
        if (!v)
            return NULL;
        ast_list_push(p->A, &n->list, k);
        ast_list_push(p->A, &n->list, v);
        if (!accept(p, TOK_COMMA))
            break;
    }
    return expect(p, TOK_RBRACE) ? n : NULL;
}

static ast_node *parse_primary(parser *p)
{
    const token t = *peek(p);
    ast_node *n;
    switch (t.kind) {
    case TOK_INT:
        advance(p);
        n = node_at(p, E_INT, &t);
        if (t.int_min_only)
            report(p, t.line, t.col, "integer literal out of range");
        else
            n->u.i = t.v.i;
        return n;
    case TOK_FLOAT:
        advance(p);
        n = node_at(p, E_FLOAT, &t);
        n->u.f = t.v.f;
        return n;
    case TOK_STRING:
        advance(p);
        n = node_at(p, E_STR, &t);
        n->u.s.str = t.v.s.str;
        n->u.s.len = t.v.s.len;
        return n;
    case TOK_STR_BEGIN:
        return parse_interp(p);
    case TOK_KW_TRUE:
    case TOK_KW_FALSE:
        advance(p);
        n = node_at(p, E_BOOL, &t);
        n->u.b = t.kind == TOK_KW_TRUE;
        return n;
    case TOK_KW_NULL:
        advance(p);
        return node_at(p, E_NULL, &t);
    case TOK_KW_SELF:
        advance(p);
        return node_at(p, E_SELF, &t);
    case TOK_KW_SUPER:
        advance(p);
        return node_at(p, E_SUPER, &t);
    case TOK_IDENT:
        advance(p);
        n = node_at(p, E_NAME, &t);
        n->name = tok_name(p, &t);
        return n;
    case TOK_LPAREN:
        advance(p);
        n = parse_expr(p);
        return n && expect(p, TOK_RPAREN) ? n : NULL;
    case TOK_LBRACKET:
        return parse_list_literal(p);
    case TOK_LBRACE:
        return parse_map_literal(p);
    case TOK_KW_FN: {
        advance(p);
        if (!check(p, TOK_LPAREN)) {
            expected(p, "'('");
            return NULL;
        }
        ast_fn *fn = parse_fn_rest(p, NULL, false, true);
        if (!fn)
            return NULL;
        n = node_at(p, E_FN, &t);
        n->u.fn = fn;
        return n;
    }
    default:
        expected(p, "expression");
        return NULL;
    }
}

/* Calls, indexing, members (and type arguments before a call) applied to n. */
static ast_node *parse_postfix_ops(parser *p, ast_node *n)
{
    for (int chain = 0; n && !failed(p); chain++) {
        if (chain > MAX_CHAIN) {
            fail_at(p, peek(p), "expression nested too deeply");
            return NULL;
        }
        const token t = *peek(p);
        ast_node *m;
        switch (t.kind) {
        case TOK_LPAREN:
            advance(p);
            m = ast_new(p->A, E_CALL, n->line, n->col);
            m->a = n;
            if (!parse_exprs(p, &m->list, TOK_RPAREN))
                return NULL;
            n = m;
            break;
        case TOK_LBRACKET:
            advance(p);
            m = ast_new(p->A, E_INDEX, n->line, n->col);
            m->a = n;
            m->b = parse_expr(p);
            if (!m->b || !expect(p, TOK_RBRACKET))
                return NULL;
            n = m;
            break;
        case TOK_DOT: {
            advance(p);
            /* Keywords are fine as member names: super.init(...), machine.in(port). */
            const token *nt = peek(p);
            if (nt->kind != TOK_IDENT && !is_keyword(nt->kind)) {
                expected(p, "identifier");
                return NULL;
            }
            m = ast_new(p->A, E_MEMBER, n->line, n->col);
            m->a = n;
            m->name = tok_name(p, nt);
            advance(p);
            n = m;
            break;
        }
        case TOK_LT:
            if ((n->kind == E_NAME || n->kind == E_MEMBER) && n->list.n == 0 &&
                try_type_args(p, &n->list, true))
                break;
            return n;
        default:
            return n;
        }
    }
    return failed(p) ? NULL : n;
}

/* `as` binds tighter than unary operators and looser than postfix ones. */
static ast_node *parse_as_ops(parser *p, ast_node *n)
{
    n = parse_postfix_ops(p, n);
    while (n && check(p, TOK_KW_AS)) {
        advance(p);
        ast_node *m = ast_new(p->A, E_AS, n->line, n->col);
        m->a = n;
        m->type = parse_type(p, true);
        if (!m->type)
            return NULL;
        n = m;
    }
    return n;
}

static ast_node *parse_unary(parser *p)
{
    const token t = *peek(p);
    if (t.kind != TOK_MINUS && t.kind != TOK_BANG && t.kind != TOK_TILDE) {
        ast_node *n = parse_primary(p);
        return n ? parse_as_ops(p, n) : NULL;
    }
    /* language.md 1: -9223372036854775808 is the one literal that only exists negated. */
    if (t.kind == TOK_MINUS && p->split_pos != p->pos) {
        const token *lit = ahead(p, 1);
        if (lit->kind == TOK_INT && lit->int_min_only) {
            advance(p);
            advance(p);
            ast_node *n = node_at(p, E_INT, &t);
            n->u.i = INT64_MIN;
            return parse_as_ops(p, n);
        }
    }
    advance(p);
    if (!enter(p, "expression"))
        return NULL;
    ast_node *a = parse_unary(p);
    leave(p);
    if (!a)
        return NULL;
    ast_node *n = node_at(p, E_UNARY, &t);
    n->op = t.kind;
    n->a = a;
    return n;
}

/* Precedence climbing: operators at min_prec or tighter, left-associative. */
static ast_node *parse_binary(parser *p, int min_prec)
{
    ast_node *left = parse_unary(p);
    for (int chain = 0; left && !failed(p); chain++) {
        tok_kind k = kind(p);
        int prec = binary_prec(k);
        if (prec == 0 || prec < min_prec)
            break;
        if (chain > MAX_CHAIN) {
            fail_at(p, peek(p), "expression nested too deeply");
            return NULL;
        }
        advance(p);
        ast_node *n;
        if (k == TOK_KW_IS) {
            n = ast_new(p->A, E_IS, left->line, left->col);
            n->a = left;
            n->type = parse_type(p, true);
            if (!n->type)
                return NULL;
        } else {
            ast_node *right = parse_binary(p, prec + 1);
            if (!right)
                return NULL;
            n = ast_new(p->A, E_BINARY, left->line, left->col);
            n->op = k;
            n->a = left;
            n->b = right;
        }
        left = n;
    }
    return failed(p) ? NULL : left;
}

static ast_node *parse_expr(parser *p)
{
    if (failed(p) || !enter(p, "expression"))
        return NULL;
    ast_node *n = parse_binary(p, 1);
    leave(p);
    return failed(p) ? NULL : n;
}

/* ---- functions and classes -------------------------------------------------------------- */

/* `<T, U>` of a generic function or class. */
static bool parse_type_params(parser *p, ast_list *l)
{
    advance(p);                   /* '<' */
    do {
        const token t = *peek(p);
        const char *name = expect_ident(p);
        if (!name)
            return false;
        ast_node *n = node_at(p, T_NAME, &t);
        n->name = name;
        ast_list_push(p->A, l, n);
    } while (accept(p, TOK_COMMA));
    return expect_gt(p);
}

/* After the name: [<T>] ( params ) [-> type] [block]. */
static ast_fn *parse_fn_rest(parser *p, const char *name, bool type_params, bool body)
{
    ast_fn *fn = ast_alloc(p->A, sizeof(ast_fn));
    fn->name = name;
    if (type_params && check(p, TOK_LT) && !parse_type_params(p, &fn->type_params))
        return NULL;
    if (!expect(p, TOK_LPAREN))
        return NULL;
    int cap = 0;
    while (!failed(p) && !check(p, TOK_RPAREN)) {
        const token t = *peek(p);
        const char *pname = expect_ident(p);
        if (!pname || !expect(p, TOK_COLON))
            return NULL;
        ast_node *ty = parse_type(p, false);
        if (!ty)
            return NULL;
        if (fn->nparams == cap) {
            cap = cap ? cap * 2 : 4;
            ast_param *np = ast_alloc(p->A, (size_t)cap * sizeof(ast_param));
            if (fn->nparams)
                memcpy(np, fn->params, (size_t)fn->nparams * sizeof(ast_param));
            fn->params = np;
        }
        fn->params[fn->nparams++] = (ast_param){pname, ty, t.line, t.col};
        if (!accept(p, TOK_COMMA))
            break;
    }
    if (!expect(p, TOK_RPAREN))
        return NULL;
    if (accept(p, TOK_ARROW) && !(fn->result = parse_type(p, false)))
        return NULL;
    if (body && !(fn->body = parse_block(p)))
        return NULL;
    return failed(p) ? NULL : fn;
}

/* One member of a class or interface body. */
static ast_node *parse_member(parser *p, bool is_interface)
{
    const token t = *peek(p);
    bool is_static = false;
    if (!is_interface && t.kind == TOK_KW_STATIC) {
        advance(p);
        if (!check(p, TOK_KW_FN)) {
            expected(p, "'fn'");
            return NULL;
        }
        is_static = true;
    }
    if (check(p, TOK_KW_FN)) {
        advance(p);
        const char *name = expect_ident(p);
        if (!name)
            return NULL;
        ast_fn *fn = parse_fn_rest(p, name, true, !is_interface);
        if (!fn)
            return NULL;
        fn->is_static = is_static;
        ast_node *n = node_at(p, D_FN, &t);
        n->u.fn = fn;
        return n;
    }
    if (!is_interface && t.kind == TOK_KW_INIT) {
        advance(p);
        ast_fn *fn = parse_fn_rest(p, ast_intern(p->A, "init", 4), false, false);
        if (!fn || !(fn->body = parse_block(p)))
            return NULL;
        ast_node *n = node_at(p, D_FN, &t);
        n->u.fn = fn;
        return n;
    }
    if (!is_interface && t.kind == TOK_IDENT) {
        advance(p);
        ast_node *n = node_at(p, D_FIELD, &t);
        n->name = tok_name(p, &t);
        if (!expect(p, TOK_COLON) || !(n->type = parse_type(p, false)))
            return NULL;
        if (accept(p, TOK_EQ) && !(n->a = parse_expr(p)))
            return NULL;
        return n;
    }
    expected(p, is_interface ? "method" : "field or method");
    return NULL;
}

static void sync(parser *p, int start, bool top);

/* A statement or member ends at NEWLINE, ';', before '}' or at the end of the file.
 * The newline rule of language.md 1 gives no NEWLINE after '>', yet a declaration may end
 * with a generic type (`var s: Stack<int>`), so a line break right after the '>' that
 * closed type arguments ends the statement too. */
static void end_statement(parser *p)
{
    if (check(p, TOK_RBRACE) || check(p, TOK_EOF) || accept(p, TOK_NEWLINE) ||
        accept(p, TOK_SEMI))
        return;
    if (p->pos > 0 && p->split_pos != p->pos) {
        const token *prev = &p->toks[p->pos - 1];
        bool closes_type = prev->kind == TOK_GT || prev->kind == TOK_SHR;
        if (closes_type && peek(p)->line > prev->line)
            return;
    }
    expected(p, "newline or ';'");
}

static ast_node *parse_class(parser *p)
{
    const token t = *peek(p);
    bool is_interface = t.kind == TOK_KW_INTERFACE;
    advance(p);
    ast_class *cls = ast_alloc(p->A, sizeof(ast_class));
    if (!(cls->name = expect_ident(p)))
        return NULL;
    if (check(p, TOK_LT) && !parse_type_params(p, &cls->type_params))
        return NULL;
    if (accept(p, TOK_COLON)) {
        do {
            ast_node *b = parse_type(p, false);
            if (!b)
                return NULL;
            ast_list_push(p->A, &cls->bases, b);
        } while (accept(p, TOK_COMMA));
    }
    if (!expect(p, TOK_LBRACE) || !enter(p, "block"))
        return NULL;
    for (;;) {
        while (accept(p, TOK_NEWLINE) || accept(p, TOK_SEMI))
            ;
        if (check(p, TOK_RBRACE) || check(p, TOK_EOF))
            break;
        int start = p->pos;
        ast_node *m = parse_member(p, is_interface);
        if (m && !failed(p)) {
            ast_list_push(p->A, &cls->members, m);
            end_statement(p);
        }
        if (p->panic) {
            sync(p, start, false);
            p->panic = false;
        }
        if (p->pos == start && !check(p, TOK_RBRACE) && !check(p, TOK_EOF))
            advance(p);
    }
    leave(p);
    if (!expect(p, TOK_RBRACE))
        return NULL;
    ast_node *n = node_at(p, is_interface ? D_INTERFACE : D_CLASS, &t);
    n->u.cls = cls;
    return n;
}

/* `@native fn name(params) -> R` of a standard-library source: no body. Its name may be a
 * keyword (machine.in). */
static ast_node *parse_native(parser *p)
{
    const token t = *peek(p);
    advance(p);
    const token *w = peek(p);
    if (w->kind != TOK_IDENT || w->len != 6 || memcmp(w->start, "native", 6) != 0) {
        expected(p, "'native'");
        return NULL;
    }
    advance(p);
    if (!expect(p, TOK_KW_FN))
        return NULL;
    const token *nt = peek(p);
    if (nt->kind != TOK_IDENT && !is_keyword(nt->kind)) {
        expected(p, "identifier");
        return NULL;
    }
    const char *name = tok_name(p, nt);
    advance(p);
    ast_fn *fn = parse_fn_rest(p, name, false, false);
    if (!fn)
        return NULL;
    fn->is_native = true;
    ast_node *n = node_at(p, D_FN, &t);
    n->u.fn = fn;
    return n;
}

/* ---- statements ------------------------------------------------------------------------- */

/* Skip to the next statement boundary after a syntax error in the statement that started
 * at token `start`: a NEWLINE or ';' (consumed) outside the braces opened since `start`, the
 * '}' that closes the enclosing block (left for the block), or the end of the file. At the
 * top level no block is open, so an unmatched '}' is skipped like any other token. */
static void sync(parser *p, int start, bool top)
{
    int braces = 0;
    for (int i = start; i < p->pos && i < p->ntoks; i++) {
        if (p->toks[i].kind == TOK_LBRACE)
            braces++;
        else if (p->toks[i].kind == TOK_RBRACE && braces > 0)
            braces--;
    }
    p->split_pos = -1;
    for (;;) {
        tok_kind k = p->toks[p->pos].kind;
        if (k == TOK_EOF)
            return;
        if ((k == TOK_NEWLINE || k == TOK_SEMI) && braces == 0) {
            advance(p);
            return;
        }
        if (k == TOK_LBRACE)
            braces++;
        if (k == TOK_RBRACE) {
            if (braces == 0 && !top)
                return;
            if (braces > 0)
                braces--;
        }
        advance(p);
    }
}

static ast_node *parse_let(parser *p)
{
    const token t = *peek(p);
    advance(p);
    ast_node *n = node_at(p, S_LET, &t);
    n->is_var = t.kind == TOK_KW_VAR;
    if (!(n->name = expect_ident(p)))
        return NULL;
    if (accept(p, TOK_COLON) && !(n->type = parse_type(p, false)))
        return NULL;
    if (accept(p, TOK_EQ) && !(n->a = parse_expr(p)))
        return NULL;
    return n;
}

/* if / else if / else; the chain of `else if` is built in a loop, not by recursion. */
static ast_node *parse_if(parser *p)
{
    ast_node *first = NULL, *last = NULL;
    for (;;) {
        const token t = *peek(p);
        advance(p);               /* 'if' */
        ast_node *n = node_at(p, S_IF, &t);
        if (!(n->a = parse_expr(p)) || !(n->b = parse_block(p)))
            return NULL;
        if (last)
            last->c = n;
        else
            first = n;
        last = n;
        if (!accept(p, TOK_KW_ELSE))
            return first;
        if (!check(p, TOK_KW_IF)) {
            if (!(last->c = parse_block(p)))
                return NULL;
            return first;
        }
    }
}

static ast_node *parse_for(parser *p)
{
    const token t = *peek(p);
    advance(p);
    ast_node *n = node_at(p, S_FOR, &t);
    if (!(n->name = expect_ident(p)))
        return NULL;
    if (accept(p, TOK_COMMA) && !(n->name2 = expect_ident(p)))
        return NULL;
    if (!expect(p, TOK_KW_IN) || !(n->a = parse_expr(p)))
        return NULL;
    /* `..` is not an operator: it binds looser than all arithmetic. */
    if (accept(p, TOK_DOTDOT) && !(n->c = parse_expr(p)))
        return NULL;
    if (!(n->b = parse_block(p)))
        return NULL;
    return n;
}

static ast_node *parse_try(parser *p)
{
    const token t = *peek(p);
    advance(p);
    ast_node *n = node_at(p, S_TRY, &t);
    if (!(n->b = parse_block(p)))
        return NULL;
    while (check(p, TOK_KW_CATCH)) {
        const token ct = *peek(p);
        advance(p);
        ast_node *c = node_at(p, S_CATCH, &ct);
        if (!(c->name = expect_ident(p)) || !expect(p, TOK_COLON) ||
            !(c->type = parse_type(p, false)) || !(c->b = parse_block(p)))
            return NULL;
        ast_list_push(p->A, &n->list, c);
    }
    if (accept(p, TOK_KW_FINALLY)) {
        if (!(n->c = parse_block(p)))
            return NULL;
    } else if (n->list.n == 0) {
        /* `try { }` with its catch on the next line: name the real mistake, and fail at
         * the catch so that recovery skips the whole clause. */
        tok_kind next = ahead(p, 1)->kind;
        if (check(p, TOK_NEWLINE) && (next == TOK_KW_CATCH || next == TOK_KW_FINALLY)) {
            advance(p);
            fail_at(p, peek(p), "'%s' must follow '}' on the same line", tok_spellings[next]);
            return NULL;
        }
        expected(p, "'catch' or 'finally'");
        return NULL;
    }
    return n;
}

static ast_node *parse_import(parser *p)
{
    const token t = *peek(p);
    advance(p);
    holt_buf path;
    buf_init(&path);
    do {
        const token c = *peek(p);
        if (!expect_ident(p))
            break;
        if (path.len)
            buf_putc(&path, '.');
        buf_put(&path, c.start, (size_t)c.len);
    } while (accept(p, TOK_DOT));
    ast_node *n = NULL;
    if (!failed(p)) {
        n = node_at(p, S_IMPORT, &t);
        n->name = ast_intern(p->A, path.data, path.len);
        if (accept(p, TOK_KW_AS) && !(n->name2 = expect_ident(p)))
            n = NULL;
    }
    buf_free(&path);
    return n;
}

static bool is_assign_op(tok_kind k)
{
    switch (k) {
    case TOK_EQ: case TOK_PLUSEQ: case TOK_MINUSEQ: case TOK_STAREQ: case TOK_SLASHEQ:
    case TOK_PERCENTEQ: case TOK_AMPEQ: case TOK_PIPEEQ: case TOK_CARETEQ: case TOK_SHLEQ:
    case TOK_SHREQ:
        return true;
    default:
        return false;
    }
}

/* An expression statement, or an assignment (a statement, never an expression). */
static ast_node *parse_simple(parser *p)
{
    ast_node *e = parse_expr(p);
    if (!e)
        return NULL;
    tok_kind k = kind(p);
    if (!is_assign_op(k)) {
        ast_node *n = ast_new(p->A, S_EXPR, e->line, e->col);
        n->a = e;
        return n;
    }
    advance(p);
    if (e->kind != E_NAME && e->kind != E_INDEX && e->kind != E_MEMBER)
        report(p, e->line, e->col, "cannot assign to this expression");
    ast_node *n = ast_new(p->A, S_ASSIGN, e->line, e->col);
    n->op = k;
    n->a = e;
    if (!(n->b = parse_expr(p)))
        return NULL;
    return n;
}

/* A declaration only allowed at the top level: report, parse it anyway, and drop it. */
static ast_node *top_level_only(parser *p, ast_node *n, bool top, const token *t, const char *what)
{
    if (n && !top) {
        report(p, t->line, t->col, "%s must be at the top level of a file", what);
        return NULL;
    }
    return n;
}

static ast_node *parse_statement(parser *p, bool top)
{
    const token t = *peek(p);
    ast_node *n;
    switch (t.kind) {
    case TOK_KW_LET:
    case TOK_KW_VAR:
        return parse_let(p);
    case TOK_KW_FN:
        if (ahead(p, 1)->kind != TOK_IDENT)
            return parse_simple(p);
        advance(p);
        n = node_at(p, D_FN, &t);
        const char *name = tok_name(p, peek(p));
        advance(p);
        if (!(n->u.fn = parse_fn_rest(p, name, true, true)))
            return NULL;
        return n;
    case TOK_KW_CLASS:
        return top_level_only(p, parse_class(p), top, &t, "class");
    case TOK_KW_INTERFACE:
        return top_level_only(p, parse_class(p), top, &t, "interface");
    case TOK_KW_IMPORT:
        return top_level_only(p, parse_import(p), top, &t, "import");
    case TOK_AT:
        if (!p->opts->allow_native || !top) {
            fail_at(p, &t, "unexpected character '@'");
            return NULL;
        }
        return parse_native(p);
    case TOK_KW_IF:
        return parse_if(p);
    case TOK_KW_WHILE:
        advance(p);
        n = node_at(p, S_WHILE, &t);
        if (!(n->a = parse_expr(p)) || !(n->b = parse_block(p)))
            return NULL;
        return n;
    case TOK_KW_FOR:
        return parse_for(p);
    case TOK_KW_RETURN:
        advance(p);
        n = node_at(p, S_RETURN, &t);
        switch (kind(p)) {
        case TOK_NEWLINE: case TOK_SEMI: case TOK_RBRACE: case TOK_EOF:
            return n;
        default:
            return (n->a = parse_expr(p)) ? n : NULL;
        }
    case TOK_KW_BREAK:
    case TOK_KW_CONTINUE:
        advance(p);
        return node_at(p, t.kind == TOK_KW_BREAK ? S_BREAK : S_CONTINUE, &t);
    case TOK_KW_THROW:
        advance(p);
        n = node_at(p, S_THROW, &t);
        return (n->a = parse_expr(p)) ? n : NULL;
    case TOK_KW_TRY:
        return parse_try(p);
    case TOK_KW_ELSE:
    case TOK_KW_CATCH:
    case TOK_KW_FINALLY:
        /* language.md 5: these follow the '}' on the same line, else the newline ended the
         * statement before them. */
        if (p->pos >= 2 && p->toks[p->pos - 1].kind == TOK_NEWLINE &&
            p->toks[p->pos - 2].kind == TOK_RBRACE) {
            fail_at(p, &t, "'%s' must follow '}' on the same line", tok_spellings[t.kind]);
            return NULL;
        }
        return parse_simple(p);
    default:
        return parse_simple(p);
    }
}

/* Statements up to the '}' of the block (or the end of the file at the top level). */
static void parse_statements(parser *p, ast_list *out, bool top)
{
    for (;;) {
        while (accept(p, TOK_NEWLINE) || accept(p, TOK_SEMI))
            ;
        if (check(p, TOK_EOF))
            return;
        if (check(p, TOK_RBRACE) && !top)
            return;
        int start = p->pos;
        ast_node *s = parse_statement(p, top);
        if (s && !failed(p)) {
            ast_list_push(p->A, out, s);
            end_statement(p);
        }
        if (p->panic) {
            sync(p, start, top);
            p->panic = false;
        }
        /* Never stall: a stray '}' at the top level, or anything sync could not pass. */
        if (p->pos == start && !check(p, TOK_EOF)) {
            if (!check(p, TOK_RBRACE) || top)
                advance(p);
        }
    }
}

static ast_node *parse_block(parser *p)
{
    if (failed(p))
        return NULL;
    const token t = *peek(p);
    if (!expect(p, TOK_LBRACE) || !enter(p, "block"))
        return NULL;
    ast_node *n = node_at(p, S_BLOCK, &t);
    p->block_depth++;
    parse_statements(p, &n->list, false);
    p->block_depth--;
    leave(p);
    return expect(p, TOK_RBRACE) ? n : NULL;
}

ast_node *parse_file(diag_ctx *d, ast_arena *arena, const parse_opts *opts)
{
    static const parse_opts defaults = {false};
    parser p;
    memset(&p, 0, sizeof p);
    p.d = d;
    p.A = arena;
    p.opts = opts ? opts : &defaults;
    p.lx = lex_new(d, arena);
    p.split_pos = -1;
    pull(&p, 0);
    ast_node *root = ast_new(arena, S_BLOCK, 1, 1);
    parse_statements(&p, &root->list, true);
    lex_free(p.lx);
    free(p.toks);
    return root;
}

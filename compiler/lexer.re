/* lexer.re — Holt's lexer (language.md 1); re2c turns this file into lexer.c.
 *
 * The regular part (operators, identifiers, number shapes) is an re2c automaton using the
 * end-of-input rule `$`, so the source may hold NUL bytes and no padding is needed. Strings
 * and block comments are scanned by hand, because their bodies need decoding (escapes) or
 * line counting and re2c buys nothing there.
 *
 * Interpolation: a string "a{x}b" is cut at each `{` that is not escaped. Each open
 * interpolation has an entry on a stack holding the depth of `{` opened inside its
 * expression; a `}` at depth 0 resumes the string (STR_MID or STR_END), any other `}` is an
 * ordinary RBRACE. Strings inside the expression push their own entries, so `"{m["k"]}"`
 * and `"{ {1: 2}[1] }"` work. An interpolated expression lives on one line: a line break
 * before the string is closed makes the string unterminated.
 *
 * Errors: every error is reported once through diag and its token comes out as ERROR (an
 * unterminated or badly escaped string, a number out of range, a stray character). An
 * ERROR token counts as a literal for the newline rule, so a statement still ends at the
 * end of its line and the parser can resynchronise there.
 */
#include "lexer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

const char *const tok_spellings[TOK__COUNT] = {
#define TOK(name, spelling) spelling,
#include "tokens.def"
#undef TOK
};

typedef struct {
    int depth;                    /* '{' opened inside this interpolation and not yet closed */
    int line, col;                /* the opening quote of its string, for error messages */
} interp;

struct lexer {
    diag_ctx *d;                  /* errors go here; the source is d->src / d->len */
    ast_arena *arena;             /* decoded string bytes live here */
    const unsigned char *cur;     /* next byte to read */
    const unsigned char *lim;     /* one past the last byte of the source */
    const unsigned char *bol;     /* first byte of the line holding cur */
    int line;                     /* line of cur, 1-based */
    tok_kind last;                /* kind of the last token returned, for the newline rule */
    int end_line, end_col;        /* just after the last token or comment: EOF's position */
    interp *stk;                  /* open interpolations, innermost last */
    int nstk, capstk;
    holt_buf sb;                  /* scratch for decoding a string body */
};

lexer *lex_new(diag_ctx *d, ast_arena *arena)
{
    lexer *lx = xcalloc(1, sizeof(lexer));
    lx->d = d;
    lx->arena = arena;
    const unsigned char *src = (const unsigned char *)(d->src ? d->src : "");
    lx->cur = lx->bol = src;
    lx->lim = src + (d->src ? d->len : 0);
    lx->line = 1;
    lx->last = TOK_NEWLINE;      /* as if after a line break: no NEWLINE at the very start */
    lx->end_line = lx->end_col = 1;
    buf_init(&lx->sb);
    return lx;
}

void lex_free(lexer *lx)
{
    if (!lx)
        return;
    free(lx->stk);
    buf_free(&lx->sb);
    free(lx);
}

/* ---- helpers ---------------------------------------------------------------------------- */

static int col_of(const lexer *lx, const unsigned char *p)
{
    return (int)(p - lx->bol) + 1;
}

/* language.md 1: a line break ends a statement only after these. ERROR stands for the
 * literal or character it replaced. */
static bool ends_statement(tok_kind k)
{
    switch (k) {
    case TOK_IDENT: case TOK_INT: case TOK_FLOAT: case TOK_STRING: case TOK_STR_END:
    case TOK_RPAREN: case TOK_RBRACKET: case TOK_RBRACE:
    case TOK_KW_RETURN: case TOK_KW_BREAK: case TOK_KW_CONTINUE:
    case TOK_KW_TRUE: case TOK_KW_FALSE: case TOK_KW_NULL: case TOK_KW_SELF:
    case TOK_ERROR:
        return true;
    default:
        return false;
    }
}

/* The length of the valid UTF-8 sequence at p (shortest form, no surrogates, at most
 * U+10FFFF), or 0. */
static int utf8_len(const unsigned char *p, const unsigned char *lim)
{
    unsigned c = p[0];
    int n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    if (lim - p < n)
        return 0;
    unsigned v = c & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return n;
}

/* How a character appears inside quotes in a message: itself when printable (a whole UTF-8
 * character included), else \xHH. Returns the bytes it spans in the source. */
static int char_repr(const unsigned char *p, const unsigned char *lim, char out[8])
{
    int n = utf8_len(p, lim);
    if (n == 1 && p[0] >= 0x20 && p[0] < 0x7F) {
        out[0] = (char)p[0];
        out[1] = '\0';
        return 1;
    }
    if (n > 1) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
        return n;
    }
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[p[0] >> 4];
    out[3] = hex[p[0] & 15];
    out[4] = '\0';
    return 1;
}

static void encode_utf8(holt_buf *b, uint32_t v)
{
    if (v < 0x80) {
        buf_putc(b, (char)v);
    } else if (v < 0x800) {
        buf_putc(b, (char)(0xC0 | (v >> 6)));
        buf_putc(b, (char)(0x80 | (v & 0x3F)));
    } else if (v < 0x10000) {
        buf_putc(b, (char)(0xE0 | (v >> 12)));
        buf_putc(b, (char)(0x80 | ((v >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (v & 0x3F)));
    } else {
        buf_putc(b, (char)(0xF0 | (v >> 18)));
        buf_putc(b, (char)(0x80 | ((v >> 12) & 0x3F)));
        buf_putc(b, (char)(0x80 | ((v >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (v & 0x3F)));
    }
}

static token make(lexer *lx, tok_kind kind, const unsigned char *start, int line, int col)
{
    token t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.line = line;
    t.col = col;
    t.start = (const char *)start;
    t.len = (int)(lx->cur - start);
    lx->last = kind;
    if (kind != TOK_NEWLINE && kind != TOK_EOF && t.len > 0) {
        lx->end_line = lx->line;
        lx->end_col = col_of(lx, lx->cur);
    }
    return t;
}

static void push_interp(lexer *lx, int line, int col)
{
    if (lx->nstk == lx->capstk) {
        lx->capstk = lx->capstk ? lx->capstk * 2 : 8;
        lx->stk = xrealloc(lx->stk, (size_t)lx->capstk * sizeof(interp));
    }
    lx->stk[lx->nstk++] = (interp){0, line, col};
}

/* ---- strings ---------------------------------------------------------------------------- */

/* Scan a string body from lx->cur (just after the opening '"', or after the '}' that closes
 * an interpolation when `resumed`) up to the closing '"' or the next '{'. */
static token lex_string(lexer *lx, const unsigned char *start, int line, int col, bool resumed)
{
    /* The quote that opened this string, for "unterminated string". */
    int qline = resumed ? lx->stk[lx->nstk - 1].line : line;
    int qcol = resumed ? lx->stk[lx->nstk - 1].col : col;
    bool bad = false;
    tok_kind kind;
    buf_reset(&lx->sb);
    for (;;) {
        if (lx->cur >= lx->lim || *lx->cur == '\n') {
            /* The line break is left for the newline rule. Every enclosing interpolated
             * string is unterminated too, but one report is enough. */
            diag_error(lx->d, qline, qcol, "unterminated string");
            lx->nstk = 0;
            return make(lx, TOK_ERROR, start, line, col);
        }
        unsigned char c = *lx->cur;
        if (c == '"') {
            lx->cur++;
            kind = resumed ? TOK_STR_END : TOK_STRING;
            if (resumed)
                lx->nstk--;
            break;
        }
        if (c == '{') {
            lx->cur++;
            kind = resumed ? TOK_STR_MID : TOK_STR_BEGIN;
            if (!resumed)
                push_interp(lx, qline, qcol);
            break;
        }
        if (c != '\\') {
            buf_putc(&lx->sb, (char)c);
            lx->cur++;
            continue;
        }
        const unsigned char *esc = lx->cur;
        lx->cur++;
        if (lx->cur >= lx->lim || *lx->cur == '\n')
            continue;                    /* reported as unterminated above */
        c = *lx->cur;
        switch (c) {
        case 'n': buf_putc(&lx->sb, '\n'); lx->cur++; continue;
        case 't': buf_putc(&lx->sb, '\t'); lx->cur++; continue;
        case 'r': buf_putc(&lx->sb, '\r'); lx->cur++; continue;
        case '0': buf_putc(&lx->sb, '\0'); lx->cur++; continue;
        case '\\': case '"': case '{': case '}':
            buf_putc(&lx->sb, (char)c);
            lx->cur++;
            continue;
        case 'u': {
            const unsigned char *p = lx->cur + 1;
            if (p < lx->lim && *p == '{') {
                p++;
                uint32_t v = 0;
                int ndig = 0;
                while (p < lx->lim && ((*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f'))) {
                    if (ndig < 8)
                        v = v * 16 + (uint32_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
                    ndig++;
                    p++;
                }
                bool closed = p < lx->lim && *p == '}';
                if (closed)
                    p++;
                if (closed && ndig >= 1 && ndig <= 6 && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF)) {
                    encode_utf8(&lx->sb, v);
                    lx->cur = p;
                    continue;
                }
                int shown = (int)(p - esc) > 16 ? 16 : (int)(p - esc);
                diag_error(lx->d, line, col_of(lx, esc), "invalid escape '%.*s'", shown, (const char *)esc);
                lx->cur = p;
            } else {
                diag_error(lx->d, line, col_of(lx, esc), "invalid escape '\\u'");
                lx->cur++;
            }
            bad = true;
            continue;
        }
        default: {
            char rep[8];
            int n = char_repr(lx->cur, lx->lim, rep);
            diag_error(lx->d, line, col_of(lx, esc), "invalid escape '\\%s'", rep);
            lx->cur += n;
            bad = true;
            continue;
        }
        }
    }
    token t = make(lx, bad ? TOK_ERROR : kind, start, line, col);
    t.v.s.str = ast_strdup(lx->arena, lx->sb.data ? lx->sb.data : "", lx->sb.len);
    t.v.s.len = lx->sb.len;
    return t;
}

/* ---- numbers ---------------------------------------------------------------------------- */

static token lex_int(lexer *lx, const unsigned char *start, int line, int col, int base)
{
    const unsigned char *p = start;
    if (base != 10)
        p += 2;                          /* 0x or 0b */
    const uint64_t limit = (uint64_t)1 << 63;  /* the magnitude of INT64_MIN */
    uint64_t v = 0;
    bool over = false;
    for (; p < lx->cur; p++) {
        if (*p == '_')
            continue;
        unsigned dgt = *p <= '9' ? (unsigned)(*p - '0') : (unsigned)((*p | 0x20) - 'a' + 10);
        if (v > (limit - dgt) / (unsigned)base) {
            over = true;
            break;
        }
        v = v * (unsigned)base + dgt;
    }
    if (over) {
        diag_error(lx->d, line, col, "integer literal out of range");
        return make(lx, TOK_ERROR, start, line, col);
    }
    token t = make(lx, TOK_INT, start, line, col);
    if (v == limit) {
        t.int_min_only = true;
        t.v.i = INT64_MIN;
    } else {
        t.v.i = (int64_t)v;
    }
    return t;
}

static token lex_float(lexer *lx, const unsigned char *start, int line, int col)
{
    buf_reset(&lx->sb);
    for (const unsigned char *p = start; p < lx->cur; p++)
        if (*p != '_')
            buf_putc(&lx->sb, (char)*p);
    double f = strtod(lx->sb.data, NULL);
    if (isinf(f)) {
        diag_error(lx->d, line, col, "float literal out of range");
        return make(lx, TOK_ERROR, start, line, col);
    }
    token t = make(lx, TOK_FLOAT, start, line, col);
    t.v.f = f;
    return t;
}

/* ---- the automaton ---------------------------------------------------------------------- */

static tok_kind keyword(const unsigned char *s, size_t len)
{
    for (int k = TOK_KW_LET; k <= TOK_KW_SPAWN; k++) {
        const char *kw = tok_spellings[k];
        if (strlen(kw) == len && memcmp(kw, s, len) == 0)
            return (tok_kind)k;
    }
    return TOK_IDENT;
}

/* Bytes that start no token: a run of them is one "unexpected character" error. */
static bool is_stray(unsigned char c)
{
    if (c >= 0x80 || c == 0x7F)
        return true;
    if (c < 0x20)
        return c != '\t' && c != '\n' && c != '\r';
    return c == '$' || c == '#' || c == '?' || c == '\\' || c == '\'' || c == '`';
}

token lex_next(lexer *lx)
{
    for (;;) {
        const unsigned char *start = lx->cur;
        const unsigned char *YYCURSOR = lx->cur, *YYMARKER = lx->cur;
        const unsigned char *const YYLIMIT = lx->lim;
        int line = lx->line, col = col_of(lx, start);
        (void)YYMARKER;

#define TOK(k) do { lx->cur = YYCURSOR; return make(lx, TOK_##k, start, line, col); } while (0)

        /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:yyfill:enable = 0;
        re2c:eof = 0;

        dig = [0-9];
        dec = dig ("_"? dig)*;
        hexd = [0-9a-fA-F];
        hex = "0" [xX] hexd ("_"? hexd)*;
        bin = "0" [bB] [01] ("_"? [01])*;
        exp = [eE] [+-]? dec;
        flt = dec "." dec exp? | dec exp;
        word = [0-9A-Za-z_];
        badnum = dig word* | dec "." dig word*;
        ident = [A-Za-z_] word*;

        $ {
            if (lx->nstk > 0) {
                interp *in = &lx->stk[lx->nstk - 1];
                diag_error(lx->d, in->line, in->col, "unterminated string");
                lx->nstk = 0;
                return make(lx, TOK_ERROR, start, lx->end_line, lx->end_col);
            }
            /* The end of the text ends a statement as a line break would. */
            if (ends_statement(lx->last))
                return make(lx, TOK_NEWLINE, start, lx->end_line, lx->end_col);
            return make(lx, TOK_EOF, start, lx->end_line, lx->end_col);
        }

        [ \t\r]+ { lx->cur = YYCURSOR; continue; }

        "\n" {
            if (lx->nstk > 0) {
                /* The line break stays for the next call, which applies the newline rule. */
                interp *in = &lx->stk[lx->nstk - 1];
                diag_error(lx->d, in->line, in->col, "unterminated string");
                lx->nstk = 0;
                return make(lx, TOK_ERROR, start, line, col);
            }
            lx->cur = YYCURSOR;
            lx->line++;
            lx->bol = YYCURSOR;
            if (ends_statement(lx->last)) {
                token t = make(lx, TOK_NEWLINE, start, line, col);
                t.len = 1;
                return t;
            }
            continue;
        }

        "//" [^\n]* {
            lx->cur = YYCURSOR;
            lx->end_line = lx->line;
            lx->end_col = col_of(lx, lx->cur);
            continue;
        }

        "/*" {
            const unsigned char *p = YYCURSOR;
            bool newline = false, closed = false;
            while (p < lx->lim) {
                if (*p == '*' && p + 1 < lx->lim && p[1] == '/') {
                    p += 2;
                    closed = true;
                    break;
                }
                if (*p == '\n') {
                    newline = true;
                    lx->line++;
                    lx->bol = p + 1;
                }
                p++;
            }
            lx->cur = p;
            lx->end_line = lx->line;
            lx->end_col = col_of(lx, p);
            if (!closed) {
                diag_error(lx->d, line, col, "unterminated comment");
                token t = make(lx, TOK_ERROR, start, line, col);
                t.len = 2;
                return t;
            }
            /* A comment that spans lines is a line break for the newline rule. */
            if (newline && lx->nstk == 0 && ends_statement(lx->last)) {
                token t = make(lx, TOK_NEWLINE, start, line, col);
                t.len = 2;
                return t;
            }
            continue;
        }

        ident {
            lx->cur = YYCURSOR;
            return make(lx, keyword(start, (size_t)(YYCURSOR - start)), start, line, col);
        }

        dec { lx->cur = YYCURSOR; return lex_int(lx, start, line, col, 10); }
        hex { lx->cur = YYCURSOR; return lex_int(lx, start, line, col, 16); }
        bin { lx->cur = YYCURSOR; return lex_int(lx, start, line, col, 2); }
        flt { lx->cur = YYCURSOR; return lex_float(lx, start, line, col); }
        badnum {
            lx->cur = YYCURSOR;
            int n = (int)(YYCURSOR - start);
            diag_error(lx->d, line, col, "invalid number literal '%.*s'", n > 40 ? 40 : n,
                       (const char *)start);
            return make(lx, TOK_ERROR, start, line, col);
        }

        "\"" {
            lx->cur = YYCURSOR;
            return lex_string(lx, start, line, col, false);
        }

        "{" {
            if (lx->nstk > 0)
                lx->stk[lx->nstk - 1].depth++;
            TOK(LBRACE);
        }
        "}" {
            if (lx->nstk > 0) {
                interp *in = &lx->stk[lx->nstk - 1];
                if (in->depth == 0) {
                    lx->cur = YYCURSOR;
                    return lex_string(lx, start, line, col, true);
                }
                in->depth--;
            }
            TOK(RBRACE);
        }

        "("   { TOK(LPAREN); }
        ")"   { TOK(RPAREN); }
        "["   { TOK(LBRACKET); }
        "]"   { TOK(RBRACKET); }
        ","   { TOK(COMMA); }
        "."   { TOK(DOT); }
        ".."  { TOK(DOTDOT); }
        ":"   { TOK(COLON); }
        ";"   { TOK(SEMI); }
        "->"  { TOK(ARROW); }
        "+"   { TOK(PLUS); }
        "-"   { TOK(MINUS); }
        "*"   { TOK(STAR); }
        "/"   { TOK(SLASH); }
        "%"   { TOK(PERCENT); }
        "&"   { TOK(AMP); }
        "|"   { TOK(PIPE); }
        "^"   { TOK(CARET); }
        "~"   { TOK(TILDE); }
        "!"   { TOK(BANG); }
        "<"   { TOK(LT); }
        ">"   { TOK(GT); }
        "<="  { TOK(LE); }
        ">="  { TOK(GE); }
        "=="  { TOK(EQEQ); }
        "!="  { TOK(NE); }
        "&&"  { TOK(ANDAND); }
        "||"  { TOK(OROR); }
        "<<"  { TOK(SHL); }
        ">>"  { TOK(SHR); }
        "="   { TOK(EQ); }
        "+="  { TOK(PLUSEQ); }
        "-="  { TOK(MINUSEQ); }
        "*="  { TOK(STAREQ); }
        "/="  { TOK(SLASHEQ); }
        "%="  { TOK(PERCENTEQ); }
        "&="  { TOK(AMPEQ); }
        "|="  { TOK(PIPEEQ); }
        "^="  { TOK(CARETEQ); }
        "<<=" { TOK(SHLEQ); }
        ">>=" { TOK(SHREQ); }
        "@"   { TOK(AT); }

        * {
            char rep[8];
            const unsigned char *p = start + char_repr(start, lx->lim, rep);
            while (p < lx->lim && is_stray(*p))
                p++;
            lx->cur = p;
            diag_error(lx->d, line, col, "unexpected character '%s'", rep);
            return make(lx, TOK_ERROR, start, line, col);
        }
        */
#undef TOK
    }
}

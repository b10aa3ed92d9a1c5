/* test_lexer.c — the lexer (language.md 1) and the diagnostic format (language.md 13). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "buf.h"
#include "diag.h"
#include "lexer.h"

static const char *const kind_ids[TOK__COUNT] = {
#define TOK(name, spelling) #name,
#include "tokens.def"
#undef TOK
};

#define MAXTOK 256

/* One lexing run: the tokens up to and including EOF, and the diagnostics. */
typedef struct {
    ast_arena *A;
    holt_buf diag;
    diag_ctx d;
    token t[MAXTOK];
    int n;
    char kinds[4096];             /* "LET IDENT EQ INT NEWLINE EOF" */
} run;

static run *lex_src(const char *src, size_t len)
{
    run *r = calloc(1, sizeof(run));
    r->A = ast_arena_new();
    buf_init(&r->diag);
    r->d = (diag_ctx){"t.holt", src, len, 0, &r->diag};
    lexer *lx = lex_new(&r->d, r->A);
    size_t off = 0;
    while (r->n < MAXTOK) {
        token t = lex_next(lx);
        r->t[r->n++] = t;
        off += (size_t)snprintf(r->kinds + off, sizeof r->kinds - off, "%s%s",
                                off ? " " : "", kind_ids[t.kind]);
        if (t.kind == TOK_EOF)
            break;
    }
    /* EOF again and again. */
    for (int i = 0; i < 3; i++)
        cr_assert_eq(lex_next(lx).kind, TOK_EOF);
    lex_free(lx);
    return r;
}

static run *lex(const char *src)
{
    return lex_src(src, strlen(src));
}

static const char *diags(run *r)
{
    return r->diag.data ? r->diag.data : "";
}

static void done(run *r)
{
    ast_arena_free(r->A);
    buf_free(&r->diag);
    free(r);
}

static void expect_kinds(const char *src, const char *kinds)
{
    run *r = lex(src);
    cr_assert_str_eq(r->kinds, kinds, "source [%s]", src);
    cr_assert_eq(r->d.nerrors, 0, "source [%s]: %s", src, diags(r));
    done(r);
}

/* Lex one literal: its single token (then NEWLINE EOF). */
static run *lit(const char *src)
{
    run *r = lex(src);
    cr_assert_geq(r->n, 2);
    return r;
}

static void expect_int(const char *src, int64_t v)
{
    run *r = lit(src);
    cr_assert_eq(r->t[0].kind, TOK_INT, "%s: %s", src, r->kinds);
    cr_assert_eq(r->t[0].v.i, v, "%s", src);
    cr_assert_not(r->t[0].int_min_only);
    cr_assert_eq(r->d.nerrors, 0, "%s: %s", src, diags(r));
    cr_assert_eq(r->t[0].len, (int)strlen(src));
    done(r);
}

static void expect_float(const char *src, double v)
{
    run *r = lit(src);
    cr_assert_eq(r->t[0].kind, TOK_FLOAT, "%s: %s", src, r->kinds);
    cr_assert_eq(r->t[0].v.f, v, "%s", src);
    cr_assert_eq(r->d.nerrors, 0, "%s: %s", src, diags(r));
    done(r);
}

/* The source gives exactly one error, with this header line. */
static void expect_error(const char *src, const char *header)
{
    run *r = lex(src);
    cr_assert_eq(r->d.nerrors, 1, "[%s] gave %d errors: %s", src, r->d.nerrors, diags(r));
    cr_assert(strncmp(diags(r), header, strlen(header)) == 0, "[%s]: expected %s, got %s", src,
              header, diags(r));
    bool has_error_tok = false;
    for (int i = 0; i < r->n; i++)
        has_error_tok |= r->t[i].kind == TOK_ERROR;
    cr_assert(has_error_tok, "[%s]: no ERROR token in %s", src, r->kinds);
    done(r);
}

static void expect_string(const char *src, const char *bytes, size_t len)
{
    run *r = lit(src);
    cr_assert_eq(r->t[0].kind, TOK_STRING, "%s: %s %s", src, r->kinds, diags(r));
    cr_assert_eq(r->t[0].v.s.len, len, "%s", src);
    cr_assert(memcmp(r->t[0].v.s.str, bytes, len) == 0, "%s", src);
    cr_assert_eq(r->t[0].v.s.str[len], '\0');
    done(r);
}

/* ---- tokens ----------------------------------------------------------------------------- */

Test(lexer, every_operator_and_punctuation)
{
    expect_kinds("( ) [ ] { } , . .. : ; -> + - * / % & | ^ ~ ! < > <= >= == != && || << >> "
                 "= += -= *= /= %= &= |= ^= <<= >>= @",
                 "LPAREN RPAREN LBRACKET RBRACKET LBRACE RBRACE COMMA DOT DOTDOT COLON SEMI "
                 "ARROW PLUS MINUS STAR SLASH PERCENT AMP PIPE CARET TILDE BANG LT GT LE GE "
                 "EQEQ NE ANDAND OROR SHL SHR EQ PLUSEQ MINUSEQ STAREQ SLASHEQ PERCENTEQ AMPEQ "
                 "PIPEEQ CARETEQ SHLEQ SHREQ AT EOF");
}

Test(lexer, operators_without_spaces_take_the_longest)
{
    expect_kinds("a<<=b>>c<=d->e...f", "IDENT SHLEQ IDENT SHR IDENT LE IDENT ARROW IDENT "
                                       "DOTDOT DOT IDENT NEWLINE EOF");
    expect_kinds("!!x&&&y||=z", "BANG BANG IDENT ANDAND AMP IDENT OROR EQ IDENT NEWLINE EOF");
}

Test(lexer, every_keyword)
{
    expect_kinds("let var fn return if else while for in break continue class interface init "
                 "self super static import as is null true false throw try catch finally spawn",
                 "KW_LET KW_VAR KW_FN KW_RETURN KW_IF KW_ELSE KW_WHILE KW_FOR KW_IN KW_BREAK "
                 "KW_CONTINUE KW_CLASS KW_INTERFACE KW_INIT KW_SELF KW_SUPER KW_STATIC "
                 "KW_IMPORT KW_AS KW_IS KW_NULL KW_TRUE KW_FALSE KW_THROW KW_TRY KW_CATCH "
                 "KW_FINALLY KW_SPAWN EOF");
}

Test(lexer, identifiers)
{
    expect_kinds("abc _x x_1 ABC __ z9_Z letter format iffy null_count Let",
                 "IDENT IDENT IDENT IDENT IDENT IDENT IDENT IDENT IDENT IDENT IDENT NEWLINE EOF");
    run *r = lex("  hello_world");
    cr_assert_eq(r->t[0].len, 11);
    cr_assert(memcmp(r->t[0].start, "hello_world", 11) == 0);
    cr_assert_eq(r->t[0].col, 3);
    done(r);
}

Test(lexer, positions_are_line_and_byte_column)
{
    run *r = lex("let x\n\tfoo(\"\xc3\xa9\", y)\n  // c\n  z");
    /* let x NEWLINE foo ( "é" , y ) NEWLINE z NEWLINE EOF */
    cr_assert_str_eq(r->kinds, "KW_LET IDENT NEWLINE IDENT LPAREN STRING COMMA IDENT RPAREN "
                               "NEWLINE IDENT NEWLINE EOF");
    cr_assert_eq(r->t[0].line, 1); cr_assert_eq(r->t[0].col, 1);
    cr_assert_eq(r->t[1].line, 1); cr_assert_eq(r->t[1].col, 5);
    cr_assert_eq(r->t[2].line, 1); cr_assert_eq(r->t[2].col, 6);   /* the '\n' itself */
    cr_assert_eq(r->t[3].line, 2); cr_assert_eq(r->t[3].col, 2);   /* after a tab */
    cr_assert_eq(r->t[5].col, 6);
    cr_assert_eq(r->t[6].col, 10);                                 /* é is two bytes */
    cr_assert_eq(r->t[7].col, 12);
    cr_assert_eq(r->t[10].line, 4); cr_assert_eq(r->t[10].col, 3);
    done(r);
}

Test(lexer, crlf_line_breaks)
{
    expect_kinds("a\r\nb\r\n", "IDENT NEWLINE IDENT NEWLINE EOF");
}

/* ---- integers --------------------------------------------------------------------------- */

Test(lexer, integer_forms)
{
    expect_int("0", 0);
    expect_int("42", 42);
    expect_int("007", 7);
    expect_int("0x2A", 42);
    expect_int("0X2a", 42);
    expect_int("0xff", 255);
    expect_int("0b101010", 42);
    expect_int("0B0", 0);
    expect_int("1_000_000", 1000000);
    expect_int("0xFFFF_FFFF", 4294967295);
    expect_int("0b1111_0000", 240);
    expect_int("9223372036854775807", INT64_MAX);
    expect_int("0x7FFFFFFFFFFFFFFF", INT64_MAX);
    expect_int("0b111111111111111111111111111111111111111111111111111111111111111", INT64_MAX);
}

Test(lexer, int_min_only_literal)
{
    const char *forms[] = {"9223372036854775808", "0x8000000000000000", "0x8000_0000_0000_0000",
                           "0b1000000000000000000000000000000000000000000000000000000000000000"};
    for (int i = 0; i < 4; i++) {
        run *r = lit(forms[i]);
        cr_assert_eq(r->t[0].kind, TOK_INT, "%s", forms[i]);
        cr_assert(r->t[0].int_min_only, "%s", forms[i]);
        cr_assert_eq(r->t[0].v.i, INT64_MIN);
        cr_assert_eq(r->d.nerrors, 0);
        done(r);
    }
}

Test(lexer, integer_out_of_range)
{
    expect_error("9223372036854775809", "t.holt:1:1: error: integer literal out of range\n");
    expect_error("x = 18446744073709551616", "t.holt:1:5: error: integer literal out of range\n");
    expect_error("99999999999999999999999", "t.holt:1:1: error: integer literal out of range\n");
    expect_error("0x1_0000_0000_0000_0000", "t.holt:1:1: error: integer literal out of range\n");
    expect_error("0x8000000000000001", "t.holt:1:1: error: integer literal out of range\n");
    expect_error("0b11111111111111111111111111111111111111111111111111111111111111111",
                 "t.holt:1:1: error: integer literal out of range\n");
}

Test(lexer, malformed_numbers)
{
    expect_error("1_", "t.holt:1:1: error: invalid number literal '1_'\n");
    expect_error("1__0", "t.holt:1:1: error: invalid number literal '1__0'\n");
    expect_error("0x", "t.holt:1:1: error: invalid number literal '0x'\n");
    expect_error("0x_1", "t.holt:1:1: error: invalid number literal '0x_1'\n");
    expect_error("0b102", "t.holt:1:1: error: invalid number literal '0b102'\n");
    expect_error(" 123abc", "t.holt:1:2: error: invalid number literal '123abc'\n");
    expect_error("1e", "t.holt:1:1: error: invalid number literal '1e'\n");
    expect_error("1.5e+", "t.holt:1:1: error: invalid number literal '1.5e'\n");
    expect_error("2.5x", "t.holt:1:1: error: invalid number literal '2.5x'\n");
}

/* ---- floats ----------------------------------------------------------------------------- */

Test(lexer, float_forms)
{
    expect_float("1.5", 1.5);
    expect_float("2.0e-3", 2.0e-3);
    expect_float("1e9", 1e9);
    expect_float("1E+9", 1e9);
    expect_float("1e0", 1.0);
    expect_float("0.1", 0.1);
    expect_float("1_000.25", 1000.25);
    expect_float("1.7976931348623157e308", 1.7976931348623157e308);
    expect_float("5e-324", 5e-324);
    expect_float("1e-400", 0.0);                  /* underflow is not an error */
    expect_float("123456789012345678.0", 123456789012345678.0);
}

Test(lexer, float_out_of_range)
{
    expect_error("let f = 1e400", "t.holt:1:9: error: float literal out of range\n");
    expect_error("1.8e308", "t.holt:1:1: error: float literal out of range\n");
}

Test(lexer, ranges_are_not_floats)
{
    expect_kinds("0..n", "INT DOTDOT IDENT NEWLINE EOF");
    expect_kinds("1..2", "INT DOTDOT INT NEWLINE EOF");
    expect_kinds("i + 1..n", "IDENT PLUS INT DOTDOT IDENT NEWLINE EOF");
    expect_kinds("1.5..2.5", "FLOAT DOTDOT FLOAT NEWLINE EOF");
    expect_kinds("1.foo", "INT DOT IDENT NEWLINE EOF");
    expect_kinds("-1.5", "MINUS FLOAT NEWLINE EOF");
}

/* ---- strings ---------------------------------------------------------------------------- */

Test(lexer, plain_strings)
{
    expect_string("\"\"", "", 0);
    expect_string("\"plain\"", "plain", 5);
    expect_string("\"semi;colon // not a comment\"", "semi;colon // not a comment", 27);
    expect_string("\"/* nor this */\"", "/* nor this */", 14);
    expect_string("\"h\xc3\xa9llo \xf0\x9f\x98\x80\"", "h\xc3\xa9llo \xf0\x9f\x98\x80", 11);
    expect_string("\"tab\tinside\"", "tab\tinside", 10);
    /* Any byte is fine inside a string, invalid UTF-8 included. */
    expect_string("\"\xff\xfe\"", "\xff\xfe", 2);
}

Test(lexer, every_escape)
{
    expect_string("\"\\n\\t\\r\\0\\\\\\\"\\{\\}\"", "\n\t\r\0\\\"{}", 8);
    expect_string("\"a\\\\nb\"", "a\\nb", 4);
    expect_string("\"\\u{41}\\u{42}\"", "AB", 2);
    expect_string("\"\\u{e9}\"", "\xc3\xa9", 2);
    expect_string("\"\\u{7FF}\"", "\xdf\xbf", 2);
    expect_string("\"\\u{800}\"", "\xe0\xa0\x80", 3);
    expect_string("\"\\u{FFFF}\"", "\xef\xbf\xbf", 3);
    expect_string("\"\\u{1F600}\"", "\xf0\x9f\x98\x80", 4);
    expect_string("\"\\u{10FFFF}\"", "\xf4\x8f\xbf\xbf", 4);
    expect_string("\"\\u{000041}\"", "A", 1);
    expect_string("\"\\u{0}\"", "\0", 1);
}

Test(lexer, invalid_escapes)
{
    expect_error("print(\"bad \\q escape\")", "t.holt:1:12: error: invalid escape '\\q'\n");
    expect_error("\"\\a\"", "t.holt:1:2: error: invalid escape '\\a'\n");
    expect_error("\"\\\xc3\xa9\"", "t.holt:1:2: error: invalid escape '\\\xc3\xa9'\n");
    expect_error("\"\\\x01\"", "t.holt:1:2: error: invalid escape '\\\\x01'\n");
    expect_error("\"\\u{110000}\"", "t.holt:1:2: error: invalid escape '\\u{110000}'\n");
    expect_error("\"\\u{D800}\"", "t.holt:1:2: error: invalid escape '\\u{D800}'\n");
    expect_error("\"\\u{DFFF}\"", "t.holt:1:2: error: invalid escape '\\u{DFFF}'\n");
    expect_error("\"\\u{}\"", "t.holt:1:2: error: invalid escape '\\u{}'\n");
    expect_error("\"\\u{1234567}\"", "t.holt:1:2: error: invalid escape '\\u{1234567}'\n");
    expect_error("\"\\u{12\"", "t.holt:1:2: error: invalid escape '\\u{12'\n");
    expect_error("\"\\u{zz}\"", "t.holt:1:2: error: invalid escape '\\u{'\n");
    expect_error("\"x\\u41\"", "t.holt:1:3: error: invalid escape '\\u'\n");
}

Test(lexer, invalid_escape_keeps_lexing)
{
    run *r = lex("\"\\q\" + 1\nx");
    cr_assert_str_eq(r->kinds, "ERROR PLUS INT NEWLINE IDENT NEWLINE EOF");
    cr_assert_eq(r->d.nerrors, 1);
    done(r);
    /* Two bad escapes in one string are two errors. */
    r = lex("\"\\q\\w\"");
    cr_assert_eq(r->d.nerrors, 2);
    done(r);
}

Test(lexer, unterminated_strings)
{
    expect_error("let a = 1\nlet s = \"abc\nprint(s)", "t.holt:2:9: error: unterminated string\n");
    expect_error("\"abc", "t.holt:1:1: error: unterminated string\n");
    expect_error("x \"abc\\", "t.holt:1:3: error: unterminated string\n");
    expect_error("\"abc\\\nx", "t.holt:1:1: error: unterminated string\n");
    /* The line break is still a line break: the next line is lexed normally. */
    run *r = lex("s = \"abc\nx = 1");
    cr_assert_str_eq(r->kinds, "IDENT EQ ERROR NEWLINE IDENT EQ INT NEWLINE EOF");
    done(r);
}

/* ---- interpolation ---------------------------------------------------------------------- */

static void expect_piece(run *r, int i, tok_kind k, const char *text)
{
    cr_assert_eq(r->t[i].kind, k, "token %d of %s", i, r->kinds);
    cr_assert_eq(r->t[i].v.s.len, strlen(text), "token %d", i);
    cr_assert(memcmp(r->t[i].v.s.str, text, strlen(text)) == 0, "token %d", i);
}

Test(lexer, interpolation_pieces)
{
    run *r = lex("\"x = {x + 1}!\"");
    cr_assert_str_eq(r->kinds, "STR_BEGIN IDENT PLUS INT STR_END NEWLINE EOF");
    expect_piece(r, 0, TOK_STR_BEGIN, "x = ");
    expect_piece(r, 4, TOK_STR_END, "!");
    cr_assert_eq(r->t[4].col, 12);              /* the piece starts at its '}' */
    cr_assert_eq(r->t[4].len, 3);
    done(r);

    r = lex("\"a{x}b{y}c\"");
    cr_assert_str_eq(r->kinds, "STR_BEGIN IDENT STR_MID IDENT STR_END NEWLINE EOF");
    expect_piece(r, 0, TOK_STR_BEGIN, "a");
    expect_piece(r, 2, TOK_STR_MID, "b");
    expect_piece(r, 4, TOK_STR_END, "c");
    done(r);

    r = lex("\"{x}{y}\"");
    cr_assert_str_eq(r->kinds, "STR_BEGIN IDENT STR_MID IDENT STR_END NEWLINE EOF");
    expect_piece(r, 0, TOK_STR_BEGIN, "");
    expect_piece(r, 2, TOK_STR_MID, "");
    done(r);
}

Test(lexer, interpolation_nesting)
{
    expect_kinds("\"{m[\"k\"]}\"", "STR_BEGIN IDENT LBRACKET STRING RBRACKET STR_END NEWLINE EOF");
    expect_kinds("\"{ {1: 2}[1] }\"", "STR_BEGIN LBRACE INT COLON INT RBRACE LBRACKET INT "
                                      "RBRACKET STR_END NEWLINE EOF");
    expect_kinds("\"outer {\"inner {n}\"} end\"",
                 "STR_BEGIN STR_BEGIN IDENT STR_END STR_END NEWLINE EOF");
    expect_kinds("\"{f(fn() { return {1: {2: 3}} })}\"",
                 "STR_BEGIN IDENT LPAREN KW_FN LPAREN RPAREN LBRACE KW_RETURN LBRACE INT COLON "
                 "LBRACE INT COLON INT RBRACE RBRACE RBRACE RPAREN STR_END NEWLINE EOF");
    /* After the string, braces are ordinary again. */
    expect_kinds("f(\"{a}\") { }", "IDENT LPAREN STR_BEGIN IDENT STR_END RPAREN LBRACE RBRACE "
                                   "NEWLINE EOF");
}

Test(lexer, escaped_braces_do_not_interpolate)
{
    expect_string("\"\\{x\\}\"", "{x}", 3);
    run *r = lex("\"set: \\{{x}\\}\"");
    cr_assert_str_eq(r->kinds, "STR_BEGIN IDENT STR_END NEWLINE EOF");
    expect_piece(r, 0, TOK_STR_BEGIN, "set: {");
    expect_piece(r, 2, TOK_STR_END, "}");
    done(r);
    /* A lone '}' in a plain string is just a character. */
    expect_string("\"a}b\"", "a}b", 3);
}

Test(lexer, empty_interpolation_lexes)
{
    /* The parser reports "expected expression, found '}'"; the lexer just cuts. */
    expect_kinds("\"a {} b\"", "STR_BEGIN STR_END NEWLINE EOF");
}

Test(lexer, unterminated_interpolation)
{
    expect_error("print(\"a {1 + 2\")", "t.holt:1:16: error: unterminated string\n");
    expect_error("\"a{x", "t.holt:1:1: error: unterminated string\n");
    expect_error("s = \"a{x\ny = 2", "t.holt:1:5: error: unterminated string\n");
    expect_error("\"a{\"b{x\n", "t.holt:1:4: error: unterminated string\n");
    /* After the error the next line lexes normally. */
    run *r = lex("s = \"a{x\ny = 2");
    cr_assert_str_eq(r->kinds, "IDENT EQ STR_BEGIN IDENT ERROR NEWLINE IDENT EQ INT NEWLINE EOF");
    done(r);
}

/* ---- the newline rule ------------------------------------------------------------------- */

Test(lexer, newline_after_each_ending_token)
{
    const char *enders[] = {"x", "42", "1.5", "\"s\"", "\"{a}\"", ")", "]", "}", "return",
                            "break", "continue", "true", "false", "null", "self"};
    for (size_t i = 0; i < sizeof enders / sizeof *enders; i++) {
        char src[64];
        snprintf(src, sizeof src, "%s\ny", enders[i]);
        run *r = lex(src);
        /* The token before "y" must be a NEWLINE. */
        int y = r->n - 3;
        cr_assert_eq(r->t[y].kind, TOK_IDENT, "%s: %s", enders[i], r->kinds);
        cr_assert_eq(r->t[y - 1].kind, TOK_NEWLINE, "%s: %s", enders[i], r->kinds);
        done(r);
    }
}

Test(lexer, no_newline_after_continuing_tokens)
{
    const char *cont[] = {"+", "-", "*", ",", "(", "[", "{", "=", "&&", "||", ".", "->", ":",
                          "let", "if", "else", "fn", "in", "as", "is", "super", "<", ">"};
    for (size_t i = 0; i < sizeof cont / sizeof *cont; i++) {
        char src[64];
        snprintf(src, sizeof src, "%s\ny", cont[i]);
        run *r = lex(src);
        cr_assert_eq(r->n, 4, "%s: %s", cont[i], r->kinds);   /* tok IDENT NEWLINE EOF */
        cr_assert_eq(r->t[1].kind, TOK_IDENT, "%s: %s", cont[i], r->kinds);
        done(r);
    }
}

Test(lexer, never_two_newlines)
{
    expect_kinds("\n\n\na\n\n\n\nb\n\n", "IDENT NEWLINE IDENT NEWLINE EOF");
    expect_kinds("a // one\n// two\n\n  // three\nb", "IDENT NEWLINE IDENT NEWLINE EOF");
    expect_kinds("", "EOF");
    expect_kinds("\n  \n", "EOF");
}

Test(lexer, end_of_file_implies_newline)
{
    expect_kinds("x", "IDENT NEWLINE EOF");
    expect_kinds("x\n", "IDENT NEWLINE EOF");
    expect_kinds("x +", "IDENT PLUS EOF");
    run *r = lex("ab  \n\n");
    cr_assert_eq(r->t[2].kind, TOK_EOF);
    cr_assert_eq(r->t[2].line, 1);              /* just after the last token */
    cr_assert_eq(r->t[2].col, 3);
    done(r);
}

Test(lexer, comments)
{
    expect_kinds("a // c\nb", "IDENT NEWLINE IDENT NEWLINE EOF");
    expect_kinds("a /* c */ + b", "IDENT PLUS IDENT NEWLINE EOF");
    expect_kinds("/**/a/***/", "IDENT NEWLINE EOF");
    expect_kinds("a /* // */ b", "IDENT IDENT NEWLINE EOF");
    expect_kinds("// /* not a block\na", "IDENT NEWLINE EOF");
    expect_kinds("/* \xc3\xbc \xff */ a // \xe6\xbc\xa2", "IDENT NEWLINE EOF");
    expect_kinds("a //", "IDENT NEWLINE EOF");
}

Test(lexer, block_comment_with_newline_is_a_newline)
{
    expect_kinds("let a = 1 /* first\n second */ let b = 2",
                 "KW_LET IDENT EQ INT NEWLINE KW_LET IDENT EQ INT NEWLINE EOF");
    /* Only when the newline rule allows one. */
    expect_kinds("a + /* x\n y */ b", "IDENT PLUS IDENT NEWLINE EOF");
    run *r = lex("a /* x\n y */ b");
    cr_assert_eq(r->t[1].kind, TOK_NEWLINE);
    cr_assert_eq(r->t[1].line, 1);
    cr_assert_eq(r->t[1].col, 3);
    cr_assert_eq(r->t[2].line, 2);              /* lines are still counted */
    cr_assert_eq(r->t[2].col, 7);
    done(r);
}

Test(lexer, unterminated_comment)
{
    expect_error("let a = 1\n/* this comment\n   never ends\n",
                 "t.holt:2:1: error: unterminated comment\n");
    expect_error("a /* x *", "t.holt:1:3: error: unterminated comment\n");
}

/* ---- stray characters ------------------------------------------------------------------- */

Test(lexer, unexpected_characters)
{
    expect_error("let b = a $ 2", "t.holt:1:11: error: unexpected character '$'\n");
    expect_error("let price = 3 # 4", "t.holt:1:15: error: unexpected character '#'\n");
    expect_error("x ? y", "t.holt:1:3: error: unexpected character '?'\n");
    expect_error("x \\ y", "t.holt:1:3: error: unexpected character '\\'\n");
    expect_error("'a", "t.holt:1:1: error: unexpected character '''\n");
    expect_error("let caf\xc3\xa9 = 1", "t.holt:1:8: error: unexpected character '\xc3\xa9'\n");
    expect_error("a \xff b", "t.holt:1:3: error: unexpected character '\\xff'\n");
    expect_error("a \x01 b", "t.holt:1:3: error: unexpected character '\\x01'\n");
    expect_error("a \x7f b", "t.holt:1:3: error: unexpected character '\\x7f'\n");
}

Test(lexer, a_run_of_stray_bytes_is_one_error)
{
    run *r = lex("a $$## b \xe2\x82\xac\xe2\x82\xac c");
    cr_assert_eq(r->d.nerrors, 2, "%s", diags(r));
    cr_assert_str_eq(r->kinds, "IDENT ERROR IDENT ERROR IDENT NEWLINE EOF");
    cr_assert_eq(r->t[1].len, 4);
    done(r);
}

Test(lexer, nul_bytes_in_the_source)
{
    const char src[] = "a \0 b \"x\0y\"";
    run *r = lex_src(src, sizeof src - 1);
    cr_assert_str_eq(r->kinds, "IDENT ERROR IDENT STRING NEWLINE EOF");
    cr_assert_eq(r->d.nerrors, 1);
    cr_assert_eq(r->t[3].v.s.len, 3);
    done(r);
    /* The length bounds the text (diag.h: the text is NUL-terminated at that length). */
    r = lex_src("abc\0def", 3);
    cr_assert_str_eq(r->kinds, "IDENT NEWLINE EOF");
    done(r);
}

Test(lexer, errors_keep_lexing_and_end_statements)
{
    run *r = lex("x = $\ny = 1");
    cr_assert_str_eq(r->kinds, "IDENT EQ ERROR NEWLINE IDENT EQ INT NEWLINE EOF");
    done(r);
}

Test(lexer, spellings)
{
    cr_assert_str_eq(tok_spellings[TOK_EOF], "end of file");
    cr_assert_str_eq(tok_spellings[TOK_NEWLINE], "newline");
    cr_assert_str_eq(tok_spellings[TOK_SHREQ], ">>=");
    cr_assert_str_eq(tok_spellings[TOK_KW_SPAWN], "spawn");
}

/* ---- diagnostics ------------------------------------------------------------------------ */

static const char *diag_at(holt_buf *b, const char *src, int line, int col)
{
    buf_reset(b);
    diag_ctx d = {"f.holt", src, strlen(src), 0, b};
    diag_error(&d, line, col, "bad %s %d", "thing", 7);
    cr_assert_eq(d.nerrors, 1);
    return b->data;
}

Test(diag, format)
{
    holt_buf b;
    buf_init(&b);
    cr_assert_str_eq(diag_at(&b, "let s: str = n\n", 1, 14),
                     "f.holt:1:14: error: bad thing 7\nlet s: str = n\n             ^\n");
    cr_assert_str_eq(diag_at(&b, "a\nfn f() {\n    print(totl)\n}\n", 3, 11),
                     "f.holt:3:11: error: bad thing 7\n    print(totl)\n          ^\n");
    cr_assert_str_eq(diag_at(&b, "x\n\tprint(nope)\n", 2, 8),
                     "f.holt:2:8: error: bad thing 7\n\tprint(nope)\n\t      ^\n");
    cr_assert_str_eq(diag_at(&b, "abc", 1, 1), "f.holt:1:1: error: bad thing 7\nabc\n^\n");
    buf_free(&b);
}

Test(diag, positions_past_the_end)
{
    holt_buf b;
    buf_init(&b);
    /* Past the end of the line: just after its last byte. */
    cr_assert_str_eq(diag_at(&b, "abc\ndef\n", 1, 40),
                     "f.holt:1:40: error: bad thing 7\nabc\n   ^\n");
    /* Past the end of the text: after the last byte of the last line. */
    cr_assert_str_eq(diag_at(&b, "abc\ndef\n", 3, 1),
                     "f.holt:3:1: error: bad thing 7\ndef\n   ^\n");
    cr_assert_str_eq(diag_at(&b, "abc\ndef", 9, 2),
                     "f.holt:9:2: error: bad thing 7\ndef\n   ^\n");
    cr_assert_str_eq(diag_at(&b, "", 1, 1), "f.holt:1:1: error: bad thing 7\n\n^\n");
    /* An empty line inside the text is still that line. */
    cr_assert_str_eq(diag_at(&b, "a\n\nb\n", 2, 1), "f.holt:2:1: error: bad thing 7\n\n^\n");
    /* A CRLF line break is not shown. */
    cr_assert_str_eq(diag_at(&b, "ab\r\ncd\r\n", 2, 2), "f.holt:2:2: error: bad thing 7\ncd\n ^\n");
    buf_free(&b);
}

Test(diag, errors_accumulate)
{
    holt_buf b;
    buf_init(&b);
    diag_ctx d = {"f.holt", "x\ny\n", 4, 0, &b};
    diag_error(&d, 1, 1, "one");
    diag_error(&d, 2, 1, "two");
    cr_assert_eq(d.nerrors, 2);
    cr_assert_str_eq(b.data, "f.holt:1:1: error: one\nx\n^\nf.holt:2:1: error: two\ny\n^\n");
    buf_free(&b);
}

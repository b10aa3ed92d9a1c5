/* test_parser.c — the parser (language.md 1-6, 10, 11), the tree dump and the arena. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "buf.h"
#include "diag.h"
#include "lexer.h"
#include "parser.h"

typedef struct {
    ast_arena *A;
    holt_buf diag;
    holt_buf dump;
    diag_ctx d;
    ast_node *root;
} parsed;

static parsed *parse_src(const char *src, size_t len, bool native)
{
    parsed *r = calloc(1, sizeof(parsed));
    r->A = ast_arena_new();
    buf_init(&r->diag);
    buf_init(&r->dump);
    r->d = (diag_ctx){"t.holt", src, len, 0, &r->diag};
    parse_opts o = {native};
    r->root = parse_file(&r->d, r->A, &o);
    cr_assert_not_null(r->root);
    cr_assert_eq(r->root->kind, S_BLOCK);
    ast_dump(r->root, &r->dump);
    return r;
}

static parsed *parse(const char *src)
{
    return parse_src(src, strlen(src), false);
}

static const char *diags(parsed *r)
{
    return r->diag.data ? r->diag.data : "";
}

static void done(parsed *r)
{
    ast_arena_free(r->A);
    buf_free(&r->diag);
    buf_free(&r->dump);
    free(r);
}

/* The source parses without errors and dumps exactly as given. */
static void expect_dump(const char *src, const char *dump)
{
    parsed *r = parse(src);
    cr_assert_eq(r->d.nerrors, 0, "[%s]: %s", src, diags(r));
    cr_assert_str_eq(r->dump.data, dump, "[%s]", src);
    done(r);
}

/* The diagnostics are exactly these. */
static void expect_diags(const char *src, const char *out)
{
    parsed *r = parse(src);
    cr_assert_str_eq(diags(r), out, "[%s]", src);
    done(r);
}

/* The first diagnostic's header line. */
static void expect_error(const char *src, const char *header)
{
    parsed *r = parse(src);
    cr_assert_geq(r->d.nerrors, 1, "[%s] gave no error", src);
    const char *nl = strchr(diags(r), '\n');
    size_t n = nl ? (size_t)(nl - diags(r)) : strlen(diags(r));
    cr_assert(strlen(header) == n && strncmp(diags(r), header, n) == 0,
              "[%s]: expected\n%s\ngot\n%s", src, header, diags(r));
    done(r);
}

static void expect_ok(const char *src)
{
    parsed *r = parse(src);
    cr_assert_eq(r->d.nerrors, 0, "[%s]: %s", src, diags(r));
    done(r);
}

/* ---- a compact printer for expressions, to test precedence -------------------------------- */

static void show(const ast_node *n, holt_buf *b);

static void show_type(const ast_node *t, holt_buf *b)
{
    switch (t->kind) {
    case T_NAME: buf_puts(b, t->name); break;
    case T_QUAL: buf_printf(b, "%s.%s", t->name, t->name2); break;
    case T_LIST: buf_putc(b, '['); show_type(t->a, b); buf_putc(b, ']'); return;
    case T_MAP:
        buf_putc(b, '{'); show_type(t->a, b); buf_puts(b, ": "); show_type(t->b, b);
        buf_putc(b, '}');
        return;
    case T_FN:
        buf_puts(b, "fn(");
        for (int i = 0; i < t->list.n; i++) {
            if (i)
                buf_puts(b, ", ");
            show_type(t->list.items[i], b);
        }
        buf_putc(b, ')');
        if (t->a) {
            buf_puts(b, " -> ");
            show_type(t->a, b);
        }
        return;
    default: buf_puts(b, "?"); return;
    }
    if (t->list.n) {
        buf_putc(b, '<');
        for (int i = 0; i < t->list.n; i++) {
            if (i)
                buf_puts(b, ", ");
            show_type(t->list.items[i], b);
        }
        buf_putc(b, '>');
    }
}

static void show_list(const ast_list *l, holt_buf *b)
{
    for (int i = 0; i < l->n; i++) {
        if (i)
            buf_puts(b, ", ");
        show(l->items[i], b);
    }
}

static void show(const ast_node *n, holt_buf *b)
{
    switch (n->kind) {
    case E_INT: buf_printf(b, "%lld", (long long)n->u.i); break;
    case E_FLOAT: buf_printf(b, "%g", n->u.f); break;
    case E_STR: buf_printf(b, "\"%s\"", n->u.s.str); break;
    case E_BOOL: buf_puts(b, n->u.b ? "true" : "false"); break;
    case E_NULL: buf_puts(b, "null"); break;
    case E_SELF: buf_puts(b, "self"); break;
    case E_SUPER: buf_puts(b, "super"); break;
    case E_NAME:
        buf_puts(b, n->name);
        if (n->list.n) {
            buf_putc(b, '<');
            for (int i = 0; i < n->list.n; i++) {
                if (i)
                    buf_puts(b, ", ");
                show_type(n->list.items[i], b);
            }
            buf_putc(b, '>');
        }
        break;
    case E_UNARY:
        buf_printf(b, "(%s", tok_spellings[n->op]);
        show(n->a, b);
        buf_putc(b, ')');
        break;
    case E_BINARY:
        buf_putc(b, '(');
        show(n->a, b);
        buf_printf(b, " %s ", tok_spellings[n->op]);
        show(n->b, b);
        buf_putc(b, ')');
        break;
    case E_IS:
    case E_AS:
        buf_putc(b, '(');
        show(n->a, b);
        buf_puts(b, n->kind == E_IS ? " is " : " as ");
        show_type(n->type, b);
        buf_putc(b, ')');
        break;
    case E_CALL:
        show(n->a, b);
        buf_putc(b, '(');
        show_list(&n->list, b);
        buf_putc(b, ')');
        break;
    case E_INDEX:
        show(n->a, b);
        buf_putc(b, '[');
        show(n->b, b);
        buf_putc(b, ']');
        break;
    case E_MEMBER:
        show(n->a, b);
        buf_printf(b, ".%s", n->name);
        if (n->list.n) {
            buf_putc(b, '<');
            for (int i = 0; i < n->list.n; i++) {
                if (i)
                    buf_puts(b, ", ");
                show_type(n->list.items[i], b);
            }
            buf_putc(b, '>');
        }
        break;
    case E_LIST: buf_putc(b, '['); show_list(&n->list, b); buf_putc(b, ']'); break;
    case E_REPEAT:
        buf_putc(b, '[');
        show(n->a, b);
        buf_puts(b, "; ");
        show(n->b, b);
        buf_putc(b, ']');
        break;
    case E_MAP:
        buf_putc(b, '{');
        for (int i = 0; i + 1 < n->list.n; i += 2) {
            if (i)
                buf_puts(b, ", ");
            show(n->list.items[i], b);
            buf_puts(b, ": ");
            show(n->list.items[i + 1], b);
        }
        buf_putc(b, '}');
        break;
    case E_INTERP:
        buf_puts(b, "interp(");
        show_list(&n->list, b);
        buf_putc(b, ')');
        break;
    case E_FN: buf_puts(b, "fn"); break;
    default: buf_printf(b, "<%s>", ast_kind_names[n->kind]); break;
    }
}

/* `let x = EXPR` parsed and shown compactly. */
static void expect_expr(const char *expr, const char *shown)
{
    char src[1024];
    snprintf(src, sizeof src, "let x = %s", expr);
    parsed *r = parse(src);
    cr_assert_eq(r->d.nerrors, 0, "[%s]: %s", expr, diags(r));
    cr_assert_eq(r->root->list.n, 1);
    holt_buf b;
    buf_init(&b);
    show(r->root->list.items[0]->a, &b);
    cr_assert_str_eq(b.data, shown, "[%s]", expr);
    buf_free(&b);
    done(r);
}

/* ---- expressions ------------------------------------------------------------------------ */

Test(parser, literals)
{
    expect_expr("42", "42");
    expect_expr("0x2A", "42");
    expect_expr("1.5", "1.5");
    expect_expr("\"hi\"", "\"hi\"");
    expect_expr("true", "true");
    expect_expr("false", "false");
    expect_expr("null", "null");
    expect_expr("self", "self");
    expect_expr("[1, 2, 3]", "[1, 2, 3]");
    expect_expr("[1, 2, 3,]", "[1, 2, 3]");
    expect_expr("[]", "[]");
    expect_expr("[0; n]", "[0; n]");
    expect_expr("[[1]; 2 + 3]", "[[1]; (2 + 3)]");
    expect_expr("{\"a\": 1, \"b\": 2}", "{\"a\": 1, \"b\": 2}");
    expect_expr("{1: [2],}", "{1: [2]}");
    expect_expr("{}", "{}");
    expect_expr("fn(a: int) -> int { return a }", "fn");
}

Test(parser, precedence_levels)
{
    expect_expr("a || b && c", "(a || (b && c))");
    expect_expr("a && b == c", "(a && (b == c))");
    expect_expr("a == b < c", "(a == (b < c))");
    expect_expr("a < b | c", "(a < (b | c))");
    expect_expr("a | b ^ c", "(a | (b ^ c))");
    expect_expr("a ^ b & c", "(a ^ (b & c))");
    expect_expr("a & b << c", "(a & (b << c))");
    expect_expr("a << b + c", "(a << (b + c))");
    expect_expr("a + b * c", "(a + (b * c))");
    expect_expr("a * -b", "(a * (-b))");
    expect_expr("-a.b(c)[d]", "(-a.b(c)[d])");
    expect_expr("a * b + c * d", "((a * b) + (c * d))");
    expect_expr("(a + b) * c", "((a + b) * c)");
    expect_expr("!a || ~b & c", "((!a) || ((~b) & c))");
}

Test(parser, left_associativity)
{
    expect_expr("a - b - c", "((a - b) - c)");
    expect_expr("a / b * c % d", "(((a / b) * c) % d)");
    expect_expr("a << b >> c", "((a << b) >> c)");
    expect_expr("a == b != c", "((a == b) != c)");
    expect_expr("a < b <= c", "((a < b) <= c)");
    expect_expr("a || b || c", "((a || b) || c)");
    expect_expr("a && b && c", "((a && b) && c)");
    expect_expr("a | b | c", "((a | b) | c)");
    expect_expr("- - a", "(-(-a))");
    expect_expr("!!a", "(!(!a))");
}

Test(parser, is_and_as)
{
    expect_expr("-x as float", "(-(x as float))");
    expect_expr("x as int as float", "((x as int) as float)");
    expect_expr("a.b as T", "(a.b as T)");
    expect_expr("x as float * 2.0", "((x as float) * 2)");
    expect_expr("x is int", "(x is int)");
    expect_expr("x is int == true", "((x is int) == true)");
    expect_expr("a + b is int", "((a + b) is int)");
    expect_expr("x is int && y is str", "((x is int) && (y is str))");
    expect_expr("x is [int]", "(x is [int])");
    expect_expr("x as {str: [int]}", "(x as {str: [int]})");
    expect_expr("x as util.Point", "(x as util.Point)");
    expect_expr("f as fn(int) -> str", "(f as fn(int) -> str)");
    /* A '<' after a type in an expression compares unless type arguments parse. */
    expect_expr("x as float < y", "((x as float) < y)");
    expect_expr("x is Box<int>", "(x is Box<int>)");
}

Test(parser, int_min)
{
    expect_expr("-9223372036854775808", "-9223372036854775808");
    expect_expr("- 9223372036854775808", "-9223372036854775808");
    expect_expr("-0x8000000000000000", "-9223372036854775808");
    expect_expr("-9223372036854775807", "(-9223372036854775807)");
    expect_expr("-9223372036854775808 as float", "(-9223372036854775808 as float)");
    expect_expr("1 - -9223372036854775808", "(1 - -9223372036854775808)");
    expect_error("let x = 9223372036854775808",
                 "t.holt:1:9: error: integer literal out of range");
    expect_error("let x = -(9223372036854775808)",
                 "t.holt:1:11: error: integer literal out of range");
    expect_expr("--9223372036854775808", "(--9223372036854775808)");
    expect_error("let x = -9223372036854775809",
                 "t.holt:1:10: error: integer literal out of range");
}

Test(parser, postfix)
{
    expect_expr("f()", "f()");
    expect_expr("f(1, 2,)", "f(1, 2)");
    expect_expr("f(a)(b)", "f(a)(b)");
    expect_expr("a.b.c", "a.b.c");
    expect_expr("a[1][2]", "a[1][2]");
    expect_expr("s.split(\",\")[0].len()", "s.split(\",\")[0].len()");
    expect_expr("super.init(1)", "super.init(1)");
    expect_expr("machine.in(0x3F8)", "machine.in(1016)");
    expect_expr("\"abc\".len()", "\"abc\".len()");
    expect_expr("[1, 2].len()", "[1, 2].len()");
}

Test(parser, type_arguments_at_calls)
{
    expect_expr("Stack<int>()", "Stack<int>()");
    expect_expr("Pair<str, [int]>(a, b)", "Pair<str, [int]>(a, b)");
    expect_expr("Stack<Stack<int>>()", "Stack<Stack<int>>()");
    expect_expr("Box<Box<Box<int>>>()", "Box<Box<Box<int>>>()");
    expect_expr("util.Stack<int>()", "util.Stack<int>()");
    expect_expr("first<int>(xs) + 1", "(first<int>(xs) + 1)");
    /* Not type arguments: comparisons. */
    expect_expr("a < b", "(a < b)");
    expect_expr("a < b && c > d", "((a < b) && (c > d))");
    expect_expr("a < b > c", "((a < b) > c)");
    expect_expr("a < 3 > (c)", "((a < 3) > c)");
    expect_expr("a < b >> c", "(a < (b >> c))");
    expect_expr("f(a < b, c > d)", "f((a < b), (c > d))");
    /* `a < b > (c)` is a generic call, as in C#. */
    expect_expr("a < b > (c)", "a<b>(c)");
}

Test(parser, interpolation)
{
    expect_expr("\"x = {x + 1}!\"", "interp(\"x = \", (x + 1), \"!\")");
    expect_expr("\"{a}{b}\"", "interp(a, b)");
    expect_expr("\"{m[\"k\"]}\"", "interp(m[\"k\"])");
    expect_expr("\"{ {1: 2}[1] }\"", "interp({1: 2}[1])");
    expect_expr("\"outer {\"inner {n}\"} end\"",
                "interp(\"outer \", interp(\"inner \", n), \" end\")");
    expect_expr("\"\\{x\\} is {x}\"", "interp(\"{x} is \", x)");
    expect_error("print(\"a {} b\")", "t.holt:1:11: error: expected expression, found '}'");
    expect_error("print(\"{x y}\")", "t.holt:1:11: error: expected '}', found identifier 'y'");
    expect_error("print(\"{(x}\")", "t.holt:1:11: error: expected ')', found '}'");
}

/* ---- statements ------------------------------------------------------------------------- */

Test(parser, declarations)
{
    expect_dump("let n = 10\nvar total: float = 0\nvar names: [str]\nlet e: {str: int} = {}\n",
                "(S_BLOCK\n"
                "  (S_LET let n\n"
                "    (E_INT 10))\n"
                "  (S_LET var total\n"
                "    (T_NAME float)\n"
                "    (E_INT 0))\n"
                "  (S_LET var names\n"
                "    (T_LIST\n"
                "      (T_NAME str)))\n"
                "  (S_LET let e\n"
                "    (T_MAP\n"
                "      (T_NAME str)\n"
                "      (T_NAME int))\n"
                "    (E_MAP)))\n");
}

Test(parser, functions)
{
    expect_dump("fn add(a: int, b: int) -> int { return a + b }\nfn greet(who: str) { print(\"hi {who}\") }",
                "(S_BLOCK\n"
                "  (D_FN add\n"
                "    (param a\n"
                "      (T_NAME int))\n"
                "    (param b\n"
                "      (T_NAME int))\n"
                "    (result\n"
                "      (T_NAME int))\n"
                "    (S_BLOCK\n"
                "      (S_RETURN\n"
                "        (E_BINARY +\n"
                "          (E_NAME a)\n"
                "          (E_NAME b)))))\n"
                "  (D_FN greet\n"
                "    (param who\n"
                "      (T_NAME str))\n"
                "    (S_BLOCK\n"
                "      (S_EXPR\n"
                "        (E_CALL\n"
                "          (E_NAME print)\n"
                "          (E_INTERP\n"
                "            (E_STR \"hi \")\n"
                "            (E_NAME who)))))))\n");
    /* Parameters over several lines, trailing comma, nested named fn, function types. */
    expect_ok("fn add3(x: int, y: int,\n        z: int,) -> int {\n fn inner() {}\n return x }");
    expect_ok("fn apply(f: fn(int, int) -> int, g: fn(str), h: fn() -> [int]) {}");
    expect_ok("fn f() {\n return\n}\nfn g() { return }");
}

Test(parser, fn_details)
{
    parsed *r = parse("fn f(a: int, b: [str]) -> {str: int} { }\nlet g = fn(x: int) { }");
    cr_assert_eq(r->d.nerrors, 0, "%s", diags(r));
    ast_fn *f = r->root->list.items[0]->u.fn;
    cr_assert_str_eq(f->name, "f");
    cr_assert_eq(f->nparams, 2);
    cr_assert_str_eq(f->params[1].name, "b");
    cr_assert_eq(f->params[1].line, 1);
    cr_assert_eq(f->params[1].col, 14);
    cr_assert_eq(f->params[1].type->kind, T_LIST);
    cr_assert_eq(f->result->kind, T_MAP);
    cr_assert_eq(f->body->kind, S_BLOCK);
    cr_assert_not(f->is_static);
    cr_assert_not(f->is_native);
    ast_node *g = r->root->list.items[1]->a;
    cr_assert_eq(g->kind, E_FN);
    cr_assert_null(g->u.fn->name);
    cr_assert_null(g->u.fn->result);
    cr_assert_eq(g->line, 2);
    cr_assert_eq(g->col, 9);
    done(r);
}

Test(parser, control_flow)
{
    expect_dump("if x > 0 { a() } else if x < 0 { b() } else { c() }",
                "(S_BLOCK\n"
                "  (S_IF\n"
                "    (E_BINARY >\n"
                "      (E_NAME x)\n"
                "      (E_INT 0))\n"
                "    (S_BLOCK\n"
                "      (S_EXPR\n"
                "        (E_CALL\n"
                "          (E_NAME a))))\n"
                "    (S_IF\n"
                "      (E_BINARY <\n"
                "        (E_NAME x)\n"
                "        (E_INT 0))\n"
                "      (S_BLOCK\n"
                "        (S_EXPR\n"
                "          (E_CALL\n"
                "            (E_NAME b))))\n"
                "      (S_BLOCK\n"
                "        (S_EXPR\n"
                "          (E_CALL\n"
                "            (E_NAME c)))))))\n");
    expect_dump("while c { break; continue }",
                "(S_BLOCK\n"
                "  (S_WHILE\n"
                "    (E_NAME c)\n"
                "    (S_BLOCK\n"
                "      (S_BREAK)\n"
                "      (S_CONTINUE))))\n");
    expect_ok("if a {\n} else {\n}\nif b { } else if c { } else if d { }");
}

Test(parser, for_loops)
{
    expect_dump("for j in i + 1..n { }\nfor x in xs { }\nfor k, v in m { }",
                "(S_BLOCK\n"
                "  (S_FOR j\n"
                "    (E_BINARY +\n"
                "      (E_NAME i)\n"
                "      (E_INT 1))\n"
                "    (E_NAME n)\n"
                "    (S_BLOCK))\n"
                "  (S_FOR x\n"
                "    (E_NAME xs)\n"
                "    (S_BLOCK))\n"
                "  (S_FOR k v\n"
                "    (E_NAME m)\n"
                "    (S_BLOCK)))\n");
    parsed *r = parse("for i in 0..n * 2 { }");
    ast_node *f = r->root->list.items[0];
    cr_assert_eq(f->a->kind, E_INT);
    cr_assert_eq(f->c->kind, E_BINARY);
    cr_assert_null(f->name2);
    done(r);
    expect_error("let r = 0..3", "t.holt:1:10: error: expected newline or ';', found '..'");
    expect_error("for in xs { }", "t.holt:1:5: error: expected identifier, found 'in'");
    expect_error("for x xs { }", "t.holt:1:7: error: expected 'in', found identifier 'xs'");
}

Test(parser, exceptions)
{
    expect_dump("try { throw ValueError(\"bad\") } catch e: IndexError { } catch e: Error { } finally { f() }",
                "(S_BLOCK\n"
                "  (S_TRY\n"
                "    (S_BLOCK\n"
                "      (S_THROW\n"
                "        (E_CALL\n"
                "          (E_NAME ValueError)\n"
                "          (E_STR \"bad\"))))\n"
                "    (S_CATCH e\n"
                "      (T_NAME IndexError)\n"
                "      (S_BLOCK))\n"
                "    (S_CATCH e\n"
                "      (T_NAME Error)\n"
                "      (S_BLOCK))\n"
                "    (S_BLOCK\n"
                "      (S_EXPR\n"
                "        (E_CALL\n"
                "          (E_NAME f))))))\n");
    expect_ok("try { } finally { }");
    expect_error("try { } x()", "t.holt:1:9: error: expected 'catch' or 'finally', found identifier 'x'");
    expect_error("try { } catch e { }", "t.holt:1:17: error: expected ':', found '{'");
}

Test(parser, same_line_rule_for_else_catch_finally)
{
    expect_error("if a { }\nelse { }", "t.holt:2:1: error: 'else' must follow '}' on the same line");
    expect_error("try { }\ncatch e: Error { }",
                 "t.holt:2:1: error: 'catch' must follow '}' on the same line");
    expect_error("try { } catch e: Error { }\nfinally { }",
                 "t.holt:2:1: error: 'finally' must follow '}' on the same line");
    expect_error("else { }", "t.holt:1:1: error: expected expression, found 'else'");
}

Test(parser, assignments)
{
    const char *ops[] = {"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="};
    tok_kind kinds[] = {TOK_EQ, TOK_PLUSEQ, TOK_MINUSEQ, TOK_STAREQ, TOK_SLASHEQ, TOK_PERCENTEQ,
                        TOK_AMPEQ, TOK_PIPEEQ, TOK_CARETEQ, TOK_SHLEQ, TOK_SHREQ};
    for (int i = 0; i < 11; i++) {
        char src[64];
        snprintf(src, sizeof src, "x %s 1\na[i] %s 2\no.f %s 3", ops[i], ops[i], ops[i]);
        parsed *r = parse(src);
        cr_assert_eq(r->d.nerrors, 0, "%s: %s", src, diags(r));
        cr_assert_eq(r->root->list.n, 3);
        for (int j = 0; j < 3; j++) {
            ast_node *s = r->root->list.items[j];
            cr_assert_eq(s->kind, S_ASSIGN);
            cr_assert_eq(s->op, (int)kinds[i], "%s", ops[i]);
        }
        cr_assert_eq(r->root->list.items[0]->a->kind, E_NAME);
        cr_assert_eq(r->root->list.items[1]->a->kind, E_INDEX);
        cr_assert_eq(r->root->list.items[2]->a->kind, E_MEMBER);
        done(r);
    }
    expect_diags("f() = 1\n",
                 "t.holt:1:1: error: cannot assign to this expression\nf() = 1\n^\n");
    expect_error("x + 1 += 2", "t.holt:1:1: error: cannot assign to this expression");
    expect_error("var x = 0\nvar y = 0\nx = y = 1",
                 "t.holt:3:7: error: expected newline or ';', found '='");
    expect_error("var x = 0\nif x = 1 {\n}", "t.holt:2:6: error: expected '{', found '='");
}

Test(parser, imports)
{
    expect_dump("import math\nimport lib.util\nimport lib.util as u",
                "(S_BLOCK\n"
                "  (S_IMPORT math)\n"
                "  (S_IMPORT lib.util)\n"
                "  (S_IMPORT lib.util as u))\n");
    expect_diags("fn f() {\n    import math\n}\n",
                 "t.holt:2:5: error: import must be at the top level of a file\n"
                 "    import math\n    ^\n");
    expect_error("import", "t.holt:1:7: error: expected identifier, found end of file");
    expect_error("import a.", "t.holt:1:10: error: expected identifier, found end of file");
}

Test(parser, classes)
{
    expect_dump("class Rect : Shape {\n"
                "    w: float\n"
                "    h: float = 1.0\n"
                "    init(w: float, h: float) { self.w = w; self.h = h }\n"
                "    fn area() -> float { return self.w * self.h }\n"
                "    static fn square(s: float) -> Rect { return Rect(s, s) }\n"
                "}\n",
                "(S_BLOCK\n"
                "  (D_CLASS Rect\n"
                "    (bases\n"
                "      (T_NAME Shape))\n"
                "    (D_FIELD w\n"
                "      (T_NAME float))\n"
                "    (D_FIELD h\n"
                "      (T_NAME float)\n"
                "      (E_FLOAT 1.0))\n"
                "    (D_FN init\n"
                "      (param w\n"
                "        (T_NAME float))\n"
                "      (param h\n"
                "        (T_NAME float))\n"
                "      (S_BLOCK\n"
                "        (S_ASSIGN =\n"
                "          (E_MEMBER w\n"
                "            (E_SELF))\n"
                "          (E_NAME w))\n"
                "        (S_ASSIGN =\n"
                "          (E_MEMBER h\n"
                "            (E_SELF))\n"
                "          (E_NAME h))))\n"
                "    (D_FN area\n"
                "      (result\n"
                "        (T_NAME float))\n"
                "      (S_BLOCK\n"
                "        (S_RETURN\n"
                "          (E_BINARY *\n"
                "            (E_MEMBER w\n"
                "              (E_SELF))\n"
                "            (E_MEMBER h\n"
                "              (E_SELF))))))\n"
                "    (D_FN square static\n"
                "      (param s\n"
                "        (T_NAME float))\n"
                "      (result\n"
                "        (T_NAME Rect))\n"
                "      (S_BLOCK\n"
                "        (S_RETURN\n"
                "          (E_CALL\n"
                "            (E_NAME Rect)\n"
                "            (E_NAME s)\n"
                "            (E_NAME s)))))))\n");
    expect_ok("class Box : Rect, Printable {\n"
              "    init(s: float) { super.init(s, s) }\n"
              "    fn area() -> float { return super.area() }\n"
              "    fn to_str() -> str { return \"Box\" }\n"
              "}\nclass Empty {}\nclass E2 { }; let x = 1");
    parsed *r = parse("class B : A, I, J { }");
    ast_class *c = r->root->list.items[0]->u.cls;
    cr_assert_str_eq(c->name, "B");
    cr_assert_eq(c->bases.n, 3);
    cr_assert_eq(c->members.n, 0);
    done(r);
}

Test(parser, interfaces)
{
    expect_dump("interface Shape { fn area() -> float }\ninterface P {\n fn a(x: int)\n fn b() -> str\n}",
                "(S_BLOCK\n"
                "  (D_INTERFACE Shape\n"
                "    (D_FN area\n"
                "      (result\n"
                "        (T_NAME float))))\n"
                "  (D_INTERFACE P\n"
                "    (D_FN a\n"
                "      (param x\n"
                "        (T_NAME int)))\n"
                "    (D_FN b\n"
                "      (result\n"
                "        (T_NAME str)))))\n");
    expect_error("interface I { x: int }", "t.holt:1:15: error: expected method, found identifier 'x'");
    expect_error("interface I { fn f() { } }",
                 "t.holt:1:22: error: expected newline or ';', found '{'");
    expect_error("class C { 42 }", "t.holt:1:11: error: expected field or method, found integer literal");
    expect_error("class C { static x: int }", "t.holt:1:18: error: expected 'fn', found identifier 'x'");
    expect_diags("fn f() {\n class C { }\n}\n",
                 "t.holt:2:2: error: class must be at the top level of a file\n class C { }\n ^\n");
    expect_error("if a { interface I { } }",
                 "t.holt:1:8: error: interface must be at the top level of a file");
}

Test(parser, generics)
{
    expect_dump("class Stack<T> { items: [T] }\nfn first<T, U>(xs: [T]) -> T { }\ninterface Cmp<T> { fn cmp(a: T) -> int }\n",
                "(S_BLOCK\n"
                "  (D_CLASS Stack <T>\n"
                "    (D_FIELD items\n"
                "      (T_LIST\n"
                "        (T_NAME T))))\n"
                "  (D_FN first <T U>\n"
                "    (param xs\n"
                "      (T_LIST\n"
                "        (T_NAME T)))\n"
                "    (result\n"
                "      (T_NAME T))\n"
                "    (S_BLOCK))\n"
                "  (D_INTERFACE Cmp <T>\n"
                "    (D_FN cmp\n"
                "      (param a\n"
                "        (T_NAME T))\n"
                "      (result\n"
                "        (T_NAME int)))))\n");
    /* `>>` and `>=` after type arguments are split. */
    expect_ok("let s: Stack<Stack<int>> = Stack<Stack<int>>()\nlet m: Box<Box<int>>= x");
    /* A declaration may end with '>' at the end of a line (no NEWLINE token there). */
    parsed *r = parse("var s: Stack<int>\nvar t: Map<str, Box<int>>\nclass C {\n a: Box<int>\n b: int\n}\n");
    cr_assert_eq(r->d.nerrors, 0, "%s", diags(r));
    cr_assert_eq(r->root->list.n, 3);
    done(r);
    expect_ok("class P<K, V> : Base<K>, Cmp<P<K, V>> { m: {K: [V]} }");
    expect_ok("let x: util.Box<int> = util.Box<int>(1)");
    expect_error("let s: Stack<int = 1", "t.holt:1:18: error: expected '>', found '='");
}

Test(parser, native_declarations)
{
    const char *src = "@native fn sqrt(x: float) -> float\n@native fn exit(code: int)\n@native fn in(port: int) -> int\n";
    parsed *r = parse_src(src, strlen(src), true);
    cr_assert_eq(r->d.nerrors, 0, "%s", diags(r));
    cr_assert_eq(r->root->list.n, 3);
    ast_fn *f = r->root->list.items[0]->u.fn;
    cr_assert(f->is_native);
    cr_assert_null(f->body);
    cr_assert_str_eq(f->name, "sqrt");
    cr_assert_str_eq(r->root->list.items[2]->u.fn->name, "in");
    cr_assert_str_eq(r->dump.data,
                     "(S_BLOCK\n"
                     "  (D_FN sqrt native\n"
                     "    (param x\n"
                     "      (T_NAME float))\n"
                     "    (result\n"
                     "      (T_NAME float)))\n"
                     "  (D_FN exit native\n"
                     "    (param code\n"
                     "      (T_NAME int)))\n"
                     "  (D_FN in native\n"
                     "    (param port\n"
                     "      (T_NAME int))\n"
                     "    (result\n"
                     "      (T_NAME int))))\n");
    done(r);
    /* Not allowed in ordinary sources. */
    expect_diags("@native fn f()\nlet x = 1\n",
                 "t.holt:1:1: error: unexpected character '@'\n@native fn f()\n^\n");
    r = parse_src("@nativ fn f()", 13, true);
    cr_assert_str_eq(diags(r), "t.holt:1:2: error: expected 'native', found identifier 'nativ'\n"
                               "@nativ fn f()\n ^\n");
    done(r);
    r = parse_src("fn g() {\n @native fn f()\n}", 26, true);
    cr_assert_eq(r->d.nerrors, 1);
    done(r);
}

Test(parser, statement_separators)
{
    expect_ok("let a = 1; let b = 2; print(a + b)");
    expect_ok("print(\"end\");");
    expect_ok(";;\n;\nx();;y()");
    expect_ok("if a < b { print(\"lt\"); print(\"yes\") }");
    expect_ok("");
    expect_ok("// only a comment");
    expect_ok("/* only\n a comment */");
    expect_ok("\n\n\n");
    expect_error("let a = 1 let b = 2", "t.holt:1:11: error: expected newline or ';', found 'let'");
    expect_error("print(1))", "t.holt:1:9: error: expected newline or ';', found ')'");
    expect_error("f() g()", "t.holt:1:5: error: expected newline or ';', found identifier 'g'");
}

Test(parser, newline_rule_in_expressions)
{
    expect_ok("let a = 1 +\n 2 *\n 3\nprint(add3(1,\n 2,\n 3))\nlet xs = [\n 10,\n 20,\n 30]\n"
              "let m = {\n \"a\": 1,\n \"b\": 2}\nlet ok = a > 3 &&\n a < 10 ||\n false\nlet b = xs[\n 1]");
    expect_ok("let xs = [\n 1,\n 2,\n]");
    expect_error("print(1 + 2\nlet y = 3", "t.holt:1:12: error: expected ')', found newline");
    expect_error("let xs = [1,\n 2\n]", "t.holt:2:3: error: expected ']', found newline");
    expect_ok("fn g(n: int) -> int {\n return n +\n 1\n}");
    /* `return` at the end of a line returns nothing; the next line is a statement. */
    parsed *r = parse("fn f() {\n return\n g()\n}");
    ast_node *body = r->root->list.items[0]->u.fn->body;
    cr_assert_eq(body->list.n, 2);
    cr_assert_null(body->list.items[0]->a);
    done(r);
}

Test(parser, positions)
{
    parsed *r = parse("let x = 1\n  foo(a, b).c[2] = -y * 3\n");
    ast_node *s = r->root->list.items[1];
    cr_assert_eq(s->kind, S_ASSIGN);
    cr_assert_eq(s->line, 2);
    cr_assert_eq(s->col, 3);
    cr_assert_eq(s->a->line, 2);                /* E_INDEX starts at foo */
    cr_assert_eq(s->a->col, 3);
    cr_assert_eq(s->b->kind, E_BINARY);
    cr_assert_eq(s->b->col, 20);                /* the first token of the expression */
    cr_assert_eq(s->b->a->kind, E_UNARY);
    cr_assert_eq(s->b->a->col, 20);
    cr_assert_eq(s->b->b->col, 25);
    ast_node *let = r->root->list.items[0];
    cr_assert_eq(let->line, 1);
    cr_assert_eq(let->col, 1);
    done(r);
}

Test(parser, names_are_interned)
{
    parsed *r = parse("let abc = 1\nprint(abc)\nfn abc() {}");
    ast_node *let = r->root->list.items[0];
    ast_node *arg = r->root->list.items[1]->a->list.items[0];
    cr_assert_eq(let->name, arg->name);
    cr_assert_eq(let->name, r->root->list.items[2]->u.fn->name);
    cr_assert_eq(let->name, ast_intern(r->A, "abc", 3));
    done(r);
}

/* ---- errors and recovery ---------------------------------------------------------------- */

Test(parser, error_messages_with_caret)
{
    expect_diags("let x = 1 +\n}\n",
                 "t.holt:2:1: error: expected expression, found '}'\n}\n^\n");
    expect_diags("fn f() {\n    print(1)\n",
                 "t.holt:2:13: error: expected '}', found end of file\n    print(1)\n            ^\n");
    expect_diags("let while = 1",
                 "t.holt:1:5: error: expected identifier, found 'while'\nlet while = 1\n    ^\n");
    expect_diags("\tlet x = (1 +\n\t\t)\n",
                 "t.holt:2:3: error: expected expression, found ')'\n\t\t)\n\t\t^\n");
    expect_diags("let s: = 1", "t.holt:1:8: error: expected type, found '='\nlet s: = 1\n       ^\n");
    expect_diags("x = fn y() {}",
                 "t.holt:1:8: error: expected '(', found identifier 'y'\nx = fn y() {}\n       ^\n");
    expect_error("let x = [1 2]", "t.holt:1:12: error: expected ']', found integer literal");
    expect_error("let x = {1: 2 3: 4}", "t.holt:1:15: error: expected '}', found integer literal");
    expect_error("let x = {1 2}", "t.holt:1:12: error: expected ':', found integer literal");
    expect_error("let x = a.1", "t.holt:1:11: error: expected identifier, found integer literal");
    expect_error("let x = 1.5 2", "t.holt:1:13: error: expected newline or ';', found integer literal");
    expect_error("let x: [int = 1", "t.holt:1:13: error: expected ']', found '='");
    expect_error("let x: {int] = 1", "t.holt:1:12: error: expected ':', found ']'");
    expect_error("fn f(a) {}", "t.holt:1:7: error: expected ':', found ')'");
    expect_error("fn f(a: int b: int) {}", "t.holt:1:13: error: expected ')', found identifier 'b'");
    expect_error("while x\n{ }", "t.holt:1:8: error: expected '{', found newline");
    expect_error("if x { } else y", "t.holt:1:15: error: expected '{', found identifier 'y'");
}

Test(parser, lexer_errors_are_not_repeated)
{
    /* The ERROR token was reported by the lexer; the parser skips the statement quietly. */
    expect_diags("let b = a $ 2\n",
                 "t.holt:1:11: error: unexpected character '$'\nlet b = a $ 2\n          ^\n");
    expect_diags("let s = \"abc\nprint(s)\n",
                 "t.holt:1:9: error: unterminated string\nlet s = \"abc\n        ^\n");
    parsed *r = parse("print(\"bad \\q escape\")\nprint(\"a {1 + 2\")\nlet x = 1e400\nlet y = 0x\n");
    cr_assert_eq(r->d.nerrors, 4, "%s", diags(r));
    done(r);
}

Test(parser, multiple_errors_each_once)
{
    const char *src = "fn a() {\n"
                      "    let x = (1 + \n"
                      "}\n"
                      "fn b() {\n"
                      "    print(2 +)\n"
                      "    let ok = 1\n"
                      "    let = 3\n"
                      "}\n"
                      "let y = $\n"
                      "let z = [1, 2\n"
                      "print(z)\n";
    parsed *r = parse(src);
    cr_assert_str_eq(diags(r),
                     "t.holt:3:1: error: expected expression, found '}'\n}\n^\n"
                     "t.holt:5:14: error: expected expression, found ')'\n    print(2 +)\n             ^\n"
                     "t.holt:7:9: error: expected identifier, found '='\n    let = 3\n        ^\n"
                     "t.holt:9:9: error: unexpected character '$'\nlet y = $\n        ^\n"
                     "t.holt:10:14: error: expected ']', found newline\nlet z = [1, 2\n             ^\n");
    cr_assert_eq(r->d.nerrors, 5);
    /* What parsed is kept: a, b (with `let ok`), and print(z). */
    cr_assert_eq(r->root->list.n, 3);
    ast_node *b = r->root->list.items[1];
    cr_assert_eq(b->u.fn->body->list.n, 1);
    done(r);
}

Test(parser, recovery_inside_nested_blocks)
{
    parsed *r = parse("fn f() {\n"
                      "    if x {\n"
                      "        let = 1\n"
                      "        g()\n"
                      "    }\n"
                      "    h(\n"
                      "}\n"
                      "k()\n");
    cr_assert_eq(r->d.nerrors, 2, "%s", diags(r));
    cr_assert(strstr(diags(r), "t.holt:3:13: error: expected identifier, found '='"));
    cr_assert(strstr(diags(r), "t.holt:7:1: error: expected expression, found '}'"));
    cr_assert_eq(r->root->list.n, 2);          /* f and k() */
    done(r);
    /* An error inside a fn literal inside a call. */
    r = parse("f(fn() {\n x = = 1\n y()\n})\nz()\n");
    cr_assert_eq(r->d.nerrors, 1, "%s", diags(r));
    cr_assert_eq(r->root->list.n, 2);
    done(r);
    /* An error in a class member skips that member only. */
    r = parse("class C {\n a: = 1\n b: int\n fn f() { }\n}\nlet q = 1\n");
    cr_assert_eq(r->d.nerrors, 1, "%s", diags(r));
    cr_assert_eq(r->root->list.n, 2);
    cr_assert_eq(r->root->list.items[0]->u.cls->members.n, 2);
    done(r);
}

Test(parser, stray_closers_at_top_level)
{
    parsed *r = parse("}\nlet x = 1\n}}\nlet y = 2\n)\n");
    cr_assert_eq(r->d.nerrors, 3, "%s", diags(r));
    cr_assert_eq(r->root->list.n, 2);
    done(r);
    expect_diags("let x = 1 +\n}\n", "t.holt:2:1: error: expected expression, found '}'\n}\n^\n");
}

Test(parser, unclosed_blocks_report_once)
{
    parsed *r = parse("fn f() {\n if a {\n  while b {\n   g(\n");
    cr_assert_eq(r->d.nerrors, 1, "%s", diags(r));
    done(r);
}

Test(parser, nesting_limits)
{
    /* 200 nested parentheses are fine (tests/lang/limit/nested_parens.holt). */
    holt_buf b;
    buf_init(&b);
    buf_puts(&b, "let x = ");
    for (int i = 0; i < 200; i++)
        buf_putc(&b, '(');
    buf_putc(&b, '1');
    for (int i = 0; i < 200; i++)
        buf_puts(&b, " + 1)");
    parsed *r = parse(b.data);
    cr_assert_eq(r->d.nerrors, 0, "%s", diags(r));
    done(r);
    /* Much deeper is an error, reported once, and never a crash. */
    const char *shapes[] = {"(", "[", "-", "!", "{1: ", "f(", "\"{", "fn() { ", "if x { ",
                            "while x { ", "a[", "fn() { return "};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        buf_reset(&b);
        buf_puts(&b, shapes[s][0] == 'i' || shapes[s][0] == 'w' ? "fn f() { " : "let x = ");
        for (int i = 0; i < 20000; i++)
            buf_puts(&b, shapes[s]);
        buf_puts(&b, "1\nlet y = 2\n");
        r = parse(b.data);
        cr_assert_geq(r->d.nerrors, 1, "%s", shapes[s]);
        cr_assert(strstr(diags(r), "nested too deeply"), "%s: %.300s", shapes[s], diags(r));
        done(r);
    }
    /* Types too. */
    buf_reset(&b);
    buf_puts(&b, "let x: ");
    for (int i = 0; i < 5000; i++)
        buf_putc(&b, '[');
    r = parse(b.data);
    cr_assert(strstr(diags(r), "type nested too deeply"), "%.300s", diags(r));
    done(r);
    /* A long left-associative chain is capped too. */
    buf_reset(&b);
    buf_puts(&b, "let x = 1");
    for (int i = 0; i < 10000; i++)
        buf_puts(&b, " + 1");
    r = parse(b.data);
    cr_assert(strstr(diags(r), "expression nested too deeply"));
    done(r);
    buf_free(&b);
}

/* ---- robustness ------------------------------------------------------------------------- */

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

Test(parser, random_bytes_never_crash, .timeout = 120)
{
    uint64_t seed = 0x9E3779B97F4A7C15u;
    char buf[512];
    for (int it = 0; it < 3000; it++) {
        size_t n = rng(&seed) % sizeof buf;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = rng(&seed);
            /* Mostly printable, with line breaks and some high bytes. */
            buf[i] = (v & 7) == 0 ? (char)(v >> 8) : (v & 15) == 1 ? '\n' : (char)(32 + (v >> 8) % 95);
        }
        buf[n] = '\0';
        parsed *r = parse_src(buf, n, it & 1);
        done(r);
    }
}

Test(parser, random_token_soup_never_crashes, .timeout = 120)
{
    static const char *const vocab[] = {
        "let ", "var ", "fn ", "return ", "if ", "else ", "while ", "for ", "in ", "break ",
        "continue ", "class ", "interface ", "init", "self", "super", "static ", "import ",
        "as ", "is ", "null", "true", "false", "throw ", "try ", "catch ", "finally ", "x", "y",
        "Foo", "int", "str", "1", "2.5", "0x10", "9223372036854775808", "\"s\"", "\"a{", "}b\"",
        "}", "{", "(", ")", "[", "]", ",", ".", "..", ":", ";", "->", "+", "-", "*", "/", "%",
        "&", "|", "^", "~", "!", "<", ">", "<=", ">=", "==", "!=", "&&", "||", "<<", ">>", "=",
        "+=", "<<=", ">>=", "@", "@native ", "\n", "\n", " ", "$", "/*", "*/", "//", "e: ",
        "<int>", "<T>", "Stack<Stack<int>>", "\"{\"{x}\"}\""};
    const size_t nv = sizeof vocab / sizeof *vocab;
    uint64_t seed = 0x123456789ABCDEFu;
    holt_buf b;
    buf_init(&b);
    for (int it = 0; it < 4000; it++) {
        buf_reset(&b);
        int n = (int)(rng(&seed) % 80);
        for (int i = 0; i < n; i++)
            buf_puts(&b, vocab[rng(&seed) % nv]);
        parsed *r = parse_src(b.data ? b.data : "", b.len, it & 1);
        done(r);
    }
    buf_free(&b);
}

Test(parser, real_programs_parse)
{
    expect_ok("// A program with everything.\n"
              "import math\n"
              "interface Shape { fn area() -> float }\n"
              "class Circle : Shape {\n"
              "    r: float = 1.0\n"
              "    init(r: float) { self.r = r }\n"
              "    fn area() -> float { return math.pi * self.r * self.r }\n"
              "}\n"
              "fn total(shapes: [Shape]) -> float {\n"
              "    var t = 0.0\n"
              "    for s in shapes { t += s.area() }\n"
              "    return t\n"
              "}\n"
              "let xs: [Shape] = [Circle(1.0), Circle(2.0)]\n"
              "print(\"total = {total(xs)}\")\n"
              "var counts: {str: int} = {}\n"
              "for i, w in \"a b a\".split(\" \") {\n"
              "    counts[w] = counts.get(w, 0) + 1\n"
              "}\n"
              "let sorted = xs.map(fn(s: Shape) -> float { return s.area() })\n"
              "try {\n"
              "    let v: any = 3\n"
              "    if v is int { print(v as int + 1) }\n"
              "} catch e: CastError {\n"
              "    print(e.message)\n"
              "} finally {\n"
              "    print(\"done\")\n"
              "}\n");
}

/* ---- the arena -------------------------------------------------------------------------- */

Test(ast, arena_and_lists)
{
    ast_arena *A = ast_arena_new();
    for (int i = 0; i < 1000; i++) {
        size_t sz = (size_t)(i * 37 % 300) + 1;
        unsigned char *p = ast_alloc(A, sz);
        cr_assert_eq((uintptr_t)p % 8, 0);
        for (size_t j = 0; j < sz; j++)
            cr_assert_eq(p[j], 0);
        memset(p, 0xAB, sz);
    }
    unsigned char *big = ast_alloc(A, 1 << 20);
    cr_assert_eq(big[(1 << 20) - 1], 0);
    const char *s = ast_strdup(A, "hello world", 5);
    cr_assert_str_eq(s, "hello");
    cr_assert_neq(ast_strdup(A, "x", 1), ast_strdup(A, "x", 1));
    cr_assert_eq(ast_intern(A, "x", 1), ast_intern(A, "xyz", 1));
    cr_assert_neq(ast_intern(A, "x", 1), ast_intern(A, "xy", 2));
    for (int i = 0; i < 5000; i++) {          /* the intern table grows */
        char name[16];
        int n = snprintf(name, sizeof name, "n%d", i);
        cr_assert_eq(ast_intern(A, name, (size_t)n), ast_intern(A, name, (size_t)n));
    }
    ast_list l = {0};
    for (int i = 0; i < 100; i++)
        ast_list_push(A, &l, ast_new(A, E_INT, i, 1));
    cr_assert_eq(l.n, 100);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(l.items[i]->line, i);
    /* A list built by hand (cap 0) grows safely. */
    ast_node *two[2] = {ast_new(A, E_NULL, 1, 1), ast_new(A, E_NULL, 2, 1)};
    ast_list h = {two, 2, 0};
    ast_list_push(A, &h, ast_new(A, E_NULL, 3, 1));
    cr_assert_eq(h.n, 3);
    cr_assert_eq(h.items[0], two[0]);
    cr_assert_eq(h.items[2]->line, 3);
    ast_node *n = ast_new(A, E_BINARY, 4, 5);
    cr_assert_eq(n->kind, E_BINARY);
    cr_assert_eq(n->line, 4);
    cr_assert_eq(n->col, 5);
    cr_assert_null(n->a);
    cr_assert_str_eq(ast_kind_names[E_BINARY], "E_BINARY");
    cr_assert_str_eq(ast_kind_names[T_QUAL], "T_QUAL");
    ast_arena_free(A);
}

Test(ast, dump_escapes_strings)
{
    expect_dump("let s = \"a\\n\\t\\\"\\\\\\0\"",
                "(S_BLOCK\n"
                "  (S_LET let s\n"
                "    (E_STR \"a\\n\\t\\\"\\\\\\x00\")))\n");
    expect_dump("let f = 2.5e-3 + 1e300",
                "(S_BLOCK\n"
                "  (S_LET let f\n"
                "    (E_BINARY +\n"
                "      (E_FLOAT 0.0025000000000000001)\n"
                "      (E_FLOAT 1.0000000000000001e+300))))\n");
}

/* parser.h — recursive descent over the token stream, precedence climbing for expressions
 * (language.md 4), error recovery at statement boundaries so that every independent syntax
 * error in a file is reported once.
 *
 * The result of parsing a file is an S_BLOCK of its top-level statements and declarations.
 */
#ifndef HOLT_PARSER_H
#define HOLT_PARSER_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"

typedef struct {
    bool allow_native;            /* standard-library sources: `@native fn f(...) -> T` (no body) */
} parse_opts;

/* Parse d->src. Returns the file's block (never NULL; on errors it holds what parsed) and
 * reports errors through d. */
ast_node *parse_file(diag_ctx *d, ast_arena *arena, const parse_opts *opts);

#endif

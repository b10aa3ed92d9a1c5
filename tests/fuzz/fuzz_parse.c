/* fuzz_parse.c — libFuzzer target: lex and parse arbitrary bytes, as a standard-library
 * source every other run, and dump the tree. Nothing may crash, hang or read out of bounds.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -fsanitize=fuzzer,address,undefined -Iruntime -Icompiler \
 *       tests/fuzz/fuzz_parse.c build/compiler/lexer.c compiler/parser.c compiler/ast.c \
 *       compiler/diag.c runtime/buf.c -lm -o fuzz_parse
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "buf.h"
#include "diag.h"
#include "parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* diag.h: the source is NUL-terminated at its length. */
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    if (size)
        memcpy(src, data, size);
    src[size] = '\0';

    holt_buf out, dump;
    buf_init(&out);
    buf_init(&dump);
    diag_ctx d = {"fuzz.holt", src, size, 0, &out};
    ast_arena *arena = ast_arena_new();
    parse_opts opts = {size > 0 && (data[0] & 1)};
    ast_node *root = parse_file(&d, arena, &opts);
    if (!root)
        abort();
    ast_dump(root, &dump);

    ast_arena_free(arena);
    buf_free(&dump);
    buf_free(&out);
    free(src);
    return 0;
}

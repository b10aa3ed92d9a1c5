/* test_lexer.c: being written. */
#include <criterion/criterion.h>

/* test_codegen.c: being written. */
#include <criterion/criterion.h>

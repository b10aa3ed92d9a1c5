/* test_parser.c: being written. */
#include <criterion/criterion.h>

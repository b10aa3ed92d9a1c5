/* test_verify.c: being written. */
#include <criterion/criterion.h>

/* test_checker.c: being written. */
#include <criterion/criterion.h>

/* test_interp.c: being written. */
#include <criterion/criterion.h>

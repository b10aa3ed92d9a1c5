/* test_runtime.c: being written. */
#include <criterion/criterion.h>

/* test_natives.c: being written. */
#include <criterion/criterion.h>

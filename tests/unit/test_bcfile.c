/* test_bcfile.c: being written. */
#include <criterion/criterion.h>

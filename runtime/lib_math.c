/* lib_math.c: being written. */

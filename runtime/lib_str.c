/* lib_str.c: being written. */

/* error.c: being written. */

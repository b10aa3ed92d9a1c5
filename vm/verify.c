/* verify.c: being written. */

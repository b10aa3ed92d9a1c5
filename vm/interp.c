/* interp.c: being written. */

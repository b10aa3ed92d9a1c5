/* str.c: being written. */

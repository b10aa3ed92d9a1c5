/* checker.c: being written. */

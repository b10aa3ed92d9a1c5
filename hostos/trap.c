/* trap.c: being written. */

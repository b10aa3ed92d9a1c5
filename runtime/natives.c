/* natives.c: being written. */

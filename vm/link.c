/* link.c: being written. */

/* dis.c: being written. */

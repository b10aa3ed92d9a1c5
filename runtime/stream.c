/* stream.c: being written. */

/* api.c: being written. */

/* list.c: being written. */

/* heap.c: being written. */

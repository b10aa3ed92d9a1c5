/* map.c: being written. */

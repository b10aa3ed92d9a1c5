/* lib_map.c: being written. */

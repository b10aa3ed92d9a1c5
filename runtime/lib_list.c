/* lib_list.c: being written. */

/* codegen.c: being written. */

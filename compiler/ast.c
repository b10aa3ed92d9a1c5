/* ast.c: being written. */

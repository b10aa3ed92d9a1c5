/* check_expr.c: being written. */

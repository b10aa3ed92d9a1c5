/* parser.c: being written. */

/* lexer.re: being written. */

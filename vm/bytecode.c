/* bytecode.c: being written. */

/* diag.c: being written. */

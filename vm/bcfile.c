/* bcfile.c: being written. */

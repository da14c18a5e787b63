/* path.c - placeholder; being written. */

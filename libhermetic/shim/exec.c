/* exec.c - placeholder; being written. */

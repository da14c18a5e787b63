/* dl.c - placeholder; being written. */

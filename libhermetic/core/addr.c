/* addr.c - placeholder; being written. */

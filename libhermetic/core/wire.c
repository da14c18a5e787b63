/* wire.c - placeholder; being written. */

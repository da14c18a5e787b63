/* net.c - placeholder; being written. */

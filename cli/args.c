/* args.c - placeholder; being written. */

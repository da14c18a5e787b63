/* fs.c - placeholder; being written. */

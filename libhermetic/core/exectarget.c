/* exectarget.c - placeholder; being written. */

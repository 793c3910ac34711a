"""The `clusterforge` command line (click). Each command: parse → call → render → exit code."""

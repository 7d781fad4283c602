"""Trace sets too big for one process, on Dask: per-file edge extraction on the
workers, union merge and the graph checks on the client (same findings as a
sequential ``lockdep replay`` of the same files)."""

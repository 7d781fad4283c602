"""Readers and writers of the lock trace format (docs/trace-format.md)."""

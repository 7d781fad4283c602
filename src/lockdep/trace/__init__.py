"""Readers and writers of the lock trace format (../shared/trace-format.md)."""

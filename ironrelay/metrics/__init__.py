"""Metrics: counters kept in the database by every process, and a Prometheus collector."""

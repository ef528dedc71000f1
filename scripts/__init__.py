"""Fault and load scripts that print their figures (see scripts/README.md)."""

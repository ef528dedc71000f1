"""The Django project every benchmarked system runs in (bench/benchproject/settings.py)."""

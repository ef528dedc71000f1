"""One small task twice: an IronRelay @task and a django.tasks task (for backend_bench.py)."""

from __future__ import annotations

from ironrelay import task
from ironrelay.tasks.djangotasks import task as django_task


@task
def native_add(a: int, b: int) -> int:
    return a + b


@django_task
def django_add(a: int, b: int) -> int:
    return a + b


@task(concurrency=1, concurrency_key="key:{a}")
def keyed_add(a: int, b: int) -> int:
    """One run at a time per value of `a` (limits_bench.py gives each task its own)."""
    return a + b

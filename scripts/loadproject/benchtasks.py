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

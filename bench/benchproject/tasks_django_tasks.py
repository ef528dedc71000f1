"""The benchmark's tasks, Django tasks flavour (django-tasks backport): noop and echo."""

from __future__ import annotations

import time

from django_tasks import task

from benchproject.recorder import record


@task()
def noop(i: int) -> None:
    record(i, time.time())


@task()
def echo(i: int) -> int:
    record(i, time.time())
    return i

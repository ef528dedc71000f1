"""The no-op task, Django tasks flavour (django-tasks backport on Django 5.2)."""

from __future__ import annotations

import time

from django_tasks import task

from benchproject.recorder import record


@task()
def noop(i: int) -> None:
    record(i, time.time())

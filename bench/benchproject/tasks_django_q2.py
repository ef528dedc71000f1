"""The benchmark's tasks, django-q2 flavour (queued by dotted path): noop and echo."""

from __future__ import annotations

import time

from benchproject.recorder import record


def noop(i: int) -> None:
    record(i, time.time())


def echo(i: int) -> int:
    record(i, time.time())
    return i

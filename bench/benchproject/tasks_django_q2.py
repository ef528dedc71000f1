"""The no-op task, django-q2 flavour (a plain function queued by its dotted path)."""

from __future__ import annotations

import time

from benchproject.recorder import record


def noop(i: int) -> None:
    record(i, time.time())

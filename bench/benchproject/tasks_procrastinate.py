"""The no-op task, procrastinate flavour."""

from __future__ import annotations

import time

from procrastinate.contrib.django import app

from benchproject.recorder import record


@app.task(name="noop")
def noop(i: int) -> None:
    record(i, time.time())

"""The benchmark's tasks, procrastinate flavour: noop returns None, echo its argument."""

from __future__ import annotations

import time

from procrastinate.contrib.django import app

from benchproject.recorder import record


@app.task(name="noop")
def noop(i: int) -> None:
    record(i, time.time())


@app.task(name="echo")
def echo(i: int) -> int:
    record(i, time.time())
    return i

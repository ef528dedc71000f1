"""The benchmark's tasks, IronRelay flavour: noop returns None, echo its argument."""

from __future__ import annotations

import time

from benchproject.recorder import record
from ironrelay import task


@task
def noop(i: int) -> None:
    record(i, time.time())


@task
def echo(i: int) -> int:
    record(i, time.time())
    return i

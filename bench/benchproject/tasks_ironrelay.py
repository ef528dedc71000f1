"""The no-op task, IronRelay flavour."""

from __future__ import annotations

import time

from benchproject.recorder import record
from ironrelay import task


@task
def noop(i: int) -> None:
    record(i, time.time())

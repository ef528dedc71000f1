"""The retry rule: how long a failed task waits before its next attempt."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ironrelay.conf import get_settings
from ironrelay.tasks.errors import TaskNotFound
from ironrelay.tasks.registry import get_task

if TYPE_CHECKING:
    from ironrelay.models import Task
    from ironrelay.tasks.decorator import TaskFunction


def backoff_delay(attempt: int, *, base: float, factor: float, cap: float, jitter: float) -> float:
    """Return an exponential delay for `attempt` (1-based), capped, with random jitter below it."""
    delay = min(cap, base * factor ** max(attempt - 1, 0))
    if jitter:
        delay *= 1 - random.uniform(0, min(jitter, 1.0))
    return delay


def task_retry_delay(definition: TaskFunction, attempt: int) -> float:
    """Return the seconds `definition` waits after failed attempt `attempt`."""
    conf = get_settings()
    return backoff_delay(
        attempt,
        base=conf.RETRY_BACKOFF if definition.retry_backoff is None else definition.retry_backoff,
        factor=conf.RETRY_BACKOFF_FACTOR,
        cap=conf.RETRY_BACKOFF_MAX
        if definition.retry_backoff_max is None
        else definition.retry_backoff_max,
        jitter=conf.RETRY_JITTER if definition.retry_jitter is None else definition.retry_jitter,
    )


def delay_after_failure(row: Task) -> float:
    """Return the seconds a stored task waits after its latest failed attempt."""
    try:
        return task_retry_delay(get_task(row.task_path), row.attempts)
    except TaskNotFound:
        return get_settings().RETRY_BACKOFF

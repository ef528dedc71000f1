"""The scheduler every worker runs: sync code schedules at start, then enqueue due slots.

A tick costs one query (one value read from an index) when nothing is due, however many
schedules there are; the worker ticks every SCHEDULER_INTERVAL seconds, or sooner when the next
slot is nearer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from ironrelay.conf import get_settings
from ironrelay.tasks import schedule_manager
from ironrelay.tasks.schedules import code_schedules

logger = logging.getLogger("ironrelay.scheduler")

MIN_GAP = 0.01  # seconds between ticks at the least, so a slot just missed is not spun on


class Scheduler:
    """Enqueue each due slot of every schedule; any number of these can run at once."""

    def __init__(self, clock: Callable[[], datetime] = timezone.now) -> None:
        self.clock = clock  # tests move time with their own clock
        self.next_tick = 0.0  # time.monotonic() of the next tick
        self.enqueued = 0

    def start(self) -> None:
        """Load tasks modules (for @schedule) and sync the code's schedules into the table."""
        autodiscover_modules("tasks")
        counts = schedule_manager.sync(code_schedules().values(), self.clock())
        if any(counts.values()):
            logger.info(
                "Schedules from code: %(created)s created, %(updated)s updated, "
                "%(deleted)s deleted",
                counts,
            )

    def seconds_until_tick(self) -> float:
        """Return how long the worker may wait before it should call tick()."""
        return max(0.0, self.next_tick - time.monotonic())

    def tick(self) -> int:
        """Enqueue what is due now; set the time of the next tick; return tasks enqueued."""
        conf = get_settings()
        now = self.clock()
        found = schedule_manager.due(now)
        count = 0
        next_at = found.next_at
        if found.schedules:
            count = len(
                schedule_manager.fire_due(
                    found.schedules,
                    now,
                    cap=conf.SCHEDULE_CATCH_UP_MAX,
                    missed_after=conf.SCHEDULE_MISSED_AFTER,
                )
            )
        for schedule in found.schedules:
            # Moved on by this tick (not by another worker, whose value is not known here).
            moved = schedule.next_run
            if moved is not None and moved > now and (next_at is None or moved < next_at):
                next_at = moved
        wait = conf.SCHEDULER_INTERVAL
        if found.more:
            wait = 0.0
        elif next_at is not None:
            wait = min(wait, (next_at - self.clock()).total_seconds())
        self.next_tick = time.monotonic() + max(MIN_GAP, wait)
        self.enqueued += count
        return count

"""The worker's view of the flow-control lane: when to claim from it, which tasks hold a slot."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from django.utils import timezone

from ironrelay.models import Task
from ironrelay.tasks import flow


def holds_slot(task: Task, limited: Sequence[str] | None = None) -> bool:
    """Say whether a task may count against a concurrency limit while it runs."""
    if task.flow_key:
        return True
    return task.queue_name in (flow.limited_queues() if limited is None else limited)


class LimitedLane:
    """Claim from the flow-control lane only when it may have something to give."""

    def __init__(self, poll_interval: float) -> None:
        self.poll_interval = poll_interval
        self.next_claim = 0.0  # monotonic time the lane is worth claiming from
        self.waiting = False  # limited tasks were due but waited for a slot

    def due(self) -> bool:
        """Say whether the lane is worth claiming from now."""
        return time.monotonic() >= self.next_claim

    def seconds_until_due(self) -> float:
        """Return how long until the lane is worth claiming from."""
        return max(0.0, self.next_claim - time.monotonic())

    def claim(self, worker_id: str, queues: Sequence[str], wanted: int) -> list[Task]:
        """Claim from the lane; note when it is next worth looking at."""
        found = flow.claim_limited(worker_id, queues, wanted)
        self.waiting = found.waiting
        now = time.monotonic()
        if found.tasks:
            self.next_claim = now  # more may have room: look again next round
        elif found.next_slot is not None:
            wait = (found.next_slot - timezone.now()).total_seconds()
            self.next_claim = now + max(0.0, min(self.poll_interval, wait))
        else:
            # Nothing limited, or every limit full: a finished limited task, or the poll
            # interval, brings the next look.
            self.next_claim = now + self.poll_interval
        return found.tasks

    def finished(self, tasks: Iterable[Task]) -> None:
        """Look at the lane again next round if one of these finished tasks freed a slot."""
        limited = flow.limited_queues()
        if any(holds_slot(task, limited) for task in tasks):
            self.next_claim = 0.0

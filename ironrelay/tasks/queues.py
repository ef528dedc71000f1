"""Operator actions on queues: pause, resume, and an overview with their limits and backlog."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from ironrelay.conf import get_settings
from ironrelay.models import Queue, Task
from ironrelay.tasks.rates import queue_limits

logger = logging.getLogger("ironrelay.queue")


class QueueNameError(ValueError):
    """A queue name is empty or too long to store."""


@dataclass(frozen=True)
class QueueInfo:
    """One queue as the dashboard, the admin and ``ironrelay_queue list`` show it."""

    name: str
    paused: bool
    pending: int
    running: int
    rate: str = ""
    concurrency: int | None = None


def _checked(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise QueueNameError("A queue name is 1 to 100 characters.")
    return name


def pause(name: str) -> bool:
    """Stop workers claiming the queue's tasks (new ones are still accepted); False if it was."""
    name = _checked(name)
    changed = Queue.objects.filter(name=name, paused=False).update(
        paused=True, paused_at=timezone.now()
    )
    if not changed:
        _, created = Queue.objects.get_or_create(
            name=name, defaults={"paused": True, "paused_at": timezone.now()}
        )
        changed = created
    if changed:
        logger.info("Queue %s paused", name)
    return bool(changed)


def resume(name: str) -> bool:
    """Let workers claim the queue's tasks again; return False if it was not paused."""
    changed = Queue.objects.filter(name=_checked(name), paused=True).update(
        paused=False, paused_at=None
    )
    if changed:
        logger.info("Queue %s resumed", name)
    return bool(changed)


def is_paused(name: str) -> bool:
    """Return whether an operator paused the queue."""
    return Queue.objects.filter(name=name, paused=True).exists()


def overview() -> list[QueueInfo]:
    """Return every known queue: configured, paused, or holding pending or running tasks."""
    configured = get_settings().QUEUES
    limits = queue_limits(configured)
    counts = {
        row["queue_name"]: row
        for row in Task.objects.filter(status__in=[Task.Status.PENDING, Task.Status.RUNNING])
        .values("queue_name")
        .annotate(
            pending=Count("id", filter=Q(status=Task.Status.PENDING)),
            running=Count("id", filter=Q(status=Task.Status.RUNNING)),
        )
        .order_by()
    }
    paused = dict(Queue.objects.values_list("name", "paused"))
    names = sorted({get_settings().DEFAULT_QUEUE, *configured, *paused, *counts})
    return [
        QueueInfo(
            name=name,
            paused=paused.get(name, False),
            pending=counts.get(name, {}).get("pending", 0),
            running=counts.get(name, {}).get("running", 0),
            rate=str(configured.get(name, {}).get("rate") or ""),
            concurrency=limits[name].concurrency if name in limits else None,
        )
        for name in names
    ]

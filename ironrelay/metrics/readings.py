"""Read the queue's state for metrics, health checks and alerts: a few grouped queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone

from ironrelay.conf import get_settings
from ironrelay.models import Endpoint, Queue, Schedule, Task, Worker


@dataclass(frozen=True)
class QueueReading:
    """Counts of one queue's waiting and running tasks."""

    name: str
    pending: int = 0  # waiting, due or not
    due: int = 0  # pending with run_after reached
    running: int = 0
    oldest_due_age: float = 0.0  # seconds the longest-waiting due task has waited


def queues(now: datetime | None = None) -> list[QueueReading]:
    """Return every queue that has pending or running tasks (one query, on the claim index)."""
    now = now or timezone.now()
    due = Q(run_after__lte=now)
    rows = (
        Task.objects.filter(status__in=[Task.Status.PENDING, Task.Status.RUNNING])
        .values("queue_name", "status")
        .annotate(
            count=Count("id"), due=Count("id", filter=due), oldest=Min("run_after", filter=due)
        )
        .order_by()
    )
    found: dict[str, dict[str, float]] = {}
    for row in rows:
        values = found.setdefault(row["queue_name"], {})
        if row["status"] == Task.Status.RUNNING:
            values["running"] = row["count"]
        else:
            values["pending"], values["due"] = row["count"], row["due"]
            if row["oldest"] is not None:
                values["oldest_due_age"] = max((now - row["oldest"]).total_seconds(), 0.0)
    return [QueueReading(name, **values) for name, values in sorted(found.items())]  # type: ignore[arg-type]


def paused_queues() -> set[str]:
    """Return the names of the queues an operator paused (one query; few rows)."""
    return set(Queue.objects.filter(paused=True).values_list("name", flat=True))


def lagging_candidates(now: datetime | None = None) -> list[QueueReading]:
    """Return the queues whose lag counts: not paused, since nothing is claimed from those."""
    paused = paused_queues()
    return [q for q in queues(now) if q.name not in paused]


@dataclass(frozen=True)
class WorkerReading:
    """How many workers are alive, and how long ago the newest heartbeat came."""

    live: int
    newest_heartbeat_age: float | None  # None: no worker row at all


def workers(now: datetime | None = None) -> WorkerReading:
    """Count workers whose heartbeat is within the lease (one query)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=get_settings().WORKER_LEASE)
    row = Worker.objects.aggregate(
        live=Count("id", filter=Q(last_heartbeat__gte=cutoff)), newest=Max("last_heartbeat")
    )
    newest = row["newest"]
    age = None if newest is None else max((now - newest).total_seconds(), 0.0)
    return WorkerReading(live=row["live"], newest_heartbeat_age=age)


@dataclass(frozen=True)
class EndpointReading:
    """One endpoint's health."""

    id: int
    active: bool
    consecutive_failures: int
    failing: bool  # failing_since is set: its last attempt failed


def endpoints() -> list[EndpointReading]:
    """Return every endpoint's health (one query; endpoints are configured, so few)."""
    rows = Endpoint.objects.order_by("id").values_list(
        "id", "is_active", "consecutive_failures", "failing_since"
    )
    return [
        EndpointReading(pk, active, failures, since is not None)
        for pk, active, failures, since in rows
    ]


@dataclass(frozen=True)
class ScheduleReading:
    """How far an active schedule is behind its next slot, and how its last run ended."""

    name: str
    lag: float  # seconds since next_run passed; 0 while it is in the future (or unset)
    last_run_failed: bool  # the task of its newest run ended failed (no attempt left)


def schedules(now: datetime | None = None) -> list[ScheduleReading]:
    """Return each enabled, unpaused schedule's lag and last outcome (one query; few rows)."""
    now = now or timezone.now()
    # last_task_id is a plain column (the task may be pruned): a subquery on the task's primary key.
    last_status = Task.objects.filter(pk=OuterRef("last_task_id")).values("status")[:1]
    rows = (
        Schedule.objects.filter(enabled=True, paused=False)
        .annotate(last_status=Subquery(last_status))
        .order_by("name")
        .values_list("name", "next_run", "last_status")
    )
    return [
        ScheduleReading(
            name,
            lag=0.0 if next_run is None else max((now - next_run).total_seconds(), 0.0),
            last_run_failed=status == Task.Status.FAILED,
        )
        for name, next_run, status in rows
    ]

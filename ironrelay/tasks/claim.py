"""Claim due tasks for a worker, give them back, and keep worker leases (heartbeats, orphans)."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.db import connections, router, transaction
from django.db.models import F, Q, Subquery
from django.utils import timezone

from ironrelay.models import Task, Worker
from ironrelay.tasks.errors import WorkerLost

logger = logging.getLogger("ironrelay.queue")

_WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def _db() -> str:
    return router.db_for_write(Task)


def claim_batch(worker_id: str, queues: Sequence[str], limit: int) -> list[Task]:
    """Mark up to `limit` due pending tasks as running for this worker and return them."""
    now = timezone.now()
    due = Task.objects.filter(status=Task.Status.PENDING, run_after__lte=now)
    if queues:
        due = due.filter(queue_name__in=list(queues))
    due = due.order_by("-priority", "run_after", "id")
    claimed = {
        "status": Task.Status.RUNNING,
        "started_at": now,
        "worker_id": worker_id,
        "unique_key": None,  # a pending duplicate may be queued again once this one runs
    }
    db = _db()
    with transaction.atomic(using=db):
        if connections[db].features.has_select_for_update_skip_locked:
            rows = list(due.select_for_update(skip_locked=True)[:limit])
            if not rows:
                return []
            Task.objects.filter(id__in=[row.id for row in rows]).update(
                attempts=F("attempts") + 1, **claimed
            )
            for row in rows:
                row.attempts += 1
                row.status, row.started_at, row.worker_id = Task.Status.RUNNING, now, worker_id
                row.unique_key = None
        else:
            # SQLite: write first, so this transaction holds the write lock before it reads.
            count = Task.objects.filter(id__in=Subquery(due.values("id")[:limit])).update(
                attempts=F("attempts") + 1, **claimed
            )
            if not count:
                return []
            rows = list(Task.objects.filter(worker_id=worker_id, started_at=now, status="running"))
    rows.sort(key=lambda row: (-row.priority, row.run_after, row.id))
    return rows


def release(worker_id: str, tasks: Sequence[Task]) -> int:
    """Give claimed tasks that never started back to the queue, uncounted."""
    if not tasks:
        return 0
    return Task.objects.filter(
        id__in=[t.id for t in tasks], status=Task.Status.RUNNING, worker_id=worker_id
    ).update(status=Task.Status.PENDING, worker_id="", started_at=None, attempts=F("attempts") - 1)


# -- workers and their leases -------------------------------------------------------------------


def new_worker_id() -> str:
    """Return a unique, readable id for a worker process."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def register_worker(worker_id: str, queues: Sequence[str], concurrency: int) -> None:
    """Record a starting worker."""
    hostname, pid = worker_id.split(":")[0], os.getpid()
    Worker.objects.update_or_create(
        id=worker_id,
        defaults={
            "hostname": hostname,
            "pid": pid,
            "queues": list(queues),
            "concurrency": concurrency,
            "last_heartbeat": timezone.now(),
        },
    )


def heartbeat(worker_id: str, tasks_done: int) -> None:
    """Tell other workers this one is alive (recreating its row if it was reaped)."""
    updated = Worker.objects.filter(id=worker_id).update(
        last_heartbeat=timezone.now(), tasks_done=tasks_done
    )
    if not updated:
        logger.warning("Worker %s had been reaped as dead; registering it again", worker_id)
        register_worker(worker_id, [], 0)


def unregister_worker(worker_id: str) -> None:
    """Remove a worker that stopped cleanly."""
    Worker.objects.filter(id=worker_id).delete()


def requeue_orphans(lease: float) -> int:
    """Send tasks held by workers silent for `lease` seconds back to pending (or fail them)."""
    now = timezone.now()
    dead = list(
        Worker.objects.filter(last_heartbeat__lt=now - timedelta(seconds=lease)).values_list(
            "id", flat=True
        )
    )
    alive = Worker.objects.values("id")
    orphans = Task.objects.filter(status=Task.Status.RUNNING).filter(
        Q(worker_id__in=dead) | ~Q(worker_id__in=Subquery(alive))
    )
    count = 0
    fields = ("id", "task_path", "attempts", "max_attempts", "errors", "worker_id")
    for row in orphans.only(*fields, "cancel_requested_at"):
        error = {
            "attempt": row.attempts,
            "at": now.isoformat(),
            "worker_id": row.worker_id,
            "exception_class_path": _WORKER_LOST,
            "message": f"Worker {row.worker_id} stopped sending heartbeats for {lease:.0f} s",
            "traceback": "",
        }
        finished = row.attempts >= row.max_attempts
        if row.cancel_requested_at is not None:  # a cancelled task never runs again
            status = Task.Status.CANCELLED
        else:
            status = Task.Status.FAILED if finished else Task.Status.PENDING
        finished = finished or status == Task.Status.CANCELLED
        count += Task.objects.filter(
            id=row.id, status=Task.Status.RUNNING, worker_id=row.worker_id
        ).update(
            status=status,
            finished_at=now if finished else None,
            run_after=now,
            worker_id="",
            errors=[*row.errors, error],
        )
    if dead:
        Worker.objects.filter(id__in=dead).delete()
    if count:
        logger.warning("Requeued %s task(s) from %s lost worker(s)", count, len(dead))
    return count

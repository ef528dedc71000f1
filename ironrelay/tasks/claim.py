"""Claim due tasks for a worker, give them back, and keep worker leases (heartbeats, orphans)."""

from __future__ import annotations

import functools
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, Q, Subquery
from django.utils import timezone

from ironrelay.models import Task, Worker
from ironrelay.tasks import flow
from ironrelay.tasks.db import fixed_statement_cursor
from ironrelay.tasks.errors import WorkerLost

logger = logging.getLogger("ironrelay.queue")

_WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def _db() -> str:
    return router.db_for_write(Task)


# PostgreSQL: one statement, so one round trip and one commit between a NOTIFY and the task's
# start. The locking subquery runs once, as an InitPlan, and its ids reach the rows through the
# primary key whatever the plan (a generic plan of a join chose to hash the whole table).
CLAIM_POSTGRESQL = (
    "UPDATE ironrelay_task AS t SET status = 'running', started_at = %s, worker_id = %s,"
    " unique_key = NULL, attempts = t.attempts + 1"
    " WHERE t.id = ANY(ARRAY(SELECT id FROM ironrelay_task"
    " WHERE status = 'pending' AND flow_key = '' AND run_after <= %s{queues}{limited}"
    " AND queue_name NOT IN (SELECT name FROM ironrelay_queue WHERE paused)"
    " ORDER BY priority DESC, run_after, id LIMIT %s FOR UPDATE SKIP LOCKED))"
    " RETURNING {columns}"
)


def claim_batch(worker_id: str, queues: Sequence[str], limit: int) -> list[Task]:
    """Mark up to `limit` due pending tasks as running for this worker and return them.

    This is the fast lane: tasks no limit applies to, in queues that are neither limited nor
    paused. Limited tasks are claimed by ironrelay.tasks.flow.claim_limited.
    """
    now = timezone.now()
    db = _db()
    limited = flow.limited_queues()
    if connections[db].vendor == "postgresql":
        return _claim_postgresql(worker_id, queues, limited, limit, now, db)
    due = Task.objects.filter(status=Task.Status.PENDING, flow_key="", run_after__lte=now)
    if queues:
        due = due.filter(queue_name__in=list(queues))
    if limited:
        due = due.exclude(queue_name__in=limited)
    due = due.exclude(queue_name__in=flow.paused_queues())
    due = due.order_by("-priority", "run_after", "id")
    claimed = {
        "status": Task.Status.RUNNING,
        "started_at": now,
        "worker_id": worker_id,
        "unique_key": None,  # a pending duplicate may be queued again once this one runs
    }
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


def _claim_postgresql(
    worker_id: str,
    queues: Sequence[str],
    limited: Sequence[str],
    limit: int,
    now: datetime,
    db: str,
) -> list[Task]:
    connection = connections[db]
    sql = _claim_statement(bool(queues), bool(limited))
    params: list[Any] = [now, worker_id, now]
    params += [list(queues)] if queues else []
    params += [list(limited)] if limited else []
    params.append(limit)
    with fixed_statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    tasks = [_record(row, connection, db) for row in rows]
    tasks.sort(key=lambda row: (-row.priority, row.run_after, row.id))
    return tasks


def _is_datetime(field: Any) -> bool:
    return bool(field.get_internal_type() == "DateTimeField")


@functools.cache
def _claim_statement(by_queue: bool, limited: bool) -> str:
    # Timestamps come back as whole microseconds since the epoch (exact: extract() returns
    # numeric): psycopg reads an int in C, where Django's timestamptz loader is Python code
    # that cost ten times as much per row.
    columns = ", ".join(
        f"(extract(epoch from t.{field.column}) * 1000000)::bigint"
        if _is_datetime(field)
        else f"t.{field.column}"
        for field in Task._meta.concrete_fields
    )
    queues = " AND queue_name = ANY(%s)" if by_queue else ""
    limited_queues = " AND NOT (queue_name = ANY(%s))" if limited else ""
    return CLAIM_POSTGRESQL.format(queues=queues, limited=limited_queues, columns=columns)


EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)


def _record(row: Sequence[Any], connection: Any, db: str) -> Task:
    """Build a Task from a row the claim returned, as a queryset would have."""
    values = list(row)
    for index in _datetimes():
        if values[index] is not None:
            values[index] = EPOCH + timedelta(microseconds=values[index])
            if not settings.USE_TZ:
                values[index] = timezone.make_naive(values[index], connection.timezone)
    for index, column, converters in _converters(connection.alias):
        for convert in converters:
            values[index] = convert(values[index], column, connection)
    return Task.from_db(db, [f.attname for f in Task._meta.concrete_fields], values)


@functools.cache
def _datetimes() -> list[int]:
    return [i for i, field in enumerate(Task._meta.concrete_fields) if _is_datetime(field)]


@functools.cache
def _converters(alias: str) -> list[tuple[int, Any, list[Any]]]:
    connection = connections[alias]
    found = []
    for index, field in enumerate(Task._meta.concrete_fields):
        if _is_datetime(field):
            continue  # converted above
        column = field.get_col(Task._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            found.append((index, column, converters))
    return found


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

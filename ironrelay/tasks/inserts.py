"""Write new pending task rows with as little work per row as each database allows.

``defer()`` is on the request path of every caller, so it skips what Model.save() spends on a row
that is always the same plain INSERT (compiling the statement, preparing every field, the save
signals): one fixed statement, the values every new task shares written into it, the arguments
sent as the JSON text that checking them produced. On PostgreSQL with psycopg 3 that statement is
prepared, parsed and planned once per connection (ironrelay.tasks.db.fixed_statement_cursor).
``bulk_defer()`` on PostgreSQL sends one INSERT ... SELECT FROM unnest() per 5,000 tasks, the
arguments and flow keys as arrays, instead of a VALUES row per task. Task rows therefore get no
pre_save/post_save signals.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connections

from ironrelay.models import Task
from ironrelay.tasks import db


class NewTask(NamedTuple):
    """The values of a task about to be stored; args and kwargs also as checked JSON text."""

    task_path: str
    queue_name: str
    priority: int
    args: list[Any]
    kwargs: dict[str, Any]
    args_json: str
    kwargs_json: str
    enqueued_at: datetime
    run_after: datetime
    max_attempts: int
    timeout: float | None
    unique_key: str | None
    trace_context: str | None = None  # JSON text of the deferring code's trace context
    flow_key: str = ""  # the key flow control counts the task by ("": no task limit)


INSERT_ONE = (
    "INSERT INTO ironrelay_task (task_path, queue_name, priority, args, kwargs, enqueued_at,"
    " run_after, max_attempts, timeout, unique_key, trace_context, flow_key, status, attempts,"
    " worker_id, worker_ids, errors)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', 0, '', '[]', '[]')"
)
INSERT_ONE_RETURNING_ID = INSERT_ONE + " RETURNING id"
# PostgreSQL: the tasks of one statement share every column but args, kwargs and flow_key, which
# arrive as three arrays (JSON texts for the first two).
SHARED = (
    "task_path",
    "queue_name",
    "priority",
    "enqueued_at",
    "run_after",
    "max_attempts",
    "timeout",
    "trace_context",
)
INSERT_UNNEST = (
    "INSERT INTO ironrelay_task (task_path, queue_name, priority, enqueued_at, run_after,"
    " max_attempts, timeout, trace_context, args, kwargs, flow_key, status, attempts, worker_id,"
    " worker_ids, errors)"
    " SELECT %s, %s, %s, %s, %s, %s, %s, %s::jsonb, a::jsonb, k::jsonb, f, 'pending', 0, '', '[]',"
    " '[]'"
    " FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS u(a, k, f, n)"
    " ORDER BY n"
    " RETURNING id"
)
UNNEST_CHUNK = 5_000


def insert_one(new: NewTask, using: str) -> Task:
    """INSERT one pending task and return its record, as save(force_insert=True) would."""
    connection = connections[using]
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        new.task_path,
        new.queue_name,
        new.priority,
        new.args_json,
        new.kwargs_json,
        adapt(new.enqueued_at),
        adapt(new.run_after),
        new.max_attempts,
        new.timeout,
        new.unique_key,
        new.trace_context,
        new.flow_key,
    ]
    returns_id = connection.features.can_return_columns_from_insert
    with db.fixed_statement_cursor(connection) as cursor:
        cursor.execute(INSERT_ONE_RETURNING_ID if returns_id else INSERT_ONE, params)
        new_id = cursor.fetchone()[0] if returns_id else cursor.lastrowid
    return _record(new_id, new, using)


def insert_many(news: Sequence[NewTask], using: str) -> list[Task]:
    """INSERT many pending tasks in few statements; return their records, with ids where known."""
    if connections[using].vendor != "postgresql":
        # bulk_create sets the ids where the database returns them (SQLite, MariaDB 10.5+).
        records = [Task(**_values(None, new)) for new in news]
        return Task.objects.using(using).bulk_create(records, batch_size=1000)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, new in enumerate(news):
        groups.setdefault(tuple(getattr(new, name) for name in SHARED), []).append(index)
    ids = [0] * len(news)
    for shared, indexes in groups.items():
        for start in range(0, len(indexes), UNNEST_CHUNK):
            chunk = indexes[start : start + UNNEST_CHUNK]
            args = [news[i].args_json for i in chunk]
            kwargs = [news[i].kwargs_json for i in chunk]
            keys = [news[i].flow_key for i in chunk]
            with connections[using].cursor() as cursor:
                cursor.execute(INSERT_UNNEST, [*shared, args, kwargs, keys])
                # One sequence numbers the rows in the order of the ordered SELECT; RETURNING
                # itself has no order.
                returned = sorted(row[0] for row in cursor.fetchall())
            for i, new_id in zip(chunk, returned, strict=True):
                ids[i] = new_id
    return [_record(new_id, new, using) for new_id, new in zip(ids, news, strict=True)]


@functools.cache
def _field_names() -> tuple[str, ...]:
    return tuple(field.attname for field in Task._meta.concrete_fields)


def _values(new_id: int | None, new: NewTask) -> dict[str, Any]:
    """Return every field of the stored task, as the INSERT statements above write them."""
    return {
        "id": new_id,
        "task_path": new.task_path,
        "queue_name": new.queue_name,
        "priority": new.priority,
        "status": Task.Status.PENDING,
        "args": new.args,
        "kwargs": new.kwargs,
        "enqueued_at": new.enqueued_at,
        "run_after": new.run_after,
        "started_at": None,
        "finished_at": None,
        "attempts": 0,
        "max_attempts": new.max_attempts,
        "timeout": new.timeout,
        "unique_key": new.unique_key,
        "worker_id": "",
        "worker_ids": [],
        "errors": [],
        "return_value": None,
        "cancel_requested_at": None,
        "trace_context": None if new.trace_context is None else json.loads(new.trace_context),
        "flow_key": new.flow_key,
    }


def _record(new_id: int, new: NewTask, using: str) -> Task:
    """Build the stored task's record without a query, the way a SELECT would have."""
    values = _values(new_id, new)
    return Task.from_db(using, _field_names(), [values[name] for name in _field_names()])

"""Store an accepted webhook with its handler tasks and runs: one statement on PostgreSQL.

The endpoint is on every sender's request path, so the PostgreSQL path skips what the ORM
spends there: one fixed statement (prepared once per connection, see
ironrelay.tasks.db.fixed_statement_cursor) inserts the webhook, one pending task per matching
handler and its HandlerRun together, or nothing at all when the source's dedupe key is taken
(ON CONFLICT DO NOTHING). Being one statement it is atomic by itself: a stored webhook always
has its handlers queued, exactly once. Other databases do the same in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router

from ironrelay import tracing
from ironrelay.handlers.registry import WebhookHandler
from ironrelay.models import IncomingWebhook
from ironrelay.tasks import db, inserts, queue
from ironrelay.tasks.decorator import TaskFunction
from ironrelay.tasks.inserts import NewTask

# The task and run columns besides these come from arrays, one element per handler, in order.
STORE_PG = """
WITH w AS (
    INSERT INTO ironrelay_incomingwebhook (source, event, delivery_id, content_hash, payload,
        headers, received_at, remote_addr, status, errors)
    VALUES (%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s::inet, %s, %s::jsonb)
    ON CONFLICT DO NOTHING
    RETURNING id
), t AS (
    INSERT INTO ironrelay_task (task_path, queue_name, priority, args, kwargs, enqueued_at,
        run_after, max_attempts, timeout, trace_context, status, attempts, worker_id,
        worker_ids, errors)
    SELECT %s, h.queue_name, h.priority, jsonb_build_array(w.id, h.path), '{}'::jsonb, %s,
        h.run_after, h.max_attempts, h.timeout, %s::jsonb, 'pending', 0, '', '[]'::jsonb,
        '[]'::jsonb
    FROM w CROSS JOIN unnest(%s::text[], %s::text[], %s::smallint[], %s::timestamptz[],
        %s::integer[], %s::float8[]) WITH ORDINALITY
        AS h(path, queue_name, priority, run_after, max_attempts, timeout, n)
    ORDER BY h.n
    RETURNING id, args ->> 1 AS handler
), r AS (
    INSERT INTO ironrelay_handlerrun (webhook_id, handler, task_id, status, replayed, created_at)
    SELECT w.id, t.handler, t.id, 'pending', false, %s FROM w CROSS JOIN t ORDER BY t.id
)
SELECT id FROM w
"""


INSERT_WEBHOOK = (
    "INSERT INTO ironrelay_incomingwebhook (source, event, delivery_id, content_hash, payload,"
    " headers, received_at, remote_addr, status, errors)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
INSERT_RUNS = (
    "INSERT INTO ironrelay_handlerrun (webhook_id, handler, task_id, status, replayed, created_at)"
    " VALUES "
)
RUN_VALUES = "(%s, %s, %s, 'pending', %s, %s)"


def fits(tasks: Sequence[NewTask]) -> bool:
    """Return whether these handler tasks can be stored by fixed statements (insert() below)."""
    # A unique_key may be held by a pending task: defer() handles that refusal one by one.
    return not any(new.unique_key for new in tasks)


def one_statement() -> bool:
    """Return whether insert() is one statement here, atomic without a transaction around it."""
    return connections[router.db_for_write(IncomingWebhook)].vendor == "postgresql"


def insert(fields: dict[str, Any], tasks: Sequence[NewTask], now: datetime) -> int | None:
    """Insert the webhook, its tasks and runs; return its id (None: a repeat, on PostgreSQL).

    Elsewhere a repeat raises IntegrityError, and the caller's transaction holds the statements.
    """
    wrapper = connections[router.db_for_write(IncomingWebhook)]
    if wrapper.vendor == "postgresql":
        return _insert_pg(wrapper, fields, tasks, now)
    adapt = wrapper.ops.adapt_datetimefield_value
    params = [
        *_webhook_values(fields),
        adapt(now),
        wrapper.ops.adapt_ipaddressfield_value(fields["remote_addr"]),
        fields["status"],
        json.dumps(fields["errors"]),
    ]
    returns_id = wrapper.features.can_return_columns_from_insert
    with db.fixed_statement_cursor(wrapper) as cursor:
        cursor.execute(INSERT_WEBHOOK + (" RETURNING id" if returns_id else ""), params)
        webhook_id = cursor.fetchone()[0] if returns_id else cursor.lastrowid
    if not tasks:
        return webhook_id
    runs: list[Any] = []
    for new in tasks:
        args = [webhook_id, new.args[1]]
        new = new._replace(args=args, args_json=json.dumps(args))
        task = inserts.insert_one(new, wrapper.alias)
        runs += [webhook_id, args[1], task.pk, False, adapt(now)]
    with db.fixed_statement_cursor(wrapper) as cursor:
        cursor.execute(INSERT_RUNS + ", ".join([RUN_VALUES] * len(tasks)), runs)
    return webhook_id


def _webhook_values(fields: dict[str, Any]) -> list[Any]:
    return [
        fields["source"],
        fields["event"],
        fields["delivery_id"],
        fields["content_hash"],
        json.dumps(fields["payload"]),
        json.dumps(fields["headers"]),
    ]


def _insert_pg(
    wrapper: Any, fields: dict[str, Any], tasks: Sequence[NewTask], now: datetime
) -> int | None:
    params = [
        *_webhook_values(fields),
        now,
        fields["remote_addr"],
        fields["status"],
        json.dumps(fields["errors"]),
        tasks[0].task_path if tasks else "",  # one task function: run_handler
        now,
        tasks[0].trace_context if tasks else None,  # one request: one trace
        [new.args[1] for new in tasks],
        [new.queue_name for new in tasks],
        [new.priority for new in tasks],
        [new.run_after for new in tasks],
        [new.max_attempts for new in tasks],
        [new.timeout for new in tasks],
        now,
    ]
    with db.fixed_statement_cursor(wrapper) as cursor:
        cursor.execute(STORE_PG, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def handler_tasks(
    run_handler: TaskFunction, handlers: Sequence[WebhookHandler], now: datetime
) -> list[NewTask]:
    """Return the task each handler's run gets, as run_handler.using(...).defer() would store it."""
    trace_context = tracing.current_context() if handlers else None
    return [
        queue.new_task(run_handler.using(**handler.task_options), now)._replace(
            args=[None, handler.path], trace_context=trace_context
        )
        for handler in handlers
    ]

"""Write the outcomes of a batch of tasks back in one UPDATE statement, on every database.

Each finished task becomes one row of values (a ``Change``); one statement joins the task table to
those rows and sets every task's columns from its own row: PostgreSQL ``UPDATE ... FROM
json_to_recordset(rows)`` (one fixed statement and one parameter whatever the batch size),
SQLite ``UPDATE ... FROM (VALUES ...)``, MariaDB/MySQL a multi-table ``UPDATE`` joined to a derived
table of ``SELECT ... UNION ALL`` rows. Only rows still running under the writing worker change, so
a task another worker took over after a lost lease keeps that worker's outcome, and a task whose
cancel was requested is left for the queue manager to end cancelled.

The ids of the rows changed come back with the statement (``RETURNING``) on PostgreSQL and SQLite.
MariaDB and MySQL have no ``UPDATE ... RETURNING``: there the rows that will change are read and
locked first, in the same transaction as the UPDATE.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connections, transaction


class Change(NamedTuple):
    """The new values of one finished task's row; a None marked "kept" leaves that column as is."""

    id: int
    status: str
    finished_at: datetime | None  # NULL for a task going back to pending
    run_after: datetime | None  # None: kept
    return_value: str | None  # JSON text; None writes NULL
    errors: str | None  # JSON text of the whole error list; None: kept
    worker_ids: str  # JSON text


UPDATE_POSTGRESQL = (
    "UPDATE ironrelay_task AS t SET status = v.status, finished_at = v.finished_at,"
    " run_after = COALESCE(v.run_after, t.run_after), return_value = v.return_value::jsonb,"
    " errors = COALESCE(v.errors::jsonb, t.errors), worker_ids = v.worker_ids::jsonb,"
    " worker_id = '' FROM json_to_recordset(%s::json) AS v(id bigint, status text,"
    " finished_at timestamptz, run_after timestamptz, return_value text, errors text,"
    " worker_ids text)"
    " WHERE t.id = v.id AND t.status = 'running' AND t.worker_id = %s"
    " AND t.cancel_requested_at IS NULL RETURNING t.id"
)
UPDATE_SQLITE = (
    "UPDATE ironrelay_task AS t SET status = v.status, finished_at = v.finished_at,"
    " run_after = COALESCE(v.run_after, t.run_after), return_value = v.return_value,"
    " errors = COALESCE(v.errors, t.errors), worker_ids = v.worker_ids, worker_id = ''"
    " FROM (SELECT column1 AS id, column2 AS status, column3 AS finished_at,"
    " column4 AS run_after, column5 AS return_value, column6 AS errors, column7 AS worker_ids"
    " FROM (VALUES {rows})) AS v"
    " WHERE t.id = v.id AND t.status = 'running' AND t.worker_id = %s"
    " AND t.cancel_requested_at IS NULL{returning}"
)
SQLITE_RETURNING = (3, 35)  # the first SQLite with UPDATE ... RETURNING
UPDATE_MYSQL = (
    "UPDATE ironrelay_task AS t JOIN ({rows}) AS v ON v.id = t.id"
    " SET t.status = v.status, t.finished_at = CAST(v.finished_at AS DATETIME(6)),"
    " t.run_after = COALESCE(CAST(v.run_after AS DATETIME(6)), t.run_after),"
    " t.return_value = v.return_value, t.errors = COALESCE(v.errors, t.errors),"
    " t.worker_ids = v.worker_ids, t.worker_id = ''"
    " WHERE t.status = 'running' AND t.worker_id = %s AND t.cancel_requested_at IS NULL"
)
MYSQL_FIRST_ROW = (
    "SELECT %s AS id, %s AS status, %s AS finished_at, %s AS run_after, %s AS return_value,"
    " %s AS errors, %s AS worker_ids"
)
MYSQL_ROW = " UNION ALL SELECT %s, %s, %s, %s, %s, %s, %s"
# The rows of a chunk the UPDATE will change, locked until it commits (no RETURNING there).
SELECT_WRITABLE = (
    "SELECT id FROM ironrelay_task WHERE id IN ({ids}) AND status = 'running' AND worker_id = %s"
    " AND cancel_requested_at IS NULL{lock}"
)
MYSQL_CHUNK = 1_000  # rows per statement, far below max_allowed_packet even with tracebacks


def update(worker_id: str, changes: Sequence[Change], using: str) -> set[int]:
    """Apply the changes to the rows still running under this worker; return the ids changed."""
    if not changes:
        return set()
    connection = connections[using]
    vendor = connection.vendor
    written: set[int] = set()
    if vendor == "postgresql":
        # The rows as one JSON parameter: Python's C encoder writes it and PostgreSQL's parser
        # reads it far faster than psycopg quotes arrays element by element.
        rows = json.dumps([_json_row(change) for change in changes])
        # Not prepared: a generic plan cannot see how many rows there are, and with many tasks
        # running one chose to scan every running row once per outcome (0.2 s a batch).
        with connection.cursor() as cursor:
            cursor.execute(UPDATE_POSTGRESQL, [rows, worker_id])
            return {int(row[0]) for row in cursor.fetchall()}
    for chunk in _chunks(changes, _rows_per_statement(connection)):
        params: list[Any] = []
        adapt = connection.ops.adapt_datetimefield_value
        for change in chunk:
            params += [*change[:2], adapt(change.finished_at), adapt(change.run_after), *change[4:]]
        params.append(worker_id)
        if vendor == "sqlite" and _sqlite_returns(connection):
            sql = UPDATE_SQLITE.format(
                rows=", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk)),
                returning=" RETURNING id",
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                written.update(int(row[0]) for row in cursor.fetchall())
            continue
        if vendor == "sqlite":
            sql = UPDATE_SQLITE.format(
                rows=", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk)), returning=""
            )
        else:
            sql = UPDATE_MYSQL.format(rows=MYSQL_FIRST_ROW + MYSQL_ROW * (len(chunk) - 1))
        ids = [change.id for change in chunk]
        # No savepoint of its own: the caller's transaction, if any, decides what a failure undoes.
        with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
            cursor.execute(
                SELECT_WRITABLE.format(
                    ids=", ".join(["%s"] * len(ids)),
                    # SQLite before 3.35 has no FOR UPDATE either; it lets one writer at a time.
                    lock="" if vendor == "sqlite" else " FOR UPDATE",
                ),
                [*ids, worker_id],
            )
            written.update(int(row[0]) for row in cursor.fetchall())
            cursor.execute(sql, params)
    return written


def _sqlite_returns(connection: Any) -> bool:
    return bool(connection.Database.sqlite_version_info >= SQLITE_RETURNING)


def _json_row(change: Change) -> dict[str, Any]:
    row = change._asdict()
    for name in ("finished_at", "run_after"):
        if row[name] is not None:
            row[name] = row[name].isoformat()
    return row


def _rows_per_statement(connection: Any) -> int:
    limit = connection.features.max_query_params
    return MYSQL_CHUNK if limit is None else (limit - 1) // len(Change._fields)


def _chunks(changes: Sequence[Change], size: int) -> Iterator[Sequence[Change]]:
    for start in range(0, len(changes), size):
        yield changes[start : start + size]

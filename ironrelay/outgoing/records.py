"""Record delivered attempts: many deliveries' attempts, progress and endpoint health at once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Q

from ironrelay.models import Delivery, DeliveryAttempt, Endpoint

PROGRESS_FIELDS = [
    "status",
    "attempts",
    "last_attempt_at",
    "next_attempt_at",
    "finished_at",
    "last_status_code",
    "last_error",
]


@dataclass
class Success:
    """A delivered delivery, its progress fields set, and the attempt that delivered it."""

    delivery: Delivery
    attempt: DeliveryAttempt


def write_successes(successes: Sequence[Success]) -> None:
    """Write the attempts, deliveries and endpoint health of many successes together.

    In a caller's transaction it takes no savepoint: a failure leaves the caller to roll back
    (sidecar.write takes a savepoint where a batch must go on after one).
    """
    if not successes:
        return
    db = router.db_for_write(Delivery)
    connection = connections[db]
    if connection.vendor == "postgresql":
        # One statement: its own transaction in autocommit (no BEGIN and COMMIT round trips),
        # else part of the caller's.
        _write_postgresql(connection, successes)
        return
    with transaction.atomic(using=db, savepoint=False):
        DeliveryAttempt.objects.using(db).bulk_create([s.attempt for s in successes])
        _update_progress(db, [s.delivery for s in successes])
        # Only endpoints with a failure record to clear are written: usually none.
        Endpoint.objects.using(db).filter(
            Q(consecutive_failures__gt=0) | Q(failing_since__isnull=False),
            pk__in={s.delivery.endpoint_id for s in successes},
        ).update(consecutive_failures=0, failing_since=None)


# The rows as one JSON parameter: one fixed statement whatever the group size inserts the
# attempts and updates their deliveries and endpoints.
WRITE_POSTGRESQL = (
    "WITH v AS (SELECT * FROM json_to_recordset(%s::json) AS v(delivery_id bigint,"
    " endpoint_id bigint, number integer, at timestamptz, url text, request_headers jsonb,"
    " status_code integer, response_headers jsonb, response_body text,"
    " duration_ms double precision, error text,"
    " status text, attempts integer, last_attempt_at timestamptz, next_attempt_at timestamptz,"
    " finished_at timestamptz, last_status_code integer, last_error text)),"
    " progress AS (UPDATE ironrelay_delivery AS d SET status = v.status,"
    " attempts = v.attempts, last_attempt_at = v.last_attempt_at,"
    " next_attempt_at = v.next_attempt_at, finished_at = v.finished_at,"
    " last_status_code = v.last_status_code, last_error = v.last_error"
    " FROM v WHERE d.id = v.delivery_id),"
    # Only endpoints with a failure record to clear are written: usually none.
    " health AS (UPDATE ironrelay_endpoint AS e SET consecutive_failures = 0,"
    " failing_since = NULL WHERE e.id IN (SELECT endpoint_id FROM v)"
    " AND (e.consecutive_failures > 0 OR e.failing_since IS NOT NULL))"
    " INSERT INTO ironrelay_deliveryattempt (delivery_id, number, at, url, request_headers,"
    " status_code, response_headers, response_body, duration_ms, error)"
    " SELECT delivery_id, number, at, url, request_headers, status_code, response_headers,"
    " response_body, duration_ms, error FROM v"
)


def _write_postgresql(connection: Any, successes: Sequence[Success]) -> None:
    rows = [_json_row(s) for s in successes]
    with connection.cursor() as cursor:
        cursor.execute(WRITE_POSTGRESQL, [json.dumps(rows)])


def _json_row(success: Success) -> dict[str, Any]:
    attempt, delivery = success.attempt, success.delivery
    return {
        "delivery_id": delivery.pk,
        "endpoint_id": delivery.endpoint_id,
        "number": attempt.number,
        "at": _iso(attempt.at),
        "url": attempt.url,
        "request_headers": attempt.request_headers,
        "status_code": attempt.status_code,
        "response_headers": attempt.response_headers,
        "response_body": attempt.response_body,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_attempt_at": _iso(delivery.last_attempt_at),
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "finished_at": _iso(delivery.finished_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _update_progress(db: str, deliveries: Sequence[Delivery]) -> None:
    """Write each delivery's progress fields: one statement, executed once per row."""
    # Not bulk_update: its CASE WHEN per field and row costs more to build than the writes.
    connection = connections[db]
    fields = [Delivery._meta.get_field(name) for name in PROGRESS_FIELDS]
    quote = connection.ops.quote_name
    # Only the model's own table and column names go into the text; every value is a parameter.
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    table, key = quote(Delivery._meta.db_table), quote(Delivery._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608  # nosec B608
    rows = [
        [field.get_db_prep_save(getattr(d, field.attname), connection) for field in fields] + [d.pk]
        for d in deliveries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)

"""Record delivery attempts: what concurrent deliveries did, written together in one transaction."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import connections, router, transaction
from django.db.models import Q

from ironrelay.models import Delivery, DeliveryAttempt, Endpoint

Item = TypeVar("Item")

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
    """Write the attempts, deliveries and endpoint health of many successes together."""
    if not successes:
        return
    db = router.db_for_write(Delivery)
    connection = connections[db]
    if connection.vendor == "postgresql":
        if connection.get_autocommit():
            # One statement is its own transaction: no BEGIN and COMMIT round trips.
            _write_postgresql(connection, successes)
        else:
            # In a caller's transaction, a savepoint: a failed write must not abort it.
            with transaction.atomic(using=db):
                _write_postgresql(connection, successes)
        return
    with transaction.atomic(using=db):
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


@dataclass
class _Slot(Generic[Item]):
    item: Item
    done: bool = False
    error: BaseException | None = None
    # Set when the item is written, or when its thread is to write the next group.
    wake: threading.Event = field(default_factory=threading.Event)


class GroupWriter(Generic[Item]):
    """Write items from many threads in groups: each caller returns once its item is committed.

    While one thread writes, the items other threads submit meanwhile wait for the next write,
    which takes them all: with N threads delivering, one transaction records up to N of them.
    Each waiting thread is woken on its own: handing one lock from waiter to waiter made every
    thread of a group wait for the others' wake-ups, which on a busy machine took longer than
    the write.
    """

    def __init__(self, write: Callable[[list[Item]], None]) -> None:
        self._write = write
        self._queued: list[_Slot[Item]] = []
        self._lock = threading.Lock()
        self._writing = False  # a thread is writing a group; the next waiter writes after it

    def submit(self, item: Item) -> None:
        """Write `item` (with whatever else is waiting); raise if its write failed."""
        slot = _Slot(item)
        with self._lock:
            self._queued.append(slot)
            leads, self._writing = not self._writing, True
        if not leads:
            slot.wake.wait()
        if not slot.done:  # no one is writing: this thread writes what waits, its item with it
            self._write_next()
        if slot.error is not None:
            error = slot.error
            raise RecordNotWritten(
                f"The attempt could not be recorded: {type(error).__name__}: {error}"
            ) from error

    def _write_next(self) -> None:
        with self._lock:
            group, self._queued = self._queued, []
        following = None
        try:
            self._write_group(group)
        finally:
            with self._lock:
                for s in group:
                    s.done = True
                if self._queued:
                    following = self._queued[0]  # submitted meanwhile: it writes the next group
                else:
                    self._writing = False
            for s in group:
                s.wake.set()
            if following is not None:
                following.wake.set()

    def _write_group(self, group: list[_Slot[Item]]) -> None:
        try:
            self._write([s.item for s in group])
            return
        except Exception as exc:
            if len(group) == 1:
                group[0].error = exc
                return
        # One bad item (say, a delivery deleted meanwhile) must not fail the others with it.
        for s in group:
            try:
                self._write([s.item])
            except Exception as exc:
                s.error = exc


class RecordNotWritten(Exception):
    """The group write that held this attempt failed."""


successes: GroupWriter[Success] = GroupWriter(write_successes)

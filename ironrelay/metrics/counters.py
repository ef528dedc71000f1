"""Count events in memory and add them to the database's counters every few seconds.

A worker's threads and a web process's requests only touch a dict under a lock; the sums go to
the ``MetricCounter`` table in one statement per flush (the worker flushes with its heartbeat,
a web process after a request once METRICS_FLUSH_INTERVAL has passed). The table then holds
every process's counts, so the collector in any process (the web server's /metrics) reports
them. Counts not yet flushed are lost if a process is killed; a clean stop flushes them.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from datetime import timedelta

from django.db import DatabaseError, connections, router, transaction

from ironrelay.conf import get_settings
from ironrelay.models import MetricCounter

logger = logging.getLogger("ironrelay.metrics")

# Upper bounds (seconds) of the task run-time histogram's buckets; +Inf is added.
DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
)

TASKS_FINISHED = "tasks_finished"
TASK_RETRIES = "task_retries"
TASK_DURATION_BUCKET = "task_duration_seconds_bucket"  # per bucket, not cumulative
TASK_DURATION_SUM = "task_duration_seconds_sum"
WEBHOOKS_RECEIVED = "webhooks_received"
SIGNATURE_FAILURES = "webhook_signature_failures"
DELIVERY_ATTEMPTS = "delivery_attempts"

Labels = tuple[tuple[str, str], ...]

_lock = threading.Lock()
_pending: dict[tuple[str, Labels], float] = {}
_last_flush = time.monotonic()


def add(name: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
    """Add `amount` to a counter series in this process (a no-op unless METRICS is on)."""
    if not get_settings().METRICS:
        return
    series = (name, tuple(sorted(labels.items())))
    with _lock:
        _pending[series] = _pending.get(series, 0.0) + amount


def observe_duration(task_path: str, queue_name: str, elapsed: timedelta) -> None:
    """Count one finished run in the run-time histogram."""
    if get_settings().METRICS:
        count_run(task_path, queue_name, None, elapsed.total_seconds())


_BOUNDS = [*map(str, DURATION_BUCKETS), "+Inf"]


def count_run(task_path: str, queue_name: str, status: str | None, seconds: float) -> None:
    """Count one written run: its outcome (a retry when status is "pending") and its run time.

    Called for every task the worker writes back, so it takes the lock once and builds its
    series keys directly (the labels already in sorted order) instead of going through add().
    """
    seconds = max(seconds, 0.0)
    bound = _BOUNDS[bisect.bisect_left(DURATION_BUCKETS, seconds)]
    labels = (("queue", queue_name), ("task", task_path))
    series = [
        ((TASK_DURATION_BUCKET, (("le", bound), *labels)), 1.0),
        ((TASK_DURATION_SUM, labels), seconds),
    ]
    if status == "pending":
        series.append(((TASK_RETRIES, labels), 1.0))
    elif status is not None:
        series.append(((TASKS_FINISHED, (*labels, ("status", status))), 1.0))
    with _lock:
        for key, amount in series:
            _pending[key] = _pending.get(key, 0.0) + amount


def flush(*, force: bool = False) -> int:
    """Write this process's pending counts to the database when due; return series written."""
    global _last_flush
    if not force and time.monotonic() - _last_flush < get_settings().METRICS_FLUSH_INTERVAL:
        return 0
    with _lock:
        _last_flush = time.monotonic()
        if not _pending:
            return 0
        batch = dict(_pending)
        _pending.clear()
    try:
        _write(batch)
    except DatabaseError as exc:
        logger.warning("Could not write metric counters (%s); keeping them for the next flush", exc)
        with _lock:
            for series, amount in batch.items():
                _pending[series] = _pending.get(series, 0.0) + amount
        return 0
    return len(batch)


def flush_after_request(**kwargs: object) -> None:
    """Flush from a web process once the interval has passed (request_finished receiver)."""
    if _pending:
        flush()


def series_key(name: str, labels: Labels) -> str:
    """Return the row key of a series: a digest of its name and labels."""
    text = json.dumps([name, labels], separators=(",", ":"))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


# One statement adds a batch to the counters, creating the series it meets for the first time.
UPSERT_MYSQL = (
    "INSERT INTO ironrelay_metriccounter (`key`, name, labels, value) VALUES {rows}"
    " ON DUPLICATE KEY UPDATE value = value + VALUES(value)"
)
UPSERT = (  # PostgreSQL and SQLite
    'INSERT INTO ironrelay_metriccounter ("key", name, labels, value) VALUES {rows}'
    ' ON CONFLICT ("key") DO UPDATE SET value = ironrelay_metriccounter.value + excluded.value'
)


UPSERT_ROWS = 500  # series per statement: 2,000 parameters, far below every database's limit


def _write(batch: Mapping[tuple[str, Labels], float]) -> None:
    connection = connections[router.db_for_write(MetricCounter)]
    template = UPSERT_MYSQL if connection.vendor == "mysql" else UPSERT
    series = sorted(batch.items())
    # All chunks or none: a failed flush puts the whole batch back to be written again.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for start in range(0, len(series), UPSERT_ROWS):
            chunk = series[start : start + UPSERT_ROWS]
            params: list[object] = []
            for (name, labels), amount in chunk:
                text = json.dumps(dict(labels), sort_keys=True, separators=(",", ":"))
                params += [series_key(name, labels), name, text, amount]
            sql = template.format(rows=", ".join(["(%s, %s, %s, %s)"] * len(chunk)))
            cursor.execute(sql, params)


def discard_pending() -> None:
    """Forget counts not yet flushed (tests)."""
    with _lock:
        _pending.clear()

"""A Prometheus collector that reads IronRelay's state and counters from the database.

Every scrape costs the same five queries whatever the tables hold: queue counts (grouped, on the
claim index, so they read pending and running rows only), live workers, endpoints, active
schedules (with their last task's status by primary key), and the counters table, whose size is
the number of series, not of tasks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from django.db import DatabaseError
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ironrelay.metrics import counters, readings
from ironrelay.models import MetricCounter

logger = logging.getLogger("ironrelay.metrics")

PREFIX = "ironrelay_"

# Counters kept in the database: name, help text, label names.
COUNTERS = {
    counters.TASKS_FINISHED: ("Tasks that finished, by outcome.", ["task", "queue", "status"]),
    counters.TASK_RETRIES: ("Failed runs that were queued again.", ["task", "queue"]),
    counters.WEBHOOKS_RECEIVED: (
        "Incoming webhook requests, by the HTTP status answered.",
        ["source", "status"],
    ),
    counters.SIGNATURE_FAILURES: ("Incoming webhooks refused by verification.", ["source"]),
    counters.DELIVERY_ATTEMPTS: (
        "Outgoing delivery attempts: delivered, retry (failed, will retry) or failed (gave up).",
        ["endpoint", "outcome"],
    ),
}


class IronRelayCollector(Collector):
    """Yield IronRelay's metrics, read from the database at scrape time."""

    def describe(self) -> Iterator[Metric]:
        """Name the families without querying (prometheus_client calls this at register())."""
        yield _up_family()
        yield from _state_families()
        yield from _counter_families()
        yield _duration_family()

    def collect(self) -> Iterator[Metric]:
        """Read the database and yield every family with its samples."""
        up = _up_family()
        try:
            families = [*_read_state(), *_read_counters()]
        except DatabaseError as exc:
            logger.warning("Metrics scrape could not read the database: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _up_family() -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + "database_up", "1 if this scrape could read the database.")


def _state_families() -> list[GaugeMetricFamily]:
    queue = ["queue"]
    return [
        GaugeMetricFamily(PREFIX + "queue_pending", "Pending tasks, due or not.", labels=queue),
        GaugeMetricFamily(PREFIX + "queue_due", "Pending tasks whose time has come.", labels=queue),
        GaugeMetricFamily(PREFIX + "queue_running", "Tasks running now.", labels=queue),
        GaugeMetricFamily(
            PREFIX + "queue_oldest_due_age_seconds",
            "How long the longest-waiting due task has waited.",
            labels=queue,
        ),
        GaugeMetricFamily(
            PREFIX + "queue_paused", "1 if an operator paused the queue.", labels=queue
        ),
        GaugeMetricFamily(PREFIX + "workers", "Workers with a heartbeat within the lease."),
        GaugeMetricFamily(
            PREFIX + "endpoint_active", "1 if the endpoint is enabled.", labels=["endpoint"]
        ),
        GaugeMetricFamily(
            PREFIX + "endpoint_failing",
            "1 if the endpoint's last delivery attempt failed.",
            labels=["endpoint"],
        ),
        GaugeMetricFamily(
            PREFIX + "endpoint_consecutive_failures",
            "Deliveries in a row that gave up.",
            labels=["endpoint"],
        ),
        GaugeMetricFamily(
            PREFIX + "schedule_lag_seconds",
            "How far an enabled, unpaused schedule is behind its next slot.",
            labels=["schedule"],
        ),
        GaugeMetricFamily(
            PREFIX + "schedule_last_run_failed",
            "1 if the task of the schedule's newest run failed for good.",
            labels=["schedule"],
        ),
    ]


def _read_state() -> list[GaugeMetricFamily]:
    families = _state_families()
    pending, due, running, age, paused, workers, active, failing, failures, lag, last_failed = (
        families
    )
    paused_names = readings.paused_queues()
    queues = readings.queues()
    for q in queues:
        pending.add_metric([q.name], q.pending)
        due.add_metric([q.name], q.due)
        running.add_metric([q.name], q.running)
        age.add_metric([q.name], q.oldest_due_age)
    for name in sorted(paused_names | {q.name for q in queues}):
        paused.add_metric([name], 1 if name in paused_names else 0)
    workers.add_metric([], readings.workers().live)
    for e in readings.endpoints():
        label = [str(e.id)]
        active.add_metric(label, 1 if e.active else 0)
        failing.add_metric(label, 1 if e.failing else 0)
        failures.add_metric(label, e.consecutive_failures)
    for schedule in readings.schedules():
        lag.add_metric([schedule.name], schedule.lag)
        last_failed.add_metric([schedule.name], 1 if schedule.last_run_failed else 0)
    return families


def _counter_families() -> list[CounterMetricFamily]:
    return [
        CounterMetricFamily(PREFIX + name, text, labels=labels)
        for name, (text, labels) in COUNTERS.items()
    ]


def _duration_family() -> HistogramMetricFamily:
    return HistogramMetricFamily(
        PREFIX + "task_duration_seconds", "Run time of tasks.", labels=["task", "queue"]
    )


def _read_counters() -> list[Metric]:
    families = dict(zip(COUNTERS, _counter_families(), strict=True))
    buckets: dict[tuple[str, str], dict[str, float]] = {}
    sums: dict[tuple[str, str], float] = {}
    for name, labels_text, value in MetricCounter.objects.values_list("name", "labels", "value"):
        labels: dict[str, Any] = json.loads(labels_text)
        if name in families:
            names = COUNTERS[name][1]
            families[name].add_metric([str(labels.get(n, "")) for n in names], value)
        elif name == counters.TASK_DURATION_BUCKET:
            series = (labels.get("task", ""), labels.get("queue", ""))
            buckets.setdefault(series, {})[labels.get("le", "+Inf")] = value
        elif name == counters.TASK_DURATION_SUM:
            sums[(labels.get("task", ""), labels.get("queue", ""))] = value
    duration = _duration_family()
    for series in sorted(buckets.keys() | sums.keys()):
        counts = buckets.get(series, {})
        cumulative, total = [], 0.0
        for bound in [*map(str, counters.DURATION_BUCKETS), "+Inf"]:
            total += counts.get(bound, 0.0)
            cumulative.append((bound, total))
        duration.add_metric(list(series), cumulative, sums.get(series, 0.0))
    return [*families.values(), duration]

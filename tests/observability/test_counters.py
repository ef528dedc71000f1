"""Counts are kept in memory per process and summed into the database by flush()."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ironrelay import send_webhook
from ironrelay.metrics import counters
from ironrelay.models import Endpoint, MetricCounter
from ironrelay.tasks import claim
from ironrelay.tasks.outcomes import Outcome, error_record, record_outcomes
from tests.receiver import Reply
from tests.testapp.tasks import always_fails, noop

pytestmark = pytest.mark.django_db(transaction=True)


def values(name: str) -> dict[tuple[tuple[str, str], ...], float]:
    import json

    return {
        tuple(sorted(json.loads(labels).items())): value
        for labels, value in MetricCounter.objects.filter(name=name).values_list("labels", "value")
    }


def test_flush_adds_to_the_stored_series_across_flushes(metrics_on):
    counters.add("tasks_finished", {"task": "a", "queue": "q", "status": "success"}, 2)
    counters.add("tasks_finished", {"task": "b", "queue": "q", "status": "failed"})
    assert counters.flush(force=True) == 2
    counters.add("tasks_finished", {"queue": "q", "status": "success", "task": "a"}, 3)
    assert counters.flush(force=True) == 1
    assert values("tasks_finished") == {
        (("queue", "q"), ("status", "success"), ("task", "a")): 5.0,
        (("queue", "q"), ("status", "failed"), ("task", "b")): 1.0,
    }


def test_flush_waits_for_the_interval_unless_forced(metrics_on):
    counters.flush(force=True)
    counters.add("task_retries", {"task": "a", "queue": "q"})
    assert counters.flush() == 0  # within METRICS_FLUSH_INTERVAL of the last flush
    assert not MetricCounter.objects.exists()
    assert counters.flush(force=True) == 1


def test_nothing_is_counted_when_metrics_are_off():
    counters.add("task_retries", {"task": "a", "queue": "q"})
    assert counters.flush(force=True) == 0
    assert not MetricCounter.objects.exists()


def test_long_label_values_fit_the_key(metrics_on):
    path = "a" * 255
    counters.add("tasks_finished", {"task": path, "queue": "q", "status": "success"})
    counters.flush(force=True)
    [row] = MetricCounter.objects.all()
    assert len(row.key) == 40 and path in row.labels


def write_back(n_ok: int, n_failed: int) -> CaptureQueriesContext:
    noop.bulk_defer([(i,) for i in range(n_ok)])
    always_fails.using(max_attempts=1).bulk_defer([() for _ in range(n_failed)])
    tasks = claim.claim_batch("w1", [], 1000)
    outcomes = []
    for task in tasks:
        ok = task.task_path.endswith("noop")
        error = None if ok else error_record(task, RuntimeError("x"), "")
        outcomes.append(Outcome(task=task, ok=ok, error=error))
    with CaptureQueriesContext(connection) as queries:
        record_outcomes("w1", outcomes)
    return queries


def test_write_back_counts_outcomes_without_an_extra_query(settings):
    off = write_back(3, 1)
    settings.IRONRELAY = {**settings.IRONRELAY, "METRICS": True}
    on = write_back(30, 10)
    assert len(on.captured_queries) == len(off.captured_queries)
    counters.flush(force=True)
    finished = values("tasks_finished")
    assert finished[(("queue", "default"), ("status", "success"), ("task", noop.path))] == 30
    assert finished[(("queue", "default"), ("status", "failed"), ("task", always_fails.path))] == 10
    buckets = values("task_duration_seconds_bucket")
    assert sum(buckets.values()) == 40


def test_retries_are_counted(metrics_on, drain):
    always_fails.defer()  # max_attempts=2: one retry, then failed
    drain()
    counters.flush(force=True)
    assert values("task_retries") == {(("queue", "default"), ("task", always_fails.path)): 1.0}


def test_incoming_webhooks_counted_by_source_and_status(metrics_on, client):
    client.post("/ironrelay/incoming/test/", {"event": "a"}, content_type="application/json")
    client.post("/ironrelay/incoming/test/", b"{not json", content_type="application/json")
    client.post("/ironrelay/incoming/stripe/", {"x": 1}, content_type="application/json")
    client.post("/ironrelay/incoming/made-up/", {"x": 1}, content_type="application/json")
    counters.flush(force=True)
    assert values("webhooks_received") == {
        (("source", "test"), ("status", "202")): 1.0,
        (("source", "test"), ("status", "400")): 1.0,
        (("source", "stripe"), ("status", "401")): 1.0,
    }
    assert values("webhook_signature_failures") == {(("source", "stripe"),): 1.0}


def test_request_finished_flushes_once_the_interval_passed(settings, client):
    settings.IRONRELAY = {**settings.IRONRELAY, "METRICS": True, "METRICS_FLUSH_INTERVAL": 0}
    client.post("/ironrelay/incoming/test/", {"event": "a"}, content_type="application/json")
    assert values("webhooks_received") == {(("source", "test"), ("status", "202")): 1.0}


def test_deliveries_counted_by_endpoint_and_outcome(metrics_on, receiver, drain):
    receiver.script("/flaky", Reply(500), Reply(200))
    receiver.script("/down", *[Reply(500)] * 5)
    flaky = Endpoint.objects.create(url=receiver.url("/flaky"), event_types=["*"])
    down = Endpoint.objects.create(url=receiver.url("/down"), event_types=["*"])
    send_webhook("invoice.paid", {"id": 1})
    drain()
    counters.flush(force=True)
    # OUTGOING_RETRY_SCHEDULE in the test settings allows three retries.
    assert values("delivery_attempts") == {
        (("endpoint", str(flaky.pk)), ("outcome", "retry")): 1.0,
        (("endpoint", str(flaky.pk)), ("outcome", "delivered")): 1.0,
        (("endpoint", str(down.pk)), ("outcome", "retry")): 3.0,
        (("endpoint", str(down.pk)), ("outcome", "failed")): 1.0,
    }


def test_many_series_are_written_in_chunks(metrics_on):
    for n in range(1_200):
        counters.add("tasks_finished", {"task": f"t{n}", "queue": "q", "status": "success"}, n)
    with CaptureQueriesContext(connection) as queries:
        assert counters.flush(force=True) == 1_200
    inserts = [q["sql"] for q in queries if "INSERT INTO" in q["sql"]]
    assert len(inserts) == 3  # 500 + 500 + 200 series
    stored = values("tasks_finished")
    assert len(stored) == 1_200
    assert stored[(("queue", "q"), ("status", "success"), ("task", "t1199"))] == 1199.0
    assert MetricCounter.objects.filter(name="tasks_finished").count() == 1_200

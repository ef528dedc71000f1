"""A task's records are written with its outcome; a refused one fails its task alone."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ironrelay.models import Endpoint, Task
from ironrelay.tasks import claim, sidecar
from ironrelay.tasks.decorator import task
from ironrelay.tasks.outcomes import Outcome, error_record, record_outcomes
from ironrelay.tasks.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)

written_by: list[str] = []  # the threads that wrote records


def write_endpoints(urls: list[str]) -> None:
    written_by.append(threading.current_thread().name)
    if "http://bad" in urls:
        raise ValueError("cannot write bad")
    Endpoint.objects.bulk_create([Endpoint(url=url, event_types=["*"]) for url in urls])


@task()
def hand_over(url: str) -> str:
    sidecar.write_with_outcome(write_endpoints, url)
    return url


def record_of(url: str) -> sidecar.Record:
    return sidecar.Record(write_endpoints, url)


def test_records_are_written_with_the_outcomes_and_a_refused_one_fails_its_task_alone():
    tasks = hand_over.bulk_defer([("http://a",), ("http://bad",), ("http://c",)])
    claimed = {t.pk: t for t in claim.claim_batch("w1", [], 10)}
    outcomes = [
        Outcome(claimed[t.pk], ok=True, return_value=t.args[0], records=[record_of(t.args[0])])
        for t in tasks
    ]
    record_outcomes("w1", outcomes)
    rows = {row.pk: row for row in Task.objects.all()}
    assert rows[tasks[0].pk].status == rows[tasks[2].pk].status == "success"
    bad = rows[tasks[1].pk]
    assert bad.status == "pending"  # runs again: its record was not written
    assert "cannot write bad" in bad.errors[-1]["message"]
    assert bad.errors[-1]["exception_class_path"].endswith("RecordNotWritten")
    assert sorted(Endpoint.objects.values_list("url", flat=True)) == ["http://a", "http://c"]


def test_a_failed_task_still_has_its_records_written():
    [one] = hand_over.bulk_defer([("http://failed",)])
    [claimed] = claim.claim_batch("w1", [], 10)
    error = error_record(claimed, RuntimeError("boom"), "")
    record_outcomes(
        "w1", [Outcome(claimed, ok=False, error=error, records=[record_of("http://failed")])]
    )
    assert Task.objects.get(pk=one.pk).status == "pending"
    assert list(Endpoint.objects.values_list("url", flat=True)) == ["http://failed"]


def test_a_worker_writes_the_records_with_the_outcomes_not_in_the_task_threads():
    written_by.clear()
    hand_over.bulk_defer([(f"http://e{i}",) for i in range(6)])
    Worker(burst=True, concurrency=3, batch_size=6, poll_interval=0.01).run()
    assert set(Task.objects.values_list("status", flat=True)) == {"success"}
    assert Endpoint.objects.count() == 6
    assert written_by and not any(name.startswith("ironrelay-task") for name in written_by)


def test_outside_a_worker_a_record_is_written_at_once():
    hand_over("http://now")
    assert list(Endpoint.objects.values_list("url", flat=True)) == ["http://now"]


def test_a_batch_whose_records_are_all_written_takes_no_savepoint():
    tasks = hand_over.bulk_defer([(f"http://s{i}",) for i in range(3)])
    claimed = {t.pk: t for t in claim.claim_batch("w1", [], 10)}
    outcomes = [
        Outcome(claimed[t.pk], ok=True, return_value=t.args[0], records=[record_of(t.args[0])])
        for t in tasks
    ]
    with CaptureQueriesContext(connection) as queries:
        record_outcomes("w1", outcomes)
    # Each savepoint is one more round trip for the worker's loop; only a failure needs them.
    assert not [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    assert Endpoint.objects.count() == 3
    assert set(Task.objects.values_list("status", flat=True)) == {"success"}


def test_an_attempt_whose_delivery_was_deleted_meanwhile_fails_only_its_own_task():
    from django.utils import timezone

    from ironrelay.models import Delivery, DeliveryAttempt
    from ironrelay.outgoing import records
    from tests.dashboard import factories

    kept, gone = (factories.delivery(status="pending") for _ in range(2))
    tasks = hand_over.bulk_defer([("http://kept",), ("http://gone",)])
    claimed = {t.pk: t for t in claim.claim_batch("w1", [], 10)}

    def delivered(delivery: Delivery) -> sidecar.Record:
        delivery.status, delivery.attempts = Delivery.Status.DELIVERED, 2
        delivery.finished_at = delivery.last_attempt_at = timezone.now()
        attempt = DeliveryAttempt(
            delivery=delivery, number=2, at=timezone.now(), url=delivery.endpoint.url,
            request_headers={}, status_code=200, response_headers={}, response_body="ok",
            duration_ms=1.0, error="",
        )  # fmt: skip
        return sidecar.Record(records.write_successes, records.Success(delivery, attempt))

    outcomes = [
        Outcome(claimed[t.pk], ok=True, return_value="delivered", records=[delivered(d)])
        for t, d in zip(tasks, (kept, gone), strict=True)
    ]
    # Deleted while its POST was in flight: the attempt's foreign key now points at nothing,
    # which PostgreSQL and SQLite check only at commit.
    gone.endpoint.delete()
    record_outcomes("w1", outcomes)

    rows = {row.pk: row for row in Task.objects.all()}
    assert rows[tasks[0].pk].status == "success"
    assert Delivery.objects.get(pk=kept.pk).status == "delivered"
    assert DeliveryAttempt.objects.filter(delivery=kept).count() == 2
    assert rows[tasks[1].pk].status == "pending"  # runs again, and finds its delivery gone
    assert rows[tasks[1].pk].errors[-1]["exception_class_path"].endswith("RecordNotWritten")

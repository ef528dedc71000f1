"""Claim, complete, retry and recovery, against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ironrelay.models import Task, Worker
from ironrelay.tasks import claim, queue
from ironrelay.tasks.outcomes import Outcome, error_record, record_outcomes
from tests.testapp.tasks import always_fails, echo, noop, send_email

pytestmark = pytest.mark.django_db


def claim_now(limit: int = 10, queues: tuple[str, ...] = (), worker: str = "w1") -> list[Task]:
    return claim.claim_batch(worker, list(queues), limit)


def test_claim_marks_running_and_counts_attempt():
    noop.defer(1)
    [got] = claim_now()
    stored = Task.objects.get(pk=got.pk)
    assert stored.status == Task.Status.RUNNING
    assert stored.worker_id == "w1"
    assert stored.attempts == got.attempts == 1
    assert stored.started_at is not None


def test_claimed_record_is_the_stored_row_field_for_field():
    at = timezone.now() - timedelta(seconds=5, microseconds=123457)
    echo.using(run_after=at, priority=3).defer({"a": [1, 2.5, None], "key": "ü"})
    Task.objects.update(worker_ids=["w0"], errors=[{"attempt": 1, "message": "before"}])
    [got] = claim_now()
    stored = Task.objects.get(pk=got.pk)
    for field in Task._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(stored, field.attname), field.name
    assert got.run_after == at and got._state.adding is False and got._state.db == "default"


def test_claim_orders_by_priority_then_run_after():
    now = timezone.now()
    low = noop.using(priority=-5).defer(1)
    late = noop.using(run_after=now - timedelta(seconds=1)).defer(2)
    early = noop.using(run_after=now - timedelta(seconds=10)).defer(3)
    high = noop.using(priority=10).defer(4)
    assert [t.pk for t in claim_now()] == [high.pk, early.pk, late.pk, low.pk]


def test_claim_skips_tasks_not_yet_due():
    noop.using(delay=3600).defer(1)
    assert claim_now() == []


def test_claim_respects_queue_filter():
    noop.defer(1)
    mail = send_email.defer(2)
    assert [t.pk for t in claim_now(queues=("emails",))] == [mail.pk]


def test_claim_respects_limit_and_never_returns_a_task_twice():
    noop.bulk_defer([(i,) for i in range(25)])
    first, second = claim_now(limit=10), claim_now(limit=10, worker="w2")
    assert len(first) == len(second) == 10
    assert not {t.pk for t in first} & {t.pk for t in second}


def test_record_outcomes_success_stores_result_and_worker():
    noop.defer(1)
    noop.defer(2)
    a, b = claim_now()
    record_outcomes("w1", [Outcome(a, ok=True), Outcome(b, ok=True, return_value={"x": 1})])
    sa, sb = Task.objects.get(pk=a.pk), Task.objects.get(pk=b.pk)
    assert sa.status == sb.status == Task.Status.SUCCESS
    assert sb.return_value == {"x": 1}
    assert sa.worker_ids == sb.worker_ids == ["w1"]
    assert sa.finished_at is not None and sa.worker_id == ""


def _error(task: Task, message: str) -> dict:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return error_record(task, exc, "Traceback: " + message)


def test_failed_attempt_goes_back_to_pending_with_later_run_after():
    always_fails.defer()
    [t] = claim_now()
    record_outcomes("w1", [Outcome(t, ok=False, error=_error(t, "boom 1"))])
    stored = Task.objects.get(pk=t.pk)
    assert stored.status == Task.Status.PENDING
    assert stored.run_after > t.started_at
    assert [e["message"] for e in stored.errors] == ["boom 1"]
    assert stored.errors[0]["exception_class_path"] == "builtins.RuntimeError"


def test_last_attempt_failure_is_final_and_keeps_every_error():
    always_fails.defer()  # max_attempts=2
    for n in (1, 2):
        Task.objects.update(run_after=timezone.now())
        [t] = claim_now()
        record_outcomes("w1", [Outcome(t, ok=False, error=_error(t, f"boom {n}"))])
    stored = Task.objects.get()
    assert stored.status == Task.Status.FAILED
    assert [e["attempt"] for e in stored.errors] == [1, 2]
    assert [e["message"] for e in stored.errors] == ["boom 1", "boom 2"]
    assert stored.finished_at is not None


def test_permanent_failure_skips_remaining_attempts():
    noop.defer(1)
    [t] = claim_now()
    record_outcomes("w1", [Outcome(t, ok=False, error=_error(t, "x"), permanent=True)])
    assert Task.objects.get().status == Task.Status.FAILED


def test_outcome_of_task_taken_over_by_another_worker_is_ignored():
    noop.defer(1)
    [t] = claim_now(worker="w1")
    Task.objects.update(worker_id="w2")
    record_outcomes("w1", [Outcome(t, ok=True, return_value=5)])
    assert Task.objects.get().status == Task.Status.RUNNING


def test_release_returns_unstarted_tasks_uncounted():
    noop.defer(1)
    claimed = claim_now()
    assert claim.release("w1", claimed) == 1
    stored = Task.objects.get()
    assert (stored.status, stored.attempts, stored.worker_id) == ("pending", 0, "")


def test_requeue_orphans_of_dead_worker():
    claim.register_worker("dead", [], 1)
    claim.register_worker("alive", [], 1)
    Worker.objects.filter(id="dead").update(last_heartbeat=timezone.now() - timedelta(minutes=5))
    noop.defer(1)
    noop.defer(2)
    [a] = claim_now(limit=1, worker="dead")
    [b] = claim_now(limit=1, worker="alive")
    assert claim.requeue_orphans(lease=60) == 1
    sa, sb = Task.objects.get(pk=a.pk), Task.objects.get(pk=b.pk)
    assert (sa.status, sa.attempts) == ("pending", 1)
    assert "stopped sending heartbeats" in sa.errors[-1]["message"]
    assert sb.status == "running"
    assert not Worker.objects.filter(id="dead").exists()


def test_requeue_orphan_out_of_attempts_fails():
    claim.register_worker("dead", [], 1)
    always_fails.defer()
    Task.objects.update(attempts=1)  # one attempt used before, max_attempts=2
    claim_now(worker="dead")
    Worker.objects.update(last_heartbeat=timezone.now() - timedelta(minutes=5))
    claim.requeue_orphans(lease=60)
    assert Task.objects.get().status == Task.Status.FAILED


def test_retry_and_cancel_actions():
    failed = noop.defer(1)
    Task.objects.filter(pk=failed.pk).update(status="failed", attempts=3, max_attempts=3)
    pending = noop.defer(2)
    assert queue.retry(failed) is True
    assert queue.cancel(pending) is True
    assert queue.cancel(Task.objects.get(pk=failed.pk)) is True  # pending again, so cancellable
    refreshed = Task.objects.get(pk=failed.pk)
    assert refreshed.status == "cancelled"
    assert queue.retry(Task.objects.get(pk=pending.pk)) is True
    assert Task.objects.get(pk=pending.pk).max_attempts == 1

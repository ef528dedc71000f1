"""wait() without a worker: timeouts, transactions, and what cancel() refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from ironrelay.models import Task, Worker
from ironrelay.tasks import claim, queue
from ironrelay.tasks.errors import NotCancellable
from tests.testapp.tasks import noop


@pytest.mark.django_db(transaction=True)
def test_wait_raises_builtin_timeout_error_naming_the_task():
    task = noop.defer(1)
    with pytest.raises(TimeoutError, match=f"Task #{task.pk} "):
        task.wait(timeout=0.2)


@pytest.mark.django_db
def test_wait_inside_a_transaction_is_refused():
    with transaction.atomic():
        task = noop.defer(1)
        with pytest.raises(TransactionManagementError, match="inside a transaction"):
            task.wait(timeout=5)


@pytest.mark.django_db
def test_cancel_finished_task_is_refused_clearly():
    task = noop.defer(1)
    Task.objects.filter(pk=task.pk).update(status="success")
    with pytest.raises(NotCancellable, match=f"Task #{task.pk} is success: it can no longer"):
        queue.cancel(task.pk)
    with pytest.raises(NotCancellable, match="There is no task #999999"):
        queue.cancel(999999)


@pytest.mark.django_db
def test_cancel_running_task_marks_it_and_retry_clears_the_mark():
    task = noop.defer(1)
    Task.objects.filter(pk=task.pk).update(status="running", worker_id="w")
    assert queue.cancel(task) is False  # asked to stop, not cancelled yet
    task.refresh_from_db()
    assert task.status == "running" and task.cancel_requested_at is not None
    Task.objects.filter(pk=task.pk).update(status="cancelled")
    assert queue.retry(task) is True
    assert Task.objects.get(pk=task.pk).cancel_requested_at is None


@pytest.mark.django_db
def test_orphan_whose_cancel_was_requested_ends_cancelled_not_pending():
    claim.register_worker("dead", [], 1)
    task = noop.defer(1)
    claim.claim_batch("dead", [], 10)
    assert queue.cancel(task) is False
    Worker.objects.update(last_heartbeat=timezone.now() - timedelta(minutes=5))
    assert claim.requeue_orphans(lease=60) == 1
    task.refresh_from_db()
    assert (task.status, task.worker_id) == ("cancelled", "")
    assert task.finished_at is not None

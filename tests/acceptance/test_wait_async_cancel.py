"""wait(), async def tasks and cancelling running work, against real worker processes."""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ironrelay.models import Task, Worker
from ironrelay.tasks import queue
from ironrelay.tasks.errors import TaskCancelled, TaskFailed
from tests.testapp.models import Execution
from tests.testapp.tasks import always_fails, record
from tests.testapp.waiting_tasks import (
    awaits_cancel,
    cooperative,
    ignores_cancel,
    nap,
    overruns,
    pause,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


@pytest.fixture
def worker(start_worker):
    proc = start_worker("--concurrency", "2", "--poll-interval", "0.1")
    assert wait_until(Worker.objects.exists, timeout=60)
    return proc


def test_wait_returns_the_refreshed_record_on_success(worker):
    task = record.defer("waited", value=21)
    done = task.wait(timeout=30)
    assert done is task
    assert (done.status, done.return_value) == ("success", 42)


def test_wait_raises_task_failed_with_the_last_traceback(worker):
    task = always_fails.defer()
    with pytest.raises(TaskFailed) as caught:
        task.wait(timeout=30)
    assert caught.value.task_id == task.pk
    assert "ValueError: this task always fails" in caught.value.traceback
    assert caught.value.error["attempt"] == 2  # the last of its two attempts
    assert "this task always fails" in str(caught.value)


def test_await_result_waits_from_async_code(worker):
    task = record.defer("awaited", value=1)
    done = asyncio.run(task.await_result(timeout=30))
    assert done.status == "success" and done.return_value == 2


def test_wait_reads_the_row_only_when_notified_on_postgresql(worker):
    task = pause.defer(1.5)
    with CaptureQueriesContext(connection) as queries:
        task.wait(timeout=30)
    reads = [q for q in queries.captured_queries if "ironrelay_task" in q["sql"]]
    if connection.vendor == "postgresql":
        # LISTEN/NOTIFY: one read before waiting, one after the NOTIFY (no polling loop).
        assert len(reads) <= 3, [q["sql"] for q in reads]
    else:
        assert len(reads) > 3  # polling with backoff over 1.5 s


def test_fifty_async_tasks_share_one_thread_concurrently(start_worker):
    proc = start_worker("--concurrency", "1", "--batch-size", "60", "--poll-interval", "0.1")
    tasks = nap.bulk_defer([(0.5,)] * 50)
    assert wait_until(lambda: Task.objects.filter(status="success").count() == 50, timeout=120), (
        proc.poll()
    )
    runs = [Task.objects.get(pk=t.pk).return_value for t in tasks]
    assert len({run["thread"] for run in runs}) == 1
    # Many intervals contain one common instant: they were awaiting side by side.
    latest_start = sorted(run["start"] for run in runs)[39]
    overlapping = [run for run in runs if run["start"] <= latest_start < run["end"]]
    assert len(overlapping) >= 40


def test_async_task_past_its_timeout_is_cancelled_and_recorded_failed(worker):
    task = overruns.defer("overran")
    with pytest.raises(TaskFailed) as caught:
        task.wait(timeout=60)
    assert caught.value.error["exception_class_path"].endswith("TaskTimeout")
    assert Execution.objects.filter(label="overran").exists()  # its finally block ran


def test_cancel_pending_task_never_runs(start_worker):
    task = record.defer("never", value=1)
    assert queue.cancel(task) is True  # cancelled at once
    proc = start_worker("--burst")
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert Task.objects.get(pk=task.pk).status == "cancelled"
    assert not Execution.objects.filter(label="never").exists()
    with pytest.raises(TaskCancelled):
        task.wait(timeout=1)


def _cancel_once_running(task):
    assert wait_until(lambda: Execution.objects.filter(label=task.args[0]).exists(), timeout=60)
    assert queue.cancel(task) is False  # running: asked to stop
    with pytest.raises(TaskCancelled):
        task.wait(timeout=60)
    return Task.objects.get(pk=task.pk)


def test_cancel_running_sync_task_that_checks_its_context(worker):
    done = _cancel_once_running(cooperative.defer("cooperative"))
    assert done.status == "cancelled" and done.finished_at is not None
    assert done.last_error["exception_class_path"].endswith("TaskCancelled")
    assert done.attempts == 1  # never retried


def test_cancel_running_sync_task_that_returns_anyway_ends_cancelled(worker):
    done = _cancel_once_running(ignores_cancel.defer("ignores"))
    assert done.status == "cancelled" and done.return_value is None


def test_cancel_running_async_task_cancels_its_coroutine(worker):
    task = awaits_cancel.defer("async-cancel")
    assert wait_until(lambda: Task.objects.get(pk=task.pk).status == "running", timeout=60)
    assert queue.cancel(task) is False
    with pytest.raises(TaskCancelled):
        task.wait(timeout=60)
    assert Execution.objects.filter(label="async-cancel").exists()  # finally ran
    assert Task.objects.get(pk=task.pk).return_value is None

"""Issue 14's "done when": django.tasks through IronRelayBackend, run by real worker processes.

Only the public django.tasks API (``@task``, ``enqueue``, ``using``, ``get_result``) and the
documented IronRelay calls on the result (``wait``, ``await_result``, ``cancel``) and the backend
(``cancel``) are used.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from ironrelay.models import Worker
from ironrelay.tasks.djangotasks import TaskResultStatus, task_backends
from tests.testapp import djtasks_live as live
from tests.testapp.models import Execution
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


@pytest.fixture
def worker(start_worker):
    proc = start_worker("--concurrency", "2", "--poll-interval", "0.1")
    assert wait_until(Worker.objects.exists, timeout=60)
    return proc


def test_enqueued_task_runs_and_get_result_reads_successful(worker):
    result = live.double.enqueue("run", 21)
    assert result.status == TaskResultStatus.READY
    assert result.wait(timeout=30) is result
    found = live.double.get_result(result.id)
    assert found.status == TaskResultStatus.SUCCESSFUL
    assert found.return_value == 42
    assert found.attempts == 1 and found.errors == []
    assert list(Execution.objects.values_list("label", "value")) == [("run", 21)]


def test_failing_task_reads_failed_with_every_attempt_error(worker):
    result = live.always_fails.enqueue("doomed")
    result.wait(timeout=30)
    found = task_backends["default"].get_result(result.id)
    assert found.status == TaskResultStatus.FAILED
    assert found.attempts == 3
    assert [e.exception_class_path for e in found.errors] == ["builtins.ValueError"] * 3
    assert "doomed always fails" in found.errors[-1].traceback
    assert Execution.objects.filter(label="doomed").count() == 3
    with pytest.raises(ValueError, match="Task failed"):
        found.return_value  # noqa: B018


def test_higher_priority_starts_first(start_worker):
    for priority in (-5, 10, 0, 20, 5):
        live.double.using(priority=priority).enqueue(f"p{priority}", priority)
    start_worker("--concurrency", "1", "--poll-interval", "0.1")
    assert wait_until(lambda: Execution.objects.count() == 5, timeout=60)
    started = list(Execution.objects.order_by("id").values_list("value", flat=True))
    assert started == [20, 10, 5, 0, -5]


def test_run_after_is_honoured(worker):
    run_after = timezone.now() + timedelta(seconds=2)
    result = live.double.using(run_after=run_after).enqueue("later", 1)
    now_result = live.double.enqueue("now", 2)
    now_result.wait(timeout=30)
    assert result.wait(timeout=30).status == TaskResultStatus.SUCCESSFUL
    assert result.started_at >= run_after
    assert Execution.objects.get(label="later").created >= run_after


def test_async_task_runs_on_the_workers_event_loop(worker):
    result = live.async_double.enqueue(4, label="async")
    done = asyncio.run(result.await_result(timeout=30))
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == {"value": 8, "thread": "ironrelay-async"}
    assert Execution.objects.get(label="async").value == 4


def test_async_task_is_cancelled_at_its_timeout(worker):
    result = live.async_overruns.enqueue("overran")
    assert result.wait(timeout=30).status == TaskResultStatus.FAILED
    assert result.errors[-1].exception_class_path.endswith(".TaskTimeout")
    assert Execution.objects.filter(label="overran").exists()  # its coroutine was cancelled


def test_running_async_task_is_cancelled_by_its_result(worker):
    result = live.async_waits.enqueue("awaiting")
    assert wait_until(Execution.objects.filter(label="awaiting").exists, timeout=30)
    assert result.cancel() is False  # it was running: its worker was asked to stop
    assert result.wait(timeout=30).status == TaskResultStatus.FAILED
    assert result.errors[-1].exception_class_path == "ironrelay.tasks.errors.TaskCancelled"
    assert not Execution.objects.filter(label="awaiting not cancelled").exists()


def test_running_task_sees_cancel_through_djangos_context(worker):
    result = live.stops_when_cancelled.enqueue("looping")
    assert wait_until(Execution.objects.filter(label="looping").exists, timeout=30)
    assert task_backends["default"].cancel(result.id) is False
    found = live.stops_when_cancelled.get_result(result.id).wait(timeout=30)
    assert found.status == TaskResultStatus.FAILED
    assert "was cancelled" in found.errors[-1].traceback
    assert Execution.objects.filter(label="looping saw cancel=True").exists()


def test_pending_task_is_cancelled_before_it_runs(transactional_db):
    result = live.double.enqueue("never", 1)
    assert task_backends["default"].cancel(result.id) is True
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[-1].exception_class_path == "ironrelay.tasks.errors.TaskCancelled"
    assert "was cancelled" in result.errors[-1].traceback
    assert not Execution.objects.exists()

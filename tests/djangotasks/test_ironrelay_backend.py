"""What IronRelayBackend adds to the django.tasks contract: IronRelay's options, retries, checks."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from ironrelay.models import Task as TaskRow
from ironrelay.tasks import queue
from ironrelay.tasks.djangoresults import IronRelayResult
from ironrelay.tasks.djangotasks import (
    InvalidTask,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_backends,
    task_finished,
    task_started,
)
from ironrelay.tasks.errors import NotCancellable
from ironrelay.tasks.registry import get_task
from tests.djangotasks.conftest import drain_ironrelay
from tests.testapp import djtasks, tasks
from tests.testapp.models import Execution

pytestmark = pytest.mark.django_db(transaction=True)

BACKEND = "ironrelay.backends.IronRelayBackend"


def tasks_setting(**default):
    return {"default": {"BACKEND": BACKEND, "QUEUES": settings.TASK_QUEUES, **default}}


def test_enqueued_task_is_an_ironrelay_task_row():
    result = djtasks.record.enqueue("row", value=3)
    row = TaskRow.objects.get(pk=int(result.id))
    assert row.task_path == "tests.testapp.djtasks.record"
    assert (row.queue_name, row.priority, row.status) == ("emails", 7, "pending")
    assert (row.args, row.kwargs) == (["row"], {"value": 3})


def test_per_task_options_retry_until_success_with_every_error_kept():
    started, finished = [], []
    task_started.connect(started_receiver := lambda sender, task_result, **kw: started.append(1))
    task_finished.connect(
        finished_receiver := lambda sender, task_result, **kw: finished.append(task_result.status)
    )
    try:
        result = djtasks.flaky.enqueue("f", fail_times=2)
        assert TaskRow.objects.get(pk=int(result.id)).max_attempts == 3  # not OPTIONS' 1
        drain_ironrelay()
    finally:
        task_started.disconnect(started_receiver)
        task_finished.disconnect(finished_receiver)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 3
    assert result.attempts == 3 and len(result.worker_ids) == 3
    assert [e.exception_class for e in result.errors] == [RuntimeError, RuntimeError]
    assert "flaky failure number 2" in result.errors[1].traceback
    assert list(Execution.objects.values_list("value", flat=True).order_by("id")) == [1, 2, 3]
    # Started on each attempt; finished once, when finished for good.
    assert (len(started), finished) == (3, [TaskResultStatus.SUCCESSFUL])


def test_options_give_every_task_its_defaults():
    with override_settings(TASKS=tasks_setting(OPTIONS={"max_attempts": 4, "timeout": 30})):
        result = djtasks.add.using(backend="default").enqueue(1, 2)
    row = TaskRow.objects.get(pk=int(result.id))
    assert (row.max_attempts, row.timeout) == (4, 30)


def test_using_sets_ironrelay_options_per_call():
    first = djtasks.add.using(max_attempts=5, timeout=2.5, unique_key="sum-1").enqueue(1, 2)
    second = djtasks.add.using(unique_key="sum-1").enqueue(1, 2)
    row = TaskRow.objects.get(pk=int(first.id))
    assert (row.max_attempts, row.timeout, row.unique_key) == (5, 2.5, "sum-1")
    assert second.id == first.id  # a pending task with that key already exists
    assert djtasks.add.max_attempts is None  # the original is unchanged


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"max_attempts": 0}, "max_attempts must be at least 1"),
        ({"timeout": 0}, "timeout must be above 0"),
        ({"unique_key": ""}, "unique_key"),
    ],
)
def test_bad_per_task_option_is_invalid_task(options, words):
    with pytest.raises(InvalidTask, match=words):
        djtasks.add.using(**options)


def test_result_of_a_cancelled_task_is_failed():
    result = djtasks.add.enqueue(1, 2)
    queue.cancel(TaskRow.objects.get(pk=int(result.id)))
    result.refresh()
    assert result.status == TaskResultStatus.FAILED and result.is_finished


@pytest.mark.parametrize("result_id", ["999999", "abc", "-1", str(2**63), None])
def test_cancel_of_an_unknown_result_id_does_not_exist(result_id):
    with pytest.raises(TaskResultDoesNotExist):
        task_backends["default"].cancel(result_id)


def test_cancel_of_a_finished_task_is_not_cancellable():
    result = djtasks.add.enqueue(1, 2)
    drain_ironrelay()
    with pytest.raises(NotCancellable, match="success"):
        result.cancel()
    assert result.wait(timeout=5).return_value == 3


def test_wait_on_an_unfinished_result_raises_timeout_error():
    result = djtasks.add.enqueue(1, 2)
    with pytest.raises(TimeoutError):
        result.wait(timeout=0.05)
    assert result.status == TaskResultStatus.READY


def test_results_from_enqueue_and_get_result_can_be_waited_for():
    result = djtasks.add.enqueue(1, 2)
    assert isinstance(result, IronRelayResult)
    assert isinstance(djtasks.add.get_result(result.id), IronRelayResult)


def test_get_result_of_a_native_ironrelay_task_does_not_exist():
    row = tasks.noop.defer(1)
    with pytest.raises(TaskResultDoesNotExist):
        task_backends["default"].get_result(str(row.pk))


def test_worker_registry_resolves_a_django_task():
    definition = get_task("tests.testapp.djtasks.flaky")
    assert definition.path == "tests.testapp.djtasks.flaky"
    assert (definition.max_attempts, definition.retry_backoff) == (3, 0.01)


def check_messages(**default):
    with override_settings(TASKS=tasks_setting(**default)):
        return [(m.id, m.msg) for m in task_backends["default"].check()]


def test_check_passes_on_the_test_settings():
    assert check_messages() == []


def test_check_names_unknown_option():
    [(code, text)] = check_messages(OPTIONS={"max_attempt": 3})
    assert code == "ironrelay.E010"
    assert "max_attempt" in text and "TASKS['default']['OPTIONS']" in text


def test_check_names_bad_queues():
    [(code, text)] = check_messages(QUEUES="default")
    assert code == "ironrelay.E010"
    assert "TASKS['default']['QUEUES']" in text


def test_enqueue_with_bad_options_is_improperly_configured():
    with (
        override_settings(TASKS=tasks_setting(OPTIONS={"timeout": -1})),
        pytest.raises(ImproperlyConfigured, match="timeout"),
    ):
        djtasks.add.using(backend="default").enqueue(1, 2)


def test_check_names_a_task_on_an_unknown_queue():
    apps_setting = [*settings.INSTALLED_APPS, "tests.queueapp"]
    with override_settings(INSTALLED_APPS=apps_setting):
        messages = [(m.id, m.msg, m.hint) for m in task_backends["default"].check()]
    [(code, text, hint)] = messages
    assert code == "ironrelay.E011"
    assert "tests.queueapp.tasks" in text and "reports" in text
    assert "emails" in hint


@pytest.mark.acceptance
def test_ironrelay_worker_command_runs_django_tasks(start_worker):
    result = djtasks.add.enqueue(40, 2)
    failed = djtasks.fails.enqueue("no")
    worker = start_worker("--burst")
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    result.refresh()
    failed.refresh()
    assert result.return_value == 42
    assert failed.status == TaskResultStatus.FAILED
    assert failed.errors[0].exception_class is ValueError


def test_check_with_bad_options_reports_them_once_instead_of_crashing_on_tasks_modules():
    apps_setting = [*settings.INSTALLED_APPS, "tests.queueapp"]
    with override_settings(INSTALLED_APPS=apps_setting):
        assert [code for code, _ in check_messages(OPTIONS={"timeout": "soon"})] == [
            "ironrelay.E010"
        ]

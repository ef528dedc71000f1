"""The documented django.tasks contract, run against IronRelayBackend and a reference backend.

Each test states one behaviour of Django's tasks documentation (the Task, TaskResult, TaskContext
and BaseTaskBackend reference, and the topic guide). The reference, django-tasks-db's
DatabaseBackend, claims the same behaviour: it passing a test shows the test reads the contract
right; a test the reference fails says why in its `reference_fails` mark.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone

from ironrelay.tasks.djangotasks import (
    InvalidTask,
    TaskResultDoesNotExist,
    TaskResultMismatch,
    TaskResultStatus,
    task,
    task_enqueued,
    task_finished,
    task_started,
)
from tests.djangotasks.conftest import in_fresh_thread
from tests.testapp import djtasks
from tests.testapp.models import Execution


def test_backend_claims_every_feature(harness):
    backend = harness.backend
    assert backend.supports_defer
    assert backend.supports_async_task
    assert backend.supports_get_result
    assert backend.supports_priority


def test_enqueue_returns_a_ready_result(harness):
    result = harness.on(djtasks.add).enqueue(2, b=3)
    assert result.status == TaskResultStatus.READY
    assert isinstance(result.id, str) and 0 < len(result.id) < 64
    assert result.backend == harness.alias
    assert result.task.func is djtasks.add.func
    assert result.args == [2] and result.kwargs == {"b": 3}
    assert result.enqueued_at is not None and timezone.is_aware(result.enqueued_at)
    assert result.started_at is None and result.finished_at is None
    assert not result.is_finished
    assert result.errors == [] and result.worker_ids == [] and result.attempts == 0
    with pytest.raises(ValueError, match="not finished"):
        _ = result.return_value


def test_get_result_by_id_from_task_and_backend(harness):
    result = harness.on(djtasks.add).enqueue(1, 1)
    from_task = harness.on(djtasks.add).get_result(result.id)
    for found in (from_task, harness.backend.get_result(result.id)):
        assert found.id == result.id
        assert found.status == TaskResultStatus.READY
        assert found.args == [1, 1]
        assert found.task.func is djtasks.add.func


def test_get_result_of_unknown_id_raises_does_not_exist(harness):
    harness.on(djtasks.add).enqueue(1, 1)
    for missing in ("999999999", "not-an-id", ""):
        with pytest.raises(TaskResultDoesNotExist):
            harness.backend.get_result(missing)


def test_task_get_result_of_another_task_raises_mismatch(harness):
    result = harness.on(djtasks.add).enqueue(1, 1)
    with pytest.raises(TaskResultMismatch):
        harness.on(djtasks.echo).get_result(result.id)


def test_worker_runs_task_and_refresh_shows_success(harness):
    result = harness.on(djtasks.add).enqueue(20, 22)
    harness.drain()
    assert result.status == TaskResultStatus.READY  # a result does not update by itself
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.is_finished
    assert result.return_value == 42
    assert result.errors == []
    assert result.attempts == 1 and len(result.worker_ids) == 1
    assert result.started_at <= result.finished_at
    assert result.last_attempted_at is not None


def test_return_value_round_trips_through_json(harness):
    result = harness.on(djtasks.returns_tuple).enqueue()
    harness.drain()
    assert harness.backend.get_result(result.id).return_value == [1, "two"]


def test_failure_records_a_task_error(harness):
    result = harness.on(djtasks.fails).enqueue("boom")
    harness.drain()
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.is_finished
    assert len(result.errors) == 1
    assert result.errors[0].exception_class is ValueError
    assert "boom" in result.errors[0].traceback
    assert result.finished_at is not None
    with pytest.raises(ValueError, match="failed"):
        _ = result.return_value


def test_arguments_must_be_json_serializable(harness):
    with pytest.raises(TypeError):
        harness.on(djtasks.echo).enqueue(datetime(2024, 1, 1))


def test_tuple_argument_arrives_as_list(harness):
    # The topic guide's example: a tuple key becomes an unhashable list after the JSON round trip.
    result = harness.on(djtasks.returns_unhashable_key).enqueue((1, 2, 3))
    harness.drain()
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is TypeError
    assert "unhashable" in result.errors[0].traceback


def test_run_after_in_the_future_waits(harness):
    later = timezone.now() + timedelta(hours=1)
    result = harness.on(djtasks.add).using(run_after=later).enqueue(1, 2)
    assert result.task.run_after == later
    harness.drain()
    result.refresh()
    assert result.status == TaskResultStatus.READY


def test_run_after_must_be_aware(harness):
    with pytest.raises(InvalidTask):
        harness.on(djtasks.add).using(run_after=datetime(2030, 1, 1))


def test_higher_priority_runs_first(harness):
    low = harness.on(djtasks.record).using(priority=-10)
    high = harness.on(djtasks.record).using(priority=50)
    low.enqueue("low")
    high.enqueue("high")
    harness.on(djtasks.record).enqueue("middle")  # the decorator's priority, 7
    harness.drain()
    assert list(Execution.objects.order_by("id").values_list("label", flat=True)) == [
        "high",
        "middle",
        "low",
    ]


@pytest.mark.parametrize("priority", [-101, 101, 1.5])
def test_priority_out_of_range_is_invalid(harness, priority):
    with pytest.raises(InvalidTask):
        harness.on(djtasks.add).using(priority=priority)


def test_queue_must_be_in_queues(harness):
    assert harness.on(djtasks.record).enqueue("q").task.queue_name == "emails"
    with pytest.raises(InvalidTask, match="nowhere"):
        harness.on(djtasks.add).using(queue_name="nowhere")


def test_task_must_be_module_level(harness):
    def local():
        return None

    with pytest.raises(InvalidTask):
        task(local, backend=harness.alias)


def test_takes_context_needs_context_first(harness):
    def no_context(value):
        return value

    no_context.__qualname__ = "no_context"  # module level as far as the check can tell
    with pytest.raises(InvalidTask):
        task(no_context, takes_context=True, backend=harness.alias)


def test_using_leaves_the_original_unchanged(harness):
    original = harness.on(djtasks.add)
    changed = original.using(priority=10, queue_name="emails")
    assert (changed.priority, changed.queue_name) == (10, "emails")
    assert (original.priority, original.queue_name) == (0, "default")


def test_context_describes_the_running_attempt(harness):
    result = harness.on(djtasks.context_info).enqueue()
    harness.drain()
    result.refresh()
    value = result.return_value
    assert value["id"] == result.id
    assert value["attempt"] == 1
    assert value["status"] == TaskResultStatus.RUNNING
    assert value["worker_ids"] == result.worker_ids


def test_async_task_runs(harness):
    result = harness.on(djtasks.async_add).enqueue(4, 5)
    harness.drain()
    result.refresh()
    assert result.return_value == 9


def test_async_variants(harness):
    bound = harness.on(djtasks.add)

    async def scenario():
        result = await bound.aenqueue(3, 4)
        found = await bound.aget_result(result.id)
        assert found.id == result.id
        assert (await harness.backend.aget_result(result.id)).id == result.id
        return result

    result = in_fresh_thread(async_to_sync(scenario))
    harness.drain()
    in_fresh_thread(async_to_sync(result.arefresh))
    assert result.return_value == 7


def test_signals_are_sent(harness):
    seen = []

    def on_signal(signal_name):
        def receiver(sender, task_result, **kwargs):
            seen.append((signal_name, task_result.id, task_result.status))

        return receiver

    receivers = {
        task_enqueued: on_signal("enqueued"),
        task_started: on_signal("started"),
        task_finished: on_signal("finished"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver)
    try:
        result = harness.on(djtasks.add).enqueue(1, 2)
        harness.drain()
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver)
    assert seen == [
        ("enqueued", result.id, TaskResultStatus.READY),
        ("started", result.id, TaskResultStatus.RUNNING),
        ("finished", result.id, TaskResultStatus.SUCCESSFUL),
    ]


def test_enqueue_in_a_rolled_back_transaction_leaves_nothing(harness):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        result = harness.on(djtasks.add).enqueue(1, 2)
        raise Rollback
    with pytest.raises(TaskResultDoesNotExist):
        harness.backend.get_result(result.id)

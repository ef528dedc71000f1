"""A task's prepare hook: called by the worker once per claimed batch, before its tasks run."""

from __future__ import annotations

import threading

import pytest

from ironrelay import task
from ironrelay.models import Task
from ironrelay.tasks.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)

_lock = threading.Lock()
prepared: list[list[int]] = []  # the task ids of each prepare() call
ran_after_prepare: list[bool] = []


def _remember(tasks: list[Task]) -> None:
    with _lock:
        prepared.append(sorted(t.id for t in tasks))


def _fail(tasks: list[Task]) -> None:
    raise RuntimeError("cannot prepare")


@task(prepare=_remember)
def prepared_task(n: int) -> int:
    with _lock:
        ran_after_prepare.append(any(n in ids for ids in _seen_args()))
    return n


@task(prepare=_fail)
def unpreparable_task(n: int) -> int:
    return n


def _seen_args() -> list[set[int]]:
    by_id = dict(Task.objects.values_list("id", "args"))
    return [{by_id[i][0] for i in ids} for ids in prepared]


@pytest.fixture(autouse=True)
def _clear():
    prepared.clear()
    ran_after_prepare.clear()


def test_worker_prepares_each_claimed_batch_once_before_its_tasks_run():
    for n in range(6):
        prepared_task.defer(n)
    Worker(burst=True, poll_interval=0.01, concurrency=2, batch_size=10).run()
    assert prepared == [sorted(Task.objects.values_list("id", flat=True))]  # one call, all six
    assert ran_after_prepare == [True] * 6
    assert set(Task.objects.values_list("status", flat=True)) == {"success"}


def test_worker_runs_the_tasks_of_a_batch_whose_prepare_failed(caplog):
    for n in range(3):
        unpreparable_task.defer(n)
    Worker(burst=True, poll_interval=0.01, concurrency=2, batch_size=10).run()
    assert sorted(Task.objects.values_list("return_value", flat=True)) == [0, 1, 2]
    assert "Preparing 3 task(s) of" in caplog.text and "cannot prepare" in caplog.text

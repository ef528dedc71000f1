"""Run one claimed task (sync or async) and describe its outcome; prepare a claimed batch."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

from ironrelay import tracing
from ironrelay.models import Task
from ironrelay.storable import may_be_unstorable, too_deep, unstorable
from ironrelay.tasks import aio, outcomes, queue, sidecar
from ironrelay.tasks.decorator import TaskContext
from ironrelay.tasks.errors import TaskCancelled, TaskNotFound
from ironrelay.tasks.outcomes import Outcome
from ironrelay.tasks.registry import get_task

logger = logging.getLogger("ironrelay.worker")


class TaskTimeout(Exception):
    """A task ran longer than its timeout."""


def execute(task: Task, cancel_event: threading.Event | None = None) -> Outcome:
    """Run one claimed task in this thread and describe what happened."""
    with tracing.run_span(task) as span:
        outcome = _run(task, cancel_event)
        if not outcome.ok:
            tracing.mark_failed(span, (outcome.error or {}).get("exception_class_path", ""))
    return outcome


def _run(task: Task, cancel_event: threading.Event | None) -> Outcome:
    started_at = timezone.now()
    try:
        definition = get_task(task.task_path)
    except TaskNotFound as exc:
        return failure(task, exc, started_at, permanent=True)
    args = arguments(task, definition.takes_context, cancel_event)
    with sidecar.collecting() as records:
        try:
            value = definition.func(*args, **task.kwargs)
        except Exception as exc:  # a task's failure is data, never the worker's crash
            outcome = failure(task, exc, started_at, permanent=False)
        else:
            outcome = success(task, value, started_at)
        finally:
            close_old_connections()
    if records:
        # What the run did is written with its outcome, whatever that is.
        outcome.records = records
    return outcome


def start_async(
    task: Task,
    cancel_event: threading.Event,
    loop: aio.EventLoopThread,
    report: Callable[[Outcome], None],
) -> aio.AsyncRun | None:
    """Start an async task on the event loop; `report` gets its outcome when it ends."""
    started_at = timezone.now()
    definition = get_task(task.task_path)
    try:
        args = arguments(task, definition.takes_context, cancel_event)
        coro = tracing.traced_coroutine(task, definition.func(*args, **task.kwargs))
    except Exception as exc:  # bad arguments fail at the call, before any await
        report(failure(task, exc, started_at, permanent=False))
        return None

    def done(run: aio.AsyncRun) -> None:
        if run.timed_out:
            exc: BaseException = TaskTimeout(
                f"Task {task.task_path} ran longer than {task.timeout:g} s; it was cancelled"
            )
            outcome = failure(task, exc, started_at, permanent=False)
        elif run.cancelled:
            exc = TaskCancelled(f"Task #{task.id} was cancelled while it ran")
            outcome = failure(task, exc, started_at, permanent=True)
        elif run.error is not None:
            outcome = failure(task, run.error, started_at, permanent=False)
        else:
            outcome = success(task, run.value, started_at)
        report(outcome)

    return loop.submit(coro, task.timeout, done)


def arguments(task: Task, takes_context: bool, cancel_event: threading.Event | None) -> list:
    """Return the positional arguments to call a task's function with."""
    if not takes_context:
        return task.args
    context = TaskContext(
        task_result=task, attempt=task.attempts, cancel_event=cancel_event or threading.Event()
    )
    return [context, *task.args]


def success(task: Task, value: object, started_at: datetime) -> Outcome:
    """Describe a run that returned `value`, failing it if JSON cannot store the value."""
    text = problem = None
    try:
        text = None if value is None else queue.strict_json(value)
        if text is not None and may_be_unstorable(text):
            problem = unstorable(value)
    except RecursionError:
        problem = too_deep()
    except (TypeError, ValueError) as exc:
        problem = str(exc)
    if problem:
        # Stored as is, it would fail the write of the whole batch of outcomes.
        bad = TypeError(f"Task {task.task_path} returned a value JSON cannot store: {problem}")
        return failure(task, bad, started_at, permanent=True)
    return Outcome(task=task, ok=True, return_value=value, return_json=text, started_at=started_at)


def failure(task: Task, exc: BaseException, started_at: datetime, *, permanent: bool) -> Outcome:
    """Describe a run that raised `exc`."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Outcome(
        task=task,
        ok=False,
        error=outcomes.error_record(task, exc, text),
        permanent=permanent,
        started_at=started_at,
    )


def timeout_error(task: Task) -> TaskTimeout:
    """Describe a task that ran longer than its timeout."""
    return TaskTimeout(f"Task {task.task_path} ran longer than {task.timeout:g} s")


def prepare_batch(tasks: Sequence[Task]) -> None:
    """Let each task function with a prepare hook read what its claimed tasks share, at once."""
    calls: dict[str, list[Task]] = {}
    for task in tasks:
        calls.setdefault(task.task_path, []).append(task)
    for path, group in calls.items():
        try:
            prepare = get_task(path).prepare
        except TaskNotFound:
            continue  # its tasks fail when they run, with this error
        if prepare is None:
            continue
        try:
            prepare(group)
        except Exception:  # each task reads what it needs on its own when it runs
            logger.exception("Preparing %s task(s) of %s failed", len(group), path)

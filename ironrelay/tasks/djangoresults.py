"""Task rows as django.tasks TaskResults; the worker's wrapper around a django.tasks task."""

from __future__ import annotations

import traceback
from typing import Any

from django.utils import timezone

from ironrelay.models import Task as TaskRow
from ironrelay.tasks.decorator import TaskContext as RelayContext
from ironrelay.tasks.djangotasks import (
    TaskContext,
    TaskError,
    TaskResult,
    TaskResultStatus,
    task_finished,
    task_started,
)

STATUSES: dict[str, Any] = {
    TaskRow.Status.PENDING: TaskResultStatus.READY,
    TaskRow.Status.RUNNING: TaskResultStatus.RUNNING,
    TaskRow.Status.SUCCESS: TaskResultStatus.SUCCESSFUL,
    TaskRow.Status.FAILED: TaskResultStatus.FAILED,
    # Django has no word for it: a cancelled task is one that "was unable to start".
    TaskRow.Status.CANCELLED: TaskResultStatus.FAILED,
}


def _task_error(error: dict[str, Any]) -> Any:
    path = error.get("exception_class_path") or "builtins.Exception"
    # A lost worker's error has no traceback: its message stands in for one.
    text = error.get("traceback") or f"{path}: {error.get('message', '')}"
    return TaskError(exception_class_path=path, traceback=text)


def _worker_ids(row: TaskRow) -> list[str]:
    """Return one worker id per attempt: Django counts attempts as len(worker_ids).

    Each failed attempt left an error naming its worker; the running attempt is the row's
    worker_id, and a successful one was written by the last worker the row names.
    """
    ids = [str(error.get("worker_id") or "") for error in row.errors]
    if row.status == TaskRow.Status.RUNNING and row.worker_id:
        ids.append(row.worker_id)
    elif row.status == TaskRow.Status.SUCCESS and row.worker_ids:
        ids.append(row.worker_ids[-1])
    return ids


SCALARS = frozenset({str, int, float, bool, type(None)})


def _scalars(args: list[Any], kwargs: dict[str, Any]) -> bool:
    return all(type(value) in SCALARS for value in args) and all(
        type(value) in SCALARS for value in kwargs.values()
    )


def result_from_row(task: Any, row: TaskRow, alias: str, *, loaded: bool = False) -> Any:
    """Return `row` as the django.tasks TaskResult of `task` on backend `alias`.

    A row `loaded` from the database holds arguments JSON already gave their final shape, and so do
    arguments that are all plain scalars: both skip TaskResult's normalising walk over them.
    """
    shaped = loaded or _scalars(row.args, row.kwargs)
    status = STATUSES[row.status]
    result = TaskResult(
        task=task,
        id=str(row.pk),
        status=status,
        enqueued_at=row.enqueued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        last_attempted_at=row.started_at,
        args=[] if shaped else row.args,
        kwargs={} if shaped else row.kwargs,
        backend=alias,
        errors=[_task_error(error) for error in row.errors],
        worker_ids=_worker_ids(row),
    )
    if shaped:
        object.__setattr__(result, "args", row.args)
        object.__setattr__(result, "kwargs", row.kwargs)
    if status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", row.return_value)
    return result


def run_in_worker(
    task: Any, sender: type, relay: RelayContext, /, *args: Any, **kwargs: Any
) -> Any:
    """Run a django.tasks task for the worker; send task_started and task_finished from `sender`.

    A coroutine function runs to completion with asgiref's async_to_sync in the worker's thread.
    task_finished is sent when the task is finished for good (succeeded, or failed its last
    attempt), before the worker writes the outcome back.
    """
    result = result_from_row(task, relay.task_result, task.backend, loaded=True)
    task_started.send(sender, task_result=result)
    try:
        if task.takes_context:
            value = task.call(TaskContext(task_result=result), *args, **kwargs)
        else:
            value = task.call(*args, **kwargs)
    except Exception as exc:
        result.errors.append(
            TaskError(
                exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
                traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            )
        )
        if relay.is_last_attempt:
            object.__setattr__(result, "status", TaskResultStatus.FAILED)
            object.__setattr__(result, "finished_at", timezone.now())
            task_finished.send(sender, task_result=result)  # inside except: receivers see exc_info
        raise
    object.__setattr__(result, "status", TaskResultStatus.SUCCESSFUL)
    object.__setattr__(result, "finished_at", timezone.now())
    object.__setattr__(result, "_return_value", value)
    task_finished.send(sender, task_result=result)
    return value

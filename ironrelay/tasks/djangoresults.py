"""Task rows as django.tasks TaskResults; the worker's wrapper around a django.tasks task."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import traceback
from typing import Any

from asgiref.sync import sync_to_async
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
from ironrelay.tasks.errors import TaskCancelled, TaskFailed

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


CANCELLED_PATH = f"{TaskCancelled.__module__}.{TaskCancelled.__qualname__}"


def _errors(row: TaskRow) -> list[Any]:
    """Return the row's errors; a cancelled task's end with one saying it was cancelled."""
    errors = [_task_error(error) for error in row.errors]
    if row.status == TaskRow.Status.CANCELLED and (
        not errors or errors[-1].exception_class_path != CANCELLED_PATH
    ):
        # Django reads it as FAILED: this entry says why, even for a task that never ran.
        text = f"{CANCELLED_PATH}: Task #{row.pk} was cancelled"
        errors.append(TaskError(exception_class_path=CANCELLED_PATH, traceback=text))
    return errors


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


class IronRelayResult(TaskResult):
    """A django.tasks TaskResult you can wait for, and cancel, as IronRelay's own records."""

    __slots__ = ()  # TaskResult is a slotted dataclass: stay without an instance dict

    def wait(self, timeout: float | None = None) -> IronRelayResult:
        """Block until the task finishes; return this result, refreshed.

        Raise the builtin TimeoutError if it is unfinished after `timeout` seconds. A failed or
        cancelled task returns normally: its status reads FAILED and `errors` say why.
        """
        # Django reports both as status FAILED, read by the refresh below.
        with contextlib.suppress(TaskFailed, TaskCancelled):
            TaskRow(pk=int(self.id)).wait(timeout)
        self.refresh()
        return self

    async def await_result(self, timeout: float | None = None) -> IronRelayResult:
        """Wait for the task from async code (wait(), run in a thread)."""
        return await sync_to_async(self.wait, thread_sensitive=False)(timeout)

    def cancel(self) -> bool:
        """Cancel the task (see IronRelayBackend.cancel); return True if it never ran."""
        return bool(self.task.get_backend().cancel(self.id))


@dataclasses.dataclass(frozen=True, kw_only=True)
class IronRelayTaskContext(TaskContext):
    """Django's TaskContext, which also tells a running task that it was asked to stop."""

    relay: RelayContext = dataclasses.field(repr=False, compare=False)

    @property
    def cancel_requested(self) -> bool:
        return self.relay.cancel_requested

    def raise_if_cancelled(self) -> None:
        """Raise TaskCancelled if a cancel of this task was requested."""
        self.relay.raise_if_cancelled()


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
    result = IronRelayResult(
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
        errors=_errors(row),
        worker_ids=_worker_ids(row),
    )
    if shaped:
        object.__setattr__(result, "args", row.args)
        object.__setattr__(result, "kwargs", row.kwargs)
    if status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", row.return_value)
    return result


def _error_of(exc: BaseException) -> Any:
    return TaskError(
        exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
        traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    )


def _started(task: Any, relay: RelayContext, args: tuple[Any, ...]) -> tuple[Any, tuple]:
    """Return the TaskResult the signals carry, and the arguments with Django's context."""
    result = result_from_row(task, relay.task_result, task.backend, loaded=True)
    if task.takes_context:
        args = (IronRelayTaskContext(task_result=result, relay=relay), *args)
    return result, args


def _failed(result: Any, exc: BaseException, final: bool) -> bool:
    """Record `exc` on `result`; return whether task_finished is due (the task ends for good)."""
    result.errors.append(_error_of(exc))
    if final:
        object.__setattr__(result, "status", TaskResultStatus.FAILED)
        object.__setattr__(result, "finished_at", timezone.now())
    return final


def _succeeded(result: Any, value: Any) -> None:
    object.__setattr__(result, "status", TaskResultStatus.SUCCESSFUL)
    object.__setattr__(result, "finished_at", timezone.now())
    object.__setattr__(result, "_return_value", value)


def run_in_worker(
    task: Any, sender: type, relay: RelayContext, /, *args: Any, **kwargs: Any
) -> Any:
    """Run a django.tasks task for the worker; send task_started and task_finished from `sender`.

    task_finished is sent when the task is finished for good (succeeded, or failed its last
    attempt), before the worker writes the outcome back.
    """
    result, args = _started(task, relay, args)
    task_started.send(sender, task_result=result)
    try:
        value = task.call(*args, **kwargs)
    except Exception as exc:
        if _failed(result, exc, relay.is_last_attempt or relay.cancel_requested):
            task_finished.send(sender, task_result=result)  # inside except: receivers see exc_info
        raise
    _succeeded(result, value)
    task_finished.send(sender, task_result=result)
    return value


async def arun_in_worker(
    task: Any, sender: type, relay: RelayContext, /, *args: Any, **kwargs: Any
) -> Any:
    """Run a django.tasks coroutine function on the worker's event loop (see run_in_worker).

    A timeout or a cancel cancels the coroutine; the signals' receivers run in threads, as
    Django's asend runs synchronous receivers.
    """
    result, args = _started(task, relay, args)
    await task_started.asend(sender, task_result=result)
    try:
        value = await task.acall(*args, **kwargs)
    except (Exception, asyncio.CancelledError) as exc:
        if _failed(result, exc, relay.is_last_attempt or relay.cancel_requested):
            await asyncio.shield(task_finished.asend(sender, task_result=result))
        raise
    _succeeded(result, value)
    await task_finished.asend(sender, task_result=result)
    return value

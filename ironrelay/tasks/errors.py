"""Exceptions of the task side."""

from __future__ import annotations


class TaskNotFound(LookupError):
    """A stored task path no longer names an importable @task function."""


class TaskArgumentError(TypeError):
    """A task argument or option cannot be stored (not JSON, or a bad option)."""


class WorkerLost(Exception):
    """The worker holding a task stopped sending heartbeats."""


class TaskFailed(Exception):
    """A waited-for task ended failed; carries its id, last error and traceback."""

    def __init__(self, task_id: int, error: dict | None) -> None:
        self.task_id = task_id
        self.error = error or {}
        self.traceback = self.error.get("traceback", "")
        summary = f"{self.error.get('exception_class_path', '?')}: {self.error.get('message', '')}"
        super().__init__(f"Task #{task_id} failed: {summary}")


class TaskCancelled(Exception):
    """The task was cancelled (raised inside it on request, or by wait() on a cancelled task)."""


class NotCancellable(ValueError):
    """The task has already finished: there is nothing left to cancel."""


class RecordNotWritten(Exception):
    """A record a task handed over with its outcome could not be written: the task runs again."""

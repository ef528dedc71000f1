"""The @task decorator, the task registry and the retry backoff policy."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.utils.module_loading import import_string

from ironrelay.conf import get_settings

if TYPE_CHECKING:
    from ironrelay.models import Task

_registry: dict[str, TaskFunction] = {}


@dataclasses.dataclass(frozen=True)
class TaskContext:
    """What a ``takes_context`` task is told about the attempt it runs in."""

    task_result: Task
    attempt: int

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.task_result.max_attempts


class TaskNotFound(LookupError):
    """A stored task path no longer names an importable @task function."""


class TaskArgumentError(TypeError):
    """A task argument or option cannot be stored (not JSON, or a bad option)."""


@dataclasses.dataclass(frozen=True)
class TaskFunction:
    """A function registered with @task, plus the options its deferred calls get."""

    func: Callable[..., Any]
    path: str
    queue: str | None = None
    priority: int = 0
    max_attempts: int | None = None
    retry_backoff: float | None = None
    retry_backoff_max: float | None = None
    retry_jitter: float | None = None
    timeout: float | None = None
    delay: float | None = None
    run_after: datetime | None = None
    takes_context: bool = False  # pass a TaskContext as the first argument
    unique_key: str | None = None  # at most one pending task with this key

    def __post_init__(self) -> None:
        if self.delay is not None and self.run_after is not None:
            raise TaskArgumentError(f"{self.path}: give delay or run_after, not both.")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise TaskArgumentError(f"{self.path}: max_attempts must be at least 1.")
        if not -100 <= self.priority <= 100:
            raise TaskArgumentError(f"{self.path}: priority must be between -100 and 100.")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the function inline, now, in this process."""
        return self.func(*args, **kwargs)

    def using(self, **changes: Any) -> TaskFunction:
        """Return a copy with other options (delay, run_after, priority, queue, ...)."""
        if "delay" in changes:
            changes.setdefault("run_after", None)
        if "run_after" in changes and changes["run_after"] is not None:
            changes.setdefault("delay", None)
        return dataclasses.replace(self, **changes)

    def defer(self, *args: Any, **kwargs: Any) -> Task:
        """Store a pending call of this task and return its record."""
        from ironrelay import queue

        return queue.enqueue(self, args, kwargs)

    async def adefer(self, *args: Any, **kwargs: Any) -> Task:
        """Store a pending call of this task from async code."""
        return await sync_to_async(self.defer)(*args, **kwargs)

    def bulk_defer(self, calls: Iterable[Sequence[Any] | tuple[Sequence[Any], dict]]) -> list[Task]:
        """Store many pending calls in few statements; each item is args, or (args, kwargs)."""
        from ironrelay import queue

        return queue.bulk_enqueue(self, calls)

    @property
    def queue_name(self) -> str:
        return self.queue or get_settings().DEFAULT_QUEUE

    @property
    def attempts_allowed(self) -> int:
        return self.max_attempts or get_settings().MAX_ATTEMPTS

    def retry_delay(self, attempt: int) -> float:
        """Return the seconds to wait before retrying after failed attempt number `attempt`."""
        conf = get_settings()
        return backoff_delay(
            attempt,
            base=conf.RETRY_BACKOFF if self.retry_backoff is None else self.retry_backoff,
            factor=conf.RETRY_BACKOFF_FACTOR,
            cap=conf.RETRY_BACKOFF_MAX
            if self.retry_backoff_max is None
            else self.retry_backoff_max,
            jitter=conf.RETRY_JITTER if self.retry_jitter is None else self.retry_jitter,
        )


def backoff_delay(attempt: int, *, base: float, factor: float, cap: float, jitter: float) -> float:
    """Return an exponential delay for `attempt` (1-based), capped, with random jitter below it."""
    delay = min(cap, base * factor ** max(attempt - 1, 0))
    if jitter:
        delay *= 1 - random.uniform(0, min(jitter, 1.0))
    return delay


def task(func: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Register a function as a task: ``@task`` or ``@task(queue=..., max_attempts=...)``."""

    def register(fn: Callable[..., Any]) -> TaskFunction:
        path = f"{fn.__module__}.{fn.__qualname__}"
        try:
            definition = TaskFunction(func=fn, path=path, **options)
        except TypeError as exc:
            if isinstance(exc, TaskArgumentError):
                raise
            raise TaskArgumentError(f"@task on {path}: {exc}") from None
        _registry[path] = definition
        return definition

    return register(func) if func is not None else register


def get_task(path: str) -> TaskFunction:
    """Return the task stored under `path`, importing its module when needed."""
    try:
        return _registry[path]
    except KeyError:
        pass
    try:
        found = import_string(path)
    except Exception as exc:  # an import can fail in any way, not only with ImportError
        raise TaskNotFound(
            f"Task {path!r} could not be imported: {type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(found, TaskFunction):
        return found
    raise TaskNotFound(f"{path!r} is not an IronRelay task (is the @task decorator missing?)")


def registered_tasks() -> dict[str, TaskFunction]:
    """Return the tasks registered so far, by path."""
    return dict(_registry)

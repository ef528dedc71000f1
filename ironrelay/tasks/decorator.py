"""The @task decorator and the task function object it returns (defer, using, bulk_defer)."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async

from ironrelay.conf import get_settings
from ironrelay.tasks import queue, registry, retry
from ironrelay.tasks.errors import TaskArgumentError, TaskCancelled
from ironrelay.tasks.rates import ENDPOINT_KEY_PREFIX, RateError, parse_rate

if TYPE_CHECKING:
    from ironrelay.models import Task


@dataclasses.dataclass(frozen=True)
class TaskContext:
    """What a ``takes_context`` task is told about the attempt it runs in."""

    task_result: Task
    attempt: int
    # Set by the worker when a cancel of this task is requested.
    cancel_event: threading.Event = dataclasses.field(
        default_factory=threading.Event, repr=False, compare=False
    )

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.task_result.max_attempts

    @property
    def cancel_requested(self) -> bool:
        return self.cancel_event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise TaskCancelled if a cancel of this task was requested."""
        if self.cancel_event.is_set():
            raise TaskCancelled(f"Task #{self.task_result.pk} was cancelled")


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
    # Flow control (ironrelay.tasks.flow): at most `concurrency` running at once per key, the
    # key formatted from the call's arguments ("order:{order_id}"; default: one key per task),
    # and starts spaced to `rate` ("5/s", "100/m") over every worker.
    concurrency: int | None = None
    concurrency_key: str | None = None
    rate: str | None = None
    # Called by the worker with the tasks of each claimed batch that call this function, before
    # they run: to read what they need in one query rather than one per task.
    prepare: Callable[[Sequence[Task]], None] | None = None

    def __post_init__(self) -> None:
        if self.delay is not None and self.run_after is not None:
            raise TaskArgumentError(f"{self.path}: give delay or run_after, not both.")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise TaskArgumentError(f"{self.path}: max_attempts must be at least 1.")
        if not -100 <= self.priority <= 100:
            raise TaskArgumentError(f"{self.path}: priority must be between -100 and 100.")
        self._check_flow_options()

    def _check_flow_options(self) -> None:
        concurrency = self.concurrency
        if concurrency is not None and (
            isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1
        ):
            raise TaskArgumentError(f"{self.path}: concurrency must be a whole number >= 1.")
        key = self.concurrency_key
        if key is not None:
            if not isinstance(key, str) or not key:
                raise TaskArgumentError(f"{self.path}: concurrency_key must be a template string.")
            # "endpoint:<id>" keys take their limit from the Endpoint row (outgoing deliveries).
            if concurrency is None and not key.startswith(ENDPOINT_KEY_PREFIX):
                raise TaskArgumentError(
                    f"{self.path}: concurrency_key needs concurrency=N (tasks at once per key)."
                )
        if self.rate is not None:
            try:
                parse_rate(self.rate)
            except RateError as exc:
                raise TaskArgumentError(f"{self.path}: {exc}") from None

    def flow_key(self, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
        """Return the key a call's limits count by: "" when no task limit applies."""
        if self.concurrency_key is None:
            return self.path if (self.concurrency or self.rate) else ""
        try:
            call = _signature(self.func).bind(
                *([None] if self.takes_context else []), *args, **kwargs
            )
        except TypeError as exc:
            raise TaskArgumentError(f"Cannot defer {self.path}: {exc}") from None
        call.apply_defaults()
        try:
            key = self.concurrency_key.format_map(call.arguments)
        except (KeyError, IndexError, AttributeError, ValueError) as exc:
            raise TaskArgumentError(
                f"{self.path}: concurrency_key {self.concurrency_key!r} cannot be formatted "
                f"from the call's arguments ({type(exc).__name__}: {exc})."
            ) from None
        if not key or len(key) > 255:
            raise TaskArgumentError(
                f"{self.path}: the concurrency key must be 1 to 255 characters, not {len(key)}."
            )
        return key

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
        return queue.enqueue(self, args, kwargs)

    async def adefer(self, *args: Any, **kwargs: Any) -> Task:
        """Store a pending call of this task from async code."""
        return await sync_to_async(self.defer)(*args, **kwargs)

    def bulk_defer(self, calls: Iterable[Sequence[Any] | tuple[Sequence[Any], dict]]) -> list[Task]:
        """Store many pending calls in few statements; each item is args, or (args, kwargs)."""
        return queue.bulk_enqueue(self, calls)

    @property
    def queue_name(self) -> str:
        return self.queue or get_settings().DEFAULT_QUEUE

    @property
    def attempts_allowed(self) -> int:
        return self.max_attempts or get_settings().MAX_ATTEMPTS

    def retry_delay(self, attempt: int) -> float:
        """Return the seconds to wait before retrying after failed attempt number `attempt`."""
        return retry.task_retry_delay(self, attempt)


@functools.lru_cache(maxsize=1024)
def _signature(func: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(func)


# @task(cron=...) or @task(every=...) also schedules the task (see ironrelay.tasks.schedules).
SCHEDULE_OPTIONS = ("cron", "every", "timezone", "jitter", "catch_up")


def task(func: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Register a function as a task: ``@task`` or ``@task(queue=..., max_attempts=...)``."""
    timing = {key: options.pop(key) for key in SCHEDULE_OPTIONS if key in options}

    def register(fn: Callable[..., Any]) -> TaskFunction:
        path = f"{fn.__module__}.{fn.__qualname__}"
        try:
            definition = TaskFunction(func=fn, path=path, **options)
        except TypeError as exc:
            if isinstance(exc, TaskArgumentError):
                raise
            raise TaskArgumentError(f"@task on {path}: {exc}") from None
        if timing:  # checked before the task is registered: a bad schedule registers nothing
            from ironrelay.tasks.schedules import schedule

            schedule(definition, **timing)
        registry.register(definition)
        return definition

    return register(func) if func is not None else register

"""IronRelayBackend: django.tasks tasks stored as IronRelay Task rows, run by ironrelay_worker."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from collections.abc import Iterable
from datetime import datetime
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import router
from django.utils.module_loading import import_string, module_has_submodule

from ironrelay.models import Task as TaskRow
from ironrelay.tasks import queue, registry
from ironrelay.tasks.decorator import TaskFunction
from ironrelay.tasks.djangoresults import arun_in_worker, result_from_row, run_in_worker
from ironrelay.tasks.djangotasks import (
    BaseTaskBackend,
    InvalidTask,
    InvalidTaskBackend,
    Task,
    TaskResult,
    TaskResultDoesNotExist,
    is_django_task,
    task_enqueued,
)

# IronRelay options Django has no word for: per task, or in OPTIONS as every task's default.
DEFAULT_OPTIONS = ("max_attempts", "retry_backoff", "retry_backoff_max", "retry_jitter", "timeout")
MAX_QUEUE_NAME = TaskRow._meta.get_field("queue_name").max_length or 100
PREPARED_MAX = 1000  # validated tasks remembered per backend; using(run_after=...) makes new ones


@dataclasses.dataclass(frozen=True, kw_only=True)
class IronRelayTask(Task):
    """A django.tasks Task with IronRelay's own options (``@task(max_attempts=5, timeout=30)``)."""

    max_attempts: int | None = None  # attempts before the task fails for good
    retry_backoff: float | None = None  # seconds before the first retry
    retry_backoff_max: float | None = None  # cap on the delay between retries
    retry_jitter: float | None = None  # a retry delay is drawn from [delay * (1 - jitter), delay]
    timeout: float | None = None  # seconds one attempt may run
    unique_key: str | None = None  # at most one pending task with this key

    def using(
        self,
        *,
        priority: int | None = None,
        queue_name: str | None = None,
        run_after: datetime | None = None,
        backend: str | None = None,
        max_attempts: int | None = None,
        timeout: float | None = None,
        unique_key: str | None = None,
    ) -> IronRelayTask:
        """Return a copy with other Django options and/or max_attempts, timeout, unique_key."""
        changed = Task.using(
            self, priority=priority, queue_name=queue_name, run_after=run_after, backend=backend
        )
        extra = {
            name: value
            for name, value in (
                ("max_attempts", max_attempts),
                ("timeout", timeout),
                ("unique_key", unique_key),
            )
            if value is not None
        }
        return dataclasses.replace(changed, **extra) if extra else changed


def _number_problem(name: str, value: Any, *, minimum: float, strict: bool = False) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{name} must be a number, not {type(value).__name__}"
    if value < minimum or (strict and value == minimum):
        return f"{name} must be {'above' if strict else 'at least'} {minimum:g}, not {value!r}"
    if name == "max_attempts" and not isinstance(value, int):
        return f"max_attempts must be a whole number, not {value!r}"
    return None


def option_problems(values: dict[str, Any]) -> list[str]:
    """Return what is wrong with IronRelay option values (empty when all are right)."""
    problems = [
        _number_problem("max_attempts", values.get("max_attempts"), minimum=1),
        _number_problem("retry_backoff", values.get("retry_backoff"), minimum=0),
        _number_problem("retry_backoff_max", values.get("retry_backoff_max"), minimum=0),
        _number_problem("retry_jitter", values.get("retry_jitter"), minimum=0),
        _number_problem("timeout", values.get("timeout"), minimum=0, strict=True),
    ]
    key = values.get("unique_key")
    if key is not None and not (isinstance(key, str) and 0 < len(key) <= 255):
        problems.append("unique_key must be a string of 1 to 255 characters")
    return [problem for problem in problems if problem]


def configuration_problems(alias: str, params: dict[str, Any]) -> list[str]:
    """Return what is wrong with TASKS[alias]'s QUEUES and OPTIONS, each naming the setting."""
    where = f"TASKS[{alias!r}]"
    problems = []
    names = params.get("QUEUES", ["default"])
    if not isinstance(names, list | tuple | set | frozenset) or not all(
        isinstance(name, str) and 0 < len(name) <= MAX_QUEUE_NAME for name in names
    ):
        problems.append(
            f"{where}['QUEUES'] must be a list of queue names (strings of 1 to "
            f"{MAX_QUEUE_NAME} characters), not {names!r}."
        )
    options = params.get("OPTIONS", {})
    if not isinstance(options, dict):
        return [*problems, f"{where}['OPTIONS'] must be a dict, not {type(options).__name__}."]
    unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
    if unknown:
        problems.append(
            f"Unknown key(s) in {where}['OPTIONS']: {', '.join(map(str, unknown))}. "
            f"Known keys: {', '.join(DEFAULT_OPTIONS)}."
        )
    problems += [f"{where}['OPTIONS']: {problem}." for problem in option_problems(options)]
    return problems


class IronRelayBackend(BaseTaskBackend):
    """Enqueue django.tasks tasks as IronRelay Task rows, for ironrelay_worker to run."""

    task_class = IronRelayTask

    supports_defer = True  # run_after: the row waits until then
    supports_async_task = True  # coroutine functions run on the worker's event loop
    supports_get_result = True  # a result is a row: readable from any thread or process
    supports_priority = True  # higher priority is claimed first

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        self.problems = configuration_problems(alias, params)
        if self.problems:
            params = {
                **params,
                "QUEUES": params["QUEUES"] if _is_name_list(params.get("QUEUES")) else [],
                "OPTIONS": {},
            }
        super().__init__(alias, params)
        self.defaults = {k: v for k, v in self.options.items() if k in DEFAULT_OPTIONS}
        self._prepared: dict[Any, TaskFunction] = {}

    def validate_task(self, task: Any) -> None:
        """Check `task` as Django does, then IronRelay's own options and this configuration."""
        if self.problems:
            raise InvalidTaskBackend(self.problems[0])
        super().validate_task(task)
        values = {name: getattr(task, name, None) for name in (*DEFAULT_OPTIONS, "unique_key")}
        problems = option_problems(values)
        if problems:
            raise InvalidTask(f"{task.module_path}: {problems[0]}.")

    def definition(self, task: Any) -> TaskFunction:
        """Return the IronRelay task definition `task` is stored and run with."""
        options = {
            name: self.defaults.get(name)
            if getattr(task, name, None) is None
            else getattr(task, name)
            for name in DEFAULT_OPTIONS
        }
        # A coroutine function gets a coroutine wrapper, which the worker runs on its event loop.
        runner = arun_in_worker if inspect.iscoroutinefunction(task.func) else run_in_worker
        return TaskFunction(
            func=functools.partial(runner, task, type(self)),
            path=task.module_path,
            queue=task.queue_name,
            priority=task.priority,
            run_after=task.run_after,
            takes_context=True,  # the wrapper turns IronRelay's context into Django's
            unique_key=getattr(task, "unique_key", None),
            **options,
        )

    def _prepare(self, task: Any) -> TaskFunction:
        prepared = self._prepared.get(task)
        if prepared is None:
            self.validate_task(task)
            prepared = self.definition(task)
            if len(self._prepared) < PREPARED_MAX:
                self._prepared[task] = prepared
        return prepared

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> TaskResult:
        """Store a pending task row (in the caller's transaction, if any); return its result."""
        row = queue.enqueue(self._prepare(task), args, kwargs)
        result = result_from_row(task, row, self.alias)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: Any) -> TaskResult:
        """Return the result stored under `result_id`; raise TaskResultDoesNotExist if none."""
        try:
            pk = int(result_id)
        except (TypeError, ValueError):
            raise TaskResultDoesNotExist(result_id) from None
        row = None
        if 0 < pk < 2**63:
            row = TaskRow.objects.using(router.db_for_read(TaskRow)).filter(pk=pk).first()
        found = _import_task(row.task_path) if row is not None else None
        if row is None or found is None:
            raise TaskResultDoesNotExist(result_id)
        # A queue that left QUEUES since keeps the task as defined: the result is still readable.
        with contextlib.suppress(InvalidTask):
            found = found.using(
                priority=row.priority, queue_name=row.queue_name, backend=self.alias
            )
        return result_from_row(found, row, self.alias, loaded=True)

    def cancel(self, result_id: Any) -> bool:
        """Cancel the task of `result_id`: at once if pending, else ask its worker to stop.

        Return True if it never ran, False if it runs and was asked to stop (it then ends
        cancelled whatever it does next). Either way its result reads FAILED, with an error
        saying so. Raise TaskResultDoesNotExist for an unknown id, NotCancellable once finished.
        """
        try:
            pk = int(result_id)
        except (TypeError, ValueError):
            raise TaskResultDoesNotExist(result_id) from None
        if not 0 < pk < 2**63 or not TaskRow.objects.filter(pk=pk).exists():
            raise TaskResultDoesNotExist(result_id)
        return queue.cancel(pk)

    def check(self, **kwargs: Any) -> Iterable[checks.CheckMessage]:
        """Report a wrong QUEUES or OPTIONS, and tasks modules naming a queue not in QUEUES."""
        messages: list[checks.CheckMessage] = [
            checks.Error(problem, id="ironrelay.E010") for problem in self.problems
        ]
        for app_config in apps.get_app_configs():
            if not module_has_submodule(app_config.module, "tasks"):
                continue
            try:
                import_module(f"{app_config.name}.tasks")
            except InvalidTaskBackend:
                continue  # a backend's own configuration error: reported above, or by its check
            except InvalidTask as exc:
                messages.append(
                    checks.Error(
                        f"{app_config.name}.tasks: {exc}",
                        hint=f"TASKS[{self.alias!r}]['QUEUES'] is {sorted(self.queues)}: add "
                        "the queue there, or use one of those.",
                        id="ironrelay.E011",
                    )
                )
        return messages


def _is_name_list(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(name, str) for name in value
    )


def _import_task(path: str) -> Any:
    try:
        found = import_string(path)
    except Exception:  # an import can fail in any way; the result is then unreadable here
        return None
    return found if is_django_task(found) else None


def definition_for(task: Any) -> TaskFunction | None:
    """Return how the worker runs a django.tasks Task, or None for another kind of object."""
    if not is_django_task(task):
        return None
    backend = task.get_backend()
    if isinstance(backend, IronRelayBackend):
        return backend.definition(task)
    return IronRelayBackend(task.backend, {"QUEUES": []}).definition(task)


registry.register_adapter(definition_for)

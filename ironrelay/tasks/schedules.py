"""Schedules defined in code: IRONRELAY["SCHEDULES"] and the @schedule decorator, checked."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.conf import settings as django_settings

from ironrelay.conf import SettingError, get_settings
from ironrelay.tasks.errors import TaskNotFound
from ironrelay.tasks.slots import Timing, TimingError

CATCH_UP_POLICIES = ("latest", "all", "none")
MAX_NAME = 200


class ScheduleError(SettingError):
    """A schedule's definition is wrong; the message names the schedule and what to fix."""


@dataclasses.dataclass(frozen=True)
class ScheduleDefinition:
    """One schedule as code defines it; the Schedule row mirrors these fields."""

    name: str
    task: str  # dotted path of an IronRelay task or a django.tasks task
    cron: str = ""
    every: int | None = None  # seconds, 1 and up
    timezone: str = ""  # blank: settings.TIME_ZONE
    args: list[Any] = dataclasses.field(default_factory=list)
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    queue: str = ""  # blank: the task's own queue
    priority: int | None = None  # None: the task's own priority
    jitter: float = 0.0  # seconds; each run starts up to this much after its slot, at random
    catch_up: str = "latest"
    enabled: bool = True

    def timing(self) -> Timing:
        """Return the definition's timing; raise TimingError if it is unusable."""
        return Timing(cron=self.cron, every=self.every, zone=zone_name(self.timezone))

    def row_values(self) -> dict[str, Any]:
        """Return the Schedule fields this definition sets."""
        return {
            "task_path": self.task,
            "cron": self.cron,
            "every": self.every,
            "timezone": self.timezone,
            "args": list(self.args),
            "kwargs": dict(self.kwargs),
            "queue_name": self.queue,
            "priority": self.priority,
            "jitter": float(self.jitter),
            "catch_up": self.catch_up,
            "enabled": self.enabled,
        }


OPTIONS = tuple(f.name for f in dataclasses.fields(ScheduleDefinition) if f.name != "name")
_decorated: dict[str, ScheduleDefinition] = {}


def zone_name(name: str) -> str:
    """Return `name`, or the project's TIME_ZONE when blank."""
    return name or getattr(django_settings, "TIME_ZONE", None) or "UTC"


def from_settings(name: str, config: Any) -> ScheduleDefinition:
    """Build a definition from IRONRELAY["SCHEDULES"][name]; raise ScheduleError naming it."""
    where = f"IRONRELAY['SCHEDULES'][{name!r}]"
    if not isinstance(config, dict):
        raise ScheduleError(f"{where} must be a dict, not {type(config).__name__}.")
    unknown = sorted(set(config) - set(OPTIONS))
    if unknown:
        raise ScheduleError(
            f"Unknown key(s) in {where}: {', '.join(map(str, unknown))}. "
            f"Known keys: {', '.join(OPTIONS)}."
        )
    if "task" not in config:
        raise ScheduleError(f"{where} needs 'task': the dotted path of the task to run.")
    try:
        return ScheduleDefinition(name=name, **config)
    except TypeError as exc:
        raise ScheduleError(f"{where}: {exc}") from None


def problems(definition: ScheduleDefinition, *, import_task: bool = True) -> list[str]:
    """Return what is wrong with a definition (empty when nothing is)."""
    found = []
    if not isinstance(definition.name, str) or not 0 < len(definition.name) <= MAX_NAME:
        found.append(f"the name must be a string of 1 to {MAX_NAME} characters")
    try:
        definition.timing()
    except TimingError as exc:
        found.append(str(exc))
    if definition.catch_up not in CATCH_UP_POLICIES:
        found.append(
            f"'catch_up' must be one of {', '.join(CATCH_UP_POLICIES)}, not {definition.catch_up!r}"
        )
    jitter = definition.jitter
    if isinstance(jitter, bool) or not isinstance(jitter, int | float) or jitter < 0:
        found.append(f"'jitter' must be a number of seconds, 0 or more, not {jitter!r}")
    priority = definition.priority
    if priority is not None and (
        isinstance(priority, bool) or not isinstance(priority, int) or not -100 <= priority <= 100
    ):
        found.append(f"'priority' must be a whole number from -100 to 100, not {priority!r}")
    if not isinstance(definition.args, list | tuple) or not isinstance(definition.kwargs, dict):
        found.append("'args' must be a list and 'kwargs' a dict")
    else:
        found += _argument_problems(definition)
    if import_task:
        found += task_problems(definition.task)
    return found


def _argument_problems(definition: ScheduleDefinition) -> list[str]:
    from ironrelay.tasks.errors import TaskArgumentError
    from ironrelay.tasks.queue import check_json

    try:
        check_json(definition.task, list(definition.args), dict(definition.kwargs))
    except TaskArgumentError as exc:
        return [str(exc)]
    return []


def task_problems(path: Any) -> list[str]:
    """Return why `path` names no task IronRelay can run (empty when it does)."""
    from ironrelay.tasks.registry import get_task

    if not isinstance(path, str) or not path:
        return ["'task' must be the dotted path of a task"]
    try:
        get_task(path)
    except TaskNotFound as exc:
        return [f"unknown task: {exc}"]
    return []


def schedule(
    target: Any = None, *, name: str | None = None, **options: Any
) -> Callable[[Any], Any] | Any:
    """Schedule a task defined with @task (IronRelay or django.tasks): ``@schedule(cron=...)``.

    Put it above the task decorator; the schedule is named after the task's dotted path unless
    `name` is given. It takes the keys of an IRONRELAY["SCHEDULES"] entry except ``task``.
    """

    def register(task_object: Any) -> Any:
        path = getattr(task_object, "path", None) or getattr(task_object, "module_path", None)
        if not isinstance(path, str):
            raise ScheduleError(
                f"@schedule goes above @task: {task_object!r} is not a task (put @task below it)."
            )
        if "task" in options:
            raise ScheduleError(f"@schedule on {path}: 'task' is the decorated task itself.")
        definition = from_settings(name or path, {**options, "task": path})
        found = problems(definition, import_task=False)
        if found:
            raise ScheduleError(f"@schedule on {path}: {found[0]}.")
        _decorated[definition.name] = definition
        return task_object

    return register(target) if target is not None else register


def code_schedules() -> dict[str, ScheduleDefinition]:
    """Return every schedule defined in settings or by decorators, by name."""
    configured = get_settings().SCHEDULES
    if not isinstance(configured, dict):
        raise ScheduleError("IRONRELAY['SCHEDULES'] must be a dict of name -> schedule.")
    found = dict(_decorated)
    for name, config in configured.items():
        if name in found:
            raise ScheduleError(
                f"IRONRELAY['SCHEDULES'][{name!r}]: a @schedule decorator already uses that name."
            )
        found[name] = from_settings(name, config)
    return found


def decorated_schedules() -> dict[str, ScheduleDefinition]:
    """Return the schedules registered by decorators so far (for tests and checks)."""
    return dict(_decorated)

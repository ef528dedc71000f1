"""Register @task functions by dotted path and look them up again from a stored path."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from ironrelay.tasks.errors import TaskNotFound

if TYPE_CHECKING:
    from ironrelay.tasks.decorator import TaskFunction

_registry: dict[str, TaskFunction] = {}
_adapters: list[Callable[[Any], TaskFunction | None]] = []


def register(definition: TaskFunction) -> None:
    """Record `definition` under its path."""
    _registry[definition.path] = definition


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
    if _is_registered(found):
        return found
    adapted = _adapt(found)
    if adapted is not None:
        _registry[path] = adapted
        return adapted
    raise TaskNotFound(f"{path!r} is not an IronRelay task (is the @task decorator missing?)")


def _is_registered(found: Any) -> bool:
    # Identity against the registry, not isinstance: importing the decorator here would
    # bring the queue back into the registry's imports.
    path = getattr(found, "path", None)
    return isinstance(path, str) and _registry.get(path) is found


def _adapt(found: Any) -> TaskFunction | None:
    for adapt in _adapters:
        adapted = adapt(found)
        if adapted is not None:
            return adapted
    return None


def register_adapter(adapt: Callable[[Any], TaskFunction | None]) -> None:
    """Let `adapt` turn another kind of task object a stored path names into a TaskFunction.

    The django.tasks backend registers one when it is imported: by the app's ready() where TASKS
    names it, and by the @task decorator of any task defined on it.
    """
    if adapt not in _adapters:
        _adapters.append(adapt)


def registered_tasks() -> dict[str, TaskFunction]:
    """Return the tasks registered so far, by path."""
    return dict(_registry)

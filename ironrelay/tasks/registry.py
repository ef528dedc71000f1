"""Register @task functions by dotted path and look them up again from a stored path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from ironrelay.tasks.errors import TaskNotFound

if TYPE_CHECKING:
    from ironrelay.tasks.decorator import TaskFunction

_registry: dict[str, TaskFunction] = {}


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
    adapted = _adapt_django_task(found)
    if adapted is not None:
        _registry[path] = adapted
        return adapted
    raise TaskNotFound(f"{path!r} is not an IronRelay task (is the @task decorator missing?)")


def _is_registered(found: Any) -> bool:
    # Identity against the registry, not isinstance: importing the decorator here would
    # bring the queue back into the registry's imports.
    path = getattr(found, "path", None)
    return isinstance(path, str) and _registry.get(path) is found


def _adapt_django_task(found: Any) -> TaskFunction | None:
    # A @django.tasks.task function enqueued through IronRelayBackend. The backend module needs
    # django.tasks (or its backport), so it is imported only when such a task turns up.
    if type(found).__name__ == "TaskFunction" or not hasattr(found, "get_backend"):
        return None
    from ironrelay.tasks.backend import definition_for

    return definition_for(found)


def registered_tasks() -> dict[str, TaskFunction]:
    """Return the tasks registered so far, by path."""
    return dict(_registry)

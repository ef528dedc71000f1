"""The @on_webhook registry: which functions handle which source and event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_handlers: dict[str, WebhookHandler] = {}


@dataclass(frozen=True)
class WebhookHandler:
    """A function registered for a source and an event pattern, with its task options."""

    func: Callable[[Any], Any]
    path: str
    source: str
    pattern: str
    task_options: dict[str, Any] = field(default_factory=dict)

    def matches(self, source: str, event: str) -> bool:
        """Return whether this handler wants `event` from `source`."""
        return source == self.source and event_matches(self.pattern, event)


def event_matches(pattern: str, event: str) -> bool:
    """Match an event name against an exact name, a prefix ("invoice.*") or "*"."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event.startswith(pattern[:-1])
    return pattern == event


def on_webhook(source: str, event: str = "*", **task_options: Any) -> Callable:
    """Register a function to run in the worker for each matching incoming webhook.

    Task options (max_attempts, queue, priority, retry_backoff, timeout, ...) apply to the
    task that runs the handler.
    """

    def register(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        path = f"{func.__module__}.{func.__qualname__}"
        key = f"{path}|{source}|{event}"
        _handlers[key] = WebhookHandler(func, path, source, event, dict(task_options))
        return func

    return register


def handlers_for(source: str, event: str) -> list[WebhookHandler]:
    """Return the handlers that match, one per function, in registration order."""
    found: dict[str, WebhookHandler] = {}
    for handler in _handlers.values():
        if handler.matches(source, event):
            found.setdefault(handler.path, handler)
    return list(found.values())


def handler_by_path(path: str) -> WebhookHandler | None:
    """Return the registered handler with this dotted path, if any."""
    for handler in _handlers.values():
        if handler.path == path:
            return handler
    return None


def all_handlers() -> list[WebhookHandler]:
    """Return every registration (for checks and the dashboard)."""
    return list(_handlers.values())

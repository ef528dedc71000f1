"""OpenTelemetry spans for enqueue, task runs, incoming webhooks and delivery attempts.

Only ``opentelemetry-api`` is used, and only when it is installed: without it every helper
here returns a shared do-nothing context manager, so the hot paths pay one function call.
With the API but no SDK configured, the API's own no-op tracer makes spans that record nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from ironrelay import __version__

try:
    from opentelemetry import propagate, trace
    from opentelemetry.trace import Link, SpanKind, StatusCode
except ImportError:  # the optional extra is not installed
    trace = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from ironrelay.models import Task

_NOTHING: contextlib.nullcontext[None] = contextlib.nullcontext()


def enabled() -> bool:
    """Return True when opentelemetry-api is installed."""
    return trace is not None


def _tracer() -> Any:
    # A proxy until the project installs an SDK provider; it then delegates to that provider.
    return trace.get_tracer("ironrelay", __version__)


def enqueue_span(task_path: str, queue_name: str) -> contextlib.AbstractContextManager[Any]:
    """Open a producer span for deferring a task; it yields the trace context to store, or None."""
    if trace is None:
        return _NOTHING
    return _enqueue(task_path, queue_name)


@contextlib.contextmanager
def _enqueue(task_path: str, queue_name: str) -> Iterator[str | None]:
    attributes = {
        "messaging.system": "ironrelay",
        "messaging.operation.type": "send",
        "messaging.destination.name": queue_name,
        "ironrelay.task.path": task_path,
    }
    with _tracer().start_as_current_span(
        "ironrelay.enqueue", kind=SpanKind.PRODUCER, attributes=attributes
    ) as span:
        yield _carrier() if span.get_span_context().is_valid else None


def current_context() -> str | None:
    """Return the current trace context as JSON text to store with a task, or None."""
    if trace is None or not trace.get_current_span().get_span_context().is_valid:
        return None
    return _carrier()


def _carrier() -> str:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return json.dumps(carrier, separators=(",", ":"), sort_keys=True)


def run_span(task: Task) -> contextlib.AbstractContextManager[Any]:
    """Open a consumer span for one run of a task, a child of (and linked to) its enqueue span."""
    if trace is None:
        return _NOTHING
    return _run(task)


@contextlib.contextmanager
def _run(task: Task) -> Iterator[Any]:
    parent = None
    links = []
    if isinstance(task.trace_context, dict):
        carrier = {str(k): str(v) for k, v in task.trace_context.items()}
        parent = propagate.extract(carrier)
        origin = trace.get_current_span(parent).get_span_context()
        if origin.is_valid:
            links.append(Link(origin))
    attributes = {
        "messaging.system": "ironrelay",
        "messaging.operation.type": "process",
        "messaging.destination.name": task.queue_name,
        "messaging.message.id": str(task.id),
        "ironrelay.task.path": task.task_path,
        "ironrelay.task.attempt": task.attempts,
    }
    with _tracer().start_as_current_span(
        "ironrelay.run",
        context=parent,
        kind=SpanKind.CONSUMER,
        links=links,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        yield span


def traced_coroutine(task: Task, coro: Coroutine[Any, Any, Any]) -> Coroutine[Any, Any, Any]:
    """Return `coro` wrapped in the run span of an async task (or `coro` itself)."""
    if trace is None:
        return coro
    return _traced(task, coro)


async def _traced(task: Task, coro: Coroutine[Any, Any, Any]) -> Any:
    with _run(task) as current:
        try:
            return await coro
        except BaseException as exc:  # cancelled and timed-out runs too; re-raised as they were
            mark_failed(current, f"{type(exc).__module__}.{type(exc).__qualname__}")
            raise


def span(name: str, **attributes: Any) -> contextlib.AbstractContextManager[Any]:
    """Open an internal span named `name` (yields the span, or None without OpenTelemetry)."""
    if trace is None:
        return _NOTHING
    return _tracer().start_as_current_span(name, attributes=attributes)


def mark_failed(current: Any, description: str) -> None:
    """Set a span's status to error (no-op for None)."""
    if current is not None:
        current.set_status(StatusCode.ERROR, description[:200])


def set_attribute(current: Any, name: str, value: Any) -> None:
    """Set one attribute on a span (no-op for None)."""
    if current is not None:
        current.set_attribute(name, value)

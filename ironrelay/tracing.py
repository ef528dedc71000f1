"""OpenTelemetry spans for enqueue, task runs, incoming webhooks and delivery attempts.

Only ``opentelemetry-api`` is used, and only when it is installed and the project has set a
tracer provider (an SDK): otherwise every helper returns a shared do-nothing context manager, so
the hot paths pay one function call. A provider set after start-up is found within LOOK_EVERY.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from ironrelay import __version__

try:
    from opentelemetry import propagate, trace
    from opentelemetry.trace import Link, SpanKind, StatusCode

    _INACTIVE: tuple[type, ...] = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
except ImportError:  # the optional extra is not installed
    trace = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from ironrelay.models import Task

_NOTHING: contextlib.nullcontext[None] = contextlib.nullcontext()


def enabled() -> bool:
    """Return True when opentelemetry-api is installed."""
    return trace is not None


_provider: Any = None  # the project's tracer provider, once one is set (it is set only once)
_next_look = 0.0  # monotonic time at which to look for a provider again
LOOK_EVERY = 1.0  # seconds; looking costs microseconds (an environment lookup) on hot paths


def _recording() -> bool:
    """Return True when spans go somewhere: the API is installed and a real provider is set."""
    global _next_look, _provider
    if _provider is not None:
        return True
    if trace is None or time.monotonic() < _next_look:
        return False
    # Until the project sets a provider (an SDK), the API's spans record nothing but still cost
    # tens of microseconds each: skip them on the worker's and defer()'s hot paths.
    provider = trace.get_tracer_provider()
    if isinstance(provider, _INACTIVE):
        _next_look = time.monotonic() + LOOK_EVERY
        return False
    _provider = provider
    return True


def look_for_provider() -> bool:
    """Look for the project's tracer provider now, not up to LOOK_EVERY seconds later."""
    global _next_look
    _next_look = 0.0
    return _recording()


def _tracer() -> Any:
    global _tracer_cache
    if _tracer_cache is None:
        _tracer_cache = _provider.get_tracer("ironrelay", __version__)
    return _tracer_cache


_tracer_cache: Any = None


def enqueue_span(task_path: str, queue_name: str) -> contextlib.AbstractContextManager[Any]:
    """Open a producer span for deferring a task; it yields the trace context to store, or None."""
    if not _recording():
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
    if not _recording() or not trace.get_current_span().get_span_context().is_valid:
        return None
    return _carrier()


def _carrier() -> str:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return json.dumps(carrier, separators=(",", ":"), sort_keys=True)


def run_span(task: Task) -> contextlib.AbstractContextManager[Any]:
    """Open a consumer span for one run of a task, a child of (and linked to) its enqueue span."""
    if not _recording():
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
    if not _recording():
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
    """Open an internal span named `name` (yields the span, or None when not recording)."""
    if not _recording():
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

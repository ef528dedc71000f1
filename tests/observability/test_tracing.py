"""OpenTelemetry spans, recorded by the SDK's in-memory exporter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ironrelay import send_webhook, tracing
from ironrelay.models import Endpoint, Task
from tests.conftest import ROOT
from tests.receiver import Reply
from tests.testapp.tasks import always_fails, noop
from tests.testapp.waiting_tasks import nap

pytestmark = pytest.mark.django_db(transaction=True)


class WhileTesting(SimpleSpanProcessor):
    """Export spans only during these tests: the provider stays for the rest of the process."""

    active = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.active:
            super().on_end(span)


EXPORTER = InMemorySpanExporter()
_processor = WhileTesting(EXPORTER)
_provider = TracerProvider()
_provider.add_span_processor(_processor)


@pytest.fixture(autouse=True)
def spans():
    """Install the SDK provider (once per process: OpenTelemetry allows one) and clear spans."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(_provider)
    assert tracing.look_for_provider()
    EXPORTER.clear()
    _processor.active = True
    yield EXPORTER
    _processor.active = False
    EXPORTER.clear()


def named(name: str) -> list[ReadableSpan]:
    return [span for span in EXPORTER.get_finished_spans() if span.name == name]


def test_run_span_is_a_child_of_and_linked_to_the_request_that_deferred(drain):
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("GET /checkout") as request_span:
        record = noop.defer(1)
    stored = Task.objects.get(pk=record.pk).trace_context
    assert stored["traceparent"].split("-")[1] == f"{request_span.get_span_context().trace_id:032x}"
    drain()
    [enqueue] = named("ironrelay.enqueue")
    [run] = named("ironrelay.run")
    assert enqueue.parent.span_id == request_span.get_span_context().span_id
    assert run.context.trace_id == request_span.get_span_context().trace_id
    assert run.parent.span_id == enqueue.context.span_id
    assert [link.context.span_id for link in run.links] == [enqueue.context.span_id]
    assert run.kind == trace.SpanKind.CONSUMER and enqueue.kind == trace.SpanKind.PRODUCER
    assert run.attributes["ironrelay.task.path"] == noop.path
    assert run.attributes["messaging.message.id"] == str(record.pk)
    assert run.status.is_ok


def test_bulk_defer_shares_one_enqueue_span(drain):
    noop.bulk_defer([(1,), (2,)])
    contexts = {json.dumps(c) for c in Task.objects.values_list("trace_context", flat=True)}
    assert len(contexts) == 1 and "traceparent" in contexts.pop()
    drain()
    [enqueue] = named("ironrelay.enqueue")
    runs = named("ironrelay.run")
    assert len(runs) == 2 and {r.parent.span_id for r in runs} == {enqueue.context.span_id}


def test_failed_run_has_an_error_status(drain):
    always_fails.using(max_attempts=1).defer()
    drain()
    [run] = named("ironrelay.run")
    assert run.status.status_code == trace.StatusCode.ERROR


def test_async_task_runs_in_its_span(drain):
    with trace.get_tracer("tests").start_as_current_span("request") as request_span:
        nap.defer(0.01)
        nap.using(timeout=0.05).defer(30)  # cancelled at its timeout
    drain()
    runs = sorted(named("ironrelay.run"), key=lambda run: run.status.status_code.value)
    assert len(runs) == 2
    for run in runs:
        assert run.context.trace_id == request_span.get_span_context().trace_id
        assert run.attributes["ironrelay.task.path"] == nap.path
    assert [run.status.status_code for run in runs] == [
        trace.StatusCode.UNSET,
        trace.StatusCode.ERROR,
    ]


def test_task_deferred_without_a_trace_runs_in_a_new_one(drain):
    Task.objects.create(task_path=noop.path, args=[1])  # e.g. written by another tool
    drain()
    [run] = named("ironrelay.run")
    assert run.parent is None and not run.links


def test_incoming_webhook_spans_verification_and_handling(client):
    client.post("/ironrelay/incoming/test/", {"event": "a"}, content_type="application/json")
    [incoming] = named("ironrelay.incoming")
    [verify] = named("ironrelay.verify")
    [handle] = named("ironrelay.handle")
    assert verify.parent.span_id == incoming.context.span_id
    assert handle.parent.span_id == incoming.context.span_id
    assert incoming.attributes["http.response.status_code"] == 202
    assert incoming.attributes["ironrelay.source"] == "test"
    # The handler tasks stored while handling carry the trace on.
    for context in Task.objects.values_list("trace_context", flat=True):
        assert f"{incoming.context.trace_id:032x}" in context["traceparent"]


def test_rejected_signature_marks_the_verify_span_failed(client):
    client.post("/ironrelay/incoming/stripe/", {"x": 1}, content_type="application/json")
    [verify] = named("ironrelay.verify")
    assert verify.status.status_code == trace.StatusCode.ERROR
    assert not named("ironrelay.handle")
    [incoming] = named("ironrelay.incoming")
    assert incoming.attributes["http.response.status_code"] == 401


def test_each_delivery_attempt_has_a_span(receiver, drain):
    receiver.script("/hook", Reply(500), Reply(200))
    endpoint = Endpoint.objects.create(url=receiver.url("/hook"), event_types=["*"])
    send_webhook("invoice.paid", {"id": 1})
    drain()
    attempts = sorted(
        named("ironrelay.deliver"), key=lambda s: s.attributes["ironrelay.delivery.attempt"]
    )
    assert [s.attributes["http.response.status_code"] for s in attempts] == [500, 200]
    assert [s.status.status_code for s in attempts] == [
        trace.StatusCode.ERROR,
        trace.StatusCode.UNSET,
    ]
    assert {s.attributes["ironrelay.endpoint.id"] for s in attempts} == {endpoint.pk}
    runs = {s.context.span_id for s in named("ironrelay.run")}
    assert {s.parent.span_id for s in attempts} <= runs


def test_without_a_provider_nothing_is_stored_or_spanned():
    """A project with the API but no SDK pays for no span (checked in a fresh process)."""
    result = subprocess.run(
        [sys.executable, "-c", NO_PROVIDER],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


NO_PROVIDER = """
import django
django.setup()
from opentelemetry import trace
from ironrelay import tracing
from ironrelay.models import Task
assert tracing.enabled() and not tracing.look_for_provider()
with tracing.enqueue_span("a.b", "default") as context:
    assert context is None
with tracing.run_span(Task(task_path="a.b")) as span:
    assert span is None
print("ok")
"""

WITHOUT_OPENTELEMETRY = """
import sys
sys.modules["opentelemetry"] = None  # import opentelemetry now raises ImportError
sys.modules["prometheus_client"] = None
import django
django.setup()
from ironrelay import tracing
from ironrelay.models import Task
assert not tracing.enabled()
with tracing.enqueue_span("a.b", "default") as context:
    assert context is None
with tracing.run_span(Task(task_path="a.b")) as span:
    assert span is None
with tracing.span("x", a=1) as span:
    tracing.mark_failed(span, "no-op")
from django.core.exceptions import ImproperlyConfigured
try:
    import ironrelay.metrics.urls
except ImproperlyConfigured as exc:
    assert "django-ironrelay[prometheus]" in str(exc), exc
else:
    raise AssertionError("metrics URLs imported without prometheus_client")
print("ok")
"""


def test_without_the_optional_packages_everything_imports_and_does_nothing():
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_OPENTELEMETRY],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

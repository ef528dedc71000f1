"""Handlers run as queued tasks by the worker: outcomes, retries, isolation and replay."""

from __future__ import annotations

import pytest

from ironrelay.handlers import dispatch
from ironrelay.handlers.registry import event_matches, handlers_for
from ironrelay.models import HandlerRun, IncomingWebhook, Task
from ironrelay.tasks.worker import Worker
from tests.testapp.models import Execution


@pytest.mark.parametrize(
    "pattern, event, expected",
    [
        ("*", "anything", True),
        ("*", "", True),
        ("invoice.paid", "invoice.paid", True),
        ("invoice.paid", "invoice.paid.late", False),
        ("invoice.*", "invoice.paid", True),
        ("invoice.*", "invoice.x.y", True),
        ("invoice.*", "invoices.paid", False),
        ("invoice.*", "invoice", False),
    ],
)
def test_event_matches_patterns(pattern, event, expected):
    assert event_matches(pattern, event) is expected


def test_handlers_for_filters_by_source_and_event():
    names = lambda source, event: sorted(h.func.__name__ for h in handlers_for(source, event))  # noqa: E731
    assert names("test", "ping") == ["on_any_test_event", "on_ping"]
    assert names("test", "pong") == ["on_any_test_event"]
    assert names("stripe", "invoice.paid") == ["on_invoice"]
    assert names("stripe", "charge.refunded") == []


def drain() -> None:
    for _ in range(50):
        Worker(burst=True, poll_interval=0.01).run()
        if not Task.objects.filter(status="pending").exists():
            return


@pytest.mark.django_db(transaction=True)
def test_worker_runs_each_handler_and_marks_webhook_processed(post_webhook):
    webhook_id = post_webhook("test", {"event": "ping", "value": 7}).json()["id"]
    drain()
    assert Execution.objects.get(label=f"ping:{webhook_id}").value == 7
    assert Execution.objects.filter(label=f"any:{webhook_id}").count() == 1
    assert IncomingWebhook.objects.get(pk=webhook_id).status == "processed"
    assert set(HandlerRun.objects.values_list("status", flat=True)) == {"success"}


@pytest.mark.django_db(transaction=True)
def test_failing_handler_is_retried_then_failed_without_touching_others(post_webhook):
    webhook_id = post_webhook("test", {"event": "explode"}).json()["id"]
    drain()
    webhook = IncomingWebhook.objects.get(pk=webhook_id)
    assert webhook.status == "failed"
    runs = {r.handler.rsplit(".", 1)[1]: r for r in webhook.handler_runs.select_related("task")}
    assert runs["on_any_test_event"].status == "success"
    assert runs["exploding"].status == "failed"
    assert Execution.objects.filter(label=f"explode:{webhook_id}").count() == 2  # max_attempts=2
    failed_task = runs["exploding"].task
    assert failed_task.status == "failed"
    assert "handler exploded on webhook" in failed_task.errors[-1]["traceback"]


@pytest.mark.django_db(transaction=True)
def test_replay_runs_handlers_again_and_keeps_history(post_webhook):
    webhook_id = post_webhook("test", {"event": "ping"}).json()["id"]
    drain()
    webhook = IncomingWebhook.objects.get(pk=webhook_id)
    new_runs = dispatch.replay(webhook)
    assert len(new_runs) == 2
    assert IncomingWebhook.objects.get(pk=webhook_id).status == "received"
    drain()
    assert Execution.objects.filter(label=f"ping:{webhook_id}").count() == 2
    assert HandlerRun.objects.filter(webhook_id=webhook_id).count() == 4
    assert HandlerRun.objects.filter(webhook_id=webhook_id, replayed=True).count() == 2
    assert IncomingWebhook.objects.get(pk=webhook_id).status == "processed"


@pytest.mark.django_db(transaction=True)
def test_unregistered_handler_fails_with_its_name(post_webhook):
    webhook_id = post_webhook("test", {"event": "pong"}).json()["id"]
    HandlerRun.objects.filter(webhook_id=webhook_id).update(handler="gone.module.handler")
    Task.objects.update(args=[webhook_id, "gone.module.handler"], max_attempts=1)
    drain()
    task = Task.objects.get()
    assert task.status == "failed"
    assert "gone.module.handler" in task.errors[0]["message"]
    assert IncomingWebhook.objects.get(pk=webhook_id).status == "failed"

"""An accepted webhook is stored with one task and one run per handler, as defer() would queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection

from ironrelay.handlers.dispatch import run_handler
from ironrelay.handlers.registry import handlers_for
from ironrelay.models import HandlerRun, IncomingWebhook, Task
from ironrelay.signals import webhook_received
from ironrelay.tasks import claim
from ironrelay.tasks.execute import execute

pytestmark = pytest.mark.django_db

# Every column a task gets from its definition and arguments (not its id or its times).
TASK_COLUMNS = [
    "task_path",
    "queue_name",
    "priority",
    "status",
    "args",
    "kwargs",
    "attempts",
    "max_attempts",
    "timeout",
    "unique_key",
    "worker_id",
    "worker_ids",
    "errors",
    "return_value",
    "started_at",
    "finished_at",
]


def test_handler_tasks_are_stored_as_defer_stores_them(post_webhook):
    response = post_webhook("test", {"event": "tuned", "n": 1}, headers={"X-Trace": "t"})
    assert response.status_code == 202
    webhook = IncomingWebhook.objects.get()
    runs = list(HandlerRun.objects.filter(webhook=webhook).select_related("task"))
    handlers = handlers_for("test", "tuned")
    assert [run.handler for run in runs] == [h.path for h in handlers]  # registration order
    for run, handler in zip(runs, handlers, strict=True):
        deferred = run_handler.using(**handler.task_options).defer(webhook.pk, handler.path)
        deferred = Task.objects.get(pk=deferred.pk)
        stored = run.task
        assert {c: getattr(stored, c) for c in TASK_COLUMNS} == {
            c: getattr(deferred, c) for c in TASK_COLUMNS
        }
        assert stored.run_after - stored.enqueued_at == deferred.run_after - deferred.enqueued_at
        assert (run.status, run.replayed, run.finished_at) == ("pending", False, None)
        assert stored.enqueued_at == run.created_at == webhook.received_at
    tuned = runs[[h.func.__name__ for h in handlers].index("tuned")].task
    assert (tuned.queue_name, tuned.priority, tuned.max_attempts, tuned.timeout) == (
        "hooks",
        7,
        4,
        12.5,
    )
    assert tuned.run_after - tuned.enqueued_at == timedelta(seconds=30)
    assert (webhook.status, webhook.payload, webhook.headers["X-Trace"]) == (
        "received",
        {"event": "tuned", "n": 1},
        "t",
    )
    assert (webhook.remote_addr, webhook.errors, webhook.delivery_id) == ("127.0.0.1", [], None)


def test_answer_names_the_stored_webhook(post_webhook):
    body = post_webhook("test", {"event": "ping"}).json()
    assert body == {"id": IncomingWebhook.objects.get().pk, "status": "received"}


def test_handler_with_a_unique_key_shares_the_pending_task(post_webhook):
    first = post_webhook("test", {"event": "one-at-a-time", "n": 1}).json()["id"]
    second = post_webhook("test", {"event": "one-at-a-time", "n": 2}).json()["id"]
    path = handlers_for("test", "one-at-a-time")[-1].path
    runs = HandlerRun.objects.filter(handler=path).order_by("webhook_id")
    assert [run.webhook_id for run in runs] == [first, second]
    assert runs[0].task_id == runs[1].task_id  # defer()'s refusal: one pending task per key
    assert Task.objects.get(pk=runs[0].task_id).unique_key == "one-at-a-time"


@pytest.mark.django_db(transaction=True)
def test_failure_after_the_webhook_row_stores_nothing_and_answers_503(post_webhook):
    def fail_on_runs(execute, sql, params, many, context):
        if "ironrelay_handlerrun" in sql:
            raise OperationalError("injected: the connection went away")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_on_runs):
        response = post_webhook("test", {"event": "ping"})
    assert response.status_code == 503
    assert not IncomingWebhook.objects.exists()
    assert not Task.objects.exists()
    assert not HandlerRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_webhook_is_processed_when_its_last_handler_finishes(post_webhook):
    webhook_id = post_webhook("test", {"event": "ping"}).json()["id"]
    claim.register_worker("test:1:one", [], 1)
    first, second = claim.claim_batch("test:1:one", [], 10)
    assert execute(first).ok
    assert IncomingWebhook.objects.get(pk=webhook_id).status == "received"
    assert HandlerRun.objects.get(task_id=first.pk).status == "success"
    assert HandlerRun.objects.get(task_id=second.pk).status == "pending"
    assert execute(second).ok
    assert IncomingWebhook.objects.get(pk=webhook_id).status == "processed"
    assert HandlerRun.objects.get(task_id=second.pk).finished_at is not None


def test_signal_receiver_gets_the_stored_record(post_webhook, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, webhook, **kwargs):
        seen.append((webhook._state.adding, webhook._state.db, webhook.pk))
        webhook.event = "renamed"
        webhook.save(update_fields=["event"])

    webhook_received.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post_webhook("test", {"event": "ping"})
    finally:
        webhook_received.disconnect(receiver)
    stored = IncomingWebhook.objects.get()
    assert seen == [(False, "default", stored.pk)]
    assert stored.event == "renamed"

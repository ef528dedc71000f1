"""runs.finish: a handler run's status and its webhook's, in as few statements as is safe."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ironrelay.handlers import runs
from ironrelay.models import HandlerRun, IncomingWebhook, Task


def webhook_with_runs(count: int) -> tuple[IncomingWebhook, list[HandlerRun]]:
    webhook = IncomingWebhook.objects.create(source="test", event="ping")
    made = []
    for i in range(count):
        task = Task.objects.create(task_path="ironrelay.handlers.dispatch.run_handler")
        made.append(HandlerRun.objects.create(webhook=webhook, handler=f"handler.{i}", task=task))
    return webhook, made


def status_of(webhook: IncomingWebhook) -> str:
    return IncomingWebhook.objects.get(pk=webhook.pk).status


@pytest.mark.django_db
def test_finish_of_the_only_run_marks_the_webhook_processed():
    webhook, (run,) = webhook_with_runs(1)
    runs.finish(run.task_id, webhook.pk, HandlerRun.Status.SUCCESS)
    run.refresh_from_db()
    assert run.status == "success"
    assert run.finished_at is not None
    assert status_of(webhook) == "processed"


@pytest.mark.django_db
def test_finish_marks_processed_only_once_every_run_succeeded():
    webhook, (first, second) = webhook_with_runs(2)
    runs.finish(first.task_id, webhook.pk, HandlerRun.Status.SUCCESS)
    assert status_of(webhook) == "received"
    assert HandlerRun.objects.get(pk=second.pk).status == "pending"
    runs.finish(second.task_id, webhook.pk, HandlerRun.Status.SUCCESS)
    assert status_of(webhook) == "processed"


@pytest.mark.django_db
def test_finish_failed_marks_the_webhook_failed_and_a_later_success_keeps_it():
    webhook, (first, second) = webhook_with_runs(2)
    runs.finish(first.task_id, webhook.pk, HandlerRun.Status.FAILED)
    assert HandlerRun.objects.get(pk=first.pk).status == "failed"
    assert status_of(webhook) == "failed"
    runs.finish(second.task_id, webhook.pk, HandlerRun.Status.SUCCESS)
    assert HandlerRun.objects.get(pk=second.pk).status == "success"
    assert status_of(webhook) == "failed"


@pytest.mark.django_db
def test_finish_leaves_replayed_runs_out():
    webhook, (old, new) = webhook_with_runs(2)
    HandlerRun.objects.filter(pk=old.pk).update(replayed=True, status="failed")
    runs.finish(new.task_id, webhook.pk, HandlerRun.Status.SUCCESS)
    assert status_of(webhook) == "processed"


@pytest.mark.django_db
def test_finish_of_a_lone_run_is_one_statement_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL updates the run and its webhook in one statement")
    webhook, (run,) = webhook_with_runs(1)
    with CaptureQueriesContext(connection) as queries:
        runs.finish(run.task_id, webhook.pk, HandlerRun.Status.SUCCESS)
    assert len(queries) == 1
    assert status_of(webhook) == "processed"
    webhook, (run,) = webhook_with_runs(1)
    with CaptureQueriesContext(connection) as queries:
        runs.finish(run.task_id, webhook.pk, HandlerRun.Status.FAILED)
    assert len(queries) == 1
    assert status_of(webhook) == "failed"

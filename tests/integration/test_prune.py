from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ironrelay.models import (
    Delivery,
    Endpoint,
    IncomingWebhook,
    OutgoingWebhook,
    Schedule,
    ScheduleRun,
    Task,
)
from tests.testapp.tasks import noop

pytestmark = pytest.mark.django_db


def old(days: int = 40):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def records():
    noop.defer(1)  # pending: kept
    Task.objects.create(task_path=noop.path, status="success", finished_at=old())
    Task.objects.create(task_path=noop.path, status="success", finished_at=old(1))  # recent: kept
    IncomingWebhook.objects.create(source="s", status="processed", received_at=old())
    IncomingWebhook.objects.create(source="s", status="received", received_at=old())  # unhandled
    endpoint = Endpoint.objects.create(url="https://example.com/")
    done = OutgoingWebhook.objects.create(event_type="a", payload={}, created_at=old())
    Delivery.objects.create(message=done, endpoint=endpoint, status="delivered")
    waiting = OutgoingWebhook.objects.create(event_type="a", payload={}, created_at=old())
    Delivery.objects.create(message=waiting, endpoint=endpoint, status="pending")
    schedule = Schedule.objects.create(name="s", task_path=noop.path, every=60)
    ScheduleRun.objects.create(schedule=schedule, slot=old())
    ScheduleRun.objects.create(schedule=schedule, slot=old(1))  # recent: kept


def test_prune_dry_run_counts_and_deletes_nothing(records, capsys):
    call_command("ironrelay_prune", "--dry-run")
    out = capsys.readouterr().out
    assert "Would delete 1 ironrelay.Task" in out
    assert "Would delete 1 ironrelay.IncomingWebhook" in out
    assert "Would delete 1 ironrelay.OutgoingWebhook" in out
    assert "Would delete 1 ironrelay.ScheduleRun" in out
    assert Task.objects.count() == 3


def test_prune_deletes_only_old_finished_records(records):
    call_command("ironrelay_prune")
    assert Task.objects.count() == 2
    assert list(IncomingWebhook.objects.values_list("status", flat=True)) == ["received"]
    assert list(Delivery.objects.values_list("status", flat=True)) == ["pending"]
    assert OutgoingWebhook.objects.count() == 1
    assert ScheduleRun.objects.count() == 1 and Schedule.objects.exists()


def test_prune_days_option(records):
    call_command("ironrelay_prune", "--days", "0")
    assert Task.objects.count() == 1  # only the pending one

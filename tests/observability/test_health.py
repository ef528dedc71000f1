"""health.check in-process: the limits it applies to heartbeats and queue lag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ironrelay import alerts
from ironrelay.metrics import health
from ironrelay.models import Task, Worker
from ironrelay.tasks import queues
from tests.testapp.tasks import send_email

pytestmark = pytest.mark.django_db


def test_a_max_heartbeat_age_of_zero_is_applied_not_replaced_by_the_lease():
    Worker.objects.create(
        id="w", hostname="h", pid=1, last_heartbeat=timezone.now() - timedelta(seconds=5)
    )
    assert health.check().healthy  # within WORKER_LEASE
    verdict = health.check(max_heartbeat_age=0)
    assert not verdict.healthy
    assert "(limit 0 s)" in verdict.reason


def test_a_paused_queue_is_not_behind():
    Worker.objects.create(id="w", hostname="h", pid=1, last_heartbeat=timezone.now())
    send_email.defer(1)
    Task.objects.update(run_after=timezone.now() - timedelta(hours=1))
    assert not health.check(max_lag=60).healthy
    queues.pause("emails")
    verdict = health.check(max_lag=60)
    assert verdict.healthy, verdict.reason


def test_a_paused_queue_does_not_alert(settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "ALERT_QUEUE_LAG": 60}
    send_email.defer(1)
    Task.objects.update(run_after=timezone.now() - timedelta(hours=1))
    assert alerts.check_queue_lag() == ["emails"]
    queues.pause("emails")
    assert alerts.check_queue_lag() == []

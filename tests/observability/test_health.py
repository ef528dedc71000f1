"""health.check in-process: the limits it applies to heartbeats and queue lag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ironrelay.metrics import health
from ironrelay.models import Worker

pytestmark = pytest.mark.django_db


def test_a_max_heartbeat_age_of_zero_is_applied_not_replaced_by_the_lease():
    Worker.objects.create(
        id="w", hostname="h", pid=1, last_heartbeat=timezone.now() - timedelta(seconds=5)
    )
    assert health.check().healthy  # within WORKER_LEASE
    verdict = health.check(max_heartbeat_age=0)
    assert not verdict.healthy
    assert "(limit 0 s)" in verdict.reason

"""An idle worker picks up a new task: woken by NOTIFY on PostgreSQL, by its poll elsewhere."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from ironrelay.models import Task, Worker
from tests.testapp.tasks import noop
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


def test_idle_worker_picks_up_new_task(start_worker):
    notify = connection.vendor == "postgresql"
    # With NOTIFY the poll can be long: the task must run well before it would come round.
    proc = start_worker("--poll-interval", "30" if notify else "0.2")
    assert wait_until(Worker.objects.exists, timeout=60)
    time.sleep(0.5)  # let the worker reach its idle wait
    task = noop.defer(1)
    wait_until(lambda: Task.objects.get(pk=task.pk).status == "success", timeout=10, interval=0.02)
    proc.terminate()
    output, _ = proc.communicate(timeout=30)
    assert Task.objects.get(pk=task.pk).status == "success", output
    assert ("wake=LISTEN/NOTIFY" if notify else "wake=polling") in output

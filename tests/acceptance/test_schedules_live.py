"""Schedules with real worker processes: each slot once across workers, a kill -9, live edits."""

from __future__ import annotations

import itertools
import json
import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from ironrelay.models import Schedule, ScheduleRun, Task, Worker
from tests.testapp.models import Execution
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance

RECORD_RUN = "tests.testapp.tasks.record_run"


def stop(proc) -> str:
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    return output


def slot_span() -> float:
    slots = list(ScheduleRun.objects.order_by("slot").values_list("slot", flat=True))
    return (slots[-1] - slots[0]).total_seconds() if slots else 0.0


def test_three_schedulers_enqueue_every_slot_once_even_when_one_is_killed(
    start_worker, monkeypatch
):
    overrides = {
        "SCHEDULES": {"tick": {"task": RECORD_RUN, "every": 1, "queue": "ticks"}},
        "WORKER_HEARTBEAT_INTERVAL": 0.5,
    }
    monkeypatch.setenv("IRONRELAY_TEST_OVERRIDES", json.dumps(overrides))
    # Three workers that only schedule (they take no queue the ticks go to), so killing one
    # cannot cut a task short; a fourth runs the tasks and does not schedule.
    schedulers = [start_worker("--queues", "elsewhere") for _ in range(3)]
    runner = start_worker("--queues", "ticks", "--no-schedules", "--concurrency", "2")
    assert wait_until(lambda: Worker.objects.count() == 4, timeout=90)
    assert wait_until(lambda: ScheduleRun.objects.count() >= 4, timeout=30)
    schedulers[0].send_signal(signal.SIGKILL)
    schedulers[0].communicate(timeout=30)
    killed_at = ScheduleRun.objects.order_by("-slot").values_list("slot", flat=True).first()
    assert wait_until(lambda: slot_span() >= 10, timeout=60)
    for proc in schedulers[1:]:
        stop(proc)
    assert wait_until(lambda: not Task.objects.exclude(status="success").exists(), timeout=30), (
        list(Task.objects.exclude(status="success").values_list("status", flat=True))
    )
    stop(runner)

    runs = list(ScheduleRun.objects.order_by("slot"))
    slots = [run.slot for run in runs]
    assert all(b - a == timedelta(seconds=1) for a, b in itertools.pairwise(slots)), [
        s.isoformat() for s in slots
    ]
    assert slots[0] < killed_at < slots[-1]
    assert all(slot.microsecond == 0 for slot in slots)
    # One task per slot, each run once.
    task_ids = [run.task_id for run in runs]
    assert None not in task_ids and len(set(task_ids)) == len(runs) == Task.objects.count()
    executions = Counter(Execution.objects.values_list("label", flat=True))
    assert executions == Counter(f"task-{task_id}" for task_id in task_ids)
    assert Schedule.objects.get().defined_in_code


def test_a_schedule_edited_in_the_dashboard_takes_effect_on_a_running_worker(start_worker):
    schedule = Schedule.objects.create(name="hourly", task_path=RECORD_RUN, every=3600)
    from ironrelay.tasks import schedule_manager

    schedule_manager.save_definition(schedule, {})
    worker = start_worker()
    assert wait_until(lambda: Worker.objects.exists(), timeout=60)
    staff = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("ironrelay:schedule_edit", args=[schedule.pk]),
        {
            "name": "hourly",
            "task_path": RECORD_RUN,
            "every": "1",
            "cron": "",
            "timezone": "",
            "args": "[]",
            "kwargs": "{}",
            "queue_name": "",
            "priority": "",
            "jitter": "0",
            "catch_up": "latest",
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert wait_until(lambda: Execution.objects.count() >= 2, timeout=30)
    stop(worker)
    assert ScheduleRun.objects.count() >= 2

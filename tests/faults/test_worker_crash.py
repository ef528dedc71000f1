"""A worker process killed with SIGKILL mid-run: a second worker finishes everything it left."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from ironrelay.conf import get_settings
from ironrelay.models import Task, Worker
from tests.faults import other_sessions, wait_until
from tests.testapp.models import Execution
from tests.testapp.tasks import record, sleepy

pytestmark = pytest.mark.acceptance

RECORDS = 300


def test_sigkill_mid_run_reruns_only_the_tasks_the_dead_worker_held(start_worker):
    # One short sleepy task every third record task paces the worker (at least ~1 s of work on
    # two threads), so the kill below lands while it is busy, never after it finished.
    with transaction.atomic():
        for i in range(RECORDS):
            record.defer(f"r{i}", value=i)
            if i % 3 == 0:
                sleepy.using(timeout=None).defer(0.02)
    total = Task.objects.count()

    first = start_worker("--concurrency", "2", "--batch-size", "10")
    assert wait_until(lambda: Execution.objects.count() >= 60, timeout=60, interval=0.005)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    # A commit the process sent just before dying is applied before its sessions end: once
    # they are gone the database holds the final state the dead worker left.
    assert wait_until(lambda: not other_sessions(), timeout=30)

    dead = Worker.objects.get()
    assert dead.pid == first.pid
    held = dict(Task.objects.filter(status="running", worker_id=dead.id).values_list("id", "args"))
    assert held, "the kill did not land mid-run: the worker held no task"
    assert Task.objects.filter(status="success").count() < total
    held_labels = {args[0] for args in held.values() if isinstance(args[0], str)}

    # A live worker's reaper treats a worker silent for WORKER_LEASE as dead. The subprocess
    # reads the suite's settings (lease 60 s), so the dead worker's silence is backdated.
    lease = get_settings().WORKER_LEASE
    Worker.objects.filter(id=dead.id).update(
        last_heartbeat=timezone.now() - timedelta(seconds=2 * lease)
    )
    second = start_worker("--burst", "--concurrency", "4")
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    assert f"Requeued {len(held)} task(s) from 1 lost worker(s)" in output

    assert Task.objects.filter(status="success").count() == total
    runs = Counter(Execution.objects.values_list("label", flat=True))
    assert set(runs) == {f"r{i}" for i in range(RECORDS)}  # every task ran
    twice = {label for label, n in runs.items() if n > 1}
    assert max(runs.values()) <= 2
    assert twice <= held_labels, sorted(twice - held_labels)

    for task in Task.objects.all():
        if task.id in held:
            assert task.attempts == 2
            [lost] = task.errors
            assert lost["exception_class_path"] == "ironrelay.tasks.errors.WorkerLost"
            assert lost["worker_id"] == dead.id
        else:
            assert (task.attempts, task.errors, len(task.worker_ids)) == (1, [], 1)
    assert not Worker.objects.exists()  # the dead one reaped, the second one deregistered

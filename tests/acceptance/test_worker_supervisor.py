"""`ironrelay_worker --processes N`: real worker processes under a real supervisor."""

from __future__ import annotations

import os
import signal
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from ironrelay.models import Task
from tests.testapp.models import Execution
from tests.testapp.tasks import record, stuck
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_overdue_task_dies_with_its_process_and_the_rest_run(start_worker):
    stuck.defer(600)
    record.bulk_defer([((f"r{i}",), {"value": i}) for i in range(40)])
    proc = start_worker("--processes", "2", "--concurrency", "2", "--burst")
    # Far sooner than the 600 s the stuck task sleeps: its process was ended under it.
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    overdue = Task.objects.get(task_path="tests.testapp.tasks.stuck")
    assert overdue.status == "failed"
    assert "ran longer than 1 s" in overdue.last_error["message"]
    pid = Execution.objects.get(label="stuck").value
    assert not process_exists(pid)
    assert "left an overdue task behind" in output
    runs = Counter(Execution.objects.exclude(label="stuck").values_list("label", flat=True))
    assert len(runs) == 40 and set(runs.values()) == {1}
    assert set(Task.objects.exclude(pk=overdue.pk).values_list("status", flat=True)) == {"success"}


def test_sigterm_stops_every_worker_process(start_worker):
    from ironrelay.models import Worker

    proc = start_worker("--processes", "2", "--concurrency", "2")
    assert wait_until(lambda: Worker.objects.count() == 2, timeout=60)
    pids = set(Worker.objects.values_list("pid", flat=True))
    record.bulk_defer([((f"s{i}",), {"value": i}) for i in range(100)])
    assert wait_until(lambda: Execution.objects.count() == 100, timeout=120)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert not Worker.objects.exists()  # each process deregistered
    assert not any(process_exists(pid) for pid in pids)
    assert set(Task.objects.values_list("status", flat=True)) == {"success"}


def test_worker_processes_stop_when_the_supervisor_is_killed(start_worker):
    from ironrelay.models import Worker

    proc = start_worker("--processes", "1")
    assert wait_until(lambda: Worker.objects.count() == 1, timeout=60)
    proc.kill()  # no chance to stop its workers
    # The worker process shares the supervisor's output pipe: this returns once it has exited.
    proc.communicate(timeout=30)
    assert not Worker.objects.exists()  # it stopped gracefully and deregistered


def test_processes_must_be_positive():
    with pytest.raises(CommandError, match="--processes must be at least 1"):
        call_command("ironrelay_worker", "--processes", "0")

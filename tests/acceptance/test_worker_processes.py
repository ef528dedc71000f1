"""Real `ironrelay_worker` processes against the real test database."""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from ironrelay.models import Task
from tests.testapp.models import Execution
from tests.testapp.tasks import record, started_then_sleeps
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


def test_two_worker_processes_run_500_tasks_exactly_once(start_worker):
    from ironrelay.models import Worker

    workers = [start_worker("--concurrency", "4", "--batch-size", "20") for _ in range(2)]
    assert wait_until(lambda: Worker.objects.count() == 2, timeout=60)
    record.bulk_defer([((f"t{i}",), {"value": i}) for i in range(500)])
    assert wait_until(lambda: Task.objects.filter(status="success").count() == 500, timeout=240)
    for proc in workers:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=180)
        assert proc.returncode == 0, output
    runs = Counter(Execution.objects.values_list("label", flat=True))
    assert len(runs) == 500
    assert set(runs.values()) == {1}, [label for label, n in runs.items() if n > 1][:10]
    holders = list(Task.objects.values_list("worker_ids", flat=True))
    assert all(len(ids) == 1 for ids in holders)
    assert len({ids[0] for ids in holders}) == 2  # both processes took part


def test_sigterm_finishes_running_task_then_exits_zero(start_worker):
    started_then_sleeps.defer(1.5)
    proc = start_worker("--concurrency", "2")
    # Started, not merely claimed: a claimed task still waiting for its thread is handed back.
    assert wait_until(lambda: Execution.objects.filter(label="started").exists(), timeout=30)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    assert Task.objects.get().status == "success"
    assert "stopping" in output


def test_worker_without_burst_keeps_polling_for_new_tasks(start_worker):
    proc = start_worker("--concurrency", "2")
    assert wait_until(lambda: proc.poll() is None and Task.objects.count() == 0, timeout=5)
    record.defer("late", value=1)
    assert wait_until(lambda: Execution.objects.filter(label="late").exists(), timeout=30)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output


def test_sigterm_under_load_loses_nothing(start_worker):
    from ironrelay.models import Worker

    record.bulk_defer([((f"g{i}",), {"value": i}) for i in range(1500)])
    first = start_worker("--concurrency", "4", "--batch-size", "50")
    assert wait_until(lambda: Task.objects.filter(status="success").count() >= 100, timeout=120)
    first.send_signal(signal.SIGTERM)
    output, _ = first.communicate(timeout=180)
    assert first.returncode == 0, output
    # Nothing is left running or half-done: each task either ran or is still pending.
    assert not Task.objects.filter(status="running").exists()
    done = Task.objects.filter(status="success").count()
    assert done + Task.objects.filter(status="pending").count() == 1500
    assert Execution.objects.count() == done
    assert not Worker.objects.exists()  # it deregistered
    second = start_worker("--burst", "--concurrency", "4")
    output, _ = second.communicate(timeout=240)
    assert second.returncode == 0, output
    runs = Counter(Execution.objects.values_list("label", flat=True))
    assert len(runs) == 1500 and set(runs.values()) == {1}

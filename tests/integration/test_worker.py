"""The worker loop in this process (task threads use their own connections)."""

from __future__ import annotations

import logging
import threading

import pytest

from ironrelay.models import Task
from ironrelay.storable import MAX_DEPTH
from ironrelay.tasks.worker import Worker
from tests.testapp.models import Execution
from tests.testapp.tasks import always_fails, flaky, nested, noop, record, returns_set, sleepy

pytestmark = pytest.mark.django_db(transaction=True)


def run_burst(**options) -> Worker:
    """Run burst workers until no pending task is left (retries come due a moment later)."""
    done = 0
    for _ in range(200):
        worker = Worker(burst=True, poll_interval=0.01, **options)
        worker.run()
        done += worker.tasks_done
        if not Task.objects.filter(
            status="pending",
            queue_name__in=options.get("queues") or Task.objects.values("queue_name"),
        ).exists():
            break
    worker.tasks_done = done
    return worker


def test_worker_runs_every_task_once_and_stores_results():
    for i in range(50):
        record.defer(f"r{i}", value=i)
    worker = run_burst(concurrency=4, batch_size=8)
    assert worker.tasks_done == 50
    assert Execution.objects.count() == 50
    assert set(Task.objects.values_list("status", flat=True)) == {"success"}
    assert Task.objects.get(args=["r7"]).return_value == 14


def test_worker_retries_until_success_and_keeps_error_history():
    flaky.defer("f", fail_times=2)
    run_burst()
    stored = Task.objects.get()
    assert stored.status == "success"
    assert stored.attempts == 3
    assert [e["message"] for e in stored.errors] == [
        "flaky failure number 1",
        "flaky failure number 2",
    ]
    assert "RuntimeError" in stored.errors[0]["traceback"]


def test_worker_marks_task_failed_after_max_attempts(caplog):
    always_fails.defer()
    with caplog.at_level(logging.WARNING, logger="ironrelay"):
        run_burst()
    stored = Task.objects.get()
    assert (stored.status, stored.attempts, len(stored.errors)) == ("failed", 2, 2)
    assert "this task always fails" in stored.errors[-1]["traceback"]
    assert any("failed for good" in r.getMessage() for r in caplog.records)


def test_worker_fails_unimportable_task_naming_it():
    Task.objects.create(task_path="gone_app.tasks.removed_long_ago", max_attempts=5)
    noop.defer(1)
    run_burst()
    gone = Task.objects.get(task_path="gone_app.tasks.removed_long_ago")
    assert gone.status == "failed" and gone.attempts == 1
    assert "gone_app.tasks.removed_long_ago" in gone.errors[0]["message"]
    assert Task.objects.get(task_path=noop.path).status == "success"


def test_worker_fails_non_json_return_value_without_retry():
    returns_set.defer()
    run_burst()
    stored = Task.objects.get()
    assert stored.status == "failed" and stored.attempts == 1
    assert "returned a value JSON cannot store" in stored.errors[0]["message"]


def test_worker_queue_filter_leaves_other_queues():
    noop.using(queue="a").defer(1)
    noop.using(queue="b").defer(2)
    run_burst(queues=["a"])
    assert dict(Task.objects.values_list("queue_name", "status")) == {
        "a": "success",
        "b": "pending",
    }


def test_worker_times_out_overrunning_task():
    sleepy.using(max_attempts=1).defer(1.0)
    run_burst()
    stored = Task.objects.get()
    assert stored.status == "failed"
    assert "ran longer than 0.2 s" in stored.errors[0]["message"]


def test_worker_stop_finishes_running_task_and_releases_unstarted_ones():
    import threading
    import time

    sleepy.using(priority=10, timeout=None).defer(0.5)
    noop.bulk_defer([(i,) for i in range(20)])
    worker = Worker(concurrency=1, batch_size=30, poll_interval=0.01)
    thread = threading.Thread(target=worker.run)
    thread.start()
    deadline = time.monotonic() + 10

    def sleepy_started() -> bool:
        # Claimed is not started: a task still waiting for its thread is handed back.
        return any(
            e.started and e.task.task_path == sleepy.path for e in list(worker._running.values())
        )

    while not sleepy_started() and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert Task.objects.get(task_path=sleepy.path).status == "success"
    noops = Task.objects.filter(task_path=noop.path)
    assert noops.filter(status="pending", attempts=0).count() == 20
    assert not Task.objects.filter(status="running").exists()


def test_worker_fails_task_whose_module_raises_on_import(tmp_path, monkeypatch):
    (tmp_path / "broken_tasks_module.py").write_text("raise RuntimeError('import-time bug')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    Task.objects.create(task_path="broken_tasks_module.fn", max_attempts=3)
    run_burst()
    stored = Task.objects.get()
    assert stored.status == "failed" and stored.attempts == 1
    assert "broken_tasks_module.fn" in stored.errors[0]["message"]
    assert "import-time bug" in stored.errors[0]["message"]


def test_worker_logs_configuration_and_progress(caplog, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "WORKER_PROGRESS_EVERY": 10}
    noop.bulk_defer([(i,) for i in range(25)])
    with caplog.at_level(logging.INFO, logger="ironrelay"):
        run_burst(concurrency=2, batch_size=5)
    lines = [r.getMessage() for r in caplog.records if r.name == "ironrelay.worker"]
    assert any("started: queues=(all) concurrency=2 batch=5" in line for line in lines)
    progress = [line for line in lines if line.endswith("task(s) done")]
    assert len(progress) >= 2


def test_worker_fails_a_too_deeply_nested_return_value_and_keeps_the_batch():
    nested.defer(MAX_DEPTH + 1)
    nested.defer(MAX_DEPTH)
    noop.defer(1)
    run_burst()
    too_deep, deepest = Task.objects.filter(task_path=nested.path).order_by("id")
    assert too_deep.status == "failed" and too_deep.attempts == 1
    assert (
        "tests.testapp.tasks.nested returned a value JSON cannot store"
        in (too_deep.errors[0]["message"])
    )
    assert f"nested more than {MAX_DEPTH} levels deep" in too_deep.errors[0]["message"]
    assert deepest.status == "success" and deepest.return_value == nested(MAX_DEPTH)
    assert Task.objects.get(task_path=noop.path).status == "success"


def test_overdue_keyed_task_keeps_its_slot_until_its_thread_returns(caplog):
    from tests.testapp import flow_tasks

    flow_tasks.gate.clear()
    flow_tasks.gate_running.update(now=0, most=0)
    first = flow_tasks.gated.defer(1)
    second = flow_tasks.gated.defer(1)
    worker = Worker(burst=True, poll_interval=0.01, schedules=False)
    looks = []
    claim_limited = worker.lane.claim
    worker.lane.claim = lambda *args: looks.append(1) or claim_limited(*args)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        assert flow_tasks.gate_started.acquire(timeout=10)
        # Wait past the timeout, then for the limited lane to be looked at a few more times.
        for _ in range(1000):
            if "ran longer than" in caplog.text:
                break
            thread.join(0.01)
        assert "ran longer than" in caplog.text
        seen = len(looks)
        for _ in range(1000):
            if len(looks) >= seen + 5 or flow_tasks.gate_running["most"] > 1:
                break
            thread.join(0.01)
        assert flow_tasks.gate_running["most"] == 1  # no second run of the key beside it
        assert len(looks) >= seen + 5
        assert Task.objects.get(pk=second.pk).status == "pending"
        assert Task.objects.get(pk=first.pk).status == "running"
    finally:
        flow_tasks.gate.set()
        thread.join(30)
    assert not thread.is_alive()
    assert flow_tasks.gate_running["most"] == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "failed"
    assert "ran longer than 0.05 s" in first.errors[-1]["message"]
    assert second.status == "success"

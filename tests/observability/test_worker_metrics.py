"""What a worker process counts reaches a scrape in this (another) process."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ironrelay.metrics.collector import IronRelayCollector
from ironrelay.models import MetricCounter, Task
from tests.conftest import ROOT, subprocess_env
from tests.testapp.tasks import always_fails, noop
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(IronRelayCollector())
    samples = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_counts_of_a_worker_process_reach_the_scrape(transactional_db):
    noop.bulk_defer([(i,) for i in range(20)])
    always_fails.using(max_attempts=1).defer()
    env = {**subprocess_env(), "DJANGO_SETTINGS_MODULE": "tests.observability.metrics_settings"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "django", "ironrelay_worker", "--concurrency", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        finished = (
            "ironrelay_tasks_finished_total",
            (("queue", "default"), ("status", "success"), ("task", noop.path)),
        )
        # Written with a heartbeat, while the worker keeps running.
        assert wait_until(lambda: scrape().get(finished) == 20, timeout=60)
        assert worker.poll() is None
        samples = scrape()
        failed = (("queue", "default"), ("status", "failed"), ("task", always_fails.path))
        assert samples[("ironrelay_tasks_finished_total", failed)] == 1
        count = (
            "ironrelay_task_duration_seconds_count",
            (("queue", "default"), ("task", noop.path)),
        )
        assert samples[count] == 20
        assert samples[("ironrelay_workers", ())] == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert Task.objects.filter(status="success").count() == 20
    assert MetricCounter.objects.filter(name="tasks_finished").count() == 2

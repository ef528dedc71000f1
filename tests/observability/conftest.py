from __future__ import annotations

from collections.abc import Iterator

import pytest

from ironrelay.metrics import counters
from ironrelay.models import Task
from ironrelay.tasks.worker import Worker
from tests.receiver import Receiver


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    """Start and end each test with no counts waiting in this process."""
    counters.discard_pending()
    yield
    counters.discard_pending()


@pytest.fixture
def metrics_on(settings):
    """Turn METRICS on for the test."""
    settings.IRONRELAY = {**settings.IRONRELAY, "METRICS": True}
    return settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


@pytest.fixture
def drain():
    """Run burst workers in this process until no task is pending or running."""

    def run(rounds: int = 100) -> None:
        for _ in range(rounds):
            Worker(burst=True, poll_interval=0.01).run()
            if not Task.objects.filter(status__in=["pending", "running"]).exists():
                return
        raise AssertionError("tasks still pending after draining")

    return run

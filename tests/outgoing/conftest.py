from __future__ import annotations

from collections.abc import Iterator

import pytest

from ironrelay.models import Task
from ironrelay.tasks.worker import Worker
from tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


@pytest.fixture
def drain():
    """Run burst workers until no task is pending (retries come due moments later)."""

    def run(rounds: int = 100, **options) -> None:
        for _ in range(rounds):
            Worker(burst=True, poll_interval=0.01, **options).run()
            if not Task.objects.filter(status__in=["pending", "running"]).exists():
                return
        raise AssertionError("tasks still pending after draining")

    return run
